/**
 * An expected failure with a code a client can act on. Ports map it to their answer: the app API to an
 * HTTP status and `{error:{code,message}}`, the Bluecard port to `{"status":"fail","errorCode":…}`.
 */
export class AppError extends Error {
  constructor(
    /** Stable machine-readable code, e.g. 'park_unknown', 'bad_sign', 'validation_failed'. */
    readonly code: string,
    message: string,
    /** HTTP status for the app API. */
    readonly status = 400,
    readonly details?: unknown,
  ) {
    super(message);
    this.name = 'AppError';
  }
}

export const notFound = (what: string) => new AppError('not_found', `${what} not found`, 404);
