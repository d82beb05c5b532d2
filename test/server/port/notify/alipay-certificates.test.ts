/**
 * Alipay in 公钥证书模式 through ParkPay's own notify port: the app's requests carry the certificate serials
 * the gateway checks, answers and notifications verify with the key of the Alipay public key certificate,
 * and a notification about another seller than the configured sellerId is refused (answered fail, nothing
 * recorded from it).
 */
import { DEMO_PARK_NUMBER } from '../../../../server/sandbox/bluecard';
import { eventually, startPaymentWorld, type PaymentWorld } from '../../../support/payment-world';

jest.setTimeout(60_000);

const DRIVER = 'driver-cert';
const worlds: PaymentWorld[] = [];
afterAll(async () => {
  for (const w of worlds) await w.close();
});

async function alipayPayment(w: PaymentWorld, plate: string) {
  await w.arrive(plate, 75);
  const fee = await w.orders.quotePrepay(DRIVER, DEMO_PARK_NUMBER, plate);
  const orderNo = fee.order!.orderNo;
  const user = w.alipay.user('cert-driver');
  const { pay } = await w.orders.pay(DRIVER, orderNo, 'alipay', { openId: user.openId });
  if (pay.provider !== 'alipay') throw new Error('alipay');
  expect(w.alipay.pay(orderNo, user).resultCode).toBe('9000');
  return orderNo;
}

const answered = (w: PaymentWorld, orderNo: string) =>
  eventually(
    async () => w.alipay.notifications().filter((n) => n.outTradeNo === orderNo && n.attempts.length > 0),
    (ns) => ns.length > 0 && ns[0]!.attempts[0]!.answer !== undefined,
  );

it('pays, verifies and delivers in 公钥证书模式 with our seller id', async () => {
  const probe = await startPaymentWorld('alipay_cert', { kick: true, alipay: { certificateMode: true } });
  worlds.push(probe);
  // Every gateway call of this app carried the serials of its certificates.
  const orderNo = await alipayPayment(probe, '京C10001');
  const done = await eventually(() => probe.orderRepo.get(orderNo), (o) => o?.status === 'delivered');
  expect(done!.payment).toMatchObject({ provider: 'alipay', paidFen: 400, via: 'notification' });
  const calls = probe.alipay.requests();
  expect(calls.length).toBeGreaterThan(0);
  expect(calls.every((c) => /^[0-9a-f]{32}$/.test(c.params.app_cert_sn ?? '') && /^[0-9a-f]{32}$/.test(c.params.alipay_root_cert_sn ?? ''))).toBe(true);
  expect(calls.every((c) => c.outcome === 'ok')).toBe(true);
});

it('a notification for another seller is refused (answered fail, nothing recorded from it)', async () => {
  const wrong = await startPaymentWorld('alipay_seller_wrong', { kick: true, alipay: { certificateMode: true, sellerId: '2088000000009999' } });
  worlds.push(wrong);
  const orderNo = await alipayPayment(wrong, '京C10002');
  const [n] = await answered(wrong, orderNo);
  expect(n!.base.seller_id).toMatch(/^2088\d{12}$/);
  expect(n!.base.seller_id).not.toBe('2088000000009999');
  expect(n!.attempts[0]).toMatchObject({ answer: 'fail' });
  const order = await wrong.orderRepo.get(orderNo);
  expect(order!.payment?.via).not.toBe('notification');
});

it('a notification for our seller is taken', async () => {
  // The sandbox app's seller id, as the operator copies it from the open platform.
  const seller = worlds[0]!.alipay.sellerId;
  const sellerWorld = await startPaymentWorld('alipay_seller_ok', { kick: true, alipay: { certificateMode: true, sellerId: seller } });
  worlds.push(sellerWorld);
  const okNo = await alipayPayment(sellerWorld, '京C10003');
  const ok = await eventually(() => sellerWorld.orderRepo.get(okNo), (o) => o?.status === 'delivered');
  expect(ok!.payment).toMatchObject({ via: 'notification' });
});
