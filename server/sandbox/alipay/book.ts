/**
 * The sandbox's trades and what Alipay answers about them: the business half of the gateway (signature
 * checks and the HTTP framing live in server.ts). Every answer is the INNER object of
 * `{"<method>_response": inner, "sign": …}` with Alipay's field names; `errorResponse` marks an answer that
 * Alipay sends under the `error_response` key instead.
 *
 * Rules followed (opendocs alipay.trade.create / precreate / query / close / refund /
 * fastpay.refund.query, alipay.system.oauth.token; see field notes):
 *  - create with an out_trade_no already used: same amount, subject and buyer while unpaid → the same
 *    trade_no again; otherwise ACQ.CONTEXT_INCONSISTENT / ACQ.TRADE_HAS_SUCCESS / ACQ.TRADE_HAS_CLOSE;
 *  - a precreate trade does not exist for query/close/refund (ACQ.TRADE_NOT_EXIST) until a buyer scans it;
 *  - close only from WAIT_BUYER_PAY, else ACQ.TRADE_STATUS_ERROR;
 *  - refunds are keyed by out_request_no (default: out_trade_no, then the amount must be the total): the same
 *    out_request_no and amount again → the earlier result with fund_change N and no second refund; a
 *    different amount → ACQ.DISCORDANT_REPEAT_REQUEST; refund_fee in the answer is the total refunded so
 *    far; the last fen refunded closes the trade (TRADE_CLOSED);
 *  - auth codes are single-use and expire; an unknown one is error_response 40002 isv.code-invalid.
 * Amounts are integer fen inside; yuan strings with 2 decimals on the wire.
 */
import { randomBytes, randomUUID } from 'node:crypto';
import { formatChinaTime, parseChinaTime } from '../../../shared/time';
import type { Clock } from '../../src/core/clock';
import type { SandboxUser } from './users';

export type TradeStatus = 'WAIT_BUYER_PAY' | 'TRADE_SUCCESS' | 'TRADE_FINISHED' | 'TRADE_CLOSED';
export type IdMode = 'open_id' | 'user_id';

export interface SandboxRefund {
  outRequestNo: string;
  refundFen: number;
  reason?: string;
  at: number;
  /**
   * Accepted but not yet paid back (holdRefunds): the refund answers fund_change N, and the refund query
   * has no refund_status until settleRefund() — Alipay's "退款处理中" as its docs describe it.
   */
  processing?: boolean;
}

export interface SandboxTrade {
  outTradeNo: string;
  tradeNo: string;
  /** alipay.trade.pay: an agreement deduction (agreement-book.ts), born paid. */
  via: 'alipay.trade.create' | 'alipay.trade.precreate' | 'alipay.trade.pay';
  subject: string;
  totalFen: number;
  productCode?: string;
  buyerId?: string;
  buyerOpenId?: string;
  opAppId?: string;
  notifyUrl?: string;
  qrCode?: string;
  tradeStatus: TradeStatus;
  /** Precreate: a buyer has scanned the QR, so Alipay now has the trade. Always true for create. */
  scanned: boolean;
  createdAt: number;
  expiresAt: number;
  paidAt?: number;
  closedAt?: number;
  /** Who paid (or scanned). */
  payer?: SandboxUser;
  refunds: SandboxRefund[];
  refundedFen: number;
  /** What happened, for the demo's state view. */
  events: { at: number; what: string }[];
}

export interface GatewayAnswer {
  inner: Record<string, unknown>;
  /** Sent as `error_response` rather than `<method>_response`. */
  errorResponse?: boolean;
}

/** What the book asks the notifier to send (business fields; the notifier adds notify_* and signs). */
export type NotifyRequest = { trade: SandboxTrade; notifyUrl: string; fields: Record<string, string> };

export class SandboxControlError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'SandboxControlError';
  }
}

const SUCCESS = { code: '10000', msg: 'Success' } as const;
const business = (subCode: string, subMsg: string, extra: Record<string, unknown> = {}): GatewayAnswer => ({
  inner: { code: '40004', msg: 'Business Failed', sub_code: subCode, sub_msg: subMsg, ...extra },
});
const invalidParameter = (why: string) => business('ACQ.INVALID_PARAMETER', `参数无效: ${why}`);

