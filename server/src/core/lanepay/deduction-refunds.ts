/**
 * Money taken from an agreement that the lot was never told about is given back to the driver.
 *
 * How it happens: the lot asked 4.16/4.27 and was answered fail while the deduction's outcome was not known
 * (deduction_pending: WeChat's parking service ACCEPTED it and settles SUCCESS later; an Alipay 10003 the
 * user completes; provider_unreachable: a lost answer) — or not answered at all (a crash). The money then
 * arrives; if the lot asks again it is answered success and collects it (lane-deductions.ts); if it does not,
 * the lot never learns the payment and may have charged the driver another way. So once the grace has passed
 * with the money uncollected, it is refunded, with the reason, and the record says so; a repeat of the lot
 * after the refund started is answered fail `refunded`, never success.
 *
 * The records to look at carry `refundCheckAt` (set when a deduction is asked, answered fail, or becomes paid
 * uncollected; unset once the lot collects it). Each look is due-checked and every step is one conditional
 * update of that one document (FerretDB has no transactions): starting a refund needs the record paid, not
 * collected and without a refund — the same document a collection needs without a refund — so exactly one
 * of the two wins, across processes and restarts. The refund's provider number is derived from the
 * deduction's (`RF…` for `PW…`) and the providers refund once per number, so a retry after a lost answer or
 * a crash never gives back twice. A refund still being processed (WeChat PROCESSING) or a call that failed
 * is looked at again with backoff; one the provider will not make (WeChat ABNORMAL/CLOSED, Alipay refusals)
 * is recorded failed and logged for a person.
 *
 * Records whose outcome is still unknown (accepted, or deducting with nobody holding them) are asked about at
 * the provider at each look — a notification that never came is not waited for forever — for at most
 * `maxWatchMs` after they were created.
 */
import type { WithholdingGateway } from '../agreements/gateways';
import { dateNow, type Clock } from '../clock';
import type { Provider } from '../orders/model';
import type { LaneDeduction, LaneDeductionRepository } from './channel-pay-model';
import * as changes from './deduction-changes';
import type { LaneDeductionService } from './lane-deductions';
import { fenToYuan } from '../../../../shared/money';
import { formatChinaTime } from '../../../../shared/time';
import type { Log } from '../log';

export interface DeductionRefundsDeps {
  deductions: LaneDeductionRepository;
  lanes: Pick<LaneDeductionService, 'onDeduction' | 'refundGraceMs'>;
  gateways: { gatewayFor(provider: Provider): WithholdingGateway | undefined };
  clock: Clock;
  /** Clock ms between looks at a refund still in progress or a call that failed, by attempt; the last repeats. Default 1, 5, 15, 60 minutes. */
  retryMs?: number[];
  /** How long after a deduction was asked its unknown outcome is still looked into (clock ms). Default 3 days. */
  maxWatchMs?: number;
  /** A refund call's lease (clock ms, longer than a provider call). Default 60 s. */
  leaseMs?: number;
  log?: Log;
  /** Told when a deduction's refund is done (the money is back with the driver). */
  onRefunded?: (d: LaneDeduction) => void;
}

/** What one look at a record did. */
export type RefundCheck = 'refunded' | 'refunding' | 'refund_failed' | 'asked_provider' | 'cleared' | 'skipped';

/** Shown to the driver by the provider (WeChat counts ≤ 80 bytes). */
export const DRIVER_REFUND_REASON = '停车场未确认本次扣款，款项原路退回';

/** The refund's provider number: one per deduction number, the same on every retry. */
export const refundNoOf = (tradeNo: string) => `RF${tradeNo.replace(/^PW/, '')}`;

export class DeductionRefunds {
  private readonly retryMs: number[];
  private readonly maxWatchMs: number;
  private readonly leaseMs: number;

  constructor(private readonly deps: DeductionRefundsDeps) {
    this.retryMs = deps.retryMs?.length ? deps.retryMs : [60_000, 5 * 60_000, 15 * 60_000, 60 * 60_000];
    this.maxWatchMs = deps.maxWatchMs ?? 3 * 24 * 60 * 60_000;
    this.leaseMs = deps.leaseMs ?? 60_000;
  }

  private after(now: Date, ms: number): Date {
    return new Date(now.getTime() + ms);
  }

  private backoff(attempts: number): number {
    return this.retryMs[Math.min(Math.max(attempts - 1, 0), this.retryMs.length - 1)]!;
  }

