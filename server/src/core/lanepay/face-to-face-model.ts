/**
 * Booth face-to-face payment (Bluecard 4.24 → 4.25 polls → 4.26 cancel): one record per parkNumber +
 * outTradeNo, changed only by single-document conditional updates (FerretDB has no transactions).
 *
 * Its states and moves are FACE_MOVES below; lanepay/face-changes.ts builds its changes.
 *
 * The payment code itself is never stored (a live 付款码 can be charged); only its sha256, to tell a repeat
 * of the same scan from a new scan.
 */
import type { Patch } from '../patch';
import type { Change, Moves } from '../state';
import type { WorkItem } from '../work';

export type FaceProvider = 'wechat' | 'alipay';
export const FACE_STATES = ['charging', 'waiting', 'paid', 'failed', 'cancelling', 'cancelled'] as const;
export type FaceStatus = (typeof FACE_STATES)[number];

/**
 * A payment's way: charging (the claim: the provider is being charged) → paid (the answer gives
 * payContent), waiting (the payer is confirming, or the outcome is unknown: queried until it is paid or
 * failed), or failed (refused: nothing taken; a NEW code may try again on the same outTradeNo, charging
 * again). 4.26, the deadline, a payment Bluecard never got the answer of, or one of another amount, moves
 * an open or paid payment to cancelling: reversed / cancelled at the provider, retried by the job until done
 * (a paid payment's money goes back), then cancelled.
 */
export const FACE_MOVES: Moves<FaceStatus> = {
  charging: ['waiting', 'paid', 'failed', 'cancelling'],
  waiting: ['paid', 'failed', 'cancelling'],
  paid: ['cancelling'],
  failed: ['charging'],
  cancelling: ['cancelled'],
  cancelled: [],
};

export interface FacePaid {
  /** The provider's transaction (WeChat transaction_id, Alipay trade_no). */
  transactionId: string;
  paidFen: number;
  paidAt: Date;
  /** WeChat openid / Alipay buyer id ("" when not known). */
  userId: string;
}

export interface FaceCancel {
  /** '4.26' Bluecard cancelled; 'deadline' nobody polled or cancelled in time; 'unreported' paid but Bluecard never got the answer; 'amount' paid another amount. */
  reason: '4.26' | 'deadline' | 'unreported' | 'amount';
  requestedAt: Date;
  attempts: number;
  nextAttemptAt: Date;
  leaseUntil?: Date | null;
  lastError?: string;
  doneAt?: Date;
  /** The provider had taken the money and gave it back (true), it had not (false), or it did not say. */
  refunded?: boolean;
}

export interface FacePayment {
  /** `${parkNumber}|${outTradeNo}`: the claim key (unique). */
  id: string;
  parkNumber: string;
  /** Bluecard's order number of the priced stay (echoed in payContent). */
  outTradeNo: string;
  orderId: string;
  plate: string;
  amountFen: number;
  provider: FaceProvider;
  /** sha256 of the scanned code (never the code). */
  codeHash: string;
  /** 1, 2…: a new code after a refusal is a new attempt with a new paymentNo. */
  attempt: number;
  /** Ours: the out_trade_no at WeChat / Alipay for this attempt, and payContent's tradeNo. */
  paymentNo: string;
  status: FaceStatus;
  /** While charging: the provider call is under way until then (a crashed call is queried after it). */
  chargeLeaseUntil?: Date | null;
  /** Nobody polled or cancelled by then: the job cancels. */
  deadline: Date;
  nextQueryAt?: Date;
  queryLeaseUntil?: Date | null;
  /** Provider queries made for this payment (pacing is visible). */
  queries: number;
  payment?: FacePaid;
  failure?: { code: string; message: string };
  /** When Bluecard was answered with the payment (4.24 / 4.25 success). */
  reportedAt?: Date;
  cancel?: FaceCancel;
  createdAt: Date;
  updatedAt: Date;
}

/**
 * When the job should next look at a payment (its work item's due; core/work.ts), undefined when nothing is
 * left to do: an open or unreported paid payment at its deadline, a cancel at its next attempt.
 */
export function faceDue(p: FacePayment): Date | undefined {
  switch (p.status) {
    case 'charging':
    case 'waiting':
      return p.deadline;
    case 'paid':
      return p.reportedAt ? undefined : p.deadline;
    case 'cancelling':
      if (!p.cancel) return p.updatedAt;
      return p.cancel.leaseUntil && p.cancel.leaseUntil > p.cancel.nextAttemptAt ? p.cancel.leaseUntil : p.cancel.nextAttemptAt;
    default:
      return undefined;
  }
}

