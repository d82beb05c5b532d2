/**
 * The WeChat Pay API v3 adapter for one direct merchant (普通商户), built on wechatpay-node-v3 for request
 * building and signing, with what it lacks added here:
 *
 * - our HTTP client (http.ts): configurable base URL, raw answers kept, timeout per call, no gzip header;
 * - EVERY answer's signature verified (the SDK checks none): a 2xx without a valid signature is refused
 *   ('bad_signature', retryable); a non-2xx is verified when it carries signature headers (WeChat signs
 *   business refusals) and otherwise reported unsigned (401s, gateway errors). WeChat docs 签名 wechatpay3_3:
 *   "没有携带签名的成功应答(HTTP状态码为2xx)，应认为是伪造或被篡改的应答";
 * - notifications verified and decrypted with the GCM tag checked (notifications.ts);
 * - one status mapping (status.ts) and one error type (errors.ts); money is integer fen both sides.
 *
 * "Already done" counts as success: a repeated JSAPI/Native order with the same parameters gets the same
 * prepay_id/code_url from WeChat; closing an order WeChat reports ORDER_CLOSED (signed) is success; a
 * refund refused because that out_refund_no already exists is answered with the existing refund when it is
 * for the same order and amount.
 *
 * Secrets (merchant key, APIv3 key) never reach logs or error messages; only operation, HTTP status,
 * Request-ID, WeChat's code/message and timings are logged.
 */
import type { ZodType } from 'zod';
import type { Config } from '../../config';
import { type Clock, systemClock } from '../../core/clock';
import { formatChinaTime } from '../../../../shared/time';
import { WechatPayError, httpAnswerError, isWechatPayError, verificationError } from './errors';
import { type FetchLike, type RawAnswer, TransportError, type WechatOutput, WechatHttpClient } from './http';
import {
  type IncomingNotification,
  type RefundNotification,
  type TransactionNotification,
  WechatNotificationReader,
  notificationVerifier,
  verifyRefundNotification,
  verifyTransactionNotification,
} from './notifications';
import { WechatPaySdk } from './sdk';
import {
  CertificateStore,
  type PlatformKeyStore,
  PublicKeyStore,
  type RequestPaymentParams,
  SIGNATURE_TYPE,
  hasSignatureHeaders,
  randomNonce,
  readSignatureHeaders,
  requestPaymentMessage,
  signedMessage,
  timestampProblem,
  verifyRsaSha256,
} from './signature';
import { type PaymentStatus, type RefundStatus, mapWechatStatus } from './wire';
import { type WechatRefund, type WechatTransaction, nativeAnswer, prepayAnswer, wechatRefund, wechatTransaction } from './wire';
import type { Output } from 'wechatpay-node-v3/dist/lib/interface-v2';
import type { Log } from '../../core/log';

export type WechatPayConfig = NonNullable<Config['wechatPay']>;

export type WechatPayLogger = Pick<Log, 'warn'> & { debug(o: object, m?: string): void };

export interface WechatPayAdapterOptions {
  config: WechatPayConfig;
  /** Request timestamps, paySign timeStamp and the ±5-minute window. Default: the system clock. */
  clock?: Clock;
  /** Per call, the body read included. Default 10 s. */
  timeoutMs?: number;
  fetch?: FetchLike;
  logger?: WechatPayLogger;
  /** Certificate mode: least time between refreshes caused by an unknown serial. Default 60 s. */
  certificateRefreshMinIntervalMs?: number;
  userAgent?: string;
}

export interface JsapiOrderInput {
  /** 6–32 of [0-9A-Za-z_-|*], unique per merchant. */
  outTradeNo: string;
  /** ≤ 127 characters, shown to the payer. */
  description: string;
  totalFen: number;
  /** The payer's openid under config.appId. */
  payerOpenId: string;
  /** time_expire: after it the order can no longer be paid. */
  expiresAt?: Date | number;
  /** Default: config.notifyUrl. Must have no query string (WeChat: 不能携带参数). */
  notifyUrl?: string;
  /** ≤ 128 characters, returned in query and notification. */
  attach?: string;
}

