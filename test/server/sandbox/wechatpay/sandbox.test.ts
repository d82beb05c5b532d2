/**
 * The WeChat Pay sandbox on its own, driven by raw HTTP requests signed here (not by the adapter or the
 * SDK), so its checks are tested independently: request-signature refusals, signed answers, certificates,
 * business rules, the notification retry schedule (compressed), the control API and fault handling.
 */
import crypto from 'node:crypto';
import { ManualClock } from '../../../../server/src/core/clock';
import {
  SandboxControlError,
  SandboxSetupError,
  WECHAT_NOTIFY_RETRY_INTERVALS_MS,
  startWechatPaySandbox,
  type WechatPaySandbox,
} from '../../../../server/sandbox/wechatpay';
import { waitUntil } from '../../../support/eventually';
import { NotifyReceiver } from './receiver';

interface Signed {
  method?: 'GET' | 'POST';
  path: string;
  body?: unknown;
  mchid?: string;
  serial?: string;
  timestampOffsetS?: number;
  key?: crypto.KeyObject | string;
  /** Change the body after signing. */
  sendBody?: string;
  /** Change the path after signing. */
  sendPath?: string;
  quoted?: boolean;
  authorization?: string | null;
}

async function call(sb: WechatPaySandbox, o: Signed) {
  const method = o.method ?? (o.body === undefined ? 'GET' : 'POST');
  const body = o.body === undefined ? '' : JSON.stringify(o.body);
  const ts = String(Math.floor(Date.now() / 1000) + (o.timestampOffsetS ?? 0));
  const nonce = crypto.randomBytes(16).toString('hex');
  const signature = crypto.sign('sha256', Buffer.from(`${method}\n${o.path}\n${ts}\n${nonce}\n${body}\n`), o.key ?? sb.merchant.merchantPrivateKey).toString('base64');
  const fields = { mchid: o.mchid ?? sb.merchant.mchId, nonce_str: nonce, timestamp: ts, serial_no: o.serial ?? sb.merchant.merchantSerialNo, signature };
  const q = o.quoted === false ? '' : '"';
  const auth = `WECHATPAY2-SHA256-RSA2048 ${Object.entries(fields).map(([k, v]) => `${k}=${q}${v}${q}`).join(',')}`;
  const headers: Record<string, string> = { Accept: 'application/json' };
  if (o.authorization !== null) headers.Authorization = o.authorization ?? auth;
  if (method === 'POST') headers['Content-Type'] = 'application/json';
  const res = await fetch(sb.url + (o.sendPath ?? o.path), { method, headers, body: method === 'POST' ? (o.sendBody ?? body) : undefined });
  const text = await res.text();
  return { status: res.status, headers: res.headers, text, json: text ? JSON.parse(text) : undefined };
}

function answerVerifies(sb: WechatPaySandbox, a: { headers: Headers; text: string }): boolean {
  const ts = a.headers.get('wechatpay-timestamp');
  const nonce = a.headers.get('wechatpay-nonce');
  const sig = a.headers.get('wechatpay-signature');
  if (!ts || !nonce || !sig) return false;
  if (a.headers.get('wechatpay-serial') !== sb.platform().serial) return false;
  return crypto.verify('sha256', Buffer.from(`${ts}\n${nonce}\n${a.text}\n`), crypto.createPublicKey(sb.platform().publicKeyPem), Buffer.from(sig, 'base64'));
}

const jsapiBody = (sb: WechatPaySandbox, outTradeNo: string, notifyUrl = 'https://parkpay.example/notify', total = 100) => ({
  appid: sb.merchant.appId,
  mchid: sb.merchant.mchId,
  description: '停车费',
  out_trade_no: outTradeNo,
  notify_url: notifyUrl,
  amount: { total, currency: 'CNY' },
  payer: { openid: 'oTest' },
});

