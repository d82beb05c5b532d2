/**
 * The lists service: our white and black lists per park, kept in step with the lot (4.6–4.11).
 *
 *  - add or edit one entry: stored first (state pending), then sent (4.6 / 4.9); its state says what the
 *    lot answered;
 *  - delete one: the lot first (4.7 / 4.10), then ours — an entry the lot still has is never dropped here;
 *  - delete all: two steps — ask (a confirmation token, valid two minutes, with the count and a warning),
 *    then confirm with the token; the lot's call with plate "" clears EVERY online entry of its list;
 *  - CSV import of hundreds of plates, and a resend of what the lot has not acknowledged: a background job,
 *    chunks of ≤50, each sent ≥5 s after the lot's previous answer (the client paces, per park), with
 *    progress and a result per row, resumable after a restart (a lease on the job document);
 *  - query: ours (by plate, by state, paged), the lot's own whitelist (4.32) and renewals (4.31) beside it,
 *    and what the lot has for given plates (4.8 / 4.11).
 * Our blacklist also feeds the 4.28 rules (BlacklistLookup): listeners hear of every change.
 * Lists are for admins and operators; merchants only give coupons.
 */
import { createHash, randomBytes } from 'node:crypto';
import { normalizePlate } from '../../../../shared/plate';
import { formatChinaDate } from '../../../../shared/time';
import { dateNow, type Clock } from '../clock';
import { ListError } from './errors';
import type { BlacklistLookup } from '../lanepay/open-gate';
import { assertParkAccess, assertRole, type Operator } from '../operators/model';
import type { ParkDirectory } from '../parks';
import * as changes from './changes';
import { checkEntry, DUPLICATE, readListCsv, type CheckedRow } from './csv';
import {
  LIST_CHUNK,
  LIST_PACE_MS,
  LotListError,
  type ImportJob,
  type ImportJobChange,
  type ImportRow,
  type RowResult,
  type ListEntry,
  type ListKind,
  type ListsLot,
  type ListsRepository,
  type LotListsReader,
  type SyncState,
  type WhiteDetails,
} from './model';
import type { Log } from '../log';

export interface ListsPolicy {
  /** Rows an import may have. */
  maxImportRows: number;
  /** Entries a list of a park may hold. */
  maxEntries: number;
  /** How long a delete-all confirmation stays valid. */
  confirmTtlMs: number;
  /** A job's lease, renewed after every chunk. */
  jobLeaseMs: number;
  /** A job gives up after this many chunks in a row got no clear answer (the lot is down). */
  maxUnansweredChunks: number;
}

export const DEFAULT_LISTS_POLICY: ListsPolicy = { maxImportRows: 2_000, maxEntries: 10_000, confirmTtlMs: 120_000, jobLeaseMs: 300_000, maxUnansweredChunks: 3 };

export interface ListsServiceDeps {
  lists: ListsRepository;
  lot: ListsLot;
  lotRecords: LotListsReader;
  parks: ParkDirectory;
  clock: Clock;
  policy?: Partial<ListsPolicy>;
  log?: Log;
  /** This process's name in job leases. */
  owner?: string;
}

/** An operator's entry (add or edit): the 4.6 fields for the whitelist, plate and memo for the blacklist. */
export interface EntryInput {
  plate: string;
  memo?: string;
  start?: string;
  end?: string;
  name?: string;
  phone?: string;
  carType?: string;
  chargeType?: string;
  plateColor?: string;
  dept?: string;
  certificate?: string;
  address?: string;
  areas?: WhiteDetails['areas'];
}

export interface JobProgress {
  total: number;
  queued: number;
  synced: number;
  refused: number;
  failed: number;
  invalid: number;
  duplicate: number;
  /** Seconds left at the lot's pace (≥5 s a chunk), roughly. */
  etaSeconds: number;
}

export function progressOf(job: ImportJob): JobProgress {
  const count = (s: ImportRow['status']) => job.rows.filter((r) => r.status === s).length;
  const chunksLeft = Math.max(0, job.chunks - job.chunksDone);
  return {
    total: job.rows.length,
    queued: count('queued'),
    synced: count('synced'),
    refused: count('refused'),
    failed: count('failed'),
    invalid: count('invalid'),
    duplicate: count('duplicate'),
    etaSeconds: job.status === 'done' || job.status === 'failed' ? 0 : Math.ceil((chunksLeft * LIST_PACE_MS) / 1000),
  };
}

const hash = (token: string) => createHash('sha256').update(token).digest('hex');

