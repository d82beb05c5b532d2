/**
 * What the lot still has to tell ParkPay, resent like the lot does (4.2, 4.3): a record not acknowledged
 * (HTTP 200 + status success) is sent again promptly up to `promptAttempts` attempts in all, then every
 * `retryEveryMs` of SANDBOX time until acknowledged — an entry record only until its car has left.
 *
 * Records of the batchable kinds (entry, exit, charge records) are grouped, up to 10 of one park and kind
 * per call; exit records newest first ("按出场时间倒序"). Attempts are counted per record. Later attempts are
 * woken by the injected SandboxScheduler, so a test can run the 5-minute schedule instantly.
 */
import type { Clock } from '../../src/core/clock';
import { formatChinaTime } from '../../../shared/time';
import type { SandboxScheduler } from './scheduler';
import type { ParkPayLink, UpResult, UpSection } from './uplink';

export type OutboxKind = 'entry' | 'exit' | 'image' | 'chargeRecord' | 'channels' | 'renewals' | 'fixedList';

export const OUTBOX_SECTION: Record<OutboxKind, UpSection> = {
  entry: '4.2',
  exit: '4.3',
  image: '4.14',
  chargeRecord: '4.15',
  channels: '4.21',
  renewals: '4.31',
  fixedList: '4.32',
};

/** Kinds whose items are single records sent 1–10 per call as {parkNumber, size, datas}. */
const BATCHED: Partial<Record<OutboxKind, number>> = { entry: 10, exit: 10, chargeRecord: 10 };

export interface ResendPolicy {
  /** Attempts made promptly, the first send included (the spec: "若 3 次发送均失败"). */
  promptAttempts: number;
  /** Sandbox ms between prompt attempts (0: back to back). */
  promptGapMs: number;
  /** Sandbox ms between later attempts ("每 5 分钟"). */
  retryEveryMs: number;
}

export const DEFAULT_RESEND: ResendPolicy = { promptAttempts: 3, promptGapMs: 0, retryEveryMs: 5 * 60_000 };

export interface AttemptLog {
  at: number;
  acknowledged: boolean;
  httpStatus?: number;
  error?: string;
  /** How many records went in that call. */
  batch: number;
}

export interface OutboxItem {
  id: number;
  parkNumber: string;
  kind: OutboxKind;
  section: UpSection;
  /** orderId for entry/exit/charge records; a short description otherwise. */
  key: string;
  /** One record (batched kinds) or the whole body. */
  payload: unknown;
  /** Sort key among batched records (exit: outTime). */
  order: number;
  status: 'pending' | 'delivered' | 'dropped';
  attempts: number;
  createdAt: number;
  nextAttemptAt: number;
  lastAttemptAt?: number;
  lastError?: string;
  deliveredAt?: number;
  droppedReason?: string;
  log: AttemptLog[];
}

export interface OutboxPark {
  parkNumber: string;
  key: string;
}

const keyOf = (parkNumber: string, kind: OutboxKind, key: string) => `${parkNumber}\u0000${kind}\u0000${key}`;

export class Outbox {
  private items: OutboxItem[] = [];
  /**
   * Indexes of the items: a lot of a long run (the money simulation) holds tens of thousands, and every
   * car's arrival and departure looks its record up and sends what is pending.
   */
  private readonly byId = new Map<number, OutboxItem>();
  private readonly byKey = new Map<string, OutboxItem[]>();
  /** The pending items, oldest first. */
  private readonly waiting = new Set<OutboxItem>();
  private seq = 0;
  private chain: Promise<void> = Promise.resolve();
  private wake: { at: number; cancel: () => void } | undefined;
  private stopped = false;

  constructor(
    private readonly deps: {
      clock: Clock;
      scheduler: SandboxScheduler;
      link: ParkPayLink;
      park: (parkNumber: string) => OutboxPark | undefined;
      policy: ResendPolicy;
      onError?: (e: unknown) => void;
    },
  ) {}

  enqueue(parkNumber: string, kind: OutboxKind, key: string, payload: unknown, order = 0): OutboxItem {
    const now = this.deps.clock.now();
    const item: OutboxItem = {
      id: ++this.seq,
      parkNumber,
      kind,
      section: OUTBOX_SECTION[kind],
      key,
      payload,
      order,
      status: 'pending',
      attempts: 0,
      createdAt: now,
      nextAttemptAt: now,
      log: [],
    };
    this.items.push(item);
    this.index(item);
    return item;
  }

  private index(item: OutboxItem): void {
    this.byId.set(item.id, item);
    const k = keyOf(item.parkNumber, item.kind, item.key);
    const same = this.byKey.get(k);
    if (same) same.push(item);
    else this.byKey.set(k, [item]);
    if (item.status === 'pending') this.waiting.add(item);
  }

  /** The first item of this park, kind and key (an entry or exit record by its orderId). */
  find(parkNumber: string, kind: OutboxKind, key: string): OutboxItem | undefined {
    return this.byKey.get(keyOf(parkNumber, kind, key))?.[0];
  }

  /** Stop resending pending items of this park/kind/key (an entry record whose car has left). */
  drop(parkNumber: string, kind: OutboxKind, key: string, reason: string): void {
    for (const i of this.byKey.get(keyOf(parkNumber, kind, key)) ?? []) {
      if (i.status === 'pending') {
        i.status = 'dropped';
        i.droppedReason = reason;
        this.waiting.delete(i);
      }
    }
  }

  list(parkNumber?: string): OutboxItem[] {
    return this.items.filter((i) => parkNumber === undefined || i.parkNumber === parkNumber);
  }

