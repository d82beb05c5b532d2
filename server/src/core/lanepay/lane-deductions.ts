/**
 * Taking a stay's fee from the plate's withholding agreement at the lane: the deduction machinery shared by
 * 4.16 (withholding or QR, lane-qr.ts) and 4.27 (third-party channel pay, channel-pay.ts). The lot answers
 * success only when the money is secured — or, when the park's channelPayPolicy is 'accepted', also when
 * the provider accepted the deduction and guarantees it (WeChat's parking service answers ACCEPTED and
 * debits later). Otherwise fail with the reason: no_agreement, insufficient_funds, refused,
 * deduction_pending, provider_unreachable, in_progress, amount_mismatch.
 *
 * What to do next is decided from the record alone (deduction-decide.ts); this service runs the steps.
 * Repeats of one outTradeNo never deduct twice (channel-pay-model.ts): the first request inserts the
 * record (the claim); a concurrent repeat waits for its outcome (up to waitMs) or reports it in progress;
 * a later repeat answers the recorded outcome, and after a failure (nothing taken) tries again.
 *
 * Every answer is recorded on the deduction before it leaves: success marks it collected (only while no
 * refund was started — else the lot is answered fail `refunded`); fail notes what the lot was told and
 * when, and asks the refund job (deduction-refunds.ts) to look at it after the grace: money confirmed
 * after a fail answer that no repeat collects meanwhile is given back to the driver.
 */
import { randomHex, timedNo } from '../ids';
import { performance } from 'node:perf_hooks';
import { fenToYuan } from '../../../../shared/money';
import { normalizePlate } from '../../../../shared/plate';
import { formatChinaDate } from '../../../../shared/time';
import type { DeductResult } from '../agreements/gateways';
import { agreementRef, type AgreementRecord } from '../agreements/model';
import type { AgreementService } from '../agreements/service';
import { dateNow, type Clock } from '../clock';
import { refusedBeforeSending } from '../gateway-failure';
import type { LotRecordsRepository, Stay } from '../lot/model';
import type { Provider } from '../orders/model';
import type { Park } from '../parks';
import {
  DEDUCTION_STATES,
  deductionId,
  type AgreementSpendRepository,
  type DeductionChange,
  type LaneDeduction,
  type LaneDeductionRepository,
  type LotCall,
} from './channel-pay-model';
import * as changes from './deduction-changes';
import { collectStep, decide, noAgreement, refundedOutcome, settleStep, stateOutcome, STILL_DEDUCTING, trustFailed, type DeductOutcome, type DeductPolicy } from './deduction-decide';
import { deductionLimits, type DeductionTrust } from './deduction-trust';
import { parseOutTradeNo } from './lane-qr-trade';
import type { Log } from '../log';

export type { DeductOutcome, DeductPolicy } from './deduction-decide';

export interface DeductRequest {
  park: Park;
  outTradeNo: string;
  /** As the lot sent it (decoded). */
  plate: string;
  amountFen: number;
  via: '4.16' | '4.27';
  policy: DeductPolicy;
}

export interface LaneDeductionDeps {
  deductions: LaneDeductionRepository;
  agreements: Pick<AgreementService, 'liveForPlate' | 'noticeNoAgreement' | 'record' | 'gatewayFor' | 'offered'>;
  stays: Pick<LotRecordsRepository, 'findStay' | 'staysInPark'>;
  /** Whether money may be taken at all: the open stay, the caps, the lot's own price (deduction-trust.ts). */
  trust: DeductionTrust;
  /** What each agreement has been charged per day (the daily cap). */
  spend: AgreementSpendRepository;
  clock: Clock;
  /** This process, as the holder of claims. */
  owner?: string;
  /** A claim's lease (longer than a provider call may take). Default 30 s of the clock. */
  leaseMs?: number;
  /**
   * How long a concurrent repeat waits for the first request's outcome. Default 8 s. The waits of a lane
   * call are real time (`elapsed`), whatever the business clock does (demo mode's jumps ahead).
   */
  waitMs?: number;
  /** 'secured' policy: how long to wait for an accepted deduction to be confirmed (real ms). Default 5 s. */
  settleWaitMs?: number;
  /** Real ms between looks while waiting. Default 100 (repeats) and 500 (provider queries). */
  pollMs?: number;
  settlePollMs?: number;
  sleep?: (ms: number) => Promise<void>;
  /** Real ms passed, for the waits above (monotonic). Default performance.now(). */
  elapsed?: () => number;
  /**
   * How long money the lot was not told about (confirmed after a fail answer, or never answered) waits for
   * a repeat of the lot to collect it before the refund job gives it back (clock ms). Default 10 minutes.
   */
  refundGraceMs?: number;
  log?: Log;
  /** Told when a deduction is recorded paid (possibly more than once for one deduction: listeners dedupe). */
  onPaid?: (d: LaneDeduction) => void;
}