export type NativeOrderInput = Omit<JsapiOrderInput, 'payerOpenId'>;

export interface JsapiOrder {
  /** Valid about 2 hours; requestPaymentFor(prepayId) re-signs it for the app. */
  prepayId: string;
  /** Pass as-is to wx.requestPayment / Taro.requestPayment. */
  requestPayment: RequestPaymentParams;
}

export interface NativeOrder {
  /** weixin://wxpay/bizpayurl?pr=…: render as a QR code. */
  codeUrl: string;
}

export interface WechatOrderView {
  status: PaymentStatus;
  tradeState: string;
  tradeStateDesc?: string;
  outTradeNo: string;
  transactionId?: string;
  appid: string;
  mchid: string;
  totalFen?: number;
  payerTotalFen?: number;
  successTime?: string;
  payerOpenId?: string;
  attach?: string;
  /** The verified transaction as WeChat sent it (for checkTransactionMatches). */
  transaction: WechatTransaction;
}

export interface CloseResult {
  /** True when WeChat said ORDER_CLOSED (a 204 does not tell). */
  alreadyClosed: boolean;
}

export interface RefundInput {
  outTradeNo: string;
  /** 1–64 of [0-9A-Za-z_-|*@]; reuse it when retrying a refund (WeChat refunds one per number). */
  outRefundNo: string;
  refundFen: number;
  /** The original order's total. */
  totalFen: number;
  /** ≤ 80 characters, shown to the payer. */
  reason?: string;
  notifyUrl?: string;
}

export interface WechatRefundView {
  status: RefundStatus;
  refundStatus: string;
  refundId: string;
  outRefundNo: string;
  outTradeNo?: string;
  transactionId?: string;
  refundFen: number;
  totalFen: number;
  successTime?: string;
  createTime?: string;
  userReceivedAccount?: string;
  /** True when the refund call was refused because this out_refund_no already existed, and it matched. */
  alreadyExisted: boolean;
  refund: WechatRefund;
}

const OUT_TRADE_NO = /^[0-9A-Za-z_\-|*]{6,32}$/;
const OUT_REFUND_NO = /^[0-9A-Za-z_\-|*@]{1,64}$/;

/** An instant → RFC 3339 in China time, as WeChat writes times: 2026-11-28T10:00:00+08:00. */
export function toWechatTime(at: Date | number): string {
  return `${formatChinaTime(at).replace(' ', 'T')}+08:00`;
}

export class WechatPayAdapter {
  readonly appId: string;
  readonly mchId: string;
  private readonly sdk: WechatPaySdk;
  private readonly keys: PlatformKeyStore;
  /** Reads this merchant's payment and refund notifications for the order service. */
  readonly notifications: WechatNotificationReader;
  private readonly clock: Clock;
  private readonly apiV3Key: string;
  private readonly notifyUrl: string | undefined;
  private readonly logger: WechatPayLogger | undefined;

  constructor(options: WechatPayAdapterOptions) {
    const c = options.config;
    this.appId = c.appId;
    this.mchId = c.mchId;
    this.clock = options.clock ?? systemClock;
    this.apiV3Key = c.apiV3Key;
    this.notifyUrl = c.notifyUrl;
    this.logger = options.logger;
    const logger = options.logger;
    const http = new WechatHttpClient({
      baseUrl: c.baseUrl,
      timeoutMs: options.timeoutMs ?? 10_000,
      fetch: options.fetch,
      onAnswer: logger ? (info) => logger.debug({ wechatpay: info }, 'wechatpay answer') : undefined,
    });
    this.sdk = new WechatPaySdk(c, this.clock, http, options.userAgent ?? 'ParkPay (wechatpay-node-v3 2.2.1)');
    if (c.verification.mode === 'publicKey') {
      this.keys = new PublicKeyStore(c.verification.publicKeyId, c.verification.publicKey);
    } else {
      this.keys = new CertificateStore({
        apiV3Key: c.apiV3Key,
        clock: this.clock,
        refreshMinIntervalMs: options.certificateRefreshMinIntervalMs,
        fetchCertificates: async () => {
          try {
            return rawOf(await this.sdk.signedGet('/v3/certificates'));
          } catch (e) {
            throw transportError('certificates', e);
          }
        },
        onFetch: logger ? (info) => logger.debug({ wechatpay: { certificates: info } }, 'wechatpay platform certificates') : undefined,
      });
    }
    this.notifications = new WechatNotificationReader(this, notificationVerifier(this.notificationDeps()), (e) => this.logFailure(e));
  }

