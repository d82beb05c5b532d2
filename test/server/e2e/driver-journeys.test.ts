/**
 * The driver's journeys through ParkPay's app API, in demo mode (every stand-in a signing, checking sandbox):
 * log in → unlicensed entry and exit, pre-pay with WeChat Pay and with Alipay, nothing to pay, the lot
 * unreachable, a payment cancelled then retried — until the lot lets the car out. And one driver can
 * never read or pay another's order.
 */
import { buildPath, type EndpointDef } from '../../../shared/api/contract';
import { orderEndpoints, type OrderView } from '../../../shared/api/orders';
import { loadConfig } from '../../../server/src/config';
import { createLogger } from '../../../server/src/logger';
import { DEMO_PARK_NUMBER } from '../../../server/sandbox/bluecard';
import { startServer, type RunningServer } from '../../../server/src/server';
import { eventually } from '../../support/payment-world';
import { testDatabaseUri } from '../../support/db';

let server: RunningServer;
const P = DEMO_PARK_NUMBER;
beforeAll(async () => {
  server = await startServer(
    loadConfig({
      PORT: '0',
      MONGODB_URI: `${testDatabaseUri()}pp_journeys_${Date.now()}`,
      PARKPAY_DEMO_BLUECARD_PORT: '0',
      PARKPAY_DEMO_WECHAT_LOGIN_PORT: '0',
      PARKPAY_DEMO_WECHATPAY_PORT: '0',
      PARKPAY_DEMO_ALIPAY_PORT: '0',
    }, undefined, { demoWithConfiguredKeys: true }),
    { logger: createLogger('silent'), workerPollMs: 100 },
  );
  // A server with four sandboxes: seconds on a busy machine.
}, 60_000);
afterAll(async () => {
  if (!server) return;
  await server.database.connection.dropDatabase().catch(() => undefined);
  await server.stop();
});

const sb = () => server.demo!.sandboxes;
const lot = () => sb().bluecard.park(P);

async function api<T = unknown>(method: string, path: string, token?: string, body?: unknown): Promise<{ status: number; body: T }> {
  const res = await fetch(`${server.url}${path}`, {
    method,
    headers: { ...(token ? { authorization: `Bearer ${token}` } : {}), ...(body !== undefined ? { 'content-type': 'application/json' } : {}) },
    body: body !== undefined ? JSON.stringify(body) : undefined,
  });
  return { status: res.status, body: (await res.json()) as T };
}
const path = <E extends EndpointDef>(e: E, params: Record<string, string>) => buildPath(e, params as never);

async function wechatDriver(name: string): Promise<string> {
  const code = sb().wechatLogin.issueCode(name);
  const r = await api<{ token: string }>('POST', '/api/auth/wechat', undefined, { code });
  expect(r.status).toBe(200);
  return r.body.token;
}
async function alipayDriver(name: string): Promise<string> {
  const code = sb().alipay.issueAuthCode(name);
  const r = await api<{ token: string }>('POST', '/api/auth/alipay', undefined, { code });
  expect(r.status).toBe(200);
  return r.body.token;
}
const orderOf = (token: string, orderNo: string) => api<OrderView>('GET', path(orderEndpoints.order, { orderNo }), token);
const delivered = (token: string, orderNo: string) => eventually(() => orderOf(token, orderNo), (r) => r.body.status === 'delivered', 10_000);

async function carIn(plate: string, minutes: number) {
  await lot().arrive({ lane: '东门入口', plate, wait: true });
  await sb().bluecard.advanceClock(minutes * 60_000);
}

