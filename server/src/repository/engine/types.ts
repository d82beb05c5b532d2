/** A MongoDB-wire database engine the server started by itself (no MONGODB_URI given). */
export interface EmbeddedEngine {
  /** 'FerretDB' or 'mongod'. */
  readonly name: string;
  readonly version: string;
  /** Base URI without a database name, e.g. mongodb://127.0.0.1:40123/ */
  readonly uri: string;
  readonly dataDir: string;
  /** False while the engine is down (it died and is being restarted, or it was stopped). */
  readonly up: boolean;
  /** Told when the engine goes down or comes back; returns the unsubscribe. */
  onStateChange(listener: (up: boolean) => void): () => void;
  stop(): Promise<void>;
}

/** Progress and warnings while an engine is found, built or started. */
export type EngineLog = (message: string) => void;

export class NoEngineError extends Error {
  constructor(reasons: string[]) {
    super(
      'No MongoDB database engine is available. Do one of these:\n' +
        '  - set MONGODB_URI to a MongoDB (or FerretDB) server, e.g. MONGODB_URI=mongodb://127.0.0.1:27017/parkpay\n' +
        '  - install Go 1.24 or newer (https://go.dev/dl/, or `apt-get install golang`) so ParkPay can build FerretDB v1.24.2 once\n' +
        '    (or run `npm run db:build` yourself; the binary can also be put on PATH as `parkpay-ferretdb`)\n' +
        '  - allow mongodb-memory-server to download mongod (needs access to fastdl.mongodb.org)\n' +
        `What was tried:\n${reasons.map((r) => `  - ${r}`).join('\n')}`,
    );
    this.name = 'NoEngineError';
  }
}

/** Another engine (another ParkPay process) holds the data folder: two engines on one folder would corrupt it. */
export class EngineLockedError extends Error {
  constructor(
    readonly dataDir: string,
    /** What the engine said (it names the holder's pid). */
    detail: string,
  ) {
    const holder = /\(pid \d+\)/.exec(detail)?.[0];
    super(
      `The database folder ${dataDir} is in use by another ParkPay database engine${holder ? ` ${holder}` : ''}: ` +
        'one engine per data folder. Stop the other ParkPay process, or give this one another PARKPAY_DATA_DIR.',
    );
    this.name = 'EngineLockedError';
  }
}
