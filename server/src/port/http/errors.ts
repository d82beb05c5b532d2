import { AppError } from '../../core/errors';

/** A failure a port finds itself (auth, the body, the request's shape, rate limits): it says its own status. */
export class HttpError extends AppError {
  readonly module = 'http';

  constructor(
    code: string,
    message: string,
    /** HTTP status for the app API. */
    readonly status = 400,
    details?: unknown,
  ) {
    super(code, message, details);
  }
}
