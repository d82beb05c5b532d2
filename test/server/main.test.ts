/**
 * The real process: `npm start`'s entry point boots on embedded defaults (demo mode, its own engine),
 * serves /healthz and /readyz, and on SIGTERM stops listening, closes the database and stops the engine.
 */
import { spawn, spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import readline from 'node:readline';

const REPO = path.resolve(__dirname, '../..');
const TSX = path.join(REPO, 'node_modules', '.bin', 'tsx');

function enginesUsing(dir: string): string[] {
  const r = spawnSync('pgrep', ['-f', dir], { encoding: 'utf8' });
  return r.stdout.split('\n').filter(Boolean);
}

describe('server process', () => {
  const dataDir = mkdtempSync(path.join(os.tmpdir(), 'parkpay-main-'));
  afterAll(() => rmSync(dataDir, { recursive: true, force: true }));

  it('starts in demo mode on an embedded engine, serves health, and shuts down cleanly on SIGTERM', async () => {
    const env: NodeJS.ProcessEnv = { ...process.env, PORT: '0', PARKPAY_DATA_DIR: dataDir, PARKPAY_CACHE_DIR: path.join(REPO, '.cache'), LOG_LEVEL: 'warn' };
    delete env.MONGODB_URI;
    delete env.PARKPAY_MODE;
    const child = spawn(TSX, ['server/src/main.ts'], { cwd: REPO, env, stdio: ['ignore', 'pipe', 'pipe'] });
    const stderr: string[] = [];
    child.stderr.on('data', (b) => stderr.push(String(b)));
    const exited = new Promise<number | null>((resolve) => child.once('exit', (code) => resolve(code)));
    try {
      const banner = await new Promise<string>((resolve, reject) => {
        const timer = setTimeout(() => reject(new Error(`no banner; stderr: ${stderr.join('')}`)), 30_000);
        readline.createInterface({ input: child.stdout }).on('line', (line) => {
          if (line.includes('listening on')) {
            clearTimeout(timer);
            resolve(line);
          }
        });
      });
      expect(banner).toMatch(/ParkPay \(demo mode\) listening on http:\/\/127\.0\.0\.1:\d+ +— +database: (FerretDB|mongod) v?\d/);
      const url = /http:\/\/127\.0\.0\.1:\d+/.exec(banner)![0];
      expect(await (await fetch(`${url}/healthz`)).json()).toEqual({ status: 'ok' });
      expect(await (await fetch(`${url}/readyz`)).json()).toEqual({ status: 'ready', database: 'up' });
      expect(enginesUsing(dataDir).length).toBeGreaterThan(0);

      child.kill('SIGTERM');
      expect(await exited).toBe(0);
      await expect(fetch(`${url}/healthz`)).rejects.toThrow();
      // The engine it started is gone too.
      expect(enginesUsing(dataDir)).toEqual([]);
    } finally {
      if (child.exitCode === null) child.kill('SIGKILL');
    }
  }, 60_000);

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
