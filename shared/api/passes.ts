/**
 * Monthly passes (月卡) online: a park's offer (operators set it), a plate's validity per area, and buying or
 * renewing a pass for 1, 3, 6 or 12 months, paid like any order (an order of kind 'pass'). The driver is
 * told "已续费至 yyyy-MM-dd" (`notice`) only once the lot accepted the new dates; a lot that refuses, or
 * stays unreachable beyond the limit, gives the money back and the reason is shown.
 *
 * Money is integer fen; validity is in China days (yyyy-MM-dd, both ends included), as the lot keeps it.
 */
import { z } from 'zod';
import { defineEndpoint } from './contract';
import { orderStatusSchema, payParamsSchema, walletSchema } from './orders';

const fen = z.number().int().min(0);
const parkNumber = z.string().trim().min(1).max(64);
const parkParams = z.object({ parkNumber });
const day = z.string().regex(/^\d{4}-\d{2}-\d{2}$/);
const purchaseNoParams = z.object({ purchaseNo: z.string().regex(/^[0-9A-Za-z]{6,32}$/, 'not a purchase number') });

export const passMonthsSchema = z.union([z.literal(1), z.literal(3), z.literal(6), z.literal(12)]);

export const passOfferViewSchema = z.object({
  parkNumber: z.string(),
  /** The lot's areas (heartbeat areaId) the pass covers. */
  areaIds: z.array(z.number().int()),
  prices: z.array(z.object({ months: passMonthsSchema, priceFen: fen })),
  /** false: only plates already on the lot's monthly list may renew (a plate the driver has proved theirs here). */
  newPlates: z.boolean(),
  text: z.string(),
});
export type PassOfferView = z.infer<typeof passOfferViewSchema>;

export const plateValiditySchema = z.object({
  /**
   * 'lot': asked now (4.8); 'lot_list': the lot's list as it last sent it (4.32); 'ours': our purchases;
   * 'none': no pass; 'hidden': not shown — a plate the driver has not proved theirs here (paid a stay here,
   * entered without a plate, or confirmed a stay's entry: POST /api/parks/:parkNumber/plate-proofs) and holds
   * no pass of from here. Whether a plate is on the lot's monthly list says where its driver goes every day.
   */
  source: z.enum(['lot', 'lot_list', 'ours', 'none', 'hidden']),
  start: day.nullable(),
  end: day.nullable(),
  areas: z.array(z.object({ areaId: z.number().int(), start: day.nullable(), end: day.nullable() })),
});

/** awaiting_payment → extending (paid, the lot being told) → active (the lot accepted); or refunded / closed. */
export const purchaseStateSchema = z.enum(['awaiting_payment', 'extending', 'active', 'refunded', 'closed']);

export const purchaseViewSchema = z.object({
  purchaseNo: z.string(),
  parkNumber: z.string(),
  plate: z.string(),
  months: passMonthsSchema,
  priceFen: fen,
  areaIds: z.array(z.number().int()),
  state: purchaseStateSchema,
  /** The new last valid day, once the lot accepted it. */
  validTo: day.nullable(),
  /** The driver's words for the state: "已续费至 2027-01-31" once accepted; the refund's reason when refunded. */
  notice: z.string(),
  order: z.object({ orderNo: z.string(), status: orderStatusSchema, expiresAt: z.iso.datetime(), wallet: z.enum(['wechat', 'alipay']).nullable() }).nullable(),
  refund: z.object({ fen, state: z.enum(['pending', 'done']), reason: z.string() }).nullable(),
  createdAt: z.iso.datetime(),
});
export type PurchaseView = z.infer<typeof purchaseViewSchema>;