const MAX_FEN = 100_000_000_00;
const MERCHANT_NO = /^[A-Za-z0-9_-]{1,64}$/;
const AUTH_CODE_TTL_MS = 24 * 60 * 60 * 1000;
/** Sandbox default when neither timeout_express nor time_expire is given. */
const DEFAULT_TIMEOUT_MS = 15 * 24 * 60 * 60 * 1000;

export const yuan = (fen: number): string => `${Math.floor(fen / 100)}.${String(fen % 100).padStart(2, '0')}`;

/** A request's biz_content as a JSON object; undefined when it is missing, not JSON or not an object. */
export function parseBizContent(params: Record<string, string>): Record<string, unknown> | undefined {
  try {
    const parsed: unknown = JSON.parse(params.biz_content ?? '');
    return typeof parsed === 'object' && parsed !== null && !Array.isArray(parsed) ? (parsed as Record<string, unknown>) : undefined;
  } catch {
    return undefined;
  }
}

/** Alipay's Price: up to 2 decimals. Undefined when it is not one. */
export function parsePrice(v: unknown): number | undefined {
  if (typeof v !== 'string' && typeof v !== 'number') return undefined;
  const m = /^(0|[1-9]\d{0,11})(?:\.(\d{1,2}))?$/.exec(String(v));
  if (!m) return undefined;
  return Number(m[1]) * 100 + Number((m[2] ?? '').padEnd(2, '0'));
}

/** timeout_express (1m–15d, 1c = end of the China day) → ms from `now`, or undefined when malformed. */
export function timeoutExpressMs(v: string, now: number): number | undefined {
  if (v === '1c') {
    const day = formatChinaTime(now).slice(0, 10);
    return parseChinaTime(`${day} 23:59:59`).getTime() + 1000 - now;
  }
  const m = /^([1-9]\d{0,4})([mhd])$/.exec(v);
  if (!m) return undefined;
  const ms = Number(m[1]) * { m: 60_000, h: 3_600_000, d: 86_400_000 }[m[2] as 'm' | 'h' | 'd'];
  return ms > 15 * 86_400_000 ? undefined : ms;
}

function tradeNoAt(now: number): string {
  const day = formatChinaTime(now).slice(0, 10).replace(/-/g, '');
  const digits = BigInt(`0x${randomBytes(8).toString('hex')}`) % 10n ** 15n;
  return `${day}22001${digits.toString().padStart(15, '0')}`;
}

export interface BookOptions {
  clock: Clock;
  appId: string;
  sellerId: string;
  idMode: IdMode;
  /** Called for every notification Alipay would send (the trade's notify_url set). */
  notify: (req: NotifyRequest) => void;
  /** Run `task` when `delayMs` of sandbox time has passed (trade timeouts). */
  schedule: (delayMs: number, task: () => void) => void;
}

export class TradeBook {
  private readonly trades = new Map<string, SandboxTrade>();
  private readonly byTradeNo = new Map<string, string>();
  private readonly authCodes = new Map<string, { user: SandboxUser; expiresAt: number }>();
  /** Users by user_id and by open_id: who a buyer id on a trade is. */
  private readonly users = new Map<string, SandboxUser>();
  /** Who wants to know when money moves (the agreement book keeps its users' balances). */
  private readonly paidListeners: ((t: SandboxTrade) => void)[] = [];
  private readonly refundListeners: ((t: SandboxTrade, refundFen: number) => void)[] = [];

  /** Refunds from now on stay processing until settleRefund() (false: paid back at once, the usual case). */
  holdRefunds = false;

  constructor(private readonly o: BookOptions) {}

  /** A processing refund is paid back now (its notification follows). */
  settleRefund(outTradeNo: string, outRequestNo: string): SandboxRefund {
    const t = this.trade(outTradeNo);
    const r = t?.refunds.find((x) => x.outRequestNo === outRequestNo);
    if (!t || !r) throw new SandboxControlError(`no refund ${outRequestNo} of ${outTradeNo}`);
    if (!r.processing) return r;
    r.processing = false;
    r.at = this.now();
    this.refunded(t, r);
    return r;
  }

