/**
 * Benchmark: what a loaded database costs the lanes and the driver, on the real server in demo mode
 * (startServer: every job running, the Bluecard, WeChat Pay and Alipay sandboxes on free ports), each
 * FerretDB build in turn on a copy of the same data, the figures side by side:
 *
 *   npx tsx scripts/bench-stored.ts [--stored 100000] [--quotes 100] [--batches 200] [--gates 2000]
 *        [--idle-seconds 60] [--stock <binary>] [--patched <binary>] [--engines stock,patched]
 *        [--stock-quotes 10] [--stock-batches 10]
 *
 *  - fee quote: POST /api/fees/prepay for a plate whose car is in the lot (a new order each time; the lot
 *    sandbox prices at once) — the driver's fee, server side, over loopback HTTP;
 *  - 4.2 entry batch: POST /bluecard/v2/in-records with 10 new entries, signed as the lot sends them;
 *  - 4.28 open gate: POST /bluecard/v2/opengate for plates unknown to our lists (answered `self`);
 *  - idle: CPU of the FerretDB process and of the server process over --idle-seconds with nothing asked
 *    (the job registry's poll every second, the parks cache, the 4.28 index reloads, the demo lot's 4.1
 *    heartbeat every 30 s), as % of one core.
 * N orders and N stays are stored first (scripts/bench-seed.ts). The stock build reads whole collections
 * for every lookup, so it gets fewer requests by default (--stock-quotes, --stock-batches) at large N.
 */
