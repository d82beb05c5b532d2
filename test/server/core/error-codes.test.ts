/**
 * Every code of every core module's closed union (core/<module>/errors.ts) is raised by core: some core source
 * file that uses the module's error class names the code (a literal, outside comments). A code no core file
 * raises is either dead (to be removed from the union, the port's status table and the console's texts) or
 * raised somewhere core does not decide it (an adapter, a port), which core/gateway-failure.ts and the
 * port's own HttpError are for. A static check: it reads the sources, it does not run them.
 */
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';

const CORE = join(__dirname, '../../../server/src/core');

function sources(dir: string): string[] {
  return readdirSync(dir, { withFileTypes: true }).flatMap((d) => (d.isDirectory() ? sources(join(dir, d.name)) : d.name.endsWith('.ts') ? [join(dir, d.name)] : []));
}

/** The code without its comments (block comments, and lines that are comments). */
const withoutComments = (src: string) =>
  src
    .replace(/\/\*[\s\S]*?\*\//g, '')
    .split('\n')
    .filter((l) => !l.trim().startsWith('//'))
    .join('\n');

const code = new Map(sources(CORE).map((f) => [f, withoutComments(readFileSync(f, 'utf8'))]));

interface ErrorModule {
  name: string;
  errorsFile: string;
  errorClass: string;
  codes: string[];
}

const modules: ErrorModule[] = readdirSync(CORE, { withFileTypes: true })
  .filter((d) => d.isDirectory() && existsSync(join(CORE, d.name, 'errors.ts')))
  .map((d) => {
    const errorsFile = join(CORE, d.name, 'errors.ts');
    const src = code.get(errorsFile)!;
    const union = /export type \w+ErrorCode =([^;]*);/.exec(src)?.[1] ?? '';
    return {
      name: d.name,
      errorsFile,
      errorClass: /export class (\w+) extends AppError/.exec(src)?.[1] ?? '',
      codes: [...union.matchAll(/'([a-z0-9_]+)'/g)].map((m) => m[1]!),
    };
  });

it('reads every module’s union and class', () => {
  expect(modules.map((m) => m.name)).toEqual(expect.arrayContaining(['orders', 'invoicing', 'operators', 'coupons', 'lot']));
  for (const m of modules) {
    expect(m.errorClass).toMatch(/Error$/);
    expect(m.codes.length).toBeGreaterThan(0);
  }
});

it.each(modules.map((m) => [m.name, m] as const))('core/%s: every code of its union is raised by core', (_name, m) => {
  const raisers = [...code].filter(([f, src]) => f !== m.errorsFile && new RegExp(`\\b${m.errorClass}\\b`).test(src)).map(([, src]) => src);
  const unraised = m.codes.filter((c) => !raisers.some((src) => src.includes(`'${c}'`)));
  expect(unraised).toEqual([]);
});
