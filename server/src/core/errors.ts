/**
 * An expected failure with a code a client can act on. Core says what went wrong: `code` is one of its
 * module's closed union (core/<module>/errors.ts). Ports decide how to answer it: the app API with the
 * HTTP status of its table (port/http/error-status.ts) and `{error:{code,message}}`, the Bluecard port with
 * `{"status":"fail","errorCode":…}`.
 */
export abstract class AppError<C extends string = string> extends Error {
  /** The module whose codes `code` is one of: the ports' answers are kept per module. */
  abstract readonly module: string;

  constructor(
    /** Stable machine-readable code, e.g. 'park_unknown', 'quote_expired', 'validation_failed'. */
    readonly code: C,
    message: string,
    readonly details?: unknown,
  ) {
    super(message);
    this.name = 'AppError';
  }
}
