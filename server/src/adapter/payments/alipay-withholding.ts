/**
 * The agreement service's WithholdingGateway over Alipay (商家扣款: agreement signing + agreement payment),
 * plus the parser that turns verified notifications to the withholding notify_url into WithholdingEvents.
 *
 *  - startSignup → alipay.user.agreement.page.sign URL (external_agreement_no = our signNo, GENERAL_WITHHOLDING_P,
 *    the configured sign_scene, the plate as external_logon_id, notify_url for dut_user_sign).
 *  - check → alipay.user.agreement.query, by agreement_no when we have it, else by product + scene + signNo.
 *  - end → alipay.user.agreement.unsign; an agreement Alipay no longer has counts as ended.
 *  - deduct → alipay.trade.pay GENERAL_WITHHOLDING. Idempotent per outTradeNo: a second call for an
 *    outTradeNo this process has tried before asks alipay.trade.query first; Alipay itself refuses to take
 *    the money twice for one out_trade_no (ACQ.TRADE_HAS_SUCCESS → we answer what the query says); an
 *    answer we cannot trust (timeout, network, 5xx, a bad signature, ACQ.SYSTEM_ERROR) is settled by
 *    trade.query before anything is reported.
 *  - queryDeduction → alipay.trade.query.
 *
 * Every Alipay word (agreement status, trade status, sub_code) becomes ours in ONE switch: mapSignal.
 * Failures that are not about the driver (our configuration, a malformed request, Alipay down with the
 * outcome unknown) are thrown as AlipayError with `retryable`, like the rest of the adapter.
 */
import type {
  AgreementRef,
  AgreementState,
  DeductResult,
  ProviderAgreement,
  SignupStart,
  WithholdingEvent,
  WithholdingGateway,
  WithholdingRefundResult,
} from '../../core/agreements/gateways';
import type { Payer } from '../../core/orders/gateways';
import { formatChinaTime } from '../../../../shared/time';
import {
  AlipayAgreementAdapter,
  AlipayError,
  GENERAL_WITHHOLDING_P,
  type AgreementLookup,
  type AlipayAdapterConfig,
  type AlipayAdapterOptions,
  type NotificationRejection,
} from '../alipay';

/**
 * sign_scene for parking: an "INDUSTRY|…" value of Alipay's 代扣产品常见场景值 list agreed in the merchant's
 * sales plan. Configure the one Alipay gave the merchant; this default is what the sandbox accepts.
 */
export const DEFAULT_PARKING_SIGN_SCENE = 'INDUSTRY|PARKING';

export interface AlipayWithholdingOptions {
  /** Where Alipay notifies agreement changes (dut_user_sign / dut_user_unsign) and deduction results. */
  notifyUrl: string;
  /** Default: DEFAULT_PARKING_SIGN_SCENE. */
  signScene?: string;
  /** Default GENERAL_WITHHOLDING_P (any amount whenever a stay ends). */
  personalProductCode?: string;
  /** Where the browser goes after the sign-up page when startSignup is given none. */
  returnUrl?: string;
  /** access_params.channel. Default ALIPAYAPP (the wallet's H5 page). */
  channel?: 'ALIPAYAPP' | 'QRCODE' | 'QRCODEORSMS';
  /** Our seller id (PID 2088…): a deduction notification must carry it when set. */
  sellerId?: string;
  /** How many outTradeNos to remember as "tried before" (query first on a retry). Default 10000. */
  rememberAttempts?: number;
  /** The time (expiry of agreements, a paid time Alipay left out). Default Date.now. */
  now?: () => number;
}

/** What a verified withholding notification means; `event` absent when it says nothing the service needs (a refund). */
export type WithholdingNotificationResult =
  | { ok: true; notifyId: string; event?: WithholdingEvent }
  | { ok: false; reason: NotificationRejection | 'seller_id_mismatch'; detail: string };

type Verdict =
  | { kind: 'agreement'; state: AgreementState }
  | { kind: 'no_agreement' }
  | { kind: 'deduction'; status: 'paid' | 'accepted' | 'closed' }
  | { kind: 'already_paid' }
  | { kind: 'refused'; code: 'no_agreement' | 'insufficient_funds' | 'refused'; reason: string }
  | { kind: 'unsettled'; reason: string }
  | { kind: 'error'; reason: string };