describe.each(['platformCertificate', 'publicKey'] as const)('request signatures and signed answers (%s mode)', (mode) => {
  let sb: WechatPaySandbox;
  beforeAll(async () => {
    sb = await startWechatPaySandbox({ mode });
  });
  afterAll(() => sb.stop());

  it('accepts a correctly signed request (quoted or bare values, serial in any case) and signs its answer', async () => {
    const a = await call(sb, { path: '/v3/pay/transactions/jsapi', body: jsapiBody(sb, 'SIG0000000001') });
    expect(a.status).toBe(200);
    expect(a.json.prepay_id).toMatch(/^wx/);
    expect(answerVerifies(sb, a)).toBe(true);
    expect(a.headers.get('wechatpay-signature-type')).toBe('WECHATPAY2-SHA256-RSA2048');
    expect(a.headers.get('request-id')).toMatch(/^[0-9A-F]{32}$/);
    const bare = await call(sb, { path: `/v3/pay/transactions/out-trade-no/SIG0000000001?mchid=${sb.merchant.mchId}`, quoted: false, serial: sb.merchant.merchantSerialNo.toLowerCase() });
    expect(bare.status).toBe(200);
    expect(bare.json).toMatchObject({ trade_state: 'NOTPAY', out_trade_no: 'SIG0000000001', amount: { total: 100 } });
    expect(answerVerifies(sb, bare)).toBe(true);
  });

  const refusals: Array<[string, (sb: WechatPaySandbox) => Signed, RegExp]> = [
    ['signed with another key', () => ({ path: '/v3/pay/transactions/jsapi', body: {}, key: crypto.generateKeyPairSync('rsa', { modulusLength: 2048 }).privateKey }), /签名错误/],
    ['body altered after signing', (s) => ({ path: '/v3/pay/transactions/jsapi', body: jsapiBody(s, 'SIG0000000002'), sendBody: JSON.stringify(jsapiBody(s, 'SIG0000000002', undefined, 1)) }), /签名错误/],
    ['query altered after signing', (s) => ({ path: `/v3/pay/transactions/out-trade-no/SIG0000000001?mchid=${s.merchant.mchId}`, sendPath: `/v3/pay/transactions/out-trade-no/SIG0000000009?mchid=${s.merchant.mchId}` }), /签名错误/],
    ['another mchid', () => ({ path: '/v3/certificates', mchid: '1900000109' }), /商户号/],
    ['a timestamp 6 minutes old', () => ({ path: '/v3/certificates', timestampOffsetS: -360 }), /timestamp/],
    ['a timestamp 6 minutes ahead', () => ({ path: '/v3/certificates', timestampOffsetS: 360 }), /timestamp/],
    ['another serial_no', () => ({ path: '/v3/certificates', serial: '1234567890ABCDEF' }), /序列号/],
    ['no Authorization', () => ({ path: '/v3/certificates', authorization: null }), /Authorization/],
    ['another scheme', () => ({ path: '/v3/certificates', authorization: 'Bearer abc' }), /认证类型/],
    ['a field missing', () => ({ path: '/v3/certificates', authorization: 'WECHATPAY2-SHA256-RSA2048 mchid="1230000109",nonce_str="n",timestamp="1"' }), /缺少/],
  ];
  it.each(refusals)('refuses a request %s: 401 SIGN_ERROR, unsigned', async (_what, build, message) => {
    const a = await call(sb, build(sb));
    expect(a.status).toBe(401);
    expect(a.json).toMatchObject({ code: 'SIGN_ERROR', message: expect.stringMatching(message) });
    expect(a.headers.get('wechatpay-signature')).toBeNull();
    expect(sb.hits().at(-1)?.status).toBe(401);
  });

  it('says what it checked when the signature does not match (like WeChat’s sign_information)', async () => {
    const a = await call(sb, { path: '/v3/pay/transactions/jsapi', body: { x: 1 }, sendBody: '{"x":2}' });
    expect(a.json.detail.sign_information).toMatchObject({ method: 'POST', url: '/v3/pay/transactions/jsapi', truncated_sign_message: expect.stringMatching(/^POST\n\/v3\/pay\/transactions\/jsapi\n\d+\n/) });
  });

  it('body mchid ≠ header mchid → 400 PARAM_ERROR (signed); bad amount, appid, notify_url → signed 400s', async () => {
    const cases: Array<[unknown, string]> = [
      [{ ...jsapiBody(sb, 'VAL0000000001'), mchid: '1900000109' }, 'PARAM_ERROR'],
      [{ ...jsapiBody(sb, 'VAL0000000002'), appid: 'wxother' }, 'APPID_MCHID_NOT_MATCH'],
      [{ ...jsapiBody(sb, 'VAL0000000003'), amount: { total: 0 } }, 'PARAM_ERROR'],
      [{ ...jsapiBody(sb, 'VAL0000000004'), amount: { total: 1.5 } }, 'PARAM_ERROR'],
      [{ ...jsapiBody(sb, 'VAL0000000005'), notify_url: 'https://x.example/n?a=1' }, 'PARAM_ERROR'],
      [{ ...jsapiBody(sb, 'VAL0000000006'), payer: {} }, 'PARAM_ERROR'],
      [{ ...jsapiBody(sb, 'short') }, 'PARAM_ERROR'],
    ];
    for (const [body, code] of cases) {
      const a = await call(sb, { path: '/v3/pay/transactions/jsapi', body });
      expect([a.status, a.json.code]).toEqual([400, code]);
      expect(answerVerifies(sb, a)).toBe(true);
    }
  });

  it('close answers 204, signed over an empty body', async () => {
    await call(sb, { path: '/v3/pay/transactions/jsapi', body: jsapiBody(sb, 'CLS0000000001') });
    const a = await call(sb, { path: '/v3/pay/transactions/out-trade-no/CLS0000000001/close', body: { mchid: sb.merchant.mchId } });
    expect(a.status).toBe(204);
    expect(a.text).toBe('');
    expect(answerVerifies(sb, a)).toBe(true);
    expect(sb.orders().find((o) => o.outTradeNo === 'CLS0000000001')?.tradeState).toBe('CLOSED');
  });

  it('/v3/certificates: the certificate encrypted under the APIv3 key (certificate mode) or 404 (public-key mode)', async () => {
    const a = await call(sb, { path: '/v3/certificates' });
    expect(answerVerifies(sb, a)).toBe(true);
    if (mode === 'publicKey') {
      expect(a.status).toBe(404);
      expect(sb.platform().serial).toMatch(/^PUB_KEY_ID_011230000109\d{18}$/);
      return;
    }
    expect(a.status).toBe(200);
    const [item] = a.json.data;
    expect(item).toMatchObject({ serial_no: sb.platform().serial, encrypt_certificate: { algorithm: 'AEAD_AES_256_GCM', associated_data: 'certificate' } });
    expect(item.effective_time).toMatch(/\+08:00$/);
    const enc = item.encrypt_certificate;
    const all = Buffer.from(enc.ciphertext, 'base64');
    const d = crypto.createDecipheriv('aes-256-gcm', Buffer.from(sb.merchant.apiV3Key), Buffer.from(enc.nonce));
    d.setAuthTag(all.subarray(all.length - 16));
    d.setAAD(Buffer.from(enc.associated_data));
    const pem = Buffer.concat([d.update(all.subarray(0, all.length - 16)), d.final()]).toString();
    const cert = new crypto.X509Certificate(pem);
    expect(cert.serialNumber).toBe(sb.platform().serial);
    expect(cert.publicKey.export({ type: 'spki', format: 'pem' })).toBe(sb.platform().publicKeyPem);
  });
});

