/**
 * Coupons for operators and merchants (Bluecard 4.23 and 4.24).
 *
 * Give a car in the park an hour coupon (minutes) or a money coupon (fen). The coupon goes to the lot at
 * once (4.23) and says what became of it:
 *  - `at_lot`: the lot has it; it is in the driver's fee;
 *  - `refused`: the lot said no (`refusal` says why); nothing was given;
 *  - `unconfirmed`: the lot did not answer clearly; ParkPay sends it again with the same code (a few times,
 *    backing off), or now with …/redeliver; a money coupon still unconfirmed when the car is at the exit is
 *    taken off there (4.13) → `used_at_exit`;
 *  - `revoked`: revoked before the lot confirmed it. The protocol has no call to take a coupon back from the
 *    lot: a coupon at the lot cannot be revoked (409 coupon_at_lot).
 * `requestId` makes giving idempotent: send the same one again (a retry, a double click) and get the same
 * coupon; another coupon under a used requestId is refused (409 request_id_reused).
 *
 * Fixed coupon codes: a code (PPQ + 10 characters) a shop prints as a QR or bar code; the booth scanner at
 * the exit reads it (4.24) and the stay gets the coupon once. Optionally limited to maxUses stays.
 *
 * Roles: admins and park operators see and manage every coupon of their parks; merchants give coupons and
 * see and manage the ones they gave.
 */
import { z } from 'zod';
import { defineEndpoint } from './contract';

export const couponStatusSchema = z.enum(['issuing', 'at_lot', 'unconfirmed', 'refused', 'used_at_exit', 'revoked']);
export type CouponStatusView = z.infer<typeof couponStatusSchema>;

const issuerSchema = z.object({ username: z.string(), role: z.enum(['admin', 'operator', 'merchant']), displayName: z.string().nullable() });

export const couponViewSchema = z.object({
  couponCode: z.string(),
  parkNumber: z.string(),
  kind: z.enum(['hours', 'money']),
  /** Hour coupons: minutes (4.23 position); else null. */
  minutes: z.number().int().nullable(),
  /** Money coupons: fen (4.23 position); else null. */
  fen: z.number().int().nullable(),
  end: z.iso.datetime(),
  /** The stay (Bluecard's orderId) and its plate. */
  orderId: z.string(),
  plate: z.string(),
  status: couponStatusSchema,
  /** '4.23': given here; '4.24': a fixed code scanned at the booth. */
  via: z.enum(['4.23', '4.24']),
  fixedCode: z.string().nullable(),
  issuer: issuerSchema,
  /** 4.23 calls made. */
  attempts: z.number().int(),
  /** When ParkPay sends an unconfirmed coupon again by itself (null: not any more). */
  nextAttemptAt: z.iso.datetime().nullable(),
  lastError: z.string().nullable(),
  /** The lot's reason for 'refused'. */
  refusal: z.string().nullable(),
  usedAtExit: z.object({ outTradeNo: z.string(), fen: z.number().int(), at: z.iso.datetime() }).nullable(),
  revoked: z.object({ at: z.iso.datetime(), by: z.string() }).nullable(),
  memo: z.string(),
  createdAt: z.iso.datetime(),
  updatedAt: z.iso.datetime(),
});
export type CouponView = z.infer<typeof couponViewSchema>;

export const fixedCodeViewSchema = z.object({
  code: z.string(),
  parkNumber: z.string(),
  kind: z.enum(['hours', 'money']),
  minutes: z.number().int().nullable(),
  fen: z.number().int().nullable(),
  end: z.iso.datetime(),
  maxUses: z.number().int().nullable(),
  uses: z.number().int(),
  disabled: z.boolean(),
  label: z.string(),
  issuer: issuerSchema,
  createdAt: z.iso.datetime(),
});
export type FixedCodeView = z.infer<typeof fixedCodeViewSchema>;

const parkNumber = z.string().trim().min(1).max(64);
const parkParams = z.object({ parkNumber });
const couponParams = z.object({ parkNumber, couponCode: z.string().trim().min(1).max(80) });
const fixedParams = z.object({ parkNumber, code: z.string().trim().min(1).max(20) });
const minutes = z.number().int().min(1).max(7 * 24 * 60);
const fen = z.number().int().min(1).max(100_000);
const end = z.iso.datetime({ offset: true });

/** What to give: `{kind:'hours', minutes}` or `{kind:'money', fen}`. */
const amount = z.discriminatedUnion('kind', [z.object({ kind: z.literal('hours'), minutes }), z.object({ kind: z.literal('money'), fen })]);

const ISSUE_ERRORS = ['park_unknown', 'car_required', 'stay_unknown', 'stay_ended', 'plate_mismatch', 'invalid_amount', 'invalid_end', 'request_id_reused'] as const;
const COUPON_ERRORS = ['not_found'] as const;

