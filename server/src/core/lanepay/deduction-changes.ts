/**
 * The changes lane-deductions.ts and deduction-refunds.ts make to a lane deduction, each checked against
 * DEDUCTION_MOVES (and a refund's against REFUND_MOVES) when built; the repository applies one as a single
 * conditional write (core/state.ts). A change made under the claim's lease names its owner; one about a
 * provider attempt names its tradeNo; collecting and refunding exclude each other by their conditions.
 */
import { change, IllegalMove, canMove } from '../state';
import {
  DEDUCTION_MOVES,
  DEDUCTION_STATES,
  REFUND_MOVES,
  type DeductionAttempt,
  type DeductionChange,
  type DeductionFailureCode,
  type DeductionRefund,
  type DeductionRefundState,
  type DeductionState,
  type LaneDeduction,
  type LotCall,
} from './channel-pay-model';

const move = (c: DeductionChange): DeductionChange => change('lane deduction', DEDUCTION_MOVES, c);
/** Whatever the record's state: its other conditions decide. */
const ANY: readonly DeductionState[] = DEDUCTION_STATES;

// ── the lane's request (lane-deductions.ts) ──────────────────────────────────────────────────────

/** A holder's lease ran out: `owner` takes the claim over to finish its attempt. */
export const takenOver = (owner: string, leaseUntil: Date, now: Date): DeductionChange =>
  move({ from: ['deducting'], set: { owner, leaseUntil, updatedAt: now }, when: { leaseFreeAt: now } });

/** A failed record (nothing taken) claimed back for another try; the refund job looks at it at `checkAt`. */
export const retried = (owner: string, leaseUntil: Date, checkAt: Date, now: Date): DeductionChange =>
  move({ from: ['failed'], to: 'deducting', set: { owner, leaseUntil, refundCheckAt: checkAt, clear: ['failure'], updatedAt: now } });

/** The claim's holder asks another agreement, under a new provider order number. */
export const nextAttempt = (owner: string, attempt: DeductionAttempt, attempts: number, now: Date): DeductionChange =>
  move({ from: ANY, set: { attempt, attempts, updatedAt: now }, when: { owner } });

/** The provider did not answer: the claim is let go (a repeat asks again with the same number). */
export const unanswered = (owner: string, error: string, now: Date): DeductionChange =>
  move({ from: ANY, set: { leaseUntil: now, lastError: error, updatedAt: now }, when: { owner } });

/** The claim's holder found no agreement to take the money from (or only ones at their daily cap). */
export const gaveUp = (owner: string, failure: { code: DeductionFailureCode; reason: string }, now: Date): DeductionChange =>
  move({ from: ['deducting'], to: 'failed', set: { failure, leaseUntil: null, updatedAt: now }, when: { owner } });

/** What the provider answered of attempt `tradeNo`: money taken. */
export interface Payment {
  transactionId: string;
  paidFen: number;
  paidAt: Date;
}

/**
 * The money is taken and the lot is told so right after this: recorded paid and collected in one write,
 * while not collected and no refund started.
 */
export const paidAndCollected = (tradeNo: string, p: Payment, via: LotCall, now: Date): DeductionChange =>
  move({
    from: ANY,
    to: 'paid',
    set: { ...p, leaseUntil: null, collectedAt: now, collectedVia: via, clear: ['failure', 'lastError', 'refundCheckAt'], updatedAt: now },
    when: { tradeNo, notCollected: true, noRefund: true },
  });

/**
 * The money of attempt `tradeNo` is taken (from one of `from`): the lane's own answer (`endsClaim`: its lease
 * and last error go) or the provider's word later. `checkAt`: while the lot has not collected it, the refund
 * job looks then.
 */
export function paid(from: readonly DeductionState[], tradeNo: string, p: Payment, now: Date, o: { endsClaim: boolean; checkAt?: Date }): DeductionChange {
  return move({
    from,
    to: 'paid',
    set: {
      ...p,
      ...(o.endsClaim ? { leaseUntil: null } : {}),
      ...(o.checkAt ? { refundCheckAt: o.checkAt } : {}),
      clear: o.endsClaim ? ['failure', 'lastError'] : ['failure'],
      updatedAt: now,
    },
    when: { tradeNo, ...(o.checkAt ? { notCollected: true } : {}) },
  });
}

/** The provider accepted attempt `tradeNo` and guarantees it (WeChat's parking service debits later). */
export const accepted = (tradeNo: string, transactionId: string | undefined, now: Date): DeductionChange =>
  move({
    from: ['deducting'],
    to: 'accepted',
    set: { ...(transactionId ? { transactionId } : {}), leaseUntil: null, clear: ['lastError'], updatedAt: now },
    when: { tradeNo },
  });

