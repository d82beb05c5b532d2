/**
 * Alipay 当面付 at the booth: alipay.trade.pay (scene bar_code) and alipay.trade.cancel through the adapter
 * against the sandbox gateway (signed both ways), and the sandbox's rules for payment codes.
 */
import { AlipayError } from '../../../../server/src/adapter/alipay';
import { AlipayFaceToFace } from '../../../../server/src/adapter/alipay/face-to-face';
import { startAlipaySandbox, type AlipaySandbox } from '../../../../server/sandbox/alipay';

let sandbox: AlipaySandbox;
let alipay: AlipayFaceToFace;
let seq = 0;
const no = () => `FA${Date.now()}${++seq}`;

beforeAll(async () => {
  sandbox = await startAlipaySandbox();
  alipay = new AlipayFaceToFace(sandbox.app);
});
afterAll(async () => {
  await sandbox.stop();
});

async function rejection(p: Promise<unknown>): Promise<AlipayError> {
  const e = await p.then(
    () => undefined,
    (err: unknown) => err,
  );
  expect(e).toBeInstanceOf(AlipayError);
  return e as AlipayError;
}

it('a code that pays at once → 10000 paid, the trade is TRADE_SUCCESS for the code’s user', async () => {
  const pc = sandbox.paymentCode('zhang');
  expect(pc.code).toMatch(/^28\d{16}$/);
  const outTradeNo = no();
  const r = await alipay.payWithCode({ outTradeNo, authCode: pc.code, totalFen: 650, subject: '停车费 粤B12345' });
  expect(r).toMatchObject({ kind: 'paid', totalFen: 650, buyer: sandbox.user('zhang').openId });
  if (r.kind !== 'paid') throw new Error('not paid');
  expect(r.paidAt).toBeInstanceOf(Date);
  expect(sandbox.trade(outTradeNo)).toMatchObject({ tradeStatus: 'TRADE_SUCCESS', tradeNo: r.tradeNo, productCode: 'FACE_TO_FACE_PAYMENT' });
  // The same out_trade_no again: ACQ.TRADE_HAS_SUCCESS means "ask" — never a second charge.
  expect(await alipay.payWithCode({ outTradeNo, authCode: pc.code, totalFen: 650, subject: '停车费 粤B12345' })).toMatchObject({ kind: 'unknown', subCode: 'ACQ.TRADE_HAS_SUCCESS' });
  expect(await alipay.queryFace(outTradeNo)).toMatchObject({ status: 'paid', totalFen: 650 });
});

it('a password code → 10003 waiting, the buyer confirms → paid by query', async () => {
  const pc = sandbox.paymentCode('li', 'password');
  const outTradeNo = no();
  expect(await alipay.payWithCode({ outTradeNo, authCode: pc.code, totalFen: 300, subject: 'x' })).toMatchObject({ kind: 'waiting' });
  expect(await alipay.queryFace(outTradeNo)).toMatchObject({ status: 'pending', tradeStatus: 'WAIT_BUYER_PAY' });
  sandbox.pay(outTradeNo);
  expect(await alipay.queryFace(outTradeNo)).toMatchObject({ status: 'paid', tradeStatus: 'TRADE_SUCCESS' });
});

it('refusals take nothing: insufficient balance, a code never issued, a used code', async () => {
  const poor = sandbox.paymentCode('wang', 'insufficient');
  const n1 = no();
  expect(await alipay.payWithCode({ outTradeNo: n1, authCode: poor.code, totalFen: 300, subject: 'x' })).toMatchObject({ kind: 'refused', subCode: 'ACQ.BUYER_BALANCE_NOT_ENOUGH' });
  expect(sandbox.trade(n1)).toBeUndefined();
  expect(await alipay.payWithCode({ outTradeNo: no(), authCode: '281234567890123456', totalFen: 300, subject: 'x' })).toMatchObject({ kind: 'refused', subCode: 'ACQ.PAYMENT_AUTH_CODE_INVALID' });
  const pc = sandbox.paymentCode('zhao');
  await alipay.payWithCode({ outTradeNo: no(), authCode: pc.code, totalFen: 1, subject: 'x' });
  expect(await alipay.payWithCode({ outTradeNo: no(), authCode: pc.code, totalFen: 1, subject: 'x' })).toMatchObject({ kind: 'refused', subCode: 'ACQ.PAYMENT_AUTH_CODE_INVALID' });
});

