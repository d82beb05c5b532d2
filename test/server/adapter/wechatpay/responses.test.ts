/**
 * Answers from WeChat Pay (the sandbox) that must NOT be believed, transport failures and their retryable
 * flags, requests the sandbox refuses (401), platform-certificate fetching and caching, public-key mode's
 * silence towards /v3/certificates, and secrets kept out of errors and logs.
 */
import crypto from 'node:crypto';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import util from 'node:util';
import { ManualClock } from '../../../../server/src/core/clock';
import { CertificateStore, WechatPayAdapter, WechatPayError } from '../../../../server/src/adapter/wechatpay';
import { startWechatPaySandbox, type WechatPaySandbox } from '../../../../server/sandbox/wechatpay';

const MODES = ['platformCertificate', 'publicKey'] as const;
const NOTIFY = 'https://parkpay.example/wechatpay/notify';

async function rejection(p: Promise<unknown>): Promise<WechatPayError> {
  const e = await p.then(
    () => undefined,
    (err: unknown) => err,
  );
  expect(e).toBeInstanceOf(WechatPayError);
  return e as WechatPayError;
}

type Rewrite = (a: { url: string; status: number; headers: Headers; text: string }) => { headers?: Headers; text?: string } | void;

/** A fetch that lets a test alter answers on the way back (a man in the middle). */
function mitmFetch(rewrite: Rewrite) {
  return async (url: string, init: RequestInit): Promise<Response> => {
    const res = await fetch(url, init);
    const text = await res.text();
    const headers = new Headers(res.headers);
    const out = rewrite({ url, status: res.status, headers, text }) ?? {};
    const body = res.status === 204 ? null : (out.text ?? text);
    return new Response(body, { status: res.status, headers: out.headers ?? headers });
  };
}

let seq = 0;
const no = () => `RS${Date.now()}${++seq}`;
const order = (a: WechatPayAdapter, outTradeNo = no()) => a.createJsapiOrder({ outTradeNo, description: 'd', totalFen: 100, payerOpenId: 'o' });

