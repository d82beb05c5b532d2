/**
 * The Alipay adapter on alipay-sdk 4 (Open API v2, gateway.do): mini-program payments (JSAPI_PAY), QR
 * precreate, query, close, refund, refund query, auth-code login, and notification verification.
 *
 * What it adds to the SDK, and why:
 *  - `validateSign: true` on every exec: the SDK's default is off, and then a forged response is believed.
 *  - An `error_response` (what Alipay answers to a bad auth code, an unknown method, …) is signed too, but
 *    the SDK 4.14 only knows how to cut out `<method>_response` for verification, so it reports "验签失败"
 *    for a genuine error. We verify the error_response text ourselves and report the business error; if it
 *    does not verify either, it is 'bad_signature'.
 *  - A response without any `sign` makes the SDK throw a TypeError: we report 'bad_signature'.
 *  - Every answer must be about the trade we asked about (out_trade_no): a genuine signed answer replayed
 *    for another trade verifies perfectly, so the signature alone does not prove that.
 *  - Request timestamps are China time whatever the host's zone (the SDK uses the process's local zone,
 *    and Alipay reads the timestamp as GMT+8).
 *  - Business errors are RETURNED by the SDK (code ≠ 10000); here they become AlipayError 'business' through
 *    the one switch in status.ts, and "already done" counts as done: closing a closed trade, a refund
 *    repeated with the same out_request_no (Alipay answers fund_change N; we confirm by refund query).
 *  - Money in and out is integer fen; yuan strings with exactly two decimals on the wire.
 */
import { createPrivateKey, createPublicKey, createVerify, X509Certificate } from 'node:crypto';
import { AlipayRequestError, AlipaySdk } from 'alipay-sdk';
import { z } from 'zod';
import { formatChinaTime, parseChinaTime } from '../../../../shared/time';
import { systemClock, type Clock } from '../../core/clock';
import { AlipayError, badResponse, invalidRequest, type AlipayErrorKind } from './errors';
import { alipayYuanToFen, fenToAlipayYuan } from './money';
import { verifyNotificationFields, type NotificationVerdict } from './notification';
import { businessSignal, mapAlipaySignal, type AlipayTradeStatus, type PaymentStatus } from './status';

/** The `alipay` block of config.ts (keyType and gateway may be left to their defaults). */
export interface AlipayAdapterConfig {
  appId: string;
  /** The app's private key, PEM (or bare base64). */
  privateKey: string;
  /** 公钥模式: Alipay's public key for this app, PEM (or bare base64). */
  alipayPublicKey?: string;
  /**
   * 公钥证书模式 (instead of alipayPublicKey): the app public key certificate, the Alipay public key
   * certificate and the Alipay root certificate bundle, PEM text as downloaded from the open platform. Requests
   * then carry app_cert_sn and alipay_root_cert_sn; answers and notifications are verified with the key of
   * the Alipay public key certificate.
   */
  appCert?: string;
  alipayPublicCert?: string;
  alipayRootCert?: string;
  /** Our seller id (PID 2088…): notifications must carry it when set. */
  sellerId?: string;
  keyType?: 'PKCS1' | 'PKCS8';
  gateway?: string;
  notifyUrl?: string;
}

export interface AlipayAdapterOptions {
  /** Per request, milliseconds (the SDK's `timeout`). Default 5000. */
  timeoutMs?: number;
  /** The time request timestamps are taken from. Default: the system clock. */
  clock?: Clock;
}

export const DEFAULT_ALIPAY_GATEWAY = 'https://openapi.alipay.com/gateway.do';
export const DEFAULT_ALIPAY_TIMEOUT_MS = 5000;

/** total_amount limits of alipay.trade.create / precreate: 0.01 – 100000000.00 yuan. */
const MAX_FEN = 100_000_000_00;
/** out_trade_no / out_request_no: up to 64 letters, digits and underscores (we also allow '-'). */
const MERCHANT_NO = /^[A-Za-z0-9_-]{1,64}$/;
/** timeout_express: 1m–15d, or 1c (until the end of the day). */
const TIMEOUT_EXPRESS = /^(?:[1-9]\d{0,4}[mhd]|1c)$/;

