/**
 * Unlicensed entries (4.29) on the real engine (repository/visits.ts): a driver's visits are found through
 * their key document, newest first, from a time on (inclusive), at most twenty; a key naming a visit never
 * written is skipped; visits stored before the keys existed are found after the start-up migration.
 */
import type { UnlicensedVisit } from '../../../server/src/core/parking/service';
import { MongoVisitRepository } from '../../../server/src/repository/visits';
import { openTestDatabase, type TestDatabase } from '../../support/db';

let db: TestDatabase;
let repo: MongoVisitRepository;
beforeAll(async () => {
  db = await openTestDatabase('visits');
  repo = new MongoVisitRepository(db.connection);
  await repo.init();
});
afterAll(async () => {
  await db.dispose();
});

const T = Date.UTC(2026, 11, 5, 2, 0, 0);
const at = (s: number) => new Date(T + s * 1000);
let n = 0;
const driver = () => `drv${++n}`;
const visit = (driverId: string, s: number, over: Partial<UnlicensedVisit> = {}): UnlicensedVisit => ({
  driverId,
  parkNumber: 'P1',
  plate: `临${s}`,
  plateKey: `临${s}`,
  inTime: '2026-12-05 10:00:00',
  inImage: '',
  createdAt: at(s),
  ...over,
});

describe('visits', () => {
  it('a driver’s visits newest first, from `since` on (inclusive); other drivers’ are not theirs', async () => {
    const d = driver();
    const other = driver();
    await repo.add(visit(d, 10));
    await repo.add(visit(d, 30));
    await repo.add(visit(d, 20));
    await repo.add(visit(other, 25));
    expect((await repo.recent(d, at(0))).map((v) => v.createdAt)).toEqual([at(30), at(20), at(10)]);
    expect((await repo.recent(d, at(20))).map((v) => v.createdAt)).toEqual([at(30), at(20)]);
    expect(await repo.recent(d, at(31))).toEqual([]);
    expect(await repo.recent(driver(), at(0))).toEqual([]);
  });

  it('a visit reads back as it was added, without the storage id', async () => {
    const d = driver();
    const v = visit(d, 5, { parkNumber: 'P9', inImage: 'img.jpg' });
    await repo.add(v);
    expect(await repo.recent(d, at(0))).toEqual([v]);
  });

  it('one entry is one visit: the same entry added again, or twice at once, is kept once', async () => {
    const d = driver();
    const v = visit(d, 40);
    await repo.add(v);
    await repo.add({ ...v, createdAt: at(41) });
    await Promise.all([repo.add(visit(d, 42)), repo.add(visit(d, 42))]);
    expect((await repo.recent(d, at(0))).map((x) => x.createdAt)).toEqual([at(42), at(40)]);
    // Another entry of the same car (another entry time) is another visit.
    await repo.add({ ...v, inTime: '2026-12-05 18:00:00', createdAt: at(43) });
    expect(await repo.recent(d, at(0))).toHaveLength(3);
  });

  it('at most twenty, the newest', async () => {
    const d = driver();
    for (let i = 1; i <= 23; i++) await repo.add(visit(d, i));
    const got = await repo.recent(d, at(0));
    expect(got).toHaveLength(20);
    expect(got[0]!.createdAt).toEqual(at(23));
    expect(got[19]!.createdAt).toEqual(at(4));
  });

  it('a key naming a visit never written (its writer died between the two) is skipped', async () => {
    const d = driver();
    await repo.add(visit(d, 1));
    await db.connection.collection('driver_visits').updateOne({ _id: d as never }, { $addToSet: { refs: '0123456789abcdef01234567' } });
    expect(await repo.recent(d, at(0))).toHaveLength(1);
  });

  it('visits stored before the keys existed are found after the start-up migration, which runs once', async () => {
    const old = await openTestDatabase('visits_old');
    try {
      const fresh = new MongoVisitRepository(old.connection);
      const d = driver();
      const v = visit(d, 7);
      await old.connection.collection('unlicensedvisits').insertOne({ ...v });
      await fresh.init();
      expect(await fresh.recent(d, at(0))).toEqual([v]);
      await fresh.init();
      expect(await fresh.recent(d, at(0))).toEqual([v]);
    } finally {
      await old.dispose();
    }
  });
});
