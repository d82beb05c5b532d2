/**
 * Coupons on the real engine (repository/coupons.ts): a coupon code and a park's request id are each
 * inserted once, every move is conditional on the coupon's status (and its attempt being due), and a fixed
 * code's uses are taken by one conditional update so racing scans never pass its limit.
 */
import type { Coupon, FixedCode } from '../../../server/src/core/coupons/model';
import { MongoCouponRepository } from '../../../server/src/repository/coupons';
import { openTestDatabase, type TestDatabase } from '../../support/db';

let db: TestDatabase;
let repo: MongoCouponRepository;
beforeAll(async () => {
  db = await openTestDatabase('coupons');
  repo = new MongoCouponRepository(db.connection);
  await repo.init();
});
afterAll(async () => {
  await db.dispose();
});

const T = Date.UTC(2026, 11, 5, 2, 0, 0);
const at = (s: number) => new Date(T + s * 1000);
const issuer = { operatorId: 'op1', username: 'alice', role: 'merchant' as const };
let n = 0;
function coupon(over: Partial<Coupon> = {}): Coupon {
  const i = ++n;
  return {
    couponCode: `C${i}`,
    parkNumber: 'P1',
    requestId: `req${i}`,
    kind: 'money',
    amount: 500,
    end: at(86_400),
    orderId: `o${i}`,
    plate: '粤B12345',
    plateKey: '粤B12345',
    issuer,
    via: '4.23',
    status: 'issuing',
    attempts: 0,
    memo: '',
    createdAt: at(0),
    updatedAt: at(0),
    ...over,
  };
}
function fixed(over: Partial<FixedCode> = {}): FixedCode {
  const i = ++n;
  return { code: `F${i}`, parkNumber: 'P1', kind: 'hours', amount: 2, end: at(3600), maxUses: 2, uses: 0, disabled: false, label: 'x', issuer, createdAt: at(0), updatedAt: at(0), ...over };
}

describe('coupon inserts', () => {
  it('a request is issued once: a retry with the same request id is told so and the first coupon stays', async () => {
    const c = coupon();
    expect(await repo.insert(c)).toBe('ok');
    expect(await repo.insert({ ...c, couponCode: `${c.couponCode}-retry` })).toBe('duplicate_request');
    expect((await repo.byRequest('P1', c.requestId))!.couponCode).toBe(c.couponCode);
    expect(await repo.get(`${c.couponCode}-retry`)).toBeUndefined();
  });

  it('a coupon code is used once: another request with it is told duplicate_code', async () => {
    const c = coupon();
    await repo.insert(c);
    expect(await repo.insert({ ...c, requestId: `${c.requestId}-other` })).toBe('duplicate_code');
    expect((await repo.get(c.couponCode))!.requestId).toBe(c.requestId);
  });

  it('a coupon code that lost its insert to the coupon of another stay is not listed for its own stay', async () => {
    const c = coupon();
    await repo.insert(c);
    const other = coupon({ couponCode: c.couponCode });
    expect(await repo.insert(other)).toBe('duplicate_code');
    expect(await repo.forStay('P1', other.orderId)).toEqual([]);
    expect((await repo.forStay('P1', c.orderId)).map((x) => x.couponCode)).toEqual([c.couponCode]);
  });

  it('two racing inserts of one request: exactly one ok, and the request finds it', async () => {
    const c = coupon();
    const d = { ...c, couponCode: `${c.couponCode}-b` };
    const r = await Promise.all([repo.insert(c), repo.insert(d)]);
    expect([...r].sort()).toEqual(['duplicate_request', 'ok']);
    const winner = r[0] === 'ok' ? c : d;
    expect((await repo.byRequest('P1', c.requestId))!.couponCode).toBe(winner.couponCode);
    expect((await repo.forStay('P1', c.orderId)).map((x) => x.couponCode)).toEqual([winner.couponCode]);
  });
});

