/**
 * FerretDB v1 with its SQLite backend: a MongoDB wire-protocol server with no server package to install.
 * We run our own tiny Go wrapper (tools/ferretdb) around FerretDB's embeddable package, built once into the
 * cache folder (or found on PATH as `parkpay-ferretdb`). Not the official `ferretdb` CLI: FerretDB v1's
 * SQLite updates are not atomic under concurrency, and our wrapper's write-serialising proxy is what makes
 * findOneAndUpdate claims and $inc safe (tools/ferretdb/writelock.go).
 *
 * The build applies tools/ferretdb/patches/*.patch to a copy of the FerretDB module (the stock v1.24.2
 * SQLite backend never uses its _id index; see the patch's header). The cache folder's name carries a hash
 * of the patches and the wrapper's sources, so a change to either builds anew and a stale (unpatched)
 * binary is never picked up.
 *
 * The engine is supervised: it exits when this process dies (the wrapper watches its stdin and its
 * parent), and when it dies while we run it is restarted on the same port with backoff, so the mongoose
 * connection finds it again; meanwhile `up` is false and the server answers 503 at once.
 */
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { createHash } from 'node:crypto';
import { chmodSync, copyFileSync, cpSync, existsSync, mkdirSync, readdirSync, readFileSync, realpathSync, renameSync, rmdirSync, rmSync, statSync } from 'node:fs';
import path from 'node:path';
import readline from 'node:readline';
import { EngineLockedError, type EmbeddedEngine, type EngineLog } from './types';

export const FERRETDB_VERSION = 'v1.24.2';
const FERRETDB_MODULE = 'github.com/FerretDB/FerretDB';
/** Our build of FerretDB: bump when the patches change what the engine does. */
export const PARKPAY_BUILD = 1;
/** The version a patched engine reports (READY line, buildInfo's ferretdbVersion). */
export const PATCHED_VERSION = `${FERRETDB_VERSION}+parkpay.${PARKPAY_BUILD}`;

/** The repository: the folder above this file that holds tools/ferretdb (the source tree, or a build in it). */
function repoRoot(): string {
  for (let dir = __dirname; ; dir = path.dirname(dir)) {
    if (existsSync(path.join(dir, 'tools', 'ferretdb'))) return dir;
    if (path.dirname(dir) === dir) return path.resolve(__dirname, '../../../..');
  }
}
const REPO_ROOT = repoRoot();
export const TOOL_DIR = path.join(REPO_ROOT, 'tools', 'ferretdb');
/** The wrapper's exit code when another engine holds the data folder (tools/ferretdb/main.go). */
const EXIT_LOCKED = 3;

export interface FerretDbBinary {
  path: string;
}

export interface BuildOptions {
  /** Apply tools/ferretdb/patches (default). false: the stock module, for comparisons (benchmarks). */
  patched?: boolean;
  /** Where the wrapper's sources and patches are (tests point it at a copy). */
  toolDir?: string;
}

/** The wrapper's sources that go into a build: go.mod, go.sum and the .go files. */
function wrapperSources(toolDir: string): string[] {
  return readdirSync(toolDir)
    .filter((f) => f === 'go.mod' || f === 'go.sum' || (f.endsWith('.go') && !f.endsWith('_test.go')))
    .sort();
}

export function patchFiles(toolDir = TOOL_DIR): string[] {
  const dir = path.join(toolDir, 'patches');
  if (!existsSync(dir)) return [];
  return readdirSync(dir)
    .filter((f) => f.endsWith('.patch'))
    .sort()
    .map((f) => path.join(dir, f));
}

/** A short hash of what a build is made of: FerretDB's version, our build label, the wrapper's sources, the patches. */
export function buildId(opts: BuildOptions = {}): string {
  const toolDir = opts.toolDir ?? TOOL_DIR;
  const patched = opts.patched ?? true;
  const h = createHash('sha256');
  h.update(`${FERRETDB_VERSION}\0${patched ? PATCHED_VERSION : 'stock'}\0`);
  const files = [...wrapperSources(toolDir).map((f) => path.join(toolDir, f)), ...(patched ? patchFiles(toolDir) : [])];
  for (const f of files) {
    h.update(path.relative(toolDir, f));
    h.update('\0');
    h.update(readFileSync(f));
    h.update('\0');
  }
  return h.digest('hex').slice(0, 10);
}

export function cachedBinaryPath(cacheDir: string, opts: BuildOptions = {}): string {
  const flavour = (opts.patched ?? true) ? '' : '-stock';
  return path.join(cacheDir, `ferretdb-${FERRETDB_VERSION}${flavour}-${buildId(opts)}`, 'parkpay-ferretdb');
}

