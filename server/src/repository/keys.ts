/**
 * Small lookup documents whose _id is a second key of a record: FerretDB v1 (SQLite) answers a lookup by _id
 * from its index and anything else by reading the whole collection, so a record found by another key than
 * its own _id (an order by outTradeNo, the cars of a plate, an agreement by plate) is found through one of
 * these, then read by its _id. MongoDB answers both ways fast; the model is the same there.
 *
 * Rules every user follows (no transactions):
 *  - A key is written before the record it points at becomes findable by it, or repaired when the record's
 *    write is retried; a reader always reads the record itself and checks that it still matches the key
 *    (a key whose record never got written, or moved on, is skipped).
 *  - Keys are only ever added (refs: $addToSet) or pointed at the record that won (ref: $set after the
 *    record's insert succeeded); removal, where there is one, follows the record's own change.
 *
 * Also here: runOnce(), the start-up migrations that build keys and work items for data written before they
 * existed (a `.data/` folder of an earlier version keeps working).
 */
import { Schema, type Connection, type Model } from 'mongoose';
import { bulkUpdate, isDuplicateKey } from './util';

interface KeyDoc {
  _id: string;
  /** One record (a key that names one). */
  ref?: string;
  /** Several records (a key many records share: a plate). */
  refs?: string[];
}

export class KeyIndex {
  readonly model: Model<KeyDoc>;
  constructor(conn: Connection, collection: string) {
    const name = `Key_${collection}`;
    this.model =
      (conn.models[name] as Model<KeyDoc> | undefined) ??
      conn.model<KeyDoc>(name, new Schema<KeyDoc>({ _id: { type: String, required: true }, ref: String, refs: [String] }, { versionKey: false, collection }));
  }

  async init(): Promise<void> {
    await this.model.init();
  }

  /** The one record this key names (undefined: none). */
  async ref(key: string): Promise<string | undefined> {
    const d = await this.model.findById(key, { ref: 1 }).lean<KeyDoc>();
    return d?.ref ?? undefined;
  }

  /** Point the key at this record (after the record's insert won). */
  async set(key: string, ref: string): Promise<void> {
    await this.model.updateOne({ _id: key }, { $set: { ref } }, { upsert: true });
  }

  /** Point the key at this record unless it names one already; the record it names. */
  async claim(key: string, ref: string): Promise<string> {
    try {
      await this.model.create({ _id: key, ref });
      return ref;
    } catch (e) {
      if (!isDuplicateKey(e)) throw e;
    }
    return (await this.ref(key)) ?? ref;
  }

  /** Point the key from one record to another, only if it still names `from`; whether it did. */
  async swap(key: string, from: string, to: string): Promise<boolean> {
    const r = await this.model.updateOne({ _id: key, ref: from }, { $set: { ref: to } });
    return r.modifiedCount > 0;
  }

  /** The records sharing this key (possibly some that moved on: check each). */
  async refs(key: string): Promise<string[]> {
    const d = await this.model.findById(key, { refs: 1 }).lean<KeyDoc>();
    return d?.refs ?? [];
  }

  /** The records sharing each of these keys, one read each (side by side). */
  async refsOf(keys: string[]): Promise<Map<string, string[]>> {
    const found = await Promise.all(keys.map((k) => this.refs(k)));
    return new Map(keys.map((k, i) => [k, found[i]!]));
  }

  async add(key: string, ref: string): Promise<void> {
    await this.model.updateOne({ _id: key }, { $addToSet: { refs: ref } }, { upsert: true });
  }

  /** Several keys at once (few commands; the refs of one key together). */
  async addMany(pairs: { key: string; ref: string }[]): Promise<void> {
    if (!pairs.length) return;
    const byKey = new Map<string, string[]>();
    for (const p of pairs) byKey.set(p.key, [...(byKey.get(p.key) ?? []), p.ref]);
    await bulkUpdate(
      this.model,
      [...byKey].map(([key, refs]) => ({ updateOne: { filter: { _id: key }, update: { $addToSet: { refs: { $each: refs } } }, upsert: true } })),
    );
  }

  /** Point many keys at their records (migrations): inserted, and set where a key exists already. */
  async setMany(pairs: { key: string; ref: string }[]): Promise<void> {
    if (!pairs.length) return;
    let taken: number[] = [];
    try {
      await this.model.collection.insertMany(pairs.map((p) => ({ _id: p.key, ref: p.ref })) as never[], { ordered: false });
    } catch (e) {
      const errors = (e as { writeErrors?: { index: number; code?: number }[] | { index: number; code?: number } }).writeErrors;
      const list = Array.isArray(errors) ? errors : errors ? [errors] : [];
      if (!list.length || list.some((w) => w.code !== 11000)) throw e;
      taken = list.map((w) => w.index);
    }
    if (taken.length) {
      await bulkUpdate(
        this.model,
        taken.map((i) => ({ updateOne: { filter: { _id: pairs[i]!.key }, update: { $set: { ref: pairs[i]!.ref } }, upsert: true } })),
      );
    }
  }

  async remove(key: string, ref: string): Promise<void> {
    await this.model.updateOne({ _id: key }, { $pull: { refs: ref } });
  }
}

/**
 * An insert lost to a record with the same unique key, whose writer writes the key document right after
 * it: wait a moment for `found()`; when it never comes (that writer died in between), `search()` once (the
 * only search of those records) and point the key at what it found.
 */
export async function awaitKey(found: () => Promise<boolean>, search: () => Promise<string | undefined>, set: (ref: string) => Promise<void>): Promise<void> {
  for (let i = 0; i < 10; i++) {
    if (await found()) return;
    await new Promise((r) => setTimeout(r, 20 * (i + 1)));
  }
  const winner = await search();
  if (winner) await set(winner);
}

interface MigrationDoc {
  _id: string;
  doneAt: Date;
}

function migrationModel(conn: Connection): Model<MigrationDoc> {
  return (
    (conn.models.Migration as Model<MigrationDoc> | undefined) ??
    conn.model<MigrationDoc>('Migration', new Schema<MigrationDoc>({ _id: { type: String, required: true }, doneAt: Date }, { versionKey: false, collection: 'migrations' }))
  );
}

/**
 * Run a start-up migration once per database (recorded in `migrations`). Migrations are idempotent: two
 * processes starting at once may both run one, and a crash half-way runs it again at the next start.
 */
export async function runOnce(conn: Connection, name: string, migrate: () => Promise<void>): Promise<void> {
  const m = migrationModel(conn);
  if (await m.exists({ _id: name })) return;
  await migrate();
  await m.updateOne({ _id: name }, { $set: { doneAt: new Date() } }, { upsert: true });
}

/**
 * A whole collection (only the fields a migration needs), then worked through in batches. Read to the end
 * before any batch is written, so no cursor of the engine stays open across the migration's writes.
 */
export async function forEachDoc<T>(model: Model<T>, filter: object, projection: object | undefined, each: (batch: T[]) => Promise<void>, batchSize = 500): Promise<void> {
  const all = (await model.find(filter, projection).lean<T[]>()) as T[];
  for (let i = 0; i < all.length; i += batchSize) await each(all.slice(i, i + batchSize));
}
