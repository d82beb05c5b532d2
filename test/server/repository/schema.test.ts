/**
 * The schema version and its migration on the run's real engine: db:migrate builds every collection's
 * indexes and records the version; a production start refuses a database that is not at it (new, older,
 * or with data from before versions) and names the command; demo mode and tests migrate an older database
 * (an old `.data/`) and say so; a database of a newer version is refused by both, never silently used.
 */
import { spawnSync } from 'node:child_process';
import path from 'node:path';
import { ensureSchema, migrate, registerModels, schemaVersion, SCHEMA_VERSION, SchemaVersionError } from '../../../server/src/repository/schema';
import { openTestDatabase, testDatabaseUri, type TestDatabase } from '../../support/db';

jest.setTimeout(120_000);

const REPO = path.resolve(__dirname, '../../..');
const base = { engine: 'FerretDB', heartbeatDays: 7, by: 'test' };
const dbs: TestDatabase[] = [];
const fresh = async (label: string) => {
  const db = await openTestDatabase(label);
  dbs.push(db);
  return db.connection;
};
afterAll(async () => {
  for (const db of dbs) await db.dispose().catch(() => undefined);
});

const indexNames = async (conn: TestDatabase['connection'], collection: string) =>
  (await conn.db!.collection(collection).indexes()).map((i) => i.name);

it('migrate: every model its indexes, the version recorded; again: checked, nothing changed', async () => {
  const conn = await fresh('mig');
  const logs: [object, string][] = [];
  const first = await migrate(conn, { ...base, log: (f, m) => logs.push([f, m]) });
  expect(first).toMatchObject({ from: undefined, to: SCHEMA_VERSION });
  expect(await schemaVersion(conn)).toBe(SCHEMA_VERSION);
  // The unique indexes idempotency rests on, and retention's.
  expect(await indexNames(conn, 'orders')).toEqual(expect.arrayContaining(['_id_']));
  for (const m of registerModels(conn)) {
    const declared = m.schema.indexes().length;
    const built = (await m.collection.indexes()).filter((i) => i.name !== '_id_').length;
    expect([m.modelName, built >= declared]).toEqual([m.modelName, true]);
  }
  // A picture's id is its _id (park and image name); retention removes the oldest by receivedAt.
  expect(await indexNames(conn, 'lotimages')).toEqual(expect.arrayContaining(['_id_', 'receivedAt_1']));
  expect(logs.map(([, m]) => m)).toEqual(['database migrated']);
  const again = await migrate(conn, { ...base, log: (f, m) => logs.push([f, m]) });
  expect(again).toMatchObject({ from: SCHEMA_VERSION, to: SCHEMA_VERSION });
  expect(logs.map(([, m]) => m)).toEqual(['database migrated', 'database schema checked']);
});

it('a production start refuses a database not at its version, naming db:migrate; a migrated one passes', async () => {
  const conn = await fresh('prodnew');
  await expect(ensureSchema(conn, { ...base, production: true })).rejects.toThrow(
    new SchemaVersionError(`the database is new (no schema version); this version needs ${SCHEMA_VERSION}: run \`npm run db:migrate\` (or node dist/scripts/db-migrate.js) with this version first`),
  );
  expect(await schemaVersion(conn)).toBeUndefined(); // nothing written
  // Data of ParkPay from before schema versions.
  await conn.db!.collection('orders').insertOne({ orderNo: 'o1' });
  await expect(ensureSchema(conn, { ...base, production: true })).rejects.toThrow(/has ParkPay data but no schema version; this version needs/);
  // An older version.
  await conn.db!.collection('parkpay_meta').insertOne({ _id: 'schema' as never, version: 0 });
  await expect(ensureSchema(conn, { ...base, production: true })).rejects.toThrow(/is at schema version 0; this version needs/);
  await migrate(conn, base);
  await expect(ensureSchema(conn, { ...base, production: true })).resolves.toBeUndefined();
});

it('demo mode and tests: an older database (an old .data/) is migrated and said so', async () => {
  const conn = await fresh('demoold');
  await conn.db!.collection('heartbeathistories').insertOne({ parkNumber: 'p1', receivedAt: new Date() });
  const logs: string[] = [];
  await ensureSchema(conn, { ...base, production: false, log: (_f, m) => logs.push(m) });
  expect(await schemaVersion(conn)).toBe(SCHEMA_VERSION);
  expect(logs).toEqual(['database migrated', 'the database was of an older version: migrated']);
  // A new one is made current without a word about older versions.
  const empty = await fresh('demonew');
  const quiet: string[] = [];
  await ensureSchema(empty, { ...base, production: false, log: (_f, m) => quiet.push(m) });
  expect(quiet).toEqual(['database migrated']);
});

it('a database of a newer version is refused by the start and by the migration', async () => {
  const conn = await fresh('newer');
  await conn.db!.collection('parkpay_meta').insertOne({ _id: 'schema' as never, version: SCHEMA_VERSION + 1 });
  const message = `the database is at schema version ${SCHEMA_VERSION + 1}, written by a newer ParkPay; this version knows ${SCHEMA_VERSION}: run the newer version`;
  for (const production of [true, false]) await expect(ensureSchema(conn, { ...base, production })).rejects.toThrow(message);
  await expect(migrate(conn, base)).rejects.toThrow(message);
  expect(await schemaVersion(conn)).toBe(SCHEMA_VERSION + 1);
});

it('npm run db:migrate on the configured database: migrated, then checked; a newer database exits 65', async () => {
  const conn = await fresh('script');
  const uri = new URL(testDatabaseUri());
  uri.pathname = `/${conn.name}`;
  const run = () =>
    spawnSync(process.execPath, ['--import', 'tsx', path.join(REPO, 'scripts/db-migrate.ts')], {
      cwd: REPO,
      env: { PATH: process.env.PATH ?? '', MONGODB_URI: uri.toString() },
      encoding: 'utf8',
      timeout: 90_000,
    });
  const first = run();
  expect([first.status, first.stderr]).toEqual([0, '']);
  expect(first.stdout).toMatch(new RegExp(`^the database is migrated from schema version none to ${SCHEMA_VERSION}; \\d+ indexes \\(FerretDB\\)\\n$`));
  const second = run();
  expect([second.status, second.stdout]).toEqual([0, expect.stringMatching(/^the database is at schema version \d+; \d+ indexes checked/)]);
  await conn.db!.collection('parkpay_meta').updateOne({ _id: 'schema' as never }, { $set: { version: SCHEMA_VERSION + 1 } });
  const third = run();
  expect([third.status, third.stderr]).toEqual([65, expect.stringContaining('cannot migrate: the database is at schema version')]);
});
