/**
 * WeChat Pay API v2 付款码支付: the micropay client against the sandbox over HTTP (XML both ways, both sign
 * types), and raw requests to the sandbox for its signature checks (it checks our sign with its own code).
 */
import { createHash, createHmac } from 'node:crypto';
import { WechatPayError } from '../../../../server/src/adapter/wechatpay';
import { WechatMicropayClient } from '../../../../server/src/adapter/wechatpay/micropay';
import { parseV2Answer, signedV2Body, v2Sign } from '../../../../server/src/adapter/wechatpay/micropay-wire';
import { startWechatPaySandbox, type WechatPaySandbox } from '../../../../server/sandbox/wechatpay';
import { wechatV2Sign } from '../../../../server/sandbox/wechatpay/micropay';

let sandbox: WechatPaySandbox;
let client: WechatMicropayClient;
let seq = 0;
const no = () => `FT${Date.now()}${++seq}`.slice(0, 32);

beforeAll(async () => {
  sandbox = await startWechatPaySandbox({ mode: 'publicKey' });
  client = new WechatMicropayClient({ config: sandbox.merchant, timeoutMs: 2_000 });
});
afterAll(async () => {
  await sandbox.stop();
});
afterEach(() => sandbox.clearFaults());

async function rejection(p: Promise<unknown>): Promise<WechatPayError> {
  const e = await p.then(
    () => undefined,
    (err: unknown) => err,
  );
  expect(e).toBeInstanceOf(WechatPayError);
  return e as WechatPayError;
}

async function post(path: string, xml: string): Promise<Record<string, string>> {
  const res = await fetch(`${sandbox.url}${path}`, { method: 'POST', headers: { 'content-type': 'text/xml' }, body: xml });
  expect(res.status).toBe(200);
  return parseV2Answer(await res.text())!;
}