  /** Called after a trade becomes TRADE_SUCCESS (the buyer's money is taken). */
  onPaid(listener: (t: SandboxTrade) => void): void {
    this.paidListeners.push(listener);
  }

  /** Called after a refund gave `refundFen` back to the buyer. */
  onRefunded(listener: (t: SandboxTrade, refundFen: number) => void): void {
    this.refundListeners.push(listener);
  }

  private now(): number {
    return this.o.clock.now();
  }

  private log(t: SandboxTrade, what: string): void {
    t.events.push({ at: this.now(), what });
  }

  // ── gateway methods ─────────────────────────────────────────────────────────────────────────

  create(biz: Record<string, unknown>, notifyUrl: string | undefined): GatewayAnswer {
    return this.open('alipay.trade.create', biz, notifyUrl);
  }

  precreate(biz: Record<string, unknown>, notifyUrl: string | undefined): GatewayAnswer {
    return this.open('alipay.trade.precreate', biz, notifyUrl);
  }

  private open(via: SandboxTrade['via'], biz: Record<string, unknown>, notifyUrl: string | undefined): GatewayAnswer {
    const outTradeNo = biz.out_trade_no;
    if (typeof outTradeNo !== 'string' || !MERCHANT_NO.test(outTradeNo)) return invalidParameter('out_trade_no');
    const totalFen = parsePrice(biz.total_amount);
    if (totalFen === undefined) return invalidParameter('total_amount');
    if (totalFen < 1 || totalFen > MAX_FEN) return business('ACQ.TOTAL_FEE_EXCEED', '订单金额超过限额');
    const subject = biz.subject;
    if (typeof subject !== 'string' || subject === '' || subject.length > 256) return invalidParameter('subject');
    const buyerId = typeof biz.buyer_id === 'string' && biz.buyer_id ? biz.buyer_id : undefined;
    const buyerOpenId = typeof biz.buyer_open_id === 'string' && biz.buyer_open_id ? biz.buyer_open_id : undefined;
    const productCode = typeof biz.product_code === 'string' ? biz.product_code : undefined;
    if (via === 'alipay.trade.create' && productCode === 'JSAPI_PAY' && !buyerId && !buyerOpenId) {
      return invalidParameter('buyer_id 和 buyer_open_id 不能同时为空');
    }
    const now = this.now();
    let timeoutMs = DEFAULT_TIMEOUT_MS;
    if (typeof biz.timeout_express === 'string') {
      const ms = timeoutExpressMs(biz.timeout_express, now);
      if (ms === undefined) return invalidParameter('timeout_express');
      timeoutMs = ms;
    } else if (typeof biz.time_expire === 'string') {
      try {
        timeoutMs = parseChinaTime(biz.time_expire).getTime() - now;
      } catch {
        return invalidParameter('time_expire');
      }
      if (timeoutMs <= 0) return invalidParameter('time_expire');
    }

    const existing = this.trades.get(outTradeNo);
    if (existing) {
      this.expireIfDue(existing);
      if (existing.tradeStatus === 'TRADE_SUCCESS' || existing.tradeStatus === 'TRADE_FINISHED') {
        return business('ACQ.TRADE_HAS_SUCCESS', '交易已被支付', { out_trade_no: outTradeNo, trade_no: existing.tradeNo });
      }
      if (existing.tradeStatus === 'TRADE_CLOSED') return business('ACQ.TRADE_HAS_CLOSE', '交易已经关闭', { out_trade_no: outTradeNo });
      const same =
        existing.via === via &&
        existing.totalFen === totalFen &&
        existing.subject === subject &&
        existing.buyerId === buyerId &&
        existing.buyerOpenId === buyerOpenId;
      if (!same) return business('ACQ.CONTEXT_INCONSISTENT', '交易信息被篡改');
      return { inner: this.openAnswer(existing) };
    }

    const t: SandboxTrade = {
      outTradeNo,
      tradeNo: tradeNoAt(now),
      via,
      subject,
      totalFen,
      tradeStatus: 'WAIT_BUYER_PAY',
      scanned: via === 'alipay.trade.create',
      createdAt: now,
      expiresAt: now + timeoutMs,
      refunds: [],
      refundedFen: 0,
      events: [],
    };
    if (productCode) t.productCode = productCode;
    if (buyerId) t.buyerId = buyerId;
    if (buyerOpenId) t.buyerOpenId = buyerOpenId;
    if (typeof biz.op_app_id === 'string' && biz.op_app_id) t.opAppId = biz.op_app_id;
    if (notifyUrl) t.notifyUrl = notifyUrl;
    if (via === 'alipay.trade.precreate') t.qrCode = `https://qr.alipay.com/bax0${randomBytes(12).toString('hex')}`;
    this.trades.set(outTradeNo, t);
    this.byTradeNo.set(t.tradeNo, outTradeNo);
    this.log(t, `${via} ${yuan(totalFen)}`);
    this.o.schedule(timeoutMs, () => this.expireIfDue(t));
    return { inner: this.openAnswer(t) };
  }

