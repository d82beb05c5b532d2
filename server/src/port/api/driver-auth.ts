/**
 * The app API's authentication: `Authorization: Bearer <session token>` → the logged-in driver.
 *
 * Two ways to use it:
 *  - `mount()` does it for every contract with `auth: 'driver'`, using the authenticator registered for its
 *    router (`withDriverAuth(router, identity)`, done by createApiRouter);
 *  - `driverAuth(authenticator)`: a Koa middleware for a hand-written route; it puts the driver in
 *    `ctx.state.driver` or answers 401 `unauthenticated`.
 */
import type Router from '@koa/router';
import type { Context, Middleware, Next } from 'koa';
import type { Driver } from '../../core/identity/model';
import type { AuditLog, Operator, OperatorAuthenticator } from '../../core/operators/model';
import type { Clock } from '../../core/clock';
import type { DriverAuthenticator } from '../../core/identity/service';
import { AppError } from '../../core/errors';
import { HttpError } from '../http/errors';
import type { AppState } from '../http/middleware';

export type { DriverAuthenticator };

/** ctx.state on the app API's routes. */
export interface ApiState extends AppState {
  /** The authenticated driver (routes with auth 'driver'). */
  driver?: Driver;
  /** The authenticated operator (routes with auth 'operator'). */
  operator?: Operator;
}

const BEARER = /^Bearer +(\S+)\s*$/i;

/** The bearer token of the request, or undefined when there is no well-formed `Authorization: Bearer …`. */
export function bearerToken(ctx: Context): string | undefined {
  const m = BEARER.exec(ctx.get('authorization'));
  return m ? m[1] : undefined;
}

function unauthenticated(ctx: Context, message: string): AppError {
  // RFC 6750 §3: a 401 to a bearer-token API says which scheme it wants.
  ctx.set('www-authenticate', 'Bearer realm="parkpay"');
  return new HttpError('unauthenticated', message, 401);
}

/** The request's driver, or a 401 `unauthenticated` AppError. Sets ctx.state.driver. */
export async function authenticateRequest(ctx: Context, auth: DriverAuthenticator): Promise<Driver> {
  const token = bearerToken(ctx);
  if (!token) throw unauthenticated(ctx, 'log in first: Authorization: Bearer <token> is missing');
  const driver = await auth.authenticate(token);
  if (!driver) throw unauthenticated(ctx, 'the session is unknown, expired or logged out: log in again');
  (ctx.state as ApiState).driver = driver;
  return driver;
}

/** Koa middleware for hand-written routes: 401 unless the request carries a live session. */
export function driverAuth(auth: DriverAuthenticator): Middleware {
  return async (ctx: Context, next: Next) => {
    await authenticateRequest(ctx, auth);
    await next();
  };
}

const registered = new WeakMap<Router, DriverAuthenticator>();

/** Make `mount()` on this router authenticate `auth: 'driver'` contracts with `auth`. */
export function withDriverAuth<R extends Router>(router: R, auth: DriverAuthenticator): R {
  registered.set(router, auth);
  return router;
}

export function authenticatorOf(router: Router): DriverAuthenticator | undefined {
  return registered.get(router);
}

/** The operator side: how mount() authenticates `auth: 'operator'` contracts and where it audits them. */
export interface OperatorAuthDeps {
  authenticator: OperatorAuthenticator;
  audit: AuditLog;
  /** Stamps audit entries (default: the system clock); pass the app's injected Clock. */
  clock?: Clock;
}

const operatorRegistered = new WeakMap<Router, OperatorAuthDeps>();

/** Make `mount()` on this router authenticate (and audit) `auth: 'operator'` contracts. */
export function withOperatorAuth<R extends Router>(router: R, deps: OperatorAuthDeps): R {
  operatorRegistered.set(router, deps);
  return router;
}

export function operatorAuthOf(router: Router): OperatorAuthDeps | undefined {
  return operatorRegistered.get(router);
}

/** The request's operator, or a 401 `unauthenticated` AppError. Sets ctx.state.operator. */
export async function authenticateOperator(ctx: Context, auth: OperatorAuthenticator): Promise<Operator> {
  const token = bearerToken(ctx);
  if (!token) throw unauthenticated(ctx, 'log in as an operator first: Authorization: Bearer <token> is missing');
  const op = await auth.authenticateOperator(token);
  if (!op) throw unauthenticated(ctx, 'the operator session is unknown, expired or logged out: log in again');
  (ctx.state as ApiState).operator = op;
  return op;
}
