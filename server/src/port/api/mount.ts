/**
 * Mounting a shared contract (shared/api) on a @koa/router Router:
 *
 *   mount(router, meEndpoints.bindPlate, async ({ body, driver }) => ({ plates: … }));
 *
 * For each request: auth ('driver': bearer token → driver, else 401 `unauthenticated`) → JSON body (only
 * application/json, at most 64 KB) → params, query and body parsed with the contract (400
 * `validation_failed`, the zod issues in `details`) → the handler → its answer parsed with the contract's
 * response schema and sent as parsed (fields the contract does not name are dropped, so nothing leaks by
 * accident). An answer that does not fit is our bug: logged, and the client gets a 500.
 *
 * Errors: throw AppError (core/errors.ts); the one error middleware answers `{error:{code,message}}`.
 * A code the contract does not declare is still answered, with a warning in the log.
 */
import { bodyParser } from '@koa/bodyparser';
import type Router from '@koa/router';
import type { Context, Middleware, Next } from 'koa';
import type { z } from 'zod';
import {
  COMMON_ERROR_CODES,
  FORBIDDEN_PARK,
  FORBIDDEN_ROLE,
  UNAUTHENTICATED,
  type ApiIssue,
  type EndpointDef,
  type ParsedRequestOf,
  type ResponseInputOf,
} from '../../../../shared/api/contract';
import type { AuditFacts, AuditFactsOf } from '../../../../shared/api/op-audit';
import type { Driver } from '../../core/identity/model';
import { AppError } from '../../core/errors';
import { HttpError } from '../http/errors';
import { assertParkAccess, type Operator } from '../../core/operators/model';
import { authenticateOperator, authenticateRequest, authenticatorOf, operatorAuthOf, type ApiState, type OperatorAuthDeps } from './driver-auth';

export const API_BODY_LIMIT = '64kb';

export interface HandlerArgs<E extends EndpointDef> extends ParsedRequestOf<E> {
  /** The logged-in driver on `auth: 'driver'` endpoints. */
  driver: E['auth'] extends 'driver' ? Driver : undefined;
  /** The logged-in operator on `auth: 'operator'` endpoints (park access already checked for `:parkNumber`). */
  operator: E['auth'] extends 'operator' ? Operator : undefined;
  /**
   * For what the contract does not cover (headers, the request's logger: ctx.state.log). Operator handlers
   * say what they acted on for the audit log with `auditFacts(ctx, endpoint, {plate: '粤B12345'})` (no secrets).
   */
  ctx: Context;
}

export type Handler<E extends EndpointDef> = (args: HandlerArgs<E>) => Promise<ResponseInputOf<E>>;

export interface MountOptions {
  /** JSON body limit (bytes or '64kb'-style). Default 64 KB. */
  bodyLimit?: string | number;
}

/** The JSON body parser of the app API: JSON only, small, errors coded. */
export function apiJsonBody(limit: string | number = API_BODY_LIMIT): Middleware {
  const parse = bodyParser({
    enableTypes: ['json'],
    jsonLimit: limit,
    jsonStrict: true,
    encoding: 'utf-8',
    onError(err) {
      const e = err as { status?: number; type?: string };
      if (e.status === 413 || e.type === 'entity.too.large') throw new HttpError('body_too_large', `the body is larger than ${limit}`, 413);
      if (e.status === 415 || e.type === 'encoding.unsupported') throw new HttpError('unsupported_media_type', 'send UTF-8 JSON', 415);
      throw new HttpError('bad_json', 'the body is not JSON');
    },
  }) as unknown as Middleware;
  return async (ctx: Context, next: Next) => {
    // ctx.is: null without a body, false for a body of another type (a form post, text). An empty POST
    // with no content type at all is let through: it is validated like {}.
    const typed = Boolean(ctx.get('content-type')) || (ctx.request.length ?? 0) > 0;
    if (typed && ctx.is('application/json', '+json') === false) {
      throw new HttpError('unsupported_media_type', 'the body must be application/json', 415);
    }
    await parse(ctx, next);
  };
}

function issuesOf(where: ApiIssue['in'], error: z.ZodError): ApiIssue[] {
  return error.issues.map((i) => ({ in: where, path: i.path.map((p) => (typeof p === 'symbol' ? String(p) : p)), message: i.message }));
}

/** Parse one part of the request with its schema (a missing schema takes nothing: {} or undefined). */
function parsePart(where: ApiIssue['in'], schema: z.ZodType | undefined, value: unknown, issues: ApiIssue[]): unknown {
  if (!schema) return where === 'body' ? undefined : {};
  const r = schema.safeParse(value);
  if (r.success) return r.data;
  issues.push(...issuesOf(where, r.error));
  return undefined;
}

const METHODS = { GET: 'get', POST: 'post', DELETE: 'delete' } as const;

type AuditState = ApiState & { auditTarget?: string; auditFacts?: AuditFacts };

/**
 * What an audited operator action was about (shared/api/op-audit.ts: the facts of each action), added to
 * what is known so far: call it before the work with what the request says (so a refusal is recorded with
 * it) and after with what came of it. The path params are recorded without asking.
 */
