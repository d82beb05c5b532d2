/**
 * Boot and shutdown of one ParkPay process: config → database (embedded engine if needed) → app → listen.
 * stop(): stop accepting, let in-flight requests finish, close the database, stop the engine we started.
 */
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { createApp } from './app';
import { redactedConfig, type Config } from './config';
import { createLogger, type Logger } from './logger';
import { Database, type EngineInfo } from './repository/database';
import { systemClock, type Clock } from './core/clock';
import { LotRecordsService } from './core/lot/lot-records';
import { MongoLotRecordsRepository } from './repository/lot-records';
import { MongoParkDirectory } from './repository/parks';
import { bluecardRouter } from './port/bluecard/router';
import { startDemo, type Demo } from './demo';

export interface RunningServer {
  url: string;
  /** Demo mode's stand-ins (undefined in production mode). */
  demo?: Demo;
  config: Config;
  logger: Logger;
  database: Database;
  engine: EngineInfo;
  stop(): Promise<void>;
}

export interface StartOptions {
  logger?: Logger;
  /** How long in-flight requests may take to finish on stop before their connections are cut. */
  drainMs?: number;
  clock?: Clock;
  /** Start demo mode's stand-ins (default: when config.mode is 'demo'). Tests that bring their own pass false. */
  demo?: boolean;
}

export async function startServer(config: Config, opts: StartOptions = {}): Promise<RunningServer> {
  const logger = opts.logger ?? createLogger(config.logLevel);
  logger.info({ config: redactedConfig(config) }, 'starting');
  const database = await Database.open({
    uri: config.mongodbUri,
    dataDir: config.dataDir,
    cacheDir: config.cacheDir,
    log: (m) => logger.info(m),
  });
  const engine = await database.describe();
  logger.info({ engine }, `database: ${engine.engine} ${engine.version}${database.embedded ? ' (embedded)' : ''}`);

  const clock = opts.clock ?? systemClock;
  const parks = new MongoParkDirectory(database.connection);
  const lotRecords = new MongoLotRecordsRepository(database.connection);
  await Promise.all([parks.init(), lotRecords.init()]);
  // The configuration's parks are the registered ones (operators edit them in the database later).
  for (const park of config.parks) await parks.upsert(park);
  let demo: Demo | undefined;
  if (opts.demo ?? config.mode === 'demo') {
    demo = await startDemo({ logger, host: config.host, bluecardPort: config.demo.bluecardSandboxPort });
    for (const park of demo.parks) await parks.upsert(park);
  }

  const app = createApp({
    logger,
    databaseReady: () => database.ping(),
    routers: [bluecardRouter({ parks, clock, records: new LotRecordsService(lotRecords, clock) })],
  });
  const server = http.createServer(app.callback());
  try {
    await new Promise<void>((resolve, reject) => {
      server.once('error', reject);
      server.listen(config.port, config.host, () => resolve());
    });
  } catch (e) {
    await demo?.stop();
    await database.close();
    throw e;
  }
  const { port } = server.address() as AddressInfo;
  const url = `http://${config.host.includes(':') ? `[${config.host}]` : config.host}:${port}`;
  await demo?.connect(url);

  let stopping: Promise<void> | undefined;
  const stop = () =>
    (stopping ??= (async () => {
      logger.info('stopping: no new connections, finishing in-flight requests');
      await demo?.stop();
      const closed = new Promise<void>((resolve) => server.close(() => resolve()));
      // Keep-alive connections go as soon as their request is answered.
      server.closeIdleConnections();
      const idle = setInterval(() => server.closeIdleConnections(), 50);
      const cut = setTimeout(() => server.closeAllConnections(), opts.drainMs ?? 10_000);
      await closed;
      clearInterval(idle);
      clearTimeout(cut);
      await database.close();
      logger.info('stopped');
    })());

  return { url, demo, config, logger, database, engine, stop };
}