describe.each(MODES)('answers, transport and request refusals (%s mode)', (mode) => {
  let sandbox: WechatPaySandbox;
  let adapter: WechatPayAdapter;
  const make = (extra: Partial<ConstructorParameters<typeof WechatPayAdapter>[0]> = {}, config: Record<string, unknown> = {}) =>
    new WechatPayAdapter({ config: { ...sandbox.merchant, notifyUrl: NOTIFY, ...config }, ...extra });

  beforeAll(async () => {
    sandbox = await startWechatPaySandbox({ mode });
    adapter = make();
  });
  afterEach(() => sandbox.clearFaults());
  afterAll(() => sandbox.stop());

  it('a wrongly signed answer → bad_signature (retryable); the order WAS created, asking again is harmless', async () => {
    const outTradeNo = no();
    sandbox.inject({ kind: 'badSignature', path: '/v3/pay/transactions/jsapi' });
    const e = await rejection(order(adapter, outTradeNo));
    expect(e).toMatchObject({ kind: 'bad_signature', verification: 'signature', operation: 'jsapi', retryable: true });
    expect(sandbox.orders().some((o) => o.outTradeNo === outTradeNo)).toBe(true);
    const again = await order(adapter, outTradeNo);
    expect(again.prepayId).toBe(sandbox.orders().find((o) => o.outTradeNo === outTradeNo)?.prepayId);
  });

  it('a 2xx without signature headers is refused; a 204 is verified over an empty body', async () => {
    const strip = make({ fetch: mitmFetch(({ headers }) => { for (const h of ['wechatpay-signature', 'wechatpay-nonce', 'wechatpay-timestamp', 'wechatpay-serial']) headers.delete(h); }) });
    expect(await rejection(order(strip))).toMatchObject({ kind: 'bad_signature', verification: 'missing_headers', retryable: true });
    const outTradeNo = no();
    await order(adapter, outTradeNo);
    sandbox.inject({ kind: 'badSignature', path: `/v3/pay/transactions/out-trade-no/${outTradeNo}/close` });
    expect(await rejection(adapter.close(outTradeNo))).toMatchObject({ kind: 'bad_signature', verification: 'signature', operation: 'close' });
    expect(await adapter.close(outTradeNo)).toEqual({ alreadyClosed: false });
  });

  it('an answer timestamped 6 minutes ago is refused', async () => {
    const stale = make({ fetch: mitmFetch(({ headers }) => { headers.set('wechatpay-timestamp', String(Number(headers.get('wechatpay-timestamp')) - 360)); }) });
    expect(await rejection(order(stale))).toMatchObject({ kind: 'bad_signature', verification: 'timestamp' });
  });

  it('an answer claiming another serial is refused', async () => {
    const serial = mode === 'publicKey' ? 'PUB_KEY_ID_0112300001092026112899999999' : 'ABCDEF0123456789ABCDEF0123456789ABCDEF01';
    const other = make({ fetch: mitmFetch(({ url, headers }) => { if (!url.endsWith('/v3/certificates')) headers.set('wechatpay-serial', serial); }) });
    expect(await rejection(order(other))).toMatchObject({ kind: 'bad_signature', verification: 'unknown_serial' });
  });

  it('5xx, 429 and SYSTEM_ERROR are retryable http errors; a business refusal is not', async () => {
    sandbox.inject({ kind: 'http500' });
    expect(await rejection(order(adapter))).toMatchObject({ kind: 'http', httpStatus: 500, code: 'SYSTEM_ERROR', retryable: true, signed: true });
    sandbox.inject({ kind: 'error', status: 429, code: 'FREQUENCY_LIMITED', message: '频率超限' });
    expect(await rejection(adapter.queryByOutTradeNo('NOSUCH0001'))).toMatchObject({ kind: 'http', httpStatus: 429, code: 'FREQUENCY_LIMITED', retryable: true });
    expect(await rejection(adapter.queryByOutTradeNo('NOSUCH0001'))).toMatchObject({ kind: 'business', retryable: false });
  });

  it('a 502 page from a gateway (unsigned, not JSON) is a retryable http error', async () => {
    const gateway = make({ fetch: async () => new Response('<html>502 Bad Gateway</html>', { status: 502 }) });
    expect(await rejection(order(gateway))).toMatchObject({ kind: 'http', httpStatus: 502, retryable: true, signed: false });
  });

  it('no answer within the timeout → timeout (retryable), after about timeoutMs', async () => {
    // Two seconds: time for the request to reach the sandbox (it is applied there) before the adapter gives up.
    const quick = make({ timeoutMs: 2_000 });
    const outTradeNo = no();
    sandbox.inject({ kind: 'timeout', applied: true, path: '/v3/pay/transactions/jsapi' });
    const t0 = performance.now();
    const e = await rejection(order(quick, outTradeNo));
    const ms = performance.now() - t0;
    expect(e).toMatchObject({ kind: 'timeout', operation: 'jsapi', retryable: true });
    expect(ms).toBeGreaterThanOrEqual(1_990);
    // The held answer would never come: giving up is the adapter's own timeout.
    expect(ms).toBeLessThan(10_000);
    // It was applied although we never heard: the retry gets the same prepay_id (asked with the usual timeout).
    expect((await order(make(), outTradeNo)).prepayId).toBe(sandbox.orders().find((o) => o.outTradeNo === outTradeNo)?.prepayId);
  });

  it('a dropped connection and a refused connection → network (retryable)', async () => {
    sandbox.inject({ kind: 'reset' });
    expect(await rejection(order(adapter))).toMatchObject({ kind: 'network', retryable: true });
    const closed = http.createServer();
    await new Promise<void>((r) => closed.listen(0, '127.0.0.1', r));
    const port = (closed.address() as AddressInfo).port;
    await new Promise<void>((r) => closed.close(() => r()));
    const nowhere = make({}, { baseUrl: `http://127.0.0.1:${port}` });
    const e = await rejection(order(nowhere));
    expect(e).toMatchObject({ kind: 'network', retryable: true });
    expect(e.message).toMatch(/ECONNREFUSED/);
  });

  it('the sandbox refuses our request signed with the wrong key / for another mchid / 6 minutes old: 401 SIGN_ERROR, unsigned, not retryable', async () => {
    const otherKey = crypto.generateKeyPairSync('rsa', { modulusLength: 2048 }).privateKey.export({ type: 'pkcs8', format: 'pem' }).toString();
    const cases = [
      make({}, { merchantPrivateKey: otherKey }),
      make({}, { mchId: '1900000109' }),
      make({ clock: new ManualClock(Date.now() - 6 * 60_000) }),
      make({}, { merchantSerialNo: 'ABCDEF' }),
    ];
    for (const a of cases) {
      const e = await rejection(a.queryByOutTradeNo('ANY0000001'));
      expect(e).toMatchObject({ kind: 'business', httpStatus: 401, code: 'SIGN_ERROR', signed: false, retryable: false });
    }
    expect(sandbox.hits().filter((h) => h.status === 401).length).toBeGreaterThanOrEqual(4);
  });

  it('keeps keys out of errors, logs and printed objects', async () => {
    const logs: unknown[] = [];
    const logger = { debug: (o: object, m: string) => logs.push([o, m]), warn: (o: object, m: string) => logs.push([o, m]) };
    const logged = make({ logger });
    const errors: unknown[] = [];
    await order(logged);
    sandbox.inject({ kind: 'badSignature' });
    errors.push(await rejection(order(logged)));
    sandbox.inject({ kind: 'http500' });
    errors.push(await rejection(order(logged)));
    errors.push(await rejection(make({}, { merchantPrivateKey: crypto.generateKeyPairSync('rsa', { modulusLength: 2048 }).privateKey.export({ type: 'pkcs8', format: 'pem' }).toString() }).queryByOutTradeNo('ANY0000001')));
    const n = sandbox.makeNotification({ outTradeNo: sandbox.orders()[0].outTradeNo }, { tamper: 'ciphertext' });
    errors.push(await rejection(logged.verifyNotification({ headers: n.headers, rawBody: n.body })));
    const text = [
      ...errors.map((e) => `${String(e)} ${JSON.stringify(e)} ${util.inspect(e, { depth: 5 })}`),
      JSON.stringify(logs),
      util.inspect(logged, { depth: 5 }),
      JSON.stringify(logged),
    ].join('\n');
    const privateKeyBody = sandbox.merchant.merchantPrivateKey.split('\n')[5];
    expect(text).not.toContain(sandbox.merchant.apiV3Key);
    expect(text).not.toContain(privateKeyBody);
    expect(text).not.toMatch(/WECHATPAY2-SHA256-RSA2048 mchid=/);
    expect(logs.length).toBeGreaterThan(0);
  });
});

