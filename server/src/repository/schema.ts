/**
 * The database's schema: its version, kept in the database, and the migration that brings a database to it
 * (`npm run db:migrate`). Production builds no index itself (mongoose's autoIndex is off there): the unique
 * indexes that make resends and retries harmless must exist before the first request, so a production
 * server refuses a database whose schema version is not the one it was built for. Demo mode and tests
 * migrate their own database when they start (a `.data/` folder of an older version is brought up to date,
 * and said so). A database written by a newer version is refused everywhere.
 */
import type { Connection, Model } from 'mongoose';
import { MongoLaneDeductionRepository } from './agreement-deductions';
import { MongoAgreementSpendRepository } from './agreement-spend';
import { MongoAgreementRepository } from './agreements';
import { MongoBookingRepositories } from './bookings';
import { MongoCouponRepository } from './coupons';
import { MongoDriverRepository, MongoSessionRepository } from './drivers';
import { MongoFacePaymentRepository } from './face-payments';
import { MongoInvoiceRepository } from './invoices';
import { MongoLaneLabelRepository } from './lane-labels';
import { MongoListsRepository } from './lists';
import { MongoLotCallSlots } from './lot-call-slots';
import { MongoLotRecordsRepository } from './lot-records';
import { MongoMessageStores } from './messages';
import { MongoAuditLog, MongoLiftConfirmations, MongoLoginThrottle, MongoOperatorAccountRepository, MongoOperatorSessionRepository } from './operators';
import { MongoOrderRepository } from './orders';
import { MongoParkDirectory } from './parks';
import { MongoPassRepositories } from './passes';
import { MongoPendingWork } from './pending-work';
import { MongoPlateProofRepository } from './plate-proofs';
import { MongoVisitRepository } from './visits';
import { MongoWorkQueue } from './work';

/**
 * The schema version this code reads and writes. Raise it with every change a running older version or an
 * unmigrated database would get wrong (a new unique index, a field renamed), and say in `migrate` what
 * brings an older database up to it.
 *  1: the indexes of every collection; TTL indexes on MongoDB (sessions, heartbeat history).
 */
export const SCHEMA_VERSION = 1;

const META = 'parkpay_meta';
const SCHEMA_ID = 'schema';

interface SchemaDoc {
  _id: string;
  version: number;
  migratedAt: Date;
  by: string;
}

export class SchemaVersionError extends Error {
  override name = 'SchemaVersionError';
}

/** Every model of every repository, registered on the connection (the repositories are made and dropped). */
export function registerModels(conn: Connection): Model<unknown>[] {
  for (const Repo of [
    MongoLaneDeductionRepository, MongoAgreementSpendRepository, MongoAgreementRepository, MongoBookingRepositories,
    MongoCouponRepository, MongoDriverRepository, MongoSessionRepository, MongoFacePaymentRepository,
    MongoLaneLabelRepository, MongoListsRepository, MongoLotRecordsRepository, MongoAuditLog, MongoLiftConfirmations,
    MongoLoginThrottle, MongoOperatorAccountRepository, MongoOperatorSessionRepository, MongoOrderRepository,
    MongoParkDirectory, MongoPlateProofRepository, MongoVisitRepository, MongoInvoiceRepository, MongoMessageStores,
    MongoPendingWork, MongoWorkQueue, MongoPassRepositories, MongoLotCallSlots,
  ]) {
    new Repo(conn);
  }
  return Object.values(conn.models) as Model<unknown>[];
}

/** The schema version recorded in the database: undefined when none is (a new database, or one from before versions). */
export async function schemaVersion(conn: Connection): Promise<number | undefined> {
  const doc = await conn.db!.collection<SchemaDoc>(META).findOne({ _id: SCHEMA_ID });
  return typeof doc?.version === 'number' ? doc.version : undefined;
}

/**
 * Whether the database holds any collection (ParkPay's database holds nothing else): data from before schema
 * versions. Asked before any model is registered here, since registering one may create its collection.
 */
async function hasData(conn: Connection): Promise<boolean> {
  const names = (await conn.db!.listCollections({}, { nameOnly: true }).toArray()).map((c) => c.name);
  return names.some((n) => n !== META && !n.startsWith('system.'));
}

