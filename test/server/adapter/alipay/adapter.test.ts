/**
 * The Alipay adapter against the Alipay sandbox over real HTTP (127.0.0.1), reached by configuration alone:
 * the sandbox's `app` block is exactly what config.ts's `alipay` takes.
 */
import { AlipayAdapter, AlipayError } from '../../../../server/src/adapter/alipay';
import { configSchema } from '../../../../server/src/config';
import { startAlipaySandbox, type AlipaySandbox } from '../../../../server/sandbox/alipay';
import { startReceiver, type Receiver } from './receiver';

let sandbox: AlipaySandbox;
let receiver: Receiver;
let adapter: AlipayAdapter;
let seq = 0;
const no = (p = 'T') => `${p}${Date.now().toString(36)}${(++seq).toString().padStart(3, '0')}`;

beforeAll(async () => {
  receiver = await startReceiver(() => adapter);
  sandbox = await startAlipaySandbox({ notifyUrl: receiver.url });
  adapter = new AlipayAdapter(sandbox.app, { timeoutMs: 2000 });
});
afterAll(async () => {
  await sandbox.stop();
  await receiver.stop();
});

async function rejection(p: Promise<unknown>): Promise<AlipayError> {
  try {
    await p;
  } catch (e) {
    expect(e).toBeInstanceOf(AlipayError);
    return e as AlipayError;
  }
  throw new Error('expected an AlipayError');
}

/** A JSAPI trade for the sandbox's "driver", known to the receiver. */
async function openTrade(totalFen = 1200, subject = '停车费 粤B12345') {
  const outTradeNo = no();
  receiver.orders.set(outTradeNo, totalFen);
  const { tradeNo } = await adapter.createTrade({
    outTradeNo,
    subject,
    totalFen,
    buyerOpenId: sandbox.user('driver').openId,
    opAppId: '2021000000000009',
  });
  return { outTradeNo, tradeNo };
}

async function paidTrade(totalFen = 1200) {
  const t = await openTrade(totalFen);
  sandbox.pay(t.outTradeNo);
  await sandbox.waitFor(() => receiver.received.some((r) => r.notification?.outTradeNo === t.outTradeNo && r.ok));
  return t;
}

