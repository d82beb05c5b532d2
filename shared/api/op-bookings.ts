/**
 * Booking offers and bookings for operators (Bluecard 4.1, 4.18, 4.19).
 *
 * An offer: an area (0 = any area of the lot) and a price, the booking's period (4.18 start…end), the let-in
 * window (when the car may come in), how many places, and the cancellation rule. Drivers buy places until the
 * let-in window closes or the offer is withdrawn; besides the offer's count, the lot's own bookable count
 * (its heartbeat, 4.1 bookSpaceCount) limits what is sold — `capacity` shows what ParkPay holds of it.
 *
 * Bookings of the park with their status and refunds; an operator may cancel one (the whole price goes
 * back). Reconciliation compares ParkPay's bookings with the lot's open ones (4.19) and names every
 * difference; it also runs by itself every few minutes.
 *
 * Roles: admins and park operators; merchants are refused (403 forbidden_role).
 */
import { z } from 'zod';
import { bookingStatusSchema, bookingViewSchema, cancelRuleSchema } from './bookings';
import { defineEndpoint } from './contract';

const parkNumber = z.string().trim().min(1).max(64);
const parkParams = z.object({ parkNumber });
const instant = z.iso.datetime({ offset: true });

export const opOfferViewSchema = z.object({
  offerId: z.string(),
  parkNumber: z.string(),
  title: z.string(),
  areaId: z.number().int(),
  priceFen: z.number().int(),
  start: z.iso.datetime(),
  end: z.iso.datetime(),
  letInStart: z.iso.datetime(),
  letInEnd: z.iso.datetime(),
  count: z.number().int(),
  /** Places taken now (reserved, paid or booked). */
  held: z.number().int(),
  cancelRule: cancelRuleSchema,
  /** on_sale until withdrawn; drivers see it only until its let-in window closes. */
  status: z.enum(['on_sale', 'withdrawn']),
  createdBy: z.string(),
  createdAt: z.iso.datetime(),
});
export type OpOfferView = z.infer<typeof opOfferViewSchema>;

export const opBookingViewSchema = bookingViewSchema.extend({
  /** 4.19 reconciliation: when it last looked at this booking and what it found (null: nothing wrong). */
  reconciled: z.object({ at: z.iso.datetime(), issue: z.string().nullable() }).nullable(),
  /** Why a cancellation did not reach the lot (reconciliation checks it). */
  lotProblem: z.string().nullable(),
});
export type OpBookingView = z.infer<typeof opBookingViewSchema>;

export const bookingDifferenceSchema = z.object({
  bookOrderId: z.string(),
  plate: z.string(),
  kind: z.enum(['missing_at_lot', 'unknown_at_lot', 'cancelled_but_open_at_lot', 'not_issued_but_open_at_lot', 'mismatch']),
  detail: z.string(),
});

export const bookingReconciliationSchema = z.object({
  parkNumber: z.string(),
  ranAt: z.iso.datetime(),
  lotOpen: z.number().int(),
  oursOpen: z.number().int(),
  matched: z.number().int(),
  admitted: z.number().int(),
  differences: z.array(bookingDifferenceSchema),
});

const offerBody = z.object({
  title: z.string().trim().min(1).max(40),
  /** 0: any area. */
  areaId: z.number().int().min(0),
  priceFen: z.number().int().min(1).max(10_000_000),
  start: instant,
  end: instant,
  letInStart: instant,
  letInEnd: instant,
  count: z.number().int().min(1).max(10_000),
  cancelRule: cancelRuleSchema,
});

const ROLE_ERRORS = ['park_unknown'] as const;

export const opBookingEndpoints = {
  createOffer: defineEndpoint({
    summary: 'Put a booking offer on sale.',
    method: 'POST',
    path: '/api/op/parks/:parkNumber/booking-offers',
    auth: 'operator',
    params: parkParams,
    body: offerBody,
    response: opOfferViewSchema,
    errors: [...ROLE_ERRORS, 'invalid_offer'],
  }),
  offers: defineEndpoint({
    summary: "The park's booking offers (all of them, newest let-in window last).",
    method: 'GET',
    path: '/api/op/parks/:parkNumber/booking-offers',
    auth: 'operator',
    params: parkParams,
    response: z.object({ offers: z.array(opOfferViewSchema) }),
    errors: [...ROLE_ERRORS],
  }),
  withdrawOffer: defineEndpoint({
    summary: 'Stop selling an offer (bookings already sold stay).',
    method: 'POST',
    path: '/api/op/parks/:parkNumber/booking-offers/:offerId/withdraw',
    auth: 'operator',
    params: z.object({ parkNumber, offerId: z.string().trim().min(1).max(40) }),
    body: z.object({}).optional(),
    response: opOfferViewSchema,
    errors: [...ROLE_ERRORS, 'not_found'],
  }),
  bookings: defineEndpoint({
    summary: "The park's bookings, newest first (of one offer, of some statuses).",
    method: 'GET',
    path: '/api/op/parks/:parkNumber/bookings',
    auth: 'operator',
    params: parkParams,
    query: z.object({
      offerId: z.string().trim().min(1).max(40).optional(),
      status: z.union([bookingStatusSchema, z.array(bookingStatusSchema)]).optional(),
      limit: z.coerce.number().int().min(1).max(1000).optional(),
    }),
    response: z.object({ bookings: z.array(opBookingViewSchema) }),
    errors: [...ROLE_ERRORS],
  }),
  cancelBooking: defineEndpoint({
    summary: 'Cancel a booking of the park: the lot is told and the whole price goes back.',
    method: 'POST',
    path: '/api/op/parks/:parkNumber/bookings/:bookingNo/cancel',
    auth: 'operator',
    params: z.object({ parkNumber, bookingNo: z.string().regex(/^[0-9A-Za-z]{6,32}$/, 'not a booking number') }),
    body: z.object({ reason: z.string().trim().max(100).optional() }),
    response: opBookingViewSchema,
    errors: [...ROLE_ERRORS, 'not_found', 'already_admitted', 'cancel_too_late', 'booking_issuing'],
  }),
  capacity: defineEndpoint({
    summary: "What ParkPay holds of the lot's bookable spaces (4.1), per area and for the whole lot.",
    method: 'GET',
    path: '/api/op/parks/:parkNumber/booking-capacity',
    auth: 'operator',
    params: parkParams,
    response: z.object({
      /** When the heartbeat the counts come from arrived (null: the lot has not sent one). */
      heartbeatAt: z.iso.datetime().nullable(),
      ledgers: z.array(z.object({ key: z.string(), free: z.number().int() })),
      /** The lot's areas as its latest heartbeat names them: what an offer's areaId means. */
      areas: z.array(z.object({ areaId: z.number().int(), name: z.string() })),
    }),
    errors: [...ROLE_ERRORS],
  }),
  reconcile: defineEndpoint({
    summary: "Compare ParkPay's bookings with the lot's open ones (4.19) now.",
    method: 'POST',
    path: '/api/op/parks/:parkNumber/bookings/reconcile',
    auth: 'operator',
    params: parkParams,
    body: z.object({}).optional(),
    response: bookingReconciliationSchema,
    errors: [...ROLE_ERRORS, 'lot_unreachable', 'lot_refused'],
  }),
  reconciliation: defineEndpoint({
    summary: 'The latest booking reconciliation of the park (null: none yet).',
    method: 'GET',
    path: '/api/op/parks/:parkNumber/bookings/reconciliation',
    auth: 'operator',
    params: parkParams,
    response: z.object({ report: bookingReconciliationSchema.nullable() }),
    errors: [...ROLE_ERRORS],
  }),
} as const;
