import { AppError } from '../errors';

/** Every code the orders module fails with. How each is answered is the ports' choice (port/http/error-status.ts). */
export type OrderErrorCode =
  | 'not_found'
  | 'order_not_payable'
  | 'park_unknown'
  | 'provider_mismatch'
  | 'provider_refused'
  | 'provider_unavailable'
  | 'provider_unreachable'
  | 'quote_expired'
  | 'quote_taken'
  | 'stay_unknown';

export class OrderError extends AppError<OrderErrorCode> {
  readonly module = 'orders';
}