  /** Which keys verify answers and notifications (certificate mode: its fetch count and serials). */
  get platformKeys(): PlatformKeyStore {
    return this.keys;
  }

  // ---- orders -------------------------------------------------------------------------------------

  /** JSAPI / mini-program order (POST /v3/pay/transactions/jsapi) → prepay_id and wx.requestPayment params. */
  async createJsapiOrder(input: JsapiOrderInput): Promise<JsapiOrder> {
    const op = 'jsapi';
    if (typeof input.payerOpenId !== 'string' || input.payerOpenId.trim() === '') throw invalid(op, 'payerOpenId is required');
    const params = { ...this.orderParams(op, input), payer: { openid: input.payerOpenId } };
    const raw = await this.call(op, () => this.sdk.transactions_jsapi(params));
    const { prepay_id } = parse(op, prepayAnswer, raw);
    return { prepayId: prepay_id, requestPayment: this.requestPaymentFor(prepay_id) };
  }

  /** Native order (POST /v3/pay/transactions/native) → code_url for a QR code on a lane screen. */
  async createNativeOrder(input: NativeOrderInput): Promise<NativeOrder> {
    const op = 'native';
    const params = this.orderParams(op, input);
    const raw = await this.call(op, () => this.sdk.transactions_native(params));
    return { codeUrl: parse(op, nativeAnswer, raw).code_url };
  }

  /** Fresh wx.requestPayment params for a prepay_id: timeStamp from our clock, paySign with the merchant key. */
  requestPaymentFor(prepayId: string): RequestPaymentParams {
    const unsigned = {
      appId: this.appId,
      timeStamp: String(Math.floor(this.clock.now() / 1000)),
      nonceStr: randomNonce(32),
      package: `prepay_id=${prepayId}`,
    };
    return { ...unsigned, signType: 'RSA', paySign: this.sdk.sha256WithRsa(requestPaymentMessage(unsigned)) };
  }

  /** GET /v3/pay/transactions/out-trade-no/{no}?mchid= → the normalized order. ORDER_NOT_EXIST is a 'business' error. */
  async queryByOutTradeNo(outTradeNo: string): Promise<WechatOrderView> {
    const op = 'query';
    checkOutTradeNo(op, outTradeNo);
    const raw = await this.call(op, () => this.sdk.query({ out_trade_no: outTradeNo }));
    const tx = parse(op, wechatTransaction, raw);
    if (tx.out_trade_no !== outTradeNo || tx.mchid !== this.mchId) {
      throw new WechatPayError({ operation: op, kind: 'http', detail: `answer is for ${tx.mchid}/${tx.out_trade_no}, not ${this.mchId}/${outTradeNo}`, retryable: false, httpStatus: raw.status, requestId: raw.requestId });
    }
    return orderView(tx);
  }

  /** POST …/{no}/close (204). Closing an order WeChat reports closed is success. */
  async close(outTradeNo: string): Promise<CloseResult> {
    const op = 'close';
    checkOutTradeNo(op, outTradeNo);
    try {
      await this.call(op, () => this.sdk.close(outTradeNo));
      return { alreadyClosed: false };
    } catch (e) {
      if (isWechatPayError(e) && e.kind === 'business' && e.code === 'ORDER_CLOSED' && e.signed) return { alreadyClosed: true };
      throw e;
    }
  }

  // ---- refunds ------------------------------------------------------------------------------------

