import { AppError } from '../errors';

/** Every code the identity module fails with. How each is answered is the ports' choice (port/http/error-status.ts). */
export type IdentityErrorCode =
  | 'invalid_plate'
  | 'not_found'
  | 'not_offered'
  | 'plate_limit'
  | 'unauthenticated'
  | 'validation_failed';

export class IdentityError extends AppError<IdentityErrorCode> {
  readonly module = 'identity';
}
