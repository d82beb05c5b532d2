/**
 * Boot and shutdown of one ParkPay process, in this order:
 *   config → database (embedded engine if needed) → demo stand-ins (demo mode) → listen → adapters →
 *   feature modules (modules/*.ts, one contract: module.ts) → the app with every module's routers, API
 *   routes and lot handlers → the job registry with every module's jobs → the modules' start.
 * The server listens before the app is built (answering 503 for that instant) because payment notify URLs
 * need our address. stop(): no new connections, in-flight requests finish, the jobs finish their step, the
 * modules close, the stand-ins stop, the database closes, the embedded engine stops.
 */
import { randomBytes } from 'node:crypto';
import { readFileSync } from 'node:fs';
import http from 'node:http';
import os from 'node:os';
import path from 'node:path';
import type Router from '@koa/router';
import type { AddressInfo } from 'node:net';
import { AlipayAdapter } from './adapter/alipay';
import { BluecardClient, type AttemptReport } from './adapter/bluecard';
import { DRIVER_WAIT_BUDGET_MS } from './adapter/bluecard/calls';
import { BluecardLotGateway } from './adapter/bluecard/lot-gateway';
import { WechatLoginClient } from './adapter/wechat-login';
import { WechatPayAdapter } from './adapter/wechatpay';
import { createApp } from './app';
import { redactedConfig, type Config } from './config';
import { systemClock, type Clock } from './core/clock';
import type { EventBus } from './core/events';
import { IdentityService } from './core/identity';
import type { OperatorService } from './core/operators/service';
import { LotRecordsService } from './core/lot/lot-records';
import type { OrderEvents, OrderService } from './core/orders/orders';
import type { OrderPolicy } from './core/orders/policy';
import { PlateProofs } from './core/parking/proofs';
import { Retention } from './core/retention';
import type { Demo } from '../sandbox/demo';
import { createLogger, type Logger } from './logger';
import { Metrics } from './metrics';
import { createAgreementsModule } from './modules/agreements';
import { createBookingsModule } from './modules/bookings';
import { createCouponsListsModule } from './modules/coupons-lists';
import { createFaceToFaceModule } from './modules/face-to-face';
import { createHistoryModule } from './modules/history';
import { lotEventBus, lotRecordEvents } from './modules/lot-events';
import type { FeatureModule } from './modules/module';
import { createNoticesModule, type NoticesModule } from './modules/notices';
import { createOperatorsModule } from './modules/operators';
import { createOrdersModule } from './modules/orders';
import { createParkingModule } from './modules/parking';
import { createPassesModule } from './modules/passes';
import { apiRouter } from './port/api';
import { mountDemoRoutes } from './port/api/demo-routes';
import { LotCallGuard } from './port/bluecard/call-guard';
import { bluecardRouter } from './port/bluecard/router';
import { METRICS_PATH, metricsRouter, startMetricsServer, type MetricsServer } from './port/http/metrics-route';
import { openApiRouter } from './port/http/openapi';
import { staticAppRouter } from './port/http/static-app';
import { newWorkerOwner, type OrderWorker } from './port/jobs/order-worker';
import { JobRegistry } from './port/jobs/registry';
import { RetentionJob } from './port/jobs/retention-job';
import { Database, type EngineInfo } from './repository/database';
import { MongoDriverRepository, MongoSessionRepository } from './repository/drivers';
import { MongoLotCallSlots } from './repository/lot-call-slots';
import { MongoLotRecordsRepository } from './repository/lot-records';
import { MongoOperationsReadModel } from './repository/operations';
import { MongoOrderRepository } from './repository/orders';
import { MongoParkDirectory } from './repository/parks';
import { MongoPlateProofRepository } from './repository/plate-proofs';
import { MongoRetentionStore } from './repository/retention';
import { ensureSchema } from './repository/schema';
import { MongoVisitRepository } from './repository/visits';
import { MongoWorkQueue } from './repository/work';

