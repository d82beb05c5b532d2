/**
 * A typed patch (core/patch.ts) as one MongoDB update: fields set whole with $set, `clear` with $unset, and
 * the sub-documents named in `nested` written path by path (the rest of the sub-document stays). A field
 * given as undefined is left out, as mongoose leaves it out of a $set.
 */
export type MongoUpdate = {
  $set?: Record<string, unknown>;
  $unset?: Record<string, ''>;
};

export function toUpdate(patch: object, nested: readonly string[] = [], rename: Readonly<Record<string, string>> = {}): MongoUpdate {
  const $set: Record<string, unknown> = {};
  const $unset: Record<string, ''> = {};
  const walk = (p: object, prefix: string) => {
    for (const [k, v] of Object.entries(p)) {
      if (k === 'clear') {
        for (const c of v as string[]) $unset[path(prefix + c)] = '';
      } else if (v !== undefined) {
        if (nested.includes(prefix + k) && v !== null) walk(v as object, `${prefix}${k}.`);
        else $set[path(prefix + k)] = v;
      }
    }
  };
  const path = (p: string) => rename[p] ?? p;
  walk(patch, '');
  return { ...(Object.keys($set).length ? { $set } : {}), ...(Object.keys($unset).length ? { $unset } : {}) };
}
