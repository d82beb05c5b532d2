/**
 * 4.28 and bookings: a booking opens the gate once. When ParkPay answers success for a booked car, the
 * booking leaves the in-memory index at once (a second 4.28 for the plate gets self, with no database read
 * on the lane path), and the admission is recorded after the answer (BookingLookup.admitted), retried when
 * the write fails, never awaited by the lane. A reload of the index before the write has landed does not
 * bring the booking back.
 */
import { openGateAnswer } from '../../../../shared/bluecard';
import { OpenGateRules, type BookingLookup, type LetInWindow } from '../../../../server/src/core/lanepay/open-gate';
import { DEMO_PARK_NUMBER } from '../../../../server/sandbox/bluecard';
import { startLaneWorld, type LaneWorld } from '../../../support/lane-world';

const PN = DEMO_PARK_NUMBER;
const MIN = 60_000;

/**
 * The bookings side as 4.28 sees it. `admitted` records like BookingService.markAdmitted (the booking is
 * used: no window any more) unless told to fail or hang; `landed` false keeps the window in what
 * letInWindows answers (the write has not reached the database yet).
 */
class Bookings implements BookingLookup {
  windows: (LetInWindow & { parkNumber: string })[] = [];
  loads = 0;
  /** Every call of admitted, in order, with what it did. */
  calls: { bookOrderId: string; at: Date; outcome: 'recorded' | 'again' | 'failed' | 'hung' }[] = [];
  failNext = 0;
  hang = false;
  landed = true;
  private listeners: ((pn: string) => Promise<void>)[] = [];
  async letInWindows(parkNumber: string, now: Date): Promise<LetInWindow[]> {
    this.loads++;
    return this.windows.filter((w) => w.parkNumber === parkNumber && w.end >= now.getTime());
  }
  onChange(listener: (pn: string) => Promise<void>): void {
    this.listeners.push(listener);
  }
  async book(w: LetInWindow & { parkNumber: string }): Promise<void> {
    this.windows.push(w);
    await this.changed(w.parkNumber);
  }
  changed(pn: string): Promise<unknown> {
    return Promise.all(this.listeners.map((l) => l(pn)));
  }
  async admitted(bookOrderId: string, at: Date): Promise<boolean> {
    if (this.hang) {
      this.calls.push({ bookOrderId, at, outcome: 'hung' });
      return new Promise<boolean>(() => undefined);
    }
    if (this.failNext > 0) {
      this.failNext--;
      this.calls.push({ bookOrderId, at, outcome: 'failed' });
      throw new Error('database unreachable');
    }
    const w = this.windows.find((x) => x.bookOrderId === bookOrderId);
    this.calls.push({ bookOrderId, at, outcome: w ? 'recorded' : 'again' });
    if (w && this.landed) this.windows = this.windows.filter((x) => x !== w);
    return !!w;
  }
}

let w: LaneWorld;
let bookings: Bookings;
beforeAll(async () => {
  bookings = new Bookings();
  w = await startLaneWorld('opengateadmit', { bookings });
  await w.openGate.warm([PN]); // as at boot
});
afterAll(async () => {
  await w.close();
});

const lot = () => w.bluecard.park(PN);
/** The lot asks 4.28 for a car at the entry lane 东门入口; ParkPay's answer as the lot received it. */
async function ask(plate: string): Promise<unknown> {
  const r = await lot().openGate({ plate, plateColor: '蓝牌', carType: '临时车', confidence: 98, passageway: '东门入口', inOutType: 1, area: '' });
  const body: unknown = JSON.parse(r.raw!);
  expect(openGateAnswer.safeParse(body).success).toBe(true);
  return body;
}

