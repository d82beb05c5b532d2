/**
 * A lane deduction: money taken from a plate's withholding agreement for one Bluecard outTradeNo, asked
 * by 4.16 (withholding or QR) or 4.27 (third-party channel pay). One document per park + outTradeNo: its
 * insert is the claim (a unique _id), so a repeat of the same outTradeNo — sequential or concurrent, in
 * one process or several — never deducts twice. FerretDB has no transactions; every change is one
 * conditional single-document update.
 *
 * Its states and moves are DEDUCTION_MOVES below (the refund's, REFUND_MOVES); lanepay/deduction-changes.ts
 * builds its changes.
 *
 * While `deducting`, the process that claimed it holds a lease; a process that crashed leaves the lease to
 * run out and the next repeat asks the provider again with the SAME provider order number (the
 * provider's deduction is idempotent per out_trade_no), so a lost answer never becomes a second deduction.
 *
 * What the lot was told is kept too: `collectedAt` once it was answered success (4.16 agreement, 4.27
 * success, 4.17 paid — set BEFORE the answer leaves, conditional on no refund), `failAnswer` when it was
 * answered fail. Money the lot never collected (confirmed after a fail answer — WeChat ACCEPTED settling
 * SUCCESS later, an Alipay 10003 completing, a lost answer — and no repeat collecting it within a grace) is
 * given back by the refund job (deduction-refunds.ts): `refundCheckAt` says when it looks next, `refund`
 * records the refund. A refund is started and a collection made by conditional updates of this one
 * document that exclude each other, so the lot is never told "paid" for money that is being given back.
 */
import type { Provider } from '../orders/model';
import type { Patch } from '../patch';
import type { Change, Moves } from '../state';
import type { WorkItem } from '../work';

export const DEDUCTION_STATES = ['deducting', 'paid', 'accepted', 'failed'] as const;
export type DeductionState = (typeof DEDUCTION_STATES)[number];

/**
 * A deduction's way: deducting (the provider being asked) → paid; → accepted (WeChat's parking service debits
 * later) → paid or failed once settled; → failed (no agreement, insufficient funds, refused: nothing taken),
 * which a repeat of the lot's request tries again (deducting). The provider is the truth about money: a
 * deduction recorded failed that it reports paid after all is paid. Paid is final (a refund of money the lot
 * never collected is the refund's own way, REFUND_MOVES).
 */
export const DEDUCTION_MOVES: Moves<DeductionState> = {
  deducting: ['paid', 'accepted', 'failed'],
  accepted: ['paid', 'failed'],
  failed: ['deducting', 'paid'],
  paid: [],
};

/** One provider deduction of the record (a new one per agreement tried, and per retry after a failure). */
export interface DeductionAttempt {
  /** Our number at the provider (its out_trade_no) — also the tradeNo the lot is answered. */
  tradeNo: string;
  agreementId: string;
  provider: Provider;
  driverId: string;
}

/** over_limit: the agreement's daily cap at this park would be passed (deduction-trust.ts). */
export type DeductionFailureCode = 'no_agreement' | 'insufficient_funds' | 'refused' | 'over_limit';

export type LotCall = '4.16' | '4.17' | '4.27';

export const REFUND_STATES = ['refunding', 'refunded', 'failed'] as const;
export type DeductionRefundState = (typeof REFUND_STATES)[number];

/** A refund is asked of the provider until it says refunded, or refuses it (failed: a person gives the money back). */
export const REFUND_MOVES: Moves<DeductionRefundState> = { refunding: ['refunded', 'failed'], refunded: [], failed: [] };

/** The refund of a deduction the lot never collected. */
export interface DeductionRefund {
  /** Our number at the provider (WeChat out_refund_no, Alipay out_request_no): the same on every retry. */
  refundNo: string;
  state: DeductionRefundState;
  amountFen: number;
  /** Why, for people (operators, the driver's history). */
  reason: string;
  startedAt: Date;
  /** The process calling the provider now, and until when it may. */
  owner?: string;
  leaseUntil?: Date | null;
  /** Provider calls made. */
  attempts: number;
  refundId?: string;
  lastError?: string;
  refundedAt?: Date;
  /** state 'failed': what the provider said (a person must give the money back). */
  failure?: string;
}

