/**
 * FerretDB v1 with its SQLite backend: a MongoDB wire-protocol server with no server package to install.
 * We run our own tiny Go wrapper (tools/ferretdb) around FerretDB's embeddable package, built once into the
 * cache folder (or found on PATH as `parkpay-ferretdb`). Not the official `ferretdb` CLI: FerretDB v1's
 * SQLite updates are not atomic under concurrency, and our wrapper's write-serialising proxy is what makes
 * findOneAndUpdate claims and $inc safe (tools/ferretdb/writelock.go).
 */
import { spawn, spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, renameSync, rmSync } from 'node:fs';
import path from 'node:path';
import readline from 'node:readline';
import type { EmbeddedEngine, EngineLog } from './types';

export const FERRETDB_VERSION = 'v1.24.2';
const REPO_ROOT = path.resolve(__dirname, '../../../..');
const TOOL_DIR = path.join(REPO_ROOT, 'tools', 'ferretdb');

export interface FerretDbBinary {
  path: string;
}

export function cachedBinaryPath(cacheDir: string): string {
  return path.join(cacheDir, `ferretdb-${FERRETDB_VERSION}`, 'parkpay-ferretdb');
}

function onPath(name: string): string | undefined {
  for (const dir of (process.env.PATH ?? '').split(path.delimiter)) {
    if (!dir) continue;
    const p = path.join(dir, name);
    if (existsSync(p)) return p;
  }
  return undefined;
}

/** Find our FerretDB build: $PARKPAY_FERRETDB_BIN, the project cache, then `parkpay-ferretdb` on PATH. */
export function findFerretDb(cacheDir: string): FerretDbBinary | undefined {
  const fromEnv = process.env.PARKPAY_FERRETDB_BIN;
  if (fromEnv && existsSync(fromEnv)) return { path: fromEnv };
  const cached = cachedBinaryPath(cacheDir);
  if (existsSync(cached)) return { path: cached };
  const found = onPath('parkpay-ferretdb');
  return found ? { path: found } : undefined;
}

export function goAvailable(): boolean {
  return spawnSync('go', ['version'], { stdio: 'ignore' }).status === 0;
}

/** Build tools/ferretdb with Go into the cache folder. Takes a minute or two the first time. */
export function buildFerretDb(cacheDir: string, log: EngineLog): FerretDbBinary {
  const target = cachedBinaryPath(cacheDir);
  mkdirSync(path.dirname(target), { recursive: true });
  const tmp = `${target}.building-${process.pid}`;
  log(`Building FerretDB ${FERRETDB_VERSION} with Go into ${path.dirname(target)} (once; about 2 minutes on a cold Go cache)…`);
  const started = Date.now();
  const res = spawnSync('go', ['build', '-trimpath', '-o', tmp, '.'], {
    cwd: TOOL_DIR,
    stdio: ['ignore', 'inherit', 'inherit'],
    env: { ...process.env, CGO_ENABLED: '0' },
  });
  if (res.status !== 0) {
    rmSync(tmp, { force: true });
    throw new Error(`go build of FerretDB failed (exit ${res.status ?? res.signal}) in ${TOOL_DIR}`);
  }
  renameSync(tmp, target); // atomic: a concurrent start never sees half a binary
  log(`Built FerretDB ${FERRETDB_VERSION} in ${((Date.now() - started) / 1000).toFixed(1)} s`);
  return { path: target };
}

/** Start FerretDB on a free loopback port with its SQLite files in dataDir. */
export async function startFerretDb(bin: FerretDbBinary, dataDir: string): Promise<EmbeddedEngine> {
  mkdirSync(dataDir, { recursive: true });
  const args = ['--listen-addr', '127.0.0.1:0', '--data-dir', dataDir, '--log-level', 'error'];
  const child = spawn(bin.path, args, { stdio: ['ignore', 'pipe', 'pipe'] });
  const stderr: string[] = [];
  child.stderr!.on('data', (b: Buffer) => {
    stderr.push(b.toString());
    if (stderr.length > 50) stderr.shift();
  });
  let version = FERRETDB_VERSION;
  let uri = '';
  try {
    await new Promise<void>((resolve, reject) => {
      const rl = readline.createInterface({ input: child.stdout! });
      const timer = setTimeout(() => reject(new Error('FerretDB did not report ready within 30 s')), 30_000);
      rl.on('line', (line) => {
        const m = /^PARKPAY-FERRETDB READY (\S+) (\S+)/.exec(line);
        if (m) {
          uri = m[1]!;
          version = m[2]!;
          clearTimeout(timer);
          resolve();
        }
      });
      child.once('exit', (code) => {
        clearTimeout(timer);
        reject(new Error(`FerretDB exited with code ${code} before it was ready: ${stderr.join('').trim()}`));
      });
    });
  } catch (e) {
    child.kill('SIGKILL');
    throw e;
  }
  child.stdout!.resume();
  let stopped: Promise<void> | undefined;
  return {
    name: 'FerretDB',
    version,
    uri,
    dataDir,
    stop() {
      stopped ??= new Promise<void>((resolve) => {
        if (child.exitCode !== null || child.signalCode !== null) return resolve();
        const killer = setTimeout(() => child.kill('SIGKILL'), 10_000);
        child.once('exit', () => {
          clearTimeout(killer);
          resolve();
        });
        child.kill('SIGTERM');
      });
      return stopped;
    },
  };
}