/** The plates of `chunk` the lot's refusal text names (e.g. "车牌重复: 京A12345"). */
function platesNamed(reason: string, plates: { plate: string; plateKey: string }[]): Set<string> {
  const key = normalizePlate(reason);
  return new Set(plates.filter((p) => p.plateKey !== '' && key.includes(p.plateKey)).map((p) => p.plateKey));
}

/**
 * What an operator reads of a lot failure on an entry or a row: the lot's own words when it refused (they
 * are Chinese), else what happened in words (the technical detail goes to the log).
 */
export function operatorReason(e: LotListError): string {
  if (e.kind === 'unreachable') return '车场没有明确应答，可稍后重发';
  if (e.kind === 'invalid') return '内容不符合车场系统的要求，没有发送';
  return e.reason;
}

export class ListsService implements BlacklistLookup {
  private readonly policy: ListsPolicy;
  private readonly owner: string;
  private readonly listeners: ((parkNumber: string) => Promise<void>)[] = [];
  private readonly running = new Map<string, Promise<void>>();
  private stopped = false;

  constructor(private readonly deps: ListsServiceDeps) {
    this.policy = { ...DEFAULT_LISTS_POLICY, ...deps.policy };
    this.owner = deps.owner ?? `lists-${randomBytes(4).toString('hex')}`;
  }

  private today(): string {
    return formatChinaDate(this.deps.clock.now());
  }

  private allowed(op: Operator, parkNumber: string): void {
    assertParkAccess(op, parkNumber);
    assertRole(op, 'admin', 'operator');
  }

  private async park(parkNumber: string) {
    const park = await this.deps.parks.get(parkNumber);
    if (!park) throw new ListError('park_unknown', `park ${parkNumber} is not served by ParkPay`);
    return park;
  }

  // -------------------------------------------------------------------------------------------------------
  // BlacklistLookup (4.28)

  async blacklisted(parkNumber: string): Promise<{ plateKey: string; reason: string }[]> {
    return (await this.deps.lists.all(parkNumber, 'black')).map((e) => ({ plateKey: e.plateKey, reason: e.memo }));
  }

  onChange(listener: (parkNumber: string) => Promise<void>): void {
    this.listeners.push(listener);
  }

  /** Tell the listeners (the 4.28 index) and wait for them: a change answered to the operator is in force. */
  private async changed(parkNumber: string, list: ListKind): Promise<void> {
    if (list !== 'black') return;
    await Promise.all(
      this.listeners.map((l) => l(parkNumber).catch((err: unknown) => this.deps.log?.error({ err, parkNumber }, 'blacklist change listener failed'))),
    );
  }

  // -------------------------------------------------------------------------------------------------------
  // One entry

  private lotErrorToApp(e: unknown): never {
    if (e instanceof LotListError) {
      if (e.kind === 'refused') throw new ListError('lot_refused', `the parking lot says: ${e.reason}`, { lotSays: e.reason });
      if (e.kind === 'invalid') throw new ListError('invalid_entry', e.reason);
      throw new ListError('lot_unreachable', `the parking lot cannot be reached right now: ${e.reason}`);
    }
    throw e;
  }

  private syncOf(e: unknown): ListEntry['sync'] {
    const at = dateNow(this.deps.clock);
    if (e instanceof LotListError) {
      return { state: e.kind === 'unreachable' ? 'failed' : 'refused', error: operatorReason(e), at };
    }
    throw e;
  }

  /** Add or edit one entry: stored, then sent to the lot; the entry with what the lot answered. */
  async upsert(op: Operator, parkNumber: string, list: ListKind, input: EntryInput): Promise<ListEntry> {
    this.allowed(op, parkNumber);
    const park = await this.park(parkNumber);
    const checked = checkEntry(list, input, this.today());
    if ('error' in checked) throw new ListError('invalid_entry', checked.error);
    const now = dateNow(this.deps.clock);
    const before = await this.deps.lists.get(parkNumber, list, checked.entry.plateKey);
    if (!before && (await this.deps.lists.page(parkNumber, list, { limit: 0, offset: 0 })).total >= this.policy.maxEntries) {
      throw new ListError('list_full', `a list holds at most ${this.policy.maxEntries} entries`);
    }
    const entry: ListEntry = {
      parkNumber,
      list,
      plate: checked.entry.plate,
      plateKey: checked.entry.plateKey,
      memo: checked.entry.memo,
      ...(checked.entry.white ? { white: checked.entry.white } : {}),
      sync: { state: 'pending', at: now },
      origin: 'manual',
      updatedBy: op.username,
      createdAt: before?.createdAt ?? now,
      updatedAt: now,
    };
    await this.deps.lists.upsert(entry);
    await this.changed(parkNumber, list);
    try {
      if (list === 'white') await this.deps.lot.upsertWhite(park, [{ plate: entry.plate, memo: entry.memo, ...entry.white! }]);
      else await this.deps.lot.upsertBlack(park, [{ plate: entry.plate, memo: entry.memo }]);
      entry.sync = { state: 'synced', at: dateNow(this.deps.clock) };
    } catch (e) {
      entry.sync = this.syncOf(e);
    }
    await this.deps.lists.setSync(parkNumber, list, [entry.plateKey], entry.sync);
    return entry;
  }

