/**
 * The one error the WeChat login adapter throws. `kind` says what went wrong, `retryable` whether asking
 * again later — always with a NEW wx.login code, a code is single-use — may work.
 *
 * Messages are ours: never the request URL (its query carries the app secret), never the code, never a
 * session_key. WeChat's errmsg is kept (it says "invalid code, rid: …", nothing secret).
 */

export type WechatLoginErrorKind =
  /** 40029 invalid code (wrong or expired), 40163 code been used. The user must log in again. */
  | 'invalid_code'
  /** 45011: API minute-quota reached (WeChat limits code2Session per user per minute). Retry later. */
  | 'rate_limited'
  /** 40226: WeChat classifies the user as high-risk and blocks mini-program login. */
  | 'risky_user'
  /** -1: system busy. Retry. */
  | 'busy'
  /** 40013 invalid appid, 40125 invalid appsecret, 41002/41004 missing, 40002 grant_type: our configuration. */
  | 'config'
  /** Any other errcode. */
  | 'unexpected_errcode'
  /** No answer within the timeout. */
  | 'timeout'
  /** Connection refused / reset / DNS. */
  | 'network'
  /** An HTTP status other than 200. */
  | 'http'
  /** 200 but not the JSON WeChat answers (no openid, not JSON). */
  | 'bad_response'
  /** Refused before anything went on the wire (an empty or absurd code). */
  | 'invalid_request';

/** errcode → kind, from the jscode2session documentation ("错误码"). */
export const ERRCODE_KINDS: Record<number, WechatLoginErrorKind> = {
  40029: 'invalid_code',
  40163: 'invalid_code',
  45011: 'rate_limited',
  40226: 'risky_user',
  [-1]: 'busy',
  40013: 'config',
  40125: 'config',
  41002: 'config',
  41004: 'config',
  40002: 'config',
};

const RETRYABLE: ReadonlySet<WechatLoginErrorKind> = new Set(['rate_limited', 'busy', 'timeout', 'network', 'http', 'bad_response']);

export class WechatLoginError extends Error {
  readonly kind: WechatLoginErrorKind;
  readonly retryable: boolean;
  /** WeChat's errcode, when it answered one. */
  readonly errcode?: number;
  readonly errmsg?: string;
  readonly httpStatus?: number;

  constructor(init: { kind: WechatLoginErrorKind; detail: string; errcode?: number; errmsg?: string; httpStatus?: number }) {
    super(`WeChat code2Session: ${init.kind}${init.errcode !== undefined ? ` [${init.errcode}]` : ''}: ${init.detail}`);
    this.name = 'WechatLoginError';
    this.kind = init.kind;
    this.retryable = RETRYABLE.has(init.kind);
    if (init.errcode !== undefined) this.errcode = init.errcode;
    if (init.errmsg !== undefined) this.errmsg = init.errmsg;
    if (init.httpStatus !== undefined) this.httpStatus = init.httpStatus;
  }

  toJSON(): Record<string, unknown> {
    return { name: this.name, message: this.message, kind: this.kind, retryable: this.retryable, errcode: this.errcode, httpStatus: this.httpStatus };
  }
}

export function isWechatLoginError(e: unknown): e is WechatLoginError {
  return e instanceof WechatLoginError;
}
