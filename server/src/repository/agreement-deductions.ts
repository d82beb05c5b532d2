/**
 * mongoose implementation of core/lanepay's LaneDeductionRepository: one document per park + outTradeNo
 * (_id), inserted as the claim; every later change one conditional findOneAndUpdate by _id.
 */
import { Schema, type Connection, type Model } from 'mongoose';
import type { DeductionCondition, LaneDeduction, LaneDeductionRepository } from '../core/lanepay/channel-pay-model';
import { createUnlessExists } from './util';

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
  schema.index({ 'attempt.tradeNo': 1 });
  schema.index({ refundCheckAt: 1 }, { sparse: true });
  // A driver's history: the deductions taken under their agreements.
  schema.index({ 'attempt.driverId': 1, createdAt: -1 });
  return conn.model<Doc>('AgreementDeduction', schema);
}

function toDeduction(doc: Doc | null | undefined): LaneDeduction | undefined {
  if (!doc) return undefined;
  const { _id, ...rest } = doc;
  return { ...rest, id: _id } as LaneDeduction;
}

export class MongoLaneDeductionRepository implements LaneDeductionRepository {
  private readonly m: Model<Doc>;
  constructor(conn: Connection) {
    this.m = deductionModel(conn);
  }

  async init(): Promise<void> {
    await this.m.init();
  }

  async insert(d: LaneDeduction): Promise<boolean> {
    const { id, ...rest } = d;
    return createUnlessExists(this.m, { _id: id, ...rest });
  }

  async get(id: string): Promise<LaneDeduction | undefined> {
    return toDeduction(await this.m.findById(id).lean<Doc>());
  }

  async byTradeNo(tradeNo: string): Promise<LaneDeduction | undefined> {
    return toDeduction(await this.m.findOne({ 'attempt.tradeNo': tradeNo }).lean<Doc>());
  }

  async update(id: string, when: DeductionCondition, set: Record<string, unknown>, unset: string[] = []): Promise<LaneDeduction | undefined> {
    const filter: Record<string, unknown> = { _id: id };
    if (when.states) filter.state = { $in: when.states };
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
    const update: Record<string, unknown> = { $set: set };
    if (unset.length) update.$unset = Object.fromEntries(unset.map((k) => [k, '']));
    return toDeduction(await this.m.findOneAndUpdate(filter, update, { returnDocument: 'after' }).lean<Doc>());
  }

  /**
   * A driver's deductions with money taken or being taken (paid, accepted by the provider), or given back:
   * newest first. Failed attempts took nothing and are left out.
   */
  async listForDriver(driverId: string, limit: number): Promise<LaneDeduction[]> {
    const docs = await this.m
      .find({ 'attempt.driverId': driverId, $or: [{ state: { $in: ['paid', 'accepted'] } }, { refund: { $exists: true } }] })
      .sort({ createdAt: -1 })
      .limit(limit)
      .lean<Doc[]>();
    return docs.map((d) => toDeduction(d)!);
  }

  async dueForRefundCheck(now: Date, limit: number): Promise<string[]> {
    // Only records with something to look at carry refundCheckAt (most have none once the lot collected them).
    const docs = await this.m.find({ refundCheckAt: { $lte: now } }, { _id: 1 }).sort({ refundCheckAt: 1 }).limit(limit).lean<{ _id: string }[]>();
    return docs.map((d) => d._id);
  }
}
