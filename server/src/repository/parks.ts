/**
 * Parks in the database. The configuration's parks are written here at boot; operators register and edit
 * parks here (core/operators/parks.ts). Every Bluecard call looks its park up (the sign check), several times
 * a second per park, on the lane path where an answer is waited for at the barrier — and a FerretDB read
 * can take long under load. So lookups are cached, stale-while-revalidate:
 *  - younger than `ttlMs` (5 s): served;
 *  - older, up to `maxStaleMs` (60 s): served at once, and one read per park refreshes it in the background;
 *  - older than that, never seen, or known to be absent: read now (an unknown park is always looked up —
 *    a park registered by another process is found at its first call after `ttlMs`), concurrent callers
 *    sharing the one read.
 * A write through this directory drops its entry at once, and a read that started before the write cannot
 * put the old park back. Other processes' changes show within `ttlMs` plus one refresh while the park is
 * busy, and never later than `maxStaleMs`. A failed refresh keeps the cached park (up to `maxStaleMs`).
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
  if (doc.bluecardSources?.length) park.bluecardSources = [...doc.bluecardSources];
  if (doc.settings && Object.keys(doc.settings).length) park.settings = doc.settings;
  return park;
}

interface CacheEntry {
  park: Park | undefined;
  /** When the read that gave it started (ms, the directory's `now`). */
  readAt: number;
}

export interface ParkDirectoryOptions {
  /** How long a cached park may be served stale while it is refreshed in the background (default 60 s, 0 when ttlMs is 0; never below ttlMs). */
  maxStaleMs?: number;
  /** The time the cache ages by (default Date.now: the cache is about real reads, not business time). */
  now?: () => number;
  /** Told when a background refresh fails (the cached park is kept meanwhile). */
  onRefreshError?: (err: unknown, parkNumber: string) => void;
}

export class MongoParkDirectory implements ParkDirectory, ParkStore {
  private readonly model: Model<ParkDoc>;
  private readonly cache = new Map<string, CacheEntry>();
  /** The read under way per park (a synchronous lookup or a background refresh): one at a time. */
  private readonly reading = new Map<string, Promise<Park | undefined>>();
  /** Bumped by every write through this directory: a read that started before it is not cached. */
  private readonly generation = new Map<string, number>();
  private readonly maxStaleMs: number;
  private readonly now: () => number;

  constructor(
    conn: Connection,
    private readonly ttlMs = 5_000,
    private readonly opts: ParkDirectoryOptions = {},
  ) {
    // ttlMs 0: no cache at all (every lookup reads; tests that change parks behind the directory's back).
    this.maxStaleMs = Math.max(ttlMs, opts.maxStaleMs ?? (ttlMs > 0 ? 60_000 : 0));
    this.now = opts.now ?? Date.now;
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
            bluecardSources: [String],
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

  /**
   * Boot: the configuration's parks (what it names is set; settings it leaves out stay as operators set them;
   * its source allow-list is the configuration's, none when it names none). Settings it names are a first
   * description: each written only where the park has none yet, never over an operator's.
   */
  async upsert(park: Park): Promise<void> {
    const now = new Date();
    const { settings, ...named } = park;
    await this.model.updateOne(
      { parkNumber: park.parkNumber },
      { $set: { ...named, updatedAt: now }, $setOnInsert: { createdAt: now }, ...(park.bluecardSources?.length ? {} : { $unset: { bluecardSources: '' } }) },
      { upsert: true },
    );
    for (const [k, v] of Object.entries(settings ?? {})) {
      if (v === undefined) continue;
      await this.model.updateOne({ parkNumber: park.parkNumber, [`settings.${k}`]: { $exists: false } }, { $set: { [`settings.${k}`]: v } });
    }
    this.dropCached(park.parkNumber);
  }

  /**
   * Parks whose name, address or number holds `q` (any case), by name; all when `q` is empty. A scan of the
   * parks collection: a directory of parks stays small (thousands), and the regex cannot use an index.
   */
  async search(q: string | undefined, limit: number): Promise<Park[]> {
    const text = (q ?? '').trim();
    const filter: Record<string, unknown> = {};
    if (text) {
      const re = { $regex: text.replace(/[.*+?^${}()|[\]\\]/g, '\\$&'), $options: 'i' };
      filter.$or = [{ name: re }, { 'settings.service.address': re }, { parkNumber: re }];
    }
    const docs = await this.model.find(filter).sort({ name: 1, parkNumber: 1 }).limit(limit).lean<ParkDoc[]>();
    return docs.map(toPark);
  }

  async get(parkNumber: string): Promise<Park | undefined> {
    const hit = this.cache.get(parkNumber);
    if (hit) {
      const age = this.now() - hit.readAt;
      if (age < this.ttlMs) return hit.park;
      // Known and not too old: answer now, refresh behind the answer.
      if (hit.park && age < this.maxStaleMs) {
        if (!this.reading.has(parkNumber)) {
          void this.read(parkNumber).catch((err: unknown) => this.opts.onRefreshError?.(err, parkNumber));
        }
        return hit.park;
      }
    }
    return this.read(parkNumber);
  }

  /** Read the park from the database (one read per park at a time) and cache it unless a write came meanwhile. */
  private read(parkNumber: string): Promise<Park | undefined> {
    const running = this.reading.get(parkNumber);
    if (running) return running;
    const generation = this.generation.get(parkNumber) ?? 0;
    const readAt = this.now();
    const p = this.model
      .findOne({ parkNumber })
      .lean<ParkDoc>()
      .exec()
      .then((doc) => {
        const park = doc ? toPark(doc) : undefined;
        if ((this.generation.get(parkNumber) ?? 0) === generation) this.cache.set(parkNumber, { park, readAt });
        return park;
      })
      .finally(() => {
        if (this.reading.get(parkNumber) === p) this.reading.delete(parkNumber);
      });
    this.reading.set(parkNumber, p);
    return p;
  }

  /** A write through this directory: forget the park now, and let no read that started before it cache it. */
  private dropCached(parkNumber: string): void {
    this.generation.set(parkNumber, (this.generation.get(parkNumber) ?? 0) + 1);
    this.cache.delete(parkNumber);
    this.reading.delete(parkNumber);
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
    this.dropCached(park.parkNumber);
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
    this.dropCached(parkNumber);
    return doc ? toPark(doc) : undefined;
  }
}
