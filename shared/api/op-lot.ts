/**
 * Operators and the lot: lift a lane's barrier (4.22) in two steps, every guidance space by layer
 * (4.33), find a car (4.34), and a stay's pictures (stored from 4.14, else asked of the lot: 4.20).
 * Admins and park operators; merchants get 403 forbidden_role.
 *
 * Barrier lift: POST …/lift-requests {reason} answers a confirmationId valid for 30 seconds, for this
 * operator and lane; POST …/lift {confirmationId} opens the barrier and spends it (a second lift needs a
 * new request). Both are in the audit log, with the reason.
 *
 * Lot failures: lot_refused (502, the lot's reason in the message), lot_unreachable (504 — after a lift
 * request this means the barrier may or may not have opened), lot_bad_answer (502).
 */
import { z } from 'zod';
import { defineEndpoint } from './contract';

const parkNumber = z.string().trim().min(1).max(64);
const parkParams = z.object({ parkNumber });
const laneParams = z.object({ parkNumber, passagewayId: z.string().trim().min(1).max(32) });
const LOT_ERRORS = ['park_unknown', 'lot_refused', 'lot_unreachable', 'lot_bad_answer'] as const;

const liftLaneSchema = z.object({ passagewayId: z.string(), name: z.string(), direction: z.enum(['in', 'out']).nullable() });

export const opStayViewSchema = z.object({
  orderId: z.string(),
  plate: z.string(),
  status: z.enum(['in', 'out']),
  inTime: z.iso.datetime().nullable(),
  outTime: z.iso.datetime().nullable(),
  inChannel: z.string().nullable(),
  outChannel: z.string().nullable(),
  inImage: z.string().nullable(),
  outImage: z.string().nullable(),
  /** Charged at the exit (fen), when the exit record came. */
  chargeFen: z.number().int().nullable(),
});
export type OpStayView = z.infer<typeof opStayViewSchema>;

export const opLotEndpoints = {
  requestLift: defineEndpoint({
    summary: "Step 1 of a barrier lift: say which lane and why; answers a confirmation valid for 30 s.",
    method: 'POST',
    path: '/api/op/parks/:parkNumber/lanes/:passagewayId/lift-requests',
    auth: 'operator',
    params: laneParams,
    body: z.object({ reason: z.string().trim().min(2).max(200) }),
    response: z.object({ confirmationId: z.string(), expiresAt: z.iso.datetime(), lane: liftLaneSchema, prompt: z.string() }),
    errors: ['park_unknown', 'lane_unknown'],
  }),
  lift: defineEndpoint({
    summary: 'Step 2: open the barrier now (spends the confirmation).',
    method: 'POST',
    path: '/api/op/parks/:parkNumber/lanes/:passagewayId/lift',
    auth: 'operator',
    params: laneParams,
    body: z.object({ confirmationId: z.string().trim().min(1).max(100) }),
    response: z.object({ lifted: z.literal(true), at: z.iso.datetime(), lane: liftLaneSchema }),
    /** confirmation_unknown (404), confirmation_expired (410), confirmation_used (409); lot errors. */
    errors: ['lane_unknown', 'confirmation_unknown', 'confirmation_expired', 'confirmation_used', ...LOT_ERRORS],
  }),
  spaces: defineEndpoint({
    summary: 'Every guidance space now, by layer (4.33).',
    method: 'GET',
    path: '/api/op/parks/:parkNumber/spaces',
    auth: 'operator',
    params: parkParams,
    response: z.object({
      total: z.number().int(),
      occupied: z.number().int(),
      free: z.number().int(),
      fetchedAt: z.iso.datetime(),
      layers: z.array(
        z.object({
          layerId: z.string(),
          layerName: z.string(),
          total: z.number().int(),
          occupied: z.number().int(),
          free: z.number().int(),
          spaces: z.array(z.object({ spaceId: z.string(), occupied: z.boolean(), plate: z.string(), carType: z.string() })),
        }),
      ),
    }),
    errors: LOT_ERRORS,
  }),
  findCar: defineEndpoint({
    summary: 'Where a car is parked (4.34): at least 4 characters of the plate (matched loosely), or no plate for every unlicensed car.',
    method: 'GET',
    path: '/api/op/parks/:parkNumber/find-car',
    auth: 'operator',
    params: parkParams,
    query: z.object({ plate: z.string().trim().max(16).optional() }),
    response: z.object({
      cars: z.array(
        z.object({
          layerId: z.string(),
          layerName: z.string(),
          spaceId: z.string(),
          /** "无牌车" for unlicensed cars. */
          plate: z.string(),
          carType: z.string(),
          /** The lot's picture of the car now, at the lot. */
          imageUrl: z.string().nullable(),
          x: z.number().nullable(),
          y: z.number().nullable(),
        }),
      ),
    }),
    /** plate_too_short (400). */
    errors: ['plate_too_short', ...LOT_ERRORS],
  }),
  stays: defineEndpoint({
    summary: "A plate's stays in the park (in or out), newest first, at most 20.",
    method: 'GET',
    path: '/api/op/parks/:parkNumber/stays',
    auth: 'operator',
    params: parkParams,
    query: z.object({ plate: z.string().trim().min(1).max(16) }),
    response: z.object({ stays: z.array(opStayViewSchema) }),
    errors: ['park_unknown'],
  }),
  stayPictures: defineEndpoint({
    summary: "A stay's entry and exit pictures: ours (4.14, a 15-minute link) or the lot's (4.20).",
    method: 'GET',
    path: '/api/op/parks/:parkNumber/stays/:orderId/pictures',
    auth: 'operator',
    params: z.object({ parkNumber, orderId: z.string().trim().min(1).max(64) }),
    response: z.object({
      stay: opStayViewSchema,
      pictures: z.array(
        z.object({
          kind: z.enum(['entry', 'exit']),
          imageName: z.string(),
          url: z.string().nullable(),
          /** 'stored': we have it (4.14); 'lot': the lot's link (4.20); 'none': nobody has it. */
          source: z.enum(['stored', 'lot', 'none']),
        }),
      ),
      /** Why the lot could not be asked for the pictures we lack, or null. */
      lotError: z.string().nullable(),
    }),
    /** stay_unknown (404). */
    errors: ['park_unknown', 'stay_unknown'],
  }),
} as const;