  private openAnswer(t: SandboxTrade): Record<string, unknown> {
    return t.via === 'alipay.trade.create'
      ? { ...SUCCESS, out_trade_no: t.outTradeNo, trade_no: t.tradeNo }
      : { ...SUCCESS, out_trade_no: t.outTradeNo, qr_code: t.qrCode };
  }

  /** The trade a trade-level request names (trade_no wins over out_trade_no), if Alipay would know it. */
  private find(biz: Record<string, unknown>): SandboxTrade | undefined {
    const byNo = typeof biz.trade_no === 'string' && biz.trade_no ? this.byTradeNo.get(biz.trade_no) : undefined;
    const key = byNo ?? (typeof biz.out_trade_no === 'string' ? biz.out_trade_no : undefined);
    const t = key === undefined ? undefined : this.trades.get(key);
    if (!t || !t.scanned) return undefined;
    this.expireIfDue(t);
    return t;
  }

  private notFound(biz: Record<string, unknown>): GatewayAnswer {
    const extra: Record<string, unknown> = {};
    if (typeof biz.out_trade_no === 'string') extra.out_trade_no = biz.out_trade_no;
    return business('ACQ.TRADE_NOT_EXIST', '交易不存在', extra);
  }

  query(biz: Record<string, unknown>): GatewayAnswer {
    if (!biz.out_trade_no && !biz.trade_no) return invalidParameter('out_trade_no 和 trade_no 不能同时为空');
    const t = this.find(biz);
    if (!t) {
      return business('ACQ.TRADE_NOT_EXIST', '交易不存在', {
        ...(typeof biz.out_trade_no === 'string' ? { out_trade_no: biz.out_trade_no } : {}),
        buyer_pay_amount: '0.00',
        invoice_amount: '0.00',
        point_amount: '0.00',
        receipt_amount: '0.00',
      });
    }
    const paid = t.paidAt !== undefined;
    const inner: Record<string, unknown> = {
      ...SUCCESS,
      trade_no: t.tradeNo,
      out_trade_no: t.outTradeNo,
      trade_status: t.tradeStatus,
      total_amount: yuan(t.totalFen),
      buyer_pay_amount: paid ? yuan(t.totalFen) : '0.00',
      point_amount: '0.00',
      invoice_amount: paid ? yuan(t.totalFen) : '0.00',
      receipt_amount: paid ? yuan(t.totalFen) : '0.00',
      ...this.buyerFields(t, 'query'),
    };
    if (t.payer) inner.buyer_logon_id = t.payer.logonId;
    if (t.paidAt !== undefined) inner.send_pay_date = formatChinaTime(t.paidAt);
    return { inner };
  }

