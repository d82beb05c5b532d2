/**
 * Proof that the database is real: unique indexes hold, conditional updates are atomic, and the embedded
 * engine keeps its data across a restart.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import mongoose, { Schema } from 'mongoose';
import { Database } from '../../../server/src/repository/database';
import { startEmbeddedEngine } from '../../../server/src/repository/engine';
import { openTestDatabase, type TestDatabase } from '../../support/db';

const REPO = path.resolve(__dirname, '../../..');

describe('the test database is a real MongoDB-wire engine', () => {
  let db: TestDatabase;
  beforeAll(async () => {
    db = await openTestDatabase('real');
  });
  afterAll(async () => {
    await db.dispose();
  });

  it('names its engine', () => {
    expect(process.env.PARKPAY_TEST_ENGINE).toMatch(/^(FerretDB v\d+\.\d+\.\d+|mongod \d)/);
  });

  it('rejects a duplicate under a unique index', async () => {
    const Entry = db.connection.model(
      'UniqueEntry',
      new Schema({ parkNumber: String, orderId: String }).index({ parkNumber: 1, orderId: 1 }, { unique: true }),
    );
    await Entry.init();
    await Entry.create({ parkNumber: 'p1', orderId: '42' });
    await Entry.create({ parkNumber: 'p2', orderId: '42' }); // another park: allowed
    await expect(Entry.create({ parkNumber: 'p1', orderId: '42' })).rejects.toMatchObject({ code: 11000 });
    expect(await Entry.countDocuments({ orderId: '42' })).toBe(2);
  });

  it('lets exactly one of many concurrent findOneAndUpdate claims win', async () => {
    const Job = db.connection.model('ClaimJob', new Schema({ name: String, owner: { type: String, default: null } }));
    const { _id } = await Job.create({ name: 'sendPayRes' });
    const claims = await Promise.all(
      Array.from({ length: 12 }, (_, i) =>
        Job.findOneAndUpdate({ _id, owner: null }, { $set: { owner: `worker-${i}` } }, { returnDocument: 'after' }),
      ),
    );
    const winners = claims.filter((c) => c !== null);
    expect(winners).toHaveLength(1);
    const stored = await Job.findById(_id).lean();
    expect(stored!.owner).toBe(winners[0]!.owner);
  });

  it('counts concurrent $inc updates without losing any', async () => {
    const Counter = db.connection.model('Counter', new Schema({ n: Number }));
    const { _id } = await Counter.create({ n: 0 });
    await Promise.all(Array.from({ length: 25 }, () => Counter.updateOne({ _id }, { $inc: { n: 1 } })));
    expect((await Counter.findById(_id).lean())!.n).toBe(25);
  });
});

describe('the embedded engine', () => {
  const dataDir = mkdtempSync(path.join(os.tmpdir(), 'parkpay-restart-'));
  afterAll(() => rmSync(dataDir, { recursive: true, force: true }));

  it('keeps every record across a restart', async () => {
    const logs: string[] = [];
    const open = () =>
      Database.open({ dataDir, cacheDir: path.join(REPO, '.cache'), dbName: 'restart', log: (m) => logs.push(m) });
    const schema = new Schema({ plate: String, fen: Number });

    const first = await open();
    expect(first.embedded).toBeDefined();
    const firstPid = first.embedded!.uri;
    await first.connection.model('Stay', schema).create([{ plate: '京A12345', fen: 1200 }, { plate: '粤B00001', fen: 5 }]);
    await first.close();

    // The engine is really gone: connecting to its old address fails.
    await expect(
      mongoose.createConnection(firstPid, { serverSelectionTimeoutMS: 500 }).asPromise(),
    ).rejects.toThrow();

    const second = await open();
    try {
      const stays = await second.connection.model('Stay', schema).find().sort({ fen: 1 }).lean();
      expect(stays.map((s) => [s.plate, s.fen])).toEqual([
        ['粤B00001', 5],
        ['京A12345', 1200],
      ]);
      expect(await second.ping()).toBe(true);
      const info = await second.describe();
      expect(info.engine).toBe(second.embedded!.name === 'FerretDB' ? 'FerretDB' : 'mongod');
    } finally {
      await second.close();
    }
  });

  it('reports an unreachable database as not ready', async () => {
    const engine = await startEmbeddedEngine({ dataDir: path.join(dataDir, 'b'), cacheDir: path.join(REPO, '.cache'), log: () => {} });
    const db = await Database.open({ uri: `${engine.uri}ready`, dataDir, cacheDir: '', log: () => {} });
    try {
      expect(await db.ping()).toBe(true);
      await engine.stop();
      expect(await db.ping(1_000)).toBe(false);
    } finally {
      await db.close().catch(() => {});
    }
  });
});
