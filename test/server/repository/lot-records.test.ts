/**
 * Stays by _id only on the real engine: the cars of a plate come from its key document (added before the
 * stay, removed after its exit), a 4.2 batch is stored at once with its resends and exits-first, pictures and
 * the lot's whitelist entries have their key as _id, and data stored before all this is taken up at start.
 */
import type { Connection } from 'mongoose';
import type { StayEntry, StayExit } from '../../../server/src/core/lot/model';
import { lotModels, MongoLotRecordsRepository, stayId } from '../../../server/src/repository/lot-records';
import { openTestDatabase, type TestDatabase } from '../../support/db';

let db: TestDatabase;
let conn: Connection;
let repo: MongoLotRecordsRepository;
beforeAll(async () => {
  db = await openTestDatabase('lot_records');
  conn = db.connection;
  repo = new MongoLotRecordsRepository(conn);
  await repo.init();
});
afterAll(async () => {
  await db.dispose();
});

const P = 'p_stays';
const T = Date.UTC(2026, 10, 29, 2, 0, 0);
const entry = (minutes: number): StayEntry => ({ inTime: new Date(T + minutes * 60_000), inChannel: '东门入口', inImage: '', carType: '临时车', plateColor: '蓝色', record: { a: 1 }, receivedAt: new Date(T) });
const exit = (minutes: number): StayExit => ({
  inTime: null,
  outTime: new Date(T + minutes * 60_000),
  outChannel: '东门出口',
  outImage: '',
  chargeFen: 0,
  onLineChargeFen: 0,
  offLineChargeFen: 0,
  profitChargeTotalFen: 0,
  charges: [],
  record: {},
  receivedAt: new Date(T),
});
const car = (orderId: string, plate: string, minutes = 0) => ({ parkNumber: P, orderId, plate, plateKey: plate.replace(/\s/g, ''), ticketCode: '', entry: entry(minutes) });
const plateDoc = (plateKey: string) => conn.collection('stay_plates').findOne({ _id: plateKey as never });

describe('the cars of a plate', () => {
  it('a batch of entries is stored at once; resends change nothing; the plate finds its cars, newest first', async () => {
    const batch = [car('a1', '京A00001', 0), car('a2', '京A00002', 1), car('a3', '京A00001', 5)];
    expect(await repo.recordEntries(P, batch)).toEqual([true, true, true]);
    expect(await repo.recordEntries(P, [batch[1]!, car('a4', '京A00004', 2), batch[1]!])).toEqual([false, true, false]);
    expect((await repo.staysInPark(P, '京A00001')).map((s) => s.orderId)).toEqual(['a3', 'a1']);
    expect((await repo.staysInPark('p_elsewhere', '京A00001')).length).toBe(0);
    expect((await repo.staysByPlateKeys(['京A00002', '京A00004'])).map((s) => s.orderId).sort()).toEqual(['a2', 'a4']);
  });

  it('an exit takes the car out of its plate (also the plate its entry had, when the exit spells it otherwise)', async () => {
    await repo.recordEntries(P, [car('b1', '京B00001')]);
    expect(await repo.recordExit({ parkNumber: P, orderId: 'b1', plate: '京B00009', plateKey: '京B00009', ticketCode: '', exit: exit(30) })).toBe(true);
    expect(await repo.staysInPark(P, '京B00001')).toEqual([]);
    expect(((await plateDoc('京B00001'))?.refs as string[]) ?? []).not.toContain(stayId(P, 'b1'));
    // A resent exit changes nothing.
    expect(await repo.recordExit({ parkNumber: P, orderId: 'b1', plate: '京B00009', plateKey: '京B00009', ticketCode: '', exit: exit(30) })).toBe(false);
  });

  it('an exit that came first: the entry fills in later and the car is not counted in', async () => {
    expect(await repo.recordExit({ parkNumber: P, orderId: 'c1', plate: '京C00001', plateKey: '京C00001', ticketCode: '', exit: exit(40) })).toBe(true);
    expect(await repo.recordEntries(P, [car('c1', '京C00001')])).toEqual([true]);
    expect((await repo.findStay(P, 'c1'))!.entry).toBeDefined();
    expect(await repo.staysInPark(P, '京C00001')).toEqual([]);
    expect(((await plateDoc('京C00001'))?.refs as string[]) ?? []).not.toContain(stayId(P, 'c1'));
  });

  it('a key whose stay never got stored (its writer died) is skipped', async () => {
    await conn.collection('stay_plates').updateOne({ _id: '京D00001' as never }, { $addToSet: { refs: stayId(P, 'never') } }, { upsert: true });
    await repo.recordEntries(P, [car('d1', '京D00001')]);
    expect((await repo.staysInPark(P, '京D00001')).map((s) => s.orderId)).toEqual(['d1']);
  });
});