/** "PW" + China time yyMMddHHmmss + 8 random: 22 of [0-9A-Z] (WeChat out_trade_no 6–32, Alipay ≤ 64). */
export function newDeductionNo(now: number): string {
  return timedNo('PW', now, 8);
}

export const PAY_TYPE: Record<Provider, string> = { wechat: '微信', alipay: '支付宝' };
const PROVIDER_NAME: Record<Provider, string> = { wechat: 'WeChat Pay', alipay: 'Alipay' };

export class LaneDeductionService {
  private readonly owner: string;
  private readonly leaseMs: number;
  private readonly waitMs: number;
  private readonly settleWaitMs: number;
  private readonly pollMs: number;
  private readonly settlePollMs: number;
  private readonly sleep: (ms: number) => Promise<void>;
  private readonly elapsed: () => number;
  readonly refundGraceMs: number;
  constructor(private readonly deps: LaneDeductionDeps) {
    this.refundGraceMs = deps.refundGraceMs ?? 10 * 60_000;
    this.owner = deps.owner ?? `lane-${randomHex(6)}`;
    this.leaseMs = deps.leaseMs ?? 30_000;
    this.waitMs = deps.waitMs ?? 8_000;
    this.settleWaitMs = deps.settleWaitMs ?? 5_000;
    this.pollMs = deps.pollMs ?? 100;
    this.settlePollMs = deps.settlePollMs ?? 500;
    this.sleep = deps.sleep ?? ((ms) => new Promise((r) => setTimeout(r, ms)));
    this.elapsed = deps.elapsed ?? (() => performance.now());
  }

  private lease(now: Date): Date {
    return new Date(now.getTime() + this.leaseMs);
  }

  /** Whether any withholding provider is set up here at all. */
  offersWithholding(): boolean {
    return this.deps.agreements.offered().length > 0;
  }

  /** The recorded deduction of an outTradeNo, if any. */
  find(parkNumber: string, outTradeNo: string): Promise<LaneDeduction | undefined> {
    return this.deps.deductions.get(deductionId(parkNumber, outTradeNo));
  }

  private checkLater(now: Date): Date {
    return new Date(now.getTime() + this.refundGraceMs);
  }

  /**
   * Take `amountFen` for this outTradeNo from the plate's agreement, at most once. The outcome is what the
   * lot is answered (success for secured / accepted), and it is recorded as such.
   */
  async deduct(req: DeductRequest): Promise<DeductOutcome> {
    const out = await this.follow(req);
    return this.answered(deductionId(req.park.parkNumber, req.outTradeNo), req.via, out);
  }

  /**
   * 4.17 about an outTradeNo that 4.16 answered from an agreement: the payment when it counts (the lot has it
   * from this answer on), a refusal when it is being given back, undefined when there is nothing to tell.
   */
  async lotAsks(park: Park, outTradeNo: string, via: LotCall): Promise<DeductOutcome | undefined> {
    const d = await this.find(park.parkNumber, outTradeNo);
    if (!d?.attempt) return undefined;
    if (d.refund) return refundedOutcome(d);
    const policy = park.settings?.channelPayPolicy ?? 'secured';
    if (d.state === 'paid') return this.collect(via, { kind: 'secured', deduction: d });
    if (d.state === 'accepted' && policy === 'accepted') return this.collect(via, { kind: 'accepted', deduction: d });
    return undefined;
  }

  /** Record what the lot is answered: success marks the deduction collected (unless a refund started), fail is noted. */
  private async answered(id: string, via: LotCall, out: DeductOutcome): Promise<DeductOutcome> {
    const told = out.kind === 'secured' || out.kind === 'accepted' ? await this.collect(via, out) : out;
    if (told.kind === 'failed' || told.kind === 'pending') await this.noteFail(id, via, told.code);
    return told;
  }

