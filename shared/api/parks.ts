/**
 * Parks as drivers see them: the lane a QR code names, free spaces (from the lot's heartbeats), the
 * driver's cars in parks, and where a car is parked (4.34).
 * Contracts: GET /api/parks/:parkNumber, GET /api/me/stays, GET /api/parks/:parkNumber/find-car.
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

export const stayViewSchema = z.object({
  parkNumber: z.string(),
  parkName: z.string(),
  plate: z.string(),
  /** 'plate': a bound plate's car; 'unlicensed': a temporary plate this driver entered with. */
  source: z.enum(['plate', 'unlicensed']),
  inTime: z.string(),
  /** A short-lived link to the entry picture, or null. */
  inImageUrl: z.string().nullable(),
  /** Paid and told to the lot: leave before this. */
  leaveBy: z.iso.datetime().nullable(),
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
  myStays: defineEndpoint({
    summary: "The driver's cars in parks now: bound plates and unlicensed entries, newest first.",
    method: 'GET',
    path: '/api/me/stays',
    auth: 'driver',
    response: z.object({ stays: z.array(stayViewSchema) }),
  }),
  findCar: defineEndpoint({
    summary: 'Where a car is parked (4.34): at least 4 characters of the plate.',
    method: 'GET',
    path: '/api/parks/:parkNumber/find-car',
    auth: 'driver',
    params: parkParams,
    query: z.object({ plate: z.string().trim().min(4).max(20) }),
    response: z.object({ spaces: z.array(spaceViewSchema) }),
    errors: ['park_unknown', 'lot_unreachable', 'lot_refused'],
  }),
} as const;
