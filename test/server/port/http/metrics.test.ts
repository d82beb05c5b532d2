/**
 * /metrics and /readyz on a real server (demo mode's sandboxes as the lot and the providers): every metric
 * operators alert on moves with what happens — payments by provider and outcome, the time from a payment
 * to the lot's acknowledgement, sendPayRes attempts and failures per park, lot call latency per interface,
 * undelivered paid orders and the oldest one's age, refunds pending, each park's heartbeat age, rate-limit
 * hits, refused notifications — and /readyz reports the engine, the jobs, the leases and the delivery queue.
 * /metrics is never public: its own port, and on the main port only with the token. The alert rules name
 * only metrics the server exports.
 */
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { Writable } from 'node:stream';
import yaml from 'js-yaml';
import { buildPath, orderEndpoints, type EndpointDef, type OrderView } from '../../../../shared/api';
import { DEMO_PARK_NUMBER } from '../../../../server/sandbox/bluecard';
import { loadConfig, type Config } from '../../../../server/src/config';
import { createLogger } from '../../../../server/src/logger';
import { startServer, type RunningServer } from '../../../../server/src/server';
import { testDatabaseUri } from '../../../support/db';
import { eventually } from '../../../support/payment-world';

jest.setTimeout(120_000);

const TOKEN = 'metrics-token-0123456789abcdef';
const P = DEMO_PARK_NUMBER;
let server: RunningServer;
let config: Config;
/** Every log line of the server, parsed. */
const logLines: Record<string, unknown>[] = [];
const logText: string[] = [];

beforeAll(async () => {
  config = loadConfig(
      {
        PORT: '0',
        MONGODB_URI: `${testDatabaseUri()}pp_metrics_${Date.now()}`,
        PARKPAY_DEMO_BLUECARD_PORT: '0',
        PARKPAY_DEMO_WECHAT_LOGIN_PORT: '0',
        PARKPAY_DEMO_WECHATPAY_PORT: '0',
        PARKPAY_DEMO_ALIPAY_PORT: '0',
        PARKPAY_METRICS_PORT: '0',
        PARKPAY_METRICS_TOKEN: TOKEN,
      },
      undefined,
      { demoWithConfiguredKeys: true },
    );
  const sink = new Writable({
    write(c, _e, cb) {
      const text = c.toString();
      logText.push(text);
      for (const l of text.split('\n').filter(Boolean)) logLines.push(JSON.parse(l) as Record<string, unknown>);
      cb();
    },
  });
  server = await startServer(
    config,
    { logger: createLogger('info', sink), workerPollMs: 100, orderPolicy: { deliveryBackoffMs: [0, 200, 400], refundBackoffMs: [0, 200, 400] } },
  );
});
afterAll(async () => {
  await server?.database.connection.dropDatabase().catch(() => undefined);
  await server?.stop();
});

const sb = () => server.demo!.sandboxes;
const lot = () => sb().bluecard.park(P);

