/**
 * mongoose implementation of ListsRepository (our white/black lists, their paced jobs, delete-all
 * confirmations) and LotListsReader (the lot's 4.32 whitelist and 4.31 renewals, stored by lot-records).
 * Entries are keyed by park + list + plate key (_id); a job is one document updated in place under a lease.
 */
import { Schema, type Connection, type Model } from 'mongoose';
import type {
  ClearConfirmation,
  ImportJob,
  ImportJobChange,
  ListEntry,
  ListKind,
  ListPageFilter,
  ListsRepository,
  LotListsReader,
} from '../core/lists/model';
import type { LotWhitelistEntry, Renewal } from '../core/lot/model';
import { lotModels } from './lot-records';
import { toUpdate } from './patch';

/**
 * One document per park and list holding every entry under entries.<plateKey>: FerretDB v1 answers an _id
 * lookup and a one-document update fast, but scans the whole collection for anything else — so a chunk of 50
 * acknowledged plates is one update, a page or the 4.28 index one read.
 */
type StoredEntry = Omit<ListEntry, 'parkNumber' | 'list'>;
interface ListDoc {
  _id: string;
  parkNumber: string;
  list: ListKind;
  entries: Record<string, StoredEntry>;
}
type JobDoc = Omit<ImportJob, 'id'> & { _id: string };
type ConfirmDoc = Omit<ClearConfirmation, 'tokenHash'> & { _id: string };

const Mixed = Schema.Types.Mixed;

export function listModels(conn: Connection) {
  const reuse = <T>(name: string, schema: Schema<T>): Model<T> => (conn.models[name] as Model<T> | undefined) ?? conn.model<T>(name, schema);
  return {
    lists: reuse(
      'ParkList',
      new Schema<ListDoc>(
        { _id: { type: String, required: true }, parkNumber: String, list: String, entries: Mixed },
        { versionKey: false, minimize: false },
      ),
    ),
    jobs: reuse(
      'ListJob',
      new Schema<JobDoc>(
        {
          _id: { type: String, required: true },
          parkNumber: { type: String, required: true },
          list: String,
          kind: String,
          status: String,
          error: String,
          rows: Mixed,
          queue: [Number],
          next: Number,
          chunkSize: Number,
          chunks: Number,
          chunksDone: Number,
          createdBy: String,
          createdAt: Date,
          startedAt: Date,
          finishedAt: Date,
          updatedAt: Date,
          leaseOwner: String,
          leaseUntil: Date,
        },
        { versionKey: false, minimize: false },
      )
        .index({ parkNumber: 1, createdAt: -1 })
        .index({ status: 1 }),
    ),
    confirmations: reuse(
      'ListClearConfirmation',
      new Schema<ConfirmDoc>(
        { _id: { type: String, required: true }, parkNumber: String, list: String, operatorId: String, count: Number, expiresAt: Date },
        { versionKey: false },
      ),
    ),
  };
}

const listId = (parkNumber: string, list: ListKind) => JSON.stringify([parkNumber, list]);
/** The path of one entry (plate keys are plausible plates: no '.', no leading '$'). */
const path = (plateKey: string) => `entries.${plateKey.replace(/\./g, '\uff0e').replace(/^\$/, '\uff04')}`;

function toEntry(parkNumber: string, list: ListKind, stored: StoredEntry | undefined | null): ListEntry | undefined {
  // A path set on an entry deleted meanwhile (setSync racing a delete) leaves a fragment: not an entry.
  if (!stored || typeof stored.plate !== 'string') return undefined;
  const e = { ...stored, parkNumber, list } as ListEntry & Record<string, unknown>;
  for (const k of ['white', 'importId']) if (e[k] === null || e[k] === undefined) delete e[k];
  return e;
}

function stored(e: ListEntry): StoredEntry {
  const { parkNumber: _p, list: _l, ...rest } = e;
  return rest;
}

function toJob(d: JobDoc | null | undefined): ImportJob | undefined {
  if (!d) return undefined;
  const { _id, ...rest } = d;
  const j = { ...rest, id: _id } as ImportJob & Record<string, unknown>;
  for (const k of ['error', 'startedAt', 'finishedAt', 'leaseOwner', 'leaseUntil']) if (j[k] === null) delete j[k];
  return j;
}