export interface RunningServer {
  url: string;
  /** Demo mode's stand-ins (undefined in production mode). */
  demo?: Demo;
  config: Config;
  logger: Logger;
  database: Database;
  engine: EngineInfo;
  orders: OrderService;
  /** Operator accounts and sessions (tests create operators with it). */
  operators: OperatorService;
  worker: OrderWorker;
  /** E-invoices and messages to drivers (tests tell it events and wait for its work). */
  notices: NoticesModule;
  /** The retention pass (tests run it step by step). */
  retention: RetentionJob;
  metrics: Metrics;
  /** The metrics listener (config metrics.port), when there is one. */
  metricsUrl?: string;
  /** Every route the server mounts (method and path; the H5 app's catch-all and demo mode's lot playground, which is no API, left out): the OpenAPI document must name each. */
  routes: { method: string; path: string }[];
  stop(): Promise<void>;
}

/** The routes of these routers: layers with methods and a string path (middleware and the H5 catch-all have neither). */
function mountedRoutes(routers: Router[]): { method: string; path: string }[] {
  return routers.flatMap((r) =>
    r.stack.flatMap((layer) =>
      typeof layer.path === 'string' ? layer.methods.filter((m) => m !== 'HEAD').map((method) => ({ method, path: layer.path as string })) : [],
    ),
  );
}

/** package.json's version, found from the sources and from a build (dist/) alike. */
function packageVersion(): string {
  for (let dir = __dirname; path.dirname(dir) !== dir; dir = path.dirname(dir)) {
    try {
      const pkg = JSON.parse(readFileSync(path.join(dir, 'package.json'), 'utf8')) as { name?: string; version?: string };
      if (pkg.name === 'parkpay') return pkg.version ?? '0';
    } catch {
      // not here: look further up
    }
  }
  return '0';
}

export interface StartOptions {
  logger?: Logger;
  /** How long in-flight requests may take to finish on stop before their connections are cut. */
  drainMs?: number;
  /**
   * ParkPay's clock. Default: in demo mode the stand-ins' clock (one clock for all), else the system clock.
   * Given (tests): the stand-ins keep a clock of their own.
   */
  clock?: Clock;
  /** Start demo mode's stand-ins (default: when config.mode is 'demo'). Tests that bring their own pass false. */
  demo?: boolean;
  /** Order timings (tests shorten them). */
  orderPolicy?: Partial<OrderPolicy>;
  /** How often the job registry polls the work collection (default 1 s). */
  workerPollMs?: number;
}

/** The database open: the embedded engine when no URI is configured. */
function openDatabase(config: Config, logger: Logger): Promise<Database> {
  return Database.open({
    uri: config.mongodbUri,
    dataDir: config.dataDir,
    cacheDir: config.cacheDir,
    log: (m) => logger.info(m),
    warn: (m) => logger.warn(m),
    autoIndex: config.mode !== 'production',
  });
}

/** The engine described, and the schema this version needs checked (production) or built (demo, tests). */
async function prepareDatabase(config: Config, database: Database, logger: Logger): Promise<EngineInfo> {
  const engine = await database.describe();
  logger.info({ engine }, `database: ${engine.engine} ${engine.version}${database.embedded ? ' (embedded)' : ''}`);
  // Production builds no index itself: the database must have been migrated to this version (db:migrate).
  await ensureSchema(database.connection, {
    production: config.mode === 'production',
    engine: engine.engine,
    heartbeatDays: config.retention.heartbeatDays,
    by: `parkpay ${packageVersion()} (start)`,
    log: (fields, msg) => logger.info(fields, msg),
  });
  return engine;
}

/** The repositories several modules share, ready, with the configuration's parks registered. */
async function openSharedStores(database: Database, config: Config, logger: Logger) {
  const c = database.connection;
  // Lane calls are answered from the cached park while it refreshes (a failed refresh keeps it, up to 60 s).
  const parks = new MongoParkDirectory(c, undefined, {
    onRefreshError: (err, parkNumber) => logger.warn({ err, parkNumber }, 'park lookup: background refresh failed; the cached park is served meanwhile'),
  });
  const stores = {
    parks,
    lotRecords: new MongoLotRecordsRepository(c),
    drivers: new MongoDriverRepository(c),
    sessions: new MongoSessionRepository(c),
    orderRepo: new MongoOrderRepository(c),
    visits: new MongoVisitRepository(c),
    // The lot's pace of 4.6/4.9 per park is kept in the database: every ParkPay process keeps it together.
    callSlots: new MongoLotCallSlots(c),
    plateProofs: new MongoPlateProofRepository(c),
  };
  await Promise.all(Object.values(stores).map((r) => r.init()));
  // The configuration's parks are the registered ones (operators edit them in the database later).
  for (const { rateLimits: _limits, ...park } of config.parks) await parks.upsert(park);
  return stores;
}
type SharedStores = Awaited<ReturnType<typeof openSharedStores>>;

