/**
 * The orders and refunds of the sandbox's one merchant, with WeChat Pay's business rules as far as the
 * docs tell them (基础支付 JSAPI/Native 下单, 查询订单, 关闭订单, 退款申请, 查询单笔退款; error codes from their
 * 错误码 tables). Every API method returns the answer to send: {status, body}.
 *
 * Rules kept:
 * - a repeated order with the same out_trade_no and the same parameters (kind, appid, description, total,
 *   currency, openid, attach) answers the same prepay_id / code_url while unpaid; different parameters →
 *   403 OUT_TRADE_NO_USED; paid → 403 ORDERPAID; closed → 400 ORDER_CLOSED;
 * - unknown order → 404 ORDER_NOT_EXIST; closing a paid order → 400 ORDERPAID; closing a closed order → 204;
 * - refunds only on paid orders, never more than the total in all, amount.total must be the order's;
 *   the same out_refund_no with the same content answers the existing refund ("同一退款单号多次请求只退一笔"),
 *   with other content → 400 INVALID_REQUEST; a refund starts PROCESSING and settles later.
 * - refunds also take trades kept elsewhere (`foreignTrade`: the vehicle parking service's deductions, which
 *   WeChat refunds through the same 申请退款 API); a sub-merchant's trade (service-provider mode) must be
 *   named with its sub_mchid, in the refund and in its query (普通服务商 退款申请 / 查询单笔退款), a direct
 *   merchant's without one.
 */
import type { Clock } from '../../src/core/clock';
import { formatChinaTime } from '../../../shared/time';
import { randomString } from './keys';

export type TradeState = 'NOTPAY' | 'SUCCESS' | 'CLOSED' | 'REFUND' | 'PAYERROR' | 'USERPAYING' | 'REVOKED';
export type RefundState = 'PROCESSING' | 'SUCCESS' | 'CLOSED' | 'ABNORMAL';

export const TRADE_STATE_DESC: Record<TradeState, string> = {
  NOTPAY: '订单未支付',
  SUCCESS: '支付成功',
  CLOSED: '订单已关闭',
  REFUND: '订单发生过退款',
  PAYERROR: '支付失败',
  USERPAYING: '用户支付中',
  REVOKED: '订单已撤销',
};

export interface SandboxOrder {
  kind: 'JSAPI' | 'NATIVE';
  appid: string;
  mchid: string;
  outTradeNo: string;
  description: string;
  totalFen: number;
  currency: string;
  payerOpenId?: string;
  notifyUrl: string;
  attach?: string;
  timeExpire?: string;
  expiresAt?: number;
  createdAt: number;
  fingerprint: string;
  prepayId?: string;
  codeUrl?: string;
  tradeState: TradeState;
  transactionId?: string;
  successTime?: number;
  paidOpenId?: string;
  refundedFen: number;
}

export interface SandboxRefund {
  outRefundNo: string;
  refundId: string;
  outTradeNo: string;
  transactionId: string;
  refundFen: number;
  totalFen: number;
  reason?: string;
  notifyUrl?: string;
  status: RefundState;
  createdAt: number;
  successTime?: number;
  fingerprint: string;
  /** Refund of a sub-merchant's trade (service-provider mode): its queries must name it. */
  subMchid?: string;
}

/** A paid trade kept outside the merchant's orders (a parking deduction) that a refund may name. */
export interface ForeignTrade {
  outTradeNo: string;
  transactionId: string;
  totalFen: number;
  refundedFen: number;
  /** SUCCESS or REFUND: money was taken. */
  paid: boolean;
  /** Service-provider mode: the sub-merchant the trade belongs to. */
  subMchid?: string;
  /** A refund of `fen` was accepted (the trade turns REFUND). */
  refunded(fen: number): void;
  /** A refund of `fen` closed without money moving. */
  refundClosed(fen: number): void;
}

export interface Answer {
  status: number;
  body?: unknown;
}

export class SandboxControlError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'SandboxControlError';
  }
}

export const wechatTime = (ms: number): string => `${formatChinaTime(ms).replace(' ', 'T')}+08:00`;
const digits = (n: number) => randomString(n, '0123456789');
const OUT_TRADE_NO = /^[0-9A-Za-z_\-|*]{6,32}$/;
const OUT_REFUND_NO = /^[0-9A-Za-z_\-|*@]{1,64}$/;
const RFC3339 = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(?:\.\d+)?(?:Z|[+-]\d{2}:\d{2})$/;