describe('the v2 signature', () => {
  it('the library signature equals WeChat’s rule written out by hand (both types)', () => {
    const p = { appid: 'wx1', mch_id: '123', body: '停车费 粤B12345', empty: '', total_fee: '1', sign: 'IGNORED' };
    const text = 'appid=wx1&body=停车费 粤B12345&mch_id=123&total_fee=1&key=K';
    expect(v2Sign(p, 'K', 'MD5')).toBe(createHash('md5').update(text).digest('hex').toUpperCase());
    expect(v2Sign(p, 'K', 'HMAC-SHA256')).toBe(createHmac('sha256', 'K').update(text).digest('hex').toUpperCase());
    expect(wechatV2Sign(p, 'K', 'HMAC-SHA256')).toBe(v2Sign(p, 'K', 'HMAC-SHA256'));
  });

  const base = () => ({ appid: sandbox.merchant.appId, mch_id: sandbox.merchant.mchId, out_trade_no: 'FTNONE' });

  it('a correctly signed request is answered with signed XML', async () => {
    const a = await post('/pay/orderquery', signedV2Body(base(), sandbox.merchant.apiV2Key!, 'HMAC-SHA256'));
    expect(a).toMatchObject({ return_code: 'SUCCESS', result_code: 'FAIL', err_code: 'ORDERNOTEXIST' });
    expect(a.sign).toBe(wechatV2Sign(a, sandbox.merchant.apiV2Key!, 'HMAC-SHA256'));
  });

  it.each([
    ['another key', (b: Record<string, string>) => signedV2Body(b, 'x'.repeat(32), 'HMAC-SHA256'), '签名错误'],
    ['MD5 sign declared as HMAC-SHA256', (b: Record<string, string>) => {
      const p = { ...b, nonce_str: 'n1', sign_type: 'HMAC-SHA256' };
      return `<xml>${Object.entries({ ...p, sign: wechatV2Sign(p, sandbox.merchant.apiV2Key!, 'MD5') }).map(([k, v]) => `<${k}>${v}</${k}>`).join('')}</xml>`;
    }, '签名错误'],
    ['a field changed after signing', (b: Record<string, string>) => signedV2Body(b, sandbox.merchant.apiV2Key!, 'MD5').replace('FTNONE', 'FTNONF'), '签名错误'],
    ['a lower-case sign', (b: Record<string, string>) => {
      const p = { ...b, nonce_str: 'n2', sign_type: 'MD5' };
      return `<xml>${Object.entries({ ...p, sign: wechatV2Sign(p, sandbox.merchant.apiV2Key!, 'MD5').toLowerCase() }).map(([k, v]) => `<${k}>${v}</${k}>`).join('')}</xml>`;
    }, '签名错误'],
    ['no sign', (b: Record<string, string>) => `<xml>${Object.entries({ ...b, nonce_str: 'n3' }).map(([k, v]) => `<${k}>${v}</${k}>`).join('')}</xml>`, '缺少参数sign'],
    ['an unknown sign_type', (b: Record<string, string>) => signedV2Body(b, sandbox.merchant.apiV2Key!, 'MD5').replace('<sign_type>MD5</sign_type>', '<sign_type>SHA1</sign_type>'), 'sign_type参数错误'],
    ['not XML', () => '{"appid":"wx"}', 'XML格式错误'],
  ])('%s → return_code FAIL, unsigned, nothing done', async (_what, build, msg) => {
    const before = sandbox.micropay.orders.size;
    const a = await post('/pay/orderquery', build(base()));
    expect(a).toEqual({ return_code: 'FAIL', return_msg: msg });
    expect(sandbox.micropay.orders.size).toBe(before);
  });

  it('a micropay signed with the wrong key charges nothing and is reported as a refusal', async () => {
    const wrong = new WechatMicropayClient({ config: { ...sandbox.merchant, apiV2Key: 'y'.repeat(32) } });
    const code = sandbox.micropay.issueCode({ behaviour: 'pay' }).code;
    const outTradeNo = no();
    expect(await wrong.micropay({ outTradeNo, authCode: code, totalFen: 100, description: '停车费' })).toEqual({
      kind: 'refused',
      errCode: 'RETURN_FAIL',
      message: '签名错误',
    });
    expect(sandbox.micropay.orders.has(outTradeNo)).toBe(false);
  });

  it('an answer whose sign does not verify is not believed (bad_signature, retryable)', async () => {
    sandbox.inject({ kind: 'badSignature', path: '/pay/micropay' });
    const code = sandbox.micropay.issueCode({ behaviour: 'pay' }).code;
    const outTradeNo = no();
    const e = await rejection(client.micropay({ outTradeNo, authCode: code, totalFen: 100, description: '停车费' }));
    expect(e).toMatchObject({ kind: 'bad_signature', retryable: true });
    // The money was taken though: the query (signed properly) says so.
    expect(await client.query(outTradeNo)).toMatchObject({ state: 'SUCCESS', totalFen: 100 });
  });

  it('MD5 works the same as HMAC-SHA256', async () => {
    const md5 = new WechatMicropayClient({ config: { ...sandbox.merchant, v2SignType: 'MD5' } });
    const code = sandbox.micropay.issueCode().code;
    expect(await md5.micropay({ outTradeNo: no(), authCode: code, totalFen: 5, description: 'x' })).toMatchObject({ kind: 'paid', totalFen: 5 });
  });
});