export function auditFacts<E extends EndpointDef>(ctx: Context, _endpoint: E, facts: AuditFactsOf<E>): void {
  const st = ctx.state as AuditState;
  const clean = Object.fromEntries(Object.entries(facts as Record<string, unknown>).filter(([, v]) => v !== undefined)) as AuditFacts;
  st.auditFacts = { ...st.auditFacts, ...clean };
}

/** The path params an audit entry keeps (the park is the entry's own field). */
function paramFacts(ctx: Context): AuditFacts {
  const out: AuditFacts = {};
  for (const [k, v] of Object.entries((ctx.params ?? {}) as Record<string, unknown>)) if (k !== 'parkNumber' && typeof v === 'string') out[k] = v;
  return out;
}

/**
 * An operator's call: authenticated, kept to the parks the operator may act on, and — when `audited` (every
 * action that changes something) — recorded with who, what, when and the result, refusals included.
 */
async function operatorCall(ctx: Context, next: Next, name: string, audited: boolean, opAuth: OperatorAuthDeps): Promise<void> {
  const op = await authenticateOperator(ctx, opAuth.authenticator);
  const parkNumber = typeof ctx.params?.parkNumber === 'string' ? ctx.params.parkNumber : undefined;
  let code: string | undefined;
  try {
    if (parkNumber !== undefined) assertParkAccess(op, parkNumber);
    await next();
  } catch (e) {
    code = e instanceof AppError ? e.code : 'internal';
    throw e;
  } finally {
    if (audited) {
      const st = ctx.state as AuditState;
      const facts = { ...paramFacts(ctx), ...st.auditFacts };
      await opAuth.audit
        .record({
          at: new Date(opAuth.clock?.now() ?? Date.now()),
          operatorId: op.id,
          username: op.username,
          ...(op.displayName ? { displayName: op.displayName } : {}),
          action: name,
          parkNumber,
          ...(Object.keys(facts).length ? { facts } : {}),
          target: st.auditTarget,
          result: code ? 'error' : 'ok',
          code,
        })
        .catch((err: unknown) => st.log?.error({ err, endpoint: name }, 'audit entry not written'));
    }
  }
}

export function mount<E extends EndpointDef>(router: Router, endpoint: E, handler: Handler<E>, options: MountOptions = {}): void {
  const name = `${endpoint.method} ${endpoint.path}`;
  const auth = authenticatorOf(router);
  // Fail at boot, not at the first request: a driver endpoint on a router nobody can authenticate on.
  if (endpoint.auth === 'driver' && !auth) {
    throw new Error(`${name}: auth 'driver' needs withDriverAuth(router, identity) (createApiRouter does it) before mount`);
  }
  const opAuth = operatorAuthOf(router);
  if (endpoint.auth === 'operator' && !opAuth) {
    throw new Error(`${name}: auth 'operator' needs withOperatorAuth(router, …) before mount`);
  }
  const declared = new Set<string>([
    ...COMMON_ERROR_CODES,
    ...(endpoint.errors ?? []),
    ...(endpoint.auth === 'driver' ? [UNAUTHENTICATED] : []),
    ...(endpoint.auth === 'operator' ? [UNAUTHENTICATED, FORBIDDEN_PARK, FORBIDDEN_ROLE] : []),
  ]);

  const chain: Middleware[] = [];
  // Auth before the body: an anonymous caller learns nothing about what the endpoint would accept.
  chain.push(async (ctx, next) => {
    ctx.set('cache-control', 'no-store');
    if (endpoint.auth === 'driver') await authenticateRequest(ctx, auth!);
    if (endpoint.auth === 'operator') return operatorCall(ctx, next, name, endpoint.method !== 'GET', opAuth!);
    await next();
  });
  if (endpoint.body) chain.push(apiJsonBody(options.bodyLimit));
  chain.push(async (ctx) => {
    const state = ctx.state as ApiState;
    const issues: ApiIssue[] = [];
    const params = parsePart('params', endpoint.params, { ...ctx.params }, issues);
    const query = parsePart('query', endpoint.query, { ...ctx.query }, issues);
    const body = parsePart('body', endpoint.body, ctx.request.body, issues);
    if (issues.length) {
      const first = issues[0]!;
      const at = [first.in, ...first.path].join('.');
      throw new HttpError('validation_failed', `${at}: ${first.message}`, 400, issues.slice(0, 20));
    }

    let answer: unknown;
    try {
      answer = await handler({ params, query, body, driver: state.driver, operator: state.operator, ctx } as HandlerArgs<E>);
    } catch (e) {
      if (e instanceof AppError && !declared.has(e.code)) {
        state.log?.warn({ endpoint: name, code: e.code }, 'answered an error code the contract does not declare');
      }
      throw e;
    }

    const checked = endpoint.response.safeParse(answer);
    if (!checked.success) {
      // Paths and messages only: the values may be personal data.
      state.log?.error(
        { endpoint: name, issues: checked.error.issues.slice(0, 10).map((i) => ({ path: i.path.map(String).join('.'), message: i.message })) },
        'our answer does not fit the contract',
      );
      throw new Error(`${name}: the answer does not fit the contract`);
    }
    ctx.status = 200;
    ctx.body = checked.data;
  });

  router[METHODS[endpoint.method]](endpoint.path, ...chain);
}
