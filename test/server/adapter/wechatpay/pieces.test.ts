/**
 * The small named pieces on their own: the status switch, header reading, the timestamp window, RSA
 * verification of malformed input, AES-256-GCM with the tag checked, the HTTP client's origin rewrite and
 * header hygiene, WechatPayError classification.
 */
import crypto from 'node:crypto';
import {
  REFUND_STATES,
  TRADE_STATES,
  decryptAes256Gcm,
  mapWechatStatus,
  signedMessage,
  timestampProblem,
  verifyRsaSha256,
} from '../../../../server/src/adapter/wechatpay';
import { httpAnswerError } from '../../../../server/src/adapter/wechatpay/errors';
import { WechatHttpClient } from '../../../../server/src/adapter/wechatpay/http';
import { readSignatureHeaders } from '../../../../server/src/adapter/wechatpay/signature';

describe('mapWechatStatus: the one switch', () => {
  it('maps every trade state', () => {
    expect(Object.fromEntries(TRADE_STATES.map((s) => [s, mapWechatStatus('trade', s)]))).toEqual({
      SUCCESS: 'paid',
      REFUND: 'refunded',
      NOTPAY: 'pending',
      CLOSED: 'closed',
      REVOKED: 'closed',
      USERPAYING: 'pending',
      PAYERROR: 'failed',
    });
  });
  it('maps every refund state', () => {
    expect(Object.fromEntries(REFUND_STATES.map((s) => [s, mapWechatStatus('refund', s)]))).toEqual({
      SUCCESS: 'refunded',
      CLOSED: 'closed',
      PROCESSING: 'pending',
      ABNORMAL: 'failed',
    });
  });
  it('an unknown state never grants anything', () => {
    expect(mapWechatStatus('trade', 'ACCEPTED')).toBe('pending');
    expect(mapWechatStatus('refund', 'NOTPAY')).toBe('pending');
    expect(mapWechatStatus('trade', 'PROCESSING')).toBe('pending');
  });
});

describe('signature pieces', () => {
  const { privateKey, publicKey } = crypto.generateKeyPairSync('rsa', { modulusLength: 2048 });
  const sign = (m: string) => crypto.sign('sha256', Buffer.from(m), privateKey).toString('base64');

  it('signs ts\\nnonce\\nbody\\n (empty body line for a 204)', () => {
    expect(signedMessage('1700000000', 'N', '{"a":1}')).toBe('1700000000\nN\n{"a":1}\n');
    expect(signedMessage('1700000000', 'N', '')).toBe('1700000000\nN\n\n');
  });

  it('verifyRsaSha256: true for the right message, false (never a throw) for anything else', () => {
    const m = signedMessage('1', 'n', 'body');
    const sig = sign(m);
    expect(verifyRsaSha256(publicKey, m, sig)).toBe(true);
    expect(verifyRsaSha256(publicKey, m + ' ', sig)).toBe(false);
    expect(verifyRsaSha256(publicKey, m, 'not base64!')).toBe(false);
    expect(verifyRsaSha256(publicKey, m, '')).toBe(false);
    expect(verifyRsaSha256(publicKey, m, 'WECHATPAY/SIGNTEST/' + sig)).toBe(false);
    expect(verifyRsaSha256(publicKey, m, sig.slice(4))).toBe(false);
  });

  it('timestampProblem: ±5 minutes, digits only', () => {
    const now = 1_800_000_000_000;
    const s = (ms: number) => String(Math.floor(ms / 1000));
    expect(timestampProblem(s(now), now)).toBeUndefined();
    expect(timestampProblem(s(now - 300_000), now)).toBeUndefined();
    expect(timestampProblem(s(now - 301_000), now)).toMatch(/301 s old/);
    expect(timestampProblem(s(now + 301_000), now)).toMatch(/in the future/);
    expect(timestampProblem('17e8', now)).toMatch(/not a number/);
    expect(timestampProblem('', now)).toMatch(/not a number/);
  });

  it('readSignatureHeaders: any case, names what is missing, refuses repeated headers', () => {
    expect(readSignatureHeaders({ 'WECHATPAY-TIMESTAMP': '1', 'wechatpay-nonce': 'n', 'Wechatpay-Signature': 's', 'wechatpay-serial': 'X' })).toEqual({ timestamp: '1', nonce: 'n', signature: 's', serial: 'X' });
    expect(readSignatureHeaders({ 'wechatpay-timestamp': '1' })).toEqual({ missing: ['Wechatpay-Nonce', 'Wechatpay-Signature', 'Wechatpay-Serial'] });
    expect(readSignatureHeaders({ 'wechatpay-timestamp': ['1', '2'], 'wechatpay-nonce': 'n', 'wechatpay-signature': 's', 'wechatpay-serial': 'X' })).toEqual({ missing: ['Wechatpay-Timestamp'] });
  });

  describe('decryptAes256Gcm', () => {
    const key = '0123456789abcdef0123456789ABCDEF';
    const encrypt = (plain: string, aad: string, nonce = 'abcdefghijkl') => {
      const c = crypto.createCipheriv('aes-256-gcm', Buffer.from(key), Buffer.from(nonce));
      c.setAAD(Buffer.from(aad));
      return { ciphertext: Buffer.concat([c.update(plain), c.final(), c.getAuthTag()]).toString('base64'), nonce, associatedData: aad };
    };
    it('opens what was sealed', () => {
      expect(decryptAes256Gcm(key, encrypt('{"ok":true}', 'transaction'))).toBe('{"ok":true}');
      expect(decryptAes256Gcm(key, { ...encrypt('x', ''), associatedData: undefined })).toBe('x');
    });
    it('throws on a flipped bit, a wrong AAD, a wrong nonce, a wrong key, a truncated tag', () => {
      const r = encrypt('{"amount":{"total":100}}', 'transaction');
      const flipped = Buffer.from(r.ciphertext, 'base64');
      flipped[3] ^= 1;
      expect(() => decryptAes256Gcm(key, { ...r, ciphertext: flipped.toString('base64') })).toThrow(/tag check failed/);
      expect(() => decryptAes256Gcm(key, { ...r, associatedData: 'certificate' })).toThrow(/tag check failed/);
      expect(() => decryptAes256Gcm(key, { ...r, nonce: 'abcdefghijkm' })).toThrow(/tag check failed/);
      expect(() => decryptAes256Gcm('1'.repeat(32), r)).toThrow(/tag check failed/);
      expect(() => decryptAes256Gcm(key, { ...r, ciphertext: Buffer.from(r.ciphertext, 'base64').subarray(0, 20).toString('base64') })).toThrow();
      expect(() => decryptAes256Gcm('short', r)).toThrow(/32 bytes/);
      expect(() => decryptAes256Gcm(key, { ...r, ciphertext: 'AAAA' })).toThrow(/shorter than/);
    });
  });
});

