/**
 * A call to a provider (WeChat Pay, Alipay, the lot's Bluecard cloud) that failed, as core needs to know it:
 * what kind of failure, whether asking again later may help and is harmless, whether the request may have
 * reached the provider, and what the provider said. Adapters throw it (their own error classes extend it);
 * core branches on these fields, never on an adapter's class or the shape of its errors.
 */
export type GatewayFailureKind =
  /** No answer: network, timeout, an HTTP error page. The provider may or may not have done the work. */
  | 'unreachable'
  /** The provider answered no (a business error): providerCode and providerMessage say why. */
  | 'refused'
  /** An answer that cannot be read or trusted (signature, shape, about something else than asked). */
  | 'bad_answer'
  /** Refused by us before anything went on the wire: the provider cannot take these arguments. */
  | 'invalid_request'
  /** The provider offers no such operation to the merchant (the driver does it with the provider). */
  | 'unsupported'
  /** The provider already holds this request's number for something else: nothing more is done with it. */
  | 'conflict'
  /** The adapter cannot work as configured (a key, a certificate). */
  | 'config';

export interface GatewayFailureInit {
  failure: GatewayFailureKind;
  retryable: boolean;
  /** False only when nothing that could change anything reached the provider. */
  sent: boolean;
  providerCode?: string;
  providerMessage?: string;
  /** Our code for a failure of ours the app may be told as it is (`invalid_plate`, `deduction_conflict`, …). */
  reason?: string;
  cause?: unknown;
}

export class GatewayFailure extends Error {
  readonly failure: GatewayFailureKind;
  /** Asking again later may help and is harmless (every call is idempotent by our request number). */
  readonly retryable: boolean;
  /** Whether the request may have reached the provider (false: nothing can have happened there). */
  readonly sent: boolean;
  readonly providerCode?: string;
  readonly providerMessage?: string;
  readonly reason?: string;

  constructor(message: string, init: GatewayFailureInit) {
    super(message, init.cause === undefined ? undefined : { cause: init.cause });
    this.name = 'GatewayFailure';
    this.failure = init.failure;
    this.retryable = init.retryable;
    this.sent = init.sent;
    if (init.providerCode !== undefined) this.providerCode = init.providerCode;
    if (init.providerMessage !== undefined) this.providerMessage = init.providerMessage;
    if (init.reason !== undefined) this.reason = init.reason;
  }
}

/** A refusal of ours, made before anything was sent, with the code the app is told (`invalid_plate`, …). */
export function refusedBeforeSending(e: unknown): e is GatewayFailure & { reason: string } {
  return e instanceof GatewayFailure && !e.sent && e.reason !== undefined;
}
