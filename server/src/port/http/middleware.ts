import { randomUUID } from 'node:crypto';
import type { Context, Next } from 'koa';
import type { Logger } from '../../logger';
import { AppError } from '../../core/errors';

export interface AppState {
  requestId: string;
  log: Logger;
  /** Set by a router whose errors answer in Bluecard's envelope instead of the app API's. */
  protocol?: 'bluecard';
}

const SAFE_ID = /^[\w.\-:]{1,64}$/;

/** Request id from `x-request-id` (when it looks sane) or a new one; echoed back; a child logger per request. */
export function requestContext(logger: Logger) {
  return async (ctx: Context, next: Next) => {
    const given = ctx.get('x-request-id');
    const requestId = SAFE_ID.test(given) ? given : randomUUID();
    ctx.state.requestId = requestId;
    ctx.state.log = logger.child({ reqId: requestId });
    ctx.set('x-request-id', requestId);
    const started = process.hrtime.bigint();
    try {
      await next();
    } finally {
      const ms = Number(process.hrtime.bigint() - started) / 1e6;
      // Path only: query strings may carry codes and tokens.
      ctx.state.log.info(
        { method: ctx.method, path: ctx.path, status: ctx.status, ms: Math.round(ms * 10) / 10 },
        'request',
      );
    }
  };
}

/** Body-parser and koa errors that carry an HTTP status we should pass through. */
function httpErrorOf(err: unknown): { status: number; code: string; message: string } | undefined {
  const e = err as { status?: number; statusCode?: number; type?: string; message?: string; expose?: boolean };
  const status = e?.status ?? e?.statusCode;
  if (typeof status !== 'number' || status < 400 || status >= 500) return undefined;
  const code =
    e.type === 'entity.too.large' ? 'body_too_large'
    : e.type === 'entity.parse.failed' ? 'bad_json'
    : e.type === 'encoding.unsupported' ? 'bad_encoding'
    : status === 415 ? 'unsupported_media_type'
    : 'bad_request';
  return { status, code, message: e.expose && e.message ? e.message : code };
}

/**
 * The one error middleware. Expected failures (AppError, 4xx from parsers) answer with their code;
 * anything else is logged with its stack and answers 500 without internals.
 */
export function errorHandler() {
  return async (ctx: Context, next: Next) => {
    try {
      await next();
      if (ctx.status === 404 && ctx.body === undefined) {
        throw new AppError('not_found', `no route for ${ctx.method} ${ctx.path}`, 404);
      }
    } catch (err) {
      const state = ctx.state as AppState;
      let status: number;
      let code: string;
      let message: string;
      let details: unknown;
      if (err instanceof AppError) {
        ({ status, code, message, details } = err);
      } else {
        const h = httpErrorOf(err);
        if (h) ({ status, code, message } = h);
        else {
          status = 500;
          code = 'internal';
          message = 'internal error';
          state.log?.error({ err }, 'unhandled error');
        }
      }
      if (state.protocol === 'bluecard') {
        // Bluecard reads the envelope, not the HTTP status: always 200 with status fail (spec §2).
        ctx.status = 200;
        ctx.body = { status: 'fail', errorCode: status === 500 ? 'internal error' : `${code}: ${message}` };
      } else {
        ctx.status = status;
        ctx.body = { error: { code, message, ...(details !== undefined ? { details } : {}) } };
      }
    }
  };
}
