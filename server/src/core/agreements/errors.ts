import { AppError } from '../errors';

/** Every code the agreements module fails with. How each is answered is the ports' choice (port/http/error-status.ts). */
export type AgreementErrorCode =
  | 'agreement_active'
  | 'deduction_conflict'
  | 'end_with_provider'
  | 'invalid_amount'
  | 'invalid_plate'
  | 'invalid_plate_color'
  | 'invalid_stay'
  | 'not_found'
  | 'park_unknown'
  | 'payer_required'
  | 'plate_not_bound'
  | 'provider_refused'
  | 'provider_unavailable'
  | 'provider_unreachable'
  | 'refund_conflict'
  | 'unauthenticated'
  | 'wallet_not_linked';

export class AgreementError extends AppError<AgreementErrorCode> {
  readonly module = 'agreements';
}
