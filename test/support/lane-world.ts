/**
 * The lane-side world of coupons, lists and the 4.13/4.28 rules for tests: a real database, the Bluecard
 * sandbox on a manual clock, ParkPay's Bluecard port on a listening server (so the lot's records reach
 * ParkPay and the lot asks 4.13/4.28 there), and the services wired as in production (adapters, not fakes).
 *
 * One ManualClock drives the lot, the services and the Bluecard client; the client's sleep advances it, so
 * the 4.6 pacing (≥5 s after the lot's previous answer) takes no real time and every call is timed.
 */
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { BluecardClient, fetchTransport } from '../../server/src/adapter/bluecard';
import { BluecardLotGateway } from '../../server/src/adapter/bluecard/lot-gateway';
import { createApp } from '../../server/src/app';
import { ManualClock } from '../../server/src/core/clock';
import type { CouponPolicy, CouponService } from '../../server/src/core/coupons/service';
import type { BookingLookup, OpenGateRules } from '../../server/src/core/lanepay/open-gate';
import type { PreExitPricing, StayCreditSource } from '../../server/src/core/lanepay/pre-exit-pricing';
import type { ListsService } from '../../server/src/core/lists/service';
import { LotRecordsService } from '../../server/src/core/lot/lot-records';
import type { Operator } from '../../server/src/core/operators/model';
import type { OrderService } from '../../server/src/core/orders/orders';
import type { Park } from '../../server/src/core/parks';
import { createLogger } from '../../server/src/logger';
import { bluecardRouter } from '../../server/src/port/bluecard/router';
import { MongoCouponRepository } from '../../server/src/repository/coupons';
import { MongoListsRepository } from '../../server/src/repository/lists';
import { MongoLotRecordsRepository } from '../../server/src/repository/lot-records';
import { MongoOrderRepository } from '../../server/src/repository/orders';
import { MongoParkDirectory } from '../../server/src/repository/parks';
import { createCouponsListsModule } from '../../server/src/modules/coupons-lists';
import { createOrdersModule } from '../../server/src/modules/orders';
import { DEMO_PARK_KEY, DEMO_PARK_NUMBER, demoParks, startBluecardSandbox, type BluecardSandbox } from '../../server/sandbox/bluecard';
import { openTestDatabase, type TestDatabase } from './db';
import { startedOrStopped, type Stop } from './started';

/** One down call as the client made it, on the world's clock. */
export interface DownCallTiming {
  name: string;
  sentAt: number;
  answeredAt: number;
  body: unknown;
}

export interface LaneWorld {
  db: TestDatabase;
  url: string;
  clock: ManualClock;
  park: Park;
  bluecard: BluecardSandbox;
  client: BluecardClient;
  /** Every down call of the client, in order. */
  calls: DownCallTiming[];
  /** Every wait of the client's sleep (pacing, backoff), in ms. */
  waits: number[];
  parks: MongoParkDirectory;
  stays: MongoLotRecordsRepository;
  couponRepo: MongoCouponRepository;
  listsRepo: MongoListsRepository;
  coupons: CouponService;
  lists: ListsService;
  openGate: OpenGateRules;
  pricing: PreExitPricing;
  orders: OrderService;
  ops: { admin: Operator; operator: Operator; merchant: Operator; otherMerchant: Operator; stranger: Operator };
  /** A car drives in at the sandbox; its 4.2 record reaches ParkPay. Returns the orderId. */
  arrive(plate: string, minutesAgo?: number): Promise<string>;
  close(): Promise<void>;
}

export interface LaneWorldOptions {
  bookings?: BookingLookup;
  extraCredits?: StayCreditSource[];
  couponPolicy?: Partial<CouponPolicy>;
}

export function startLaneWorld(label: string, opts: LaneWorldOptions = {}): Promise<LaneWorld> {
  return startedOrStopped((started) => buildLaneWorld(label, opts, started));
}

