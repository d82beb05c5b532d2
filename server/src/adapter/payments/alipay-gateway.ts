/**
 * The order service's PaymentGateway over Alipay (alipay.trade.create JSAPI_PAY, for my.tradePay), and the
 * reading of its trade notifications into PaymentEvents.
 */
import type { NotificationVerdict, PaymentGateway, PaymentNotifications, PayParams, ProviderPayment, ReceivedNotification, RefundOutcome } from '../../core/orders/gateways';
import { AlipayError, checkNotificationMatches, type AlipayAdapter } from '../alipay';

/** Alipay's timeout_express in whole minutes (at least 1). */
const minutesUntil = (at: Date, now: number) => `${Math.max(1, Math.floor((at.getTime() - now) / 60_000))}m`;

export class AlipayPaymentGateway implements PaymentGateway, PaymentNotifications {
  readonly provider = 'alipay' as const;
  constructor(
    private readonly alipay: AlipayAdapter,
    private readonly notifyUrl: string,
    private readonly now: () => number = Date.now,
  ) {}

  async create(o: { orderNo: string; description: string; amountFen: number; payer: { openId?: string; userId?: string }; expiresAt: Date }) {
    if (!o.payer.openId && !o.payer.userId) throw Object.assign(new Error('an Alipay payer needs an open_id or user_id'), { retryable: false });
    const t = await this.alipay.createTrade({
      outTradeNo: o.orderNo,
      subject: o.description,
      totalFen: o.amountFen,
      ...(o.payer.openId ? { buyerOpenId: o.payer.openId } : { buyerId: o.payer.userId }),
      timeoutExpress: minutesUntil(o.expiresAt, this.now()),
      notifyUrl: this.notifyUrl,
    });
    return { ref: { tradeNo: t.tradeNo }, pay: { provider: 'alipay' as const, tradeNo: t.tradeNo } };
  }

  payParams(ref: { tradeNo?: string }): PayParams {
    return { provider: 'alipay', tradeNo: ref.tradeNo! };
  }

  async query(orderNo: string): Promise<ProviderPayment> {
    let t;
    try {
      t = await this.alipay.query(orderNo);
    } catch (e) {
      // A precreate QR (lane_qr) nobody has scanned yet: Alipay has no trade, and it is still payable.
      if (e instanceof AlipayError && e.subCode === 'ACQ.TRADE_NOT_EXIST') return { status: 'pending' };
      throw e;
    }
    return { status: t.status, transactionId: t.tradeNo, paidFen: t.totalFen, paidAt: t.paidAt };
  }

  async close(orderNo: string): Promise<'closed' | 'paid'> {
    const r = await this.alipay.close(orderNo);
    return r.outcome === 'paid' ? 'paid' : 'closed';
  }

  async refund(o: { orderNo: string; refundNo: string; refundFen: number; reason: string }): Promise<RefundOutcome> {
    const r = await this.alipay.refund({ outTradeNo: o.orderNo, outRequestNo: o.refundNo, refundFen: o.refundFen, reason: o.reason });
    return r.status === 'refunded' ? { state: 'done' } : { state: 'pending' };
  }

  /**
   * alipay.trade.fastpay.refund.query: REFUND_SUCCESS is done; no refund_status is "not received, failed or
   * still processing" — Alipay's advice is to ask for the refund again with the same out_request_no, which
   * never refunds twice (the caller does so on 'missing').
   */
  async refundStatus(o: { orderNo: string; refundNo: string }): Promise<RefundOutcome> {
    const q = await this.alipay.queryRefund(o.orderNo, o.refundNo);
    return q.status === 'refunded' ? { state: 'done', ...(q.refundedAt ? { at: q.refundedAt } : {}) } : { state: 'missing' };
  }
  /**
   * trade_status_sync: verified (checkNotifySignV2 over the form, our app), then for our app and seller. A
   * trade not (yet) paid says nothing the order service needs: WAIT_BUYER_PAY, closes and refunds are
   * tracked by its jobs.
   */
  async paymentNotification(n: ReceivedNotification): Promise<NotificationVerdict> {
    const verdict = this.alipay.verifyNotification(n.body);
    if (!verdict.ok) return { ok: false, refusal: 'unverified', reason: verdict.reason };
    const t = verdict.notification;
    if (t.status !== 'paid') return { ok: true };
    // Only the app and seller count here: the amount is the order's business (the order service refunds another).
    const match = checkNotificationMatches(t, {
      appId: this.alipay.appId,
      outTradeNo: t.outTradeNo,
      totalFen: t.totalFen,
      ...(this.alipay.sellerId ? { sellerId: this.alipay.sellerId } : {}),
    });
    if (!match.ok) return { ok: false, refusal: 'not_ours', reason: 'Alipay notification for another app or seller', detail: { outTradeNo: t.outTradeNo, reason: match.reason } };
    return {
      ok: true,
      event: { kind: 'paid', provider: 'alipay', orderNo: t.outTradeNo, transactionId: t.tradeNo, paidFen: t.totalFen, ...(t.gmtPayment ? { paidAt: t.gmtPayment } : {}) },
    };
  }
}
