/**
 * Background work on orders: deliver paid orders to the lot (sendPayRes), refund payments that cannot count,
 * close expired orders. The orders with something due are found in the work collection (core/work.ts), never
 * by searching the orders. Each process runs one worker; orders are claimed with a lease in the database, so
 * several processes share the work without doing anything twice, and a crashed process's claims lapse.
 * A payment is delivered at once (its write took the delivery for this worker: `run`) — a driver waits at
 * the barrier; the poll is the safety net.
 */
import { randomBytes } from 'node:crypto';
import os from 'node:os';
import type { EventBus } from '../../core/events';
import type { Order } from '../../core/orders/model';
import type { OrderEvents, OrderService } from '../../core/orders/orders';
import type { WorkHandler } from '../../core/work';
import type { Logger } from '../../logger';
import { PollLoop } from './poll-loop';

/**
 * A name for this process's worker (leases in the database carry it): `<home>#<pid>-<random>`. The home
 * names the place the process runs (host and listening port by default): a process restarted there knows
 * the leases of its dead predecessor by it and takes their work over at once (OrderService.takeOver).
 */
export function newWorkerOwner(tag = '', home: string = os.hostname()): string {
  return `${home}#${process.pid}-${tag}${randomBytes(3).toString('hex')}`;
}

/** The home part of a worker name (what a restarted process at the same place shares with its predecessor). */
export function workerHome(owner: string): string {
  const i = owner.lastIndexOf('#');
  return i < 0 ? owner : owner.slice(0, i);
}

export interface OrderWorkerOptions {
  /** How often due work is looked for when the worker runs on its own (default 1 s). */
  pollMs?: number;
  logger: Logger;
  owner?: string;
}

export class OrderWorker implements WorkHandler {
  readonly kind = 'order' as const;
  readonly owner: string;
  private readonly loop: PollLoop;
  private running = new Set<Promise<unknown>>();
  private stopped = false;
  private polling = false;

  constructor(
    private readonly orders: OrderService,
    private readonly opts: OrderWorkerOptions,
  ) {
    this.owner = opts.owner ?? newWorkerOwner();
    this.loop = new PollLoop(() => this.track(this.poll()), opts.pollMs ?? 1_000);
  }

  /** Poll on its own timer (without a job registry: tests, scripts). */
  start(): void {
    this.stopped = false;
    this.loop.start();
  }

  /**
   * At start: deliveries and refunds this worker's home had under way when its process died are taken over
   * at once, not after their leases run out (a driver may be waiting at the barrier).
   */
  async takeOver(): Promise<number> {
    return this.track(this.orders.takeOver(workerHome(this.owner), this.owner)).catch((e) => this.fail('take-over', e) ?? 0);
  }

  /**
   * React to the order service's events: a payment whose write took the delivery for this worker is
   * delivered at once (a driver waits at the barrier), any other payment is looked at now, and a refund is
   * started now. The poll is the safety net of each.
   */
  listen(events: EventBus<OrderEvents>): this {
    events.on('paymentRecorded', ({ order, outcome }) => {
      if (outcome !== 'paid') return;
      if (order.delivery?.leaseOwner === this.owner) this.run(order);
      else this.kick(order.orderNo);
    });
    events.on('refundStarted', ({ orderNo }) => this.kickRefund(orderNo));
    return this;
  }

  /** Deliver a payment whose write took the delivery for this worker (OrderService deliveryOwner). */
  run(order: Order): void {
    if (!this.stopped) void this.track(this.orders.deliverClaimed(this.owner, order).catch((e) => this.fail('delivery', e)));
  }

  /** Deliver this order now, if its delivery is due and free. */
  kick(orderNo: string): void {
    if (!this.stopped) void this.track(this.orders.deliver(this.owner, orderNo).catch((e) => this.fail('delivery', e)));
  }

  kickRefund(orderNo: string): void {
    if (!this.stopped) void this.track(this.orders.refund(this.owner, orderNo).catch((e) => this.fail('refund', e)));
  }

  /** One look at an order whose work item is due (the job registry's step). */
  process(orderNo: string, owner: string = this.owner): Promise<Date | undefined> {
    return this.track(this.orders.process(owner, orderNo));
  }

  /** One pass over the orders whose work is due (also what tests call to run the worker step by step). */
  async poll(): Promise<void> {
    if (this.polling || this.stopped) return;
    this.polling = true;
    try {
      await this.orders.processDue(this.owner).catch((e) => this.fail('poll', e));
    } finally {
      this.polling = false;
    }
  }

  /** Stop taking work and wait for what is under way. */
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
    this.opts.logger.error({ err: e }, `order ${what} step failed`);
    return undefined;
  }
}
