/**
 * WeChat Pay notifications (支付成功回调 / 退款结果回调), verified in this order, every step refusing with a
 * WechatPayError kind 'bad_signature' (retryable false: answer WeChat with a 4xx/5xx and it repeats):
 *
 *  1. the four Wechatpay-* headers are there, and Wechatpay-Signature-Type (if sent) is RSA;
 *  2. Wechatpay-Timestamp is within ±5 minutes of our clock (replays);
 *  3. Wechatpay-Serial is a trusted platform certificate serial / our PUB_KEY_ID_…;
 *  4. the signature verifies over `ts\nnonce\n<RAW body>\n` — the raw text, never re-serialized JSON;
 *  5. the envelope parses, resource_type/algorithm/original_type are what this endpoint expects;
 *  6. the resource decrypts with AES-256-GCM, tag AND associated_data checked (decipher.final());
 *  7. the plaintext parses as the resource type.
 *
 * Deciding on the content (is this OUR order, for THIS amount, appid and mchid) is checkTransactionMatches,
 * the caller's next step before it marks anything paid. WechatNotificationReader takes both steps for the
 * order service and reads what is left into a provider-neutral PaymentEvent.
 */
import type { Clock } from '../../core/clock';
import type { NotificationVerdict, PaymentNotifications, ReceivedNotification, RefundNotifications, RefundOutcome } from '../../core/orders/gateways';
import { verificationError, type WechatPayError } from './errors';
import { mapWechatStatus, type PaymentStatus, type RefundStatus } from './wire';
import {
  DecryptError,
  SIGNATURE_TYPE,
  type HeaderBag,
  type PlatformKeyStore,
  decryptAes256Gcm,
  readSignatureHeaders,
  signedMessage,
  timestampProblem,
  verifyRsaSha256,
} from './signature';
import {
  type NotificationEnvelope,
  type WechatRefundResource,
  type WechatTransaction,
  notificationEnvelope,
  wechatRefundResource,
  wechatTransaction,
} from './wire';

export interface IncomingNotification {
  headers: HeaderBag;
  /** The request body exactly as received (@koa/bodyparser's ctx.request.rawBody). */
  rawBody: string | Buffer;
}

export interface NotificationMeta {
  /** WeChat's notification id: the same on every retry of one notification. */
  id: string;
  eventType: string;
  createTime: string;
  summary?: string;
}

export interface TransactionNotification extends NotificationMeta {
  transaction: WechatTransaction;
  status: PaymentStatus;
}

export interface RefundNotification extends NotificationMeta {
  refund: WechatRefundResource;
  status: RefundStatus;
}

export interface NotificationVerifierDeps {
  keys: PlatformKeyStore;
  apiV3Key: string;
  clock: Clock;
}

const fail = (step: Parameters<typeof verificationError>[1], detail: string, cause?: unknown): WechatPayError =>
  verificationError('notification', step, detail, false, cause);

/** Steps 1–6: the verified envelope and the decrypted plaintext. */
export async function openNotification(
  deps: NotificationVerifierDeps,
  input: IncomingNotification,
  originalType: 'transaction' | 'refund',
): Promise<{ envelope: NotificationEnvelope; plaintext: string }> {
  return openEnvelope(deps, input, (envelope) =>
    envelope.resource.original_type !== originalType ? `resource.original_type is ${envelope.resource.original_type}, expected ${originalType}` : undefined,
  );
}

/**
 * Steps 1–6 for any WeChat Pay notification: `check` says what is wrong with a verified envelope (step 5:
 * which notifications this caller takes), or undefined when it is one of them.
 */
