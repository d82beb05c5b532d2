/** The rules of bookings that need no I/O: what an offer must be, what a cancellation gives back, what a booking shows. */
import { BookingError } from './errors';
import type { Order } from '../orders/model';
import type { AreaKey, Booking, CancelRule } from './model';

const MINUTE = 60_000;

export interface OfferInput {
  title: string;
  areaId: number;
  priceFen: number;
  start: Date;
  end: Date;
  letInStart: Date;
  letInEnd: Date;
  count: number;
  cancelRule: CancelRule;
}

/** What is wrong with an offer (empty when nothing). */
export function offerProblems(o: OfferInput, now: Date): string[] {
  const p: string[] = [];
  if (!o.title.trim()) p.push('title is empty');
  if (!Number.isInteger(o.areaId) || o.areaId < 0) p.push('areaId must be 0 (any area) or an area id');
  if (!Number.isSafeInteger(o.priceFen) || o.priceFen < 1) p.push('priceFen must be a whole number of fen, at least 1');
  if (!Number.isInteger(o.count) || o.count < 1 || o.count > 10_000) p.push('count must be 1 to 10000');
  for (const [k, d] of Object.entries({ start: o.start, end: o.end, letInStart: o.letInStart, letInEnd: o.letInEnd })) {
    if (!(d instanceof Date) || Number.isNaN(d.getTime())) p.push(`${k} is not a time`);
  }
  if (p.length) return p;
  if (o.start >= o.end) p.push('start must be before end');
  if (o.letInStart >= o.letInEnd) p.push('letInStart must be before letInEnd');
  // The car may come in only while the booking holds its space.
  if (o.letInStart < o.start || o.letInEnd > o.end) p.push('the let-in window must lie within start…end');
  if (o.letInEnd <= now) p.push('the let-in window is over already');
  const r = o.cancelRule;
  if (!Number.isInteger(r.fullRefundMinutesBefore) || r.fullRefundMinutesBefore < 0) p.push('cancelRule.fullRefundMinutesBefore must be ≥ 0 minutes');
  if (!Number.isInteger(r.lateRefundPercent) || r.lateRefundPercent < 0 || r.lateRefundPercent > 100) p.push('cancelRule.lateRefundPercent must be 0 to 100');
  return p;
}

export function assertOffer(o: OfferInput, now: Date): void {
  const p = offerProblems(o, now);
  if (p.length) throw new BookingError('invalid_offer', p.join('; '), p);
}

/** The capacity ledgers a booking of this area reserves from: its area and the whole lot, or the whole lot. */
export function areaKeys(areaId: number): AreaKey[] {
  return areaId === 0 ? ['all'] : [`area:${areaId}`, 'all'];
}

/**
 * What a cancellation at `at` gives back: everything up to `fullRefundMinutesBefore` before the let-in window
 * opens; after that `lateRefundPercent` (rounded down to the fen). Only called while a cancel is allowed.
 */
export function refundFor(rule: CancelRule, priceFen: number, letInStart: Date, at: Date): number {
  if (letInStart.getTime() - at.getTime() >= rule.fullRefundMinutesBefore * MINUTE) return priceFen;
  return Math.floor((priceFen * rule.lateRefundPercent) / 100);
}

/** Why a driver may not cancel now, or undefined when they may. */
export function cancelRefusal(b: Pick<Booking, 'admittedAt' | 'letInEnd'>, at: Date): { code: 'already_admitted' | 'cancel_too_late'; message: string } | undefined {
  if (b.admittedAt) return { code: 'already_admitted', message: 'the car came in on this booking' };
  if (at >= b.letInEnd) return { code: 'cancel_too_late', message: 'the let-in window has closed' };
  return undefined;
}

export type BookingStatus =
  | 'reserving'
  | 'awaiting_payment'
  | 'issuing'
  | 'booked'
  | 'admitted'
  | 'window_closed'
  | 'cancelling'
  | 'cancelled'
  | 'expired'
  | 'refused'
  | 'failed';

/** What the driver (and the operator) sees, from the booking and its order. */
export function bookingStatus(b: Booking, order: Pick<Order, 'status'> | undefined, now: Date): BookingStatus {
  switch (b.state) {
    case 'reserving':
      return 'reserving';
    case 'held':
      if (!order || order.status === 'quoted' || order.status === 'pending') return 'awaiting_payment';
      if (order.status === 'refunding' || order.status === 'refunded') return 'refused';
      if (order.status === 'closed') return 'expired';
      return 'issuing';
    case 'issued':
      if (b.admittedAt) return 'admitted';
      return now >= b.letInEnd ? 'window_closed' : 'booked';
    case 'cancelling':
      return 'cancelling';
    case 'cancelled':
      return 'cancelled';
    case 'releasing':
    case 'released':
      if (b.releasedReason?.startsWith('refused')) return 'refused';
      if (b.releasedReason?.startsWith('unpaid')) return 'expired';
      return 'failed';
  }
}
