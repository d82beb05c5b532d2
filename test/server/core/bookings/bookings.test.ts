/**
 * Bookings through the real database, the Bluecard sandbox lot and the WeChat Pay sandbox: an offer sold,
 * paid, issued to the lot (4.18 flag 1), cancelled (flag 0) and refunded under its rule; capacity under
 * concurrent buyers (the offer's count and the lot's bookable count); a booking the lot refuses is refunded;
 * places of unpaid bookings come back.
 */
import { DEMO_PARK_NUMBER } from '../../../../server/sandbox/bluecard';
import { eventually } from '../../../support/payment-world';
import { startBookingWorld, type BookingWorld } from '../../../support/booking-world';
import { answerTo } from '../../../support/answers';

let w: BookingWorld;
beforeAll(async () => {
  // No reflection margin: a booking issued before a heartbeat was received is in that heartbeat's counts.
  w = await startBookingWorld('bookings', { bookingPolicy: { reflectMarginMs: 0 } });
  await w.heartbeat();
});
afterAll(async () => {
  await w?.close();
});

const MIN = 60_000;
const lot = () => w.bluecard.park(DEMO_PARK_NUMBER);
const lotBooking = (bookingNo: string) => lot().state.bookings.get(bookingNo);
const booking = (no: string) => w.repos.bookings.get(no).then((b) => b!);
const order = (no: string) => w.orderRepo.get(no).then((o) => o!);
const view = (driverId: string, no: string) => w.bookings.view(driverId, no);

