/**
 * Start time and memory of one ParkPay process in production mode, run three ways side by side:
 *   - `tsx server/src/main.ts` tsx's launcher (a parent process) running the TypeScript sources in a child;
 *   - `npm start`            `exec node --import tsx`: the sources, transpiled at load time, in one node process;
 *   - `npm run start:prod`   node on the build (`npm run build` first): plain JavaScript, one process.
 * Each run: spawn → the "listening" log line → /readyz answers 200 (the time printed), then the resident memory
 * of the whole process tree (VmRSS from /proc, the launcher included) at that moment and again after 5 s idle,
 * then SIGTERM and the exit code. The database is one FerretDB this script starts, shared by every run, so
 * the figures are ParkPay's own start (config, connection, schema check, parks, listen), not the engine's; the
 * database is migrated once first (dist/scripts/db-migrate.js), as a deployment does.
 *
 *   npm run build && npx tsx scripts/bench-start.ts [runs per variant = 5]
 */
import { spawn, spawnSync } from 'node:child_process';
import { generateKeyPairSync } from 'node:crypto';
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import readline from 'node:readline';
import { startEmbeddedEngine } from '../server/src/repository/engine';

const ROOT = path.resolve(__dirname, '..');
const RUNS = Number(process.argv[2] ?? 5);

const VARIANTS: { name: string; cmd: string; args: string[] }[] = [
  { name: 'tsx server/src/main.ts (tsx launcher + child, sources)', cmd: path.join(ROOT, 'node_modules/.bin/tsx'), args: ['server/src/main.ts'] },
  { name: 'npm start: node --import tsx (sources, one process)', cmd: process.execPath, args: ['--import', 'tsx', 'server/src/main.ts'] },
  { name: 'npm run start:prod (node, dist/)', cmd: process.execPath, args: ['--enable-source-maps', 'dist/server/src/main.js'] },
];

/** Resident memory (kB) of a process and all its descendants. */
function treeRssKb(pid: number): number {
  let kb = 0;
  try {
    const m = /VmRSS:\s+(\d+) kB/.exec(readFileSync(`/proc/${pid}/status`, 'utf8'));
    kb += m ? Number(m[1]) : 0;
  } catch {
    return 0;
  }
  const kids = spawnSync('pgrep', ['-P', String(pid)], { encoding: 'utf8' }).stdout.split('\n').filter(Boolean).map(Number);
  return kb + kids.reduce((s, k) => s + treeRssKb(k), 0);
}

interface Run {
  readyMs: number;
  rssReadyMb: number;
  rssIdleMb: number;
  processes: number;
  exit: string;
  stopMs: number;
}

async function once(v: (typeof VARIANTS)[number], env: NodeJS.ProcessEnv): Promise<Run> {
  const t0 = process.hrtime.bigint();
  const child = spawn(v.cmd, v.args, { cwd: ROOT, env, stdio: ['ignore', 'pipe', 'pipe'] });
  const stderr: string[] = [];
  child.stderr.on('data', (b) => stderr.push(String(b)));
  const exited = new Promise<string>((resolve) => child.once('exit', (code, signal) => resolve(signal ?? String(code))));
  try {
    const url = await new Promise<string>((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error(`no listening line in 60 s; stderr: ${stderr.join('')}`)), 60_000);
      readline.createInterface({ input: child.stdout }).on('line', (line) => {
        const m = /listening on (http:\/\/[\d.]+:\d+)/.exec(line);
        if (m) {
          clearTimeout(timer);
          resolve(m[1]!);
        }
      });
      child.once('exit', () => reject(new Error(`exited before listening: ${stderr.join('')}`)));
    });
    const ready = await fetch(`${url}/readyz`);
    if (ready.status !== 200) throw new Error(`/readyz answered ${ready.status}`);
    const readyMs = Number(process.hrtime.bigint() - t0) / 1e6;
    const rssReadyMb = treeRssKb(child.pid!) / 1024;
    const processes = 1 + spawnSync('pgrep', ['-P', String(child.pid)], { encoding: 'utf8' }).stdout.split('\n').filter(Boolean).length;
    await new Promise((r) => setTimeout(r, 5_000));
    const rssIdleMb = treeRssKb(child.pid!) / 1024;
    const s0 = Date.now();
    child.kill('SIGTERM');
    const exit = await exited;
    return { readyMs, rssReadyMb, rssIdleMb, processes, exit, stopMs: Date.now() - s0 };
  } finally {
    if (child.exitCode === null && child.signalCode === null) child.kill('SIGKILL');
  }
}

