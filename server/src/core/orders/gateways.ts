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
  /** Refund (idempotent per refundNo). */
  refund(o: { orderNo: string; refundNo: string; refundFen: number; totalFen: number; reason: string }): Promise<RefundOutcome>;
  /** Where a refund asked for earlier stands (WeChat 查询单笔退款, Alipay alipay.trade.fastpay.refund.query). */
  refundStatus(o: { orderNo: string; refundNo: string }): Promise<RefundOutcome>;
}

/**
 * A refund at the provider:
 *  - done: the money is back (at: the provider's time, when it says);
 *  - pending: accepted, still processing (WeChat PROCESSING; Alipay fund_change N) — ask again later;
 *  - missing: the provider has no such refund (never received; Alipay: or failed) — ask for it again, same number;
 *  - closed: WeChat closed it (退款关闭) — a new refund number is needed;
 *  - abnormal: WeChat could not pay it back (退款异常, the buyer's card is gone) — a person must act.
 */
export type RefundOutcome = { state: 'done'; at?: Date } | { state: 'pending' | 'missing' | 'closed' | 'abnormal' };

/**
 * A verified notification of a provider, as the order service reads it whichever provider sent it:
 *  - paid: the payer paid for `orderNo` (an amount or time the provider left out is absent, not guessed);
 *  - refund: where a refund we asked for stands.
 */
export type PaymentEvent =
  | { kind: 'paid'; provider: Provider; orderNo: string; transactionId: string; paidFen?: number; paidAt?: Date }
  | { kind: 'refund'; provider: Provider; orderNo: string; refundNo: string; outcome: RefundOutcome };

/**
 * A notification as its gateway read it: the event it means (none when it says nothing the order service
 * needs, such as a payment still waiting), or why it is refused: `unverified` (signature, time, decryption:
 * possibly forged), `not_ours` (genuine, but for another app, merchant or seller). An amount that differs
 * from the order's is not a refusal: the order service decides about it.
 */
export type NotificationVerdict =
  | { ok: true; event?: PaymentEvent }
  | { ok: false; refusal: 'unverified' | 'not_ours'; reason: string; detail?: Record<string, unknown> };

/** What a notification endpoint received: its headers, the body exactly as sent, and the parsed body. */
export interface ReceivedNotification {
  headers: Record<string, string>;
  rawBody: string;
  body: unknown;
}

/** A provider's notifications, read into events (the gateways over WeChat Pay and Alipay implement it). */
export interface PaymentNotifications {
  /** A payment notification (WeChat TRANSACTION.*, Alipay trade_status_sync). */
  paymentNotification(n: ReceivedNotification): Promise<NotificationVerdict>;
}

/** A provider that also tells us where our refunds stand (WeChat REFUND.*). */
export interface RefundNotifications {
  refundNotification(n: ReceivedNotification): Promise<NotificationVerdict>;
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