describe('a booking sold, issued, cancelled and refunded', () => {
  it('cancelled well before the let-in window: flag 0 to the lot and the whole price back', async () => {
    const offerId = await w.offer({ priceFen: 1200, count: 3, inMinutes: 180, cancelRule: { fullRefundMinutesBefore: 60, lateRefundPercent: 50 } });
    const sold = await w.bookings.book('d-1', offerId, '京a 12345');
    expect(sold.booking).toMatchObject({ state: 'held', plate: '京A12345', areaId: 1, priceFen: 1200 });
    expect(sold.order).toMatchObject({ kind: 'booking', amountFen: 1200, status: 'quoted' });
    expect((await w.repos.offers.get(offerId))!.held).toBe(1);

    await w.payWechat('d-1', sold.booking.bookingNo);
    await eventually(() => view('d-1', sold.booking.bookingNo), (v) => v.booking.state === 'issued' && v.order?.status === 'delivered');
    // The lot has it as we sent it (4.18 flag 1) and would let the plate in as 预约车 in the window.
    const atLot = lotBooking(sold.booking.bookingNo)!;
    expect(atLot.cancelled).toBe(false);
    expect(atLot.booking).toMatchObject({ plate: '京A12345', areaId: '1', flag: '1', charge: '12.00', bookOrderId: sold.booking.bookingNo });
    const b = await booking(sold.booking.bookingNo);
    expect(b.issuedAt).toBeInstanceOf(Date);

    const cancelled = await w.bookings.cancel('d-1', sold.booking.bookingNo);
    expect(cancelled.booking.state).toBe('cancelled');
    expect(cancelled.booking.cancel).toMatchObject({ refundFen: 1200, by: 'driver', state: 'done' });
    expect(cancelled.booking.cancel!.lotAcknowledgedAt).toBeInstanceOf(Date);
    expect(lotBooking(sold.booking.bookingNo)!.cancelled).toBe(true);
    const refunded = await eventually(() => order(sold.order!.orderNo), (o) => o.status === 'refunded');
    expect(refunded.refund).toMatchObject({ fen: 1200, state: 'done' });
    expect(refunded.refund!.reason).toMatch(/^booking_cancelled/);
    // The place of the offer is for sale again; a second cancel changes nothing.
    expect((await w.repos.offers.get(offerId))!.held).toBe(0);
    expect((await w.bookings.cancel('d-1', sold.booking.bookingNo)).booking.state).toBe('cancelled');
    // The money went back at WeChat Pay, once.
    expect(w.wechat.refunds().filter((r) => r.outTradeNo === sold.order!.orderNo).map((r) => [r.refundFen, r.status])).toEqual([[1200, 'SUCCESS']]);
  });

  it("the driver's cancel makes the first attempt itself: a worker polling meanwhile cannot take it from under the answer", async () => {
    const offerId = await w.offer({ priceFen: 800, count: 2, inMinutes: 180 });
    const sold = await w.bookings.book('d-race', offerId, '京a 54321');
    await w.payWechat('d-race', sold.booking.bookingNo);
    await eventually(() => booking(sold.booking.bookingNo), (b) => b.state === 'issued');
    await w.bookingWorker.stop();
    // Another worker polls for due cancellations the moment this one is marked cancelling.
    const { bookings } = w.repos;
    const apply = bookings.apply;
    let polled: unknown = 'not polled';
    bookings.apply = async (...args) => {
      const moved = await apply.apply(bookings, args);
      if (moved?.state === 'cancelling') polled = await bookings.claimCancel(new Date(), 'another-worker', 30_000, moved.bookingNo);
      return moved;
    };
    try {
      const cancelled = await w.bookings.cancel('d-race', sold.booking.bookingNo);
      expect(polled).toBeUndefined();
      expect(cancelled.booking.state).toBe('cancelled');
      expect(cancelled.booking.cancel).toMatchObject({ state: 'done', attempts: 1 });
    } finally {
      bookings.apply = apply;
      w.bookingWorker.start();
    }
  });

  it('cancelled inside the let-in window: the late percentage back; the car that came in cannot cancel', async () => {
    const offerId = await w.offer({ priceFen: 999, inMinutes: -5, windowMinutes: 60, cancelRule: { fullRefundMinutesBefore: 30, lateRefundPercent: 50 } });
    const late = await w.bookings.book('d-2', offerId, '京B22222');
    await w.payWechat('d-2', late.booking.bookingNo);
    await eventually(() => booking(late.booking.bookingNo), (b) => b.state === 'issued');
    const c = await w.bookings.cancel('d-2', late.booking.bookingNo);
    expect(c.booking.cancel!.refundFen).toBe(499); // 50 % of 9.99, rounded down to the fen
    expect((await eventually(() => order(late.order!.orderNo), (o) => o.status === 'refunded')).refund!.fen).toBe(499);

    // Another plate comes in on its booking: the lot asks 4.28, ParkPay opens (inside the let-in window), the
    // lot lets it in as 预约车.
    const used = await w.bookings.book('d-3', offerId, '京C33333');
    await w.payWechat('d-3', used.booking.bookingNo);
    await eventually(() => booking(used.booking.bookingNo), (b) => b.state === 'issued');
    // The 4.28 index has it: the booking service's change notice comes after 'issued' is stored.
    await w.openGate.changed(DEMO_PARK_NUMBER);
    expect((await w.bookings.admissible(DEMO_PARK_NUMBER, '京C 33333', new Date()))?.bookingNo).toBe(used.booking.bookingNo);
    const car = await lot().arrive({ lane: '1', plate: '京C33333', askParkPay: true, wait: true });
    expect(car.openGate).toMatchObject({ status: 'success', errorCode: '预约车' });
    expect(car.carType).toBe('预约车');
    // No booking, or a cancelled one: the lot decides.
    expect((await lot().arrive({ lane: '1', plate: '京C33334', askParkPay: true, wait: true })).openGate).toMatchObject({ status: 'self' });
    expect((await lot().arrive({ lane: '1', plate: '京B22222', askParkPay: true, wait: true })).openGate).toMatchObject({ status: 'self' });

    // The admission is taken over from the lot (4.19 inTime): then the booking may not be cancelled, and
    // 4.28 does not open for it again.
    await w.reconciler.reconcile(DEMO_PARK_NUMBER);
    expect((await view('d-3', used.booking.bookingNo)).booking.admittedAt).toBeInstanceOf(Date);
    expect(await w.bookings.markAdmitted(used.booking.bookingNo, new Date())).toBe(false);
    expect(await answerTo(w.bookings.cancel('d-3', used.booking.bookingNo))).toMatchObject({ code: 'already_admitted', status: 409 });
    expect(await w.bookings.admissible(DEMO_PARK_NUMBER, '京C33333', new Date())).toBeUndefined();
    expect(w.openGate.sizeOf(DEMO_PARK_NUMBER)?.windows).toBe(0);
  });

  it('drivers see only their own bookings; a double tap books once; bad input is a clear error', async () => {
    const offerId = await w.offer({ count: 2 });
    const first = await w.bookings.book('d-4', offerId, '京D44444');
    const again = await w.bookings.book('d-4', offerId, '京D 44444');
    expect(again.booking.bookingNo).toBe(first.booking.bookingNo);
    expect((await w.repos.offers.get(offerId))!.held).toBe(1);
    expect(await answerTo(w.bookings.book('d-5', offerId, '京D44444'))).toMatchObject({ code: 'plate_already_booked', status: 409 });
    expect(await answerTo(view('d-5', first.booking.bookingNo))).toMatchObject({ code: 'not_found', status: 404 });
    await expect(w.bookings.cancel('d-5', first.booking.bookingNo)).rejects.toMatchObject({ code: 'not_found' });
    expect(await answerTo(w.bookings.book('d-4', offerId, 'hello'))).toMatchObject({ code: 'invalid_plate', status: 400 });
    await expect(w.bookings.book('d-4', 'OF-nope', '京D44445')).rejects.toMatchObject({ code: 'not_found' });
    expect((await w.bookings.mine('d-5')).map((x) => x.booking.bookingNo)).not.toContain(first.booking.bookingNo);
    await expect(w.offer({ inMinutes: -120, windowMinutes: 60 })).rejects.toMatchObject({ code: 'invalid_offer' });
    await expect(w.offer({ areaId: 9 })).rejects.toMatchObject({ code: 'invalid_offer' });
    await expect(w.offer({ priceFen: 0 })).rejects.toMatchObject({ code: 'invalid_offer' });
  });
});