export interface MigrateOptions {
  /** 'mongod' gets TTL indexes; FerretDB v1 has none (the retention job prunes there, and everywhere). */
  engine: string;
  /** Days of heartbeat history the TTL index keeps (config retention.heartbeatDays). */
  heartbeatDays: number;
  /** Who migrated (the log and the schema record). */
  by: string;
  /**
   * Build every model's indexes here (default). False where mongoose's autoIndex builds each model's indexes
   * as its repository registers it (demo mode, tests): the start does not wait for all of them at once.
   */
  buildIndexes?: boolean;
  log?: (fields: object, msg: string) => void;
}

export interface MigrateResult {
  from: number | undefined;
  to: number;
  indexes: number;
}

/**
 * Bring the database to SCHEMA_VERSION: every model's indexes (existing ones are kept), then the TTL indexes
 * on MongoDB, then the version recorded. Safe to run again and from two processes at once (index builds are
 * idempotent); refused on a database of a newer version.
 */
export async function migrate(conn: Connection, opts: MigrateOptions): Promise<MigrateResult> {
  const from = await schemaVersion(conn);
  if (from !== undefined && from > SCHEMA_VERSION) {
    throw new SchemaVersionError(`the database is at schema version ${from}, written by a newer ParkPay; this version knows ${SCHEMA_VERSION}: run the newer version`);
  }
  let indexes = 0;
  for (const m of opts.buildIndexes === false ? [] : registerModels(conn)) {
    await m.createCollection().catch(() => undefined); // exists already
    await m.createIndexes();
    indexes += m.schema.indexes().length;
  }
  if (opts.engine === 'mongod' && opts.buildIndexes !== false) {
    const ttl = async (model: string, field: string, seconds: number) => {
      const coll = conn.models[model]!.collection;
      const name = `${field}_ttl`;
      const existing = (await coll.indexes()).find((i) => i.name === name);
      if (existing && existing.expireAfterSeconds !== seconds) {
        await conn.db!.command({ collMod: coll.collectionName, index: { name, expireAfterSeconds: seconds } });
      } else if (!existing) {
        await coll.createIndex({ [field]: 1 }, { name, expireAfterSeconds: seconds });
      }
      indexes += 1;
    };
    await ttl('DriverSession', 'expiresAt', 0);
    await ttl('OperatorSession', 'expiresAt', 0);
    await ttl('HeartbeatHistory', 'receivedAt', opts.heartbeatDays * 86_400);
  }
  await conn.db!
    .collection<SchemaDoc>(META)
    .updateOne({ _id: SCHEMA_ID }, { $set: { version: SCHEMA_VERSION, migratedAt: new Date(), by: opts.by } }, { upsert: true });
  opts.log?.({ from: from ?? null, to: SCHEMA_VERSION, indexes }, from === SCHEMA_VERSION ? 'database schema checked' : 'database migrated');
  return { from, to: SCHEMA_VERSION, indexes };
}

/**
 * At a production start: the database must be at SCHEMA_VERSION (else the message says what to run).
 * Elsewhere (demo, tests): an older or new database is migrated here (its indexes left to autoIndex); a newer
 * one is refused.
 */
export async function ensureSchema(conn: Connection, opts: MigrateOptions & { production: boolean }): Promise<void> {
  const version = await schemaVersion(conn);
  if (version === SCHEMA_VERSION) return;
  if (version !== undefined && version > SCHEMA_VERSION) {
    throw new SchemaVersionError(`the database is at schema version ${version}, written by a newer ParkPay; this version knows ${SCHEMA_VERSION}: run the newer version`);
  }
  if (opts.production) {
    const what = version === undefined ? ((await hasData(conn)) ? 'has ParkPay data but no schema version' : 'is new (no schema version)') : `is at schema version ${version}`;
    throw new SchemaVersionError(`the database ${what}; this version needs ${SCHEMA_VERSION}: run \`npm run db:migrate\` (or node dist/scripts/db-migrate.js) with this version first`);
  }
  const older = version === undefined && (await hasData(conn));
  await migrate(conn, { ...opts, buildIndexes: false });
  if (older || version !== undefined) opts.log?.({ from: version ?? null, to: SCHEMA_VERSION }, 'the database was of an older version: migrated');
}
