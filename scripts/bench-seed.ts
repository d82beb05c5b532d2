/**
 * What the benchmarks of a loaded database share (not a benchmark itself):
 *  - the engines to compare: `--stock <ferretdb binary>` and `--patched <binary>` (or PARKPAY_BENCH_STOCK_BIN /
 *    PARKPAY_BENCH_PATCHED_BIN; defaults: the cache's builds, `npm run db:build -- --stock` and
 *    `npm run db:build`), each run in turn on a copy of the same data;
 *  - `--stored N`: N orders and N stays stored before measuring, as a lot that has run for a while leaves
 *    them (delivered orders of 5,000 drivers, stays out but 1% still in), written as an earlier version
 *    wrote them and then taken up by the repositories' start-up migrations (keys, work items) — so the
 *    seeding also shows what a first start on such a `.data/` folder costs. Seeded once (with the patched
 *    engine: the data files are the same for both builds), then copied for each engine;
 *  - `--seeded <dir>`: a data folder seeded before for the same script and N (a copy of it is used; seeding
 *    100,000 takes minutes).
 */
import { cpSync, existsSync, mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { Database } from '../server/src/repository/database';
import { stayId, MongoLotRecordsRepository } from '../server/src/repository/lot-records';
import { MongoOrderRepository, orderModel } from '../server/src/repository/orders';
import { lotModels } from '../server/src/repository/lot-records';
import { cachedBinaryPath } from '../server/src/repository/engine/ferretdb';
import { normalizePlate } from '../shared/plate';

export const CACHE_DIR = path.resolve(__dirname, '../.cache');

/** `--name value` from the command line. */
export function arg(name: string): string | undefined {
  const i = process.argv.indexOf(`--${name}`);
  return i >= 0 ? process.argv[i + 1] : undefined;
}

export interface Engine {
  name: 'stock' | 'patched';
  bin: string;
}

/** The FerretDB builds to compare (both must exist). */
export function enginesToCompare(): Engine[] {
  const stock = arg('stock') ?? process.env.PARKPAY_BENCH_STOCK_BIN ?? cachedBinaryPath(CACHE_DIR, { patched: false });
  const patched = arg('patched') ?? process.env.PARKPAY_BENCH_PATCHED_BIN ?? cachedBinaryPath(CACHE_DIR);
  const only = arg('engines')?.split(',');
  const out: Engine[] = [];
  for (const e of [{ name: 'stock', bin: stock }, { name: 'patched', bin: patched }] as const) {
    if (only && !only.includes(e.name)) continue;
    if (!existsSync(e.bin)) {
      throw new Error(`the ${e.name} FerretDB build is not there (${e.bin}): npm run db:build${e.name === 'stock' ? ' -- --stock' : ''}, or --${e.name} <path>`);
    }
    out.push({ name: e.name, bin: e.bin });
  }
  return out;
}

/** Open the embedded engine of this build on a data folder. */
export async function openWith(engine: Engine, dataDir: string, dbName?: string): Promise<Database> {
  process.env.PARKPAY_FERRETDB_BIN = engine.bin;
  return Database.open({ dataDir, cacheDir: CACHE_DIR, dbName, log: () => undefined });
}

const pad = (i: number, n = 6) => String(i).padStart(n, '0');
const PLATE_LETTERS = 'ABCDEFGHJKLMNPQRSTUVWXY';
/** A plausible plate per index (京 + letter + 5 characters). */
export const seededPlate = (i: number) => `京${PLATE_LETTERS[i % PLATE_LETTERS.length]}${pad(i % 100_000, 5)}`;

/**
 * N stays and N orders in `parkNumber`, as an earlier version stored them, then the repositories' start-up
 * (migrations). Returns the seconds each part took.
 */
export async function seed(db: Database, parkNumber: string, n: number): Promise<{ insertS: number; migrateS: number }> {
  const lot = lotModels(db.connection);
  const orders = orderModel(db.connection);
  await Promise.all([lot.stays.init(), orders.init()]);
  const t0 = performance.now();
  const day = 24 * 3_600_000;
  const start = Date.UTC(2026, 0, 1, 0, 0, 0);
  const batch = 1_000;
  for (let from = 0; from < n; from += batch) {
    const stays: object[] = [];
    const docs: object[] = [];
    for (let i = from; i < Math.min(n, from + batch); i++) {
      const orderId = `seed${pad(i, 7)}`;
      const plate = seededPlate(i);
      const inTime = new Date(start + (i / n) * 300 * day);
      const outTime = new Date(inTime.getTime() + 95 * 60_000);
      const stillIn = i >= n - Math.ceil(n / 100);
      const record = { parkNumber, orderId, plate, inTime: inTime.toISOString(), inChannel: '东门入口', carType: '临时车', plateColor: '蓝色', ticketCode: '', inImage: `in_${orderId}.jpg` };
      stays.push({
        _id: stayId(parkNumber, orderId),
        parkNumber,
        orderId,
        plate,
        plateKey: normalizePlate(plate),
        ticketCode: '',
        status: stillIn ? 'in' : 'out',
        entry: { inTime, inChannel: '东门入口', inImage: `in_${orderId}.jpg`, carType: '临时车', plateColor: '蓝色', record, receivedAt: inTime },
        ...(stillIn
          ? {}
          : {
              exit: {
                inTime,
                outTime,
                outChannel: '东门出口',
                outImage: `out_${orderId}.jpg`,
                chargeFen: 400,
                onLineChargeFen: 400,
                offLineChargeFen: 0,
                profitChargeTotalFen: 0,
                charges: [{ payNo: `PPSEED${pad(i, 10)}`, getTime: outTime, payChargeFen: 400, payKind: '微信', payChannel: '提前付', memo: '' }],
                record: { ...record, outTime: outTime.toISOString(), outChannel: '东门出口' },
                receivedAt: outTime,
              },
            }),
      });
      const paidAt = new Date(outTime.getTime() - 5 * 60_000);
      docs.push({
        _id: `PPSEED${pad(i, 10)}`,
        driverId: `drv_seed${pad(i % 5_000, 4)}`,
        kind: 'prepay',
        parkNumber,
        orderId,
        plate,
        outTradeNo: `${parkNumber}_1_${orderId}_${pad(i % 240000, 6)}`,
        quote: { chargeFen: 400, paidTotalFen: 0, profitChargeTotalFen: 0, payFen: 400, inTime: inTime.toISOString(), getTime: paidAt.toISOString(), stopMinutes: 90, paidFreeMinutes: 15, profitMinutes: 0, imgName: '' },
        amountFen: 400,
        status: 'delivered',
        provider: 'wechat',
        gateway: { prepayId: `wx${pad(i, 20)}` },
        expiresAt: new Date(paidAt.getTime() + 5 * 60_000),
        payment: { provider: 'wechat', transactionId: `4200${pad(i, 24)}`, paidFen: 400, paidAt, via: 'notification' },
        delivery: { transactionID: `PPSEED${pad(i, 10)}`, state: 'done', attempts: 1, refusals: 0, nextAttemptAt: paidAt, leaseOwner: 'seed', leaseUntil: null, deliveredAt: paidAt },
        createdAt: new Date(paidAt.getTime() - 60_000),
        updatedAt: paidAt,
      });
    }
    await Promise.all([lot.stays.collection.insertMany(stays as never[], { ordered: false }), orders.collection.insertMany(docs as never[], { ordered: false })]);
  }
  const t1 = performance.now();
  // What a first start of this version does with them.
  const orderRepo = new MongoOrderRepository(db.connection);
  const stayRepo = new MongoLotRecordsRepository(db.connection);
  await orderRepo.init();
  await stayRepo.init();
  return { insertS: (t1 - t0) / 1000, migrateS: (performance.now() - t1) / 1000 };
}

/**
 * A data folder with N stored (seeded with the patched build), or a copy of one made before in this run.
 * The caller removes it.
 */
export async function seededDataDir(engine: Engine, parkNumber: string, n: number, dbName: string): Promise<{ dir: string; insertS: number; migrateS: number }> {
  const before = arg('seeded');
  if (before) return { dir: copyDataDir(before), insertS: NaN, migrateS: NaN };
  const dir = mkdtempSync(path.join(os.tmpdir(), 'parkpay-seed-'));
  const db = await openWith(engine, dir, dbName);
  try {
    const t = n > 0 ? await seed(db, parkNumber, n) : { insertS: 0, migrateS: 0 };
    return { dir, ...t };
  } finally {
    await db.close();
  }
}

/** A copy of a data folder (the engine must be stopped). */
export function copyDataDir(src: string): string {
  const dir = mkdtempSync(path.join(os.tmpdir(), 'parkpay-seed-copy-'));
  cpSync(src, dir, { recursive: true });
  return dir;
}

export function removeDir(dir: string): void {
  rmSync(dir, { recursive: true, force: true });
}

export function percentile(sorted: number[], p: number): number {
  return sorted[Math.min(sorted.length - 1, Math.max(0, Math.ceil((p / 100) * sorted.length) - 1))] ?? NaN;
}

export interface Figures {
  n: number;
  median: number;
  p90: number;
  p99: number;
  max: number;
}

export function figures(ms: number[]): Figures {
  const s = [...ms].sort((a, b) => a - b);
  return { n: s.length, median: percentile(s, 50), p90: percentile(s, 90), p99: percentile(s, 99), max: s[s.length - 1] ?? NaN };
}

export const fmt = (f: Figures | undefined) =>
  f ? `n ${String(f.n).padStart(4)}  median ${f.median.toFixed(1).padStart(7)}  p90 ${f.p90.toFixed(1).padStart(7)}  p99 ${f.p99.toFixed(1).padStart(7)}  max ${f.max.toFixed(1).padStart(7)}` : '—';

/** Lines `label | stock | patched` for the closing table. */
export function sideBySide(rows: { label: string; stock?: string; patched?: string }[]): string {
  const w = Math.max(...rows.map((r) => r.label.length));
  const c = Math.max(12, ...rows.map((r) => (r.stock ?? '').length));
  return rows.map((r) => `${r.label.padEnd(w)} │ ${(r.stock ?? '').padEnd(c)} │ ${r.patched ?? ''}`).join('\n');
}
