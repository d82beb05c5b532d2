/**
 * The mini-program's one request wrapper: `call(endpoint, request)` for every contract in shared/api.
 *
 * - The URL, headers and body come from the contract (prepareRequest: params URL-encoded, the bearer token
 *   when the endpoint wants a driver, JSON body).
 * - The base URL comes from the platform (H5: same origin; weapp/alipay: the API_BASE build constant).
 * - The session token lives in Taro storage; a driver endpoint logs in first when there is none, and once
 *   more when the server says the token is no longer good (401 unauthenticated).
 * - A 200 answer is validated with the contract's zod response schema: an answer that does not fit is an
 *   error (`bad_response`), never half-read data.
 * - Every failure is an ApiError {code, message}: the API's own error body, `network` when no answer came,
 *   `http_<status>` for an error answer without the API's error shape.
 */
import Taro from '@tarojs/taro';
import { authEndpoints, type SessionAnswer } from '@shared/api/auth';
import { APP_GIVE_UP_MS, apiErrorOf, prepareRequest, type EndpointDef, type PreparedRequest, type RequestOf, type ResponseOf } from '@shared/api/contract';
import { apiBase, platform } from './platform';
import { takePrefetched } from './prefetch';
import { load, remove, save } from './storage';
import { noteServerTime, serverNow } from './serverClock';

export class ApiError extends Error {
  constructor(
    readonly code: string,
    message: string,
    /** HTTP status, when an answer came. */
    readonly status?: number,
    readonly details?: unknown,
  ) {
    super(message);
    this.name = 'ApiError';
  }
}

/** Any thrown thing as {code, message} for the screens. */
export function errorOf(e: unknown): { code: string; message: string } {
  if (e instanceof ApiError) return { code: e.code, message: e.message };
  return { code: 'internal', message: e instanceof Error ? e.message : String(e) };
}

const SESSION_KEY = 'parkpay.session';
const DEMO_NAME_KEY = 'parkpay.demoName';
/** The server answers anything waiting on a lot well before this (shared/api/contract.ts). */
const TIMEOUT_MS = APP_GIVE_UP_MS;

interface StoredSession {
  token: string;
  expiresAt: string;
}

export function sessionToken(): string | undefined {
  const s = load<StoredSession>(SESSION_KEY);
  if (!s || typeof s.token !== 'string' || !s.token) return undefined;
  if (Date.parse(s.expiresAt) <= serverNow()) return undefined;
  return s.token;
}

export function saveSession(answer: Pick<SessionAnswer, 'token' | 'expiresAt'>): void {
  save(SESSION_KEY, { token: answer.token, expiresAt: answer.expiresAt });
}

export function clearSession(): void {
  remove(SESSION_KEY);
}

/** The H5 demo's driver name, as the driver typed it (components/DemoLogin.tsx asks); undefined until then. */
export function demoName(): string | undefined {
  const stored = load<string>(DEMO_NAME_KEY);
  return typeof stored === 'string' && stored ? stored : undefined;
}

/** Log in as another demo driver from the next call on (or as nobody: undefined, the app asks again). */
export function setDemoName(name: string | undefined): void {
  if (name) save(DEMO_NAME_KEY, name);
  else remove(DEMO_NAME_KEY);
  clearSession();
}

interface RawAnswer {
  status: number;
  data: unknown;
}

/**
 * One HTTP exchange through Taro.request; no answer at all → ApiError 'network'. A public GET the H5 page
 * already asked for while loading (services/prefetch.ts) is answered from there, once.
 */
async function send(prepared: PreparedRequest): Promise<RawAnswer> {
  if (prepared.method === 'GET' && !prepared.headers.authorization && prepared.url.startsWith('/')) {
    const early = await takePrefetched(prepared.url);
    if (early) return early;
  }
  try {
    const sentAt = Date.now();
    const res = await Taro.request({
      url: /^https?:\/\//.test(prepared.url) ? prepared.url : apiBase() + prepared.url,
      method: prepared.method,
      header: prepared.headers,
      ...(prepared.body !== undefined ? { data: prepared.body } : {}),
      dataType: 'json',
      timeout: TIMEOUT_MS,
    });
    noteServerTime(res.header as Record<string, unknown> | undefined, sentAt, Date.now());
    let data: unknown = res.data;
    // Some platforms hand back text when the body is not JSON (or dataType was ignored).
    if (typeof data === 'string' && data.trim().startsWith('{')) {
      try {
        data = JSON.parse(data);
      } catch {
        // leave it: it will not fit the schema
      }
    }
    return { status: res.statusCode, data };
  } catch (e) {
    const why = (e as { errMsg?: string; message?: string })?.errMsg ?? (e as Error)?.message ?? String(e);
    throw new ApiError('network', `网络连接失败，请检查网络后重试（${why}）`);
  }
}

function describeIssues(issues: { path: PropertyKey[]; message: string }[]): string {
  return issues
    .slice(0, 3)
    .map((i) => `${i.path.map(String).join('.') || '(answer)'}: ${i.message}`)
    .join('; ');
}

