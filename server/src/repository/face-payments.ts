/**
 * mongoose implementation of FacePaymentRepository (booth face-to-face payments, 4.24–4.26). One document per
 * parkNumber + outTradeNo (_id), so the claim of an outTradeNo is the insert itself; every change is one
 * conditional findOneAndUpdate (FerretDB has no transactions). Query and cancel claims carry leases, so two
 * polls (or two processes) never ask the provider about one payment at the same time.
 */
import { Schema, type Connection, type Model } from 'mongoose';
import type { FacePayment, FacePaymentRepository, FaceStatus } from '../core/lanepay/face-to-face-model';
import { createUnlessExists } from './util';

type Doc = Omit<FacePayment, 'id'> & { _id: string };
const Mixed = Schema.Types.Mixed;

function faceModel(conn: Connection): Model<Doc> {
  const existing = conn.models.FacePayment as Model<Doc> | undefined;
  if (existing) return existing;
  const schema = new Schema<Doc>(
    {
      _id: { type: String, required: true }, // parkNumber|outTradeNo
      parkNumber: { type: String, required: true },
      outTradeNo: { type: String, required: true },
      orderId: String,
      plate: String,
      amountFen: Number,
      provider: String,
      codeHash: String,
      attempt: Number,
      paymentNo: { type: String, required: true },
      status: { type: String, required: true },
      chargeLeaseUntil: Date,
      deadline: Date,
      nextQueryAt: Date,
      queryLeaseUntil: Date,
      queries: Number,
      payment: Mixed,
      failure: Mixed,
      reportedAt: Date,
      cancel: Mixed,
      createdAt: Date,
      updatedAt: Date,
    },
    { versionKey: false, minimize: false, collection: 'face_payments' },
  );
  schema.index({ paymentNo: 1 }, { unique: true });
  schema.index({ status: 1, deadline: 1 });
  schema.index({ status: 1, 'cancel.nextAttemptAt': 1 });
  return conn.model<Doc>('FacePayment', schema);
}

function toPayment(doc: Doc | null | undefined): FacePayment | undefined {
  if (!doc) return undefined;
  const { _id, ...rest } = doc;
  return { ...rest, id: _id } as FacePayment;
}

/** `set` as $set and $unset: an undefined value removes the field. */
function splitSet(set: Record<string, unknown>): Record<string, Record<string, unknown>> {
  const $set: Record<string, unknown> = {};
  const $unset: Record<string, ''> = {};
  for (const [k, v] of Object.entries(set)) {
    if (v === undefined) $unset[k] = '';
    else $set[k] = v;
  }
  return { ...(Object.keys($set).length ? { $set } : {}), ...(Object.keys($unset).length ? { $unset } : {}) };
}

const leaseFree = (path: string, now: Date) => ({ $or: [{ [path]: { $exists: false } }, { [path]: null }, { [path]: { $lte: now } }] });

export class MongoFacePaymentRepository implements FacePaymentRepository {
  private readonly m: Model<Doc>;
  constructor(conn: Connection) {
    this.m = faceModel(conn);
  }

  async init(): Promise<void> {
    await this.m.init();
  }

  async insert(p: FacePayment): Promise<boolean> {
    const { id, ...rest } = p;
    return createUnlessExists(this.m, { _id: id, ...rest });
  }

  async get(id: string): Promise<FacePayment | undefined> {
    return toPayment(await this.m.findById(id).lean<Doc>());
  }

  async update(id: string, where: { status?: FaceStatus[]; attempt?: number }, set: Record<string, unknown>): Promise<FacePayment | undefined> {
    const filter: Record<string, unknown> = { _id: id };
    if (where.status) filter.status = { $in: where.status };
    if (where.attempt !== undefined) filter.attempt = where.attempt;
    return toPayment(await this.m.findOneAndUpdate(filter, splitSet(set), { returnDocument: 'after' }).lean<Doc>());
  }

  async claimQuery(id: string, now: Date, leaseUntil: Date, nextQueryAt: Date): Promise<FacePayment | undefined> {
    const doc = await this.m
      .findOneAndUpdate(
        {
          _id: id,
          $and: [
            { $or: [{ status: 'waiting' }, { status: 'charging', chargeLeaseUntil: { $lte: now } }] },
            leaseFree('nextQueryAt', now),
            leaseFree('queryLeaseUntil', now),
          ],
        },
        { $set: { queryLeaseUntil: leaseUntil, nextQueryAt }, $inc: { queries: 1 } },
        { returnDocument: 'after' },
      )
      .lean<Doc>();
    return toPayment(doc);
  }

  async claimCancel(now: Date, leaseUntil: Date, id?: string): Promise<FacePayment | undefined> {
    const due = { status: 'cancelling' as FaceStatus, 'cancel.nextAttemptAt': { $lte: now }, ...leaseFree('cancel.leaseUntil', now) };
    let target = id;
    if (!target) {
      // Find with a read, then claim by _id (a searching findAndModify holds FerretDB's write lock).
      const next = await this.m.findOne(due, { _id: 1 }).sort({ 'cancel.nextAttemptAt': 1 }).lean<{ _id: string }>();
      if (!next) return undefined;
      target = next._id;
    }
    const doc = await this.m
      .findOneAndUpdate({ _id: target, ...due }, { $set: { 'cancel.leaseUntil': leaseUntil }, $inc: { 'cancel.attempts': 1 } }, { returnDocument: 'after' })
      .lean<Doc>();
    return toPayment(doc);
  }

  async overdue(now: Date, limit: number): Promise<FacePayment[]> {
    const docs = await this.m
      .find({
        deadline: { $lte: now },
        $or: [{ status: { $in: ['charging', 'waiting'] } }, { status: 'paid', reportedAt: { $exists: false } }],
      })
      .limit(limit)
      .lean<Doc[]>();
    return docs.map((d) => toPayment(d)!);
  }
}
