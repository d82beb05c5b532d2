/**
 * The job registry on a real work collection: one poll hands every kind's due items to its handler and
 * settles each with the handler's answer; a kind stuck on a slow item does not hold the others back;
 * periodic jobs run on their interval; stop() waits for what is under way, then stops the handlers.
 */
import { ManualClock } from '../../../../server/src/core/clock';
import type { WorkKind } from '../../../../server/src/core/work';
import { createLogger } from '../../../../server/src/logger';
import { JobRegistry, type RegisteredHandler } from '../../../../server/src/port/jobs/registry';
import { MongoWorkQueue } from '../../../../server/src/repository/work';
import { openTestDatabase, type TestDatabase } from '../../../support/db';
import { waitUntil } from '../../../support/eventually';

let db: TestDatabase;
let q: MongoWorkQueue;
beforeAll(async () => {
  db = await openTestDatabase('jobs');
  q = new MongoWorkQueue(db.connection);
  await q.init();
});
afterAll(async () => {
  await db.dispose();
});

const T = Date.UTC(2026, 10, 29, 2, 0, 0);

function handler(kind: WorkKind, step: (ref: string) => Promise<Date | undefined>) {
  const seen: string[] = [];
  let stopped = false;
  const h: RegisteredHandler & { seen: string[]; stopped: () => boolean } = {
    kind,
    seen,
    stopped: () => stopped,
    async process(ref) {
      seen.push(ref);
      return step(ref);
    },
    async stop() {
      stopped = true;
    },
  };
  return h;
}

describe('the job registry', () => {
  it('hands due items to their kind, settles them with the next due, and leaves what is not due', async () => {
    const clock = new ManualClock(T);
    await q.schedule('face', 'f1', new Date(T - 1000));
    await q.schedule('face', 'f2', new Date(T + 60_000));
    await q.schedule('coupon', 'c1', new Date(T - 500));
    const face = handler('face', async (ref) => (ref === 'f1' ? undefined : new Date(T + 120_000)));
    const coupon = handler('coupon', async () => new Date(T + 30_000));
    const jobs = new JobRegistry({ work: q, clock, logger: createLogger('silent') }).handle(face).handle(coupon);
    await jobs.pollOnce();
    await jobs.idle();
    expect(face.seen).toEqual(['f1']);
    expect(coupon.seen).toEqual(['c1']);
    const items = [...(await q.all('face')), ...(await q.all('coupon'))].map((i) => [i.ref, i.due.getTime() - T]);
    expect(items.sort()).toEqual([
      ['c1', 30_000],
      ['f2', 60_000],
    ]);
    clock.advance(60_000);
    await jobs.pollOnce();
    await jobs.idle();
    expect(face.seen).toEqual(['f1', 'f2']);
    expect(coupon.seen).toEqual(['c1', 'c1']);
    await jobs.stop();
    expect(face.stopped() && coupon.stopped()).toBe(true);
  });

  it('a kind working through a slow item does not hold back the others; a failing step is looked at again later', async () => {
    const clock = new ManualClock(T);
    await q.schedule('deduction', 'slow', new Date(T - 1000));
    await q.schedule('booking', 'b1', new Date(T - 1000));
    await q.schedule('booking', 'b2', new Date(T - 900));
    let release!: () => void;
    const gate = new Promise<void>((r) => (release = r));
    const slow = handler('deduction', async () => {
      await gate;
      return undefined;
    });
    const bookings = handler('booking', async (ref) => {
      if (ref === 'b2') throw new Error('lot unreachable');
      return undefined;
    });
    const jobs = new JobRegistry({ work: q, clock, logger: createLogger('silent') }).handle(slow).handle(bookings);
    await jobs.pollOnce();
    await waitUntil(() => bookings.seen.length >= 2, 'both bookings handed out');
    expect(bookings.seen).toEqual(['b1', 'b2']);
    await jobs.pollOnce(); // the slow kind is still busy: not handed its item twice
    expect(slow.seen).toEqual(['slow']);
    release();
    await jobs.idle();
    expect((await q.all('deduction')).map((i) => i.ref)).toEqual([]);
    const left = await q.all('booking');
    expect(left.map((i) => i.ref)).toEqual(['b2']);
    expect(left[0]!.due.getTime()).toBeGreaterThan(T);
    await jobs.stop();
  });

  it('runs periodic jobs on their interval and stops them with the rest', async () => {
    let runs = 0;
    const jobs = new JobRegistry({ work: q, clock: new ManualClock(T), logger: createLogger('silent'), pollMs: 20 }).every('tick', 50, async () => {
      runs++;
    });
    jobs.start();
    await waitUntil(() => runs >= 2, 'two runs of the periodic job');
    await jobs.stop();
    const after = runs;
    expect(after).toBeGreaterThanOrEqual(2);
    // Nothing can be awaited for "no more runs": several intervals pass without one.
    await new Promise((r) => setTimeout(r, 150));
    expect(runs).toBe(after);
  });

  it("takes a module's jobs: its handlers, its periodic jobs, and its own-loop jobs, started with the registry and stopped after the handlers", async () => {
    const clock = new ManualClock(T);
    await q.schedule('booking', 'b1', new Date(T - 1000));
    const booking = handler('booking', async () => undefined);
    const order: string[] = [];
    let ticks = 0;
    const loop = {
      started: false,
      start() {
        this.started = true;
        order.push('loop started');
      },
      async stop() {
        order.push(`loop stopped (handler stopped: ${booking.stopped()})`);
      },
    };
    const jobs = new JobRegistry({ work: q, clock, logger: createLogger('silent'), pollMs: 20 }).add({
      handlers: [booking],
      every: [{ name: 'tick', everyMs: 30, run: async () => void ticks++ }],
      loops: [loop],
    });
    expect(loop.started).toBe(false);
    jobs.start();
    expect(order).toEqual(['loop started']);
    await waitUntil(() => booking.seen.includes('b1') && ticks >= 1, 'the handler and the periodic job ran');
    await jobs.stop();
    expect(order).toEqual(['loop started', 'loop stopped (handler stopped: true)']);
    // A kind has one handler, whether it came alone or with a module.
    expect(() => jobs.add({ handlers: [handler('booking', async () => undefined)] })).toThrow(/registered already/);
  });
});