  /**
   * The lot is about to be told the money is paid: mark it collected first — only while no refund was
   * started (a conditional update that excludes the refund job's claim), else the lot is told it is refunded.
   */
  private async collect(via: LotCall, out: Extract<DeductOutcome, { kind: 'secured' | 'accepted' }>): Promise<DeductOutcome> {
    const repo = this.deps.deductions;
    let d: LaneDeduction | undefined = out.deduction;
    for (let i = 0; i < 3 && d; i++) {
      const next = collectStep(d, out.kind);
      if (next.step === 'answer') return next.outcome;
      if (next.step === 'stale') break;
      const now = dateNow(this.deps.clock);
      const u = await repo.apply(d.id, changes.collected(d.state, via, now));
      if (u) return { kind: u.state === 'paid' ? 'secured' : 'accepted', deduction: u };
      d = await repo.get(d.id);
    }
    // It changed under us (a failure was recorded meanwhile): tell the lot what the record says now.
    const now = d && stateOutcome(d);
    if (now) return now;
    return { kind: 'pending', code: 'in_progress', reason: 'in_progress: the outcome of this outTradeNo is changing; ask again' };
  }

  /** The lot is told fail: note it, and have the refund job look at the record after the grace (money may still arrive). */
  private async noteFail(id: string, via: LotCall, code: string): Promise<void> {
    const now = dateNow(this.deps.clock);
    const failAnswer = { at: now, via, code };
    await this.deps.deductions.apply(id, code === 'refunded' ? changes.failAnswered(failAnswer, now) : changes.failAnswered(failAnswer, now, this.checkLater(now)));
  }

  /** Run the steps decide() names until one answers. */
  private async follow(req: DeductRequest): Promise<DeductOutcome> {
    const id = deductionId(req.park.parkNumber, req.outTradeNo);
    const plateKey = normalizePlate(req.plate);
    const deadline = this.elapsed() + this.waitMs;
    for (;;) {
      const d = await this.deps.deductions.get(id);
      const now = dateNow(this.deps.clock);
      const next = decide(d, { amountFen: req.amountFen, waitedOut: this.elapsed() >= deadline }, now);
      switch (next.step) {
        case 'answer':
          return next.outcome;
        case 'settle':
          return this.settle(next.deduction, req.policy);
        case 'claim':
        case 'retry': {
          // Before any money moves: the cap, the plate's open stay at this park (our own reads), the agreements
          // that cover this park, and then the lot's own price of that stay (deduction-trust.ts). A retry
          // (nothing was taken: the driver topped up, signed up meanwhile) is checked again like a new one:
          // the car may have left, the price changed.
          const admitted = await this.deps.trust.admit(req.park, req);
          if (!admitted.ok) return trustFailed(admitted);
          const live = await this.deps.agreements.liveForPlate(plateKey, req.park.parkNumber);
          if (!live.length) return noAgreement(req.plate);
          const priced = await this.deps.trust.confirmPrice(req.park, req, admitted.stay);
          if (!priced.ok) return trustFailed(priced);
          const out = next.step === 'claim' ? await this.claim(id, req, plateKey, live, admitted.stay, now) : await this.claimFailed(id, req, live, now);
          if (out) return out;
          continue; // someone else claimed it a moment ago: read theirs
        }
        case 'wait':
          await this.sleep(this.pollMs);
          continue;
        case 'take_over': {
          const taken = await this.deps.deductions.apply(id, changes.takenOver(this.owner, this.lease(now), now));
          // Finishing what a lost holder started (it passed the checks): its agreement, the same provider number.
          if (taken) return this.run(taken, req, await this.deps.agreements.liveForPlate(plateKey, req.park.parkNumber), true);
          if (this.elapsed() >= deadline) return STILL_DEDUCTING;
        }
      }
    }
  }

  /** The claim: the record inserted with its first attempt (best agreement, a new provider order number) in one write. */
  private async claim(id: string, req: DeductRequest, plateKey: string, live: AgreementRecord[], stay: Stay, now: Date): Promise<DeductOutcome | undefined> {
    const first = live[0]!;
    const tradeNo = newDeductionNo(now.getTime());
    const fresh: LaneDeduction = {
      id,
      parkNumber: req.park.parkNumber,
      outTradeNo: req.outTradeNo,
      plate: req.plate,
      plateKey,
      amountFen: req.amountFen,
      via: req.via,
      state: 'deducting',
      attempt: { tradeNo, agreementId: first.id, provider: first.provider, driverId: first.driverId },
      attempts: 1,
      owner: this.owner,
      leaseUntil: this.lease(now),
      stay: this.stayTimesOf(stay.entry?.inTime ?? stay.exit?.inTime ?? null),
      // Looked at by the refund job after the grace unless the lot collects it first.
      refundCheckAt: this.checkLater(now),
      createdAt: now,
      updatedAt: now,
    };
    if (!(await this.deps.deductions.insert(fresh))) return undefined;
    return this.run(fresh, req, live, false, tradeNo);
  }

