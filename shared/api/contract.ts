/**
 * The app API's contracts: one `defineEndpoint({...})` per endpoint, shared by the server (which mounts
 * it: server/src/port/api/mount.ts) and the mini-program (which calls it), in the manner of ts-rest.
 *
 * A contract says the method, the path (`/api/…/:param`), who may call it (`auth`), the zod schemas of
 * path params, query, body and the 200 answer, and the error codes it may answer. Every error answer has
 * one shape, `{error:{code,message,details?}}` (apiErrorSchema), whatever the endpoint.
 *
 * No Node-only imports here: this file is bundled into the mini-program (and no regex lookbehind: older
 * mini-program JS engines lack it).
 */
import { z } from 'zod';

export type HttpMethod = 'GET' | 'POST' | 'DELETE';
/**
 * 'none': anyone; 'driver': `Authorization: Bearer <session token>` of a logged-in driver;
 * 'operator': `Authorization: Bearer <operator session token>` (paths under `/api/op/`). An operator
 * endpoint with a `:parkNumber` path param is scoped: an operator of other parks gets 403 `forbidden_park`.
 */
export type AuthMode = 'none' | 'driver' | 'operator';

/** Any zod object schema (path params and query are always objects). */
export type ObjectSchema = z.ZodObject<z.ZodRawShape>;

export interface EndpointDef {
  readonly method: HttpMethod;
  /** Starts with `/api/`; `:name` segments are path params and must be the keys of `params`. */
  readonly path: string;
  readonly auth: AuthMode;
  readonly params?: ObjectSchema;
  readonly query?: ObjectSchema;
  /** Only POST has a body. */
  readonly body?: z.ZodType;
  /** The 200 answer. */
  readonly response: z.ZodType;
  /**
   * Error codes this endpoint may answer besides COMMON_ERROR_CODES (and `unauthenticated`, implied by
   * auth 'driver'). The server warns in its log when an endpoint answers a code it did not declare.
   */
  readonly errors?: readonly string[];
  /** One line for people reading the contract. */
  readonly summary?: string;
}

/** Codes any endpoint may answer. */
export const COMMON_ERROR_CODES = [
  /** The params, query or body do not fit the contract; `details` lists the zod issues. (400) */
  'validation_failed',
  /** The body is not JSON. (400) */
  'bad_json',
  /** The body is larger than the server takes. (413) */
  'body_too_large',
  /** A body that is not application/json. (415) */
  'unsupported_media_type',
  /** Anything unexpected; the server logged it. (500) */
  'internal',
] as const;

/**
 * How long the mini-program waits for an answer before it says the network failed. The server answers
 * anything that waits on a parking lot well before this (server/src/adapter/bluecard/calls.ts
 * DRIVER_WAIT_BUDGET_MS), so a slow lot is never blamed on the driver's phone.
 */
export const APP_GIVE_UP_MS = 15_000;

/** Answered by every `auth: 'driver'` or `auth: 'operator'` endpoint without a valid session token. (401) */
export const UNAUTHENTICATED = 'unauthenticated';
/** Answered by operator endpoints: the park is not one of the operator's (403). */
export const FORBIDDEN_PARK = 'forbidden_park';
/** Answered by operator endpoints: the operator's role may not do this (403). */
export const FORBIDDEN_ROLE = 'forbidden_role';

export const apiIssueSchema = z.object({
  /** Which part of the request: 'params', 'query' or 'body'. */
  in: z.enum(['params', 'query', 'body']),
  /** Path into that part, e.g. ['plate']; [] for the part itself. */
  path: z.array(z.union([z.string(), z.number()])),
  message: z.string(),
});
export type ApiIssue = z.infer<typeof apiIssueSchema>;

/** Every error answer of the app API. `details` is present on validation_failed (ApiIssue[]) and may be elsewhere. */
export const apiErrorSchema = z.object({
  error: z.object({ code: z.string(), message: z.string(), details: z.unknown().optional() }),
});
export type ApiErrorBody = z.infer<typeof apiErrorSchema>;

// ── path params, at the type level and at run time ─────────────────────────────────────────────

/** `'/api/me/plates/:plateKey'` → `'plateKey'`. */
export type PathParamNames<P extends string> = P extends `${string}:${infer Name}/${infer Rest}`
  ? Name | PathParamNames<`/${Rest}`>
  : P extends `${string}:${infer Name}`
    ? Name
    : never;

type Equal<A, B> = [A] extends [B] ? ([B] extends [A] ? true : false) : false;

/**
 * What makes a definition acceptable beyond EndpointDef: path params and the `params` schema name the same
 * keys, and GET/DELETE have no body. A mismatch asks for a property of a message type, so tsc points at it.
 */
type ParamsCheck<E extends EndpointDef> = [PathParamNames<E['path']>] extends [never]
  ? E['params'] extends ObjectSchema
    ? { params: 'the path has no :params' }
    : unknown
  : E['params'] extends ObjectSchema
    ? Equal<keyof z.input<E['params']> & string, PathParamNames<E['path']>> extends true
      ? unknown
      : { params: `params must have exactly the keys ${PathParamNames<E['path']>}` }
    : { params: `params must have exactly the keys ${PathParamNames<E['path']>}` };
type BodyCheck<E extends EndpointDef> = E['method'] extends 'POST'
  ? unknown
  : E['body'] extends z.ZodType
    ? { body: 'only POST has a body' }
    : unknown;

const PARAM = /:([A-Za-z_][A-Za-z0-9_]*)/g;

