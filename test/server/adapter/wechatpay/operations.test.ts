/**
 * The adapter against the real local sandbox over HTTP, in BOTH verification modes: orders, requestPayment
 * params, query before/after paying, close, refunds, Native, notifications end to end, "already done"
 * answers and input checks.
 */
import crypto from 'node:crypto';
import { ManualClock } from '../../../../server/src/core/clock';
import {
  WechatPayAdapter,
  WechatPayError,
  checkTransactionMatches,
  requestPaymentMessage,
  toWechatTime,
} from '../../../../server/src/adapter/wechatpay';
import { startWechatPaySandbox, type WechatPaySandbox } from '../../../../server/sandbox/wechatpay';
import { NotifyReceiver } from '../../sandbox/wechatpay/receiver';

const MODES = ['platformCertificate', 'publicKey'] as const;

async function rejection(p: Promise<unknown>): Promise<WechatPayError> {
  const e = await p.then(
    () => undefined,
    (err: unknown) => err,
  );
  expect(e).toBeInstanceOf(WechatPayError);
  return e as WechatPayError;
}

describe.each(MODES)('adapter operations against the sandbox (%s mode)', (mode) => {
  let sandbox: WechatPaySandbox;
  let adapter: WechatPayAdapter;
  let receiver: NotifyReceiver;
  let seq = 0;
  const no = (prefix = 'PK') => `${prefix}${Date.now()}${++seq}`.slice(0, 32);

  beforeAll(async () => {
    receiver = await new NotifyReceiver().start();
    sandbox = await startWechatPaySandbox({ mode, timeScale: 1000, refundSettleMs: null });
    adapter = new WechatPayAdapter({ config: { ...sandbox.merchant, notifyUrl: receiver.url } });
  });
  afterAll(async () => {
    await sandbox.stop();
    await receiver.stop();
  });

  it('the generated merchant fits config.wechatPay and names the mode', () => {
    expect(sandbox.merchant.baseUrl).toBe(sandbox.url);
    expect(sandbox.merchant.apiV3Key).toHaveLength(32);
    expect(sandbox.merchant.verification.mode).toBe(mode);
    if (sandbox.merchant.verification.mode === 'publicKey') {
      expect(sandbox.merchant.verification.publicKeyId).toMatch(/^PUB_KEY_ID_0112/);
    }
  });

  it('JSAPI order → wx.requestPayment params whose paySign verifies with the merchant key', async () => {
    const outTradeNo = no();
    const order = await adapter.createJsapiOrder({ outTradeNo, description: '停车费 粤B12345', totalFen: 1250, payerOpenId: 'oUpF8uMuAJO_M2pxb1Q9zNjWeS6o' });
    expect(order.prepayId).toMatch(/^wx\d{14}[0-9a-f]{20}$/);
    const p = order.requestPayment;
    expect(p.appId).toBe(sandbox.merchant.appId);
    expect(p.timeStamp).toMatch(/^\d{10}$/);
    expect(Math.abs(Number(p.timeStamp) - Date.now() / 1000)).toBeLessThan(5);
    expect(p.nonceStr.length).toBeLessThanOrEqual(32);
    expect(p.package).toBe(`prepay_id=${order.prepayId}`);
    expect(p.signType).toBe('RSA');
    const merchantPublic = crypto.createPublicKey(sandbox.merchant.merchantPrivateKey);
    expect(crypto.verify('sha256', Buffer.from(`${p.appId}\n${p.timeStamp}\n${p.nonceStr}\n${p.package}\n`), merchantPublic, Buffer.from(p.paySign, 'base64'))).toBe(true);
    expect(requestPaymentMessage(p)).toBe(`${p.appId}\n${p.timeStamp}\n${p.nonceStr}\n${p.package}\n`);
    // The sandbox checks them like the WeChat client: another nonce (whatever its first character) breaks paySign.
    const otherNonce = (p.nonceStr[0] === 'X' ? 'Y' : 'X') + p.nonceStr.slice(1);
    expect(sandbox.requestPayment({ ...p, nonceStr: otherNonce })).toEqual({ errMsg: 'requestPayment:fail paySign does not verify' });
    expect(sandbox.requestPayment({ ...p })).toEqual({ errMsg: 'requestPayment:ok' });
    expect((await adapter.queryByOutTradeNo(outTradeNo)).status).toBe('paid');
  });

  it('sends what WeChat expects: appid, mchid, amount in fen, CNY, payer, notify_url, time_expire in +08:00', async () => {
    const outTradeNo = no();
    const expiresAt = Date.UTC(2030, 0, 2, 3, 4, 5);
    await adapter.createJsapiOrder({ outTradeNo, description: 'd', totalFen: 1, payerOpenId: 'o1', expiresAt, attach: 'park=p1' });
    const o = sandbox.orders().find((x) => x.outTradeNo === outTradeNo);
    expect(o).toMatchObject({ kind: 'JSAPI', appid: sandbox.merchant.appId, mchid: sandbox.merchant.mchId, totalFen: 1, currency: 'CNY', payerOpenId: 'o1', notifyUrl: receiver.url, attach: 'park=p1' });
    expect(o?.timeExpire).toBe('2030-01-02T11:04:05+08:00');
    expect(toWechatTime(expiresAt)).toBe('2030-01-02T11:04:05+08:00');
  });

  it('query before and after paying; the verified transaction matches the order', async () => {
    const outTradeNo = no();
    await adapter.createJsapiOrder({ outTradeNo, description: 'd', totalFen: 800, payerOpenId: 'oPayer' });
    const before = await adapter.queryByOutTradeNo(outTradeNo);
    expect(before).toMatchObject({ status: 'pending', tradeState: 'NOTPAY', outTradeNo, totalFen: 800 });
    expect(before.transactionId).toBeUndefined();
    sandbox.pay(outTradeNo);
    const after = await adapter.queryByOutTradeNo(outTradeNo);
    expect(after).toMatchObject({ status: 'paid', tradeState: 'SUCCESS', totalFen: 800, payerTotalFen: 800, payerOpenId: 'oPayer' });
    expect(after.transactionId).toMatch(/^4200\d{24}$/);
    expect(after.successTime).toMatch(/^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\+08:00$/);
    expect(checkTransactionMatches(after.transaction, { appid: adapter.appId, mchid: adapter.mchId, outTradeNo, totalFen: 800 })).toEqual({ ok: true });
  });

  it('the user cancelling leaves the order pending', async () => {
    const outTradeNo = no();
    const { requestPayment } = await adapter.createJsapiOrder({ outTradeNo, description: 'd', totalFen: 5, payerOpenId: 'o' });
    expect(sandbox.requestPayment({ ...requestPayment }, { outcome: 'cancel' })).toEqual({ errMsg: 'requestPayment:fail cancel' });
    expect((await adapter.queryByOutTradeNo(outTradeNo)).status).toBe('pending');
  });

  it('maps every trade state through the one switch', async () => {
    const outTradeNo = no();
    await adapter.createJsapiOrder({ outTradeNo, description: 'd', totalFen: 5, payerOpenId: 'o' });
    const table = { SUCCESS: 'paid', REFUND: 'refunded', NOTPAY: 'pending', USERPAYING: 'pending', CLOSED: 'closed', REVOKED: 'closed', PAYERROR: 'failed' } as const;
    for (const [state, ours] of Object.entries(table)) {
      sandbox.setTradeState(outTradeNo, state as keyof typeof table);
      expect([state, (await adapter.queryByOutTradeNo(outTradeNo)).status]).toEqual([state, ours]);
    }
  });

  it('a repeated order with the same parameters gets the same prepay_id; other parameters → OUT_TRADE_NO_USED', async () => {
    const outTradeNo = no();
    const input = { outTradeNo, description: 'd', totalFen: 300, payerOpenId: 'o' };
    const first = await adapter.createJsapiOrder(input);
    const again = await adapter.createJsapiOrder(input);
    expect(again.prepayId).toBe(first.prepayId);
    const e = await rejection(adapter.createJsapiOrder({ ...input, totalFen: 301 }));
    expect(e).toMatchObject({ kind: 'business', code: 'OUT_TRADE_NO_USED', httpStatus: 403, retryable: false, signed: true });
    expect(e.requestId).toMatch(/^[0-9A-F]{32}$/);
  });

  it('close: 204 → closed; again → still fine; a signed ORDER_CLOSED counts as success; a paid order → ORDERPAID', async () => {
    const outTradeNo = no();
    await adapter.createJsapiOrder({ outTradeNo, description: 'd', totalFen: 5, payerOpenId: 'o' });
    expect(await adapter.close(outTradeNo)).toEqual({ alreadyClosed: false });
    expect((await adapter.queryByOutTradeNo(outTradeNo)).status).toBe('closed');
    expect(await adapter.close(outTradeNo)).toEqual({ alreadyClosed: false });
    sandbox.inject({ kind: 'error', status: 400, code: 'ORDER_CLOSED', message: '订单已关闭', path: '/v3/pay/transactions/out-trade-no/' });
    expect(await adapter.close(outTradeNo)).toEqual({ alreadyClosed: true });
    const paid = no();
    await adapter.createJsapiOrder({ outTradeNo: paid, description: 'd', totalFen: 5, payerOpenId: 'o' });
    sandbox.pay(paid);
    expect(await rejection(adapter.close(paid))).toMatchObject({ kind: 'business', code: 'ORDERPAID', retryable: false });
    const closedRepeat = await rejection(adapter.createJsapiOrder({ outTradeNo, description: 'd', totalFen: 5, payerOpenId: 'o' }));
    expect(closedRepeat).toMatchObject({ kind: 'business', code: 'ORDER_CLOSED' });
  });

  it('an unknown order is a business ORDER_NOT_EXIST (404)', async () => {
    expect(await rejection(adapter.queryByOutTradeNo('NOSUCHORDER01'))).toMatchObject({ kind: 'business', code: 'ORDER_NOT_EXIST', httpStatus: 404, retryable: false });
  });

  it('refund → PROCESSING, query → SUCCESS after settlement; the order shows REFUND', async () => {
    const outTradeNo = no();
    await adapter.createJsapiOrder({ outTradeNo, description: 'd', totalFen: 1000, payerOpenId: 'o' });
    sandbox.pay(outTradeNo);
    const outRefundNo = no('RF');
    const r = await adapter.refund({ outTradeNo, outRefundNo, refundFen: 400, totalFen: 1000, reason: '多收费' });
    expect(r).toMatchObject({ status: 'pending', refundStatus: 'PROCESSING', outRefundNo, outTradeNo, refundFen: 400, totalFen: 1000, alreadyExisted: false });
    expect(r.refundId).toMatch(/^\d{29}$/);
    expect((await adapter.queryRefund(outRefundNo)).status).toBe('pending');
    sandbox.settleRefund(outRefundNo);
    const q = await adapter.queryRefund(outRefundNo);
    expect(q).toMatchObject({ status: 'refunded', refundStatus: 'SUCCESS', refundFen: 400 });
    expect(q.successTime).toMatch(/\+08:00$/);
    expect((await adapter.queryByOutTradeNo(outTradeNo)).status).toBe('refunded');
    // The same out_refund_no again: WeChat answers the same refund, nothing more is refunded.
    const again = await adapter.refund({ outTradeNo, outRefundNo, refundFen: 400, totalFen: 1000 });
    expect(again.refundId).toBe(r.refundId);
    // More than is left → refused.
    expect(await rejection(adapter.refund({ outTradeNo, outRefundNo: no('RF'), refundFen: 601, totalFen: 1000 }))).toMatchObject({ kind: 'business', code: 'INVALID_REQUEST' });
    // Refund states map through the same switch.
    for (const [status, ours] of [['CLOSED', 'closed'], ['ABNORMAL', 'failed']] as const) {
      const n = no('RF');
      await adapter.refund({ outTradeNo, outRefundNo: n, refundFen: 1, totalFen: 1000 });
      sandbox.settleRefund(n, status);
      expect((await adapter.queryRefund(n)).status).toBe(ours);
    }
  });

  it('a refund refused because that out_refund_no already exists is answered with the existing refund', async () => {
    const outTradeNo = no();
    await adapter.createJsapiOrder({ outTradeNo, description: 'd', totalFen: 100, payerOpenId: 'o' });
    sandbox.pay(outTradeNo);
    const outRefundNo = no('RF');
    const first = await adapter.refund({ outTradeNo, outRefundNo, refundFen: 100, totalFen: 100 });
    sandbox.inject({ kind: 'error', status: 400, code: 'INVALID_REQUEST', message: '订单已全额退款', path: '/v3/refund/domestic/refunds' });
    const again = await adapter.refund({ outTradeNo, outRefundNo, refundFen: 100, totalFen: 100 });
    expect(again).toMatchObject({ alreadyExisted: true, refundId: first.refundId });
    // …but not when the existing one is for another amount.
    sandbox.inject({ kind: 'error', status: 400, code: 'INVALID_REQUEST', message: '请求内容和上次请求不一致', path: '/v3/refund/domestic/refunds' });
    expect(await rejection(adapter.refund({ outTradeNo, outRefundNo, refundFen: 50, totalFen: 100 }))).toMatchObject({ kind: 'business', code: 'INVALID_REQUEST' });
  });

  it('an unknown refund is a business RESOURCE_NOT_EXISTS', async () => {
    expect(await rejection(adapter.queryRefund('NOSUCHREFUND'))).toMatchObject({ kind: 'business', code: 'RESOURCE_NOT_EXISTS', httpStatus: 404 });
  });

  it('Native order → code_url; paying it notifies like JSAPI', async () => {
    const outTradeNo = no('NT');
    const { codeUrl } = await adapter.createNativeOrder({ outTradeNo, description: '车道 3 出口', totalFen: 600 });
    expect(codeUrl).toMatch(/^weixin:\/\/wxpay\/bizpayurl\?pr=\w{7}$/);
    expect((await adapter.createNativeOrder({ outTradeNo, description: '车道 3 出口', totalFen: 600 })).codeUrl).toBe(codeUrl);
    sandbox.pay(outTradeNo, { openid: 'oScanner' });
    const q = await adapter.queryByOutTradeNo(outTradeNo);
    expect(q).toMatchObject({ status: 'paid', payerOpenId: 'oScanner', transaction: { trade_type: 'NATIVE' } });
  });

  it('paying sends TRANSACTION.SUCCESS to notify_url; the adapter verifies and decrypts it; a 204 ends the deliveries', async () => {
    const outTradeNo = no();
    receiver.deliveries.length = 0;
    const verified: unknown[] = [];
    receiver.handler = async (d) => {
      const n = await adapter.verifyNotification({ headers: d.headers, rawBody: d.rawBody });
      verified.push(n);
      return checkTransactionMatches(n.transaction, { appid: adapter.appId, mchid: adapter.mchId, outTradeNo, totalFen: 2000 }).ok ? { status: 204 } : { status: 400 };
    };
    await adapter.createJsapiOrder({ outTradeNo, description: 'd', totalFen: 2000, payerOpenId: 'oN' });
    sandbox.pay(outTradeNo);
    await sandbox.notificationsSettled();
    receiver.handler = undefined;
    expect(receiver.deliveries).toHaveLength(1);
    const d = receiver.deliveries[0];
    expect(d.headers['content-type']).toBe('application/json');
    expect(d.headers['wechatpay-signature-type']).toBe('WECHATPAY2-SHA256-RSA2048');
    expect(d.headers['wechatpay-serial']).toBe(sandbox.platform().serial);
    const body = JSON.parse(d.rawBody);
    expect(body).toMatchObject({ resource_type: 'encrypt-resource', event_type: 'TRANSACTION.SUCCESS', summary: '支付成功', resource: { original_type: 'transaction', algorithm: 'AEAD_AES_256_GCM', associated_data: 'transaction' } });
    expect(body.resource.nonce).toHaveLength(12);
    expect(verified).toEqual([
      expect.objectContaining({
        id: body.id,
        eventType: 'TRANSACTION.SUCCESS',
        status: 'paid',
        transaction: expect.objectContaining({ out_trade_no: outTradeNo, trade_state: 'SUCCESS', amount: expect.objectContaining({ total: 2000 }), payer: { openid: 'oN' } }),
      }),
    ]);
    const record = sandbox.notifications().find((n) => n.outTradeNo === outTradeNo);
    expect(record).toMatchObject({ state: 'delivered', attempts: [expect.objectContaining({ n: 1, status: 204, ok: true })] });
  });

  it('a settled refund sends REFUND.SUCCESS to the refund notify_url; verifyRefundNotification opens it', async () => {
    const outTradeNo = no();
    await adapter.createJsapiOrder({ outTradeNo, description: 'd', totalFen: 700, payerOpenId: 'o' });
    sandbox.pay(outTradeNo);
    await sandbox.notificationsSettled();
    receiver.deliveries.length = 0;
    const outRefundNo = no('RF');
    await adapter.refund({ outTradeNo, outRefundNo, refundFen: 700, totalFen: 700, notifyUrl: receiver.url });
    sandbox.settleRefund(outRefundNo);
    await sandbox.notificationsSettled();
    expect(receiver.deliveries).toHaveLength(1);
    const n = await adapter.verifyRefundNotification({ headers: receiver.deliveries[0].headers, rawBody: receiver.deliveries[0].rawBody });
    expect(n).toMatchObject({ eventType: 'REFUND.SUCCESS', status: 'refunded', refund: { out_trade_no: outTradeNo, out_refund_no: outRefundNo, refund_status: 'SUCCESS', amount: { total: 700, refund: 700 } } });
    // A refund notification is not a transaction notification.
    expect(await rejection(adapter.verifyNotification({ headers: receiver.deliveries[0].headers, rawBody: receiver.deliveries[0].rawBody }))).toMatchObject({ kind: 'bad_signature', verification: 'malformed' });
  });

  it('refuses bad arguments before anything goes on the wire', async () => {
    const before = sandbox.hits().length;
    const bad: Array<Promise<unknown>> = [
      adapter.createJsapiOrder({ outTradeNo: 'short', description: 'd', totalFen: 1, payerOpenId: 'o' }),
      adapter.createJsapiOrder({ outTradeNo: no(), description: 'd', totalFen: 0, payerOpenId: 'o' }),
      adapter.createJsapiOrder({ outTradeNo: no(), description: 'd', totalFen: 1.5, payerOpenId: 'o' }),
      adapter.createJsapiOrder({ outTradeNo: no(), description: '', totalFen: 1, payerOpenId: 'o' }),
      adapter.createJsapiOrder({ outTradeNo: no(), description: 'd', totalFen: 1, payerOpenId: '' }),
      adapter.createJsapiOrder({ outTradeNo: no(), description: 'd', totalFen: 1, payerOpenId: 'o', notifyUrl: 'https://x.example/n?order=1' }),
      adapter.createJsapiOrder({ outTradeNo: 'has space 123', description: 'd', totalFen: 1, payerOpenId: 'o' }),
      adapter.refund({ outTradeNo: no(), outRefundNo: 'r1', refundFen: 2, totalFen: 1 }),
      adapter.queryByOutTradeNo('../../v3/certificates'),
    ];
    for (const p of bad) expect(await rejection(p)).toMatchObject({ kind: 'invalid_request', retryable: false });
    expect(sandbox.hits().length).toBe(before);
  });

  it('uses the injected clock for request timestamps and paySign timeStamp', async () => {
    const clock = new ManualClock(Date.now() - 4 * 60_000);
    const a = new WechatPayAdapter({ config: { ...sandbox.merchant, notifyUrl: receiver.url }, clock });
    const o = await a.createJsapiOrder({ outTradeNo: no(), description: 'd', totalFen: 1, payerOpenId: 'o' });
    expect(o.requestPayment.timeStamp).toBe(String(Math.floor(clock.now() / 1000)));
  });
});