/** Demo mode's stand-ins, loaded only here: a production process never loads sandbox code. */
async function startDemoIfAsked(config: Config, opts: StartOptions, database: Database, parks: MongoParkDirectory, logger: Logger): Promise<Demo | undefined> {
  if (!(opts.demo ?? config.mode === 'demo')) return undefined;
  const { startDemo } = await import('../sandbox/demo.js');
  const demo = await startDemo({
    logger,
    host: config.host,
    ports: config.demo,
    // One clock for ParkPay and the stand-ins, unless a test drives ParkPay's own.
    shared: opts.clock === undefined,
    h5Dir: config.h5Dir,
    // The clock's lead is kept with the embedded database's data, so their times stay in step.
    clockFile: database.embedded ? path.join(config.dataDir, 'demo-clock.json') : undefined,
  });
  for (const park of demo.parks) await parks.upsert(park);
  return demo;
}

/** The sign alone is replayable (it never changes): a park answered from anywhere is open to whoever saw one call. */
async function warnOpenParks(parks: MongoParkDirectory, logger: Logger): Promise<void> {
  for (const p of await parks.list()) {
    if (!p.bluecardSources?.length) {
      logger.warn({ parkNumber: p.parkNumber }, `park ${p.parkNumber} has no bluecardSources: its lot calls are taken from any address, so a replayed sign works from anywhere; set the CIDRs of its Bluecard cloud in the configuration`);
    }
  }
}

interface Listener {
  server: http.Server;
  url: string;
  port: number;
  /** Where requests go once the app is built (503 until then). */
  serve(handler: http.RequestListener): void;
}

/** Listen first: the notify URLs we give WeChat Pay and Alipay carry our address. */
async function listen(config: Config, held: Held): Promise<Listener> {
  let handler: http.RequestListener = (_req, res) => res.writeHead(503, { 'retry-after': '1' }).end();
  // Requests must arrive in seconds (a slow body would hold the connection for minutes on Node's defaults);
  // timeouts are checked every second instead of every 30.
  const srv = http.createServer({ requestTimeout: config.http.requestTimeoutMs, headersTimeout: config.http.headersTimeoutMs, connectionsCheckingInterval: 1_000 }, (req, res) =>
    handler(req, res),
  );
  srv.keepAliveTimeout = config.http.keepAliveTimeoutMs;
  held.server = srv;
  await new Promise<void>((resolve, reject) => {
    srv.once('error', reject);
    srv.listen(config.port, config.host, () => resolve());
  });
  const { port } = srv.address() as AddressInfo;
  const url = `http://${config.host.includes(':') ? `[${config.host}]` : config.host}:${port}`;
  return { server: srv, url, port, serve: (h) => void (handler = h) };
}

/** The providers' adapters: configured services, else demo mode's sandboxes; the Bluecard client reports its attempts to the metrics. */
function createAdapters(config: Config, demo: Demo | undefined, clock: Clock, logger: Logger, metrics: Metrics, stores: SharedStores) {
  const wechatPayConfig = config.wechatPay ?? demo?.wechatPay;
  const alipayConfig = config.alipay ?? demo?.alipay;
  const wechatLoginConfig = config.wechatMiniProgram ?? demo?.wechatLogin;
  const bluecardOptions = {
    clock,
    logger,
    slots: stores.callSlots,
    onAttempt: (a: AttemptReport) => {
      metrics.lotCall.observe({ interface: a.path, outcome: a.outcome }, a.seconds);
      if (a.path === 'sendPayRes') {
        metrics.sendPayResAttempts.inc({ park: a.parkNumber });
        if (a.outcome !== 'ok') metrics.sendPayResFailures.inc({ park: a.parkNumber, kind: a.outcome });
      }
    },
  };
  return {
    wechatPayConfig,
    alipayConfig,
    wechatLoginConfig,
    wechatPay: wechatPayConfig ? new WechatPayAdapter({ config: wechatPayConfig, clock, logger }) : undefined,
    alipay: alipayConfig ? new AlipayAdapter(alipayConfig, { clock }) : undefined,
    wechatLogin: wechatLoginConfig ? new WechatLoginClient(wechatLoginConfig) : undefined,
    bluecard: new BluecardClient(bluecardOptions),
    // A driver looking at a plate's pass waits on 4.8 no longer than on any lot answer.
    driverBluecard: new BluecardClient({ ...bluecardOptions, budgetMs: { queryWhite: DRIVER_WAIT_BUDGET_MS } }),
  };
}
type Adapters = ReturnType<typeof createAdapters>;

