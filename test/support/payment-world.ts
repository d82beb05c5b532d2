/**
 * A whole payment world for tests: a real database, ParkPay's ports on a listening server, the Bluecard,
 * WeChat Pay and Alipay sandboxes, and the order service wired as in production (adapters, not fakes).
 */
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { AlipayAdapter } from '../../server/src/adapter/alipay';
import { BluecardClient } from '../../server/src/adapter/bluecard';
import { BluecardLotGateway } from '../../server/src/adapter/bluecard/lot-gateway';
import { WechatPayAdapter } from '../../server/src/adapter/wechatpay';
import { createApp } from '../../server/src/app';
import { ManualClock, systemClock } from '../../server/src/core/clock';
import { LotRecordsService, type LotRecordEvents } from '../../server/src/core/lot/lot-records';
import type { OrderService, OrderServiceDeps } from '../../server/src/core/orders/orders';
import type { OrderPolicy } from '../../server/src/core/orders/policy';
import type { Park } from '../../server/src/core/parks';
import { createLogger } from '../../server/src/logger';
import { bluecardRouter, type BluecardPortDeps } from '../../server/src/port/bluecard/router';
import type { OrderWorker } from '../../server/src/port/jobs/order-worker';
import { MongoLotRecordsRepository } from '../../server/src/repository/lot-records';
import { MongoOrderRepository, orderModel } from '../../server/src/repository/orders';
import { MongoParkDirectory } from '../../server/src/repository/parks';
import type { FeatureModule } from '../../server/src/modules/module';
import { createOrdersModule, type OrdersModule } from '../../server/src/modules/orders';
import { startAlipaySandbox, type AlipaySandbox } from '../../server/sandbox/alipay';
import { DEMO_PARK_KEY, DEMO_PARK_NUMBER, demoParks, startBluecardSandbox, type BluecardSandbox } from '../../server/sandbox/bluecard';
import { startWechatPaySandbox, type WechatPaySandbox } from '../../server/sandbox/wechatpay';
import { openTestDatabase, type TestDatabase } from './db';
import { startedOrStopped, type Stop } from './started';

export interface PaymentWorld {
  db: TestDatabase;
  url: string;
  park: Park;
  lotClock: ManualClock;
  bluecard: BluecardSandbox;
  wechat: WechatPaySandbox;
  alipay: AlipaySandbox;
  wechatAdapter: WechatPayAdapter;
  alipayAdapter: AlipayAdapter;
  orders: OrderService;
  /** The orders module the world's order service is part of (its events, its extension points). */
  ordersModule: OrdersModule;
  orderRepo: MongoOrderRepository;
  stays: MongoLotRecordsRepository;
  worker: OrderWorker;
  /** Build another order service + worker on the same database (a second process, or a restart). */
  secondProcess(opts?: { kick?: boolean }): { orders: OrderService; worker: OrderWorker };
  /** The car arrives at the sandbox lot; its 4.2 record reaches ParkPay. */
  arrive(plate: string, minutesAgo: number): Promise<string>;
  /** Write fields of an order behind the order service's back (a bug, a tampered row, a lost write). */
  tamper(orderNo: string, fields: Record<string, unknown>): Promise<void>;
  close(): Promise<void>;
}

export interface PaymentWorldOptions {
  policy?: Partial<OrderPolicy>;
  kick?: boolean;
  wechatNotifyUrl?: string;
  wechatRefundNotifyUrl?: string;
  /** Simulated ms until a WeChat refund leaves PROCESSING (null: only settleRefund()); default 0. */
  wechatRefundSettleMs?: number | null;
  /** Order kinds delivered another way than sendPayRes (passes); filled in after the world starts. */
  deliveries?: OrderServiceDeps['deliveries'];
  /**
   * Feature modules built on the world's orders module as the server builds them, before the app: their lot
   * handlers and routes are mounted, and they are closed with the world (their jobs are the caller's).
   */
  modules?: (w: { connection: TestDatabase['connection']; stays: MongoLotRecordsRepository; parks: MongoParkDirectory; orderRepo: MongoOrderRepository; orders: OrdersModule }) => Promise<FeatureModule[]>;
  /** Also told when a refund starts (besides the worker's kick). */
  onRefund?: (orderNo: string) => void;
  /** Lane handlers (4.13, 4.28, …) of the Bluecard port; made once the world's repositories exist. */
  lanePay?: (w: { stays: MongoLotRecordsRepository; parks: MongoParkDirectory }) => BluecardPortDeps['lanePay'];
  /** false: a car paid at an exit lane waits there until told to leave (the lot's records can be changed first). */
  autoExitOnPayment?: boolean;
  /** Told of the lot's records as they are first stored (4.2 entries, 4.31 renewals). */
  lotEvents?: LotRecordEvents;
  /** The Alipay app in 公钥证书模式, and the seller id ParkPay is configured with. */
  alipay?: { certificateMode?: boolean; sellerId?: string };
}

export function startPaymentWorld(label: string, opts: PaymentWorldOptions = {}): Promise<PaymentWorld> {
  return startedOrStopped((started) => buildPaymentWorld(label, opts, started));
}