describe('pictures and the lot’s whitelist by their key', () => {
  it('a picture is kept by name (a resend replaces it)', async () => {
    const img = { parkNumber: P, imageName: 'in_1.jpg', mime: 'image/jpeg', data: Buffer.from([0xff, 0xd8, 0xff, 1]), bytes: 4, sha256: 'x', receivedAt: new Date(T) };
    await repo.saveImage(img);
    await repo.saveImage({ ...img, data: Buffer.from([0xff, 0xd8, 0xff, 2]) });
    expect([...(await repo.findImage(P, 'in_1.jpg'))!.data]).toEqual([0xff, 0xd8, 0xff, 2]);
    expect(await conn.collection('lotimages').countDocuments({ parkNumber: P, imageName: 'in_1.jpg' })).toBe(1);
  });

  it('a whitelist change older than the stored one is not applied', async () => {
    const e = { parkNumber: P, entryKey: 'id:7', fixedId: 7, plate: '京E00001', plateKey: '京E00001', source: '1', changedAt: 200, deleted: false, record: {}, receivedAt: new Date(T) };
    expect(await repo.applyWhitelistChange(e)).toBe(true);
    expect(await repo.applyWhitelistChange({ ...e, changedAt: 100, deleted: true })).toBe(false);
    expect(await repo.applyWhitelistChange({ ...e, changedAt: 300, deleted: true })).toBe(true);
    expect(await repo.lotWhitelist(P)).toEqual([]);
  });
});

describe('records stored before', () => {
  it('stays in are keyed by plate, and pictures and whitelist entries stored with an ObjectId move to their key, at start', async () => {
    const old = await openTestDatabase('lot_records_migrate');
    try {
      const m = lotModels(old.connection);
      await m.stays.init();
      await m.stays.collection.insertMany([
        { _id: stayId(P, 'o1'), parkNumber: P, orderId: 'o1', plate: '京F00001', plateKey: '京F00001', ticketCode: '', status: 'in', entry: entry(0) },
        { _id: stayId(P, 'o2'), parkNumber: P, orderId: 'o2', plate: '京F00001', plateKey: '京F00001', ticketCode: '', status: 'out', entry: entry(0), exit: exit(10) },
      ] as never[]);
      // As an earlier version indexed them.
      await old.connection.collection('lotimages').createIndex({ parkNumber: 1, imageName: 1 }, { unique: true });
      await old.connection.collection('lotwhitelistentries').createIndex({ parkNumber: 1, entryKey: 1 }, { unique: true });
      await old.connection.collection('lotimages').insertOne({ parkNumber: P, imageName: 'old.jpg', mime: 'image/jpeg', data: Buffer.from([1, 2, 3]), bytes: 3, sha256: 'y', receivedAt: new Date(T) });
      await old.connection.collection('lotwhitelistentries').insertOne({ parkNumber: P, entryKey: 'id:1', fixedId: 1, plate: '京G00001', plateKey: '京G00001', source: '2', changedAt: 5, deleted: false, record: {}, receivedAt: new Date(T) });
      const fresh = new MongoLotRecordsRepository(old.connection);
      await fresh.init();
      expect((await fresh.staysInPark(P, '京F00001')).map((s) => s.orderId)).toEqual(['o1']);
      expect([...(await fresh.findImage(P, 'old.jpg'))!.data]).toEqual([1, 2, 3]);
      expect(await old.connection.collection('lotimages').countDocuments({})).toBe(1);
      expect(await fresh.applyWhitelistChange({ parkNumber: P, entryKey: 'id:1', fixedId: 1, plate: '京G00001', plateKey: '京G00001', source: '2', changedAt: 4, deleted: true, record: {}, receivedAt: new Date(T) })).toBe(false);
      expect((await fresh.lotWhitelist(P)).map((e) => e.plateKey)).toEqual(['京G00001']);
    } finally {
      await old.dispose();
    }
  });
});