  /** POST /v3/refund/domestic/refunds. Usually answers PROCESSING: the REFUND.* notification or queryRefund tells the end. */
  async refund(input: RefundInput): Promise<WechatRefundView> {
    const op = 'refund';
    checkOutTradeNo(op, input.outTradeNo);
    checkOutRefundNo(op, input.outRefundNo);
    checkFen(op, 'refundFen', input.refundFen);
    checkFen(op, 'totalFen', input.totalFen);
    if (input.refundFen > input.totalFen) throw invalid(op, 'refundFen exceeds totalFen');
    if (input.reason !== undefined && input.reason.length > 80) throw invalid(op, 'reason is longer than 80 characters');
    const notifyUrl = input.notifyUrl;
    if (notifyUrl !== undefined) checkNotifyUrl(op, notifyUrl);
    const params = {
      out_trade_no: input.outTradeNo,
      out_refund_no: input.outRefundNo,
      ...(input.reason !== undefined ? { reason: input.reason } : {}),
      ...(notifyUrl !== undefined ? { notify_url: notifyUrl } : {}),
      amount: { refund: input.refundFen, total: input.totalFen, currency: 'CNY' },
    };
    let raw: RawAnswer;
    try {
      raw = await this.call(op, () => this.sdk.refunds(params));
    } catch (e) {
      if (isWechatPayError(e) && e.kind === 'business') {
        const existing = await this.queryRefund(input.outRefundNo).catch(() => undefined);
        if (existing && existing.outTradeNo === input.outTradeNo && existing.refundFen === input.refundFen) {
          return { ...existing, alreadyExisted: true };
        }
      }
      throw e;
    }
    return refundView(parse(op, wechatRefund, raw));
  }

  /** GET /v3/refund/domestic/refunds/{out_refund_no}. A missing refund is a 'business' error (RESOURCE_NOT_EXISTS). */
  async queryRefund(outRefundNo: string): Promise<WechatRefundView> {
    const op = 'queryRefund';
    checkOutRefundNo(op, outRefundNo);
    const raw = await this.call(op, () => this.sdk.find_refunds(outRefundNo));
    const refund = parse(op, wechatRefund, raw);
    if (refund.out_refund_no !== outRefundNo) {
      throw new WechatPayError({ operation: op, kind: 'http', detail: `answer is for refund ${refund.out_refund_no}, not ${outRefundNo}`, retryable: false, httpStatus: raw.status, requestId: raw.requestId });
    }
    return refundView(refund);
  }

  /**
   * A signed v3 call for APIs the SDK has no method for (the vehicle parking service, parking.ts): the same
   * signing, answer-signature verification, errors and logging as every call above. `path` starts with /v3/
   * and carries its query already percent-encoded (the signature covers the request line as sent).
   */
  signedRequest(operation: string, method: 'GET' | 'POST' | 'PATCH', path: string, body?: Record<string, unknown>): Promise<RawAnswer> {
    if (!path.startsWith('/v3/')) return Promise.reject(invalid(operation, 'path must start with /v3/'));
    return this.call(operation, () =>
      method === 'GET' ? this.sdk.signedGet(path) : method === 'PATCH' ? this.sdk.signedPatch(path, body ?? {}) : this.sdk.signedPost(path, body ?? {}),
    );
  }

  // ---- notifications ------------------------------------------------------------------------------

  /** TRANSACTION.SUCCESS: verified and decrypted. Then call checkTransactionMatches before deciding. */
  verifyNotification(input: IncomingNotification): Promise<TransactionNotification> {
    return verifyTransactionNotification(this.notificationDeps(), input).catch((e) => this.warned(e));
  }

  /** REFUND.SUCCESS / REFUND.ABNORMAL / REFUND.CLOSED: verified and decrypted. */
  verifyRefundNotification(input: IncomingNotification): Promise<RefundNotification> {
    return verifyRefundNotification(this.notificationDeps(), input).catch((e) => this.warned(e));
  }

  /** Never print key material, whatever logs this object. */
  [Symbol.for('nodejs.util.inspect.custom')](): string {
    return `WechatPayAdapter { appId: ${this.appId}, mchId: ${this.mchId}, verification: ${this.keys.mode} }`;
  }

  toJSON(): Record<string, string> {
    return { appId: this.appId, mchId: this.mchId, verification: this.keys.mode };
  }

  // ---- internals ----------------------------------------------------------------------------------

