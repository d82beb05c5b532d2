import { AppError } from '../errors';

/** Every code the messages module fails with. How each is answered is the ports' choice (port/http/error-status.ts). */
export type MessageErrorCode =
  | 'not_found'
  | 'unknown_template';

export class MessageError extends AppError<MessageErrorCode> {
  readonly module = 'messages';
}
