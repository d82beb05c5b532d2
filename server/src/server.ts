/**
 * Boot and shutdown of one ParkPay process:
 *   config → database (embedded engine if needed) → demo stand-ins (demo mode) → listen → adapters, core
 *   services, ports → the job registry (every background job).
 * The server listens before the app is built (answering 503 for that instant) because payment notify URLs
 * need our address. stop(): no new connections, in-flight requests finish, the jobs finish their step,
 * the stand-ins stop, the database closes, the embedded engine stops.
 */
import { readFileSync } from 'node:fs';
import http from 'node:http';
import os from 'node:os';
import path from 'node:path';
import type Router from '@koa/router';
import type { AddressInfo } from 'node:net';
import { AlipayAdapter } from './adapter/alipay';
import { BluecardClient, type AttemptReport } from './adapter/bluecard';
import { DRIVER_WAIT_BUDGET_MS } from './adapter/bluecard/calls';
import { BluecardLotGateway, lotError } from './adapter/bluecard/lot-gateway';
import { WechatLoginClient } from './adapter/wechat-login';
import { WechatPayAdapter } from './adapter/wechatpay';
import { createApp } from './app';
import { redactedConfig, type Config } from './config';
import { systemClock, type Clock } from './core/clock';
import { IdentityService } from './core/identity';
import { LotRecordsService } from './core/lot/lot-records';
import type { OrderService } from './core/orders/orders';
import type { OrderPolicy } from './core/orders/policy';
import type { Demo } from '../sandbox/demo';
import { createLogger, type Logger } from './logger';
import { apiRouter } from './port/api';
import { mountOrderRoutes } from './port/api/orders-routes';
import { bluecardRouter } from './port/bluecard/router';
import { LotCallGuard } from './port/bluecard/call-guard';
import { newWorkerOwner, type OrderWorker } from './port/jobs/order-worker';
import { JobRegistry } from './port/jobs/registry';
import { MongoWorkQueue } from './repository/work';
import { wireAgreements } from './agreements-wiring';
import { wireFaceToFace } from './face-to-face-wiring';
import { wireCouponsAndLists } from './coupons-lists-wiring';
import { wireBookings } from './bookings-wiring';
import { createOrdersModule } from './orders-wiring';
import { mountDriverHistory } from './history-wiring';
import { wireNotices, type NoticesWiring } from './notices-wiring';
import { wirePasses } from './passes-wiring';
import { Database, type EngineInfo } from './repository/database';
import { MongoDriverRepository, MongoSessionRepository } from './repository/drivers';
import { MongoLotCallSlots } from './repository/lot-call-slots';
import { MongoLotRecordsRepository } from './repository/lot-records';
import { MongoOrderRepository } from './repository/orders';
import { MongoParkDirectory } from './repository/parks';
import { MongoVisitRepository } from './repository/visits';
import { OperatorService } from './core/operators/service';
import { MongoAuditLog, MongoLoginThrottle, MongoOperatorAccountRepository, MongoOperatorSessionRepository } from './repository/operators';
import { mountOpAccountRoutes } from './port/api/op-accounts-routes';
import { ParkAdminService } from './core/operators/parks';
import { MongoLaneLabelRepository } from './repository/lane-labels';
import { LaneCodeDrawer, findCjkFont } from './adapter/posters/lane-codes';
import { mountOpParkRoutes } from './port/api/op-parks-routes';
import { LotOpsService } from './core/operators/lot-ops';
import { BluecardOperatorLot } from './adapter/bluecard/operator-lot';
import { mountOpLotRoutes } from './port/api/op-lot-routes';
import { mountOpDashboardRoutes } from './port/api/op-dashboard-routes';
import { DashboardService } from './core/operators/dashboard';
import { MongoDashboardQueries } from './repository/dashboard';
import { MongoLiftConfirmations } from './repository/operators';
import { ParkingService } from './core/parking/service';
import { PlateProofs } from './core/parking/proofs';
import { MongoPlateProofRepository } from './repository/plate-proofs';
import { mountParkRoutes } from './port/api/parks-routes';
import { mountDemoRoutes } from './port/api/demo-routes';
import { staticAppRouter } from './port/http/static-app';
import { openApiRouter } from './port/http/openapi';
import { Metrics } from './metrics';
import { MongoOperationsReadModel } from './repository/operations';
import { ensureSchema } from './repository/schema';
import { MongoRetentionStore } from './repository/retention';
import { Retention } from './core/retention';
import { RetentionJob } from './port/jobs/retention-job';
import { METRICS_PATH, metricsRouter, startMetricsServer, type MetricsServer } from './port/http/metrics-route';
import { randomBytes } from 'node:crypto';

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
  notices: NoticesWiring;
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

