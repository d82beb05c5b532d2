/**
 * Bookings (4.18 / 4.19): operators put booking offers on sale, drivers buy a booking for a plate and pay
 * like a stay (an order of kind 'booking'), the lot is told with 4.18 flag 1 instead of 4.5, a cancellation
 * sends flag 0 and refunds under the offer's rule, and 4.19 lets us reconcile our bookings with the lot's.
 *
 * A booking's states and moves are BOOKING_MOVES below; core/bookings/changes.ts builds its changes.
 *
 * Capacity is two single-document atomic counters, so concurrent buyers can never oversell:
 *  - the offer's `held` (at most `count`), and
 *  - a capacity ledger per park and area key ('all', 'area:<id>'): `free` spaces the lot's latest heartbeat
 *    (4.1 bookSpaceCount) allows, minus our bookings it cannot reflect yet. It is rebased from each newer
 *    heartbeat; a booking reserves from it with a conditional decrement.
 * FerretDB has no transactions: every change is one conditional single-document update. Money is integer fen.
 */
import type { Park } from '../parks';
import type { Patch } from '../patch';
import type { Change, Moves } from '../state';
import type { WorkItem } from '../work';

/** 'all' for an offer of any area (4.18 areaId "0"), else one area of the lot. */
export type AreaKey = 'all' | `area:${number}`;

/** What a cancellation gives back. */
export interface CancelRule {
  /** Cancelled at least this many minutes before the let-in window opens: the whole price back. */
  fullRefundMinutesBefore: number;
  /** Cancelled later, before the let-in window closes and before the car came in: this percent back (0–100). */
  lateRefundPercent: number;
}

export type OfferStatus = 'on_sale' | 'withdrawn';

export interface BookingOffer {
  offerId: string;
  parkNumber: string;
  title: string;
  /** 0 = any area (4.18 areaId "0"), else the lot's area id (4.1 areaId). */
  areaId: number;
  priceFen: number;
  /** The booking's period (4.18 start / end). */
  start: Date;
  end: Date;
  /** When the car may come in (4.18 letInStartTime / letInEndTime). */
  letInStart: Date;
  letInEnd: Date;
  /** How many may be sold. */
  count: number;
  /** Bookings holding a place of this offer now (reserving, held, issued); never above count. */
  held: number;
  cancelRule: CancelRule;
  status: OfferStatus;
  createdBy: string;
  createdAt: Date;
  updatedAt: Date;
}

export const BOOKING_STATES = ['reserving', 'held', 'releasing', 'released', 'issued', 'cancelling', 'cancelled'] as const;
export type BookingState = (typeof BOOKING_STATES)[number];

/**
 * A booking's way: reserving (holds being taken) → held → issued once paid and the lot acknowledged 4.18 flag
 * 1 (the lot may acknowledge before the reservation finished); a cancellation of an issued booking sends
 * flag 0 (cancelling) and refunds under the offer's rule (cancelled); a booking never issued — sold out,
 * unpaid, refused by the lot (and refunded) — gives its holds back (releasing) and ends released.
 */
export const BOOKING_MOVES: Moves<BookingState> = {
  reserving: ['held', 'issued', 'releasing'],
  held: ['issued', 'releasing'],
  releasing: ['released'],
  released: [],
  issued: ['cancelling'],
  cancelling: ['cancelled'],
  cancelled: [],
};

/** A cancellation after the booking was issued: 4.18 flag 0 (retried with a lease), then the refund. */
export interface BookingCancel {
  requestedAt: Date;
  by: 'driver' | 'operator';
  /** What goes back under the rule (0: nothing). */
  refundFen: number;
  reason: string;
  state: 'pending' | 'done';
  attempts: number;
  nextAttemptAt: Date;
  leaseOwner?: string;
  /** null once the attempt holding it ended. */
  leaseUntil?: Date | null;
  lastError?: string | null;
  /** The lot acknowledged flag 0 (null: it did not). */
  lotAcknowledgedAt?: Date | null;
  /** The lot refused flag 0 (it did not know the booking, say) or could not be told: why. Reconciliation checks it. */
  lotProblem?: string | null;
}

