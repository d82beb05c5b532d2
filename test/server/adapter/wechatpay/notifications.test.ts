/**
 * Notification verification, one test per way it must fail (stripe-node's webhook tests, WeChat flavour),
 * in both verification modes. Notifications come from the sandbox's own signer (makeNotification) or from
 * its real deliveries with a fault injected.
 */
import crypto from 'node:crypto';
import Pay from 'wechatpay-node-v3';
import { ManualClock } from '../../../../server/src/core/clock';
import {
  WechatPayAdapter,
  WechatPayError,
  checkTransactionMatches,
  type WechatTransaction,
} from '../../../../server/src/adapter/wechatpay';
import { startWechatPaySandbox, type WechatPaySandbox } from '../../../../server/sandbox/wechatpay';
import { NotifyReceiver } from '../../sandbox/wechatpay/receiver';
import { waitUntil } from '../../../support/eventually';

const MODES = ['platformCertificate', 'publicKey'] as const;

async function rejection(p: Promise<unknown>): Promise<WechatPayError> {
  const e = await p.then(
    () => undefined,
    (err: unknown) => err,
  );
  expect(e).toBeInstanceOf(WechatPayError);
  return e as WechatPayError;
}

/** The SDK's own decipher_gcm, as a careless integration would call it. */
function sdkDecipher(apiV3Key: string, resource: { ciphertext: string; associated_data: string; nonce: string }): unknown {
  const sdk = new Pay({ appid: 'wx', mchid: '1', serial_no: 'X', publicKey: Buffer.from('x'), privateKey: Buffer.from('x'), key: apiV3Key });
  return sdk.decipher_gcm(resource.ciphertext, resource.associated_data, resource.nonce, apiV3Key);
}

