/**
 * Benchmark: from WeChat Pay's payment notification to the lot's acknowledgement of sendPayRes (4.5) — the
 * time a driver waits at the barrier after paying. Everything real on loopback: ParkPay's notify port and
 * order worker on an embedded FerretDB (or MONGODB_URI), the WeChat Pay sandbox (signed, encrypted
 * notifications), the Bluecard sandbox (checks our sign and body).
 *
 *   npx tsx scripts/bench-payment-to-barrier.ts [payments=1000]
 *
 * Each payment is prepared first (car in the lot, priced, WeChat order created); then, one at a time, the
 * payer pays in the sandbox (which sends the notification at once) and the clock stops when sendPayRes is
 * acknowledged. Prints median, p90, p99, max.
 */
import http from 'node:http';
import { mkdtempSync, rmSync } from 'node:fs';
import type { AddressInfo } from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { BluecardClient } from '../server/src/adapter/bluecard';
import { BluecardLotGateway } from '../server/src/adapter/bluecard/lot-gateway';
import { WechatPaymentGateway } from '../server/src/adapter/payments/wechat-gateway';
import { WechatPayAdapter } from '../server/src/adapter/wechatpay';
import { createApp } from '../server/src/app';
import { ManualClock, systemClock } from '../server/src/core/clock';
import { LotRecordsService } from '../server/src/core/lot/lot-records';
import type { SendPayRes } from '../server/src/core/orders/gateways';
import { newOrderNo, OrderService } from '../server/src/core/orders/orders';
import type { Park } from '../server/src/core/parks';
import { createLogger } from '../server/src/logger';
import { bluecardRouter } from '../server/src/port/bluecard/router';
import { OrderWorker } from '../server/src/port/jobs/order-worker';
import { NOTIFY_PATHS, notifyRouter } from '../server/src/port/notify/router';
import { Database } from '../server/src/repository/database';
import { MongoLotRecordsRepository } from '../server/src/repository/lot-records';
import { MongoOrderRepository } from '../server/src/repository/orders';
import { MongoParkDirectory } from '../server/src/repository/parks';
import { demoParks, startBluecardSandbox } from '../server/sandbox/bluecard';
import { startWechatPaySandbox } from '../server/sandbox/wechatpay';

const N = Number(process.argv[2] ?? 1000);
const OPENID = 'oBench-driver';

function percentile(sorted: number[], p: number): number {
  return sorted[Math.min(sorted.length - 1, Math.ceil((p / 100) * sorted.length) - 1)]!;
}

