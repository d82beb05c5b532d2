/**
 * The Alipay sandbox on its own, over raw HTTP (no SDK): it verifies requests exactly as Alipay does, frames
 * and signs answers over the exact inner text, keeps trade state, notifies on Alipay's retry schedule
 * (exact with a manual clock, compressed with timeScale), and obeys its control API and faults.
 */
import { createSign } from 'node:crypto';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { AlipayAdapter } from '../../../../server/src/adapter/alipay';
import { ManualClock } from '../../../../server/src/core/clock';
import {
  ALIPAY_NOTIFY_RETRY_MS,
  generateRsaKeyPair,
  notificationSignContent,
  requestSignContent,
  rsa2Sign,
  rsa2Verify,
  signRequest,
  startAlipaySandbox,
  type AlipaySandbox,
} from '../../../../server/sandbox/alipay';
import { formatChinaTime } from '../../../../shared/time';

const MIN = 60_000;

interface CallOptions {
  key?: string;
  appId?: string;
  timestamp?: string;
  extra?: Record<string, string>;
  /** Change the signed parameters before sending. */
  mutate?: (p: Record<string, string>) => void;
  /** Sign yourself (replaces the normal signature). */
  sign?: (p: Record<string, string>) => string;
}

/** A gateway request the way the SDK builds it: common params in the query, biz_content in the form body. */
async function call(sb: AlipaySandbox, method: string, biz: Record<string, unknown> | undefined, o: CallOptions = {}) {
  const params: Record<string, string> = {
    app_id: o.appId ?? sb.app.appId,
    method,
    charset: 'utf-8',
    version: '1.0',
    sign_type: 'RSA2',
    timestamp: o.timestamp ?? formatChinaTime(Date.now()),
    ...(biz ? { biz_content: JSON.stringify(biz) } : {}),
    ...o.extra,
  };
  const signed = o.sign ? { ...params, sign: o.sign(params) } : signRequest(params, o.key ?? sb.app.privateKey);
  o.mutate?.(signed);
  const { biz_content, ...query } = signed;
  const res = await fetch(`${sb.gateway}?${new URLSearchParams(query)}`, {
    method: 'POST',
    headers: { 'content-type': 'application/x-www-form-urlencoded;charset=UTF-8' },
    body: biz_content === undefined ? '' : new URLSearchParams({ biz_content }).toString(),
  });
  const text = await res.text();
  return { status: res.status, text, json: JSON.parse(text) as Record<string, Record<string, string> & { sign?: string }> };
}

/** The inner text between `"<key>":` and `,"sign"`, and whether the sign verifies over exactly it. */
function signedInner(sb: AlipaySandbox, text: string, key: string): { inner: Record<string, unknown>; innerText: string; verified: boolean } {
  const prefix = `{"${key}":`;
  expect(text.startsWith(prefix)).toBe(true);
  const signAt = text.lastIndexOf(',"sign":"');
  const innerText = text.slice(prefix.length, signAt);
  const sign = (JSON.parse(text) as { sign: string }).sign;
  expect(text).toBe(`${prefix}${innerText},"sign":"${sign}"}`);
  return { inner: JSON.parse(innerText) as Record<string, unknown>, innerText, verified: rsa2Verify(innerText, sign, sb.app.alipayPublicKey) };
}

let sb: AlipaySandbox;
beforeAll(async () => {
  sb = await startAlipaySandbox();
});
afterAll(() => sb.stop());

