/**
 * Every way a gateway call can fail, each mapped to a typed AlipayError: forged, tampered and unsigned
 * responses (validateSign is on: shown against the bare SDK, which believes them when it is off), our
 * request refused by Alipay (wrong key, wrong app_id, stale timestamp), HTTP errors, timeouts, a dead host,
 * and a genuine answer replayed for another trade.
 */
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { AlipaySdk } from 'alipay-sdk';
import { AlipayAdapter, AlipayError } from '../../../../server/src/adapter/alipay';
import { ManualClock } from '../../../../server/src/core/clock';
import { generateRsaKeyPair, signedResponseBody, startAlipaySandbox, type AlipaySandbox } from '../../../../server/sandbox/alipay';
import { formatChinaTime, parseChinaTime } from '../../../../shared/time';

const alipayKeys = generateRsaKeyPair();
const appKeys = generateRsaKeyPair();
let sandbox: AlipaySandbox;
let adapter: AlipayAdapter;
let seq = 0;
const no = () => `F${Date.now().toString(36)}${++seq}`;

beforeAll(async () => {
  sandbox = await startAlipaySandbox({ keys: { appPrivateKey: appKeys.privateKey, alipayPrivateKey: alipayKeys.privateKey } });
  adapter = new AlipayAdapter(sandbox.app, { timeoutMs: 10_000 });
});
afterAll(() => sandbox.stop());

async function rejection(p: Promise<unknown>): Promise<AlipayError> {
  try {
    await p;
  } catch (e) {
    expect(e).toBeInstanceOf(AlipayError);
    const err = e as AlipayError;
    // Never a key, never the signed URL the SDK puts in its own messages.
    const text = `${err.message} ${JSON.stringify(err)}`;
    expect(text).not.toContain('sign=');
    expect(text).not.toContain(appKeys.privateKey.split('\n')[1]);
    expect(text).not.toContain('PRIVATE KEY');
    return err;
  }
  throw new Error('expected an AlipayError');
}

async function waitingTrade(): Promise<string> {
  const outTradeNo = no();
  await adapter.createTrade({ outTradeNo, subject: 'p', totalFen: 1200, buyerOpenId: sandbox.user('driver').openId });
  return outTradeNo;
}

/** The bare SDK, as a careless integration would use it (China-time timestamp so the sandbox lets it in). */
function bareSdk(): AlipaySdk {
  return new AlipaySdk({ ...sandbox.app, camelcase: false });
}
const chinaNow = () => formatChinaTime(Date.now());

describe('responses that are not Alipay’s', () => {
  it('a forged response (signed with another key) is rejected; the bare SDK without validateSign believes it', async () => {
    const outTradeNo = await waitingTrade();

    sandbox.inject({ type: 'bad_signature', method: 'alipay.trade.query' });
    const believed = await bareSdk().exec('alipay.trade.query', { timestamp: chinaNow(), bizContent: { out_trade_no: outTradeNo } });
    expect(believed).toMatchObject({ code: '10000', trade_status: 'WAIT_BUYER_PAY', out_trade_no: outTradeNo });

    sandbox.inject({ type: 'bad_signature', method: 'alipay.trade.query' });
    await expect(
      bareSdk().exec('alipay.trade.query', { timestamp: chinaNow(), bizContent: { out_trade_no: outTradeNo } }, { validateSign: true }),
    ).rejects.toThrow(/验签失败/);

    sandbox.inject({ type: 'bad_signature', method: 'alipay.trade.query' });
    const e = await rejection(adapter.query(outTradeNo));
    expect(e).toMatchObject({ kind: 'bad_signature', retryable: true, method: 'alipay.trade.query' });
    // The next, genuine answer is fine.
    expect((await adapter.query(outTradeNo)).status).toBe('pending');
  });

  it('a response altered after signing (an amount) is rejected; the bare SDK would read the altered amount', async () => {
    const outTradeNo = await waitingTrade();
    sandbox.inject({ type: 'tampered_response', method: 'alipay.trade.query' });
    const believed = await bareSdk().exec('alipay.trade.query', { timestamp: chinaNow(), bizContent: { out_trade_no: outTradeNo } });
    expect(believed.total_amount).toBe('0.01');

    sandbox.inject({ type: 'tampered_response', method: 'alipay.trade.query' });
    expect(await rejection(adapter.query(outTradeNo))).toMatchObject({ kind: 'bad_signature', retryable: true });
  });

  it('a response without any sign is rejected (the SDK throws a TypeError there; we type it)', async () => {
    const outTradeNo = await waitingTrade();
    sandbox.inject({ type: 'unsigned_response', method: 'alipay.trade.query' });
    expect(await rejection(adapter.query(outTradeNo))).toMatchObject({ kind: 'bad_signature', retryable: true });
  });

  it('a forged error_response is bad_signature, not a business error', async () => {
    sandbox.inject({ type: 'bad_signature', method: 'alipay.system.oauth.token' });
    expect(await rejection(adapter.oauthToken('unknown'))).toMatchObject({ kind: 'bad_signature' });
  });

  it('an adapter with the wrong Alipay public key trusts nothing', async () => {
    const outTradeNo = await waitingTrade();
    const misconfigured = new AlipayAdapter({ ...sandbox.app, alipayPublicKey: generateRsaKeyPair().publicKey });
    expect(await rejection(misconfigured.query(outTradeNo))).toMatchObject({ kind: 'bad_signature' });
  });

  it('a genuine signed answer replayed for another trade is rejected (bad_response)', async () => {
    // A man in the middle holding a genuine, validly signed TRADE_SUCCESS answer about trade A.
    const inner = { code: '10000', msg: 'Success', out_trade_no: 'A-PAID', trade_no: '2026112822001000000000000001', trade_status: 'TRADE_SUCCESS', total_amount: '12.00' };
    const { body } = signedResponseBody('alipay_trade_query_response', inner, alipayKeys.privateKey);
    const server = http.createServer((req, res) => {
      req.resume();
      req.on('end', () => res.end(body));
    });
    await new Promise<void>((r) => server.listen(0, '127.0.0.1', () => r()));
    try {
      const mitm = new AlipayAdapter({ ...sandbox.app, gateway: `http://127.0.0.1:${(server.address() as AddressInfo).port}/gateway.do` });
      expect((await mitm.query('A-PAID')).status).toBe('paid'); // it IS genuine
      const e = await rejection(mitm.query('B-UNPAID'));
      expect(e).toMatchObject({ kind: 'bad_response', retryable: true });
      expect(e.message).toContain('A-PAID');
    } finally {
      server.closeAllConnections();
      await new Promise<void>((r) => server.close(() => r()));
    }
  });
});