/** What the modules are built from. */
interface Assembly {
  config: Config;
  opts: StartOptions;
  demo?: Demo;
  database: Database;
  clock: Clock;
  logger: Logger;
  stores: SharedStores;
  adapters: Adapters;
  publicUrl: string;
  port: number;
  lotCalls: LotCallGuard;
}

/** Orders, and the features whose orders it takes (they plug their deliveries into it as they are made). */
async function createMoneyModules(a: Assembly) {
  const { config, demo, clock, logger, stores: s, adapters: x, publicUrl } = a;
  const base = { connection: a.database.connection, clock, logger, bluecard: x.bluecard, parks: s.parks, stays: s.lotRecords, orderRepo: s.orderRepo };
  const orders = createOrdersModule({
    orderRepo: s.orderRepo,
    parks: s.parks,
    stays: s.lotRecords,
    lot: new BluecardLotGateway(x.bluecard),
    clock,
    logger,
    payments: { publicUrl, wechat: x.wechatPay, wechatNotifyUrl: x.wechatPayConfig?.notifyUrl, alipay: x.alipay, alipayNotifyUrl: x.alipayConfig?.notifyUrl },
    policy: a.opts.orderPolicy,
    // Home: this host and port, which no other live process shares; a restart here takes over the leases
    // of the process it replaces at once (OrderWorker.takeOver).
    owner: newWorkerOwner('', `${os.hostname()}:${a.port}`),
    pollMs: a.opts.workerPollMs,
  });
  // Which plates a driver has proved theirs where: their stays' details, and whether a plate is a lot's monthly car.
  const proofs = new PlateProofs({ proofs: s.plateProofs, orders: s.orderRepo, visits: s.visits, records: s.lotRecords, clock });
  const lot = lotEventBus(logger);
  // Bookings (4.18/4.19): their let-in windows feed 4.28, their orders are delivered by 4.18.
  const bookings = await createBookingsModule({ ...base, orders });
  // Coupons, white/black lists, and the lane answers that read them (4.13, 4.28).
  const couponsLists = await createCouponsListsModule({ ...base, bookings: { lookup: bookings.lookup }, orders });
  // Monthly passes: their orders are delivered by extending the plate's whitelist entry (4.8, 4.6).
  const passes = await createPassesModule({ ...base, driverBluecard: x.driverBluecard, proofs, orders, lot });
  // Withholding agreements and the lane payments that use them (4.16, 4.17, 4.27).
  const agreements = await createAgreementsModule({
    ...base, config, demo, publicUrl, wechatPay: x.wechatPay, wechatPayConfig: x.wechatPayConfig, alipay: x.alipay, alipayConfig: x.alipayConfig,
    drivers: s.drivers, alerts: a.lotCalls, orders,
  });
  // Booth face-to-face payment (4.24–4.26).
  const faceToFace = await createFaceToFaceModule({ ...base, wechatPayConfig: x.wechatPayConfig, alipayConfig: x.alipayConfig, coupons: couponsLists.coupons });
  return { orders, proofs, lot, bookings, couponsLists, passes, agreements, faceToFace };
}