describe('4.28 admits a booking once', () => {
  it('the gate opens for the booked car, the admission is on the booking at once after, and the plate is not let in again', async () => {
    const offerId = await w.offer({ priceFen: 500, inMinutes: -5, windowMinutes: 60 });
    const b = await w.bookings.book('adm-1', offerId, '京K10001');
    await w.payWechat('adm-1', b.booking.bookingNo);
    await eventually(() => booking(b.booking.bookingNo), (x) => x.state === 'issued');
    // The 4.28 index has it: the booking service's change notice comes after 'issued' is stored (asked
    // in between, a busy machine's gate answered 临时车).
    await w.openGate.changed(DEMO_PARK_NUMBER);
    const ask = () => lot().openGate({ plate: '京K10001', plateColor: '蓝牌', carType: '临时车', confidence: 98, passageway: '东门入口', inOutType: 1, area: '' });
    const before = Date.now();
    expect(await ask()).toMatchObject({ status: 'success', errorCode: '预约车' });
    // The same car again inside the window (a second car with the plate, or the first one turned back): the lot decides.
    expect(await ask()).toMatchObject({ status: 'self', errorCode: '临时车' });
    // Recorded on the booking (after the answer): admitted, no longer cancellable, not let in by a reload either.
    await w.openGate.settled();
    const used = await booking(b.booking.bookingNo);
    expect(used.admittedAt!.getTime()).toBeGreaterThanOrEqual(before - 1000);
    expect((await view('adm-1', b.booking.bookingNo)).booking.admittedAt).toBeInstanceOf(Date);
    await expect(w.bookings.cancel('adm-1', b.booking.bookingNo)).rejects.toMatchObject({ code: 'already_admitted' });
    await w.openGate.changed(DEMO_PARK_NUMBER);
    expect(await ask()).toMatchObject({ status: 'self' });
    expect(await w.bookings.admissible(DEMO_PARK_NUMBER, '京K10001', new Date())).toBeUndefined();
  });
});