/** The fields a change of a payment sets; the cancel is written field by field. */
export type FacePatch = Patch<Omit<FacePayment, 'id' | 'parkNumber' | 'outTradeNo' | 'orderId' | 'plate' | 'amountFen' | 'status' | 'queries' | 'cancel' | 'createdAt'>> & {
  readonly cancel?: Patch<FaceCancel>;
};

/** A further condition: the payment's attempt is still this one. */
export interface FaceWhen {
  attempt?: number;
}

export type FaceChange = Change<FaceStatus, FacePatch, FaceWhen>;

/** Persistence (repository/face-payments.ts). Every method is one atomic operation; the repository keeps each payment's work item. */
export interface FacePaymentRepository {
  /** Insert; false when the id exists already. */
  insert(p: FacePayment): Promise<boolean>;
  get(id: string): Promise<FacePayment | undefined>;
  /** Apply the change when the payment is in one of its `from` states and its condition holds; the updated payment or undefined. */
  apply(id: string, change: FaceChange): Promise<FacePayment | undefined>;
  /**
   * Claim the right to ask the provider now: status waiting (or charging whose lease ran out), due
   * (nextQueryAt ≤ now) and no live query lease → lease until leaseUntil, next query not before nextQueryAt,
   * queries + 1. Undefined when another poll holds it or it is not due.
   */
  claimQuery(id: string, now: Date, leaseUntil: Date, nextQueryAt: Date): Promise<FacePayment | undefined>;
  /** Claim this cancelling payment when its attempt is due: lease, attempts + 1. */
  claimCancel(now: Date, leaseUntil: Date, id: string): Promise<FacePayment | undefined>;
  /** Payments whose work is due (the job's poll), earliest first. */
  dueWork(now: Date, limit: number): Promise<WorkItem[]>;
  /** After the job looked at a payment: when to look next (undefined: nothing left). */
  settleWork(item: WorkItem, next: Date | undefined): Promise<void>;
}

/** What a provider says about a charge. */
export type ChargeResult =
  | ({ status: 'paid' } & FacePaid)
  /** The payer is confirming (USERPAYING / 10003) or the outcome is not known yet: ask again. */
  | { status: 'waiting'; reason: string }
  /** Refused or closed: nothing taken. */
  | { status: 'failed'; code: string; message: string };

export type CancelResult =
  | { status: 'done'; refunded?: boolean }
  /** The provider asks to call again (WeChat recall=Y, Alipay retry_flag=Y). */
  | { status: 'retry'; message: string };

/** A provider of payment codes (adapter/payments/face-*.ts). Errors thrown are transient. */
export interface FaceToFaceGateway {
  readonly provider: FaceProvider;
  charge(o: { paymentNo: string; authCode: string; amountFen: number; description: string }): Promise<ChargeResult>;
  query(paymentNo: string): Promise<ChargeResult>;
  /** Reverse / cancel: close an unpaid order, give back a paid one. Idempotent. */
  cancel(paymentNo: string): Promise<CancelResult>;
}

export interface FaceToFacePolicy {
  /** How long Bluecard polls 4.25 (spec: 5 minutes). */
  pollWindowMs: number;
  /** After the window, how long we wait for 4.26 before cancelling by ourselves. */
  graceMs: number;
  /** Least time between two provider queries of one payment. */
  queryEveryMs: number;
  /** A provider query's lease (no second query of the same payment meanwhile). */
  queryLeaseMs: number;
  /** How long a micropay / trade.pay call may be under way before it counts as crashed. */
  chargeLeaseMs: number;
  /** Waits between cancel attempts (the last one repeats). */
  cancelBackoffMs: number[];
  cancelLeaseMs: number;
  /** recall=Y / retry_flag=Y: calls again at once, this many times, before backing off. */
  immediateRetries: number;
}

export const DEFAULT_FACE_POLICY: FaceToFacePolicy = {
  pollWindowMs: 5 * 60_000,
  graceMs: 60_000,
  queryEveryMs: 3_000,
  queryLeaseMs: 15_000,
  chargeLeaseMs: 30_000,
  cancelBackoffMs: [0, 2_000, 5_000, 15_000, 60_000, 300_000],
  cancelLeaseMs: 30_000,
  immediateRetries: 3,
};
