/**
 * Since v2.5.0 the up calls from 4.28 on carry a `method` and may share one URL: 4.28 "opengate",
 * 4.31 "parkingspacefee", 4.32 "fixedListUp". `commonUpRequest` reads `method` (any case, stray spaces,
 * even in the key) and parses the body with that interface's tolerant schema; issues keep their paths.
 */
import { z } from 'zod';
import type { Schema } from './common';
import { type OpenGateRequest, openGateRequest } from './lanepay';
import { type FixedListUpRequest, type RenewalsRequest, fixedListUpRequest, renewalsRequest } from './lists';

export const COMMON_UP_METHODS = ['opengate', 'parkingspacefee', 'fixedListUp'] as const;
export type CommonUpMethod = (typeof COMMON_UP_METHODS)[number];
export type CommonUpRequest = OpenGateRequest | RenewalsRequest | FixedListUpRequest;

const schemas: { [M in CommonUpMethod]: Schema<CommonUpRequest> } = {
  opengate: openGateRequest,
  parkingspacefee: renewalsRequest,
  fixedListUp: fixedListUpRequest,
};

const squash = (s: string) => s.replace(/\s+/g, '').toLowerCase();

/** The method a common up call names, or undefined when it names none we know. */
export function commonUpMethod(body: unknown): CommonUpMethod | undefined {
  if (typeof body !== 'object' || body === null || Array.isArray(body)) return undefined;
  const entry = Object.entries(body).find(([key]) => squash(key) === 'method');
  const value = entry?.[1];
  if (typeof value !== 'string') return undefined;
  return COMMON_UP_METHODS.find((m) => m.toLowerCase() === squash(value));
}

/** Dispatch on `method` to 4.28 / 4.31 / 4.32; the parsed value's `method` is the canonical name. */
export const commonUpRequest: Schema<CommonUpRequest> = z.unknown().transform((body, ctx) => {
  const method = commonUpMethod(body);
  if (method === undefined) {
    ctx.addIssue({ code: 'custom', path: ['method'], message: `method must be one of ${COMMON_UP_METHODS.join(', ')}` });
    return z.NEVER;
  }
  const result = schemas[method].safeParse(body);
  if (!result.success) {
    for (const issue of result.error.issues) ctx.addIssue({ code: 'custom', path: issue.path, message: issue.message });
    return z.NEVER;
  }
  return result.data;
});