describe('pre-pay before the exit', () => {
  it('with WeChat Pay: plate → fee with its parts → pay → the lot is told → time left to leave', async () => {
    const token = await wechatDriver('wang');
    await api('POST', '/api/me/plates', token, { plate: '京A 88001' });
    await carIn('京A88001', 95);
    const fee = await api<{ payFen: number; chargeFen: number; paidFen: number; discountFen: number; order: { orderNo: string } }>('POST', '/api/fees/prepay', token, { parkNumber: P, plate: '京A88001' });
    expect(fee.status).toBe(200);
    expect(fee.body).toMatchObject({ chargeFen: 400, paidFen: 0, discountFen: 0, payFen: 400 });
    const orderNo = fee.body.order.orderNo;
    const pay = await api<{ pay: { wallet: string; requestPayment: Record<string, unknown> } }>('POST', path(orderEndpoints.pay, { orderNo }), token, { wallet: 'wechat' });
    expect(pay.status).toBe(200);
    expect(sb().wechatPay.requestPayment(pay.body.pay.requestPayment, { outcome: 'pay' }).errMsg).toBe('requestPayment:ok');
    const done = await delivered(token, orderNo);
    expect(done.body.leaveBy).not.toBeNull();
    expect(done.body.wallet).toBe('wechat');
    // The barrier opens: the lot lets the car out.
    await expect(lot().leave({ lane: '东门出口', plate: '京A88001', wait: true })).resolves.toBeDefined();
    const history = await api<{ orders: OrderView[] }>('GET', '/api/orders', token);
    expect(history.body.orders.map((o) => [o.orderNo, o.status])).toEqual([[orderNo, 'delivered']]);
  });

  it('with Alipay', async () => {
    const token = await alipayDriver('li');
    await carIn('沪B88002', 130);
    const fee = await api<{ order: { orderNo: string }; payFen: number }>('POST', '/api/fees/prepay', token, { parkNumber: P, plate: '沪B88002' });
    expect(fee.body.payFen).toBe(600);
    const orderNo = fee.body.order.orderNo;
    const pay = await api<{ pay: { wallet: string; tradeNo: string } }>('POST', path(orderEndpoints.pay, { orderNo }), token, { wallet: 'alipay' });
    expect(pay.body.pay.wallet).toBe('alipay');
    expect(sb().alipay.pay(orderNo, 'li').resultCode).toBe('9000');
    await delivered(token, orderNo);
    await expect(lot().leave({ lane: '东门出口', plate: '沪B88002', wait: true })).resolves.toBeDefined();
  });

  it('nothing to pay: no order, drive out', async () => {
    const token = await wechatDriver('zhao');
    await carIn('粤C88003', 8);
    const fee = await api<{ payFen: number; order: unknown }>('POST', '/api/fees/prepay', token, { parkNumber: P, plate: '粤C88003' });
    expect(fee.body).toMatchObject({ payFen: 0, order: null });
  });

  it('the lot unreachable, and an unknown plate: clear errors', async () => {
    const token = await wechatDriver('qian');
    await carIn('粤C88004', 60);
    sb().bluecard.faults.add({ kind: 'http500', count: 3, name: 'getChargebf' });
    const down = await api<{ error: { code: string } }>('POST', '/api/fees/prepay', token, { parkNumber: P, plate: '粤C88004' });
    expect(down.status).toBe(503);
    expect(down.body.error.code).toBe('lot_unreachable');
    const unknown = await api<{ error: { code: string; message: string } }>('POST', '/api/fees/prepay', token, { parkNumber: P, plate: '粤C00000' });
    expect(unknown.status).toBe(404);
    expect(unknown.body.error.code).toBe('stay_unknown');
  });

  it('a payment cancelled in the wallet, then retried', async () => {
    const token = await wechatDriver('sun');
    await carIn('浙D88005', 70);
    const fee = await api<{ order: { orderNo: string } }>('POST', '/api/fees/prepay', token, { parkNumber: P, plate: '浙D88005' });
    const orderNo = fee.body.order.orderNo;
    const first = await api<{ pay: { requestPayment: Record<string, unknown> } }>('POST', path(orderEndpoints.pay, { orderNo }), token, { wallet: 'wechat' });
    expect(sb().wechatPay.requestPayment(first.body.pay.requestPayment, { outcome: 'cancel' }).errMsg).toBe('requestPayment:fail cancel');
    expect((await orderOf(token, orderNo)).body.status).toBe('pending');
    const retry = await api<{ pay: { requestPayment: Record<string, unknown> } }>('POST', path(orderEndpoints.pay, { orderNo }), token, { wallet: 'wechat' });
    expect(retry.body.pay.requestPayment.package).toBe(first.body.pay.requestPayment.package);
    expect(sb().wechatPay.requestPayment(retry.body.pay.requestPayment, { outcome: 'pay' }).errMsg).toBe('requestPayment:ok');
    await delivered(token, orderNo);
  });
});

