/**
 * E-invoices (电子发票) for what the driver paid, and the operator's view of a park's invoices.
 * Contracts: GET /api/invoices, GET /api/invoices/for-payment, POST /api/invoices, GET /api/invoices/:invoiceId,
 * POST /api/invoices/:invoiceId/title-page, …/title-done, …/cancel; GET /api/op/parks/:parkNumber/invoices,
 * POST /api/op/parks/:parkNumber/invoices/:invoiceId/resend. The PDF: the view's `pdfUrl` (a short-lived link).
 *
 * One invoice per payment; amounts in fen, net of refunds. A payment refunded after its invoice was issued has
 * its fapiao reversed (红冲); what is left, if anything, is issued again.
 */
import { z } from 'zod';
import { defineEndpoint } from './contract';

const fen = z.number().int().min(0);

/** What can be invoiced: an order (stay, unlicensed exit, booking, lane QR), a 无感支付 deduction, a monthly pass. */
export const paidItemKindSchema = z.enum(['order', 'deduction', 'pass']);
export const paidItemRefSchema = z.object({ kind: paidItemKindSchema, ref: z.string().regex(/^[0-9A-Za-z_-]{6,64}$/, 'not a payment number') });
export type PaidItemRefInput = z.infer<typeof paidItemRefSchema>;

/** TAX_NUMBER: 统一社会信用代码 (18) or an older 纳税人识别号 (15 or 20), letters and digits. */
export const invoiceTitleSchema = z.object({
  type: z.enum(['personal', 'company']),
  name: z.string().trim().min(1).max(100),
  taxNumber: z.string().trim().max(20).optional(),
  email: z.string().trim().max(100).optional(),
  phone: z.string().trim().max(20).optional(),
});
export type InvoiceTitleInput = z.infer<typeof invoiceTitleSchema>;

export const invoiceStatusSchema = z.enum(['awaiting_title', 'issuing', 'issued', 'reversing', 'reversed', 'cancelled', 'failed']);
export type InvoiceStatusView = z.infer<typeof invoiceStatusSchema>;

/** What the app says for each status. */
export const INVOICE_STATUS_LABELS: Record<InvoiceStatusView, string> = {
  awaiting_title: '待填写抬头',
  issuing: '开票中',
  issued: '已开票',
  reversing: '红冲中',
  reversed: '已红冲',
  cancelled: '已取消',
  failed: '开票失败',
};

export const fapiaoViewSchema = z.object({
  fapiaoId: z.string(),
  /** requested → accepted → issued → reversing → reversed */
  state: z.enum(['requested', 'accepted', 'issued', 'reversing', 'reversed']),
  totalFen: fen,
  taxFen: fen.nullable(),
  code: z.string().nullable(),
  number: z.string().nullable(),
  /** When the tax office issued it (as the provider wrote it). */
  issuedAt: z.string().nullable(),
  /** The red fapiao of its reversal. */
  red: z.object({ code: z.string(), number: z.string(), time: z.string().nullable() }).nullable(),
  /** In the driver's WeChat card package: INSERTED, DISCARDED, … */
  cardStatus: z.string().nullable(),
});

export const invoiceViewSchema = z.object({
  id: z.string(),
  status: invoiceStatusSchema,
  /** The current fapiao's amount (net of refunds). */
  totalFen: fen,
  provider: z.string(),
  titleSource: z.enum(['typed', 'provider']),
  title: invoiceTitleSchema.extend({ taxNumber: z.string().nullable(), email: z.string().nullable(), phone: z.string().nullable() }).nullable(),
  /** While awaiting the title: WeChat's title page (navigateToMiniProgram, or the URL). */
  titlePage: z.object({ url: z.string(), miniprogram: z.object({ appId: z.string(), path: z.string() }) }).nullable(),
  items: z.array(z.object({ kind: paidItemKindSchema, ref: z.string(), parkNumber: z.string(), plate: z.string() })),
  /** Every fapiao, the current one last (earlier ones were reversed). */
  fapiao: z.array(fapiaoViewSchema),
  /** The current fapiao's PDF while it is issued: a link valid a few minutes (no login needed). */
  pdfUrl: z.string().nullable(),
  /** Why it failed or was cancelled. */
  reason: z.string().nullable(),
  createdAt: z.iso.datetime(),
  updatedAt: z.iso.datetime(),
});
export type InvoiceView = z.infer<typeof invoiceViewSchema>;

