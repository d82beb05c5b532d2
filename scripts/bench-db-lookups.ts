/**
 * What the lookups of the request and delivery paths cost as the collections grow, on the stock FerretDB
 * v1.24.2 and on our patched build side by side (and on MongoDB too when MONGODB_URI is set).
 *
 *   npx tsx scripts/bench-db-lookups.ts [--sizes 1000,10000,100000] [--budget-ms 2500] [--max-samples 200]
 *
 * Both engines are started from the cache (built with `npm run db:build` and `npm run db:build -- --stock`
 * when missing), each on a fresh data folder, with the collections and indexes the repositories declare
 * today: orders, stays, agreements, bookings, documents of about 0.5–1 KB. At each size it measures:
 * findById; the conditional write of an order (findOneAndUpdate by {_id, status: {$in}}); and the hot
 * lookups, as the code makes them today (orders by parkNumber + outTradeNo, stays by park + orderId (an
 * _id) and by park + plate, agreements by driver + plate + provider, bookings by orderNo) and by an _id
 * built from the same natural key. Each is repeated on random existing documents for up to --budget-ms
 * (at least 5 and at most --max-samples times) and printed as median / p99 in ms with the sample count.
 */
import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import mongoose, { Schema, type Connection } from 'mongoose';
import {
  buildFerretDb,
  cachedBinaryPath,
  FERRETDB_VERSION,
  PATCHED_VERSION,
  startFerretDb,
  type SupervisedFerretDb,
} from '../server/src/repository/engine/ferretdb';

function arg(name: string, fallback: string): string {
  const i = process.argv.indexOf(`--${name}`);
  return i >= 0 && process.argv[i + 1] ? process.argv[i + 1]! : fallback;
}
const SIZES = arg('sizes', '1000,10000,100000').split(',').map(Number);
const BUDGET_MS = Number(arg('budget-ms', '2500'));
const MAX_SAMPLES = Number(arg('max-samples', '200'));
const MIN_SAMPLES = 5;
const CACHE = path.resolve(__dirname, '../.cache');

const Mixed = Schema.Types.Mixed;
const opts = { versionKey: false, minimize: false } as const;

/** The schemas and indexes as server/src/repository declares them (orders.ts, lot-records.ts, agreements.ts, bookings.ts). */
function models(conn: Connection) {
  const order = new Schema(
    { _id: String, driverId: String, kind: String, parkNumber: String, orderId: String, plate: String, outTradeNo: String, quote: Mixed, amountFen: Number, status: String, provider: String, gateway: Mixed, expiresAt: Date, payment: Mixed, delivery: Mixed, createdAt: Date, updatedAt: Date },
    opts,
  );
  order.index({ parkNumber: 1, outTradeNo: 1 }, { unique: true });
  order.index({ driverId: 1, createdAt: -1 });
  order.index({ driverId: 1, parkNumber: 1, orderId: 1, status: 1 });
  order.index({ status: 1, 'delivery.nextAttemptAt': 1 });
  order.index({ status: 1, 'refund.nextAttemptAt': 1 });
  order.index({ status: 1, expiresAt: 1 });
  const stay = new Schema({ _id: String, parkNumber: String, orderId: String, plate: String, plateKey: String, ticketCode: String, status: String, entry: Mixed, exit: Mixed }, opts)
    .index({ parkNumber: 1, orderId: 1 }, { unique: true })
    .index({ parkNumber: 1, plateKey: 1, status: 1 });
  // A stay's second key: one small document per car in, keyed by park + plate.
  const current = new Schema({ _id: String, stayId: String, inTime: Date }, opts);
  const agreement = new Schema(
    { _id: String, driverId: String, plate: String, plateKey: String, provider: String, state: String, signNo: String, agreementNo: String, payer: Mixed, signedAt: Date, createdAt: Date, updatedAt: Date },
    opts,
  )
    .index({ driverId: 1, plateKey: 1, provider: 1 }, { unique: true })
    .index({ provider: 1, signNo: 1 }, { unique: true })
    .index({ plateKey: 1 });
  const booking = new Schema(
    { _id: String, offerId: String, parkNumber: String, driverId: String, plate: String, plateKey: String, title: String, priceFen: Number, start: Date, end: Date, state: String, activeKey: String, orderNo: String, cancelRule: Mixed, createdAt: Date, updatedAt: Date },
    opts,
  )
    .index({ activeKey: 1 }, { unique: true })
    .index({ orderNo: 1 })
    .index({ driverId: 1, createdAt: -1 })
    .index({ parkNumber: 1, state: 1 })
    .index({ state: 1, 'cancel.nextAttemptAt': 1 });
  return {
    orders: conn.model('Order', order),
    stays: conn.model('Stay', stay),
    current: conn.model('CurrentStay', current),
    agreements: conn.model('Agreement', agreement),
    bookings: conn.model('Booking', booking),
  };
}
type Models = ReturnType<typeof models>;

