/**
 * ParkPay's Prometheus metrics (prom-client), one registry per server (tests run several in one process).
 * What operators alert on (docs/operations.md): payments by provider and outcome; the time from a payment
 * recorded to the lot's acknowledgement of sendPayRes; sendPayRes attempts and failures per park; lot call
 * latency per interface; undelivered paid orders and the oldest one's age; refunds pending; each park's
 * last heartbeat age; rate-limit hits. Gauges that are a fact of the database are read when scraped
 * (Metrics.onCollect), so every instance reports the same truth.
 * Labels are bounded: parks, interfaces, providers, outcomes and route patterns, never an order or a plate.
 */
import { collectDefaultMetrics, Counter, Gauge, Histogram, Registry } from 'prom-client';

export type PaymentOutcome = 'paid' | 'cannot_count' | 'refunded' | 'delivered' | 'notification_refused';

export class Metrics {
  readonly registry = new Registry();
  private readonly collectors: (() => Promise<void>)[] = [];

  readonly payments = this.counter('parkpay_payments_total', 'Parking-fee payments of the driver app (orders) by provider and outcome: paid (recorded, counts for the stay), cannot_count (recorded but refunded: car gone, lot refused, amount differs), refunded (money back), delivered (the lot acknowledged it), notification_refused (a notification that did not verify or match)', ['provider', 'outcome']);

  readonly paymentToLot = this.histogram('parkpay_payment_to_lot_seconds', "From a parking-fee payment recorded (notification or query) to the lot acknowledging sendPayRes", [0.05, 0.1, 0.25, 0.5, 1, 2, 5, 10, 30, 60, 120, 300, 900], ['provider']);

  readonly sendPayResAttempts = this.counter('parkpay_sendpayres_attempts_total', 'sendPayRes (4.5) requests sent, per park', ['park']);

  readonly sendPayResFailures = this.counter('parkpay_sendpayres_failures_total', 'sendPayRes (4.5) requests that failed, per park and kind (timeout, network, http, rejected, bad_answer)', ['park', 'kind']);

  readonly lotCall = this.histogram('parkpay_lot_call_duration_seconds', "Calls to the lots' Bluecard clouds, per interface and outcome (ok or the failure kind)", [0.025, 0.05, 0.1, 0.25, 0.5, 1, 2, 5, 10], ['interface', 'outcome']);

  readonly rateLimited = this.counter('parkpay_rate_limit_hits_total', 'Requests refused by a rate limit or lock-out, per scope (api, bluecard) and code (too_many_requests, login_locked, rate_limited)', ['scope', 'code']);

  readonly httpRequests = this.histogram('parkpay_http_request_duration_seconds', 'Requests answered, per method, route pattern and status class', [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10], ['method', 'route', 'status']);

  readonly undeliveredPaid = this.gauge('parkpay_undelivered_paid_orders', 'Paid orders the lot has not acknowledged yet (being delivered or waiting for a retry)');

  readonly undeliveredOldestAge = this.gauge('parkpay_undelivered_oldest_age_seconds', 'How long the oldest undelivered paid order has waited since it was paid (0 when none)');

  readonly refundsPending = this.gauge('parkpay_refunds_pending', 'Refunds started and not confirmed by the provider yet, per kind (order, deduction, booth)', ['kind']);

  readonly refundsOldestAge = this.gauge('parkpay_refunds_pending_oldest_age_seconds', 'How long the oldest pending refund has waited since it started (0 when none)');

  readonly heartbeatAge = this.gauge('parkpay_park_heartbeat_age_seconds', "Seconds since each park's last heartbeat (4.1); parks that never sent one are absent", ['park']);

  readonly databaseUp = this.gauge('parkpay_database_up', '1 while the database is reachable, 0 while it is down');

  readonly collectErrors = this.counter('parkpay_metrics_collect_errors_total', 'Scrapes whose database-derived gauges could not be read (they keep their last values)');

  constructor(opts: { processMetrics?: boolean } = {}) {
    this.registry.setDefaultLabels({ service: 'parkpay' });
    if (opts.processMetrics ?? true) collectDefaultMetrics({ register: this.registry, prefix: 'parkpay_' });
  }

  /** Runs before every scrape: gauges that are facts of the database. A failing one keeps its last values. */
  onCollect(collect: () => Promise<void>): void {
    this.collectors.push(collect);
  }

  /** The text exposition (Prometheus format), after the collectors ran. */
  async scrape(): Promise<string> {
    await Promise.all(
      this.collectors.map((c) =>
        c().catch(() => {
          this.collectErrors.inc();
        }),
      ),
    );
    return this.registry.metrics();
  }

  get contentType(): string {
    return this.registry.contentType;
  }

  // Every metric registers in this server's registry only; the names are written out whole so they can be found.
  private counter<L extends string = never>(name: string, help: string, labelNames?: readonly L[]): Counter<L> {
    return new Counter<L>({ name, help, registers: [this.registry], ...(labelNames ? { labelNames } : {}) });
  }

  private gauge<L extends string = never>(name: string, help: string, labelNames?: readonly L[]): Gauge<L> {
    return new Gauge<L>({ name, help, registers: [this.registry], ...(labelNames ? { labelNames } : {}) });
  }

  private histogram<L extends string = never>(name: string, help: string, buckets: number[], labelNames?: readonly L[]): Histogram<L> {
    return new Histogram<L>({ name, help, buckets, registers: [this.registry], ...(labelNames ? { labelNames } : {}) });
  }
}
