/**
 * A park's home dashboard (shared/api/op-dashboard.ts): today's takings through ParkPay, the lot's latest
 * heartbeat (spaces, cars in, how long ago), payments the lot has not acknowledged, refunds in progress.
 *
 * Its reads sit behind DashboardQueries (repository/dashboard.ts) of their own: the console repeats the call
 * every few seconds while the page is open, so they are kept to counts and one day's payments, and can be made
 * cheaper (counters, a summary document) without touching anything else.
 */
import { HEARTBEAT_SILENT_SECONDS } from '../../../../shared/api/op-dashboard';
import { formatChinaDate } from '../../../../shared/time';
import type { Clock } from '../clock';
import { OperatorError } from './errors';
import type { Heartbeat } from '../lot/model';
import type { ParkDirectory } from '../parks';
import { chinaDay } from '../reconciliation/daily';
import { assertRole, type Operator } from './model';

/** One payment ParkPay took, as the dashboard counts it. */
export interface DashboardPayment {
  channel: 'wechat' | 'alipay';
  /** What it paid for: 'prepay', 'lane_qr', 'booking', 'unlicensed_exit', 'face_to_face', 'withholding'. */
  kind: string;
  fen: number;
  /** Given back or being given back. */
  refundedFen: number;
}

export interface DashboardQueries {
  /** The park's payments taken in [from, to) (orders, booth payments, lane deductions). */
  payments(parkNumber: string, from: Date, to: Date): Promise<DashboardPayment[]>;
  /** Paid orders the lot has not acknowledged yet: how many, and the oldest one's payment time. */
  awaitingLot(parkNumber: string): Promise<{ count: number; oldestPaidAt?: Date }>;
  /** Refunds started and not done yet: how many, and their money. */
  refundsInProgress(parkNumber: string): Promise<{ count: number; fen: number }>;
}

export interface DashboardDeps {
  queries: DashboardQueries;
  heartbeats: { latestHeartbeat(parkNumber: string): Promise<Heartbeat | undefined> };
  parks: ParkDirectory;
  clock: Clock;
}

export interface Dashboard {
  parkNumber: string;
  at: Date;
  today: { date: string; totalFen: number; count: number; refundedFen: number; byChannel: { wechat: number; alipay: number }; byKind: { kind: string; fen: number; count: number }[] };
  lot: {
    heartbeatAt: Date | null;
    heartbeatAgeSeconds: number | null;
    silent: boolean;
    spaceCount: number | null;
    freeSpaceCount: number | null;
    carsIn: number | null;
    areas: { areaId: number | null; name: string; spaceCount: number | null; freeSpaceCount: number | null }[];
  };
  waitingForLot: { count: number; oldestPaidAt: Date | null; oldestAgeSeconds: number | null };
  refundsInProgress: { count: number; fen: number };
}

const seconds = (ms: number) => Math.max(0, Math.floor(ms / 1000));
const orNull = (n: number | undefined) => (n === undefined || !Number.isFinite(n) ? null : n);

export class DashboardService {
  constructor(private readonly deps: DashboardDeps) {}

  async dashboard(op: Operator, parkNumber: string): Promise<Dashboard> {
    assertRole(op, 'admin', 'operator');
    if (!(await this.deps.parks.get(parkNumber))) throw new OperatorError('park_unknown', `park ${parkNumber} is not served by ParkPay`);
    const now = this.deps.clock.now();
    const date = formatChinaDate(now);
    const { from, to } = chinaDay(date);
    const [payments, waiting, refunds, hb] = await Promise.all([
      this.deps.queries.payments(parkNumber, from, to),
      this.deps.queries.awaitingLot(parkNumber),
      this.deps.queries.refundsInProgress(parkNumber),
      this.deps.heartbeats.latestHeartbeat(parkNumber),
    ]);

    const byChannel = { wechat: 0, alipay: 0 };
    const kinds = new Map<string, { kind: string; fen: number; count: number }>();
    let totalFen = 0;
    let refundedFen = 0;
    for (const p of payments) {
      totalFen += p.fen;
      refundedFen += p.refundedFen;
      byChannel[p.channel] += p.fen;
      const k = kinds.get(p.kind) ?? { kind: p.kind, fen: 0, count: 0 };
      k.fen += p.fen;
      k.count += 1;
      kinds.set(p.kind, k);
    }

    const age = hb ? seconds(now - hb.receivedAt.getTime()) : null;
    const space = orNull(hb?.spaceCount);
    const free = orNull(hb?.freeSpaceCount);
    return {
      parkNumber,
      at: new Date(now),
      today: { date, totalFen, count: payments.length, refundedFen, byChannel, byKind: [...kinds.values()].sort((a, b) => b.fen - a.fen) },
      lot: {
        heartbeatAt: hb?.receivedAt ?? null,
        heartbeatAgeSeconds: age,
        silent: age === null || age > HEARTBEAT_SILENT_SECONDS,
        spaceCount: space,
        freeSpaceCount: free,
        carsIn: space !== null && free !== null ? Math.max(0, space - free) : null,
        areas: (hb?.areas ?? []).map((a) => ({ areaId: orNull(a.areaId), name: a.areaName, spaceCount: orNull(a.spaceCount), freeSpaceCount: orNull(a.freeSpaceCount) })),
      },
      waitingForLot: {
        count: waiting.count,
        oldestPaidAt: waiting.oldestPaidAt ?? null,
        oldestAgeSeconds: waiting.oldestPaidAt ? seconds(now - waiting.oldestPaidAt.getTime()) : null,
      },
      refundsInProgress: refunds,
    };
  }
}