function onPath(name: string): string | undefined {
  for (const dir of (process.env.PATH ?? '').split(path.delimiter)) {
    if (!dir) continue;
    const p = path.join(dir, name);
    if (existsSync(p)) return p;
  }
  return undefined;
}

/** Find our FerretDB build: $PARKPAY_FERRETDB_BIN, the project cache (this build's folder), then `parkpay-ferretdb` on PATH. */
export function findFerretDb(cacheDir: string, opts: BuildOptions = {}): FerretDbBinary | undefined {
  const fromEnv = process.env.PARKPAY_FERRETDB_BIN;
  if (fromEnv && existsSync(fromEnv)) return { path: fromEnv };
  if (existsSync(opts.toolDir ?? TOOL_DIR)) {
    const cached = cachedBinaryPath(cacheDir, opts);
    if (existsSync(cached)) return { path: cached };
  }
  const found = onPath('parkpay-ferretdb');
  return found ? { path: found } : undefined;
}

export function goAvailable(): boolean {
  return spawnSync('go', ['version'], { stdio: 'ignore' }).status === 0;
}

function run(cmd: string, args: string[], cwd: string, env: NodeJS.ProcessEnv = process.env) {
  const r = spawnSync(cmd, args, { cwd, env, encoding: 'utf8', maxBuffer: 64 << 20 });
  if (r.error) throw new Error(`${cmd} ${args.join(' ')}: ${r.error.message}`);
  return r;
}

/** Make a copied module tree writable (the Go module cache is read-only), so it can be patched and removed. */
function makeWritable(dir: string): void {
  chmodSync(dir, 0o755);
  for (const e of readdirSync(dir, { withFileTypes: true })) {
    const p = path.join(dir, e.name);
    if (e.isDirectory()) makeWritable(p);
    else if (e.isFile()) chmodSync(p, statSync(p).mode | 0o200);
  }
}

/**
 * Apply unified diffs to a module tree with `git apply` (no fuzz: a patch applies exactly or not at all),
 * each checked first; then check each is really in (reverse-applies), so a patch git skipped is an error
 * too. Throws naming the patch file that does not apply.
 */
export function applyPatches(moduleDir: string, patches: string[], log: EngineLog = () => {}): void {
  // Git must not take the folder for a subfolder of an enclosing repository (the cache lives in ours).
  const env = { ...process.env, GIT_CEILING_DIRECTORIES: path.dirname(realpathSync(moduleDir)) };
  for (const patch of patches) {
    const name = path.basename(patch);
    const check = run('git', ['apply', '--check', patch], moduleDir, env);
    if (check.status !== 0) {
      throw new Error(`FerretDB patch ${name} does not apply to ${FERRETDB_MODULE}@${FERRETDB_VERSION}:\n${(check.stderr || check.stdout).trim()}`);
    }
    const apply = run('git', ['apply', patch], moduleDir, env);
    const applied = run('git', ['apply', '--reverse', '--check', patch], moduleDir, env);
    if (apply.status !== 0 || applied.status !== 0) {
      throw new Error(`FerretDB patch ${name} did not apply to ${FERRETDB_MODULE}@${FERRETDB_VERSION}:\n${(apply.stderr || applied.stderr).trim()}`);
    }
    log(`Applied ${name}`);
  }
}

/**
 * Build tools/ferretdb with Go into the cache folder. Takes a minute or two the first time. The patched
 * build copies FerretDB's module from the Go module cache (downloaded from the module proxy when missing),
 * applies the patches to the copy, and points a copy of the wrapper's go.mod at it; the committed go.mod
 * is not touched.
 */
