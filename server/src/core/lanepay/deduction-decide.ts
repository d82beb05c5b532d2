/**
 * What to do next about a lane deduction, decided from its record alone: pure functions of the record, the
 * request and the time, with no database and no provider (tested from tables). lane-deductions.ts runs the
 * steps: reads, conditional writes, provider calls, and asks again after each.
 */
import { fenToYuan } from '../../../../shared/money';
import type { DeductionFailureCode, LaneDeduction } from './channel-pay-model';
import type { TrustRefusal, TrustRefusalCode } from './deduction-trust';

export type DeductPolicy = 'secured' | 'accepted';

export type DeductOutcome =
  /** The money is taken. */
  | { kind: 'secured'; deduction: LaneDeduction }
  /** The provider accepted it and guarantees it, and the park's policy takes that. */
  | { kind: 'accepted'; deduction: LaneDeduction }
  | { kind: 'no_agreement'; reason: string }
  /** Nothing was taken. */
  | { kind: 'failed'; code: DeductionFailureCode | TrustRefusalCode | 'amount_mismatch' | 'refunded'; reason: string }
  /** Not known yet (money may be moving): ask again; never offer another way to pay meanwhile. */
  | { kind: 'pending'; code: 'in_progress' | 'provider_unreachable' | 'deduction_pending'; reason: string };

/**
 * The next step of a request to deduct for an outTradeNo:
 *  - claim: nothing recorded — check, then insert the record with its first attempt (the claim);
 *  - retry: a failure recorded (nothing taken) — check again like a new request, then claim it back;
 *  - take_over: a holder's lease ran out — finish its attempt with the same provider order number;
 *  - wait: another request holds it now — look again after a pause;
 *  - settle: the provider accepted it — wait for (or, by the park's policy, take) its confirmation;
 *  - answer: the outcome is known.
 * `waitedOut`: the request has waited as long as a lane call may.
 */
export type DeductStep =
  | { step: 'claim' | 'retry' | 'take_over' | 'wait' }
  | { step: 'settle'; deduction: LaneDeduction }
  | { step: 'answer'; outcome: DeductOutcome };

export function decide(d: LaneDeduction | undefined, req: { amountFen: number; waitedOut: boolean }, now: Date): DeductStep {
  if (!d) return { step: 'claim' };
  if (d.amountFen !== req.amountFen) {
    return {
      step: 'answer',
      outcome: { kind: 'failed', code: 'amount_mismatch', reason: `amount_mismatch: this outTradeNo was asked for ${fenToYuan(d.amountFen)} yuan before, not ${fenToYuan(req.amountFen)}` },
    };
  }
  if (d.refund) return { step: 'answer', outcome: refundedOutcome(d) };
  if (d.state === 'paid') return { step: 'answer', outcome: { kind: 'secured', deduction: d } };
  if (d.state === 'accepted') return { step: 'settle', deduction: d };
  if (d.state === 'failed') return { step: 'retry' };
  // deducting: someone holds it, or held it and is gone.
  if (d.leaseUntil && d.leaseUntil.getTime() > now.getTime()) return req.waitedOut ? { step: 'answer', outcome: STILL_DEDUCTING } : { step: 'wait' };
  return { step: 'take_over' };
}

export const STILL_DEDUCTING: DeductOutcome = { kind: 'pending', code: 'in_progress', reason: 'in_progress: the first request for this outTradeNo is still being paid; ask again' };

/**
 * An accepted deduction, looked at while settling it: its outcome when settled (or taken as accepted under
 * the park's 'accepted' policy), else ask the provider — or, waited out, tell the lot to ask again.
 */
export type SettleStep = { step: 'query' } | { step: 'answer'; outcome: DeductOutcome };

export function settleStep(d: LaneDeduction, policy: DeductPolicy, waitedOut: boolean): SettleStep {
  const done = stateOutcome(d);
  if (done) return { step: 'answer', outcome: done };
  if (policy === 'accepted') return { step: 'answer', outcome: { kind: 'accepted', deduction: d } };
  if (waitedOut) return { step: 'answer', outcome: NOT_CONFIRMED };
  return { step: 'query' };
}

const NOT_CONFIRMED: DeductOutcome = {
  kind: 'pending',
  code: 'deduction_pending',
  reason: 'deduction_pending: the provider accepted the deduction but has not confirmed it yet; ask again',
};

/**
 * The lot is about to be told `kind` (paid, or accepted): mark it collected first — only while no refund was
 * started; else the lot is told it is refunded. `stale`: the record no longer says what the lot would be
 * told (a failure recorded meanwhile): tell it what the record says now.
 */
export type CollectStep = { step: 'mark' } | { step: 'stale' } | { step: 'answer'; outcome: DeductOutcome };

export function collectStep(d: LaneDeduction, kind: 'secured' | 'accepted'): CollectStep {
  if (d.refund) return { step: 'answer', outcome: refundedOutcome(d) };
  if (!(d.state === 'paid' || (d.state === 'accepted' && kind === 'accepted'))) return { step: 'stale' };
  if (d.collectedAt) return { step: 'answer', outcome: { kind: d.state === 'paid' ? 'secured' : 'accepted', deduction: d } };
  return { step: 'mark' };
}

/** What a settled record means for the lot (paid, refunded or failed), undefined while it is not settled. */
export function stateOutcome(x: LaneDeduction): DeductOutcome | undefined {
  if (x.refund) return refundedOutcome(x);
  if (x.state === 'paid') return { kind: 'secured', deduction: x };
  if (x.state === 'failed') {
    const code = x.failure?.code ?? 'refused';
    return code === 'no_agreement' ? { kind: 'no_agreement', reason: x.failure!.reason } : { kind: 'failed', code, reason: `${code}: ${x.failure?.reason ?? ''}` };
  }
  return undefined;
}

/** A refund of this deduction started: the lot is told so, never that it is paid. */
export function refundedOutcome(d: LaneDeduction): DeductOutcome {
  const done = d.refund?.state === 'refunded';
  return {
    kind: 'failed',
    code: 'refunded',
    reason: `refunded: the ${fenToYuan(d.refund?.amountFen ?? d.amountFen)} yuan taken for this outTradeNo ${done ? 'was' : 'is being'} given back to the driver (the lot did not collect it in time)`,
  };
}

/** A trust refusal (deduction-trust.ts): nothing was claimed, nothing taken. */
export function trustFailed(r: TrustRefusal): DeductOutcome {
  return { kind: 'failed', code: r.code, reason: r.reason };
}

export function noAgreement(plate: string): { kind: 'no_agreement'; reason: string } {
  return { kind: 'no_agreement', reason: `no_agreement: ${plate} has no active withholding agreement with ParkPay` };
}
