/**
 * The face-to-face service's gateways (core/lanepay/face-to-face-model.ts) over WeChat Pay v2 付款码支付
 * (adapter/wechatpay/micropay.ts) and Alipay 当面付 (adapter/alipay/face-to-face.ts): each provider's words
 * turned into paid / waiting / failed. Thrown errors are transient (the service asks again later).
 */
import type { CancelResult, ChargeResult, FaceToFaceGateway } from '../../core/lanepay/face-to-face-model';
import type { AlipayFaceToFace } from '../alipay/face-to-face';
import type { WechatMicropayClient } from '../wechatpay/micropay';

export class WechatFaceToFaceGateway implements FaceToFaceGateway {
  readonly provider = 'wechat' as const;
  constructor(private readonly client: WechatMicropayClient) {}

  async charge(o: { paymentNo: string; authCode: string; amountFen: number; description: string }): Promise<ChargeResult> {
    const r = await this.client.micropay({ outTradeNo: o.paymentNo, authCode: o.authCode, totalFen: o.amountFen, description: o.description });
    switch (r.kind) {
      case 'paid':
        return { status: 'paid', transactionId: r.transactionId, paidFen: r.totalFen, paidAt: r.paidAt, userId: r.openid };
      case 'userpaying':
        return { status: 'waiting', reason: 'USERPAYING' };
      case 'unknown':
        return { status: 'waiting', reason: r.errCode };
      case 'refused':
        return { status: 'failed', code: r.errCode, message: r.message };
    }
  }

  async query(paymentNo: string): Promise<ChargeResult> {
    const q = await this.client.query(paymentNo);
    switch (q.state) {
      case 'SUCCESS':
      case 'REFUND':
        return { status: 'paid', transactionId: q.transactionId, paidFen: q.totalFen, paidAt: q.paidAt, userId: q.openid };
      case 'USERPAYING':
      case 'NOTPAY':
      case 'NOT_FOUND':
        // NOT_FOUND: the micropay may still be on its way; the deadline's reverse settles it for good.
        return { status: 'waiting', reason: q.state };
      case 'PAYERROR':
      case 'CLOSED':
      case 'REVOKED':
        return { status: 'failed', code: q.state, message: `trade_state ${q.state}` };
    }
  }

  async cancel(paymentNo: string): Promise<CancelResult> {
    const r = await this.client.reverse(paymentNo);
    if (r.kind === 'recall') return { status: 'retry', message: `${r.errCode}: ${r.message}` };
    // reverse does not say whether money went back: a REVOKED order with a transaction had been paid.
    try {
      const q = await this.client.query(paymentNo);
      return { status: 'done', refunded: q.state !== 'NOT_FOUND' && q.transactionId !== undefined };
    } catch {
      return { status: 'done' };
    }
  }
}

export class AlipayFaceToFaceGateway implements FaceToFaceGateway {
  readonly provider = 'alipay' as const;
  constructor(
    private readonly alipay: AlipayFaceToFace,
    private readonly now: () => number = Date.now,
  ) {}

  async charge(o: { paymentNo: string; authCode: string; amountFen: number; description: string }): Promise<ChargeResult> {
    const r = await this.alipay.payWithCode({ outTradeNo: o.paymentNo, authCode: o.authCode, totalFen: o.amountFen, subject: o.description });
    switch (r.kind) {
      case 'paid':
        return { status: 'paid', transactionId: r.tradeNo, paidFen: r.totalFen, paidAt: r.paidAt ?? new Date(this.now()), userId: r.buyer };
      case 'waiting':
        return { status: 'waiting', reason: 'WAIT_BUYER_PAY' };
      case 'unknown':
        return { status: 'waiting', reason: r.subCode };
      case 'refused':
        return { status: 'failed', code: r.subCode, message: r.message };
    }
  }

  async query(paymentNo: string): Promise<ChargeResult> {
    const t = await this.alipay.queryFace(paymentNo);
    switch (t.status) {
      case 'paid':
      case 'refunded':
        return {
          status: 'paid',
          transactionId: t.tradeNo,
          paidFen: t.totalFen,
          paidAt: t.paidAt ?? new Date(this.now()),
          userId: t.buyerId ?? t.buyerOpenId ?? '',
        };
      case 'pending':
      case 'not_found':
        return { status: 'waiting', reason: t.status };
      default:
        return { status: 'failed', code: 'TRADE_CLOSED', message: `trade ${t.status}` };
    }
  }

  async cancel(paymentNo: string): Promise<CancelResult> {
    const r = await this.alipay.cancelTrade(paymentNo);
    if (r.kind === 'retry') return { status: 'retry', message: r.message };
    return { status: 'done', ...(r.action === 'refund' ? { refunded: true } : r.action === 'close' ? { refunded: false } : {}) };
  }
}