export const wechatError = (status: number, code: string, message: string, detail?: unknown): Answer => ({
  status,
  body: detail === undefined ? { code, message } : { code, message, detail },
});
const paramError = (field: string, issue: string) => wechatError(400, 'PARAM_ERROR', `参数错误: ${field} ${issue}`, { field, location: 'body' });

type Obj = Record<string, unknown>;
const isObj = (v: unknown): v is Obj => typeof v === 'object' && v !== null && !Array.isArray(v);
const isPositiveInt = (v: unknown): v is number => typeof v === 'number' && Number.isSafeInteger(v) && v >= 1;

export interface MerchantStateHooks {
  /** An order became SUCCESS (send TRANSACTION.SUCCESS). */
  onPaid(order: SandboxOrder): void;
  /** A refund was created (schedule its settlement). */
  onRefundCreated(refund: SandboxRefund): void;
  /** A refund left PROCESSING (send REFUND.*). */
  onRefundSettled(refund: SandboxRefund): void;
  /** Trades of other products refunds may name (parking deductions), by out_trade_no or transaction_id. */
  foreignTrade?(by: { outTradeNo?: string; transactionId?: string }): ForeignTrade | undefined;
}

export class MerchantState {
  readonly orders = new Map<string, SandboxOrder>();
  readonly refunds = new Map<string, SandboxRefund>();

  constructor(
    private readonly appId: string,
    private readonly mchId: string,
    private readonly clock: Clock,
    private readonly hooks: MerchantStateHooks,
  ) {}

  // ---- API ----------------------------------------------------------------------------------------