async function main() {
  const dataDir = mkdtempSync(path.join(os.tmpdir(), 'parkpay-bench-'));
  const logger = createLogger('silent');
  const db = await Database.open({
    uri: process.env.MONGODB_URI,
    dbName: `bench_${Date.now()}`,
    dataDir,
    cacheDir: path.resolve(__dirname, '../.cache'),
    log: (m) => console.log(m),
  });
  const engine = await db.describe();

  const def = { ...demoParks()[0]!, parkNumber: 'p_bench', areas: [{ id: 1, name: '地面', spaces: 100_000, bookable: 0 }, { id: 2, name: '地下', spaces: 100_000, bookable: 0 }], spaces: [] };
  const lotClock = new ManualClock(Date.UTC(2026, 10, 28, 1, 0, 0));
  const bluecard = await startBluecardSandbox({ parks: [def], clock: lotClock, heartbeatMs: 0, announceLanesOnStart: false, autoExitOnPayment: false });
  const wechat = await startWechatPaySandbox({ mode: 'publicKey' });
  const park: Park = { parkNumber: def.parkNumber, key: def.key, bluecardBaseUrl: bluecard.url };

  const parks = new MongoParkDirectory(db.connection);
  const stays = new MongoLotRecordsRepository(db.connection);
  const orderRepo = new MongoOrderRepository(db.connection);
  await Promise.all([parks.init(), stays.init(), orderRepo.init()]);
  await parks.upsert(park);

  let handler: http.RequestListener = (_q, s) => s.writeHead(503).end();
  const server = http.createServer((q, s) => handler(q, s));
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  const url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;

  // Stop the clock when the lot acknowledges sendPayRes.
  const acked = new Map<string, (t: number) => void>();
  const client = new BluecardClient({ backoffMs: [] });
  const baseLot = new BluecardLotGateway(client);
  const lot = Object.assign(Object.create(baseLot) as BluecardLotGateway, {
    async sendPayRes(p: Park, pay: SendPayRes) {
      await baseLot.sendPayRes(p, pay);
      acked.get(pay.transactionID)?.(performance.now());
    },
  });
  const wechatAdapter = new WechatPayAdapter({ config: wechat.merchant });
  const ref: { worker?: OrderWorker } = {};
  const orders = new OrderService({
    orders: orderRepo,
    parks,
    stays,
    lot,
    gateways: { wechat: new WechatPaymentGateway(wechatAdapter, `${url}${NOTIFY_PATHS.wechat}`) },
    clock: systemClock,
    // Preparing 1,000 payments on FerretDB takes minutes: keep the first ones payable.
    policy: { paymentTtlMs: 3 * 3_600_000 },
    onPaid: (no) => ref.worker?.kick(no),
  });
  ref.worker = new OrderWorker(orders, { logger, pollMs: 1000 });
  ref.worker.start();
  handler = createApp({
    logger,
    databaseReady: async () => true,
    routers: [
      bluecardRouter({ parks, clock: systemClock, records: new LotRecordsService(stays, systemClock) }),
      notifyRouter({ orders, wechat: wechatAdapter }),
    ],
  }).callback();
  await bluecard.setParkPayBaseUrl(url);

  console.log(`Preparing ${N} payments (database: ${engine.engine} ${engine.version}) …`);
  // Setup is not measured: cars enter, each stay is priced by the lot (4.4) and its WeChat order created.
  // (The fee lookup by plate is skipped here: on FerretDB v1 it scans the stays, which would make the
  // setup of 1,000 payments take many minutes.)
  const prepared: string[] = [];
  const lotPark = bluecard.park(def.parkNumber);
  const cars: { orderId: string; plate: string }[] = [];
  for (let i = 0; i < N; i++) {
    const plate = `京B${String(i).padStart(5, '0')}`;
    const { orderId } = await lotPark.arrive({ lane: '东门入口', plate, wait: false });
    cars.push({ orderId, plate });
  }
  lotClock.advance(75 * 60_000);
  for (const [i, car] of cars.entries()) {
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
    if (i % 100 === 99) console.log(`  ${i + 1} prepared`);
  }
  await bluecard.flushOutbox(); // the entry records reach ParkPay before measuring

  console.log('Measuring: payer pays → notification → verified, recorded → sendPayRes acknowledged …');
  const ms: number[] = [];
  const started = performance.now();
  for (const no of prepared) {
    const done = new Promise<number>((resolve) => acked.set(no, resolve));
    const t0 = performance.now();
    wechat.pay(no, { openid: OPENID });
    const t1 = await done;
    acked.delete(no);
    ms.push(t1 - t0);
  }
  const wall = performance.now() - started;
  await ref.worker.stop(); // let the last deliveries write their outcome
  const delivered = (await Promise.all(prepared.map((n) => orderRepo.get(n)))).filter((o) => o?.status === 'delivered').length;
  ms.sort((a, b) => a - b);
  const f = (x: number) => `${x.toFixed(1)} ms`;
  console.log(`\nnotification → sendPayRes acknowledged, ${N} payments, sequential, loopback, ${os.cpus().length} cores`);
  console.log(`  median ${f(percentile(ms, 50))}   p90 ${f(percentile(ms, 90))}   p99 ${f(percentile(ms, 99))}   max ${f(ms[ms.length - 1]!)}   min ${f(ms[0]!)}`);
  console.log(`  mean ${f(ms.reduce((a, b) => a + b, 0) / ms.length)}   wall ${(wall / 1000).toFixed(1)} s   delivered ${delivered}/${N}   lot payments ${lotPark.dump().payments.length}`);

  await Promise.all([bluecard.stop(), wechat.stop()]);
  await new Promise<void>((r) => server.close(() => r()));
  await db.connection.dropDatabase().catch(() => undefined);
  await db.close();
  rmSync(dataDir, { recursive: true, force: true });
}

main().catch((e) => {
  console.error(e);
  process.exit(1);
});