  /** One pass over due records (the work collection) as `owner`: how many were acted on. */
  async sweep(owner: string, limit = 50): Promise<number> {
    let acted = 0;
    for (const item of await this.deps.deductions.dueWork(dateNow(this.deps.clock), limit)) {
      let next: Date | undefined;
      try {
        const r = await this.process(owner, item.ref);
        next = r.next;
        if (r.check !== 'skipped') acted++;
      } catch (e) {
        this.deps.log?.error({ id: item.ref, err: (e as Error).message }, 'deduction refund check failed');
        next = this.after(dateNow(this.deps.clock), this.leaseMs);
      }
      await this.deps.deductions.settleWork(item, next);
    }
    return acted;
  }

  /** One look at a record whose check is due: what it did, and when to look next (its refundCheckAt). */
  async process(owner: string, id: string): Promise<{ check: RefundCheck; next: Date | undefined }> {
    const check = await this.check(owner, id);
    return { check, next: (await this.deps.deductions.get(id))?.refundCheckAt ?? undefined };
  }

  /** Look at one record whose check is due. */
  async check(owner: string, id: string): Promise<RefundCheck> {
    const repo = this.deps.deductions;
    const now = dateNow(this.deps.clock);
    const d = await repo.get(id);
    if (!d?.refundCheckAt || d.refundCheckAt.getTime() > now.getTime()) return 'skipped';
    if (d.refund) return d.refund.state === 'refunding' ? this.continueRefund(owner, d, now) : this.clear(d, now);
    // The lot has it (answered success): nothing to give back.
    if (d.collectedAt) return this.clear(d, now);
    switch (d.state) {
      case 'paid':
        return this.startRefund(owner, d, now);
      case 'failed':
        return this.clear(d, now); // nothing was taken (a later payment marks it again)
      default:
        return this.askProvider(d, now);
    }
  }

  /** Nothing (more) to look at — unless someone set a later look meanwhile. */
  private async clear(d: LaneDeduction, now: Date): Promise<RefundCheck> {
    const u = await this.deps.deductions.apply(d.id, changes.checkCleared(now));
    return u ? 'cleared' : 'skipped';
  }

  private async later(d: LaneDeduction, now: Date, at: Date): Promise<void> {
    await this.deps.deductions.apply(d.id, changes.checkAgain(at, now));
  }

  /** accepted / deducting: did the money move after all? The provider says (its notification may be lost). */
  private async askProvider(d: LaneDeduction, now: Date): Promise<RefundCheck> {
    const grace = this.deps.lanes.refundGraceMs;
    if (d.state === 'deducting' && d.leaseUntil && d.leaseUntil.getTime() > now.getTime()) {
      await this.later(d, now, this.after(now, grace)); // a request is on it right now
      return 'asked_provider';
    }
    if (!d.attempt) return this.clear(d, now); // no provider was ever asked
    if (now.getTime() - d.createdAt.getTime() > this.maxWatchMs) {
      this.deps.log?.error({ outTradeNo: d.outTradeNo, tradeNo: d.attempt.tradeNo, state: d.state }, 'a deduction’s outcome stayed unknown; no longer watched (check it with the provider by hand)');
      return this.clear(d, now);
    }
    const gateway = this.deps.gateways.gatewayFor(d.attempt.provider);
    let q: Awaited<ReturnType<WithholdingGateway['queryDeduction']>> | undefined;
    try {
      q = gateway ? await gateway.queryDeduction(d.attempt.tradeNo) : undefined;
    } catch (e) {
      this.deps.log?.warn({ outTradeNo: d.outTradeNo, tradeNo: d.attempt.tradeNo, err: (e as Error).message }, 'deduction refund check: the provider did not answer');
    }
    if (q && (q.status === 'paid' || q.status === 'failed')) await this.deps.lanes.onDeduction(d.attempt.tradeNo, q);
    const cur = (await this.deps.deductions.get(d.id)) ?? d;
    if (cur.collectedAt) return this.clear(cur, now);
    // Paid just now: the lot gets the grace from here (the paid record looks again then).
    if (cur.refundCheckAt && cur.refundCheckAt.getTime() > now.getTime()) return 'asked_provider';
    if (cur.state === 'failed' || (q?.status === 'failed' && cur.state === 'deducting') || (q?.status === 'unknown' && cur.state === 'deducting')) {
      return this.clear(cur, now); // nothing was taken
    }
    await this.later(cur, now, this.after(now, grace));
    return 'asked_provider';
  }