describe('request signatures, checked as Alipay checks them', () => {
  it('accepts a request signed over the sorted raw k=v of every param but sign (sign_type included)', async () => {
    const biz = { out_trade_no: 'S1', total_amount: '12.00', subject: '停车 & 洗车 100% a+b=c', product_code: 'JSAPI_PAY', buyer_open_id: 'o1' };
    const r = await call(sb, 'alipay.trade.create', biz, { extra: { notify_url: 'http://127.0.0.1:9/n?a=1&b=2' } });
    const { inner, verified } = signedInner(sb, r.text, 'alipay_trade_create_response');
    expect(verified).toBe(true);
    expect(inner).toMatchObject({ code: '10000', msg: 'Success', out_trade_no: 'S1' });
    expect(sb.trade('S1')).toMatchObject({ subject: '停车 & 洗车 100% a+b=c', notifyUrl: 'http://127.0.0.1:9/n?a=1&b=2' });
    // The content is what the docs say.
    expect(requestSignContent({ b: '2', a: '1', sign: 'x', sign_type: 'RSA2', e: '' })).toBe('a=1&b=2&sign_type=RSA2');
  });

  it('refuses a wrong key like Alipay: signed <method>_response 40002 isv.invalid-signature', async () => {
    const r = await call(sb, 'alipay.trade.query', { out_trade_no: 'S1' }, { key: generateRsaKeyPair().privateKey });
    expect(r.status).toBe(200);
    const { inner, verified } = signedInner(sb, r.text, 'alipay_trade_query_response');
    expect(verified).toBe(true);
    expect(inner).toMatchObject({ code: '40002', msg: 'Invalid Arguments', sub_code: 'isv.invalid-signature' });
    expect(String(inner.sub_msg)).toContain('app_id=');
  });

  it.each([
    ['a param changed after signing', { mutate: (p: Record<string, string>) => (p.biz_content = '{"out_trade_no":"S2"}') }],
    ['a param added after signing', { mutate: (p: Record<string, string>) => (p.notify_url = 'http://evil') }],
    ['sign_type left out of the signed text', { sign: (p: Record<string, string>) => rsa2Sign(requestSignContent({ ...p, sign_type: '' }), sb.app.privateKey) }],
    ['URL-encoded values signed', { sign: (p: Record<string, string>) => rsa2Sign(new URLSearchParams(Object.entries(p).sort()).toString(), sb.app.privateKey) }],
    ['unsorted params signed', { sign: (p: Record<string, string>) => rsa2Sign(Object.entries(p).map(([k, v]) => `${k}=${v}`).join('&'), sb.app.privateKey) }],
    ['SHA1 (RSA) signature under sign_type RSA2', { sign: (p: Record<string, string>) => createSign('RSA-SHA1').update(requestSignContent(p)).sign(sb.app.privateKey, 'base64') }],
  ])('refuses %s', async (_what, o) => {
    const r = await call(sb, 'alipay.trade.query', { out_trade_no: 'S1' }, o);
    expect(r.json.alipay_trade_query_response).toMatchObject({ code: '40002', sub_code: 'isv.invalid-signature' });
  });

  it('refuses another app_id, a missing sign, another sign_type', async () => {
    expect((await call(sb, 'alipay.trade.query', { out_trade_no: 'S1' }, { appId: '2021000000000000' })).json.alipay_trade_query_response).toMatchObject({
      code: '40002',
      sub_code: 'isv.invalid-app-id',
    });
    expect((await call(sb, 'alipay.trade.query', { out_trade_no: 'S1' }, { mutate: (p) => delete p.sign })).json.alipay_trade_query_response).toMatchObject({
      code: '40001',
      sub_code: 'isv.missing-signature',
    });
    expect((await call(sb, 'alipay.trade.query', { out_trade_no: 'S1' }, { extra: { sign_type: 'RSA' } })).json.alipay_trade_query_response).toMatchObject({
      sub_code: 'isv.invalid-signature-type',
    });
  });

  it('keeps a timestamp window (15 minutes), in China time', async () => {
    const at = (ms: number) => formatChinaTime(Date.now() + ms);
    const q = async (timestamp: string) => (await call(sb, 'alipay.trade.query', { out_trade_no: 'S1' }, { timestamp })).json.alipay_trade_query_response;
    expect(await q(at(-14 * MIN))).toMatchObject({ code: '10000' });
    expect(await q(at(14 * MIN))).toMatchObject({ code: '10000' });
    expect(await q(at(-16 * MIN))).toMatchObject({ code: '40002', sub_code: 'isv.invalid-timestamp' });
    expect(await q(at(16 * MIN))).toMatchObject({ sub_code: 'isv.invalid-timestamp' });
    // UTC wall time instead of China time is 8 hours off.
    expect(await q(new Date().toISOString().slice(0, 19).replace('T', ' '))).toMatchObject({ sub_code: 'isv.invalid-timestamp' });
    expect(await q('2026/11/28 10:00:00')).toMatchObject({ sub_code: 'isv.invalid-timestamp' });
  });

  it('an unknown method is a signed error_response isv.invalid-method', async () => {
    const r = await call(sb, 'alipay.trade.teleport', { out_trade_no: 'S1' });
    const { inner, verified } = signedInner(sb, r.text, 'error_response');
    expect(verified).toBe(true);
    expect(inner).toMatchObject({ code: '40002', sub_code: 'isv.invalid-method' });
  });
});

