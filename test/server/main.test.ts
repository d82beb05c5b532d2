/**
 * The real process, started as `npm start` starts it: the entry point boots on embedded defaults (demo mode,
 * its own engine), serves /healthz and /readyz, and on SIGTERM stops listening, closes the database and
 * stops the engine. Killed with -9 it leaves no engine behind; a second server on the same data folder is
 * refused. Whatever happens, no engine this file started is left running.
 */
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { connect, type Socket } from 'node:net';
import os from 'node:os';
import path from 'node:path';
import readline from 'node:readline';
import { waitUntil } from '../support/eventually';

const REPO = path.resolve(__dirname, '../..');
/** The server as node runs it under `npm start` (node --import tsx, no launcher process in between). */
const serverProcess = (env: NodeJS.ProcessEnv) =>
  spawn(process.execPath, ['--import', 'tsx', 'server/src/main.ts'], { cwd: REPO, env, stdio: ['ignore', 'pipe', 'pipe'] });

/** `npm start`'s command (package.json) with another script in place of the entry point, as [executable, args]. */
function startCommand(script: string): [string, string[]] {
  const words = (JSON.parse(readFileSync(path.join(REPO, 'package.json'), 'utf8')) as { scripts: { start: string } }).scripts.start
    .split(/\s+/)
    .filter((w) => w !== 'exec');
  const args = words.slice(1).map((w) => (w === 'server/src/main.ts' ? script : w));
  const exe = words[0] === 'node' ? process.execPath : path.join(REPO, 'node_modules', '.bin', words[0]!);
  return [exe, args];
}

/** Processes whose command line names `dir`: the engine started on that data folder. */
function enginesUsing(dir: string): string[] {
  const r = spawnSync('pgrep', ['-f', dir], { encoding: 'utf8' });
  return r.stdout.split('\n').filter(Boolean);
}

function exitOf(child: ChildProcess): Promise<{ code: number | null; signal: NodeJS.Signals | null }> {
  return new Promise((resolve) => {
    if (child.exitCode !== null || child.signalCode !== null) resolve({ code: child.exitCode, signal: child.signalCode });
    else child.once('exit', (code, signal) => resolve({ code, signal }));
  });
}

/** Kill what is left of a process group this file started (a failed test); nothing when it is gone. */
function killGroup(pid: number | undefined): void {
  if (pid === undefined) return;
  try {
    process.kill(-pid, 'SIGKILL');
  } catch {
    // none left
  }
}

