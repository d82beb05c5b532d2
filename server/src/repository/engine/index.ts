/**
 * The embedded database engine, for running without MONGODB_URI: FerretDB (found, or built once with Go),
 * else mongodb-memory-server, else a NoEngineError that says what to install or set.
 */
import path from 'node:path';
import { buildFerretDb, findFerretDb, goAvailable, startFerretDb } from './ferretdb';
import { startMongoMemoryServer } from './memory-server';
import { EngineLockedError, NoEngineError, type EmbeddedEngine, type EngineLog } from './types';

export * from './types';
export { FERRETDB_VERSION, PATCHED_VERSION } from './ferretdb';

export interface EngineOptions {
  dataDir: string;
  cacheDir: string;
  log: EngineLog;
  /** Where the engine's unexpected exits and restarts are told (default: log). */
  warn?: EngineLog;
  /** Skip the mongod fallback (tests of the FerretDB route). */
  ferretDbOnly?: boolean;
}

export async function startEmbeddedEngine(opts: EngineOptions): Promise<EmbeddedEngine> {
  const reasons: string[] = [];
  let bin = findFerretDb(opts.cacheDir);
  if (!bin) {
    if (goAvailable()) {
      try {
        bin = buildFerretDb(opts.cacheDir, opts.log);
      } catch (e) {
        reasons.push(`FerretDB build: ${(e as Error).message}`);
      }
    } else {
      reasons.push('FerretDB: no parkpay-ferretdb in the cache or on PATH, and no `go` to build one');
    }
  }
  if (bin) {
    try {
      return await startFerretDb(bin, path.join(opts.dataDir, 'ferretdb'), { log: opts.warn ?? opts.log });
    } catch (e) {
      // Another process runs on this data: another engine would open an empty database beside it.
      if (e instanceof EngineLockedError) throw e;
      reasons.push(`FerretDB start (${bin.path}): ${(e as Error).message}`);
    }
  }
  if (!opts.ferretDbOnly) {
    try {
      opts.log(`FerretDB unavailable (${reasons.join('; ')}); trying mongodb-memory-server (downloads mongod on first use)…`);
      return await startMongoMemoryServer(path.join(opts.dataDir, 'mongod'));
    } catch (e) {
      reasons.push(`mongodb-memory-server: ${(e as Error).message.split('\n')[0]}`);
    }
  }
  throw new NoEngineError(reasons);
}