  /** A failed record (nothing taken) claimed back for another try. */
  private async claimFailed(id: string, req: DeductRequest, live: AgreementRecord[], now: Date): Promise<DeductOutcome | undefined> {
    const claimed = await this.deps.deductions.apply(id, changes.retried(this.owner, this.lease(now), this.checkLater(now), now));
    return claimed ? this.run(claimed, req, live, false) : undefined;
  }

  /**
   * Holding the claim: ask the providers, best agreement first. `recover`: finish the attempt a lost holder
   * left. `inserted`: the provider order number of the record's attempt, put in with the claim (not yet sent).
   */
  private async run(d: LaneDeduction, req: DeductRequest, live: AgreementRecord[], recover: boolean, inserted?: string): Promise<DeductOutcome> {
    const repo = this.deps.deductions;
    const tried = new Set<string>();
    let current = d;
    /** An agreement passed over because its daily cap would be passed. */
    let capped = false;
    if (recover && d.attempt) {
      // Its answer was lost: the same provider order number again (idempotent at the provider).
      const r = await this.deps.agreements.record(d.attempt.agreementId);
      if (r) {
        tried.add(r.id);
        const out = await this.attempt(current, r, d.attempt.tradeNo, req);
        if (out === 'capped') capped = true;
        else if (out !== 'next') return out;
      }
    }
    for (const r of live) {
      if (tried.has(r.id)) continue;
      tried.add(r.id);
      if (inserted !== undefined && d.attempt?.tradeNo === inserted && d.attempt.agreementId === r.id) {
        inserted = undefined;
        const out = await this.attempt(current, r, d.attempt.tradeNo, req);
        if (out === 'capped') capped = true;
        else if (out !== 'next') return out;
        continue;
      }
      const now = dateNow(this.deps.clock);
      const tradeNo = newDeductionNo(now.getTime());
      const next = await repo.apply(d.id, changes.nextAttempt(this.owner, { tradeNo, agreementId: r.id, provider: r.provider, driverId: r.driverId }, current.attempts + 1, now));
      if (!next) return { kind: 'pending', code: 'in_progress', reason: 'in_progress: another request took over this outTradeNo; ask again' };
      current = next;
      const out = await this.attempt(current, r, tradeNo, req);
      if (out === 'capped') capped = true;
      else if (out !== 'next') return out;
    }
    if (capped) {
      const reason = `over_limit: ${req.plate}'s agreement has reached what this park allows it to be charged today (${fenToYuan(deductionLimits(req.park).maxPerDayFen)} yuan)`;
      await repo.apply(d.id, changes.gaveUp(this.owner, { code: 'over_limit', reason }, dateNow(this.deps.clock)));
      return { kind: 'failed', code: 'over_limit', reason };
    }
    const { reason } = noAgreement(req.plate);
    const now = dateNow(this.deps.clock);
    await repo.apply(d.id, changes.gaveUp(this.owner, { code: 'no_agreement', reason }, now));
    return { kind: 'no_agreement', reason };
  }

  /**
   * The stay the provider is told about: its entry time from the lot's 4.2 record when we have one (by _id:
   * park + the orderId in the outTradeNo; by plate only when the outTradeNo does not name one), else a
   * minute before the exit. Providers want the entry before the exit (WeChat refuses equal times).
   */
  private async stayTimes(req: DeductRequest): Promise<{ enteredAt: Date; leftAt: Date; entryFrom: '4.2' | 'assumed' }> {
    const parts = parseOutTradeNo(req.outTradeNo, req.park.parkNumber);
    const stay = parts
      ? await this.deps.stays.findStay(req.park.parkNumber, parts.orderId)
      : (await this.deps.stays.staysInPark(req.park.parkNumber, normalizePlate(req.plate)))[0];
    return this.stayTimesOf(stay?.entry?.inTime ?? stay?.exit?.inTime ?? null);
  }