describe('answers', () => {
  it('are {"<method>_response":<inner>,"sign":…} signed over the exact inner bytes, with / written \\/', async () => {
    const r = await call(sb, 'alipay.trade.precreate', { out_trade_no: 'S-QR', total_amount: '1', subject: 'lane' });
    expect(r.text).toContain('"qr_code":"https:\\/\\/qr.alipay.com\\/bax');
    const { inner, innerText, verified } = signedInner(sb, r.text, 'alipay_trade_precreate_response');
    expect(verified).toBe(true);
    expect(inner.qr_code).toMatch(/^https:\/\/qr\.alipay\.com\/bax/);
    // One byte different and the signature fails.
    expect(rsa2Verify(innerText.replace('Success', 'success'), (r.json as unknown as { sign: string }).sign, sb.app.alipayPublicKey)).toBe(false);
  });

  it('oauth: an unknown code is a signed error_response 40002 isv.code-invalid; grant_type is checked', async () => {
    const bad = await call(sb, 'alipay.system.oauth.token', undefined, { extra: { grant_type: 'authorization_code', code: 'nope' } });
    const { inner, verified } = signedInner(sb, bad.text, 'error_response');
    expect(verified).toBe(true);
    expect(inner).toEqual({ code: '40002', msg: 'Invalid Arguments', sub_code: 'isv.code-invalid', sub_msg: '授权码code无效' });
    const code = sb.issueAuthCode('zhang');
    const wrongGrant = await call(sb, 'alipay.system.oauth.token', undefined, { extra: { grant_type: 'password', code } });
    expect(wrongGrant.json.error_response).toMatchObject({ sub_code: 'isv.grant-type-invalid' });
    const ok = await call(sb, 'alipay.system.oauth.token', undefined, { extra: { grant_type: 'authorization_code', code } });
    expect(ok.json.alipay_system_oauth_token_response).toMatchObject({ open_id: sb.user('zhang').openId });
    expect(ok.json.alipay_system_oauth_token_response.code).toBeUndefined();
  });

  it('trade rules: amounts with at most 2 decimals, JSAPI needs a buyer, refunds keyed by out_request_no', async () => {
    const create = async (biz: Record<string, unknown>) => (await call(sb, 'alipay.trade.create', { product_code: 'JSAPI_PAY', buyer_id: '2088000000000001', subject: 's', ...biz })).json.alipay_trade_create_response;
    expect(await create({ out_trade_no: 'S-A1', total_amount: '12.001' })).toMatchObject({ code: '40004', sub_code: 'ACQ.INVALID_PARAMETER' });
    expect(await create({ out_trade_no: 'S-A2', total_amount: '0.00' })).toMatchObject({ sub_code: 'ACQ.TOTAL_FEE_EXCEED' });
    expect(await create({ out_trade_no: 'S-A3', total_amount: '12.1' })).toMatchObject({ code: '10000' });
    expect(sb.trade('S-A3')?.totalFen).toBe(1210);
    expect((await call(sb, 'alipay.trade.create', { out_trade_no: 'S-A4', total_amount: '1.00', subject: 's', product_code: 'JSAPI_PAY' })).json.alipay_trade_create_response).toMatchObject({
      sub_code: 'ACQ.INVALID_PARAMETER',
    });
    sb.pay('S-A3');
    const refund = async (biz: Record<string, unknown>) => (await call(sb, 'alipay.trade.refund', { out_trade_no: 'S-A3', ...biz })).json.alipay_trade_refund_response;
    expect(await refund({ refund_amount: '1.00' })).toMatchObject({ sub_code: 'ACQ.REFUND_AMT_NOT_EQUAL_TOTAL' });
    expect(await refund({ refund_amount: '1.00', out_request_no: 'R1' })).toMatchObject({ code: '10000', fund_change: 'Y', refund_fee: '1.00', send_back_fee: '1.00' });
    expect(await refund({ refund_amount: '1.00', out_request_no: 'R1' })).toMatchObject({ code: '10000', fund_change: 'N', refund_fee: '1.00' });
    expect(await refund({ refund_amount: '2.00', out_request_no: 'R1' })).toMatchObject({ sub_code: 'ACQ.DISCORDANT_REPEAT_REQUEST' });
    expect(await refund({ refund_amount: '11.11', out_request_no: 'R2' })).toMatchObject({ sub_code: 'ACQ.REASON_TRADE_REFUND_FEE_ERR' });
    const rq = (await call(sb, 'alipay.trade.fastpay.refund.query', { out_trade_no: 'S-A3', out_request_no: 'R1' })).json.alipay_trade_fastpay_refund_query_response;
    expect(rq).toMatchObject({ code: '10000', refund_status: 'REFUND_SUCCESS', refund_amount: '1.00', total_amount: '12.10', out_request_no: 'R1' });
  });
});

