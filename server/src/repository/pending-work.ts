/**
 * mongoose implementation of core/pending's PendingWork: `pending_work`, one small document per invoice or
 * message that has something due — `{_id: kind:ref, kind, ref, due, v}` — removed when its record has nothing
 * left. It holds only pending work, so polling it stays cheap however many invoices and messages are stored
 * (FerretDB reads a small table; MongoDB uses the {kind, due} index). The same design as the orders' work
 * collection, into which these kinds move when it serves every kind.
 */
import { Schema, type Connection, type Model } from 'mongoose';
import type { PendingItem, PendingKind, PendingWork } from '../core/pending';

interface Doc {
  _id: string;
  kind: PendingKind;
  ref: string;
  due: Date;
  v: number;
}

function pendingModel(conn: Connection): Model<Doc> {
  const existing = conn.models.PendingWork as Model<Doc> | undefined;
  if (existing) return existing;
  const schema = new Schema<Doc>(
    { _id: { type: String, required: true }, kind: { type: String, required: true }, ref: { type: String, required: true }, due: { type: Date, required: true }, v: Number },
    { versionKey: false, collection: 'pending_work' },
  );
  schema.index({ kind: 1, due: 1 });
  return conn.model<Doc>('PendingWork', schema);
}

export class MongoPendingWork implements PendingWork {
  readonly model: Model<Doc>;
  constructor(conn: Connection) {
    this.model = pendingModel(conn);
  }

  async init(): Promise<void> {
    await this.model.init();
  }

  async schedule(kind: PendingKind, ref: string, due: Date): Promise<void> {
    await this.model.updateOne({ _id: `${kind}:${ref}` }, { $min: { due }, $inc: { v: 1 }, $setOnInsert: { kind, ref } }, { upsert: true });
  }

  async due(kinds: PendingKind[], now: Date, limit: number): Promise<PendingItem[]> {
    const docs = await this.model.find({ kind: { $in: kinds }, due: { $lte: now } }).sort({ due: 1 }).limit(limit).lean<Doc[]>();
    return docs.map((d) => ({ kind: d.kind, ref: d.ref, due: d.due, v: d.v ?? 0 }));
  }

  async settle(item: PendingItem, next: Date | undefined): Promise<void> {
    const id = `${item.kind}:${item.ref}`;
    if (next) await this.model.updateOne({ _id: id, v: item.v }, { $set: { due: next } });
    else await this.model.deleteOne({ _id: id, v: item.v });
  }
}
