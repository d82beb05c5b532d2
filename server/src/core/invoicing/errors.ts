import { AppError } from '../errors';

/** Every code the invoicing module fails with. How each is answered is the ports' choice (port/http/error-status.ts). */
export type InvoiceErrorCode =
  | 'already_invoiced'
  | 'invoice_refused'
  | 'invoice_unavailable'
  | 'not_cancellable'
  | 'not_found'
  | 'not_issued'
  | 'not_paid'
  | 'nothing_left'
  | 'provider_unavailable'
  | 'refund_pending'
  | 'title_invalid'
  | 'title_page_required'
  | 'title_page_unavailable'
  | 'title_required'
  | 'validation_failed';

export class InvoiceError extends AppError<InvoiceErrorCode> {
  readonly module = 'invoicing';
}
