/**
 * What the driver's app needs from the API beyond paying, on the real demo-mode server (sandboxes, real
 * database): a history of every payment with its receipt — and no entry for a fee only looked at —; parks
 * by name or address and the driver's recent parks; a car looked for across parks; the lot's slowness said
 * as such before the app gives up; a paid stay's car leaving; an overstay after paying explained; entry
 * pictures linked only when the lot sent them.
 */
import { randomBytes } from 'node:crypto';
import { APP_GIVE_UP_MS, buildPath, type EndpointDef } from '../../../shared/api/contract';
import { bookingEndpoints as bk, type BookingView } from '../../../shared/api/bookings';
import { historyEndpoints, type PaymentEntry, type ReceiptView } from '../../../shared/api/history';
import { opBookingEndpoints as op } from '../../../shared/api/op-bookings';
import { orderEndpoints, type FeeView, type OrderView } from '../../../shared/api/orders';
import type { CarSearchView, ParkSummary, RecentPark, StayView } from '../../../shared/api/parks';
import { loadConfig } from '../../../server/src/config';
import { ScaledClock } from '../../../server/src/core/clock';
import { createLogger } from '../../../server/src/logger';
import { MongoOrderRepository } from '../../../server/src/repository/orders';
import { DEMO_PARK_NUMBER } from '../../../server/sandbox/bluecard';
import { startServer, type RunningServer } from '../../../server/src/server';
import { testDatabaseUri } from '../../support/db';
import { eventually } from '../../support/payment-world';
import { formatChinaTime } from '../../../shared/time';

jest.setTimeout(60_000);

const P = DEMO_PARK_NUMBER;
const MIN = 60_000;
const clock = new ScaledClock(Date.now(), 1);
let server: RunningServer;
let orderRepo: MongoOrderRepository;

beforeAll(async () => {
  server = await startServer(
    loadConfig({
      PORT: '0',
      MONGODB_URI: `${testDatabaseUri()}pp_driverapp_${Date.now()}`,
      PARKPAY_DEMO_BLUECARD_PORT: '0',
      PARKPAY_DEMO_WECHAT_LOGIN_PORT: '0',
      PARKPAY_DEMO_WECHATPAY_PORT: '0',
      PARKPAY_DEMO_ALIPAY_PORT: '0',
      // A second park: found by its name, never by the demo park's address.
      PARKPAY_PARKS: JSON.stringify([{ parkNumber: 'p_mall_002', key: 'mall-key', bluecardBaseUrl: 'http://127.0.0.1:1', name: '万达广场停车场' }]),
    }, undefined, { demoWithConfiguredKeys: true }),
    { logger: createLogger('silent'), workerPollMs: 100, clock },
  );
  orderRepo = new MongoOrderRepository(server.database.connection);
  await sb().bluecard.heartbeatNow(P);
  await sb().bluecard.flushOutbox();
}, 60_000);
afterAll(async () => {
  await server?.database.connection.dropDatabase().catch(() => undefined);
  await server?.stop();
});

const sb = () => server.demo!.sandboxes;
const lot = () => sb().bluecard.park(P);

// eslint-disable-next-line @typescript-eslint/no-explicit-any -- answers are checked field by field below
async function api<T = any>(method: string, path: string, token?: string, body?: unknown): Promise<{ status: number; body: T }> {
  const res = await fetch(`${server.url}${path}`, {
    method,
    headers: { ...(token ? { authorization: `Bearer ${token}` } : {}), ...(body !== undefined ? { 'content-type': 'application/json' } : {}) },
    body: body !== undefined ? JSON.stringify(body) : undefined,
  });
  return { status: res.status, body: (await res.json()) as T };
}
const path = <E extends EndpointDef>(e: E, params: Record<string, string>) => buildPath(e, params as never);

/** A demo driver (a WeChat identity) with these plates bound. */
async function driver(name: string, plates: string[] = []): Promise<string> {
  const r = await api<{ token: string }>('POST', '/api/auth/demo', undefined, { name });
  expect(r.status).toBe(200);
  for (const plate of plates) expect((await api('POST', '/api/me/plates', r.body.token, { plate })).status).toBe(200);
  return r.body.token;
}

