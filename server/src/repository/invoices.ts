/**
 * mongoose implementation of core/invoicing's InvoiceRepository: one document per invoice (_id = its number),
 * every change one conditional findOneAndUpdate by _id; and `invoice_claims`, one document per paid thing
 * ("order:PP…", "deduction:…") and per provider application alias ("apply:<id>"), whose insert is the claim —
 * so a paid thing is on one invoice at most, whatever runs at once.
 */
import { Schema, type Connection, type Model } from 'mongoose';
import type { Invoice, InvoiceChange, InvoiceListQuery, InvoiceRepository, PaidItemRef } from '../core/invoicing/model';
import { toUpdate } from './patch';
import { createUnlessExists } from './util';

type Doc = Omit<Invoice, 'id'> & { _id: string };
interface ClaimDoc {
  _id: string;
  invoiceId: string;
  at: Date;
}
const Mixed = Schema.Types.Mixed;
const claimId = (r: PaidItemRef) => `${r.kind}:${r.ref}`;

function invoiceModel(conn: Connection): Model<Doc> {
  const existing = conn.models.Invoice as Model<Doc> | undefined;
  if (existing) return existing;
  const schema = new Schema<Doc>(
    {
      _id: { type: String, required: true },
      driverId: { type: String, required: true },
      provider: String,
      applyId: String,
      scene: String,
      items: Mixed,
      parkNumbers: [String],
      titleSource: String,
      title: Mixed,
      titleLink: Mixed,
      status: { type: String, required: true },
      totalFen: Number,
      fapiao: Mixed,
      reason: String,
      lastError: String,
      attempts: Number,
      leaseOwner: String,
      leaseUntil: Date,
      events: Mixed,
      createdAt: Date,
      updatedAt: Date,
    },
    { versionKey: false, minimize: false, collection: 'invoices' },
  );
  // MongoDB: a driver's invoices, a park's invoices newest first (FerretDB reads the collection for these).
  schema.index({ driverId: 1, createdAt: -1 });
  schema.index({ parkNumbers: 1, createdAt: -1 });
  return conn.model<Doc>('Invoice', schema);
}

function claimModel(conn: Connection): Model<ClaimDoc> {
  const existing = conn.models.InvoiceClaim as Model<ClaimDoc> | undefined;
  if (existing) return existing;
  const schema = new Schema<ClaimDoc>({ _id: { type: String, required: true }, invoiceId: { type: String, required: true }, at: Date }, { versionKey: false, collection: 'invoice_claims' });
  return conn.model<ClaimDoc>('InvoiceClaim', schema);
}

/** Dates inside Mixed fields come back as Dates from the driver; the ones written as strings are not ours. */
function toInvoice(doc: Doc | null | undefined): Invoice | undefined {
  if (!doc) return undefined;
  const { _id, ...rest } = doc;
  const inv = { ...rest, id: _id } as Invoice & Record<string, unknown>;
  // Cleared fields were once written as null: they read as absent.
  for (const k of ['titleLink', 'reason', 'lastError', 'leaseOwner', 'leaseUntil']) if (inv[k] === null) delete inv[k];
  if (inv.titleLink?.expiresAt && !(inv.titleLink.expiresAt instanceof Date)) inv.titleLink.expiresAt = new Date(inv.titleLink.expiresAt);
  return inv;
}

export class MongoInvoiceRepository implements InvoiceRepository {
  private readonly m: Model<Doc>;
  private readonly claims: Model<ClaimDoc>;
  constructor(conn: Connection) {
    this.m = invoiceModel(conn);
    this.claims = claimModel(conn);
  }

  async init(): Promise<void> {
    await Promise.all([this.m.init(), this.claims.init()]);
  }

  async insert(invoice: Invoice): Promise<void> {
    const { id, ...rest } = invoice;
    await this.m.create({ _id: id, ...rest });
  }

  async get(id: string): Promise<Invoice | undefined> {
    return toInvoice(await this.m.findById(id).lean<Doc>());
  }

  async claim(invoiceId: string, refs: PaidItemRef[]): Promise<{ ok: true } | { ok: false; takenBy: string; ref: PaidItemRef }> {
    const taken: PaidItemRef[] = [];
    for (const r of refs) {
      if (await createUnlessExists(this.claims, { _id: claimId(r), invoiceId, at: new Date() })) {
        taken.push(r);
        continue;
      }
      const holder = await this.claims.findById(claimId(r)).lean<ClaimDoc>();
      await this.release(invoiceId, taken);
      return { ok: false, takenBy: holder?.invoiceId ?? 'unknown', ref: r };
    }
    return { ok: true };
  }

  async release(invoiceId: string, refs: PaidItemRef[]): Promise<void> {
    for (const r of refs) await this.claims.deleteOne({ _id: claimId(r), invoiceId });
  }

  async holderOf(ref: PaidItemRef): Promise<string | undefined> {
    return (await this.claims.findById(claimId(ref)).lean<ClaimDoc>())?.invoiceId;
  }

  async aliasApplication(applyId: string, invoiceId: string): Promise<void> {
    // An application id is one payment's (WeChat Pay scene): a second invoice of it reuses the alias.
    await this.claims.updateOne({ _id: `apply:${applyId}` }, { $set: { invoiceId, at: new Date() } }, { upsert: true });
  }

  async byApplication(applyId: string): Promise<string | undefined> {
    return (await this.claims.findById(`apply:${applyId}`).lean<ClaimDoc>())?.invoiceId;
  }

  async apply(id: string, c: InvoiceChange): Promise<Invoice | undefined> {
    const filter: Record<string, unknown> = { _id: id, status: { $in: c.from } };
    if (c.when?.leaseOwner !== undefined) filter.leaseOwner = c.when.leaseOwner;
    if (c.when?.leaseFreeAt) filter.$or = [{ leaseUntil: { $exists: false } }, { leaseUntil: null }, { leaseUntil: { $lte: c.when.leaseFreeAt } }];
    const { event, ...set } = c.set;
    const update: Record<string, unknown> = toUpdate({ ...set, ...(c.to ? { status: c.to } : {}) });
    if (event) update.$push = { events: event };
    return toInvoice(await this.m.findOneAndUpdate(filter, update, { returnDocument: 'after' }).lean<Doc>());
  }

  async listForDriver(driverId: string, limit: number): Promise<Invoice[]> {
    const docs = await this.m.find({ driverId }).sort({ createdAt: -1 }).limit(limit).lean<Doc[]>();
    return docs.map((d) => toInvoice(d)!);
  }

  async listForPark(q: InvoiceListQuery): Promise<Invoice[]> {
    const filter: Record<string, unknown> = { parkNumbers: q.parkNumber };
    if (q.status) filter.status = q.status;
    if (q.before) filter.createdAt = { $lt: q.before };
    const docs = await this.m.find(filter).sort({ createdAt: -1 }).limit(q.limit).lean<Doc[]>();
    return docs.map((d) => toInvoice(d)!);
  }
}
