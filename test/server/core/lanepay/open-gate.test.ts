/**
 * 4.28 open gate: the sandbox lot asks ParkPay (over HTTP, signed, the common URL with method "opengate")
 * whether a car at a lane may pass. Our blacklist → fail with the reason (at an entry); a valid booking
 * inside its let-in window → success; anything else → self (the lot decides). The rules read an in-memory
 * index per park, updated when the lists or the bookings change and refreshed when old.
 */
import { openGateAnswer } from '../../../../shared/bluecard';
import { OpenGateRules, type BookingLookup, type LetInWindow } from '../../../../server/src/core/lanepay/open-gate';
import type { Park } from '../../../../server/src/core/parks';
import { DEMO_PARK_NUMBER, Refusal } from '../../../../server/sandbox/bluecard';
import { eventually } from '../../../support/eventually';
import { startLaneWorld, type LaneWorld } from '../../../support/lane-world';

const PN = DEMO_PARK_NUMBER;
const MIN = 60_000;

/** H-book's side, as far as 4.28 needs it: let-in windows, and a word on every change. */
class Bookings implements BookingLookup {
  windows: (LetInWindow & { parkNumber: string })[] = [];
  loads = 0;
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
    await Promise.all(this.listeners.map((l) => l(w.parkNumber)));
  }
}

let w: LaneWorld;
let bookings: Bookings;
beforeAll(async () => {
  bookings = new Bookings();
  w = await startLaneWorld('opengate', { bookings });
});
afterAll(async () => {
  await w.close();
});

const lot = () => w.bluecard.park(PN);

/** A car at an entry lane of the sandbox, which asks ParkPay first (4.28). */
async function atEntry(plate: string) {
  try {
    const r = await lot().arrive({ lane: '东门入口', plate, askParkPay: true });
    return { entered: true, openGate: r.openGate! };
  } catch (e) {
    if (e instanceof Refusal && e.code === 'refused_by_parkpay') return { entered: false, openGate: (e.details as { openGate: { status: string; errorCode: string; raw: string } }).openGate };
    throw e;
  }
}

function exact(raw: string | undefined) {
  const body: unknown = JSON.parse(raw!);
  expect(openGateAnswer.safeParse(body).success).toBe(true);
  return body;
}