  /** What verifies notifications of this merchant (its platform keys, its APIv3 key, our clock): for fapiao.ts. */
  notificationDeps() {
    return { keys: this.keys, apiV3Key: this.apiV3Key, clock: this.clock };
  }

  private warned(e: unknown): never {
    this.logFailure(e);
    throw e;
  }

  private logFailure(e: unknown): void {
    if (isWechatPayError(e)) {
      this.logger?.warn({ wechatpay: { operation: e.operation, kind: e.kind, verification: e.verification, code: e.code, httpStatus: e.httpStatus, requestId: e.requestId } }, e.message);
    }
  }

  private orderParams(op: string, input: NativeOrderInput) {
    checkOutTradeNo(op, input.outTradeNo);
    checkFen(op, 'totalFen', input.totalFen);
    if (typeof input.description !== 'string' || input.description.length < 1 || input.description.length > 127) {
      throw invalid(op, 'description must be 1–127 characters');
    }
    if (input.attach !== undefined && input.attach.length > 128) throw invalid(op, 'attach is longer than 128 characters');
    const notifyUrl = input.notifyUrl ?? this.notifyUrl;
    if (notifyUrl === undefined) throw invalid(op, 'notifyUrl is required (no wechatPay.notifyUrl configured)');
    checkNotifyUrl(op, notifyUrl);
    let timeExpire: string | undefined;
    if (input.expiresAt !== undefined) {
      const ms = typeof input.expiresAt === 'number' ? input.expiresAt : input.expiresAt.getTime();
      if (!Number.isFinite(ms)) throw invalid(op, 'expiresAt is not a valid instant');
      timeExpire = toWechatTime(ms);
    }
    return {
      description: input.description,
      out_trade_no: input.outTradeNo,
      ...(timeExpire !== undefined ? { time_expire: timeExpire } : {}),
      ...(input.attach !== undefined ? { attach: input.attach } : {}),
      notify_url: notifyUrl,
      amount: { total: input.totalFen, currency: 'CNY' },
    };
  }

  /** Send through the SDK, verify the answer's signature, turn a non-2xx into a WechatPayError. */
  private async call(operation: string, send: () => Promise<Output>): Promise<RawAnswer> {
    let raw: RawAnswer;
    try {
      raw = rawOf(await send());
    } catch (e) {
      this.warned(transportError(operation, e));
    }
    const signed = await this.verifyAnswer(operation, raw).catch((e) => this.warned(e));
    if (raw.status < 200 || raw.status >= 300) this.warned(httpAnswerError(operation, raw.status, raw.text, raw.requestId, signed));
    return raw;
  }

  /** True when the answer's signature verified; false for an unsigned non-2xx; throws otherwise. */
  private async verifyAnswer(operation: string, raw: RawAnswer): Promise<boolean> {
    const success = raw.status >= 200 && raw.status < 300;
    if (!success && !hasSignatureHeaders(raw.headers)) return false;
    const fail = (step: Parameters<typeof verificationError>[1], detail: string) =>
      verificationError(operation, step, `HTTP ${raw.status} answer: ${detail}${raw.requestId ? ` [Request-ID ${raw.requestId}]` : ''}`, true);
    const h = readSignatureHeaders(raw.headers);
    if ('missing' in h) throw fail('missing_headers', `no ${h.missing.join(', ')}`);
    if (h.signatureType !== undefined && h.signatureType !== SIGNATURE_TYPE) throw fail('unsupported_signature_type', `Wechatpay-Signature-Type ${h.signatureType}`);
    const late = timestampProblem(h.timestamp, this.clock.now());
    if (late) throw fail('timestamp', late);
    const key = await this.keys.keyFor(h.serial);
    if (!key) throw fail('unknown_serial', `Wechatpay-Serial ${h.serial} is not trusted`);
    if (!verifyRsaSha256(key, signedMessage(h.timestamp, h.nonce, raw.text), h.signature)) throw fail('signature', 'Wechatpay-Signature does not verify');
    return true;
  }
}

function rawOf(out: Output): RawAnswer {
  const raw = (out as Partial<WechatOutput>).raw;
  if (!raw) throw new Error('internal: the WeChat Pay HTTP client returned no raw answer');
  return raw;
}

