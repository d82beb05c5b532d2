/**
 * Bookings on the real engine (repository/bookings.ts): an offer's places and a park area's free capacity
 * are taken by conditional updates so concurrent buyers never oversell, one active booking per active key
 * (a unique index), every state change conditional on the state it leaves, and the cancel is a lease.
 */
import type { Booking, BookingOffer } from '../../../server/src/core/bookings/model';
import { MongoBookingRepositories } from '../../../server/src/repository/bookings';
import { openTestDatabase, type TestDatabase } from '../../support/db';

let db: TestDatabase;
let repos: MongoBookingRepositories;
beforeAll(async () => {
  db = await openTestDatabase('bookings');
  repos = new MongoBookingRepositories(db.connection);
  await repos.init();
});
afterAll(async () => {
  await db.dispose();
});

const T = Date.UTC(2026, 11, 5, 2, 0, 0);
const at = (s: number) => new Date(T + s * 1000);
const cancelRule = { fullRefundMinutesBefore: 60, lateRefundPercent: 50 };
let n = 0;
function offer(over: Partial<BookingOffer> = {}): BookingOffer {
  const i = ++n;
  return {
    offerId: `of${i}`,
    parkNumber: 'P1',
    title: 't',
    areaId: 1,
    priceFen: 1000,
    start: at(3600),
    end: at(7200),
    letInStart: at(3000),
    letInEnd: at(4000),
    count: 2,
    held: 0,
    cancelRule,
    status: 'on_sale',
    createdBy: 'op1',
    createdAt: at(0),
    updatedAt: at(0),
    ...over,
  };
}
function booking(over: Partial<Booking> = {}): Booking {
  const i = ++n;
  return {
    bookingNo: `BK${i}`,
    offerId: 'of0',
    parkNumber: 'P1',
    driverId: `d${i}`,
    plate: '粤B12345',
    plateKey: `粤B1${i}`,
    title: 't',
    areaId: 1,
    priceFen: 1000,
    start: at(3600),
    end: at(7200),
    letInStart: at(3000),
    letInEnd: at(4000),
    cancelRule,
    state: 'reserving',
    activeKey: `ak${i}`,
    holds: { offer: true, capacity: ['area:1'] },
    orderNo: `ON${i}`,
    createdAt: at(0),
    updatedAt: at(0),
    ...over,
  };
}

describe('offers', () => {
  it('racing buyers never oversell: of five takes of a two-place offer exactly two succeed', async () => {
    const o = offer({ count: 2 });
    await repos.offers.insert(o);
    const r = await Promise.all(Array.from({ length: 5 }, () => repos.offers.take(o.offerId)));
    expect(r.filter(Boolean)).toHaveLength(2);
    expect((await repos.offers.get(o.offerId))!.held).toBe(2);
  });

  it('a withdrawn offer gives no place; a place given back can be taken again, and giving back never goes below zero', async () => {
    const o = offer({ count: 1 });
    await repos.offers.insert(o);
    expect(await repos.offers.take(o.offerId)).toBe(true);
    await Promise.all([repos.offers.give(o.offerId), repos.offers.give(o.offerId)]);
    expect((await repos.offers.get(o.offerId))!.held).toBe(0);
    await repos.offers.setStatus(o.offerId, 'withdrawn', at(1));
    expect(await repos.offers.take(o.offerId)).toBe(false);
    expect((await repos.offers.get(o.offerId))!.held).toBe(0);
    expect(await repos.offers.take('no-such-offer')).toBe(false);
  });
});