export const passEndpoints = {
  plate: defineEndpoint({
    summary: "A plate's monthly pass in a park: the offer on sale, the validity per area (the lot's), and the driver's purchases of it.",
    method: 'GET',
    path: '/api/parks/:parkNumber/passes/:plate',
    auth: 'driver',
    params: z.object({ parkNumber, plate: z.string().trim().min(1).max(20) }),
    response: z.object({
      offer: passOfferViewSchema.nullable(),
      validity: plateValiditySchema,
      purchases: z.array(purchaseViewSchema),
      /** The lot's areas by the names its heartbeat gives them. */
      areas: z.array(z.object({ areaId: z.number().int(), name: z.string() })),
    }),
    errors: ['park_unknown', 'invalid_plate'],
  }),
  buy: defineEndpoint({
    summary:
      'Buy or renew a plate’s pass for a duration (priced from the offer; pay it next). The same plate and duration again while unpaid answers the same purchase. A renewals-only offer answers plate_not_proved (403) for a plate the driver has not proved theirs here, whether or not it is on the lot’s list.',
    method: 'POST',
    path: '/api/parks/:parkNumber/passes',
    auth: 'driver',
    params: parkParams,
    body: z.object({ plate: z.string().trim().min(1).max(20), months: passMonthsSchema }),
    response: purchaseViewSchema,
    errors: ['park_unknown', 'invalid_plate', 'no_pass_offer', 'duration_not_offered', 'plate_not_proved', 'plate_not_on_whitelist', 'passes_sold_out', 'pass_extending'],
  }),
  pay: defineEndpoint({
    summary: 'Start (or continue) paying a pass purchase; answers what the wallet needs.',
    method: 'POST',
    path: '/api/passes/:purchaseNo/pay',
    auth: 'driver',
    params: purchaseNoParams,
    body: z.object({ wallet: walletSchema }),
    response: z.object({ purchase: purchaseViewSchema, pay: payParamsSchema }),
    errors: ['not_found', 'wallet_not_linked', 'provider_mismatch', 'order_not_payable', 'quote_expired', 'provider_unavailable', 'provider_unreachable', 'provider_refused'],
  }),
  purchase: defineEndpoint({
    summary: "One of the driver's pass purchases (poll it after paying: 'active' once the lot accepted).",
    method: 'GET',
    path: '/api/passes/:purchaseNo',
    auth: 'driver',
    params: purchaseNoParams,
    response: purchaseViewSchema,
    errors: ['not_found'],
  }),
  mine: defineEndpoint({
    summary: "The driver's pass purchases, newest first.",
    method: 'GET',
    path: '/api/passes',
    auth: 'driver',
    response: z.object({ purchases: z.array(purchaseViewSchema) }),
  }),
};

export const opPassOfferSchema = z.object({
  areaIds: z.array(z.number().int().min(0)).min(1).max(50),
  prices: z.array(z.object({ months: passMonthsSchema, priceFen: z.number().int().min(1).max(10_000_000) })).min(1).max(4),
  newPlates: z.boolean(),
  maxPasses: z.number().int().min(1).max(100_000),
  text: z.string().max(500),
  status: z.enum(['on_sale', 'withdrawn']).optional(),
});
export type OpPassOfferInput = z.infer<typeof opPassOfferSchema>;

export const opPassOfferViewSchema = opPassOfferSchema.extend({
  parkNumber: z.string(),
  status: z.enum(['on_sale', 'withdrawn']),
  updatedBy: z.string(),
  updatedAt: z.iso.datetime(),
});

export const opPassEndpoints = {
  offer: defineEndpoint({
    summary: "The park's pass offer (null: none yet) and the lot's areas from its latest heartbeat.",
    method: 'GET',
    path: '/api/op/parks/:parkNumber/pass-offer',
    auth: 'operator',
    params: parkParams,
    response: z.object({ offer: opPassOfferViewSchema.nullable(), areas: z.array(z.object({ areaId: z.number().int(), name: z.string() })) }),
    errors: ['park_unknown'],
  }),
  putOffer: defineEndpoint({
    summary: "Set the park's pass offer: areas, price per duration (one month required), new plates or renewals only, how many passes at once, the drivers' text.",
    method: 'POST',
    path: '/api/op/parks/:parkNumber/pass-offer',
    auth: 'operator',
    params: parkParams,
    body: opPassOfferSchema,
    response: opPassOfferViewSchema,
    errors: ['park_unknown', 'invalid_pass_offer'],
  }),
  purchases: defineEndpoint({
    summary: "The park's pass purchases, newest first, with what became of each.",
    method: 'GET',
    path: '/api/op/parks/:parkNumber/pass-purchases',
    auth: 'operator',
    params: parkParams,
    response: z.object({ purchases: z.array(purchaseViewSchema.extend({ driverId: z.string() })) }),
    errors: ['park_unknown'],
  }),
};