describe('unlicensed car', () => {
  it('enters on a temporary plate with the WeChat identity, and leaves after paying with the same identity', async () => {
    const token = await wechatDriver('zhou');
    const entry = await api<{ plate: string; inTime: string }>('POST', '/api/unlicensed/entry', token, { parkNumber: P, passagewayId: '1', wallet: 'wechat' });
    expect(entry.status).toBe(200);
    expect(entry.body.plate).toMatch(/^临/);
    await sb().bluecard.advanceClock(50 * 60_000);
    const fee = await api<{ plate: string; payFen: number; order: { orderNo: string } }>('POST', '/api/unlicensed/exit-fee', token, { parkNumber: P, passagewayId: '2', wallet: 'wechat' });
    expect(fee.status).toBe(200);
    expect(fee.body).toMatchObject({ plate: entry.body.plate, payFen: 200 });
    const orderNo = fee.body.order.orderNo;
    const pay = await api<{ pay: { requestPayment: Record<string, unknown> } }>('POST', path(orderEndpoints.pay, { orderNo }), token, { wallet: 'wechat' });
    sb().wechatPay.requestPayment(pay.body.pay.requestPayment, { outcome: 'pay' });
    const done = await delivered(token, orderNo);
    expect(done.body.kind).toBe('unlicensed_exit');
    // The car waiting at the exit lane went out when the lot was paid.
    await eventually(async () => lot().dump().cars.some((c: { plate: string }) => c.plate === entry.body.plate), (inPark) => !inPark);
  });

  it('a wallet the driver has not linked is refused', async () => {
    const token = await wechatDriver('wu');
    const r = await api<{ error: { code: string } }>('POST', '/api/unlicensed/entry', token, { parkNumber: P, passagewayId: '1', wallet: 'alipay' });
    expect(r.status).toBe(409);
    expect(r.body.error.code).toBe('wallet_not_linked');
  });
});

describe('drivers see only their own orders', () => {
  it("another driver's token cannot read, pay, cancel or list your order", async () => {
    const mine = await wechatDriver('owner');
    const theirs = await wechatDriver('stranger');
    await carIn('鲁E88006', 70);
    const fee = await api<{ order: { orderNo: string } }>('POST', '/api/fees/prepay', mine, { parkNumber: P, plate: '鲁E88006' });
    const orderNo = fee.body.order.orderNo;
    expect((await orderOf(theirs, orderNo)).status).toBe(404);
    expect((await api('POST', path(orderEndpoints.pay, { orderNo }), theirs, { wallet: 'wechat' })).status).toBe(404);
    expect((await api('POST', path(orderEndpoints.cancel, { orderNo }), theirs, {})).status).toBe(404);
    expect((await api<{ orders: OrderView[] }>('GET', '/api/orders', theirs)).body.orders).toEqual([]);
    expect((await orderOf(mine, orderNo)).status).toBe(200);
    expect((await api('GET', path(orderEndpoints.order, { orderNo }))).status).toBe(401);
  });
});

