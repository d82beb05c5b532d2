/**
 * The driver app's H5 build for demo mode: `npm start` on a fresh clone (or after the app's sources
 * changed) builds it once, in the background, while the server already answers — the lot playground's
 * phone frame and the lane links show a "being built" page until it is there, then the app itself.
 *
 * Fresh means: miniapp/dist/h5/index.html exists and is newer than every source the build reads (the app,
 * shared/, the build configuration, the lockfile). Only the default build folder is built; a PARKPAY_H5_DIR
 * elsewhere is served as it is.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { createWriteStream, existsSync, mkdirSync, readdirSync, rmSync, statSync } from 'node:fs';
import path from 'node:path';
import type { DriverAppStatus } from './playground/router';

export const REPO_ROOT = path.resolve(__dirname, '../..');
/** Where `npm run build:h5` writes. */
export const DEFAULT_H5_DIR = path.join(REPO_ROOT, 'miniapp', 'dist', 'h5');

/** What the H5 build reads (relative to the repository). */
const SOURCES = ['miniapp/src', 'miniapp/config', 'miniapp/babel.config.js', 'miniapp/tsconfig.json', 'miniapp/project.config.json', 'shared', 'package-lock.json'];

/** The newest modification time (ms) under these paths; directories are walked (node_modules skipped). */
export function newestMtime(root: string, paths: string[] = SOURCES): { ms: number; file?: string } {
  let best: { ms: number; file?: string } = { ms: 0 };
  const visit = (p: string) => {
    let st;
    try {
      st = statSync(p);
    } catch {
      return;
    }
    if (st.isDirectory()) {
      for (const name of readdirSync(p)) if (name !== 'node_modules' && name !== 'dist') visit(path.join(p, name));
    } else if (st.mtimeMs > best.ms) {
      best = { ms: st.mtimeMs, file: p };
    }
  };
  for (const p of paths) visit(path.join(root, p));
  return best;
}

export type BuildNeed = { build: false; reason: 'fresh' | 'not_default_dir' | 'no_sources' } | { build: true; reason: 'missing' | 'stale'; newer?: string };

/** Whether the H5 build in `h5Dir` must be made (again). */
export function buildNeeded(h5Dir: string, root = REPO_ROOT, defaultDir = DEFAULT_H5_DIR): BuildNeed {
  if (path.resolve(h5Dir) !== path.resolve(defaultDir)) return { build: false, reason: 'not_default_dir' };
  if (!existsSync(path.join(root, 'miniapp', 'src'))) return { build: false, reason: 'no_sources' };
  const index = path.join(h5Dir, 'index.html');
  if (!existsSync(index)) return { build: true, reason: 'missing' };
  const built = statSync(index).mtimeMs;
  const newest = newestMtime(root);
  if (newest.ms > built) return { build: true, reason: 'stale', newer: newest.file ? path.relative(root, newest.file) : undefined };
  return { build: false, reason: 'fresh' };
}

export interface BuildOptions {
  /** Where the build's own output goes (it is long). */
  logFile: string;
  /** Progress lines for the terminal. */
  say: (line: string) => void;
  /** A line that replaces the previous one (the elapsed time), when the terminal can do that. */
  progress?: (line: string) => void;
  /** The build command (default: Taro's H5 build in miniapp/). */
  command?: { cmd: string; args: string[]; cwd: string };
}

export interface RunningBuild {
  done: Promise<boolean>;
  /** Stop the build (its whole process group). */
  stop(): void;
}

