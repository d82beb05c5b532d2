/**
 * mongoose implementation of FacePaymentRepository (booth face-to-face payments, 4.24–4.26). One document per
 * parkNumber + outTradeNo (_id), so the claim of an outTradeNo is the insert itself; every change is one
 * conditional findOneAndUpdate (FerretDB has no transactions). Query and cancel claims carry leases, so two
 * polls (or two processes) never ask the provider about one payment at the same time. What is due (a
 * deadline, a cancel) is found in the work collection (repository/work.ts), never by searching payments.
 */
import { Schema, type Connection, type Model } from 'mongoose';
import { faceDue, type FaceChange, type FacePayment, type FacePaymentRepository } from '../core/lanepay/face-to-face-model';
import type { WorkItem } from '../core/work';
import { forEachDoc, runOnce } from './keys';
import { toUpdate } from './patch';
import { createUnlessExists } from './util';
import { MongoWorkQueue } from './work';

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
  return conn.model<Doc>('FacePayment', schema);
}

function toPayment(doc: Doc | null | undefined): FacePayment | undefined {
  if (!doc) return undefined;
  const { _id, ...rest } = doc;
  return { ...rest, id: _id } as FacePayment;
}

/** `set` as $set and $unset: an undefined value removes the field. */
const leaseFree = (path: string, now: Date) => ({ $or: [{ [path]: { $exists: false } }, { [path]: null }, { [path]: { $lte: now } }] });

/** A change that may give a payment work: into an open, paid or cancelling state, or a cancel attempt moved. */
const givesWork = (c: FaceChange) =>
  (c.to !== undefined && ['charging', 'waiting', 'paid', 'cancelling'].includes(c.to)) || c.set.cancel?.nextAttemptAt instanceof Date || c.set.deadline instanceof Date;

export class MongoFacePaymentRepository implements FacePaymentRepository {
  private readonly m: Model<Doc>;
  private readonly work: MongoWorkQueue;
  constructor(private readonly conn: Connection) {
    this.m = faceModel(conn);
    this.work = new MongoWorkQueue(conn);
  }

  async init(): Promise<void> {
    await Promise.all([this.m.init(), this.work.init()]);
    await runOnce(this.conn, 'face payments: work items', () =>
      forEachDoc(this.m, { status: { $in: ['charging', 'waiting', 'paid', 'cancelling'] } }, undefined, (docs: Doc[]) =>
        this.work.scheduleMany(
          docs.flatMap((d) => {
            const due = faceDue(toPayment(d)!);
            return due ? [{ kind: 'face' as const, ref: d._id, due }] : [];
          }),
        ),
      ),
    );
  }

  async insert(p: FacePayment): Promise<boolean> {
    const { id, ...rest } = p;
    const due = faceDue(p);
    // The item with the payment (due at its deadline; a payment whose insert lost is looked at and let go).
    const [, inserted] = await Promise.all([due ? this.work.schedule('face', id, due) : undefined, createUnlessExists(this.m, { _id: id, ...rest })]);
    return inserted;
  }

  async get(id: string): Promise<FacePayment | undefined> {
    return toPayment(await this.m.findById(id).lean<Doc>());
  }

  async apply(id: string, c: FaceChange): Promise<FacePayment | undefined> {
    const filter: Record<string, unknown> = { _id: id, status: { $in: c.from } };
    if (c.when?.attempt !== undefined) filter.attempt = c.when.attempt;
    // The cancel is written field by field.
    const update = toUpdate({ ...c.set, ...(c.to ? { status: c.to } : {}) }, ['cancel']);
    const write = async () => toPayment(await this.m.findOneAndUpdate(filter, update, { returnDocument: 'after' }).lean<Doc>());
    return givesWork(c) ? this.work.around('face', id, write, faceDue) : write();
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

  async claimCancel(now: Date, leaseUntil: Date, id: string): Promise<FacePayment | undefined> {
    const doc = await this.m
      .findOneAndUpdate(
        { _id: id, status: 'cancelling', 'cancel.nextAttemptAt': { $lte: now }, ...leaseFree('cancel.leaseUntil', now) },
        { $set: { 'cancel.leaseUntil': leaseUntil }, $inc: { 'cancel.attempts': 1 } },
        { returnDocument: 'after' },
      )
      .lean<Doc>();
    return toPayment(doc);
  }

  dueWork(now: Date, limit: number): Promise<WorkItem[]> {
    return this.work.due(['face'], now, limit);
  }

  settleWork(item: WorkItem, next: Date | undefined): Promise<void> {
    return this.work.settle(item, next);
  }
}
