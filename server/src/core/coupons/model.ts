/**
 * Coupons (4.23): an operator (or a merchant it authorised) gives a car in the park an hour coupon
 * (`position` = minutes, couponModeId "0") or a money coupon (`position` = fen, couponModeId "1"). Each has a
 * couponCode of ours, unique ("第三方定义,每笔优惠不可重复"), and reaches the lot by the 4.23 down call.
 *
 * A coupon's states and moves are COUPON_MOVES below; core/coupons/changes.ts builds its changes.
 *
 * The spec has no call to take a coupon back from the lot: only a coupon the lot never confirmed can be
 * revoked. A redelivery sends the same couponCode, so a lot that did get it the first time answers "duplicate"
 * and nothing is given twice (we read that answer as at_lot).
 *
 * Fixed coupon codes (4.24 scene 2): a code of ours printed by a shop; the booth scans it at the exit and we
 * answer discountContent. Each scan for a stay makes (once) a coupon of the stay with via '4.24'.
 */
import type { OperatorRole } from '../operators/model';
import type { Patch } from '../patch';
import type { Change, Moves } from '../state';
import type { WorkItem } from '../work';

export type CouponKind = 'hours' | 'money';
export const COUPON_STATES = ['issuing', 'at_lot', 'unconfirmed', 'refused', 'used_at_exit', 'revoked'] as const;
export type CouponStatus = (typeof COUPON_STATES)[number];

/**
 * A coupon's way: issuing (a 4.23 call under way) → at_lot when the lot says success (it applies the coupon in
 * its own pricing: 4.4, 4.13, 4.30), refused when it says fail (nothing reached the lot), unconfirmed without
 * a clear answer. An unconfirmed coupon is sent again (issuing, same couponCode), used at the exit when the
 * lot asks 4.13 (money coupons), or revoked by an operator. A coupon stuck issuing (its sender gone) is taken
 * again in place.
 */
export const COUPON_MOVES: Moves<CouponStatus> = {
  issuing: ['at_lot', 'refused', 'unconfirmed'],
  unconfirmed: ['issuing', 'used_at_exit', 'revoked'],
  at_lot: [],
  refused: [],
  used_at_exit: [],
  revoked: [],
};

/** Who gave the coupon (shown to operators; the driver sees displayName only). */
export interface CouponIssuer {
  operatorId: string;
  username: string;
  role: OperatorRole;
  displayName?: string;
}

export interface Coupon {
  /** Ours, unique; the 4.23 couponCode / 4.24 coupon_code. */
  couponCode: string;
  parkNumber: string;
  /** The operator request's idempotency key (a retry with the same key gets this coupon); '' for fixed-code coupons. */
  requestId: string;
  kind: CouponKind;
  /** Minutes ('hours') or fen ('money'): the 4.23 position. */
  amount: number;
  /** Valid until (4.23 end). */
  end: Date;
  /** The stay (4.2 orderId). */
  orderId: string;
  /** As the lot spelled it (echoed in 4.23), and its lookup key. */
  plate: string;
  plateKey: string;
  issuer: CouponIssuer;
  /** How it reaches the lot: the 4.23 down call, or a fixed code scanned at the booth (4.24). */
  via: '4.23' | '4.24';
  /** The fixed code it came from (via '4.24'). */
  fixedCode?: string;
  status: CouponStatus;
  /** 4.23 calls made. */
  attempts: number;
  /** The next automatic redelivery of an unconfirmed coupon (and the lease of one being delivered); none = no more. */
  nextAttemptAt?: Date;
  lastError?: string;
  /** The lot's reason, for 'refused'. */
  refusal?: string;
  /** Used in a 4.13 answer (money coupons the lot never confirmed). */
  usedAtExit?: { outTradeNo: string; fen: number; at: Date };
  revoked?: { at: Date; by: string };
  memo: string;
  createdAt: Date;
  updatedAt: Date;
}

/** A fixed coupon code (4.24): scanned at the booth, it gives the stay one coupon. */
export interface FixedCode {
  /** What the scanner reads: FIXED_CODE_PREFIX + 10 characters. */
  code: string;
  parkNumber: string;
  kind: CouponKind;
  /** Minutes or fen. */
  amount: number;
  /** Scans are accepted until then; the coupon given is valid until then too. */
  end: Date;
  /** At most this many stays (undefined: no limit). */
  maxUses?: number;
  uses: number;
  disabled: boolean;
  label: string;
  issuer: CouponIssuer;
  createdAt: Date;
  updatedAt: Date;
}

