/**
 * Demo mode as the playground drives it, on the real server (every stand-in running):
 * - one clock: moving the lot's clock (control API or playground) moves ParkPay's, so an order paid after
 *   the move is stamped after the entry and its leave-by is the lot's now + the free minutes; the clock only
 *   moves forward, and its lead is kept across restarts with the embedded data;
 * - the playground's page and API: state (lanes, cars, areas, clock, the call log and barrier openings), drive
 *   in and out, the lane screen's QR paid through the scan page, the booth, monthly cars, the fault switches
 *   and the lane QR provider (through ParkPay's operator API); /demo is not there outside demo mode.
 */
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { loadConfig } from '../../../server/src/config';
import { createLogger } from '../../../server/src/logger';
import { DEMO_PARK_NUMBER } from '../../../server/sandbox/bluecard';
import { startDemo } from '../../../server/sandbox/demo';
import { startServer, type RunningServer } from '../../../server/src/server';
import { parseChinaTime } from '../../../shared/time';
import { eventually } from '../../support/payment-world';
import { testDatabaseUri } from '../../support/db';

jest.setTimeout(60_000);

let server: RunningServer;
const P = DEMO_PARK_NUMBER;
const MIN = 60_000;

beforeAll(async () => {
  server = await startServer(
    loadConfig({
      PORT: '0',
      MONGODB_URI: `${testDatabaseUri()}pp_playground_${Date.now()}`,
      PARKPAY_DEMO_BLUECARD_PORT: '0',
      PARKPAY_DEMO_WECHAT_LOGIN_PORT: '0',
      PARKPAY_DEMO_WECHATPAY_PORT: '0',
      PARKPAY_DEMO_ALIPAY_PORT: '0',
      PARKPAY_H5_DIR: path.join(os.tmpdir(), 'parkpay-no-h5-here'),
    }, undefined, { demoWithConfiguredKeys: true }),
    { logger: createLogger('silent'), workerPollMs: 100 },
  );
  await server.demo!.sandboxes.bluecard.flushOutbox();
});
afterAll(async () => {
  await server?.database.connection.dropDatabase().catch(() => undefined);
  await server?.stop();
});

const sb = () => server.demo!.sandboxes;
const lot = () => sb().bluecard.park(P);

async function call<T = any>(method: string, p: string, body?: unknown, token?: string): Promise<{ status: number; body: T }> { // eslint-disable-line @typescript-eslint/no-explicit-any
  const res = await fetch(`${p.startsWith('http') ? '' : server.url}${p}`, {
    method,
    headers: { ...(body !== undefined ? { 'content-type': 'application/json' } : {}), ...(token ? { authorization: `Bearer ${token}` } : {}) },
    body: body !== undefined ? JSON.stringify(body) : undefined,
  });
  const text = await res.text();
  let json: unknown = text;
  try {
    json = JSON.parse(text);
  } catch {
    /* HTML */
  }
  return { status: res.status, body: json as T };
}
const state = () => call('GET', '/demo/api/state').then((r) => r.body);
const carOf = async (plate: string) => ((await state()).cars as { plate: string; orderId: string; owed: string }[]).find((c) => c.plate === plate);