  close(biz: Record<string, unknown>, notifyUrl: string | undefined): GatewayAnswer {
    if (!biz.out_trade_no && !biz.trade_no) return invalidParameter('out_trade_no 和 trade_no 不能同时为空');
    const t = this.find(biz);
    if (!t) return this.notFound(biz);
    if (t.tradeStatus !== 'WAIT_BUYER_PAY') return business('ACQ.TRADE_STATUS_ERROR', '交易状态不合法');
    this.closeUnpaid(t, 'closed by alipay.trade.close', notifyUrl ?? t.notifyUrl);
    return { inner: { ...SUCCESS, trade_no: t.tradeNo, out_trade_no: t.outTradeNo } };
  }

  refund(biz: Record<string, unknown>): GatewayAnswer {
    if (!biz.out_trade_no && !biz.trade_no) return invalidParameter('out_trade_no 和 trade_no 不能同时为空');
    const refundFen = parsePrice(biz.refund_amount);
    if (refundFen === undefined || refundFen < 1) return invalidParameter('refund_amount');
    const t = this.find(biz);
    if (!t) return this.notFound(biz);
    const outRequestNo = typeof biz.out_request_no === 'string' && biz.out_request_no ? biz.out_request_no : t.outTradeNo;
    if (!MERCHANT_NO.test(outRequestNo)) return invalidParameter('out_request_no');
    const earlier = t.refunds.find((r) => r.outRequestNo === outRequestNo);
    if (earlier) {
      if (earlier.refundFen !== refundFen) return business('ACQ.DISCORDANT_REPEAT_REQUEST', '不一致的请求');
      // The same refund again: Alipay answers the earlier result, no money moves.
      return { inner: this.refundAnswer(t, earlier, false) };
    }
    if (t.tradeStatus === 'WAIT_BUYER_PAY') return business('ACQ.TRADE_STATUS_ERROR', '交易状态不合法');
    if (t.tradeStatus === 'TRADE_FINISHED') return business('ACQ.TRADE_HAS_FINISHED', '交易已完结');
    if (t.tradeStatus === 'TRADE_CLOSED') return business('ACQ.TRADE_HAS_CLOSE', '交易已经关闭');
    if (outRequestNo === t.outTradeNo && biz.out_request_no === undefined && refundFen !== t.totalFen) {
      return business('ACQ.REFUND_AMT_NOT_EQUAL_TOTAL', '退款金额与订单金额不一致');
    }
    if (t.refundedFen + refundFen > t.totalFen) return business('ACQ.REASON_TRADE_REFUND_FEE_ERR', '退款金额无效');
    const r: SandboxRefund = { outRequestNo, refundFen, at: this.now() };
    if (typeof biz.refund_reason === 'string' && biz.refund_reason) r.reason = biz.refund_reason;
    t.refunds.push(r);
    // The amount is taken from what can still be refunded at once, even while the refund is processing.
    t.refundedFen += refundFen;
    if (this.holdRefunds) {
      r.processing = true;
      this.log(t, `refund ${outRequestNo} ${yuan(refundFen)} accepted, processing`);
      return { inner: this.refundAnswer(t, r, false) };
    }
    this.refunded(t, r);
    return { inner: this.refundAnswer(t, r, true) };
  }

  /** The money of a refund is back with the buyer: the trade closes when all of it is, and its notification goes. */
  private refunded(t: SandboxTrade, r: SandboxRefund): void {
    this.log(t, `refund ${r.outRequestNo} ${yuan(r.refundFen)}`);
    if (t.refundedFen === t.totalFen && t.refunds.every((x) => !x.processing)) {
      t.tradeStatus = 'TRADE_CLOSED';
      t.closedAt = r.at;
      this.log(t, 'fully refunded: TRADE_CLOSED');
    }
    for (const l of this.refundListeners) l(t, r.refundFen);
    if (t.notifyUrl) {
      this.o.notify({
        trade: t,
        notifyUrl: t.notifyUrl,
        fields: {
          ...this.notifyFields(t),
          refund_fee: yuan(t.refundedFen),
          gmt_refund: `${formatChinaTime(r.at)}.${String(r.at % 1000).padStart(3, '0')}`,
          out_biz_no: r.outRequestNo,
          ...(t.closedAt !== undefined && t.tradeStatus === 'TRADE_CLOSED' ? { gmt_close: formatChinaTime(t.closedAt) } : {}),
        },
      });
    }
  }