async function buildPaymentWorld(label: string, opts: PaymentWorldOptions, started: Stop[]): Promise<PaymentWorld> {
  const db = await openTestDatabase(label);
  started.push(() => db.dispose());
  const logger = createLogger('silent');
  const lotClock = new ManualClock(Date.UTC(2026, 10, 28, 1, 0, 0));
  const bluecard = await startBluecardSandbox({ parks: demoParks(), clock: lotClock, heartbeatMs: 0, announceLanesOnStart: false, autoExitOnPayment: opts.autoExitOnPayment, onError: (e) => console.error('bluecard sandbox', e) });
  started.push(() => bluecard.stop());
  const wechat = await startWechatPaySandbox({ mode: 'publicKey', timeScale: 1000, refundSettleMs: opts.wechatRefundSettleMs === undefined ? 0 : opts.wechatRefundSettleMs });
  started.push(() => wechat.stop());
  // Real time: on a clock 1000 times faster a trade's few minutes to be paid passed in a few hundred real
  // ms, and a busy machine took longer than that between making the trade and paying it.
  const alipay = await startAlipaySandbox({ certificateMode: opts.alipay?.certificateMode });
  started.push(() => alipay.stop());
  const park: Park = { parkNumber: DEMO_PARK_NUMBER, key: DEMO_PARK_KEY, bluecardBaseUrl: bluecard.url };

  const parks = new MongoParkDirectory(db.connection, 0);
  const stays = new MongoLotRecordsRepository(db.connection);
  const orderRepo = new MongoOrderRepository(db.connection);
  await Promise.all([parks.init(), stays.init(), orderRepo.init()]);
  await parks.upsert(park);

  // The server listens first so the notify URLs are known.
  let handler: http.RequestListener = (_req, res) => res.writeHead(503).end();
  const server = http.createServer((req, res) => handler(req, res));
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  started.push(() => new Promise<void>((r) => server.close(() => r())));
  const url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;

  const wechatAdapter = new WechatPayAdapter({ config: wechat.merchant });
  const alipayAdapter = new AlipayAdapter({
    ...(opts.alipay?.certificateMode ? alipay.certApp! : alipay.app),
    ...(opts.alipay?.sellerId ? { sellerId: opts.alipay.sellerId } : {}),
  });
  const lot = new BluecardLotGateway(new BluecardClient({ backoffMs: [], timeoutMs: 3_000 }));
  // One record of special deliveries for every process of the world (what the modules plug in counts for all).
  const deliveries: NonNullable<OrderServiceDeps['deliveries']> = opts.deliveries ?? {};
  const build = (kick: boolean) => {
    const m = createOrdersModule({
      orderRepo,
      parks,
      stays,
      lot,
      clock: systemClock,
      logger,
      payments: {
        publicUrl: url,
        wechat: wechatAdapter,
        wechatNotifyUrl: opts.wechatNotifyUrl,
        wechatRefundNotifyUrl: opts.wechatRefundNotifyUrl,
        alipay: alipayAdapter,
      },
      deliveries,
      policy: { deliveryBackoffMs: [0, 50, 100, 200], refundBackoffMs: [0, 50, 100], ...opts.policy },
      pollMs: 50,
      // As in production: the payment's write takes the delivery for this worker, which delivers at once.
      // Without kick, payments wait for a poll (a process that dies before delivering).
      deliverAtOnce: kick,
    });
    if (opts.onRefund) m.events.on('refundStarted', ({ orderNo }) => opts.onRefund!(orderNo));
    return { orders: m.service, worker: m.worker, routers: m.routers, module: m };
  };
  const main = build(opts.kick ?? true);
  const modules = (await opts.modules?.({ connection: db.connection, stays, parks, orderRepo, orders: main.module })) ?? [];
  started.push(async () => {
    for (const m of modules) await m.close?.();
  });
  const lanePay = Object.assign({}, opts.lanePay?.({ stays, parks }), ...modules.map((m) => m.lanePay ?? {})) as BluecardPortDeps['lanePay'];
  const others: OrderWorker[] = [];
  const app = createApp({
    logger,
    databaseReady: async () => true,
    routers: [
      bluecardRouter({ parks, clock: systemClock, records: new LotRecordsService(stays, systemClock, undefined, opts.lotEvents), lanePay }),
      ...main.routers,
      ...modules.flatMap((m) => m.routers ?? []),
    ],
  });
  handler = app.callback();
  await bluecard.setParkPayBaseUrl(url);
  // A running worker retries and refunds on its own; without `kick` the test drives the worker by hand.
  if (opts.kick ?? true) main.worker.start();
  started.push(() => main.worker.stop());

  return {
    db, url, park, lotClock, bluecard, wechat, alipay, wechatAdapter, alipayAdapter, orderRepo, stays,
    orders: main.orders,
    ordersModule: main.module,
    worker: main.worker,
    secondProcess(o = {}) {
      const p = build(o.kick ?? false);
      others.push(p.worker);
      return p;
    },
    async arrive(plate, minutesAgo) {
      const { orderId } = await bluecard.park(DEMO_PARK_NUMBER).arrive({ lane: '东门入口', plate, wait: true });
      lotClock.advance(minutesAgo * 60_000);
      return orderId;
    },
    async tamper(orderNo, fields) {
      await orderModel(db.connection).updateOne({ _id: orderNo }, { $set: fields });
    },
    async close() {
      for (const m of modules) await m.close?.();
      await main.worker.stop();
      for (const w of others) await w.stop();
      await Promise.all([bluecard.stop(), wechat.stop(), alipay.stop()]);
      await new Promise<void>((r) => server.close(() => r()));
      await db.dispose();
    },
  };
}

export { eventually } from './eventually';