/** A car that came in `minutes` ago (the lot's clock is ours: settlement times line up). */
async function carIn(plate: string, minutes: number, lane = '东门入口'): Promise<{ orderId: string; spaceId?: string }> {
  await sb().bluecard.setClock(clock.now() - minutes * MIN);
  const arrived = (await lot().arrive({ lane, plate, wait: true })) as { orderId: string; spaceId?: string };
  await sb().bluecard.setClock(clock.now());
  return arrived;
}

const fee = (token: string, plate: string) => api<FeeView & { error: { code: string } }>('POST', orderEndpoints.prepayFee.path, token, { parkNumber: P, plate });
const payments = async (token: string) => (await api<{ payments: PaymentEntry[] }>('GET', historyEndpoints.payments.path, token)).body.payments;
const receipt = (token: string, ref: string) => api<ReceiptView>('GET', path(historyEndpoints.receipt, { ref }), token);
const orderOf = (token: string, orderNo: string) => api<OrderView>('GET', path(orderEndpoints.order, { orderNo }), token);

/** Pay an order through the WeChat Pay sandbox and wait until the lot has it. */
async function pay(token: string, orderNo: string): Promise<OrderView> {
  const started = await api('POST', path(orderEndpoints.pay, { orderNo }), token, { wallet: 'wechat' });
  expect(started.status).toBe(200);
  expect(sb().wechatPay.requestPayment(started.body.pay.requestPayment, { outcome: 'pay' }).errMsg).toBe('requestPayment:ok');
  return (await eventually(() => orderOf(token, orderNo), (r) => r.body.status === 'delivered', 10_000)).body;
}

