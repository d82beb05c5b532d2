/**
 * The one error the Alipay adapter throws. It names the Open API method, says what went wrong (`kind`) and
 * whether asking again later is both possibly useful and harmless (`retryable`). Every call we make is
 * idempotent on Alipay's side (out_trade_no for create/precreate/close/query, out_request_no for refunds),
 * so `retryable` only has to say whether the failure is transient or its outcome unknown.
 *
 * Messages are written by us: never the SDK's text (it quotes the request URL with `sign=`, and the raw
 * response), never a key. The raw response is kept out of the error object too.
 */
import { GatewayFailure, type GatewayFailureKind } from '../../core/gateway-failure';
import type { PaymentStatus } from './status';

export type AlipayErrorKind =
  /** Connection refused / reset / DNS: nothing came back. The request may not have reached Alipay. */
  | 'network'
  /** No answer within the timeout: Alipay may or may not have applied the request. */
  | 'timeout'
  /** An HTTP status other than 200 (a proxy, an Alipay outage). */
  | 'http'
  /**
   * The answer's `sign` is missing or does not verify with the Alipay public key: a forged or damaged
   * response, or a wrong alipayPublicKey in the configuration. Nothing in it is believed.
   */
  | 'bad_signature'
  /**
   * A signed 200 answer we cannot use: not JSON, no `<method>_response`, a field missing or malformed, or
   * an answer about another trade than the one we asked about (a replayed genuine response).
   */
  | 'bad_response'
  /** Alipay answered (signed) with code ≠ 10000: `code`, `subCode`, `subMsg` say why. */
  | 'business'
  /** The adapter cannot work: a malformed private key, a keyType that does not match the PEM. */
  | 'config'
  /** Our caller's arguments were refused before anything went on the wire. Never retryable. */
  | 'invalid_request';

export interface AlipayErrorInit {
  method: string;
  kind: AlipayErrorKind;
  detail: string;
  retryable: boolean;
  code?: string;
  subCode?: string;
  subMsg?: string;
  httpStatus?: number;
  status?: PaymentStatus;
}

const FAILURE: Record<AlipayErrorKind, GatewayFailureKind> = {
  network: 'unreachable',
  timeout: 'unreachable',
  http: 'unreachable',
  bad_signature: 'bad_answer',
  bad_response: 'bad_answer',
  business: 'refused',
  config: 'config',
  invalid_request: 'invalid_request',
};

export class AlipayError extends GatewayFailure {
  readonly method: string;
  readonly kind: AlipayErrorKind;
  /** Alipay's gateway code on 'business' ("40004", "40002", "20000", …). */
  readonly code?: string;
  /** Alipay's sub_code on 'business' ("ACQ.TRADE_NOT_EXIST", "isv.invalid-signature", …). */
  readonly subCode?: string;
  readonly subMsg?: string;
  /** The HTTP status on 'http'. */
  readonly httpStatus?: number;
  /**
   * When the business code itself says where the trade stands (ACQ.TRADE_HAS_SUCCESS → 'paid',
   * ACQ.TRADE_HAS_CLOSE → 'closed', a buyer-side refusal → 'failed').
   */
  readonly status?: PaymentStatus;
  readonly detail: string;

  constructor(init: AlipayErrorInit) {
    const codes = init.kind === 'business' ? ` [${init.code ?? '?'}${init.subCode ? ` ${init.subCode}` : ''}]` : '';
    super(`Alipay ${init.method}: ${init.kind}${codes}: ${init.detail}`, {
      failure: FAILURE[init.kind],
      retryable: init.retryable,
      sent: init.kind !== 'invalid_request' && init.kind !== 'config',
      ...(init.subCode !== undefined || init.code !== undefined ? { providerCode: init.subCode ?? init.code } : {}),
      ...(init.subMsg !== undefined ? { providerMessage: init.subMsg } : {}),
    });
    this.name = 'AlipayError';
    this.method = init.method;
    this.kind = init.kind;
    this.detail = init.detail;
    if (init.code !== undefined) this.code = init.code;
    if (init.subCode !== undefined) this.subCode = init.subCode;
    if (init.subMsg !== undefined) this.subMsg = init.subMsg;
    if (init.httpStatus !== undefined) this.httpStatus = init.httpStatus;
    if (init.status !== undefined) this.status = init.status;
  }

  toJSON(): Record<string, unknown> {
    return {
      name: this.name,
      message: this.message,
      method: this.method,
      kind: this.kind,
      retryable: this.retryable,
      code: this.code,
      subCode: this.subCode,
      subMsg: this.subMsg,
      httpStatus: this.httpStatus,
      status: this.status,
    };
  }
}

/**
 * An answer we cannot use: unreadable, not the shape the method answers, or (genuinely signed) about another
 * trade than the one we asked about. Whether Alipay applied the request is unknown, and every call is
 * idempotent on Alipay's side, so asking again is how to learn it: retryable.
 */
export function badResponse(method: string, detail: string): AlipayError {
  return new AlipayError({ method, kind: 'bad_response', retryable: true, detail });
}

/** Our caller's arguments, refused before anything went on the wire: never retryable. */
export function invalidRequest(method: string, detail: string): AlipayError {
  return new AlipayError({ method, kind: 'invalid_request', retryable: false, detail });
}

export function isAlipayError(e: unknown): e is AlipayError {
  return e instanceof AlipayError;
}