describe('4.28 lets a booking in once', () => {
  it('the second 4.28 for the booked plate is self, answered from memory; the admission is recorded once, after the answer', async () => {
    const now = w.clock.now();
    await bookings.book({ parkNumber: PN, bookOrderId: 'BKA-1', plateKey: '京F10001', start: now - MIN, end: now + 30 * MIN });
    const loads = bookings.loads;
    expect(await ask('京F10001')).toEqual({ status: 'success', errorCode: '预约车' });
    // At once, whatever the database says yet: self.
    expect(await ask('京 f10001')).toEqual({ status: 'self', errorCode: '临时车' });
    expect(bookings.loads).toBe(loads);
    await w.openGate.settled();
    expect(bookings.calls).toEqual([{ bookOrderId: 'BKA-1', at: new Date(now), outcome: 'recorded' }]);
    // Later inside the window, and after the index reloaded from the bookings: still self, nothing recorded again.
    w.clock.advance(5 * MIN);
    await bookings.changed(PN);
    expect(await ask('京F10001')).toEqual({ status: 'self', errorCode: '临时车' });
    await w.openGate.settled();
    expect(bookings.calls).toHaveLength(1);
    expect(w.openGate.sizeOf(PN)!.windows).toBe(0);
  });

  it('the write comes after the answer and is never waited for; a reload before it has landed does not bring the booking back', async () => {
    const own = new Bookings();
    const rules = new OpenGateRules({ blacklist: { blacklisted: async () => [], onChange: () => undefined }, bookings: own, clock: w.clock });
    const now = w.clock.now();
    own.windows.push({ parkNumber: PN, bookOrderId: 'BKA-2', plateKey: '京F10002', start: now - MIN, end: now + 30 * MIN });
    own.landed = false;
    own.hang = true;
    await rules.warm([PN]);
    expect(await rules.decide(w.park, { plate: '京F10002', inOutType: 1 })).toMatchObject({ status: 'success', bookOrderId: 'BKA-2' });
    // The answer is out before the admission is even asked for.
    expect(own.calls).toEqual([]);
    await new Promise((r) => setImmediate(r));
    expect(own.calls).toMatchObject([{ bookOrderId: 'BKA-2', outcome: 'hung' }]);
    // The write hangs; the database still lists the window: a reload (a change notice, or the refresh) keeps it out.
    await rules.changed(PN);
    w.clock.advance(61_000);
    await rules.decide(w.park, { plate: '京F10099', inOutType: 1 }); // starts the background refresh
    expect(own.loads).toBeGreaterThanOrEqual(3);
    // These lookups answer at once (no I/O): one turn of the event loop and the reloaded index is in place.
    await new Promise((r) => setImmediate(r));
    expect(await rules.decide(w.park, { plate: '京F10002', inOutType: 1 })).toMatchObject({ status: 'self', rule: 'none' });
    expect(own.calls).toHaveLength(1);
  });

  it('a failed write is tried again; another booking of the same plate still opens in its own window', async () => {
    const own = new Bookings();
    const rules = new OpenGateRules({ blacklist: { blacklisted: async () => [], onChange: () => undefined }, bookings: own, clock: w.clock, admissionRetryMs: [5, 5] });
    const now = w.clock.now();
    own.windows.push(
      { parkNumber: PN, bookOrderId: 'BKA-3', plateKey: '京F10003', start: now - MIN, end: now + 30 * MIN },
      { parkNumber: PN, bookOrderId: 'BKA-4', plateKey: '京F10003', start: now + 60 * MIN, end: now + 90 * MIN },
    );
    own.failNext = 2;
    expect(await rules.decide(w.park, { plate: '京F10003', inOutType: 1 })).toMatchObject({ status: 'success', bookOrderId: 'BKA-3' });
    expect(await rules.decide(w.park, { plate: '京F10003', inOutType: 1 })).toMatchObject({ status: 'self' });
    await rules.settled();
    expect(own.calls.map((c) => [c.bookOrderId, c.outcome])).toEqual([
      ['BKA-3', 'failed'],
      ['BKA-3', 'failed'],
      ['BKA-3', 'recorded'],
    ]);
    // The car comes back an hour later on its second booking.
    w.clock.advance(65 * MIN);
    await rules.changed(PN);
    expect(await rules.decide(w.park, { plate: '京F10003', inOutType: 1 })).toMatchObject({ status: 'success', bookOrderId: 'BKA-4' });
    expect(await rules.decide(w.park, { plate: '京F10003', inOutType: 1 })).toMatchObject({ status: 'self' });
    await rules.settled();
    expect(own.calls.filter((c) => c.outcome === 'recorded').map((c) => c.bookOrderId)).toEqual(['BKA-3', 'BKA-4']);
  });

  it('two 4.28 at the same moment for one booking: one success', async () => {
    const now = w.clock.now();
    await bookings.book({ parkNumber: PN, bookOrderId: 'BKA-5', plateKey: '京F10005', start: now - MIN, end: now + 30 * MIN });
    const answers = await Promise.all([ask('京F10005'), ask('京F10005'), ask('京F10005')]);
    expect(answers.filter((a) => (a as { status: string }).status === 'success')).toHaveLength(1);
    expect(answers.filter((a) => (a as { status: string }).status === 'self')).toHaveLength(2);
    await w.openGate.settled();
    expect(bookings.calls.filter((c) => c.bookOrderId === 'BKA-5')).toHaveLength(1);
  });
});
