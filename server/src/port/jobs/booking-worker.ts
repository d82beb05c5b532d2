/**
 * Background work on bookings: cancellations waiting for the lot (4.18 flag 0, leased in the database like
 * order deliveries) and bookings still holding a place, caught up with their order (given back when it
 * closed unpaid or was refunded) — both found in the work collection (core/work.ts) — and the periodic
 * reconciliation with the lot's open bookings (4.19) of every park with offers.
 */
import { randomBytes } from 'node:crypto';
import os from 'node:os';
import type { BookingReconciler } from '../../core/bookings/reconcile';
import type { BookingService } from '../../core/bookings/service';
import type { WorkHandler } from '../../core/work';
import type { Logger } from '../../logger';
import { PollLoop } from './poll-loop';

export interface BookingWorkerOptions {
  logger: Logger;
  /** How often due work is looked for when the worker runs on its own (default 1 s). */
  pollMs?: number;
  /** A booking holding a place is caught up with its order this often (default 5 s). */
  sweepEveryMs?: number;
  /** Each park with offers is reconciled with 4.19 this often (default 10 min; 0 = never by itself). */
  reconcileEveryMs?: number;
  /** The parks to reconcile (those with offers). */
  parks: () => Promise<string[]>;
  owner?: string;
}

export class BookingWorker implements WorkHandler {
  readonly kind = 'booking' as const;
  readonly owner: string;
  private readonly loop: PollLoop;
  private readonly running = new Set<Promise<unknown>>();
  private stopped = false;
  private polling = false;
  private lastReconcile = Date.now();

  constructor(
    private readonly bookings: BookingService,
    private readonly reconciler: BookingReconciler,
    private readonly opts: BookingWorkerOptions,
  ) {
    this.owner = opts.owner ?? `${os.hostname()}:${process.pid}:bk:${randomBytes(3).toString('hex')}`;
    this.loop = new PollLoop(() => this.track(this.poll()), opts.pollMs ?? 1_000);
  }

  start(): void {
    this.stopped = false;
    this.loop.start();
  }

  /** Try this cancellation now. */
  kick(bookingNo: string): void {
    if (!this.stopped) void this.track(this.bookings.processCancel(this.owner, bookingNo).catch((e) => this.fail('cancellation', e)));
  }

  /** One look at a booking whose work item is due (the job registry's step). */
  async process(bookingNo: string): Promise<Date | undefined> {
    return (await this.track(this.bookings.process(bookingNo, this.owner, this.opts.sweepEveryMs ?? 5_000))).next;
  }

  /** One pass over due work (also what tests call), and the reconciliation when it is time. */
  async poll(): Promise<void> {
    if (this.polling) return;
    this.polling = true;
    try {
      if (!this.stopped) await this.bookings.sweep(200, this.opts.sweepEveryMs ?? 5_000, this.owner).catch((e) => this.fail('sweep', e));
      await this.reconcileIfDue();
    } finally {
      this.polling = false;
    }
  }

  /** The 4.19 reconciliation of every park with offers, every reconcileEveryMs. */
  async reconcileIfDue(): Promise<void> {
    const every = this.opts.reconcileEveryMs ?? 10 * 60_000;
    const now = Date.now();
    if (every > 0 && now - this.lastReconcile >= every && !this.stopped) {
      this.lastReconcile = now;
      await this.reconcileAll();
    }
  }

  /** Reconcile every park with offers (one failing park does not stop the others). */
  async reconcileAll(): Promise<void> {
    const parks = await this.opts.parks().catch((e) => {
      this.fail('reconciliation', e);
      return [] as string[];
    });
    for (const parkNumber of parks) {
      if (this.stopped) return;
      await this.reconciler.reconcile(parkNumber).catch((e) => this.fail(`reconciliation of ${parkNumber}`, e));
    }
  }

  async stop(): Promise<void> {
    this.stopped = true;
    await this.loop.stop();
    while (this.running.size) await Promise.allSettled([...this.running]);
  }

  private track<T>(p: Promise<T>): Promise<T> {
    this.running.add(p);
    void p.finally(() => this.running.delete(p)).catch(() => undefined);
    return p;
  }

  private fail(what: string, e: unknown): undefined {
    this.opts.logger.error({ err: e }, `booking ${what} step failed`);
    return undefined;
  }
}
