/**
 * The real process: `npm start`'s entry point boots on embedded defaults (demo mode, its own engine),
 * serves /healthz and /readyz, and on SIGTERM stops listening, closes the database and stops the engine.
 * Killed with -9 it leaves no engine behind; a second server on the same data folder is refused.
 */
import { spawn, spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { connect, type Socket } from 'node:net';
import os from 'node:os';
import path from 'node:path';
import readline from 'node:readline';

const REPO = path.resolve(__dirname, '../..');
const TSX = path.join(REPO, 'node_modules', '.bin', 'tsx');
/**
 * The server as node itself runs it, not under the tsx launcher: the launcher relays a signal to its child
 * and SIGKILLs it when the child has not acknowledged within 30 ms (exit 143 on a busy machine), and a
 * kill -9 of the launcher would leave the server running as a second process.
 */
const serverProcess = (env: NodeJS.ProcessEnv) =>
  spawn(process.execPath, ['--import', 'tsx', 'server/src/main.ts'], { cwd: REPO, env, stdio: ['ignore', 'pipe', 'pipe'] });

function enginesUsing(dir: string): string[] {
  const r = spawnSync('pgrep', ['-f', dir], { encoding: 'utf8' });
  return r.stdout.split('\n').filter(Boolean);
}

describe('server process', () => {
  const dataDir = mkdtempSync(path.join(os.tmpdir(), 'parkpay-main-'));
  afterAll(() => rmSync(dataDir, { recursive: true, force: true }));

  it('starts in demo mode on an embedded engine, serves health, and shuts down cleanly on SIGTERM', async () => {
    const env: NodeJS.ProcessEnv = { ...process.env, PORT: '0', PARKPAY_DATA_DIR: dataDir, PARKPAY_CACHE_DIR: path.join(REPO, '.cache'), LOG_LEVEL: 'warn', PARKPAY_DEMO_BLUECARD_PORT: '0', PARKPAY_DEMO_WECHAT_LOGIN_PORT: '0', PARKPAY_DEMO_WECHATPAY_PORT: '0', PARKPAY_DEMO_ALIPAY_PORT: '0', PARKPAY_DEMO_BUILD_H5: '0' };
    delete env.MONGODB_URI;
    delete env.PARKPAY_MODE;
    const child = serverProcess(env);
    const stderr: string[] = [];
    child.stderr.on('data', (b) => stderr.push(String(b)));
    const exited = new Promise<number | null>((resolve) => child.once('exit', (code) => resolve(code)));
    try {
      const lines: string[] = [];
      const banner = await new Promise<string>((resolve, reject) => {
        const timer = setTimeout(() => reject(new Error(`no banner; stderr: ${stderr.join('')}`)), 30_000);
        readline.createInterface({ input: child.stdout }).on('line', (line) => {
          lines.push(line);
          if (line.includes('demo park')) {
            clearTimeout(timer);
            resolve(lines.find((l) => l.includes('listening on'))!);
          }
        });
      });
      expect(banner).toMatch(/ParkPay \(demo mode\) listening on http:\/\/127\.0\.0\.1:\d+ +— +database: (FerretDB|mongod) v?\d/);
      const url = /http:\/\/127\.0\.0\.1:\d+/.exec(banner)![0];
      expect(await (await fetch(`${url}/healthz`)).json()).toEqual({ status: 'ok' });
      expect(await (await fetch(`${url}/readyz`)).json()).toEqual({ status: 'ready', database: 'up' });
      expect(enginesUsing(dataDir).length).toBeGreaterThan(0);
      // Demo mode runs the Bluecard sandbox with the demo park, registered with ParkPay.
      const sandboxUrl = /Bluecard sandbox: (http:\/\/127\.0\.0\.1:\d+)/.exec(lines.join('\n'))![1]!;
      expect(lines.join('\n')).toMatch(/demo park p_demo_001 "示例停车场", key demo-key-not-secret-001, lanes: 1 东门入口/);
      const overview = await (await fetch(`${sandboxUrl}/sandbox/`)).json();
      expect(JSON.stringify(overview)).toContain('p_demo_001');

      child.kill('SIGTERM');
      expect(await exited).toBe(0);
      await expect(fetch(`${url}/healthz`)).rejects.toThrow();
      // The engine it started is gone too, and so is the sandbox.
      expect(enginesUsing(dataDir)).toEqual([]);
      await expect(fetch(`${sandboxUrl}/sandbox/`)).rejects.toThrow();
    } finally {
      if (child.exitCode === null) child.kill('SIGKILL');
    }
  }, 60_000);

  it('leaves no engine behind when killed with -9, and refuses a second server on the same data folder', async () => {
    const dir = mkdtempSync(path.join(os.tmpdir(), 'parkpay-kill-'));
    const env: NodeJS.ProcessEnv = { ...process.env, PORT: '0', PARKPAY_DATA_DIR: dir, PARKPAY_CACHE_DIR: path.join(REPO, '.cache'), LOG_LEVEL: 'warn', PARKPAY_DEMO_BLUECARD_PORT: '0', PARKPAY_DEMO_WECHAT_LOGIN_PORT: '0', PARKPAY_DEMO_WECHATPAY_PORT: '0', PARKPAY_DEMO_ALIPAY_PORT: '0', PARKPAY_DEMO_BUILD_H5: '0' };
    delete env.MONGODB_URI;
    delete env.PARKPAY_MODE;
    const first = serverProcess(env);
    try {
      const stderr: string[] = [];
      first.stderr.on('data', (b) => stderr.push(String(b)));
      await new Promise<void>((resolve, reject) => {
        const timer = setTimeout(() => reject(new Error(`no banner; stderr: ${stderr.join('')}`)), 30_000);
        readline.createInterface({ input: first.stdout }).on('line', (line) => {
          if (line.includes('listening on')) {
            clearTimeout(timer);
            resolve();
          }
        });
      });
      const engines = enginesUsing(dir);
      expect(engines).toHaveLength(1);

      const second = spawnSync(process.execPath, ['--import', 'tsx', 'server/src/main.ts'], { cwd: REPO, env, encoding: 'utf8', timeout: 30_000 });
      expect(second.status).toBe(69);
      expect(second.stderr).toContain(`ParkPay cannot start: The database folder ${path.join(dir, 'ferretdb')} is in use by another ParkPay database engine (pid ${engines[0]})`);

      first.kill('SIGKILL');
      const deadline = Date.now() + 20_000;
      while (enginesUsing(dir).length > 0 && Date.now() < deadline) await new Promise((r) => setTimeout(r, 50));
      expect(enginesUsing(dir)).toEqual([]);
    } finally {
      if (first.exitCode === null) first.kill('SIGKILL');
      for (const pid of enginesUsing(dir)) process.kill(Number(pid), 'SIGKILL');
      rmSync(dir, { recursive: true, force: true });
    }
  }, 90_000);

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
    const r = spawnSync(TSX, ['server/src/main.ts'], {
      cwd: REPO,
      env: { ...process.env, PORT: 'eighty', PARKPAY_DATA_DIR: dataDir },
      encoding: 'utf8',
      timeout: 30_000,
    });
    expect(r.status).toBe(78);
    expect(r.stderr).toContain('port: ');
  });
});