export interface LaneDeduction {
  /** `${parkNumber}|${outTradeNo}`. */
  id: string;
  parkNumber: string;
  /** Bluecard's (echoed in 4.16's agreement answer). */
  outTradeNo: string;
  /** As the lot sent it (4.27: URL-decoded). */
  plate: string;
  plateKey: string;
  amountFen: number;
  /** Which call asked first. */
  via: '4.16' | '4.27';
  state: DeductionState;
  attempt?: DeductionAttempt;
  /** Provider deductions made for this record (1 normally). */
  attempts: number;
  owner?: string;
  leaseUntil?: Date | null;
  transactionId?: string;
  paidFen?: number;
  paidAt?: Date;
  failure?: { code: DeductionFailureCode; reason: string };
  /** The last problem reaching the provider (the outcome then is unknown until asked again). */
  lastError?: string;
  /**
   * The stay as sent to the provider, fixed at the first ask: the entry time of the lot's 4.2 record when
   * we have it, else assumed a minute before; the same on every attempt (WeChat's entry under one number
   * must not change).
   */
  stay?: { enteredAt: Date; leftAt: Date; entryFrom: '4.2' | 'assumed' };
  /** When the lot was first answered success for it: it has the payment; never refunded. */
  collectedAt?: Date;
  collectedVia?: LotCall;
  /** The last time the lot was answered fail about this outTradeNo, and why. */
  failAnswer?: { at: Date; via: LotCall; code: string };
  /** When the refund job looks at it next (absent: nothing to look at). */
  refundCheckAt?: Date;
  refund?: DeductionRefund;
  createdAt: Date;
  updatedAt: Date;
}

/** The fields a change of a deduction sets; the refund is written field by field. */
export type DeductionPatch = Patch<Omit<LaneDeduction, 'id' | 'parkNumber' | 'outTradeNo' | 'plate' | 'plateKey' | 'amountFen' | 'via' | 'state' | 'refund' | 'createdAt'>> & {
  readonly refund?: Patch<DeductionRefund>;
};

export type DeductionChange = Change<DeductionState, DeductionPatch, DeductionCondition>;

/** Further conditions of a change (its from-states aside). */
export interface DeductionCondition {
  /** Only while this process holds the lease. */
  owner?: string;
  /** Only when no live lease is held at this instant. */
  leaseFreeAt?: Date;
  /** Only while this is the current attempt. */
  tradeNo?: string;
  /** Only while the lot has not been answered success for it. */
  notCollected?: boolean;
  /** Only while no refund was started. */
  noRefund?: boolean;
  /** Only when the refund job's look is due by then. */
  checkDueBy?: Date;
  /** Only while the refund is in one of these states. */
  refundStates?: DeductionRefundState[];
  /** Only when the refund's lease is free at this instant. */
  refundLeaseFreeAt?: Date;
  /** Only while this process holds the refund's lease. */
  refundOwner?: string;
}

/** Persistence (repository/agreement-deductions.ts). Every method is one atomic operation. */
export interface LaneDeductionRepository {
  /** Insert; false when a record for this park + outTradeNo exists already (the claim is someone else's). */
  insert(d: LaneDeduction): Promise<boolean>;
  get(id: string): Promise<LaneDeduction | undefined>;
  byTradeNo(tradeNo: string): Promise<LaneDeduction | undefined>;
  /** Apply the change when the record is in one of its `from` states and its condition holds; the updated record or undefined. */
  apply(id: string, change: DeductionChange): Promise<LaneDeduction | undefined>;
  /** Records whose refund check is due (the work collection: each one's refundCheckAt), earliest first. */
  dueWork(now: Date, limit: number): Promise<WorkItem[]>;
  /** After the job looked at a record: when to look next (undefined: nothing left). */
  settleWork(item: WorkItem, next: Date | undefined): Promise<void>;
}

export const deductionId = (parkNumber: string, outTradeNo: string) => `${parkNumber}|${outTradeNo}`;

/**
 * What has been taken, or is being taken, from each agreement per China day: the daily cap per agreement
 * (deduction-trust.ts). A deduction reserves its amount under its provider order number before the provider
 * is asked, and gives it back when nothing was taken; a reservation of the same number again is a no-op, so a
 * retry never counts twice. Every method is one atomic operation (repository/agreement-spend.ts).
 */
export interface AgreementSpendRepository {
  /** Reserve `fen` under `tradeNo`; false when that would make the day's total pass `capFen` (nothing reserved). */
  reserve(agreementId: string, day: string, tradeNo: string, fen: number, capFen: number): Promise<boolean>;
  /** Give the reservation of `tradeNo` back (nothing when there is none). */
  release(agreementId: string, day: string, tradeNo: string): Promise<void>;
  /** The day's total so far (reserved and taken). */
  total(agreementId: string, day: string): Promise<number>;
}