describe('one clock in demo mode', () => {
  it('ParkPay runs on the lot clock: after the lot moves 75 minutes an order is stamped after entry and its leave-by follows the lot', async () => {
    const { orderId } = await lot().arrive({ lane: '1', plate: '京C10001', wait: true });
    const inTime = lot().state.cars.get(orderId)!.inTime;
    // Through the Bluecard sandbox's control API, as the README shows.
    const moved = await call('POST', `${sb().bluecard.url}/sandbox/clock`, { advanceMinutes: 75 });
    expect(moved.status).toBe(200);
    expect(server.demo!.clock.now() - inTime).toBeGreaterThanOrEqual(75 * MIN);

    const login = await call<{ token: string; expiresAt: string }>('POST', '/api/auth/demo', { name: 'clock' });
    const fee = await call<{ payFen: number; inTime: string; order: { orderNo: string } }>('POST', '/api/fees/prepay', { parkNumber: P, plate: '京C10001' }, login.body.token);
    expect(fee.status).toBe(200);
    expect(fee.body.payFen).toBe(400);
    const orderNo = fee.body.order.orderNo;
    const pay = await call<{ pay: { requestPayment: Record<string, unknown> } }>('POST', `/api/orders/${orderNo}/pay`, { wallet: 'wechat' }, login.body.token);
    expect(sb().wechatPay.requestPayment(pay.body.pay.requestPayment, { outcome: 'pay' }).errMsg).toBe('requestPayment:ok');
    const order = await eventually(
      () => call<{ status: string; leaveBy: string; createdAt: string }>('GET', `/api/orders/${orderNo}`, undefined, login.body.token),
      (r) => r.body.status === 'delivered',
      15_000,
    );
    const createdAt = Date.parse(order.body.createdAt);
    expect(createdAt).toBeGreaterThanOrEqual(inTime + 75 * MIN);
    // Leave by = when the lot took the payment + its 15 free minutes, on the one clock.
    const payment = lot().state.cars.get(orderId)!.payments[0]!;
    expect(Date.parse(order.body.leaveBy)).toBe(parseChinaTime(payment.payTime).getTime() + 15 * MIN);
    expect(Date.parse(order.body.leaveBy)).toBeGreaterThan(server.demo!.clock.now());
    await lot().leave({ lane: '2', orderId, wait: true });
  });

  it("app API answers carry ParkPay's now (x-server-time): the app counts down on the lot's clock", async () => {
    const before = server.demo!.clock.now();
    const r = await fetch(`${server.url}/api/demo`);
    const t = Number(r.headers.get('x-server-time'));
    expect(t).toBeGreaterThanOrEqual(before);
    expect(t).toBeLessThanOrEqual(server.demo!.clock.now());
    // Ahead of real time since the lot moved 75 minutes.
    expect(t - Date.now()).toBeGreaterThan(60 * MIN);
    expect((await fetch(`${server.url}/healthz`)).headers.get('x-server-time')).toBeNull();
  });

  it('moves only forward: setting it back is refused (ParkPay shares it)', async () => {
    const now = server.demo!.clock.now();
    const back = await call('POST', `${sb().bluecard.url}/sandbox/clock`, { set: now - 60 * MIN });
    expect(back.status).toBe(409);
    expect(back.body.error.code).toBe('clock_backwards');
    expect(server.demo!.clock.now()).toBeGreaterThanOrEqual(now);
    expect((await call('POST', '/demo/api/clock', { advanceMinutes: -5 })).status).toBe(400);
  });

});