/**
 * The one switch: agreement statuses (query, dut_* notifications), trade statuses (query, pay answers,
 * trade_status_sync) and the sub_codes of agreement calls and alipay.trade.pay.
 * Sources: alipay.user.agreement.query (TEMP 暂存未生效, NORMAL 正常, STOP 暂停), dut_user_unsign (UNSIGN),
 * the alipay.trade.pay error table (ACQ.*), USER_AGREEMENT_NOT_EXIST of query / unsign.
 */
export function mapSignal(signal: string): Verdict {
  switch (signal) {
    // ── agreement statuses ──────────────────────────────────────────────────────────────────────
    case 'TEMP':
      return { kind: 'agreement', state: 'signing' };
    case 'NORMAL':
      return { kind: 'agreement', state: 'active' };
    case 'STOP':
      return { kind: 'agreement', state: 'paused' };
    case 'UNSIGN':
      return { kind: 'agreement', state: 'ended' };
    case 'USER_AGREEMENT_NOT_EXIST':
    case 'ACQ.USER_AGREEMENT_NOT_EXIST':
      return { kind: 'no_agreement' };

    // ── trade statuses and pay codes ────────────────────────────────────────────────────────────
    case '10000':
    case 'TRADE_SUCCESS':
    case 'TRADE_FINISHED':
      return { kind: 'deduction', status: 'paid' };
    case '10003': // ORDER_SUCCESS_PAY_INPROCESS: Alipay needs the user; the result comes later
    case 'WAIT_BUYER_PAY':
      return { kind: 'deduction', status: 'accepted' };
    case 'TRADE_CLOSED':
      return { kind: 'deduction', status: 'closed' };
    case 'ACQ.TRADE_HAS_SUCCESS':
      return { kind: 'already_paid' };

    // ── deductions refused for the driver's agreement ───────────────────────────────────────────
    case 'ACQ.AGREEMENT_NOT_EXIST':
      return { kind: 'refused', code: 'no_agreement', reason: 'the agreement does not exist or was ended' };
    case 'ACQ.AGREEMENT_INVALID':
      return { kind: 'refused', code: 'no_agreement', reason: 'the agreement has expired' };
    case 'ACQ.AGREEMENT_STATUS_NOT_NORMAL':
      return { kind: 'refused', code: 'no_agreement', reason: 'the agreement is not in force (paused)' };
    case 'ACQ.AGREEMENT_ERROR':
      return { kind: 'refused', code: 'no_agreement', reason: 'the agreement does not allow this payment' };
    // ── … for the driver's money ────────────────────────────────────────────────────────────────
    case 'ACQ.BUYER_BALANCE_NOT_ENOUGH':
    case 'ACQ.BUYER_BANKCARD_BALANCE_NOT_ENOUGH':
    case 'ACQ.ERROR_BALANCE_PAYMENT_DISABLE':
    case 'ACQ.NO_PAYMENT_INSTRUMENTS_AVAILABLE':
    case 'ACQ.BUYER_PAYMENT_AMOUNT_DAY_LIMIT_ERROR':
    case 'ACQ.BUYER_PAYMENT_AMOUNT_MONTH_LIMIT_ERROR':
      return { kind: 'refused', code: 'insufficient_funds', reason: 'the driver’s Alipay cannot cover the amount' };
    // ── … for the driver's account or risk control ──────────────────────────────────────────────
    case 'ACQ.PAYMENT_REQUEST_HAS_RISK':
    case 'ACQ.BUYER_ENABLE_STATUS_FORBID':
    case 'ACQ.PAYMENT_FAIL':
    case 'ACQ.ERROR_BUYER_CERTIFY_LEVEL_LIMIT':
    case 'ACQ.BUYER_SELLER_EQUAL':
    case 'ACQ.TRADE_BUYER_NOT_MATCH':
      return { kind: 'refused', code: 'refused', reason: 'Alipay refused the payment for the driver’s account' };
    case 'ACQ.TRADE_HAS_CLOSE':
      return { kind: 'refused', code: 'refused', reason: 'this out_trade_no was closed; a new deduction needs a new one' };

    // ── the outcome is not known yet: settle it with trade.query ────────────────────────────────
    case 'ACQ.SYSTEM_ERROR':
    case 'aop.ACQ.SYSTEM_ERROR':
    case 'SYSTEM_ERROR':
    case 'isp.unknow-error':
    case 'isp.unknown-error':
    case '20000':
      return { kind: 'unsettled', reason: 'Alipay is temporarily unavailable' };

    // ── ours to fix, not the driver's ───────────────────────────────────────────────────────────
    case 'ACQ.CONTEXT_INCONSISTENT':
      return { kind: 'error', reason: 'this out_trade_no was used with another amount or subject' };
    case 'ACQ.MERCHANT_AGREEMENT_NOT_EXIST':
    case 'ACQ.MERCHANT_AGREEMENT_INVALID':
    case 'ACQ.MERCHANT_STATUS_NOT_NORMAL':
    case 'ACQ.ACCESS_FORBIDDEN':
    case 'MERCHANT_AGREEMENT_IS_NOT_EXIST':
    case 'PRODUCT_CODE_NOT_SUPPORTED_ERROR':
      return { kind: 'error', reason: 'the merchant is not set up for this withholding product' };
    default:
      return { kind: 'error', reason: `Alipay answered ${signal}` };
  }
}

