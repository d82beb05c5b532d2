/**
 * How lookups cost on the database engine as a collection grows (the embedded FerretDB v1 scans; MongoDB
 * uses its indexes). `npx tsx scripts/bench-db-lookups.ts` (embedded engine) or with MONGODB_URI set.
 * Prints ms per operation (mean of 20) for 10, 1,000 and 3,000 documents of ~1 KB.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { Schema } from 'mongoose';
import { Database } from '../server/src/repository/database';

async function main() {
  const dataDir = mkdtempSync(path.join(os.tmpdir(), 'parkpay-lookups-'));
  const db = await Database.open({ uri: process.env.MONGODB_URI, dbName: `lookups_${Date.now()}`, dataDir, cacheDir: path.resolve(__dirname, '../.cache'), log: () => {} });
  const info = await db.describe();
  console.log(`engine: ${info.engine} ${info.version}`);
  const M = db.connection.model('D', new Schema({ _id: String, k: String, n: Number, blob: Schema.Types.Mixed }).index({ k: 1 }));
  await M.init();
  for (const N of [10, 1000, 3000]) {
    await M.deleteMany({});
    const docs = Array.from({ length: N }, (_, i) => ({ _id: `id${i}`, k: `k${i}`, n: i, blob: { a: 'x'.repeat(500), b: [1, 2, 3], c: { d: 'y'.repeat(200) } } }));
    for (let i = 0; i < N; i += 500) await M.insertMany(docs.slice(i, i + 500));
    const t = async (label: string, f: () => Promise<unknown>) => {
      const s = performance.now();
      for (let i = 0; i < 20; i++) await f();
      console.log(`${String(N).padStart(5)} docs  ${label.padEnd(28)} ${((performance.now() - s) / 20).toFixed(1)} ms`);
    };
    await t('findById', () => M.findById(`id${N - 1}`).lean());
    await t('findOne by indexed field', () => M.findOne({ k: `k${N - 1}` }).lean());
    await t('findOneAndUpdate by _id', () => M.findOneAndUpdate({ _id: `id${N - 1}` }, { $set: { n: 1 } }).lean());
    await t('findOneAndUpdate by field', () => M.findOneAndUpdate({ k: `k${N - 1}`, n: { $gte: 0 } }, { $set: { n: 1 } }).lean());
  }
  await db.connection.dropDatabase();
  await db.close();
  rmSync(dataDir, { recursive: true, force: true });
}

main().catch((e) => {
  console.error(e);
  process.exit(1);
});