describe('mini-program payment: create → pay → notification → query', () => {
  it('walks the whole way, with the notification verified and answered exactly "success"', async () => {
    const { outTradeNo, tradeNo } = await openTrade(1200);
    expect(tradeNo).toMatch(/^\d{28}$/);

    const before = await adapter.query(outTradeNo);
    expect(before).toMatchObject({ outTradeNo, tradeNo, tradeStatus: 'WAIT_BUYER_PAY', status: 'pending', totalFen: 1200 });
    expect(before.paidAt).toBeUndefined();

    // What my.tradePay would report in the mini-program.
    expect(sandbox.pay(outTradeNo)).toEqual({ resultCode: '9000', tradeNo, outTradeNo });
    await sandbox.waitFor(() => sandbox.notifications().some((n) => n.outTradeNo === outTradeNo && n.state === 'delivered'));

    const got = receiver.received.filter((r) => r.fields.out_trade_no === outTradeNo);
    expect(got).toHaveLength(1);
    expect(got[0]).toMatchObject({ ok: true, answer: 'success' });
    expect(got[0].notification).toMatchObject({
      outTradeNo,
      tradeNo,
      tradeStatus: 'TRADE_SUCCESS',
      status: 'paid',
      totalFen: 1200,
      receiptFen: 1200,
      buyerOpenId: sandbox.user('driver').openId,
      sellerId: sandbox.sellerId,
      appId: sandbox.app.appId,
    });
    expect(got[0].notification?.gmtPayment).toBeInstanceOf(Date);
    const [n] = sandbox.notifications().filter((x) => x.outTradeNo === outTradeNo);
    expect(n.attempts).toHaveLength(1);
    expect(n.attempts[0]).toMatchObject({ httpStatus: 200, answer: 'success', accepted: true });

    const after = await adapter.query(outTradeNo);
    expect(after).toMatchObject({ tradeStatus: 'TRADE_SUCCESS', status: 'paid', totalFen: 1200, receiptFen: 1200, buyerOpenId: sandbox.user('driver').openId });
    expect(after.paidAt).toBeInstanceOf(Date);
  });

  it('"user cancels" at the cashier: the trade stays WAIT_BUYER_PAY and no notification is sent', async () => {
    const { outTradeNo } = await openTrade();
    expect(sandbox.cancel(outTradeNo)).toEqual({ resultCode: '6001', outTradeNo });
    expect((await adapter.query(outTradeNo)).status).toBe('pending');
    expect(sandbox.notifications().filter((n) => n.outTradeNo === outTradeNo)).toHaveLength(0);
  });

  it('create is idempotent for the same order; a changed order or a paid one is refused', async () => {
    const outTradeNo = no();
    const input = { outTradeNo, subject: 'stay 1', totalFen: 500, buyerOpenId: sandbox.user('driver').openId };
    const first = await adapter.createTrade(input);
    expect(await adapter.createTrade(input)).toEqual(first);

    const changed = await rejection(adapter.createTrade({ ...input, totalFen: 600 }));
    expect(changed).toMatchObject({ kind: 'business', code: '40004', subCode: 'ACQ.CONTEXT_INCONSISTENT', retryable: false });

    sandbox.pay(outTradeNo);
    const paid = await rejection(adapter.createTrade(input));
    expect(paid).toMatchObject({ kind: 'business', subCode: 'ACQ.TRADE_HAS_SUCCESS', status: 'paid', retryable: false });
  });

  it('query of an unknown trade is a typed business error', async () => {
    const e = await rejection(adapter.query(no('NOPE')));
    expect(e).toMatchObject({ kind: 'business', code: '40004', subCode: 'ACQ.TRADE_NOT_EXIST', retryable: false, method: 'alipay.trade.query' });
    expect(e.status).toBeUndefined();
  });

  it('checks arguments before anything goes on the wire', async () => {
    const before = sandbox.requests().length;
    const base = { outTradeNo: no(), subject: 's', totalFen: 100, buyerOpenId: 'x' };
    for (const bad of [
      { ...base, totalFen: 0 },
      { ...base, totalFen: 12.5 },
      { ...base, outTradeNo: 'has space' },
      { ...base, buyerId: '2088000000000001' },
      { outTradeNo: no(), subject: 's', totalFen: 100 },
      { ...base, timeoutExpress: '90s' },
    ]) {
      expect(await rejection(adapter.createTrade(bad))).toMatchObject({ kind: 'invalid_request', retryable: false });
    }
    expect(sandbox.requests().length).toBe(before);
  });
});

describe('close', () => {
  it('closes a waiting trade, and closing it again is success (already_closed)', async () => {
    const { outTradeNo, tradeNo } = await openTrade(800);
    expect(await adapter.close(outTradeNo)).toEqual({ outcome: 'closed', outTradeNo, tradeNo });
    const again = await adapter.close(outTradeNo);
    expect(again.outcome).toBe('already_closed');
    expect((await adapter.query(outTradeNo)).status).toBe('closed');
    // Alipay notifies TRADE_CLOSED too; it reads 'closed', not 'refunded' (never paid).
    await sandbox.waitFor(() => receiver.received.some((r) => r.fields.out_trade_no === outTradeNo));
    const closedNote = receiver.received.find((r) => r.fields.out_trade_no === outTradeNo);
    expect(closedNote?.notification).toMatchObject({ tradeStatus: 'TRADE_CLOSED', status: 'closed' });
  });

  it('a trade that timed out is already_closed; a paid one cannot be closed; an unknown one is not_found', async () => {
    const expired = await openTrade();
    sandbox.expire(expired.outTradeNo);
    expect((await adapter.close(expired.outTradeNo)).outcome).toBe('already_closed');

    const paid = await paidTrade();
    const r = await adapter.close(paid.outTradeNo);
    expect(r.outcome).toBe('paid');
    expect(r.outcome === 'paid' && r.trade.status).toBe('paid');

    const unknown = no('NOPE');
    expect(await adapter.close(unknown)).toEqual({ outcome: 'not_found', outTradeNo: unknown });
  });
});

