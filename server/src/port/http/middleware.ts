import { randomUUID } from 'node:crypto';
import type { Context, Next } from 'koa';
import type { Logger } from '../../logger';
import { AppError } from '../../core/errors';
import { statusOf } from './error-status';
import { HttpError } from './errors';

export interface AppState {
  requestId: string;
  log: Logger;
  /** Set by a router whose errors answer in Bluecard's envelope instead of the app API's. */
  protocol?: 'bluecard';
  /**
   * Set by a route a page polls every second or so (the demo playground's state): its line goes to debug,
   * or it would bury everything else at info.
   */
  quietLog?: boolean;
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
      // Path only: query strings may carry codes and tokens. A polled route that answered well is quiet.
      const line = { method: ctx.method, path: ctx.path, status: ctx.status, ms: Math.round(ms * 10) / 10 };
      if (ctx.state.quietLog === true && ctx.status < 400) ctx.state.log.debug(line, 'request');
      else ctx.state.log.info(line, 'request');
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
 * The driver's errors that mean the database cannot be reached (not that an operation was wrong). Matched
 * by name: ports do not import the driver.
 */
const UNREACHABLE = new Set([
  'MongoNetworkError',
  'MongoNetworkTimeoutError',
  'MongoServerSelectionError',
  'MongoNotConnectedError',
  'MongoPoolClearedError',
  'MongoTopologyClosedError',
  'MongoServerClosedError',
]);

/** True when err (or what it was caused by) says the database is unreachable. */
export function isDatabaseUnreachable(err: unknown): boolean {
  let e = err as { name?: unknown; cause?: unknown } | undefined;
  for (let depth = 0; e && depth < 5; depth++, e = e.cause as typeof e) {
    if (typeof e.name === 'string' && UNREACHABLE.has(e.name)) return true;
  }
  return false;
}

export const databaseUnavailable = () => new HttpError('database_unavailable', 'database unavailable', 503);

/** Paths whose handlers need the database; the health checks and the H5 app's files do not. */
const NEEDS_DATABASE = /^\/(api|bluecard|notify)(\/|$)/;

/**
 * While the database is known to be down, requests that need it are answered 503 database_unavailable at
 * once (Retry-After: 1) instead of waiting on the driver; Bluecard's calls in its envelope, as always.
 */
export function databaseGate(available: () => boolean) {
  return async (ctx: Context, next: Next) => {
    if (NEEDS_DATABASE.test(ctx.path) && !available()) {
      if (/^\/bluecard(\/|$)/.test(ctx.path)) (ctx.state as AppState).protocol = 'bluecard';
      throw databaseUnavailable();
    }
    await next();
  };
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
        throw new HttpError('not_found', `no route for ${ctx.method} ${ctx.path}`, 404);
      }
    } catch (err) {
      const state = ctx.state as AppState;
      let status: number;
      let code: string;
      let message: string;
      let details: unknown;
      if (err instanceof AppError) {
        ({ code, message, details } = err);
        status = statusOf(err);
      } else if (isDatabaseUnreachable(err)) {
        ({ status, code, message } = databaseUnavailable());
        state.log?.warn({ err: { name: (err as Error).name, message: (err as Error).message } }, 'database unavailable');
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
      if (status === 503) ctx.set('retry-after', '1');
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
