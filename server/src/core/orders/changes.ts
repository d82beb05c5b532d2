/**
 * The order's states, its allowed moves, and every change core makes to an order, as typed values: the
 * states a change may leave, the state it enters, the fields it sets, and any further condition that must
 * hold at the moment of the write. repository/orders.ts alone turns them into one conditional update.
 */
import type { Patch } from '../patch';
import { change, type Change, type Moves } from '../state';
import type { Delivery, GatewayRef, Order, OrderStatus, Payment, Provider, Refund } from './model';

/**
 *   quoted ──pay──▶ pending ──paid──▶ paid ──sendPayRes acknowledged──▶ delivered   (barrier opens)
 *     │               │                 │                                   │
 *     └─expired───────┴──▶ closed       └──the payment cannot count──▶ refunding ──▶ refunded
 *
 * A payment can also arrive for a closed order (paid after it expired), for another amount than the
 * order's (refunded at once), and a delivered payment can be given back in part (a booking cancelled).
 */
export const ORDER_MOVES: Moves<OrderStatus> = {
  quoted: ['pending', 'closed', 'paid', 'refunding'],
  pending: ['paid', 'closed', 'refunding'],
  paid: ['delivered', 'refunding'],
  delivered: ['refunding'],
  closed: ['paid', 'refunding'],
  refunding: ['refunded'],
  refunded: [],
};

/**
 * The fields a change sets (core/patch.ts). `payment` and `gateway` are written whole; `delivery` and
 * `refund` field by field (a new one is all of its fields), each with the fields it clears.
 */
export type OrderPatch = Patch<Pick<Order, 'provider' | 'gateway' | 'expiresAt' | 'lastQueriedAt' | 'payment' | 'closedReason' | 'updatedAt'>> & {
  readonly delivery?: Patch<Delivery>;
  readonly refund?: Patch<Refund>;
};

/** Further conditions of a change, besides the order's state. */
export interface OrderWhen {
  /** The order is for exactly this amount. */
  amountFen?: number;
  /** No provider order exists yet (nothing can have been paid). */
  gatewayAbsent?: true;
  /** The refund under way has this number (an earlier, closed number changes nothing). */
  refundNo?: string;
  /** This worker holds the lease of the delivery or of the refund. */
  lease?: { which: 'delivery' | 'refund'; owner: string };
  /** The delivery is pending and nobody holds its lease at this time. */
  deliveryFreeAt?: Date;
}

export type OrderChange = Change<OrderStatus, OrderPatch, OrderWhen>;

/**
 * A write by the holder of a delivery or refund lease: it applies while `owner` still holds the lease
 * (the lease, not the state, is the condition) and lets the lease go.
 */
export interface LeaseRelease {
  readonly which: 'delivery' | 'refund';
  readonly owner: string;
  readonly to?: OrderStatus;
  readonly set: OrderPatch;
}

/** The state an order is in while its delivery or its refund is leased. */
const LEASED_IN = { delivery: 'paid', refund: 'refunding' } as const;

const orderChange = (c: OrderChange): OrderChange => change('order', ORDER_MOVES, c);

function release(which: LeaseRelease['which'], owner: string, set: OrderPatch, to?: OrderStatus): LeaseRelease {
  if (to !== undefined) orderChange({ from: [LEASED_IN[which]], to, set });
  return to === undefined ? { which, owner, set } : { which, owner, to, set };
}

// ---------------------------------------------------------------------------------------------------------
// Paying

/** Close an unpaid order (expired, cancelled, superseded, or another order of the stay is being paid). */
export function closeOrder(from: readonly ('quoted' | 'pending')[], reason: string, now: Date, when?: OrderWhen): OrderChange {
  return orderChange({ from, to: 'closed', set: { closedReason: reason, updatedAt: now }, ...(when ? { when } : {}) });
}

/** The driver starts paying a quoted order with `provider`. */
export function startPayment(provider: Provider, expiresAt: Date, now: Date): OrderChange {
  return orderChange({ from: ['quoted'], to: 'pending', set: { provider, expiresAt, updatedAt: now } });
}