  createOrder(kind: 'JSAPI' | 'NATIVE', body: unknown): Answer {
    if (!isObj(body)) return wechatError(400, 'PARAM_ERROR', '参数错误: 请求体不是JSON对象');
    const b = body;
    if (typeof b.appid !== 'string' || !b.appid) return paramError('appid', '必填');
    if (typeof b.mchid !== 'string' || !b.mchid) return paramError('mchid', '必填');
    if (b.mchid !== this.mchId) return wechatError(400, 'PARAM_ERROR', 'http header中的mchid与post payload中的mchid不匹配');
    if (b.appid !== this.appId) return wechatError(400, 'APPID_MCHID_NOT_MATCH', 'AppID和mch_id不匹配');
    if (typeof b.description !== 'string' || b.description.length < 1 || b.description.length > 127) return paramError('description', '长度应为1-127');
    if (typeof b.out_trade_no !== 'string' || !OUT_TRADE_NO.test(b.out_trade_no)) return paramError('out_trade_no', '应为6-32位数字、大小写字母_-|*');
    if (b.time_expire !== undefined && (typeof b.time_expire !== 'string' || !RFC3339.test(b.time_expire) || Number.isNaN(Date.parse(b.time_expire)))) {
      return paramError('time_expire', '不是rfc3339格式');
    }
    if (b.attach !== undefined && (typeof b.attach !== 'string' || b.attach.length > 128)) return paramError('attach', '长度不能超过128');
    if (typeof b.notify_url !== 'string' || !/^https?:\/\/[^?#\s]+$/.test(b.notify_url) || b.notify_url.length > 255) {
      return paramError('notify_url', '应为不带参数的http(s) URL');
    }
    if (!isObj(b.amount) || !isPositiveInt(b.amount.total)) return paramError('amount.total', '应为正整数(分)');
    if (b.amount.currency !== undefined && b.amount.currency !== 'CNY') return paramError('amount.currency', '仅支持CNY');
    let openid: string | undefined;
    if (kind === 'JSAPI') {
      if (!isObj(b.payer) || typeof b.payer.openid !== 'string' || !b.payer.openid) return paramError('payer.openid', '必填');
      openid = b.payer.openid;
    }
    const totalFen = b.amount.total;
    const fingerprint = JSON.stringify([kind, b.appid, b.description, totalFen, b.amount.currency ?? 'CNY', openid ?? null, b.attach ?? null]);
    const existing = this.orders.get(b.out_trade_no);
    if (existing) {
      if (existing.fingerprint !== fingerprint) return wechatError(403, 'OUT_TRADE_NO_USED', '商户订单号重复');
      if (existing.tradeState === 'SUCCESS' || existing.tradeState === 'REFUND') return wechatError(403, 'ORDERPAID', '该订单已支付');
      if (existing.tradeState === 'CLOSED' || existing.tradeState === 'REVOKED') return wechatError(400, 'ORDER_CLOSED', '当前订单已关闭，请重新下单');
      return { status: 200, body: kind === 'JSAPI' ? { prepay_id: existing.prepayId } : { code_url: existing.codeUrl } };
    }
    const now = this.clock.now();
    const order: SandboxOrder = {
      kind,
      appid: b.appid,
      mchid: b.mchid,
      outTradeNo: b.out_trade_no,
      description: b.description,
      totalFen,
      currency: 'CNY',
      notifyUrl: b.notify_url,
      createdAt: now,
      fingerprint,
      tradeState: 'NOTPAY',
      refundedFen: 0,
    };
    if (openid !== undefined) order.payerOpenId = openid;
    if (typeof b.attach === 'string') order.attach = b.attach;
    if (typeof b.time_expire === 'string') {
      order.timeExpire = b.time_expire;
      order.expiresAt = Date.parse(b.time_expire);
    }
    if (kind === 'JSAPI') {
      order.prepayId = `wx${formatChinaTime(now).replace(/\D/g, '')}${randomString(20, '0123456789abcdef')}`;
    } else {
      order.codeUrl = `weixin://wxpay/bizpayurl?pr=${randomString(7)}`;
    }
    this.orders.set(order.outTradeNo, order);
    return { status: 200, body: kind === 'JSAPI' ? { prepay_id: order.prepayId } : { code_url: order.codeUrl } };
  }

  query(outTradeNo: string, mchid: string | null): Answer {
    if (!mchid) return wechatError(400, 'PARAM_ERROR', '参数错误: 缺少query参数mchid');
    if (mchid !== this.mchId) return wechatError(400, 'PARAM_ERROR', 'http header中的mchid与query中的mchid不匹配');
    const order = this.orders.get(outTradeNo);
    if (!order) return wechatError(404, 'ORDER_NOT_EXIST', '订单不存在');
    return { status: 200, body: this.transactionJson(order) };
  }

  queryByTransactionId(transactionId: string, mchid: string | null): Answer {
    const order = [...this.orders.values()].find((o) => o.transactionId === transactionId);
    if (!order) return mchid ? wechatError(404, 'ORDER_NOT_EXIST', '订单不存在') : wechatError(400, 'PARAM_ERROR', '参数错误: 缺少query参数mchid');
    return this.query(order.outTradeNo, mchid);
  }

  close(outTradeNo: string, body: unknown): Answer {
    if (!isObj(body) || body.mchid !== this.mchId) return wechatError(400, 'PARAM_ERROR', 'http header中的mchid与post payload中的mchid不匹配');
    const order = this.orders.get(outTradeNo);
    if (!order) return wechatError(404, 'ORDER_NOT_EXIST', '订单不存在');
    if (order.tradeState === 'SUCCESS' || order.tradeState === 'REFUND') return wechatError(400, 'ORDERPAID', '订单已支付');
    order.tradeState = 'CLOSED';
    return { status: 204 };
  }

  createRefund(body: unknown): Answer {
    if (!isObj(body)) return wechatError(400, 'PARAM_ERROR', '参数错误: 请求体不是JSON对象');
    const b = body;
    if (typeof b.out_refund_no !== 'string' || !OUT_REFUND_NO.test(b.out_refund_no)) return paramError('out_refund_no', '应为1-64位数字、大小写字母_-|*@');
    if (typeof b.out_trade_no !== 'string' && typeof b.transaction_id !== 'string') return paramError('out_trade_no', 'out_trade_no与transaction_id二选一');
    if (!isObj(b.amount) || !isPositiveInt(b.amount.refund) || !isPositiveInt(b.amount.total)) return paramError('amount', 'refund与total应为正整数(分)');
    if (b.amount.currency !== 'CNY') return paramError('amount.currency', '必填，仅支持CNY');
    if (b.reason !== undefined && (typeof b.reason !== 'string' || b.reason.length > 80)) return paramError('reason', '长度不能超过80');
    if (b.notify_url !== undefined && (typeof b.notify_url !== 'string' || !/^https?:\/\/[^?#\s]+$/.test(b.notify_url))) {
      return paramError('notify_url', '应为不带参数的http(s) URL');
    }
    const by = typeof b.out_trade_no === 'string' ? { outTradeNo: b.out_trade_no } : { transactionId: b.transaction_id as string };
    const order = by.outTradeNo !== undefined ? this.orders.get(by.outTradeNo) : [...this.orders.values()].find((o) => o.transactionId === by.transactionId);
    const foreign = order ? undefined : this.hooks.foreignTrade?.(by);
    if (foreign) {
      // A sub-merchant's trade is refunded by its service provider naming the sub-merchant; a direct merchant's names none.
      const sub = b.sub_mchid;
      if (foreign.subMchid === undefined && sub !== undefined) return wechatError(400, 'PARAM_ERROR', '参数错误: 普通商户不能传入sub_mchid', { field: 'sub_mchid', location: 'body' });
      if (foreign.subMchid !== undefined && (typeof sub !== 'string' || sub === '')) return paramError('sub_mchid', '服务商模式下必填');
      if (foreign.subMchid !== undefined && sub !== foreign.subMchid) return wechatError(404, 'RESOURCE_NOT_EXISTS', '订单不存在');
    }
    const fingerprint = JSON.stringify([order?.outTradeNo ?? foreign?.outTradeNo ?? b.out_trade_no ?? b.transaction_id, b.amount.refund, b.amount.total]);
    const existing = this.refunds.get(b.out_refund_no);
    if (existing) {
      if (existing.fingerprint !== fingerprint) {
        return wechatError(400, 'INVALID_REQUEST', '请求内容和上次请求不一致，请核实后再试。原因主要是商户号不一致，或者商户订单号/商户退款单号已经被其他请求使用。');
      }
      return { status: 200, body: this.refundJson(existing) };
    }
    const target = order
      ? { outTradeNo: order.outTradeNo, transactionId: order.transactionId ?? '', totalFen: order.totalFen, refundedFen: order.refundedFen, paid: order.tradeState === 'SUCCESS' || order.tradeState === 'REFUND' }
      : foreign;
    if (!target) return wechatError(404, 'RESOURCE_NOT_EXISTS', '订单不存在');
    if (!target.paid) return wechatError(400, 'INVALID_REQUEST', '订单未支付，不能退款');
    if (b.amount.total !== target.totalFen) return wechatError(400, 'PARAM_ERROR', '参数错误: amount.total与原订单金额不一致');
    if (target.refundedFen + b.amount.refund > target.totalFen) return wechatError(400, 'INVALID_REQUEST', '申请退款金额超过订单可退金额');
    const refund: SandboxRefund = {
      outRefundNo: b.out_refund_no,
      refundId: `503${digits(26)}`,
      outTradeNo: target.outTradeNo,
      transactionId: target.transactionId,
      refundFen: b.amount.refund,
      totalFen: target.totalFen,
      status: 'PROCESSING',
      createdAt: this.clock.now(),
      fingerprint,
    };
    if (typeof b.reason === 'string') refund.reason = b.reason;
    if (typeof b.notify_url === 'string') refund.notifyUrl = b.notify_url;
    if (foreign?.subMchid !== undefined) refund.subMchid = foreign.subMchid;
    if (order) {
      order.refundedFen += refund.refundFen;
      order.tradeState = 'REFUND';
    } else foreign!.refunded(refund.refundFen);
    this.refunds.set(refund.outRefundNo, refund);
    this.hooks.onRefundCreated(refund);
    return { status: 200, body: this.refundJson(refund) };
  }

  queryRefund(outRefundNo: string, subMchid?: string | null): Answer {
    const refund = this.refunds.get(outRefundNo);
    if (!refund) return wechatError(404, 'RESOURCE_NOT_EXISTS', '退款单不存在');
    // A sub-merchant's refund is found only with its sub_mchid (查询单笔退款, 普通服务商).
    if ((refund.subMchid ?? undefined) !== (subMchid || undefined)) return wechatError(404, 'RESOURCE_NOT_EXISTS', '退款单不存在');
    return { status: 200, body: this.refundJson(refund) };
  }

  // ---- control ------------------------------------------------------------------------------------

  order(outTradeNo: string): SandboxOrder {
    const order = this.orders.get(outTradeNo);
    if (!order) throw new SandboxControlError(`no order ${outTradeNo}`);
    return order;
  }

  /** The user pays: NOTPAY/USERPAYING → SUCCESS, then TRANSACTION.SUCCESS is sent. */
  pay(outTradeNo: string, opts: { openid?: string; bankType?: string } = {}): SandboxOrder {
    const order = this.order(outTradeNo);
    if (order.tradeState !== 'NOTPAY' && order.tradeState !== 'USERPAYING') {
      throw new SandboxControlError(`order ${outTradeNo} is ${order.tradeState}: it cannot be paid`);
    }
    const now = this.clock.now();
    if (order.expiresAt !== undefined && now > order.expiresAt) throw new SandboxControlError(`order ${outTradeNo} expired at ${order.timeExpire}`);
    order.tradeState = 'SUCCESS';
    order.transactionId = `4200${digits(6)}${formatChinaTime(now).slice(0, 10).replace(/-/g, '')}${digits(10)}`;
    order.successTime = now;
    order.paidOpenId = opts.openid ?? order.payerOpenId ?? `o${randomString(27)}`;
    this.hooks.onPaid(order);
    return order;
  }

  /** The user cancels the payment sheet: nothing changes (the order stays NOTPAY). */
  cancel(outTradeNo: string): SandboxOrder {
    return this.order(outTradeNo);
  }

  /** time_expire passed / WeChat closed it: → CLOSED. */
  expire(outTradeNo: string): SandboxOrder {
    const order = this.order(outTradeNo);
    if (order.tradeState === 'SUCCESS' || order.tradeState === 'REFUND') throw new SandboxControlError(`order ${outTradeNo} is paid`);
    order.tradeState = 'CLOSED';
    return order;
  }

  /** Force any trade state (USERPAYING, PAYERROR, REVOKED… for status-mapping tests). */
  setTradeState(outTradeNo: string, state: TradeState): SandboxOrder {
    const order = this.order(outTradeNo);
    order.tradeState = state;
    return order;
  }

  /** PROCESSING → SUCCESS | CLOSED | ABNORMAL, then REFUND.* is sent. */
  settleRefund(outRefundNo: string, status: Exclude<RefundState, 'PROCESSING'> = 'SUCCESS'): SandboxRefund {
    const refund = this.refunds.get(outRefundNo);
    if (!refund) throw new SandboxControlError(`no refund ${outRefundNo}`);
    if (refund.status !== 'PROCESSING') throw new SandboxControlError(`refund ${outRefundNo} is already ${refund.status}`);
    refund.status = status;
    if (status === 'SUCCESS') refund.successTime = this.clock.now();
    if (status === 'CLOSED') {
      const order = this.orders.get(refund.outTradeNo);
      if (order) order.refundedFen -= refund.refundFen;
      else this.hooks.foreignTrade?.({ outTradeNo: refund.outTradeNo })?.refundClosed(refund.refundFen);
    }
    this.hooks.onRefundSettled(refund);
    return refund;
  }

  // ---- wire shapes --------------------------------------------------------------------------------

  transactionJson(o: SandboxOrder): Obj {
    const paid = o.transactionId !== undefined && o.tradeState !== 'NOTPAY' && o.tradeState !== 'CLOSED';
    const tx: Obj = {
      amount: paid
        ? { currency: o.currency, payer_currency: o.currency, payer_total: o.totalFen, total: o.totalFen }
        : { currency: o.currency, payer_currency: o.currency, total: o.totalFen },
      appid: o.appid,
      attach: o.attach ?? '',
      mchid: o.mchid,
      out_trade_no: o.outTradeNo,
      promotion_detail: [],
      trade_state: o.tradeState,
      trade_state_desc: TRADE_STATE_DESC[o.tradeState],
      trade_type: o.kind,
    };
    if (paid) {
      tx.bank_type = 'OTHERS';
      tx.payer = { openid: o.paidOpenId };
      tx.success_time = wechatTime(o.successTime ?? o.createdAt);
      tx.transaction_id = o.transactionId;
    } else if (o.payerOpenId) {
      tx.payer = { openid: o.payerOpenId };
    }
    return tx;
  }

  refundJson(r: SandboxRefund): Obj {
    const j: Obj = {
      amount: {
        currency: 'CNY',
        discount_refund: 0,
        from: [],
        payer_refund: r.refundFen,
        payer_total: r.totalFen,
        refund: r.refundFen,
        refund_fee: 0,
        settlement_refund: r.refundFen,
        settlement_total: r.totalFen,
        total: r.totalFen,
      },
      channel: 'ORIGINAL',
      create_time: wechatTime(r.createdAt),
      funds_account: 'UNSETTLED',
      out_refund_no: r.outRefundNo,
      out_trade_no: r.outTradeNo,
      promotion_detail: [],
      refund_id: r.refundId,
      status: r.status,
      transaction_id: r.transactionId,
      user_received_account: '支付用户零钱',
    };
    if (r.successTime !== undefined) j.success_time = wechatTime(r.successTime);
    return j;
  }

  /** The decrypted REFUND.* resource. */
  refundResourceJson(r: SandboxRefund): Obj {
    const j: Obj = {
      mchid: this.mchId,
      out_trade_no: r.outTradeNo,
      transaction_id: r.transactionId,
      out_refund_no: r.outRefundNo,
      refund_id: r.refundId,
      refund_status: r.status,
      user_received_account: '支付用户零钱',
      amount: { total: r.totalFen, refund: r.refundFen, payer_total: r.totalFen, payer_refund: r.refundFen },
    };
    if (r.successTime !== undefined) j.success_time = wechatTime(r.successTime);
    return j;
  }
}
