/**
 * Parks in the database. The configuration's parks are written here at boot; operators register and edit
 * parks here (core/operators/parks.ts). Lookups are cached briefly (the lot calls us several times a second
 * per park): a write through this directory drops its cache entry at once; other processes see a change
 * within `ttlMs` (5 s).
 */
import { Schema, type Connection, type Model } from 'mongoose';
import type { Park, ParkDirectory, ParkSettings } from '../core/parks';
import type { ParkStore } from '../core/operators/parks';
import { isDuplicateKey } from './util';

interface ParkDoc extends Park {
  updatedAt: Date;
  createdAt?: Date;
}

function toPark(doc: ParkDoc): Park {
  const park: Park = { parkNumber: doc.parkNumber, key: doc.key, bluecardBaseUrl: doc.bluecardBaseUrl };
  if (doc.name) park.name = doc.name;
  if (doc.settings && Object.keys(doc.settings).length) park.settings = doc.settings;
  return park;
}

export class MongoParkDirectory implements ParkDirectory, ParkStore {
  private readonly model: Model<ParkDoc>;
  private readonly cache = new Map<string, { park: Park | undefined; until: number }>();

  constructor(conn: Connection, private readonly ttlMs = 5_000) {
    this.model =
      (conn.models.Park as Model<ParkDoc> | undefined) ??
      conn.model<ParkDoc>(
        'Park',
        new Schema<ParkDoc>(
          {
            parkNumber: { type: String, required: true },
            key: { type: String, required: true },
            bluecardBaseUrl: String,
            name: String,
            settings: { type: Schema.Types.Mixed },
            createdAt: Date,
            updatedAt: Date,
          },
          { versionKey: false, minimize: false },
        ).index({ parkNumber: 1 }, { unique: true }),
      );
  }

  async init(): Promise<void> {
    await this.model.init();
  }

  /** Boot: the configuration's parks (what it names is set; settings it leaves out stay as operators set them). */
  async upsert(park: Park): Promise<void> {
    const now = new Date();
    await this.model.updateOne(
      { parkNumber: park.parkNumber },
      { $set: { ...park, updatedAt: now }, $setOnInsert: { createdAt: now } },
      { upsert: true },
    );
    this.cache.delete(park.parkNumber);
  }

  async get(parkNumber: string): Promise<Park | undefined> {
    const hit = this.cache.get(parkNumber);
    if (hit && hit.until > Date.now()) return hit.park;
    const doc = await this.model.findOne({ parkNumber }).lean<ParkDoc>();
    const park = doc ? toPark(doc) : undefined;
    this.cache.set(parkNumber, { park, until: Date.now() + this.ttlMs });
    return park;
  }

  async list(): Promise<Park[]> {
    const docs = await this.model.find({}).lean<ParkDoc[]>();
    return docs.map(toPark);
  }

  async insert(park: Park): Promise<boolean> {
    const now = new Date();
    try {
      await this.model.create({ ...park, createdAt: now, updatedAt: now });
    } catch (e) {
      if (isDuplicateKey(e)) return false;
      throw e;
    }
    this.cache.delete(park.parkNumber);
    return true;
  }

  async update(parkNumber: string, patch: Partial<Omit<Park, 'parkNumber'>>): Promise<Park | undefined> {
    const set: Record<string, unknown> = { updatedAt: new Date() };
    const unset: Record<string, ''> = {};
    for (const [k, v] of Object.entries(patch) as [keyof Park, unknown][]) {
      if (v === undefined) continue;
      if (k === 'name' && v === '') unset.name = '';
      else set[k] = v as string | ParkSettings;
    }
    const doc = await this.model
      .findOneAndUpdate({ parkNumber }, { $set: set, ...(Object.keys(unset).length ? { $unset: unset } : {}) }, { returnDocument: 'after' })
      .lean<ParkDoc>();
    this.cache.delete(parkNumber);
    return doc ? toPark(doc) : undefined;
  }
}
