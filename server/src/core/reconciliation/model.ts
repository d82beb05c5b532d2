/**
 * Daily reconciliation: per park and China day, ParkPay's payments against what the lot reports it took —
 * the chargeList of its exit records (4.3) and its charge uploads (4.15). FerretDB has no $lookup: each side
 * is read on its own (by time, from the day with a margin either side) and joined in memory.
 *
 * Our payments are the order machinery's (pre-pay, unlicensed exit, lane QR, booking), the booth's
 * face-to-face payments (4.24–4.26) and the withholding deductions at the lane (4.16/4.27).
 *
 * A payment of ours and a lot record are the same money when the lot's payNo is our number (sendPayRes's
 * transactionID is our order number, 4.24's payContent and 4.16's agreement carry our tradeNo, and the lot
 * echoes it as payNo), or — for a lot record without a payNo — the same stay, amount and channel. A payment
 * the lot was never given a number of ours for (4.27 answers a bare success) is the lot's record of the same
 * stay that carries none of our numbers, in our channel or an unnamed one: of the same amount, else the only
 * such record. Money is integer fen.
 *
 * Monthly passes: those sold online are our payments (kind 'pass', not reported by the lot in 4.3/4.15);
 * those renewed at the booth are the lot's takings as it reports them in 4.31, each found by its renewal
 * number — and a 4.31 record that names one of our numbers (a lot reporting an online renewal too) is
 * that payment of ours, not money of its own.
 */

/** Where money was taken, as far as reconciliation tells them apart. */
export type Channel = 'wechat' | 'alipay' | 'cash' | 'unionpay' | 'transit_card' | 'other';
export const CHANNELS: readonly Channel[] = ['wechat', 'alipay', 'cash', 'unionpay', 'transit_card', 'other'];

/** One payment ParkPay took (for a stay, an unlicensed exit, a lane QR, a booking, at the booth, by withholding…). */
export interface OurPayment {
  /**
   * Our number: the order number (also sendPayRes's transactionID, hence the lot's payNo), the booth
   * payment's (FP…, 4.24 tradeNo) or the deduction's at the provider (PW…, 4.16 tradeNo).
   */
  ref: string;
  /** What it paid for ('prepay', 'unlicensed_exit', 'booking', 'lane_qr', 'face_to_face', 'withholding', …). */
  kind: string;
  /** False when the lot was never told `ref` (a 4.27 deduction): it is found by its stay. Default true. */
  numberedAtLot?: boolean;
  parkNumber: string;
  /** The lot's stay id (4.2 orderId); a booking's own number for bookings. */
  orderId: string;
  plate: string;
  channel: Channel;
  amountFen: number;
  /** Given back (refund started or done). */
  refundedFen: number;
  paidAt: Date;
  /** Whether the lot should report it: a stay payment yes; a booking is not a stay (the lot never lists it). */
  expectAtLot: boolean;
}

export type LotSource = '4.3' | '4.15' | '4.31';

/** One charge the lot reports. */
export interface LotChargeRecord {
  /** 4.3 chargeList line, 4.15 upload, or 4.31 fixed-car renewal at the lot. */
  source: LotSource;
  /** The lot's payment number ("" when it gave none). */
  payNo: string;
  orderId: string;
  plate: string;
  /**
   * When the lot took the money, by its own clock: 4.3 getTime (else, when it gave none, the exit's outTime)
   * / 4.15 outTime (结算时间); null when unreadable.
   */
  at: Date | null;
  /** 4.3 payCharge / 4.15 realCharge. */
  amountFen: number;
  payKind: string;
  payChannel: string;
}

