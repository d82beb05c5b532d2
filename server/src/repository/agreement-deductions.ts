/**
 * mongoose implementation of core/lanepay's LaneDeductionRepository: one document per park + outTradeNo
 * (_id), inserted as the claim; every later change one conditional findOneAndUpdate by _id. A provider
 * order number (attempt.tradeNo) finds its record through a key document (deduction_trades), written before
 * the attempt is, a driver's deductions (their payment history) through one per driver (driver_deductions);
 * records whose refund check is due are found in the work collection (refundCheckAt is the
 * item's due), never by searching the deductions.
 */
import { Schema, type Connection, type Model } from 'mongoose';
import type { DeductionChange, LaneDeduction, LaneDeductionRepository } from '../core/lanepay/channel-pay-model';
import type { WorkItem } from '../core/work';
import { forEachDoc, KeyIndex, runOnce } from './keys';
import { toUpdate } from './patch';
import { createUnlessExists } from './util';
import { MongoWorkQueue } from './work';

type Doc = Omit<LaneDeduction, 'id'> & { _id: string };
const Mixed = Schema.Types.Mixed;

function deductionModel(conn: Connection): Model<Doc> {
  const existing = conn.models.AgreementDeduction as Model<Doc> | undefined;
  if (existing) return existing;
  const schema = new Schema<Doc>(
    {
      _id: { type: String, required: true },
      parkNumber: { type: String, required: true },
      outTradeNo: { type: String, required: true },
      plate: String,
      plateKey: String,
      amountFen: Number,
      via: String,
      state: { type: String, required: true },
      attempt: Mixed,
      attempts: Number,
      owner: String,
      leaseUntil: Date,
      transactionId: String,
      paidFen: Number,
      paidAt: Date,
      failure: Mixed,
      lastError: String,
      stay: Mixed,
      collectedAt: Date,
      collectedVia: String,
      failAnswer: Mixed,
      refundCheckAt: Date,
      refund: Mixed,
      createdAt: Date,
      updatedAt: Date,
    },
    { versionKey: false, minimize: false, collection: 'agreement_deductions' },
  );
  return conn.model<Doc>('AgreementDeduction', schema);
}

function toDeduction(doc: Doc | null | undefined): LaneDeduction | undefined {
  if (!doc) return undefined;
  const { _id, ...rest } = doc;
  return { ...rest, id: _id } as LaneDeduction;
}

const checkDue = (d: Pick<LaneDeduction, 'refundCheckAt'>) => d.refundCheckAt ?? undefined;

export class MongoLaneDeductionRepository implements LaneDeductionRepository {
  private readonly m: Model<Doc>;
  private readonly work: MongoWorkQueue;
  private readonly trades: KeyIndex;
  private readonly byDriver: KeyIndex;
  constructor(private readonly conn: Connection) {
    this.m = deductionModel(conn);
    this.work = new MongoWorkQueue(conn);
    this.trades = new KeyIndex(conn, 'deduction_trades');
    this.byDriver = new KeyIndex(conn, 'driver_deductions');
  }

  async init(): Promise<void> {
    await Promise.all([this.m.init(), this.work.init(), this.trades.init(), this.byDriver.init()]);
    await runOnce(this.conn, 'lane deductions: trade keys and work items', () =>
      forEachDoc(this.m, {}, { attempt: 1, refundCheckAt: 1 }, async (docs: Doc[]) => {
        const tradeNos = docs.filter((d) => d.attempt?.tradeNo);
        await this.trades.setMany(tradeNos.map((d) => ({ key: d.attempt!.tradeNo, ref: d._id })));
        await this.work.scheduleMany(docs.filter((d) => d.refundCheckAt).map((d) => ({ kind: 'deduction' as const, ref: d._id, due: d.refundCheckAt! })));
      }),
    );
    await runOnce(this.conn, 'lane deductions: driver keys', () =>
      forEachDoc(this.m, { 'attempt.driverId': { $exists: true } }, { attempt: 1 }, (docs: Doc[]) =>
        this.byDriver.addMany(docs.map((d) => ({ key: d.attempt!.driverId, ref: d._id }))),
      ),
    );
  }