export type InsertResult = 'ok' | 'duplicate_request' | 'duplicate_code';

export interface CouponListFilter {
  plateKey?: string;
  status?: CouponStatus;
  /** Only the coupons this operator gave (merchants). */
  issuerId?: string;
  limit: number;
}

/** When a coupon is next to be sent again (its work item's due; core/work.ts): unconfirmed or stuck issuing, with a next attempt. */
export function couponDue(c: Pick<Coupon, 'status' | 'nextAttemptAt'>): Date | undefined {
  return (c.status === 'unconfirmed' || c.status === 'issuing') && c.nextAttemptAt ? c.nextAttemptAt : undefined;
}

/** The fields a change of a coupon sets; `countAttempt` adds one to `attempts` (a 4.23 call about to be made). */
export type CouponPatch = Patch<Pick<Coupon, 'nextAttemptAt' | 'lastError' | 'refusal' | 'usedAtExit' | 'revoked' | 'updatedAt'>> & {
  readonly countAttempt?: true;
};

/** A further condition: the coupon's next attempt is due by then. */
export interface CouponWhen {
  dueBy?: Date;
}

export type CouponChange = Change<CouponStatus, CouponPatch, CouponWhen>;

/** Persistence (repository/coupons.ts). Every method is one atomic operation (or says what it is made of). */
export interface CouponRepository {
  /**
   * Insert a new coupon: first the stay's index (park + orderId → codes), then the coupon guarded by unique
   * indexes on couponCode and park + requestId.
   */
  insert(c: Coupon): Promise<InsertResult>;
  get(couponCode: string): Promise<Coupon | undefined>;
  byRequest(parkNumber: string, requestId: string): Promise<Coupon | undefined>;
  /** The coupons of one stay (looked up by the stay's index document, not by a scan). */
  forStay(parkNumber: string, orderId: string): Promise<Coupon[]>;
  /** Newest first. */
  list(parkNumber: string, filter: CouponListFilter): Promise<Coupon[]>;
  /** Apply the change when the coupon is in one of its `from` states and its condition holds: the updated coupon, or undefined. */
  apply(couponCode: string, change: CouponChange): Promise<Coupon | undefined>;
  /** Coupons whose work (a redelivery) is due — the job's poll — earliest first. */
  dueWork(now: Date, limit: number): Promise<WorkItem[]>;
  /** After the job looked at a coupon: when to look next (undefined: nothing left). */
  settleWork(item: WorkItem, next: Date | undefined): Promise<void>;

  insertFixed(f: FixedCode): Promise<boolean>;
  getFixed(code: string): Promise<FixedCode | undefined>;
  listFixed(parkNumber: string, issuerId?: string): Promise<FixedCode[]>;
  setFixedDisabled(code: string, disabled: boolean, at: Date): Promise<FixedCode | undefined>;
  /** Take one use: +1 when enabled, not past its end and below maxUses; the updated code, or undefined. */
  takeFixedUse(code: string, now: Date): Promise<FixedCode | undefined>;
  /** Delete a coupon still 'issuing' (a fixed-code redemption that got no use of its code). */
  removeIssuing(couponCode: string): Promise<void>;
}

/** What became of one 4.23 call. */
export type CouponDelivery =
  | { outcome: 'at_lot' }
  | { outcome: 'refused'; reason: string }
  /** Timeout, network error, 5xx, garbled answer: the lot may or may not have it. */
  | { outcome: 'unconfirmed'; reason: string };

/** The lot, for coupons (adapter/bluecard/coupon-gateway.ts: 4.23 over the Bluecard client). */
export interface CouponLot {
  deliver(
    park: { parkNumber: string; key: string; bluecardBaseUrl: string },
    c: Pick<Coupon, 'couponCode' | 'kind' | 'amount' | 'end' | 'orderId' | 'plate'>,
  ): Promise<CouponDelivery>;
}

/** The prefix of our fixed coupon codes: a scanned code without it is a payment code (WeChat/Alipay are digits). */
export const FIXED_CODE_PREFIX = 'PPQ';
export const FIXED_CODE_PATTERN = /^PPQ[0-9A-HJ-NP-Z]{10}$/;