describe('business rules', () => {
  let sb: WechatPaySandbox;
  const clock = new ManualClock(Date.now());
  beforeAll(async () => {
    sb = await startWechatPaySandbox({ mode: 'publicKey', clock, refundSettleMs: null });
  });
  afterAll(() => sb.stop());

  it('repeats, paid, closed, unknown; refunds only on paid orders and never beyond the total', async () => {
    const body = jsapiBody(sb, 'BIZ0000000001');
    const first = await call(sb, { path: '/v3/pay/transactions/jsapi', body });
    expect((await call(sb, { path: '/v3/pay/transactions/jsapi', body })).json.prepay_id).toBe(first.json.prepay_id);
    expect(await call(sb, { path: '/v3/pay/transactions/jsapi', body: { ...body, description: 'other' } })).toMatchObject({ status: 403, json: { code: 'OUT_TRADE_NO_USED' } });
    const refund = { out_trade_no: 'BIZ0000000001', out_refund_no: 'RBIZ1', amount: { refund: 50, total: 100, currency: 'CNY' } };
    expect(await call(sb, { path: '/v3/refund/domestic/refunds', body: refund })).toMatchObject({ status: 400, json: { code: 'INVALID_REQUEST' } });
    sb.pay('BIZ0000000001');
    expect(await call(sb, { path: '/v3/pay/transactions/jsapi', body })).toMatchObject({ status: 403, json: { code: 'ORDERPAID' } });
    expect(await call(sb, { path: '/v3/pay/transactions/out-trade-no/BIZ0000000001/close', body: { mchid: sb.merchant.mchId } })).toMatchObject({ status: 400, json: { code: 'ORDERPAID' } });
    expect(await call(sb, { path: '/v3/refund/domestic/refunds', body: { ...refund, amount: { refund: 50, total: 99, currency: 'CNY' } } })).toMatchObject({ status: 400, json: { code: 'PARAM_ERROR' } });
    const r1 = await call(sb, { path: '/v3/refund/domestic/refunds', body: refund });
    expect(r1).toMatchObject({ status: 200, json: { status: 'PROCESSING', out_refund_no: 'RBIZ1', amount: { refund: 50, total: 100 } } });
    expect((await call(sb, { path: '/v3/refund/domestic/refunds', body: refund })).json.refund_id).toBe(r1.json.refund_id);
    expect(await call(sb, { path: '/v3/refund/domestic/refunds', body: { ...refund, amount: { refund: 40, total: 100, currency: 'CNY' } } })).toMatchObject({ status: 400, json: { code: 'INVALID_REQUEST' } });
    expect(await call(sb, { path: '/v3/refund/domestic/refunds', body: { ...refund, out_refund_no: 'RBIZ2', amount: { refund: 51, total: 100, currency: 'CNY' } } })).toMatchObject({ status: 400, json: { code: 'INVALID_REQUEST' } });
    expect(await call(sb, { path: `/v3/pay/transactions/out-trade-no/NOPE000001?mchid=${sb.merchant.mchId}` })).toMatchObject({ status: 404, json: { code: 'ORDER_NOT_EXIST' } });
    expect(await call(sb, { path: '/v3/refund/domestic/refunds/NOPE' })).toMatchObject({ status: 404, json: { code: 'RESOURCE_NOT_EXISTS' } });
    expect(await call(sb, { path: `/v3/pay/transactions/out-trade-no/BIZ0000000001` })).toMatchObject({ status: 400, json: { code: 'PARAM_ERROR' } });
    const byId = await call(sb, { path: `/v3/pay/transactions/id/${sb.orders()[0].transactionId}?mchid=${sb.merchant.mchId}` });
    expect(byId.json).toMatchObject({ out_trade_no: 'BIZ0000000001', trade_state: 'REFUND' });
  });

  it('an order past time_expire cannot be paid; expire() closes it; a closed order is not paid again', async () => {
    const body = { ...jsapiBody(sb, 'EXP0000000001'), time_expire: new Date(clock.now() + 60_000).toISOString() };
    expect((await call(sb, { path: '/v3/pay/transactions/jsapi', body })).status).toBe(200);
    clock.advance(61_000);
    expect(() => sb.pay('EXP0000000001')).toThrow(SandboxControlError);
    sb.expire('EXP0000000001');
    expect(() => sb.pay('EXP0000000001')).toThrow(/CLOSED/);
    clock.advance(-61_000);
  });

  it('requestPayment checks the params like the WeChat client', async () => {
    const a = await call(sb, { path: '/v3/pay/transactions/jsapi', body: jsapiBody(sb, 'RQP0000000001') });
    const pkg = `prepay_id=${a.json.prepay_id}`;
    const timeStamp = String(Math.floor(clock.now() / 1000));
    const paySign = crypto.sign('sha256', Buffer.from(`${sb.merchant.appId}\n${timeStamp}\n${'N'}\n${pkg}\n`), sb.merchant.merchantPrivateKey).toString('base64');
    const params = { appId: sb.merchant.appId, timeStamp, nonceStr: 'N', package: pkg, signType: 'RSA', paySign };
    expect(sb.requestPayment({ ...params, appId: 'wxother' }).errMsg).toMatch(/appid/);
    expect(sb.requestPayment({ ...params, package: 'prepay_id=wx0' }).errMsg).toMatch(/prepay_id/);
    expect(sb.requestPayment({ ...params, signType: 'MD5' }).errMsg).toMatch(/signType/);
    expect(sb.requestPayment({ ...params, timeStamp: String(clock.now()) }).errMsg).toMatch(/10 digits/);
    expect(sb.requestPayment(params, { outcome: 'cancel' })).toEqual({ errMsg: 'requestPayment:fail cancel' });
    expect(sb.orders().find((o) => o.outTradeNo === 'RQP0000000001')?.tradeState).toBe('NOTPAY');
    expect(sb.requestPayment(params)).toEqual({ errMsg: 'requestPayment:ok' });
    expect(sb.orders().find((o) => o.outTradeNo === 'RQP0000000001')).toMatchObject({ tradeState: 'SUCCESS', paidOpenId: 'oTest' });
  });

  it('the HTTP control API drives the same state (for the demo)', async () => {
    await call(sb, { path: '/v3/pay/transactions/jsapi', body: jsapiBody(sb, 'CTL0000000001') });
    const pay = await fetch(`${sb.url}/__sandbox/orders/CTL0000000001/pay`, { method: 'POST' });
    expect(pay.status).toBe(200);
    expect(await pay.json()).toMatchObject({ trade_state: 'SUCCESS', out_trade_no: 'CTL0000000001' });
    const again = await fetch(`${sb.url}/__sandbox/orders/CTL0000000001/pay`, { method: 'POST' });
    expect(again.status).toBe(409);
    const state = (await (await fetch(`${sb.url}/__sandbox/state`)).json()) as { orders: Array<{ outTradeNo: string }> };
    expect(state).toMatchObject({ mode: 'publicKey', mchId: sb.merchant.mchId });
    expect(state.orders.some((o) => o.outTradeNo === 'CTL0000000001')).toBe(true);
    expect(JSON.stringify(state)).not.toContain(sb.merchant.apiV3Key);
    const fault = await fetch(`${sb.url}/__sandbox/faults`, { method: 'POST', body: JSON.stringify({ kind: 'http500' }) });
    expect(fault.status).toBe(200);
    expect((await call(sb, { path: `/v3/pay/transactions/out-trade-no/CTL0000000001?mchid=${sb.merchant.mchId}` })).status).toBe(500);
  });
});

