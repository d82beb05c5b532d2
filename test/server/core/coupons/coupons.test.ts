/**
 * Coupons (4.23) through the real database, the Bluecard client and the Bluecard sandbox: given to a car in
 * the park, at the lot, on the driver's fee; idempotent by requestId; redelivered with the same code when
 * the lot did not answer; refused with the lot's reason; revoked only while the lot has not confirmed it;
 * merchants see and manage their own. Fixed coupon codes for the booth scanner (4.24).
 */
import { AppError } from '../../../../server/src/core/errors';
import { DEMO_PARK_NUMBER } from '../../../../server/sandbox/bluecard';
import { startLaneWorld, type LaneWorld } from '../../../support/lane-world';

const PN = DEMO_PARK_NUMBER;
let w: LaneWorld;
beforeAll(async () => {
  w = await startLaneWorld('coupons');
});
afterAll(async () => {
  await w.close();
});
afterEach(() => w.bluecard.faults.clear());

const lot = () => w.bluecard.park(PN);
const lotCar = (orderId: string) => lot().state.dump().cars.find((c: { orderId: string }) => c.orderId === orderId)!;
const couponCalls = () => w.calls.filter((c) => c.name === 'coupon');
let seq = 0;
const rid = () => `req-${++seq}-${Math.random().toString(36).slice(2, 8)}`;

async function code(p: Promise<unknown>): Promise<string> {
  try {
    await p;
  } catch (e) {
    if (e instanceof AppError) return e.code;
    throw e;
  }
  throw new Error('expected an AppError');
}

describe('giving a coupon (4.23)', () => {
  it("a money coupon reaches the lot and takes its value off the driver's fee", async () => {
    await w.arrive('京C10001', 75); // 75 minutes: 2 started hours = ¥4.00
    const before = await w.orders.quotePrepay('driver-1', PN, '京C10001');
    expect(before).toMatchObject({ chargeFen: 400, discountFen: 0, payFen: 400, coupons: [] });

    const calls = couponCalls().length;
    const c = await w.coupons.issue(w.ops.merchant, PN, { requestId: rid(), plate: '京C10001', kind: 'money', amount: 150, memo: '消费满 100' });
    expect(c).toMatchObject({ status: 'at_lot', kind: 'money', amount: 150, plate: '京C10001', attempts: 1, via: '4.23' });
    expect(c.couponCode).toMatch(/^PPC\d{12}[0-9A-Z]{6}$/);
    // Exactly what 4.23 says: position in fen for a money coupon, couponModeId "1", ids from 1.
    expect(couponCalls()).toHaveLength(calls + 1);
    const body = couponCalls().at(-1)!.body as { datas: Record<string, string>[] };
    expect(body.datas).toEqual([
      { id: '1', couponCode: c.couponCode, couponModeId: '1', end: expect.stringMatching(/^2026-11-29 \d\d:\d\d:\d\d$/), orderId: c.orderId, plate: '京C10001', position: '150' },
    ]);
    expect(lotCar(c.orderId).coupons).toEqual([c.couponCode]);

    const after = await w.orders.quotePrepay('driver-1', PN, '京C10001');
    expect(after).toMatchObject({ chargeFen: 400, discountFen: 150, payFen: 250 });
    expect(after.coupons).toEqual([{ kind: 'money', amount: 150, end: c.end, state: 'applied', from: '一楼咖啡' }]);
  });

  it('an hour coupon is sent in minutes (couponModeId "0") and the lot takes the hours off', async () => {
    const orderId = await w.arrive('京C10002', 150); // 150 min: 3 hours = ¥6.00
    const c = await w.coupons.issue(w.ops.operator, PN, { requestId: rid(), orderId, kind: 'hours', amount: 60 });
    expect(c.status).toBe('at_lot');
    const sent = (couponCalls().at(-1)!.body as { datas: Record<string, string>[] }).datas[0];
    expect(sent).toMatchObject({ couponModeId: '0', position: '60', orderId, plate: '京C10002' });
    const fee = await w.orders.quotePrepay('driver-2', PN, '京C10002');
    expect(fee).toMatchObject({ chargeFen: 600, discountFen: 200, payFen: 400 });
    expect(fee.coupons).toEqual([expect.objectContaining({ kind: 'hours', amount: 60, state: 'applied', from: null })]);
  });

  it('is idempotent by requestId: a repeat gets the same coupon and sends nothing; another coupon under the same id is refused', async () => {
    await w.arrive('京C10003', 30);
    const requestId = rid();
    const first = await w.coupons.issue(w.ops.merchant, PN, { requestId, plate: '京C10003', kind: 'money', amount: 100 });
    const calls = couponCalls().length;
    const again = await w.coupons.issue(w.ops.merchant, PN, { requestId, plate: '京 c10003', kind: 'money', amount: 100 });
    expect(again.couponCode).toBe(first.couponCode);
    expect(couponCalls()).toHaveLength(calls);
    expect(await code(w.coupons.issue(w.ops.merchant, PN, { requestId, plate: '京C10003', kind: 'money', amount: 200 }))).toBe('request_id_reused');
    expect(lotCar(first.orderId).coupons).toEqual([first.couponCode]);
  });

  it('refuses what cannot be a coupon: no such car, a car that left, bad amounts, a past end, another park', async () => {
    expect(await code(w.coupons.issue(w.ops.operator, PN, { requestId: rid(), plate: '京C99999', kind: 'money', amount: 100 }))).toBe('stay_unknown');
    expect(await code(w.coupons.issue(w.ops.operator, PN, { requestId: rid(), kind: 'money', amount: 100 }))).toBe('car_required');
    await w.arrive('京C10004', 10);
    for (const amount of [0, -5, 1.5, 100_001]) {
      expect(await code(w.coupons.issue(w.ops.operator, PN, { requestId: rid(), plate: '京C10004', kind: 'money', amount }))).toBe('invalid_amount');
    }
    expect(await code(w.coupons.issue(w.ops.operator, PN, { requestId: rid(), plate: '京C10004', kind: 'hours', amount: 7 * 24 * 60 + 1 }))).toBe('invalid_amount');
    expect(await code(w.coupons.issue(w.ops.operator, PN, { requestId: rid(), plate: '京C10004', kind: 'hours', amount: 60, end: new Date(w.clock.now() - 1) }))).toBe('invalid_end');
    expect(await code(w.coupons.issue(w.ops.stranger, PN, { requestId: rid(), plate: '京C10004', kind: 'hours', amount: 60 }))).toBe('forbidden_park');

    const orderId = await w.arrive('京C10005', 20);
    await lot().leave({ lane: '西门出口', orderId, force: true, wait: true });
    expect(await code(w.coupons.issue(w.ops.operator, PN, { requestId: rid(), orderId, kind: 'hours', amount: 60 }))).toBe('stay_ended');
  });

  it("keeps the lot's refusal as the reason (refused, never sent again)", async () => {
    await w.arrive('京C10006', 10);
    w.bluecard.faults.add({ kind: 'fail', count: 1, name: 'coupon', errorCode: '优惠券类型不支持' });
    const c = await w.coupons.issue(w.ops.operator, PN, { requestId: rid(), plate: '京C10006', kind: 'money', amount: 100 });
    expect(c).toMatchObject({ status: 'refused', refusal: '优惠券类型不支持' });
    expect(c.nextAttemptAt).toBeUndefined();
    const fee = await w.orders.quotePrepay('driver-6', PN, '京C10006');
    expect(fee.coupons).toEqual([]);
  });
});