it('cancel: a waiting trade is closed, a paid one refunded in full, an unseen number blocked; repeats answer the same', async () => {
  const waitNo = no();
  await alipay.payWithCode({ outTradeNo: waitNo, authCode: sandbox.paymentCode('a1', 'password').code, totalFen: 200, subject: 'x' });
  expect(await alipay.cancelTrade(waitNo)).toEqual({ kind: 'cancelled', action: 'close' });
  expect(sandbox.trade(waitNo)).toMatchObject({ tradeStatus: 'TRADE_CLOSED', refundedFen: 0 });
  expect(() => sandbox.pay(waitNo)).toThrow(/TRADE_CLOSED/);

  const paidNo = no();
  await alipay.payWithCode({ outTradeNo: paidNo, authCode: sandbox.paymentCode('a2').code, totalFen: 900, subject: 'x' });
  expect(await alipay.cancelTrade(paidNo)).toEqual({ kind: 'cancelled', action: 'refund' });
  expect(sandbox.trade(paidNo)).toMatchObject({ tradeStatus: 'TRADE_CLOSED', refundedFen: 900 });
  expect(await alipay.cancelTrade(paidNo)).toEqual({ kind: 'cancelled', action: 'refund' });
  expect(sandbox.trade(paidNo)!.refunds).toHaveLength(1);

  const unseen = no();
  expect(await alipay.cancelTrade(unseen)).toEqual({ kind: 'cancelled', action: 'close' });
  expect(await alipay.payWithCode({ outTradeNo: unseen, authCode: sandbox.paymentCode('a3').code, totalFen: 1, subject: 'x' })).toMatchObject({ kind: 'refused', subCode: 'ACQ.TRADE_HAS_CLOSE' });
});

it('transient failures: a timeout is a retryable AlipayError, ACQ.SYSTEM_ERROR is unknown, a forged answer is refused', async () => {
  const outTradeNo = no();
  sandbox.inject({ type: 'business_error', method: 'alipay.trade.pay', subCode: 'ACQ.SYSTEM_ERROR' });
  expect(await alipay.payWithCode({ outTradeNo, authCode: sandbox.paymentCode('b1').code, totalFen: 1, subject: 'x' })).toMatchObject({ kind: 'unknown', subCode: 'ACQ.SYSTEM_ERROR' });
  // Two seconds: time for the payment to reach Alipay (it is made there) before the client gives up.
  const quick = new AlipayFaceToFace(sandbox.app, { timeoutMs: 2_000 });
  sandbox.inject({ type: 'timeout', method: 'alipay.trade.pay', afterProcessing: true });
  const n2 = no();
  expect(await rejection(quick.payWithCode({ outTradeNo: n2, authCode: sandbox.paymentCode('b2').code, totalFen: 1, subject: 'x' }))).toMatchObject({ kind: 'timeout', retryable: true });
  expect(await alipay.queryFace(n2)).toMatchObject({ status: 'paid' });
  sandbox.inject({ type: 'bad_signature', method: 'alipay.trade.cancel' });
  expect(await rejection(alipay.cancelTrade(n2))).toMatchObject({ kind: 'bad_signature' });
  expect(await alipay.queryFace(no())).toEqual({ status: 'not_found' });
});

it('bad input is refused before anything is sent', async () => {
  const before = sandbox.requests().length;
  expect(await rejection(alipay.payWithCode({ outTradeNo: no(), authCode: '134567890123456789', totalFen: 1, subject: 'x' }))).toMatchObject({ kind: 'invalid_request' });
  expect(await rejection(alipay.payWithCode({ outTradeNo: no(), authCode: '281234567890123456', totalFen: 0, subject: 'x' }))).toMatchObject({ kind: 'invalid_request' });
  expect(sandbox.requests().length).toBe(before);
});

it('the control API issues payment codes over HTTP', async () => {
  const res = await fetch(`${sandbox.url}/__sandbox/payment-code`, { method: 'POST', body: JSON.stringify({ user: 'demo', behaviour: 'password' }) });
  expect(res.status).toBe(200);
  expect(await res.json()).toMatchObject({ code: expect.stringMatching(/^28\d{16}$/), behaviour: 'password', user: { name: 'demo' } });
  const bad = await fetch(`${sandbox.url}/__sandbox/payment-code`, { method: 'POST', body: JSON.stringify({ behaviour: 'rich' }) });
  expect(bad.status).toBe(409);
});