export async function openEnvelope(
  deps: NotificationVerifierDeps,
  input: IncomingNotification,
  check: (envelope: NotificationEnvelope) => string | undefined,
): Promise<{ envelope: NotificationEnvelope; plaintext: string }> {
  const h = readSignatureHeaders(input.headers);
  if ('missing' in h) throw fail('missing_headers', `missing ${h.missing.join(', ')}`);
  if (h.signatureType !== undefined && h.signatureType !== SIGNATURE_TYPE) {
    throw fail('unsupported_signature_type', `Wechatpay-Signature-Type ${h.signatureType} is not ${SIGNATURE_TYPE}`);
  }
  const late = timestampProblem(h.timestamp, deps.clock.now());
  if (late) throw fail('timestamp', late);
  let key;
  try {
    key = await deps.keys.keyFor(h.serial);
  } catch (e) {
    // Could not fetch certificates: WeChat will retry the notification; say why.
    throw fail('unknown_serial', `cannot check serial ${h.serial}: ${(e as Error).message}`, e);
  }
  if (!key) throw fail('unknown_serial', `Wechatpay-Serial ${h.serial} is not a trusted ${deps.keys.mode === 'publicKey' ? 'public key id' : 'platform certificate'}`);
  const body = typeof input.rawBody === 'string' ? input.rawBody : input.rawBody.toString('utf8');
  if (!verifyRsaSha256(key, signedMessage(h.timestamp, h.nonce, body), h.signature)) {
    throw fail('signature', 'Wechatpay-Signature does not verify over the raw body');
  }
  let envelope: NotificationEnvelope;
  try {
    envelope = notificationEnvelope.parse(JSON.parse(body));
  } catch (e) {
    throw fail('malformed', 'the notification body is not a WeChat Pay encrypt-resource envelope', e);
  }
  const wrong = check(envelope);
  if (wrong) throw fail('malformed', wrong);
  let plaintext: string;
  try {
    plaintext = decryptAes256Gcm(deps.apiV3Key, {
      ciphertext: envelope.resource.ciphertext,
      nonce: envelope.resource.nonce,
      associatedData: envelope.resource.associated_data,
    });
  } catch (e) {
    throw fail('decrypt', e instanceof DecryptError ? e.message : 'decryption failed', e);
  }
  return { envelope, plaintext };
}

export function notificationMeta(e: NotificationEnvelope): NotificationMeta {
  const m: NotificationMeta = { id: e.id, eventType: e.event_type, createTime: e.create_time };
  if (e.summary !== undefined) m.summary = e.summary;
  return m;
}

export async function verifyTransactionNotification(deps: NotificationVerifierDeps, input: IncomingNotification): Promise<TransactionNotification> {
  const { envelope, plaintext } = await openNotification(deps, input, 'transaction');
  let transaction: WechatTransaction;
  try {
    transaction = wechatTransaction.parse(JSON.parse(plaintext));
  } catch (e) {
    throw fail('malformed', 'the decrypted resource is not a transaction', e);
  }
  return { ...notificationMeta(envelope), transaction, status: mapWechatStatus('trade', transaction.trade_state) };
}

export async function verifyRefundNotification(deps: NotificationVerifierDeps, input: IncomingNotification): Promise<RefundNotification> {
  const { envelope, plaintext } = await openNotification(deps, input, 'refund');
  let refund: WechatRefundResource;
  try {
    refund = wechatRefundResource.parse(JSON.parse(plaintext));
  } catch (e) {
    throw fail('malformed', 'the decrypted resource is not a refund', e);
  }
  return { ...notificationMeta(envelope), refund, status: mapWechatStatus('refund', refund.refund_status) };
}

export interface ExpectedTransaction {
  appid: string;
  mchid: string;
  outTradeNo: string;
  totalFen: number;
}

export interface TransactionMismatch {
  field: 'appid' | 'mchid' | 'out_trade_no' | 'amount.total';
  expected: string | number;
  actual: string | number | undefined;
}

export type TransactionCheck = { ok: true } | { ok: false; mismatches: TransactionMismatch[] };

/**
 * Is this verified transaction the one we created? A genuine WeChat notification can still be for another
 * appid of the same merchant, another order, or (our bug or a reused out_trade_no) another amount: mark
 * the order paid only on `ok: true`.
 */
export function checkTransactionMatches(tx: WechatTransaction, expected: ExpectedTransaction): TransactionCheck {
  const mismatches: TransactionMismatch[] = [];
  if (tx.appid !== expected.appid) mismatches.push({ field: 'appid', expected: expected.appid, actual: tx.appid });
  if (tx.mchid !== expected.mchid) mismatches.push({ field: 'mchid', expected: expected.mchid, actual: tx.mchid });
  if (tx.out_trade_no !== expected.outTradeNo) mismatches.push({ field: 'out_trade_no', expected: expected.outTradeNo, actual: tx.out_trade_no });
  if (tx.amount?.total !== expected.totalFen) mismatches.push({ field: 'amount.total', expected: expected.totalFen, actual: tx.amount?.total });
  return mismatches.length ? { ok: false, mismatches } : { ok: true };
}