export const opCouponEndpoints = {
  issue: defineEndpoint({
    summary: 'Give a car in the park a coupon (by plate, or by the orderId of its stay); it goes to the lot at once (4.23).',
    method: 'POST',
    path: '/api/op/parks/:parkNumber/coupons',
    auth: 'operator',
    params: parkParams,
    body: z.intersection(
      z.object({
        /** Your idempotency key: 8–64 of [A-Za-z0-9_-]; the same key gets the same coupon. */
        requestId: z.string().regex(/^[A-Za-z0-9_-]{8,64}$/, '8–64 characters of A-Z a-z 0-9 _ -'),
        plate: z.string().trim().min(1).max(20).optional(),
        orderId: z.string().trim().min(1).max(64).optional(),
        /** Valid until (default: 24 hours from now; at most 90 days ahead). */
        end: end.optional(),
        memo: z.string().trim().max(100).optional(),
      }),
      amount,
    ),
    response: couponViewSchema,
    errors: ISSUE_ERRORS,
  }),
  list: defineEndpoint({
    summary: 'Coupons of the park, newest first (merchants: the ones they gave).',
    method: 'GET',
    path: '/api/op/parks/:parkNumber/coupons',
    auth: 'operator',
    params: parkParams,
    query: z.object({
      plate: z.string().trim().min(1).max(20).optional(),
      status: couponStatusSchema.optional(),
      limit: z.coerce.number().int().min(1).max(500).optional(),
    }),
    response: z.object({ coupons: z.array(couponViewSchema) }),
  }),
  get: defineEndpoint({
    summary: 'One coupon.',
    method: 'GET',
    path: '/api/op/parks/:parkNumber/coupons/:couponCode',
    auth: 'operator',
    params: couponParams,
    response: couponViewSchema,
    errors: COUPON_ERRORS,
  }),
  revoke: defineEndpoint({
    summary: 'Revoke a coupon the lot has not confirmed (the protocol cannot take one back from the lot).',
    method: 'POST',
    path: '/api/op/parks/:parkNumber/coupons/:couponCode/revoke',
    auth: 'operator',
    params: couponParams,
    response: couponViewSchema,
    /** coupon_at_lot, coupon_used (taken off at the exit), coupon_in_flight (being sent right now): 409. */
    errors: [...COUPON_ERRORS, 'coupon_at_lot', 'coupon_used', 'coupon_in_flight'],
  }),
  redeliver: defineEndpoint({
    summary: 'Send an unconfirmed coupon to the lot again now (same code); other coupons are answered as they are.',
    method: 'POST',
    path: '/api/op/parks/:parkNumber/coupons/:couponCode/redeliver',
    auth: 'operator',
    params: couponParams,
    response: couponViewSchema,
    errors: [...COUPON_ERRORS, 'park_unknown'],
  }),
  createFixed: defineEndpoint({
    summary: 'Make a fixed coupon code for the booth scanner (4.24).',
    method: 'POST',
    path: '/api/op/parks/:parkNumber/fixed-coupons',
    auth: 'operator',
    params: parkParams,
    body: z.intersection(
      z.object({
        /** Scans are accepted until then; the coupon it gives is valid until then (at most 90 days ahead). */
        end,
        /** At most this many stays (none: no limit). */
        maxUses: z.number().int().min(1).max(1_000_000).optional(),
        label: z.string().trim().max(60).optional(),
      }),
      amount,
    ),
    response: fixedCodeViewSchema,
    errors: ['park_unknown', 'invalid_amount', 'invalid_end', 'invalid_max_uses'],
  }),
  listFixed: defineEndpoint({
    summary: 'Fixed coupon codes of the park (merchants: their own).',
    method: 'GET',
    path: '/api/op/parks/:parkNumber/fixed-coupons',
    auth: 'operator',
    params: parkParams,
    response: z.object({ codes: z.array(fixedCodeViewSchema) }),
  }),
  disableFixed: defineEndpoint({
    summary: 'Stop a fixed code (coupons already given stay).',
    method: 'POST',
    path: '/api/op/parks/:parkNumber/fixed-coupons/:code/disable',
    auth: 'operator',
    params: fixedParams,
    response: fixedCodeViewSchema,
    errors: ['not_found'],
  }),
  enableFixed: defineEndpoint({
    summary: 'Start a stopped fixed code again.',
    method: 'POST',
    path: '/api/op/parks/:parkNumber/fixed-coupons/:code/enable',
    auth: 'operator',
    params: fixedParams,
    response: fixedCodeViewSchema,
    errors: ['not_found'],
  }),
};
