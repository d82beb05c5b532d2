/**
 * Background work on bookings: cancellations waiting for the lot (4.18 flag 0, leased in the database like
 * order deliveries), the sweep that gives back the places of bookings whose order closed unpaid or was
 * refunded, and the periodic reconciliation with the lot's open bookings (4.19) of every park with offers.
 */
import { randomBytes } from 'node:crypto';
import os from 'node:os';
import type { BookingReconciler } from '../../core/bookings/reconcile';
import type { BookingService } from '../../core/bookings/service';
import type { Logger } from '../../logger';

export interface BookingWorkerOptions {
  logger: Logger;
  /** How often due cancellations are looked for (default 1 s). */
  pollMs?: number;
  /** Holding bookings are caught up with their orders this often (default 5 s). */
  sweepEveryMs?: number;
  /** Each park with offers is reconciled with 4.19 this often (default 10 min; 0 = never by itself). */
  reconcileEveryMs?: number;
  /** The parks to reconcile (those with offers). */
  parks: () => Promise<string[]>;
  owner?: string;
}

export class BookingWorker {
  readonly owner: string;
  private timer: NodeJS.Timeout | undefined;
  private readonly running = new Set<Promise<unknown>>();
  private stopped = false;
  private polling = false;
  private lastSweep = 0;
  private lastReconcile = Date.now();

  constructor(
    private readonly bookings: BookingService,
    private readonly reconciler: BookingReconciler,
    private readonly opts: BookingWorkerOptions,
  ) {
    this.owner = opts.owner ?? `${os.hostname()}:${process.pid}:bk:${randomBytes(3).toString('hex')}`;
  }

  start(): void {
    this.stopped = false;
    const tick = () => {
      this.timer = setTimeout(async () => {
        await this.track(this.poll());
        if (!this.stopped) tick();
      }, this.opts.pollMs ?? 1_000);
      this.timer.unref();
    };
    tick();
  }

  /** Try this cancellation now. */
  kick(bookingNo: string): void {
    if (!this.stopped) void this.track(this.bookings.processCancel(this.owner, bookingNo).catch((e) => this.fail('cancellation', e)));
  }

  /** One pass over due work. */
  async poll(): Promise<void> {
    if (this.polling) return;
    this.polling = true;
    try {
      for (let i = 0; i < 100 && !this.stopped; i++) {
        if (!(await this.bookings.processCancel(this.owner).catch((e) => this.fail('cancellation', e)))) break;
      }
      const now = Date.now();
      if (now - this.lastSweep >= (this.opts.sweepEveryMs ?? 5_000)) {
        this.lastSweep = now;
        await this.bookings.sweep().catch((e) => this.fail('sweep', e));
      }
      const every = this.opts.reconcileEveryMs ?? 10 * 60_000;
      if (every > 0 && now - this.lastReconcile >= every) {
        this.lastReconcile = now;
        await this.reconcileAll();
      }
    } finally {
      this.polling = false;
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
    clearTimeout(this.timer);
    while (this.running.size) await Promise.allSettled([...this.running]);
  }

  private track<T>(p: Promise<T>): Promise<T> {
    this.running.add(p);
    void p.finally(() => this.running.delete(p));
    return p;
  }

  private fail(what: string, e: unknown): undefined {
    this.opts.logger.error({ err: e }, `booking ${what} step failed`);
    return undefined;
  }
}