export class MongoListsRepository implements ListsRepository, LotListsReader {
  private readonly m: ReturnType<typeof listModels>;
  private readonly lot: ReturnType<typeof lotModels>;

  constructor(conn: Connection) {
    this.m = listModels(conn);
    this.lot = lotModels(conn);
  }

  async init(): Promise<void> {
    await Promise.all([this.m.lists.init(), this.m.jobs.init(), this.m.confirmations.init()]);
  }

  private async entriesOf(parkNumber: string, list: ListKind): Promise<ListEntry[]> {
    const doc = await this.m.lists.findById(listId(parkNumber, list)).lean<ListDoc>();
    return Object.values(doc?.entries ?? {})
      .map((x) => toEntry(parkNumber, list, x))
      .filter((x): x is ListEntry => x !== undefined);
  }

  async upsert(e: ListEntry): Promise<void> {
    await this.m.lists.updateOne(
      { _id: listId(e.parkNumber, e.list) },
      { $set: { [path(e.plateKey)]: stored(e), parkNumber: e.parkNumber, list: e.list } },
      { upsert: true },
    );
  }

  async upsertMany(entries: ListEntry[]): Promise<void> {
    const groups = new Map<string, ListEntry[]>();
    for (const e of entries) groups.set(listId(e.parkNumber, e.list), [...(groups.get(listId(e.parkNumber, e.list)) ?? []), e]);
    for (const [id, group] of groups) {
      // Entries already listed keep their createdAt (an import over an existing plate is an edit).
      const before = new Map((await this.entriesOf(group[0]!.parkNumber, group[0]!.list)).map((x) => [x.plateKey, x.createdAt]));
      const set: Record<string, unknown> = { parkNumber: group[0]!.parkNumber, list: group[0]!.list };
      for (const e of group) set[path(e.plateKey)] = stored({ ...e, createdAt: before.get(e.plateKey) ?? e.createdAt });
      await this.m.lists.updateOne({ _id: id }, { $set: set }, { upsert: true });
    }
  }

  async get(parkNumber: string, list: ListKind, plateKey: string): Promise<ListEntry | undefined> {
    const doc = await this.m.lists.findById(listId(parkNumber, list), { [path(plateKey)]: 1 }).lean<ListDoc>();
    return toEntry(parkNumber, list, doc?.entries?.[path(plateKey).slice('entries.'.length)]);
  }

  async getMany(parkNumber: string, list: ListKind, plateKeys: string[]): Promise<Map<string, ListEntry>> {
    if (plateKeys.length === 0) return new Map();
    const projection = Object.fromEntries(plateKeys.map((k) => [path(k), 1]));
    const doc = await this.m.lists.findById(listId(parkNumber, list), projection).lean<ListDoc>();
    const out = new Map<string, ListEntry>();
    for (const k of plateKeys) {
      const e = toEntry(parkNumber, list, doc?.entries?.[path(k).slice('entries.'.length)]);
      if (e) out.set(k, e);
    }
    return out;
  }

  async remove(parkNumber: string, list: ListKind, plateKey: string): Promise<boolean> {
    const r = await this.m.lists.updateOne(
      { _id: listId(parkNumber, list), [path(plateKey)]: { $exists: true } },
      { $unset: { [path(plateKey)]: '' } },
    );
    return r.modifiedCount === 1;
  }

  async removeAll(parkNumber: string, list: ListKind): Promise<number> {
    const before = await this.m.lists
      .findOneAndUpdate({ _id: listId(parkNumber, list) }, { $set: { entries: {} } }, { returnDocument: 'before' })
      .lean<ListDoc>();
    return Object.values(before?.entries ?? {}).filter((x) => toEntry(parkNumber, list, x)).length;
  }

  async page(parkNumber: string, list: ListKind, f: ListPageFilter): Promise<{ entries: ListEntry[]; total: number }> {
    const all = (await this.entriesOf(parkNumber, list))
      .filter((e) => (!f.plateLike || e.plateKey.includes(f.plateLike)) && (!f.state || e.sync.state === f.state))
      .sort((a, b) => (a.plateKey < b.plateKey ? -1 : a.plateKey > b.plateKey ? 1 : 0));
    return { entries: all.slice(f.offset, f.offset + f.limit), total: all.length };
  }

  async all(parkNumber: string, list: ListKind): Promise<ListEntry[]> {
    return this.entriesOf(parkNumber, list);
  }

