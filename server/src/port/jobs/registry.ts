/**
 * The one registry that starts and stops every background job of a process. Due work is found by one poll
 * of the work collection (core/work.ts: order deliveries, refunds and expiries, lane-QR holds, booking
 * issuance and cancellations, coupon redeliveries, deduction refunds, booth reversals) — never by searching
 * the records — and handed to the handler of its kind; each kind works through its items in order, apart
 * from the others (a lot that does not answer slows its deliveries, not the booth's reversals). Periodic
 * jobs (the 4.19 reconciliation) run on their own interval. Jobs with a loop of their own (a PollLoop: the
 * retention pass, the invoices' and messages' worker) start and stop with the registry. stop(): no new work,
 * what is under way finishes, then every handler stops (its kicks finish too), then the loops.
 */
import type { Clock } from '../../core/clock';
import type { WorkHandler, WorkItem, WorkKind, WorkQueue } from '../../core/work';
import type { Logger } from '../../logger';
import { newWorkerOwner } from './order-worker';
import { PollLoop } from './poll-loop';

export interface RegisteredHandler extends WorkHandler {
  /** Stop taking work and wait for what it has under way (its kicks). */
  stop?(): Promise<void>;
}

/** A job that polls on its own PollLoop. */
export interface LoopJob {
  start(): void;
  stop(): Promise<void>;
}

/** A feature's background work, as the registry takes it (modules/module.ts). */
export interface ModuleJobs {
  /** Handlers of kinds of work items (the registry's one poll of the work collection). */
  handlers?: RegisteredHandler[];
  /** Jobs run every `everyMs`. */
  every?: { name: string; everyMs: number; run(): Promise<unknown> }[];
  loops?: LoopJob[];
}

export interface JobRegistryOptions {
  work: WorkQueue;
  clock: Clock;
  logger: Logger;
  /** How often the work collection is polled (default 1 s). */
  pollMs?: number;
  /** Items taken per kind and poll (default 100). */
  batch?: number;
  owner?: string;
}

interface Periodic {
  name: string;
  everyMs: number;
  run(): Promise<unknown>;
  last: number;
  running?: Promise<unknown>;
}

export class JobRegistry {
  readonly owner: string;
  private readonly handlers = new Map<WorkKind, RegisteredHandler>();
  private readonly periodic: Periodic[] = [];
  private readonly loops: LoopJob[] = [];
  /** Kinds whose items are being worked through (the next poll leaves them alone). */
  private readonly busy = new Map<WorkKind, Promise<void>>();
  private readonly loop: PollLoop;
  /** Set by stop(): no more work is taken (pollOnce works without start(): tests, scripts). */
  private stopped = false;

  constructor(private readonly opts: JobRegistryOptions) {
    this.owner = opts.owner ?? newWorkerOwner('jobs:');
    this.loop = new PollLoop(() => this.pollOnce(), opts.pollMs ?? 1_000);
  }

  /** The handler of one kind of work item. */
  handle(handler: RegisteredHandler): this {
    if (this.handlers.has(handler.kind)) throw new Error(`a handler for ${handler.kind} is registered already`);
    this.handlers.set(handler.kind, handler);
    return this;
  }

  /** A job run every `everyMs` (the first run after one interval). */
  every(name: string, everyMs: number, run: () => Promise<unknown>): this {
    if (everyMs > 0) this.periodic.push({ name, everyMs, run, last: Date.now() });
    return this;
  }

  /** A job with a loop of its own, started and stopped with the registry. */
  run(loop: LoopJob): this {
    this.loops.push(loop);
    return this;
  }

  /** A feature's jobs, each kind where it belongs. */
  add(jobs: ModuleJobs | undefined): this {
    for (const h of jobs?.handlers ?? []) this.handle(h);
    for (const p of jobs?.every ?? []) this.every(p.name, p.everyMs, () => p.run());
    for (const l of jobs?.loops ?? []) this.run(l);
    return this;
  }

  start(): void {
    this.stopped = false;
    this.loop.start();
    for (const l of this.loops) l.start();
  }

  /** One poll: due items of every idle kind handed to their handlers, and the periodic jobs that are due. */
  async pollOnce(): Promise<void> {
    const idle = [...this.handlers.keys()].filter((k) => !this.busy.has(k));
    if (idle.length) {
      let items: WorkItem[] = [];
      try {
        // One read for every kind (a kind with a backlog takes at most `batch` of it).
        items = await this.opts.work.due(idle, new Date(this.opts.clock.now()), (this.opts.batch ?? 100) * idle.length);
      } catch (err) {
        this.opts.logger.error({ err }, 'job registry: the work collection could not be read');
      }
      const byKind = new Map<WorkKind, WorkItem[]>();
      for (const item of items) byKind.set(item.kind, [...(byKind.get(item.kind) ?? []), item].slice(0, this.opts.batch ?? 100));
      for (const [kind, list] of byKind) {
        const run = this.workThrough(kind, list).finally(() => this.busy.delete(kind));
        this.busy.set(kind, run);
      }
    }
    const now = Date.now();
    for (const p of this.periodic) {
      if (p.running || now - p.last < p.everyMs || this.stopped) continue;
      p.last = now;
      p.running = p
        .run()
        .catch((err: unknown) => this.opts.logger.error({ err }, `job ${p.name} failed`))
        .finally(() => (p.running = undefined));
    }
  }

  private async workThrough(kind: WorkKind, items: WorkItem[]): Promise<void> {
    const handler = this.handlers.get(kind)!;
    for (const item of items) {
      if (this.stopped) return;
      let next: Date | undefined;
      try {
        next = await handler.process(item.ref, this.owner);
      } catch (err) {
        this.opts.logger.error({ err, kind, ref: item.ref }, 'job step failed; looking again later');
        next = new Date(this.opts.clock.now() + 30_000);
      }
      await this.opts.work.settle(item, next).catch((err: unknown) => this.opts.logger.error({ err, kind, ref: item.ref }, 'work item not settled'));
    }
  }

  /**
   * Whether this process's background work is alive (/readyz): started and not stopped, and a poll finished
   * lately (stalled: none for 30 s, or ten polls' time when polls are slower).
   */
  health(): { running: boolean; lastPollAgoMs: number | null; stalled: boolean } {
    const running = this.loop.running && !this.stopped;
    const ago = this.loop.sinceLastStepMs();
    return { running, lastPollAgoMs: ago, stalled: running && ago !== null && ago > Math.max(30_000, 10 * (this.opts.pollMs ?? 1_000)) };
  }

  /** Everything under way (tests). */
  async idle(): Promise<void> {
    await this.loop.idle();
    await Promise.allSettled([...this.busy.values(), ...this.periodic.map((p) => p.running)]);
  }

  async stop(): Promise<void> {
    this.stopped = true;
    await this.loop.stop();
    await this.idle();
    for (const h of this.handlers.values()) await h.stop?.();
    for (const l of this.loops) await l.stop();
  }
}
