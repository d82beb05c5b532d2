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

  readonly payments = new Counter({
    name: 'parkpay_payments_total',
    help: 'Parking-fee payments of the driver app (orders) by provider and outcome: paid (recorded, counts for the stay), cannot_count (recorded but refunded: car gone, lot refused, amount differs), refunded (money back), delivered (the lot acknowledged it), notification_refused (a notification that did not verify or match)',
    labelNames: ['provider', 'outcome'] as const,
    registers: [this.registry],
  });

  readonly paymentToLot = new Histogram({
    name: 'parkpay_payment_to_lot_seconds',
    help: "From a parking-fee payment recorded (notification or query) to the lot acknowledging sendPayRes",
    labelNames: ['provider'] as const,
    buckets: [0.05, 0.1, 0.25, 0.5, 1, 2, 5, 10, 30, 60, 120, 300, 900],
    registers: [this.registry],
  });

  readonly sendPayResAttempts = new Counter({
    name: 'parkpay_sendpayres_attempts_total',
    help: 'sendPayRes (4.5) requests sent, per park',
    labelNames: ['park'] as const,
    registers: [this.registry],
  });

  readonly sendPayResFailures = new Counter({
    name: 'parkpay_sendpayres_failures_total',
    help: 'sendPayRes (4.5) requests that failed, per park and kind (timeout, network, http, rejected, bad_answer)',
    labelNames: ['park', 'kind'] as const,
    registers: [this.registry],
  });

  readonly lotCall = new Histogram({
    name: 'parkpay_lot_call_duration_seconds',
    help: "Calls to the lots' Bluecard clouds, per interface and outcome (ok or the failure kind)",
    labelNames: ['interface', 'outcome'] as const,
    buckets: [0.025, 0.05, 0.1, 0.25, 0.5, 1, 2, 5, 10],
    registers: [this.registry],
  });

  readonly rateLimited = new Counter({
    name: 'parkpay_rate_limit_hits_total',
    help: 'Requests refused by a rate limit or lock-out, per scope (api, bluecard) and code (too_many_requests, login_locked, rate_limited)',
    labelNames: ['scope', 'code'] as const,
    registers: [this.registry],
  });

  readonly httpRequests = new Histogram({
    name: 'parkpay_http_request_duration_seconds',
    help: 'Requests answered, per method, route pattern and status class',
    labelNames: ['method', 'route', 'status'] as const,
    buckets: [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10],
    registers: [this.registry],
  });

  readonly undeliveredPaid = new Gauge({
    name: 'parkpay_undelivered_paid_orders',
    help: 'Paid orders the lot has not acknowledged yet (being delivered or waiting for a retry)',
    registers: [this.registry],
  });

  readonly undeliveredOldestAge = new Gauge({
    name: 'parkpay_undelivered_oldest_age_seconds',
    help: 'How long the oldest undelivered paid order has waited since it was paid (0 when none)',
    registers: [this.registry],
  });

  readonly refundsPending = new Gauge({
    name: 'parkpay_refunds_pending',
    help: 'Refunds started and not confirmed by the provider yet, per kind (order, deduction, booth)',
    labelNames: ['kind'] as const,
    registers: [this.registry],
  });

  readonly refundsOldestAge = new Gauge({
    name: 'parkpay_refunds_pending_oldest_age_seconds',
    help: 'How long the oldest pending refund has waited since it started (0 when none)',
    registers: [this.registry],
  });

  readonly heartbeatAge = new Gauge({
    name: 'parkpay_park_heartbeat_age_seconds',
    help: "Seconds since each park's last heartbeat (4.1); parks that never sent one are absent",
    labelNames: ['park'] as const,
    registers: [this.registry],
  });

  readonly databaseUp = new Gauge({
    name: 'parkpay_database_up',
    help: '1 while the database is reachable, 0 while it is down',
    registers: [this.registry],
  });

  readonly collectErrors = new Counter({
    name: 'parkpay_metrics_collect_errors_total',
    help: 'Scrapes whose database-derived gauges could not be read (they keep their last values)',
    registers: [this.registry],
  });

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
}
