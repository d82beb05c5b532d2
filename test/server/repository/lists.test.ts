/**
 * White and black lists on the real engine (repository/lists.ts): a plate is removed once, an import job is
 * run under one worker's lease, and a clear confirmation is spent by exactly one request of the operator
 * who asked for it.
 */
import type { ImportJob, ListEntry } from '../../../server/src/core/lists/model';
import { MongoListsRepository } from '../../../server/src/repository/lists';
import { openTestDatabase, type TestDatabase } from '../../support/db';

let db: TestDatabase;
let repo: MongoListsRepository;
beforeAll(async () => {
  db = await openTestDatabase('lists');
  repo = new MongoListsRepository(db.connection);
  await repo.init();
});
afterAll(async () => {
  await db.dispose();
});

const T = Date.UTC(2026, 11, 5, 2, 0, 0);
const at = (s: number) => new Date(T + s * 1000);
let n = 0;
function entry(over: Partial<ListEntry> = {}): ListEntry {
  const p = `粤B3${String(++n).padStart(4, '0')}`;
  return { parkNumber: 'P1', list: 'black', plate: p, plateKey: p, memo: '', sync: { state: 'pending', at: at(0) }, origin: 'manual', updatedBy: 'op1', createdAt: at(0), updatedAt: at(0), ...over };
}
function job(over: Partial<ImportJob> = {}): ImportJob {
  return {
    id: `job${++n}`,
    parkNumber: 'P1',
    list: 'white',
    kind: 'import',
    status: 'queued',
    rows: [],
    queue: [],
    next: 0,
    chunkSize: 50,
    chunks: 0,
    chunksDone: 0,
    createdBy: 'op1',
    createdAt: at(0),
    updatedAt: at(0),
    ...over,
  } as ImportJob;
}

describe('list entries', () => {
  it('a plate is removed once: of two racing removes exactly one answers true, and a repeat answers false', async () => {
    const e = entry();
    const keep = entry();
    await repo.upsert(e);
    await repo.upsert(keep);
    const r = await Promise.all([repo.remove('P1', 'black', e.plateKey), repo.remove('P1', 'black', e.plateKey)]);
    expect(r.filter(Boolean)).toHaveLength(1);
    expect(await repo.remove('P1', 'black', e.plateKey)).toBe(false);
    expect(await repo.get('P1', 'black', e.plateKey)).toBeUndefined();
    expect((await repo.get('P1', 'black', keep.plateKey))!.plateKey).toBe(keep.plateKey);
  });

  it('an upsert of a listed plate is an edit: one entry, the latest memo', async () => {
    const e = entry({ parkNumber: 'P2' });
    await Promise.all([repo.upsert(e), repo.upsert({ ...e, memo: 'b' })]);
    await repo.upsert({ ...e, memo: 'c' });
    const all = await repo.all('P2', 'black');
    expect(all).toHaveLength(1);
    expect(all[0]!.memo).toBe('c');
  });
});