describe('when the lot does not answer', () => {
  it('the coupon is unconfirmed, redelivered with the same code when due, and at the lot after', async () => {
    await w.arrive('京C20001', 75);
    w.bluecard.faults.add({ kind: 'http500', count: 1, name: 'coupon' });
    const c = await w.coupons.issue(w.ops.operator, PN, { requestId: rid(), plate: '京C20001', kind: 'money', amount: 100 });
    expect(c.status).toBe('unconfirmed');
    expect(c.lastError).toMatch(/HTTP 500/);
    expect(c.nextAttemptAt!.getTime()).toBe(w.clock.now() + 30_000);
    const fee = await w.orders.quotePrepay('driver-7', PN, '京C20001');
    expect(fee).toMatchObject({ payFen: 400, coupons: [expect.objectContaining({ state: 'pending' })] });

    expect(await w.coupons.redeliverDue()).toBe(0); // not due yet
    w.clock.advance(30_000);
    expect(await w.coupons.redeliverDue()).toBe(1);
    const later = (await w.couponRepo.get(c.couponCode))!;
    expect(later).toMatchObject({ status: 'at_lot', attempts: 2 });
    expect(later.nextAttemptAt).toBeUndefined();
    expect(couponCalls().slice(-2).map((x) => (x.body as { datas: { couponCode: string }[] }).datas[0]!.couponCode)).toEqual([c.couponCode, c.couponCode]);
    expect(lotCar(c.orderId).coupons).toEqual([c.couponCode]);
  });

  it('a lot that took the first call but lost its answer says "duplicate" to the redelivery: at the lot, given once', async () => {
    await w.arrive('京C20002', 75);
    w.bluecard.faults.add({ kind: 'http500', count: 1, name: 'coupon', phase: 'after' });
    const c = await w.coupons.issue(w.ops.operator, PN, { requestId: rid(), plate: '京C20002', kind: 'money', amount: 100 });
    expect(c.status).toBe('unconfirmed');
    expect(lotCar(c.orderId).coupons).toEqual([c.couponCode]); // the lot has it
    const again = await w.coupons.redeliver(w.ops.operator, PN, c.couponCode);
    expect(again.status).toBe('at_lot');
    expect(lotCar(c.orderId).coupons).toEqual([c.couponCode]);
    expect((await w.orders.quotePrepay('driver-8', PN, '京C20002')).payFen).toBe(300);
  });

  it('the same requestId again redelivers an unconfirmed coupon', async () => {
    await w.arrive('京C20003', 75);
    const requestId = rid();
    w.bluecard.faults.add({ kind: 'timeout', count: 1, name: 'coupon', hangMs: 5_000 });
    const c = await w.coupons.issue(w.ops.operator, PN, { requestId, plate: '京C20003', kind: 'hours', amount: 30 });
    expect(c).toMatchObject({ status: 'unconfirmed', lastError: expect.stringMatching(/no answer within/) });
    const again = await w.coupons.issue(w.ops.operator, PN, { requestId, plate: '京C20003', kind: 'hours', amount: 30 });
    expect(again).toMatchObject({ couponCode: c.couponCode, status: 'at_lot', attempts: 2 });
  });

  it('stops redelivering when the car has left or the coupon expired', async () => {
    const orderId = await w.arrive('京C20004', 75);
    w.bluecard.faults.add({ kind: 'http500', count: 2, name: 'coupon' });
    const gone = await w.coupons.issue(w.ops.operator, PN, { requestId: rid(), orderId, kind: 'money', amount: 100 });
    await w.arrive('京C20005', 5);
    const short = await w.coupons.issue(w.ops.operator, PN, { requestId: rid(), plate: '京C20005', kind: 'money', amount: 100, end: new Date(w.clock.now() + 10_000) });
    expect([gone.status, short.status]).toEqual(['unconfirmed', 'unconfirmed']);
    await lot().leave({ lane: '西门出口', orderId, force: true, wait: true });
    w.clock.advance(60_000);
    const calls = couponCalls().length;
    await w.coupons.redeliverDue();
    expect(couponCalls()).toHaveLength(calls);
    expect(await w.couponRepo.get(gone.couponCode)).toMatchObject({ status: 'unconfirmed', lastError: 'the car left before the lot confirmed it' });
    expect(await w.couponRepo.get(short.couponCode)).toMatchObject({ status: 'unconfirmed', lastError: 'expired before the lot confirmed it' });
    expect((await w.couponRepo.get(short.couponCode))!.nextAttemptAt).toBeUndefined();
  });
});

