/**
 * Key documents and start-up migrations on the real engine (repository/keys.ts): bulk writes of any size
 * answer (FerretDB v1 never answers a command of 100 or more updates that match existing documents), and a
 * migration that dies half-way runs again at the next start and leaves every key right.
 */
import type { Connection } from 'mongoose';
import { KeyIndex, runOnce } from '../../../server/src/repository/keys';
import { MongoWorkQueue } from '../../../server/src/repository/work';
import { openTestDatabase, type TestDatabase } from '../../support/db';

let db: TestDatabase;
let conn: Connection;
beforeAll(async () => {
  db = await openTestDatabase('keys');
  conn = db.connection;
});
afterAll(async () => {
  await db.dispose();
});

const many = 150;
const range = (n: number) => Array.from({ length: n }, (_, i) => i);

describe('key documents', () => {
  it('addMany adds refs to many existing keys at once, and again (idempotent)', async () => {
    const k = new KeyIndex(conn, 'keys_add');
    await k.init();
    await k.addMany(range(many).map((i) => ({ key: `drv${i}`, ref: `a${i}` })));
    await k.addMany(range(many).map((i) => ({ key: `drv${i}`, ref: `b${i}` }))); // every key exists already
    await k.addMany(range(many).map((i) => ({ key: `drv${i}`, ref: `b${i}` })));
    const refs = await k.refsOf(range(many).map((i) => `drv${i}`));
    for (const i of range(many)) expect(refs.get(`drv${i}`)).toEqual([`a${i}`, `b${i}`]);
  }, 30_000);

  it('setMany points many existing keys at their records', async () => {
    const k = new KeyIndex(conn, 'keys_set');
    await k.init();
    await k.setMany(range(many).map((i) => ({ key: `t${i}`, ref: `old${i}` })));
    await k.setMany(range(many).map((i) => ({ key: `t${i}`, ref: `new${i}` })));
    for (const i of [0, 99, 100, many - 1]) expect(await k.ref(`t${i}`)).toBe(`new${i}`);
  }, 30_000);

  it('scheduleMany moves many existing work items at once', async () => {
    const q = new MongoWorkQueue(conn);
    await q.init();
    const at = (s: number) => new Date(Date.UTC(2026, 10, 29) + s * 1000);
    await q.scheduleMany(range(many).map((i) => ({ kind: 'order' as const, ref: `w${i}`, due: at(100) })));
    await q.scheduleMany(range(many).map((i) => ({ kind: 'order' as const, ref: `w${i}`, due: at(50) })));
    const due = (await q.due(['order'], at(60), 1000)).filter((i) => i.ref.startsWith('w'));
    expect(due).toHaveLength(many);
    expect(due.every((i) => i.due.getTime() === at(50).getTime())).toBe(true);
  }, 30_000);

  it('a migration that dies half-way runs again at the next start and finishes the keys', async () => {
    const k = new KeyIndex(conn, 'keys_migrated');
    await k.init();
    const records = range(120).map((i) => ({ id: `o${i}`, driver: `d${i % 7}` }));
    const migrate = async (dieAfter?: number) => {
      for (let i = 0; i < records.length; i += 40) {
        if (dieAfter !== undefined && i >= dieAfter) throw new Error('the process died');
        const batch = records.slice(i, i + 40);
        await k.addMany(batch.map((r) => ({ key: r.driver, ref: r.id })));
      }
    };
    await expect(runOnce(conn, 'keys test migration', () => migrate(80))).rejects.toThrow('the process died');
    await runOnce(conn, 'keys test migration', () => migrate()); // the next start: not recorded as done, so again
    let ran = false;
    await runOnce(conn, 'keys test migration', async () => void (ran = true));
    expect(ran).toBe(false);
    for (let d = 0; d < 7; d++) {
      expect((await k.refs(`d${d}`)).sort()).toEqual(records.filter((r) => r.driver === `d${d}`).map((r) => r.id).sort());
    }
  }, 30_000);
});