/** Send a prepared request to an endpoint and read the answer by its contract. */
async function exchange<E extends EndpointDef>(endpoint: E, prepared: PreparedRequest): Promise<ResponseOf<E>> {
  const { status, data } = await send(prepared);
  if (status < 200 || status >= 300) {
    const err = apiErrorOf(data);
    if (err) throw new ApiError(err.code, err.message, status, err.details);
    throw new ApiError(`http_${status}`, `服务器返回了错误（HTTP ${status}）`, status);
  }
  const parsed = endpoint.response.safeParse(data);
  if (!parsed.success) {
    throw new ApiError(
      'bad_response',
      `服务器的应答与约定不符（${endpoint.method} ${endpoint.path}: ${describeIssues(parsed.error.issues)}）`,
      status,
      parsed.error.issues,
    );
  }
  return parsed.data as ResponseOf<E>;
}

// ── login ───────────────────────────────────────────────────────────────────────────────────────────

/** A WeChat wx.login code. */
async function wechatCode(): Promise<string> {
  const r = await Taro.login();
  if (!r.code) throw new ApiError('login_failed', `微信登录失败（${r.errMsg ?? 'no code'}）`);
  return r.code;
}

/** An Alipay my.getAuthCode authCode (scope auth_base: no consent screen). */
function alipayCode(): Promise<string> {
  return new Promise((resolve, reject) => {
    if (typeof my === 'undefined' || !my) {
      reject(new ApiError('login_failed', '支付宝登录不可用'));
      return;
    }
    my.getAuthCode({
      scopes: 'auth_base',
      success: (r) => (r.authCode ? resolve(r.authCode) : reject(new ApiError('login_failed', '支付宝登录失败（没有 authCode）'))),
      fail: (e) => reject(new ApiError('login_failed', `支付宝登录失败（${e?.errorMessage ?? e?.error ?? 'fail'}）`)),
    });
  });
}

let loggingIn: Promise<string> | undefined;
let loginRound = 0;

/** Log in on this platform and keep the session; concurrent callers share one login. */
export function login(): Promise<string> {
  if (loggingIn) return loggingIn;
  const mine = ++loginRound;
  const attempt = (async () => {
    try {
      // Not before this: a failure before the first await would finish (and clear) before it is shared.
      await Promise.resolve();
      const p = platform();
      let answer: SessionAnswer;
      if (p === 'weapp') {
        answer = await exchange(authEndpoints.wechat, prepareRequest(authEndpoints.wechat, { body: { code: await wechatCode() } }));
      } else if (p === 'alipay') {
        answer = await exchange(authEndpoints.alipay, prepareRequest(authEndpoints.alipay, { body: { code: await alipayCode() } }));
      } else {
        // The demo asks the driver who they are rather than making someone up (ErrorState shows the form).
        const name = demoName();
        if (!name) throw new ApiError('demo_login_needed', '请先输入演示用户的名字');
        answer = await exchange(authEndpoints.demo, prepareRequest(authEndpoints.demo, { body: { name } }));
      }
      saveSession(answer);
      return answer.token;
    } finally {
      if (loginRound === mine) loggingIn = undefined;
    }
  })();
  loggingIn = attempt;
  return attempt;
}

/** The stored session token, logging in when there is none. */
export async function ensureSession(): Promise<string> {
  return sessionToken() ?? login();
}

// ── the one call ────────────────────────────────────────────────────────────────────────────────────

/**
 * Call an endpoint of the app API. Resolves with the answer as its contract types it; rejects with an
 * ApiError.
 */
export async function call<E extends EndpointDef>(endpoint: E, request: RequestOf<E>): Promise<ResponseOf<E>> {
  if (endpoint.auth !== 'driver') return exchange(endpoint, prepareRequest(endpoint, request));
  const token = await ensureSession();
  try {
    return await exchange(endpoint, prepareRequest(endpoint, request, token));
  } catch (e) {
    // The token expired or was revoked: log in again, once.
    if (e instanceof ApiError && e.status === 401 && e.code === 'unauthenticated') {
      clearSession();
      const fresh = await login();
      return exchange(endpoint, prepareRequest(endpoint, request, fresh));
    }
    throw e;
  }
}

/**
 * Call an endpoint with a session token the caller keeps: the operator pages (packages/op) hold the
 * operator's token apart from the driver's session and pass it here for `auth: 'operator'` contracts.
 * No login on 401: the caller decides (the operator logs in again).
 */
export async function callWithToken<E extends EndpointDef>(endpoint: E, request: RequestOf<E>, token: string): Promise<ResponseOf<E>> {
  return exchange(endpoint, prepareRequest(endpoint, request, token));
}

/** A plain JSON request outside the contracts (the demo's sandbox helpers). */
export async function rawJson(url: string, method: 'GET' | 'POST', body?: unknown): Promise<RawAnswer> {
  return send({
    method,
    url,
    headers: body !== undefined ? { accept: 'application/json', 'content-type': 'application/json' } : { accept: 'application/json' },
    ...(body !== undefined ? { body: JSON.stringify(body) } : {}),
  });
}
