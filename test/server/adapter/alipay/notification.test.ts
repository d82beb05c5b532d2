/**
 * Notification verification, one test per way it must fail (and the ways it must not): a forged signature,
 * a field altered after signing, '%' in a value (the SDK's V1 check throws), sign_type games, app_id,
 * amount (exact fen: '12.1' is 1210, '12.001' is not an amount), out_trade_no, seller_id, malformed forms;
 * then the same over HTTP with the sandbox forging deliveries and retrying.
 */
import { AlipaySdk } from 'alipay-sdk';
import {
  AlipayAdapter,
  checkNotificationMatches,
  notificationAnswer,
  type AlipayNotification,
} from '../../../../server/src/adapter/alipay';
import { ManualClock } from '../../../../server/src/core/clock';
import {
  generateRsaKeyPair,
  signNotification,
  startAlipaySandbox,
  type AlipaySandbox,
} from '../../../../server/sandbox/alipay';
import { startReceiver, type Receiver } from './receiver';

const alipayKeys = generateRsaKeyPair();
const appKeys = generateRsaKeyPair();
const APP_ID = '2021000149600777';
const SELLER = '2088000000000042';

let adapter: AlipayAdapter;
beforeAll(() => {
  adapter = new AlipayAdapter({ appId: APP_ID, privateKey: appKeys.privateKey, alipayPublicKey: alipayKeys.publicKey });
});

/** What Alipay would send for a paid order P1 of 12.10 yuan. */
function fields(over: Record<string, string> = {}): Record<string, string> {
  return {
    notify_id: '2026112800222100001234567890',
    notify_time: '2026-11-28 10:00:03',
    notify_type: 'trade_status_sync',
    app_id: APP_ID,
    auth_app_id: APP_ID,
    charset: 'utf-8',
    version: '1.0',
    sign_type: 'RSA2',
    trade_no: '2026112822001412345678901234',
    out_trade_no: 'P1',
    trade_status: 'TRADE_SUCCESS',
    total_amount: '12.10',
    receipt_amount: '12.10',
    buyer_pay_amount: '12.10',
    buyer_open_id: '074a1CcTG1LelxKe4xQC0zgNdId0nxi95b5lsNpazWYoCo5',
    seller_id: SELLER,
    subject: '停车费 粤B12345',
    gmt_create: '2026-11-28 09:59:40',
    gmt_payment: '2026-11-28 10:00:02',
    fund_bill_list: '[{"amount":"12.10","fundChannel":"ALIPAYACCOUNT"}]',
    ...over,
  };
}
const genuine = (over: Record<string, string> = {}) => signNotification(fields(over), alipayKeys.privateKey);

function accepted(body: unknown): AlipayNotification {
  const v = adapter.verifyNotification(body);
  if (!v.ok) throw new Error(`refused: ${v.reason}: ${v.detail}`);
  return v.notification;
}
const reason = (body: unknown) => {
  const v = adapter.verifyNotification(body);
  return v.ok ? 'accepted' : v.reason;
};
const order = { appId: APP_ID, outTradeNo: 'P1', totalFen: 1210 };

