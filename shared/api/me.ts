/**
 * The logged-in driver: who they are (which login providers are linked) and the plates they pay for.
 * Contracts: GET /api/me, GET /api/me/plates, POST /api/me/plates, DELETE /api/me/plates/:plateKey.
 */
import { z } from 'zod';
import { defineEndpoint } from './contract';

/** At most this many plates per driver (the server enforces it: `plate_limit`). */
export const MAX_PLATES = 5;

export const plateViewSchema = z.object({
  /** As the driver typed it, tidied for display (upper case, no spaces): "京A12345". */
  plate: z.string(),
  /** The lookup key (shared/plate.ts normalizePlate); what DELETE takes. */
  plateKey: z.string(),
  boundAt: z.iso.datetime(),
});
export type PlateView = z.infer<typeof plateViewSchema>;

/** A linked login: only a masked id ("oAbc…9xYz"), enough for the driver to recognise their account. */
export const linkedAccountSchema = z.object({ maskedId: z.string() });

export const driverViewSchema = z.object({
  id: z.string(),
  createdAt: z.iso.datetime(),
  /** null: not linked. Never the raw provider ids. */
  providers: z.object({
    wechat: linkedAccountSchema.nullable(),
    alipay: linkedAccountSchema.nullable(),
  }),
  plates: z.array(plateViewSchema),
});
export type DriverView = z.infer<typeof driverViewSchema>;

export const platesAnswerSchema = z.object({ plates: z.array(plateViewSchema) });

export const meEndpoints = {
  me: defineEndpoint({
    summary: 'The logged-in driver.',
    method: 'GET',
    path: '/api/me',
    auth: 'driver',
    response: driverViewSchema,
  }),
  listPlates: defineEndpoint({
    summary: "The driver's plates, oldest first.",
    method: 'GET',
    path: '/api/me/plates',
    auth: 'driver',
    response: platesAnswerSchema,
  }),
  bindPlate: defineEndpoint({
    summary: 'Bind a plate (binding one already bound is a no-op). Answers all plates.',
    method: 'POST',
    path: '/api/me/plates',
    auth: 'driver',
    body: z.object({ plate: z.string().trim().min(1).max(20) }),
    response: platesAnswerSchema,
    /** invalid_plate: not a plausible Chinese plate (400); plate_limit: MAX_PLATES already bound (409). */
    errors: ['invalid_plate', 'plate_limit'],
  }),
  unbindPlate: defineEndpoint({
    summary: 'Unbind a plate (by plateKey; a plate as typed works too). Answers the remaining plates.',
    method: 'DELETE',
    path: '/api/me/plates/:plateKey',
    auth: 'driver',
    params: z.object({ plateKey: z.string().trim().min(1).max(32) }),
    response: platesAnswerSchema,
    /** not_found: the driver has no such plate (404). */
    errors: ['not_found'],
  }),
} as const;
