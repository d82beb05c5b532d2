/**
 * Daily reconciliation for operators: a park's China day, ParkPay's payments against what the lot
 * reports it took (4.3 exit records' chargeList, 4.15 charge uploads), each payment once with what became
 * of it; and the takings by channel per day for the chart.
 *
 * Row statuses — differences to look into: `amount_differs`, `missing_at_lot` (the car left, the lot never
 * counted our payment), `missing_ours` (the lot counts a payment with our number we have no record of),
 * `refunded_but_at_lot`; as they should be: `matched`, `awaiting_lot` (the car is still in; the lot reports
 * payments when it leaves), `refunded`, `lot_only` (the lot's own takings: cash at the booth…),
 * `not_for_lot` (bookings: ParkPay's money, not a stay the lot reports).
 *
 * The same day as CSV (for a spreadsheet): GET {@link RECONCILIATION_CSV_PATH}?date=yyyy-MM-dd with the
 * operator's token; text/csv, UTF-8 with a BOM, amounts in yuan, times in China time.
 *
 * Roles: admins and park operators (merchants: 403 forbidden_role). Money is integer fen.
 */
import { z } from 'zod';
import { defineEndpoint } from './contract';

const parkNumber = z.string().trim().min(1).max(64);
const date = z.string().regex(/^\d{4}-\d{2}-\d{2}$/, 'a China date yyyy-MM-dd');

export const CHANNEL_NAMES = ['wechat', 'alipay', 'cash', 'unionpay', 'transit_card', 'other'] as const;
export const channelSchema = z.enum(CHANNEL_NAMES);
const byChannel = z.object(Object.fromEntries(CHANNEL_NAMES.map((c) => [c, z.number().int()])) as Record<(typeof CHANNEL_NAMES)[number], z.ZodNumber>);
const totals = z.object({ totalFen: z.number().int(), byChannel });

export const reconRowStatusSchema = z.enum(['matched', 'amount_differs', 'missing_at_lot', 'awaiting_lot', 'missing_ours', 'lot_only', 'refunded', 'refunded_but_at_lot', 'not_for_lot']);

/** The words of the console and of the CSV for each row status. */
export const RECON_STATUS_TEXT: Record<z.infer<typeof reconRowStatusSchema>, string> = {
  matched: '一致',
  amount_differs: '金额不一致',
  missing_at_lot: '车场缺少',
  awaiting_lot: '等待车场上报',
  missing_ours: '本系统缺少',
  lot_only: '车场自收',
  refunded: '已退款',
  refunded_but_at_lot: '已退款但车场计入',
  not_for_lot: '预约（不经车场）',
};

export const RECON_CHANNEL_TEXT: Record<(typeof CHANNEL_NAMES)[number], string> = { wechat: '微信', alipay: '支付宝', cash: '现金', unionpay: '银联', transit_card: '交通卡', other: '其他' };

/** What our payment paid for (its kind); a kind not named here is shown as it is. */
export const RECON_KIND_TEXT: Record<string, string> = {
  prepay: '场内预付',
  unlicensed_exit: '无牌车出口缴费',
  lane_qr: '车道扫码支付',
  booking: '预约',
  face_to_face: '岗亭付款码',
  withholding: '无感支付',
  pass: '月卡续费',
};

export const reconRowSchema = z.object({
  status: reconRowStatusSchema,
  channel: channelSchema,
  plate: z.string(),
  /** The lot's stay (4.2 orderId); a booking's number for bookings. */
  orderId: z.string(),
  at: z.iso.datetime().nullable(),
  ours: z.object({ ref: z.string(), kind: z.string(), amountFen: z.number().int(), refundedFen: z.number().int(), paidAt: z.iso.datetime() }).nullable(),
  lot: z
    .object({
      payNo: z.string(),
      sources: z.array(z.enum(['4.3', '4.15', '4.31'])),
      at: z.iso.datetime().nullable(),
      amountFen: z.number().int(),
      payKind: z.string(),
      payChannel: z.string(),
    })
    .nullable(),
  /** Lot amount − ours (when both have it). */
  differenceFen: z.number().int(),
  /** Money kept (ours net of refunds, or the lot's own). */
  takingsFen: z.number().int(),
});

export const dailyReconciliationSchema = z.object({
  parkNumber: z.string(),
  date: z.string(),
  from: z.iso.datetime(),
  to: z.iso.datetime(),
  generatedAt: z.iso.datetime(),
  summary: z.object({
    counts: z.record(reconRowStatusSchema, z.number().int()),
    differences: z.number().int(),
    ours: totals.extend({ refundedFen: z.number().int() }),
    lot: totals,
    takings: totals,
    /** Monthly passes of the day: sold online (ours, kind 'pass') and renewed at the booth (the lot's 4.31 rows). */
    passes: z.object({
      online: z.object({ count: z.number().int(), fen: z.number().int(), refundedFen: z.number().int() }),
      booth: z.object({ count: z.number().int(), fen: z.number().int() }),
    }),
  }),
  rows: z.array(reconRowSchema),
});
export type DailyReconciliationView = z.infer<typeof dailyReconciliationSchema>;

/** The CSV of one day (a hand-written route: the answer is text/csv, not JSON). */
export const RECONCILIATION_CSV_PATH = '/api/op/parks/:parkNumber/reconciliation/daily.csv';

const ROLE_ERRORS = ['park_unknown'] as const;

export const opReconciliationEndpoints = {
  daily: defineEndpoint({
    summary: "One China day of a park: every payment of either side with what became of it, and the day's totals.",
    method: 'GET',
    path: '/api/op/parks/:parkNumber/reconciliation/daily',
    auth: 'operator',
    params: z.object({ parkNumber }),
    query: z.object({ date }),
    response: dailyReconciliationSchema,
    errors: [...ROLE_ERRORS, 'invalid_date'],
  }),
  takings: defineEndpoint({
    summary: 'Takings by channel for each China day from..to (inclusive, at most 92 days): the chart.',
    method: 'GET',
    path: '/api/op/parks/:parkNumber/reconciliation/takings',
    auth: 'operator',
    params: z.object({ parkNumber }),
    query: z.object({ from: date, to: date }),
    response: z.object({
      channels: z.array(channelSchema),
      days: z.array(z.object({ date: z.string(), totalFen: z.number().int(), byChannel })),
    }),
    errors: [...ROLE_ERRORS, 'invalid_date', 'invalid_range'],
  }),
} as const;