describe.each(MODES)('notification verification (%s mode)', (mode) => {
  let sandbox: WechatPaySandbox;
  let adapter: WechatPayAdapter;
  let receiver: NotifyReceiver;
  const clock = new ManualClock(Date.now());
  const outTradeNo = `NTF${mode === 'publicKey' ? 'P' : 'C'}2026112800001`;

  beforeAll(async () => {
    receiver = await new NotifyReceiver().start();
    sandbox = await startWechatPaySandbox({ mode, clock, timeScale: 1000 });
    adapter = new WechatPayAdapter({ config: { ...sandbox.merchant, notifyUrl: receiver.url }, clock });
    await adapter.createJsapiOrder({ outTradeNo, description: '停车费', totalFen: 100, payerOpenId: 'oPayer' });
    sandbox.pay(outTradeNo);
    await sandbox.notificationsSettled();
  });
  afterAll(async () => {
    await sandbox.stop();
    await receiver.stop();
  });

  const verify = (n: { headers: Record<string, string>; body: string }) => adapter.verifyNotification({ headers: n.headers, rawBody: n.body });

  it('accepts a genuine notification (headers in any case, body as string or Buffer)', async () => {
    const n = sandbox.makeNotification({ outTradeNo });
    const ok = await verify(n);
    expect(ok).toMatchObject({ id: n.id, eventType: 'TRANSACTION.SUCCESS', status: 'paid', transaction: { out_trade_no: outTradeNo, amount: { total: 100 } } });
    const lower = Object.fromEntries(Object.entries(n.headers).map(([k, v]) => [k.toLowerCase(), v]));
    await expect(adapter.verifyNotification({ headers: lower, rawBody: Buffer.from(n.body) })).resolves.toMatchObject({ id: n.id });
    await expect(adapter.verifyNotification({ headers: new Headers(n.headers), rawBody: n.body })).resolves.toMatchObject({ id: n.id });
  });

  it('rejects a forged signature (signed by another key, right serial)', async () => {
    const forger = crypto.generateKeyPairSync('rsa', { modulusLength: 2048 }).privateKey;
    const e = await rejection(verify(sandbox.makeNotification({ outTradeNo }, { signWith: forger })));
    expect(e).toMatchObject({ kind: 'bad_signature', verification: 'signature', operation: 'notification', retryable: false });
  });

  it('rejects a body altered after signing', async () => {
    const n = sandbox.makeNotification({ outTradeNo });
    expect(await rejection(verify({ ...n, body: n.body.replace('"TRANSACTION.SUCCESS"', '"TRANSACTION.SUCCESS" ') }))).toMatchObject({ verification: 'signature' });
    // Re-serialized JSON (what a framework's parsed body gives) is not the signed text either.
    expect(await rejection(verify({ ...n, body: JSON.stringify(JSON.parse(n.body), null, 1) }))).toMatchObject({ verification: 'signature' });
  });

  it('rejects a wrong serial', async () => {
    const before = sandbox.hits('/v3/certificates').length;
    const n = sandbox.makeNotification({ outTradeNo }, { serial: mode === 'publicKey' ? 'PUB_KEY_ID_0112300001092026112800000000' : '5157F09EFDC096DE15EBE81A47057A7232FE0000' });
    expect(await rejection(verify(n))).toMatchObject({ kind: 'bad_signature', verification: 'unknown_serial' });
    // Public-key mode never asks /v3/certificates; certificate mode does not re-fetch within a minute.
    expect(sandbox.hits('/v3/certificates').length).toBe(before);
  });

  it('rejects a missing header and a non-RSA signature type', async () => {
    const n = sandbox.makeNotification({ outTradeNo });
    const { 'Wechatpay-Nonce': _drop, ...noNonce } = n.headers;
    expect(await rejection(verify({ ...n, headers: noNonce }))).toMatchObject({ verification: 'missing_headers' });
    expect(await rejection(verify({ ...n, headers: { ...n.headers, 'Wechatpay-Signature-Type': 'WECHATPAY2-SM2-WITH-SM3' } }))).toMatchObject({ verification: 'unsupported_signature_type' });
  });

  it('rejects a timestamp 6 minutes old (and 6 minutes ahead), accepts 4 minutes', async () => {
    expect(await rejection(verify(sandbox.makeNotification({ outTradeNo }, { timestampOffsetMs: -6 * 60_000 })))).toMatchObject({ kind: 'bad_signature', verification: 'timestamp' });
    expect(await rejection(verify(sandbox.makeNotification({ outTradeNo }, { timestampOffsetMs: 6 * 60_000 })))).toMatchObject({ verification: 'timestamp' });
    await expect(verify(sandbox.makeNotification({ outTradeNo }, { timestampOffsetMs: -4 * 60_000 }))).resolves.toMatchObject({ status: 'paid' });
  });

  it('rejects a WeChat signature probe (Wechatpay-Signature: WECHATPAY/SIGNTEST/…)', async () => {
    const n = sandbox.makeNotification({ outTradeNo });
    expect(await rejection(verify({ ...n, headers: { ...n.headers, 'Wechatpay-Signature': 'WECHATPAY/SIGNTEST/' + n.headers['Wechatpay-Signature'] } }))).toMatchObject({ verification: 'signature' });
  });

  it('rejects tampered ciphertext (GCM tag) — which the SDK’s decipher_gcm accepts, with a changed amount', async () => {
    const n = sandbox.makeNotification({ outTradeNo }, { tamper: 'ciphertext' });
    const e = await rejection(verify(n));
    expect(e).toMatchObject({ kind: 'bad_signature', verification: 'decrypt' });
    const resource = JSON.parse(n.body).resource;
    const fromSdk = sdkDecipher(sandbox.merchant.apiV3Key, resource) as WechatTransaction;
    expect(fromSdk.out_trade_no).toBe(outTradeNo);
    expect(fromSdk.amount?.total).toBe(900); // paid 100 fen; CTR malleability turned it into 900
  });

  it('rejects wrong associated_data — which the SDK’s decipher_gcm also accepts', async () => {
    const n = sandbox.makeNotification({ outTradeNo }, { tamper: 'aad' });
    expect(await rejection(verify(n))).toMatchObject({ kind: 'bad_signature', verification: 'decrypt' });
    const resource = JSON.parse(n.body).resource;
    expect(resource.associated_data).not.toBe('transaction');
    expect(sdkDecipher(sandbox.merchant.apiV3Key, resource)).toMatchObject({ out_trade_no: outTradeNo, amount: { total: 100 } });
  });

  it('rejects a notification decrypted with another merchant’s APIv3 key', async () => {
    const other = new WechatPayAdapter({ config: { ...sandbox.merchant, apiV3Key: 'A'.repeat(32) }, clock });
    const n = sandbox.makeNotification({ outTradeNo });
    const e = await rejection(other.verifyNotification({ headers: n.headers, rawBody: n.body }));
    if (mode === 'publicKey') {
      expect(e).toMatchObject({ verification: 'decrypt' });
    } else {
      // With the wrong key even the platform certificates do not decrypt: no serial can be trusted.
      expect(e).toMatchObject({ verification: 'unknown_serial' });
      expect(e.message).toMatch(/AEAD tag check failed/);
    }
  });

  it('checkTransactionMatches catches amount, appid, mchid and out_trade_no mismatches', async () => {
    const { transaction } = await verify(sandbox.makeNotification({ outTradeNo }));
    const expected = { appid: sandbox.merchant.appId, mchid: sandbox.merchant.mchId, outTradeNo, totalFen: 100 };
    expect(checkTransactionMatches(transaction, expected)).toEqual({ ok: true });
    expect(checkTransactionMatches(transaction, { ...expected, totalFen: 99 })).toEqual({ ok: false, mismatches: [{ field: 'amount.total', expected: 99, actual: 100 }] });
    expect(checkTransactionMatches(transaction, { ...expected, appid: 'wxOTHER' })).toEqual({ ok: false, mismatches: [{ field: 'appid', expected: 'wxOTHER', actual: sandbox.merchant.appId }] });
    expect(checkTransactionMatches(transaction, { ...expected, mchid: '1900000109' })).toEqual({ ok: false, mismatches: [{ field: 'mchid', expected: '1900000109', actual: sandbox.merchant.mchId }] });
    expect(checkTransactionMatches(transaction, { ...expected, outTradeNo: 'OTHER0001' })).toEqual({ ok: false, mismatches: [{ field: 'out_trade_no', expected: 'OTHER0001', actual: outTradeNo }] });
    const { amount: _a, ...noAmount } = transaction;
    expect(checkTransactionMatches(noAmount, expected)).toMatchObject({ ok: false, mismatches: [{ field: 'amount.total', actual: undefined }] });
  });

  it('a delivered notification with tampered ciphertext is refused by the receiver, and WeChat retries it', async () => {
    const no = `NTT${mode === 'publicKey' ? 'P' : 'C'}2026112800002`;
    await adapter.createJsapiOrder({ outTradeNo: no, description: 'd', totalFen: 100, payerOpenId: 'o' });
    receiver.deliveries.length = 0;
    const outcomes: string[] = [];
    receiver.handler = async (d) => {
      try {
        await adapter.verifyNotification({ headers: d.headers, rawBody: d.rawBody });
        outcomes.push('ok');
        return { status: 204 };
      } catch (e) {
        outcomes.push((e as WechatPayError).verification ?? 'error');
        return { status: 401, body: JSON.stringify({ code: 'FAIL', message: '验签失败' }) };
      }
    };
    sandbox.inject({ kind: 'tamperNotification', tamper: 'ciphertext' });
    sandbox.pay(no);
    // First attempt at once, the retry 15 s later = 15 ms at timeScale 1000.
    await waitUntil(() => (sandbox.notifications().find((n) => n.outTradeNo === no)?.attempts.length ?? 0) >= 2);
    receiver.handler = undefined;
    expect(outcomes.slice(0, 2)).toEqual(['decrypt', 'decrypt']);
    const record = sandbox.notifications().find((n) => n.outTradeNo === no);
    expect(record?.tampered).toBe('ciphertext');
    expect(record?.attempts.slice(0, 2).map((a) => [a.status, a.ok])).toEqual([[401, false], [401, false]]);
    expect(receiver.deliveries[0].rawBody).toBe(receiver.deliveries[1].rawBody);
  });
});
