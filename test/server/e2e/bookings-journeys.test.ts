/**
 * Bookings over the app API on the real server in demo mode (wired as server.ts wires it, every stand-in a
 * signing, checking sandbox), with real operator sessions: an operator puts an offer on sale, drivers see
 * it, book, pay with WeChat Pay, the lot gets 4.18 and opens its barrier on 4.28 for the booked car; a
 * driver cancels (flag 0, refund under the rule), an operator cancels (all back); operators list bookings,
 * see the capacity they hold of the lot's count, reconcile with 4.19. Roles and parks are enforced.
 */
import { randomBytes } from 'node:crypto';
import { buildPath, type EndpointDef } from '../../../shared/api/contract';
import { bookingEndpoints as bk, type BookingView } from '../../../shared/api/bookings';
import { opBookingEndpoints as op } from '../../../shared/api/op-bookings';
import type { OrderView } from '../../../shared/api/orders';
import { loadConfig } from '../../../server/src/config';
import type { OperatorRole } from '../../../server/src/core/operators/model';
import { createLogger } from '../../../server/src/logger';
import { DEMO_PARK_NUMBER } from '../../../server/sandbox/bluecard';
import { startServer, type RunningServer } from '../../../server/src/server';
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
      MONGODB_URI: `${testDatabaseUri()}pp_bookings_${Date.now()}`,
      PARKPAY_DEMO_BLUECARD_PORT: '0',
      PARKPAY_DEMO_WECHAT_LOGIN_PORT: '0',
      PARKPAY_DEMO_WECHATPAY_PORT: '0',
      PARKPAY_DEMO_ALIPAY_PORT: '0',
      // A second park, for an operator who is not the demo park's.
      PARKPAY_PARKS: JSON.stringify([{ parkNumber: 'p_elsewhere_001', key: 'elsewhere-key', bluecardBaseUrl: 'http://127.0.0.1:1' }]),
    }, undefined, { demoWithConfiguredKeys: true }),
    { logger: createLogger('silent'), workerPollMs: 100 },
  );
  // The lot tells ParkPay its bookable spaces (4.1) now rather than in 30 s.
  await sb().bluecard.heartbeatNow(P);
});
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

async function driver(name: string): Promise<string> {
  const r = await api<{ token: string }>('POST', '/api/auth/wechat', undefined, { code: sb().wechatLogin.issueCode(name) });
  expect(r.status).toBe(200);
  return r.body.token;
}

async function operator(role: OperatorRole, parks: string[]): Promise<string> {
  const username = `bk-${role}-${randomBytes(3).toString('hex')}`;
  const password = `pw-${randomBytes(12).toString('base64url')}`;
  await server.operators.createOperator('system', { username, password, role, parks });
  return (await server.operators.login(username, password)).token;
}

function offerBody(o: { inMinutes?: number; windowMinutes?: number; count?: number; priceFen?: number; areaId?: number } = {}) {
  const letInStart = Date.now() + (o.inMinutes ?? 180) * MIN;
  return {
    title: '演唱会停车预约',
    areaId: o.areaId ?? 1,
    priceFen: o.priceFen ?? 1500,
    start: new Date(letInStart).toISOString(),
    end: new Date(letInStart + 6 * 60 * MIN).toISOString(),
    letInStart: new Date(letInStart).toISOString(),
    letInEnd: new Date(letInStart + (o.windowMinutes ?? 60) * MIN).toISOString(),
    count: o.count ?? 4,
    cancelRule: { fullRefundMinutesBefore: 60, lateRefundPercent: 20 },
  };
}

async function bookAndPay(token: string, offerId: string, plate: string): Promise<BookingView> {
  const made = await api<BookingView>('POST', bk.book.path, token, { offerId, plate });
  expect(made.status).toBe(200);
  expect(made.body.status).toBe('awaiting_payment');
  const pay = await api('POST', path(bk.pay, { bookingNo: made.body.bookingNo }), token, { wallet: 'wechat' });
  expect(pay.status).toBe(200);
  expect(sb().wechatPay.requestPayment(pay.body.pay.requestPayment, { outcome: 'pay' }).errMsg).toBe('requestPayment:ok');
  const booked = await eventually(() => api<BookingView>('GET', path(bk.booking, { bookingNo: made.body.bookingNo }), token), (r) => r.body.status === 'booked' && r.body.order?.status === 'delivered', 10_000);
  return booked.body;
}