describe('4.28 open gate', () => {
  it('a car on our blacklist is refused at the entry, with the reason; at the exit the lot decides', async () => {
    await w.lists.upsert(w.ops.operator, PN, 'black', { plate: '京E10001', memo: '多次逃费' });
    const r = await atEntry('京 e10001');
    expect(r.entered).toBe(false);
    expect(exact(r.openGate.raw)).toEqual({ status: 'fail', errorCode: '黑名单车辆: 多次逃费,禁止开闸!' });

    // At an exit (the car got in some other way): self, with the reason for the booth.
    const car = await lot().arrive({ lane: '东门入口', plate: '京E10001', force: true });
    const out = await lot().leave({ lane: '东门出口', orderId: car.orderId, askParkPay: true, force: true });
    expect(exact(out.openGate!.raw)).toEqual({ status: 'self', errorCode: '黑名单车辆: 多次逃费' });
  });

  it('a car nobody knows: self (the lot decides)', async () => {
    const r = await atEntry('京E10002');
    expect(r.entered).toBe(true);
    expect(exact(r.openGate.raw)).toEqual({ status: 'self', errorCode: '临时车' });
  });

  it('a booked car inside its let-in window: success; before and after the window: self', async () => {
    const now = w.clock.now();
    await bookings.book({ parkNumber: PN, bookOrderId: 'BK-1', plateKey: '京E20001', start: now + 10 * MIN, end: now + 40 * MIN });
    // Before the window.
    expect(exact((await w.bluecard.park(PN).openGate({ plate: '京E20001', plateColor: '蓝牌', carType: '临时车', confidence: 98, passageway: '东门入口', inOutType: 1, area: '' })).raw)).toEqual({ status: 'self', errorCode: '临时车' });
    // Inside.
    w.clock.advance(15 * MIN);
    const inside = await atEntry('京E20001');
    expect(inside.entered).toBe(true);
    expect(exact(inside.openGate.raw)).toEqual({ status: 'success', errorCode: '预约车' });
    // After.
    await lot().leave({ lane: '东门出口', plate: '京E20001', force: true });
    w.clock.advance(30 * MIN);
    const after = await atEntry('京E20001');
    expect(exact(after.openGate.raw)).toEqual({ status: 'self', errorCode: '临时车' });
  });

  it('the blacklist wins over a booking; a booking does not open an exit', async () => {
    const now = w.clock.now();
    await bookings.book({ parkNumber: PN, bookOrderId: 'BK-2', plateKey: '京E20002', start: now - MIN, end: now + 30 * MIN });
    await w.lists.upsert(w.ops.operator, PN, 'black', { plate: '京E20002', memo: '' });
    expect(exact((await atEntry('京E20002')).openGate.raw)).toEqual({ status: 'fail', errorCode: '黑名单车辆,禁止开闸!' });
    await w.lists.remove(w.ops.operator, PN, 'black', '京E20002');
    const r = await atEntry('京E20002');
    expect(exact(r.openGate.raw)).toEqual({ status: 'success', errorCode: '预约车' });
    const out = await lot().leave({ lane: '东门出口', plate: '京E20002', askParkPay: true, force: true });
    expect(exact(out.openGate!.raw)).toEqual({ status: 'self', errorCode: '临时车' });
  });

  it("the park's settings switch the rules off; an unplated car and an unknown lane direction are the lot's", async () => {
    await w.lists.upsert(w.ops.operator, PN, 'black', { plate: '京E30001', memo: '欠费' });
    const now = w.clock.now();
    await bookings.book({ parkNumber: PN, bookOrderId: 'BK-3', plateKey: '京E30002', start: now - MIN, end: now + 30 * MIN });
    const off: Park = { ...w.park, settings: { openGate: { blacklist: false, bookings: false } } };
    expect(await w.openGate.decide(off, { plate: '京E30001', inOutType: 1 })).toMatchObject({ status: 'self' });
    expect(await w.openGate.decide(off, { plate: '京E30002', inOutType: 1 })).toMatchObject({ status: 'self' });
    const onlyBookings: Park = { ...w.park, settings: { openGate: { blacklist: false } } };
    expect(await w.openGate.decide(onlyBookings, { plate: '京E30001', inOutType: 1 })).toMatchObject({ status: 'self' });
    expect(await w.openGate.decide(onlyBookings, { plate: '京E30002', inOutType: 1 })).toMatchObject({ status: 'success', bookOrderId: 'BK-3' });
    expect(await w.openGate.decide(w.park, { plate: '京E30001', inOutType: 1 })).toMatchObject({ status: 'fail', rule: 'blacklist' });
    expect(await w.openGate.decide(w.park, { plate: '', inOutType: 1 })).toMatchObject({ status: 'self' });
    expect(await w.openGate.decide(w.park, { plate: '京E30001', inOutType: 0 })).toMatchObject({ status: 'self', rule: 'blacklist_exit' });
  });

  it('answers from memory: no reads after the first load of a park; changes by another process show after refreshMs', async () => {
    const reads = { black: 0 };
    const lookup = {
      blacklisted: async (pn: string) => {
        reads.black++;
        return w.lists.blacklisted(pn);
      },
      onChange: () => undefined,
    };
    const rules = new OpenGateRules({ blacklist: lookup, bookings, clock: w.clock, refreshMs: 60_000 });
    await rules.warm([PN]);
    expect(reads.black).toBe(1);
    for (let i = 0; i < 200; i++) await rules.decide(w.park, { plate: `京E4${String(i).padStart(4, '0')}`, inOutType: 1 });
    expect(reads.black).toBe(1);
    // Another process adds a plate (this index hears nothing): after refreshMs the next call reloads in the background.
    await w.lists.upsert(w.ops.operator, PN, 'black', { plate: '京E40001', memo: '别处加的' });
    expect(await rules.decide(w.park, { plate: '京E40001', inOutType: 1 })).toMatchObject({ status: 'self' });
    w.clock.advance(61_000);
    await rules.decide(w.park, { plate: '京E40001', inOutType: 1 });
    // The reload reads the database behind the answers; once it lands the plate is refused.
    await eventually(() => rules.decide(w.park, { plate: '京E40001', inOutType: 1 }), (d) => d.status === 'fail');
    expect(reads.black).toBe(2);
    expect(rules.sizeOf(PN)!.blacklisted).toBeGreaterThanOrEqual(3);
  });

  it('the common URL (method opengate) and a broken rule source: self, never a refusal', async () => {
    const broken = new OpenGateRules({ blacklist: { blacklisted: async () => { throw new Error('db down'); }, onChange: () => undefined }, clock: w.clock });
    expect(await broken.decide(w.park, { plate: '京E10001', inOutType: 1 })).toMatchObject({ status: 'self', rule: 'not_loaded' });
    const res = await fetch(`${w.url}/bluecard/v2`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', sign: lot().sign },
      body: JSON.stringify({ parkNumber: PN, method: 'opengate', plate: '京E10001', plateColor: '蓝色', carType: '临时车', confidence: '100', doTime: '2026-11-28 10:00:00', passageway: '正门入口', inOutType: 1, area: '区域 1' }),
    });
    expect(await res.json()).toEqual({ status: 'fail', errorCode: '黑名单车辆: 多次逃费,禁止开闸!' });
  });
});
