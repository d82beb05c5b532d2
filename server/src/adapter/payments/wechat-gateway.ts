/**
 * The order service's PaymentGateway over WeChat Pay v3 (JSAPI, for the mini-program), and the reading of
 * its payment and refund notifications into PaymentEvents.
 */
import type {
  NotificationVerdict,
  PaymentGateway,
  PaymentNotifications,
  PayParams,
  ProviderPayment,
  ReceivedNotification,
  RefundNotifications,
  RefundOutcome,
} from '../../core/orders/gateways';
import { checkTransactionMatches, isWechatPayError, type WechatPayAdapter, type WechatRefundView } from '../wechatpay';

/** WeChat's refund events (退款结果通知) and what they mean for the refund. */
const REFUND_EVENTS: Record<string, RefundOutcome['state']> = { 'REFUND.SUCCESS': 'done', 'REFUND.ABNORMAL': 'abnormal', 'REFUND.CLOSED': 'closed' };

/** WeChat's refund states as the order service reads them (status.ts maps SUCCESS/PROCESSING/CLOSED/ABNORMAL). */
function outcome(r: WechatRefundView): RefundOutcome {
  if (r.status === 'refunded') return { state: 'done', ...(r.successTime ? { at: new Date(r.successTime) } : {}) };
  if (r.status === 'pending') return { state: 'pending' };
  if (r.status === 'closed') return { state: 'closed' };
  return { state: 'abnormal' };
}

export class WechatPaymentGateway implements PaymentGateway, PaymentNotifications, RefundNotifications {
  readonly provider = 'wechat' as const;
  constructor(
    private readonly wechat: WechatPayAdapter,
    private readonly notifyUrl: string,
    /** Where WeChat sends REFUND.* for our refunds (notify_url of 申请退款). */
    private readonly refundNotifyUrl?: string,
  ) {}

  async create(o: { orderNo: string; description: string; amountFen: number; payer: { openId?: string }; expiresAt: Date }) {
    if (!o.payer.openId) throw Object.assign(new Error('a WeChat payer needs an openid'), { retryable: false });
    const created = await this.wechat.createJsapiOrder({
      outTradeNo: o.orderNo,
      description: o.description,
      totalFen: o.amountFen,
      payerOpenId: o.payer.openId,
      expiresAt: o.expiresAt,
      notifyUrl: this.notifyUrl,
    });
    return { ref: { prepayId: created.prepayId }, pay: { provider: 'wechat' as const, requestPayment: created.requestPayment } };
  }

  payParams(ref: { prepayId?: string }): PayParams {
    return { provider: 'wechat', requestPayment: this.wechat.requestPaymentFor(ref.prepayId!) };
  }

  async query(orderNo: string): Promise<ProviderPayment> {
    const v = await this.wechat.queryByOutTradeNo(orderNo);
    return {
      status: v.status,
      transactionId: v.transactionId,
      paidFen: v.totalFen,
      paidAt: v.successTime ? new Date(v.successTime) : undefined,
    };
  }

  async close(orderNo: string): Promise<'closed' | 'paid'> {
    try {
      await this.wechat.close(orderNo);
      return 'closed';
    } catch (e) {
      if (isWechatPayError(e) && e.kind === 'business') {
        if (e.code === 'ORDERPAID' || e.code === 'TRADE_ERROR') return (await this.query(orderNo)).status === 'paid' ? 'paid' : 'closed';
        if (e.code === 'ORDER_NOT_EXIST' || e.code === 'ORDERNOTEXIST') return 'closed'; // never created there
      }
      throw e;
    }
  }

  async refund(o: { orderNo: string; refundNo: string; refundFen: number; totalFen: number; reason: string }): Promise<RefundOutcome> {
    const r = await this.wechat.refund({
      outTradeNo: o.orderNo,
      outRefundNo: o.refundNo,
      refundFen: o.refundFen,
      totalFen: o.totalFen,
      reason: o.reason.slice(0, 80),
      ...(this.refundNotifyUrl ? { notifyUrl: this.refundNotifyUrl } : {}),
    });
    return outcome(r);
  }

  async refundStatus(o: { orderNo: string; refundNo: string }): Promise<RefundOutcome> {
    try {
      return outcome(await this.wechat.queryRefund(o.refundNo));
    } catch (e) {
      if (isWechatPayError(e) && e.kind === 'business' && (e.code === 'RESOURCE_NOT_EXISTS' || e.code === 'NOT_FOUND')) return { state: 'missing' };
      throw e;
    }
  }
  /**
   * 支付成功回调: verified (signature over the raw body, timestamp, GCM tag), then for our app and merchant.
   * Anything but a successful payment says nothing the order service needs (its jobs track the rest).
   */
  async paymentNotification(n: ReceivedNotification): Promise<NotificationVerdict> {
    let verified;
    try {
      verified = await this.wechat.verifyNotification({ headers: n.headers, rawBody: n.rawBody });
    } catch (e) {
      return { ok: false, refusal: 'unverified', reason: (e as Error).message };
    }
    const tx = verified.transaction;
    if (verified.eventType !== 'TRANSACTION.SUCCESS' || verified.status !== 'paid') return { ok: true };
    // Only the app and merchant count here: the amount is the order's business (the order service refunds another).
    const check = checkTransactionMatches(tx, { appid: this.wechat.appId, mchid: this.wechat.mchId, outTradeNo: tx.out_trade_no, totalFen: tx.amount?.total ?? 0 });
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

  /** 退款结果通知 (REFUND.SUCCESS / ABNORMAL / CLOSED): verified like payments, then for our merchant. */
  async refundNotification(n: ReceivedNotification): Promise<NotificationVerdict> {
    let verified;
    try {
      verified = await this.wechat.verifyRefundNotification({ headers: n.headers, rawBody: n.rawBody });
    } catch (e) {
      return { ok: false, refusal: 'unverified', reason: (e as Error).message };
    }
    const r = verified.refund;
    if (r.mchid !== this.wechat.mchId) {
      return { ok: false, refusal: 'not_ours', reason: 'WeChat refund notification for another merchant', detail: { outRefundNo: r.out_refund_no, mchid: r.mchid } };
    }
    const state = REFUND_EVENTS[verified.eventType];
    if (!state) return { ok: true };
    const outcome: RefundOutcome = state === 'done' ? { state, ...(r.success_time ? { at: new Date(r.success_time) } : {}) } : { state };
    return { ok: true, event: { kind: 'refund', provider: 'wechat', orderNo: r.out_trade_no, refundNo: r.out_refund_no, outcome } };
  }
}