describe('micropay, orderquery, reverse', () => {
  it('a code that pays at once → paid, with WeChat’s transaction and time', async () => {
    const pc = sandbox.micropay.issueCode({ behaviour: 'pay', openid: 'oDriver1' });
    const outTradeNo = no();
    const r = await client.micropay({ outTradeNo, authCode: pc.code, totalFen: 1250, description: '停车费 粤B12345' });
    expect(r).toMatchObject({ kind: 'paid', totalFen: 1250, openid: 'oDriver1' });
    if (r.kind !== 'paid') throw new Error('not paid');
    expect(r.transactionId).toMatch(/^4200\d{24}$/);
    expect(Math.abs(r.paidAt.getTime() - Date.now())).toBeLessThan(5_000);
    // The same again: ORDERPAID, which means "ask" (never a second charge).
    expect(await client.micropay({ outTradeNo, authCode: pc.code, totalFen: 1250, description: '停车费 粤B12345' })).toMatchObject({ kind: 'unknown', errCode: 'ORDERPAID' });
    expect(await client.query(outTradeNo)).toMatchObject({ state: 'SUCCESS', transactionId: r.transactionId });
  });

  it('USERPAYING → the user pays → query says SUCCESS', async () => {
    const pc = sandbox.micropay.issueCode({ behaviour: 'password' });
    const outTradeNo = no();
    expect(await client.micropay({ outTradeNo, authCode: pc.code, totalFen: 300, description: 'x' })).toEqual({ kind: 'userpaying' });
    expect(await client.query(outTradeNo)).toEqual({ state: 'USERPAYING' });
    sandbox.micropay.userPays(outTradeNo);
    expect(await client.query(outTradeNo)).toMatchObject({ state: 'SUCCESS', totalFen: 300 });
  });

  it.each([
    ['expired', 'AUTHCODEEXPIRE'],
    ['insufficient', 'NOTENOUGH'],
    ['unsupported', 'NOTSUPORTCARD'],
  ] as const)('a code whose payer is "%s" → refused %s, nothing taken', async (behaviour, errCode) => {
    const pc = sandbox.micropay.issueCode({ behaviour });
    const outTradeNo = no();
    expect(await client.micropay({ outTradeNo, authCode: pc.code, totalFen: 300, description: 'x' })).toMatchObject({ kind: 'refused', errCode });
    expect(await client.query(outTradeNo)).toEqual({ state: 'PAYERROR' });
  });

  it('a code the sandbox never issued, and a used one, are refused', async () => {
    expect(await client.micropay({ outTradeNo: no(), authCode: '134567890123456789', totalFen: 1, description: 'x' })).toMatchObject({ kind: 'refused', errCode: 'AUTH_CODE_INVALID' });
    const pc = sandbox.micropay.issueCode();
    await client.micropay({ outTradeNo: no(), authCode: pc.code, totalFen: 1, description: 'x' });
    expect(await client.micropay({ outTradeNo: no(), authCode: pc.code, totalFen: 1, description: 'x' })).toMatchObject({ kind: 'refused', errCode: 'AUTHCODEEXPIRE' });
  });

  it('reverse: a paid order is refunded (REVOKED), an unpaid one closed, an unknown number blocked; idempotent', async () => {
    const paidNo = no();
    await client.micropay({ outTradeNo: paidNo, authCode: sandbox.micropay.issueCode().code, totalFen: 800, description: 'x' });
    expect(await client.reverse(paidNo)).toEqual({ kind: 'reversed' });
    expect(sandbox.micropay.order(paidNo)).toMatchObject({ state: 'REVOKED', refundedByReverse: true });
    expect(await client.reverse(paidNo)).toEqual({ kind: 'reversed' });
    expect(await client.query(paidNo)).toMatchObject({ state: 'REVOKED' });

    const waitingNo = no();
    await client.micropay({ outTradeNo: waitingNo, authCode: sandbox.micropay.issueCode({ behaviour: 'password' }).code, totalFen: 800, description: 'x' });
    expect(await client.reverse(waitingNo)).toEqual({ kind: 'reversed' });
    expect(() => sandbox.micropay.userPays(waitingNo)).toThrow(/REVOKED/);

    const neverNo = no();
    expect(await client.reverse(neverNo)).toEqual({ kind: 'reversed' });
    expect(await client.micropay({ outTradeNo: neverNo, authCode: sandbox.micropay.issueCode().code, totalFen: 1, description: 'x' })).toMatchObject({ kind: 'refused', errCode: 'ORDERREVERSED' });
  });

  it('reverse answering recall=Y asks to call again', async () => {
    const outTradeNo = no();
    await client.micropay({ outTradeNo, authCode: sandbox.micropay.issueCode().code, totalFen: 1, description: 'x' });
    sandbox.inject({ kind: 'error', status: 200, code: 'SYSTEMERROR', path: '/secapi/pay/reverse' });
    expect(await client.reverse(outTradeNo)).toEqual({ kind: 'recall', errCode: 'SYSTEMERROR', message: '系统超时，请稍后再试' });
    expect(sandbox.micropay.order(outTradeNo).state).toBe('SUCCESS');
    expect(await client.reverse(outTradeNo)).toEqual({ kind: 'reversed' });
  });

  it('transport failures are retryable WechatPayErrors; a micropay that timed out may still have charged', async () => {
    sandbox.inject({ kind: 'timeout', path: '/pay/micropay', applied: true });
    const outTradeNo = no();
    const e = await rejection(client.micropay({ outTradeNo, authCode: sandbox.micropay.issueCode().code, totalFen: 2, description: 'x' }));
    expect(e).toMatchObject({ kind: 'timeout', retryable: true, operation: 'micropay' });
    expect(await client.query(outTradeNo)).toMatchObject({ state: 'SUCCESS' });
    sandbox.inject({ kind: 'http500', path: '/pay/orderquery' });
    expect(await rejection(client.query(outTradeNo))).toMatchObject({ kind: 'http', httpStatus: 500, retryable: true });
    sandbox.inject({ kind: 'reset', path: '/pay/orderquery' });
    expect(await rejection(client.query(outTradeNo))).toMatchObject({ kind: 'network', retryable: true });
  });

  it('bad input is refused before anything is sent', async () => {
    const hits = sandbox.hits('/pay/').length;
    expect(await rejection(client.micropay({ outTradeNo: 'x'.repeat(33), authCode: '134567890123456789', totalFen: 1, description: 'x' }))).toMatchObject({ kind: 'invalid_request' });
    expect(await rejection(client.micropay({ outTradeNo: no(), authCode: '2834567890123456', totalFen: 1, description: 'x' }))).toMatchObject({ kind: 'invalid_request' });
    expect(await rejection(client.micropay({ outTradeNo: no(), authCode: '134567890123456789', totalFen: 0, description: 'x' }))).toMatchObject({ kind: 'invalid_request' });
    expect(sandbox.hits('/pay/').length).toBe(hits);
  });

  it('an https base URL without the client certificate is a configuration error', () => {
    expect(() => new WechatMicropayClient({ config: { ...sandbox.merchant, baseUrl: 'https://api.mch.weixin.qq.com' } })).toThrow(/apiClientCertificate/);
  });

  it('the control API plays the payer over HTTP', async () => {
    const res = await fetch(`${sandbox.url}/__sandbox/micropay/codes`, { method: 'POST', body: JSON.stringify({ behaviour: 'password' }) });
    const { code } = (await res.json()) as { code: string };
    const outTradeNo = no();
    await client.micropay({ outTradeNo, authCode: code, totalFen: 7, description: 'x' });
    const paid = await fetch(`${sandbox.url}/__sandbox/micropay/orders/${outTradeNo}/pay`, { method: 'POST' });
    expect(((await paid.json()) as { state: string }).state).toBe('SUCCESS');
    const again = await fetch(`${sandbox.url}/__sandbox/micropay/orders/${outTradeNo}/pay`, { method: 'POST' });
    expect(again.status).toBe(409);
    const bad = await fetch(`${sandbox.url}/__sandbox/micropay/codes`, { method: 'POST', body: JSON.stringify({ behaviour: 'rich' }) });
    expect(bad.status).toBe(409);
  });
});
