/**
 * One stay, one charge: two drivers (or two phones) on one stay, a superseded order the provider would not
 * close yet, and two payments that reach one stay anyway — the lot is paid once, any other money goes back
 * with its reason.
 */
import { DEMO_PARK_NUMBER } from '../../../../server/sandbox/bluecard';
import type { Order } from '../../../../server/src/core/orders/model';
import { eventually, startPaymentWorld, type PaymentWorld } from '../../../support/payment-world';
import { answerTo } from '../../../support/answers';

// A busy machine: the sandboxes' retries and our backoffs take real time.
jest.setTimeout(30_000);
let w: PaymentWorld;
beforeAll(async () => {
  w = await startPaymentWorld('one_stay');
});
afterAll(async () => {
  await w.close();
});

const A = { id: 'driver-a', openId: 'oWX-driver-a' };
const B = { id: 'driver-b', openId: 'oWX-driver-b' };
const order = (no: string) => w.orderRepo.get(no).then((o) => o!);
const until = (no: string, ok: (o: Order) => boolean) => eventually(() => order(no), ok, 15_000);
const lot = () => w.bluecard.park(DEMO_PARK_NUMBER);
const paidAtLot = (orderId: string) => lot().dump().payments.filter((p) => p.orderId === orderId).reduce((sum, p) => sum + p.fen, 0);
const stayOf = async (plate: string) => (await w.stays.staysInPark(DEMO_PARK_NUMBER, plate))[0]!;

describe('two drivers on one stay', () => {
  it('a second driver asking while the first is paying is told "already being paid", and gets no order', async () => {
    await w.arrive('京S10001', 75);
    const fa = await w.orders.quotePrepay(A.id, DEMO_PARK_NUMBER, '京S10001');
    await w.orders.pay(A.id, fa.order!.orderNo, 'wechat', { openId: A.openId });
    w.lotClock.advance(1_000);
    expect(await answerTo(w.orders.quotePrepay(B.id, DEMO_PARK_NUMBER, '京S10001'))).toMatchObject({ code: 'quote_taken', status: 409 });
    w.wechat.pay(fa.order!.orderNo, { openid: A.openId });
    await until(fa.order!.orderNo, (o) => o.status === 'delivered');
    expect(paidAtLot((await stayOf('京S10001')).orderId)).toBe(fa.payFen);
  });

  it('both priced before either paid: only the first to pay gets a provider order; the second is "already being paid"', async () => {
    await w.arrive('京S10002', 75);
    const fa = await w.orders.quotePrepay(A.id, DEMO_PARK_NUMBER, '京S10002');
    w.lotClock.advance(1_000);
    const fb = await w.orders.quotePrepay(B.id, DEMO_PARK_NUMBER, '京S10002');
    expect(fb.order!.orderNo).not.toBe(fa.order!.orderNo);
    const [pa, pb] = await Promise.allSettled([
      w.orders.pay(A.id, fa.order!.orderNo, 'wechat', { openId: A.openId }),
      w.orders.pay(B.id, fb.order!.orderNo, 'wechat', { openId: B.openId }),
    ]);
    const outcomes = [pa, pb].map((p) => p.status);
    expect(outcomes.sort()).toEqual(['fulfilled', 'rejected']);
    const refused = [pa, pb].find((p) => p.status === 'rejected') as PromiseRejectedResult;
    expect(refused.reason).toMatchObject({ code: 'quote_taken' });
    const atWechat = w.wechat.orders().filter((o) => o.outTradeNo === fa.order!.orderNo || o.outTradeNo === fb.order!.orderNo);
    expect(atWechat).toHaveLength(1);
    const loser = atWechat[0]!.outTradeNo === fa.order!.orderNo ? fb.order!.orderNo : fa.order!.orderNo;
    expect(await order(loser)).toMatchObject({ status: 'closed', closedReason: expect.stringMatching(/^being_paid/) });
  });

  it('two payments that reach one stay anyway: the lot is paid once; the other is refunded as already_paid', async () => {
    await w.arrive('京S10003', 75);
    const fb = await w.orders.quotePrepay(B.id, DEMO_PARK_NUMBER, '京S10003');
    w.lotClock.advance(1_000);
    const fa = await w.orders.quotePrepay(A.id, DEMO_PARK_NUMBER, '京S10003');
    await w.orders.pay(A.id, fa.order!.orderNo, 'wechat', { openId: A.openId });
    // B's quoted order is paid all the same (a payment that arrives after its order stopped being payable).
    const y = fb.order!.orderNo;
    expect(await w.orders.recordPayment(y, { provider: 'wechat', transactionId: 'tx-s3-b', paidFen: fb.payFen, paidAt: new Date(), via: 'notification' })).toBe('applied');
    await until(y, (o) => o.status === 'delivered');
    w.wechat.pay(fa.order!.orderNo, { openid: A.openId });
    const x = await until(fa.order!.orderNo, (o) => o.status === 'refunded');
    expect(x.refund!.reason).toMatch(new RegExp(`^already_paid: the stay was paid by order ${y}`));
    expect(x.delivery!.state).toBe('abandoned');
    expect(paidAtLot((await stayOf('京S10003')).orderId)).toBe(fb.payFen);
  });
});

describe('a superseded order', () => {
  it('is offered again until the provider has closed it; then a new one for the new price', async () => {
    await w.arrive('京S20001', 75);
    const first = await w.orders.quotePrepay(A.id, DEMO_PARK_NUMBER, '京S20001');
    const old = first.order!.orderNo;
    await w.orders.pay(A.id, old, 'wechat', { openId: A.openId });
    w.lotClock.advance(60 * 60_000); // the price moves on
    w.wechat.inject({ kind: 'http500', times: 1, path: `/v3/pay/transactions/out-trade-no/${old}/close` });
    const again = await w.orders.quotePrepay(A.id, DEMO_PARK_NUMBER, '京S20001');
    expect(again.order!.orderNo).toBe(old);
    expect(again.payFen).toBe(first.payFen);
    expect((await order(old)).status).toBe('pending');
    const next = await w.orders.quotePrepay(A.id, DEMO_PARK_NUMBER, '京S20001');
    expect(next.order!.orderNo).not.toBe(old);
    expect(next.payFen).toBeGreaterThan(first.payFen);
    expect(await order(old)).toMatchObject({ status: 'closed', closedReason: 'superseded' });
    expect(w.wechat.orders().find((o) => o.outTradeNo === old)!.tradeState).toBe('CLOSED');
  });
});
