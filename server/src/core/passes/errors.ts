import { AppError } from '../errors';

/** Every code the passes module fails with. How each is answered is the ports' choice (port/http/error-status.ts). */
export type PassErrorCode =
  | 'duration_not_offered'
  | 'invalid_pass_offer'
  | 'invalid_plate'
  | 'no_pass_offer'
  | 'not_found'
  | 'order_not_payable'
  | 'park_unknown'
  | 'pass_extending'
  | 'passes_sold_out'
  | 'plate_not_on_whitelist'
  | 'plate_not_proved';

export class PassError extends AppError<PassErrorCode> {
  readonly module = 'passes';
}
