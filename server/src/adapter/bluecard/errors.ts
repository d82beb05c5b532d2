/**
 * The one error the Bluecard down client throws. It says which park and which interface, what went wrong
 * (`kind`), and whether repeating the same request later is both possibly useful and harmless
 * (`retryable`). Messages never carry the park's key or the `sign` header.
 */

import { GatewayFailure, type GatewayFailureKind } from '../../core/gateway-failure';

export type BluecardErrorKind =
  /** No answer within timeoutMs: the request may or may not have been applied by the lot. */
  | 'timeout'
  /** Connection refused / reset / DNS: nothing usable came back. */
  | 'network'
  /** An HTTP status outside 2xx (a proxy, a crashed Bluecard). */
  | 'http'
  /** A 2xx answer that is not JSON or does not match the answer schema. */
  | 'bad_answer'
  /** `{"status":"fail","errorCode":"…"}`: Bluecard refused; errorCode carries its reason text. */
  | 'rejected'
  /**
   * Our request failed its exact schema (or a business argument could not be converted) BEFORE anything
   * went on the wire: a bug on our side or a bad argument from the caller. Never retryable.
   */
  | 'invalid_request';

/** Where a chunked list sync (syncWhitelist / syncBlacklist) had got to. */
export interface SyncProgress {
  /** Entries Bluecard acknowledged so far. */
  sent: number;
  /** Entries to send in all. */
  total: number;
  /** 1-based number of the chunk just acknowledged (0 before the first). */
  chunk: number;
  /** Number of chunks in all. */
  chunks: number;
}

/** The progress a failed sync reports with its error. */
export interface SyncFailureProgress extends SyncProgress {
  /** Plates of the chunks Bluecard acknowledged (applied), in order, spelled as the caller gave them. */
  applied: string[];
  /**
   * Plates of the chunk that failed. After a 'rejected' answer they were not applied; after a timeout,
   * network error or 5xx they MAY have been (the lot's outcome is unknown): send them again.
   */
  failed: string[];
}

export interface BluecardErrorInit {
  parkNumber: string;
  /** "4.4 getChargebf": section and path. */
  iface: string;
  kind: BluecardErrorKind;
  detail: string;
  retryable: boolean;
  errorCode?: string;
  httpStatus?: number;
  attempts?: number;
  progress?: SyncFailureProgress;
  cause?: unknown;
}

const FAILURE: Record<BluecardErrorKind, GatewayFailureKind> = {
  timeout: 'unreachable',
  network: 'unreachable',
  http: 'unreachable',
  bad_answer: 'bad_answer',
  rejected: 'refused',
  invalid_request: 'invalid_request',
};

export class BluecardError extends GatewayFailure {
  readonly parkNumber: string;
  readonly iface: string;
  readonly kind: BluecardErrorKind;
  /** Bluecard's reason text on 'rejected' (and on 'http' when the body carried one). */
  readonly errorCode?: string;
  /** The HTTP status on 'http' (and on 'rejected' / 'bad_answer', the 2xx it came with). */
  readonly httpStatus?: number;
  // retryable (GatewayFailure): true when the failure is transient (timeout, network, HTTP 5xx/429) AND
  // repeating this request is harmless for this interface (see the policy table in client.ts). The client has
  // already made its own automatic retries where the table allows them; this flag is for whoever owns a later
  // repeat (the sendPayRes delivery job, say). False for a barrier lift, an unlicensed entry and a coupon.
  /** How many times the request went on the wire (0 for 'invalid_request'). */
  readonly attempts: number;
  /** syncWhitelist / syncBlacklist only: how far the sync got. */
  readonly progress?: SyncFailureProgress;
  /** The message without its "Bluecard <iface> for park <parkNumber>: " prefix. */
  readonly detail: string;

  constructor(init: BluecardErrorInit) {
    super(`Bluecard ${init.iface} for park ${init.parkNumber}: ${init.detail}`, {
      failure: FAILURE[init.kind],
      retryable: init.retryable,
      sent: init.kind !== 'invalid_request',
      ...(init.errorCode !== undefined ? { providerCode: init.errorCode } : {}),
      cause: init.cause,
    });
    this.name = 'BluecardError';
    this.parkNumber = init.parkNumber;
    this.iface = init.iface;
    this.kind = init.kind;
    this.attempts = init.attempts ?? 0;
    this.detail = init.detail;
    if (init.errorCode !== undefined) this.errorCode = init.errorCode;
    if (init.httpStatus !== undefined) this.httpStatus = init.httpStatus;
    if (init.progress !== undefined) this.progress = init.progress;
  }

  /** The same error, with the progress of the sync it ended. */
  withProgress(progress: SyncFailureProgress): BluecardError {
    return new BluecardError({
      parkNumber: this.parkNumber,
      iface: this.iface,
      kind: this.kind,
      detail: `${this.detail} (chunk ${progress.chunk + 1} of ${progress.chunks}; ${progress.sent} of ${progress.total} entries applied before it)`,
      retryable: this.retryable,
      errorCode: this.errorCode,
      httpStatus: this.httpStatus,
      attempts: this.attempts,
      progress,
      cause: this.cause,
    });
  }
}

export function isBluecardError(e: unknown): e is BluecardError {
  return e instanceof BluecardError;
}
