import { AppError } from '../errors';

/** Every code the operators module fails with. How each is answered is the ports' choice (port/http/error-status.ts). */
export type OperatorErrorCode =
  | 'account_disabled'
  | 'confirmation_expired'
  | 'confirmation_unknown'
  | 'confirmation_used'
  | 'forbidden_park'
  | 'forbidden_role'
  | 'invalid_credentials'
  | 'invalid_park_number'
  | 'invalid_url'
  | 'invalid_username'
  | 'lane_unknown'
  | 'login_locked'
  | 'lot_bad_answer'
  | 'lot_refused'
  | 'lot_unreachable'
  | 'not_found'
  | 'not_offered'
  | 'own_account'
  | 'park_exists'
  | 'park_unknown'
  | 'parks_required'
  | 'plate_too_short'
  | 'poster_font_missing'
  | 'stay_unknown'
  | 'unauthenticated'
  | 'username_taken'
  | 'validation_failed'
  | 'weak_password';

export class OperatorError extends AppError<OperatorErrorCode> {
  readonly module = 'operators';
}