export function buildFerretDb(cacheDir: string, log: EngineLog, opts: BuildOptions = {}): FerretDbBinary {
  const toolDir = opts.toolDir ?? TOOL_DIR;
  const patched = opts.patched ?? true;
  const target = cachedBinaryPath(cacheDir, opts);
  const label = patched ? PATCHED_VERSION : `${FERRETDB_VERSION} (stock)`;
  mkdirSync(path.dirname(target), { recursive: true });
  // Everything of one build in a folder of its own: concurrent builds never share files.
  const work = `${path.dirname(target)}.building-${process.pid}`;
  rmSync(work, { recursive: true, force: true });
  const wrapper = path.join(work, 'wrapper');
  mkdirSync(wrapper, { recursive: true });
  const tmp = `${target}.building-${process.pid}`;
  log(`Building FerretDB ${label} with Go into ${path.dirname(target)} (once; about 2 minutes on a cold Go cache)…`);
  const started = Date.now();
  try {
    for (const f of wrapperSources(toolDir)) copyFileSync(path.join(toolDir, f), path.join(wrapper, f));
    const ldflags: string[] = [];
    if (patched) {
      const dl = run('go', ['mod', 'download', '-json', `${FERRETDB_MODULE}@${FERRETDB_VERSION}`], wrapper);
      const dir = dl.status === 0 ? (JSON.parse(dl.stdout) as { Dir?: string }).Dir : undefined;
      if (!dir) throw new Error(`go mod download ${FERRETDB_MODULE}@${FERRETDB_VERSION} failed: ${(dl.stderr || dl.stdout).trim()}`);
      const module = path.join(work, 'FerretDB');
      cpSync(dir, module, { recursive: true });
      makeWritable(module);
      applyPatches(module, patchFiles(toolDir), log);
      const edit = run('go', ['mod', 'edit', '-replace', `${FERRETDB_MODULE}=../FerretDB`], wrapper);
      if (edit.status !== 0) throw new Error(`go mod edit failed: ${edit.stderr.trim()}`);
      ldflags.push('-ldflags', `-X main.buildVersion=${PATCHED_VERSION}`);
    }
    const res = spawnSync('go', ['build', '-trimpath', '-buildvcs=false', ...ldflags, '-o', tmp, '.'], {
      cwd: wrapper,
      stdio: ['ignore', 'inherit', 'inherit'],
      env: { ...process.env, CGO_ENABLED: '0' },
    });
    if (res.status !== 0) throw new Error(`go build of FerretDB failed (exit ${res.status ?? res.signal}) in ${wrapper}`);
    const reported = run(tmp, ['--version'], work).stdout.trim();
    const expected = patched ? PATCHED_VERSION : FERRETDB_VERSION;
    if (reported !== expected) throw new Error(`the FerretDB build reports version ${JSON.stringify(reported)}, expected ${expected}`);
    renameSync(tmp, target); // atomic: a concurrent start never sees half a binary
  } catch (e) {
    rmSync(tmp, { force: true });
    try {
      rmdirSync(path.dirname(target)); // only when empty: another build may have finished there
    } catch {
      // not empty, or gone
    }
    throw e;
  } finally {
    rmSync(work, { recursive: true, force: true });
  }
  log(`Built FerretDB ${label} in ${((Date.now() - started) / 1000).toFixed(1)} s`);
  return { path: target };
}

export interface FerretDbOptions {
  /** Where restarts and unexpected exits are told. */
  log?: EngineLog;
  /** Restart the engine when it dies (default true). */
  restart?: boolean;
  /** Delays before successive restarts; the last repeats. */
  backoffMs?: number[];
}

const DEFAULT_BACKOFF_MS = [100, 250, 500, 1_000, 2_000, 5_000];
/** An engine that stayed up this long starts its next restarts from the first delay again. */
const STABLE_MS = 30_000;

interface Running {
  child: ChildProcess;
  uri: string;
  version: string;
  stderr: string[];
}

/** Start one engine process; resolves when it says READY. */
async function spawnEngine(bin: FerretDbBinary, dataDir: string, listenAddr: string): Promise<Running> {
  const args = ['--listen-addr', listenAddr, '--data-dir', dataDir, '--log-level', 'error', '--exit-with-parent'];
  // stdin is a pipe we never write to: when this process dies, the engine reads end of file and stops.
  // A process group of its own: a terminal's Ctrl-C (sent to the whole foreground job) reaches us, and we
  // stop the engine after the requests in flight, instead of it stopping first and being restarted.
  const child = spawn(bin.path, args, { stdio: ['pipe', 'pipe', 'pipe'], detached: true });
  child.stdin!.on('error', () => {}); // the engine went away; its exit is handled below
  const stderr: string[] = [];
  child.stderr!.on('data', (b: Buffer) => {
    stderr.push(b.toString());
    if (stderr.length > 50) stderr.shift();
  });
  let uri = '';
  let version = FERRETDB_VERSION;
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
      child.once('error', (e) => {
        clearTimeout(timer);
        reject(e);
      });
      child.once('exit', (code) => {
        clearTimeout(timer);
        const said = stderr.join('').trim();
        if (code === EXIT_LOCKED) return reject(new EngineLockedError(dataDir, said));
        const old = /flag provided but not defined: -exit-with-parent/.test(said)
          ? ` (${bin.path} is an older parkpay-ferretdb build without supervision: rebuild it with \`npm run db:build\`)`
          : '';
        reject(new Error(`FerretDB exited with code ${code} before it was ready${old}: ${said}`));
      });
    });
  } catch (e) {
    child.kill('SIGKILL');
    throw e;
  }
  child.stdout!.resume();
  return { child, uri, version, stderr };
}