describe('requests Alipay refuses', () => {
  it('signed with a key that is not the app’s: 40002 isv.invalid-signature', async () => {
    const wrongKey = new AlipayAdapter({ ...sandbox.app, privateKey: generateRsaKeyPair().privateKey });
    const e = await rejection(wrongKey.query(no()));
    expect(e).toMatchObject({ kind: 'business', code: '40002', subCode: 'isv.invalid-signature', retryable: false });
    expect(sandbox.requests().at(-1)?.outcome).toBe('isv.invalid-signature');
  });

  it('another app_id: 40002 isv.invalid-app-id', async () => {
    const other = new AlipayAdapter({ ...sandbox.app, appId: '2021000000009999' });
    expect(await rejection(other.query(no()))).toMatchObject({ kind: 'business', code: '40002', subCode: 'isv.invalid-app-id' });
  });

  it('a timestamp outside the window: 40002 isv.invalid-timestamp; the adapter stamps China time whatever the host zone', async () => {
    const late = new AlipayAdapter(sandbox.app, { clock: new ManualClock(Date.now() - 20 * 60_000) });
    expect(await rejection(late.query(no()))).toMatchObject({ kind: 'business', subCode: 'isv.invalid-timestamp' });
    const sent = sandbox.requests().at(-1)?.params.timestamp ?? '';
    expect(sent).toMatch(/^\d{4}-\d{2}-\d{2} \d{2}:\d{2}:\d{2}$/);
    expect(Math.abs(parseChinaTime(sent).getTime() - (Date.now() - 20 * 60_000))).toBeLessThan(5000);
  });
});

describe('transport failures', () => {
  it('HTTP 5xx is retryable, 4xx is not', async () => {
    sandbox.inject({ type: 'http', status: 500 });
    expect(await rejection(adapter.query(no()))).toMatchObject({ kind: 'http', httpStatus: 500, retryable: true });
    sandbox.inject({ type: 'http', status: 502 });
    expect(await rejection(adapter.query(no()))).toMatchObject({ kind: 'http', httpStatus: 502, retryable: true });
    sandbox.inject({ type: 'http', status: 403 });
    expect(await rejection(adapter.query(no()))).toMatchObject({ kind: 'http', httpStatus: 403, retryable: false });
  });

  it('no answer within the timeout is a retryable timeout', async () => {
    sandbox.inject({ type: 'timeout' });
    const started = Date.now();
    // Two seconds: time for the request to reach the sandbox and use up the fault (else the next call meets it).
    expect(await rejection(new AlipayAdapter(sandbox.app, { timeoutMs: 2_000 }).query(no()))).toMatchObject({ kind: 'timeout', retryable: true });
    // The held answer would never come: giving up is the adapter's own timeout.
    expect(Date.now() - started).toBeLessThan(10_000);
  });

  it('a dead host is a retryable network error', async () => {
    const server = http.createServer();
    await new Promise<void>((r) => server.listen(0, '127.0.0.1', () => r()));
    const port = (server.address() as AddressInfo).port;
    await new Promise<void>((r) => server.close(() => r()));
    const dead = new AlipayAdapter({ ...sandbox.app, gateway: `http://127.0.0.1:${port}/gateway.do` });
    expect(await rejection(dead.query(no()))).toMatchObject({ kind: 'network', retryable: true });
  });

  it('a transient business error (ACQ.SYSTEM_ERROR, 20000 isp.unknow-error) is retryable', async () => {
    const outTradeNo = await waitingTrade();
    sandbox.inject({ type: 'business_error', method: 'alipay.trade.close' });
    expect(await rejection(adapter.close(outTradeNo))).toMatchObject({ kind: 'business', code: '40004', subCode: 'ACQ.SYSTEM_ERROR', retryable: true });
    sandbox.inject({ type: 'business_error', subCode: 'isp.unknow-error' });
    expect(await rejection(adapter.query(outTradeNo))).toMatchObject({ kind: 'business', code: '20000', subCode: 'isp.unknow-error', retryable: true });
    sandbox.inject({ type: 'business_error', code: '20000', subCode: 'isp.something-new' });
    // An unknown sub_code falls back to its code: 20000 is still transient.
    expect(await rejection(adapter.query(outTradeNo))).toMatchObject({ code: '20000', subCode: 'isp.something-new', retryable: true });
    // And the retry works.
    expect((await adapter.close(outTradeNo)).outcome).toBe('closed');
  });
});
