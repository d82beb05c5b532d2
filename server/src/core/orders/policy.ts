/** Timings of the order machinery; every one can be changed for tests and benchmarks. */
export interface OrderPolicy {
  /** A quote must be paid within this (the lot's price moves on). */
  quoteTtlMs: number;
  /** A provider order is payable this long (WeChat time_expire / Alipay timeout_express). */
  paymentTtlMs: number;
  /** The app's status poll asks the provider at most this often per order (late notification). */
  queryEveryMs: number;
  /**
   * Lease of one delivery or refund attempt. Renewed every third of it while a call is in flight, so it
   * can be short: a process that died mid-call holds the barrier up for at most this long.
   */
  leaseMs: number;
  /**
   * Waits between sendPayRes attempts: fast while the driver waits at the barrier, then backing off.
   * The last entry repeats.
   */
  deliveryBackoffMs: number[];
  /**
   * The lot refused this many times with a reason that is neither final nor "busy" (core/orders/lot-refusals.ts):
   * the payment cannot count; refund it. Final refusals refund at once; busy ones are retried like an
   * unreachable lot.
   */
  maxRefusals: number;
  /** The lot unreachable this long after the payment: refund it (the driver has surely left otherwise). */
  giveUpAfterMs: number;
  refundBackoffMs: number[];
}

export const DEFAULT_ORDER_POLICY: OrderPolicy = {
  quoteTtlMs: 5 * 60_000,
  paymentTtlMs: 10 * 60_000,
  queryEveryMs: 3_000,
  leaseMs: 10_000,
  deliveryBackoffMs: [0, 500, 1_000, 2_000, 3_000, 5_000, 10_000, 30_000, 60_000, 120_000, 300_000, 600_000],
  maxRefusals: 4,
  giveUpAfterMs: 24 * 60 * 60_000,
  refundBackoffMs: [0, 5_000, 30_000, 60_000, 300_000, 600_000, 1_800_000],
};

export function backoff(schedule: number[], attempt: number): number {
  return schedule[Math.min(attempt, schedule.length - 1)] ?? 0;
}