describe('faults', () => {
  it('HTTP 500 answers an error page; afterProcessing still does the work', async () => {
    await call(sb, 'alipay.trade.create', { out_trade_no: 'S-F1', total_amount: '3.00', subject: 's', product_code: 'JSAPI_PAY', buyer_id: '2088000000000001' });
    sb.inject({ type: 'http', status: 500, method: 'alipay.trade.close', afterProcessing: true });
    const res = await fetch(`${sb.gateway}?${new URLSearchParams(signRequest({ app_id: sb.app.appId, method: 'alipay.trade.close', charset: 'utf-8', version: '1.0', sign_type: 'RSA2', timestamp: formatChinaTime(Date.now()), biz_content: '{"out_trade_no":"S-F1"}' }, sb.app.privateKey))}`, { method: 'POST' });
    expect(res.status).toBe(500);
    expect(await res.text()).toContain('Internal Server Error');
    expect(sb.trade('S-F1')?.tradeStatus).toBe('TRADE_CLOSED');
    expect(sb.requests().at(-1)?.outcome).toBe('fault:http');
  });

  it('timeout: no answer at all (the connection is held until the client gives up or the sandbox stops)', async () => {
    sb.inject({ type: 'timeout' });
    const params = signRequest(
      { app_id: sb.app.appId, method: 'alipay.trade.query', charset: 'utf-8', version: '1.0', sign_type: 'RSA2', timestamp: formatChinaTime(Date.now()), biz_content: '{"out_trade_no":"S1"}' },
      sb.app.privateKey,
    );
    const started = Date.now();
    await expect(fetch(`${sb.gateway}?${new URLSearchParams(params)}`, { method: 'POST', signal: AbortSignal.timeout(300) })).rejects.toMatchObject({ name: 'TimeoutError' });
    expect(Date.now() - started).toBeGreaterThanOrEqual(290);
    expect(sb.requests().at(-1)?.outcome).toBe('fault:timeout');
    // The next request is answered normally.
    expect((await call(sb, 'alipay.trade.query', { out_trade_no: 'S1' })).status).toBe(200);
  });

  it('faults are consumed one by one and can target a method', async () => {
    sb.inject({ type: 'bad_signature', method: 'alipay.trade.close' }, 2);
    const q = await call(sb, 'alipay.trade.query', { out_trade_no: 'S1' });
    expect(signedInner(sb, q.text, 'alipay_trade_query_response').verified).toBe(true);
    for (let i = 0; i < 2; i++) {
      const c = await call(sb, 'alipay.trade.close', { out_trade_no: 'S1' });
      expect(signedInner(sb, c.text, 'alipay_trade_close_response').verified).toBe(false);
    }
    const c = await call(sb, 'alipay.trade.close', { out_trade_no: 'S1' });
    expect(signedInner(sb, c.text, 'alipay_trade_close_response').verified).toBe(true);
  });
});

describe('the control API over HTTP (for the demo)', () => {
  it('pays, issues auth codes, injects faults, lists trades', async () => {
    await call(sb, 'alipay.trade.create', { out_trade_no: 'S-C1', total_amount: '5.00', subject: 's', product_code: 'JSAPI_PAY', buyer_open_id: sb.user('driver').openId });
    const post = async (path: string, body: unknown) => {
      const r = await fetch(`${sb.url}/__sandbox/${path}`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify(body) });
      return { status: r.status, json: (await r.json()) as Record<string, unknown> };
    };
    expect(await post('pay', { outTradeNo: 'S-C1' })).toMatchObject({ status: 200, json: { resultCode: '9000' } });
    expect(await post('pay', { outTradeNo: 'S-C1' })).toMatchObject({ status: 409 });
    expect(await post('pay', { outTradeNo: 'S-NONE' })).toMatchObject({ status: 409 });
    const { json } = await post('auth-code', { user: 'li' });
    expect(json.authCode).toMatch(/^[0-9a-f]{32}$/);
    expect(await post('fault', { fault: { type: 'http', status: 503 } })).toMatchObject({ status: 200 });
    expect((await call(sb, 'alipay.trade.query', { out_trade_no: 'S-C1' }).catch(() => ({ status: 503 }))).status).toBe(503);
    const trades = (await (await fetch(`${sb.url}/__sandbox/trades`)).json()) as { outTradeNo: string; tradeStatus: string }[];
    expect(trades.find((t) => t.outTradeNo === 'S-C1')?.tradeStatus).toBe('TRADE_SUCCESS');
  });
});