describe('capacity ledger', () => {
  it('the first rebase inserts the ledger once; a racing or repeated first rebase is refused', async () => {
    const r = await Promise.all([repos.capacity.rebase('P2', 'all', at(0), 3, undefined), repos.capacity.rebase('P2', 'all', at(0), 9, undefined)]);
    expect(r.filter(Boolean)).toHaveLength(1);
    expect(await repos.capacity.rebase('P2', 'all', at(1), 7, undefined)).toBe(false);
    expect((await repos.capacity.get('P2', 'all'))!.v).toBe(0);
  });

  it('a rebase lands only on the version it read: a take meanwhile makes it refused', async () => {
    await repos.capacity.rebase('P3', 'area:1', at(0), 2, undefined);
    expect(await repos.capacity.take('P3', 'area:1')).toBe(true); // v 0 → 1
    expect(await repos.capacity.rebase('P3', 'area:1', at(5), 10, 0)).toBe(false);
    expect((await repos.capacity.get('P3', 'area:1'))!.free).toBe(1);
    expect(await repos.capacity.rebase('P3', 'area:1', at(5), 10, 1)).toBe(true);
    expect(await repos.capacity.get('P3', 'area:1')).toMatchObject({ free: 10, v: 2 });
  });

  it('racing takes never pass the free count: of four takes of two free places exactly two succeed', async () => {
    await repos.capacity.rebase('P4', 'all', at(0), 2, undefined);
    const r = await Promise.all(Array.from({ length: 4 }, () => repos.capacity.take('P4', 'all')));
    expect(r.filter(Boolean)).toHaveLength(2);
    expect((await repos.capacity.get('P4', 'all'))!.free).toBe(0);
    expect(await repos.capacity.take('P4', 'all')).toBe(false);
  });
});