  private refundAnswer(t: SandboxTrade, r: SandboxRefund, fundChange: boolean): Record<string, unknown> {
    const inner: Record<string, unknown> = {
      ...SUCCESS,
      trade_no: t.tradeNo,
      out_trade_no: t.outTradeNo,
      fund_change: fundChange ? 'Y' : 'N',
      refund_fee: yuan(t.refundedFen),
      gmt_refund_pay: formatChinaTime(r.at),
      send_back_fee: fundChange ? yuan(r.refundFen) : '0.00',
      ...this.buyerFields(t, 'query'),
    };
    if (t.payer) inner.buyer_logon_id = t.payer.logonId;
    return inner;
  }

  refundQuery(biz: Record<string, unknown>): GatewayAnswer {
    if (!biz.out_trade_no && !biz.trade_no) return invalidParameter('out_trade_no 和 trade_no 不能同时为空');
    if (typeof biz.out_request_no !== 'string' || !biz.out_request_no) return invalidParameter('out_request_no');
    const t = this.find(biz);
    if (!t) return this.notFound(biz);
    const r = t.refunds.find((x) => x.outRequestNo === biz.out_request_no);
    // No such (successful) refund — never received, failed, or still processing: a success answer without
    // refund_status.
    if (!r || r.processing) return { inner: { ...SUCCESS } };
    const inner: Record<string, unknown> = {
      ...SUCCESS,
      trade_no: t.tradeNo,
      out_trade_no: t.outTradeNo,
      out_request_no: r.outRequestNo,
      total_amount: yuan(t.totalFen),
      refund_amount: yuan(r.refundFen),
      refund_status: 'REFUND_SUCCESS',
    };
    const options = Array.isArray(biz.query_options) ? biz.query_options : [];
    if (options.includes('gmt_refund_pay')) inner.gmt_refund_pay = formatChinaTime(r.at);
    return { inner };
  }

  oauthToken(params: Record<string, string>): GatewayAnswer {
    const invalid = (sub: string, msg: string): GatewayAnswer => ({
      inner: { code: '40002', msg: 'Invalid Arguments', sub_code: sub, sub_msg: msg },
      errorResponse: true,
    });
    if (params.grant_type !== 'authorization_code') return invalid('isv.grant-type-invalid', 'grant_type参数不正确');
    const code = params.code;
    const entry = code ? this.authCodes.get(code) : undefined;
    if (!code || !entry) return invalid('isv.code-invalid', '授权码code无效');
    this.authCodes.delete(code); // single use
    if (entry.expiresAt <= this.now()) return invalid('isv.code-invalid', '授权码code无效');
    const inner: Record<string, unknown> = {
      ...(this.o.idMode === 'open_id' ? { open_id: entry.user.openId } : { user_id: entry.user.userId }),
      access_token: `authusrB${randomUUID().replace(/-/g, '')}`,
      expires_in: 1296000,
      refresh_token: `authusrB${randomUUID().replace(/-/g, '')}`,
      re_expires_in: 2592000,
      auth_start: formatChinaTime(this.now()),
    };
    return { inner };
  }

  /**
   * A trade that alipay.trade.pay opens for a buyer who is not there (agreement withholding,
   * agreement-book.ts, which checks the out_trade_no first): paid at once, with its notification; or, with
   * `holdMs`, left WAIT_BUYER_PAY (Alipay's 10003) until pay() or its timeout.
   */
  openPaid(o: { outTradeNo: string; subject: string; totalFen: number; productCode: string; payer: SandboxUser; notifyUrl?: string; holdMs?: number }): SandboxTrade {
    const now = this.now();
    const t: SandboxTrade = {
      outTradeNo: o.outTradeNo,
      tradeNo: tradeNoAt(now),
      via: 'alipay.trade.pay',
      subject: o.subject,
      totalFen: o.totalFen,
      productCode: o.productCode,
      tradeStatus: 'WAIT_BUYER_PAY',
      scanned: true,
      createdAt: now,
      expiresAt: now + (o.holdMs ?? DEFAULT_TIMEOUT_MS),
      payer: o.payer,
      refunds: [],
      refundedFen: 0,
      events: [],
    };
    if (o.notifyUrl) t.notifyUrl = o.notifyUrl;
    this.trades.set(t.outTradeNo, t);
    this.byTradeNo.set(t.tradeNo, t.outTradeNo);
    this.log(t, `alipay.trade.pay ${o.productCode} ${yuan(o.totalFen)}`);
    if (o.holdMs !== undefined) this.o.schedule(o.holdMs, () => this.expireIfDue(t));
    else this.pay(t.outTradeNo, o.payer);
    return t;
  }

