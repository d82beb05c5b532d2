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
