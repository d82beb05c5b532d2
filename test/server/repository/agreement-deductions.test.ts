/**
 * Lane deductions on the real engine (repository/agreement-deductions.ts): a driver's deductions (their
 * payment history) come from a key document per driver, checked against each record; deductions stored
 * before the key existed are keyed at start.
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