/** What the reconciliation reads (repository/reconciliation.ts). */
export interface ReconciliationSources {
  /** Our payments of the park paid in [from, to). */
  ourPayments(parkNumber: string, from: Date, to: Date): Promise<OurPayment[]>;
  /** Our payments of the park with these numbers (refs), whenever they were paid. */
  ourPaymentsByRef(parkNumber: string, refs: string[]): Promise<OurPayment[]>;
  /** 4.3 chargeList lines of the park with their time in [from, to). */
  lotExitCharges(parkNumber: string, from: Date, to: Date): Promise<LotChargeRecord[]>;
  /** 4.15 uploads of the park with their time in [from, to). */
  lotUploadedCharges(parkNumber: string, from: Date, to: Date): Promise<LotChargeRecord[]>;
  /** The lot's records (4.3 lines and 4.15 uploads) of these stays, whatever their time. */
  lotChargesOfStays(parkNumber: string, orderIds: string[]): Promise<LotChargeRecord[]>;
  /** 4.31 fixed-car renewals the lot took (payTime in [from, to)), as charges without a stay. */
  lotRenewals(parkNumber: string, from: Date, to: Date): Promise<LotChargeRecord[]>;
  /** Whether each stay has left (an exit record reached us): 'out', 'in', or missing when unknown. */
  stayStatus(parkNumber: string, orderIds: string[]): Promise<Map<string, 'in' | 'out'>>;
}

export type RowStatus =
  /** Both sides, the same amount. */
  | 'matched'
  /** Both sides, other amounts. A difference. */
  | 'amount_differs'
  /** Ours, the car has left, the lot reports nothing of it. A difference. */
  | 'missing_at_lot'
  /** Ours, the car is still in (or its exit not reported yet): the lot reports payments when the car leaves. */
  | 'awaiting_lot'
  /** The lot reports a payment with one of our numbers that we have no record of. A difference. */
  | 'missing_ours'
  /** The lot's own takings (cash at the booth, its own channels): nothing of ours to compare. */
  | 'lot_only'
  /** Ours, refunded in full, and the lot does not count it: as it should be. */
  | 'refunded'
  /** Ours, refunded in full, but the lot counts it. A difference. */
  | 'refunded_but_at_lot'
  /** Ours, not something the lot reports (a booking). */
  | 'not_for_lot';

export const DIFFERENCES: readonly RowStatus[] = ['amount_differs', 'missing_at_lot', 'missing_ours', 'refunded_but_at_lot'];

export interface LotSide {
  payNo: string;
  /** Which reports carried it (4.3 and/or 4.15; 4.31 for a renewal). */
  sources: LotSource[];
  at: Date | null;
  amountFen: number;
  payKind: string;
  payChannel: string;
}

export interface ReconRow {
  status: RowStatus;
  channel: Channel;
  plate: string;
  orderId: string;
  /** Ours' paidAt, else the lot's time: what puts the row in a day. */
  at: Date | null;
  ours?: Pick<OurPayment, 'ref' | 'kind' | 'amountFen' | 'refundedFen' | 'paidAt'>;
  lot?: LotSide;
  /** Lot amount − our amount (0 unless both sides have it). */
  differenceFen: number;
  /** Money that stayed taken: ours net of refunds, or the lot's for its own takings. */
  takingsFen: number;
}

export interface ChannelTotals {
  totalFen: number;
  byChannel: Record<Channel, number>;
}

export interface DailyReconciliation {
  parkNumber: string;
  /** China date yyyy-MM-dd. */
  date: string;
  from: Date;
  to: Date;
  generatedAt: Date;
  rows: ReconRow[];
  summary: {
    counts: Record<RowStatus, number>;
    differences: number;
    /** Our payments of the day (gross) and refunds. */
    ours: ChannelTotals & { refundedFen: number };
    /** What the lot reports of the day. */
    lot: ChannelTotals;
    /** Money kept on the day, each payment once. */
    takings: ChannelTotals;
    /** Monthly passes of the day: sold online (ours) and renewed at the booth (the lot's 4.31). */
    passes: {
      online: { count: number; fen: number; refundedFen: number };
      booth: { count: number; fen: number };
    };
  };
}

export interface TakingsDay {
  date: string;
  totalFen: number;
  byChannel: Record<Channel, number>;
}