describe('history: every payment, and nothing only looked at', () => {
  it('a fee looked at (again, then expired) is no payment: neither the history nor the orders list show it', async () => {
    const token = await driver('look-only');
    await carIn('京A71001', 75);
    const first = await fee(token, '京A71001');
    expect(first.body.order).toBeTruthy();
    // Looked at again a minute later: the first price is replaced (closed 'superseded').
    await sb().bluecard.advanceClock(MIN);
    const second = await fee(token, '京A71001');
    expect(second.body.order!.orderNo).not.toBe(first.body.order!.orderNo);
    expect((await orderRepo.get(first.body.order!.orderNo))!.status).toBe('closed');
    // The second runs out (as five minutes later): the expiry job closes it 'quote_expired'.
    await orderRepo.apply(second.body.order!.orderNo, { from: ['quoted'], set: { expiresAt: new Date(clock.now() - 1) } });
    await server.orders.expire();
    expect((await orderRepo.get(second.body.order!.orderNo))!).toMatchObject({ status: 'closed', closedReason: 'quote_expired' });

    expect(await payments(token)).toEqual([]);
    expect((await api<{ orders: OrderView[] }>('GET', orderEndpoints.orders.path, token)).body.orders).toEqual([]);
  });

  it('a stay paid in the app: its receipt (park, plate, entry and exit, amount, channel, both numbers); the car leaving stops its time to leave', async () => {
    const token = await driver('hist-stay', ['京A71002']);
    await carIn('京A71002', 75);
    const f = await fee(token, '京A71002');
    const paid = await pay(token, f.body.order!.orderNo);
    expect(paid.leftAt).toBeNull();
    expect(paid.leaveBy).toBeTruthy();

    await lot().leave({ lane: '东门出口', plate: '京A71002', wait: true });
    await sb().bluecard.flushOutbox();
    const after = await eventually(() => orderOf(token, paid.orderNo), (r) => Boolean(r.body.leftAt), 10_000);
    expect(Date.parse(after.body.leftAt!)).toBeGreaterThan(0);

    const list = await payments(token);
    expect(list).toEqual([
      expect.objectContaining({ ref: paid.orderNo, kind: 'stay', parkNumber: P, parkName: '示例停车场', plate: '京A71002', amountFen: 400, status: 'paid', channel: 'wechat', refund: null }),
    ]);
    const r = await receipt(token, paid.orderNo);
    expect(r.status).toBe(200);
    expect(r.body).toMatchObject({
      ref: paid.orderNo,
      parkName: '示例停车场',
      plate: '京A71002',
      amountFen: 400,
      chargeFen: 400,
      channel: 'wechat',
      inTime: expect.stringMatching(/^\d{4}-\d{2}-\d{2} \d{2}:\d{2}:\d{2}$/),
      outTime: expect.stringMatching(/^\d{4}-\d{2}-\d{2} \d{2}:\d{2}:\d{2}$/),
      transactionId: expect.stringMatching(/\S{8,}/),
    });
    expect(r.body.stopMinutes).toBeGreaterThanOrEqual(75);
    // Someone else's number reads as not found.
    const other = await driver('hist-stranger');
    expect((await receipt(other, paid.orderNo)).status).toBe(404);
    expect(await payments(other)).toEqual([]);
  });

  it('an agreement deduction (无感支付) at the exit lane is in the history with its receipt', async () => {
    const token = await driver('hist-agree', ['沪B71003']);
    const s = await api('POST', '/api/me/agreements', token, { plateKey: '沪B71003', provider: 'alipay', returnUrl: `${server.url}/back` });
    expect(s.status).toBe(200);
    sb().alipay.agreements.sign(s.body.signup.signUrl, 'hist-agree-user');
    expect((await api('POST', `/api/me/agreements/${s.body.agreement.id}/confirm`, token, {})).body.agreement.state).toBe('active');
    const { orderId } = await carIn('沪B71003', 95);
    const r = await lot().withholdOrQr({ lane: '东门出口', orderId });
    expect(r.result).toMatchObject({ status: 'success' });
    const tradeNo = (r.result.answer as { datas: { agreement: { tradeNo: string } } }).datas.agreement.tradeNo;

    const list = await payments(token);
    expect(list).toEqual([expect.objectContaining({ ref: tradeNo, kind: 'deduction', plate: '沪B71003', amountFen: 400, status: 'paid', channel: 'alipay' })]);
    const rec = await receipt(token, tradeNo);
    expect(rec.status).toBe(200);
    expect(rec.body).toMatchObject({ kind: 'deduction', parkName: '示例停车场', amountFen: 400, transactionId: expect.any(String), inTime: expect.any(String), outTime: expect.any(String) });
    expect((await receipt(await driver('hist-agree-other'), tradeNo)).status).toBe(404);
  });

  it('a booking (预约) cancelled for a refund: in the history with its title, the refund and its reason', async () => {
    const username = `hist-op-${randomBytes(3).toString('hex')}`;
    const password = `pw-${randomBytes(12).toString('base64url')}`;
    await server.operators.createOperator('system', { username, password, role: 'operator', parks: [P] });
    const boss = (await server.operators.login(username, password)).token;
    const letInStart = Date.now() + 180 * MIN;
    const offer = await api('POST', path(op.createOffer, { parkNumber: P }), boss, {
      title: '周末停车预约',
      areaId: 1,
      priceFen: 1500,
      start: new Date(letInStart).toISOString(),
      end: new Date(letInStart + 360 * MIN).toISOString(),
      letInStart: new Date(letInStart).toISOString(),
      letInEnd: new Date(letInStart + 60 * MIN).toISOString(),
      count: 2,
      cancelRule: { fullRefundMinutesBefore: 60, lateRefundPercent: 20 },
    });
    expect(offer.status).toBe(200);
    const token = await driver('hist-book');
    const made = await api<BookingView>('POST', bk.book.path, token, { offerId: offer.body.offerId, plate: '粤C71004' });
    const started = await api('POST', path(bk.pay, { bookingNo: made.body.bookingNo }), token, { wallet: 'wechat' });
    expect(sb().wechatPay.requestPayment(started.body.pay.requestPayment, { outcome: 'pay' }).errMsg).toBe('requestPayment:ok');
    await eventually(() => api<BookingView>('GET', path(bk.booking, { bookingNo: made.body.bookingNo }), token), (r) => r.body.status === 'booked' && r.body.order?.status === 'delivered', 10_000);
    expect((await api('POST', path(bk.cancel, { bookingNo: made.body.bookingNo }), token, {})).status).toBe(200);

    const entry = await eventually(() => payments(token), (l) => Boolean(l[0]?.refund), 15_000);
    expect(entry).toEqual([
      expect.objectContaining({
        kind: 'booking',
        title: '周末停车预约',
        amountFen: 1500,
        status: expect.stringMatching(/^refund(ing|ed)$/),
        refund: expect.objectContaining({ fen: 1500, reason: expect.stringMatching(/^booking_cancelled/) }),
      }),
    ]);
    const rec = await receipt(token, entry[0]!.ref);
    expect(rec.body).toMatchObject({ kind: 'booking', booking: { bookingNo: made.body.bookingNo, title: '周末停车预约' }, refundNo: expect.any(String), transactionId: expect.any(String) });
  });
});

