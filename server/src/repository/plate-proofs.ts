/**
 * mongoose implementation of core/parking's PlateProofRepository: one document per driver + park + plate
 * (`_id`), holding the confirmation attempts of the current window and when the plate was confirmed. An
 * attempt is counted by one conditional update (room left in a current window) or starts a window, so
 * parallel attempts each get their own number and none slips past the limit. A driver's proofs are found
 * through a key document (driver_proofs: driverId → proof ids, added before a proof is written), each read
 * by its _id.
 */
import { Schema, type Connection, type Model } from 'mongoose';
import type { PlateProofRepository } from '../core/parking/proofs';
import { forEachDoc, KeyIndex, runOnce } from './keys';
import { isDuplicateKey } from './util';

interface ProofDoc {
  _id: string;
  driverId: string;
  parkNumber: string;
  plateKey: string;
  windowStart?: Date;
  count?: number;
  provedAt?: Date;
  orderId?: string;
}

function proofModel(conn: Connection): Model<ProofDoc> {
  const existing = conn.models.PlateProof as Model<ProofDoc> | undefined;
  if (existing) return existing;
  const schema = new Schema<ProofDoc>(
    { _id: { type: String, required: true }, driverId: String, parkNumber: String, plateKey: String, windowStart: Date, count: Number, provedAt: Date, orderId: String },
    { versionKey: false, collection: 'plate_proofs' },
  );
  return conn.model<ProofDoc>('PlateProof', schema);
}

const idOf = (driverId: string, parkNumber: string, plateKey: string) => JSON.stringify([driverId, parkNumber, plateKey]);

export class MongoPlateProofRepository implements PlateProofRepository {
  private readonly m: Model<ProofDoc>;
  private readonly byDriver: KeyIndex;
  constructor(private readonly conn: Connection) {
    this.m = proofModel(conn);
    this.byDriver = new KeyIndex(conn, 'driver_proofs');
  }

  async init(): Promise<void> {
    await Promise.all([this.m.init(), this.byDriver.init()]);
    await runOnce(this.conn, 'plate proofs: driver keys', () =>
      forEachDoc(this.m, { provedAt: { $exists: true } }, { driverId: 1 }, (docs: ProofDoc[]) => this.byDriver.addMany(docs.map((d) => ({ key: d.driverId, ref: d._id })))),
    );
  }

  async confirmed(driverId: string, since: Date): Promise<{ parkNumber: string; plateKey: string; provedAt: Date }[]> {
    const ids = await this.byDriver.refs(driverId);
    const docs = await Promise.all(ids.map((id) => this.m.findById(id).lean<ProofDoc>()));
    return docs
      .filter((d): d is ProofDoc & { provedAt: Date } => !!d && d.driverId === driverId && !!d.provedAt && d.provedAt.getTime() >= since.getTime())
      .map((d) => ({ parkNumber: d.parkNumber, plateKey: d.plateKey, provedAt: d.provedAt }));
  }

  async attempt(
    driverId: string,
    parkNumber: string,
    plateKey: string,
    now: Date,
    o: { windowStart: Date; max: number; windowMs: number },
  ): Promise<{ attempt: number } | { lockedUntil: Date }> {
    const _id = idOf(driverId, parkNumber, plateKey);
    for (let round = 0; round < 4; round++) {
      // One more in the current window, while it has room.
      const inWindow = await this.m.findOneAndUpdate({ _id, windowStart: { $gt: o.windowStart }, count: { $lt: o.max } }, { $inc: { count: 1 } }, { returnDocument: 'after' }).lean<ProofDoc>();
      if (inWindow) return { attempt: inWindow.count! };
      try {
        // No window yet, or an old one: a new window of one (the first attempt inserts the document).
        const fresh = await this.m
          .findOneAndUpdate(
            { _id, $or: [{ windowStart: { $lte: o.windowStart } }, { windowStart: { $exists: false } }, { windowStart: null }] },
            { $set: { windowStart: now, count: 1 }, $setOnInsert: { driverId, parkNumber, plateKey } },
            { upsert: true, returnDocument: 'after' },
          )
          .lean<ProofDoc>();
        if (fresh) return { attempt: fresh.count! };
      } catch (e) {
        if (!isDuplicateKey(e)) throw e;
      }
      const doc = await this.m.findById(_id).lean<ProofDoc>();
      if (doc?.windowStart && doc.windowStart.getTime() > o.windowStart.getTime() && (doc.count ?? 0) >= o.max) {
        return { lockedUntil: new Date(doc.windowStart.getTime() + o.windowMs) };
      }
    }
    throw new Error(`plate proof ${_id}: no stable state after 4 rounds`);
  }

  async prove(driverId: string, parkNumber: string, plateKey: string, at: Date, orderId: string): Promise<void> {
    // The driver's key first (readers check the proof).
    await this.byDriver.add(driverId, idOf(driverId, parkNumber, plateKey));
    await this.m.updateOne(
      { _id: idOf(driverId, parkNumber, plateKey) },
      { $set: { driverId, parkNumber, plateKey, provedAt: at, orderId }, $unset: { windowStart: '', count: '' } },
      { upsert: true },
    );
  }
}