describe('bookings', () => {
  it('one booking per active key: a second booking with it is refused and the key finds the first', async () => {
    const a = booking();
    expect(await repos.bookings.insert(a)).toBe(true);
    expect(await repos.bookings.insert({ ...booking(), activeKey: a.activeKey })).toBe(false);
    expect((await repos.bookings.byActiveKey(a.activeKey))!.bookingNo).toBe(a.bookingNo);
  });

  it('a retried insert of the same booking answers false and leaves the one booking', async () => {
    const a = booking();
    expect(await repos.bookings.insert(a)).toBe(true);
    expect(await repos.bookings.insert(a)).toBe(false);
    expect((await repos.bookings.byActiveKey(a.activeKey))!.bookingNo).toBe(a.bookingNo);
    expect((await repos.bookings.listForDriver(a.driverId, 10)).map((b) => b.bookingNo)).toEqual([a.bookingNo]);
  });

  it('two racing bookings of one active key: exactly one is inserted, and the key finds it', async () => {
    const a = booking();
    const b = { ...booking(), activeKey: a.activeKey };
    const r = await Promise.all([repos.bookings.insert(a), repos.bookings.insert(b)]);
    expect(r.filter(Boolean)).toHaveLength(1);
    expect((await repos.bookings.byActiveKey(a.activeKey))!.bookingNo).toBe(r[0] ? a.bookingNo : b.bookingNo);
  });

  it('a move happens only from the listed states: a retry, or a move out of cancelled, changes nothing', async () => {
    const a = booking();
    await repos.bookings.insert(a);
    expect((await repos.bookings.apply(a.bookingNo, { from: ['reserving'], to: 'issued', set: { issuedAt: at(1), updatedAt: at(1) } }))!.state).toBe('issued');
    expect(await repos.bookings.apply(a.bookingNo, { from: ['reserving'], to: 'issued', set: { issuedAt: at(2) } })).toBeUndefined();
    expect((await repos.bookings.get(a.bookingNo))!.issuedAt).toEqual(at(1));
    await repos.bookings.apply(a.bookingNo, { from: ['issued'], to: 'cancelled', set: { updatedAt: at(3) } });
    expect(await repos.bookings.apply(a.bookingNo, { from: ['reserving', 'held', 'issued'], to: 'issued', set: {} })).toBeUndefined();
    expect((await repos.bookings.get(a.bookingNo))!.state).toBe('cancelled');
  });

  it('a change that keeps the state writes its fields only: the offer hold taken', async () => {
    const a = booking({ holds: { offer: false, capacity: ['area:1'] } });
    await repos.bookings.insert(a);
    const held = await repos.bookings.apply(a.bookingNo, { from: ['reserving'], set: { holds: { offer: true } } });
    expect(held).toMatchObject({ state: 'reserving', holds: { offer: true, capacity: ['area:1'] } });
    expect(await repos.bookings.apply(a.bookingNo, { from: ['held'], set: { holds: { offer: true } } })).toBeUndefined();
  });

  it('two racing moves out of held (issued vs releasing): exactly one wins', async () => {
    const a = booking({ state: 'held' });
    await repos.bookings.insert(a);
    const r = await Promise.all([
      repos.bookings.apply(a.bookingNo, { from: ['held'], to: 'issued', set: { issuedAt: at(1) } }),
      repos.bookings.apply(a.bookingNo, { from: ['held'], to: 'releasing', set: { releasedReason: 'timeout' } }),
    ]);
    expect(r.filter((x) => x !== undefined)).toHaveLength(1);
    expect((await repos.bookings.get(a.bookingNo))!.state).toBe(r.find((x) => x !== undefined)!.state);
  });

  it('a hold is dropped once: of two racing drops exactly one answers true (so its place is given back once)', async () => {
    const a = booking();
    await repos.bookings.insert(a);
    const offerDrops = await Promise.all([repos.bookings.dropHold(a.bookingNo, 'offer'), repos.bookings.dropHold(a.bookingNo, 'offer')]);
    expect(offerDrops.filter(Boolean)).toHaveLength(1);
    const capDrops = await Promise.all([repos.bookings.dropHold(a.bookingNo, 'area:1'), repos.bookings.dropHold(a.bookingNo, 'area:1')]);
    expect(capDrops.filter(Boolean)).toHaveLength(1);
    expect((await repos.bookings.get(a.bookingNo))!.holds).toEqual({ offer: false, capacity: [] });
    expect(await repos.bookings.dropHold(a.bookingNo, 'all')).toBe(false);
  });

  it('admission is marked once, only on an issued booking', async () => {
    const a = booking({ state: 'issued' });
    const b = booking({ state: 'held' });
    await repos.bookings.insert(a);
    await repos.bookings.insert(b);
    const r = await Promise.all([repos.bookings.markAdmitted(a.bookingNo, at(3100)), repos.bookings.markAdmitted(a.bookingNo, at(3200))]);
    expect(r.filter(Boolean)).toHaveLength(1);
    expect(await repos.bookings.markAdmitted(a.bookingNo, at(3300))).toBe(false);
    expect([at(3100).getTime(), at(3200).getTime()]).toContain((await repos.bookings.get(a.bookingNo))!.admittedAt!.getTime());
    expect(await repos.bookings.markAdmitted(b.bookingNo, at(3100))).toBe(false);
    expect((await repos.bookings.get(b.bookingNo))!.admittedAt).toBeUndefined();
  });

  it('a cancel attempt is a lease: only when due, one of two racing workers, and only the holder releases it', async () => {
    const a = booking({
      state: 'cancelling',
      cancel: { requestedAt: at(0), by: 'driver', refundFen: 1000, reason: 'r', state: 'pending', attempts: 0, nextAttemptAt: at(10) },
    });
    await repos.bookings.insert(a);
    expect(await repos.bookings.claimCancel(at(9), 'w1', 30_000, a.bookingNo)).toBeUndefined();
    const r = await Promise.all(['w1', 'w2'].map((w) => repos.bookings.claimCancel(at(10), w, 30_000, a.bookingNo)));
    expect(r.filter((x) => x !== undefined)).toHaveLength(1);
    const owner = r.find((x) => x !== undefined)!.cancel!.leaseOwner!;
    const loser = owner === 'w1' ? 'w2' : 'w1';
    expect((await repos.bookings.get(a.bookingNo))!.cancel!.attempts).toBe(1);
    expect(await repos.bookings.claimCancel(at(39), loser, 30_000, a.bookingNo)).toBeUndefined();
    expect(await repos.bookings.apply(a.bookingNo, { from: ['cancelling'], set: { cancel: { state: 'done', leaseUntil: null } }, when: { cancelLeaseOwner: loser } })).toBeUndefined();
    expect((await repos.bookings.get(a.bookingNo))!.cancel!.state).toBe('pending');
    const done = await repos.bookings.apply(a.bookingNo, { from: ['cancelling'], to: 'cancelled', set: { cancel: { state: 'done', leaseUntil: null } }, when: { cancelLeaseOwner: owner } });
    expect(done!.cancel).toMatchObject({ state: 'done', leaseUntil: null, attempts: 1, reason: 'r' });
    expect(await repos.bookings.claimCancel(at(1000), 'w3', 30_000, a.bookingNo)).toBeUndefined();
  });
});
