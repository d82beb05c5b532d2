/**
 * The database: a mongoose connection to MONGODB_URI, or to an embedded engine this process started.
 * Mongoose lives only under repository/. FerretDB v1 and a standalone mongod have no transactions, so every
 * state change in ParkPay is a single-document atomic update (findOneAndUpdate with a condition) or an
 * insert guarded by a unique index.
 */
import mongoose, { type Connection } from 'mongoose';
import { startEmbeddedEngine, type EmbeddedEngine, type EngineLog } from './engine';

export interface DatabaseOptions {
  /** A full MongoDB URI; when absent an embedded engine is started. */
  uri?: string;
  /** Database name used with an embedded engine (or when the URI names none). */
  dbName?: string;
  dataDir: string;
  cacheDir: string;
  log: EngineLog;
  /** The embedded engine's unexpected exits and restarts (default: log). */
  warn?: EngineLog;
  /** Whether mongoose builds each model's indexes itself (default true); production leaves that to db:migrate. */
  autoIndex?: boolean;
}

export interface EngineInfo {
  /** 'FerretDB' or 'mongod' (a server that does not say it is FerretDB). */
  engine: string;
  version: string;
  /** The MongoDB version the server reports speaking (FerretDB reports a compatible one). */
  wireVersion: string;
}

export class Database {
  private closed = false;
  private constructor(
    readonly connection: Connection,
    readonly embedded: EmbeddedEngine | undefined,
  ) {
    // The engine came back: ping at once so the driver reconnects now, not at its next heartbeat.
    embedded?.onStateChange((up) => {
      if (up) void this.ping();
    });
  }

  static async open(opts: DatabaseOptions): Promise<Database> {
    let embedded: EmbeddedEngine | undefined;
    let uri = opts.uri;
    if (!uri) {
      embedded = await startEmbeddedEngine({ dataDir: opts.dataDir, cacheDir: opts.cacheDir, log: opts.log, warn: opts.warn });
      uri = embedded.uri;
    }
    try {
      const connection = await mongoose
        .createConnection(uri, {
          dbName: opts.dbName ?? (embedded ? 'parkpay' : undefined),
          // An embedded engine that died is back within a second or two, or it is down for real: an operation
          // waits that long for it, not the 10 s a MongoDB replica set may need to elect a primary.
          serverSelectionTimeoutMS: embedded ? 3_000 : 10_000,
          // Fail fast instead of buffering operations for 10 s when the database is gone.
          bufferCommands: false,
          autoIndex: opts.autoIndex ?? true,
        })
        .asPromise();
      return new Database(connection, embedded);
    } catch (e) {
      await embedded?.stop();
      throw e;
    }
  }

  /**
   * False as soon as the database is known to be unreachable: the embedded engine is down, or the driver
   * has lost the server. Requests that need the database are refused with 503 then, instead of waiting.
   */
  available(): boolean {
    return (this.embedded?.up ?? true) && this.connection.readyState === 1;
  }

  /** True when the database answers a ping within the timeout (false at once while the embedded engine is down). */
  async ping(timeoutMs = 2_000): Promise<boolean> {
    const db = this.connection.db;
    // Not after close(): the driver would connect a closed client again.
    if (!db || this.closed || this.embedded?.up === false) return false;
    let timer: NodeJS.Timeout | undefined;
    try {
      const result = await Promise.race([
        db.admin().command({ ping: 1 }),
        new Promise<never>((_, reject) => {
          timer = setTimeout(() => reject(new Error('ping timed out')), timeoutMs);
        }),
      ]);
      return result?.ok === 1;
    } catch {
      return false;
    } finally {
      clearTimeout(timer);
    }
  }

  async describe(): Promise<EngineInfo> {
    const info = await this.connection.db!.admin().command({ buildInfo: 1 });
    const wireVersion = String(info.version ?? 'unknown');
    if ('ferretdbVersion' in info) {
      const reported = String(info.ferretdbVersion);
      return { engine: 'FerretDB', version: reported !== 'unknown' ? reported : (this.embedded?.version ?? 'unknown'), wireVersion };
    }
    return { engine: 'mongod', version: wireVersion, wireVersion };
  }

  /** Close the connection, then stop the engine this process started (if any). */
  async close(): Promise<void> {
    this.closed = true;
    await this.connection.close();
    await this.embedded?.stop();
  }
}
