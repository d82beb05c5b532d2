/**
 * `npm start`: run the server on its configuration (embedded defaults = demo mode).
 * SIGTERM/SIGINT: graceful shutdown (see server.ts); a second signal exits at once — unless it comes within
 * a second of the first: a terminal's Ctrl-C reaches us both directly and relayed by npm.
 */
import path from 'node:path';
import { ConfigError, loadConfig } from './config';
import { EngineLockedError, NoEngineError } from './repository/engine';
import { SchemaVersionError } from './repository/schema';
import { startServer } from './server';

/** A signal this soon after the first is the same request, relayed (npm forwards SIGINT to its script). */
const ECHO_MS = 1_000;

async function main() {
  let config;
  try {
    config = loadConfig();
  } catch (e) {
    if (e instanceof ConfigError) {
      console.error(`ParkPay cannot start: ${e.message}`);
      process.exit(78); // EX_CONFIG
    }
    throw e;
  }
  let running;
  try {
    running = await startServer(config);
  } catch (e) {
    if (e instanceof NoEngineError || e instanceof EngineLockedError) {
      console.error(`ParkPay cannot start: ${e.message}`);
      process.exit(69); // EX_UNAVAILABLE
    }
    if (e instanceof SchemaVersionError) {
      console.error(`ParkPay cannot start: ${e.message}`);
      process.exit(65); // EX_DATAERR
    }
    throw e;
  }
  const { url, engine, logger, stop } = running;
  // Before anything says where we listen: whoever reads that line may signal at once, and a SIGTERM without a
  // handler ends the process without the graceful stop.
  let firstSignalAt: number | undefined;
  const onSignal = (sig: NodeJS.Signals) => {
    if (firstSignalAt !== undefined) {
      if (performance.now() - firstSignalAt < ECHO_MS) return logger.info({ signal: sig }, 'shutdown requested again at once: taken as the same request (already stopping)');
      process.exit(130);
    }
    firstSignalAt = performance.now();
    logger.info({ signal: sig }, 'shutdown requested');
    stop().then(
      () => process.exit(0),
      (err) => {
        logger.error({ err }, 'shutdown failed');
        process.exit(1);
      },
    );
  };
  process.on('SIGTERM', onSignal);
  process.on('SIGINT', onSignal);
  const db = `${engine.engine} ${engine.version}${running.database.embedded ? `, embedded, data in ${config.dataDir}` : ''}`;
  if (config.mode === 'demo') {
    console.log(`ParkPay (demo mode) listening on ${url}  —  database: ${db}`);
    for (const line of running.demo?.describe() ?? []) console.log(line);
    console.log(`  health: ${url}/healthz   ready: ${url}/readyz`);
    // (Not once a signal came: the stop has begun and would leave a build started now running.)
    if (running.demo && config.demo.buildDriverApp && firstSignalAt === undefined) {
      // A fresh clone has no driver app yet: build it now, in the background (the server already answers).
      const tty = process.stdout.isTTY === true;
      let open = false;
      const say = (line: string) => {
        if (open) process.stdout.write('\n');
        open = false;
        console.log(line);
      };
      const progress = tty
        ? (line: string) => {
            process.stdout.write(`\r\x1b[2K${line}`);
            open = true;
          }
        : undefined;
      void running.demo.prepareDriverApp({ say, progress, logFile: path.join(config.cacheDir, 'build-h5.log') }).catch((err: unknown) => logger.error({ err }, 'driver app build failed'));
    }
  } else {
    logger.info({ url }, `ParkPay listening on ${url} (database: ${db})`);
  }
}

main().catch((err) => {
  console.error('ParkPay failed to start:', err);
  process.exit(1);
});
