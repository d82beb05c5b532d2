/**
 * Parks as drivers see them: the lane a QR code names, free spaces (from the lot's heartbeats), the
 * driver's cars in parks, and where a car is parked (4.34); parks found by name or address and the
 * driver's recent parks (paying without scanning first), and a car looked for across them. A stay's entry
 * time and picture, and where the car stands, are shown only for a plate the driver has proved at that park
 * (paid for it there, entered there without plate, or confirmed its entry lane and time: POST …/plate-proofs);
 * otherwise only that a car with this plate is here. Look-ups are rate-limited per driver and per address
 * (429 too_many_requests).
 * Contracts: GET /api/parks/:parkNumber, GET /api/parks, GET /api/me/parks, GET /api/me/stays,
 * GET /api/parks/:parkNumber/find-car, GET /api/me/find-car, POST /api/parks/:parkNumber/plate-proofs.
 */
import { z } from 'zod';
import { defineEndpoint } from './contract';

export const laneViewSchema = z.object({
  passagewayId: z.string(),
  name: z.string(),
  /** 'in' when the lane leads from outside (source area 0) into the park, 'out' the other way, null unknown. */
  direction: z.enum(['in', 'out']).nullable(),
});
export type LaneView = z.infer<typeof laneViewSchema>;

/** The park's prices and service as its operator describes them (console: park settings); null when unsaid. */
export const parkServiceInfoSchema = z.object({
  tariffText: z.string().nullable(),
  freeMinutes: z.number().int().nullable(),
  paidFreeMinutes: z.number().int().nullable(),
  phone: z.string().nullable(),
  address: z.string().nullable(),
});
export type ParkServiceInfo = z.infer<typeof parkServiceInfoSchema>;

export const parkViewSchema = z.object({
  parkNumber: z.string(),
  name: z.string(),
  service: parkServiceInfoSchema,
  /** From the newest heartbeat (4.1); null when the lot has not said. */
  spaces: z.object({ total: z.number().int().nullable(), free: z.number().int().nullable(), updatedAt: z.iso.datetime() }).nullable(),
  areas: z.array(z.object({ name: z.string(), total: z.number().int().nullable(), free: z.number().int().nullable() })),
  lanes: z.array(laneViewSchema),
});
export type ParkView = z.infer<typeof parkViewSchema>;

/** A park in a list: enough to choose it (name, address, free spaces now). */
export const parkSummarySchema = z.object({
  parkNumber: z.string(),
  name: z.string(),
  address: z.string().nullable(),
  /** From the newest heartbeat (4.1); null when the lot has not said. */
  spaces: z.object({ total: z.number().int().nullable(), free: z.number().int().nullable() }).nullable(),
});
export type ParkSummary = z.infer<typeof parkSummarySchema>;

export const recentParkSchema = parkSummarySchema.extend({
  /** When the driver was last there (a payment, an entry, a car in the park now). */
  lastAt: z.iso.datetime(),
  /** One of the driver's plates is in the park now. */
  carInPark: z.boolean(),
});
export type RecentPark = z.infer<typeof recentParkSchema>;

export const stayViewSchema = z.object({
  parkNumber: z.string(),
  parkName: z.string(),
  plate: z.string(),
  /** 'plate': a bound plate's car; 'unlicensed': a temporary plate this driver entered with. */
  source: z.enum(['plate', 'unlicensed']),
  /** "" when not proved. */
  inTime: z.string(),
  /** The entry as an instant (for a live parking duration); null when the lot gave none or not proved. */
  inAt: z.iso.datetime().nullable(),
  /** A short-lived link to the entry picture, or null (always null when not proved, and while the lot has sent none). */
  inImageUrl: z.string().nullable(),
  /** Paid and told to the lot: leave before this. */
  leaveBy: z.iso.datetime().nullable(),
  /** The driver has proved this plate at this park; false: only that a car with this plate is here. */
  proved: z.boolean(),
});
export type StayView = z.infer<typeof stayViewSchema>;

export const spaceViewSchema = z.object({
  layerName: z.string(),
  spaceId: z.string(),
  plate: z.string(),
  x: z.number().nullable(),
  y: z.number().nullable(),
  imageUrl: z.string().nullable(),
});

export type SpaceView = z.infer<typeof spaceViewSchema>;

