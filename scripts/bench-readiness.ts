/**
 * Benchmark: what /readyz and the metrics scrape cost as orders are kept (they are never removed). Both read
 * the delivery backlog (repository/operations.ts); it is measured two ways on the same data, side by side:
 *  - by status: counts and the oldest over the orders collection by status (no index has it: every count
 *    reads the collection whole), for comparison;
 *  - by work item: the orders with a work item, read by _id (MongoOperationsReadModel).
 * Both answers are printed too, and must agree.
 *
 *   npx tsx scripts/bench-readiness.ts [--stored 10000,30000] [--open 20] [--runs 7] [--engines stock,patched]
 *
 * N delivered orders (scripts/bench-seed.ts, as a lot that ran for a while) plus --open paid orders still to
 * be delivered (written through the order repository, with their work items), on each FerretDB build in turn.
 */
import type { Model } from 'mongoose';
import type { DeliveryBacklog } from '../server/src/core/operations';
import type { Order } from '../server/src/core/orders/model';
import type { Database } from '../server/src/repository/database';
import { MongoOperationsReadModel } from '../server/src/repository/operations';
import { MongoOrderRepository, orderModel } from '../server/src/repository/orders';
import { arg, enginesToCompare, figures, fmt, openWith, removeDir, seededDataDir, sideBySide, type Figures } from './bench-seed';

const SIZES = (arg('stored') ?? '10000,30000').split(',').map(Number);
const OPEN = Number(arg('open') ?? 20);
const RUNS = Number(arg('runs') ?? 7);
const PARK = 'p_bench';
const DB = 'bench';
const OWNERS = ['w1'];

/** The delivery backlog by status over the whole orders collection. */
async function byStatus(orders: Model<Record<string, unknown>>, now: Date): Promise<DeliveryBacklog> {
  const pending = { status: 'paid', 'delivery.state': 'pending' };
  const [undelivered, oldest, overdue, leasedByUs, leased, lapsed] = await Promise.all([
    orders.countDocuments(pending),
    orders.findOne(pending, { 'payment.paidAt': 1 }).sort({ 'payment.paidAt': 1 }).lean<{ payment?: { paidAt?: Date } }>(),
    orders.countDocuments({ ...pending, 'delivery.nextAttemptAt': { $lt: new Date(now.getTime() - 60_000) } }),
    orders.countDocuments({ ...pending, 'delivery.leaseOwner': { $in: OWNERS }, 'delivery.leaseUntil': { $gt: now } }),
    orders.countDocuments({ ...pending, 'delivery.leaseUntil': { $gt: now } }),
    orders.countDocuments({ ...pending, 'delivery.leaseUntil': { $ne: null, $lte: now } }),
  ]);
  const paidAt = oldest?.payment?.paidAt;
  return { undelivered, ...(paidAt ? { oldestPaidAt: new Date(paidAt) } : {}), overdue, leasedByUs, leasedByOthers: leased - leasedByUs, lapsed };
}

/** Paid orders still to be delivered, as the order repository writes them. */
async function addOpen(db: Database, now: Date): Promise<void> {
  const repo = new MongoOrderRepository(db.connection);
  await repo.init();
  for (let i = 0; i < OPEN; i++) {
    const at = new Date(now.getTime() - (i + 1) * 30_000);
    const o: Order = {
      orderNo: `PPOPEN${String(i).padStart(8, '0')}`,
      driverId: 'drv_open',
      kind: 'prepay',
      parkNumber: PARK,
      orderId: `open${i}`,
      plate: '京A00001',
      outTradeNo: `${PARK}_1_open${i}_100000`,
      quote: { chargeFen: 400, paidTotalFen: 0, profitChargeTotalFen: 0, payFen: 400, inTime: '', getTime: '', stopMinutes: 60, paidFreeMinutes: 0, profitMinutes: 0, imgName: '' },
      amountFen: 400,
      status: 'paid',
      expiresAt: at,
      payment: { provider: 'wechat', transactionId: `tx-open-${i}`, paidFen: 400, paidAt: at, via: 'notification' },
      delivery: {
        transactionID: `PPOPEN${String(i).padStart(8, '0')}`,
        state: 'pending',
        attempts: 1,
        refusals: 0,
        nextAttemptAt: at,
        ...(i % 3 === 0 ? { leaseOwner: OWNERS[0]!, leaseUntil: new Date(now.getTime() + 30_000) } : {}),
      },
      createdAt: at,
      updatedAt: at,
    };
    await repo.insert(o);
  }
}

async function timed(f: () => Promise<unknown>): Promise<Figures> {
  await f();
  const ms: number[] = [];
  for (let i = 0; i < RUNS; i++) {
    const t0 = performance.now();
    await f();
    ms.push(performance.now() - t0);
  }
  return figures(ms);
}

async function main(): Promise<void> {
  const now = new Date();
  const rows: { label: string; stock?: string; patched?: string }[] = [];
  for (const n of SIZES) {
    for (const engine of enginesToCompare()) {
      const { dir } = await seededDataDir(engine, PARK, n, DB);
      const db = await openWith(engine, dir, DB);
      try {
        await addOpen(db, now);
        const orders = orderModel(db.connection) as unknown as Model<Record<string, unknown>>;
        const ops = new MongoOperationsReadModel(db.connection);
        const [a, b] = [await byStatus(orders, now), await ops.deliveryBacklog(now, OWNERS)];
        const agree = JSON.stringify(a) === JSON.stringify(b);
        console.log(`${engine.name} ${n} stored + ${OPEN} open: by status ${JSON.stringify(a)}; by work item ${JSON.stringify(b)}${agree ? '' : '  ← DISAGREE'}`);
        const before = await timed(() => byStatus(orders, now));
        const after = await timed(() => ops.deliveryBacklog(now, OWNERS));
        rows.push({ label: `${n} stored, by status (ms)`, [engine.name]: fmt(before) });
        rows.push({ label: `${n} stored, by work item (ms)`, [engine.name]: fmt(after) });
      } finally {
        await db.close();
        removeDir(dir);
      }
    }
  }
  // One row per label, the engines side by side.
  const merged = new Map<string, { label: string; stock?: string; patched?: string }>();
  for (const r of rows) merged.set(r.label, { ...merged.get(r.label), ...r });
  console.log(`\ndelivery backlog (/readyz, metrics scrape), ${RUNS} runs each\n${sideBySide([{ label: '', stock: 'stock', patched: 'patched' }, ...merged.values()])}`);
}

main().then(
  () => process.exit(0),
  (e: unknown) => {
    console.error(e);
    process.exit(1);
  },
);