export interface CreateTradeInput {
  outTradeNo: string;
  subject: string;
  totalFen: number;
  /** The payer, open_id mode (apps created since 2023). One of buyerOpenId / buyerId is required. */
  buyerOpenId?: string;
  /** The payer, user_id mode (2088…). */
  buyerId?: string;
  /** The mini-program's app id when it differs from the calling app. */
  opAppId?: string;
  /** e.g. "15m"; the trade closes by itself if unpaid by then. */
  timeoutExpress?: string;
  /** Where Alipay notifies; default: the configured notifyUrl. */
  notifyUrl?: string;
}

export interface PrecreateInput {
  outTradeNo: string;
  subject: string;
  totalFen: number;
  timeoutExpress?: string;
  notifyUrl?: string;
}

export interface AlipayTrade {
  outTradeNo: string;
  tradeNo: string;
  status: PaymentStatus;
  tradeStatus: AlipayTradeStatus;
  totalFen: number;
  receiptFen?: number;
  buyerPayFen?: number;
  buyerId?: string;
  buyerOpenId?: string;
  buyerLogonId?: string;
  /** send_pay_date: when the buyer paid. */
  paidAt?: Date;
}

export type CloseResult =
  /** Closed by this call. */
  | { outcome: 'closed'; outTradeNo: string; tradeNo?: string }
  /** It was closed already (by an earlier close or by its timeout): done. */
  | { outcome: 'already_closed'; trade: AlipayTrade }
  /** Not closable: the buyer paid (it may have been refunded since: trade.status says). */
  | { outcome: 'paid'; trade: AlipayTrade }
  /**
   * Alipay has no such trade. For a precreate QR nobody has scanned yet this is NOT proof that it cannot be
   * paid: the QR stays payable until its timeout.
   */
  | { outcome: 'not_found'; outTradeNo: string };

export interface RefundInput {
  outTradeNo: string;
  /** Our id of this refund: the same value repeats the same refund, never a second one. */
  outRequestNo: string;
  refundFen: number;
  reason?: string;
}

export interface RefundResult {
  outTradeNo: string;
  tradeNo: string;
  outRequestNo: string;
  refundFen: number;
  /**
   * 'refunded': Alipay confirms it (fund_change Y now, or REFUND_SUCCESS on the refund query after a repeat).
   * 'pending': accepted but not yet confirmed; ask queryRefund later.
   */
  status: 'refunded' | 'pending';
  /** True when money moved in THIS call; false when the refund had already been made by an earlier call. */
  fundChange: boolean;
  /** refund_fee: everything refunded on this trade so far (when Alipay said). */
  totalRefundedFen?: number;
}

export type RefundQueryResult =
  | { status: 'refunded'; outTradeNo: string; tradeNo: string; outRequestNo: string; refundFen: number; totalFen?: number; refundedAt?: Date }
  /** Alipay has no such successful refund (never received, or failed). */
  | { status: 'not_found'; outTradeNo: string; outRequestNo: string };

export interface OAuthToken {
  /** 2088… (user_id mode apps). */
  userId?: string;
  /** open_id mode apps. */
  openId?: string;
  accessToken: string;
  expiresInSec: number;
  refreshToken?: string;
  reExpiresInSec?: number;
}

// ── response shapes (tolerant in: extra fields are fine, what we use must be there) ───────────────

const amountText = z.string().refine((v) => {
  try {
    alipayYuanToFen(v);
    return true;
  } catch {
    return false;
  }
}, 'not a yuan amount');
const timeText = z.string().regex(/^\d{4}-\d{2}-\d{2} \d{2}:\d{2}:\d{2}$/, 'not yyyy-MM-dd HH:mm:ss');

const createAnswer = z.looseObject({ out_trade_no: z.string().min(1), trade_no: z.string().min(1) });
const precreateAnswer = z.looseObject({ out_trade_no: z.string().min(1), qr_code: z.string().min(1) });
const queryAnswer = z.looseObject({
  out_trade_no: z.string().min(1),
  trade_no: z.string().min(1),
  trade_status: z.enum(['WAIT_BUYER_PAY', 'TRADE_SUCCESS', 'TRADE_FINISHED', 'TRADE_CLOSED']),
  total_amount: amountText,
  receipt_amount: amountText.optional(),
  buyer_pay_amount: amountText.optional(),
  buyer_user_id: z.string().optional(),
  buyer_open_id: z.string().optional(),
  buyer_logon_id: z.string().optional(),
  send_pay_date: timeText.optional(),
});
const closeAnswer = z.looseObject({ out_trade_no: z.string().optional(), trade_no: z.string().optional() });
const refundAnswer = z.looseObject({
  out_trade_no: z.string().min(1),
  trade_no: z.string().min(1),
  fund_change: z.enum(['Y', 'N']).optional(),
  refund_fee: amountText.optional(),
});
const refundQueryAnswer = z.looseObject({
  out_trade_no: z.string().optional(),
  trade_no: z.string().optional(),
  out_request_no: z.string().optional(),
  refund_status: z.string().optional(),
  refund_amount: amountText.optional(),
  total_amount: amountText.optional(),
  gmt_refund_pay: z.string().optional(),
});
const oauthAnswer = z.looseObject({
  user_id: z.string().min(1).optional(),
  open_id: z.string().min(1).optional(),
  access_token: z.string().min(1),
  expires_in: z.union([z.string(), z.number()]),
  refresh_token: z.string().optional(),
  re_expires_in: z.union([z.string(), z.number()]).optional(),
});

