/**
 * Retention on the run's real engine, through the repositories that write the records: heartbeat history
 * older than heartbeatDays goes (each park's latest heartbeat stays), pictures older than pictureDays go
 * (and are then not found), audit entries older than auditDays go, expired driver and operator sessions
 * go; everything younger stays. A pass is bounded and a second pass finds nothing more. The configured
 * policy is what the server's job uses.
 */
import { ManualClock } from '../../../server/src/core/clock';
import { cutoffs, Retention } from '../../../server/src/core/retention';
import { loadConfig } from '../../../server/src/config';
import { MongoSessionRepository } from '../../../server/src/repository/drivers';
import { MongoLotRecordsRepository } from '../../../server/src/repository/lot-records';
import { MongoAuditLog, MongoOperatorSessionRepository } from '../../../server/src/repository/operators';
import { MongoRetentionStore } from '../../../server/src/repository/retention';
import { openTestDatabase, type TestDatabase } from '../../support/db';

jest.setTimeout(60_000);

const DAY = 86_400_000;
const NOW = Date.UTC(2026, 11, 5, 4, 0, 0);
let db: TestDatabase;
beforeAll(async () => {
  db = await openTestDatabase('retention');
});
afterAll(() => db?.dispose());

const heartbeat = (parkNumber: string, daysAgo: number) => ({
  parkNumber, parkName: 'p', spaceCount: 1, freeSpaceCount: 1, bookSpaceCount: 0, bookInParkCount: 0, areas: [], receivedAt: new Date(NOW - daysAgo * DAY),
});
const picture = (imageName: string, daysAgo: number) => ({
  parkNumber: 'p1', imageName, mime: 'image/jpeg', data: Buffer.from('jpeg'), bytes: 4, sha256: 'x', receivedAt: new Date(NOW - daysAgo * DAY),
});

it('removes what is past its time and keeps the rest', async () => {
  const conn = db.connection;
  const lot = new MongoLotRecordsRepository(conn);
  const audit = new MongoAuditLog(conn);
  const driverSessions = new MongoSessionRepository(conn);
  const opSessions = new MongoOperatorSessionRepository(conn);
  await Promise.all([lot.init(), audit.init(), driverSessions.init(), opSessions.init()]);

  // p1 sent heartbeats 10, 8 and 1 days ago; p2 only 9 days ago (its latest heartbeat must stay).
  for (const [p, d] of [['p1', 10], ['p1', 8], ['p1', 1], ['p2', 9]] as const) await lot.saveHeartbeat(heartbeat(p, d));
  for (const [name, d] of [['old.jpg', 91], ['new.jpg', 89]] as const) await lot.saveImage(picture(name, d));
  for (const [u, d] of [['old', 1096], ['new', 1094]] as const) {
    await audit.record({ at: new Date(NOW - d * DAY), operatorId: `op-${u}`, username: u, action: 'POST /api/op/x', result: 'ok' });
  }
  const session = (tokenHash: string, expiresIn: number) => ({ tokenHash, createdAt: new Date(NOW - DAY), expiresAt: new Date(NOW + expiresIn) });
  await driverSessions.insert({ ...session('d-expired', -1), driverId: 'd1', provider: 'wechat' });
  await driverSessions.insert({ ...session('d-live', 60_000), driverId: 'd1', provider: 'wechat' });
  await opSessions.insert({ ...session('o-expired', -1), operatorId: 'o1' });
  await opSessions.insert({ ...session('o-live', 60_000), operatorId: 'o1' });

  const policy = loadConfig({}, undefined, { demoWithConfiguredKeys: true }).retention;
  expect(policy).toEqual({ heartbeatDays: 7, pictureDays: 90, auditDays: 1095 });
  const retention = new Retention(new MongoRetentionStore(conn), policy, new ManualClock(NOW));
  expect(await retention.prune()).toEqual({ heartbeatHistory: 3, pictures: 1, audit: 1, driverSessions: 1, operatorSessions: 1 });

  const history = await conn.models.HeartbeatHistory!.find({}).lean<{ parkNumber: string; receivedAt: Date }[]>();
  expect(history.map((h) => [h.parkNumber, h.receivedAt.getTime()])).toEqual([['p1', NOW - DAY]]);
  expect((await lot.latestHeartbeat('p2'))?.receivedAt).toEqual(new Date(NOW - 9 * DAY));
  expect(await lot.findImage('p1', 'old.jpg')).toBeUndefined();
  expect((await lot.findImage('p1', 'new.jpg'))?.data.toString()).toBe('jpeg');
  expect((await audit.list({ limit: 10 })).map((e) => e.username)).toEqual(['new']);
  expect(await driverSessions.find('d-expired')).toBeUndefined();
  expect(await driverSessions.find('d-live')).toBeDefined();
  expect(await opSessions.find('o-expired')).toBeUndefined();
  expect(await opSessions.find('o-live')).toBeDefined();

  expect(await retention.prune()).toEqual({ heartbeatHistory: 0, pictures: 0, audit: 0, driverSessions: 0, operatorSessions: 0 });
});

it('a pass removes at most its limit of each kind; the next goes on', async () => {
  const conn = db.connection;
  const lot = new MongoLotRecordsRepository(conn);
  for (let i = 0; i < 7; i++) await lot.saveHeartbeat(heartbeat('p3', 30 + i));
  const retention = new Retention(new MongoRetentionStore(conn), { heartbeatDays: 7, pictureDays: 90, auditDays: 1095 }, new ManualClock(NOW));
  expect((await retention.prune(4)).heartbeatHistory).toBe(4);
  expect((await retention.prune(4)).heartbeatHistory).toBe(3);
  expect((await retention.prune(4)).heartbeatHistory).toBe(0);
});

it('the policy: configurable, and the audit log kept six months at least', () => {
  expect(cutoffs({ heartbeatDays: 1, pictureDays: 2, auditDays: 180 }, NOW)).toEqual({
    heartbeatHistory: new Date(NOW - DAY),
    pictures: new Date(NOW - 2 * DAY),
    audit: new Date(NOW - 180 * DAY),
    driverSessions: new Date(NOW),
    operatorSessions: new Date(NOW),
  });
  const env = { PARKPAY_RETENTION_HEARTBEAT_DAYS: '3', PARKPAY_RETENTION_PICTURE_DAYS: '30', PARKPAY_RETENTION_AUDIT_DAYS: '400' };
  expect(loadConfig(env, undefined, { demoWithConfiguredKeys: true }).retention).toEqual({ heartbeatDays: 3, pictureDays: 30, auditDays: 400 });
  expect(() => loadConfig({ PARKPAY_RETENTION_AUDIT_DAYS: '30' }, undefined, { demoWithConfiguredKeys: true })).toThrow(/retention\.auditDays: at least 180 days/);
});
