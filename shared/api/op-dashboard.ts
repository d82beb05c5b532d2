/**
 * A park's home dashboard for operators: what to look at first, in one call the console repeats while the
 * page is open — today's takings through ParkPay by channel and by what was paid, cars in the lot and free
 * spaces (the lot's latest heartbeat, 4.1), payments the lot has not been told of yet, refunds in progress,
 * and how long the lot has been silent.
 *
 * Roles: admins and park operators (merchants: 403 forbidden_role). Money is integer fen; times ISO instants.
 */
import { z } from 'zod';
import { defineEndpoint } from './contract';

/** The lot is called silent after this long without a heartbeat (it sends one every 30 s or so). */
export const HEARTBEAT_SILENT_SECONDS = 120;

export const dashboardSchema = z.object({
  parkNumber: z.string(),
  /** When the server answered (ages below are as of then). */
  at: z.iso.datetime(),
  today: z.object({
    /** China date yyyy-MM-dd. */
    date: z.string(),
    /** Money taken through ParkPay today (gross), payments, and what of it went back or is going back. */
    totalFen: z.number().int(),
    count: z.number().int(),
    refundedFen: z.number().int(),
    byChannel: z.object({ wechat: z.number().int(), alipay: z.number().int() }),
    /** By what was paid ('prepay', 'lane_qr', 'face_to_face', 'withholding', 'booking', 'unlicensed_exit'). */
    byKind: z.array(z.object({ kind: z.string(), fen: z.number().int(), count: z.number().int() })),
  }),
  lot: z.object({
    /** When the latest heartbeat arrived (null: never). */
    heartbeatAt: z.iso.datetime().nullable(),
    heartbeatAgeSeconds: z.number().int().nullable(),
    /** No heartbeat for more than HEARTBEAT_SILENT_SECONDS (or none ever). */
    silent: z.boolean(),
    spaceCount: z.number().int().nullable(),
    freeSpaceCount: z.number().int().nullable(),
    /** Spaces taken: spaceCount − freeSpaceCount, as the lot counts them. */
    carsIn: z.number().int().nullable(),
    areas: z.array(z.object({ areaId: z.number().int().nullable(), name: z.string(), spaceCount: z.number().int().nullable(), freeSpaceCount: z.number().int().nullable() })),
  }),
  /** Paid, but the lot has not acknowledged it yet (its barrier may not open for it). */
  waitingForLot: z.object({ count: z.number().int(), oldestPaidAt: z.iso.datetime().nullable(), oldestAgeSeconds: z.number().int().nullable() }),
  /** Refunds started and not yet done at the provider. */
  refundsInProgress: z.object({ count: z.number().int(), fen: z.number().int() }),
});
export type DashboardView = z.infer<typeof dashboardSchema>;

export const opDashboardEndpoints = {
  dashboard: defineEndpoint({
    summary: "A park's home dashboard: today's takings, the lot's spaces and heartbeat, payments waiting for the lot, refunds in progress.",
    method: 'GET',
    path: '/api/op/parks/:parkNumber/dashboard',
    auth: 'operator',
    params: z.object({ parkNumber: z.string().trim().min(1).max(64) }),
    response: dashboardSchema,
    errors: ['park_unknown'],
  }),
} as const;