describe('revoking and listing', () => {
  it('revokes only what the lot never confirmed; merchants manage their own coupons only', async () => {
    await w.arrive('京C30001', 75);
    const atLot = await w.coupons.issue(w.ops.merchant, PN, { requestId: rid(), plate: '京C30001', kind: 'money', amount: 100 });
    expect(await code(w.coupons.revoke(w.ops.merchant, PN, atLot.couponCode))).toBe('coupon_at_lot');

    w.bluecard.faults.add({ kind: 'http500', count: 1, name: 'coupon' });
    const pending = await w.coupons.issue(w.ops.merchant, PN, { requestId: rid(), plate: '京C30001', kind: 'money', amount: 50 });
    expect(pending.status).toBe('unconfirmed');
    expect(await code(w.coupons.revoke(w.ops.otherMerchant, PN, pending.couponCode))).toBe('not_found');
    const revoked = await w.coupons.revoke(w.ops.merchant, PN, pending.couponCode);
    expect(revoked).toMatchObject({ status: 'revoked', revoked: { by: 'op-shop' } });
    expect(await w.coupons.revoke(w.ops.operator, PN, pending.couponCode)).toMatchObject({ status: 'revoked' });
    // Neither redelivered nor shown to the driver.
    w.clock.advance(60_000);
    const calls = couponCalls().length;
    await w.coupons.redeliverDue();
    expect(couponCalls()).toHaveLength(calls);
    expect((await w.orders.quotePrepay('driver-9', PN, '京C30001')).coupons).toEqual([expect.objectContaining({ amount: 100, state: 'applied' })]);

    const mine = await w.coupons.list(w.ops.merchant, PN, { plate: '京C30001' });
    expect(mine.map((c) => c.couponCode)).toEqual([pending.couponCode, atLot.couponCode]);
    expect(await w.coupons.list(w.ops.otherMerchant, PN, { plate: '京C30001' })).toEqual([]);
    expect((await w.coupons.list(w.ops.operator, PN, { status: 'revoked' })).map((c) => c.couponCode)).toContain(pending.couponCode);
    expect(await code(w.coupons.list(w.ops.stranger, PN))).toBe('forbidden_park');
    expect(await code(w.coupons.get(w.ops.otherMerchant, PN, atLot.couponCode))).toBe('not_found');
  });
});