async function createIndexes(m: Models): Promise<void> {
  await Promise.all([m.orders.createIndexes(), m.stays.createIndexes(), m.current.createIndexes(), m.agreements.createIndexes(), m.bookings.createIndexes()]);
}

const park = (i: number) => `p_${String(i % 20).padStart(3, '0')}`;
const plateKey = (i: number) => `京A${String(i).padStart(6, '0')}`;
const at = (i: number) => new Date(Date.UTC(2026, 0, 1) + i * 60_000);

/** The i-th document of each collection (deterministic, so every engine holds the same data). */
function docs(i: number) {
  const orderNo = `PP2026${String(i).padStart(10, '0')}`;
  const outTradeNo = `${park(i)}_1_ord${i}_083000`;
  const stayId = JSON.stringify([park(i), `ord${i}`]);
  return {
    order: {
      _id: orderNo, driverId: `d${i % 5000}`, kind: 'stay', parkNumber: park(i), orderId: `ord${i}`, plate: plateKey(i), outTradeNo,
      quote: { totalFen: 1200, paidFen: 0, discountFen: 0, payFen: 1200, inTime: at(i), quotedAt: at(i), durationMinutes: 95, remark: '停车费' },
      amountFen: 1200, status: i % 3 ? 'delivered' : 'paid', provider: 'wechat',
      gateway: { wallet: 'wechat', prepayId: `wx${'0'.repeat(20)}${i}`, openid: `o${'x'.repeat(26)}` },
      expiresAt: at(i + 15), payment: { provider: 'wechat', transactionId: `4200000${i}`, paidFen: 1200, paidAt: at(i + 2), payer: `o${'y'.repeat(26)}` },
      delivery: { state: i % 3 ? 'done' : 'pending', attempts: 1, nextAttemptAt: at(i + 3), lastError: null },
      createdAt: at(i), updatedAt: at(i + 3),
    },
    stay: {
      _id: stayId, parkNumber: park(i), orderId: `ord${i}`, plate: plateKey(i), plateKey: plateKey(i), ticketCode: `T${i}`, status: i % 4 ? 'out' : 'in',
      entry: { inTime: at(i), passagewayId: '1', inPassageway: '东门入口', imageName: `in_${i}.jpg`, carType: 'small', operator: 'auto', remark: 'x'.repeat(120) },
    },
    current: { _id: JSON.stringify([park(i), plateKey(i)]), stayId, inTime: at(i) },
    agreement: {
      _id: `ag${i}`, driverId: `d${i}`, plate: plateKey(i), plateKey: plateKey(i), provider: i % 2 ? 'wechat' : 'alipay', state: 'active', signNo: `S${i}`,
      agreementNo: `2026${i}`, payer: { openid: `o${'z'.repeat(26)}` }, signedAt: at(i), createdAt: at(i), updatedAt: at(i),
    },
    booking: {
      _id: `BK${i}`, offerId: `of${i % 50}`, parkNumber: park(i), driverId: `d${i}`, plate: plateKey(i), plateKey: plateKey(i), title: '地下车位 全天', priceFen: 3000,
      start: at(i), end: at(i + 600), state: 'booked', activeKey: `ak${i}`, orderNo: `PB2026${String(i).padStart(10, '0')}`, cancelRule: { freeBeforeMinutes: 60, feePercent: 20 },
      createdAt: at(i), updatedAt: at(i),
    },
  };
}

