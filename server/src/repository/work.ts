/**
 * The work collection (core/work.ts): one document per record that has something due —
 * `{_id: kind:ref, kind, ref, due, v, holdUntil?, holder?}` plus what a kind keeps for its lookups (an
 * order's stay and driver). It holds only pending work, so polling it stays cheap however much is stored:
 * FerretDB scans a small table; MongoDB uses the {kind, due} index.
 *
 * Writers (the repositories of the records):
 *  - schedule(): the item exists and is due no later than `due` ($min), version moved;
 *  - hold()/unhold(): around a write that gives a finished record new work — due now, and no poller looks at
 *    it while held (holds are real time: they cover the gap between two writes of one process);
 *  - done(): a record seen finished by its writer: the item goes, unless someone holds it.
 * Pollers: due() and settle(), which acts only on the version it read.
 */
import { randomBytes } from 'node:crypto';
import { Schema, type Connection, type Model } from 'mongoose';
import type { WorkItem, WorkKind, WorkQueue } from '../core/work';
import { bulkUpdate } from './util';

export const WORK_COLLECTION = 'work';

interface WorkDoc {
  _id: string;
  kind: WorkKind;
  ref: string;
  due: Date;
  v: number;
  holdUntil?: Date | null;
  holder?: string | null;
  /** An order's stay (JSON [parkNumber, orderId]) and driver: its open orders are found here. */
  stay?: string;
  driverId?: string;
}

/** Extra fields a kind keeps on its item (set when the item is first written). */
export type WorkExtra = Pick<WorkDoc, 'stay' | 'driverId'>;

/** How long a hold keeps pollers away: longer than the gap between two writes of one process. */
export const HOLD_MS = 30_000;

export function workModel(conn: Connection): Model<WorkDoc> {
  const existing = conn.models.WorkItem as Model<WorkDoc> | undefined;
  if (existing) return existing;
  const schema = new Schema<WorkDoc>(
    {
      _id: { type: String, required: true },
      kind: { type: String, required: true },
      ref: { type: String, required: true },
      due: { type: Date, required: true },
      v: Number,
      holdUntil: Date,
      holder: String,
      stay: String,
      driverId: String,
    },
    { versionKey: false, collection: WORK_COLLECTION },
  );
  // For MongoDB: the poll and the open orders of a stay. (FerretDB scans the small table either way.)
  schema.index({ kind: 1, due: 1 });
  schema.index({ stay: 1 }, { sparse: true });
  return conn.model<WorkDoc>('WorkItem', schema);
}

export const workId = (kind: WorkKind, ref: string) => `${kind}:${ref}`;

const holdFree = (now: Date) => ({ $or: [{ holdUntil: { $exists: false } }, { holdUntil: null }, { holdUntil: { $lte: now } }] });

export class MongoWorkQueue implements WorkQueue {
  readonly model: Model<WorkDoc>;
  constructor(conn: Connection) {
    this.model = workModel(conn);
  }

  async init(): Promise<void> {
    await this.model.init();
  }

  /** The item exists and is due no later than `due`. */
  async schedule(kind: WorkKind, ref: string, due: Date, extra: WorkExtra = {}): Promise<void> {
    await this.model.updateOne(
      { _id: workId(kind, ref) },
      { $min: { due }, $inc: { v: 1 }, $setOnInsert: { kind, ref, ...extra } },
      { upsert: true },
    );
  }

  /** Many at once (few commands): each item exists and is due no later than its due. */
  async scheduleMany(items: { kind: WorkKind; ref: string; due: Date; extra?: WorkExtra }[]): Promise<void> {
    if (!items.length) return;
    await bulkUpdate(
      this.model,
      items.map((i) => ({
        updateOne: {
          filter: { _id: workId(i.kind, i.ref) },
          update: { $min: { due: i.due }, $inc: { v: 1 }, $setOnInsert: { kind: i.kind, ref: i.ref, ...i.extra } },
          upsert: true,
        },
      })),
    );
  }

  /** Hold the item (due now, no poller looks) before a write that gives a finished record new work. */
  async hold(kind: WorkKind, ref: string, extra: WorkExtra = {}): Promise<string> {
    const holder = randomBytes(6).toString('hex');
    const now = new Date();
    await this.model.updateOne(
      { _id: workId(kind, ref) },
      { $set: { holdUntil: new Date(now.getTime() + HOLD_MS), holder }, $min: { due: now }, $inc: { v: 1 }, $setOnInsert: { kind, ref, ...extra } },
      { upsert: true },
    );
    return holder;
  }

  /** The write is done: pollers may look now (at the item's due, which is no later than `due`). */
  async unhold(kind: WorkKind, ref: string, holder: string, due?: Date): Promise<void> {
    await this.model.updateOne(
      { _id: workId(kind, ref), holder },
      { $set: { holdUntil: null, holder: null }, ...(due ? { $min: { due } } : {}) },
    );
  }

  /**
   * A write that may give its record (new) work: the item is held around it, then due when the written
   * record says (or at once, when the write did not apply: a poller looks and settles it).
   */
  async around<T>(kind: WorkKind, ref: string, write: () => Promise<T | undefined>, dueOf: (record: T) => Date | undefined, extra: WorkExtra = {}): Promise<T | undefined> {
    const holder = await this.hold(kind, ref, extra);
    let record: T | undefined;
    try {
      record = await write();
    } finally {
      await this.unhold(kind, ref, holder, record ? dueOf(record) : undefined);
    }
    return record;
  }

  /** The record is finished: the item goes, unless it is held (someone is giving the record new work). */
  async done(kind: WorkKind, ref: string): Promise<void> {
    await this.model.deleteOne({ _id: workId(kind, ref), ...holdFree(new Date()) });
  }

  async due(kinds: WorkKind[], now: Date, limit: number): Promise<WorkItem[]> {
    const docs = await this.model
      .find({ kind: { $in: kinds }, due: { $lte: now }, ...holdFree(new Date()) }, { kind: 1, ref: 1, due: 1, v: 1 })
      .sort({ due: 1 })
      .limit(limit)
      .lean<WorkDoc[]>();
    return docs.map((d) => ({ kind: d.kind, ref: d.ref, due: d.due, v: d.v ?? 0 }));
  }

  async settle(item: WorkItem, next: Date | undefined): Promise<void> {
    const id = workId(item.kind, item.ref);
    if (next) await this.model.updateOne({ _id: id, v: item.v }, { $set: { due: next } });
    else await this.model.deleteOne({ _id: id, v: item.v, ...holdFree(new Date()) });
  }

  /** Items of a kind whose extra field matches (an order's open orders of a stay). */
  async refsWhere(kind: WorkKind, where: WorkExtra): Promise<string[]> {
    const docs = await this.model.find({ kind, ...where }, { ref: 1 }).lean<{ ref: string }[]>();
    return docs.map((d) => d.ref);
  }

  /** Every item of a kind (tests and start-up checks). */
  async all(kind: WorkKind): Promise<(WorkItem & { holdUntil?: Date | null })[]> {
    const docs = await this.model.find({ kind }).lean<WorkDoc[]>();
    return docs.map((d) => ({ kind: d.kind, ref: d.ref, due: d.due, v: d.v ?? 0, holdUntil: d.holdUntil }));
  }
}