/** An AlipayError's signal for the switch: its sub_code, else its code. */
const signalOf = (e: AlipayError): string => e.subCode ?? e.code ?? '';

/** Timeouts, dropped connections, 5xx pages and answers we cannot believe: Alipay may have taken the money. */
function outcomeUnknown(e: AlipayError): boolean {
  if (e.kind === 'timeout' || e.kind === 'network' || e.kind === 'bad_signature' || e.kind === 'bad_response') return true;
  if (e.kind === 'http') return (e.httpStatus ?? 500) >= 500 || e.httpStatus === 429;
  return e.kind === 'business' && mapSignal(signalOf(e)).kind === 'unsettled';
}

export class AlipayWithholdingGateway implements WithholdingGateway {
  readonly provider = 'alipay' as const;
  readonly #signScene: string;
  readonly #product: string;
  /** outTradeNos deducted before by this process, oldest first (a Map keeps insertion order). */
  readonly #attempted = new Map<string, true>();

  constructor(
    readonly alipay: AlipayAgreementAdapter,
    private readonly options: AlipayWithholdingOptions,
  ) {
    if (!options.notifyUrl) throw new Error('AlipayWithholdingGateway: notifyUrl is required');
    this.#signScene = options.signScene ?? DEFAULT_PARKING_SIGN_SCENE;
    this.#product = options.personalProductCode ?? GENERAL_WITHHOLDING_P;
  }

  startSignup(o: AgreementRef & { returnUrl?: string }): Promise<SignupStart> {
    const returnUrl = o.returnUrl ?? this.options.returnUrl;
    let signUrl: string;
    try {
      signUrl = this.alipay.pageSignUrl({
        externalAgreementNo: o.signNo,
        signScene: this.#signScene,
        personalProductCode: this.#product,
        externalLogonId: o.plate,
        notifyUrl: this.options.notifyUrl,
        ...(returnUrl ? { returnUrl } : {}),
        ...(this.options.channel ? { channel: this.options.channel } : {}),
      });
    } catch (e) {
      return Promise.reject(e instanceof Error ? e : new Error(String(e)));
    }
    return Promise.resolve({ provider: 'alipay', signUrl });
  }

  async check(o: AgreementRef): Promise<ProviderAgreement> {
    const a = await this.alipay.queryAgreement(this.lookup(o));
    if (!a) {
      // Alipay has none: never signed (still signing, or given up), or ended since we knew its number.
      return o.agreementNo ? { state: 'ended', reason: 'Alipay no longer has this agreement (ended by the driver or Alipay)' } : { state: 'none' };
    }
    const v = mapSignal(a.status);
    if (v.kind !== 'agreement') throw new AlipayError({ method: 'alipay.user.agreement.query', kind: 'bad_response', retryable: false, detail: `status ${a.status}` });
    const expired = a.invalidAt !== undefined && a.invalidAt.getTime() <= this.now();
    const view: ProviderAgreement = { state: expired ? 'ended' : v.state, agreementNo: a.agreementNo };
    if (a.signedAt) view.signedAt = a.signedAt;
    if (expired) {
      view.endedAt = a.invalidAt as Date;
      view.reason = 'the agreement has expired';
    } else if (v.state === 'paused') view.reason = 'Alipay has paused the agreement (STOP)';
    return view;
  }

  async end(o: AgreementRef): Promise<void> {
    // 'not_found' is fine: it is ended either way.
    await this.alipay.unsignAgreement(this.lookup(o), { notifyUrl: this.options.notifyUrl });
  }