/** Every module of the process, in the order they start and their routes are mounted. */
async function createModules(a: Assembly) {
  const { config, clock, logger, stores: s, adapters: x, publicUrl } = a;
  const connection = a.database.connection;
  const money = await createMoneyModules(a);
  // What a driver gets after paying: e-invoices and messages.
  const notices = await createNoticesModule({
    config, demo: a.demo, connection, clock, logger, publicUrl, urlSigningKey: config.urlSigningKey ?? randomBytes(32).toString('hex'),
    wechatPay: x.wechatPay, wechatPayBaseUrl: x.wechatPayConfig?.baseUrl, wechatAppId: x.wechatPayConfig?.appId, wechatMiniProgram: x.wechatLoginConfig, alipayConfig: x.alipayConfig,
    drivers: s.drivers, orderRepo: s.orderRepo, stays: s.lotRecords, parks: s.parks, pollMs: a.opts.workerPollMs,
    orders: money.orders, deductions: money.agreements.events, passes: money.passes, lot: money.lot,
  });
  const parking = await createParkingModule({
    connection, clock, bluecard: x.bluecard, parks: s.parks, stays: s.lotRecords, visits: s.visits, orderRepo: s.orderRepo, proofs: money.proofs,
    orders: money.orders, urlSigningKey: config.urlSigningKey ?? randomBytes(32).toString('hex'),
  });
  const operators = await createOperatorsModule({
    connection, clock, logger, bluecard: x.bluecard, parks: s.parks, stays: s.lotRecords, laneLabels: parking.laneLabels, publicUrl,
    laneQrProviders: [...(x.wechatPay ? (['wechat'] as const) : []), ...(x.alipay ? (['alipay'] as const) : [])],
    imageLink: (parkNumber, imageName) => parking.service.imageLink(parkNumber, imageName),
  });
  if (a.demo) await (await import('../sandbox/demo.js')).ensureDemoOperator(operators.operators, logger);
  const history = createHistoryModule({ connection, parks: s.parks, stays: s.lotRecords, orders: s.orderRepo });
  const { orders, couponsLists, agreements, bookings, passes, faceToFace } = money;
  // Orders first: its start takes over at once the deliveries of the process this one replaces (a driver
  // may be waiting at the barrier), before the slower starts of the others.
  const list: FeatureModule[] = [orders, operators, couponsLists, parking, history, agreements, bookings, passes, notices, faceToFace];
  return { orders, notices, operators, lot: money.lot, list };
}
type Modules = Awaited<ReturnType<typeof createModules>>;

/** The payments' counters and the delivery's timing, from the order service's events. */
function countPayments(metrics: Metrics, events: EventBus<OrderEvents>): void {
  const provider = (o: { payment?: { provider?: string } }) => o.payment?.provider ?? 'unknown';
  events.on('paymentRecorded', ({ order, outcome }) => metrics.payments.inc({ provider: provider(order), outcome }));
  events.on('delivered', ({ order, seconds }) => {
    metrics.payments.inc({ provider: provider(order), outcome: 'delivered' });
    metrics.paymentToLot.observe({ provider: provider(order) }, seconds);
  });
  events.on('refunded', ({ order }) => metrics.payments.inc({ provider: provider(order), outcome: 'refunded' }));
}

/** The lot's money calls each module answers, together; one interface answered by two modules is a wiring error. */
function lanePayOf(modules: FeatureModule[]): FeatureModule['lanePay'] {
  const all: Record<string, unknown> = {};
  for (const [name, handler] of modules.flatMap((mod) => Object.entries(mod.lanePay ?? {}))) {
    if (name in all) throw new Error(`two modules answer the lot's ${name}`);
    all[name] = handler;
  }
  return all as FeatureModule['lanePay'];
}

/** Every router of the app, in the order they are tried: the modules' own after the lot's, the API after those. */
function appRouters(a: Assembly, m: Modules, metrics: Metrics): Router[] {
  const { config, demo, clock } = a;
  const api = apiRouter({
    identity: new IdentityService({ drivers: a.stores.drivers, sessions: a.stores.sessions, clock, wechat: a.adapters.wechatLogin, alipay: a.adapters.alipay, demoLogin: config.mode === 'demo' }),
    operators: { authenticator: m.operators.operators, audit: m.operators.audit, clock },
  });
  for (const mod of m.list) mod.mountApi?.(api);
  mountDemoRoutes(api, demo);
  const records = new LotRecordsService(a.stores.lotRecords, clock, undefined, lotRecordEvents(m.lot));
  const lanePay = lanePayOf(m.list);
  // Demo mode builds the app in the background on first start: serve it as soon as it is there.
  const h5 = staticAppRouter(config.h5Dir, { appearsLater: demo !== undefined });
  return [
    ...(config.metrics?.token ? [metricsRouter(metrics, config.metrics.token)] : []),
    openApiRouter({ version: packageVersion(), publicBaseUrl: config.publicBaseUrl }),
    bluecardRouter({ parks: a.stores.parks, clock, guard: a.lotCalls, records, lanePay }),
    ...m.list.flatMap((mod) => mod.routers ?? []),
    api,
    ...(demo ? [demo.router] : []),
    ...(h5 ? [h5] : []),
  ];
}