/** How a reader verifies notifications (the steps above with a merchant's keys; tests stand in for it). */
export interface NotificationVerifier {
  transaction(input: IncomingNotification): Promise<TransactionNotification>;
  refund(input: IncomingNotification): Promise<RefundNotification>;
}

export function notificationVerifier(deps: NotificationVerifierDeps): NotificationVerifier {
  return {
    transaction: (input) => verifyTransactionNotification(deps, input),
    refund: (input) => verifyRefundNotification(deps, input),
  };
}

/** WeChat's refund events (退款结果通知) and what they mean for the refund. */
const REFUND_EVENTS: Record<string, RefundOutcome['state']> = { 'REFUND.SUCCESS': 'done', 'REFUND.ABNORMAL': 'abnormal', 'REFUND.CLOSED': 'closed' };

/**
 * The order service's reading of WeChat's payment and refund notifications: verified, for our app and
 * merchant, then a PaymentEvent. Anything but a successful payment or a refund's end says nothing the order
 * service needs (its jobs track the rest). The amount is the order's business: the order service refunds
 * a payment of another amount, so only the app and merchant are checked here.
 */
export class WechatNotificationReader implements PaymentNotifications, RefundNotifications {
  constructor(
    private readonly account: { appId: string; mchId: string },
    private readonly verify: NotificationVerifier,
    /** Told of each notification that fails verification (the adapter logs it). */
    private readonly onRefused?: (e: unknown) => void,
  ) {}

  /** 支付成功回调. */
  async paymentNotification(n: ReceivedNotification): Promise<NotificationVerdict> {
    let verified;
    try {
      verified = await this.verify.transaction({ headers: n.headers, rawBody: n.rawBody });
    } catch (e) {
      return this.refused(e);
    }
    const tx = verified.transaction;
    if (verified.eventType !== 'TRANSACTION.SUCCESS' || verified.status !== 'paid') return { ok: true };
    const check = checkTransactionMatches(tx, { appid: this.account.appId, mchid: this.account.mchId, outTradeNo: tx.out_trade_no, totalFen: tx.amount?.total ?? 0 });
    const wrongAccount = check.ok ? [] : check.mismatches.filter((m) => m.field !== 'amount.total');
    if (wrongAccount.length) {
      return { ok: false, refusal: 'not_ours', reason: 'WeChat notification for another merchant or app', detail: { outTradeNo: tx.out_trade_no, mismatches: wrongAccount } };
    }
    return {
      ok: true,
      event: {
        kind: 'paid',
        provider: 'wechat',
        orderNo: tx.out_trade_no,
        // transaction_id is there on every successful payment; the notification's id stands in for it otherwise.
        transactionId: tx.transaction_id ?? verified.id,
        ...(tx.amount?.total !== undefined ? { paidFen: tx.amount.total } : {}),
        ...(tx.success_time ? { paidAt: new Date(tx.success_time) } : {}),
      },
    };
  }

  /** 退款结果回调: REFUND.SUCCESS / ABNORMAL / CLOSED for one of our refunds. */
  async refundNotification(n: ReceivedNotification): Promise<NotificationVerdict> {
    let verified;
    try {
      verified = await this.verify.refund({ headers: n.headers, rawBody: n.rawBody });
    } catch (e) {
      return this.refused(e);
    }
    const r = verified.refund;
    if (r.mchid !== this.account.mchId) {
      return { ok: false, refusal: 'not_ours', reason: 'WeChat refund notification for another merchant', detail: { outRefundNo: r.out_refund_no, mchid: r.mchid } };
    }
    const state = REFUND_EVENTS[verified.eventType];
    if (!state) return { ok: true };
    const outcome: RefundOutcome = state === 'done' ? { state, ...(r.success_time ? { at: new Date(r.success_time) } : {}) } : { state };
    return { ok: true, event: { kind: 'refund', provider: 'wechat', orderNo: r.out_trade_no, refundNo: r.out_refund_no, outcome } };
  }

  private refused(e: unknown): NotificationVerdict {
    this.onRefused?.(e);
    return { ok: false, refusal: 'unverified', reason: (e as Error).message };
  }
}