export async function startServer(config: Config, opts: StartOptions = {}): Promise<RunningServer> {
  const logger = opts.logger ?? createLogger(config.logLevel);
  const metrics = new Metrics();
  logger.info({ config: redactedConfig(config) }, 'starting');
  const database = await Database.open({
    uri: config.mongodbUri,
    dataDir: config.dataDir,
    cacheDir: config.cacheDir,
    log: (m) => logger.info(m),
    warn: (m) => logger.warn(m),
    autoIndex: config.mode !== 'production',
  });
  let demo: Demo | undefined;
  let server: http.Server | undefined;
  let metricsServer: MetricsServer | undefined;
  try {
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

    // Lane calls are answered from the cached park while it refreshes (a failed refresh keeps it, up to 60 s).
    const parks = new MongoParkDirectory(database.connection, undefined, {
      onRefreshError: (err, parkNumber) => logger.warn({ err, parkNumber }, 'park lookup: background refresh failed; the cached park is served meanwhile'),
    });
    const lotRecords = new MongoLotRecordsRepository(database.connection);
    const drivers = new MongoDriverRepository(database.connection);
    const sessions = new MongoSessionRepository(database.connection);
    const orderRepo = new MongoOrderRepository(database.connection);
    const visits = new MongoVisitRepository(database.connection);
    await Promise.all([parks.init(), lotRecords.init(), drivers.init(), sessions.init(), orderRepo.init(), visits.init()]);
    const auditLog = new MongoAuditLog(database.connection);
    const operatorRepos = {
      accounts: new MongoOperatorAccountRepository(database.connection),
      sessions: new MongoOperatorSessionRepository(database.connection),
      throttle: new MongoLoginThrottle(database.connection),
    };
    await Promise.all([auditLog.init(), ...Object.values(operatorRepos).map((r) => r.init())]);
    // The configuration's parks are the registered ones (operators edit them in the database later).
    for (const { rateLimits: _limits, ...park } of config.parks) await parks.upsert(park);
    if (opts.demo ?? config.mode === 'demo') {
      // The stand-ins are loaded only here: a production process never loads sandbox code.
      const { startDemo } = await import('../sandbox/demo.js');
      demo = await startDemo({
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
    }
    // Demo mode: ParkPay runs on the stand-ins' clock, so moving the lot's time moves ours (times agree).
    const clock = opts.clock ?? demo?.clock ?? systemClock;

    if (config.mode === 'production') {
      // The sign alone is replayable (it never changes): a park answered from anywhere is open to whoever saw one call.
      for (const p of await parks.list()) {
        if (!p.bluecardSources?.length) {
          logger.warn({ parkNumber: p.parkNumber }, `park ${p.parkNumber} has no bluecardSources: its lot calls are taken from any address, so a replayed sign works from anywhere; set the CIDRs of its Bluecard cloud in the configuration`);
        }
      }
    }
    // Per park: source allow-lists, rate limits on the lot's URLs, and alerts when a park's calls look abnormal.
    const lotCalls = new LotCallGuard({
      limits: config.bluecardRateLimits,
      perPark: Object.fromEntries(config.parks.filter((p) => p.rateLimits).map((p) => [p.parkNumber, p.rateLimits!])),
      log: logger,
    });

    // Listen first: the notify URLs we give WeChat Pay and Alipay carry our address.
    let handler: http.RequestListener = (_req, res) => res.writeHead(503, { 'retry-after': '1' }).end();
    // Requests must arrive in seconds (a slow body would hold the connection for minutes on Node's defaults);
    // timeouts are checked every second instead of every 30.
    const srv = http.createServer({ requestTimeout: config.http.requestTimeoutMs, headersTimeout: config.http.headersTimeoutMs, connectionsCheckingInterval: 1_000 }, (req, res) =>
      handler(req, res),
    );
    srv.keepAliveTimeout = config.http.keepAliveTimeoutMs;
    server = srv;
    await new Promise<void>((resolve, reject) => {
      srv.once('error', reject);
      srv.listen(config.port, config.host, () => resolve());
    });
    const { port } = srv.address() as AddressInfo;
    const url = `http://${config.host.includes(':') ? `[${config.host}]` : config.host}:${port}`;
    const publicUrl = (config.publicBaseUrl ?? url).replace(/\/$/, '');

    // Adapters: configured services, else demo mode's sandboxes.
    const wechatPayConfig = config.wechatPay ?? demo?.wechatPay;
    const alipayConfig = config.alipay ?? demo?.alipay;
    const wechatLoginConfig = config.wechatMiniProgram ?? demo?.wechatLogin;
    const wechatPay = wechatPayConfig ? new WechatPayAdapter({ config: wechatPayConfig, clock, logger }) : undefined;
    const alipay = alipayConfig ? new AlipayAdapter(alipayConfig, { clock }) : undefined;

    const identity = new IdentityService({
      drivers,
      sessions,
      clock,
      wechat: wechatLoginConfig ? new WechatLoginClient(wechatLoginConfig) : undefined,
      alipay,
      demoLogin: config.mode === 'demo',
    });
    // The lot's pace of 4.6/4.9 per park is kept in the database: every ParkPay process keeps it together.
    const callSlots = new MongoLotCallSlots(database.connection);
    await callSlots.init();
    const bluecardOptions = {
      clock,
      logger,
      slots: callSlots,
      onAttempt: (a: AttemptReport) => {
        metrics.lotCall.observe({ interface: a.path, outcome: a.outcome }, a.seconds);
        if (a.path === 'sendPayRes') {
          metrics.sendPayResAttempts.inc({ park: a.parkNumber });
          if (a.outcome !== 'ok') metrics.sendPayResFailures.inc({ park: a.parkNumber, kind: a.outcome });
        }
      },
    };
    const bluecard = new BluecardClient(bluecardOptions);
    // Monthly passes: their orders are delivered by extending the plate's whitelist entry (4.8, 4.6); a
    // driver looking at a plate's pass waits on 4.8 no longer than on any lot answer.
    // Which plates a driver has proved theirs where: their stays' details, and whether a plate is a lot's monthly car.
    const plateProofRepo = new MongoPlateProofRepository(database.connection);
    await plateProofRepo.init();
    const plateProofs = new PlateProofs({ proofs: plateProofRepo, orders: orderRepo, visits, records: lotRecords, clock });
    const passWiring = await wirePasses({
      connection: database.connection, clock, logger, bluecard, parks, stays: lotRecords, orderRepo, proofs: plateProofs,
      driverBluecard: new BluecardClient({ ...bluecardOptions, budgetMs: { queryWhite: DRIVER_WAIT_BUDGET_MS } }),
    });
    // What a driver gets after paying: e-invoices and messages.
    const notices = await wireNotices({
      config, demo, connection: database.connection, clock, logger, publicUrl, urlSigningKey: config.urlSigningKey ?? randomBytes(32).toString('hex'),
      wechatPay, wechatPayBaseUrl: wechatPayConfig?.baseUrl, wechatAppId: wechatPayConfig?.appId, wechatMiniProgram: wechatLoginConfig, alipayConfig,
      drivers, orderRepo, stays: lotRecords, parks, pollMs: opts.workerPollMs,
      passes: { endsAt: (passId) => passWiring.endsAt(passId) },
    });
    // Withholding agreements and the lane payments that use them (4.16, 4.17, 4.27).
    const agreementWiring = await wireAgreements({
      config, demo, connection: database.connection, clock, logger, publicUrl, wechatPay, wechatPayConfig, alipay, alipayConfig,
      bluecard, drivers, stays: lotRecords, orderRepo, parks, alerts: lotCalls,
      events: { deductionPaid: (x) => notices.deductionPaid(x), deductionRefunded: (x) => notices.deductionRefunded(x) },
    });
    // Bookings (4.18/4.19): their let-in windows feed 4.28, their orders are delivered by 4.18.
    const bookingWiring = await wireBookings({ connection: database.connection, clock, logger, bluecard, parks, stays: lotRecords, orderRepo });
    // Coupons, white/black lists, and the lane answers that read them (4.13, 4.28).
    const couponsLists = await wireCouponsAndLists({ connection: database.connection, clock, logger, bluecard, parks, stays: lotRecords, bookings: { lookup: bookingWiring.lookup } });
    // Orders: the payment gateways, the order service, its delivery worker and the notification routes.
    const ordersModule = createOrdersModule({
      orderRepo,
      parks,
      stays: lotRecords,
      lot: new BluecardLotGateway(bluecard),
      clock,
      logger,
      payments: {
        publicUrl,
        wechat: wechatPay,
        wechatNotifyUrl: wechatPayConfig?.notifyUrl,
        alipay,
        alipayNotifyUrl: alipayConfig?.notifyUrl,
      },
      policy: opts.orderPolicy,
      deliveries: { lane_qr: agreementWiring.laneQrDelivery, booking: bookingWiring.delivery, pass: passWiring.delivery },
      stayCoupons: couponsLists.coupons,
      // Home: this host and port, which no other live process shares; a restart here takes over the leases
      // of the process it replaces at once (OrderWorker.takeOver).
      owner: newWorkerOwner('', `${os.hostname()}:${port}`),
      pollMs: opts.workerPollMs,
    });
    const { service: orders, worker, events: orderEvents } = ordersModule;
    const provider = (o: { payment?: { provider?: string } }) => o.payment?.provider ?? 'unknown';
    orderEvents.on('paymentRecorded', ({ order, outcome }) => {
      metrics.payments.inc({ provider: provider(order), outcome });
      if (outcome === 'paid') notices.orderPaid(order.orderNo);
    });
    orderEvents.on('delivered', ({ order, seconds }) => {
      metrics.payments.inc({ provider: provider(order), outcome: 'delivered' });
      metrics.paymentToLot.observe({ provider: provider(order) }, seconds);
    });
    orderEvents.on('refunded', ({ order }) => {
      metrics.payments.inc({ provider: provider(order), outcome: 'refunded' });
      notices.orderRefunded(order.orderNo);
    });
    const lanes = agreementWiring.connect(orders);
    const bookingParts = bookingWiring.connect(orders, orderEvents);
    const passParts = passWiring.connect(orders, orderEvents, (p) => notices.passExtended(p));
    // Booth face-to-face payment (4.24–4.26).
    const faceToFace = await wireFaceToFace({ connection: database.connection, clock, logger, wechatPayConfig, alipayConfig, coupons: couponsLists.coupons });

    const laneLabels = new MongoLaneLabelRepository(database.connection);
    await laneLabels.init();
    const parking = new ParkingService({
      laneLabels,
      parks,
      proofs: plateProofs,
      records: lotRecords,
      visits,
      orders: orderRepo,
      findCar: async (park, plate) =>
        (await bluecard.getSpaceStatusByPlate(park, plate).catch(lotError)).map((s) => ({
          layerName: s.layerName,
          spaceId: s.spaceId,
          plate: s.plate,
          x: Number.isFinite(Number.parseFloat(s.space_x)) ? Number.parseFloat(s.space_x) : null,
          y: Number.isFinite(Number.parseFloat(s.space_y)) ? Number.parseFloat(s.space_y) : null,
          imageUrl: s.imgPath || null,
        })),
      clock,
      urlSigningKey: config.urlSigningKey ?? randomBytes(32).toString('hex'),
    });

    const operators = new OperatorService({
      ...operatorRepos,
      clock,
      audit: auditLog,
      parkExists: async (parkNumber) => (await parks.get(parkNumber)) !== undefined,
    });
    if (demo) await (await import('../sandbox/demo.js')).ensureDemoOperator(operators, logger);
    const api = apiRouter({ identity, operators: { authenticator: operators, audit: auditLog, clock } });
    mountOpAccountRoutes(api, operators, auditLog);
    const posterFont = findCjkFont();
    if (!posterFont) logger.warn('no CJK font for lane posters (install fonts-wqy-zenhei): GET …/poster.pdf answers 503 poster_font_missing');
    mountOpParkRoutes(
      api,
      new ParkAdminService({
        parks,
        lanes: lotRecords,
        labels: laneLabels,
        renderer: new LaneCodeDrawer(posterFont),
        publicBaseUrl: publicUrl,
        clock,
        laneQrProviders: [...(wechatPay ? (['wechat'] as const) : []), ...(alipay ? (['alipay'] as const) : [])],
      }),
    );
    const liftConfirmations = new MongoLiftConfirmations(database.connection);
    await liftConfirmations.init();
    mountOpLotRoutes(
      api,
      new LotOpsService({
        parks,
        lanes: lotRecords,
        labels: laneLabels,
        lot: new BluecardOperatorLot(bluecard),
        confirmations: liftConfirmations,
        records: lotRecords,
        imageLink: (parkNumber, imageName) => parking.imageLink(parkNumber, imageName),
        clock,
      }),
    );
    mountOpDashboardRoutes(api, new DashboardService({ queries: new MongoDashboardQueries(database.connection), heartbeats: lotRecords, parks, clock }));
    couponsLists.mountApi(api);
    mountOrderRoutes(api, orders, {
      onUnlicensedEntry: (driverId, parkNumber, entered) => parking.rememberUnlicensed(driverId, parkNumber, entered),
      leftAt: async (parkNumber, orderId) => {
        const stay = await lotRecords.findStay(parkNumber, orderId);
        return stay?.status === 'out' ? (stay.exit?.outTime ?? undefined) : undefined;
      },
    });
    mountParkRoutes(api, parking);
    mountDriverHistory(api, { connection: database.connection, parks, stays: lotRecords, orders: orderRepo });
    lanes.mountApi(api);
    bookingParts.mountApi(api);
    passParts.mountApi(api);
    notices.mountApi(api);
    mountDemoRoutes(api, demo);
    // Demo mode builds the app in the background on first start: serve it as soon as it is there.
    const h5 = staticAppRouter(config.h5Dir, { appearsLater: demo !== undefined });
    const operations = new MongoOperationsReadModel(database.connection);
    let routers: Router[] = [];
    const app = createApp({
      logger,
      trustProxyHops: config.trustProxyHops,
      clock,
      databaseReady: () => database.ping(),
      databaseAvailable: () => database.available(),
      metrics,
      readiness: async (databaseUp) => {
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
      },
      routers: (routers = [
        ...(config.metrics?.token ? [metricsRouter(metrics, config.metrics.token)] : []),
        openApiRouter({ version: packageVersion(), publicBaseUrl: config.publicBaseUrl }),
        bluecardRouter({ parks, clock, guard: lotCalls, records: new LotRecordsService(lotRecords, clock, undefined, {
          entered: (stay) => notices.entered(stay),
          renewed: (parkNumber, plates) => void passParts.service.boothRenewed(parkNumber, plates).catch((err: unknown) => logger.error({ err, parkNumber }, 'booth renewal not checked against online passes')),
        }), lanePay: { ...lanes.lanePay, ...faceToFace.lanePay, ...couponsLists.lanePay } }),
        ...ordersModule.routers,
        lanes.notify,
        ...(notices.notify ? [notices.notify] : []),
        api,
        ...(demo ? [demo.router] : []),
        ...(h5 ? [h5] : []),
      ]),
    });
    handler = app.callback();
    // Facts of the database, read at each scrape (the same on every instance).
    metrics.onCollect(async () => {
      const up = database.available();
      metrics.databaseUp.set(up ? 1 : 0);
      if (!up) return;
      const now = clock.now();
      const [delivery, refunds, heartbeats] = await Promise.all([
        operations.deliveryBacklog(new Date(now), [worker.owner, registry.owner]),
        operations.refundBacklog(),
        operations.heartbeats(),
      ]);
      metrics.undeliveredPaid.set(delivery.undelivered);
      metrics.undeliveredOldestAge.set(delivery.oldestPaidAt ? Math.max(0, now - delivery.oldestPaidAt.getTime()) / 1000 : 0);
      for (const [kind, n] of Object.entries(refunds.pending)) metrics.refundsPending.set({ kind }, n);
      metrics.refundsOldestAge.set(refunds.oldestStartedAt ? Math.max(0, now - refunds.oldestStartedAt.getTime()) / 1000 : 0);
      metrics.heartbeatAge.reset();
      for (const h of heartbeats) metrics.heartbeatAge.set({ park: h.parkNumber }, Math.max(0, now - h.receivedAt.getTime()) / 1000);
    });
    if (config.metrics?.port !== undefined) {
      metricsServer = await startMetricsServer(metrics, config.metrics.host ?? config.host, config.metrics.port, config.metrics.token);
      logger.info({ url: `${metricsServer.url}${METRICS_PATH}` }, 'metrics listening');
    } else if (!config.metrics?.token && config.mode === 'production') {
      logger.warn('no metrics: set metrics.port (PARKPAY_METRICS_PORT) or metrics.token (PARKPAY_METRICS_TOKEN) to serve /metrics');
    }
    // Every background job: one poll of the work collection for all of them, and the periodic ones.
    const registry = new JobRegistry({ work: new MongoWorkQueue(database.connection), clock, logger, pollMs: opts.workerPollMs })
      .handle(worker)
      .handle(faceToFace.worker)
      .handle(bookingParts.worker)
      .handle(agreementWiring.refundJob)
      .handle(couponsLists.redelivery)
      .handle(passWiring.restoreJob)
      .every('bookings: 4.19 reconciliation', 10 * 60_000, () => bookingParts.worker.reconcileAll());
    registry.start();
    void worker.takeOver();
    const retention = new RetentionJob(new Retention(new MongoRetentionStore(database.connection), config.retention, clock), { logger });
    retention.start();
    await couponsLists.start();
    await notices.start();
    await demo?.connect(url);

    let stopping: Promise<void> | undefined;
    const stop = () =>
      (stopping ??= (async () => {
        logger.info('stopping: no new connections, finishing in-flight requests');
        const closed = new Promise<void>((resolve) => srv.close(() => resolve()));
        // Keep-alive connections go as soon as their request is answered.
        srv.closeIdleConnections();
        const idle = setInterval(() => srv.closeIdleConnections(), 50);
        const cut = setTimeout(() => srv.closeAllConnections(), opts.drainMs ?? 10_000);
        await closed;
        clearInterval(idle);
        clearTimeout(cut);
        await registry.stop();
        await retention.stop();
        await couponsLists.stop();
        await notices.stop();
        await demo?.stop();
        await metricsServer?.stop();
        await database.close();
        logger.info('stopped');
      })());

    return { url, demo, config, logger, database, engine, orders, operators, worker, notices, retention, routes: mountedRoutes(routers.filter((r) => r !== demo?.router)), metrics, metricsUrl: metricsServer?.url, stop };
  } catch (e) {
    if (server?.listening) await new Promise<void>((r) => server!.close(() => r()));
    await metricsServer?.stop().catch(() => undefined);
    await demo?.stop().catch(() => undefined);
    await database.close();
    throw e;
  }
}