describe('parks without scanning first', () => {
  it('by a few characters of the name or the address (any case, no pattern tricks), with free spaces', async () => {
    const all = await api<{ parks: ParkSummary[] }>('GET', '/api/parks');
    expect(all.body.parks.map((p) => p.parkNumber).sort()).toEqual(['p_demo_001', 'p_mall_002']);
    const byName = await api<{ parks: ParkSummary[] }>('GET', `/api/parks?q=${encodeURIComponent('示例')}`);
    expect(byName.body.parks).toEqual([
      { parkNumber: P, name: '示例停车场', address: '北京市朝阳区示例路 1 号', spaces: { total: expect.any(Number), free: expect.any(Number) } },
    ]);
    expect((await api<{ parks: ParkSummary[] }>('GET', `/api/parks?q=${encodeURIComponent('朝阳区')}`)).body.parks.map((p) => p.parkNumber)).toEqual([P]);
    expect((await api<{ parks: ParkSummary[] }>('GET', `/api/parks?q=${encodeURIComponent('万达')}`)).body.parks.map((p) => p.parkNumber)).toEqual(['p_mall_002']);
    expect((await api<{ parks: ParkSummary[] }>('GET', `/api/parks?q=${encodeURIComponent('.*')}`)).body.parks).toEqual([]);
    expect((await api<{ parks: ParkSummary[] }>('GET', '/api/parks?q=P_DEMO')).body.parks.map((p) => p.parkNumber)).toEqual([P]);
  });

  it("the driver's recent parks: a car in the park first; the park's view carries its tariff and address", async () => {
    const token = await driver('recent-1', ['京A71005']);
    expect((await api<{ parks: RecentPark[] }>('GET', '/api/me/parks', token)).body.parks).toEqual([]);
    await carIn('京A71005', 30);
    const recent = await api<{ parks: RecentPark[] }>('GET', '/api/me/parks', token);
    expect(recent.body.parks).toEqual([expect.objectContaining({ parkNumber: P, name: '示例停车场', carInPark: true })]);
    const view = await api('GET', `/api/parks/${P}`);
    expect(view.body.service).toEqual({ tariffText: expect.stringContaining('15 分钟内免费'), freeMinutes: 15, paidFreeMinutes: 15, phone: expect.any(String), address: '北京市朝阳区示例路 1 号' });
  });

  it('find my car by plate without naming the park: only the driver’s parks, its place once the plate is proved there; a lot that cannot answer is said per park, never a 500', async () => {
    const token = await driver('findcar-1');
    const { spaceId } = await carIn('京G71006', 20, '西门入口');
    const find = () => api<{ plate: string; results: CarSearchView[] }>('GET', `/api/me/find-car?plate=${encodeURIComponent('京G71006')}`, token);
    // A plate alone does not say where its car is: no park of this driver's, nothing asked.
    expect((await find()).body.results).toEqual([]);
    // Bound: the park its car is in is looked at; not proved there, only that it is here.
    expect((await api('POST', '/api/me/plates', token, { plate: '京G71006' })).status).toBe(200);
    expect((await find()).body.results).toEqual([
      expect.objectContaining({ parkNumber: P, parkName: '示例停车场', proved: false, here: true, inTime: null, spaces: [], error: null }),
    ]);
    // Proved (the entry lane and time): its place.
    const enteredAt = formatChinaTime(clock.now() - 20 * MIN).slice(0, 16);
    expect((await api('POST', `/api/parks/${P}/plate-proofs`, token, { plate: '京G71006', enteredAt, passagewayId: '3' })).status).toBe(200);
    const found = await find();
    expect(found.status).toBe(200);
    expect(found.body.results).toEqual([
      expect.objectContaining({
        parkNumber: P,
        proved: true,
        here: true,
        inTime: expect.any(String),
        error: null,
        spaces: [expect.objectContaining({ plate: '京G71006', spaceId, layerName: '地下一层' })],
      }),
    ]);

    sb().bluecard.faults.add({ kind: 'http500', count: 6, name: 'getSpaceStatusByPlate' });
    const down = await find();
    expect(down.status).toBe(200);
    expect(down.body.results).toEqual([expect.objectContaining({ parkNumber: P, spaces: [], error: expect.objectContaining({ code: 'lot_unreachable' }) })]);
    // The park's own find-car says the same (it answered 500 internal before).
    const one = await api('GET', `/api/parks/${P}/find-car?plate=${encodeURIComponent('京G71006')}`, token);
    expect(one.status).toBe(503);
    expect(one.body.error.code).toBe('lot_unreachable');
    sb().bluecard.faults.clear();
  });
});