async function fill(m: Models, from: number, to: number): Promise<void> {
  const batch = 1_000;
  for (let i = from; i < to; i += batch) {
    const ds = Array.from({ length: Math.min(batch, to - i) }, (_, j) => docs(i + j));
    await Promise.all([
      m.orders.collection.insertMany(ds.map((d) => d.order as never), { ordered: false }),
      m.stays.collection.insertMany(ds.map((d) => d.stay as never), { ordered: false }),
      m.current.collection.insertMany(ds.map((d) => d.current as never), { ordered: false }),
      m.agreements.collection.insertMany(ds.map((d) => d.agreement as never), { ordered: false }),
      m.bookings.collection.insertMany(ds.map((d) => d.booking as never), { ordered: false }),
    ]);
  }
}

interface Lookup {
  name: string;
  run: (m: Models, i: number) => Promise<unknown>;
}

const lean = <T>(q: { lean(): Promise<T> }) => q.lean();
const LOOKUPS: Lookup[] = [
  { name: 'orders findById', run: (m, i) => lean(m.orders.findById(docs(i).order._id)) },
  {
    name: 'orders conditional write {_id, status:{$in}}',
    run: (m, i) => lean(m.orders.findOneAndUpdate({ _id: docs(i).order._id, status: { $in: ['paid', 'delivered'] } }, { $set: { updatedAt: new Date() } }, { returnDocument: 'after' })),
  },
  { name: 'orders by parkNumber+outTradeNo (today)', run: (m, i) => lean(m.orders.findOne({ parkNumber: park(i), outTradeNo: docs(i).order.outTradeNo })) },
  { name: 'orders by outTradeNo as _id', run: (m, i) => lean(m.orders.findById(docs(i).order._id)) },
  { name: 'stays by park+orderId (today: _id)', run: (m, i) => lean(m.stays.findById(docs(i).stay._id)) },
  { name: 'stays by park+plate, in (today)', run: (m, i) => lean(m.stays.find({ parkNumber: park(i), plateKey: plateKey(i), status: 'in' })) },
  { name: 'stays by park+plate as _id (lookup doc)', run: (m, i) => lean(m.current.findById(docs(i).current._id)) },
  { name: 'agreements by driver+plate+provider (today)', run: (m, i) => lean(m.agreements.findOne({ driverId: `d${i}`, plateKey: plateKey(i), provider: docs(i).agreement.provider })) },
  { name: 'agreements by plate+provider as _id', run: (m, i) => lean(m.agreements.findById(docs(i).agreement._id)) },
  { name: 'bookings by orderNo (today)', run: (m, i) => lean(m.bookings.findOne({ orderNo: docs(i).booking.orderNo })) },
  { name: 'bookings by number (_id)', run: (m, i) => lean(m.bookings.findById(docs(i).booking._id)) },
];

interface Engine {
  label: string;
  models: Models;
  conn: Connection;
  stop(): Promise<void>;
}

/** A tiny deterministic PRNG, so every engine is asked for the same documents. */
function rng(seed: number) {
  let s = seed >>> 0;
  return () => {
    s = (s * 1_664_525 + 1_013_904_223) >>> 0;
    return s / 2 ** 32;
  };
}

async function measure(e: Engine, l: Lookup, n: number): Promise<number[]> {
  const next = rng(n + l.name.length);
  // Warm up: three runs, or one when it is slow (a scan of 100,000 documents takes seconds).
  for (let k = 0, s = performance.now(); k < 3 && performance.now() - s < BUDGET_MS / 5; k++) await l.run(e.models, Math.floor(next() * n));
  const times: number[] = [];
  const until = performance.now() + BUDGET_MS;
  while (times.length < MAX_SAMPLES && (times.length < MIN_SAMPLES || performance.now() < until)) {
    const i = Math.floor(next() * n);
    const s = performance.now();
    const r = await l.run(e.models, i);
    times.push(performance.now() - s);
    if (r === null || (Array.isArray(r) && r.length === 0 && i % 4 === 0)) throw new Error(`${e.label}: ${l.name} found nothing for document ${i}`);
  }
  return times.sort((a, b) => a - b);
}

