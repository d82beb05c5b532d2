/** The booking rules that need no I/O: offers, refunds under the cancellation rule, what a booking shows. */
import type { Booking } from '../../../../server/src/core/bookings/model';
import { areaKeys, bookingStatus, cancelRefusal, offerProblems, refundFor, type OfferInput } from '../../../../server/src/core/bookings/rules';

const MIN = 60_000;
const NOW = new Date('2026-11-29T02:00:00Z');
const at = (minutes: number) => new Date(NOW.getTime() + minutes * MIN);

const offer = (o: Partial<OfferInput> = {}): OfferInput => ({
  title: '预约',
  areaId: 1,
  priceFen: 1000,
  start: at(60),
  end: at(600),
  letInStart: at(60),
  letInEnd: at(120),
  count: 5,
  cancelRule: { fullRefundMinutesBefore: 30, lateRefundPercent: 40 },
  ...o,
});

describe('offers', () => {
  it('a sound offer has no problems; each broken field is named', () => {
    expect(offerProblems(offer(), NOW)).toEqual([]);
    expect(offerProblems(offer({ areaId: 0 }), NOW)).toEqual([]);
    expect(offerProblems(offer({ title: ' ', priceFen: 0, count: 0, areaId: -1 }), NOW)).toEqual([
      'title is empty',
      'areaId must be 0 (any area) or an area id',
      'priceFen must be a whole number of fen, at least 1',
      'count must be 1 to 10000',
    ]);
    expect(offerProblems(offer({ letInEnd: at(60) }), NOW)).toContain('letInStart must be before letInEnd');
    expect(offerProblems(offer({ letInStart: at(30) }), NOW)).toContain('the let-in window must lie within start…end');
    expect(offerProblems(offer({ start: at(-120), letInStart: at(-120), letInEnd: at(-60) }), NOW)).toContain('the let-in window is over already');
    expect(offerProblems(offer({ cancelRule: { fullRefundMinutesBefore: -1, lateRefundPercent: 101 } }), NOW)).toHaveLength(2);
    expect(offerProblems(offer({ start: new Date('x') }), NOW)).toEqual(['start is not a time']);
  });

  it('an area offer reserves from its area and the whole lot; an any-area offer from the whole lot', () => {
    expect(areaKeys(2)).toEqual(['area:2', 'all']);
    expect(areaKeys(0)).toEqual(['all']);
  });
});

describe('cancellation', () => {
  const rule = { fullRefundMinutesBefore: 30, lateRefundPercent: 40 };
  it('everything back until the rule’s minutes before the window, then the percentage (rounded down)', () => {
    expect(refundFor(rule, 999, at(60), NOW)).toBe(999);
    expect(refundFor(rule, 999, at(30), NOW)).toBe(999);
    expect(refundFor(rule, 999, at(29), NOW)).toBe(399);
    expect(refundFor(rule, 999, at(-10), NOW)).toBe(399);
    expect(refundFor({ fullRefundMinutesBefore: 0, lateRefundPercent: 0 }, 999, at(-1), NOW)).toBe(0);
  });

  it('no cancelling once the car came in or the window has closed', () => {
    expect(cancelRefusal({ letInEnd: at(10) }, NOW)).toBeUndefined();
    expect(cancelRefusal({ letInEnd: at(0) }, NOW)).toMatchObject({ code: 'cancel_too_late' });
    expect(cancelRefusal({ letInEnd: at(10), admittedAt: at(-1) }, NOW)).toMatchObject({ code: 'already_admitted' });
  });
});

describe('status', () => {
  const b = (o: Partial<Booking>) => ({ state: 'held', letInEnd: at(60), ...o }) as Booking;
  it('follows the booking and its order', () => {
    expect(bookingStatus(b({ state: 'reserving' }), undefined, NOW)).toBe('reserving');
    expect(bookingStatus(b({}), { status: 'quoted' }, NOW)).toBe('awaiting_payment');
    expect(bookingStatus(b({}), { status: 'pending' }, NOW)).toBe('awaiting_payment');
    expect(bookingStatus(b({}), { status: 'paid' }, NOW)).toBe('issuing');
    expect(bookingStatus(b({}), { status: 'refunding' }, NOW)).toBe('refused');
    expect(bookingStatus(b({}), { status: 'closed' }, NOW)).toBe('expired');
    expect(bookingStatus(b({ state: 'issued' }), { status: 'delivered' }, NOW)).toBe('booked');
    expect(bookingStatus(b({ state: 'issued', admittedAt: NOW }), { status: 'delivered' }, NOW)).toBe('admitted');
    expect(bookingStatus(b({ state: 'issued', letInEnd: at(-1) }), { status: 'delivered' }, NOW)).toBe('window_closed');
    expect(bookingStatus(b({ state: 'cancelling' }), { status: 'delivered' }, NOW)).toBe('cancelling');
    expect(bookingStatus(b({ state: 'cancelled' }), { status: 'refunded' }, NOW)).toBe('cancelled');
    expect(bookingStatus(b({ state: 'released', releasedReason: 'refused: lot_refused: 满' }), { status: 'refunded' }, NOW)).toBe('refused');
    expect(bookingStatus(b({ state: 'released', releasedReason: 'unpaid: quote_expired' }), { status: 'closed' }, NOW)).toBe('expired');
    expect(bookingStatus(b({ state: 'released', releasedReason: 'sold_out: the offer is sold out' }), undefined, NOW)).toBe('failed');
  });
});