  get(id: number): OutboxItem | undefined {
    return this.byId.get(id);
  }

  pending(parkNumber?: string): OutboxItem[] {
    return [...this.waiting].filter((i) => parkNumber === undefined || i.parkNumber === parkNumber);
  }

  /** Forget everything (reset). */
  clear(parkNumber?: string): void {
    this.items = parkNumber === undefined ? [] : this.items.filter((i) => i.parkNumber !== parkNumber);
    this.byId.clear();
    this.byKey.clear();
    this.waiting.clear();
    for (const i of this.items) this.index(i);
    this.reschedule();
  }

  /**
   * Deliver what is due (with `force`: everything pending, due or not), including the prompt resends.
   * Runs one at a time; resolves when this pass is over.
   */
  flush(options: { force?: boolean; parkNumber?: string } = {}): Promise<void> {
    const pass = () => this.pass(options).catch((e) => this.deps.onError?.(e));
    this.chain = this.chain.then(pass, pass);
    return this.chain;
  }

  /** Wait for passes already started. */
  idle(): Promise<void> {
    return this.chain;
  }

  stop(): void {
    this.stopped = true;
    this.wake?.cancel();
    this.wake = undefined;
  }

  private async pass(options: { force?: boolean; parkNumber?: string }): Promise<void> {
    const forced = new Set<number>();
    if (options.force) for (const i of this.pending(options.parkNumber)) forced.add(i.id);
    for (let guard = 0; guard < 10_000 && !this.stopped; guard++) {
      const now = this.deps.clock.now();
      const due = this.pending(options.parkNumber).filter((i) => i.nextAttemptAt <= now || forced.has(i.id));
      if (due.length === 0) break;
      const batch = this.firstBatch(due);
      for (const i of batch) forced.delete(i.id);
      await this.attempt(batch);
    }
    this.reschedule();
  }

  /** The first call to make: the oldest due item, with up to 9 more of its park and kind when batched. */
  private firstBatch(due: OutboxItem[]): OutboxItem[] {
    const head = due[0];
    const max = BATCHED[head.kind];
    if (!max) return [head];
    return due
      .filter((i) => i.parkNumber === head.parkNumber && i.kind === head.kind)
      .sort((a, b) => (head.kind === 'exit' ? b.order - a.order : a.id - b.id))
      .slice(0, max);
  }

  private body(batch: OutboxItem[]): unknown {
    const head = batch[0];
    if (!BATCHED[head.kind]) return head.payload;
    return { parkNumber: head.parkNumber, size: batch.length, datas: batch.map((i) => i.payload) };
  }

  private async attempt(batch: OutboxItem[]): Promise<void> {
    const head = batch[0];
    const park = this.deps.park(head.parkNumber);
    const now = this.deps.clock.now();
    let result: UpResult;
    if (!park) {
      result = { section: head.section, url: '', at: now, ms: 0, acknowledged: false, error: `park ${head.parkNumber} is gone` };
    } else {
      result = await this.deps.link.send(park, head.section, this.body(batch));
    }
    const notConfigured = result.url === '';
    const after = this.deps.clock.now();
    for (const i of batch) {
      if (i.status !== 'pending') continue; // dropped while the call was in flight
      if (notConfigured) {
        // Nothing was sent: no attempt counted; try again at the next flush or wake-up.
        i.lastError = result.error;
        i.nextAttemptAt = after + this.deps.policy.retryEveryMs;
        continue;
      }
      i.attempts += 1;
      i.lastAttemptAt = result.at;
      i.log.push({ at: result.at, acknowledged: result.acknowledged, httpStatus: result.httpStatus, error: result.error, batch: batch.length });
      if (result.acknowledged) {
        i.status = 'delivered';
        this.waiting.delete(i);
        i.deliveredAt = after;
        i.lastError = undefined;
      } else {
        i.lastError = result.error;
        i.nextAttemptAt =
          i.attempts < this.deps.policy.promptAttempts ? after + this.deps.policy.promptGapMs : after + this.deps.policy.retryEveryMs;
      }
    }
  }

  /** Keep one wake-up on the scheduler at the earliest future attempt. */
  private reschedule(): void {
    if (this.stopped) return;
    const next = this.pending().reduce<number | undefined>((m, i) => (m === undefined || i.nextAttemptAt < m ? i.nextAttemptAt : m), undefined);
    if (this.wake && (next === undefined || this.wake.at !== next)) {
      this.wake.cancel();
      this.wake = undefined;
    }
    if (next !== undefined && !this.wake) {
      const cancel = this.deps.scheduler.at(next, () => {
        this.wake = undefined;
        return this.flush();
      });
      this.wake = { at: next, cancel };
    }
  }

  /** A readable view for the control API. */
  view(parkNumber?: string) {
    return this.list(parkNumber).map((i) => this.viewOf(i));
  }

  /** The readable view of one item. */
  viewOf(i: OutboxItem) {
    const t = (ms: number | undefined) => (ms === undefined ? undefined : formatChinaTime(ms));
    return {
      id: i.id,
      parkNumber: i.parkNumber,
      kind: i.kind,
      section: i.section,
      key: i.key,
      status: i.status,
      attempts: i.attempts,
      createdAt: t(i.createdAt),
      nextAttemptAt: i.status === 'pending' ? t(i.nextAttemptAt) : undefined,
      lastAttemptAt: t(i.lastAttemptAt),
      lastError: i.lastError,
      deliveredAt: t(i.deliveredAt),
      droppedReason: i.droppedReason,
      log: i.log.map((l) => ({ ...l, at: t(l.at) })),
    };
  }
}
