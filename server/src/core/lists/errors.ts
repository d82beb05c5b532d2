import { AppError } from '../errors';

/** Every code the lists module fails with. How each is answered is the ports' choice (port/http/error-status.ts). */
export type ListErrorCode =
  | 'bad_csv'
  | 'confirmation_expired'
  | 'confirmation_invalid'
  | 'invalid_entry'
  | 'invalid_plates'
  | 'list_full'
  | 'lot_refused'
  | 'lot_unreachable'
  | 'not_found'
  | 'nothing_to_send'
  | 'park_unknown';

export class ListError extends AppError<ListErrorCode> {
  readonly module = 'lists';
}