/** The provider refused attempt `tradeNo` while it was asked: nothing taken. */
export const refused = (tradeNo: string, failure: { code: DeductionFailureCode; reason: string }, now: Date): DeductionChange =>
  move({ from: ['deducting'], to: 'failed', set: { failure, leaseUntil: null, clear: ['lastError'], updatedAt: now }, when: { tradeNo } });

/** An accepted attempt `tradeNo` the provider settled as failed. */
export const settledFailed = (tradeNo: string, failure: { code: DeductionFailureCode; reason: string }, now: Date): DeductionChange =>
  move({ from: ['accepted'], to: 'failed', set: { failure, updatedAt: now }, when: { tradeNo } });

/** The lot is about to be told it is paid (or accepted): collected, while no refund was started. */
export const collected = (from: DeductionState, via: LotCall, now: Date): DeductionChange =>
  move({ from: [from], set: { collectedAt: now, collectedVia: via, clear: ['refundCheckAt'], updatedAt: now }, when: { notCollected: true, noRefund: true } });

/**
 * The lot was told fail. `checkAt`: while it has not collected and no refund started, the refund job looks
 * then (money may still arrive); none when it was told the money is being given back.
 */
export const failAnswered = (failAnswer: NonNullable<LaneDeduction['failAnswer']>, now: Date, checkAt?: Date): DeductionChange =>
  checkAt
    ? move({ from: ANY, set: { failAnswer, refundCheckAt: checkAt, updatedAt: now }, when: { notCollected: true, noRefund: true } })
    : move({ from: ANY, set: { failAnswer, updatedAt: now } });

// ── the refund job (deduction-refunds.ts) ─────────────────────────────────────────────────────────

/** A refund-state move, checked against REFUND_MOVES (a refund is only moved from refunding). */
function refundTo(to: DeductionRefundState): DeductionRefundState {
  if (!canMove(REFUND_MOVES, 'refunding', to)) throw new IllegalMove('deduction refund', 'refunding', to);
  return to;
}

/** Nothing (more) to look at, unless someone set a later look meanwhile. */
export const checkCleared = (now: Date): DeductionChange => move({ from: ANY, set: { clear: ['refundCheckAt'], updatedAt: now }, when: { checkDueBy: now } });

/** Look again at `at`, unless someone set another look meanwhile. */
export const checkAgain = (at: Date, now: Date): DeductionChange => move({ from: ANY, set: { refundCheckAt: at, updatedAt: now }, when: { checkDueBy: now } });

/** Paid, never collected, due: the refund claimed (excluding any collection). */
export const refundStarted = (tradeNo: string, refund: DeductionRefund, now: Date): DeductionChange =>
  move({ from: ['paid'], set: { refund, updatedAt: now }, when: { tradeNo, notCollected: true, noRefund: true, checkDueBy: now } });

/** A refund under way whose look is due, leased to `owner`. */
export const refundClaimed = (owner: string, leaseUntil: Date, now: Date): DeductionChange =>
  move({ from: ANY, set: { refund: { owner, leaseUntil }, updatedAt: now }, when: { refundStates: ['refunding'], refundLeaseFreeAt: now, checkDueBy: now } });

/** What the provider answered the refund's lease holder; its lease ends. */
export type RefundAnswer =
  | { kind: 'unanswered'; error: string; checkAt: Date }
  | { kind: 'refunded'; refundedAt?: Date; refundId?: string }
  | { kind: 'pending'; refundId?: string; checkAt: Date }
  | { kind: 'refused'; failure: string };

export function refundAnswered(owner: string, attempts: number, a: RefundAnswer, now: Date): DeductionChange {
  const when = { refundOwner: owner, refundStates: ['refunding' as const] };
  const base = { leaseUntil: null, attempts };
  switch (a.kind) {
    case 'unanswered':
      return move({ from: ANY, set: { refund: { ...base, lastError: a.error }, refundCheckAt: a.checkAt, updatedAt: now }, when });
    case 'refunded':
      return move({
        from: ANY,
        set: {
          refund: { state: refundTo('refunded'), refundedAt: a.refundedAt, ...base, ...(a.refundId ? { refundId: a.refundId } : {}), clear: ['lastError'] },
          clear: ['refundCheckAt'],
          updatedAt: now,
        },
        when,
      });
    case 'pending':
      return move({ from: ANY, set: { refund: { ...base, ...(a.refundId ? { refundId: a.refundId } : {}), clear: ['lastError'] }, refundCheckAt: a.checkAt, updatedAt: now }, when });
    case 'refused':
      return move({ from: ANY, set: { refund: { state: refundTo('failed'), failure: a.failure, ...base }, clear: ['refundCheckAt'], updatedAt: now }, when });
  }
}
