/**
 * Lane deductions on the real engine (repository/agreement-deductions.ts): a driver's deductions (their
 * payment history) come from a key document per driver, checked against each record; deductions stored
 * before the key existed are keyed at start. A provider order number finds its record through a key
 * document too — only while it is the record's current attempt (the lane deductions rely on it alone).
 */
import type { Connection } from 'mongoose';
import type { LaneDeduction } from '../../../server/src/core/lanepay/channel-pay-model';
import { MongoLaneDeductionRepository } from '../../../server/src/repository/agreement-deductions';
import { openTestDatabase, type TestDatabase } from '../../support/db';

let db: TestDatabase;
let conn: Connection;
beforeAll(async () => {
  db = await openTestDatabase('deductions');
  conn = db.connection;
});
afterAll(async () => {
  await db.dispose();
});

const T = Date.UTC(2026, 10, 29, 2, 0, 0);
let n = 0;
function deduction(driverId: string, more: Partial<LaneDeduction> = {}): LaneDeduction {
  const i = ++n;
  return {
    id: `p_ded|OT${i}`,
    parkNumber: 'p_ded',
    outTradeNo: `OT${i}`,
    plate: '沪B71003',
    plateKey: '沪B71003',
    amountFen: 400,
    via: '4.16',
    state: 'paid',
    attempt: { tradeNo: `TN${i}`, agreementId: 'ag1', provider: 'alipay', driverId },
    attempts: 1,
    createdAt: new Date(T + i * 1000),
    updatedAt: new Date(T + i * 1000),
    ...more,
  } as LaneDeduction;
}

describe('lane deductions by driver', () => {
  it('lists a driver’s deductions that took money, newest first, from keys (also those stored before keys)', async () => {
    const before = deduction('drv_d');
    const { id, ...rest } = before;
    await conn.collection('agreement_deductions').insertOne({ _id: id, ...rest } as never); // an earlier version wrote it
    const repo = new MongoLaneDeductionRepository(conn);
    await repo.init();
    const failed = deduction('drv_d', { state: 'failed' });
    const paid = deduction('drv_d');
    const other = deduction('drv_other');
    const started = deduction('drv_d', { state: 'deducting', attempt: undefined });
    for (const d of [failed, paid, other, started]) expect(await repo.insert(d)).toBe(true);
    // The attempt, written later, keys the record for its driver.
    await repo.apply(started.id, { from: ['deducting'], to: 'accepted', set: { attempt: { tradeNo: 'TNlate', agreementId: 'ag1', provider: 'alipay', driverId: 'drv_d' } } });
    expect((await repo.listForDriver('drv_d', 10)).map((d) => d.id)).toEqual([started.id, paid.id, before.id]);
    expect((await repo.listForDriver('drv_d', 1)).map((d) => d.id)).toEqual([started.id]);
    expect((await repo.listForDriver('drv_other', 10)).map((d) => d.id)).toEqual([other.id]);
    expect(await repo.listForDriver('drv_nobody', 10)).toEqual([]);
  });
});

describe('lane deductions by provider order number (the key documents)', () => {
  it('finds a record by its current attempt’s number only — the first, a later one, and not one it left behind', async () => {
    const repo = new MongoLaneDeductionRepository(conn);
    await repo.init();
    const d = deduction('drv_t', { state: 'deducting' });
    expect(await repo.insert(d)).toBe(true);
    const first = d.attempt!.tradeNo;
    expect((await repo.byTradeNo(first))?.id).toBe(d.id);
    // A second attempt (another agreement): its number finds the record, the first no longer does.
    const moved = await repo.apply(d.id, { from: ['deducting'], set: { attempt: { tradeNo: `${first}b`, agreementId: 'ag2', provider: 'wechat', driverId: 'drv_t' }, attempts: 2 } });
    expect(moved?.attempt?.tradeNo).toBe(`${first}b`);
    expect((await repo.byTradeNo(`${first}b`))?.id).toBe(d.id);
    expect(await repo.byTradeNo(first)).toBeUndefined();
    expect(await repo.byTradeNo('TN-never-sent')).toBeUndefined();
  });

  it('a second process (another repository) finds the numbers the first one sent', async () => {
    const one = new MongoLaneDeductionRepository(conn);
    const two = new MongoLaneDeductionRepository(conn);
    await Promise.all([one.init(), two.init()]);
    const d = deduction('drv_t2', { state: 'accepted' });
    expect(await one.insert(d)).toBe(true);
    expect((await two.byTradeNo(d.attempt!.tradeNo))?.id).toBe(d.id);
  });

  it('an insert that lost the claim leaves its number finding nothing (the key is checked against the record)', async () => {
    const repo = new MongoLaneDeductionRepository(conn);
    await repo.init();
    const d = deduction('drv_t3', { state: 'deducting' });
    expect(await repo.insert(d)).toBe(true);
    const loser = { ...d, attempt: { ...d.attempt!, tradeNo: `${d.attempt!.tradeNo}L` } };
    expect(await repo.insert(loser)).toBe(false);
    expect(await repo.byTradeNo(loser.attempt.tradeNo)).toBeUndefined();
    expect((await repo.byTradeNo(d.attempt!.tradeNo))?.id).toBe(d.id);
  });
});