describe('signature', () => {
  it('accepts a genuine notification and reads it into fen, dates and our status', () => {
    const n = accepted(genuine());
    expect(n).toMatchObject({
      notifyId: '2026112800222100001234567890',
      outTradeNo: 'P1',
      tradeStatus: 'TRADE_SUCCESS',
      status: 'paid',
      totalFen: 1210,
      receiptFen: 1210,
      sellerId: SELLER,
    });
    expect(n.gmtPayment?.toISOString()).toBe('2026-11-28T02:00:02.000Z');
    expect(checkNotificationMatches(n, order)).toEqual({ ok: true });
    expect(notificationAnswer(true)).toBe('success');
    expect(notificationAnswer(false)).not.toBe('success');
  });

  it('refuses a notification signed with another key (forged)', () => {
    expect(reason(signNotification(fields(), generateRsaKeyPair().privateKey))).toBe('bad_signature');
  });

  it('refuses a field altered after signing (total_amount, trade_status, out_trade_no)', () => {
    expect(reason({ ...genuine(), total_amount: '0.01' })).toBe('bad_signature');
    expect(reason({ ...genuine({ trade_status: 'WAIT_BUYER_PAY' }), trade_status: 'TRADE_SUCCESS' })).toBe('bad_signature');
    expect(reason({ ...genuine(), out_trade_no: 'P2' })).toBe('bad_signature');
    // A field added after signing, too.
    expect(reason({ ...genuine(), refund_fee: '12.10' })).toBe('bad_signature');
  });

  it("'%' in a value: the SDK's V1 check throws URIError, V2 (what the adapter uses) verifies", () => {
    const body = genuine({ subject: '停车费 100% 满意 %E4%B8 50%off' });
    const sdk = new AlipaySdk({ appId: APP_ID, privateKey: appKeys.privateKey, alipayPublicKey: alipayKeys.publicKey, keyType: 'PKCS8' });
    expect(() => sdk.checkNotifySign({ ...body })).toThrow(URIError);
    expect(sdk.checkNotifySignV2({ ...body })).toBe(true);
    expect(accepted(body).fields.subject).toBe('停车费 100% 满意 %E4%B8 50%off');
  });

  it('refuses a missing sign, a sign_type other than RSA2, and a sign over the wrong text', () => {
    const body = genuine();
    const { sign: _sign, ...unsigned } = body;
    expect(reason(unsigned)).toBe('bad_signature');
    expect(reason({ ...body, sign_type: 'RSA' })).toBe('bad_signature');
    expect(reason({ ...body, sign: 'bm90IGEgc2lnbmF0dXJl' })).toBe('bad_signature');
    expect(reason({ ...body, sign: '%%%' })).toBe('bad_signature');
    // Alipay leaves sign_type out of the signed text; the SDK also tries with it, both are fine.
    expect(reason({ ...body, sign_type: undefined })).toBe('malformed'); // not a string: a broken form
    const { sign_type: _t, ...withoutType } = body;
    expect(reason(withoutType)).toBe('accepted');
  });

  it('refuses repeated fields and non-form bodies', () => {
    expect(reason({ ...genuine(), total_amount: ['12.10', '0.01'] })).toBe('malformed');
    expect(reason('notify_id=1')).toBe('malformed');
    expect(reason(null)).toBe('malformed');
  });
});

describe('our own checks (the SDK does none of them)', () => {
  it('app_id must be ours', () => {
    expect(reason(genuine({ app_id: '2021000000009999' }))).toBe('app_id_mismatch');
    const n = accepted(genuine());
    expect(checkNotificationMatches(n, { ...order, appId: 'other' })).toMatchObject({ ok: false, reason: 'app_id_mismatch' });
  });

  it('notify_type must be trade_status_sync', () => {
    expect(reason(genuine({ notify_type: 'fund_auth_freeze' }))).toBe('wrong_notify_type');
  });

  it('total_amount equals the order to the fen: "12.1" is 1210, "12.00" is not, "12.001" is not an amount', () => {
    expect(checkNotificationMatches(accepted(genuine({ total_amount: '12.1' })), order)).toEqual({ ok: true });
    expect(checkNotificationMatches(accepted(genuine({ total_amount: '12.10' })), order)).toEqual({ ok: true });
    expect(checkNotificationMatches(accepted(genuine({ total_amount: '12.00' })), order)).toMatchObject({ ok: false, reason: 'amount_mismatch' });
    expect(checkNotificationMatches(accepted(genuine({ total_amount: '12.11' })), order)).toMatchObject({ ok: false, reason: 'amount_mismatch' });
    expect(checkNotificationMatches(accepted(genuine({ total_amount: '1210' })), order)).toMatchObject({ ok: false, reason: 'amount_mismatch' });
    for (const bad of ['12.001', '12.100', '1.21e1', ' 12.10', '12.10 ', '-12.10', '012.10', '12.', '.5', 'NaN', '']) {
      expect([bad, reason(genuine({ total_amount: bad }))]).toEqual([bad, 'malformed']);
    }
    // A fractional order amount is never matched.
    expect(checkNotificationMatches(accepted(genuine()), { ...order, totalFen: 1210.0000001 })).toMatchObject({ ok: false, reason: 'amount_mismatch' });
  });

  it('out_trade_no must be the order’s', () => {
    expect(checkNotificationMatches(accepted(genuine()), { ...order, outTradeNo: 'P2' })).toMatchObject({ ok: false, reason: 'out_trade_no_mismatch' });
    expect(reason(genuine({ out_trade_no: '' }))).toBe('malformed');
  });

  it('seller_id must be ours when we know it', () => {
    expect(checkNotificationMatches(accepted(genuine()), { ...order, sellerId: '2088999999999999' })).toMatchObject({ ok: false, reason: 'seller_id_mismatch' });
    const { sign: _s, seller_id: _id, ...noSeller } = fields();
    expect(checkNotificationMatches(accepted(signNotification(noSeller, alipayKeys.privateKey)), { ...order, sellerId: SELLER })).toMatchObject({
      ok: false,
      reason: 'seller_id_mismatch',
    });
  });

  it('TRADE_CLOSED reads refunded after a payment, closed without one', () => {
    expect(accepted(genuine({ trade_status: 'TRADE_CLOSED', refund_fee: '12.10', gmt_refund: '2026-11-28 11:00:00.123', out_biz_no: 'R1' }))).toMatchObject({
      status: 'refunded',
      refundFen: 1210,
      outBizNo: 'R1',
    });
    const { gmt_payment: _p, ...unpaid } = fields({ trade_status: 'TRADE_CLOSED', gmt_close: '2026-11-28 10:15:00' });
    expect(accepted(signNotification(unpaid, alipayKeys.privateKey)).status).toBe('closed');
    expect(reason(genuine({ trade_status: 'TRADE_PAID' }))).toBe('malformed');
  });
});