  async insert(d: LaneDeduction): Promise<boolean> {
    const { id, ...rest } = d;
    // Its provider order number's key and its work item before it (a key or item of an insert that lost is
    // checked and let go).
    await Promise.all([
      d.attempt ? this.trades.set(d.attempt.tradeNo, id) : undefined,
      d.attempt?.driverId ? this.byDriver.add(d.attempt.driverId, id) : undefined,
      d.refundCheckAt ? this.work.schedule('deduction', id, d.refundCheckAt) : undefined,
    ]);
    return createUnlessExists(this.m, { _id: id, ...rest });
  }

  async get(id: string): Promise<LaneDeduction | undefined> {
    return toDeduction(await this.m.findById(id).lean<Doc>());
  }

  async byTradeNo(tradeNo: string): Promise<LaneDeduction | undefined> {
    const id = await this.trades.ref(tradeNo);
    const d = id ? await this.get(id) : undefined;
    return d?.attempt?.tradeNo === tradeNo ? d : undefined;
  }

  async apply(id: string, c: DeductionChange): Promise<LaneDeduction | undefined> {
    const when = c.when ?? {};
    const filter: Record<string, unknown> = { _id: id, state: { $in: c.from } };
    if (when.owner !== undefined) filter.owner = when.owner;
    if (when.tradeNo !== undefined) filter['attempt.tradeNo'] = when.tradeNo;
    const and: Record<string, unknown>[] = [];
    if (when.leaseFreeAt) {
      and.push({ $or: [{ leaseUntil: { $exists: false } }, { leaseUntil: null }, { leaseUntil: { $lte: when.leaseFreeAt } }] });
    }
    if (when.notCollected) filter.collectedAt = { $exists: false };
    if (when.noRefund) filter.refund = { $exists: false };
    if (when.checkDueBy) filter.refundCheckAt = { $lte: when.checkDueBy };
    if (when.refundStates) filter['refund.state'] = { $in: when.refundStates };
    if (when.refundOwner !== undefined) filter['refund.owner'] = when.refundOwner;
    if (when.refundLeaseFreeAt) {
      and.push({ $or: [{ 'refund.leaseUntil': { $exists: false } }, { 'refund.leaseUntil': null }, { 'refund.leaseUntil': { $lte: when.refundLeaseFreeAt } }] });
    }
    if (and.length) filter.$and = and;
    // The refund is written field by field.
    const update = toUpdate({ ...c.set, ...(c.to ? { state: c.to } : {}) }, ['refund']);
    // A new attempt: its provider order number's key and its driver's key first.
    const attempt = c.set.attempt;
    await Promise.all([attempt?.tradeNo ? this.trades.set(attempt.tradeNo, id) : undefined, attempt?.driverId ? this.byDriver.add(attempt.driverId, id) : undefined]);
    const write = async () => toDeduction(await this.m.findOneAndUpdate(filter, update, { returnDocument: 'after' }).lean<Doc>());
    // A refund check set: the record has work (again) — its item is held around the write.
    return c.set.refundCheckAt instanceof Date ? this.work.around('deduction', id, write, checkDue) : write();
  }

  /**
   * A driver's deductions with money taken or being taken (paid, accepted by the provider), or given back:
   * newest first. Failed attempts took nothing and are left out.
   */
  async listForDriver(driverId: string, limit: number): Promise<LaneDeduction[]> {
    const ids = await this.byDriver.refs(driverId);
    // Newest are added last; read backwards in chunks until enough are found (failed attempts are keyed too).
    const step = Math.max(limit, 20);
    const found: LaneDeduction[] = [];
    for (let to = ids.length; to > 0 && found.length < limit; to -= step) {
      const chunk = await Promise.all(ids.slice(Math.max(0, to - step), to).map((id) => this.get(id)));
      found.push(
        ...chunk.filter((d): d is LaneDeduction => !!d && d.attempt?.driverId === driverId && (d.state === 'paid' || d.state === 'accepted' || !!d.refund)),
      );
    }
    return found.sort((a, b) => b.createdAt.getTime() - a.createdAt.getTime()).slice(0, limit);
  }

  dueWork(now: Date, limit: number): Promise<WorkItem[]> {
    return this.work.due(['deduction'], now, limit);
  }

  settleWork(item: WorkItem, next: Date | undefined): Promise<void> {
    return this.work.settle(item, next);
  }
}