describe('refund', () => {
  it('refunds in parts, queries each, and the last fen turns the trade to refunded', async () => {
    const { outTradeNo, tradeNo } = await paidTrade(1200);
    const r1 = await adapter.refund({ outTradeNo, outRequestNo: `${outTradeNo}R1`, refundFen: 500, reason: 'overcharge' });
    expect(r1).toEqual({ outTradeNo, tradeNo, outRequestNo: `${outTradeNo}R1`, refundFen: 500, status: 'refunded', fundChange: true, totalRefundedFen: 500 });

    const q1 = await adapter.queryRefund(outTradeNo, `${outTradeNo}R1`);
    expect(q1).toMatchObject({ status: 'refunded', refundFen: 500, totalFen: 1200, tradeNo });
    expect(q1.status === 'refunded' && q1.refundedAt).toBeInstanceOf(Date);
    expect(await adapter.queryRefund(outTradeNo, `${outTradeNo}R9`)).toEqual({ status: 'not_found', outTradeNo, outRequestNo: `${outTradeNo}R9` });
    expect((await adapter.query(outTradeNo)).status).toBe('paid');

    const r2 = await adapter.refund({ outTradeNo, outRequestNo: `${outTradeNo}R2`, refundFen: 700 });
    expect(r2).toMatchObject({ status: 'refunded', fundChange: true, totalRefundedFen: 1200 });
    expect(await adapter.query(outTradeNo)).toMatchObject({ tradeStatus: 'TRADE_CLOSED', status: 'refunded' });

    const r3 = await rejection(adapter.refund({ outTradeNo, outRequestNo: `${outTradeNo}R3`, refundFen: 1 }));
    expect(r3).toMatchObject({ kind: 'business', subCode: 'ACQ.TRADE_HAS_CLOSE', retryable: false });

    // Refund notifications: refund_fee is the running total; the full refund reads 'refunded'.
    await sandbox.waitFor(() => receiver.received.filter((r) => r.fields.out_trade_no === outTradeNo).length >= 3);
    const notes = receiver.received.filter((r) => r.fields.out_trade_no === outTradeNo).map((r) => r.notification);
    expect(notes.map((x) => [x?.tradeStatus, x?.status, x?.refundFen, x?.outBizNo])).toEqual([
      ['TRADE_SUCCESS', 'paid', undefined, undefined],
      ['TRADE_SUCCESS', 'paid', 500, `${outTradeNo}R1`],
      ['TRADE_CLOSED', 'refunded', 1200, `${outTradeNo}R2`],
    ]);
  });

  it('a refund repeated with the same out_request_no returns the earlier result, not a second refund', async () => {
    const { outTradeNo } = await paidTrade(1000);
    const input = { outTradeNo, outRequestNo: `${outTradeNo}R1`, refundFen: 300 };
    const first = await adapter.refund(input);
    const again = await adapter.refund(input);
    expect(first).toMatchObject({ status: 'refunded', fundChange: true, totalRefundedFen: 300 });
    expect(again).toMatchObject({ status: 'refunded', fundChange: false, refundFen: 300, totalRefundedFen: 300 });
    const t = sandbox.trade(outTradeNo);
    expect(t?.refunds).toHaveLength(1);
    expect(t?.refundedFen).toBe(300);

    const changed = await rejection(adapter.refund({ ...input, refundFen: 400 }));
    expect(changed).toMatchObject({ kind: 'business', subCode: 'ACQ.DISCORDANT_REPEAT_REQUEST', retryable: false });
    const tooMuch = await rejection(adapter.refund({ outTradeNo, outRequestNo: `${outTradeNo}R2`, refundFen: 701 }));
    expect(tooMuch).toMatchObject({ subCode: 'ACQ.REASON_TRADE_REFUND_FEE_ERR' });
  });

  it('a refund whose answer timed out (but Alipay made it) is safe to retry with the same out_request_no', async () => {
    // Two seconds: time for the refund to reach Alipay (it is made there) before the adapter gives up.
    const slow = new AlipayAdapter(sandbox.app, { timeoutMs: 2_000 });
    const { outTradeNo } = await paidTrade(900);
    sandbox.inject({ type: 'timeout', method: 'alipay.trade.refund', afterProcessing: true });
    const input = { outTradeNo, outRequestNo: `${outTradeNo}R1`, refundFen: 900 };
    const lost = await rejection(slow.refund(input));
    expect(lost).toMatchObject({ kind: 'timeout', retryable: true });
    const retried = await adapter.refund(input);
    expect(retried).toMatchObject({ status: 'refunded', fundChange: false, totalRefundedFen: 900 });
    expect(sandbox.trade(outTradeNo)?.refunds).toHaveLength(1);
  });

  it('refunding an unpaid trade is refused', async () => {
    const { outTradeNo } = await openTrade();
    const e = await rejection(adapter.refund({ outTradeNo, outRequestNo: 'R1', refundFen: 100 }));
    expect(e).toMatchObject({ kind: 'business', subCode: 'ACQ.TRADE_STATUS_ERROR', retryable: false });
  });
});

