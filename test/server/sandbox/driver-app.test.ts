/**
 * The driver app's H5 build on `npm start` (demo mode): made when missing or older than its sources, in
 * the background with progress lines, stoppable (its whole process group), and the "being built" page
 * meanwhile. The build command is a stand-in here (a few lines of node), so this runs in milliseconds.
 */
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, utimesSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { loadConfig } from '../../../server/src/config';
import { buildingPage, buildNeeded, DriverApp, newestMtime } from '../../../server/sandbox/driver-app';
import { waitUntil } from '../../support/eventually';

let root: string;
let h5: string;
const T = Date.UTC(2026, 0, 15) / 1000;

function file(rel: string, seconds: number) {
  const p = path.join(root, rel);
  mkdirSync(path.dirname(p), { recursive: true });
  writeFileSync(p, rel);
  utimesSync(p, seconds, seconds);
}

beforeEach(() => {
  root = mkdtempSync(path.join(os.tmpdir(), 'parkpay-h5-'));
  h5 = path.join(root, 'miniapp', 'dist', 'h5');
  file('miniapp/src/app.ts', T);
  file('miniapp/src/pages/lane/index.tsx', T + 10);
  file('shared/money.ts', T + 20);
  file('package-lock.json', T + 5);
  // Not sources: the build's own output and dependencies.
  file('miniapp/node_modules/x/index.js', T + 1000);
});
/** Processes a test started: ended even when it fails. */
const started: { stop(): void }[] = [];
afterEach(() => {
  for (const s of started.splice(0)) s.stop();
  rmSync(root, { recursive: true, force: true });
});

describe('whether the H5 build must be made', () => {
  it('missing → build; newer than every source → fresh; a source changed since → stale, naming it', () => {
    expect(buildNeeded(h5, root, h5)).toEqual({ build: true, reason: 'missing' });
    file('miniapp/dist/h5/index.html', T + 30);
    expect(newestMtime(root).file).toBe(path.join(root, 'shared', 'money.ts'));
    expect(buildNeeded(h5, root, h5)).toEqual({ build: false, reason: 'fresh' });
    file('miniapp/src/pages/lane/index.tsx', T + 40);
    expect(buildNeeded(h5, root, h5)).toEqual({ build: true, reason: 'stale', newer: path.join('miniapp', 'src', 'pages', 'lane', 'index.tsx') });
  });

  it('a build folder of its own (PARKPAY_H5_DIR elsewhere) is served as it is', () => {
    expect(buildNeeded(path.join(root, 'elsewhere'), root, h5)).toEqual({ build: false, reason: 'not_default_dir' });
  });

  it('PARKPAY_DEMO_BUILD_H5=0 turns the build on start off (default on)', () => {
    expect(loadConfig({}).demo.buildDriverApp).toBe(true);
    expect(loadConfig({ PARKPAY_DEMO_BUILD_H5: '0' }).demo.buildDriverApp).toBe(false);
    expect(loadConfig({ PARKPAY_DEMO_BUILD_H5: 'true' }).demo.buildDriverApp).toBe(true);
    expect(() => loadConfig({ PARKPAY_DEMO_BUILD_H5: 'maybe' })).toThrow(/demo\.buildDriverApp/);
  });
});

describe('building it', () => {
  const node = (script: string) => ({ cmd: process.execPath, args: ['-e', script], cwd: root });

  it('runs the build in the background, says so, and is ready after', async () => {
    const app = new DriverApp(h5);
    expect(app.status()).toEqual({ state: 'missing' });
    const lines: string[] = [];
    const built = app.prepare({
      say: (l) => lines.push(l),
      logFile: path.join(root, '.cache', 'build-h5.log'),
      need: buildNeeded(h5, root, h5),
      command: node(`const fs=require('fs');fs.mkdirSync(${JSON.stringify(h5)},{recursive:true});console.log('compiling');fs.writeFileSync(${JSON.stringify(path.join(h5, 'index.html'))},'<html>')`),
    });
    expect(app.status().state).toBe('building');
    expect(buildingPage(app.status())).toContain('data-state="building"');
    await expect(built).resolves.toBe(true);
    expect(app.status()).toEqual({ state: 'ready' });
    expect(lines[0]).toMatch(/not built yet — building it now/);
    expect(lines[1]).toMatch(/driver app built in \d+ s/);
    expect(existsSync(path.join(root, '.cache', 'build-h5.log'))).toBe(true);
    // Fresh now: nothing to do.
    await expect(app.prepare({ say: (l) => lines.push(l), logFile: path.join(root, 'x.log'), need: buildNeeded(h5, root, h5) })).resolves.toBe(false);
  });

  it('a failed build says where its output is; the page says it failed (no reload loop)', async () => {
    const app = new DriverApp(h5);
    const lines: string[] = [];
    const log = path.join(root, 'build.log');
    await expect(app.prepare({ say: (l) => lines.push(l), logFile: log, need: { build: true, reason: 'missing' }, command: node('console.error("boom");process.exit(3)') })).resolves.toBe(false);
    expect(app.status()).toEqual({ state: 'failed', message: `the build failed; see ${log}` });
    expect(lines[1]).toBe(`  driver app: the build failed (exit code 3); its output is in ${log}`);
    const page = buildingPage(app.status());
    expect(page).toContain('data-state="failed"');
    expect(page).not.toContain('http-equiv="refresh"');
  });

  it('stop() ends the build with its children, and a build stopped halfway leaves no index.html', async () => {
    file('miniapp/dist/h5/index.html', T);
    const app = new DriverApp(h5);
    const pidFile = path.join(root, 'grandchild.pid');
    // The build starts a worker of its own (as webpack does) and both wait forever.
    const script = `const {spawn}=require('child_process');const c=spawn(process.execPath,['-e','setInterval(()=>{},1000)'],{stdio:'ignore'});require('fs').writeFileSync(${JSON.stringify(pidFile)},String(c.pid));setInterval(()=>{},1000)`;
    started.push(app);
    const built = app.prepare({ say: () => undefined, logFile: path.join(root, 'b.log'), need: { build: true, reason: 'stale' }, command: node(script) });
    expect(existsSync(path.join(h5, 'index.html'))).toBe(false);
    // Wait until the worker is there (a condition, not a fixed sleep).
    await waitUntil(() => existsSync(pidFile), 'the build worker started');
    const worker = Number(readFileSync(pidFile, 'utf8'));
    started.push({
      stop: () => {
        try {
          process.kill(worker, 'SIGKILL');
        } catch {
          /* gone already */
        }
      },
    });
    app.stop();
    await expect(built).resolves.toBe(false);
    const alive = () => {
      try {
        process.kill(worker, 0);
        return true;
      } catch {
        return false;
      }
    };
    await waitUntil(() => !alive(), 'the build worker stopped');
  });
});
