/**
 * What the daily reconciliation reads, on the real database: a 4.3 line without a pay time takes the
 * exit's time (it is not dropped); the lot's records of a stay are found whatever their date; our payments
 * are found by number whenever they were paid.
 */
import type { StayExit } from '../../../server/src/core/lot/model';
import { MongoLotRecordsRepository } from '../../../server/src/repository/lot-records';
import { MongoReconciliationSources } from '../../../server/src/repository/reconciliation';
import { openTestDatabase, type TestDatabase } from '../../support/db';

const P = 'P1';
const cn = (s: string) => new Date(`${s}+08:00`);
let db: TestDatabase;
let records: MongoLotRecordsRepository;
let sources: MongoReconciliationSources;

function exit(outTime: string, charges: { payNo: string; getTime: string | null; fen: number }[]): StayExit {
  return {
    inTime: cn('2026-11-28T20:00:00'),
    outTime: cn(outTime),
    outChannel: '东门出口',
    outImage: '',
    chargeFen: charges.reduce((s, c) => s + c.fen, 0),
    onLineChargeFen: 0,
    offLineChargeFen: 0,
    profitChargeTotalFen: 0,
    charges: charges.map((c) => ({ payNo: c.payNo, getTime: c.getTime ? cn(c.getTime) : null, payChargeFen: c.fen, payKind: '微信', payChannel: '提前付', memo: '' })),
    record: {},
    receivedAt: cn(outTime),
  };
}

beforeAll(async () => {
  db = await openTestDatabase('reconsrc');
  records = new MongoLotRecordsRepository(db.connection);
  await records.init();
  sources = new MongoReconciliationSources(db.connection);
  await records.recordExit({ parkNumber: P, orderId: 'S1', plate: '京A10001', plateKey: '京A10001', ticketCode: '', exit: exit('2026-11-29T00:10:00', [{ payNo: 'PP261128235000ABCDEF01', getTime: null, fen: 800 }]) });
  await records.recordExit({ parkNumber: P, orderId: 'S2', plate: '京A10002', plateKey: '京A10002', ticketCode: '', exit: exit('2026-11-30T09:00:00', [{ payNo: 'PP261128180000ABCDEF02', getTime: '2026-11-30T08:59:00', fen: 500 }]) });
  await db.connection.collection('face_payments').insertOne({ parkNumber: P, orderId: 'S3', plate: '京A10003', provider: 'alipay', paymentNo: 'FP261127120000ABCDEF03', status: 'paid', payment: { paidFen: 300, paidAt: cn('2026-11-27T12:00:00') } });
});
afterAll(async () => {
  await db?.dispose();
});

describe('reconciliation sources', () => {
  it('a 4.3 line without a pay time is read with the exit’s time', async () => {
    const lines = await sources.lotExitCharges(P, cn('2026-11-29T00:00:00'), cn('2026-11-30T00:00:00'));
    expect(lines).toEqual([expect.objectContaining({ payNo: 'PP261128235000ABCDEF01', orderId: 'S1', at: cn('2026-11-29T00:10:00'), amountFen: 800 })]);
  });

  it('the lot’s records of a stay, whatever their date', async () => {
    const lines = await sources.lotChargesOfStays(P, ['S2', 'S1', 'unknown']);
    expect(lines.map((l) => [l.orderId, l.payNo, l.at?.toISOString()]).sort()).toEqual([
      ['S1', 'PP261128235000ABCDEF01', cn('2026-11-29T00:10:00').toISOString()],
      ['S2', 'PP261128180000ABCDEF02', cn('2026-11-30T08:59:00').toISOString()],
    ]);
  });

  it('our payments by number, whenever paid', async () => {
    const found = await sources.ourPaymentsByRef(P, ['FP261127120000ABCDEF03', 'PP000000000000NOTOURS']);
    expect(found).toEqual([expect.objectContaining({ ref: 'FP261127120000ABCDEF03', kind: 'face_to_face', orderId: 'S3', channel: 'alipay', amountFen: 300, paidAt: cn('2026-11-27T12:00:00') })]);
    expect(await sources.ourPaymentsByRef('P2', ['FP261127120000ABCDEF03'])).toEqual([]);
  });
});