  /** Delete one entry: at the lot first (4.7 / 4.10), then ours. */
  async remove(op: Operator, parkNumber: string, list: ListKind, plate: string): Promise<{ removed: boolean }> {
    this.allowed(op, parkNumber);
    const park = await this.park(parkNumber);
    const plateKey = normalizePlate(plate);
    const entry = await this.deps.lists.get(parkNumber, list, plateKey);
    if (!entry) throw new ListError('not_found', `plate ${plate} is not on ParkPay's ${list}list of park ${parkNumber}`);
    try {
      await this.deps.lot.remove(park, list, entry.plate);
    } catch (e) {
      // An entry the lot refused or never got is not at the lot: ours can go. Otherwise keep it and say why.
      if (!(e instanceof LotListError && e.kind === 'refused' && entry.sync.state !== 'synced')) this.lotErrorToApp(e);
    }
    const removed = await this.deps.lists.remove(parkNumber, list, plateKey);
    await this.changed(parkNumber, list);
    return { removed };
  }

  // -------------------------------------------------------------------------------------------------------
  // Delete all, in two steps

  async requestClear(op: Operator, parkNumber: string, list: ListKind): Promise<{ confirmation: string; count: number; expiresAt: Date; warning: string }> {
    this.allowed(op, parkNumber);
    await this.park(parkNumber);
    const { total } = await this.deps.lists.page(parkNumber, list, { limit: 1, offset: 0 });
    const token = randomBytes(16).toString('base64url');
    const expiresAt = new Date(this.deps.clock.now() + this.policy.confirmTtlMs);
    await this.deps.lists.insertConfirmation({ tokenHash: hash(token), parkNumber, list, operatorId: op.id, count: total, expiresAt });
    const name = list === 'white' ? '白名单 whitelist' : '黑名单 blacklist';
    return {
      confirmation: token,
      count: total,
      expiresAt,
      warning: `This deletes the ${total} entries of ParkPay's ${name} of park ${parkNumber} AND every online ${list}list entry the lot has (4.${list === 'white' ? '7' : '10'} with an empty plate), also those another system gave it. Confirm within ${Math.round(this.policy.confirmTtlMs / 1000)} s.`,
    };
  }

  async confirmClear(op: Operator, parkNumber: string, list: ListKind, confirmation: string): Promise<{ removed: number }> {
    this.allowed(op, parkNumber);
    const park = await this.park(parkNumber);
    // Only the operator who asked, for this park and list, can use (and so spend) the token.
    const c = await this.deps.lists.takeConfirmation(hash(confirmation), { parkNumber, list, operatorId: op.id });
    if (!c) {
      throw new ListError('confirmation_invalid', 'this confirmation is unknown, used, or for another list: ask again');
    }
    if (c.expiresAt.getTime() < this.deps.clock.now()) throw new ListError('confirmation_expired', 'the confirmation expired: ask again');
    try {
      await this.deps.lot.clear(park, list);
    } catch (e) {
      this.lotErrorToApp(e);
    }
    const removed = await this.deps.lists.removeAll(parkNumber, list);
    await this.changed(parkNumber, list);
    this.deps.log?.warn({ parkNumber, list, removed, operator: op.username }, 'list cleared at the lot and here');
    return { removed };
  }

  // -------------------------------------------------------------------------------------------------------
  // Reading

  async page(op: Operator, parkNumber: string, list: ListKind, f: { plate?: string; state?: SyncState; limit?: number; offset?: number }) {
    this.allowed(op, parkNumber);
    return this.deps.lists.page(parkNumber, list, {
      plateLike: f.plate ? normalizePlate(f.plate) : undefined,
      state: f.state,
      limit: Math.min(Math.max(f.limit ?? 50, 1), 500),
      offset: Math.max(f.offset ?? 0, 0),
    });
  }

