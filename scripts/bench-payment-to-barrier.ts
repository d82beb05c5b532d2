/**
 * Benchmark: from WeChat Pay's payment notification to the lot's acknowledgement of sendPayRes (4.5) — the
 * time a driver waits at the barrier after paying. Everything real on loopback: ParkPay's notify port, the
 * order worker (delivering at once) and the job registry's safety-net poll (every second) on an embedded
 * FerretDB, the WeChat Pay sandbox (signed, encrypted notifications), the Bluecard sandbox (checks our sign
 * and body). Each FerretDB build runs in turn on a copy of the same data, and the figures are printed side
 * by side:
 *
 *   npx tsx scripts/bench-payment-to-barrier.ts [payments=1000] [--stored N] [--stock-payments P]
 *        [--stock <ferretdb binary>] [--patched <binary>] [--engines stock,patched]
 *
 *  - --stored N: N orders and N stays stored first (scripts/bench-seed.ts), as a lot that ran for a while;
 *  - --stock-payments: payments measured on the stock build (default: all, at most 30 when N ≥ 10,000:
 *    every lookup there reads the whole collection, and 1,000 payments would take hours);
 *  - the floor, in the same run and engine: a bare loopback POST answered after one insert;
 *  - the database commands of each payment (mongoose's command log): before the lot is called, and after
 *    its acknowledgement until the delivery is recorded;
 *  - --walk: no timing; the files and layer boundaries each payment's way runs through, from the payment in
 *    the sandbox to sendPayRes acknowledged (scripts/code-walk.ts), on the patched build with no stored data:
 *    `npx tsx scripts/bench-payment-to-barrier.ts 5 --walk`.
 * Payments are prepared 50 at a time (car in the lot, priced, WeChat order created), then paid one at a time:
 * the payer pays in the sandbox (which sends the notification at once) and the clock stops when sendPayRes
 * is acknowledged. Prints median, p90, p99, max.
 */
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import os from 'node:os';
import mongoose from 'mongoose';
import { BluecardClient } from '../server/src/adapter/bluecard';
import { BluecardLotGateway } from '../server/src/adapter/bluecard/lot-gateway';
import { WechatPayAdapter } from '../server/src/adapter/wechatpay';
import { createApp } from '../server/src/app';
import { ManualClock, systemClock } from '../server/src/core/clock';
import { LotRecordsService } from '../server/src/core/lot/lot-records';
import type { SendPayRes } from '../server/src/core/orders/gateways';
import { newOrderNo } from '../server/src/core/orders/orders';
import type { Park } from '../server/src/core/parks';
import { createLogger } from '../server/src/logger';
import { bluecardRouter } from '../server/src/port/bluecard/router';
import { newWorkerOwner } from '../server/src/port/jobs/order-worker';
import { JobRegistry } from '../server/src/port/jobs/registry';
import { NOTIFY_PATHS } from '../server/src/port/notify/router';
import { MongoLotRecordsRepository } from '../server/src/repository/lot-records';
import { MongoOrderRepository } from '../server/src/repository/orders';
import { MongoParkDirectory } from '../server/src/repository/parks';
import { MongoWorkQueue } from '../server/src/repository/work';
import { createOrdersModule } from '../server/src/modules/orders';
import { demoParks, startBluecardSandbox } from '../server/sandbox/bluecard';
import { startWechatPaySandbox } from '../server/sandbox/wechatpay';
import { CodeWalk } from './code-walk';
import { arg, copyDataDir, enginesToCompare, figures, fmt, openWith, removeDir, seededDataDir, sideBySide, type Engine, type Figures } from './bench-seed';

const N = Number(process.argv[2] && !process.argv[2].startsWith('--') ? process.argv[2] : 1000);
const STORED = Number(arg('stored') ?? 0);
const STOCK_PAYMENTS = Number(arg('stock-payments') ?? (STORED >= 10_000 ? Math.min(N, 5) : N));
const OPENID = 'oBench-driver';
const PARK = 'p_bench';
const DB = 'bench';
const CHUNK = 50;
const WALK = process.argv.includes('--walk') ? new CodeWalk() : undefined;

/** Database commands as mongoose logs them ("collection.method"), counted by phase of the payment under way. */
const commands = { phase: 'idle' as 'idle' | 'before' | 'after', before: [] as string[], after: [] as string[] };
mongoose.set('debug', (collection: string, method: string) => {
  // The safety-net poll's read of the work collection is not the payment's.
  if (collection === 'work' && method === 'find') return;
  if (commands.phase === 'before') commands.before.push(`${collection}.${method}`);
  else if (commands.phase === 'after') commands.after.push(`${collection}.${method}`);
});

interface Run {
  engine: Engine;
  payments?: Figures;
  floor?: Figures;
  before?: number;
  after?: number;
  beforeList?: string;
  afterList?: string;
  delivered?: string;
  wallS?: number;
}