/** Run the H5 build in the background: resolves true when it succeeded. */
export function runDriverAppBuild(o: BuildOptions): RunningBuild {
  const command = o.command ?? {
    cmd: process.execPath,
    args: [path.join(REPO_ROOT, 'node_modules', '@tarojs', 'cli', 'bin', 'taro'), 'build', '--type', 'h5'],
    cwd: path.join(REPO_ROOT, 'miniapp'),
  };
  mkdirSync(path.dirname(o.logFile), { recursive: true });
  const log = createWriteStream(o.logFile);
  const started = Date.now();
  let child: ChildProcess | undefined;
  let stopped = false;
  const done = new Promise<boolean>((resolve) => {
    try {
      // Its own process group, so stop() ends the build's workers too.
      child = spawn(command.cmd, command.args, { cwd: command.cwd, stdio: ['ignore', 'pipe', 'pipe'], detached: true, env: { ...process.env, TARO_ENV: 'h5' } });
    } catch (e) {
      o.say(`  driver app: the build could not start (${(e as Error).message})`);
      log.end();
      resolve(false);
      return;
    }
    child.stdout?.pipe(log, { end: false });
    child.stderr?.pipe(log, { end: false });
    const tick = setInterval(() => o.progress?.(`  building the driver app (H5)… ${Math.round((Date.now() - started) / 1000)} s (usually about a minute)`), 1000);
    tick.unref();
    const finish = (ok: boolean, why: string) => {
      clearInterval(tick);
      log.end();
      const secs = Math.round((Date.now() - started) / 1000);
      if (!stopped) o.say(ok ? `  driver app built in ${secs} s` : `  driver app: the build failed (${why}); its output is in ${o.logFile}`);
      resolve(ok);
    };
    child.once('error', (e) => finish(false, e.message));
    child.once('exit', (code, signal) => finish(code === 0, signal ? `stopped by ${signal}` : `exit code ${code}`));
  });
  return {
    done,
    stop() {
      stopped = true;
      if (child?.pid !== undefined && child.exitCode === null && child.signalCode === null) {
        try {
          process.kill(-child.pid, 'SIGTERM');
        } catch {
          child.kill('SIGTERM');
        }
      }
    },
  };
}

/** The driver app's state for the playground and the "being built" page. */
export class DriverApp {
  private current: DriverAppStatus;
  private build: RunningBuild | undefined;

  constructor(private readonly h5Dir: string) {
    this.current = existsSync(path.join(h5Dir, 'index.html')) ? { state: 'ready' } : { state: 'missing' };
  }

  status(): DriverAppStatus {
    if (this.current.state === 'missing' && existsSync(path.join(this.h5Dir, 'index.html'))) this.current = { state: 'ready' };
    return this.current;
  }

  /** Build when missing or stale (see buildNeeded); resolves when there is nothing more to wait for. */
  /** Resolves true when it built the app now. */
  async prepare(o: BuildOptions & { need?: BuildNeed }): Promise<boolean> {
    const need = o.need ?? buildNeeded(this.h5Dir);
    if (!need.build) return false;
    o.say(
      need.reason === 'missing'
        ? '  driver app: not built yet — building it now (first start only; the server already answers)'
        : `  driver app: its sources changed (${need.newer ?? 'newer files'}) — building it again`,
    );
    this.current = { state: 'building', since: Date.now() };
    // No index.html until the build is through: a build stopped halfway is made again at the next start.
    rmSync(path.join(this.h5Dir, 'index.html'), { force: true });
    this.build = runDriverAppBuild(o);
    const ok = await this.build.done;
    this.build = undefined;
    this.current = ok ? { state: 'ready' } : { state: 'failed', message: `the build failed; see ${o.logFile}` };
    return ok;
  }

  stop(): void {
    this.build?.stop();
  }
}

/** The page a lane link or the phone frame gets while the app is being built (or has no build). */
export function buildingPage(status: DriverAppStatus): string {
  const failed = status.state === 'failed' || status.state === 'missing';
  const text =
    status.state === 'failed'
      ? `司机端构建失败：${status.message}`
      : status.state === 'missing'
        ? '司机端还没有构建：运行 npm run build:h5（或去掉 PARKPAY_DEMO_BUILD_H5=0 重新 npm start）'
        : '司机端正在首次构建，大约需要一分钟…';
  return `<!doctype html><html lang="zh-CN"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width,initial-scale=1">
${failed ? '' : '<meta http-equiv="refresh" content="3">'}<title>ParkPay</title>
<style>body{margin:0;font-family:system-ui,"PingFang SC","Noto Sans CJK SC",sans-serif;background:#f5f7fb;color:#1d2129;display:flex;min-height:100vh;align-items:center;justify-content:center;text-align:center}
.box{padding:24px}.spin{width:36px;height:36px;border:4px solid #d6e4ff;border-top-color:#0b5fff;border-radius:50%;margin:0 auto 16px;animation:s 1s linear infinite}
@keyframes s{to{transform:rotate(360deg)}}p{margin:6px 0}.muted{color:#86909c;font-size:13px}</style></head>
<body><div class="box">${failed ? '' : '<div class="spin"></div>'}<p id="driver-app-status" data-state="${status.state}">${text}</p>
<p class="muted">${
    status.state === 'missing'
      ? 'The driver app has no build: npm run build:h5.'
      : failed
        ? 'Fix it and run npm start again.'
        : 'The driver app is being built; this page reloads by itself.'
  }</p></div></body></html>`;
}