  async deduct(o: Parameters<WithholdingGateway['deduct']>[0]): Promise<DeductResult> {
    if (!o.agreement.agreementNo) {
      return { status: 'failed', code: 'no_agreement', reason: 'no Alipay agreement_no yet: the sign-up has not completed' };
    }
    if (this.#attempted.has(o.outTradeNo)) {
      // A retry: whatever happened last time, Alipay's trade says it.
      const before = await this.queryDeduction(o.outTradeNo);
      if (before.status !== 'unknown') return this.sameAmount(before, o.amountFen, o.outTradeNo);
    }
    this.remember(o.outTradeNo);
    try {
      const r = await this.alipay.agreementPay({
        outTradeNo: o.outTradeNo,
        agreementNo: o.agreement.agreementNo,
        totalFen: o.amountFen,
        subject: o.description,
        body: `${o.parkName} ${o.agreement.plate} ${formatChinaTime(o.enteredAt).slice(5, 16)}–${formatChinaTime(o.leftAt).slice(5, 16)}`,
        notifyUrl: this.options.notifyUrl,
      });
      if (r.outcome === 'waiting') return r.tradeNo ? { status: 'accepted', transactionId: r.tradeNo } : { status: 'accepted' };
      return { status: 'paid', transactionId: r.tradeNo, paidFen: r.totalFen, paidAt: r.paidAt ?? new Date(this.now()) };
    } catch (e) {
      if (!(e instanceof AlipayError)) throw e;
      if (outcomeUnknown(e)) return this.settle(o.outTradeNo, o.amountFen, e);
      if (e.kind !== 'business') throw e;
      const v = mapSignal(signalOf(e));
      if (v.kind === 'already_paid') return this.settle(o.outTradeNo, o.amountFen, e);
      if (v.kind === 'refused') return { status: 'failed', code: v.code, reason: v.reason };
      throw e;
    }
  }

  async queryDeduction(outTradeNo: string): Promise<DeductResult | { status: 'unknown' }> {
    let t;
    try {
      t = await this.alipay.query(outTradeNo);
    } catch (e) {
      if (e instanceof AlipayError && e.subCode === 'ACQ.TRADE_NOT_EXIST') return { status: 'unknown' };
      throw e;
    }
    const v = mapSignal(t.tradeStatus);
    if (v.kind !== 'deduction') return { status: 'unknown' };
    if (v.status === 'accepted') return { status: 'accepted', transactionId: t.tradeNo };
    // TRADE_CLOSED after a payment is a refunded deduction: the money was taken (refunds are tracked apart).
    if (v.status === 'paid' || t.status === 'refunded') {
      return { status: 'paid', transactionId: t.tradeNo, paidFen: t.totalFen, paidAt: t.paidAt ?? new Date(this.now()) };
    }
    return { status: 'failed', code: 'refused', reason: 'the deduction was closed without payment' };
  }

  /**
   * alipay.trade.refund of a deduction, out_request_no = refundNo: the same number again answers the earlier
   * refund (fund_change N, confirmed by the refund query) and never moves money twice. Alipay's refusals are
   * final ('failed' with the sub_code); an answer we cannot trust or Alipay busy is thrown (ask again).
   */
  async refund(o: { outTradeNo: string; refundNo: string; refundFen: number; totalFen: number; reason: string }): Promise<WithholdingRefundResult> {
    try {
      const r = await this.alipay.refund({ outTradeNo: o.outTradeNo, outRequestNo: o.refundNo, refundFen: o.refundFen, reason: o.reason.slice(0, 256) });
      return r.status === 'refunded' ? { status: 'refunded', refundId: r.tradeNo, refundedAt: new Date(this.now()) } : { status: 'pending', refundId: r.tradeNo };
    } catch (e) {
      if (e instanceof AlipayError && e.kind === 'business' && !outcomeUnknown(e)) {
        return { status: 'failed', reason: `${signalOf(e)}: ${e.detail}` };
      }
      throw e;
    }
  }

