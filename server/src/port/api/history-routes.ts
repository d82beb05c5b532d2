/**
 * GET /api/me/payments and GET /api/me/payments/:ref (contracts: shared/api/history.ts): the session's
 * driver's payments and receipts only — another driver's number reads as not found.
 */
import type Router from '@koa/router';
import { historyEndpoints, type PaymentEntry as PaymentEntryView, type ReceiptView } from '../../../../shared/api/history';
import type { HistoryService, PaymentEntry, Receipt } from '../../core/history/service';
import { mount } from './mount';

const iso = (d: Date | null) => (d ? d.toISOString() : null);

function entryView(e: PaymentEntry): PaymentEntryView {
  return { ...e, at: e.at.toISOString(), refund: e.refund ? { ...e.refund, refundedAt: iso(e.refund.refundedAt) } : null };
}

function receiptView(r: Receipt): ReceiptView {
  return {
    ...r,
    ...entryView(r),
    paidAt: iso(r.paidAt),
    booking: r.booking ? { ...r.booking, letInStart: r.booking.letInStart.toISOString(), letInEnd: r.booking.letInEnd.toISOString() } : null,
  };
}

export function mountHistoryRoutes(router: Router, history: HistoryService): void {
  mount(router, historyEndpoints.payments, async ({ driver }) => ({ payments: (await history.payments(driver.id)).map(entryView) }));
  mount(router, historyEndpoints.receipt, async ({ driver, params }) => receiptView(await history.receipt(driver.id, params.ref)));
}