async function runOn(engine: Engine, dataDir: string, payments: number): Promise<Run> {
  const logger = createLogger('silent');
  const db = await openWith(engine, dataDir, DB);
  const info = await db.describe();
  const def = { ...demoParks()[0]!, parkNumber: PARK, areas: [{ id: 1, name: '地面', spaces: 100_000, bookable: 0 }, { id: 2, name: '地下', spaces: 100_000, bookable: 0 }], spaces: [] };
  const lotClock = new ManualClock(Date.UTC(2026, 10, 28, 1, 0, 0));
  const bluecard = await startBluecardSandbox({ parks: [def], clock: lotClock, heartbeatMs: 0, announceLanesOnStart: false, autoExitOnPayment: false });
  const wechat = await startWechatPaySandbox({ mode: 'publicKey' });
  const park: Park = { parkNumber: def.parkNumber, key: def.key, bluecardBaseUrl: bluecard.url };

  const parks = new MongoParkDirectory(db.connection);
  const stays = new MongoLotRecordsRepository(db.connection);
  const orderRepo = new MongoOrderRepository(db.connection);
  const work = new MongoWorkQueue(db.connection);
  await Promise.all([parks.init(), stays.init(), orderRepo.init(), work.init()]);
  await parks.upsert(park);

  let handler: http.RequestListener = (_q, s) => s.writeHead(503).end();
  const server = http.createServer((q, s) => {
    if (q.url === NOTIFY_PATHS.wechat) commands.phase = 'before';
    handler(q, s);
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  const url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;

  // The floor: a bare loopback POST answered after one insert into the same engine.
  const floorColl = db.connection.collection('floor');
  const floorServer = http.createServer((q, s) => {
    q.resume();
    q.on('end', () => {
      void floorColl.insertOne({ at: new Date(), n: 1 }).then(
        () => s.writeHead(204).end(),
        () => s.writeHead(500).end(),
      );
    });
  });
  await new Promise<void>((r) => floorServer.listen(0, '127.0.0.1', r));
  const floorUrl = `http://127.0.0.1:${(floorServer.address() as AddressInfo).port}/`;

  // Stop the clock when the lot acknowledges sendPayRes.
  const acked = new Map<string, (t: number) => void>();
  const baseLot = new BluecardLotGateway(new BluecardClient({ backoffMs: [] }));
  const lot = Object.assign(Object.create(baseLot) as BluecardLotGateway, {
    async sendPayRes(p: Park, pay: SendPayRes) {
      commands.phase = 'idle';
      await baseLot.sendPayRes(p, pay);
      commands.phase = 'after';
      acked.get(pay.transactionID)?.(performance.now());
    },
  });
  const ordersModule = createOrdersModule({
    orderRepo,
    parks,
    stays,
    lot,
    clock: systemClock,
    logger,
    payments: { publicUrl: url, wechat: new WechatPayAdapter({ config: wechat.merchant }) },
    policy: { paymentTtlMs: 3 * 3_600_000 },
    owner: newWorkerOwner('bench:'),
  });
  // The safety net as in production: the job registry polls the work collection every second.
  const { service: orders, routers: notifyRouters } = ordersModule;
  const jobs = new JobRegistry({ work, clock: systemClock, logger }).add(ordersModule.jobs);
  jobs.start();
  handler = createApp({
    logger,
    databaseReady: async () => true,
    routers: [bluecardRouter({ parks, clock: systemClock, records: new LotRecordsService(stays, systemClock) }), ...notifyRouters],
  }).callback();
  await bluecard.setParkPayBaseUrl(url);
  const lotPark = bluecard.park(def.parkNumber);

  console.log(`\n[${engine.name}] ${info.engine} ${info.version} (${engine.bin}), ${STORED} stored; ${payments} payments, prepared ${CHUNK} at a time …`);
  const ms: number[] = [];
  const before: number[] = [];
  const after: number[] = [];
  let beforeList = '';
  let afterList = '';
  const paid: string[] = [];
  const started = performance.now();
  for (let from = 0; from < payments; from += CHUNK) {
    const cars: { orderId: string; plate: string }[] = [];
    for (let i = from; i < Math.min(payments, from + CHUNK); i++) {
      const plate = `京Z${String(i).padStart(5, '0')}`;
      const { orderId } = await lotPark.arrive({ lane: '东门入口', plate, wait: false });
      cars.push({ orderId, plate });
    }
    lotClock.advance(75 * 60_000);
    const prepared: string[] = [];
    for (const car of cars) {
      const priced = await baseLot.priceStay(park, car);
      const now = new Date();
      const orderNo = newOrderNo();
      await orderRepo.insert({
        orderNo, driverId: 'bench-driver', kind: 'prepay', parkNumber: park.parkNumber, orderId: car.orderId, plate: car.plate,
        outTradeNo: priced.outTradeNo, quote: priced.quote, amountFen: priced.quote.payFen, status: 'quoted',
        expiresAt: new Date(now.getTime() + 3_600_000), createdAt: now, updatedAt: now,
      });
      await orders.pay('bench-driver', orderNo, 'wechat', { openId: OPENID });
      prepared.push(orderNo);
    }
    await bluecard.flushOutbox(); // the entry records reach ParkPay before measuring
    for (const no of prepared) {
      commands.before = [];
      commands.after = [];
      const done = new Promise<number>((resolve) => acked.set(no, resolve));
      await WALK?.start();
      const t0 = performance.now();
      wechat.pay(no, { openid: OPENID });
      const t1 = await done;
      await WALK?.stop();
      acked.delete(no);
      ms.push(t1 - t0);
      // The delivery's outcome written (the worker's step finishes after the acknowledgement).
      await new Promise((r) => setTimeout(r, 15));
      commands.phase = 'idle';
      before.push(commands.before.length);
      after.push(commands.after.length);
      if (!beforeList) beforeList = commands.before.join(', ');
      if (!afterList) afterList = commands.after.join(', ');
      paid.push(no);
    }
    process.stdout.write(`  ${Math.min(payments, from + CHUNK)} paid\r`);
  }
  const wallS = (performance.now() - started) / 1000;
  await jobs.stop(); // the last deliveries write their outcome
  const delivered = (await Promise.all(paid.map((n) => orderRepo.get(n)))).filter((o) => o?.status === 'delivered').length;

  const floor: number[] = [];
  for (let i = 0; i < Math.min(payments, 1000); i++) {
    const t0 = performance.now();
    const res = await fetch(floorUrl, { method: 'POST', body: '{}' });
    await res.arrayBuffer();
    floor.push(performance.now() - t0);
  }

  await Promise.all([bluecard.stop(), wechat.stop()]);
  await Promise.all([new Promise<void>((r) => server.close(() => r())), new Promise<void>((r) => floorServer.close(() => r()))]);
  await db.close();
  const avg = (xs: number[]) => xs.reduce((a, b) => a + b, 0) / Math.max(1, xs.length);
  return {
    engine,
    payments: figures(ms),
    floor: figures(floor),
    before: avg(before),
    after: avg(after),
    beforeList,
    afterList,
    delivered: `${delivered}/${payments} delivered, lot counted ${lotPark.dump().payments.length}`,
    wallS,
  };
}

async function walk() {
  await WALK!.open();
  const engine = enginesToCompare().find((e) => e.name === 'patched') ?? enginesToCompare()[0]!;
  const seeded = await seededDataDir(engine, PARK, 0, DB);
  try {
    await runOn(engine, seeded.dir, N);
  } finally {
    removeDir(seeded.dir);
  }
  await WALK!.close();
  console.log(`\n${WALK!.report()}`);
}

async function main() {
  if (WALK) return walk();
  const engines = enginesToCompare();
  const seedWith = engines.find((e) => e.name === 'patched') ?? engines[0]!;
  console.log(`Seeding ${STORED} orders and ${STORED} stays (with the ${seedWith.name} build) …`);
  const seeded = await seededDataDir(seedWith, PARK, STORED, DB);
  console.log(`  inserted in ${seeded.insertS.toFixed(1)} s; first start of this version on them (keys, work items) ${seeded.migrateS.toFixed(1)} s`);
  const runs: Run[] = [];
  try {
    for (const engine of engines) {
      const dir = copyDataDir(seeded.dir);
      try {
        runs.push(await runOn(engine, dir, engine.name === 'stock' ? STOCK_PAYMENTS : N));
      } finally {
        removeDir(dir);
      }
    }
  } finally {
    removeDir(seeded.dir);
  }
  const by = (name: string) => runs.find((r) => r.engine.name === name);
  const row = (label: string, f: (r: Run) => string | undefined) => ({ label, stock: by('stock') && f(by('stock')!), patched: by('patched') && f(by('patched')!) });
  console.log(`\nnotification → sendPayRes acknowledged; ${STORED} orders and ${STORED} stays stored; sequential, loopback, ${os.cpus().length} cores; ms\n`);
  console.log(
    sideBySide([
      { label: '', stock: 'stock', patched: 'patched' },
      row('payment → barrier', (r) => fmt(r.payments)),
      row('floor: POST + one insert', (r) => fmt(r.floor)),
      row('commands before the lot call', (r) => r.before?.toFixed(2)),
      row('commands after the acknowledgement', (r) => r.after?.toFixed(2)),
      row('outcome', (r) => `${r.delivered}; wall ${r.wallS?.toFixed(1)} s`),
    ]),
  );
  const any = runs[0];
  if (any) {
    console.log(`\nthe commands of one payment — before the lot call: ${any.beforeList || '(none)'}`);
    console.log(`                                after its acknowledgement: ${any.afterList || '(none)'}`);
  }
}

main().catch((e) => {
  console.error(e);
  process.exit(1);
});