describe('the playground (/demo)', () => {
  it('serves its page and assets', async () => {
    const page = await fetch(`${server.url}/demo/`);
    expect(page.status).toBe(200);
    expect(page.headers.get('content-type')).toMatch(/text\/html/);
    const html = await page.text();
    expect(html).toContain('ParkPay 车场演示');
    expect(html).toContain('/demo/assets/playground.js');
    expect((await fetch(`${server.url}/demo/assets/playground.js`)).status).toBe(200);
    expect((await fetch(`${server.url}/demo/assets/playground.css`)).headers.get('content-type')).toMatch(/text\/css/);
    expect((await fetch(`${server.url}/demo/assets/..%2Fplayground.test.ts`)).status).toBe(404);
    // No driver app build here: its pages say so (the phone frame shows it) instead of a bare JSON 404.
    for (const p of ['/', `/q/${P}/1`]) {
      const app = await fetch(`${server.url}${p}`);
      expect(app.status).toBe(404);
      expect(await app.text()).toContain('data-state="missing"');
    }
    expect((await fetch(`${server.url}/api/nothing`)).headers.get('content-type')).toMatch(/json/);
    const bare = await fetch(`${server.url}/demo`, { redirect: 'manual' });
    expect(bare.status).toBe(302);
    expect(bare.headers.get('location')).toBe('/demo/');
  });

  it('state: the lot with its lanes, areas, clock and the calls after a cursor', async () => {
    const s = await state();
    expect(s.park).toMatchObject({ parkNumber: P, name: '示例停车场' });
    expect(s.lanes.map((l: { passagewayId: string; direction: string }) => `${l.passagewayId}:${l.direction}`)).toEqual(['1:in', '2:out', '3:in', '4:out']);
    expect(s.lanes[0].link).toBe(`${server.url}/q/${P}/1`);
    expect(s.lanes[0].linkQr).toMatch(/^<svg/);
    expect(s.areas).toEqual([
      expect.objectContaining({ name: '地面停车场', spaces: 120 }),
      expect.objectContaining({ name: '地下停车场', spaces: 80 }),
    ]);
    expect(Math.abs(s.clock.now - server.demo!.clock.now())).toBeLessThan(5_000);
    expect(s.calls.length).toBeGreaterThan(0);
    const later = await call('GET', `/demo/api/state?calls=${s.cursor.calls}&gates=${s.cursor.gates}`);
    expect(later.body.calls.every((c: { seq: number }) => c.seq > s.cursor.calls)).toBe(true);
    expect(s.driverApp).toEqual({ state: 'missing' });
  });

  it('drive in: the lot lets the car in (barrier), tells ParkPay (4.2) and the car is listed with what it owes', async () => {
    const before = (await state()).cursor;
    const r = await call('POST', '/demo/api/arrivals', { lane: '1', plate: '粤B20001' });
    expect(r.status).toBe(201);
    expect(r.body).toMatchObject({ plate: '粤B20001', carType: '临时车' });
    await call('POST', '/demo/api/clock', { advanceMinutes: 61 });
    const s = await call('GET', `/demo/api/state?calls=${before.calls}&gates=${before.gates}`).then((x) => x.body);
    expect(s.gates).toEqual([expect.objectContaining({ kind: 'in', passagewayId: '1', plate: '粤B20001' })]);
    expect(s.cars.find((c: { plate: string }) => c.plate === '粤B20001')).toMatchObject({ owed: '4.00', minutes: 61, areaName: '地面停车场', exitLane: '2' });
    await eventually(
      () => call('GET', `/demo/api/state?calls=${before.calls}`).then((x) => x.body.calls as { section: string; outcome: string; detail?: string }[]),
      (calls) => calls.some((c) => c.section === '4.2' && c.outcome === 'success' && (c.detail ?? '').includes('粤B20001')),
      10_000,
    );
    // An entry lane refuses an exit, and bad input is a 400.
    expect((await call('POST', '/demo/api/arrivals', { lane: '2', plate: '粤B20009' })).status).toBe(400);
    expect((await call('POST', '/demo/api/arrivals', { lane: '1' })).status).toBe(400);
  });

  it("owing money at the exit: the lane screen shows ParkPay's QR; the phone's scan page pays it; the lot's 4.17 poll opens the barrier", async () => {
    const car = (await carOf('粤B20001'))!;
    const out = await call('POST', '/demo/api/departures', { orderId: car.orderId });
    expect(out.status).toBe(409);
    expect(out.body.error).toMatchObject({ code: 'unpaid', payCharge: '4.00' });
    const qrCode: string = out.body.error.qrCode;
    expect(qrCode).toMatch(/^weixin:\/\/wxpay\//);
    const lane2 = (await state()).lanes.find((l: { passagewayId: string }) => l.passagewayId === '2');
    expect(lane2).toMatchObject({ waiting: { plate: '粤B20001', owed: '4.00' }, screen: { qrCode, wallet: 'wechat', message: '请扫码缴费 4.00 元' } });
    expect(lane2.screen.qrSvg).toMatch(/^<svg/);

    const sheet = await call('GET', `/demo/scan?code=${encodeURIComponent(qrCode)}`);
    expect(sheet.status).toBe(200);
    expect(sheet.body).toContain('微信支付');
    expect(sheet.body).toContain('4.00');
    const paid = await fetch(`${server.url}/demo/scan`, { method: 'POST', headers: { 'content-type': 'application/x-www-form-urlencoded' }, body: new URLSearchParams({ code: qrCode, action: 'pay' }) });
    expect(paid.status).toBe(200);
    expect(await paid.text()).toContain('data-outcome="paid"');
    // The lot's next 4.17 poll (a few seconds of its clock) finds it paid and lets the car out.
    await eventually(
      async () => {
        await call('POST', '/demo/api/clock', { advanceMinutes: 0.1 });
        return lot().state.cars.get(car.orderId)!.outTime;
      },
      (t) => t !== undefined,
      15_000,
    );
    expect((await state()).gates.some((g: { kind: string; plate: string }) => g.kind === 'out' && g.plate === '粤B20001')).toBe(true);
    // The same code again: already paid.
    expect((await fetch(`${server.url}/demo/scan`, { method: 'POST', headers: { 'content-type': 'application/x-www-form-urlencoded' }, body: new URLSearchParams({ code: qrCode }) })).status).toBe(409);
    expect((await call('GET', '/demo/scan?code=nonsense')).body).toContain('data-outcome="unknown"');
  });

  it('the booth: an Alipay payment code (4.24) pays and the car leaves; cash too', async () => {
    await call('POST', '/demo/api/arrivals', { lane: '3', plate: '粤B20002' });
    await call('POST', '/demo/api/arrivals', { lane: '3', plate: '粤B20003' });
    await call('POST', '/demo/api/clock', { advanceMinutes: 30 });
    const a = (await carOf('粤B20002'))!;
    const booth = await call('POST', '/demo/api/departures', { orderId: a.orderId, booth: 'alipay' });
    expect(booth.status).toBe(200);
    expect(booth.body).toMatchObject({ left: true, lane: '4', lanePayment: { section: '4.24', paid: '2.00' } });
    const b = (await carOf('粤B20003'))!;
    const cash = await call('POST', '/demo/api/departures', { orderId: b.orderId, booth: 'cash' });
    expect(cash.status).toBe(200);
    expect(lot().state.cars.get(b.orderId)!.payments.map((p) => p.payKind)).toEqual(['现金']);
  });

  it('a monthly car entered at the booth leaves free, and the lot tells ParkPay (4.32)', async () => {
    await call('POST', '/demo/api/arrivals', { lane: '1', plate: '粤B20004' });
    const m = await call('POST', '/demo/api/monthly', { plate: '粤B20004', days: 30 });
    expect(m.status).toBe(201);
    await call('POST', '/demo/api/clock', { advanceMinutes: 180 });
    const car = (await carOf('粤B20004'))!;
    expect(car).toMatchObject({ owed: '0.00' });
    expect((await state()).cars.find((c: { plate: string }) => c.plate === '粤B20004').monthlyUntil).toBe(m.body.until);
    expect((await call('POST', '/demo/api/departures', { orderId: car.orderId })).status).toBe(200);
    await eventually(() => Promise.resolve(sb().bluecard.calls.since(0)), (calls) => calls.some((c) => c.section === '4.32' && c.outcome === 'success'), 10_000);
  });

  it('fault switches: offline (nothing passes, records wait and go when back), slow, busy (HTTP 500 ×2), a lost notification', async () => {
    const f = sb().bluecard.faults;
    expect((await call('POST', '/demo/api/faults', { offline: true })).body).toMatchObject({ offline: true });
    const cursor = (await state()).cursor.calls;
    await call('POST', '/demo/api/arrivals', { lane: '1', plate: '粤B20005' });
    // ParkPay's calls find nobody (the connection drops).
    await expect(fetch(`${sb().bluecard.url}/bcopenapi/out/getChargebf`, { method: 'POST', body: '{}' })).rejects.toThrow();
    const offline = (await call('GET', `/demo/api/state?calls=${cursor}`)).body.calls as { section: string; outcome: string; direction: string }[];
    expect(offline.some((c) => c.section === '4.2' && c.outcome === 'error')).toBe(true);
    expect(offline.some((c) => c.direction === 'down' && c.outcome === 'fault')).toBe(true);
    expect(sb().bluecard.outbox.pending(P).some((i) => i.kind === 'entry')).toBe(true);
    expect((await call('POST', '/demo/api/faults', { offline: false })).body).toMatchObject({ offline: false });
    await eventually(() => Promise.resolve(sb().bluecard.outbox.pending(P).filter((i) => i.kind === 'entry').length), (n) => n === 0, 10_000);

    expect((await call('POST', '/demo/api/faults', { slow: true })).body).toMatchObject({ slow: true, slowMs: 3000 });
    expect(f.conditions.slowMs).toBe(3000);
    await call('POST', '/demo/api/faults', { slow: false });
    expect(f.conditions.slowMs).toBe(0);

    expect((await call('POST', '/demo/api/faults', { busy: true })).body).toMatchObject({ busy: true, busyLeft: 2 });
    expect(f.list().filter((x) => x.kind === 'http500')).toEqual([expect.objectContaining({ remaining: 2 })]);
    expect((await call('POST', '/demo/api/faults', { busy: false })).body).toMatchObject({ busy: false });
    expect(f.list()).toEqual([]);

    expect((await call('POST', '/demo/api/faults', { loseNotification: true })).body).toMatchObject({ loseNotification: true });
    expect((await call('POST', '/demo/api/faults', { loseNotification: false })).body).toMatchObject({ loseNotification: false });
    expect((await call('POST', '/demo/api/faults', { nonsense: true })).status).toBe(400);
  });

  it("a busy lot: ParkPay's own retries ride out the switch's HTTP 500s and the driver gets the fee", async () => {
    await lot().arrive({ lane: '1', plate: '粤B20009', wait: true });
    await call('POST', '/demo/api/clock', { advanceMinutes: 70 });
    const cursor = (await state()).cursor.calls;
    expect((await call('POST', '/demo/api/faults', { busy: true })).body).toMatchObject({ busy: true });
    const token = (await call('POST', '/api/auth/demo', { name: 'busy' })).body.token;
    const fee = await call('POST', '/api/fees/prepay', { parkNumber: P, plate: '粤B20009' }, token);
    expect(fee.status).toBe(200);
    expect(fee.body.payFen).toBe(400);
    const calls = (await call('GET', `/demo/api/state?calls=${cursor}`)).body.calls as { section: string; direction: string; outcome: string }[];
    const feeCalls = calls.filter((c) => c.section === '4.4' && c.direction === 'down').map((c) => c.outcome);
    expect(feeCalls.filter((o) => o === 'fault')).toHaveLength(2);
    expect(feeCalls).toContain('success');
    expect((await state()).faults.busy).toBe(false);
  });

  it('a lost payment notification: ParkPay finds the payment by asking WeChat Pay when the app polls', async () => {
    const { orderId } = await lot().arrive({ lane: '1', plate: '粤B20006', wait: true });
    await call('POST', '/demo/api/clock', { advanceMinutes: 70 });
    await call('POST', '/demo/api/faults', { loseNotification: true });
    const token = (await call('POST', '/api/auth/demo', { name: 'lost' })).body.token;
    const fee = await call('POST', '/api/fees/prepay', { parkNumber: P, plate: '粤B20006' }, token);
    const pay = await call('POST', `/api/orders/${fee.body.order.orderNo}/pay`, { wallet: 'wechat' }, token);
    sb().wechatPay.requestPayment(pay.body.pay.requestPayment, { outcome: 'pay' });
    expect(sb().wechatPay.notifications().filter((n) => n.state === 'lost')).toHaveLength(1);
    expect((await state()).faults.loseNotification).toBe(false);
    await eventually(() => call('GET', `/api/orders/${fee.body.order.orderNo}`, undefined, token), (r) => r.body.status === 'delivered', 20_000);
    expect(lot().state.cars.get(orderId)!.payments).toHaveLength(1);
  });

  it("a lost Alipay notification for a lane QR: the lot's 4.17 poll makes ParkPay ask Alipay, and the car leaves", async () => {
    await call('POST', '/demo/api/settings', { laneQrProvider: 'alipay' });
    await call('POST', '/demo/api/arrivals', { lane: '1', plate: '粤B20008' });
    await call('POST', '/demo/api/clock', { advanceMinutes: 50 });
    const car = (await carOf('粤B20008'))!;
    const out = await call('POST', '/demo/api/departures', { orderId: car.orderId });
    const qrCode: string = out.body.error.qrCode;
    expect((await call('POST', '/demo/api/faults', { loseNotification: true })).body.loseNotification).toBe(true);
    const paid = await fetch(`${server.url}/demo/scan`, { method: 'POST', headers: { 'content-type': 'application/x-www-form-urlencoded' }, body: new URLSearchParams({ code: qrCode }) });
    expect(await paid.text()).toContain('data-outcome="paid"');
    expect(sb().alipay.notifications().filter((n) => n.state === 'lost')).toHaveLength(1);
    // Spent for both wallets: the next WeChat notification is delivered.
    expect((await state()).faults.loseNotification).toBe(false);
    await eventually(
      async () => {
        await call('POST', '/demo/api/clock', { advanceMinutes: 0.1 });
        return lot().state.cars.get(car.orderId)!.outTime;
      },
      (t) => t !== undefined,
      20_000,
    );
    await call('POST', '/demo/api/settings', { laneQrProvider: 'wechat' });
  });

  it('the lane QR provider is the park setting in ParkPay, changed as the demo admin', async () => {
    const r = await call('POST', '/demo/api/settings', { laneQrProvider: 'alipay' });
    expect(r.body).toEqual({ laneQrProvider: 'alipay' });
    expect((await state()).settings.laneQrProvider).toBe('alipay');
    await call('POST', '/demo/api/arrivals', { lane: '1', plate: '粤B20007' });
    await call('POST', '/demo/api/clock', { advanceMinutes: 40 });
    const out = await call('POST', '/demo/api/departures', { orderId: (await carOf('粤B20007'))!.orderId });
    expect(out.body.error.qrCode).not.toMatch(/^weixin:/);
    expect(sb().alipay.trades().some((t) => t.qrCode === out.body.error.qrCode)).toBe(true);
    await call('POST', '/demo/api/settings', { laneQrProvider: 'wechat' });
  });
});

describe('outside demo mode', () => {
  it('there is no /demo', async () => {
    const plain = await startServer(loadConfig({ PORT: '0', MONGODB_URI: `${testDatabaseUri()}pp_playground_off_${Date.now()}` }, undefined, { demoWithConfiguredKeys: true }), { logger: createLogger('silent'), demo: false });
    try {
      expect((await fetch(`${plain.url}/demo/`)).status).toBe(404);
      expect((await fetch(`${plain.url}/demo/api/state`)).status).toBe(404);
      expect(plain.demo).toBeUndefined();
    } finally {
      await plain.database.connection.dropDatabase().catch(() => undefined);
      await plain.stop();
    }
  });
});

describe('the demo clock across restarts', () => {
  it('keeps its lead over real time in the data folder across restarts', async () => {
    const dir = mkdtempSync(path.join(os.tmpdir(), 'parkpay-demo-clock-'));
    const clockFile = path.join(dir, 'demo-clock.json');
    const ports = { bluecardSandboxPort: 0, wechatPaySandboxPort: 0, alipaySandboxPort: 0, wechatLoginSandboxPort: 0, buildDriverApp: false };
    try {
      const first = await startDemo({ logger: createLogger('silent'), host: '127.0.0.1', ports, clockFile });
      await first.sandboxes.bluecard.advanceClock(3 * 60 * MIN);
      await first.stop();
      expect((JSON.parse(readFileSync(clockFile, 'utf8')) as { leadMs: number }).leadMs).toBeGreaterThanOrEqual(3 * 60 * MIN - 1000);
      const second = await startDemo({ logger: createLogger('silent'), host: '127.0.0.1', ports, clockFile });
      try {
        expect(second.clock.now() - Date.now()).toBeGreaterThanOrEqual(3 * 60 * MIN - 2000);
      } finally {
        await second.stop();
      }
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