/** Stop an engine process: SIGTERM, then SIGKILL after 10 s. */
function stopChild(child: ChildProcess): Promise<void> {
  return new Promise<void>((resolve) => {
    if (child.exitCode !== null || child.signalCode !== null) return resolve();
    const killer = setTimeout(() => child.kill('SIGKILL'), 10_000);
    child.once('exit', () => {
      clearTimeout(killer);
      resolve();
    });
    child.kill('SIGTERM');
  });
}

export class SupervisedFerretDb implements EmbeddedEngine {
  readonly name = 'FerretDB';
  private current: Running;
  private isUp = true;
  private stopping?: Promise<void>;
  private restartTimer?: NodeJS.Timeout;
  private restarting?: Promise<void>;
  private attempt = 0;
  private upSince = Date.now();
  private readonly listeners = new Set<(up: boolean) => void>();
  private readonly log: EngineLog;
  private readonly restart: boolean;
  private readonly backoffMs: number[];

  constructor(
    private readonly bin: FerretDbBinary,
    readonly dataDir: string,
    first: Running,
    opts: FerretDbOptions,
  ) {
    this.current = first;
    this.log = opts.log ?? (() => {});
    this.restart = opts.restart ?? true;
    this.backoffMs = opts.backoffMs?.length ? opts.backoffMs : DEFAULT_BACKOFF_MS;
    this.watch(first);
  }

  get uri(): string {
    return this.current.uri;
  }
  get version(): string {
    return this.current.version;
  }
  get up(): boolean {
    return this.isUp;
  }
  /** The engine process's id while it runs. */
  get pid(): number | undefined {
    return this.isUp ? this.current.child.pid : undefined;
  }

  onStateChange(listener: (up: boolean) => void): () => void {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }

  private setUp(up: boolean): void {
    if (this.isUp === up) return;
    this.isUp = up;
    for (const l of this.listeners) {
      try {
        l(up);
      } catch {
        // a listener's failure is its own
      }
    }
  }

  private watch(run: Running): void {
    run.child.once('exit', (code, signal) => {
      if (this.stopping || run !== this.current) return;
      this.setUp(false);
      if (Date.now() - this.upSince >= STABLE_MS) this.attempt = 0;
      const last = run.stderr.join('').trim().split('\n').slice(-3).join(' | ');
      this.log(`FerretDB (pid ${run.child.pid}) exited unexpectedly (${signal ?? `code ${code}`})${last ? `: ${last}` : ''}`);
      this.scheduleRestart();
    });
  }

  private scheduleRestart(): void {
    if (!this.restart || this.stopping) return;
    const delay = this.backoffMs[Math.min(this.attempt, this.backoffMs.length - 1)]!;
    this.attempt++;
    this.log(`restarting FerretDB on ${new URL(this.current.uri).host} in ${delay} ms (attempt ${this.attempt})`);
    this.restartTimer = setTimeout(() => {
      this.restartTimer = undefined;
      this.restarting = this.restartNow().finally(() => {
        this.restarting = undefined;
      });
    }, delay);
  }

  private async restartNow(): Promise<void> {
    // The same address: the mongoose connection keeps its URI and reconnects by itself.
    const host = new URL(this.current.uri).host;
    let next: Running;
    try {
      next = await spawnEngine(this.bin, this.dataDir, host);
    } catch (e) {
      this.log(`FerretDB restart failed: ${(e as Error).message}`);
      this.scheduleRestart();
      return;
    }
    if (this.stopping) {
      await stopChild(next.child);
      return;
    }
    this.current = next;
    this.upSince = Date.now();
    this.watch(next);
    this.log(`FerretDB is back (pid ${next.child.pid}) on ${host}`);
    this.setUp(true);
  }

  stop(): Promise<void> {
    this.stopping ??= (async () => {
      clearTimeout(this.restartTimer);
      await this.restarting;
      await stopChild(this.current.child);
      this.setUp(false);
      this.listeners.clear();
    })();
    return this.stopping;
  }
}

/** Start FerretDB on a free loopback port with its SQLite files in dataDir, supervised. */
export async function startFerretDb(bin: FerretDbBinary, dataDir: string, opts: FerretDbOptions = {}): Promise<SupervisedFerretDb> {
  mkdirSync(dataDir, { recursive: true });
  const first = await spawnEngine(bin, dataDir, '127.0.0.1:0');
  return new SupervisedFerretDb(bin, dataDir, first, opts);
}