describe('notification delivery on WeChat’s retry schedule (compressed)', () => {
  let receiver: NotifyReceiver;
  beforeEach(async () => {
    receiver = await new NotifyReceiver().start();
  });
  afterEach(() => receiver.stop());

  it('receiver fails twice then succeeds → 3 deliveries at 0 s, 15 s, 30 s (scaled ×1/100), fresh signatures, same body', async () => {
    const sb = await startWechatPaySandbox({ mode: 'publicKey', timeScale: 100 });
    try {
      receiver.answers = [{ status: 500, body: '{"code":"FAIL","message":"db down"}' }, { status: 404 }];
      await call(sb, { path: '/v3/pay/transactions/jsapi', body: jsapiBody(sb, 'RTY0000000001', receiver.url) });
      sb.pay('RTY0000000001');
      // Unscaled, the schedule would take 45 s.
      await sb.notificationsSettled(30_000);
      expect(receiver.deliveries.map((d) => d.answered)).toEqual([500, 404, 204]);
      const [record] = sb.notifications();
      expect(record.state).toBe('delivered');
      expect(record.attempts.map((a) => a.plannedOffsetMs)).toEqual([0, 15_000, 30_000]);
      // Measured by the sandbox from its first attempt, and at the receiver from the first arrival.
      const sent = record.attempts.map((a) => a.realOffsetMs);
      const arrived = receiver.deliveries.map((d) => d.at - receiver.deliveries[0].at);
      // Never early (timers round to the ms). How late is scheduling noise, printed, not asserted: a busy
      // machine makes it as large as it likes.
      for (const [i, planned] of [[1, 150], [2, 300]]) expect(sent[i]).toBeGreaterThanOrEqual(planned - 2);
      console.log(`WeChat Pay sandbox retry offsets at timeScale 100: planned 0/150/300 ms, sent at ${sent.join('/')} ms, arrived at ${arrived.map((r) => r.toFixed(1)).join('/')} ms`);
      expect(new Set(receiver.deliveries.map((d) => d.rawBody)).size).toBe(1);
      expect(new Set(receiver.deliveries.map((d) => d.headers['wechatpay-nonce'])).size).toBe(3);
      const pub = crypto.createPublicKey(sb.platform().publicKeyPem);
      for (const d of receiver.deliveries) {
        const h = d.headers as Record<string, string>;
        expect(crypto.verify('sha256', Buffer.from(`${h['wechatpay-timestamp']}\n${h['wechatpay-nonce']}\n${d.rawBody}\n`), pub, Buffer.from(h['wechatpay-signature'], 'base64'))).toBe(true);
      }
    } finally {
      await sb.stop();
    }
  });

  it('200 with {"code":"FAIL"} and a receiver that does not answer in time both count as failures; {"code":"SUCCESS"} ends it', async () => {
    // The answers that come must come within the timeout on a busy machine; the one that does not is held
    // until the sandbox has given up on it.
    const sb = await startWechatPaySandbox({ mode: 'publicKey', timeScale: 1000, notifyTimeoutMs: 1_000 });
    try {
      let n = 0;
      receiver.handler = async () => {
        n++;
        if (n === 1) return { status: 200, body: '{"code":"FAIL","message":"失败"}' };
        if (n === 2) {
          await waitUntil(() => (sb.notifications()[0]?.attempts.length ?? 0) >= 2, 'the sandbox gives up on the second attempt');
          return { status: 204 };
        }
        return { status: 200, body: '{"code":"SUCCESS","message":"成功"}' };
      };
      await call(sb, { path: '/v3/pay/transactions/jsapi', body: jsapiBody(sb, 'RTY0000000002', receiver.url) });
      sb.pay('RTY0000000002');
      await sb.notificationsSettled(30_000);
      const [record] = sb.notifications();
      expect(record.attempts.map((a) => [a.ok, a.status ?? a.error])).toEqual([
        [false, 200],
        [false, 'no answer within 1000 ms'],
        [true, 200],
      ]);
    } finally {
      await sb.stop();
    }
  });

  it('gives up after 16 attempts spread over 24 h 4 min (the whole schedule, ×1/100000)', async () => {
    const sb = await startWechatPaySandbox({ mode: 'publicKey', timeScale: 100_000 });
    try {
      receiver.fallback = { status: 503 };
      await call(sb, { path: '/v3/pay/transactions/jsapi', body: jsapiBody(sb, 'RTY0000000003', receiver.url) });
      sb.pay('RTY0000000003');
      await sb.notificationsSettled(30_000);
      const [record] = sb.notifications();
      expect(record.state).toBe('gave_up');
      expect(record.attempts).toHaveLength(16);
      const cumulative = WECHAT_NOTIFY_RETRY_INTERVALS_MS.reduce<number[]>((acc, i) => [...acc, acc[acc.length - 1] + i], [0]);
      expect(record.attempts.map((a) => a.plannedOffsetMs)).toEqual(cumulative);
      expect(cumulative.at(-1)).toBe((24 * 60 + 4) * 60_000);
      expect(receiver.deliveries).toHaveLength(16);
    } finally {
      await sb.stop();
    }
  });

  it('refunds settle after refundSettleMs (scaled) and REFUND.SUCCESS goes to the merchant’s refund URL', async () => {
    const sb = await startWechatPaySandbox({ mode: 'publicKey', timeScale: 1000, refundSettleMs: 10_000, refundNotifyUrl: receiver.url });
    try {
      await call(sb, { path: '/v3/pay/transactions/jsapi', body: jsapiBody(sb, 'RFD0000000001', receiver.url) });
      sb.pay('RFD0000000001');
      await sb.notificationsSettled();
      const asked = await call(sb, { path: '/v3/refund/domestic/refunds', body: { out_trade_no: 'RFD0000000001', out_refund_no: 'R1', amount: { refund: 100, total: 100, currency: 'CNY' } } });
      // Processing when answered (by the time the answer is read here, the 10 ms may have passed).
      expect(asked.json.status).toBe('PROCESSING');
      await waitUntil(() => sb.refunds()[0].status === 'SUCCESS', 'the refund settles (10 ms scaled)');
      await sb.notificationsSettled();
      expect(sb.refunds()[0].status).toBe('SUCCESS');
      const events = receiver.deliveries.map((d) => JSON.parse(d.rawBody)).map((b) => [b.event_type, b.resource.original_type, b.resource.associated_data, b.summary]);
      expect(events).toEqual([
        ['TRANSACTION.SUCCESS', 'transaction', 'transaction', '支付成功'],
        ['REFUND.SUCCESS', 'refund', 'refund', '退款成功'],
      ]);
    } finally {
      await sb.stop();
    }
  });
});