const median = (xs: number[]) => {
  const s = [...xs].sort((a, b) => a - b);
  return s.length % 2 ? s[(s.length - 1) / 2]! : (s[s.length / 2 - 1]! + s[s.length / 2]!) / 2;
};

async function main() {
  if (!existsSync(path.join(ROOT, 'dist/server/src/main.js'))) throw new Error('no dist/: run npm run build first');
  const dataDir = mkdtempSync(path.join(os.tmpdir(), 'parkpay-bench-start-'));
  const engine = await startEmbeddedEngine({ dataDir, cacheDir: path.join(ROOT, '.cache'), log: () => {} });
  try {
    const { privateKey, publicKey } = generateKeyPairSync('rsa', { modulusLength: 2048 });
    const env: NodeJS.ProcessEnv = {
      PATH: process.env.PATH,
      HOME: process.env.HOME,
      PARKPAY_MODE: 'production',
      HOST: '127.0.0.1',
      PORT: '0',
      LOG_LEVEL: 'info',
      MONGODB_URI: `${engine.uri.replace(/\/?$/, '/')}pp_bench_start`,
      PARKPAY_PUBLIC_BASE_URL: 'http://127.0.0.1:8080',
      PARKPAY_URL_SIGNING_KEY: 'bench-start-signing-key-0123456789',
      PARKPAY_PARKS: JSON.stringify([{ parkNumber: 'p_bench_001', key: 'bench-key', bluecardBaseUrl: 'http://127.0.0.1:9' }]),
      PARKPAY_ALIPAY: JSON.stringify({
        appId: '2021000000000001',
        privateKey: privateKey.export({ type: 'pkcs8', format: 'pem' }).toString(),
        alipayPublicKey: publicKey.export({ type: 'spki', format: 'pem' }).toString(),
        gateway: 'http://127.0.0.1:9/gateway.do',
      }),
    };
    // A production start needs the database at its schema version: migrate it once, as a deployment does.
    const migrated = spawnSync(process.execPath, ['dist/scripts/db-migrate.js'], { cwd: ROOT, env, encoding: 'utf8' });
    if (migrated.status !== 0) throw new Error(`db-migrate.js exited ${migrated.status}: ${migrated.stderr}`);
    console.log(`node ${process.version}, ${os.cpus().length} cores, load average ${os.loadavg().map((l) => l.toFixed(2)).join(' ')}; ${RUNS} runs per variant, interleaved; production mode on ${engine.name} (embedded, started by this script)`);
    const results = new Map<string, Run[]>(VARIANTS.map((v) => [v.name, []]));
    // A first run of each warms the OS file cache (not counted).
    for (const v of VARIANTS) await once(v, env);
    for (let i = 0; i < RUNS; i++) for (const v of VARIANTS) results.get(v.name)!.push(await once(v, env));
    console.log('\nvariant                                      | ready (median, min–max) | RSS at ready | RSS idle 5 s | processes | exit on SIGTERM (stop ms)');
    for (const v of VARIANTS) {
      const rs = results.get(v.name)!;
      const ready = rs.map((r) => r.readyMs);
      console.log(
        `${v.name.padEnd(44)} | ${median(ready).toFixed(0).padStart(5)} ms (${Math.min(...ready).toFixed(0)}–${Math.max(...ready).toFixed(0)})`.padEnd(72) +
          ` | ${median(rs.map((r) => r.rssReadyMb)).toFixed(1).padStart(6)} MB | ${median(rs.map((r) => r.rssIdleMb)).toFixed(1).padStart(6)} MB   | ${rs[0]!.processes}         | ${rs.map((r) => `${r.exit} (${r.stopMs})`).join(', ')}`,
      );
    }
    console.log(`\nload average at the end ${os.loadavg().map((l) => l.toFixed(2)).join(' ')}`);
  } finally {
    await engine.stop();
    rmSync(dataDir, { recursive: true, force: true });
  }
}

main().catch((e) => {
  console.error(e);
  process.exit(1);
});
