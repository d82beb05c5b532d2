/**
 * mongoose implementation of core/lot/call-slots.ts: one document per park and paced interface
 * (`{_id: key, freeAt, holder}` in lot_call_slots), so every ParkPay process on the database keeps the lot's
 * pace together. Taking is one conditional write found by `_id` (the embedded engine pushes down only
 * filters on `_id`); the first take of a key inserts its document, and of two first takes the insert that
 * lost is told the slot is held.
 */
import { Schema, type Connection, type Model } from 'mongoose';
import type { CallSlots, SlotTake } from '../core/lot/call-slots';
import { createUnlessExists } from './util';

export const CALL_SLOTS_COLLECTION = 'lot_call_slots';

interface SlotDoc {
  _id: string;
  /** Free at this time (ms on the callers' clock). */
  freeAt: number;
  /** Who holds it while a request is on the wire; null once answered. */
  holder: string | null;
}

function slotModel(conn: Connection): Model<SlotDoc> {
  const existing = conn.models.LotCallSlot as Model<SlotDoc> | undefined;
  if (existing) return existing;
  return conn.model<SlotDoc>(
    'LotCallSlot',
    new Schema<SlotDoc>({ _id: { type: String, required: true }, freeAt: Number, holder: String }, { versionKey: false, collection: CALL_SLOTS_COLLECTION }),
  );
}

export class MongoLotCallSlots implements CallSlots {
  private readonly m: Model<SlotDoc>;
  constructor(conn: Connection) {
    this.m = slotModel(conn);
  }

  async init(): Promise<void> {
    await this.m.init();
  }

  async take(key: string, holder: string, now: number, holdUntil: number): Promise<SlotTake> {
    const taken = await this.m.updateOne(
      { _id: key, $or: [{ freeAt: { $lte: now } }, { freeAt: { $gt: holdUntil } }] },
      { $set: { freeAt: holdUntil, holder } },
    );
    if (taken.matchedCount === 1) return { taken: true };
    const d = await this.m.findById(key).lean<SlotDoc>();
    if (d) return { taken: false, freeAt: d.freeAt, held: d.holder !== null };
    if (await createUnlessExists(this.m, { _id: key, freeAt: holdUntil, holder })) return { taken: true };
    // Another process's first take of this key landed just before ours: its request is on the wire.
    return { taken: false, freeAt: holdUntil, held: true };
  }

  async release(key: string, holder: string, freeAt: number): Promise<void> {
    await this.m.updateOne({ _id: key, holder }, { $set: { freeAt, holder: null } });
  }
}
