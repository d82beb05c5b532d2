/**
 * The configuration reference (docs/configuration.md) is generated from the zod schema and must be what the
 * schema says; it and the README name every key. Adding a key to config.ts without `npm run docs:config` and
 * a README line fails here.
 */
import { readFileSync } from 'node:fs';
import path from 'node:path';
import type { z } from 'zod';
import { configSchema } from '../../server/src/config';
import { REFERENCE_FILE, referenceRows, renderConfigReference } from '../../scripts/config-reference';

type Def = { type: string; shape?: Record<string, z.ZodType>; innerType?: z.ZodType; element?: z.ZodType; options?: z.ZodType[]; in?: z.ZodType };
const defOf = (s: z.ZodType) => (s as unknown as { _zod: { def: Def } })._zod.def;

/** Every key path of the schema, read from the zod objects themselves (not from the generator). */
function schemaPaths(s: z.ZodType, prefix = ''): string[] {
  const d = defOf(s);
  if (d.type === 'optional' || d.type === 'default' || d.type === 'nullable' || d.type === 'prefault') return schemaPaths(d.innerType!, prefix);
  if (d.type === 'pipe') return schemaPaths(d.in!, prefix);
  if (d.type === 'array') return schemaPaths(d.element!, `${prefix}[]`);
  if (d.type === 'union') return [...new Set(d.options!.flatMap((o) => schemaPaths(o, prefix)))];
  if (d.type !== 'object') return [];
  return Object.entries(d.shape!).flatMap(([k, v]) => {
    const p = prefix ? `${prefix}.${k}` : k;
    return [p, ...schemaPaths(v, p)];
  });
}

const reference = readFileSync(REFERENCE_FILE, 'utf8');
const readme = readFileSync(path.resolve(__dirname, '../../README.md'), 'utf8');

it('docs/configuration.md is what the schema generates (run npm run docs:config after changing config.ts)', () => {
  expect(reference).toBe(renderConfigReference());
});

it('the reference has a row for every key of the schema, with a type and a description', () => {
  const paths = schemaPaths(configSchema);
  expect(paths.length).toBeGreaterThan(50);
  const rows = new Map(referenceRows().map((r) => [r.path, r]));
  const missing = paths.filter((p) => !reference.includes(`| \`${p}\``));
  expect(missing).toEqual([]);
  const undescribed = paths.filter((p) => !rows.get(p)?.description || !rows.get(p)?.type);
  expect(undescribed).toEqual([]);
});

it('the README lists every top-level key and links the reference', () => {
  const topLevel = schemaPaths(configSchema).filter((p) => !/[.[]/.test(p));
  const table = readme.slice(readme.indexOf('## Configuration'), readme.indexOf('\n## ', readme.indexOf('## Configuration') + 5));
  expect(topLevel.filter((k) => !table.includes(`\`${k}\``))).toEqual([]);
  expect(table).toContain('(docs/configuration.md)');
});
