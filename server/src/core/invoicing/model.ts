/**
 * E-invoices (电子发票) for what drivers paid: one invoice covers one or several paid things of the same
 * merchant, and a paid thing is in one invoice at most (a claim per thing, its insert the claim). Amounts are
 * integer fen, net of refunds: an invoiced payment refunded later has its fapiao reversed (红冲), and what is
 * left of the invoice, if anything, is issued again as a new fapiao.
 *
 *   awaiting_title ──title──▶ issuing ──accepted──▶ (issuing) ──issued──▶ issued ──refund──▶ reversing ──▶ reversed
 *        │                      │                                                              │
 *        └──lapsed/refunded──▶ cancelled   └──refused──▶ failed (an operator re-sends)          └──something left──▶ issuing
 *
 * An invoice's states and moves are INVOICE_MOVES below; core/invoicing/changes.ts builds its changes, and
 * every change is one conditional single-document update (no transactions).
 */
import type { Patch } from '../patch';
import type { Change, Moves } from '../state';
import type { PaymentProvider } from './provider';

/** What can be invoiced: a paid order (stay, unlicensed exit, booking, lane QR), a withholding deduction, a monthly pass. */
export type PaidItemKind = 'order' | 'deduction' | 'pass';

export interface PaidItemRef {
  kind: PaidItemKind;
  /** orderNo, the deduction's provider number (tradeNo), the pass's number. */
  ref: string;
}

/** A paid thing as invoicing needs it, read from wherever it lives (PaidItems). */
export interface PaidItem extends PaidItemRef {
  driverId: string;
  parkNumber: string;
  parkName: string;
  plate: string;
  /** Who took the money (its provider's merchant ParkPay collects for). */
  provider: PaymentProvider;
  transactionId: string;
  paidFen: number;
  /** Refunded so far (done). */
  refundedFen: number;
  /** A refund under way (the net is not known yet). */
  refundPending: boolean;
  paidAt: Date;
}

/** Where paid things are read from: orders, deductions, and (later) monthly passes — each kind its source. */
export interface PaidItems {
  get(ref: PaidItemRef): Promise<PaidItem | undefined>;
}

/** The buyer on the fapiao (抬头): a person, or a company with its tax number (纳税人识别号). */
export interface InvoiceTitle {
  type: 'personal' | 'company';
  name: string;
  taxNumber?: string;
  email?: string;
  phone?: string;
}

export const INVOICE_STATES = ['awaiting_title', 'issuing', 'issued', 'reversing', 'reversed', 'cancelled', 'failed'] as const;
export type InvoiceStatus = (typeof INVOICE_STATES)[number];

/**
 * An invoice's way (the drawing above): its title arrives (or it is cancelled), it is issued (or refused:
 * failed, which an operator sends again or the driver cancels), and a refund reverses it; what is left after
 * a reversal is issued again, and an invoice refunded in full before its fapiao is issued ends there.
 */
export const INVOICE_MOVES: Moves<InvoiceStatus> = {
  awaiting_title: ['issuing', 'cancelled'],
  issuing: ['issued', 'failed', 'cancelled', 'reversed'],
  issued: ['reversing'],
  reversing: ['reversed', 'issuing', 'failed'],
  failed: ['issuing', 'reversing', 'cancelled'],
  reversed: [],
  cancelled: [],
};

/** One line of a fapiao: one paid thing, at its net amount then. */
export interface FapiaoLine extends PaidItemRef {
  parkNumber: string;
  fen: number;
  goodsName: string;
  taxCode: string;
  taxRate: number;
  unit?: string;
}

export interface FapiaoNumbersRecord {
  code: string;
  number: string;
  checkCode?: string;
  /** As the provider wrote it (RFC 3339). */
  time?: string;
}

/**
 * One fapiao of the invoice: the first, or one issued again after a reversal. `state`: requested (not yet
 * accepted by the provider), accepted, issued, reversing (reversal asked), reversed.
 */