  /** The stay times of an entry time from the lot's 4.2 record (none, or not before now: a minute before the exit). */
  private stayTimesOf(inTime: Date | null): { enteredAt: Date; leftAt: Date; entryFrom: '4.2' | 'assumed' } {
    const leftAt = dateNow(this.deps.clock);
    const t = inTime?.getTime();
    if (t !== undefined && t <= leftAt.getTime() - 1_000) return { enteredAt: new Date(t), leftAt, entryFrom: '4.2' };
    return { enteredAt: new Date(leftAt.getTime() - 60_000), leftAt, entryFrom: 'assumed' };
  }

  /** The day of a deduction for the daily cap: the China day it was first asked for (the same on every retry). */
  private spendDay(d: LaneDeduction): string {
    return formatChinaDate(d.createdAt);
  }

  /**
   * One provider deduction; 'next' when this agreement turned out not to exist (try the next one), 'capped'
   * when it would pass the agreement's daily cap (nothing asked). The amount is reserved on the agreement's
   * day before the provider is asked, and given back when nothing was taken.
   */
  private async attempt(d: LaneDeduction, r: AgreementRecord, tradeNo: string, req: DeductRequest): Promise<DeductOutcome | 'next' | 'capped'> {
    const gateway = this.deps.agreements.gatewayFor(r.provider);
    if (!gateway) return 'next';
    const day = this.spendDay(d);
    if (!(await this.deps.spend.reserve(r.id, day, tradeNo, d.amountFen, deductionLimits(req.park).maxPerDayFen))) return 'capped';
    // The same stay on every attempt of this record (a record from before it was kept: worked out now).
    const { enteredAt, leftAt } = d.stay ?? (await this.stayTimes(req));
    let res: DeductResult;
    try {
      res = await gateway.deduct({
        outTradeNo: tradeNo,
        agreement: agreementRef(r),
        amountFen: d.amountFen,
        parkNumber: req.park.parkNumber,
        parkName: req.park.name ?? req.park.parkNumber,
        enteredAt,
        leftAt,
        description: `停车费 ${req.plate}`.slice(0, 127),
      });
    } catch (e) {
      // A refusal of ours before anything was sent (a plate or amount the provider cannot take): nothing moved.
      if (refusedBeforeSending(e)) return this.keep(d, tradeNo, { status: 'failed', code: 'refused', reason: `${e.reason}: ${e.message}` }, req);
      // Whether the money moved is unknown: keep the attempt, free the claim; a repeat asks again with the
      // same number (never another order meanwhile).
      const message = (e as Error).message;
      this.deps.log?.warn({ outTradeNo: d.outTradeNo, tradeNo, provider: r.provider, err: message }, 'lane deduction: no answer from the provider');
      await this.deps.deductions.apply(d.id, changes.unanswered(this.owner, message, dateNow(this.deps.clock)));
      return { kind: 'pending', code: 'provider_unreachable', reason: `provider_unreachable: ${PROVIDER_NAME[r.provider]} did not answer; ask again` };
    }
    if (res.status === 'failed' && res.code === 'no_agreement') {
      this.deps.agreements.noticeNoAgreement(r);
      await this.deps.spend.release(r.id, day, tradeNo);
      return 'next';
    }
    return this.keep(d, tradeNo, res, req);
  }

  /** Record a provider's answer about the current attempt and say what it means for the lane. */
  private async keep(d: LaneDeduction, tradeNo: string, res: DeductResult, req: Pick<DeductRequest, 'policy' | 'via'>): Promise<DeductOutcome> {
    const repo = this.deps.deductions;
    const { policy } = req;
    const now = dateNow(this.deps.clock);
    if (res.status === 'paid') {
      if (res.paidFen !== d.amountFen) {
        this.deps.log?.error({ outTradeNo: d.outTradeNo, tradeNo, asked: d.amountFen, paid: res.paidFen }, 'a provider took another amount than asked');
      }
      const payment = { transactionId: res.transactionId, paidFen: res.paidFen, paidAt: res.paidAt };
      // The lot is told paid right after this (deduct → answered → collect): record it collected in the same
      // write — the same condition collect() puts on it (not collected, no refund started), so collect() then
      // finds it done. Anything else (collected before, a refund started): recorded paid here, collect() decides.
      const u =
        (await repo.apply(d.id, changes.paidAndCollected(tradeNo, payment, req.via, now))) ??
        (await this.markPaid(d.id, (checkAt) => changes.paid(DEDUCTION_STATES, tradeNo, payment, now, { endsClaim: true, ...(checkAt ? { checkAt } : {}) })));
      if (u) this.deps.onPaid?.(u);
      return { kind: 'secured', deduction: u ?? (await repo.get(d.id))! };
    }
    if (res.status === 'accepted') {
      const u = await repo.apply(d.id, changes.accepted(tradeNo, res.transactionId, now));
      const cur = u ?? (await repo.get(d.id))!;
      return this.settle(cur, policy);
    }
    await repo.apply(d.id, changes.refused(tradeNo, { code: res.code, reason: res.reason }, now));
    // Nothing was taken: the day's cap gets it back.
    if (d.attempt?.tradeNo === tradeNo) await this.deps.spend.release(d.attempt.agreementId, this.spendDay(d), tradeNo);
    return { kind: 'failed', code: res.code, reason: `${res.code}: ${res.reason}` };
  }