describe('parks, my parking, pictures, finding the car', () => {
  it('a park: name, free spaces from the heartbeat, lanes with their direction', async () => {
    await sb().bluecard.heartbeatNow(P);
    await sb().bluecard.flushOutbox();
    const r = await api<{ name: string; spaces: { total: number; free: number }; lanes: { passagewayId: string; direction: string }[] }>('GET', `/api/parks/${P}`);
    expect(r.status).toBe(200);
    expect(r.body.name).toBe('示例停车场');
    expect(r.body.spaces.total).toBe(200);
    expect(r.body.lanes.map((l) => [l.passagewayId, l.direction])).toEqual([['1', 'in'], ['2', 'out'], ['3', 'in'], ['4', 'out']]);
    expect((await api<{ error: { code: string } }>('GET', '/api/parks/p_nowhere')).body.error.code).toBe('park_unknown');
  });

  it("my parking: a bound plate's car, proved by its entry lane and time, with its entry picture behind a signed link; an unlicensed entry", async () => {
    const token = await wechatDriver('chen');
    await api('POST', '/api/me/plates', token, { plate: '苏F77001' });
    await carIn('苏F77001', 20);
    const stay = (await lot().dump()).cars.find((c: { plate: string }) => c.plate === '苏F77001') as { orderId: string; inTime: string };
    await lot().sendImages({ orderId: stay.orderId }, true);
    expect((await api<{ stays: { proved: boolean; inImageUrl: string | null }[] }>('GET', '/api/me/stays', token)).body.stays[0]).toMatchObject({ proved: false, inImageUrl: null });
    const enteredAt = stay.inTime.slice(0, 16);
    expect((await api('POST', `/api/parks/${P}/plate-proofs`, token, { plate: '苏F77001', enteredAt, passagewayId: '1' })).status).toBe(200);
    const entry = await api<{ plate: string }>('POST', '/api/unlicensed/entry', token, { parkNumber: P, passagewayId: '3', wallet: 'wechat' });
    const mine = await api<{ stays: { plate: string; source: string; inImageUrl: string | null }[] }>('GET', '/api/me/stays', token);
    expect(mine.body.stays.map((s) => [s.plate, s.source])).toEqual(
      expect.arrayContaining([['苏F77001', 'plate'], [entry.body.plate, 'unlicensed']]),
    );
    const link = mine.body.stays.find((s) => s.plate === '苏F77001')!.inImageUrl!;
    const img = await fetch(`${server.url}${link}`);
    expect(img.status).toBe(200);
    expect(img.headers.get('content-type')).toBe('image/jpeg');
    const forged = link.replace(/\.[^.]+$/, '.AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA');
    expect((await fetch(`${server.url}${forged}`)).status).toBe(404);
    // Another driver sees none of it.
    const other = await wechatDriver('chen-neighbour');
    expect((await api<{ stays: unknown[] }>('GET', '/api/me/stays', other)).body.stays).toEqual([]);
  });

  it('finds where a car is parked (4.34), once the driver has proved the plate there', async () => {
    const token = await wechatDriver('he');
    const { spaceId, orderId } = await lot().arrive({ lane: '西门入口', plate: '京G66001', wait: true });
    expect(spaceId).toMatch(/^B00\d$/); // a guidance space on the basement layer
    const find = () => api<{ proved: boolean; here: boolean; spaces: { spaceId: string; layerName: string }[] }>('GET', `/api/parks/${P}/find-car?plate=${encodeURIComponent('京G66001')}`, token);
    expect((await find()).body).toEqual({ proved: false, here: true, spaces: [] });
    const car = (await lot().dump()).cars.find((c: { orderId: string }) => c.orderId === orderId) as { inTime: string };
    expect((await api('POST', `/api/parks/${P}/plate-proofs`, token, { plate: '京G66001', enteredAt: car.inTime.slice(0, 16), passagewayId: '3' })).status).toBe(200);
    const r = await find();
    expect(r.status).toBe(200);
    expect(r.body.spaces).toEqual([expect.objectContaining({ spaceId, layerName: '地下一层' })]);
  });

  it('demo mode tells the H5 app where the sandboxes are', async () => {
    const r = await api<{ parkNumber: string; wechatPaySandbox: string }>('GET', '/api/demo');
    expect(r.body).toMatchObject({ parkNumber: P, wechatPaySandbox: sb().wechatPay.url });
  });
});
