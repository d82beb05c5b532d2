/**
 * mongoose implementation of core/agreements' AgreementRepository. One document per driver + plate +
 * provider (a unique index makes a double tap on "sign up" one record); every change is one conditional
 * findOneAndUpdate on _id with the sign-up round (signNo) in the condition, so a late answer about an old
 * round never lands on a new one.
 */
import { Schema, type Connection, type Model } from 'mongoose';
import type { AgreementState } from '../core/agreements/gateways';
import type { AgreementRecord, AgreementRepository } from '../core/agreements/model';
import type { Provider } from '../core/orders/model';
import { createUnlessExists } from './util';

type Doc = Omit<AgreementRecord, 'id'> & { _id: string };

function agreementModel(conn: Connection): Model<Doc> {
  const existing = conn.models.Agreement as Model<Doc> | undefined;
  if (existing) return existing;
  const schema = new Schema<Doc>(
    {
      _id: { type: String, required: true },
      driverId: { type: String, required: true },
      plate: String,
      plateKey: { type: String, required: true },
      provider: { type: String, required: true },
      state: { type: String, required: true },
      signNo: { type: String, required: true },
      agreementNo: String,
      payer: Schema.Types.Mixed,
      scope: Schema.Types.Mixed,
      signedAt: Date,
      endedAt: Date,
      reason: String,
      checkedAt: Date,
      createdAt: Date,
      updatedAt: Date,
    },
    { versionKey: false, minimize: false, collection: 'agreements' },
  );
  schema.index({ driverId: 1, plateKey: 1, provider: 1 }, { unique: true });
  schema.index({ provider: 1, signNo: 1 }, { unique: true });
  schema.index({ plateKey: 1 });
  return conn.model<Doc>('Agreement', schema);
}

function toRecord(doc: Doc | null | undefined): AgreementRecord | undefined {
  if (!doc) return undefined;
  const { _id, ...rest } = doc;
  const r = { ...rest, id: _id } as AgreementRecord;
  r.payer ??= {};
  return r;
}

export class MongoAgreementRepository implements AgreementRepository {
  private readonly m: Model<Doc>;
  constructor(conn: Connection) {
    this.m = agreementModel(conn);
  }

  async init(): Promise<void> {
    await this.m.init();
  }

  async insert(r: AgreementRecord): Promise<boolean> {
    const { id, ...rest } = r;
    return createUnlessExists(this.m, { _id: id, ...rest });
  }

  async get(id: string): Promise<AgreementRecord | undefined> {
    return toRecord(await this.m.findById(id).lean<Doc>());
  }

  async find(driverId: string, plateKey: string, provider: Provider): Promise<AgreementRecord | undefined> {
    return toRecord(await this.m.findOne({ driverId, plateKey, provider }).lean<Doc>());
  }

  async bySignNo(provider: Provider, signNo: string): Promise<AgreementRecord | undefined> {
    return toRecord(await this.m.findOne({ provider, signNo }).lean<Doc>());
  }

  async byPlate(plateKey: string): Promise<AgreementRecord[]> {
    const docs = await this.m.find({ plateKey }).lean<Doc[]>();
    return docs.map((d) => toRecord(d)!);
  }

  async listForDriver(driverId: string): Promise<AgreementRecord[]> {
    const docs = await this.m.find({ driverId }).sort({ createdAt: 1 }).lean<Doc[]>();
    return docs.map((d) => toRecord(d)!);
  }

  async update(
    id: string,
    when: { signNo?: string; states?: AgreementState[] },
    set: Partial<Omit<AgreementRecord, 'id' | 'driverId' | 'plateKey' | 'provider' | 'createdAt'>>,
    unset: ('agreementNo' | 'signedAt' | 'endedAt' | 'reason')[] = [],
  ): Promise<AgreementRecord | undefined> {
    const filter: Record<string, unknown> = { _id: id };
    if (when.signNo !== undefined) filter.signNo = when.signNo;
    if (when.states) filter.state = { $in: when.states };
    const clean = Object.fromEntries(Object.entries(set).filter(([, v]) => v !== undefined));
    const update: Record<string, unknown> = { $set: clean };
    const toUnset = unset.filter((k) => !(k in clean));
    if (toUnset.length) update.$unset = Object.fromEntries(toUnset.map((k) => [k, '']));
    const doc = await this.m.findOneAndUpdate(filter, update, { returnDocument: 'after' }).lean<Doc>();
    return toRecord(doc);
  }
}
