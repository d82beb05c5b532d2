/**
 * The pending-work collection of notices on the real engine (repository/pending-work.ts): a schedule only
 * moves an item earlier, and settle() acts only on the version it read, so a schedule between a poller's
 * read and its settle is never lost.
 */
import { MongoPendingWork } from '../../../server/src/repository/pending-work';
import { openTestDatabase, type TestDatabase } from '../../support/db';

let db: TestDatabase;
let q: MongoPendingWork;
beforeAll(async () => {
  db = await openTestDatabase('pending');
  q = new MongoPendingWork(db.connection);
  await q.init();
});
afterAll(async () => {
  await db.dispose();
});

const T = Date.UTC(2026, 11, 5, 2, 0, 0);
const at = (s: number) => new Date(T + s * 1000);
let n = 0;
const ref = () => `r${++n}`;
const find = async (r: string, now = at(100_000)) => (await q.due(['invoice', 'message'], now, 1000)).find((i) => i.ref === r);

describe('pending work', () => {
  it('a schedule only moves an item earlier; racing schedules leave one item at the earliest', async () => {
    const a = ref();
    await Promise.all(Array.from({ length: 6 }, (_, i) => q.schedule('invoice', a, at(60 - i))));
    await q.schedule('invoice', a, at(500));
    const items = (await q.due(['invoice'], at(100_000), 1000)).filter((i) => i.ref === a);
    expect(items).toHaveLength(1);
    expect(items[0]!.due).toEqual(at(55));
    expect(await find(a, at(54))).toBeUndefined();
  });

  it('settle() removes or moves only the version it read: a schedule after the read keeps the item', async () => {
    const a = ref();
    await q.schedule('message', a, at(0));
    const seen = (await find(a))!;
    await q.schedule('message', a, at(0)); // new work after the poller read it
    await q.settle(seen, undefined);
    await q.settle(seen, at(900));
    expect((await find(a))!.due).toEqual(at(0));
    const again = (await find(a))!;
    await q.settle(again, at(900));
    expect((await find(a))!.due).toEqual(at(900));
    await q.settle((await find(a))!, undefined);
    expect(await find(a)).toBeUndefined();
  });

  it('two pollers settling one read: the item is removed once and a later schedule makes it again', async () => {
    const a = ref();
    await q.schedule('invoice', a, at(0));
    const seen = (await find(a))!;
    await Promise.all([q.settle(seen, undefined), q.settle(seen, undefined)]);
    expect(await find(a)).toBeUndefined();
    await q.schedule('invoice', a, at(5));
    expect((await find(a))!.due).toEqual(at(5));
  });
});
