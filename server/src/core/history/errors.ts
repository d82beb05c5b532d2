import { AppError } from '../errors';

/** Every code the history module fails with. How each is answered is the ports' choice (port/http/error-status.ts). */
export type HistoryErrorCode =
  | 'not_found';

export class HistoryError extends AppError<HistoryErrorCode> {
  readonly module = 'history';
}
