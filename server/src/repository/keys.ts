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
import { isDuplicateKey } from './util';

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

  /** Several keys at once (one command). */
  async addMany(pairs: { key: string; ref: string }[]): Promise<void> {
    if (!pairs.length) return;
    await this.model.bulkWrite(
      pairs.map((p) => ({ updateOne: { filter: { _id: p.key }, update: { $addToSet: { refs: p.ref } }, upsert: true } })),
      { ordered: false },
    );
  }

  async remove(key: string, ref: string): Promise<void> {
    await this.model.updateOne({ _id: key }, { $pull: { refs: ref } });
  }
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

/** Read a whole collection in batches (migrations only). */
export async function forEachDoc<T>(model: Model<T>, filter: object, projection: object | undefined, each: (batch: T[]) => Promise<void>, batchSize = 500): Promise<void> {
  let batch: T[] = [];
  for await (const doc of model.find(filter, projection).lean<T>().cursor()) {
    batch.push(doc as T);
    if (batch.length >= batchSize) {
      await each(batch);
      batch = [];
    }
  }
  if (batch.length) await each(batch);
}
