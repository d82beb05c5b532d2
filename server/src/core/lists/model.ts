/**
 * Our white and black lists per park (4.6–4.11). ParkPay keeps its own copy of what it sent the lot — each
 * entry with its sync state — because the lot's answers are per call, its query (4.8/4.11) needs the plates
 * asked for, and our 4.28 rules read the blacklist without asking the lot.
 *
 * Sync states: 'pending' (not yet acknowledged by the lot), 'synced', 'refused' (the lot said no: its reason
 * kept), 'failed' (no clear answer: timeout, network, 5xx — send it again).
 *
 * The lot's own whitelist (4.32, online and offline) and its fixed-car renewals (4.31) are stored by core/lot;
 * they are shown beside ours, read-only.
 */
import type { LotWhitelistEntry, Renewal } from '../lot/model';
import type { Patch } from '../patch';
import type { Change, Moves } from '../state';

export type ListKind = 'white' | 'black';
export type SyncState = 'pending' | 'synced' | 'refused' | 'failed';

/** 4.6 fields of a whitelist entry besides the plate (dates yyyy-MM-dd, China dates). */
export interface WhiteDetails {
  start: string;
  end: string;
  chargeType: string;
  name: string;
  certificate: string;
  address: string;
  phone: string;
  plateColor: string;
  dept: string;
  carType: string;
  areas: { areaId: number; start: string; end: string }[];
}

export interface ListEntry {
  parkNumber: string;
  list: ListKind;
  /** What is sent to the lot: the normalized plate ("京 a12345" → "京A12345"), the same as its key. */
  plate: string;
  plateKey: string;
  /** 4.6/4.9 memo; for the blacklist the reason (4.28 answers it). */
  memo: string;
  /** Whitelist entries only. */
  white?: WhiteDetails;
  sync: { state: SyncState; error?: string; at: Date };
  origin: 'manual' | 'import';
  importId?: string;
  updatedBy: string;
  createdAt: Date;
  updatedAt: Date;
}

/** What one import row became. */
export type ImportRowStatus = 'invalid' | 'duplicate' | 'queued' | 'synced' | 'refused' | 'failed';

export interface ImportRow {
  /** 1-based line of the CSV (the header is line 1 when there is one). */
  line: number;
  plate: string;
  status: ImportRowStatus;
  error?: string;
}

export const IMPORT_JOB_STATES = ['queued', 'running', 'done', 'failed'] as const;
export type ImportJobStatus = (typeof IMPORT_JOB_STATES)[number];

/** A job is queued, runs chunk by chunk, and ends done, or failed (the park gone, the lot not answering). */
export const IMPORT_JOB_MOVES: Moves<ImportJobStatus> = { queued: ['running', 'failed'], running: ['done', 'failed'], done: [], failed: [] };

/** A paced background job: a CSV import, or a resend of the entries the lot has not acknowledged. */
export interface ImportJob {
  id: string;
  parkNumber: string;
  list: ListKind;
  kind: 'import' | 'resync';
  status: ImportJobStatus;
  /** Why a failed job stopped. */
  error?: string;
  rows: ImportRow[];
  /** Indexes into rows of the rows to send, in order; `next` of them were handled. */
  queue: number[];
  next: number;
  /** 4.6/4.9 chunk size (≤50) and counts. */
  chunkSize: number;
  chunks: number;
  chunksDone: number;
  createdBy: string;
  createdAt: Date;
  startedAt?: Date;
  finishedAt?: Date;
  updatedAt: Date;
  leaseOwner?: string;
  leaseUntil?: Date;
}

/** What became of one row the job sent (its index into rows). */
export interface RowResult {
  row: number;
  status: ImportRowStatus;
  error?: string;
}

/** The fields a change of a job sets, and the rows whose outcome it records. */
export type ImportJobPatch = Patch<Pick<ImportJob, 'error' | 'next' | 'chunksDone' | 'startedAt' | 'finishedAt' | 'updatedAt' | 'leaseUntil'>> & {
  readonly rows?: readonly RowResult[];
};

/** Every change of a job is made by the holder of its lease. */
export interface ImportJobWhen {
  leaseOwner: string;
}

export type ImportJobChange = Change<ImportJobStatus, ImportJobPatch, ImportJobWhen>;

/** A pending "delete all" waiting for its confirmation. */
export interface ClearConfirmation {
  /** sha256 of the token handed to the operator. */
  tokenHash: string;
  parkNumber: string;
  list: ListKind;
  operatorId: string;
  count: number;
  expiresAt: Date;
}