type Inner = Record<string, unknown>;

export class AlipayAdapter {
  readonly appId: string;
  readonly gateway: string;
  /** Our seller id, when configured: notifications about another seller are refused. */
  readonly sellerId?: string;
  /** 公钥证书模式: the serial (alipay_cert_sn) of the Alipay certificate we verify with. */
  readonly alipayCertSn?: string;
  readonly #sdk: AlipaySdk;
  readonly #alipayPublicKeyPem: string;
  readonly #notifyUrl?: string;
  readonly #clock: Clock;

  constructor(config: AlipayAdapterConfig, options: AlipayAdapterOptions = {}) {
    if (!config.appId) throw configError('appId is empty');
    if (!config.privateKey) throw configError('privateKey is empty');
    const certMode = Boolean(config.appCert || config.alipayPublicCert || config.alipayRootCert);
    // Without a key the SDK silently skips response verification (and fails every notification).
    if (!certMode && !config.alipayPublicKey) throw configError('alipayPublicKey is empty (or give appCert, alipayPublicCert and alipayRootCert)');
    this.#clock = options.clock ?? systemClock;
    if (certMode) checkCertificates(config, this.#clock.now());
    this.appId = config.appId;
    this.gateway = config.gateway ?? DEFAULT_ALIPAY_GATEWAY;
    this.sellerId = config.sellerId;
    this.#notifyUrl = config.notifyUrl;
    const keyType = config.keyType ?? 'PKCS8';
    this.#sdk = new AlipaySdk({
      appId: config.appId,
      privateKey: config.privateKey,
      ...(certMode
        ? { appCertContent: config.appCert, alipayPublicCertContent: config.alipayPublicCert, alipayRootCertContent: config.alipayRootCert }
        : { alipayPublicKey: config.alipayPublicKey }),
      keyType,
      signType: 'RSA2',
      gateway: this.gateway,
      timeout: options.timeoutMs ?? DEFAULT_ALIPAY_TIMEOUT_MS,
      // Wire names in, wire names out: the shapes above follow Alipay's docs letter by letter.
      camelcase: false,
    });
    this.alipayCertSn = certMode ? this.#sdk.config.alipayCertSn : undefined;
    // Fail at boot, not at the first payment: the SDK only touches the keys when it signs / verifies.
    let privateKey;
    try {
      privateKey = createPrivateKey(this.#sdk.config.privateKey);
    } catch {
      throw configError(`privateKey is not a ${keyType} RSA private key (keyType must match the PEM: PKCS8 = BEGIN PRIVATE KEY)`);
    }
    if (certMode && !certificatesOf(config.appCert!)[0]!.checkPrivateKey(privateKey)) {
      throw configError('appCert is not the certificate of privateKey (download the app public key certificate of this key)');
    }
    try {
      this.#alipayPublicKeyPem = createPublicKey(this.#sdk.config.alipayPublicKey!).export({ type: 'spki', format: 'pem' }).toString();
    } catch {
      throw configError('alipayPublicKey is not an RSA public key');
    }
  }

  // ── payments ────────────────────────────────────────────────────────────────────────────────

