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
}

export default async function globalSetup(): Promise<void> {
  let uri = process.env.MONGODB_URI;
  if (!uri) {
    const dataDir = mkdtempSync(path.join(os.tmpdir(), 'parkpay-test-db-'));
    const engine = await startEmbeddedEngine({
      dataDir,
      cacheDir: path.resolve(__dirname, '../../.cache'),
      log: (m) => console.log(m),
    });
    globalThis.__PARKPAY_TEST_ENGINE__ = engine;
    uri = engine.uri;
  }
  process.env.PARKPAY_TEST_MONGODB_URI = uri;
  // Say which engine the tests ran against.
  const conn = await mongoose.createConnection(uri, { serverSelectionTimeoutMS: 10_000 }).asPromise();
  const info = await conn.db!.admin().command({ buildInfo: 1 });
  await conn.close();
  const engine = globalThis.__PARKPAY_TEST_ENGINE__;
  const line =
    'ferretdbVersion' in info
      ? `FerretDB ${info.ferretdbVersion !== 'unknown' ? info.ferretdbVersion : (engine?.version ?? 'unknown')} (SQLite backend), speaking MongoDB ${info.version}`
      : `mongod ${info.version}`;
  process.env.PARKPAY_TEST_ENGINE = line;
  console.log(`\nTest database engine: ${line}${engine ? ' (embedded, started for this run)' : ' (MONGODB_URI)'}\n`);
}
