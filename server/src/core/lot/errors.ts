import { AppError } from '../errors';

/** Every code the lot module fails with. How each is answered is the ports' choice (port/http/error-status.ts). */
export type LotErrorCode =
  | 'bad_image'
  | 'image_too_large'
  | 'lot_refused'
  | 'lot_slow'
  | 'lot_unreachable';

export class LotError extends AppError<LotErrorCode> {
  readonly module = 'lot';
}