  /** The lot's own whitelist (4.32) and latest renewals (4.31), shown beside ours. */
  async lotSide(op: Operator, parkNumber: string, renewalLimit = 100) {
    this.allowed(op, parkNumber);
    const [whitelist, renewals] = await Promise.all([
      this.deps.lotRecords.lotWhitelist(parkNumber),
      this.deps.lotRecords.renewals(parkNumber, renewalLimit),
    ]);
    return { whitelist, renewals };
  }

  /** 4.8 / 4.11: what the lot has for these plates (at most 50). */
  async queryLot(op: Operator, parkNumber: string, list: ListKind, plates: string[]) {
    this.allowed(op, parkNumber);
    const park = await this.park(parkNumber);
    const wanted = [...new Set(plates.map((p) => p.trim()).filter(Boolean))];
    if (wanted.length === 0 || wanted.length > LIST_CHUNK) throw new ListError('invalid_plates', `ask for 1 to ${LIST_CHUNK} plates`);
    try {
      return await this.deps.lot.query(park, list, wanted);
    } catch (e) {
      this.lotErrorToApp(e);
    }
  }

  // -------------------------------------------------------------------------------------------------------
  // Paced jobs: CSV import, resend

  /** Read a CSV, store its valid rows (pending), and start sending them in the background. The job at once. */
  async startImport(op: Operator, parkNumber: string, list: ListKind, csv: string): Promise<ImportJob> {
    this.allowed(op, parkNumber);
    await this.park(parkNumber);
    let rows: CheckedRow[];
    try {
      rows = readListCsv(list, csv, this.today()).rows;
    } catch (e) {
      throw new ListError('bad_csv', (e as Error).message);
    }
    if (rows.length === 0) throw new ListError('bad_csv', '文件里没有数据行');
    if (rows.length > this.policy.maxImportRows) throw new ListError('bad_csv', `一次最多导入 ${this.policy.maxImportRows} 行，这个文件有 ${rows.length} 行`);
    const listed = new Set((await this.deps.lists.all(parkNumber, list)).map((e) => e.plateKey));
    const added = rows.filter((r) => r.entry && !listed.has(r.entry.plateKey)).length;
    if (listed.size + added > this.policy.maxEntries) {
      throw new ListError('list_full', `the list would hold ${listed.size + added} entries; at most ${this.policy.maxEntries}`);
    }
    const now = dateNow(this.deps.clock);
    const id = `imp_${randomBytes(8).toString('hex')}`;
    const entries: ListEntry[] = [];
    const jobRows: ImportRow[] = rows.map((r) => {
      if (!r.entry) return { line: r.line, plate: r.plate, status: r.error === DUPLICATE ? 'duplicate' : 'invalid', error: r.error };
      entries.push({
        parkNumber,
        list,
        plate: r.entry.plate,
        plateKey: r.entry.plateKey,
        memo: r.entry.memo,
        ...(r.entry.white ? { white: r.entry.white } : {}),
        sync: { state: 'pending', at: now },
        origin: 'import',
        importId: id,
        updatedBy: op.username,
        createdAt: now,
        updatedAt: now,
      });
      return { line: r.line, plate: r.plate, status: 'queued' };
    });
    const queue = jobRows.map((r, i) => (r.status === 'queued' ? i : -1)).filter((i) => i >= 0);
    const job: ImportJob = {
      id, parkNumber, list, kind: 'import', status: 'queued', rows: jobRows, queue, next: 0,
      chunkSize: LIST_CHUNK, chunks: Math.ceil(queue.length / LIST_CHUNK), chunksDone: 0,
      createdBy: op.username, createdAt: now, updatedAt: now,
    };
    // Entries first: the job sends what the list holds (an edit made meanwhile is what goes out).
    await this.deps.lists.upsertMany(entries);
    await this.deps.lists.insertJob(job);
    await this.changed(parkNumber, list);
    this.deps.log?.info({ parkNumber, list, jobId: id, rows: rows.length, queued: queue.length }, 'list import started');
    this.kick(id);
    return job;
  }

