/**
 * ParkPay as a deployment runs it: the build (`npm run build`, plain JavaScript) started by node in
 * production mode, several processes on one database behind a round-robin proxy (the reverse proxy of the
 * compose file), the lot, WeChat login and WeChat Pay as the sandboxes. Every process a test starts is
 * stopped by stopAll(), also when the test fails.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { writeFileSync } from 'node:fs';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import path from 'node:path';
import readline from 'node:readline';
import { buildServer } from '../../scripts/build';
import { REPO } from './engine';

/** The build the tests run (the repository's node_modules are found from inside it). */
export const TEST_BUILD = path.join(REPO, 'test-results', 'dist-test');

let built: Promise<unknown> | undefined;
export function buildOnce(): Promise<unknown> {
  return (built ??= buildServer(TEST_BUILD));
}

/**
 * A preload that writes, when the process exits, every module file it loaded (require.cache, which
 * import() of a CommonJS file fills too) to the file named by PARKPAY_TEST_MODULES_OUT.
 */
export function moduleReporter(dir: string): string {
  const file = path.join(dir, 'report-modules.cjs');
  writeFileSync(
    file,
    "process.on('exit', () => { require('fs').writeFileSync(process.env.PARKPAY_TEST_MODULES_OUT, JSON.stringify(Object.keys(require.cache))); });\n",
  );
  return file;
}

export interface ServerProcess {
  name: string;
  child: ChildProcess;
  /** Where it listens (from its "listening on" line). */
  url: string;
  /** Every line it wrote to stdout (pino JSON in production mode). */
  lines: string[];
  stderr: string[];
  exited: Promise<{ code: number | null; signal: NodeJS.Signals | null }>;
  stop(signal?: NodeJS.Signals): Promise<{ code: number | null; signal: NodeJS.Signals | null }>;
}

const running = new Set<ServerProcess>();

/** node <build>/server/src/main.js with env; resolves once it says where it listens. */
export async function startBuiltServer(name: string, env: NodeJS.ProcessEnv, nodeArgs: string[] = []): Promise<ServerProcess> {
  await buildOnce();
  const child = spawn(process.execPath, [...nodeArgs, '--enable-source-maps', path.join(TEST_BUILD, 'server/src/main.js')], {
    cwd: REPO,
    env,
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  const lines: string[] = [];
  const stderr: string[] = [];
  child.stderr!.on('data', (b) => stderr.push(String(b)));
  const exited = new Promise<{ code: number | null; signal: NodeJS.Signals | null }>((resolve) => child.once('exit', (code, signal) => resolve({ code, signal })));
  const proc: ServerProcess = {
    name,
    child,
    url: '',
    lines,
    stderr,
    exited,
    async stop(signal = 'SIGTERM') {
      if (child.exitCode === null && child.signalCode === null) child.kill(signal);
      const r = await exited;
      running.delete(proc);
      return r;
    },
  };
  running.add(proc);
  proc.url = await new Promise<string>((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`${name}: no "listening on" line in 60 s; stderr: ${stderr.join('')}`)), 60_000);
    readline.createInterface({ input: child.stdout! }).on('line', (line) => {
      lines.push(line);
      const m = /listening on (http:\/\/[\d.]+:\d+)/.exec(line);
      if (m) {
        clearTimeout(timer);
        resolve(m[1]!);
      }
    });
    void exited.then(({ code, signal }) => {
      clearTimeout(timer);
      reject(new Error(`${name} exited (${signal ?? code}) before listening; stderr: ${stderr.join('')}`));
    });
  });
  return proc;
}

export async function stopAll(): Promise<void> {
  await Promise.all([...running].map((p) => p.stop('SIGKILL')));
}

/** The pino lines of a process, parsed. */
export function logRecords(p: ServerProcess): Record<string, unknown>[] {
  return p.lines.flatMap((l) => {
    try {
      return [JSON.parse(l) as Record<string, unknown>];
    } catch {
      return [];
    }
  });
}

/** A round-robin HTTP proxy, as the reverse proxy spreads requests over the instances. */
export interface RoundRobin {
  url: string;
  upstreams: string[];
  /** Requests each upstream got. */
  served: Map<string, number>;
  /** Every request passed on: which upstream, method, path and body. */
  requests: { upstream: string; method: string; path: string; body: string }[];
  stop(): Promise<void>;
}

export async function startRoundRobin(): Promise<RoundRobin> {
  let next = 0;
  const rr: RoundRobin = { url: '', upstreams: [], served: new Map(), requests: [], stop: async () => undefined };
  const server = http.createServer((req, res) => {
    if (rr.upstreams.length === 0) return void res.writeHead(502).end();
    const upstream = rr.upstreams[next++ % rr.upstreams.length]!;
    rr.served.set(upstream, (rr.served.get(upstream) ?? 0) + 1);
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      const body = Buffer.concat(chunks);
      rr.requests.push({ upstream, method: req.method ?? '', path: req.url ?? '/', body: body.toString('utf8') });
      const target = new URL(req.url ?? '/', upstream);
      const out = http.request(target, { method: req.method, headers: { ...req.headers, host: target.host, 'x-forwarded-for': '127.0.0.1' } }, (up) => {
        res.writeHead(up.statusCode ?? 502, up.headers);
        up.pipe(res);
      });
      out.on('error', () => {
        if (!res.headersSent) res.writeHead(502);
        res.end();
      });
      out.end(body);
    });
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  rr.url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  rr.stop = async () => {
    server.closeAllConnections();
    await new Promise<void>((r) => server.close(() => r()));
  };
  return rr;
}

export const randomDbName = (label: string) => `pp_${label}_${randomBytes(3).toString('hex')}`;