describe('bookings over the API', () => {
  it('offer → book → pay → the lot has it and opens for the car (4.28); the driver cancels and gets the refund', async () => {
    const boss = await operator('operator', [P]);
    const created = await api('POST', path(op.createOffer, { parkNumber: P }), boss, offerBody({ inMinutes: -10, windowMinutes: 120 }));
    expect(created.status).toBe(200);
    expect(op.createOffer.response.safeParse(created.body).success).toBe(true);
    const offerId = created.body.offerId as string;

    // Anyone sees it on sale.
    const offers = await api('GET', path(bk.offers, { parkNumber: P }));
    expect(offers.status).toBe(200);
    expect(offers.body.offers).toContainEqual(expect.objectContaining({ offerId, left: 4, priceFen: 1500, areaId: 1 }));

    const wang = await driver('bk-wang');
    const booked = await bookAndPay(wang, offerId, '京A 60001');
    expect(booked).toMatchObject({ plate: '京A60001', priceFen: 1500, order: { status: 'delivered', wallet: 'wechat' }, refund: null });
    expect(lot().state.bookings.get(booked.bookingNo)?.booking).toMatchObject({ plate: '京A60001', flag: '1', charge: '15.00' });
    // The payment is in the driver's orders as a booking.
    const orders = await api<{ orders: OrderView[] }>('GET', '/api/orders', wang);
    expect(orders.body.orders).toContainEqual(expect.objectContaining({ orderNo: booked.order!.orderNo, kind: 'booking', status: 'delivered', leaveBy: null }));

    // The car comes: the lot asks ParkPay (4.28), ParkPay opens for the booking.
    const car = await lot().arrive({ lane: '1', plate: '京A60001', askParkPay: true, wait: true });
    expect(car.openGate).toMatchObject({ status: 'success', errorCode: '预约车' });
    expect(car.carType).toBe('预约车');

    // Another driver's booking, cancelled inside the window: 20 % back.
    const li = await driver('bk-li');
    const second = await bookAndPay(li, offerId, '京A60002');
    expect(second.cancelNowRefundFen).toBe(300);
    expect((await api('GET', path(bk.booking, { bookingNo: second.bookingNo }), wang)).status).toBe(404);
    expect((await api('POST', path(bk.cancel, { bookingNo: second.bookingNo }), wang, {})).status).toBe(404);
    const cancelled = await api<BookingView>('POST', path(bk.cancel, { bookingNo: second.bookingNo }), li, {});
    expect(cancelled.status).toBe(200);
    expect(cancelled.body.status).toBe('cancelled');
    expect(lot().state.bookings.get(second.bookingNo)?.cancelled).toBe(true);
    expect(cancelled.body.refund).toMatchObject({ fen: 300, reason: expect.stringMatching(/^booking_cancelled/) });
    // The money goes back at WeChat Pay (the demo sandbox settles refunds later).
    await eventually(async () => sb().wechatPay.refunds().filter((r) => r.outTradeNo === second.order!.orderNo).map((r) => r.refundFen), (f) => f.length === 1 && f[0] === 300, 10_000);
    // It no longer opens the barrier.
    expect((await lot().arrive({ lane: '1', plate: '京A60002', askParkPay: true, wait: true })).openGate).toMatchObject({ status: 'self' });

    const mine = await api<{ bookings: BookingView[] }>('GET', bk.mine.path, li);
    expect(mine.body.bookings.map((b) => [b.bookingNo, b.status])).toEqual([[second.bookingNo, 'cancelled']]);
  });

  it('operators: list, capacity, cancel with the whole price back, reconcile with 4.19; roles and parks enforced', async () => {
    const boss = await operator('operator', [P]);
    const admin = await operator('admin', []);
    const shop = await operator('merchant', [P]);
    const stranger = await operator('operator', ['p_elsewhere_001']);
    const empty = offerBody(); // one body: its let-in window ends where it starts
    const bad = await api('POST', path(op.createOffer, { parkNumber: P }), boss, { ...empty, letInEnd: empty.letInStart });
    expect([bad.status, bad.body.error.code]).toEqual([400, 'invalid_offer']);
    expect((await api('POST', path(op.createOffer, { parkNumber: P }), shop, offerBody())).body.error.code).toBe('forbidden_role');
    expect((await api('POST', path(op.createOffer, { parkNumber: P }), stranger, offerBody())).body.error.code).toBe('forbidden_park');
    expect((await api('POST', path(op.createOffer, { parkNumber: P }), undefined, offerBody())).status).toBe(401);

    const offerId = (await api('POST', path(op.createOffer, { parkNumber: P }), admin, offerBody({ count: 2, priceFen: 2000 }))).body.offerId as string;
    const zhao = await driver('bk-zhao');
    const b = await bookAndPay(zhao, offerId, '京B70001');

    const listed = await api('GET', `${path(op.bookings, { parkNumber: P })}?offerId=${offerId}`, boss);
    expect(listed.status).toBe(200);
    expect(listed.body.bookings.map((x: { bookingNo: string; status: string }) => [x.bookingNo, x.status])).toEqual([[b.bookingNo, 'booked']]);
    expect((await api('GET', `${path(op.bookings, { parkNumber: P })}?status=cancelled&offerId=${offerId}`, boss)).body.bookings).toEqual([]);
    const offers = await api('GET', path(op.offers, { parkNumber: P }), boss);
    expect(offers.body.offers).toContainEqual(expect.objectContaining({ offerId, count: 2, held: 1, status: 'on_sale' }));
    expect((await api('GET', path(op.offers, { parkNumber: P }), shop)).body.error.code).toBe('forbidden_role');

    const capacity = await api('GET', path(op.capacity, { parkNumber: P }), boss);
    expect(capacity.status).toBe(200);
    expect(capacity.body.heartbeatAt).not.toBeNull();
    expect(capacity.body.ledgers.map((l: { key: string }) => l.key)).toEqual(expect.arrayContaining(['all', 'area:1', 'area:2']));
    // The areas by the names the lot gives them (what the console offers to choose from).
    expect(capacity.body.areas).toEqual([
      { areaId: 1, name: '地面停车场' },
      { areaId: 2, name: '地下停车场' },
    ]);

    // Reconcile: the lot agrees; then it loses the booking, and reconciliation says so.
    const ok = await api('POST', path(op.reconcile, { parkNumber: P }), boss, {});
    expect(ok.status).toBe(200);
    expect(ok.body.differences.filter((d: { bookOrderId: string }) => d.bookOrderId === b.bookingNo)).toEqual([]);
    lot().state.bookings.delete(b.bookingNo);
    const found = await api('POST', path(op.reconcile, { parkNumber: P }), boss, {});
    expect(found.body.differences).toContainEqual(expect.objectContaining({ bookOrderId: b.bookingNo, kind: 'missing_at_lot' }));
    expect((await api('GET', path(op.reconciliation, { parkNumber: P }), boss)).body.report.ranAt).toBe(found.body.ranAt);

    // The operator cancels it: the whole price back (the lot no longer knowing it is noted).
    const cancelled = await api('POST', path(op.cancelBooking, { parkNumber: P, bookingNo: b.bookingNo }), boss, { reason: '场地临时关闭' });
    expect(cancelled.status).toBe(200);
    expect(cancelled.body).toMatchObject({ status: 'cancelled', lotProblem: expect.stringMatching(/^车场拒绝取消：/) });
    expect(cancelled.body.refund).toMatchObject({ fen: 2000 });
    await eventually(async () => sb().wechatPay.refunds().filter((r) => r.outTradeNo === b.order!.orderNo).map((r) => r.refundFen), (f) => f.length === 1 && f[0] === 2000, 10_000);
    expect((await api<BookingView>('GET', path(bk.booking, { bookingNo: b.bookingNo }), zhao)).body.status).toBe('cancelled');

    const withdrawn = await api('POST', path(op.withdrawOffer, { parkNumber: P, offerId }), boss, {});
    expect(withdrawn.body.status).toBe('withdrawn');
    expect((await api('GET', path(bk.offers, { parkNumber: P }))).body.offers.map((o: { offerId: string }) => o.offerId)).not.toContain(offerId);
    const late = await api('POST', bk.book.path, zhao, { offerId, plate: '京B70002' });
    expect([late.status, late.body.error.code]).toEqual([409, 'offer_closed']);
  });
});
