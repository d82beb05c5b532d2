/**
 * Bookings for drivers (Bluecard 4.18): see a park's booking offers, book one for a plate, pay it (WeChat Pay
 * or Alipay, like a stay), poll it, cancel it, list mine.
 *
 * A booking's status:
 *  - `awaiting_payment`: reserved for a few minutes; pay it (…/pay) or it lapses (`expired`);
 *  - `issuing`: paid; ParkPay is telling the lot;
 *  - `booked`: the lot has it; the car is let in during the let-in window (letInStart…letInEnd);
 *  - `admitted`: the car came in on it; `window_closed`: the let-in window passed without it;
 *  - `cancelling` → `cancelled`: cancelled; `refund` says what comes back under the offer's rule (all of it
 *    until `fullRefundMinutesBefore` minutes before the let-in window, then `lateRefundPercent` %, nothing
 *    once the window has closed or the car came in);
 *  - `refused`: the lot would not take it; the payment is refunded in full; `expired`: never paid;
 *    `failed`: could not be reserved.
 * Money is integer fen; times are ISO instants (show them in China time).
 */
import { z } from 'zod';
import { defineEndpoint } from './contract';
import { orderStatusSchema, payParamsSchema, walletSchema } from './orders';

const fen = z.number().int().min(0);
const parkNumber = z.string().trim().min(1).max(64);
const bookingNoParams = z.object({ bookingNo: z.string().regex(/^[0-9A-Za-z]{6,32}$/, 'not a booking number') });

export const cancelRuleSchema = z.object({
  /** Cancelled at least this many minutes before the let-in window opens: the whole price back. */
  fullRefundMinutesBefore: z.number().int().min(0),
  /** Cancelled later (before the window closes, the car not in yet): this percent back. */
  lateRefundPercent: z.number().int().min(0).max(100),
});

export const bookingOfferViewSchema = z.object({
  offerId: z.string(),
  parkNumber: z.string(),
  title: z.string(),
  /** 0: any area of the lot; else the lot's area. */
  areaId: z.number().int(),
  priceFen: fen,
  start: z.iso.datetime(),
  end: z.iso.datetime(),
  letInStart: z.iso.datetime(),
  letInEnd: z.iso.datetime(),
  /** Places of the offer not yet taken (the lot may still run out of bookable spaces first). */
  left: z.number().int().min(0),
  cancelRule: cancelRuleSchema,
});
export type BookingOfferView = z.infer<typeof bookingOfferViewSchema>;

export const bookingStatusSchema = z.enum([
  'reserving',
  'awaiting_payment',
  'issuing',
  'booked',
  'admitted',
  'window_closed',
  'cancelling',
  'cancelled',
  'expired',
  'refused',
  'failed',
]);
export type BookingStatusView = z.infer<typeof bookingStatusSchema>;

export const bookingViewSchema = z.object({
  bookingNo: z.string(),
  parkNumber: z.string(),
  offerId: z.string(),
  title: z.string(),
  plate: z.string(),
  areaId: z.number().int(),
  priceFen: fen,
  start: z.iso.datetime(),
  end: z.iso.datetime(),
  letInStart: z.iso.datetime(),
  letInEnd: z.iso.datetime(),
  status: bookingStatusSchema,
  cancelRule: cancelRuleSchema,
  /** The payment (an order of kind 'booking': also in GET /api/orders). */
  order: z.object({ orderNo: z.string(), status: orderStatusSchema, expiresAt: z.iso.datetime(), wallet: walletSchema.nullable(), paidAt: z.iso.datetime().nullable() }).nullable(),
  /** Present once a refund started (cancelled, or refused by the lot). */
  refund: z.object({ fen, state: z.enum(['pending', 'done']), reason: z.string(), refundedAt: z.iso.datetime().nullable() }).nullable(),
  /** What a cancellation now would give back (null: it cannot be cancelled now). */
  cancelNowRefundFen: fen.nullable(),
  admittedAt: z.iso.datetime().nullable(),
  cancelledAt: z.iso.datetime().nullable(),
  createdAt: z.iso.datetime(),
});
export type BookingView = z.infer<typeof bookingViewSchema>;

export const bookingEndpoints = {
  offers: defineEndpoint({
    summary: "A park's booking offers on sale now, with the places left.",
    method: 'GET',
    path: '/api/parks/:parkNumber/booking-offers',
    auth: 'none',
    params: z.object({ parkNumber }),
    response: z.object({ offers: z.array(bookingOfferViewSchema) }),
    errors: ['park_unknown'],
  }),
  book: defineEndpoint({
    summary: 'Book a place of an offer for a plate (reserved for a few minutes: pay it next). The same plate and offer again answers the same booking.',
    method: 'POST',
    path: '/api/bookings',
    auth: 'driver',
    body: z.object({ offerId: z.string().trim().min(1).max(40), plate: z.string().trim().min(1).max(20) }),
    response: bookingViewSchema,
    errors: ['not_found', 'invalid_plate', 'offer_closed', 'sold_out', 'no_bookable_spaces', 'plate_already_booked', 'park_unknown'],
  }),
  pay: defineEndpoint({
    summary: 'Start (or continue) paying a booking; answers what the wallet needs.',
    method: 'POST',
    path: '/api/bookings/:bookingNo/pay',
    auth: 'driver',
    params: bookingNoParams,
    body: z.object({ wallet: walletSchema }),
    response: z.object({ booking: bookingViewSchema, pay: payParamsSchema }),
    errors: ['not_found', 'booking_not_payable', 'wallet_not_linked', 'provider_mismatch', 'order_not_payable', 'quote_expired', 'provider_unavailable', 'provider_unreachable', 'provider_refused'],
  }),
  booking: defineEndpoint({
    summary: "One of the driver's bookings (poll it after paying).",
    method: 'GET',
    path: '/api/bookings/:bookingNo',
    auth: 'driver',
    params: bookingNoParams,
    response: bookingViewSchema,
    errors: ['not_found'],
  }),
  cancel: defineEndpoint({
    summary: 'Cancel a booking: unpaid, it lapses; booked, the lot is told and the refund its rule allows goes back.',
    method: 'POST',
    path: '/api/bookings/:bookingNo/cancel',
    auth: 'driver',
    params: bookingNoParams,
    body: z.object({}).optional(),
    response: bookingViewSchema,
    errors: ['not_found', 'already_admitted', 'cancel_too_late', 'booking_issuing'],
  }),
  mine: defineEndpoint({
    summary: "The driver's bookings, newest first.",
    method: 'GET',
    path: '/api/bookings',
    auth: 'driver',
    response: z.object({ bookings: z.array(bookingViewSchema) }),
  }),
} as const;