  /**
   * The money is taken: record it. While the lot has not collected it, the refund job looks at it after the
   * grace (one update when not collected, else one without the look: each conditional, no read in between).
   */
  private async markPaid(id: string, paid: (checkAt?: Date) => DeductionChange): Promise<LaneDeduction | undefined> {
    const repo = this.deps.deductions;
    return (await repo.apply(id, paid(this.checkLater(dateNow(this.deps.clock))))) ?? (await repo.apply(id, paid()));
  }

  /** An accepted deduction: taken as is under the 'accepted' policy; otherwise wait (a while) for the provider to confirm it. */
  private async settle(d: LaneDeduction, policy: DeductPolicy): Promise<DeductOutcome> {
    const tradeNo = d.attempt?.tradeNo;
    const gateway = d.attempt ? this.deps.agreements.gatewayFor(d.attempt.provider) : undefined;
    const deadline = this.elapsed() + this.settleWaitMs;
    let cur = d;
    for (let first = true; ; first = false) {
      const next = settleStep(cur, policy, !first && this.elapsed() >= deadline);
      if (next.step === 'answer') return next.outcome;
      if (!first) await this.sleep(this.settlePollMs);
      if (gateway && tradeNo) {
        try {
          const q = await gateway.queryDeduction(tradeNo);
          if (q.status === 'paid' || q.status === 'failed') await this.onDeduction(tradeNo, q);
        } catch (e) {
          this.deps.log?.warn({ tradeNo, err: (e as Error).message }, 'lane deduction: query failed');
        }
      }
      cur = (await this.deps.deductions.get(d.id)) ?? cur;
    }
  }

  /**
   * What a provider says about a deduction of ours (a verified notification, or our query): the record of
   * that attempt follows it. A repeat changes nothing. Money reported taken is kept even when we had
   * recorded a failure (the provider is the truth; logged, the lot learns it when it asks again).
   */
  async onDeduction(tradeNo: string, result: DeductResult): Promise<'applied' | 'unchanged' | 'unknown'> {
    const repo = this.deps.deductions;
    const d = await this.deps.deductions.byTradeNo(tradeNo);
    if (!d) return 'unknown';
    const now = dateNow(this.deps.clock);
    if (result.status === 'paid') {
      // Already recorded paid for this attempt (the lane's own answer came first): nothing to change, and the
      // conditional updates below could not match (their states exclude paid) — spare the writes.
      if (d.state === 'paid' && d.transactionId === result.transactionId) return 'unchanged';
      if (d.state === 'failed') this.deps.log?.error({ outTradeNo: d.outTradeNo, tradeNo }, 'a deduction recorded as failed was paid after all');
      const payment = { transactionId: result.transactionId, paidFen: result.paidFen, paidAt: result.paidAt };
      const u = await this.markPaid(d.id, (checkAt) => changes.paid(['deducting', 'accepted', 'failed'], tradeNo, payment, now, { endsClaim: false, ...(checkAt ? { checkAt } : {}) }));
      if (u) this.deps.onPaid?.(u);
      if (u && !u.collectedAt && u.failAnswer) {
        this.deps.log?.warn({ outTradeNo: d.outTradeNo, tradeNo, failAnswer: u.failAnswer }, 'a deduction the lot was answered fail for is paid: refunded after the grace unless the lot asks again');
      }
      return u ? 'applied' : 'unchanged';
    }
    if (result.status === 'failed') {
      const u = await repo.apply(d.id, changes.settledFailed(tradeNo, { code: result.code, reason: result.reason }, now));
      if (u && d.attempt) await this.deps.spend.release(d.attempt.agreementId, this.spendDay(d), tradeNo);
      return u ? 'applied' : 'unchanged';
    }
    return 'unchanged';
  }
}