describe('capacity', () => {
  it("concurrent buyers never get more than the lot's bookable count of the area", async () => {
    // Demo park: area 2 has 5 bookable spaces (4.1), the offer 10 places.
    await w.heartbeat();
    const offerId = await w.offer({ areaId: 2, count: 10 });
    const plates = Array.from({ length: 12 }, (_, i) => `京E${String(50000 + i)}`);
    const results = await Promise.allSettled(plates.map((p, i) => w.bookings.book(`cap-${i}`, offerId, p)));
    const ok = results.filter((r) => r.status === 'fulfilled');
    const refused = results.filter((r): r is PromiseRejectedResult => r.status === 'rejected');
    expect(ok).toHaveLength(5);
    // Mostly the lot's count; an attempt that found the offer's places all held by buyers the lot then turned
    // away is told sold_out.
    const codes = refused.map((r) => (r.reason as { code: string }).code);
    expect(codes).toHaveLength(7);
    expect(codes).toContain('no_bookable_spaces');
    expect(codes.every((c) => c === 'no_bookable_spaces' || c === 'sold_out')).toBe(true);
    expect((await w.repos.offers.get(offerId))!.held).toBe(5);
    expect((await w.repos.capacity.get(DEMO_PARK_NUMBER, 'area:2'))!.free).toBe(0);
    // The refused attempts are not bookings anyone has.
    const refusedDrivers = results.flatMap((r, i) => (r.status === 'rejected' ? [`cap-${i}`] : []));
    for (const d of refusedDrivers) expect(await w.bookings.mine(d)).toEqual([]);
  });

  it("concurrent buyers never get more than the offer's count", async () => {
    const offerId = await w.offer({ areaId: 1, count: 3 });
    const results = await Promise.allSettled(Array.from({ length: 8 }, (_, i) => w.bookings.book(`cnt-${i}`, offerId, `京F${String(60000 + i)}`)));
    expect(results.filter((r) => r.status === 'fulfilled')).toHaveLength(3);
    const codes = results.filter((r): r is PromiseRejectedResult => r.status === 'rejected').map((r) => (r.reason as { code: string }).code);
    expect(codes).toEqual(Array(5).fill('sold_out'));
    expect((await w.repos.offers.get(offerId))!.held).toBe(3);
  });

  it('an unpaid booking gives its place back when its order closes; issued bookings are counted from the next heartbeat', async () => {
    const offerId = await w.offer({ areaId: 1, count: 1 });
    const first = await w.bookings.book('un-1', offerId, '京G70001');
    await expect(w.bookings.book('un-2', offerId, '京G70002')).rejects.toMatchObject({ code: 'sold_out' });
    const freeBefore = (await w.repos.capacity.get(DEMO_PARK_NUMBER, 'area:1'))!.free;
    // The driver gives up: the order closes, the place comes back (offer and lot capacity).
    const cancelled = await w.bookings.cancel('un-1', first.booking.bookingNo);
    expect(cancelled.booking).toMatchObject({ state: 'released', releasedReason: 'unpaid: cancelled' });
    expect((await w.repos.offers.get(offerId))!.held).toBe(0);
    expect((await w.repos.capacity.get(DEMO_PARK_NUMBER, 'area:1'))!.free).toBe(freeBefore + 1);
    const second = await w.bookings.book('un-2', offerId, '京G70002');
    expect(second.booking.state).toBe('held');

    // Paid and issued: after the next heartbeat the lot's own count shows it (no double counting).
    await w.payWechat('un-2', second.booking.bookingNo);
    await eventually(() => booking(second.booking.bookingNo), (b) => b.state === 'issued');
    const lotLeft = lot().state.counts().areaList.find((a) => a.areaId === 1)!.bookSpaceCount;
    await w.heartbeat();
    const area1 = (await w.bookings.capacityOf(DEMO_PARK_NUMBER)).ledgers.find((l) => l.key === 'area:1')!;
    // The lot's count already shows our issued bookings; only those not issued yet (held, unpaid) are held back.
    const unissued = (await w.repos.bookings.listForPark(DEMO_PARK_NUMBER, { states: ['reserving', 'held', 'releasing'] }, 1000)).filter((x) => x.areaId === 1);
    expect(unissued.length).toBeGreaterThan(0);
    expect(area1.free).toBe(Math.max(0, lotLeft - unissued.length));
  });

  it('a cancel that meets a release under way (the sweep) answers once the place is back', async () => {
    const offerId = await w.offer({ areaId: 1, count: 1 });
    const b = await w.bookings.book('race-1', offerId, '京G70101');
    // The driver gives up in the wallet (the order closes); a release starts giving the place back (as the
    // sweep would: the worker's own sweep is held off) and is held half-way, capacity given back next; the
    // driver's cancel arrives meanwhile.
    await w.bookingWorker.stop();
    await w.orders.cancel('race-1', b.order!.orderNo);
    const { capacity, bookings } = w.repos;
    const give = capacity.give;
    const get = bookings.get;
    let atGive!: () => void;
    const reachedGive = new Promise<void>((r) => (atGive = r));
    let letGo!: () => void;
    const gate = new Promise<void>((r) => (letGo = r));
    capacity.give = async (...args) => {
      atGive();
      await gate;
      return give.apply(capacity, args);
    };
    // The release goes on once the cancel has seen the booking half-released.
    bookings.get = async (...args) => {
      const got = await get.apply(bookings, args);
      if (args[0] === b.booking.bookingNo && got?.state === 'releasing') letGo();
      return got;
    };
    try {
      const sweeping = w.bookings.orderChanged(b.order!.orderNo);
      await reachedGive;
      const cancelled = await w.bookings.cancel('race-1', b.booking.bookingNo);
      expect(cancelled.booking).toMatchObject({ state: 'released', releasedReason: 'unpaid: cancelled' });
      expect((await w.repos.offers.get(offerId))!.held).toBe(0);
      await sweeping;
    } finally {
      capacity.give = give;
      bookings.get = get;
      letGo();
      w.bookingWorker.start();
    }
  });

  it('the sweep releases a booking whose order expired unpaid', async () => {
    const offerId = await w.offer({ areaId: 1, count: 2 });
    const b = await w.bookings.book('exp-1', offerId, '京H80001');
    // The order's quote runs out; the order worker's expiry closes it; the sweep gives the place back.
    await w.orderRepo.apply(b.order!.orderNo, { from: ['quoted'], set: { expiresAt: new Date(Date.now() - 1000) } });
    await w.orders.expire();
    const released = await eventually(() => booking(b.booking.bookingNo), (x) => x.state === 'released');
    expect(released.releasedReason).toBe('unpaid: quote_expired');
    expect((await w.repos.offers.get(offerId))!.held).toBe(0);
    expect((await view('exp-1', b.booking.bookingNo)).booking.state).toBe('released');
  });
});

