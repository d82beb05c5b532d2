/**
 * mongoose implementation of core/agreements' AgreementRepository. One document per driver + plate +
 * provider (a unique index makes a double tap on "sign up" one record); every change is one conditional
 * findOneAndUpdate on _id with the sign-up round (signNo) in the condition, so a late answer about an old
 * round never lands on a new one.
 *
 * Lookups are by _id (FerretDB v1 scans a whole collection for anything else): the records of a plate (lanes:
 * 4.16/4.27 take the fee from them; a plate + provider for a driver) and of a driver through key documents
 * `plate:<plateKey>` and `driver:<driverId>`, a sign-up round through `sign:<provider>:<signNo>` (all in
 * agreement_keys, written before the record or its new round; readers check each record).
 */
import { Schema, type Connection, type Model } from 'mongoose';
import type { AgreementChange, AgreementRecord, AgreementRepository } from '../core/agreements/model';
import type { Provider } from '../core/orders/model';
import { forEachDoc, KeyIndex, runOnce } from './keys';
import { toUpdate } from './patch';
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
  return conn.model<Doc>('Agreement', schema);
}

function toRecord(doc: Doc | null | undefined): AgreementRecord | undefined {
  if (!doc) return undefined;
  const { _id, ...rest } = doc;
  const r = { ...rest, id: _id } as AgreementRecord;
  r.payer ??= {};
  return r;
}

const plateKeyOf = (plateKey: string) => `plate:${plateKey}`;
const driverKeyOf = (driverId: string) => `driver:${driverId}`;
const signKeyOf = (provider: Provider, signNo: string) => `sign:${provider}:${signNo}`;

export class MongoAgreementRepository implements AgreementRepository {
  private readonly m: Model<Doc>;
  private readonly keys: KeyIndex;
  constructor(private readonly conn: Connection) {
    this.m = agreementModel(conn);
    this.keys = new KeyIndex(conn, 'agreement_keys');
  }

  async init(): Promise<void> {
    await Promise.all([this.m.init(), this.keys.init()]);
    await runOnce(this.conn, 'agreements: keys', () =>
      forEachDoc(this.m, {}, { driverId: 1, plateKey: 1, provider: 1, signNo: 1 }, async (docs: Doc[]) => {
        await this.keys.addMany(docs.flatMap((d) => [{ key: plateKeyOf(d.plateKey), ref: d._id }, { key: driverKeyOf(d.driverId), ref: d._id }]));
        await this.keys.setMany(docs.map((d) => ({ key: signKeyOf(d.provider, d.signNo), ref: d._id })));
      }),
    );
  }

  async insert(r: AgreementRecord): Promise<boolean> {
    const { id, ...rest } = r;
    // Its keys first: a key whose record lost the insert (a double tap) is skipped by readers.
    await Promise.all([this.keys.add(plateKeyOf(r.plateKey), id), this.keys.add(driverKeyOf(r.driverId), id), this.keys.set(signKeyOf(r.provider, r.signNo), id)]);
    return createUnlessExists(this.m, { _id: id, ...rest });
  }

  async get(id: string): Promise<AgreementRecord | undefined> {
    return toRecord(await this.m.findById(id).lean<Doc>());
  }

  private async getAll(ids: string[]): Promise<AgreementRecord[]> {
    return (await Promise.all(ids.map((id) => this.get(id)))).filter((r): r is AgreementRecord => r !== undefined);
  }

  async find(driverId: string, plateKey: string, provider: Provider): Promise<AgreementRecord | undefined> {
    return (await this.byPlate(plateKey)).find((r) => r.driverId === driverId && r.provider === provider);
  }

  async bySignNo(provider: Provider, signNo: string): Promise<AgreementRecord | undefined> {
    const id = await this.keys.ref(signKeyOf(provider, signNo));
    const r = id ? await this.get(id) : undefined;
    return r && r.provider === provider && r.signNo === signNo ? r : undefined;
  }

  async byPlate(plateKey: string): Promise<AgreementRecord[]> {
    return (await this.getAll(await this.keys.refs(plateKeyOf(plateKey)))).filter((r) => r.plateKey === plateKey);
  }

  async listForDriver(driverId: string): Promise<AgreementRecord[]> {
    return (await this.getAll(await this.keys.refs(driverKeyOf(driverId))))
      .filter((r) => r.driverId === driverId)
      .sort((a, b) => a.createdAt.getTime() - b.createdAt.getTime());
  }

  async apply(id: string, c: AgreementChange): Promise<AgreementRecord | undefined> {
    const filter: Record<string, unknown> = { _id: id, state: { $in: c.from } };
    if (c.when?.signNo !== undefined) filter.signNo = c.when.signNo;
    const update = toUpdate({ ...c.set, ...(c.to ? { state: c.to } : {}) });
    // A new sign-up round: its key first (the record says which round is current).
    if (c.set.signNo) {
      const current = await this.get(id);
      if (current) await this.keys.set(signKeyOf(current.provider, c.set.signNo), id);
    }
    const doc = await this.m.findOneAndUpdate(filter, update, { returnDocument: 'after' }).lean<Doc>();
    return toRecord(doc);
  }
}
