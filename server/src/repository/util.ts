/** Small helpers every mongoose repository uses. */

export function isDuplicateKey(err: unknown): boolean {
  return typeof err === 'object' && err !== null && (err as { code?: unknown }).code === 11000;
}

/**
 * A raw record from outside made safe to store: keys with '.', a leading '$' or NUL (which MongoDB-wire
 * servers refuse or misread) are escaped, so a strange key can never make a record unstorable.
 */
export function storable(value: unknown): unknown {
  if (Array.isArray(value)) return value.map(storable);
  if (value && typeof value === 'object' && !(value instanceof Date) && !Buffer.isBuffer(value)) {
    const out: Record<string, unknown> = {};
    for (const [k, v] of Object.entries(value)) {
      const key = k.replace(/\0/g, '').replace(/\./g, '\uff0e').replace(/^\$/, '\uff04');
      out[key] = storable(v);
    }
    return out;
  }
  return value;
}

/**
 * Insert a document; false when one with its _id (or another unique key) is already there. The insert is
 * the claim: whoever inserts first owns the record (FerretDB v1 has no transactions).
 */
export async function createUnlessExists(model: { create(doc: object): Promise<unknown> }, doc: object): Promise<boolean> {
  try {
    await model.create(doc);
    return true;
  } catch (e) {
    if (isDuplicateKey(e)) return false;
    throw e;
  }
}

/**
 * Most updates FerretDB v1.24.2 (SQLite) takes in one command: a command of 100 or more updates that match
 * documents already there never answers (measured: 99 answer at once, 100 hang, with or without upsert or
 * $each, stock and patched builds alike). Every bulk of updates is sent in commands this size.
 */
export const UPDATES_PER_COMMAND = 50;

/** Unordered bulk updates in commands of at most UPDATES_PER_COMMAND, one after the other. */
export async function bulkUpdate<Op>(model: { bulkWrite(ops: Op[], options: { ordered: false }): Promise<unknown> }, ops: Op[]): Promise<void> {
  for (let i = 0; i < ops.length; i += UPDATES_PER_COMMAND) await model.bulkWrite(ops.slice(i, i + UPDATES_PER_COMMAND), { ordered: false });
}