  /** Paid, never collected, due: claim the refund (excluding any collection), then ask the provider. */
  private async startRefund(owner: string, d: LaneDeduction, now: Date): Promise<RefundCheck> {
    if (!d.attempt) return this.clear(d, now);
    const amountFen = d.paidFen ?? d.amountFen;
    const told = d.failAnswer ? `the lot was answered fail (${d.failAnswer.code.split(':')[0]}) via ${d.failAnswer.via} at ${formatChinaTime(d.failAnswer.at)}` : 'the lot never got an answer';
    const reason = `${fenToYuan(amountFen)} yuan for outTradeNo ${d.outTradeNo} was confirmed paid${d.paidAt ? ` at ${formatChinaTime(d.paidAt)}` : ''} after ${told}, and no repeat of the lot collected it within ${Math.round(this.deps.lanes.refundGraceMs / 60_000)} minutes`;
    const claimed = await this.deps.deductions.apply(
      d.id,
      changes.refundStarted(
        d.attempt.tradeNo,
        { refundNo: refundNoOf(d.attempt.tradeNo), state: 'refunding', amountFen, reason, startedAt: now, owner, leaseUntil: this.after(now, this.leaseMs), attempts: 0 },
        now,
      ),
    );
    if (!claimed) return 'skipped'; // collected meanwhile, or another process claimed it
    this.deps.log?.warn({ outTradeNo: d.outTradeNo, tradeNo: d.attempt.tradeNo, refundNo: claimed.refund!.refundNo, reason }, 'refunding a deduction the lot never collected');
    return this.callProvider(owner, claimed);
  }

  /** A refund under way whose look is due (still processing at the provider, a failed call, a crashed caller). */
  private async continueRefund(owner: string, d: LaneDeduction, now: Date): Promise<RefundCheck> {
    const claimed = await this.deps.deductions.apply(d.id, changes.refundClaimed(owner, this.after(now, this.leaseMs), now));
    return claimed ? this.callProvider(owner, claimed) : 'skipped';
  }

  private async callProvider(owner: string, d: LaneDeduction): Promise<RefundCheck> {
    const repo = this.deps.deductions;
    const r = d.refund!;
    const attempt = d.attempt!;
    const attempts = r.attempts + 1;
    const gateway = this.deps.gateways.gatewayFor(attempt.provider);
    let res: Awaited<ReturnType<WithholdingGateway['refund']>>;
    try {
      if (!gateway) throw new Error(`${attempt.provider} is not set up here any more`);
      res = await gateway.refund({ outTradeNo: attempt.tradeNo, refundNo: r.refundNo, refundFen: r.amountFen, totalFen: d.paidFen ?? d.amountFen, reason: DRIVER_REFUND_REASON });
    } catch (e) {
      const now = dateNow(this.deps.clock);
      const message = (e as Error).message;
      this.deps.log?.warn({ outTradeNo: d.outTradeNo, refundNo: r.refundNo, err: message }, 'deduction refund: the provider did not answer; asking again later');
      await repo.apply(d.id, changes.refundAnswered(owner, attempts, { kind: 'unanswered', error: message, checkAt: this.after(now, this.backoff(attempts)) }, now));
      return 'refunding';
    }
    const now = dateNow(this.deps.clock);
    const id = res.status !== 'failed' && res.refundId ? { refundId: res.refundId } : {};
    if (res.status === 'refunded') {
      await repo.apply(d.id, changes.refundAnswered(owner, attempts, { kind: 'refunded', ...(res.refundedAt ? { refundedAt: res.refundedAt } : {}), ...id }, now));
      this.deps.log?.info({ outTradeNo: d.outTradeNo, refundNo: r.refundNo, fen: r.amountFen }, 'deduction refunded');
      this.deps.onRefunded?.(d);
      return 'refunded';
    }
    if (res.status === 'pending') {
      await repo.apply(d.id, changes.refundAnswered(owner, attempts, { kind: 'pending', ...id, checkAt: this.after(now, this.backoff(attempts)) }, now));
      return 'refunding';
    }
    await repo.apply(d.id, changes.refundAnswered(owner, attempts, { kind: 'refused', failure: res.reason }, now));
    this.deps.log?.error({ outTradeNo: d.outTradeNo, refundNo: r.refundNo, fen: r.amountFen, reason: res.reason }, 'deduction refund refused by the provider: give the money back by hand');
    return 'refund_failed';
  }
}