import { createHash } from 'node:crypto';
import { readFileSync, readdirSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { loadConfig } from '../server/src/config';
import { createLogger } from '../server/src/logger';
import { startServer, type RunningServer } from '../server/src/server';
import { DEMO_PARK_KEY, DEMO_PARK_NUMBER } from '../server/sandbox/bluecard';
import { formatChinaTime } from '../shared/time';
import { arg, CACHE_DIR, copyDataDir, enginesToCompare, figures, fmt, removeDir, seededDataDir, sideBySide, type Engine, type Figures } from './bench-seed';

const STORED = Number(arg('stored') ?? 100_000);
const big = STORED >= 10_000;
// Each quoted car is in the demo lot's ground area (120 spaces).
const QUOTES = Number(arg('quotes') ?? 100);
const BATCHES = Number(arg('batches') ?? 200);
const GATES = Number(arg('gates') ?? 2000);
const IDLE_S = Number(arg('idle-seconds') ?? 60);
const STOCK_QUOTES = Number(arg('stock-quotes') ?? (big ? 10 : QUOTES));
const STOCK_BATCHES = Number(arg('stock-batches') ?? (big ? 10 : BATCHES));
const P = DEMO_PARK_NUMBER;
const SIGN = createHash('md5').update(DEMO_PARK_KEY + P).digest('hex');

interface Run {
  engine: Engine;
  quote?: Figures;
  entries?: Figures;
  gate?: Figures;
  idleEngine?: number;
  idleServer?: number;
  startS?: number;
}

/** utime + stime of a process, in seconds (Linux /proc). */
function cpuSeconds(pid: number): number {
  const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
  const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
  return (Number(fields[11]) + Number(fields[12])) / 100; // clock ticks (USER_HZ 100)
}

/** The FerretDB process serving this data folder. */
function enginePid(dataDir: string): number {
  for (const d of readdirSync('/proc')) {
    if (!/^\d+$/.test(d)) continue;
    try {
      const cmd = readFileSync(`/proc/${d}/cmdline`, 'utf8').split('\0');
      if (cmd.includes('--data-dir') && cmd[cmd.indexOf('--data-dir') + 1] === path.join(dataDir, 'ferretdb')) return Number(d);
    } catch {
      // gone meanwhile
    }
  }
  throw new Error(`no FerretDB process for ${dataDir}`);
}

async function runOn(engine: Engine, dataDir: string): Promise<Run> {
  process.env.PARKPAY_FERRETDB_BIN = engine.bin;
  const t0 = performance.now();
  const server: RunningServer = await startServer(
    loadConfig({
      PORT: '0',
      LOG_LEVEL: 'silent',
      PARKPAY_DATA_DIR: dataDir,
      PARKPAY_CACHE_DIR: CACHE_DIR,
      PARKPAY_DEMO_BLUECARD_PORT: '0',
      PARKPAY_DEMO_WECHAT_LOGIN_PORT: '0',
      PARKPAY_DEMO_WECHATPAY_PORT: '0',
      PARKPAY_DEMO_ALIPAY_PORT: '0',
      // The lanes' calls of this run, as fast as they can go, are far above a lot's rate (the call guard).
      PARKPAY_BLUECARD_RATE_LIMITS: JSON.stringify({ callsPerMinute: 1_000_000, callsBurst: 100_000 }),
    }),
    { logger: createLogger('silent') },
  );
  const startS = (performance.now() - t0) / 1000;
  const stock = engine.name === 'stock';
  const nQuotes = stock ? STOCK_QUOTES : QUOTES;
  const nBatches = stock ? STOCK_BATCHES : BATCHES;
  console.log(`\n[${engine.name}] ${server.engine.engine} ${server.engine.version} (${engine.bin}); started in ${startS.toFixed(1)} s on ${STORED} stored`);
  const sb = server.demo!.sandboxes;
  const lot = sb.bluecard.park(P);
  const call = async <T>(method: string, p: string, body?: unknown, token?: string): Promise<T> => {
    const res = await fetch(`${server.url}${p}`, {
      method,
      headers: { ...(token ? { authorization: `Bearer ${token}` } : {}), ...(body === undefined ? {} : { 'content-type': 'application/json' }) },
      body: body === undefined ? undefined : JSON.stringify(body),
    });
    const json = (await res.json()) as T;
    if (res.status !== 200) throw new Error(`${method} ${p}: ${res.status} ${JSON.stringify(json)}`);
    return json;
  };
  const up = async (p: string, body: unknown) => {
    const t = performance.now();
    const res = await fetch(`${server.url}/bluecard/v2${p}`, { method: 'POST', headers: { 'content-type': 'application/json;charset=UTF-8', sign: SIGN }, body: JSON.stringify(body) });
    const answer = (await res.json()) as { status: string; errorCode?: string };
    if (answer.status === 'fail' && p !== '/opengate') throw new Error(`${p}: ${JSON.stringify(answer)}`);
    return { ms: performance.now() - t, answer };
  };
  const run: Run = { engine, startS };
  try {
    // Fee quotes: cars in the lot for 75 minutes, each quoted once by its driver.
    const { token } = await call<{ token: string }>('POST', '/api/auth/demo', { name: `bench-${engine.name}` });
    const plates = Array.from({ length: nQuotes + 5 }, (_, i) => `京Z${String(i).padStart(5, '0')}`);
    for (const plate of plates) await lot.arrive({ lane: '东门入口', plate, wait: true });
    await fetch(`${sb.bluecard.url}/sandbox/clock`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ advanceMinutes: 75 }) });
    const quoteMs: number[] = [];
    for (const [i, plate] of plates.entries()) {
      const t = performance.now();
      const fee = await call<{ payFen: number; order?: { orderNo: string } }>('POST', '/api/fees/prepay', { parkNumber: P, plate }, token);
      if (!fee.order) throw new Error(`no order for ${plate}: ${JSON.stringify(fee)}`);
      if (i >= 5) quoteMs.push(performance.now() - t); // the first few warm up
    }
    run.quote = figures(quoteMs);
    console.log(`  fee quote          ${fmt(run.quote)}`);

    // 4.2: batches of 10 new entries.
    const entryMs: number[] = [];
    const base = Date.UTC(2026, 10, 28, 2, 0, 0);
    for (let b = 0; b < nBatches + 3; b++) {
      const datas = Array.from({ length: 10 }, (_, k) => {
        const n = b * 10 + k;
        return {
          plate: `京V${String(n).padStart(5, '0')}`,
          ticketCode: '',
          plateColor: '蓝色',
          inTime: formatChinaTime(base + n * 1000),
          inChannel: '东门入口',
          inImage: `bench_in_${engine.name}_${n}.jpg`,
          orderId: `bench-${engine.name}-${n}`,
          visitReason: '',
          openGateMode: '自动放行',
          matchMode: '全字匹配',
          idCard: '',
          confidence: 98,
          carType: '临时车',
          placeInfo: [],
        };
      });
      const r = await up('/in-records', { parkNumber: P, size: datas.length, datas });
      if (b >= 3) entryMs.push(r.ms);
    }
    run.entries = figures(entryMs);
    console.log(`  4.2 batch of 10    ${fmt(run.entries)}`);

    // 4.28: plates on none of our lists (the index answers; no database read).
    const gateMs: number[] = [];
    for (let i = 0; i < GATES + 50; i++) {
      const r = await up('/opengate', {
        parkNumber: P,
        method: 'opengate',
        plate: `京Y${String(i % 100_000).padStart(5, '0')}`,
        plateColor: '蓝色',
        carType: '临时车',
        confidence: '98',
        doTime: '2026-11-28 10:00:00',
        passageway: i % 2 ? '东门入口' : '东门出口',
        inOutType: i % 2 ? 1 : 2,
        area: '地面停车场',
      });
      if (r.answer.status !== 'self') throw new Error(`4.28 answered ${JSON.stringify(r.answer)}`);
      if (i >= 50) gateMs.push(r.ms);
    }
    run.gate = figures(gateMs);
    console.log(`  4.28 open gate     ${fmt(run.gate)}`);

    // Idle: nothing asked; the jobs, caches and the lot's heartbeat go on.
    await new Promise((r) => setTimeout(r, 5_000));
    const pid = enginePid(dataDir);
    const e0 = cpuSeconds(pid);
    const s0 = process.cpuUsage();
    const w0 = performance.now();
    await new Promise((r) => setTimeout(r, IDLE_S * 1000));
    const wall = (performance.now() - w0) / 1000;
    const s1 = process.cpuUsage(s0);
    run.idleEngine = ((cpuSeconds(pid) - e0) / wall) * 100;
    run.idleServer = ((s1.user + s1.system) / 1e6 / wall) * 100;
    console.log(`  idle ${IDLE_S} s: FerretDB ${run.idleEngine.toFixed(2)} % of a core, the server (and the sandboxes) ${run.idleServer.toFixed(2)} %`);
  } finally {
    await server.stop();
  }
  return run;
}

