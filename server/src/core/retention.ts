/**
 * Retention: records that grow without end are removed when their time is up — each park's heartbeat
 * history after heartbeatDays (the latest heartbeat of a park stays), the lots' pictures after pictureDays,
 * the operators' audit log after auditDays, driver and operator sessions once expired. MongoDB's TTL indexes
 * do part of it there (db:migrate); this pass does all of it on every engine (FerretDB v1 has no TTL
 * index). Removing is idempotent, so every instance may run it.
 */
import type { Clock } from './clock';

export interface RetentionPolicy {
  heartbeatDays: number;
  pictureDays: number;
  auditDays: number;
}

export type RetentionKind = 'heartbeatHistory' | 'pictures' | 'audit' | 'driverSessions' | 'operatorSessions';

/** Removes the records of a kind older than `before` (sessions: expired before it), at most `limit`; how many. */
export interface RetentionStore {
  prune(kind: RetentionKind, before: Date, limit: number): Promise<number>;
}

const DAY_MS = 86_400_000;

/** What each kind keeps: records from `before` on. */
export function cutoffs(policy: RetentionPolicy, now: number): Record<RetentionKind, Date> {
  return {
    heartbeatHistory: new Date(now - policy.heartbeatDays * DAY_MS),
    pictures: new Date(now - policy.pictureDays * DAY_MS),
    audit: new Date(now - policy.auditDays * DAY_MS),
    driverSessions: new Date(now),
    operatorSessions: new Date(now),
  };
}

export class Retention {
  constructor(
    private readonly store: RetentionStore,
    private readonly policy: RetentionPolicy,
    private readonly clock: Clock,
  ) {}

  /** One pass: up to `limit` records of each kind (a backlog goes pass by pass); how many of each were removed. */
  async prune(limit = 5_000): Promise<Record<RetentionKind, number>> {
    const out = {} as Record<RetentionKind, number>;
    for (const [kind, before] of Object.entries(cutoffs(this.policy, this.clock.now())) as [RetentionKind, Date][]) {
      out[kind] = await this.store.prune(kind, before, limit);
    }
    return out;
  }
}