describe('import jobs', () => {
  it('a queued job is claimed by one of two racing workers; the other can neither claim nor write it', async () => {
    const j = job();
    await repo.insertJob(j);
    const r = await Promise.all(['w1', 'w2'].map((w) => repo.claimJob(j.id, w, at(0), at(30))));
    expect(r.filter((x) => x !== undefined)).toHaveLength(1);
    const owner = r.find((x) => x !== undefined)!.leaseOwner!;
    const loser = owner === 'w1' ? 'w2' : 'w1';
    expect(await repo.applyJob(j.id, { from: ['queued'], to: 'failed', set: {}, when: { leaseOwner: loser } })).toBe(false);
    expect((await repo.getJob(j.id))!.status).toBe('queued');
    expect(await repo.claimJob(j.id, loser, at(30), at(60))).toBeUndefined(); // the lease runs to at(30)
    expect((await repo.claimJob(j.id, owner, at(10), at(40)))!.leaseUntil).toEqual(at(40)); // the holder renews
    expect(await repo.applyJob(j.id, { from: ['queued'], to: 'running', set: { startedAt: at(10) }, when: { leaseOwner: owner } })).toBe(true);
  });

  it('a chunk records its rows by index and the progress, only from the state the change leaves', async () => {
    const rows = [0, 1, 2].map((i) => ({ line: i + 2, plate: `京A1000${i}`, status: 'queued' as const }));
    const j = job({ rows, queue: [0, 1, 2], chunks: 2 });
    await repo.insertJob(j);
    await repo.claimJob(j.id, 'w1', at(0), at(30));
    const chunk = { rows: [{ row: 0, status: 'synced' as const }, { row: 1, status: 'refused' as const, error: 'no' }], next: 2, chunksDone: 1 };
    expect(await repo.applyJob(j.id, { from: ['running'], set: chunk, when: { leaseOwner: 'w1' } })).toBe(false);
    expect(await repo.applyJob(j.id, { from: ['queued'], to: 'running', set: {}, when: { leaseOwner: 'w1' } })).toBe(true);
    expect(await repo.applyJob(j.id, { from: ['running'], set: chunk, when: { leaseOwner: 'w1' } })).toBe(true);
    const after = (await repo.getJob(j.id))!;
    expect(after.rows).toEqual([
      { ...rows[0], status: 'synced' },
      { ...rows[1], status: 'refused', error: 'no' },
      rows[2],
    ]);
    expect(after).toMatchObject({ status: 'running', next: 2, chunksDone: 1 });
  });

  it('a lease that ran out passes to another worker; a finished job is never claimed', async () => {
    const j = job();
    await repo.insertJob(j);
    await repo.claimJob(j.id, 'w1', at(0), at(30));
    expect((await repo.claimJob(j.id, 'w2', at(31), at(61)))!.leaseOwner).toBe('w2');
    expect(await repo.applyJob(j.id, { from: ['queued', 'running'], to: 'done', set: {}, when: { leaseOwner: 'w1' } })).toBe(false);
    expect(await repo.applyJob(j.id, { from: ['queued', 'running'], to: 'done', set: { finishedAt: at(40) }, when: { leaseOwner: 'w2' } })).toBe(true);
    expect(await repo.claimJob(j.id, 'w2', at(41), at(71))).toBeUndefined();
    expect(await repo.claimJob(j.id, 'w3', at(1000), at(1030))).toBeUndefined();
  });
});

describe('clear confirmations', () => {
  it('a confirmation is spent once: of two racing takes exactly one gets it', async () => {
    await repo.insertConfirmation({ tokenHash: 'c1', parkNumber: 'P1', list: 'white', operatorId: 'op1', count: 3, expiresAt: at(60) });
    const made = { parkNumber: 'P1', list: 'white' as const, operatorId: 'op1' };
    const r = await Promise.all([repo.takeConfirmation('c1', made), repo.takeConfirmation('c1', made)]);
    expect(r.filter((x) => x !== undefined)).toHaveLength(1);
    expect(await repo.takeConfirmation('c1', made)).toBeUndefined();
  });

  it('a confirmation made for another operator, park or list is not spent by this request', async () => {
    await repo.insertConfirmation({ tokenHash: 'c2', parkNumber: 'P1', list: 'white', operatorId: 'op1', count: 3, expiresAt: at(60) });
    expect(await repo.takeConfirmation('c2', { parkNumber: 'P1', list: 'white', operatorId: 'op2' })).toBeUndefined();
    expect(await repo.takeConfirmation('c2', { parkNumber: 'P9', list: 'white', operatorId: 'op1' })).toBeUndefined();
    expect(await repo.takeConfirmation('c2', { parkNumber: 'P1', list: 'black', operatorId: 'op1' })).toBeUndefined();
    expect((await repo.takeConfirmation('c2', { parkNumber: 'P1', list: 'white', operatorId: 'op1' }))!.count).toBe(3);
  });
});