describe('the lot refuses a booking', () => {
  it('the payment is refunded and the place given back', async () => {
    const offerId = await w.offer({ areaId: 1, count: 2 });
    lot().state.bookingRefusals.push({ plateKey: '京J90001', errorCode: '该车辆不允许预约', remaining: 5 });
    const b = await w.bookings.book('ref-1', offerId, '京J90001');
    const freeBefore = (await w.repos.capacity.get(DEMO_PARK_NUMBER, 'area:1'))!.free;
    await w.payWechat('ref-1', b.booking.bookingNo);
    const refunded = await eventually(() => order(b.order!.orderNo), (o) => o.status === 'refunded');
    expect(refunded.refund!.reason).toMatch(/^lot_refused: 该车辆不允许预约/);
    expect(refunded.refund!.fen).toBe(1000);
    const released = await eventually(() => booking(b.booking.bookingNo), (x) => x.state === 'released');
    expect(released.releasedReason).toMatch(/^refused: lot_refused/);
    expect((await view('ref-1', b.booking.bookingNo)).booking.state).toBe('released');
    expect((await w.repos.offers.get(offerId))!.held).toBe(0);
    expect((await w.repos.capacity.get(DEMO_PARK_NUMBER, 'area:1'))!.free).toBe(freeBefore + 1);
    expect(lotBooking(b.booking.bookingNo)).toBeUndefined();
  });

  it('a let-in window that closed before the lot could be told is refunded, not issued', async () => {
    const offerId = await w.offer({ areaId: 1, inMinutes: -5, windowMinutes: 10 });
    const b = await w.bookings.book('late-1', offerId, '京K10001');
    // The window closes while the booking waits (a lot unreachable for long); then the payment arrives.
    await w.db.connection.models.Booking!.updateOne({ _id: b.booking.bookingNo, state: 'held' }, { $set: { letInEnd: new Date(Date.now() - MIN) } });
    await w.payWechat('late-1', b.booking.bookingNo);
    const refunded = await eventually(() => order(b.order!.orderNo), (o) => o.status === 'refunded');
    expect(refunded.refund!.reason).toMatch(/booking_window_passed/);
    await eventually(() => booking(b.booking.bookingNo), (x) => x.state === 'released');
  });
});