/** The `:name`s of a path, in order. */
export function pathParamNames(path: string): string[] {
  const names: string[] = [];
  const re = new RegExp(PARAM.source, 'g');
  for (let m = re.exec(path); m; m = re.exec(path)) names.push(m[1]!);
  return names;
}

/**
 * Define one endpoint. Returns the definition itself (typed exactly), after checking what types cannot:
 * the path starts with /api/, each path param appears once and matches a key of `params`.
 */
export function defineEndpoint<const E extends EndpointDef>(def: E & ParamsCheck<E> & BodyCheck<E>): E {
  const e = def as E;
  const where = `${e.method} ${e.path}`;
  if (!e.path.startsWith('/api/')) throw new Error(`${where}: the path must start with /api/`);
  const names = pathParamNames(e.path);
  if (new Set(names).size !== names.length) throw new Error(`${where}: a path param is named twice`);
  const keys = e.params ? Object.keys(e.params.shape) : [];
  const missing = names.filter((n) => !keys.includes(n));
  const extra = keys.filter((k) => !names.includes(k));
  if (missing.length || extra.length) {
    throw new Error(`${where}: params schema keys [${keys.join(', ')}] must be the path params [${names.join(', ')}]`);
  }
  if (e.body && e.method !== 'POST') throw new Error(`${where}: only POST has a body`);
  return e;
}

// ── inferred types ──────────────────────────────────────────────────────────────────────────────

type InputOf<S> = S extends z.ZodType ? z.input<S> : never;
type OutputOf<S> = S extends z.ZodType ? z.output<S> : never;
type Simplify<T> = { [K in keyof T]: T[K] } & {};

/** What a client sends: `params` when the path has any, `query` (optional) when declared, `body` when declared. */
export type RequestOf<E extends EndpointDef> = Simplify<
  (E['params'] extends ObjectSchema ? { params: InputOf<E['params']> } : { params?: undefined }) &
    (E['query'] extends ObjectSchema ? { query?: InputOf<E['query']> } : { query?: undefined }) &
    (E['body'] extends z.ZodType ? { body: InputOf<E['body']> } : { body?: undefined })
>;

/** The 200 answer as the client receives it. */
export type ResponseOf<E extends EndpointDef> = OutputOf<E['response']>;

/** What the server's handler gets after the contract parsed the request. */
export interface ParsedRequestOf<E extends EndpointDef> {
  params: E['params'] extends ObjectSchema ? OutputOf<E['params']> : Record<string, never>;
  query: E['query'] extends ObjectSchema ? OutputOf<E['query']> : Record<string, never>;
  body: E['body'] extends z.ZodType ? OutputOf<E['body']> : undefined;
}

/** What the server's handler returns; the contract checks (and strips) it before it is sent. */
export type ResponseInputOf<E extends EndpointDef> = InputOf<E['response']>;

// ── client helpers ──────────────────────────────────────────────────────────────────────────────

/** The path with its params filled in (URL-encoded: plates are Chinese). Throws when one is missing. */
export function buildPath<E extends EndpointDef>(
  endpoint: E,
  ...[params]: E['params'] extends ObjectSchema ? [params: InputOf<E['params']>] : [params?: undefined]
): string {
  const given = (params ?? {}) as Record<string, unknown>;
  return endpoint.path.replace(PARAM, (_m, name: string) => {
    const v = given[name];
    if (v === undefined || v === null || v === '') throw new Error(`${endpoint.method} ${endpoint.path}: param ${name} is missing`);
    return encodeURIComponent(String(v));
  });
}

/** `?a=1&b=x` from a flat query object (undefined values left out), '' when empty. */
export function buildQuery(query: Record<string, unknown> | undefined): string {
  if (!query) return '';
  const parts: string[] = [];
  for (const [k, v] of Object.entries(query)) {
    if (v === undefined || v === null) continue;
    for (const one of Array.isArray(v) ? v : [v]) parts.push(`${encodeURIComponent(k)}=${encodeURIComponent(String(one))}`);
  }
  return parts.length ? `?${parts.join('&')}` : '';
}

export interface PreparedRequest {
  method: HttpMethod;
  /** Path and query, to put after the API's base URL. */
  url: string;
  headers: Record<string, string>;
  /** JSON text, when the endpoint has a body. */
  body?: string;
}

/**
 * Everything the mini-program's one request wrapper needs to call an endpoint: URL, headers (the bearer
 * token when the endpoint wants a driver), JSON body.
 */
export function prepareRequest<E extends EndpointDef>(endpoint: E, req: RequestOf<E>, token?: string): PreparedRequest {
  const r = req as { params?: Record<string, unknown>; query?: Record<string, unknown>; body?: unknown };
  const path = (buildPath as (e: EndpointDef, p?: Record<string, unknown>) => string)(endpoint, r.params);
  const headers: Record<string, string> = { accept: 'application/json' };
  if (endpoint.auth === 'driver' || endpoint.auth === 'operator') {
    if (!token) throw new Error(`${endpoint.method} ${endpoint.path}: needs a ${endpoint.auth}'s session token`);
    headers.authorization = `Bearer ${token}`;
  }
  const out: PreparedRequest = { method: endpoint.method, url: path + buildQuery(r.query), headers };
  if (endpoint.body) {
    headers['content-type'] = 'application/json';
    out.body = JSON.stringify(r.body ?? {});
  }
  return out;
}

/** The `{error:{code,message}}` of an answer, or undefined when the body is not one. */
export function apiErrorOf(body: unknown): ApiErrorBody['error'] | undefined {
  const p = apiErrorSchema.safeParse(body);
  return p.success ? p.data.error : undefined;
}