function transportError(operation: string, e: unknown): WechatPayError {
  if (isWechatPayError(e)) return e;
  if (e instanceof TransportError) {
    return new WechatPayError({ operation, kind: e.kind, detail: e.message, retryable: true, cause: e });
  }
  // The SDK itself refused (e.g. '缺少out_trade_no'): nothing was sent.
  return new WechatPayError({ operation, kind: 'invalid_request', detail: (e as Error)?.message ?? String(e), retryable: false, cause: e });
}

function invalid(operation: string, detail: string): WechatPayError {
  return new WechatPayError({ operation, kind: 'invalid_request', detail, retryable: false });
}

function checkOutTradeNo(op: string, v: string): void {
  if (typeof v !== 'string' || !OUT_TRADE_NO.test(v)) throw invalid(op, 'outTradeNo must be 6–32 of [0-9A-Za-z_-|*]');
}

function checkOutRefundNo(op: string, v: string): void {
  if (typeof v !== 'string' || !OUT_REFUND_NO.test(v)) throw invalid(op, 'outRefundNo must be 1–64 of [0-9A-Za-z_-|*@]');
}

function checkFen(op: string, name: string, v: number): void {
  if (!Number.isSafeInteger(v) || v < 1) throw invalid(op, `${name} must be a positive integer number of fen`);
}

function checkNotifyUrl(op: string, url: string): void {
  let u: URL;
  try {
    u = new URL(url);
  } catch {
    throw invalid(op, 'notifyUrl is not a URL');
  }
  if (u.protocol !== 'https:' && u.protocol !== 'http:') throw invalid(op, 'notifyUrl must be http(s)');
  if (u.search || u.hash) throw invalid(op, 'notifyUrl must not carry a query string (WeChat: 不能携带参数)');
}

function parse<T>(operation: string, schema: ZodType<T>, raw: RawAnswer): T {
  try {
    return schema.parse(JSON.parse(raw.text));
  } catch (e) {
    throw new WechatPayError({ operation, kind: 'http', detail: `HTTP ${raw.status}: the answer is not the expected JSON`, retryable: false, httpStatus: raw.status, requestId: raw.requestId, cause: e });
  }
}

function orderView(tx: WechatTransaction): WechatOrderView {
  const v: WechatOrderView = {
    status: mapWechatStatus('trade', tx.trade_state),
    tradeState: tx.trade_state,
    outTradeNo: tx.out_trade_no,
    appid: tx.appid,
    mchid: tx.mchid,
    transaction: tx,
  };
  if (tx.trade_state_desc !== undefined) v.tradeStateDesc = tx.trade_state_desc;
  if (tx.transaction_id !== undefined) v.transactionId = tx.transaction_id;
  if (tx.amount?.total !== undefined) v.totalFen = tx.amount.total;
  if (tx.amount?.payer_total !== undefined) v.payerTotalFen = tx.amount.payer_total;
  if (tx.success_time !== undefined) v.successTime = tx.success_time;
  if (tx.payer?.openid !== undefined) v.payerOpenId = tx.payer.openid;
  if (tx.attach !== undefined) v.attach = tx.attach;
  return v;
}

/** A refund answer (create or query) as our view; also for the parking service's refunds (parking.ts). */
export function refundView(r: WechatRefund): WechatRefundView {
  const v: WechatRefundView = {
    status: mapWechatStatus('refund', r.status),
    refundStatus: r.status,
    refundId: r.refund_id,
    outRefundNo: r.out_refund_no,
    refundFen: r.amount.refund,
    totalFen: r.amount.total,
    alreadyExisted: false,
    refund: r,
  };
  if (r.out_trade_no !== undefined) v.outTradeNo = r.out_trade_no;
  if (r.transaction_id !== undefined) v.transactionId = r.transaction_id;
  if (r.success_time !== undefined) v.successTime = r.success_time;
  if (r.create_time !== undefined) v.createTime = r.create_time;
  if (r.user_received_account !== undefined) v.userReceivedAccount = r.user_received_account;
  return v;
}