export interface Booking {
  /** Ours; also 4.18 bookOrderId. */
  bookingNo: string;
  offerId: string;
  parkNumber: string;
  driverId: string;
  /** As the driver typed it, tidied (upper case, no spaces). */
  plate: string;
  plateKey: string;
  title: string;
  areaId: number;
  priceFen: number;
  start: Date;
  end: Date;
  letInStart: Date;
  letInEnd: Date;
  cancelRule: CancelRule;
  state: BookingState;
  /**
   * Unique while the booking is active (`offerId|plateKey`): a second booking of the same plate on the same
   * offer (a double tap) finds the first. Suffixed with the bookingNo once the booking is released or cancelled.
   */
  activeKey: string;
  /**
   * What this booking holds. A capacity hold is recorded before it is taken from the ledger and dropped after
   * it is given back (by the one caller that moved the booking to releasing); the offer hold is dropped
   * (conditionally) before it is given back, so never twice.
   */
  holds: { offer: boolean; capacity: AreaKey[] };
  /** The order the driver pays (kind 'booking'); made before the order itself. */
  orderNo: string;
  /** 4.18 flag 1 acknowledged by the lot. */
  issuedAt?: Date;
  /** The car came in on it (4.28 let it in, or 4.19 shows an inTime). */
  admittedAt?: Date;
  cancel?: BookingCancel;
  releasedReason?: string;
  /** Last 4.19 reconciliation of this booking. */
  reconciled?: { at: Date; issue?: string };
  createdAt: Date;
  updatedAt: Date;
}

/** The capacity ledger of one park and area key. */
export interface CapacityLedger {
  parkNumber: string;
  key: AreaKey;
  /** receivedAt of the heartbeat `free` was last rebased from. */
  heartbeatAt: Date;
  free: number;
  /** Bumped by every change: a rebase applies only if nothing changed since it read the ledger. */
  v: number;
}

/** One difference between our bookings and the lot's (4.19). */
export interface BookingDifference {
  bookOrderId: string;
  plate: string;
  kind:
    /** Issued by us, still valid, but not among the lot's open bookings. */
    | 'missing_at_lot'
    /** Open at the lot, but we never issued a booking with this id. */
    | 'unknown_at_lot'
    /** Cancelled by us (refunded) but still open at the lot: the car could come in on it. */
    | 'cancelled_but_open_at_lot'
    /** Open at the lot, but ours was never issued (unpaid or refused). */
    | 'not_issued_but_open_at_lot'
    /** Both have it, with other plate or times. */
    | 'mismatch';
  detail: string;
}

export interface BookingReconciliation {
  parkNumber: string;
  ranAt: Date;
  /** Open bookings the lot listed (4.19). */
  lotOpen: number;
  /** Our bookings that should be open at the lot. */
  oursOpen: number;
  matched: number;
  /** Bookings the lot says the car came in on (admission recorded). */
  admitted: number;
  differences: BookingDifference[];
}

// ── persistence (repository/bookings.ts) ─────────────────────────────────────────────────────────

export interface OfferRepository {
  insert(offer: BookingOffer): Promise<void>;
  get(offerId: string): Promise<BookingOffer | undefined>;
  listForPark(parkNumber: string, opts?: { onSaleAt?: Date }): Promise<BookingOffer[]>;
  /** Parks with offers (for the reconciliation job). */
  parksWithOffers(): Promise<string[]>;
  /** held + 1 when the offer is on sale and held < count; false when sold out (or withdrawn). */
  take(offerId: string): Promise<boolean>;
  /** held − 1 (a hold given back). */
  give(offerId: string): Promise<void>;
  setStatus(offerId: string, status: OfferStatus, at: Date): Promise<BookingOffer | undefined>;
}

/** Reserving, held, releasing: caught up with its order by the job. */
export const HOLDING_BOOKING: readonly BookingState[] = ['reserving', 'held', 'releasing'];

/**
 * When the job should next look at a booking (its work item's due; core/work.ts): a cancellation at its next
 * attempt; a holding booking soon (`now`: the job then says how soon); undefined when nothing is left.
 */
export function bookingDue(b: Booking, now: Date): Date | undefined {
  if (b.state === 'cancelling' && b.cancel) {
    if (b.cancel.state !== 'pending') return new Date(now.getTime() + 60_000);
    const lease = b.cancel.leaseUntil;
    return lease && lease > b.cancel.nextAttemptAt ? lease : b.cancel.nextAttemptAt;
  }
  return HOLDING_BOOKING.includes(b.state) ? now : undefined;
}

/** The fields a change of a booking sets; the cancellation is written field by field. */
export type BookingPatch = Patch<Pick<Booking, 'activeKey' | 'issuedAt' | 'releasedReason' | 'updatedAt'>> & {
  /** The offer hold taken (it is dropped with dropHold, which says who dropped it). */
  readonly holds?: { readonly offer: true };
  readonly cancel?: Patch<BookingCancel>;
};

/** A further condition: the cancellation lease is still this owner's. */
export interface BookingWhen {
  cancelLeaseOwner?: string;
}

export type BookingChange = Change<BookingState, BookingPatch, BookingWhen>;

