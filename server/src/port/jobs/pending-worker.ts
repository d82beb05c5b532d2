/**
 * The background work of invoices and messages: polls `pending_work` (core/pending.ts) for due items and
 * hands each to the handler of its kind, which does what is due and says when to look next. Kinds are worked
 * through apart from each other (a provider that does not answer slows its own kind only). `kick()` looks now
 * (after a request or a notification). stop(): no new work, what is under way finishes.
 *
 * The shape is the job registry's (one poll for all kinds, handlers by kind): when the work collection serves
 * every kind, these handlers register there and this worker goes.
 */
import { randomBytes } from 'node:crypto';
import os from 'node:os';
import type { Clock } from '../../core/clock';
import type { PendingHandler, PendingItem, PendingKind, PendingWork } from '../../core/pending';
import type { Logger } from '../../logger';
import { PollLoop } from './poll-loop';

export interface PendingWorkerOptions {
  work: PendingWork;
  clock: Clock;
  logger: Logger;
  /** How often due work is looked for (real ms; default 1 s). */
  pollMs?: number;
  /** Items per kind and poll (default 50). */
  batch?: number;
  owner?: string;
}

export class PendingWorker {
  readonly owner: string;
  private readonly handlers = new Map<PendingKind, PendingHandler>();
  private readonly busy = new Map<PendingKind, Promise<void>>();
  private readonly loop: PollLoop;

  constructor(private readonly opts: PendingWorkerOptions) {
    this.owner = opts.owner ?? `${os.hostname()}:${process.pid}:${randomBytes(3).toString('hex')}`;
    this.loop = new PollLoop(() => this.pollOnce(), opts.pollMs ?? 1_000);
  }

  handle(handler: PendingHandler): this {
    this.handlers.set(handler.kind, handler);
    return this;
  }

  start(): void {
    this.loop.start();
  }

  /** For /readyz: whether it runs, its kinds, and how long ago its last timed poll began (real ms). */
  health(): { running: boolean; kinds: PendingKind[]; lastPollAgoMs: number | null } {
    return { running: this.loop.running, kinds: [...this.handlers.keys()], lastPollAgoMs: this.loop.sinceLastStartMs() };
  }

  /** Look now (a request or a notification made something due). */
  kick(): void {
    if (!this.loop.running) return;
    void this.pollOnce();
  }

  /** One poll: the due items of every idle kind, each kind worked through in order. */
  async pollOnce(): Promise<void> {
    const idle = [...this.handlers.keys()].filter((k) => !this.busy.has(k));
    if (!idle.length) return;
    let items: PendingItem[] = [];
    try {
      items = await this.opts.work.due(idle, new Date(this.opts.clock.now()), (this.opts.batch ?? 50) * idle.length);
    } catch (err) {
      this.opts.logger.error({ err }, 'pending work could not be read');
      return;
    }
    const byKind = new Map<PendingKind, PendingItem[]>();
    for (const item of items) byKind.set(item.kind, [...(byKind.get(item.kind) ?? []), item].slice(0, this.opts.batch ?? 50));
    const runs: Promise<void>[] = [];
    for (const [kind, list] of byKind) {
      if (this.busy.has(kind)) continue;
      const run = this.workThrough(kind, list).finally(() => this.busy.delete(kind));
      this.busy.set(kind, run);
      runs.push(run);
    }
    await Promise.all(runs);
  }

  private async workThrough(kind: PendingKind, items: PendingItem[]): Promise<void> {
    const handler = this.handlers.get(kind)!;
    for (const item of items) {
      let next: Date | undefined;
      try {
        next = await handler.process(item.ref, this.owner);
      } catch (err) {
        this.opts.logger.error({ err, kind, ref: item.ref }, 'pending step failed; looking again later');
        next = new Date(this.opts.clock.now() + 30_000);
      }
      await this.opts.work.settle(item, next).catch((err: unknown) => this.opts.logger.error({ err, kind, ref: item.ref }, 'pending item not settled'));
    }
  }

  /** Everything under way (tests). */
  async idle(): Promise<void> {
    await this.loop.idle();
    await Promise.allSettled([...this.busy.values()]);
  }

  async stop(): Promise<void> {
    await this.loop.stop();
    await this.idle();
  }
}