  /** Send again every entry the lot has not acknowledged (pending or failed), as a job. */
  async startResync(op: Operator, parkNumber: string, list: ListKind): Promise<ImportJob> {
    this.allowed(op, parkNumber);
    await this.park(parkNumber);
    const todo = (await this.deps.lists.all(parkNumber, list)).filter((e) => e.sync.state === 'pending' || e.sync.state === 'failed');
    if (todo.length === 0) throw new ListError('nothing_to_send', 'every entry is acknowledged by the lot or refused by it');
    const now = dateNow(this.deps.clock);
    const rows: ImportRow[] = todo.map((e, i) => ({ line: i + 1, plate: e.plate, status: 'queued' }));
    const job: ImportJob = {
      id: `rsy_${randomBytes(8).toString('hex')}`, parkNumber, list, kind: 'resync', status: 'queued', rows,
      queue: rows.map((_, i) => i), next: 0, chunkSize: LIST_CHUNK, chunks: Math.ceil(rows.length / LIST_CHUNK), chunksDone: 0,
      createdBy: op.username, createdAt: now, updatedAt: now,
    };
    await this.deps.lists.insertJob(job);
    this.kick(job.id);
    return job;
  }

  async job(op: Operator, parkNumber: string, id: string): Promise<ImportJob> {
    this.allowed(op, parkNumber);
    const job = await this.deps.lists.getJob(id);
    if (!job || job.parkNumber !== parkNumber) throw new ListError('not_found', `no import ${id} in park ${parkNumber}`);
    return job;
  }

  async jobs(op: Operator, parkNumber: string, limit = 20): Promise<ImportJob[]> {
    this.allowed(op, parkNumber);
    return this.deps.lists.listJobs(parkNumber, Math.min(Math.max(limit, 1), 100));
  }

  /** Run a job in this process (unless it runs here already). Returns when it stops. */
  kick(id: string): Promise<void> {
    const running = this.running.get(id);
    if (running) return running;
    const p = this.run(id)
      .catch((err: unknown) => this.deps.log?.error({ err, jobId: id }, 'list job crashed'))
      .finally(() => this.running.delete(id));
    this.running.set(id, p);
    return p;
  }

  /** At boot: take up the jobs a stopped process left (their lease ran out) and run them. */
  async resume(): Promise<number> {
    const jobs = await this.deps.lists.unfinishedJobs();
    for (const j of jobs) void this.kick(j.id);
    return jobs.length;
  }

  /** Wait for the jobs running in this process (tests, shutdown). */
  async idle(): Promise<void> {
    while (this.running.size) await Promise.all([...this.running.values()]);
  }

  /** No new chunks after this (shutdown); a chunk on the wire finishes. */
  stop(): void {
    this.stopped = true;
  }

  private async run(id: string): Promise<void> {
    const lease = () => new Date(this.deps.clock.now() + this.policy.jobLeaseMs);
    const job = await this.deps.lists.claimJob(id, this.owner, dateNow(this.deps.clock), lease());
    if (!job) return;
    const park = await this.deps.parks.get(job.parkNumber);
    const held = () => ({ owner: this.owner, until: lease() });
    const update = async (c: ImportJobChange) => {
      if (!(await this.deps.lists.applyJob(id, c))) throw new Error(`lost the lease of job ${id}`);
    };
    if (!park) {
      await update(changes.failed(held(), job.status, `车场 ${job.parkNumber} 已不再接入，导入中止`, dateNow(this.deps.clock)));
      return;
    }
    if (job.status === 'queued') await update(changes.started(held(), dateNow(this.deps.clock)));
    let unanswered = 0;
    while (job.next < job.queue.length) {
      if (this.stopped) return; // the lease runs out; another start resumes it
      const slice = job.queue.slice(job.next, job.next + job.chunkSize);
      const rows: RowResult[] = [];
      const results = await this.sendChunk(job, park, slice);
      let anyAnswer = false;
      for (const [rowIndex, r] of results) {
        rows.push({ row: rowIndex, status: r.status, ...(r.error !== undefined ? { error: r.error } : {}) });
        job.rows[rowIndex] = { ...job.rows[rowIndex]!, status: r.status, ...(r.error !== undefined ? { error: r.error } : {}) };
        if (r.status !== 'failed') anyAnswer = true;
      }
      unanswered = anyAnswer ? 0 : unanswered + 1;
      job.next += slice.length;
      job.chunksDone += 1;
      if (unanswered >= this.policy.maxUnansweredChunks && job.next < job.queue.length) {
        // The lot is down: the rest is not sent now (a resend job takes it later).
        const reason = '未发送：车场前几批都没有应答';
        for (const rowIndex of job.queue.slice(job.next)) rows.push({ row: rowIndex, status: 'failed', error: reason });
        await this.markFailed(job, job.queue.slice(job.next), reason);
        const error = `车场连续 ${unanswered} 批没有应答，已中止；车场恢复后可“重发未确认的”`;
        await update(changes.failed(held(), 'running', error, dateNow(this.deps.clock), { rows, next: job.queue.length, chunksDone: job.chunksDone }));
        this.deps.log?.warn({ jobId: id, parkNumber: job.parkNumber }, 'list job stopped: the lot does not answer');
        return;
      }
      await update(changes.progressed(held(), { rows, next: job.next, chunksDone: job.chunksDone }, dateNow(this.deps.clock)));
    }
    await update(changes.done(held(), dateNow(this.deps.clock)));
    const p = progressOf((await this.deps.lists.getJob(id)) ?? job);
    this.deps.log?.info({ jobId: id, parkNumber: job.parkNumber, list: job.list, ...p }, 'list job done');
  }