const pct = (xs: number[], p: number) => xs[Math.min(xs.length - 1, Math.ceil((p / 100) * xs.length) - 1)]!;
const fmt = (xs: number[]) => `${pct(xs, 50).toFixed(2)} / ${pct(xs, 99).toFixed(2)} (${xs.length})`.padEnd(26);

async function ferret(patched: boolean, tmp: string): Promise<Engine> {
  let bin = cachedBinaryPath(CACHE, { patched });
  if (!existsSync(bin)) bin = buildFerretDb(CACHE, (m) => console.log(m), { patched }).path;
  const engine: SupervisedFerretDb = await startFerretDb({ path: bin }, path.join(tmp, patched ? 'patched' : 'stock'), { restart: false });
  const conn = await mongoose.createConnection(engine.uri, { dbName: 'bench', autoIndex: false }).asPromise();
  const m = models(conn);
  await createIndexes(m);
  const label = `FerretDB ${engine.version}${patched ? '' : ' (stock)'}`;
  console.log(`${patched ? 'patched' : 'stock  '}: ${label}  ${bin}`);
  return {
    label,
    models: m,
    conn,
    async stop() {
      await conn.close();
      await engine.stop();
    },
  };
}

async function mongo(uri: string): Promise<Engine> {
  const conn = await mongoose.createConnection(uri, { dbName: `bench_lookups_${Date.now()}`, autoIndex: false }).asPromise();
  const m = models(conn);
  await createIndexes(m);
  const info = await conn.db!.admin().command({ buildInfo: 1 });
  console.log(`mongodb: ${info.version}  ${uri.replace(/\/\/[^@/]*@/, '//…@')}`);
  return {
    label: `MongoDB ${info.version}`,
    models: m,
    conn,
    async stop() {
      await conn.dropDatabase();
      await conn.close();
    },
  };
}

async function main() {
  const tmp = mkdtempSync(path.join(os.tmpdir(), 'parkpay-bench-lookups-'));
  const engines: Engine[] = [];
  try {
    engines.push(await ferret(false, tmp), await ferret(true, tmp));
    if (process.env.MONGODB_URI) engines.push(await mongo(process.env.MONGODB_URI));
    console.log(`\nstock = FerretDB ${FERRETDB_VERSION} as the module proxy serves it; patched = ${PATCHED_VERSION} (tools/ferretdb/patches)`);
    console.log(`ms per operation: median / p99 (samples); up to ${BUDGET_MS} ms or ${MAX_SAMPLES} samples each; ${os.cpus().length} CPUs, load ${os.loadavg()[0]!.toFixed(1)}\n`);
    const heads = ['stock', 'patched', 'mongodb'].slice(0, engines.length);
    console.log(`${'docs'.padStart(7)}  ${'lookup'.padEnd(46)} ${heads.map((h) => h.padEnd(26)).join(' ')}`);
    let have = 0;
    for (const n of SIZES) {
      const started = performance.now();
      for (const e of engines) await fill(e.models, have, n);
      have = n;
      console.log(`${''.padStart(7)}  (filled to ${n.toLocaleString('en')} documents a collection in ${((performance.now() - started) / 1000).toFixed(1)} s)`);
      for (const l of LOOKUPS) {
        const cells: string[] = [];
        for (const e of engines) cells.push(fmt(await measure(e, l, n)));
        console.log(`${n.toLocaleString('en').padStart(7)}  ${l.name.padEnd(46)} ${cells.join(' ')}`);
      }
    }
  } finally {
    for (const e of engines) await e.stop().catch(() => {});
    rmSync(tmp, { recursive: true, force: true });
  }
}

main().catch((e) => {
  console.error(e);
  process.exit(1);
});