describe('lane deduction changes', () => {
  const at = (s: number) => new Date(T + s * 1000);

  it('a collection and a refund exclude each other: of the two racing, exactly one applies', async () => {
    const repo = new MongoLaneDeductionRepository(conn);
    await repo.init();
    const d = deduction('drv_c1', { refundCheckAt: at(100) });
    await repo.insert(d);
    const refund = { refundNo: 'RF1', state: 'refunding' as const, amountFen: 400, reason: 'not collected', startedAt: at(200), owner: 'w1', leaseUntil: at(230), attempts: 0 };
    const r = await Promise.all([
      repo.apply(d.id, { from: ['paid'], set: { collectedAt: at(200), collectedVia: '4.16', clear: ['refundCheckAt'] }, when: { notCollected: true, noRefund: true } }),
      repo.apply(d.id, { from: ['paid'], set: { refund }, when: { tradeNo: d.attempt!.tradeNo, notCollected: true, noRefund: true, checkDueBy: at(200) } }),
    ]);
    expect(r.filter((x) => x !== undefined)).toHaveLength(1);
    const after = (await repo.get(d.id))!;
    expect(after.collectedAt !== undefined).toBe(after.refund === undefined);
  });

  it('writes the refund field by field: what it names changes, what it clears goes, the rest stays', async () => {
    const repo = new MongoLaneDeductionRepository(conn);
    await repo.init();
    const d = deduction('drv_c2', {
      refundCheckAt: at(300),
      refund: { refundNo: 'RF2', state: 'refunding', amountFen: 400, reason: 'r', startedAt: at(0), owner: 'w1', leaseUntil: at(30), attempts: 1, lastError: 'timeout' },
    });
    await repo.insert(d);
    const mine = { refundOwner: 'w1', refundStates: ['refunding' as const] };
    expect(await repo.apply(d.id, { from: ['paid'], set: { refund: { state: 'refunded' } }, when: { ...mine, refundOwner: 'w2' } })).toBeUndefined();
    const done = await repo.apply(d.id, { from: ['paid'], set: { refund: { state: 'refunded', refundedAt: at(40), leaseUntil: null, attempts: 2, clear: ['lastError'] }, clear: ['refundCheckAt'] }, when: mine });
    expect(done!.refund).toEqual({ refundNo: 'RF2', state: 'refunded', amountFen: 400, reason: 'r', startedAt: at(0), owner: 'w1', leaseUntil: null, attempts: 2, refundedAt: at(40) });
    expect(done!.refundCheckAt).toBeUndefined();
  });

  it('a claim is taken over only when its lease has run out, by one of two racing requests', async () => {
    const repo = new MongoLaneDeductionRepository(conn);
    await repo.init();
    const d = deduction('drv_c3', { state: 'deducting', owner: 'w1', leaseUntil: at(30) });
    await repo.insert(d);
    const take = (owner: string, now: Date) => repo.apply(d.id, { from: ['deducting'], set: { owner, leaseUntil: new Date(now.getTime() + 30_000) }, when: { leaseFreeAt: now } });
    expect(await take('w2', at(29))).toBeUndefined();
    const r = await Promise.all([take('w2', at(30)), take('w3', at(30))]);
    expect(r.filter((x) => x !== undefined)).toHaveLength(1);
    expect(await repo.apply(d.id, { from: ['deducting'], to: 'failed', set: { failure: { code: 'refused', reason: 'x' } }, when: { owner: 'w1' } })).toBeUndefined();
  });
});