  /**
   * A notification to the withholding notify_url → the event it means. Verified (signature, app_id, fields;
   * seller_id when configured); the deduction's amount is the service's to compare with its own.
   */
  parseNotification(body: unknown): WithholdingNotificationResult {
    const v = this.alipay.verifyWithholdingNotification(body);
    if (!v.ok) return v;
    if (v.kind === 'agreement') {
      const n = v.notification;
      const m = mapSignal(n.status);
      if (m.kind !== 'agreement') return { ok: false, reason: 'malformed', detail: `agreement status ${n.status}` };
      const payer: Payer = {};
      if (n.alipayUserId) payer.userId = n.alipayUserId;
      if (n.alipayOpenId) payer.openId = n.alipayOpenId;
      // dut_user_unsign carries the status the agreement ended with; the notice itself means ended.
      const state: AgreementState = n.notifyType === 'dut_user_unsign' ? 'ended' : m.state;
      const event: WithholdingEvent = { kind: 'agreement', provider: 'alipay', agreementNo: n.agreementNo, state };
      if (n.externalAgreementNo) event.signNo = n.externalAgreementNo;
      if (payer.userId || payer.openId) event.payer = payer;
      return { ok: true, notifyId: n.notifyId, event };
    }
    const n = v.notification;
    if (this.options.sellerId !== undefined && n.sellerId !== this.options.sellerId) {
      return { ok: false, reason: 'seller_id_mismatch', detail: `seller_id ${String(n.sellerId)} is not ours` };
    }
    // Refund notifications (refund_fee / out_biz_no) say nothing about the deduction itself.
    if (n.refundFen !== undefined || n.outBizNo !== undefined || n.status === 'refunded') return { ok: true, notifyId: n.notifyId };
    const m = mapSignal(n.tradeStatus);
    if (m.kind !== 'deduction') return { ok: false, reason: 'malformed', detail: `trade_status ${n.tradeStatus}` };
    let result: DeductResult;
    if (m.status === 'paid') result = { status: 'paid', transactionId: n.tradeNo, paidFen: n.totalFen, paidAt: n.gmtPayment ?? n.notifyTime ?? new Date(this.now()) };
    else if (m.status === 'accepted') result = { status: 'accepted', transactionId: n.tradeNo };
    else result = { status: 'failed', code: 'refused', reason: 'the deduction was closed without payment' };
    return { ok: true, notifyId: n.notifyId, event: { kind: 'deduction', provider: 'alipay', outTradeNo: n.outTradeNo, result } };
  }

  // ── internals ───────────────────────────────────────────────────────────────────────────────

  private now(): number {
    return (this.options.now ?? Date.now)();
  }

  private lookup(o: AgreementRef): AgreementLookup {
    return o.agreementNo
      ? { agreementNo: o.agreementNo }
      : { externalAgreementNo: o.signNo, signScene: this.#signScene, personalProductCode: this.#product };
  }

  /** The pay answer cannot be trusted or was "already paid": what does the trade say? */
  private async settle(outTradeNo: string, amountFen: number, cause: AlipayError): Promise<DeductResult> {
    const q = await this.queryDeduction(outTradeNo);
    // No trade: no money was taken. Asking again later is harmless (same out_trade_no).
    if (q.status === 'unknown') {
      throw new AlipayError({
        method: cause.method,
        kind: cause.kind,
        retryable: true,
        detail: `${cause.detail}; Alipay has no trade ${outTradeNo}, so nothing was taken`,
        ...(cause.code !== undefined ? { code: cause.code } : {}),
        ...(cause.subCode !== undefined ? { subCode: cause.subCode } : {}),
        ...(cause.httpStatus !== undefined ? { httpStatus: cause.httpStatus } : {}),
      });
    }
    return this.sameAmount(q, amountFen, outTradeNo);
  }

  /** A paid trade for another amount is not this deduction (a reused outTradeNo): never report it as paid. */
  private sameAmount(r: DeductResult, amountFen: number, outTradeNo: string): DeductResult {
    if (r.status === 'paid' && r.paidFen !== amountFen) {
      throw new AlipayError({
        method: 'alipay.trade.pay',
        kind: 'business',
        retryable: false,
        code: '40004',
        subCode: 'ACQ.CONTEXT_INCONSISTENT',
        detail: `trade ${outTradeNo} was paid for ${r.paidFen} fen, not ${amountFen}`,
      });
    }
    return r;
  }

  private remember(outTradeNo: string): void {
    this.#attempted.set(outTradeNo, true);
    const max = this.options.rememberAttempts ?? 10_000;
    while (this.#attempted.size > max) {
      const oldest = this.#attempted.keys().next().value as string;
      this.#attempted.delete(oldest);
    }
  }
}

/**
 * For the agreements module (modules/agreements.ts): the Alipay withholding gateway from the same `alipay`
 * config block the payment gateway uses, plus where notifications go. Reuse `adapter` when one is made already.
 */
export function createAlipayWithholdingGateway(
  config: AlipayAdapterConfig,
  options: AlipayWithholdingOptions & { adapter?: AlipayAdapterOptions },
): AlipayWithholdingGateway {
  const { adapter, ...rest } = options;
  return new AlipayWithholdingGateway(new AlipayAgreementAdapter(config, adapter ?? {}), rest);
}