describe('WechatHttpClient', () => {
  it('rewrites the SDK origin to the base URL, drops Accept-Encoding, sends the signed bytes, keeps the raw answer', async () => {
    const seen: Array<{ url: string; init: RequestInit }> = [];
    const client = new WechatHttpClient({
      baseUrl: 'http://127.0.0.1:1234/',
      timeoutMs: 1000,
      fetch: async (url, init) => {
        seen.push({ url, init });
        return new Response('{"prepay_id":"wx1"}', { status: 200, headers: { 'Wechatpay-Nonce': 'N', 'Request-ID': 'RID' } });
      },
    });
    const params = { appid: 'wx', amount: { total: 1 }, description: '停车' };
    const out = await client.post('https://api.mch.weixin.qq.com/v3/pay/transactions/jsapi', params, { 'Accept-Encoding': 'gzip', Authorization: 'A', 'Content-Type': 'application/json' });
    expect(seen[0].url).toBe('http://127.0.0.1:1234/v3/pay/transactions/jsapi');
    expect(seen[0].init.body).toBe(JSON.stringify(params));
    expect(seen[0].init.headers).toEqual({ Authorization: 'A', 'Content-Type': 'application/json' });
    expect(seen[0].init.redirect).toBe('manual');
    expect(out.raw).toEqual({ status: 200, headers: expect.objectContaining({ 'wechatpay-nonce': 'N', 'request-id': 'RID' }), text: '{"prepay_id":"wx1"}', requestId: 'RID', request: 'POST /v3/pay/transactions/jsapi' });
    expect(out.data).toEqual({ prepay_id: 'wx1' });
    expect(() => client.rewrite('https://evil.example/v3/x')).toThrow(/refusing/);
  });
});

describe('httpAnswerError', () => {
  it('classifies answers', () => {
    expect(httpAnswerError('q', 404, '{"code":"ORDER_NOT_EXIST","message":"订单不存在"}', 'R', true)).toMatchObject({ kind: 'business', retryable: false, code: 'ORDER_NOT_EXIST', wechatMessage: '订单不存在', requestId: 'R', signed: true });
    expect(httpAnswerError('q', 500, '{"code":"SYSTEM_ERROR","message":"x"}', undefined)).toMatchObject({ kind: 'http', retryable: true });
    expect(httpAnswerError('q', 400, '{"code":"SYSTEM_ERROR","message":"x"}', undefined)).toMatchObject({ kind: 'http', retryable: true });
    expect(httpAnswerError('q', 403, '<html/>', undefined)).toMatchObject({ kind: 'http', retryable: false, code: undefined });
    expect(httpAnswerError('q', 429, '', undefined)).toMatchObject({ kind: 'http', retryable: true });
  });
});