/** Where a car was looked for in one park: as find-car answers there, or why it could not say. */
export const carSearchSchema = z.object({
  parkNumber: z.string(),
  parkName: z.string(),
  /** The plate is proved at this park: its place is told. */
  proved: z.boolean(),
  /** A car with this plate is in the park. */
  here: z.boolean(),
  /** The car's entry in this park (China time), when proved and in the park. */
  inTime: z.string().nullable(),
  spaces: z.array(spaceViewSchema),
  error: z.object({ code: z.string(), message: z.string() }).nullable(),
});
export type CarSearchView = z.infer<typeof carSearchSchema>;

const parkParams = z.object({ parkNumber: z.string().trim().min(1).max(64) });

export const parkEndpoints = {
  park: defineEndpoint({
    summary: 'A park: its name, free spaces and lanes (what a lane QR code lands on).',
    method: 'GET',
    path: '/api/parks/:parkNumber',
    auth: 'none',
    params: parkParams,
    response: parkViewSchema,
    errors: ['park_unknown'],
  }),
  list: defineEndpoint({
    summary: 'Parks served by ParkPay, by a few characters of their name or address (none: all, by name).',
    method: 'GET',
    path: '/api/parks',
    auth: 'none',
    query: z.object({ q: z.string().trim().max(40).optional(), limit: z.coerce.number().int().min(1).max(50).optional() }),
    response: z.object({ parks: z.array(parkSummarySchema) }),
  }),
  recent: defineEndpoint({
    summary: "The driver's recent parks, newest first: where they paid, entered, or have a car now.",
    method: 'GET',
    path: '/api/me/parks',
    auth: 'driver',
    response: z.object({ parks: z.array(recentParkSchema) }),
  }),
  myStays: defineEndpoint({
    summary: "The driver's cars in parks now: bound plates and unlicensed entries, newest first.",
    method: 'GET',
    path: '/api/me/stays',
    auth: 'driver',
    response: z.object({ stays: z.array(stayViewSchema) }),
  }),
  findCar: defineEndpoint({
    summary: 'Where a car is parked (4.34): a whole plate; its spaces only when the driver has proved it at this park, else only whether it is here.',
    method: 'GET',
    path: '/api/parks/:parkNumber/find-car',
    auth: 'driver',
    params: parkParams,
    query: z.object({ plate: z.string().trim().min(4).max(20) }),
    response: z.object({ proved: z.boolean(), here: z.boolean(), spaces: z.array(spaceViewSchema) }),
    /** plate_invalid (400): not a whole plate; too_many_requests (429, Retry-After). */
    errors: ['park_unknown', 'plate_invalid', 'too_many_requests', 'lot_unreachable', 'lot_slow', 'lot_refused'],
  }),
  confirmPlate: defineEndpoint({
    summary: "Prove a plate at this park: the entry lane and time (to ten minutes) of the car's stay, checked against the lot's record; 3 tries a day.",
    method: 'POST',
    path: '/api/parks/:parkNumber/plate-proofs',
    auth: 'driver',
    params: parkParams,
    body: z.object({
      plate: z.string().trim().min(4).max(20),
      /** China time, yyyy-MM-dd HH:mm. */
      enteredAt: z.string().trim().min(10).max(19),
      /** The entry lane (the park's lanes: GET /api/parks/:parkNumber). */
      passagewayId: z.string().trim().min(1).max(32),
    }),
    response: z.object({ proved: z.literal(true) }),
    /**
     * not_confirmed (409, details.attemptsLeft); confirm_locked (429, details.retryAfterSeconds); car_not_here
     * (404); plate_invalid (400); too_many_requests (429).
     */
    errors: ['park_unknown', 'plate_invalid', 'not_confirmed', 'confirm_locked', 'car_not_here', 'too_many_requests'],
  }),
  findMyCar: defineEndpoint({
    summary: 'Where a car is parked, looked for in the driver’s recent parks, each as find-car does there (proved: its place; else only whether it is here).',
    method: 'GET',
    path: '/api/me/find-car',
    auth: 'driver',
    query: z.object({ plate: z.string().trim().min(4).max(20) }),
    response: z.object({ plate: z.string(), results: z.array(carSearchSchema) }),
    errors: ['plate_invalid', 'too_many_requests'],
  }),
} as const;