describe('a slow lot', () => {
  it('a fee the lot does not answer is `lot_slow` (504), answered well before the app gives up', async () => {
    const token = await driver('slow-1');
    await carIn('京A71007', 40);
    sb().bluecard.faults.add({ kind: 'timeout', count: 3, name: 'getChargebf', hangMs: 12_000 });
    const started = Date.now();
    const r = await fee(token, '京A71007');
    const took = Date.now() - started;
    expect(r.status).toBe(504);
    expect(r.body.error.code).toBe('lot_slow');
    // The budget is 8 s; the app waits 15 s.
    expect(took).toBeLessThan(APP_GIVE_UP_MS - 3_000);
    sb().bluecard.faults.clear();
  }, 60_000);
});

describe('after paying', () => {
  it('an overstay: the fee says what was paid, when, and until when leaving was free (超时补缴)', async () => {
    const token = await driver('overstay-1', ['京A71008']);
    await carIn('京A71008', 75);
    const paid = await pay(token, (await fee(token, '京A71008')).body.order!.orderNo);
    // 20 minutes later at the lot: the 15 free minutes after paying are over.
    await sb().bluecard.advanceClock(50 * MIN);
    const later = await fee(token, '京A71008');
    expect(later.body).toMatchObject({ chargeFen: 600, paidFen: 400, payFen: 200 });
    expect(later.body.lastPayment).toEqual({ fen: 400, paidAt: paid.paidAt, leaveBy: paid.leaveBy });
    await sb().bluecard.setClock(clock.now());
  });

  it('my parking: the entry as an instant; the picture linked only once the lot sent it', async () => {
    const token = await driver('stay-pic', ['苏F71009']);
    const { orderId } = await carIn('苏F71009', 30);
    // The driver proves the plate at the park (entry lane and time): its stay is theirs to see.
    const enteredAt = formatChinaTime(clock.now() - 30 * MIN).slice(0, 16);
    expect((await api('POST', `/api/parks/${P}/plate-proofs`, token, { plate: '苏F71009', enteredAt, passagewayId: '1' })).status).toBe(200);
    const before = await api<{ stays: StayView[] }>('GET', '/api/me/stays', token);
    const stay = before.body.stays.find((s) => s.plate === '苏F71009')!;
    expect(stay.inImageUrl).toBeNull();
    expect(Date.parse(stay.inAt!)).toBeLessThanOrEqual(clock.now());
    await lot().sendImages({ orderId }, true);
    const after = await eventually(
      () => api<{ stays: StayView[] }>('GET', '/api/me/stays', token),
      (r) => Boolean(r.body.stays.find((s) => s.plate === '苏F71009')?.inImageUrl),
      10_000,
    );
    const url = after.body.stays.find((s) => s.plate === '苏F71009')!.inImageUrl!;
    expect((await fetch(`${server.url}${url}`)).status).toBe(200);
  });
});
