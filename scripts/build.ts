/**
 * npm run build: the server as plain CommonJS JavaScript in dist/, for `npm run start:prod` (node, no tsx).
 * Each TypeScript file is transpiled on its own by esbuild — the transform tsx applies when `npm start` runs
 * the sources, so the build runs the same code — with source maps for stack traces (node
 * --enable-source-maps). Types are checked by `npm run typecheck`, not here. Demo mode's stand-ins
 * (server/sandbox) are built too, into their own folder, and loaded only by a demo-mode start.
 */
import { readdirSync, rmSync, statSync } from 'node:fs';
import path from 'node:path';
import { build } from 'esbuild';

const ROOT = path.resolve(__dirname, '..');
export const OUT_DIR = path.join(ROOT, 'dist');
const SOURCES = ['server/src', 'server/sandbox', 'shared'];
const SCRIPTS = ['scripts/create-admin.ts', 'scripts/db-migrate.ts'];

function tsFiles(dir: string): string[] {
  return readdirSync(dir).flatMap((name) => {
    const p = path.join(dir, name);
    if (statSync(p).isDirectory()) return tsFiles(p);
    return name.endsWith('.ts') && !name.endsWith('.d.ts') ? [p] : [];
  });
}

export async function buildServer(outDir = OUT_DIR): Promise<{ files: number; ms: number }> {
  const started = Date.now();
  rmSync(outDir, { recursive: true, force: true });
  const entryPoints = [...SOURCES.flatMap((d) => tsFiles(path.join(ROOT, d))), ...SCRIPTS.map((f) => path.join(ROOT, f))];
  await build({
    entryPoints,
    outdir: outDir,
    outbase: ROOT,
    bundle: false,
    platform: 'node',
    format: 'cjs',
    target: 'node20',
    sourcemap: true,
    logLevel: 'warning',
  });
  return { files: entryPoints.length, ms: Date.now() - started };
}

if (require.main === module) {
  buildServer().then(
    ({ files, ms }) => console.log(`built ${files} files into ${path.relative(process.cwd(), OUT_DIR)}/ in ${ms} ms; run: npm run start:prod`),
    (e) => {
      console.error(e);
      process.exit(1);
    },
  );
}