/** /readyz: the jobs alive, and the payments' delivery not behind. */
function readiness(a: Assembly, engine: EngineInfo, worker: OrderWorker, notices: NoticesModule, registry: JobRegistry, operations: MongoOperationsReadModel) {
  const { database, clock } = a;
  return async (databaseUp: boolean) => {
    // The delivery worker runs as a handler of the job registry: the registry's poll is what runs it.
    const jobs = registry.health();
    const body: Record<string, unknown> = {
      engine: { name: engine.engine, version: engine.version, embedded: database.embedded !== undefined, up: database.available() },
      // E-invoices and messages (their kinds of pending work) are listed; readiness is the payments' delivery:
      // a provider that does not answer slows its own kind, and must not take the instance out of service.
      jobs: { owner: registry.owner, running: jobs.running, lastPollAgoMs: jobs.lastPollAgoMs, stalled: jobs.stalled, notices: notices.worker.health() },
    };
    if (databaseUp) {
      const now = clock.now();
      const d = await operations.deliveryBacklog(new Date(now), [worker.owner, registry.owner]);
      const oldestAgeSeconds = d.oldestPaidAt ? Math.round(Math.max(0, now - d.oldestPaidAt.getTime()) / 1000) : 0;
      body.leases = { heldByUs: d.leasedByUs, heldByOthers: d.leasedByOthers, lapsed: d.lapsed };
      // Behind: a paid order has waited over a minute for the lot, or one is due and nobody works on it.
      body.deliveryQueue = { undelivered: d.undelivered, oldestAgeSeconds, overdue: d.overdue, behind: oldestAgeSeconds > 60 || d.overdue > 0 };
    }
    return { ready: jobs.running && !jobs.stalled, body };
  };
}

/** Facts of the database, read at each scrape (the same on every instance). */
function collectDatabaseFacts(metrics: Metrics, a: Assembly, operations: MongoOperationsReadModel, owners: () => string[]): void {
  const { database, clock } = a;
  metrics.onCollect(async () => {
    const up = database.available();
    metrics.databaseUp.set(up ? 1 : 0);
    if (!up) return;
    const now = clock.now();
    const [delivery, refunds, heartbeats] = await Promise.all([operations.deliveryBacklog(new Date(now), owners()), operations.refundBacklog(), operations.heartbeats()]);
    metrics.undeliveredPaid.set(delivery.undelivered);
    metrics.undeliveredOldestAge.set(delivery.oldestPaidAt ? Math.max(0, now - delivery.oldestPaidAt.getTime()) / 1000 : 0);
    for (const [kind, n] of Object.entries(refunds.pending)) metrics.refundsPending.set({ kind }, n);
    metrics.refundsOldestAge.set(refunds.oldestStartedAt ? Math.max(0, now - refunds.oldestStartedAt.getTime()) / 1000 : 0);
    metrics.heartbeatAge.reset();
    for (const h of heartbeats) metrics.heartbeatAge.set({ park: h.parkNumber }, Math.max(0, now - h.receivedAt.getTime()) / 1000);
  });
}

/** The metrics listener, when configured (else /metrics on the app with a token, or a warning in production). */
async function serveMetrics(config: Config, metrics: Metrics, logger: Logger, held: Held): Promise<void> {
  if (config.metrics?.port !== undefined) {
    held.metricsServer = await startMetricsServer(metrics, config.metrics.host ?? config.host, config.metrics.port, config.metrics.token);
    logger.info({ url: `${held.metricsServer.url}${METRICS_PATH}` }, 'metrics listening');
  } else if (!config.metrics?.token && config.mode === 'production') {
    logger.warn('no metrics: set metrics.port (PARKPAY_METRICS_PORT) or metrics.token (PARKPAY_METRICS_TOKEN) to serve /metrics');
  }
}

/** Every background job: one poll of the work collection for the modules' handlers, their periodic jobs and loops, and the retention pass. */
function createJobs(a: Assembly, modules: FeatureModule[]): { registry: JobRegistry; retention: RetentionJob } {
  const { database, clock, logger, config } = a;
  const registry = new JobRegistry({ work: new MongoWorkQueue(database.connection), clock, logger, pollMs: a.opts.workerPollMs });
  for (const m of modules) registry.add(m.jobs);
  const retention = new RetentionJob(new Retention(new MongoRetentionStore(database.connection), config.retention, clock), { logger });
  registry.run(retention);
  return { registry, retention };
}

