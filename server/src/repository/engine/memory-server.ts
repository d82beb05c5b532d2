/**
 * mongodb-memory-server: a real mongod, for machines that can download it (this project's CI machine
 * cannot: the download host is unreachable). Data persists in dataDir across restarts.
 */
import { mkdirSync } from 'node:fs';
import type { EmbeddedEngine } from './types';

export async function startMongoMemoryServer(dataDir: string): Promise<EmbeddedEngine> {
  let mod: typeof import('mongodb-memory-server');
  try {
    mod = await import('mongodb-memory-server');
  } catch {
    throw new Error('mongodb-memory-server is not installed (it is an optional dependency)');
  }
  mkdirSync(dataDir, { recursive: true });
  const server = await mod.MongoMemoryServer.create({
    instance: { dbPath: dataDir, storageEngine: 'wiredTiger', ip: '127.0.0.1' },
  });
  const version = (server.opts.binary?.version as string | undefined) ?? 'unknown';
  return {
    name: 'mongod',
    version,
    uri: server.getUri(),
    dataDir,
    // mongod is not supervised here: it is up until stopped.
    up: true,
    onStateChange: () => () => {},
    async stop() {
      await server.stop({ doCleanup: false });
    },
  };
}
