/**
 * A driver's payment for a stay: one order per Bluecard outTradeNo (the priced stay, 4.4 / 4.30).
 *
 * Its states, its allowed moves and every change core makes to it: changes.ts.
 *
 * Every change is one conditional single-document update (no transactions): the payment and the pending lot
 * notification are written together, so a crash between them cannot lose a paid barrier opening.
 * Money is integer fen.
 */

import { earliest, latest, type WorkItem } from '../work';
import type { LeaseRelease, OrderChange } from './changes';

export type Provider = 'wechat' | 'alipay';
/**
 * 'booking': a booking bought from an operator's offer (core/bookings), delivered by 4.18 instead of 4.5.
 * 'lane_qr': a 4.16 payment QR on a lane screen (core/lanepay/lane-qr.ts), paid by whoever scans it; the
 * lot collects it with its 4.17 poll, sendPayRes only as the fallback.
 * 'pass': a monthly pass bought or renewed online (core/passes), delivered by extending the plate's
 * whitelist entry at the lot (4.8 then 4.6) instead of 4.5.
 */
export type OrderKind = 'prepay' | 'unlicensed_exit' | 'booking' | 'lane_qr' | 'pass';
export type OrderStatus = 'quoted' | 'pending' | 'paid' | 'delivered' | 'closed' | 'refunding' | 'refunded';

/** The lot's price of the stay, as 4.4 / 4.30 gave it. */
export interface Quote {
  chargeFen: number;
  paidTotalFen: number;
  profitChargeTotalFen: number;
  /** What the driver pays now (payCharge). */
  payFen: number;
  inTime: string;
  /** The lot's settlement time: echoed back in sendPayRes. */
  getTime: string;
  stopMinutes: number;
  /** Minutes to leave after paying (paidfreeTime). */
  paidFreeMinutes: number;
  profitMinutes: number;
  imgName: string;
}

export interface Payment {
  provider: Provider;
  /** The provider's transaction id (WeChat transaction_id, Alipay trade_no). */
  transactionId: string;
  paidFen: number;
  paidAt: Date;
  /** How we learned it: a notification, or our own query. */
  via: 'notification' | 'query';
  /** When we recorded it (the start of the way to the barrier). */
  recordedAt?: Date;
}

export interface Delivery {
  /** sendPayRes's transactionID: ours, the same on every attempt (the order number). */
  transactionID: string;
  state: 'pending' | 'done' | 'abandoned';
  attempts: number;
  /** Attempts the lot answered `fail` to. */
  refusals: number;
  nextAttemptAt: Date;
  leaseOwner?: string;
  leaseUntil?: Date;
  lastError?: string;
  deliveredAt?: Date;
  /** '4.17': the lot collected a lane QR payment with its own poll (core/lanepay/lane-qr.ts), no sendPayRes. */
  via?: '4.17';
}

export interface Refund {
  /** Our refund number (out_refund_no / out_request_no): the same on every attempt. */
  refundNo: string;
  reason: string;
  fen: number;
  state: 'pending' | 'done';
  attempts: number;
  nextAttemptAt: Date;
  leaseOwner?: string;
  leaseUntil?: Date;
  lastError?: string;
  refundedAt?: Date;
  /** When the provider first accepted it: from then on it is asked about (query), not asked for again. */
  requestedAt?: Date;
  /** How many refund numbers it took (the provider closed the earlier ones); absent: 1. */
  numbers?: number;
  /** The provider could not pay it back (WeChat ABNORMAL): a person must act. */
  abnormal?: boolean;
}

export interface GatewayRef {
  /** WeChat prepay_id (re-signed for the app on each ask). */
  prepayId?: string;
  /** Alipay trade_no, for my.tradePay. */
  tradeNo?: string;
  /** A lane QR (4.16): WeChat Native code_url or Alipay precreate qr_code, answered again on a resend. */
  qrCode?: string;
}

export interface Order {
  /** Ours: also the out_trade_no at WeChat/Alipay and sendPayRes's transactionID. */
  orderNo: string;
  driverId: string;
  kind: OrderKind;
  parkNumber: string;
  /** Bluecard's stay id. */
  orderId: string;
  /** As the lot spells it (echoed in sendPayRes). */
  plate: string;
  /** Bluecard's id of this price: parkNumber_channelId_orderId_HHmmss (opaque). */
  outTradeNo: string;
  quote: Quote;
  amountFen: number;
  status: OrderStatus;
  provider?: Provider;
  gateway?: GatewayRef;
  /** A quoted order must be paid before this; a pending one is closed at the provider after it. */
  expiresAt: Date;
  lastQueriedAt?: Date;
  payment?: Payment;
  delivery?: Delivery;
  refund?: Refund;
  /** Why the order closed without payment. */
  closedReason?: string;
  createdAt: Date;
  updatedAt: Date;
}