  // ── what buyers and time do (the control API) ───────────────────────────────────────────────

  private get(outTradeNo: string): SandboxTrade {
    const t = this.trades.get(outTradeNo);
    if (!t) throw new SandboxControlError(`no trade ${outTradeNo}`);
    this.expireIfDue(t);
    return t;
  }

  /** The buyer pays (my.tradePay resultCode 9000): TRADE_SUCCESS and the notification. */
  pay(outTradeNo: string, by?: SandboxUser): { resultCode: '9000'; tradeNo: string; outTradeNo: string } {
    const t = this.get(outTradeNo);
    if (t.tradeStatus !== 'WAIT_BUYER_PAY') throw new SandboxControlError(`trade ${outTradeNo} is ${t.tradeStatus}, not WAIT_BUYER_PAY`);
    const payer = this.payerFor(t, by);
    t.scanned = true;
    t.payer = payer;
    t.tradeStatus = 'TRADE_SUCCESS';
    t.paidAt = this.now();
    this.log(t, `paid by ${payer.name}`);
    for (const l of this.paidListeners) l(t);
    if (t.notifyUrl) {
      this.o.notify({
        trade: t,
        notifyUrl: t.notifyUrl,
        fields: {
          ...this.notifyFields(t),
          fund_bill_list: JSON.stringify([{ amount: yuan(t.totalFen), fundChannel: 'ALIPAYACCOUNT' }]),
        },
      });
    }
    return { resultCode: '9000', tradeNo: t.tradeNo, outTradeNo };
  }

  /** The buyer opens the cashier and backs out (resultCode 6001): the trade stays WAIT_BUYER_PAY. */
  cancel(outTradeNo: string, by?: SandboxUser): { resultCode: '6001'; outTradeNo: string } {
    const t = this.get(outTradeNo);
    if (t.tradeStatus !== 'WAIT_BUYER_PAY') throw new SandboxControlError(`trade ${outTradeNo} is ${t.tradeStatus}, not WAIT_BUYER_PAY`);
    const payer = this.payerFor(t, by);
    if (!t.scanned) {
      // Scanning a precreate QR creates the trade on Alipay's side.
      t.scanned = true;
      t.payer = payer;
    }
    this.log(t, `${payer.name} cancelled at the cashier`);
    return { resultCode: '6001', outTradeNo };
  }

  /** The trade's timeout passes now: TRADE_CLOSED and the notification. */
  expire(outTradeNo: string): SandboxTrade {
    const t = this.get(outTradeNo);
    if (t.tradeStatus !== 'WAIT_BUYER_PAY') throw new SandboxControlError(`trade ${outTradeNo} is ${t.tradeStatus}, not WAIT_BUYER_PAY`);
    t.expiresAt = this.now();
    this.expireIfDue(t);
    return t;
  }

  /** The refund window ends: TRADE_SUCCESS → TRADE_FINISHED and the notification. */
  finish(outTradeNo: string): SandboxTrade {
    const t = this.get(outTradeNo);
    if (t.tradeStatus !== 'TRADE_SUCCESS') throw new SandboxControlError(`trade ${outTradeNo} is ${t.tradeStatus}, not TRADE_SUCCESS`);
    t.tradeStatus = 'TRADE_FINISHED';
    this.log(t, 'TRADE_FINISHED');
    if (t.notifyUrl) this.o.notify({ trade: t, notifyUrl: t.notifyUrl, fields: this.notifyFields(t) });
    return t;
  }