describe('server process', () => {
  const dataDir = mkdtempSync(path.join(os.tmpdir(), 'parkpay-main-'));
  /** Process groups started here (each child is detached: a group of its own with whatever it starts). */
  const groups: (number | undefined)[] = [];
  afterAll(() => {
    for (const pid of groups) killGroup(pid);
    // A failed test may have left the engine it started (its command line names dataDir): stop it.
    for (const pid of enginesUsing(dataDir)) {
      try {
        process.kill(Number(pid), 'SIGKILL');
      } catch {
        // gone already
      }
    }
    rmSync(dataDir, { recursive: true, force: true });
  });

  it('starts in demo mode on an embedded engine, serves health, and shuts down cleanly on SIGTERM', async () => {
    const env: NodeJS.ProcessEnv = { ...process.env, PORT: '0', PARKPAY_DATA_DIR: dataDir, PARKPAY_CACHE_DIR: path.join(REPO, '.cache'), LOG_LEVEL: 'warn', PARKPAY_DEMO_BLUECARD_PORT: '0', PARKPAY_DEMO_WECHAT_LOGIN_PORT: '0', PARKPAY_DEMO_WECHATPAY_PORT: '0', PARKPAY_DEMO_ALIPAY_PORT: '0', PARKPAY_DEMO_BUILD_H5: '0' };
    delete env.MONGODB_URI;
    delete env.PARKPAY_MODE;
    // npm start itself: the signal a service manager sends goes to npm, which passes it on.
    // In a process group of its own, so that whatever is left of it can be stopped at the end (detached).
    const child = spawn('npm', ['start', '--silent'], { cwd: REPO, env, stdio: ['ignore', 'pipe', 'pipe'], detached: true });
    groups.push(child.pid);
    const stderr: string[] = [];
    child.stderr!.on('data', (b) => stderr.push(String(b)));
    const exited = exitOf(child);
    try {
      const lines: string[] = [];
      const banner = await new Promise<string>((resolve, reject) => {
        void exited.then((e) => reject(new Error(`exited (${e.code ?? e.signal}) before its banner; stderr: ${stderr.join('')}`)));
        readline.createInterface({ input: child.stdout! }).on('line', (line) => {
          lines.push(line);
          if (line.includes('demo park')) resolve(lines.find((l) => l.includes('listening on'))!);
        });
      });
      expect(banner).toMatch(/ParkPay \(demo mode\) listening on http:\/\/127\.0\.0\.1:\d+ +— +database: (FerretDB|mongod) v?\d/);
      const url = /http:\/\/127\.0\.0\.1:\d+/.exec(banner)![0];
      expect(await (await fetch(`${url}/healthz`)).json()).toEqual({ status: 'ok' });
      expect(await (await fetch(`${url}/readyz`)).json()).toMatchObject({
        status: 'ready',
        database: 'up',
        engine: { name: 'FerretDB', embedded: true, up: true },
        jobs: { running: true, stalled: false },
        leases: { heldByOthers: 0, lapsed: 0 },
        deliveryQueue: { undelivered: 0, behind: false },
      });
      expect(enginesUsing(dataDir).length).toBeGreaterThan(0);
      // Demo mode runs the Bluecard sandbox with the demo park, registered with ParkPay.
      const sandboxUrl = /Bluecard sandbox: (http:\/\/127\.0\.0\.1:\d+)/.exec(lines.join('\n'))![1]!;
      expect(lines.join('\n')).toMatch(/demo park p_demo_001 "示例停车场", key demo-key-not-secret-001, lanes: 1 东门入口/);
      const overview = await (await fetch(`${sandboxUrl}/sandbox/`)).json();
      expect(JSON.stringify(overview)).toContain('p_demo_001');

      child.kill('SIGTERM');
      expect(await exited).toEqual({ code: 0, signal: null });
      await expect(fetch(`${url}/healthz`)).rejects.toThrow();
      // The engine it started is gone too, and so is the sandbox.
      expect(enginesUsing(dataDir)).toEqual([]);
      await expect(fetch(`${sandboxUrl}/sandbox/`)).rejects.toThrow();
    } finally {
      // npm, the server and the engine, if any of them is still there (a failed test): the whole group.
      killGroup(child.pid);
    }
  }, 180_000);

  it('hands SIGTERM to the server however busy its event loop is (the launcher never kills it instead)', async () => {
    // A launcher that relays the signal and kills the process when it has not answered within a few ms
    // (the tsx CLI waits 30 ms) cuts a busy server's shutdown short: exit 143, its engine left running.
    const [exe, args] = startCommand(path.join(__dirname, 'fixtures', 'busy-until-sigterm.ts'));
    const child = spawn(exe, args, { cwd: REPO, stdio: ['ignore', 'pipe', 'inherit'], detached: true });
    groups.push(child.pid);
    const exited = exitOf(child);
    const outputEnded = new Promise((resolve) => child.stdout!.once('end', resolve));
    try {
      const out: string[] = [];
      await new Promise<void>((resolve, reject) => {
        void exited.then((e) => reject(new Error(`exited (${e.code ?? e.signal}) before it was busy`)));
        readline.createInterface({ input: child.stdout! }).on('line', (line) => {
          out.push(line);
          if (line === 'busy') resolve();
        });
      });
      child.kill('SIGTERM');
      expect(await exited).toEqual({ code: 0, signal: null });
      await outputEnded;
      expect(out).toContain('SIGTERM handled');
    } finally {
      killGroup(child.pid);
    }
  });

  it('leaves no engine behind when killed with -9, and refuses a second server on the same data folder', async () => {
    const dir = mkdtempSync(path.join(os.tmpdir(), 'parkpay-kill-'));
    const env: NodeJS.ProcessEnv = { ...process.env, PORT: '0', PARKPAY_DATA_DIR: dir, PARKPAY_CACHE_DIR: path.join(REPO, '.cache'), LOG_LEVEL: 'warn', PARKPAY_DEMO_BLUECARD_PORT: '0', PARKPAY_DEMO_WECHAT_LOGIN_PORT: '0', PARKPAY_DEMO_WECHATPAY_PORT: '0', PARKPAY_DEMO_ALIPAY_PORT: '0', PARKPAY_DEMO_BUILD_H5: '0' };
    delete env.MONGODB_URI;
    delete env.PARKPAY_MODE;
    const first = serverProcess(env);
    const exited = exitOf(first);
    try {
      const stderr: string[] = [];
      first.stderr.on('data', (b) => stderr.push(String(b)));
      await new Promise<void>((resolve, reject) => {
        void exited.then((e) => reject(new Error(`exited (${e.code ?? e.signal}) before its banner; stderr: ${stderr.join('')}`)));
        readline.createInterface({ input: first.stdout }).on('line', (line) => {
          if (line.includes('listening on')) resolve();
        });
      });
      const engines = enginesUsing(dir);
      expect(engines).toHaveLength(1);

      const second = spawnSync(process.execPath, ['--import', 'tsx', 'server/src/main.ts'], { cwd: REPO, env, encoding: 'utf8', timeout: 60_000 });
      expect(second.status).toBe(69);
      expect(second.stderr).toContain(`ParkPay cannot start: The database folder ${path.join(dir, 'ferretdb')} is in use by another ParkPay database engine (pid ${engines[0]})`);

      first.kill('SIGKILL');
      await waitUntil(() => enginesUsing(dir).length === 0, 'the engine follows its killed server');
    } finally {
      if (first.exitCode === null) first.kill('SIGKILL');
      for (const pid of enginesUsing(dir)) process.kill(Number(pid), 'SIGKILL');
      rmSync(dir, { recursive: true, force: true });
    }
  }, 180_000);

  it('stops cleanly on Ctrl-C in a terminal (SIGINT to its whole process group, and relayed by npm): the engine is stopped by it, not restarted', async () => {
    const dir = mkdtempSync(path.join(os.tmpdir(), 'parkpay-ctrlc-'));
    const env: NodeJS.ProcessEnv = { ...process.env, PORT: '0', PARKPAY_DATA_DIR: dir, PARKPAY_CACHE_DIR: path.join(REPO, '.cache'), LOG_LEVEL: 'info', PARKPAY_DEMO_BLUECARD_PORT: '0', PARKPAY_DEMO_WECHAT_LOGIN_PORT: '0', PARKPAY_DEMO_WECHATPAY_PORT: '0', PARKPAY_DEMO_ALIPAY_PORT: '0', PARKPAY_DEMO_BUILD_H5: '0' };
    delete env.MONGODB_URI;
    delete env.PARKPAY_MODE;
    // A process group of its own, as a terminal's foreground job: Ctrl-C signals every process in it.
    const child = spawn(process.execPath, ['--import', 'tsx', 'server/src/main.ts'], { cwd: REPO, env, stdio: ['ignore', 'pipe', 'pipe'], detached: true });
    const said: string[] = [];
    const waiting = new Set<{ re: RegExp; resolve: () => void }>();
    child.stderr.on('data', (b) => said.push(String(b)));
    readline.createInterface({ input: child.stdout }).on('line', (line) => {
      said.push(`${line}\n`);
      for (const w of waiting) {
        if (!w.re.test(line)) continue;
        waiting.delete(w);
        w.resolve();
      }
    });
    const exited = new Promise<number | null>((resolve) => child.once('exit', (code) => resolve(code)));
    /** Resolves on a line of the server's matching `re`; fails if the server exits first. */
    const line = (re: RegExp) =>
      Promise.race([
        new Promise<void>((resolve) => waiting.add({ re, resolve })),
        exited.then((code) => Promise.reject(new Error(`exited (${code}) before ${re}:\n${said.join('')}`))),
      ]);
    let request: Socket | undefined;
    try {
      await line(/demo park/);
      const url = /listening on (http:\/\/127\.0\.0\.1:(\d+))/.exec(said.join(''))!;
      const engines = enginesUsing(dir);
      expect(engines).toHaveLength(1);
      // The engine is not in the terminal's job: the signal reaches ParkPay only, which stops the engine itself
      // (an engine that stopped on its own would be restarted while requests drain).
      const pgid = (pid: string | number) => spawnSync('ps', ['-o', 'pgid=', '-p', String(pid)], { encoding: 'utf8' }).stdout.trim();
      expect(pgid(engines[0]!)).not.toBe(pgid(child.pid!));

      // A request in flight (its body still to come) holds the shutdown open while it drains: the server's
      // "100 Continue" says it has the request.
      request = connect(Number(url[2]), '127.0.0.1');
      const sock = request;
      const continued = new Promise<void>((resolve) => sock.on('data', (b) => String(b).includes('100 Continue') && resolve()));
      sock.write('POST /api/auth/demo HTTP/1.1\r\nHost: x\r\ncontent-type: application/json\r\ncontent-length: 100\r\nexpect: 100-continue\r\n\r\n');
      await continued;
      // The press, then npm relaying it (npm start forwards SIGINT to its script): one request to stop.
      process.kill(-child.pid!, 'SIGINT');
      await line(/shutdown requested/);
      process.kill(child.pid!, 'SIGINT');
      await line(/already stopping/);
      request.destroy();
      expect(await exited).toBe(0);
      expect(said.join('')).toContain('"msg":"stopped"');
      expect(said.join('')).not.toMatch(/exited unexpectedly|restarting FerretDB/);
      expect(enginesUsing(dir)).toEqual([]);
    } finally {
      request?.destroy();
      if (child.exitCode === null) process.kill(-child.pid!, 'SIGKILL');
      for (const pid of enginesUsing(dir)) process.kill(Number(pid), 'SIGKILL');
      rmSync(dir, { recursive: true, force: true });
    }
  }, 90_000);

  it('refuses to boot on a malformed value and names the key', () => {
    const r = spawnSync('npm', ['start', '--silent'], {
      cwd: REPO,
      env: { ...process.env, PORT: 'eighty', PARKPAY_DATA_DIR: dataDir },
      encoding: 'utf8',
      timeout: 60_000,
    });
    expect(r.status).toBe(78);
    expect(r.stderr).toContain('port: ');
  });
});
