/**
 * `npm start`: run the server on its configuration (embedded defaults = demo mode).
 * SIGTERM/SIGINT: graceful shutdown (see server.ts); a second signal exits at once.
 */
import { ConfigError, loadConfig } from './config';
import { EngineLockedError, NoEngineError } from './repository/engine';
import { startServer } from './server';

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
    throw e;
  }
  const { url, engine, logger, stop } = running;
  const db = `${engine.engine} ${engine.version}${running.database.embedded ? `, embedded, data in ${config.dataDir}` : ''}`;
  if (config.mode === 'demo') {
    console.log(`ParkPay (demo mode) listening on ${url}  —  database: ${db}`);
    console.log(`  health: ${url}/healthz   ready: ${url}/readyz`);
    for (const line of running.demo?.describe() ?? []) console.log(line);
  } else {
    logger.info({ url }, `ParkPay listening on ${url} (database: ${db})`);
  }

  let signals = 0;
  const onSignal = (sig: NodeJS.Signals) => {
    if (++signals > 1) process.exit(130);
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
}

main().catch((err) => {
  console.error('ParkPay failed to start:', err);
  process.exit(1);
});
