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
    await repo.update(started.id, { states: ['deducting'] }, { attempt: { tradeNo: 'TNlate', agreementId: 'ag1', provider: 'alipay', driverId: 'drv_d' }, state: 'accepted' });
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
    const moved = await repo.update(d.id, { states: ['deducting'] }, { attempt: { tradeNo: `${first}b`, agreementId: 'ag2', provider: 'wechat', driverId: 'drv_t' }, attempts: 2 });
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