  /** Make a user known, so a trade created for its user_id / open_id is paid by this user by default. */
  knowUser(user: SandboxUser): void {
    this.users.set(user.userId, user);
    this.users.set(user.openId, user);
  }

  issueAuthCode(user: SandboxUser): string {
    this.knowUser(user);
    const code = randomBytes(16).toString('hex');
    this.authCodes.set(code, { user, expiresAt: this.now() + AUTH_CODE_TTL_MS });
    return code;
  }

  list(): SandboxTrade[] {
    for (const t of this.trades.values()) this.expireIfDue(t);
    return [...this.trades.values()];
  }

  trade(outTradeNo: string): SandboxTrade | undefined {
    const t = this.trades.get(outTradeNo);
    if (t) this.expireIfDue(t);
    return t;
  }

  // ── internals ───────────────────────────────────────────────────────────────────────────────

  private payerFor(t: SandboxTrade, by: SandboxUser | undefined): SandboxUser {
    if (t.buyerId || t.buyerOpenId) {
      // A JSAPI trade belongs to its buyer: nobody else can pay it.
      if (by && by.userId !== t.buyerId && by.openId !== t.buyerOpenId) {
        throw new SandboxControlError(`trade ${t.outTradeNo} belongs to another buyer`);
      }
      const known = this.users.get(t.buyerId ?? t.buyerOpenId ?? '');
      return by ?? t.payer ?? known ?? { name: 'buyer', userId: t.buyerId ?? '', openId: t.buyerOpenId ?? '', logonId: 'buy***@sandbox.alipay' };
    }
    if (!by && !t.payer) throw new SandboxControlError(`trade ${t.outTradeNo} has no buyer: say who scans it`);
    return by ?? (t.payer as SandboxUser);
  }

  private expireIfDue(t: SandboxTrade): void {
    if (t.tradeStatus !== 'WAIT_BUYER_PAY' || this.now() < t.expiresAt) return;
    this.closeUnpaid(t, 'timeout: TRADE_CLOSED', t.scanned ? t.notifyUrl : undefined);
  }

  private closeUnpaid(t: SandboxTrade, why: string, notifyUrl: string | undefined): void {
    t.tradeStatus = 'TRADE_CLOSED';
    t.closedAt = this.now();
    this.log(t, why);
    if (notifyUrl) this.o.notify({ trade: t, notifyUrl, fields: { ...this.notifyFields(t), gmt_close: formatChinaTime(t.closedAt) } });
  }

  private buyerFields(t: SandboxTrade, _for: 'query'): Record<string, string> {
    if (t.buyerId) return { buyer_user_id: t.buyerId };
    if (t.buyerOpenId) return { buyer_open_id: t.buyerOpenId };
    if (t.payer) return this.o.idMode === 'open_id' ? { buyer_open_id: t.payer.openId } : { buyer_user_id: t.payer.userId };
    return {};
  }

  /** Business fields of a trade_status_sync notification. */
  private notifyFields(t: SandboxTrade): Record<string, string> {
    const f: Record<string, string> = {
      trade_no: t.tradeNo,
      out_trade_no: t.outTradeNo,
      trade_status: t.tradeStatus,
      total_amount: yuan(t.totalFen),
      subject: t.subject,
      gmt_create: formatChinaTime(t.createdAt),
      seller_id: this.o.sellerId,
      auth_app_id: this.o.appId,
    };
    if (t.buyerId) f.buyer_id = t.buyerId;
    else if (t.buyerOpenId) f.buyer_open_id = t.buyerOpenId;
    else if (t.payer) {
      if (this.o.idMode === 'open_id') f.buyer_open_id = t.payer.openId;
      else f.buyer_id = t.payer.userId;
    }
    if (t.payer) f.buyer_logon_id = t.payer.logonId;
    if (t.paidAt !== undefined) {
      f.gmt_payment = formatChinaTime(t.paidAt);
      f.receipt_amount = yuan(t.totalFen);
      f.buyer_pay_amount = yuan(t.totalFen);
      f.invoice_amount = yuan(t.totalFen);
      f.point_amount = '0.00';
    }
    return f;
  }
}
