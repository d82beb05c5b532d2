import { AppError } from '../errors';

/** Every code the parking module fails with. How each is answered is the ports' choice (port/http/error-status.ts). */
export type ParkingErrorCode =
  | 'car_not_here'
  | 'confirm_locked'
  | 'link_expired'
  | 'not_confirmed'
  | 'not_found'
  | 'park_unknown'
  | 'plate_invalid'
  | 'validation_failed';

export class ParkingError extends AppError<ParkingErrorCode> {
  readonly module = 'parking';
}
