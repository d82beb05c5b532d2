/**
 * Booking reconciliation (4.19) against the sandbox lot: bookings both sides agree on match; a booking the
 * lot lost, one it has that we never issued, one it changed, and one we cancelled that it still has are
 * each flagged; the lot's admission time is taken over.
 */
import { BluecardClient } from '../../../../server/src/adapter/bluecard';
import { DEMO_PARK_NUMBER } from '../../../../server/sandbox/bluecard';
import { formatChinaTime } from '../../../../shared/time';
import { eventually } from '../../../support/payment-world';
import { startBookingWorld, type BookingWorld } from '../../../support/booking-world';

let w: BookingWorld;
beforeAll(async () => {
  w = await startBookingWorld('bookrecon');
  await w.heartbeat();
});
afterAll(async () => {
  await w?.close();
});

const lot = () => w.bluecard.park(DEMO_PARK_NUMBER);

async function issued(driverId: string, offerId: string, plate: string): Promise<string> {
  const { booking } = await w.bookings.book(driverId, offerId, plate);
  await w.payWechat(driverId, booking.bookingNo);
  await eventually(() => w.repos.bookings.get(booking.bookingNo), (b) => b?.state === 'issued');
  return booking.bookingNo;
}

describe('booking reconciliation (4.19)', () => {
  it('matches what both sides have, and flags every kind of difference', async () => {
    const offerId = await w.offer({ areaId: 1, count: 10, inMinutes: -5, windowMinutes: 120 });
    const kept = await issued('r-1', offerId, '京A11111');
    const lost = await issued('r-2', offerId, '京A22222');
    const changed = await issued('r-3', offerId, '京A33333');
    const cameIn = await issued('r-4', offerId, '京A44444');
    const cancelled = await issued('r-5', offerId, '京A55555');

    let report = await w.reconciler.reconcile(DEMO_PARK_NUMBER);
    expect(report).toMatchObject({ lotOpen: 5, oursOpen: 5, matched: 5, differences: [] });

    // The lot loses one (deleted at the booth) …
    lot().state.bookings.delete(lost);
    // … shifts the let-in window of another …
    const atLot = lot().state.bookings.get(changed)!;
    const shifted = formatChinaTime(new Date(Date.now() + 3 * 60 * 60_000));
    atLot.booking = { ...atLot.booking, letInEndTime: shifted };
    // … lets a booked car in (4.19 then shows its inTime) …
    await lot().arrive({ lane: '1', plate: '京A44444', wait: true });
    // … has a booking ParkPay never issued (made by someone else with the lot's key) …
    await new BluecardClient({ backoffMs: [] }).synBookingCar(w.park, [
      { plate: '京Z99999', action: 'book', start: new Date(), end: new Date(Date.now() + 3_600_000), chargeFen: 500, bookOrderId: 'FOREIGN-1', bookOrderTime: new Date(), letInStartTime: new Date(), letInEndTime: new Date(Date.now() + 1_800_000) },
    ]);
    // … and missed our cancellation of another (the flag 0 never reached it).
    w.bluecard.faults.add({ kind: 'fail', count: 2, name: 'synBookingCar', errorCode: '预约订单不存在' });
    const c = await w.bookings.cancel('r-5', cancelled);
    expect(c.booking.state).toBe('cancelled');
    expect(c.booking.cancel!.lotProblem).toMatch(/^车场拒绝取消：预约订单不存在/);

    report = await w.reconciler.reconcile(DEMO_PARK_NUMBER);
    const byId = Object.fromEntries(report.differences.map((d) => [d.bookOrderId, d]));
    expect(byId[lost]).toMatchObject({ kind: 'missing_at_lot', plate: '京A22222' });
    expect(byId[changed]).toMatchObject({ kind: 'mismatch' });
    expect(byId[changed]!.detail).toContain('入场结束（letInEndTime）：本系统');
    expect(byId[changed]!.detail).toContain(shifted);
    expect(byId['FOREIGN-1']).toMatchObject({ kind: 'unknown_at_lot', plate: '京Z99999' });
    expect(byId[cancelled]).toMatchObject({ kind: 'cancelled_but_open_at_lot' });
    // What an operator reads of each difference is Chinese.
    for (const d of report.differences) expect(d.detail).toMatch(/[\u4e00-\u9fff]/);
    expect(byId['FOREIGN-1']!.detail).toMatch(/^车场有预约 FOREIGN-1（京Z99999，.*），ParkPay 没有发出过$/);
    expect(byId[lost]!.detail).toMatch(/车场却没有这条预约$/);
    expect(byId[kept]).toBeUndefined();
    expect(byId[cameIn]).toBeUndefined();
    expect(report.differences).toHaveLength(4);
    expect(report).toMatchObject({ matched: 2, admitted: 1, lotOpen: 5 });

    // Noted on our bookings; the admission taken over from the lot; the latest report kept.
    expect((await w.repos.bookings.get(lost))!.reconciled).toMatchObject({ issue: 'missing_at_lot' });
    expect((await w.repos.bookings.get(kept))!.reconciled!.issue).toBeUndefined();
    expect((await w.repos.bookings.get(cameIn))!.admittedAt).toBeInstanceOf(Date);
    expect((await w.reconciler.latest(DEMO_PARK_NUMBER))!.differences).toHaveLength(4);
  });

  it('an unreachable or refusing lot is a clear error and leaves the last report as it was', async () => {
    const before = await w.reconciler.latest(DEMO_PARK_NUMBER);
    w.bluecard.faults.add({ kind: 'http500', count: 3, name: 'queryBookingCar' });
    await expect(w.reconciler.reconcile(DEMO_PARK_NUMBER)).rejects.toMatchObject({ module: 'bookings', code: 'lot_unreachable' });
    w.bluecard.faults.clear(); // the 500s the client did not get to
    w.bluecard.faults.add({ kind: 'fail', count: 1, name: 'queryBookingCar', errorCode: '车场维护中' });
    await expect(w.reconciler.reconcile(DEMO_PARK_NUMBER)).rejects.toMatchObject({ module: 'bookings', code: 'lot_refused', details: { lotSays: '车场维护中' } });
    expect((await w.reconciler.latest(DEMO_PARK_NUMBER))!.ranAt).toEqual(before!.ranAt);
  });
});