  private async markFailed(job: ImportJob, rowIndexes: number[], reason: string): Promise<void> {
    const keys = rowIndexes.map((i) => normalizePlate(job.rows[i]!.plate));
    await this.deps.lists.setSync(job.parkNumber, job.list, keys, { state: 'failed', error: reason, at: dateNow(this.deps.clock) });
  }

  /**
   * Send one chunk (the rows' current entries from the list). A refusal that names plates marks those rows
   * refused and sends the others again (at most twice more); a refusal that names none refuses the chunk.
   */
  private async sendChunk(
    job: ImportJob,
    park: { parkNumber: string; key: string; bluecardBaseUrl: string },
    rowIndexes: number[],
  ): Promise<Map<number, { status: ImportRow['status']; error?: string }>> {
    const out = new Map<number, { status: ImportRow['status']; error?: string }>();
    // What goes out is what the list holds now (an edit or a delete since the import wins).
    let pending: { row: number; entry: ListEntry }[] = [];
    const keys = rowIndexes.map((row) => normalizePlate(job.rows[row]!.plate));
    const current = await this.deps.lists.getMany(job.parkNumber, job.list, keys);
    rowIndexes.forEach((row, i) => {
      const entry = current.get(keys[i]!);
      if (!entry) out.set(row, { status: 'refused', error: '发送前已从名单删除' });
      else pending.push({ row, entry });
    });
    for (let round = 0; round < 3 && pending.length; round++) {
      try {
        if (job.list === 'white') await this.deps.lot.upsertWhite(park, pending.map(({ entry }) => ({ plate: entry.plate, memo: entry.memo, ...entry.white! })));
        else await this.deps.lot.upsertBlack(park, pending.map(({ entry }) => ({ plate: entry.plate, memo: entry.memo })));
        const at = dateNow(this.deps.clock);
        await this.deps.lists.setSync(job.parkNumber, job.list, pending.map((p) => p.entry.plateKey), { state: 'synced', at });
        for (const p of pending) out.set(p.row, { status: 'synced' });
        return out;
      } catch (e) {
        if (!(e instanceof LotListError)) throw e;
        const at = dateNow(this.deps.clock);
        if (e.kind === 'refused' || e.kind === 'invalid') {
          const named = platesNamed(e.reason, pending.map((p) => p.entry));
          const culprits = named.size && named.size < pending.length ? pending.filter((p) => named.has(p.entry.plateKey)) : pending;
          await this.deps.lists.setSync(job.parkNumber, job.list, culprits.map((p) => p.entry.plateKey), { state: 'refused', error: operatorReason(e), at });
          for (const p of culprits) out.set(p.row, { status: 'refused', error: operatorReason(e) });
          pending = pending.filter((p) => !culprits.includes(p));
          continue;
        }
        this.deps.log?.warn({ jobId: job.id, parkNumber: job.parkNumber, reason: e.reason }, 'list chunk: no clear answer from the lot');
        await this.deps.lists.setSync(job.parkNumber, job.list, pending.map((p) => p.entry.plateKey), { state: 'failed', error: operatorReason(e), at });
        for (const p of pending) out.set(p.row, { status: 'failed', error: operatorReason(e) });
        return out;
      }
    }
    for (const p of pending) {
      out.set(p.row, { status: 'refused', error: '车场多次拒绝这一批' });
    }
    if (pending.length) {
      await this.deps.lists.setSync(job.parkNumber, job.list, pending.map((p) => p.entry.plateKey), { state: 'refused', error: '车场多次拒绝这一批', at: dateNow(this.deps.clock) });
    }
    return out;
  }
}