describe('over HTTP: the sandbox forges deliveries, our receiver refuses them, Alipay retries', () => {
  let sandbox: AlipaySandbox;
  let receiver: Receiver;
  let sbAdapter: AlipayAdapter;
  const clock = new ManualClock(Date.now());

  beforeAll(async () => {
    receiver = await startReceiver(() => sbAdapter);
    sandbox = await startAlipaySandbox({ clock, notifyUrl: receiver.url });
    sbAdapter = new AlipayAdapter(sandbox.app, { clock });
    receiver.sellerId = sandbox.sellerId;
  });
  afterAll(async () => {
    await sandbox.stop();
    await receiver.stop();
  });

  async function paidOrder(outTradeNo: string, totalFen: number) {
    receiver.orders.set(outTradeNo, totalFen);
    await sbAdapter.createTrade({ outTradeNo, subject: 'stay', totalFen, buyerOpenId: sandbox.user('driver').openId });
    sandbox.pay(outTradeNo);
    await sandbox.runDue();
    await sandbox.idle();
  }
  const deliveries = (outTradeNo: string) => receiver.received.filter((r) => r.fields.out_trade_no === outTradeNo);

  it.each([
    ['wrong_key', 'bad_signature'],
    ['tampered', 'bad_signature'],
  ] as const)('a %s delivery is answered "fail"; the genuine retry 4 minutes later is accepted', async (how, why) => {
    const outTradeNo = `N${how}`;
    sandbox.inject({ type: 'forged_notification', how });
    await paidOrder(outTradeNo, 1500);
    expect(deliveries(outTradeNo).map((d) => [d.ok, d.reason, d.answer])).toEqual([[false, why, 'fail']]);

    clock.advance(4 * 60_000);
    await sandbox.runDue();
    await sandbox.idle();
    expect(deliveries(outTradeNo).map((d) => [d.ok, d.answer])).toEqual([
      [false, 'fail'],
      [true, 'success'],
    ]);
    const [n] = sandbox.notifications().filter((x) => x.outTradeNo === outTradeNo);
    expect(n.state).toBe('delivered');
    expect(new Set(n.attempts.map((a) => a.fields.notify_id))).toEqual(new Set([n.notifyId]));
  });

  it('a genuine notification for an order we do not have is answered "fail"', async () => {
    await sbAdapter.createTrade({ outTradeNo: 'NUNKNOWN', subject: 'x', totalFen: 100, buyerOpenId: sandbox.user('driver').openId });
    sandbox.pay('NUNKNOWN');
    await sandbox.runDue();
    await sandbox.idle();
    expect(deliveries('NUNKNOWN').map((d) => [d.ok, d.reason, d.answer])).toEqual([[false, 'out_trade_no_mismatch', 'fail']]);
  });

  it('a genuine notification whose amount differs from our order is answered "fail"', async () => {
    receiver.orders.set('NAMOUNT', 1300);
    await sbAdapter.createTrade({ outTradeNo: 'NAMOUNT', subject: 'x', totalFen: 1200, buyerOpenId: sandbox.user('driver').openId });
    sandbox.pay('NAMOUNT');
    await sandbox.runDue();
    await sandbox.idle();
    expect(deliveries('NAMOUNT').map((d) => [d.ok, d.reason, d.answer])).toEqual([[false, 'amount_mismatch', 'fail']]);
  });
});