describe('fixed coupon codes (4.24 scene 2)', () => {
  it('a scanned code gives the stay one coupon, the same on every retry; not ours → undefined', async () => {
    const f = await w.coupons.createFixed(w.ops.merchant, PN, { kind: 'hours', amount: 120, end: new Date(w.clock.now() + 7 * 86_400_000), label: '影院观影' });
    expect(f.code).toMatch(/^PPQ[0-9A-HJ-NP-Z]{10}$/);
    const orderId = await w.arrive('京C40001', 180);
    const got = await w.coupons.redeem({ parkNumber: PN, code: f.code.toLowerCase(), orderId, plate: '京C40001' });
    expect(got).toEqual({ couponCode: `${f.code}_${orderId}`, mode: 'hours', amount: 120, end: f.end, id: '1' });
    expect(await w.coupons.redeem({ parkNumber: PN, code: f.code, orderId, plate: '京C40001' })).toEqual(got);
    expect((await w.couponRepo.getFixed(f.code))!.uses).toBe(1);
    // The stay shows it; the merchant's list has it.
    expect((await w.coupons.forStay(PN, orderId)).map((c) => c.state)).toEqual(['applied']);
    expect((await w.coupons.list(w.ops.merchant, PN, { plate: '京C40001' }))[0]).toMatchObject({ via: '4.24', fixedCode: f.code, status: 'at_lot' });

    expect(await w.coupons.redeem({ parkNumber: PN, code: '134567890123456789', orderId, plate: '京C40001' })).toBeUndefined();
    expect(await code(w.coupons.redeem({ parkNumber: PN, code: 'PPQ0000000000', orderId, plate: '京C40001' }))).toBe('coupon_unknown');
    expect(await code(w.coupons.redeem({ parkNumber: 'p_other_001', code: f.code, orderId, plate: '京C40001' }))).toBe('coupon_other_park');
    expect(await code(w.coupons.redeem({ parkNumber: PN, code: f.code, orderId: '', plate: '京C40001' }))).toBe('stay_unknown');
  });

  it('used up, disabled and expired codes say why; a concurrent double scan uses one', async () => {
    const f = await w.coupons.createFixed(w.ops.operator, PN, { kind: 'money', amount: 500, end: new Date(w.clock.now() + 3_600_000), maxUses: 1 });
    const a = await w.arrive('京C40002', 10);
    const b = await w.arrive('京C40003', 10);
    const both = await Promise.all([1, 2, 3].map(() => w.coupons.redeem({ parkNumber: PN, code: f.code, orderId: a, plate: '京C40002' })));
    expect(new Set(both.map((x) => x!.couponCode)).size).toBe(1);
    expect((await w.couponRepo.getFixed(f.code))!.uses).toBe(1);
    expect(await code(w.coupons.redeem({ parkNumber: PN, code: f.code, orderId: b, plate: '京C40003' }))).toBe('coupon_used_up');

    const g = await w.coupons.createFixed(w.ops.operator, PN, { kind: 'money', amount: 500, end: new Date(w.clock.now() + 3_600_000) });
    await w.coupons.setFixedDisabled(w.ops.operator, PN, g.code, true);
    expect(await code(w.coupons.redeem({ parkNumber: PN, code: g.code, orderId: b, plate: '京C40003' }))).toBe('coupon_disabled');
    await w.coupons.setFixedDisabled(w.ops.operator, PN, g.code, false);
    w.clock.advance(2 * 3_600_000);
    expect(await code(w.coupons.redeem({ parkNumber: PN, code: g.code, orderId: b, plate: '京C40003' }))).toBe('coupon_expired');
    // An earlier redemption still answers the same after the code expired (a retried scan).
    expect(await w.coupons.redeem({ parkNumber: PN, code: f.code, orderId: a, plate: '京C40002' })).toMatchObject({ couponCode: `${f.code}_${a}` });

    expect(await code(w.coupons.createFixed(w.ops.operator, PN, { kind: 'money', amount: 100, end: new Date(w.clock.now() + 1000), maxUses: 0 }))).toBe('invalid_max_uses');
    expect((await w.coupons.listFixed(w.ops.merchant, PN)).every((x) => x.issuer.operatorId === 'op-shop')).toBe(true);
    expect(await code(w.coupons.setFixedDisabled(w.ops.merchant, PN, g.code, true))).toBe('not_found');
  });
});
