/**
 * Fees, payments and their status: the driver at a barrier (or before driving to it).
 * Contracts: POST /api/fees/prepay, POST /api/unlicensed/entry, POST /api/unlicensed/exit-fee,
 * POST /api/orders/:orderNo/pay, GET /api/orders/:orderNo, POST /api/orders/:orderNo/cancel, GET /api/orders.
 * Money is integer fen; the app formats it.
 */
import { z } from 'zod';
import { defineEndpoint } from './contract';

/** Which wallet the driver pays (and, for unlicensed cars, scans) with: the mini-program's platform. */
export const walletSchema = z.enum(['wechat', 'alipay']);
export type Wallet = z.infer<typeof walletSchema>;

const fen = z.number().int().min(0);
const parkNumber = z.string().trim().min(1).max(64);
const passagewayId = z.string().trim().min(1).max(32);

/** The fee of a stay with its parts. `order` is present when there is something to pay. */
export const feeSchema = z.object({
  parkNumber: z.string(),
  plate: z.string(),
  inTime: z.string(),
  stopMinutes: z.number().int().min(0),
  chargeFen: fen,
  paidFen: fen,
  discountFen: fen,
  payFen: fen,
  /** Minutes the driver has to leave once paid. */
  paidFreeMinutes: z.number().int().min(0),
  order: z.object({ orderNo: z.string(), status: z.string(), expiresAt: z.iso.datetime() }).nullable(),
  /**
   * ParkPay coupons of this stay (given by the park or a shop): 'applied' ones are already in discountFen
   * (the lot counts them); 'pending' ones are not confirmed by the lot yet (a money coupon then counts at
   * the exit); 'used' were taken off at the exit. amount: minutes for 'hours', fen for 'money'.
   */
  coupons: z
    .array(z.object({ kind: z.enum(['hours', 'money']), amount: z.number().int().min(0), end: z.iso.datetime(), state: z.enum(['applied', 'pending', 'used']), from: z.string().nullable() }))
    .optional(),
  /**
   * The driver's own latest payment of this stay, when there was one (what paidFen counts): when it was paid,
   * and until when the car could leave without paying more — a fee after that is for the extra time (超时补缴).
   */
  lastPayment: z.object({ fen, paidAt: z.iso.datetime(), leaveBy: z.iso.datetime() }).nullable().optional(),
});
export type FeeView = z.infer<typeof feeSchema>;

export const orderStatusSchema = z.enum(['quoted', 'pending', 'paid', 'delivered', 'closed', 'refunding', 'refunded']);
export type OrderStatusView = z.infer<typeof orderStatusSchema>;

export const orderViewSchema = z.object({
  orderNo: z.string(),
  /** 'booking': a booking bought from a park's offer (shared/api/bookings.ts); 'pass': a monthly pass (shared/api/passes.ts). */
  kind: z.enum(['prepay', 'unlicensed_exit', 'booking', 'lane_qr', 'pass']),
  parkNumber: z.string(),
  plate: z.string(),
  /** quoted → pending (paying) → paid (telling the lot) → delivered (the barrier opens); or closed / refunded. */
  status: orderStatusSchema,
  amountFen: fen,
  fee: z.object({ inTime: z.string(), stopMinutes: z.number().int(), chargeFen: fen, paidFen: fen, discountFen: fen, paidFreeMinutes: z.number().int() }),
  wallet: walletSchema.nullable(),
  createdAt: z.iso.datetime(),
  expiresAt: z.iso.datetime(),
  paidAt: z.iso.datetime().nullable(),
  deliveredAt: z.iso.datetime().nullable(),
  /** When the lot has been told: leave before this (paid free time). */
  leaveBy: z.iso.datetime().nullable(),
  refund: z.object({ reason: z.string(), fen, state: z.enum(['pending', 'done']), refundedAt: z.iso.datetime().nullable() }).nullable(),
  closedReason: z.string().nullable(),
  /** The car has left the park (the lot's exit record): the time to leave no longer counts down. */
  leftAt: z.iso.datetime().nullable().optional(),
});
export type OrderView = z.infer<typeof orderViewSchema>;

