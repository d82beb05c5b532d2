/**
 * Token buckets by key, in memory (each process limits its own share): `take` spends one token from each of
 * several buckets — all or none — and says how long until the emptiest refills when it cannot. Used where
 * look-ups must not be repeated without end (find my car, my parking, plate confirmations: per driver and per
 * address). Real time, injectable for tests.
 */
export interface BucketRule {
  /** Sustained rate. */
  perMinute: number;
  /** How many at once. */
  burst: number;
}

interface Bucket {
  tokens: number;
  at: number;
}

export class RateLimiter<R extends string> {
  private readonly buckets = new Map<string, Bucket>();

  constructor(
    private readonly rules: Record<R, BucketRule>,
    private readonly now: () => number = Date.now,
    /** Above this many keys, full (idle) buckets are forgotten. */
    private readonly maxKeys = 100_000,
  ) {}

  /** One token from the bucket of each [rule, key]; refused (nothing spent) when any is empty. */
  take(keys: [rule: R, key: string][]): { ok: true } | { ok: false; retryAfterSeconds: number } {
    const now = this.now();
    const looked = keys.map(([rule, key]) => {
      const r = this.rules[rule];
      const id = `${rule}|${key}`;
      const b = this.buckets.get(id) ?? { tokens: r.burst, at: now };
      b.tokens = Math.min(r.burst, b.tokens + ((now - b.at) * r.perMinute) / 60_000);
      b.at = now;
      this.buckets.set(id, b);
      return { b, r };
    });
    const empty = looked.filter(({ b }) => b.tokens < 1);
    if (empty.length) {
      const wait = Math.max(...empty.map(({ b, r }) => ((1 - b.tokens) * 60_000) / r.perMinute));
      return { ok: false, retryAfterSeconds: Math.max(1, Math.ceil(wait / 1000)) };
    }
    for (const { b } of looked) b.tokens -= 1;
    if (this.buckets.size > this.maxKeys) this.forgetIdle(now);
    return { ok: true };
  }

  private forgetIdle(now: number): void {
    for (const [id, b] of this.buckets) {
      const rule = this.rules[id.slice(0, id.indexOf('|')) as R];
      if (b.tokens + ((now - b.at) * rule.perMinute) / 60_000 >= rule.burst) this.buckets.delete(id);
    }
  }
}
