/**
 * The driver's payment history (缴费记录) and each payment's receipt: stays paid in the app (pre-pay and
 * at the exit lane), unlicensed exits, bookings (预约), deductions under a withholding agreement (无感支付),
 * and the refunds of any of them with their reason. A price the driver only looked at is never a payment.
 * Contracts: GET /api/me/payments, GET /api/me/payments/:ref. Money in fen; instants ISO; the lot's times
 * as it wrote them (China time "yyyy-MM-dd HH:mm:ss").
 */
import { z } from 'zod';
import { defineEndpoint } from './contract';

const fen = z.number().int().min(0);

/**
 * 'stay': a plated car's stay (pre-pay, or at the exit lane); 'unlicensed': a car without a plate at the
 * exit lane; 'booking': a booked place; 'deduction': taken at the lane under a withholding agreement;
 * 'pass': a monthly pass bought or renewed online.
 */
export const paymentKindSchema = z.enum(['stay', 'unlicensed', 'booking', 'deduction', 'pass']);
export type PaymentKind = z.infer<typeof paymentKindSchema>;

/** 'paying': started, the money not confirmed yet (or WeChat debits it later); 'paid': taken; then refunds. */
export const paymentStatusSchema = z.enum(['paying', 'paid', 'refunding', 'refunded']);
export type PaymentStatus = z.infer<typeof paymentStatusSchema>;

export const paymentRefundSchema = z.object({
  fen,
  /** Why (always recorded): "code: detail" for stays and bookings, words for deductions. */
  reason: z.string(),
  /** 'failed': the provider refused it; a person gives the money back. */
  state: z.enum(['pending', 'done', 'failed']),
  refundedAt: z.iso.datetime().nullable(),
});

export const paymentEntrySchema = z.object({
  /** Our number: the order number, or the deduction's number at the provider. What the receipt takes. */
  ref: z.string(),
  kind: paymentKindSchema,
  parkNumber: z.string(),
  parkName: z.string(),
  plate: z.string(),
  /** What was paid (or is being paid). */
  amountFen: fen,
  status: paymentStatusSchema,
  /** The wallet it was paid with; null while not chosen. */
  channel: z.enum(['wechat', 'alipay']).nullable(),
  /** When it was paid (else started). */
  at: z.iso.datetime(),
  /** A booking's title. */
  title: z.string().nullable(),
  refund: paymentRefundSchema.nullable(),
});
export type PaymentEntry = z.infer<typeof paymentEntrySchema>;

/**
 * One payment in full: what the driver may need to show (the park's staff, an employer's expense claim).
 * Grows with the app (invoices, sharing) as further sections, never by changing these fields.
 */
export const receiptSchema = paymentEntrySchema.extend({
  /** The lot's entry and exit (China time), when known; a booking's let-in window start as `inTime`. */
  inTime: z.string().nullable(),
  outTime: z.string().nullable(),
  stopMinutes: z.number().int().min(0).nullable(),
  /** The lot's figures at the time of paying, when the payment priced a stay. */
  chargeFen: fen.nullable(),
  discountFen: fen.nullable(),
  /** Paid before this payment (an earlier payment of the same stay, cash at the booth). */
  paidBeforeFen: fen.nullable(),
  paidAt: z.iso.datetime().nullable(),
  /** The provider's transaction number (WeChat transaction_id, Alipay trade_no). */
  transactionId: z.string().nullable(),
  /** Our refund number, when refunded. */
  refundNo: z.string().nullable(),
  booking: z.object({ bookingNo: z.string(), title: z.string(), letInStart: z.iso.datetime(), letInEnd: z.iso.datetime() }).nullable(),
});
export type ReceiptView = z.infer<typeof receiptSchema>;

export const historyEndpoints = {
  payments: defineEndpoint({
    summary: "The driver's payments, newest first: stays, bookings, agreement deductions, refunds with reasons.",
    method: 'GET',
    path: '/api/me/payments',
    auth: 'driver',
    response: z.object({ payments: z.array(paymentEntrySchema) }),
  }),
  receipt: defineEndpoint({
    summary: 'One payment of the driver as a receipt: park, plate, entry and exit, amount, channel, our and the provider’s numbers.',
    method: 'GET',
    path: '/api/me/payments/:ref',
    auth: 'driver',
    params: z.object({ ref: z.string().regex(/^[0-9A-Za-z]{6,32}$/, 'not a payment number') }),
    response: receiptSchema,
    errors: ['not_found'],
  }),
} as const;
