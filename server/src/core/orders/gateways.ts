/**
 * What the order service needs of the outside world, as small interfaces it owns. adapter/ implements them
 * (WeChat Pay, Alipay, the Bluecard client); tests may implement them too.
 */
import type { Park } from '../parks';
import type { Provider, Quote } from './model';

/** The payer as the provider knows them. */
export interface Payer {
  /** WeChat openid under our mini-program, or Alipay open_id. */
  openId?: string;
  /** Alipay user_id (2088…). */
  userId?: string;
}

/** What the app needs to pay: wx.requestPayment parameters, or my.tradePay's trade number. */
export type PayParams =
  | { provider: 'wechat'; requestPayment: { appId: string; timeStamp: string; nonceStr: string; package: string; signType: 'RSA'; paySign: string } }
  | { provider: 'alipay'; tradeNo: string };

export type ProviderStatus = 'paid' | 'pending' | 'closed' | 'failed' | 'refunded';

export interface ProviderPayment {
  status: ProviderStatus;
  transactionId?: string;
  paidFen?: number;
  paidAt?: Date;
}

export interface PaymentGateway {
  readonly provider: Provider;
  /** Create (or, for the same orderNo and amount, find again) the provider's order. */
  create(o: { orderNo: string; description: string; amountFen: number; payer: Payer; expiresAt: Date }): Promise<{ ref: { prepayId?: string; tradeNo?: string }; pay: PayParams }>;
  /** The pay parameters again for an order created before (WeChat re-signs the prepay_id). */
  payParams(ref: { prepayId?: string; tradeNo?: string }): PayParams;
  query(orderNo: string): Promise<ProviderPayment>;
  /** Close an unpaid order; 'paid' when it turns out the payer paid after all. */
  close(orderNo: string): Promise<'closed' | 'paid'>;
  /** Refund (idempotent per refundNo): 'done' when the money is back, 'pending' when the provider still works on it. */
  refund(o: { orderNo: string; refundNo: string; refundFen: number; totalFen: number; reason: string }): Promise<'done' | 'pending'>;
}

/** The failure of a gateway call, as the order service sees it. */
export interface GatewayFailure {
  retryable: boolean;
  message: string;
}

/** The lot, through Bluecard's down interfaces. */
export interface LotGateway {
  /** 4.4 */
  priceStay(park: Park, stay: { orderId: string; plate: string }): Promise<PricedStay>;
  /** 4.29 */
  unlicensedEntry(park: Park, who: { codeKind: '1' | '2'; authId: string; passagewayId: string }): Promise<{ plate: string; inTime: string; inImage: string }>;
  /** 4.30 */
  unlicensedExit(park: Park, who: { codeKind: '1' | '2'; authId: string; passagewayId: string }): Promise<PricedStay & { orderId: string; plate: string }>;
  /** 4.5 */
  sendPayRes(park: Park, pay: SendPayRes): Promise<void>;
}

export interface PricedStay {
  outTradeNo: string;
  quote: Quote;
}

export interface SendPayRes {
  orderId: string;
  plate: string;
  payChargeFen: number;
  realChargeFen: number;
  payTime: Date;
  payType: string;
  payChannel: '提前付' | '扫码付';
  getTime: string;
  transactionID: string;
  outTradeNo: string;
}

/**
 * A lot call that failed: `refused` when the lot answered `fail` (its reason in errorCode); `slow` when it
 * gave no answer in time (a hanging lot, not one that cannot be reached).
 */
export class LotCallError extends Error {
  constructor(
    message: string,
    readonly retryable: boolean,
    readonly refused: boolean,
    readonly errorCode?: string,
    readonly slow = false,
  ) {
    super(message);
    this.name = 'LotCallError';
  }
}