/** The exposition as `name{labels}` → value (labels as the server writes them, service label dropped). */
async function scrape(url = `${server.metricsUrl}/metrics`, headers: Record<string, string> = {}): Promise<Map<string, number>> {
  const res = await fetch(url, { headers });
  expect(res.status).toBe(200);
  const out = new Map<string, number>();
  for (const line of (await res.text()).split('\n')) {
    if (!line || line.startsWith('#')) continue;
    const m = /^(\w+)(?:\{(.*)\})? (\S+)$/.exec(line);
    if (!m) continue;
    const labels = (m[2] ?? '')
      .split(/,(?=\w+=")/)
      .filter((l) => l && !l.startsWith('service='))
      .join(',');
    out.set(labels ? `${m[1]}{${labels}}` : m[1]!, Number(m[3]));
  }
  return out;
}
const value = (m: Map<string, number>, key: string) => m.get(key) ?? 0;

async function api<T>(method: string, p: string, token?: string, body?: unknown): Promise<{ status: number; body: T }> {
  const res = await fetch(`${server.url}${p}`, {
    method,
    headers: { ...(token ? { authorization: `Bearer ${token}` } : {}), ...(body !== undefined ? { 'content-type': 'application/json' } : {}) },
    body: body !== undefined ? JSON.stringify(body) : undefined,
  });
  const text = await res.text();
  return { status: res.status, body: (text ? JSON.parse(text) : undefined) as T };
}
const pathOf = <E extends EndpointDef>(e: E, params: Record<string, string>) => buildPath(e, params as never);

async function paidOrder(plate: string): Promise<{ token: string; orderNo: string }> {
  const token = (await api<{ token: string }>('POST', '/api/auth/wechat', undefined, { code: sb().wechatLogin.issueCode(`m-${plate.slice(-5)}`) })).body.token;
  await lot().arrive({ lane: '东门入口', plate, wait: true });
  await sb().bluecard.advanceClock(95 * 60_000);
  const fee = await api<{ order: { orderNo: string } }>('POST', '/api/fees/prepay', token, { parkNumber: P, plate });
  const orderNo = fee.body.order.orderNo;
  const pay = await api<{ pay: { requestPayment: Record<string, unknown> } }>('POST', pathOf(orderEndpoints.pay, { orderNo }), token, { wallet: 'wechat' });
  expect(sb().wechatPay.requestPayment(pay.body.pay.requestPayment, { outcome: 'pay' }).errMsg).toBe('requestPayment:ok');
  return { token, orderNo };
}
const statusOf = (token: string, orderNo: string) => api<OrderView>('GET', pathOf(orderEndpoints.order, { orderNo }), token).then((r) => r.body.status);

it('is never public: its own port, and the main port only with the token', async () => {
  expect((await fetch(`${server.url}/metrics`)).status).toBe(401);
  expect((await fetch(`${server.url}/metrics`, { headers: { authorization: 'Bearer wrong-token-0123456789' } })).status).toBe(401);
  const m = await scrape(`${server.url}/metrics`, { authorization: `Bearer ${TOKEN}` });
  expect(m.has('parkpay_process_resident_memory_bytes')).toBe(true);
  expect(server.metricsUrl).toMatch(/^http:\/\/127\.0\.0\.1:\d+$/);
  expect((await fetch(`${server.metricsUrl}/metrics`)).status).toBe(401); // the token is checked there too when set
  expect((await fetch(`${server.metricsUrl}/other`)).status).toBe(404);
});

it('a payment: paid, sendPayRes to the park, delivered, and the time it took', async () => {
  const before = await scrape(undefined, { authorization: `Bearer ${TOKEN}` });
  const { token, orderNo } = await paidOrder('京M00001');
  await eventually(() => statusOf(token, orderNo), (s) => s === 'delivered', 15_000);
  const m = await scrape(undefined, { authorization: `Bearer ${TOKEN}` });
  expect(value(m, 'parkpay_payments_total{provider="wechat",outcome="paid"}') - value(before, 'parkpay_payments_total{provider="wechat",outcome="paid"}')).toBe(1);
  expect(value(m, 'parkpay_payments_total{provider="wechat",outcome="delivered"}') - value(before, 'parkpay_payments_total{provider="wechat",outcome="delivered"}')).toBe(1);
  expect(value(m, 'parkpay_payment_to_lot_seconds_count{provider="wechat"}') - value(before, 'parkpay_payment_to_lot_seconds_count{provider="wechat"}')).toBe(1);
  expect(value(m, `parkpay_sendpayres_attempts_total{park="${P}"}`)).toBeGreaterThanOrEqual(1);
  expect(value(m, 'parkpay_lot_call_duration_seconds_count{interface="sendPayRes",outcome="ok"}')).toBeGreaterThanOrEqual(1);
  expect(value(m, 'parkpay_lot_call_duration_seconds_count{interface="getChargebf",outcome="ok"}')).toBeGreaterThanOrEqual(1);
  expect(value(m, 'parkpay_undelivered_paid_orders')).toBe(0);
  expect(value(m, 'parkpay_database_up')).toBe(1);

  // The log follows the payment end to end by its ids: ours, the lot's, the provider's, the park.
  const lines = (msg: string) => logLines.filter((l) => l.msg === msg && l.orderNo === orderNo);
  const [recorded] = lines('payment recorded');
  const [delivered] = lines('payment delivered to the lot');
  expect(recorded).toMatchObject({ parkNumber: P, provider: 'wechat', outTradeNo: expect.any(String), transactionId: expect.any(String) });
  expect(delivered).toMatchObject({ parkNumber: P, outTradeNo: recorded!.outTradeNo, transactionId: recorded!.transactionId, seconds: expect.any(Number) });
  expect(lines('payment recorded')).toHaveLength(1);
  expect(lines('payment delivered to the lot')).toHaveLength(1);
});

it('a lot that does not answer: the payment waits, failures per park, the queue behind in /readyz; then delivered', async () => {
  sb().bluecard.faults.add({ kind: 'http500', count: 10_000, name: 'sendPayRes' });
  try {
    const { token, orderNo } = await paidOrder('京M00002');
    const m = await eventually(
      () => scrape(undefined, { authorization: `Bearer ${TOKEN}` }),
      (x) => value(x, 'parkpay_undelivered_paid_orders') === 1 && value(x, `parkpay_sendpayres_failures_total{park="${P}",kind="http"}`) >= 2,
      15_000,
    );
    expect(value(m, 'parkpay_undelivered_oldest_age_seconds')).toBeGreaterThan(0);
    expect(value(m, 'parkpay_lot_call_duration_seconds_count{interface="sendPayRes",outcome="http"}')).toBeGreaterThanOrEqual(2);
    const ready = await fetch(`${server.url}/readyz`);
    expect(ready.status).toBe(200);
    expect(await ready.json()).toMatchObject({
      status: 'ready',
      database: 'up',
      engine: { up: true },
      jobs: { running: true, stalled: false },
      leases: { heldByUs: expect.any(Number), heldByOthers: 0, lapsed: expect.any(Number) },
      deliveryQueue: { undelivered: 1, oldestAgeSeconds: expect.any(Number) },
    });
    sb().bluecard.faults.clear();
    await eventually(() => statusOf(token, orderNo), (s) => s === 'delivered', 15_000);
    const after = await scrape(undefined, { authorization: `Bearer ${TOKEN}` });
    expect(value(after, 'parkpay_undelivered_paid_orders')).toBe(0);
    expect(value(after, 'parkpay_undelivered_oldest_age_seconds')).toBe(0);
    expect(await (await fetch(`${server.url}/readyz`)).json()).toMatchObject({ deliveryQueue: { undelivered: 0, behind: false } });
  } finally {
    sb().bluecard.faults.clear();
  }
});

it('a payment the lot refuses is refunded: cannot_count, a refund pending, then refunded', async () => {
  // The car left: a final refusal, refunded after the first answer.
  sb().bluecard.faults.add({ kind: 'fail', count: 1, name: 'sendPayRes', errorCode: '车辆已出场' });
  const { token, orderNo } = await paidOrder('京M00003');
  await eventually(() => statusOf(token, orderNo), (s) => s === 'refunding' || s === 'refunded', 15_000);
  const m = await scrape(undefined, { authorization: `Bearer ${TOKEN}` });
  expect(value(m, 'parkpay_payments_total{provider="wechat",outcome="cannot_count"}')).toBe(1);
  expect(value(m, `parkpay_sendpayres_failures_total{park="${P}",kind="rejected"}`)).toBe(1);
  await eventually(() => statusOf(token, orderNo), (s) => s === 'refunded', 30_000);
  const after = await scrape(undefined, { authorization: `Bearer ${TOKEN}` });
  expect(value(after, 'parkpay_payments_total{provider="wechat",outcome="refunded"}')).toBe(1);
  expect(value(after, 'parkpay_refunds_pending{kind="order"}')).toBe(0);
});

it("each park's heartbeat age", async () => {
  await sb().bluecard.heartbeatNow(P);
  const m = await scrape(undefined, { authorization: `Bearer ${TOKEN}` });
  expect(value(m, `parkpay_park_heartbeat_age_seconds{park="${P}"}`)).toBeGreaterThanOrEqual(0);
  expect(value(m, `parkpay_park_heartbeat_age_seconds{park="${P}"}`)).toBeLessThan(5);
  await sb().bluecard.advanceClock(0);
});

it('rate-limit hits and refused notifications', async () => {
  for (let i = 0; i < 6; i++) {
    await api('POST', '/api/op/auth/login', undefined, { username: 'demo-admin', password: `wrong-password-${i}` });
  }
  const bad = await fetch(`${server.url}/notify/wechatpay`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: '{"forged":true}' });
  expect(bad.status).toBeGreaterThanOrEqual(400);
  const m = await scrape(undefined, { authorization: `Bearer ${TOKEN}` });
  expect(value(m, 'parkpay_rate_limit_hits_total{scope="api",code="login_locked"}')).toBeGreaterThanOrEqual(1);
  expect(value(m, 'parkpay_payments_total{provider="wechat",outcome="notification_refused"}')).toBe(1);
  expect(value(m, 'parkpay_http_request_duration_seconds_count{method="POST",route="/api/op/auth/login",status="4xx"}')).toBeGreaterThanOrEqual(6);
});

it('the alert rules name only metrics the server exports', async () => {
  const rules = yaml.load(readFileSync(path.resolve(__dirname, '../../../../deploy/prometheus/parkpay-alerts.yml'), 'utf8')) as {
    groups: { name: string; rules: { alert: string; expr: string; labels: { severity: string }; annotations: { summary: string } }[] }[];
  };
  // Every metric the server declares (a labelled one is declared before it has a value), with a histogram's series.
  const text = await (await fetch(`${server.metricsUrl}/metrics`, { headers: { authorization: `Bearer ${TOKEN}` } })).text();
  const exported = new Set(
    [...text.matchAll(/^# TYPE (\w+) (\w+)$/gm)].flatMap(([, name, type]) => (type === 'histogram' ? [`${name}_bucket`, `${name}_count`, `${name}_sum`] : [name!])),
  );
  const alerts = rules.groups.flatMap((g) => g.rules);
  expect(alerts.map((a) => a.alert)).toEqual(expect.arrayContaining(['ParkPayLotSilent', 'ParkPayPaymentUndelivered', 'ParkPayRefundsStuck']));
  for (const a of alerts) {
    expect(['critical', 'warning']).toContain(a.labels.severity);
    expect(a.annotations.summary).toBeTruthy();
    for (const name of a.expr.match(/\bparkpay_\w+/g) ?? []) expect([a.alert, exported.has(name)]).toEqual([a.alert, true]);
  }
  // Each alert has its runbook entry.
  const operations = readFileSync(path.resolve(__dirname, '../../../../docs/operations.md'), 'utf8');
  for (const a of alerts) expect([a.alert, operations.includes(`### ${a.alert}`)]).toEqual([a.alert, true]);
});

it('no secret reaches the log', () => {
  const all = logText.join('');
  // The keys the server runs on: demo mode's sandboxes issued them.
  const demo = server.demo!;
  const pemBody = (pem: string) => pem.split('\n').find((l) => l.length > 40 && !l.startsWith('-----'))!;
  const secrets = [
    TOKEN,
    demo.wechatPay.apiV3Key,
    pemBody(demo.wechatPay.merchantPrivateKey),
    demo.wechatLogin.appSecret,
    ...demo.parks.map((p) => p.key),
    pemBody(demo.alipay.privateKey),
  ];
  expect(secrets.length).toBeGreaterThanOrEqual(5);
  for (const secret of secrets) expect([secret.slice(0, 6), all.includes(secret)]).toEqual([secret.slice(0, 6), false]);
});