export interface FapiaoRecord {
  fapiaoId: string;
  totalFen: number;
  lines: FapiaoLine[];
  state: 'requested' | 'accepted' | 'issued' | 'reversing' | 'reversed';
  blue?: FapiaoNumbersRecord;
  red?: FapiaoNumbersRecord;
  taxFen?: number;
  /** In the payer's card package: INSERTED, DISCARDED, … (the provider's words). */
  cardStatus?: string;
  reverseReason?: string;
  requestedAt: Date;
  issuedAt?: Date;
  reversedAt?: Date;
}

export interface InvoiceEvent {
  at: Date;
  /** What happened, in a few words, for operators (in Chinese: the console shows it as it is). */
  what: string;
}

export interface Invoice {
  /** Ours ("IV…"), also the application id at WeChat for invoices titled through WeChat's title page. */
  id: string;
  driverId: string;
  provider: string;
  /** The provider's application (WeChat: fapiao_apply_id) and scene (WITH_WECHATPAY / WITHOUT_WECHATPAY). */
  applyId: string;
  scene: string;
  items: (PaidItemRef & { parkNumber: string; plate: string; transactionId: string })[];
  /** The parks of its items (operators see the invoices of their parks). */
  parkNumbers: string[];
  titleSource: 'typed' | 'provider';
  title?: InvoiceTitle;
  /** The provider's title page while waiting for it. */
  titleLink?: { url: string; miniprogram: { appId: string; path: string; userName?: string }; expiresAt: Date };
  status: InvoiceStatus;
  /** What the current fapiao is for (net of refunds). */
  totalFen: number;
  fapiao: FapiaoRecord[];
  /** Why it failed or was cancelled, and the last provider problem. */
  reason?: string;
  lastError?: string;
  attempts: number;
  leaseOwner?: string;
  leaseUntil?: Date;
  events: InvoiceEvent[];
  createdAt: Date;
  updatedAt: Date;
}

export interface InvoiceListQuery {
  parkNumber: string;
  status?: InvoiceStatus;
  limit: number;
  before?: Date;
}

/** The fields a change of an invoice sets; `event` is added to its events. */
export type InvoicePatch = Patch<Pick<Invoice, 'title' | 'titleLink' | 'totalFen' | 'fapiao' | 'reason' | 'lastError' | 'attempts' | 'leaseOwner' | 'leaseUntil' | 'updatedAt'>> & {
  readonly event?: InvoiceEvent;
};

/** Further conditions: the lease is this worker's, or nobody's at that time (free, or run out by then). */
export interface InvoiceWhen {
  leaseOwner?: string;
  leaseFreeAt?: Date;
}

export type InvoiceChange = Change<InvoiceStatus, InvoicePatch, InvoiceWhen>;

/** Persistence (repository/invoices.ts). Every method is one atomic operation. */
export interface InvoiceRepository {
  insert(invoice: Invoice): Promise<void>;
  get(id: string): Promise<Invoice | undefined>;
  /**
   * Claim each paid thing for this invoice (one claim per thing, its insert the claim): all or none —
   * the ones claimed are released when another is already someone's. Answers the invoice holding a thing
   * that was taken.
   */
  claim(invoiceId: string, refs: PaidItemRef[]): Promise<{ ok: true } | { ok: false; takenBy: string; ref: PaidItemRef }>;
  release(invoiceId: string, refs: PaidItemRef[]): Promise<void>;
  /** The invoice holding this paid thing. */
  holderOf(ref: PaidItemRef): Promise<string | undefined>;
  /** Remember which invoice a provider application id belongs to (WeChat Pay scene: a transaction id). */
  aliasApplication(applyId: string, invoiceId: string): Promise<void>;
  byApplication(applyId: string): Promise<string | undefined>;
  /** Apply the change when the invoice is in one of its `from` states and its condition holds: the updated invoice, or undefined. */
  apply(id: string, change: InvoiceChange): Promise<Invoice | undefined>;
  listForDriver(driverId: string, limit: number): Promise<Invoice[]>;
  listForPark(q: InvoiceListQuery): Promise<Invoice[]>;
}