describe('precreate (lane QR)', () => {
  it('gives a QR code; the trade does not exist until scanned; whoever scans can pay', async () => {
    const outTradeNo = no('Q');
    receiver.orders.set(outTradeNo, 2000);
    const { qrCode } = await adapter.precreate({ outTradeNo, subject: 'exit lane 2', totalFen: 2000, timeoutExpress: '15m' });
    expect(qrCode).toMatch(/^https:\/\/qr\.alipay\.com\/bax/);
    expect(await rejection(adapter.query(outTradeNo))).toMatchObject({ subCode: 'ACQ.TRADE_NOT_EXIST' });
    expect((await adapter.close(outTradeNo)).outcome).toBe('not_found');

    sandbox.pay(outTradeNo, 'li');
    const t = await adapter.query(outTradeNo);
    expect(t).toMatchObject({ status: 'paid', totalFen: 2000, buyerOpenId: sandbox.user('li').openId });
    await sandbox.waitFor(() => receiver.received.some((r) => r.fields.out_trade_no === outTradeNo && r.ok));
  });
});

describe('oauth (driver login)', () => {
  it('exchanges an auth code for the user; a used or unknown code is isv.code-invalid (a signed error_response)', async () => {
    const code = sandbox.issueAuthCode('zhang');
    const token = await adapter.oauthToken(code);
    expect(token.openId).toBe(sandbox.user('zhang').openId);
    expect(token.userId).toBeUndefined();
    expect(token.accessToken).toMatch(/^authusr/);
    expect(token.expiresInSec).toBeGreaterThan(0);

    // Alipay answers these under error_response, which SDK 4.14 cannot verify; the adapter does it itself.
    const reused = await rejection(adapter.oauthToken(code));
    expect(reused).toMatchObject({ kind: 'business', code: '40002', subCode: 'isv.code-invalid', retryable: false });
    expect(await rejection(adapter.oauthToken('not-a-code'))).toMatchObject({ kind: 'business', subCode: 'isv.code-invalid' });
  });

  it('gives user_id to a user_id-mode app', async () => {
    const legacy = await startAlipaySandbox({ idMode: 'user_id' });
    try {
      const a = new AlipayAdapter(legacy.app);
      const token = await a.oauthToken(legacy.issueAuthCode('zhang'));
      expect(token.userId).toBe(legacy.user('zhang').userId);
      expect(token.userId).toMatch(/^2088\d{12}$/);
    } finally {
      await legacy.stop();
    }
  });
});

describe('configuration', () => {
  it('the sandbox app block has config.ts’s alipay shape', () => {
    const parsed = configSchema.parse({ alipay: sandbox.app });
    expect(parsed.alipay).toEqual({ ...sandbox.app });
  });

  it('refuses unusable keys at construction, never echoing them', () => {
    const bad = [
      { ...sandbox.app, keyType: 'PKCS1' as const }, // a PKCS8 PEM read as PKCS1
      { ...sandbox.app, privateKey: 'not a key' },
      { ...sandbox.app, alipayPublicKey: '' },
      { ...sandbox.app, alipayPublicKey: 'garbage' },
    ];
    for (const cfg of bad) {
      let err: unknown;
      try {
        new AlipayAdapter(cfg);
      } catch (e) {
        err = e;
      }
      expect(err).toBeInstanceOf(AlipayError);
      expect(err).toMatchObject({ kind: 'config', retryable: false });
      expect(JSON.stringify(err) + String(err)).not.toContain(sandbox.app.privateKey.split('\n')[1]);
    }
  });
});
