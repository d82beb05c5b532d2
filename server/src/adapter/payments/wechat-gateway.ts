/**
 * The order service's PaymentGateway over WeChat Pay v3 (JSAPI, for the mini-program). Its notifications are
 * read by the adapter's WechatNotificationReader (adapter/wechatpay/notifications.ts).
 */
import type { PaymentGateway, PayParams, ProviderPayment, RefundOutcome } from '../../core/orders/gateways';
import { isWechatPayError, type WechatPayAdapter, type WechatRefundView } from '../wechatpay';

/** WeChat's refund states as the order service reads them (wire.ts maps SUCCESS/PROCESSING/CLOSED/ABNORMAL). */
function outcome(r: WechatRefundView): RefundOutcome {
  if (r.status === 'refunded') return { state: 'done', ...(r.successTime ? { at: new Date(r.successTime) } : {}) };
  if (r.status === 'pending') return { state: 'pending' };
  if (r.status === 'closed') return { state: 'closed' };
  return { state: 'abnormal' };
}

export class WechatPaymentGateway implements PaymentGateway {
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
}