describe('coupon moves', () => {
  it('a move happens only from the listed statuses: a retry, or a move out of a final status, changes nothing', async () => {
    const c = coupon();
    await repo.insert(c);
    expect((await repo.apply(c.couponCode, { from: ['issuing'], to: 'at_lot', set: { updatedAt: at(1) } }))!.status).toBe('at_lot');
    expect(await repo.apply(c.couponCode, { from: ['issuing'], to: 'at_lot', set: { updatedAt: at(2) } })).toBeUndefined();
    expect((await repo.get(c.couponCode))!.updatedAt).toEqual(at(1));
    expect(await repo.apply(c.couponCode, { from: ['issuing', 'unconfirmed'], to: 'used_at_exit', set: {} })).toBeUndefined();
    expect((await repo.get(c.couponCode))!.status).toBe('at_lot');
  });

  it('two racing moves out of unconfirmed (used at exit vs revoked): exactly one wins', async () => {
    const c = coupon({ status: 'unconfirmed' });
    await repo.insert(c);
    const r = await Promise.all([
      repo.apply(c.couponCode, { from: ['unconfirmed'], to: 'used_at_exit', set: { usedAtExit: { outTradeNo: 'OT1', fen: 500, at: at(5) } } }),
      repo.apply(c.couponCode, { from: ['unconfirmed'], to: 'revoked', set: { revoked: { at: at(5), by: 'op1' } } }),
    ]);
    expect(r.filter((x) => x !== undefined)).toHaveLength(1);
    expect((await repo.get(c.couponCode))!.status).toBe(r.find((x) => x !== undefined)!.status);
  });

  it('a retry attempt is taken only when due, by one of two racing workers, and counted once', async () => {
    const c = coupon({ status: 'unconfirmed', nextAttemptAt: at(10) });
    await repo.insert(c);
    const claim = (dueBy: Date) => repo.apply(c.couponCode, { from: ['unconfirmed'], to: 'issuing', set: { nextAttemptAt: at(70), countAttempt: true }, when: { dueBy } });
    expect(await claim(at(9))).toBeUndefined();
    const r = await Promise.all([claim(at(10)), claim(at(10))]);
    expect(r.filter((x) => x !== undefined)).toHaveLength(1);
    expect(await repo.get(c.couponCode)).toMatchObject({ status: 'issuing', attempts: 1, nextAttemptAt: at(70) });
  });

  it('a change clears the fields it names and leaves the rest', async () => {
    const c = coupon({ status: 'issuing', nextAttemptAt: at(10), lastError: 'timeout' });
    await repo.insert(c);
    const done = await repo.apply(c.couponCode, { from: ['issuing'], to: 'at_lot', set: { clear: ['nextAttemptAt', 'lastError'], updatedAt: at(11) } });
    expect(done).toMatchObject({ status: 'at_lot', memo: c.memo, updatedAt: at(11) });
    expect(done!.nextAttemptAt).toBeUndefined();
    expect(done!.lastError).toBeUndefined();
  });

  it('removeIssuing removes only a coupon still issuing', async () => {
    const a = coupon();
    const b = coupon({ status: 'at_lot' });
    await repo.insert(a);
    await repo.insert(b);
    await repo.removeIssuing(a.couponCode);
    await repo.removeIssuing(b.couponCode);
    expect(await repo.get(a.couponCode)).toBeUndefined();
    expect((await repo.get(b.couponCode))!.status).toBe('at_lot');
  });

  it('a request whose issuing coupon was removed can be issued again, and the request finds the new coupon', async () => {
    const c = coupon();
    await repo.insert(c);
    await repo.removeIssuing(c.couponCode);
    expect(await repo.byRequest('P1', c.requestId)).toBeUndefined();
    const again = { ...c, couponCode: `${c.couponCode}-2` };
    expect(await repo.insert(again)).toBe('ok');
    expect((await repo.byRequest('P1', c.requestId))!.couponCode).toBe(again.couponCode);
    expect((await repo.forStay('P1', c.orderId)).map((x) => x.couponCode)).toEqual([again.couponCode]);
  });
});

describe('fixed codes', () => {
  it('a fixed code is inserted once', async () => {
    const f = fixed();
    expect(await repo.insertFixed(f)).toBe(true);
    expect(await repo.insertFixed({ ...f, amount: 9 })).toBe(false);
    expect((await repo.getFixed(f.code))!.amount).toBe(2);
  });

  it('racing scans never pass the use limit: of five scans of a two-use code exactly two get a use', async () => {
    const f = fixed({ maxUses: 2 });
    await repo.insertFixed(f);
    const r = await Promise.all(Array.from({ length: 5 }, () => repo.takeFixedUse(f.code, at(1))));
    expect(r.filter((x) => x !== undefined)).toHaveLength(2);
    expect((await repo.getFixed(f.code))!.uses).toBe(2);
    expect(await repo.takeFixedUse(f.code, at(2))).toBeUndefined();
  });

  it('a disabled or ended code gives no use and its count does not move; an unlimited one always does', async () => {
    const off = fixed({ disabled: true });
    const ended = fixed({ end: at(10) });
    const unlimited = fixed({ maxUses: undefined });
    await Promise.all([repo.insertFixed(off), repo.insertFixed(ended), repo.insertFixed(unlimited)]);
    expect(await repo.takeFixedUse(off.code, at(1))).toBeUndefined();
    expect(await repo.takeFixedUse(ended.code, at(11))).toBeUndefined();
    expect((await repo.getFixed(off.code))!.uses).toBe(0);
    expect((await repo.getFixed(ended.code))!.uses).toBe(0);
    await repo.setFixedDisabled(off.code, false, at(2));
    expect((await repo.takeFixedUse(off.code, at(3)))!.uses).toBe(1);
    const r = await Promise.all(Array.from({ length: 4 }, () => repo.takeFixedUse(unlimited.code, at(1))));
    expect(r.every((x) => x !== undefined)).toBe(true);
    expect((await repo.getFixed(unlimited.code))!.uses).toBe(4);
  });
});
