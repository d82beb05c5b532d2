/**
 * Drivers and their sessions on the real engine (repository/drivers.ts): one driver per login identity under
 * racing first logins, a plate is bound once and a driver never gets more than the limit by racing binds,
 * a session is revoked once and a revoked one is never extended.
 */
import type { BoundPlate } from '../../../server/src/core/identity/model';
import { MongoDriverRepository, MongoSessionRepository } from '../../../server/src/repository/drivers';
import { openTestDatabase, type TestDatabase } from '../../support/db';

let db: TestDatabase;
let drivers: MongoDriverRepository;
let sessions: MongoSessionRepository;
beforeAll(async () => {
  db = await openTestDatabase('drivers');
  drivers = new MongoDriverRepository(db.connection);
  sessions = new MongoSessionRepository(db.connection);
  await Promise.all([drivers.init(), sessions.init()]);
});
afterAll(async () => {
  await db.dispose();
});

const T = Date.UTC(2026, 11, 5, 2, 0, 0);
const at = (s: number) => new Date(T + s * 1000);
let n = 0;
const fresh = () => ({ id: `drv${++n}`, createdAt: at(0) });
const plate = (p: string): BoundPlate => ({ plate: p, plateKey: p, boundAt: at(1) });

describe('drivers', () => {
  it('racing first logins of one identity make one driver: one is told created, all get the same driver', async () => {
    const identity = { provider: 'wechat' as const, wechatOpenId: 'o-race' };
    const r = await Promise.all(Array.from({ length: 4 }, () => drivers.findOrCreate(identity, fresh())));
    expect(new Set(r.map((x) => x.driver.id)).size).toBe(1);
    expect(r.filter((x) => x.created)).toHaveLength(1);
    const again = await drivers.findOrCreate(identity, fresh());
    expect(again).toMatchObject({ created: false, driver: { id: r[0]!.driver.id } });
  });

  it('an Alipay login by user_id then by the same user_id with an open_id is one driver that gains the open_id', async () => {
    const first = await drivers.findOrCreate({ provider: 'alipay', alipayUserId: '2088-1' }, fresh());
    const second = await drivers.findOrCreate({ provider: 'alipay', alipayUserId: '2088-1', alipayOpenId: 'ali-open-1' }, fresh());
    expect(second).toMatchObject({ created: false, driver: { id: first.driver.id } });
    expect((await drivers.findOrCreate({ provider: 'alipay', alipayOpenId: 'ali-open-1' }, fresh())).driver.id).toBe(first.driver.id);
  });

  it('a plate is bound once: a repeat is told already, racing binds of it add it once', async () => {
    const { driver } = await drivers.findOrCreate({ provider: 'wechat', wechatOpenId: 'o-plate' }, fresh());
    const r = await Promise.all([drivers.addPlate(driver.id, plate('粤B00001'), 3), drivers.addPlate(driver.id, plate('粤B00001'), 3)]);
    expect(r.map((x) => x.outcome).sort()).toEqual(['added', 'already']);
    expect((await drivers.addPlate(driver.id, plate('粤B00001'), 3)).outcome).toBe('already');
    expect((await drivers.findById(driver.id))!.plates).toHaveLength(1);
    expect((await drivers.addPlate('no-such-driver', plate('粤B00001'), 3)).outcome).toBe('no_driver');
  });

  it('racing binds of different plates never pass the limit', async () => {
    const { driver } = await drivers.findOrCreate({ provider: 'wechat', wechatOpenId: 'o-full' }, fresh());
    const r = await Promise.all(['粤B10001', '粤B10002', '粤B10003', '粤B10004', '粤B10005'].map((p) => drivers.addPlate(driver.id, plate(p), 3)));
    expect(r.filter((x) => x.outcome === 'added')).toHaveLength(3);
    expect(r.filter((x) => x.outcome === 'full')).toHaveLength(2);
    expect((await drivers.findById(driver.id))!.plates).toHaveLength(3);
  });

  it('an unbind removes the plate once; a repeat finds nothing to remove', async () => {
    const { driver } = await drivers.findOrCreate({ provider: 'wechat', wechatOpenId: 'o-unbind' }, fresh());
    await drivers.addPlate(driver.id, plate('粤B20001'), 3);
    await drivers.addPlate(driver.id, plate('粤B20002'), 3);
    expect((await drivers.removePlate(driver.id, '粤B20001'))!.plates.map((p) => p.plateKey)).toEqual(['粤B20002']);
    expect(await drivers.removePlate(driver.id, '粤B20001')).toBeUndefined();
    expect((await drivers.findById(driver.id))!.plates.map((p) => p.plateKey)).toEqual(['粤B20002']);
  });

  it('racing unbinds of one plate leave the others bound and the plate gone', async () => {
    const { driver } = await drivers.findOrCreate({ provider: 'wechat', wechatOpenId: 'o-unbind-race' }, fresh());
    await drivers.addPlate(driver.id, plate('粤B40001'), 3);
    await drivers.addPlate(driver.id, plate('粤B40002'), 3);
    const r = await Promise.all([drivers.removePlate(driver.id, '粤B40001'), drivers.removePlate(driver.id, '粤B40001')]);
    const answered = r.flatMap((d) => (d ? [d.plates.map((p) => p.plateKey)] : []));
    expect(answered.length).toBeGreaterThanOrEqual(1);
    expect(answered).toEqual(answered.map(() => ['粤B40002']));
    expect((await drivers.findById(driver.id))!.plates.map((p) => p.plateKey)).toEqual(['粤B40002']);
  });
});

describe('driver sessions', () => {
  it('a session is revoked once, and a revoked session is not extended', async () => {
    await sessions.insert({ tokenHash: 'dt1', driverId: 'drv1', provider: 'wechat', createdAt: at(0), expiresAt: at(3600) });
    const r = await Promise.all([sessions.revoke('dt1', at(10)), sessions.revoke('dt1', at(20))]);
    expect(r.filter(Boolean)).toHaveLength(1);
    const revoked = (await sessions.find('dt1'))!;
    await sessions.extend('dt1', at(7200));
    expect(await sessions.find('dt1')).toEqual(revoked);
    expect(await sessions.revoke('dt1', at(30))).toBe(false);
  });

  it('a live session is extended; revokeAll revokes only the live ones of that driver', async () => {
    await sessions.insert({ tokenHash: 'dt2', driverId: 'drv2', provider: 'wechat', createdAt: at(0), expiresAt: at(3600) });
    await sessions.insert({ tokenHash: 'dt3', driverId: 'drv2', provider: 'wechat', createdAt: at(0), expiresAt: at(3600) });
    await sessions.insert({ tokenHash: 'dt4', driverId: 'drv3', provider: 'wechat', createdAt: at(0), expiresAt: at(3600) });
    await sessions.extend('dt2', at(7200));
    expect((await sessions.find('dt2'))!.expiresAt).toEqual(at(7200));
    await sessions.revoke('dt3', at(5));
    expect(await sessions.revokeAll('drv2', at(10))).toBe(1);
    expect((await sessions.find('dt3'))!.revokedAt).toEqual(at(5));
    expect((await sessions.find('dt4'))!.revokedAt).toBeUndefined();
  });
});