/** The provider's order of a pending order (its prepay id, trade number or QR code). */
export function providerOrder(gateway: GatewayRef, now: Date): OrderChange {
  return orderChange({ from: ['pending'], set: { gateway, updatedAt: now } });
}

/** The provider was asked about a pending order (throttles the asking). */
export function asked(now: Date): OrderChange {
  return orderChange({ from: ['pending'], set: { lastQueriedAt: now } });
}

/** A payment of exactly the order's amount, with its delivery to the lot (leased to whoever delivers it now). */
export function recordPayment(from: readonly ('quoted' | 'pending' | 'closed')[], payment: Payment, delivery: Delivery, now: Date): OrderChange {
  return orderChange({ from, to: 'paid', set: { payment, delivery, updatedAt: now }, when: { amountFen: payment.paidFen } });
}

/** Verified money that cannot count for the unpaid order (another amount): recorded and given back. */
export function refundUnmatched(payment: Payment, refund: Refund, now: Date): OrderChange {
  return orderChange({ from: ['quoted', 'pending', 'closed'], to: 'refunding', set: { payment, refund, updatedAt: now } });
}

/** Give back part or all of a delivered payment. */
export function refundDelivered(refund: Refund, now: Date): OrderChange {
  return orderChange({ from: ['delivered'], to: 'refunding', set: { refund, updatedAt: now } });
}

// ---------------------------------------------------------------------------------------------------------
// Delivering

/** The lot collected a lane QR payment with its own 4.17 poll, while the worker does not hold the delivery. */
export function collectedByLot(now: Date): OrderChange {
  return orderChange({
    from: ['paid'],
    to: 'delivered',
    set: { delivery: { state: 'done', deliveredAt: now, via: '4.17' }, updatedAt: now },
    when: { deliveryFreeAt: now },
  });
}

/** The lot acknowledged the payment: the barrier opens. */
export function delivered(owner: string, now: Date): LeaseRelease {
  return release('delivery', owner, { delivery: { state: 'done', deliveredAt: now, clear: ['lastError'] }, updatedAt: now }, 'delivered');
}

/** The delivery is tried again at `next` (`delivery` adds what the attempt learned: refusals, attempts). */
export function retryDelivery(owner: string, next: Date, error: string, delivery: Patch<Delivery> = {}): LeaseRelease {
  return release('delivery', owner, { delivery: { ...delivery, nextAttemptAt: next, lastError: error } });
}

/** The payment cannot count: the delivery is abandoned and the money goes back. */
export function abandonDelivery(owner: string, refund: Refund, now: Date, delivery: Patch<Delivery> = {}): LeaseRelease {
  return release('delivery', owner, { delivery: { ...delivery, state: 'abandoned' }, refund, updatedAt: now }, 'refunding');
}

// ---------------------------------------------------------------------------------------------------------
// Refunding

/** Who writes what the provider said of a refund: its lease holder, or a notification for one refund number. */
export type RefundWriter = { owner: string } | { refundNo: string };

/** The provider confirmed the refund. */
export function refundDone(by: RefundWriter, refundedAt: Date, now: Date): OrderChange {
  const lease = 'owner' in by;
  return orderChange({
    from: ['refunding'],
    to: 'refunded',
    set: { refund: { state: 'done', refundedAt, clear: lease ? ['lastError', 'leaseUntil'] : ['lastError'] }, updatedAt: now },
    when: lease ? { lease: { which: 'refund', owner: by.owner } } : { refundNo: by.refundNo },
  });
}

/** What a refund attempt learned, written by the lease holder (which lets the lease go). */
export function refundLearned(owner: string, refund: Patch<Refund>): LeaseRelease {
  return release('refund', owner, { refund });
}

/** Let a lease go, writing nothing else (what the holder learned was written by someone else already). */
export function letGo(which: LeaseRelease['which'], owner: string): LeaseRelease {
  return { which, owner, set: {} };
}

/** What a refund notification said, for the refund number it names. */
export function refundNotified(refundNo: string, refund: Patch<Refund>): OrderChange {
  return orderChange({ from: ['refunding'], set: { refund }, when: { refundNo } });
}