  async setSync(parkNumber: string, list: ListKind, plateKeys: string[], sync: ListEntry['sync']): Promise<void> {
    if (plateKeys.length === 0) return;
    const clean = { state: sync.state, at: sync.at, ...(sync.error !== undefined ? { error: sync.error } : {}) };
    const set: Record<string, unknown> = {};
    for (const k of plateKeys) set[`${path(k)}.sync`] = clean;
    await this.m.lists.updateOne({ _id: listId(parkNumber, list) }, { $set: set });
  }

  async insertJob(j: ImportJob): Promise<void> {
    const { id, ...rest } = j;
    await this.m.jobs.create({ ...rest, _id: id });
  }

  async getJob(id: string): Promise<ImportJob | undefined> {
    return toJob(await this.m.jobs.findById(id).lean<JobDoc>());
  }

  async listJobs(parkNumber: string, limit: number): Promise<ImportJob[]> {
    const docs = await this.m.jobs.find({ parkNumber }).sort({ createdAt: -1 }).limit(limit).lean<JobDoc[]>();
    return docs.map((d) => toJob(d)!);
  }

  async applyJob(id: string, c: ImportJobChange): Promise<boolean> {
    if (!c.when) throw new Error('an import job is changed by the holder of its lease only');
    const { rows, ...fields } = c.set;
    const update = toUpdate({ ...fields, ...(c.to ? { status: c.to } : {}) });
    // Each row's outcome by its index.
    for (const r of rows ?? []) {
      update.$set = { ...update.$set, [`rows.${r.row}.status`]: r.status, ...(r.error !== undefined ? { [`rows.${r.row}.error`]: r.error } : {}) };
    }
    const r = await this.m.jobs.updateOne({ _id: id, status: { $in: c.from }, leaseOwner: c.when.leaseOwner }, update);
    return r.matchedCount === 1;
  }

  async claimJob(id: string, owner: string, now: Date, leaseUntil: Date): Promise<ImportJob | undefined> {
    const doc = await this.m.jobs
      .findOneAndUpdate(
        {
          _id: id,
          status: { $in: ['queued', 'running'] },
          $or: [{ leaseOwner: { $exists: false } }, { leaseOwner: owner }, { leaseUntil: { $lt: now } }],
        },
        { $set: { leaseOwner: owner, leaseUntil } },
        { returnDocument: 'after' },
      )
      .lean<JobDoc>();
    return toJob(doc);
  }

  async unfinishedJobs(): Promise<ImportJob[]> {
    const docs = await this.m.jobs.find({ status: { $in: ['queued', 'running'] } }).lean<JobDoc[]>();
    return docs.map((d) => toJob(d)!);
  }

  async insertConfirmation(c: ClearConfirmation): Promise<void> {
    const { tokenHash, ...rest } = c;
    await this.m.confirmations.create({ ...rest, _id: tokenHash });
  }

  async takeConfirmation(tokenHash: string, made: { parkNumber: string; list: ListKind; operatorId: string }): Promise<ClearConfirmation | undefined> {
    const d = await this.m.confirmations.findOneAndDelete({ _id: tokenHash, ...made }).lean<ConfirmDoc>();
    if (!d) return undefined;
    const { _id, ...rest } = d;
    return { ...rest, tokenHash: _id } as ClearConfirmation;
  }

  // LotListsReader: what core/lot stored from the lot (4.32, 4.31).

  async lotWhitelist(parkNumber: string): Promise<LotWhitelistEntry[]> {
    const docs = await this.lot.whitelist.find({ parkNumber, deleted: false }).lean<(LotWhitelistEntry & { _id?: unknown })[]>();
    return docs
      .map(({ _id: _ignored, ...rest }) => rest as LotWhitelistEntry)
      .sort((a, b) => (a.fixedId ?? 0) - (b.fixedId ?? 0) || a.plateKey.localeCompare(b.plateKey));
  }

  async renewals(parkNumber: string, limit: number): Promise<Renewal[]> {
    const docs = await this.lot.renewals.find({ parkNumber }).sort({ receivedAt: -1 }).limit(limit).lean<(Renewal & { _id?: unknown })[]>();
    return docs.map(({ _id: _ignored, ...rest }) => rest as Renewal);
  }
}
