/**
 * A lane deduction: money taken from a plate's withholding agreement for one Bluecard outTradeNo, asked
 * by 4.16 (withholding or QR) or 4.27 (third-party channel pay). One document per park + outTradeNo: its
 * insert is the claim (a unique _id), so a repeat of the same outTradeNo — sequential or concurrent, in
 * one process or several — never deducts twice. FerretDB has no transactions; every change is one
 * conditional single-document update.
 *
 *   deducting ──paid──▶ paid
 *       │    ──accepted (WeChat parking service: debited later)──▶ accepted ──settled──▶ paid | failed
 *       └────failed (no agreement, insufficient funds, refused)──▶ failed ──a repeat tries again──▶ deducting
 *
 * While `deducting`, the process that claimed it holds a lease; a process that crashed leaves the lease to
 * run out and the next repeat asks the provider again with the SAME provider order number (the
 * provider's deduction is idempotent per out_trade_no), so a lost answer never becomes a second deduction.
 */
import type { Provider } from '../orders/model';

export type DeductionState = 'deducting' | 'paid' | 'accepted' | 'failed';

/** One provider deduction of the record (a new one per agreement tried, and per retry after a failure). */
export interface DeductionAttempt {
  /** Our number at the provider (its out_trade_no) — also the tradeNo the lot is answered. */
  tradeNo: string;
  agreementId: string;
  provider: Provider;
  driverId: string;
}

export type DeductionFailureCode = 'no_agreement' | 'insufficient_funds' | 'refused';

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
  createdAt: Date;
  updatedAt: Date;
}

export interface DeductionCondition {
  states?: DeductionState[];
  /** Only while this process holds the lease. */
  owner?: string;
  /** Only when no live lease is held at this instant. */
  leaseFreeAt?: Date;
  /** Only while this is the current attempt. */
  tradeNo?: string;
}

/** Persistence (repository/agreement-deductions.ts). Every method is one atomic operation. */
export interface LaneDeductionRepository {
  /** Insert; false when a record for this park + outTradeNo exists already (the claim is someone else's). */
  insert(d: LaneDeduction): Promise<boolean>;
  get(id: string): Promise<LaneDeduction | undefined>;
  byTradeNo(tradeNo: string): Promise<LaneDeduction | undefined>;
  /** Apply `set` (dotted paths allowed) when `when` holds; the updated record or undefined. */
  update(id: string, when: DeductionCondition, set: Record<string, unknown>, unset?: string[]): Promise<LaneDeduction | undefined>;
}

export const deductionId = (parkNumber: string, outTradeNo: string) => `${parkNumber}|${outTradeNo}`;