export const payParamsSchema = z.discriminatedUnion('wallet', [
  z.object({
    wallet: z.literal('wechat'),
    /** Pass as is to wx.requestPayment / Taro.requestPayment. */
    requestPayment: z.object({ appId: z.string(), timeStamp: z.string(), nonceStr: z.string(), package: z.string(), signType: z.literal('RSA'), paySign: z.string() }),
  }),
  z.object({
    wallet: z.literal('alipay'),
    /** Pass to my.tradePay({ tradeNO }). */
    tradeNo: z.string(),
  }),
]);
export type PayParamsView = z.infer<typeof payParamsSchema>;

const orderNoParams = z.object({ orderNo: z.string().regex(/^[0-9A-Za-z]{6,32}$/, 'not an order number') });

export const orderEndpoints = {
  prepayFee: defineEndpoint({
    summary: "The fee of a car in the park by its plate (bound or typed), priced by the lot now.",
    method: 'POST',
    path: '/api/fees/prepay',
    auth: 'driver',
    body: z.object({ parkNumber, plate: z.string().trim().min(1).max(20) }),
    response: feeSchema,
    errors: ['park_unknown', 'stay_unknown', 'lot_unreachable', 'lot_slow', 'lot_refused', 'quote_taken'],
  }),
  unlicensedEntry: defineEndpoint({
    summary: 'An unlicensed car at an entry lane: the lot gives it a temporary plate tied to the wallet identity.',
    method: 'POST',
    path: '/api/unlicensed/entry',
    auth: 'driver',
    body: z.object({ parkNumber, passagewayId, wallet: walletSchema }),
    response: z.object({ parkNumber: z.string(), plate: z.string(), inTime: z.string(), inImage: z.string() }),
    errors: ['park_unknown', 'wallet_not_linked', 'lot_unreachable', 'lot_refused'],
  }),
  unlicensedExitFee: defineEndpoint({
    summary: 'An unlicensed car at an exit lane: its stay, found by the same wallet identity, priced.',
    method: 'POST',
    path: '/api/unlicensed/exit-fee',
    auth: 'driver',
    body: z.object({ parkNumber, passagewayId, wallet: walletSchema }),
    response: feeSchema,
    errors: ['park_unknown', 'wallet_not_linked', 'lot_unreachable', 'lot_slow', 'lot_refused', 'quote_taken'],
  }),
  pay: defineEndpoint({
    summary: 'Start (or continue) paying an order; answers what the wallet needs.',
    method: 'POST',
    path: '/api/orders/:orderNo/pay',
    auth: 'driver',
    params: orderNoParams,
    body: z.object({ wallet: walletSchema }),
    response: z.object({ order: orderViewSchema, pay: payParamsSchema }),
    errors: ['not_found', 'wallet_not_linked', 'provider_mismatch', 'order_not_payable', 'quote_expired', 'provider_unavailable', 'provider_unreachable', 'provider_refused'],
  }),
  order: defineEndpoint({
    summary: "One of the driver's orders; poll it after paying (a late payment is looked up).",
    method: 'GET',
    path: '/api/orders/:orderNo',
    auth: 'driver',
    params: orderNoParams,
    response: orderViewSchema,
    errors: ['not_found'],
  }),
  cancel: defineEndpoint({
    summary: 'Give up paying an order (if the wallet took the money after all, it proceeds as paid).',
    method: 'POST',
    path: '/api/orders/:orderNo/cancel',
    auth: 'driver',
    params: orderNoParams,
    body: z.object({}).optional(),
    response: orderViewSchema,
    errors: ['not_found'],
  }),
  orders: defineEndpoint({
    summary: "The driver's orders, newest first (history: payments, refunds with reasons).",
    method: 'GET',
    path: '/api/orders',
    auth: 'driver',
    response: z.object({ orders: z.array(orderViewSchema) }),
  }),
} as const;