  /** alipay.trade.create, product JSAPI_PAY → the trade_no the mini-program passes to my.tradePay({tradeNO}). */
  async createTrade(input: CreateTradeInput): Promise<{ tradeNo: string; outTradeNo: string }> {
    const method = 'alipay.trade.create';
    checkMerchantNo(method, 'outTradeNo', input.outTradeNo);
    checkAmount(method, 'totalFen', input.totalFen);
    checkSubject(method, input.subject);
    if (!input.buyerOpenId === !input.buyerId) {
      throw invalidRequest(method, 'exactly one of buyerOpenId / buyerId is required for JSAPI_PAY');
    }
    if (input.timeoutExpress !== undefined) checkTimeoutExpress(method, input.timeoutExpress);
    const biz: Inner = {
      out_trade_no: input.outTradeNo,
      total_amount: fenToAlipayYuan(input.totalFen),
      subject: input.subject,
      product_code: 'JSAPI_PAY',
    };
    if (input.buyerOpenId) biz.buyer_open_id = input.buyerOpenId;
    if (input.buyerId) biz.buyer_id = input.buyerId;
    if (input.opAppId) biz.op_app_id = input.opAppId;
    if (input.timeoutExpress) biz.timeout_express = input.timeoutExpress;
    const inner = await this.call(method, { bizContent: biz, notifyUrl: input.notifyUrl ?? this.#notifyUrl });
    const a = parse(method, createAnswer, inner);
    sameTrade(method, input.outTradeNo, a.out_trade_no);
    return { tradeNo: a.trade_no, outTradeNo: a.out_trade_no };
  }

  /** alipay.trade.precreate → a QR code URL any Alipay user can scan and pay (lane screens). */
  async precreate(input: PrecreateInput): Promise<{ outTradeNo: string; qrCode: string }> {
    const method = 'alipay.trade.precreate';
    checkMerchantNo(method, 'outTradeNo', input.outTradeNo);
    checkAmount(method, 'totalFen', input.totalFen);
    checkSubject(method, input.subject);
    if (input.timeoutExpress !== undefined) checkTimeoutExpress(method, input.timeoutExpress);
    const biz: Inner = {
      out_trade_no: input.outTradeNo,
      total_amount: fenToAlipayYuan(input.totalFen),
      subject: input.subject,
    };
    if (input.timeoutExpress) biz.timeout_express = input.timeoutExpress;
    const inner = await this.call(method, { bizContent: biz, notifyUrl: input.notifyUrl ?? this.#notifyUrl });
    const a = parse(method, precreateAnswer, inner);
    sameTrade(method, input.outTradeNo, a.out_trade_no);
    return { outTradeNo: a.out_trade_no, qrCode: a.qr_code };
  }

  /**
   * alipay.trade.query. Throws AlipayError 'business' ACQ.TRADE_NOT_EXIST when Alipay has no such trade
   * (normal for a precreate QR nobody has scanned yet).
   */
  async query(outTradeNo: string): Promise<AlipayTrade> {
    const method = 'alipay.trade.query';
    checkMerchantNo(method, 'outTradeNo', outTradeNo);
    const inner = await this.call(method, { bizContent: { out_trade_no: outTradeNo } });
    return this.toTrade(method, outTradeNo, inner);
  }

  /** alipay.trade.close, where closing a closed trade is success. */
  async close(outTradeNo: string): Promise<CloseResult> {
    const method = 'alipay.trade.close';
    checkMerchantNo(method, 'outTradeNo', outTradeNo);
    const inner = await this.callRaw(method, { bizContent: { out_trade_no: outTradeNo } });
    if (isSuccess(inner)) {
      const a = parse(method, closeAnswer, inner);
      if (a.out_trade_no !== undefined) sameTrade(method, outTradeNo, a.out_trade_no);
      return a.trade_no ? { outcome: 'closed', outTradeNo, tradeNo: a.trade_no } : { outcome: 'closed', outTradeNo };
    }
    const err = this.businessError(method, inner);
    if (err.subCode === 'ACQ.TRADE_NOT_EXIST') return { outcome: 'not_found', outTradeNo };
    if (
      err.subCode === 'ACQ.TRADE_STATUS_ERROR' ||
      err.subCode === 'ACQ.REASON_TRADE_STATUS_INVALID' ||
      err.subCode === 'ACQ.REASON_ILLEGAL_STATUS' ||
      err.subCode === 'ACQ.TRADE_HAS_CLOSE'
    ) {
      // Not WAIT_BUYER_PAY any more: find out what it is.
      const trade = await this.query(outTradeNo);
      if (trade.status === 'closed') return { outcome: 'already_closed', trade };
      if (trade.status === 'paid' || trade.status === 'refunded') return { outcome: 'paid', trade };
    }
    throw err;
  }

  /**
   * alipay.trade.refund, partial or full, identified by outRequestNo. Repeating the same outRequestNo (after
   * a timeout, say) never refunds twice: Alipay answers the earlier result with fund_change N, and we
   * confirm it with the refund query.
   */
  async refund(input: RefundInput): Promise<RefundResult> {
    const method = 'alipay.trade.refund';
    checkMerchantNo(method, 'outTradeNo', input.outTradeNo);
    checkMerchantNo(method, 'outRequestNo', input.outRequestNo);
    checkAmount(method, 'refundFen', input.refundFen);
    const biz: Inner = {
      out_trade_no: input.outTradeNo,
      refund_amount: fenToAlipayYuan(input.refundFen),
      out_request_no: input.outRequestNo,
    };
    if (input.reason) biz.refund_reason = input.reason;
    const inner = await this.call(method, { bizContent: biz });
    const a = parse(method, refundAnswer, inner);
    sameTrade(method, input.outTradeNo, a.out_trade_no);
    const base = {
      outTradeNo: input.outTradeNo,
      tradeNo: a.trade_no,
      outRequestNo: input.outRequestNo,
      refundFen: input.refundFen,
      ...(a.refund_fee !== undefined ? { totalRefundedFen: alipayYuanToFen(a.refund_fee) } : {}),
    };
    if (a.fund_change === 'Y') return { ...base, status: 'refunded', fundChange: true };
    // fund_change N (or absent): no money moved in this call. Either the refund was made earlier with this
    // out_request_no, or it is still in progress: the refund query says which (opendocs alipay.trade.refund).
    const q = await this.queryRefund(input.outTradeNo, input.outRequestNo);
    if (q.status === 'refunded') {
      if (q.refundFen !== input.refundFen) {
        throw new AlipayError({
          method,
          kind: 'bad_response',
          retryable: false,
          detail: `refund ${input.outRequestNo} was made earlier for ${q.refundFen} fen, not ${input.refundFen}`,
        });
      }
      return { ...base, status: 'refunded', fundChange: false };
    }
    return { ...base, status: 'pending', fundChange: false };
  }

  /** alipay.trade.fastpay.refund.query: did refund outRequestNo of this trade succeed? */
  async queryRefund(outTradeNo: string, outRequestNo: string): Promise<RefundQueryResult> {
    const method = 'alipay.trade.fastpay.refund.query';
    checkMerchantNo(method, 'outTradeNo', outTradeNo);
    checkMerchantNo(method, 'outRequestNo', outRequestNo);
    const inner = await this.call(method, {
      bizContent: { out_trade_no: outTradeNo, out_request_no: outRequestNo, query_options: ['gmt_refund_pay'] },
    });
    const a = parse(method, refundQueryAnswer, inner);
    if (a.out_trade_no !== undefined) sameTrade(method, outTradeNo, a.out_trade_no);
    if (a.out_request_no !== undefined && a.out_request_no !== outRequestNo) {
      throw badResponse(method, `the answer is about refund ${a.out_request_no}, not ${outRequestNo}`);
    }
    const verdict = a.refund_status ? mapAlipaySignal(a.refund_status) : undefined;
    if (verdict?.kind === 'status' && verdict.status === 'refunded') {
      if (a.refund_amount === undefined || !a.trade_no) throw badResponse(method, 'REFUND_SUCCESS without refund_amount / trade_no');
      const r: RefundQueryResult = {
        status: 'refunded',
        outTradeNo,
        tradeNo: a.trade_no,
        outRequestNo,
        refundFen: alipayYuanToFen(a.refund_amount),
      };
      if (a.total_amount !== undefined) r.totalFen = alipayYuanToFen(a.total_amount);
      const at = a.gmt_refund_pay ? safeChinaTime(a.gmt_refund_pay) : undefined;
      if (at) r.refundedAt = at;
      return r;
    }
    return { status: 'not_found', outTradeNo, outRequestNo };
  }

  /** alipay.system.oauth.token: a mini-program auth code (my.getAuthCode) → the Alipay user. */
  async oauthToken(authCode: string): Promise<OAuthToken> {
    const method = 'alipay.system.oauth.token';
    if (!authCode || authCode.length > 128) throw invalidRequest(method, 'authCode is empty or too long');
    // grant_type and code are request parameters of their own, not biz_content.
    const inner = await this.callRaw(method, { grantType: 'authorization_code', code: authCode });
    // A success answer has no `code` at all; an error has one.
    if (inner.code !== undefined && inner.code !== '10000') throw this.businessError(method, inner);
    const a = parse(method, oauthAnswer, inner);
    if (!a.user_id && !a.open_id) throw badResponse(method, 'neither user_id nor open_id');
    const t: OAuthToken = { accessToken: a.access_token, expiresInSec: Number(a.expires_in) };
    if (a.user_id) t.userId = a.user_id;
    if (a.open_id) t.openId = a.open_id;
    if (a.refresh_token) t.refreshToken = a.refresh_token;
    if (a.re_expires_in !== undefined) t.reExpiresInSec = Number(a.re_expires_in);
    return t;
  }

  // ── notifications ───────────────────────────────────────────────────────────────────────────

  /**
   * Signature (checkNotifySignV2, RSA2 only), notify_type, app_id and field formats of a notification's
   * form fields. Then call checkNotificationMatches with the order it names, and answer
   * notificationAnswer(accepted).
   */
  verifyNotification(formFields: unknown): NotificationVerdict {
    return verifyNotificationFields(formFields, this.appId, (f) => this.#sdk.checkNotifySignV2(f));
  }

  // ── the wire ────────────────────────────────────────────────────────────────────────────────

  /** For subclasses (agreement.ts): page URLs (pageExecute) and notification signatures (checkNotifySignV2). */
  protected get sdk(): AlipaySdk {
    return this.#sdk;
  }

  /** Request timestamps come from this clock. */
  protected get clock(): Clock {
    return this.#clock;
  }

  /** exec with validateSign, code 10000 required. (Protected: agreement.ts adds the withholding calls.) */
  protected async call(method: string, params: { bizContent?: Inner; notifyUrl?: string; [k: string]: unknown }): Promise<Inner> {
    const inner = await this.callRaw(method, params);
    if (!isSuccess(inner)) throw this.businessError(method, inner);
    return inner;
  }

  /** exec with validateSign; the answer whatever its code. Transport and signature failures throw. */
  protected async callRaw(method: string, params: { bizContent?: Inner; notifyUrl?: string; [k: string]: unknown }): Promise<Inner> {
    const p: Record<string, unknown> = { ...params, timestamp: formatChinaTime(this.#clock.now()) };
    if (p.notifyUrl === undefined) delete p.notifyUrl;
    let result: unknown;
    try {
      result = await this.#sdk.exec(method, p, { validateSign: true });
    } catch (e) {
      throw this.classify(method, e);
    }
    if (typeof result !== 'object' || result === null || Array.isArray(result)) throw badResponse(method, 'the answer is not an object');
    return result as Inner;
  }

  protected businessError(method: string, inner: Inner): AlipayError {
    const code = typeof inner.code === 'string' ? inner.code : String(inner.code ?? '');
    const subCode = typeof inner.sub_code === 'string' ? inner.sub_code : undefined;
    const subMsg = typeof inner.sub_msg === 'string' ? inner.sub_msg : undefined;
    const verdict = mapAlipaySignal(businessSignal(code, subCode));
    const retryable = verdict.kind === 'error' ? verdict.retryable : false;
    const detail = verdict.kind === 'error' ? verdict.meaning : 'unexpected answer';
    return new AlipayError({
      method,
      kind: 'business',
      retryable,
      detail: subMsg ? `${detail} (${subMsg})` : detail,
      code,
      ...(subCode !== undefined ? { subCode } : {}),
      ...(subMsg !== undefined ? { subMsg } : {}),
      ...(verdict.kind === 'error' && verdict.status ? { status: verdict.status } : {}),
    });
  }

  /**
   * Whatever the SDK threw → AlipayError. Our own words only: the SDK's messages quote URLs and bodies.
   * An answer we cannot read or trust leaves unknown what Alipay did: retryable, as WeChat Pay's adapter
   * treats an answer whose signature fails.
   */
  private classify(method: string, e: unknown): AlipayError {
    const fail = (kind: AlipayErrorKind, retryable: boolean, detail: string, extra: { httpStatus?: number } = {}) =>
      new AlipayError({ method, kind, retryable, detail, ...extra });
    if (e instanceof AlipayRequestError) {
      const msg = e.message;
      if (msg.startsWith('HttpClient Request error')) {
        const cause = e.cause as { name?: string; code?: string } | undefined;
        if (cause?.name && /Timeout/.test(cause.name)) return fail('timeout', true, 'no answer within the timeout');
        return fail('network', true, `no answer (${cause?.code ?? cause?.name ?? 'connection failed'})`);
      }
      const http = /^HTTP 请求错误, status: (\d+)/.exec(msg);
      if (http) {
        const status = Number(http[1]);
        return fail('http', status >= 500 || status === 429, `HTTP ${status}`, { httpStatus: status });
      }
      if (msg.startsWith('验签失败')) {
        const recovered = this.signedErrorResponse(method, e.responseDataRaw);
        if (recovered) return recovered;
        const sn = this.answeredCertSn(e.responseDataRaw);
        if (sn) {
          // Alipay rotated its certificate: the operator downloads the new one (alipay_cert_sn names it).
          return fail('bad_signature', true, `the answer is signed with Alipay certificate ${sn}, not the configured ${this.alipayCertSn}: download the current Alipay public key certificate`);
        }
        return fail('bad_signature', true, 'the answer’s sign does not verify with the Alipay public key');
      }
      return fail('bad_response', true, 'the answer is not a usable Open API response');
    }
    const err = e as { code?: string; message?: string } | undefined;
    if (err?.code === 'ERR_INVALID_ARG_TYPE' && /"signature"/.test(err.message ?? '')) {
      return fail('bad_signature', true, 'the answer has no sign');
    }
    return fail('bad_response', true, 'the answer could not be processed');
  }

  /**
   * `{"error_response":{…},"sign":"…"}`: verify the exact error_response text (as the SDK does for
   * `<method>_response`) and turn it into the business error it is. Undefined when it does not verify.
   */
  private signedErrorResponse(method: string, raw: string | undefined): AlipayError | undefined {
    if (!raw) return undefined;
    const key = '"error_response":';
    const start = raw.indexOf(key);
    const signAt = raw.lastIndexOf('"sign"');
    if (start < 0 || signAt < start) return undefined;
    // 公钥证书模式 answers put alipay_cert_sn between the object and the sign.
    const text = raw.slice(start + key.length, signAt).replace(/,\s*$/, '').replace(/,\s*"alipay_cert_sn"\s*:\s*"[^"]*"\s*$/, '').trim();
    let body: unknown;
    let sign: unknown;
    try {
      body = JSON.parse(text);
      sign = (JSON.parse(raw) as { sign?: unknown }).sign;
    } catch {
      return undefined;
    }
    if (typeof sign !== 'string' || typeof body !== 'object' || body === null) return undefined;
    let ok = false;
    try {
      ok = createVerify('RSA-SHA256').update(text, 'utf8').verify(this.#alipayPublicKeyPem, sign, 'base64');
    } catch {
      ok = false;
    }
    return ok ? this.businessError(method, body as Inner) : undefined;
  }

  /** 公钥证书模式: alipay_cert_sn of an answer when it names another certificate than ours. */
  private answeredCertSn(raw: string | undefined): string | undefined {
    if (!raw || !this.alipayCertSn) return undefined;
    try {
      const sn = (JSON.parse(raw) as { alipay_cert_sn?: unknown }).alipay_cert_sn;
      return typeof sn === 'string' && sn !== this.alipayCertSn ? sn : undefined;
    } catch {
      return undefined;
    }
  }

  private toTrade(method: string, outTradeNo: string, inner: Inner): AlipayTrade {
    const a = parse(method, queryAnswer, inner);
    sameTrade(method, outTradeNo, a.out_trade_no);
    const verdict = mapAlipaySignal(a.trade_status, { paidBefore: a.send_pay_date !== undefined });
    if (verdict.kind !== 'status') throw badResponse(method, `trade_status ${a.trade_status}`);
    const t: AlipayTrade = {
      outTradeNo: a.out_trade_no,
      tradeNo: a.trade_no,
      status: verdict.status,
      tradeStatus: a.trade_status,
      totalFen: alipayYuanToFen(a.total_amount),
    };
    if (a.receipt_amount !== undefined) t.receiptFen = alipayYuanToFen(a.receipt_amount);
    if (a.buyer_pay_amount !== undefined) t.buyerPayFen = alipayYuanToFen(a.buyer_pay_amount);
    if (a.buyer_user_id) t.buyerId = a.buyer_user_id;
    if (a.buyer_open_id) t.buyerOpenId = a.buyer_open_id;
    if (a.buyer_logon_id) t.buyerLogonId = a.buyer_logon_id;
    const paidAt = a.send_pay_date ? safeChinaTime(a.send_pay_date) : undefined;
    if (paidAt) t.paidAt = paidAt;
    return t;
  }
}

// ── small helpers ──────────────────────────────────────────────────────────────────────────────

function isSuccess(inner: Inner): boolean {
  return inner.code === '10000';
}

/** Every certificate of a PEM text (a downloaded .crt may hold a chain). */
function certificatesOf(pemText: string): X509Certificate[] {
  return (pemText.match(/-----BEGIN CERTIFICATE-----[\s\S]+?-----END CERTIFICATE-----/g) ?? []).flatMap((p) => {
    try {
      return [new X509Certificate(p)];
    } catch {
      return [];
    }
  });
}

function issuedBy(cert: X509Certificate, issuer: X509Certificate): boolean {
  try {
    return cert.checkIssued(issuer) && cert.verify(issuer.publicKey);
  } catch {
    return false; // an SM2 certificate of the bundle: not one to verify RSA with
  }
}

/**
 * 公钥证书模式 at boot: the certificates parse, and the Alipay public key certificate (the first of its file;
 * the others are its intermediates) chains up to the root bundle and is in date — what Alipay's SDKs check
 * as "支付宝公钥证书校验失败". A wrong file stops the boot naming it, not the first payment.
 */
function checkCertificates(config: AlipayAdapterConfig, now: number): void {
  const need = '(公钥证书模式 needs appCert, alipayPublicCert and alipayRootCert)';
  for (const name of ['appCert', 'alipayPublicCert', 'alipayRootCert'] as const) {
    if (!config[name]) throw configError(`${name} is empty ${need}`);
    if (certificatesOf(config[name]).length === 0) throw configError(`${name} holds no PEM certificate`);
  }
  const [leaf, ...intermediates] = certificatesOf(config.alipayPublicCert!);
  const roots = certificatesOf(config.alipayRootCert!);
  const isRoot = (c: X509Certificate) => roots.some((r) => r.fingerprint256 === c.fingerprint256);
  let cert = leaf!;
  for (let depth = 0; !isRoot(cert); depth++) {
    const issuer = depth < 5 ? [...intermediates, ...roots].find((c) => c !== cert && issuedBy(cert, c)) : undefined;
    if (!issuer) throw configError('alipayPublicCert does not chain up to alipayRootCert (download both for this app)');
    cert = issuer;
  }
  if (now > Date.parse(leaf!.validTo) || now < Date.parse(leaf!.validFrom)) {
    throw configError(`alipayPublicCert is valid ${leaf!.validFrom} – ${leaf!.validTo} only: download the current one`);
  }
}

function configError(detail: string): AlipayError {
  return new AlipayError({ method: 'config', kind: 'config', retryable: false, detail });
}


function parse<T extends z.ZodType>(method: string, schema: T, inner: Inner): z.infer<T> {
  const r = schema.safeParse(inner);
  if (!r.success) {
    const i = r.error.issues[0];
    throw badResponse(method, `${i ? `${i.path.join('.') || '(root)'}: ${i.message}` : 'unexpected shape'}`);
  }
  return r.data;
}

function sameTrade(method: string, asked: string, answered: string): void {
  if (asked !== answered) throw badResponse(method, `the answer is about out_trade_no ${answered}, not ${asked}`);
}

function checkMerchantNo(method: string, name: string, v: string): void {
  if (typeof v !== 'string' || !MERCHANT_NO.test(v)) throw invalidRequest(method, `${name} must be 1–64 letters, digits, '_' or '-'`);
}

function checkAmount(method: string, name: string, fen: number): void {
  if (!Number.isSafeInteger(fen) || fen < 1 || fen > MAX_FEN) throw invalidRequest(method, `${name} must be an integer 1–${MAX_FEN} fen`);
}

function checkSubject(method: string, subject: string): void {
  if (typeof subject !== 'string' || subject.trim() === '' || subject.length > 256) throw invalidRequest(method, 'subject must be 1–256 characters');
}

function checkTimeoutExpress(method: string, v: string): void {
  if (!TIMEOUT_EXPRESS.test(v)) throw invalidRequest(method, 'timeoutExpress must look like 15m, 2h, 1d or 1c');
}

function safeChinaTime(v: string): Date | undefined {
  try {
    return parseChinaTime(v);
  } catch {
    return undefined;
  }
}
