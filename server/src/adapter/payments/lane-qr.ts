/**
 * Lane payment QR codes (4.16's fallback) over the existing payment adapters: WeChat Pay Native
 * (POST /v3/pay/transactions/native → code_url) and Alipay precreate (alipay.trade.precreate → qr_code).
 * The order number is the provider's out_trade_no, so notifications, queries, closes and refunds go
 * through the ordinary PaymentGateway of the order machinery.
 */
import type { LaneQrGateway } from '../../core/lanepay/lane-qr';
import type { AlipayAdapter } from '../alipay';
import type { WechatPayAdapter } from '../wechatpay';

export class WechatLaneQrGateway implements LaneQrGateway {
  readonly provider = 'wechat' as const;
  constructor(
    private readonly wechat: WechatPayAdapter,
    private readonly notifyUrl: string,
  ) {}

  async createQr(o: { orderNo: string; description: string; amountFen: number; expiresAt: Date }): Promise<{ qrCode: string }> {
    const { codeUrl } = await this.wechat.createNativeOrder({
      outTradeNo: o.orderNo,
      description: o.description,
      totalFen: o.amountFen,
      expiresAt: o.expiresAt,
      notifyUrl: this.notifyUrl,
    });
    return { qrCode: codeUrl };
  }
}

/** Alipay's timeout_express in whole minutes (at least 1). */
const minutesUntil = (at: Date, now: number) => `${Math.max(1, Math.floor((at.getTime() - now) / 60_000))}m`;

export class AlipayLaneQrGateway implements LaneQrGateway {
  readonly provider = 'alipay' as const;
  constructor(
    private readonly alipay: AlipayAdapter,
    private readonly notifyUrl: string,
    private readonly now: () => number = Date.now,
  ) {}

  async createQr(o: { orderNo: string; description: string; amountFen: number; expiresAt: Date }): Promise<{ qrCode: string }> {
    const { qrCode } = await this.alipay.precreate({
      outTradeNo: o.orderNo,
      subject: o.description,
      totalFen: o.amountFen,
      timeoutExpress: minutesUntil(o.expiresAt, this.now()),
      notifyUrl: this.notifyUrl,
    });
    return { qrCode };
  }
}