/** An order has work until it is delivered, closed or refunded. */
export const FINISHED_ORDER: readonly OrderStatus[] = ['delivered', 'closed', 'refunded'];

/** How often a pending order is looked at (a payment recorded by a process that died before delivering it). */
export const PENDING_LOOK_MS = 60_000;

/**
 * When the job should next look at an order (its work item's due); undefined when it has nothing left to do.
 * A pending order is looked at every minute too: its payment may have been recorded, with the delivery
 * taken, by a process that died before the lot was told.
 */
export function orderDue(o: Order, now: Date): Date | undefined {
  const soon = new Date(now.getTime() + PENDING_LOOK_MS);
  switch (o.status) {
    case 'quoted':
      return o.expiresAt;
    case 'pending':
      return earliest(o.expiresAt, soon);
    case 'paid':
      return o.delivery?.state === 'pending' ? (latest(o.delivery.nextAttemptAt, o.delivery.leaseUntil) ?? now) : soon;
    case 'refunding':
      return o.refund?.state === 'pending' ? (latest(o.refund.nextAttemptAt, o.refund.leaseUntil) ?? now) : soon;
    default:
      return undefined;
  }
}

/**
 * Persistence (implemented under repository/). Every method is one atomic operation on the order; the
 * repository keeps the order's work item and lookup keys (core/work.ts) with it.
 */
export interface OrderRepository {
  /** Insert; false when an order with this parkNumber+outTradeNo exists already. */
  insert(order: Order): Promise<boolean>;
  get(orderNo: string): Promise<Order | undefined>;
  byOutTradeNo(parkNumber: string, outTradeNo: string): Promise<Order | undefined>;
  /** The orders of one stay, of any driver, that are not finished (quoted, pending, paid, refunding). */
  unfinishedOfStay(parkNumber: string, orderId: string): Promise<Order[]>;
  /**
   * A stay's slot (one order at a time holds it: the stay's payable order, the stay's payment being
   * delivered): the order holding `key`, claiming it for `orderNo` when nobody does.
   */
  claimSlot(key: string, orderNo: string): Promise<string>;
  /** Hand a slot from `from` to `to`, only if `from` still holds it; whether it did. */
  swapSlot(key: string, from: string, to: string): Promise<boolean>;
  /** The driver's history, newest first: orders with a payment started or made (never a price only looked at). */
  listForDriver(driverId: string, limit: number): Promise<Order[]>;
  /** Apply a change (core/orders/changes.ts) when its condition holds; the updated order or undefined. */
  apply(orderNo: string, change: OrderChange): Promise<Order | undefined>;
  /**
   * Apply the change that records a payment of an unpaid order with its pending delivery (changes.ts
   * recordPayment) — the delivery leased to whoever delivers it now, or unleased (then the job is told it is
   * due now). The paid order, or undefined when the condition did not hold.
   */
  applyPayment(orderNo: string, change: OrderChange): Promise<Order | undefined>;
  /** Claim one paid order whose delivery is due and not leased by a live worker. */
  claimDelivery(now: Date, owner: string, leaseMs: number, orderNo?: string): Promise<Order | undefined>;
  /** Claim one refunding order whose refund is due. */
  claimRefund(now: Date, owner: string, leaseMs: number, orderNo?: string): Promise<Order | undefined>;
  /** quoted/pending orders past expiresAt. */
  expired(now: Date, limit: number): Promise<Order[]>;
  /** Orders whose work is due (the job's poll), earliest first. */
  dueWork(now: Date, limit: number): Promise<WorkItem[]>;
  /** After the job looked at an order: when to look next (undefined: finished). */
  settleWork(item: WorkItem, next: Date | undefined): Promise<void>;
  /** Move the lease of delivery or refund on while `owner` holds it (a call in flight); false when it is not theirs. */
  renewLease(orderNo: string, which: 'delivery' | 'refund', owner: string, until: Date): Promise<boolean>;
  /** Take over a lease from `from` (a dead process of the same home); the order when it was still theirs. */
  takeLease(orderNo: string, which: 'delivery' | 'refund', from: string, owner: string, until: Date): Promise<Order | undefined>;
  /**
   * Apply a lease holder's write, only while it still holds the lease and the order is still in the leased state
   * (paid for a delivery, refunding for a refund), and let the lease go. A release that writes nothing else
   * lets the lease go in any state.
   */
  release(orderNo: string, release: LeaseRelease): Promise<Order | undefined>;
}