/** A notify_url that answers from a script (then 'success'), recording what it got. */
async function scriptedReceiver(script: string[], status = 200) {
  const got: { at: number; fields: Record<string, string> }[] = [];
  const server = http.createServer((req, res) => {
    let body = '';
    req.on('data', (c) => (body += c));
    req.on('end', () => {
      got.push({ at: Date.now(), fields: Object.fromEntries(new URLSearchParams(body)) });
      res.writeHead(status, { 'content-type': 'text/plain' });
      res.end(script.length ? script.shift() : 'success');
    });
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', () => r()));
  return {
    url: `http://127.0.0.1:${(server.address() as AddressInfo).port}/notify`,
    got,
    stop: async () => {
      server.closeAllConnections();
      await new Promise<void>((r) => server.close(() => r()));
    },
  };
}

describe('notifications on Alipay’s schedule', () => {
  it('manual clock: "fail" twice then "success" → 3 deliveries at 0, 4m, 14m with the same notify_id, each signed', async () => {
    const clock = new ManualClock(Date.UTC(2026, 10, 28, 2, 0, 0));
    const m = await startAlipaySandbox({ clock });
    const rx = await scriptedReceiver(['fail', 'fail']);
    try {
      const a = new AlipayAdapter(m.app, { clock });
      await a.createTrade({ outTradeNo: 'M1', subject: '停车费 100%', totalFen: 1200, buyerOpenId: m.user('driver').openId, notifyUrl: rx.url });
      m.pay('M1');
      await m.runDue();
      await m.idle();
      for (const step of [4 * MIN, 10 * MIN, 10 * MIN, 60 * MIN]) {
        clock.advance(step);
        await m.runDue();
        await m.idle();
      }
      const [n] = m.notifications();
      expect(n.state).toBe('delivered');
      expect(n.attempts.map((x) => x.offsetMs)).toEqual([0, 4 * MIN, 14 * MIN]);
      expect(n.attempts.map((x) => [x.answer, x.accepted])).toEqual([
        ['fail', false],
        ['fail', false],
        ['success', true],
      ]);
      expect(rx.got).toHaveLength(3);
      expect(new Set(rx.got.map((g) => g.fields.notify_id)).size).toBe(1);
      expect(rx.got.map((g) => g.fields.notify_time)).toEqual(['2026-11-28 10:00:00', '2026-11-28 10:04:00', '2026-11-28 10:14:00']);
      for (const g of rx.got) {
        expect(g.fields).toMatchObject({ notify_type: 'trade_status_sync', app_id: m.app.appId, charset: 'utf-8', version: '1.0', sign_type: 'RSA2', trade_status: 'TRADE_SUCCESS', total_amount: '12.00', out_trade_no: 'M1' });
        // Signed without sign and sign_type …
        expect(rsa2Verify(notificationSignContent(g.fields), g.fields.sign, m.app.alipayPublicKey)).toBe(true);
        // … and the adapter accepts it.
        expect(a.verifyNotification(g.fields).ok).toBe(true);
      }
    } finally {
      await m.stop();
      await rx.stop();
    }
  });

  it('manual clock: never "success" → 8 deliveries over 4m,10m,10m,1h,2h,6h,15h, then Alipay gives up', async () => {
    const clock = new ManualClock();
    const m = await startAlipaySandbox({ clock });
    const rx = await scriptedReceiver(Array(20).fill('SUCCESS'));
    try {
      const a = new AlipayAdapter(m.app, { clock });
      await a.createTrade({ outTradeNo: 'M2', subject: 's', totalFen: 100, buyerOpenId: m.user('driver').openId, notifyUrl: rx.url });
      m.pay('M2');
      await m.runDue();
      await m.idle();
      for (let i = 0; i < 40; i++) {
        const next = m.notifications()[0].nextAt;
        if (next === undefined) break;
        clock.set(next);
        await m.runDue();
        await m.idle();
      }
      const [n] = m.notifications();
      const cumulative = ALIPAY_NOTIFY_RETRY_MS.reduce<number[]>((acc, d) => [...acc, acc[acc.length - 1] + d], [0]);
      expect(n.attempts.map((x) => x.offsetMs)).toEqual(cumulative);
      expect(cumulative.map((x) => x / MIN)).toEqual([0, 4, 14, 24, 84, 204, 564, 1464]);
      expect(n.state).toBe('gave_up');
      expect(rx.got).toHaveLength(8);
    } finally {
      await m.stop();
      await rx.stop();
    }
  });

  it('only HTTP 200 with exactly "success" counts', async () => {
    const clock = new ManualClock();
    const m = await startAlipaySandbox({ clock });
    const rx = await scriptedReceiver(['success\n', ' success', 'Success', 'ok']);
    const rx500 = await scriptedReceiver([], 500);
    try {
      const a = new AlipayAdapter(m.app, { clock });
      await a.createTrade({ outTradeNo: 'M3', subject: 's', totalFen: 100, buyerOpenId: m.user('driver').openId, notifyUrl: rx.url });
      await a.createTrade({ outTradeNo: 'M4', subject: 's', totalFen: 100, buyerOpenId: m.user('driver').openId, notifyUrl: rx500.url });
      m.pay('M3');
      m.pay('M4');
      for (let i = 0; i < 6; i++) {
        await m.runDue();
        await m.idle();
        clock.advance(60 * MIN);
      }
      const [n3, n4] = m.notifications();
      expect(n3.attempts.map((x) => x.accepted)).toEqual([false, false, false, false, true]);
      expect(n4.attempts.every((x) => x.httpStatus === 500 && x.answer === 'success' && !x.accepted)).toBe(true);
    } finally {
      await m.stop();
      await rx.stop();
      await rx500.stop();
    }
  });

  it('timeScale: the same schedule compressed in real time (4m → 80 ms, 10m → 200 ms at ×3000)', async () => {
    const scale = 3000;
    const m = await startAlipaySandbox({ timeScale: scale });
    const rx = await scriptedReceiver(['fail', 'fail']);
    try {
      const a = new AlipayAdapter(m.app);
      await a.createTrade({ outTradeNo: 'T1', subject: 's', totalFen: 100, buyerOpenId: m.user('driver').openId, notifyUrl: rx.url });
      m.pay('T1');
      await m.waitFor(() => m.notifications()[0]?.state === 'delivered', 30_000);
      const [n] = m.notifications();
      expect(n.attempts).toHaveLength(3);
      expect(new Set(rx.got.map((g) => g.fields.notify_id)).size).toBe(1);
      const real = n.attempts.map((x) => x.realAt - n.attempts[0].realAt);
      expect(real[1]).toBeGreaterThanOrEqual((4 * MIN) / scale - 5);
      // Compressed: milliseconds, not 4 minutes (the bound leaves room for a busy machine's timer lag).
      expect(real[1]).toBeLessThan((4 * MIN) / scale + 30_000);
      expect(real[2]).toBeGreaterThanOrEqual((14 * MIN) / scale - 5);
      expect(real[2]).toBeLessThan((14 * MIN) / scale + 30_000);
      expect(real[2] - real[1]).toBeGreaterThanOrEqual((10 * MIN) / scale - 5);
      // In sandbox time they are 4 and 14 minutes apart (later by the timer's lag × scale).
      expect(n.attempts[1].offsetMs).toBeGreaterThanOrEqual(4 * MIN);
      expect(n.attempts[2].offsetMs).toBeGreaterThanOrEqual(14 * MIN);
    } finally {
      await m.stop();
      await rx.stop();
    }
  });

  it('a trade timeout closes the trade on the sandbox clock and notifies TRADE_CLOSED', async () => {
    const clock = new ManualClock();
    const m = await startAlipaySandbox({ clock });
    const rx = await scriptedReceiver([]);
    try {
      const a = new AlipayAdapter(m.app, { clock });
      await a.createTrade({ outTradeNo: 'X1', subject: 's', totalFen: 100, buyerOpenId: m.user('driver').openId, notifyUrl: rx.url, timeoutExpress: '15m' });
      clock.advance(14 * MIN);
      await m.runDue();
      expect((await a.query('X1')).status).toBe('pending');
      clock.advance(MIN);
      await m.runDue();
      await m.idle();
      expect((await a.query('X1')).status).toBe('closed');
      expect(rx.got.map((g) => [g.fields.trade_status, g.fields.gmt_close !== undefined])).toEqual([['TRADE_CLOSED', true]]);
      expect(() => m.pay('X1')).toThrow(/TRADE_CLOSED/);
    } finally {
      await m.stop();
      await rx.stop();
    }
  });
});