describe('faults and lifecycle', () => {
  it('a held (timeout) request is released by stop()', async () => {
    const sb = await startWechatPaySandbox({ mode: 'publicKey' });
    sb.inject({ kind: 'timeout' });
    const pending = call(sb, { path: '/v3/certificates' }).then(
      () => 'answered',
      () => 'failed',
    );
    await waitUntil(() => sb.hits().length > 0, 'the request reaches the sandbox');
    expect(sb.hits().at(-1)?.status).toBe(-1);
    const t0 = performance.now();
    await sb.stop();
    expect(await pending).toBe('failed');
    // Far below what an unreleased hold would cost: the client waits 300 s for answer headers.
    expect(performance.now() - t0).toBeLessThan(10_000);
  });

  it('faults can target a path and count down', async () => {
    const sb = await startWechatPaySandbox({ mode: 'publicKey' });
    try {
      sb.inject({ kind: 'error', status: 429, code: 'FREQUENCY_LIMITED', times: 2, path: '/v3/refund/' });
      expect((await call(sb, { path: '/v3/certificates' })).status).toBe(404);
      expect((await call(sb, { path: '/v3/refund/domestic/refunds/X' })).json.code).toBe('FREQUENCY_LIMITED');
      expect((await call(sb, { path: '/v3/refund/domestic/refunds/X' })).json.code).toBe('FREQUENCY_LIMITED');
      expect((await call(sb, { path: '/v3/refund/domestic/refunds/X' })).json.code).toBe('RESOURCE_NOT_EXISTS');
    } finally {
      await sb.stop();
    }
  });

  it('certificate mode without openssl says how to fix it', async () => {
    const e = await startWechatPaySandbox({ mode: 'platformCertificate', openssl: '/nonexistent/openssl' }).then(
      () => undefined,
      (err: unknown) => err,
    );
    expect(e).toBeInstanceOf(SandboxSetupError);
    expect((e as Error).message).toMatch(/openssl.*not installed.*apt-get install -y openssl/);
  });
});