export interface BookingRepository {
  /** False when an active booking has the same activeKey (nothing inserted). */
  insert(b: Booking): Promise<boolean>;
  get(bookingNo: string): Promise<Booking | undefined>;
  byActiveKey(activeKey: string): Promise<Booking | undefined>;
  listForDriver(driverId: string, limit: number): Promise<Booking[]>;
  listForPark(parkNumber: string, filter: { offerId?: string; states?: BookingState[]; plateKey?: string }, limit: number): Promise<Booking[]>;
  /** Apply the change when the booking is in one of its `from` states and its condition holds; the booking after it, or undefined. */
  apply(bookingNo: string, change: BookingChange): Promise<Booking | undefined>;
  /** Drop one hold if the booking still has it: true only for the caller that dropped it. */
  dropHold(bookingNo: string, hold: 'offer' | AreaKey): Promise<boolean>;
  /** Record one more capacity hold. */
  addCapacityHold(bookingNo: string, key: AreaKey): Promise<void>;
  /**
   * Bookings of the park holding capacity of this ledger that a heartbeat received at `reflectedBefore` may
   * not show: the hold recorded, and not issued or issued after `reflectedBefore`.
   */
  holdingCapacity(parkNumber: string, key: AreaKey, reflectedBefore: Date): Promise<Booking[]>;
  /** Bookings whose work is due (a reservation to catch up with its order, a cancellation to send), earliest first. */
  dueWork(now: Date, limit: number): Promise<WorkItem[]>;
  /** After the job looked at a booking: when to look next (undefined: nothing left). */
  settleWork(item: WorkItem, next: Date | undefined): Promise<void>;
  /** Claim this cancelling booking when its flag 0 is due and not leased by a live worker. */
  claimCancel(now: Date, owner: string, leaseMs: number, bookingNo: string): Promise<Booking | undefined>;
  /** Issued/cancelling/cancelled bookings of the park ending after `endsAfter`, or with one of these bookOrderIds. */
  forReconciliation(parkNumber: string, endsAfter: Date, bookingNos: string[]): Promise<Booking[]>;
  /** Note the last reconciliation (and the lot's admission time when it gave one and we had none). */
  markReconciled(bookingNo: string, at: Date, issue: string | undefined, admittedAt?: Date): Promise<void>;
  /** Issued bookings of the park whose let-in window has not ended by `now` (4.28). */
  letInWindows(parkNumber: string, now: Date): Promise<Booking[]>;
  /** Set admittedAt on an issued booking that has none; true when this call set it. */
  markAdmitted(bookingNo: string, at: Date): Promise<boolean>;
}

export interface CapacityRepository {
  get(parkNumber: string, key: AreaKey): Promise<CapacityLedger | undefined>;
  /**
   * Set free and heartbeatAt: when `expectedV` is given only if the ledger's v is still it; when it is
   * undefined only if there is no ledger yet. True when applied.
   */
  rebase(parkNumber: string, key: AreaKey, heartbeatAt: Date, free: number, expectedV: number | undefined): Promise<boolean>;
  /** free − 1 when free > 0. */
  take(parkNumber: string, key: AreaKey): Promise<boolean>;
  /** free + 1. */
  give(parkNumber: string, key: AreaKey): Promise<void>;
}

export interface BookingReconciliationRepository {
  save(r: BookingReconciliation): Promise<void>;
  latest(parkNumber: string): Promise<BookingReconciliation | undefined>;
}

// ── the lot (adapter/bluecard/booking-lot.ts) ─────────────────────────────────────────────────────

/** One booking as 4.18 sends it. */
export interface LotBooking {
  plate: string;
  start: Date;
  end: Date;
  /** 0 = any area. */
  areaId: number;
  chargeFen: number;
  bookOrderId: string;
  bookOrderTime: Date;
  letInStart: Date;
  letInEnd: Date;
  memo: string;
}

/** One open booking as 4.19 lists it (times as the lot wrote them; "" when it gave none). */
export interface LotOpenBooking {
  plate: string;
  start: string;
  end: string;
  downTime: string;
  inTime: string;
  bookOrderId: string;
  bookOrderTime: string;
  letInStartTime: string;
  letInEndTime: string;
  memo: string;
}

/** The lot's side; failures are LotCallError (core/orders/gateways). */
export interface BookingLot {
  /** 4.18 flag 1 (idempotent on bookOrderId). */
  issue(park: Park, b: LotBooking): Promise<void>;
  /** 4.18 flag 0. */
  cancel(park: Park, b: LotBooking): Promise<void>;
  /** 4.19 with no filter: every open booking of the lot. */
  openBookings(park: Park): Promise<LotOpenBooking[]>;
}