async function main() {
  const engines = enginesToCompare();
  const seedWith = engines.find((e) => e.name === 'patched') ?? engines[0]!;
  console.log(`Seeding ${STORED} orders and ${STORED} stays of ${P} (with the ${seedWith.name} build) …`);
  const seeded = await seededDataDir(seedWith, P, STORED, 'parkpay');
  console.log(`  inserted in ${seeded.insertS.toFixed(1)} s; first start of this version on them (keys, work items) ${seeded.migrateS.toFixed(1)} s`);
  const runs: Run[] = [];
  try {
    for (const engine of engines) {
      const dir = copyDataDir(seeded.dir);
      try {
        runs.push(await runOn(engine, dir));
      } finally {
        removeDir(dir);
      }
    }
  } finally {
    removeDir(seeded.dir);
  }
  const by = (name: string) => runs.find((r) => r.engine.name === name);
  const row = (label: string, f: (r: Run) => string | undefined) => ({ label, stock: by('stock') && f(by('stock')!), patched: by('patched') && f(by('patched')!) });
  console.log(`\n${STORED} orders and ${STORED} stays stored; loopback HTTP, one request at a time; ${os.cpus().length} cores, load ${os.loadavg().map((l) => l.toFixed(2)).join(' ')}; ms\n`);
  console.log(
    sideBySide([
      { label: '', stock: 'stock', patched: 'patched' },
      row('fee quote (POST /api/fees/prepay)', (r) => fmt(r.quote)),
      row('4.2 entry batch of 10', (r) => fmt(r.entries)),
      row('4.28 open gate', (r) => fmt(r.gate)),
      row(`idle ${IDLE_S} s: FerretDB, % of a core`, (r) => r.idleEngine?.toFixed(2)),
      row(`idle ${IDLE_S} s: server, % of a core`, (r) => r.idleServer?.toFixed(2)),
      row('server start on the stored data, s', (r) => r.startS?.toFixed(1)),
    ]),
  );
}

main().catch((e) => {
  console.error(e);
  process.exit(1);
});
