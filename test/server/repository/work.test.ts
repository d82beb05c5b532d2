/**
 * The work collection on the real engine (repository/work.ts): schedules only move an item earlier, pollers
 * see what is due and not held, settle() acts only on the version it read, and a hold keeps a poller that
 * saw the record finished from dropping the item a writer is giving new work.
 */
import type { Connection } from 'mongoose';
import { MongoWorkQueue } from '../../../server/src/repository/work';
import { openTestDatabase, type TestDatabase } from '../../support/db';

let db: TestDatabase;
let conn: Connection;
let q: MongoWorkQueue;
beforeAll(async () => {
  db = await openTestDatabase('work');
  conn = db.connection;
  q = new MongoWorkQueue(conn);
  await q.init();
});
afterAll(async () => {
  await db.dispose();
});

const T = Date.UTC(2026, 10, 29, 2, 0, 0);
const at = (s: number) => new Date(T + s * 1000);
let n = 0;
const ref = () => `r${++n}`;
const item = async (r: string) => (await q.all('order')).find((i) => i.ref === r);

describe('the work collection', () => {
  it('a schedule only moves an item earlier; due() lists what is due, earliest first, of the kinds asked', async () => {
    const a = ref();
    const b = ref();
    await q.schedule('order', a, at(60));
    await q.schedule('order', a, at(120)); // later: ignored
    await q.schedule('order', a, at(30)); // earlier: taken
    await q.schedule('coupon', b, at(10));
    expect((await item(a))!.due).toEqual(at(30));
    expect((await q.due(['order'], at(29), 10)).map((i) => i.ref)).not.toContain(a);
    const due = await q.due(['order', 'coupon'], at(40), 100);
    expect(due.filter((i) => i.ref === a || i.ref === b).map((i) => i.ref)).toEqual([b, a]);
    expect((await q.due(['face'], at(40), 100)).find((i) => i.ref === a || i.ref === b)).toBeUndefined();
  });

  it('settle() moves or removes only the version it read: a schedule meanwhile wins', async () => {
    const a = ref();
    await q.schedule('order', a, at(0));
    const [seen] = (await q.due(['order'], at(1), 1000)).filter((i) => i.ref === a);
    await q.schedule('order', a, at(0)); // someone scheduled it after the poller read it
    await q.settle(seen!, undefined); // the poller found nothing to do: not removed
    expect(await item(a)).toBeDefined();
    const [again] = (await q.due(['order'], at(1), 1000)).filter((i) => i.ref === a);
    await q.settle(again!, at(500));
    expect((await item(a))!.due).toEqual(at(500));
    const [last] = (await q.due(['order'], at(501), 1000)).filter((i) => i.ref === a);
    await q.settle(last!, undefined);
    expect(await item(a)).toBeUndefined();
  });

  it('a held item is not due for pollers, not removed by done(), and a poller that read it before cannot drop it', async () => {
    const a = ref();
    await q.schedule('order', a, at(0));
    const [seen] = (await q.due(['order'], at(1), 1000)).filter((i) => i.ref === a);
    const holder = await q.hold('order', a);
    expect((await q.due(['order'], new Date(Date.now() + 3_600_000), 1000)).find((i) => i.ref === a)).toBeUndefined();
    await q.settle(seen!, undefined);
    await q.done('order', a);
    expect(await item(a)).toBeDefined();
    await q.unhold('order', a, holder, at(5));
    expect((await q.due(['order'], at(6), 1000)).find((i) => i.ref === a)).toBeDefined();
    await q.done('order', a);
    expect(await item(a)).toBeUndefined();
  });

  it('around(): the item is held during the write and then due when the written record says', async () => {
    const a = ref();
    const seenDuring: boolean[] = [];
    const record = await q.around(
      'deduction',
      a,
      async () => {
        seenDuring.push((await q.due(['deduction'], new Date(Date.now() + 3_600_000), 1000)).some((i) => i.ref === a));
        return { checkAt: at(90) };
      },
      (r) => r.checkAt,
    );
    expect(record).toEqual({ checkAt: at(90) });
    expect(seenDuring).toEqual([false]);
    const [due] = (await q.due(['deduction'], at(91), 1000)).filter((i) => i.ref === a);
    expect(due).toBeDefined();
    expect(due!.due.getTime()).toBeLessThanOrEqual(at(90).getTime());
  });

  it('many writers scheduling one item at once leave one item, due at the earliest', async () => {
    const a = ref();
    await Promise.all(Array.from({ length: 12 }, (_, i) => q.schedule('booking', a, at(100 - i))));
    const items = (await q.all('booking')).filter((i) => i.ref === a);
    expect(items).toHaveLength(1);
    expect(items[0]!.due).toEqual(at(89));
    expect(items[0]!.v).toBe(12);
  });
});
