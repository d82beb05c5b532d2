/**
 * `npm run db:migrate`: bring the database to this version's schema — every collection's indexes (the unique
 * ones make resends and retries harmless), the TTL indexes on MongoDB, and the schema version recorded in the
 * database (server/src/repository/schema.ts). Run it once per upgrade with the new version, before the new
 * version starts: a production server refuses a database that is not at its schema version. Safe to run
 * again. The database is the server's (MONGODB_URI, PARKPAY_CONFIG…, as for `npm start`); with the embedded
 * database (no MONGODB_URI), stop the server first.
 * Exit codes: 0 migrated or already current; 65 the database is of a newer version; 78 the configuration.
 */
import { ConfigError, loadConfig } from '../server/src/config';
import { Database } from '../server/src/repository/database';
import { migrate, SchemaVersionError } from '../server/src/repository/schema';

async function main(): Promise<number> {
  let config;
  try {
    config = loadConfig(process.env, process.cwd(), { databaseOnly: true });
  } catch (e) {
    if (e instanceof ConfigError) {
      console.error(`cannot read the configuration: ${e.message}`);
      return 78; // EX_CONFIG
    }
    throw e;
  }
  // The indexes are built here, explicitly, and nowhere else.
  const database = await Database.open({ uri: config.mongodbUri, dataDir: config.dataDir, cacheDir: config.cacheDir, log: (m) => console.error(m), autoIndex: false });
  try {
    const { engine } = await database.describe();
    const r = await migrate(database.connection, { engine, heartbeatDays: config.retention.heartbeatDays, by: 'db:migrate' });
    console.log(
      r.from === r.to
        ? `the database is at schema version ${r.to}; ${r.indexes} indexes checked (${engine})`
        : `the database is migrated from schema version ${r.from ?? 'none'} to ${r.to}; ${r.indexes} indexes (${engine})`,
    );
    return 0;
  } catch (e) {
    if (e instanceof SchemaVersionError) {
      console.error(`cannot migrate: ${e.message}`);
      return 65; // EX_DATAERR
    }
    throw e;
  } finally {
    await database.close();
  }
}

if (require.main === module) {
  main().then(
    (code) => process.exit(code),
    (e: unknown) => {
      console.error(e);
      process.exit(1);
    },
  );
}
