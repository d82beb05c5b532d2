/**
 * Operator stores on the real engine (repository/operators.ts): a username is taken once (unique index), a
 * session is revoked once, the login throttle counts racing attempts without letting more than its limit
 * through, and a barrier-lift confirmation is spent by exactly one request.
 */
import type { OperatorAccount } from '../../../server/src/core/operators/service';
import { MongoLiftConfirmations, MongoLoginThrottle, MongoOperatorAccountRepository, MongoOperatorSessionRepository } from '../../../server/src/repository/operators';
import { openTestDatabase, type TestDatabase } from '../../support/db';

let db: TestDatabase;
let accounts: MongoOperatorAccountRepository;
let sessions: MongoOperatorSessionRepository;
let throttle: MongoLoginThrottle;
let lifts: MongoLiftConfirmations;
beforeAll(async () => {
  db = await openTestDatabase('operators');
  accounts = new MongoOperatorAccountRepository(db.connection);
  sessions = new MongoOperatorSessionRepository(db.connection);
  throttle = new MongoLoginThrottle(db.connection);
  lifts = new MongoLiftConfirmations(db.connection);
  await Promise.all([accounts.init(), sessions.init(), throttle.init(), lifts.init()]);
});
afterAll(async () => {
  await db.dispose();
});

const T = Date.UTC(2026, 11, 5, 2, 0, 0);
const at = (s: number) => new Date(T + s * 1000);
let n = 0;
function account(over: Partial<OperatorAccount> = {}): OperatorAccount {
  const i = ++n;
  return { id: `op${i}`, username: `user${i}`, role: 'operator', parks: ['P1'], passwordHash: 'h', disabled: false, createdAt: at(0), updatedAt: at(0), passwordChangedAt: at(0), ...over };
}

describe('operator accounts and sessions', () => {
  it('a username is taken once: two racing accounts with it, exactly one is inserted', async () => {
    const a = account();
    const b = account({ username: a.username });
    const r = await Promise.all([accounts.insert(a), accounts.insert(b)]);
    expect(r.filter(Boolean)).toHaveLength(1);
    expect((await accounts.findByUsername(a.username))!.id).toBe(r[0] ? a.id : b.id);
    expect(await accounts.insert(a)).toBe(false); // a retry
  });

  it('a session is revoked once: racing revokes, one answers true and the first time stays', async () => {
    await sessions.insert({ tokenHash: 'tk1', operatorId: 'op1', createdAt: at(0), expiresAt: at(3600) });
    const r = await Promise.all([sessions.revoke('tk1', at(10)), sessions.revoke('tk1', at(20))]);
    expect(r.filter(Boolean)).toHaveLength(1);
    const revokedAt = (await sessions.find('tk1'))!.revokedAt!;
    expect(await sessions.revoke('tk1', at(30))).toBe(false);
    expect((await sessions.find('tk1'))!.revokedAt).toEqual(revokedAt);
  });

  it('revokeAll leaves the kept session and the already revoked ones as they are', async () => {
    await sessions.insert({ tokenHash: 'tk2', operatorId: 'op2', createdAt: at(0), expiresAt: at(3600) });
    await sessions.insert({ tokenHash: 'tk3', operatorId: 'op2', createdAt: at(0), expiresAt: at(3600) });
    await sessions.insert({ tokenHash: 'tk4', operatorId: 'op2', createdAt: at(0), expiresAt: at(3600) });
    await sessions.revoke('tk4', at(5));
    expect(await sessions.revokeAll('op2', at(10), 'tk2')).toBe(1);
    expect((await sessions.find('tk2'))!.revokedAt).toBeUndefined();
    expect((await sessions.find('tk3'))!.revokedAt).toEqual(at(10));
    expect((await sessions.find('tk4'))!.revokedAt).toEqual(at(5));
  });
});

describe('login throttle', () => {
  const opts = { windowStart: at(-900), max: 3, lockUntil: at(900) };

  it('racing attempts: exactly max of them get through, numbered 1..max, the others find the key locked', async () => {
    const r = await Promise.all(Array.from({ length: 6 }, () => throttle.attempt('k1', at(0), opts)));
    const through = r.filter((x): x is { attempt: number } => 'attempt' in x).map((x) => x.attempt);
    expect(through.sort()).toEqual([1, 2, 3]);
    expect(r.filter((x) => 'lockedUntil' in x)).toHaveLength(3);
    expect(await throttle.attempt('k1', at(1), { ...opts, windowStart: at(-899) })).toEqual({ lockedUntil: at(900) });
  });

  it('after the lock runs out a new window begins; an old window is not counted', async () => {
    await throttle.lock('k2', at(100));
    expect(await throttle.attempt('k2', at(99), { windowStart: at(-801), max: 3, lockUntil: at(999) })).toEqual({ lockedUntil: at(100) });
    expect(await throttle.attempt('k2', at(100), { windowStart: at(-800), max: 3, lockUntil: at(1000) })).toEqual({ attempt: 1 });
    expect(await throttle.attempt('k2', at(101), { windowStart: at(-799), max: 3, lockUntil: at(1001) })).toEqual({ attempt: 2 });
    // Fifteen minutes later the window that began at 100 is old.
    expect(await throttle.attempt('k2', at(1001), { windowStart: at(101), max: 3, lockUntil: at(1901) })).toEqual({ attempt: 1 });
  });
});

describe('barrier-lift confirmations', () => {
  const match = { operatorId: 'op1', parkNumber: 'P1', passagewayId: 'G1' };

  it('a confirmation is spent once: of two racing consumes exactly one is ok, the other is told used', async () => {
    await lifts.insert({ idHash: 'L1', ...match, reason: 'r', createdAt: at(0), expiresAt: at(60) });
    const r = await Promise.all([lifts.consume('L1', match, at(1)), lifts.consume('L1', match, at(1))]);
    expect(r.map((x) => x.outcome).sort()).toEqual(['ok', 'used']);
    expect((await lifts.consume('L1', match, at(2))).outcome).toBe('used');
  });

  it('an expired confirmation, or one for another operator or passageway, is not spent', async () => {
    await lifts.insert({ idHash: 'L2', ...match, reason: 'r', createdAt: at(0), expiresAt: at(60) });
    expect((await lifts.consume('L2', { ...match, passagewayId: 'G2' }, at(1))).outcome).toBe('unknown');
    expect((await lifts.consume('L2', { ...match, operatorId: 'op9' }, at(1))).outcome).toBe('unknown');
    expect((await lifts.consume('L2', match, at(60))).outcome).toBe('expired');
    await lifts.insert({ idHash: 'L3', ...match, reason: 'r', createdAt: at(0), expiresAt: at(60) });
    expect((await lifts.consume('L3', match, at(59))).outcome).toBe('ok');
  });
});
