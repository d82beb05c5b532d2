/**
 * The lint rule that keeps the stand-ins out of production code (eslint.config.mjs), run through ESLint on
 * sample sources placed in server/src: a value import of server/sandbox is refused in every form (import,
 * export … from, require, a dynamic import outside server.ts); a type import is erased and allowed; server.ts
 * may load demo mode with a dynamic import.
 */
import { execFileSync } from 'node:child_process';
import path from 'node:path';

const REPO = path.resolve(__dirname, '../..');

const REFUSED: [string, string][] = [
  ['server/src/core/orders/x.ts', "import { startDemo } from '../../../sandbox/demo';\nexport const d = startDemo;\n"],
  ['server/src/port/api/x.ts', "export { startDemo } from '../../../sandbox/demo';\n"],
  ['server/src/adapter/alipay/x.ts', "import * as sb from '../../../sandbox/alipay';\nexport const s = sb;\n"],
  ['server/src/repository/x.ts', "import { startDemo } from '../../sandbox/demo';\nexport const d = startDemo;\n"],
  ['server/src/x-wiring.ts', "import { startDemo } from '../sandbox/demo';\nexport const d = startDemo;\n"],
  ['server/src/x-wiring.ts', "// eslint-disable-next-line @typescript-eslint/no-require-imports\nexport const d = require('../sandbox/demo');\n"],
  ['server/src/port/jobs/x.ts', "export const load = () => import('../../../sandbox/demo.js');\n"],
];
const ALLOWED: [string, string][] = [
  ['server/src/core/orders/x.ts', "import type { Demo } from '../../../sandbox/demo';\nexport type D = Demo;\n"],
  ['server/src/server.ts', "export const load = () => import('../sandbox/demo.js');\n"],
  ['server/src/core/orders/x.ts', "import { sandboxed } from './sandboxed';\nexport const s = sandboxed;\n"],
];

/**
 * ESLint in a child process (its config is an ES module, which jest's module sandbox does not load): the
 * samples as given, and the real tree.
 */
const LINT = `
const { ESLint } = require('eslint');
(async () => {
  const eslint = new ESLint({ cwd: process.cwd() });
  const samples = JSON.parse(require('fs').readFileSync(0, 'utf8'));
  const out = { samples: [], tree: [] };
  for (const [file, code] of samples) {
    const [r] = await eslint.lintText(code, { filePath: require('path').join(process.cwd(), file) });
    out.samples.push(r.messages.filter((m) => m.severity === 2).map((m) => m.ruleId + ': ' + m.message));
  }
  for (const r of await eslint.lintFiles(['server/src/**/*.ts'])) {
    for (const m of r.messages) if (/sandbox|stand-ins/.test(m.message)) out.tree.push(r.filePath + ': ' + m.message);
  }
  process.stdout.write(JSON.stringify(out));
})().catch((e) => { console.error(e); process.exit(1); });
`;

jest.setTimeout(120_000);
let linted: { samples: string[][]; tree: string[] };
beforeAll(() => {
  const out = execFileSync(process.execPath, ['-e', LINT], { cwd: REPO, input: JSON.stringify([...REFUSED, ...ALLOWED]), encoding: 'utf8', maxBuffer: 16 << 20 });
  linted = JSON.parse(out);
});
const errors = (i: number) => linted.samples[i]!;

it.each(REFUSED.map(([file, code], i) => [file, code, i] as const))('%s: a value import of sandbox code is refused: %s', (_file, _code, i) => {
  const found = errors(i);
  expect(found.length).toBeGreaterThan(0);
  expect(found.join('\n')).toMatch(/no-restricted-(imports|syntax): .*(stand-ins|server\.ts loads)/);
});

it.each(ALLOWED.map(([file, code], i) => [file, code, REFUSED.length + i] as const))('%s: allowed: %s', (_file, _code, i) => {
  expect(errors(i)).toEqual([]);
});

it('the tree as it is passes the rule', () => {
  expect(linted.tree).toEqual([]);
});
