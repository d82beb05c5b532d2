/**
 * Parks in the database. The configuration's parks are written here at boot; the operators' pages (later)
 * edit them here. Lookups are cached briefly: the lot calls us several times a second per park.
 */
import { Schema, type Connection, type Model } from 'mongoose';
import type { Park, ParkDirectory } from '../core/parks';

interface ParkDoc extends Park {
  updatedAt: Date;
}

export class MongoParkDirectory implements ParkDirectory {
  private readonly model: Model<ParkDoc>;
  private readonly cache = new Map<string, { park: Park | undefined; until: number }>();

  constructor(conn: Connection, private readonly ttlMs = 5_000) {
    this.model =
      (conn.models.Park as Model<ParkDoc> | undefined) ??
      conn.model<ParkDoc>(
        'Park',
        new Schema<ParkDoc>(
          { parkNumber: { type: String, required: true }, key: { type: String, required: true }, bluecardBaseUrl: String, name: String, updatedAt: Date },
          { versionKey: false },
        ).index({ parkNumber: 1 }, { unique: true }),
      );
  }

  async init(): Promise<void> {
    await this.model.init();
  }

  async upsert(park: Park): Promise<void> {
    await this.model.updateOne({ parkNumber: park.parkNumber }, { $set: { ...park, updatedAt: new Date() } }, { upsert: true });
    this.cache.delete(park.parkNumber);
  }

  async get(parkNumber: string): Promise<Park | undefined> {
    const hit = this.cache.get(parkNumber);
    if (hit && hit.until > Date.now()) return hit.park;
    const doc = await this.model.findOne({ parkNumber }).lean();
    const park = doc ? { parkNumber: doc.parkNumber, key: doc.key, bluecardBaseUrl: doc.bluecardBaseUrl, name: doc.name ?? undefined } : undefined;
    this.cache.set(parkNumber, { park, until: Date.now() + this.ttlMs });
    return park;
  }
}
