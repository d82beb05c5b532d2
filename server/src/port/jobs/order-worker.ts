/**
 * Background work on orders: deliver paid orders to the lot (sendPayRes), refund payments that cannot count,
 * close expired orders. Each process runs one worker; orders are claimed with a lease in the database, so
 * several processes share the work without doing anything twice, and a crashed process's claims lapse.
 * A payment is delivered at once (kick) as well as by the poll, because a driver waits at the barrier.
 */
import { randomBytes } from 'node:crypto';
import os from 'node:os';
import type { OrderService } from '../../core/orders/orders';
import type { Logger } from '../../logger';

export interface OrderWorkerOptions {
  /** How often due work is looked for (default 1 s). */
  pollMs?: number;
  /** Expired orders are swept every this often (default 15 s). */
  expireEveryMs?: number;
  logger: Logger;
  owner?: string;
}

export class OrderWorker {
  readonly owner: string;
  private timer: NodeJS.Timeout | undefined;
  private running = new Set<Promise<unknown>>();
  private stopped = false;
  private lastExpire = 0;
  private polling = false;

  constructor(
    private readonly orders: OrderService,
    private readonly opts: OrderWorkerOptions,
  ) {
    this.owner = opts.owner ?? `${os.hostname()}:${process.pid}:${randomBytes(3).toString('hex')}`;
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

  /** Deliver this order now (a payment just arrived). */
  kick(orderNo: string): void {
    if (!this.stopped) void this.track(this.orders.deliver(this.owner, orderNo).catch((e) => this.fail('delivery', e)));
  }

  kickRefund(orderNo: string): void {
    if (!this.stopped) void this.track(this.orders.refund(this.owner, orderNo).catch((e) => this.fail('refund', e)));
  }

  /** One pass over due work (also what tests call to run the worker step by step). */
  async poll(): Promise<void> {
    if (this.polling) return;
    this.polling = true;
    try {
      for (let i = 0; i < 100 && !this.stopped; i++) {
        if (!(await this.orders.deliver(this.owner).catch((e) => this.fail('delivery', e)))) break;
      }
      for (let i = 0; i < 100 && !this.stopped; i++) {
        if (!(await this.orders.refund(this.owner).catch((e) => this.fail('refund', e)))) break;
      }
      if (Date.now() - this.lastExpire >= (this.opts.expireEveryMs ?? 15_000)) {
        this.lastExpire = Date.now();
        await this.orders.expire().catch((e) => this.fail('expiry', e));
      }
    } finally {
      this.polling = false;
    }
  }

  /** Stop taking work and wait for what is under way. */
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
    this.opts.logger.error({ err: e }, `order ${what} step failed`);
    return undefined;
  }
}
