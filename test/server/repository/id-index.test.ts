/**
 * A lookup by _id uses the _id index on the test run's engine: the query plan says so, and its time does
 * not grow with the collection (a scan at 100,000 documents takes about 100 times as long as at 1,000).
 * On the stock FerretDB v1.24.2 both fail: its SQLite backend queries _id through another expression than
 * the index's, and pushes _id down only when it is the filter's only key.
 */
import { openTestDatabase, type TestDatabase } from '../../support/db';

const FERRET = /^FerretDB /.test(process.env.PARKPAY_TEST_ENGINE ?? '');

let db: TestDatabase;
beforeAll(async () => {
  db = await openTestDatabase('idindex');
});
afterAll(async () => {
  await db.dispose();
});

async function fill(name: string, n: number) {
  const c = db.connection.db!.collection<{ _id: string; status: string; n: number }>(name);
  for (let i = 0; i < n; i += 5_000) {
    await c.insertMany(Array.from({ length: Math.min(5_000, n - i) }, (_, j) => ({ _id: `o${i + j}`, status: (i + j) % 2 ? 'paid' : 'pending', n: i + j })));
  }
  return c;
}

/** What the engine says it does for a find: SQLite's plan on FerretDB, the winning plan on MongoDB. */
async function plan(collection: string, filter: object): Promise<string> {
  const r = await db.connection.db!.command({ explain: { find: collection, filter }, verbosity: 'queryPlanner' });
  return JSON.stringify(FERRET ? r.queryPlanner : r.queryPlanner.winningPlan);
}

const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]!;

describe('lookups by _id', () => {
  it('use the _id index, alone and with other conditions (the conditional writes)', async () => {
    await fill('plans', 2_000);
    for (const filter of [{ _id: 'o1234' }, { _id: 'o1234', status: { $in: ['paid', 'delivered'] } }]) {
      const p = await plan('plans', filter);
      if (FERRET) {
        expect(p).toMatch(/SEARCH \S+ USING INDEX \S+__id_ /);
        expect(p).not.toMatch(/detail=SCAN/);
      } else {
        expect(p).not.toContain('COLLSCAN');
      }
    }
  });

  it('take about as long at 100,000 documents as at 1,000', async () => {
    const small = await fill('small', 1_000);
    const big = await fill('big', 100_000);
    const t = { small: [] as number[], big: [] as number[] };
    // Interleaved, so that a busy moment of the machine falls on both. A scanning engine needs over a second
    // a lookup at 100,000: 30 s of them say enough.
    const until = Date.now() + 30_000;
    for (let k = 0; k < 60 && Date.now() < until; k++) {
      for (const [which, c, n] of [['small', small, 1_000], ['big', big, 100_000]] as const) {
        const id = `o${(k * 7_919) % n}`;
        const s = performance.now();
        const doc = await c.findOne({ _id: id, status: { $in: ['paid', 'pending'] } });
        t[which].push(performance.now() - s);
        expect(doc?._id).toBe(id);
      }
    }
    expect(median(t.big)).toBeLessThan(2 * median(t.small));
  }, 120_000);
});