async function buildLaneWorld(label: string, opts: LaneWorldOptions, started: Stop[]): Promise<LaneWorld> {
  const db = await openTestDatabase(label);
  started.push(() => db.dispose());
  const logger = createLogger('silent');
  const clock = new ManualClock(Date.UTC(2026, 10, 28, 1, 0, 0));
  const bluecard = await startBluecardSandbox({
    parks: demoParks(),
    clock,
    heartbeatMs: 0,
    announceLanesOnStart: false,
    onError: (e) => console.error('bluecard sandbox', e),
  });
  started.push(() => bluecard.stop());
  const park: Park = { parkNumber: DEMO_PARK_NUMBER, key: DEMO_PARK_KEY, bluecardBaseUrl: bluecard.url };

  const parks = new MongoParkDirectory(db.connection, 0);
  const stays = new MongoLotRecordsRepository(db.connection);
  const couponRepo = new MongoCouponRepository(db.connection);
  const listsRepo = new MongoListsRepository(db.connection);
  const orderRepo = new MongoOrderRepository(db.connection);
  await Promise.all([parks.init(), stays.init(), couponRepo.init(), listsRepo.init(), orderRepo.init()]);
  await parks.upsert(park);

  const calls: DownCallTiming[] = [];
  const waits: number[] = [];
  const client = new BluecardClient({
    clock,
    backoffMs: [],
    timeoutMs: 3_000,
    sleep: async (ms) => {
      waits.push(ms);
      clock.advance(ms);
    },
    transport: async (url, init) => {
      const call: DownCallTiming = { name: url.slice(url.lastIndexOf('/') + 1), sentAt: clock.now(), answeredAt: NaN, body: JSON.parse(init.body) };
      calls.push(call);
      try {
        return await fetchTransport(url, init);
      } finally {
        // A lot that takes 200 ms to answer (on the world's clock).
        clock.advance(200);
        call.answeredAt = clock.now();
      }
    },
  });

  // The orders module, and the coupons and lists module as the server builds them (its stay coupons shown on the order service's fees).
  const ordersModule = createOrdersModule({ orderRepo, parks, stays, lot: new BluecardLotGateway(client), clock, logger });
  const module = await createCouponsListsModule({
    connection: db.connection,
    clock,
    logger,
    bluecard: client,
    parks,
    stays,
    bookings: { lookup: opts.bookings, credits: opts.extraCredits },
    orders: ordersModule,
    couponPolicy: opts.couponPolicy,
    listsOwner: `test-${label}`,
  });
  const { coupons, lists, openGate, pricing } = module;
  const orders = ordersModule.service;

  let handler: http.RequestListener = (_req, res) => res.writeHead(503).end();
  const server = http.createServer((req, res) => handler(req, res));
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  started.push(() => new Promise<void>((r) => server.close(() => r())));
  const url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  handler = createApp({
    logger,
    databaseReady: async () => true,
    routers: [bluecardRouter({ parks, clock, records: new LotRecordsService(stays, clock), lanePay: module.lanePay })],
  }).callback();
  await bluecard.setParkPayBaseUrl(url);

  const op = (id: string, role: Operator['role'], ps: string[], displayName?: string): Operator => ({ id, username: id, role, parks: ps, ...(displayName ? { displayName } : {}) });
  return {
    db, url, clock, park, bluecard, client, calls, waits, parks, stays, couponRepo, listsRepo, coupons, lists, openGate, pricing, orders,
    ops: {
      admin: op('op-admin', 'admin', []),
      operator: op('op-park', 'operator', [DEMO_PARK_NUMBER]),
      merchant: op('op-shop', 'merchant', [DEMO_PARK_NUMBER], '一楼咖啡'),
      otherMerchant: op('op-shop2', 'merchant', [DEMO_PARK_NUMBER], '二楼书店'),
      stranger: op('op-other', 'operator', ['p_other_001']),
    },
    async arrive(plate, minutesAgo = 0) {
      const { orderId } = await bluecard.park(DEMO_PARK_NUMBER).arrive({ lane: '东门入口', plate, wait: true });
      clock.advance(minutesAgo * 60_000);
      return orderId;
    },
    async close() {
      lists.stop();
      await lists.idle();
      await bluecard.stop();
      await new Promise<void>((r) => server.close(() => r()));
      await db.dispose();
    },
  };
}