describe('platform certificate mode: /v3/certificates fetched once, cached, refreshed on rotation', () => {
  let sandbox: WechatPaySandbox;
  const clock = new ManualClock(Date.now());
  beforeAll(async () => {
    sandbox = await startWechatPaySandbox({ mode: 'platformCertificate', clock });
  });
  afterAll(() => sandbox.stop());
  const make = (fetchImpl?: ReturnType<typeof mitmFetch>) => new WechatPayAdapter({ config: { ...sandbox.merchant, notifyUrl: NOTIFY }, clock, fetch: fetchImpl });

  it('fetches once for many answers and notifications, also when the first calls run concurrently', async () => {
    const before = sandbox.hits('/v3/certificates').length;
    const a = make();
    await Promise.all([order(a), order(a), order(a)]);
    const outTradeNo = no();
    await order(a, outTradeNo);
    await a.queryByOutTradeNo(outTradeNo);
    sandbox.pay(outTradeNo);
    const n = sandbox.makeNotification({ outTradeNo });
    await a.verifyNotification({ headers: n.headers, rawBody: n.body });
    expect(sandbox.hits('/v3/certificates').length - before).toBe(1);
    const store = a.platformKeys as CertificateStore;
    expect(store.fetches).toBe(1);
    expect(store.serials()).toEqual([sandbox.platform().serial]);
  });

  it('a rotated certificate: an unknown serial refreshes once (not within a minute of the last fetch)', async () => {
    const a = make();
    await order(a);
    const before = sandbox.hits('/v3/certificates').length;
    const newSerial = await sandbox.rotatePlatformKey();
    // Within the minute: no refetch, the answer is refused.
    expect(await rejection(order(a))).toMatchObject({ verification: 'unknown_serial' });
    expect(sandbox.hits('/v3/certificates').length).toBe(before);
    clock.advance(61_000);
    await order(a);
    await order(a);
    expect(sandbox.hits('/v3/certificates').length).toBe(before + 1);
    expect((a.platformKeys as CertificateStore).serials()).toContain(newSerial);
  });

  it('refuses certificates whose GCM tag fails, and a certificates answer with a bad signature', async () => {
    const flip = (text: string) => {
      const body = JSON.parse(text);
      const ct = Buffer.from(body.data[0].encrypt_certificate.ciphertext, 'base64');
      ct[10] ^= 1;
      body.data[0].encrypt_certificate.ciphertext = ct.toString('base64');
      return JSON.stringify(body);
    };
    const tampered = make(mitmFetch(({ url, text }) => (url.endsWith('/v3/certificates') ? { text: flip(text) } : undefined)));
    const e1 = await rejection(order(tampered));
    expect(e1).toMatchObject({ operation: 'certificates', kind: 'bad_signature', verification: 'decrypt' });
    const resigned = make(mitmFetch(({ url, headers }) => { if (url.endsWith('/v3/certificates')) headers.set('wechatpay-nonce', 'OTHERNONCE'); }));
    expect(await rejection(order(resigned))).toMatchObject({ operation: 'certificates', verification: 'signature' });
  });
});

describe('public-key mode never calls /v3/certificates', () => {
  it('zero hits over orders, queries, notifications and an unknown serial', async () => {
    const sandbox = await startWechatPaySandbox({ mode: 'publicKey' });
    try {
      const a = new WechatPayAdapter({ config: { ...sandbox.merchant, notifyUrl: NOTIFY } });
      const outTradeNo = no();
      await order(a, outTradeNo);
      await a.queryByOutTradeNo(outTradeNo);
      sandbox.pay(outTradeNo);
      const n = sandbox.makeNotification({ outTradeNo });
      await a.verifyNotification({ headers: n.headers, rawBody: n.body });
      await rejection(a.verifyNotification({ headers: { ...n.headers, 'Wechatpay-Serial': 'PUB_KEY_ID_0000' }, rawBody: n.body }));
      expect(sandbox.hits('/v3/certificates')).toEqual([]);
      expect(sandbox.hits().length).toBeGreaterThanOrEqual(2);
    } finally {
      await sandbox.stop();
    }
  });
});
