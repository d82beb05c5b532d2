import { AppError } from '../errors';

/** Every code the reconciliation module fails with. How each is answered is the ports' choice (port/http/error-status.ts). */
export type ReconciliationErrorCode =
  | 'invalid_date'
  | 'invalid_range'
  | 'park_unknown';

export class ReconciliationError extends AppError<ReconciliationErrorCode> {
  readonly module = 'reconciliation';
}