export interface ListPageFilter {
  /** Part of a plate key. */
  plateLike?: string;
  state?: SyncState;
  limit: number;
  offset: number;
}

/** Persistence (repository/lists.ts). */
export interface ListsRepository {
  upsert(e: ListEntry): Promise<void>;
  upsertMany(entries: ListEntry[]): Promise<void>;
  get(parkNumber: string, list: ListKind, plateKey: string): Promise<ListEntry | undefined>;
  /** The entries of these plates that exist. */
  getMany(parkNumber: string, list: ListKind, plateKeys: string[]): Promise<Map<string, ListEntry>>;
  remove(parkNumber: string, list: ListKind, plateKey: string): Promise<boolean>;
  removeAll(parkNumber: string, list: ListKind): Promise<number>;
  page(parkNumber: string, list: ListKind, f: ListPageFilter): Promise<{ entries: ListEntry[]; total: number }>;
  all(parkNumber: string, list: ListKind): Promise<ListEntry[]>;
  setSync(parkNumber: string, list: ListKind, plateKeys: string[], sync: ListEntry['sync']): Promise<void>;

  insertJob(j: ImportJob): Promise<void>;
  getJob(id: string): Promise<ImportJob | undefined>;
  listJobs(parkNumber: string, limit: number): Promise<ImportJob[]>;
  /** Apply the change when the job is in one of its `from` states and its lease holder is the change's; whether it applied. */
  applyJob(id: string, change: ImportJobChange): Promise<boolean>;
  /** Take the job's lease when it is queued or running with an expired lease. */
  claimJob(id: string, owner: string, now: Date, leaseUntil: Date): Promise<ImportJob | undefined>;
  /** Jobs not finished (at boot: to resume). */
  unfinishedJobs(): Promise<ImportJob[]>;

  insertConfirmation(c: ClearConfirmation): Promise<void>;
  /** Take (delete) the confirmation with this hash made for this park, list and operator; undefined when there is none. */
  takeConfirmation(tokenHash: string, made: { parkNumber: string; list: ListKind; operatorId: string }): Promise<ClearConfirmation | undefined>;
}

/** The lot's side, stored by core/lot (4.32, 4.31): read-only here. */
export interface LotListsReader {
  lotWhitelist(parkNumber: string): Promise<LotWhitelistEntry[]>;
  /** Newest first. */
  renewals(parkNumber: string, limit: number): Promise<Renewal[]>;
}

/** What a list call to the lot can end in besides success. */
export class LotListError extends Error {
  constructor(
    /** 'refused': the lot answered fail (reason: its text); 'unreachable': no clear answer; 'invalid': not sent (our data). */
    readonly kind: 'refused' | 'unreachable' | 'invalid',
    readonly reason: string,
  ) {
    super(reason);
    this.name = 'LotListError';
  }
}

/** A whitelist entry as sent to the lot (4.6). */
export type WhiteSend = { plate: string; memo: string } & WhiteDetails;
/** A blacklist entry as sent to the lot (4.9). */
export interface BlackSend {
  plate: string;
  memo: string;
}

/** The lot, for lists (adapter/bluecard/lists-gateway.ts). Failures throw LotListError. */
export interface ListsLot {
  /** 4.6, 1–50 entries; paced by the client (≥5 s after the lot's previous answer). */
  upsertWhite(park: { parkNumber: string; key: string; bluecardBaseUrl: string }, entries: WhiteSend[]): Promise<void>;
  /** 4.9, 1–50 entries; paced like 4.6. */
  upsertBlack(park: { parkNumber: string; key: string; bluecardBaseUrl: string }, entries: BlackSend[]): Promise<void>;
  /** 4.7 / 4.10 for one plate. */
  remove(park: { parkNumber: string; key: string; bluecardBaseUrl: string }, list: ListKind, plate: string): Promise<void>;
  /** 4.7 / 4.10 with plate "": EVERY online entry of the lot's list. */
  clear(park: { parkNumber: string; key: string; bluecardBaseUrl: string }, list: ListKind): Promise<void>;
  /** 4.8 / 4.11: what the lot has for these plates. */
  query(park: { parkNumber: string; key: string; bluecardBaseUrl: string }, list: ListKind, plates: string[]): Promise<{ plate: string; memo: string; white?: WhiteDetails }[]>;
}

/** 4.6: at most this many entries a call (4.9 the same, to be safe). */
export const LIST_CHUNK = 50;
/** 4.6: at least this long after the lot's previous answer (the client waits it). */
export const LIST_PACE_MS = 5_000;
