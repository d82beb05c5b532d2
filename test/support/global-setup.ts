/**
 * One real MongoDB-wire database for the whole test run: MONGODB_URI when set (CI against a real mongod,
 * say), else FerretDB started from the project cache (built once with Go when missing). Each test file
 * works in a database of its own (see db.ts). Never a mocked mongoose.
 */
import { mkdtempSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import mongoose from 'mongoose';
import { startEmbeddedEngine, type EmbeddedEngine } from '../../server/src/repository/engine';

declare global {
  var __PARKPAY_TEST_ENGINE__: EmbeddedEngine | undefined;
  /** The folder the run's engine keeps its files in (removed by the global teardown). */
  var __PARKPAY_TEST_DB_DIR__: string | undefined;
}

export default async function globalSetup(): Promise<void> {
  let uri = process.env.MONGODB_URI;
  if (!uri) {
    const dataDir = mkdtempSync(path.join(os.tmpdir(), 'parkpay-test-db-'));
    globalThis.__PARKPAY_TEST_DB_DIR__ = dataDir;
    const engine = await startEmbeddedEngine({
      dataDir,
      cacheDir: path.resolve(__dirname, '../../.cache'),
      log: (m) => console.log(m),
    });
    globalThis.__PARKPAY_TEST_ENGINE__ = engine;
    stopWithThisProcess(engine);
    uri = engine.uri;
  }
  process.env.PARKPAY_TEST_MONGODB_URI = uri;
  const engine = globalThis.__PARKPAY_TEST_ENGINE__;
  try {
    // Say which engine the tests ran against.
    const conn = await mongoose.createConnection(uri, { serverSelectionTimeoutMS: 10_000 }).asPromise();
    const info = await conn.db!.admin().command({ buildInfo: 1 });
    await conn.close();
    const line =
      'ferretdbVersion' in info
        ? `FerretDB ${info.ferretdbVersion !== 'unknown' ? info.ferretdbVersion : (engine?.version ?? 'unknown')} (SQLite backend), speaking MongoDB ${info.version}`
        : `mongod ${info.version}`;
    process.env.PARKPAY_TEST_ENGINE = line;
    console.log(`\nTest database engine: ${line}${engine ? ' (embedded, started for this run)' : ' (MONGODB_URI)'}\n`);
  } catch (e) {
    // jest runs no global teardown after a failed setup.
    await engine?.stop();
    throw e;
  }
}

/**
 * The engine goes with the jest process however that ends: the global teardown stops it after a normal run,
 * this when jest is interrupted (SIGINT, SIGTERM) or exits without a teardown. stop() sends the engine its
 * SIGTERM synchronously, so it is sent even from an 'exit' listener.
 */
function stopWithThisProcess(engine: EmbeddedEngine): void {
  process.once('exit', () => void engine.stop());
  for (const signal of ['SIGINT', 'SIGTERM'] as const) {
    process.once(signal, () => {
      void engine.stop().finally(() => process.kill(process.pid, signal));
    });
  }
}
