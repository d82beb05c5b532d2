/**
 * mongoose implementation of core/lanepay's LaneDeductionRepository: one document per park + outTradeNo
 * (_id), inserted as the claim; every later change one conditional findOneAndUpdate by _id.
 */
import { Schema, type Connection, type Model } from 'mongoose';
import type { DeductionCondition, LaneDeduction, LaneDeductionRepository } from '../core/lanepay/channel-pay-model';
import { isDuplicateKey } from './util';

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
      createdAt: Date,
      updatedAt: Date,
    },
    { versionKey: false, minimize: false, collection: 'agreement_deductions' },
  );
  schema.index({ 'attempt.tradeNo': 1 });
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
    try {
      await this.m.create({ _id: id, ...rest });
      return true;
    } catch (e) {
      if (isDuplicateKey(e)) return false;
      throw e;
    }
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
    if (when.leaseFreeAt) {
      filter.$or = [{ leaseUntil: { $exists: false } }, { leaseUntil: null }, { leaseUntil: { $lte: when.leaseFreeAt } }];
    }
    const update: Record<string, unknown> = { $set: set };
    if (unset.length) update.$unset = Object.fromEntries(unset.map((k) => [k, '']));
    return toDeduction(await this.m.findOneAndUpdate(filter, update, { returnDocument: 'after' }).lean<Doc>());
  }
}
