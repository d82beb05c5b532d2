/**
 * WeChat mini-program login: code2Session (小程序登录, auth.code2Session).
 *
 *   GET {apiBase}/sns/jscode2session?appid=APPID&secret=SECRET&js_code=CODE&grant_type=authorization_code
 *   → {"openid":"…","session_key":"…","unionid":"…"?}   or   {"errcode":40029,"errmsg":"invalid code, rid: …"}
 *
 * WeChat answers JSON with Content-Type text/plain, so the body is read as text whatever the header says.
 * The app secret travels in the query (WeChat's design): the URL is never logged or put into an error, and
 * redirects are not followed (they would carry it elsewhere). session_key is dropped here: ParkPay does not
 * decrypt wx.getUserInfo/getPhoneNumber data, so it never holds the key at all.
 */
import type { WechatLoginProvider } from '../../core/identity/model';
import { ERRCODE_KINDS, WechatLoginError } from './errors';

export const DEFAULT_WECHAT_API_BASE = 'https://api.weixin.qq.com';
export const DEFAULT_WECHAT_LOGIN_TIMEOUT_MS = 5000;

/** The `wechatMiniProgram` block of config.ts. */
export interface WechatLoginConfig {
  /** The mini-program's AppID (wx…). */
  appId: string;
  /** The mini-program's AppSecret. */
  appSecret: string;
  /** Default https://api.weixin.qq.com; the sandbox's URL in demo mode and tests. */
  apiBaseUrl?: string;
}

export interface WechatLoginOptions {
  timeoutMs?: number;
  /** The HTTP seam; default: the global fetch. */
  fetch?: typeof fetch;
}

export interface WechatSession {
  openId: string;
  unionId?: string;
}

/** wx.login codes are 32 characters today; anything empty, huge or not printable ASCII is not one. */
const CODE = /^[\x21-\x7e]{1,128}$/;

export class WechatLoginClient implements WechatLoginProvider {
  readonly appId: string;
  readonly apiBaseUrl: string;
  readonly #secret: string;
  readonly #timeoutMs: number;
  readonly #fetch: typeof fetch;

  constructor(config: WechatLoginConfig, options: WechatLoginOptions = {}) {
    if (!config.appId) throw new Error('WeChat login: appId is empty');
    if (!config.appSecret) throw new Error('WeChat login: appSecret is empty');
    this.appId = config.appId;
    this.#secret = config.appSecret;
    this.apiBaseUrl = (config.apiBaseUrl ?? DEFAULT_WECHAT_API_BASE).replace(/\/+$/, '');
    this.#timeoutMs = options.timeoutMs ?? DEFAULT_WECHAT_LOGIN_TIMEOUT_MS;
    this.#fetch = options.fetch ?? fetch;
  }

  /** wx.login's code → the user's openid (and unionid when the app has one). Throws WechatLoginError. */
  async code2Session(code: string): Promise<WechatSession> {
    if (typeof code !== 'string' || !CODE.test(code)) {
      throw new WechatLoginError({ kind: 'invalid_request', detail: 'the code is empty, too long or not printable ASCII' });
    }
    const url = new URL(`${this.apiBaseUrl}/sns/jscode2session`);
    url.search = new URLSearchParams({ appid: this.appId, secret: this.#secret, js_code: code, grant_type: 'authorization_code' }).toString();

    const abort = new AbortController();
    const timer = setTimeout(() => abort.abort(), this.#timeoutMs);
    let status: number;
    let text: string;
    try {
      const res = await this.#fetch(url, { method: 'GET', headers: { accept: 'application/json' }, signal: abort.signal, redirect: 'manual' });
      status = res.status;
      text = await res.text();
    } catch (e) {
      if (abort.signal.aborted) throw new WechatLoginError({ kind: 'timeout', detail: `no answer within ${this.#timeoutMs} ms` });
      // Only the cause's code: undici's messages are safe today, but we do not bet the secret on it.
      const cause = (e as { cause?: { code?: unknown } }).cause;
      throw new WechatLoginError({ kind: 'network', detail: typeof cause?.code === 'string' ? cause.code : 'the request failed' });
    } finally {
      clearTimeout(timer);
    }
    if (status !== 200) throw new WechatLoginError({ kind: 'http', detail: `HTTP ${status}`, httpStatus: status });

    let body: unknown;
    try {
      body = JSON.parse(text);
    } catch {
      throw new WechatLoginError({ kind: 'bad_response', detail: 'the answer is not JSON' });
    }
    if (typeof body !== 'object' || body === null || Array.isArray(body)) {
      throw new WechatLoginError({ kind: 'bad_response', detail: 'the answer is not a JSON object' });
    }
    const b = body as Record<string, unknown>;
    const errcode = typeof b.errcode === 'number' ? b.errcode : typeof b.errcode === 'string' && /^-?\d+$/.test(b.errcode) ? Number(b.errcode) : 0;
    if (errcode !== 0) {
      const errmsg = typeof b.errmsg === 'string' ? b.errmsg.slice(0, 200) : '';
      throw new WechatLoginError({ kind: ERRCODE_KINDS[errcode] ?? 'unexpected_errcode', detail: errmsg || 'no errmsg', errcode, errmsg });
    }
    // A success has openid and session_key; we check the key is there (a real answer) and let it go.
    if (typeof b.openid !== 'string' || !b.openid || typeof b.session_key !== 'string' || !b.session_key) {
      throw new WechatLoginError({ kind: 'bad_response', detail: 'no openid or session_key in the answer' });
    }
    const session: WechatSession = { openId: b.openid };
    if (typeof b.unionid === 'string' && b.unionid) session.unionId = b.unionid;
    return session;
  }
}