/** What the process holds that a failed start must let go of. */
interface Held {
  server?: http.Server;
  demo?: Demo;
  metricsServer?: MetricsServer;
}

/** stop(): no new connections, in-flight requests finish (cut after drainMs), then the jobs, the modules, the stand-ins, the database. */
function stopper(srv: http.Server, drainMs: number, registry: JobRegistry, modules: FeatureModule[], held: Held, database: Database, logger: Logger): () => Promise<void> {
  let stopping: Promise<void> | undefined;
  return () =>
    (stopping ??= (async () => {
      logger.info('stopping: no new connections, finishing in-flight requests');
      const closed = new Promise<void>((resolve) => srv.close(() => resolve()));
      // Keep-alive connections go as soon as their request is answered.
      srv.closeIdleConnections();
      const idle = setInterval(() => srv.closeIdleConnections(), 50);
      const cut = setTimeout(() => srv.closeAllConnections(), drainMs);
      await closed;
      clearInterval(idle);
      clearTimeout(cut);
      await registry.stop();
      for (const m of modules) await m.close?.();
      await held.demo?.stop();
      await held.metricsServer?.stop();
      await database.close();
      logger.info('stopped');
    })());
}

export async function startServer(config: Config, opts: StartOptions = {}): Promise<RunningServer> {
  const logger = opts.logger ?? createLogger(config.logLevel);
  const metrics = new Metrics();
  logger.info({ config: redactedConfig(config) }, 'starting');
  const database = await openDatabase(config, logger);
  const held: Held = {};
  try {
    const engine = await prepareDatabase(config, database, logger);
    const stores = await openSharedStores(database, config, logger);
    const demo = (held.demo = await startDemoIfAsked(config, opts, database, stores.parks, logger));
    // Demo mode: ParkPay runs on the stand-ins' clock, so moving the lot's time moves ours (times agree).
    const clock = opts.clock ?? demo?.clock ?? systemClock;
    if (config.mode === 'production') await warnOpenParks(stores.parks, logger);
    // Per park: source allow-lists, rate limits on the lot's URLs, and alerts when a park's calls look abnormal.
    const lotCalls = new LotCallGuard({
      limits: config.bluecardRateLimits,
      perPark: Object.fromEntries(config.parks.filter((p) => p.rateLimits).map((p) => [p.parkNumber, p.rateLimits!])),
      log: logger,
    });
    const listener = await listen(config, held);
    const publicUrl = (config.publicBaseUrl ?? listener.url).replace(/\/$/, '');
    const adapters = createAdapters(config, demo, clock, logger, metrics, stores);
    const assembly: Assembly = { config, opts, demo, database, clock, logger, stores, adapters, publicUrl, port: listener.port, lotCalls };
    const modules = await createModules(assembly);
    countPayments(metrics, modules.orders.events);
    const { registry, retention } = createJobs(assembly, modules.list);
    const worker = modules.orders.worker;
    const operations = new MongoOperationsReadModel(database.connection);
    const routers = appRouters(assembly, modules, metrics);
    listener.serve(
      createApp({
        logger, trustProxyHops: config.trustProxyHops, clock, metrics, routers,
        databaseReady: () => database.ping(),
        databaseAvailable: () => database.available(),
        readiness: readiness(assembly, engine, worker, modules.notices, registry, operations),
      }).callback(),
    );
    collectDatabaseFacts(metrics, assembly, operations, () => [worker.owner, registry.owner]);
    await serveMetrics(config, metrics, logger, held);
    registry.start();
    for (const m of modules.list) await m.start?.();
    await demo?.connect(listener.url);
    const stop = stopper(listener.server, opts.drainMs ?? 10_000, registry, modules.list, held, database, logger);
    return {
      url: listener.url, demo, config, logger, database, engine, orders: modules.orders.service, operators: modules.operators.operators, worker, notices: modules.notices, retention,
      routes: mountedRoutes(routers.filter((r) => r !== demo?.router)), metrics, metricsUrl: held.metricsServer?.url, stop,
    };
  } catch (e) {
    if (held.server?.listening) await new Promise<void>((r) => held.server!.close(() => r()));
    await held.metricsServer?.stop().catch(() => undefined);
    await held.demo?.stop().catch(() => undefined);
    await database.close();
    throw e;
  }
}
