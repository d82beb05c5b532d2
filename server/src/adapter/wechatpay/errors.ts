/**
 * The one error the WeChat Pay adapter throws (stripe-node style: one class, a `kind` to branch on,
 * `retryable` for whoever owns a later repeat). Messages carry the operation, the HTTP status, WeChat's
 * `code`/`message` and its Request-ID: never a key, a signature, an Authorization header or a body.
 */

import { GatewayFailure, type GatewayFailureKind } from '../../core/gateway-failure';

export type WechatPayErrorKind =
  /** No answer within the call's timeout: WeChat may or may not have applied the request. */
  | 'timeout'
  /** Connection refused / reset / DNS: nothing usable came back. */
  | 'network'
  /** A non-2xx answer that is not a WeChat business refusal: 5xx, 429, or a body that is not WeChat's JSON. */
  | 'http'
  /**
   * The answer (or notification) is not provably from WeChat Pay: signature missing or wrong, timestamp
   * outside ±5 minutes, unknown serial, AEAD tag or associated data wrong, malformed envelope.
   */
  | 'bad_signature'
  /** A 4xx with WeChat's `{code, message}` (see `signed`): ORDER_NOT_EXIST, OUT_TRADE_NO_USED, SIGN_ERROR, … */
  | 'business'
  /** Our own arguments were refused before anything went on the wire (a bug or a bad caller argument). */
  | 'invalid_request';

/** Why a signature check failed (kind 'bad_signature'). */
export type VerificationFailure =
  | 'missing_headers'
  | 'unsupported_signature_type'
  | 'timestamp'
  | 'unknown_serial'
  | 'signature'
  | 'malformed'
  | 'decrypt';

export interface WechatPayErrorInit {
  /** 'jsapi', 'query', 'close', 'refund', 'queryRefund', 'native', 'certificates', 'notification', … */
  operation: string;
  kind: WechatPayErrorKind;
  detail: string;
  retryable: boolean;
  httpStatus?: number;
  code?: string;
  wechatMessage?: string;
  requestId?: string;
  verification?: VerificationFailure;
  /** Whether the answer carried a verified WeChat signature (non-2xx answers may come unsigned). */
  signed?: boolean;
  cause?: unknown;
}

const FAILURE: Record<WechatPayErrorKind, GatewayFailureKind> = {
  timeout: 'unreachable',
  network: 'unreachable',
  http: 'unreachable',
  bad_signature: 'bad_answer',
  business: 'refused',
  invalid_request: 'invalid_request',
};

export class WechatPayError extends GatewayFailure {
  readonly operation: string;
  readonly kind: WechatPayErrorKind;
  // retryable (GatewayFailure): true for timeout, network, 5xx, 429, SYSTEM_ERROR / FREQUENCY_LIMITED and an
  // answer whose signature failed: the outcome is unknown or transient, and every operation of this adapter
  // is idempotent by out_trade_no / out_refund_no, so asking again (with backoff) is harmless. False for
  // business refusals, invalid requests and notifications (WeChat repeats those by itself).
  readonly httpStatus?: number;
  /** WeChat's error `code` (business, and http when the body carried one). */
  readonly code?: string;
  /** WeChat's error `message`. */
  readonly wechatMessage?: string;
  /** WeChat's `Request-ID` header: quote it to WeChat support. */
  readonly requestId?: string;
  /** For 'bad_signature': which check failed. */
  readonly verification?: VerificationFailure;
  /**
   * For answers: true when the answer's signature verified. WeChat signs every answer to a request it
   * authenticated (business refusals included); a 401, a gateway's 502 or a proxy page come unsigned.
   * "Already done" refusals (ORDER_CLOSED) are trusted only when signed.
   */
  readonly signed?: boolean;
  /** The message without its "WeChat Pay <operation>: " prefix. */
  readonly detail: string;

  constructor(init: WechatPayErrorInit) {
    super(`WeChat Pay ${init.operation}: ${init.detail}`, {
      failure: FAILURE[init.kind],
      retryable: init.retryable,
      sent: init.kind !== 'invalid_request',
      ...(init.code !== undefined ? { providerCode: init.code } : {}),
      ...(init.wechatMessage !== undefined ? { providerMessage: init.wechatMessage } : {}),
      cause: init.cause,
    });
    this.name = 'WechatPayError';
    this.operation = init.operation;
    this.kind = init.kind;
    this.detail = init.detail;
    if (init.httpStatus !== undefined) this.httpStatus = init.httpStatus;
    if (init.code !== undefined) this.code = init.code;
    if (init.wechatMessage !== undefined) this.wechatMessage = init.wechatMessage;
    if (init.requestId !== undefined) this.requestId = init.requestId;
    if (init.verification !== undefined) this.verification = init.verification;
    if (init.signed !== undefined) this.signed = init.signed;
  }
}

export function isWechatPayError(e: unknown): e is WechatPayError {
  return e instanceof WechatPayError;
}

/** A bad_signature error (notification or answer). */
export function verificationError(
  operation: string,
  verification: VerificationFailure,
  detail: string,
  retryable: boolean,
  cause?: unknown,
): WechatPayError {
  return new WechatPayError({ operation, kind: 'bad_signature', verification, detail, retryable, cause });
}

/** WeChat codes that mean "try again later" even on a 4xx. */
const TRANSIENT_CODES = new Set(['SYSTEM_ERROR', 'SYSTEMERROR', 'FREQUENCY_LIMITED', 'BANKERROR']);

/** The error for a non-2xx answer (already signature-checked when it carried a signature). */
export function httpAnswerError(
  operation: string,
  status: number,
  text: string,
  requestId: string | undefined,
  signed?: boolean,
): WechatPayError {
  let code: string | undefined;
  let message: string | undefined;
  try {
    const body = JSON.parse(text) as unknown;
    if (body && typeof body === 'object') {
      const b = body as Record<string, unknown>;
      if (typeof b.code === 'string') code = b.code;
      if (typeof b.message === 'string') message = b.message;
    }
  } catch {
    // not JSON: a proxy page, an empty body
  }
  const transient = status >= 500 || status === 429 || (code !== undefined && TRANSIENT_CODES.has(code));
  const kind: WechatPayErrorKind = transient || code === undefined ? 'http' : 'business';
  const what = code ? `${code}${message ? ` (${message})` : ''}` : 'no WeChat error body';
  return new WechatPayError({
    operation,
    kind,
    detail: `HTTP ${status}: ${what}${requestId ? ` [Request-ID ${requestId}]` : ''}`,
    retryable: transient,
    httpStatus: status,
    code,
    wechatMessage: message,
    requestId,
    signed,
  });
}