export const invoiceOptionSchema = z.object({
  payment: z.object({ kind: paidItemKindSchema, ref: z.string(), netFen: fen, provider: z.enum(['wechat', 'alipay']) }),
  invoice: invoiceViewSchema.nullable(),
  /** True: the driver may ask for an invoice of it now. */
  available: z.boolean(),
  /** Why not: already_invoiced, refund_pending, nothing_left, no_provider, not_paid. */
  reason: z.string().nullable(),
});
export type InvoiceOptionView = z.infer<typeof invoiceOptionSchema>;

const invoiceParams = z.object({ invoiceId: z.string().regex(/^IV[0-9A-Z]{6,30}$/, 'not an invoice number') });
const INVOICE_ERRORS = ['not_found', 'provider_unavailable'] as const;

export const invoiceEndpoints = {
  list: defineEndpoint({
    summary: "The driver's invoices, newest first.",
    method: 'GET',
    path: '/api/invoices',
    auth: 'driver',
    response: z.object({ invoices: z.array(invoiceViewSchema) }),
  }),
  forPayment: defineEndpoint({
    summary: 'Whether a payment can be invoiced now, and its invoice when it has one (the receipt page).',
    method: 'GET',
    path: '/api/invoices/for-payment',
    auth: 'driver',
    query: paidItemRefSchema,
    response: invoiceOptionSchema,
    errors: ['not_found'],
  }),
  request: defineEndpoint({
    summary: 'Ask for one invoice of these payments, titled as typed — or, with title null, on WeChat’s title page.',
    method: 'POST',
    path: '/api/invoices',
    auth: 'driver',
    body: z.object({ items: z.array(paidItemRefSchema).min(1).max(20), title: invoiceTitleSchema.nullable() }),
    response: invoiceViewSchema,
    errors: [
      ...INVOICE_ERRORS,
      'already_invoiced',
      'refund_pending',
      'nothing_left',
      'not_paid',
      'invoice_unavailable',
      'title_invalid',
      'title_required',
      'title_page_required',
      'title_page_unavailable',
      'invoice_refused',
    ],
  }),
  get: defineEndpoint({
    summary: 'One invoice of the driver.',
    method: 'GET',
    path: '/api/invoices/:invoiceId',
    auth: 'driver',
    params: invoiceParams,
    response: invoiceViewSchema,
    errors: ['not_found'],
  }),
  titlePage: defineEndpoint({
    summary: 'A fresh link to WeChat’s title page (the last one lapses after 30 minutes).',
    method: 'POST',
    path: '/api/invoices/:invoiceId/title-page',
    auth: 'driver',
    params: invoiceParams,
    body: z.object({}).optional(),
    response: invoiceViewSchema,
    errors: [...INVOICE_ERRORS],
  }),
  titleDone: defineEndpoint({
    summary: 'The driver is back from WeChat’s title page: the title is looked for now.',
    method: 'POST',
    path: '/api/invoices/:invoiceId/title-done',
    auth: 'driver',
    params: invoiceParams,
    body: z.object({}).optional(),
    response: invoiceViewSchema,
    errors: [...INVOICE_ERRORS],
  }),
  cancel: defineEndpoint({
    summary: 'Give up an invoice waiting for its title, or refused: its payments may be invoiced again.',
    method: 'POST',
    path: '/api/invoices/:invoiceId/cancel',
    auth: 'driver',
    params: invoiceParams,
    body: z.object({}).optional(),
    response: invoiceViewSchema,
    errors: ['not_found', 'not_cancellable'],
  }),
} as const;

export const opInvoiceViewSchema = invoiceViewSchema.extend({
  driverId: z.string(),
  lastError: z.string().nullable(),
  events: z.array(z.object({ at: z.iso.datetime(), what: z.string() })),
});
export type OpInvoiceView = z.infer<typeof opInvoiceViewSchema>;

const opParams = z.object({ parkNumber: z.string().trim().min(1).max(64) });

export const opInvoiceEndpoints = {
  list: defineEndpoint({
    summary: "The park's invoices (any with a payment of the park), newest first.",
    method: 'GET',
    path: '/api/op/parks/:parkNumber/invoices',
    auth: 'operator',
    params: opParams,
    query: z.object({ status: invoiceStatusSchema.optional(), limit: z.coerce.number().int().min(1).max(200).default(50), before: z.iso.datetime().optional() }),
    response: z.object({ invoices: z.array(opInvoiceViewSchema) }),
  }),
  resend: defineEndpoint({
    summary: 'Send an invoice again: a refused one is issued (or reversed) again, one under way is asked about now.',
    method: 'POST',
    path: '/api/op/parks/:parkNumber/invoices/:invoiceId/resend',
    auth: 'operator',
    params: opParams.extend({ invoiceId: invoiceParams.shape.invoiceId }),
    body: z.object({}).optional(),
    response: opInvoiceViewSchema,
    errors: ['not_found'],
  }),
} as const;
