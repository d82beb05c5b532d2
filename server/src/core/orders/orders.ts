/**
 * The order service: fees, payments, and the way from a payment to the barrier (sendPayRes), with refunds
 * for payments that cannot count. No I/O libraries here: repositories and gateways are interfaces.
 */
import { normalizePlate } from '../../../../shared/plate';
import { formatChinaTime } from '../../../../shared/time';
import { timedNo } from '../ids';
import type { Clock } from '../clock';
import type { EventBus } from '../events';
import { AppError } from '../errors';
import { OrderError } from './errors';
import { lotAppError } from '../lot/lot-errors';
import { GatewayFailure } from '../gateway-failure';
import type { LotRecordsRepository } from '../lot/model';
import type { ParkDirectory } from '../parks';
import type { OrderDelivery } from './deliveries';
import { FINAL_REFUSALS, classifyRefusal } from './lot-refusals';
import { LotCallError, type LotGateway, type Payer, type PayParams, type PaymentEvent, type PaymentGateway, type PricedStay, type RefundOutcome } from './gateways';
import type { WorkItem } from '../work';
import type { Patch } from '../patch';
import * as changes from './changes';
import { orderDue, PENDING_LOOK_MS, type Delivery, type Order, type OrderKind, type OrderRepository, type Payment, type Provider, type Refund } from './model';
import { backoff, DEFAULT_ORDER_POLICY, type OrderPolicy } from './policy';
import type { Log } from '../log';

export interface OrderServiceDeps {
  orders: OrderRepository;
  parks: ParkDirectory;
  stays: Pick<LotRecordsRepository, 'findStay' | 'staysInPark'>;
  lot: LotGateway;
  gateways: Partial<Record<Provider, PaymentGateway>>;
  /** Kinds delivered another way than 4.5 sendPayRes (a booking: 4.18). */
  deliveries?: Partial<Record<OrderKind, OrderDelivery>>;
  clock: Clock;
  policy?: Partial<OrderPolicy>;
  /**
   * The worker of this process that delivers a payment at once: the payment's write takes the delivery's
   * lease for this owner (a driver waits at the barrier), and paymentRecorded tells the worker. Without it,
   * payments wait for the job's poll.
   */
  deliveryOwner?: string;
  /** Where the service tells what became of orders (payments recorded, delivered, refunds started and done). */
  events?: EventBus<OrderEvents>;
  log?: Log;
  newOrderNo?: () => string;
  /** Our coupons of a stay, shown on its fee (core/coupons). */
  stayCoupons?: StayCoupons;
}

/** What the order service tells the rest of the process (metrics, the delivery worker, messages, bookings, passes). */
export interface OrderEvents {
  /**
   * A payment was recorded: it counts for the stay ('paid'; its delivery may be leased to the deliveryOwner
   * already) or it goes back ('cannot_count').
   */
  paymentRecorded: { order: Order; outcome: 'paid' | 'cannot_count' };
  /** A refund started: the payment cannot count, or a delivered payment is given back. */
  refundStarted: { orderNo: string };
  /** The lot acknowledged a payment, `seconds` after it was recorded. */
  delivered: { order: Order; seconds: number };
  /** The provider confirmed a refund: the money is back with the driver. */
  refunded: { order: Order };
}

/** A coupon of ours on a stay, as the fee shows it (the lot's figures already count the 'applied' ones). */
export interface FeeCoupon {
  kind: 'hours' | 'money';
  /** Minutes ('hours') or fen ('money'). */
  amount: number;
  end: Date;
  /** 'applied': in the lot's discount; 'pending': not confirmed by the lot yet; 'used': taken off at the exit. */
  state: 'applied' | 'pending' | 'used';
  /** Who gave it (a shop's display name), if anyone says. */
  from: string | null;
}

export interface StayCoupons {
  forStay(parkNumber: string, orderId: string): Promise<FeeCoupon[]>;
}

/** The fee of a stay with its parts, as the driver sees it. */
export interface Fee {
  parkNumber: string;
  plate: string;
  orderId: string;
  inTime: string;
  stopMinutes: number;
  chargeFen: number;
  paidFen: number;
  discountFen: number;
  payFen: number;
  /** Minutes to leave once paid. */
  paidFreeMinutes: number;
  /** Present when there is something to pay. */
  order?: { orderNo: string; status: Order['status']; expiresAt: Date };
  /** Our coupons of this stay (the lot's discountFen counts the applied ones). */
  coupons?: FeeCoupon[];
}

/** A price asked this long after another payment was delivered includes that payment (our clock on both). */
const PRICED_AFTER_MS = 5_000;

/** Orders that pay a stay's fee (a booking pays for a place, not for a stay). */
const STAY_KINDS: readonly OrderKind[] = ['prepay', 'unlicensed_exit', 'lane_qr'];

/** What the payer's wallet says the payment is for. */
const DESCRIPTIONS: Partial<Record<OrderKind, string>> = { booking: '车位预约', pass: '月卡续费' };

/** PP + China time yyMMddHHmmss + 8 random characters: 22 of [0-9A-Z], fits WeChat (6–32) and Alipay (≤64). */
export function newOrderNo(now: number = Date.now()): string {
  return timedNo('PP', now, 8);
}

export class OrderService {
  private readonly policy: OrderPolicy;
  private readonly newOrderNo: () => string;

  constructor(private readonly deps: OrderServiceDeps) {
    this.policy = { ...DEFAULT_ORDER_POLICY, ...deps.policy };
    this.newOrderNo = deps.newOrderNo ?? (() => newOrderNo(deps.clock.now()));
  }

  private now(): Date {
    return new Date(this.deps.clock.now());
  }

  private async park(parkNumber: string) {
    const park = await this.deps.parks.get(parkNumber);
    if (!park) throw new OrderError('park_unknown', `park ${parkNumber} is not served by ParkPay`);
    return park;
  }

  /** Lot errors as the app sees them (core/lot/lot-errors.ts). */
  private lotError(e: unknown): never {
    lotAppError(e);
  }

  // -------------------------------------------------------------------------------------------------------
  // Fees

  /** Pre-pay: the plate's stay (from the lot's 4.2 records) priced by the lot now (4.4). */
  async quotePrepay(driverId: string, parkNumber: string, plate: string): Promise<Fee> {
    const park = await this.park(parkNumber);
    const [stay] = await this.deps.stays.staysInPark(parkNumber, normalizePlate(plate));
    if (!stay) {
      throw new OrderError('stay_unknown', `no car with plate ${plate} is in this park (no entry record)`);
    }
    let priced: PricedStay;
    try {
      priced = await this.deps.lot.priceStay(park, { orderId: stay.orderId, plate: stay.plate });
    } catch (e) {
      this.lotError(e);
    }
    return this.settleQuote(driverId, 'prepay', parkNumber, stay.orderId, stay.plate, priced);
  }

  /** Unlicensed entry: the driver scanned the entry lane's code; the lot lets the car in on a temporary plate (4.29). */
  async enterUnlicensed(parkNumber: string, who: { codeKind: '1' | '2'; authId: string; passagewayId: string }) {
    const park = await this.park(parkNumber);
    try {
      return await this.deps.lot.unlicensedEntry(park, who);
    } catch (e) {
      this.lotError(e);
    }
  }

  /** Unlicensed exit: the driver scanned the exit lane's code with the identity they entered with (4.30). */
  async quoteUnlicensedExit(
    driverId: string,
    parkNumber: string,
    who: { codeKind: '1' | '2'; authId: string; passagewayId: string },
  ): Promise<Fee> {
    const park = await this.park(parkNumber);
    let priced: PricedStay & { orderId: string; plate: string };
    try {
      priced = await this.deps.lot.unlicensedExit(park, who);
    } catch (e) {
      this.lotError(e);
    }
    return this.settleQuote(driverId, 'unlicensed_exit', parkNumber, priced.orderId, priced.plate, priced);
  }

  private async settleQuote(driverId: string, kind: OrderKind, parkNumber: string, orderId: string, plate: string, priced: PricedStay): Promise<Fee> {
    const q = priced.quote;
    const fee: Fee = {
      parkNumber,
      plate,
      orderId,
      inTime: q.inTime,
      stopMinutes: q.stopMinutes,
      chargeFen: q.chargeFen,
      paidFen: q.paidTotalFen,
      discountFen: q.profitChargeTotalFen,
      payFen: q.payFen,
      paidFreeMinutes: q.paidFreeMinutes,
    };
    // Our coupons of the stay (shown on the fee) and its unfinished orders, side by side. A coupon lookup that
    // fails must not stop a payment.
    const [coupons, unfinished] = await Promise.all([
      this.deps.stayCoupons?.forStay(parkNumber, orderId).catch((e: unknown) => {
        this.deps.log?.warn({ parkNumber, orderId, err: (e as Error).message }, 'coupons of the stay not shown');
        return [];
      }),
      this.deps.orders.unfinishedOfStay(parkNumber, orderId),
    ]);
    if (coupons) fee.coupons = coupons;
    // One payable order per stay, across drivers: someone else paying it now (or their payment on its way
    // to the lot) is a clear "already being paid", never a second order to pay.
    const now = this.now();
    const byOthers = unfinished.filter((o) => o.driverId !== driverId && o.kind !== 'lane_qr');
    if (byOthers.some((o) => o.status === 'paid' || (o.status === 'pending' && o.expiresAt > now))) {
      throw new OrderError('quote_taken', 'this stay is being paid by someone else right now');
    }
    const open = unfinished.filter((o) => o.driverId === driverId && (o.status === 'quoted' || o.status === 'pending'));
    // A payment already under way for the same amount is the one to continue (a double tap, a re-open).
    const same = open.find((o) => o.outTradeNo === priced.outTradeNo || (o.status === 'pending' && o.amountFen === q.payFen));
    for (const o of open) {
      if (o === same) continue;
      // A superseded order is closed at the provider before a new one is offered; until then (the provider
      // cannot be asked, or it was paid meanwhile) the driver gets the old one.
      const outcome = await this.supersede(o).catch((e: unknown) => {
        this.deps.log?.warn({ orderNo: o.orderNo, err: (e as Error).message }, 'could not close a superseded order yet: offered again');
        return 'open' as const;
      });
      if (outcome !== 'closed') {
        const old = (await this.deps.orders.get(o.orderNo)) ?? o;
        return { ...this.feeOf(parkNumber, old), ...(coupons ? { coupons } : {}), order: { orderNo: old.orderNo, status: old.status, expiresAt: old.expiresAt } };
      }
    }
    if (q.payFen === 0) return fee; // nothing to pay: drive out
    if (same) return { ...fee, order: { orderNo: same.orderNo, status: same.status, expiresAt: same.expiresAt } };

    const order: Order = {
      orderNo: this.newOrderNo(),
      driverId,
      kind,
      parkNumber,
      orderId,
      plate,
      outTradeNo: priced.outTradeNo,
      quote: q,
      amountFen: q.payFen,
      status: 'quoted',
      expiresAt: new Date(now.getTime() + this.policy.quoteTtlMs),
      createdAt: now,
      updatedAt: now,
    };
    if (!(await this.deps.orders.insert(order))) {
      // The lot gave the same outTradeNo again (priced twice within a second).
      const existing = await this.deps.orders.byOutTradeNo(parkNumber, priced.outTradeNo);
      if (!existing || existing.driverId !== driverId) {
        throw new OrderError('quote_taken', 'this stay is being paid by someone else right now');
      }
      return { ...fee, order: { orderNo: existing.orderNo, status: existing.status, expiresAt: existing.expiresAt } };
    }
    return { ...fee, order: { orderNo: order.orderNo, status: order.status, expiresAt: order.expiresAt } };
  }

  /** The fee as an order priced it (offered again instead of a newer price). */
  private feeOf(parkNumber: string, o: Order): Fee {
    const q = o.quote;
    return {
      parkNumber,
      plate: o.plate,
      orderId: o.orderId,
      inTime: q.inTime,
      stopMinutes: q.stopMinutes,
      chargeFen: q.chargeFen,
      paidFen: q.paidTotalFen,
      discountFen: q.profitChargeTotalFen,
      payFen: o.amountFen,
      paidFreeMinutes: q.paidFreeMinutes,
    };
  }

  /**
   * A newer price replaces an unpaid order: close it (at the provider too). 'closed' when it is; 'paid' when
   * it turned out paid (its payment is recorded and delivered); a failure throws (the provider cannot say).
   */
  private async supersede(o: Order): Promise<'closed' | 'paid'> {
    if (o.status === 'quoted') {
      const closed = await this.deps.orders.apply(o.orderNo, changes.closeOrder(['quoted'], 'superseded', this.now()));
      if (closed) return 'closed';
      const now = await this.deps.orders.get(o.orderNo);
      if (now?.status === 'pending') return this.supersede(now); // a pay() came first
      return now?.status === 'closed' ? 'closed' : 'paid';
    }
    return this.closeAtProvider(o, 'superseded');
  }

  // -------------------------------------------------------------------------------------------------------
  // Paying

  private gateway(provider: Provider): PaymentGateway {
    const g = this.deps.gateways[provider];
    if (!g) throw new OrderError('provider_unavailable', `${provider === 'wechat' ? 'WeChat Pay' : 'Alipay'} is not set up`);
    return g;
  }

  /** Start (or continue) paying an order with the driver's provider; the app passes the result to the wallet. */
  async pay(driverId: string, orderNo: string, provider: Provider, payer: Payer): Promise<{ order: Order; pay: PayParams }> {
    // A retry of an order being paid: the driver may have paid already, its notification not yet here — the
    // provider is asked (view does, at most every few seconds) before the wallet is opened again.
    let order = await this.own(driverId, orderNo);
    if (order.status === 'pending') order = await this.view(driverId, orderNo);
    if (order.provider && order.provider !== provider) {
      throw new OrderError('provider_mismatch', `this order is being paid with ${order.provider}`);
    }
    if (order.status === 'paid' || order.status === 'delivered') throw this.paidConfirming(order);
    if (order.status === 'pending' && order.gateway) {
      return { order, pay: this.gateway(provider).payParams(order.gateway) };
    }
    if (order.status !== 'quoted' && order.status !== 'pending') {
      throw new OrderError('order_not_payable', `the order is ${order.status}`);
    }
    const now = this.now();
    if (order.status === 'quoted' && order.expiresAt <= now) {
      await this.deps.orders.apply(orderNo, changes.closeOrder(['quoted'], 'quote_expired', now));
      throw new OrderError('quote_expired', 'the price is out of date; check the fee again');
    }
    const gateway = this.gateway(provider);
    const expiresAt = new Date(now.getTime() + this.policy.paymentTtlMs);
    // Claim the order for this provider first: a concurrent pay() then reuses the same provider order
    // (the provider's order is idempotent by our orderNo and amount).
    const claimed =
      (await this.deps.orders.apply(orderNo, changes.startPayment(provider, expiresAt, now))) ??
      (await this.deps.orders.get(orderNo));
    if (!claimed || claimed.status !== 'pending' || claimed.provider !== provider) {
      throw new OrderError('order_not_payable', `the order is ${claimed?.status ?? 'gone'}`);
    }
    if (STAY_KINDS.includes(order.kind)) await this.takePayable(claimed);
    const created = await gateway
      .create({ orderNo, description: `${DESCRIPTIONS[order.kind] ?? '停车费'} ${order.plate}`.slice(0, 127), amountFen: order.amountFen, payer, expiresAt: claimed.expiresAt })
      .catch(async (e: unknown) => {
        const retryable = e instanceof GatewayFailure && e.retryable;
        // Refused because it is paid already (WeChat ORDERPAID, Alipay ACQ.TRADE_HAS_SUCCESS): the payment is
        // recorded from the provider's query, and the driver is told it is paid, not that paying failed.
        if (!retryable) {
          const after = await this.askProvider(claimed).catch(() => undefined);
          if (after && after.status !== 'pending' && after.status !== 'quoted') throw this.paidConfirming(after);
        }
        throw new OrderError(retryable ? 'provider_unreachable' : 'provider_refused', `could not start the payment: ${(e as Error).message}`);
      });
    const updated = await this.deps.orders.apply(orderNo, changes.providerOrder(created.ref, this.now()));
    return { order: updated ?? claimed, pay: created.pay };
  }

  /**
   * One payable order per stay, across drivers and phones: the stay's payable slot, taken in one conditional
   * write before any provider order exists. It is handed on only when its holder can no longer take money
   * (closed — at the provider first —, delivered, refunded); a holder being paid, or paid and on its way to
   * the lot, makes this order "already being paid" (closed here before the provider ever saw it).
   */
  private async takePayable(order: Order): Promise<void> {
    const key = `pay:${order.parkNumber}:${order.orderId}`;
    for (let i = 0; i < 5; i++) {
      const holder = await this.deps.orders.claimSlot(key, order.orderNo);
      if (holder === order.orderNo) return;
      let h = await this.deps.orders.get(holder);
      if (h?.status === 'pending' && h.expiresAt <= this.now()) {
        // Its time is up: closed at its provider (or found paid) before anything else is offered.
        await this.closeAtProvider(h, 'payment_expired').catch((e: unknown) => this.deps.log?.warn({ orderNo: holder, err: (e as Error).message }, 'could not close an expired order yet'));
        h = await this.deps.orders.get(holder);
      }
      const live = h && (h.status === 'quoted' || h.status === 'pending' || h.status === 'paid');
      if (live) {
        await this.deps.orders.apply(order.orderNo, changes.closeOrder(['pending'], `being_paid: order ${holder}`, this.now(), { gatewayAbsent: true }));
        throw new OrderError('quote_taken', 'this stay is being paid by someone else right now');
      }
      if (await this.deps.orders.swapSlot(key, holder, order.orderNo)) return;
    }
    throw new OrderError('quote_taken', 'this stay is being paid by someone else right now');
  }

  /**
   * "Paid, confirming": the answer to paying an order that is paid already (the app follows the order, as
   * for any order that is no longer payable, and shows it being confirmed with the lot).
   */
  private paidConfirming(order: Order): AppError {
    const confirming = order.status === 'paid';
    return new OrderError(
      'order_not_payable',
      confirming ? 'the order is paid; the lot is being told (paid, confirming)' : `the order is ${order.status}`,
      { status: order.status, paid: true, confirming },
    );
  }

  /** The driver's own order (anyone else's reads as not found). */
  async own(driverId: string, orderNo: string): Promise<Order> {
    const order = await this.deps.orders.get(orderNo);
    if (!order || order.driverId !== driverId) throw new OrderError('not_found', 'order not found');
    return order;
  }

  /**
   * The order as the app polls it. A pending order whose notification is late is asked of the provider
   * (at most every few seconds), so the driver is never left wondering.
   */
  async view(driverId: string, orderNo: string): Promise<Order> {
    const order = await this.own(driverId, orderNo);
    const now = this.now();
    if (order.status === 'pending' && order.provider && (!order.lastQueriedAt || now.getTime() - order.lastQueriedAt.getTime() >= this.policy.queryEveryMs)) {
      return this.askProvider(order);
    }
    return order;
  }

  /** Ask the provider whether a pending order is paid, and record the payment if so; the order after. */
  private async askProvider(order: Order): Promise<Order> {
    const now = this.now();
    const marked = await this.deps.orders.apply(order.orderNo, changes.asked(now));
    if (!marked || !order.provider) return (await this.deps.orders.get(order.orderNo)) ?? order;
    try {
      const p = await this.gateway(order.provider).query(order.orderNo);
      if (p.status === 'paid' && p.transactionId) {
        await this.recordPayment(order.orderNo, { provider: order.provider, transactionId: p.transactionId, paidFen: p.paidFen ?? order.amountFen, paidAt: p.paidAt ?? now, via: 'query' });
      }
    } catch (e) {
      this.deps.log?.warn({ orderNo: order.orderNo, err: (e as Error).message }, 'late-payment query failed');
    }
    return (await this.deps.orders.get(order.orderNo)) ?? order;
  }

  async list(driverId: string, limit = 50): Promise<Order[]> {
    return this.deps.orders.listForDriver(driverId, limit);
  }

  /** The driver gives up paying: close it (if it turns out paid, it proceeds as paid). */
  async cancel(driverId: string, orderNo: string): Promise<Order> {
    const order = await this.own(driverId, orderNo);
    if (order.status === 'quoted') {
      await this.deps.orders.apply(orderNo, changes.closeOrder(['quoted'], 'cancelled', this.now()));
    } else if (order.status === 'pending') {
      await this.closeAtProvider(order, 'cancelled');
    }
    return (await this.deps.orders.get(orderNo))!;
  }

  /** Close an order at its provider, then here; 'paid' when the provider says it was paid (recorded then). */
  private async closeAtProvider(order: Order, reason: string): Promise<'closed' | 'paid'> {
    if (!order.provider) {
      await this.deps.orders.apply(order.orderNo, changes.closeOrder(['pending', 'quoted'], reason, this.now()));
      return 'closed';
    }
    const outcome = await this.gateway(order.provider).close(order.orderNo);
    if (outcome === 'paid') {
      const p = await this.gateway(order.provider).query(order.orderNo);
      if (p.status === 'paid' && p.transactionId) {
        await this.recordPayment(order.orderNo, { provider: order.provider, transactionId: p.transactionId, paidFen: p.paidFen ?? order.amountFen, paidAt: p.paidAt ?? this.now(), via: 'query' });
      }
      return 'paid';
    }
    const closed = await this.deps.orders.apply(order.orderNo, changes.closeOrder(['pending'], reason, this.now()));
    if (closed) return 'closed';
    const now = await this.deps.orders.get(order.orderNo);
    return now?.status === 'closed' ? 'closed' : 'paid';
  }

  // -------------------------------------------------------------------------------------------------------
  // Lane QR orders (core/lanepay/lane-qr.ts): made for a lane screen, collected by the lot's own poll

  /** A lane QR's order (kind 'lane_qr', pending with its provider); false when its outTradeNo has one already. */
  openLaneQr(order: Order & { kind: 'lane_qr'; status: 'pending' }): Promise<boolean> {
    return this.deps.orders.insert(order);
  }

  /** The provider's code of a lane QR order, kept to be answered again on a resend. */
  laneQrMade(order: Order, qrCode: string): Promise<Order | undefined> {
    return this.deps.orders.apply(order.orderNo, changes.providerOrder({ ...order.gateway, qrCode }, this.now()));
  }

  /**
   * The lot collected a paid lane QR with its 4.17 poll: delivered, without sendPayRes — unless the order
   * worker holds the delivery at this moment (undefined then: ask again shortly).
   */
  collectedByLot(orderNo: string): Promise<Order | undefined> {
    return this.deps.orders.apply(orderNo, changes.collectedByLot(this.now()));
  }

  // -------------------------------------------------------------------------------------------------------
  // Payments arrive (notification or query)

  /**
   * A provider's verified notification (read by its gateway): a payment is recorded, a refund's result
   * written down. A payment notification without an amount is no amount of the order: the provider is asked
   * (as for any other amount); without a time, it was paid when we heard of it.
   */
  async onPaymentEvent(e: PaymentEvent): Promise<'applied' | 'duplicate' | 'refunding' | 'unknown'> {
    if (e.kind === 'refund') return this.refundNotified(e.orderNo, e.refundNo, e.outcome);
    return this.recordPayment(e.orderNo, { provider: e.provider, transactionId: e.transactionId, paidFen: e.paidFen ?? 0, paidAt: e.paidAt ?? this.now(), via: 'notification' });
  }

  /**
   * Record a payment, once. The payment and the pending lot notification are one write, which also takes the
   * delivery for the deliveryOwner (the one write before the lot is told). A repeat (same transaction) changes
   * nothing. A payment of another amount than the order's is refunded.
   */
  async recordPayment(orderNo: string, payment: Payment, via: 'notified' | 'confirmed' = 'notified'): Promise<'applied' | 'duplicate' | 'refunding' | 'unknown'> {
    const now = this.now();
    const paidFrom = (from: readonly ('quoted' | 'pending' | 'closed')[]) => {
      const delivery: Delivery = { transactionID: orderNo, state: 'pending', attempts: 0, refusals: 0, nextAttemptAt: now };
      const taker = this.deps.deliveryOwner;
      if (taker) Object.assign(delivery, { attempts: 1, leaseOwner: taker, leaseUntil: new Date(now.getTime() + this.policy.leaseMs) });
      return changes.recordPayment(from, { ...payment, recordedAt: now }, delivery, now);
    };
    // The usual case in one write (the driver waits at the barrier): unpaid, and the amount is the order's.
    const paid = await this.deps.orders.applyPayment(orderNo, paidFrom(['quoted', 'pending']));
    if (paid) return this.paid(paid, payment);
    const order = await this.deps.orders.get(orderNo);
    if (!order) return 'unknown';
    if (order.payment?.transactionId === payment.transactionId) return 'duplicate';
    if (order.amountFen === payment.paidFen && !order.payment) {
      // Paid after it closed (expired, cancelled, superseded): the money still opens the barrier (or, when
      // the stay was paid meanwhile, it is refunded at delivery).
      const late = await this.deps.orders.apply(orderNo, paidFrom(['closed']));
      if (late) return this.paid(late, payment);
      const again = await this.deps.orders.get(orderNo);
      if (again?.payment?.transactionId === payment.transactionId) return 'duplicate';
    }
    // Another amount than the order's, or another transaction than the one recorded. One order number is one
    // transaction at the provider: its query is the truth, and what it says is done — the order's amount is
    // recorded and delivered (the notification was wrong), another amount is refunded, no payment at all is
    // nothing to record. A provider that cannot be asked now fails this call: the notification comes again.
    if (via !== 'confirmed') return this.confirmWithProvider(order, payment);
    if (order.payment) {
      this.deps.log?.error({ orderNo, recorded: order.payment.transactionId, provider: payment.transactionId }, 'the provider names another transaction than the one recorded: needs a person');
      return 'duplicate';
    }
    // Verified money of another amount than the order's: it cannot count; it goes back.
    const started = await this.deps.orders.apply(
      orderNo,
      changes.refundUnmatched(payment, this.newRefund(orderNo, payment.paidFen, `amount_mismatch: paid ${payment.paidFen} fen for an order of ${order.amountFen}`), now),
    );
    if (!started) return 'duplicate';
    this.deps.log?.warn(
      { orderNo, parkNumber: started.parkNumber, outTradeNo: started.outTradeNo, provider: payment.provider, transactionId: payment.transactionId, fen: payment.paidFen },
      'payment of another amount: refunding',
    );
    this.deps.events?.emit('paymentRecorded', { order: started, outcome: 'cannot_count' });
    this.deps.events?.emit('refundStarted', { orderNo });
    return 'refunding';
  }

  /** A notification that does not fit the order: ask the provider, and record what it says instead. */
  private async confirmWithProvider(order: Order, claimed: Payment): Promise<'applied' | 'duplicate' | 'refunding' | 'unknown'> {
    const p = await this.gateway(claimed.provider).query(order.orderNo);
    if (p.status !== 'paid' && p.status !== 'refunded') {
      this.deps.log?.error({ orderNo: order.orderNo, claimed: claimed.transactionId, fen: claimed.paidFen, provider: p.status }, 'a notification for a payment the provider does not have: nothing recorded');
      return 'duplicate';
    }
    if (!p.transactionId) throw new Error(`the provider says ${order.orderNo} is paid but names no transaction`);
    if (p.transactionId !== claimed.transactionId || p.paidFen !== claimed.paidFen) {
      this.deps.log?.error({ orderNo: order.orderNo, claimed: { tx: claimed.transactionId, fen: claimed.paidFen }, provider: { tx: p.transactionId, fen: p.paidFen } }, 'a notification that disagrees with the provider: the provider’s payment is recorded');
    }
    return this.recordPayment(
      order.orderNo,
      { provider: claimed.provider, transactionId: p.transactionId, paidFen: p.paidFen ?? claimed.paidFen, paidAt: p.paidAt ?? claimed.paidAt, via: 'query' },
      'confirmed',
    );
  }

  private paid(order: Order, payment: Payment): 'applied' {
    // The ids that follow a payment end to end: ours, the lot's, the provider's, the park.
    this.deps.log?.info(
      { orderNo: order.orderNo, parkNumber: order.parkNumber, outTradeNo: order.outTradeNo, provider: payment.provider, transactionId: payment.transactionId, via: payment.via, fen: payment.paidFen },
      'payment recorded',
    );
    this.deps.events?.emit('paymentRecorded', { order, outcome: 'paid' });
    return 'applied';
  }

  private newRefund(orderNo: string, fen: number, reason: string): Refund {
    return { refundNo: `${orderNo}R1`, reason, fen, state: 'pending', attempts: 0, nextAttemptAt: this.now() };
  }

  private async startRefund(order: Order, owner: string, reason: string, delivery: Patch<Delivery> = {}): Promise<void> {
    await this.deps.orders.release(order.orderNo, changes.abandonDelivery(owner, this.newRefund(order.orderNo, order.payment!.paidFen, reason), this.now(), delivery));
    this.deps.log?.warn(
      { orderNo: order.orderNo, parkNumber: order.parkNumber, outTradeNo: order.outTradeNo, transactionId: order.payment?.transactionId, reason },
      'payment cannot count: refunding',
    );
    this.deps.events?.emit('paymentRecorded', { order, outcome: 'cannot_count' });
    this.deps.events?.emit('refundStarted', { orderNo: order.orderNo });
  }

  // -------------------------------------------------------------------------------------------------------
  // Jobs: deliver, refund, expire

  /**
   * One delivery attempt for a claimed order: tell the lot (4.5). Acknowledged → delivered (the barrier
   * opens). The lot refusing, the car gone, or the lot unreachable for a day → refund.
   */
  async deliver(owner: string, orderNo?: string): Promise<Order | undefined> {
    const order = await this.deps.orders.claimDelivery(this.now(), owner, this.policy.leaseMs, orderNo);
    if (!order) return undefined;
    return this.deliverClaimed(owner, order);
  }

  /** The delivery attempt of an order whose delivery `owner` holds (claimed, or taken with its payment). */
  async deliverClaimed(owner: string, order: Order): Promise<Order | undefined> {
    const d = order.delivery!;
    const p = order.payment!;
    const park = await this.deps.parks.get(order.parkNumber);
    const retry = (error: string) =>
      this.deps.orders.release(order.orderNo, changes.retryDelivery(owner, new Date(this.deps.clock.now() + backoff(this.policy.deliveryBackoffMs, d.attempts)), error));
    if (!park) return retry(`park ${order.parkNumber} is not registered`);

    const special = this.deps.deliveries?.[order.kind];
    // A hold (a lane QR the lot collects with its own poll first) is a time, not a failed attempt: the
    // delivery is due again exactly then, and no step of the backoff is used up.
    const notBefore = special?.notBefore?.(order);
    if (notBefore && notBefore.getTime() > this.deps.clock.now()) {
      return this.deps.orders.release(order.orderNo, changes.retryDelivery(owner, notBefore, `held until ${formatChinaTime(notBefore)}`, { attempts: Math.max(0, d.attempts - 1) }));
    }
    if (STAY_KINDS.includes(order.kind) && order.orderId) {
      const owed = await this.stillOwed(order);
      if (owed.verdict === 'wait') return retry(owed.why);
      if (owed.verdict === 'paid') {
        await this.startRefund(order, owner, owed.why);
        return this.deps.orders.get(order.orderNo);
      }
    }
    try {
      await this.whileLeased(order.orderNo, 'delivery', owner, async () => {
        if (special) await special.deliver(park, order);
        else
          await this.deps.lot.sendPayRes(park, {
            orderId: order.orderId,
            plate: order.plate,
            payChargeFen: order.amountFen,
            realChargeFen: p.paidFen,
            payTime: p.paidAt,
            payType: p.provider === 'wechat' ? '微信' : '支付宝',
            payChannel: order.kind === 'prepay' ? '提前付' : '扫码付',
            getTime: order.quote.getTime,
            transactionID: d.transactionID,
            outTradeNo: order.outTradeNo,
          });
      });
    } catch (e) {
      const err = e instanceof LotCallError ? e : new LotCallError((e as Error).message, true, false);
      if (err.refused) return this.refused(owner, order, err);
      if (!err.retryable || this.deps.clock.now() - p.paidAt.getTime() > this.policy.giveUpAfterMs) {
        await this.startRefund(order, owner, err.retryable ? 'lot_unreachable: the lot could not be told for a day' : `lot_call_failed: ${err.message}`);
        return this.deps.orders.get(order.orderNo);
      }
      return retry(err.message);
    }
    const delivered = await this.deps.orders.release(order.orderNo, changes.delivered(owner, this.now()));
    if (delivered) {
      const seconds = Math.max(0, this.deps.clock.now() - (p.recordedAt ?? p.paidAt).getTime()) / 1000;
      this.deps.log?.info(
        { orderNo: order.orderNo, parkNumber: order.parkNumber, outTradeNo: order.outTradeNo, transactionId: p.transactionId, attempts: d.attempts, seconds },
        'payment delivered to the lot',
      );
      this.deps.events?.emit('delivered', { order: delivered, seconds });
    }
    return delivered;
  }

  /**
   * Does the stay still owe what this payment pays? Two payments can meet at one stay despite the payable
   * slot (a lane QR scanned while the driver pre-pays, a payment arriving after its order closed): the stay's
   * delivery slot lets one payment at a time go to the lot. Another payment delivered since this one was
   * priced has paid the same fee (this one is refunded: already_paid); one on its way is waited for; one
   * that never reached the lot (refunded, closed) hands the slot on. A payment priced after the other was
   * delivered is owed on top (time since then).
   */
  private async stillOwed(order: Order): Promise<{ verdict: 'owed' } | { verdict: 'wait' | 'paid'; why: string }> {
    const key = `paid:${order.parkNumber}:${order.orderId}`;
    for (let i = 0; i < 5; i++) {
      const holder = await this.deps.orders.claimSlot(key, order.orderNo);
      if (holder === order.orderNo) return { verdict: 'owed' };
      const h = await this.deps.orders.get(holder);
      if (h?.status === 'paid') return { verdict: 'wait', why: `the stay's payment ${holder} is on its way to the lot first` };
      const deliveredAt = h?.status === 'delivered' ? (h.delivery?.deliveredAt ?? h.updatedAt) : undefined;
      if (deliveredAt && order.createdAt.getTime() <= deliveredAt.getTime() + PRICED_AFTER_MS) {
        return { verdict: 'paid', why: `already_paid: the stay was paid by order ${holder} (${formatChinaTime(deliveredAt)}) before this payment could count` };
      }
      if (await this.deps.orders.swapSlot(key, holder, order.orderNo)) return { verdict: 'owed' };
    }
    return { verdict: 'wait', why: 'the stay’s delivery slot is changing hands' };
  }

  /**
   * The lot answered `fail`. Only the lot's own refusal decides that a payment cannot count — never an exit
   * record alone (4.3 records come with the park's static sign, which a replay can forge). A final refusal
   * (the car left, the stay unknown, our figures not the lot's) refunds at once; a busy lot is retried on
   * the normal schedule for as long as a driver may be waiting; another refusal a few times, then refunds.
   */
  private async refused(owner: string, order: Order, err: LotCallError): Promise<Order | undefined> {
    const d = order.delivery!;
    const p = order.payment!;
    const kind = classifyRefusal(err.errorCode ?? err.message);
    const said = err.errorCode ?? err.message;
    const refusals = d.refusals + 1;
    let reason: string | undefined;
    if (kind === 'car_left') {
      const stay = await this.deps.stays.findStay(order.parkNumber, order.orderId).catch(() => undefined);
      const out = stay?.status === 'out' ? stay.exit?.outTime : undefined;
      reason = `car_left: the lot says ${said}${out ? ` (exit recorded at ${formatChinaTime(out)})` : ''}`;
    } else if (FINAL_REFUSALS.includes(kind)) reason = `lot_refused: ${said}`;
    else if (kind === 'busy') {
      if (this.deps.clock.now() - p.paidAt.getTime() > this.policy.giveUpAfterMs) reason = `lot_refused: busy for a day: ${said}`;
    } else if (refusals >= this.policy.maxRefusals) reason = `lot_refused: ${said}`;
    if (reason) {
      await this.startRefund(order, owner, reason, { refusals });
      return this.deps.orders.get(order.orderNo);
    }
    return this.deps.orders.release(
      order.orderNo,
      changes.retryDelivery(owner, new Date(this.deps.clock.now() + backoff(this.policy.deliveryBackoffMs, d.attempts)), `refused (${kind}): ${said}`, { refusals }),
    );
  }

  /**
   * Run a call while holding a lease, renewing it as long as the call is in flight: the lease can be short
   * (a crashed process's work is taken over soon), yet a slow call never loses its lease to another process.
   */
  private async whileLeased<T>(orderNo: string, which: 'delivery' | 'refund', owner: string, call: () => Promise<T>): Promise<T> {
    const every = Math.max(50, Math.floor(this.policy.leaseMs / 3));
    const timer = setInterval(() => {
      void this.deps.orders.renewLease(orderNo, which, owner, new Date(this.deps.clock.now() + this.policy.leaseMs)).catch((e: unknown) => {
        this.deps.log?.warn({ orderNo, which, err: (e as Error).message }, 'lease renewal failed');
      });
    }, every);
    timer.unref?.();
    try {
      return await call();
    } finally {
      clearInterval(timer);
    }
  }

  /**
   * Give back part or all of a delivered payment (a booking cancelled under its rule). Idempotent: only a
   * delivered order starts refunding; a repeat answers the order as it is.
   */
  async refundDelivered(orderNo: string, fen: number, reason: string): Promise<Order | undefined> {
    const order = await this.deps.orders.get(orderNo);
    if (!order?.payment || fen <= 0) return order;
    const started = await this.deps.orders.apply(orderNo, changes.refundDelivered(this.newRefund(orderNo, Math.min(fen, order.payment.paidFen), reason), this.now()));
    if (!started) return this.deps.orders.get(orderNo);
    this.deps.log?.info({ orderNo, fen, reason }, 'refunding a delivered payment');
    this.deps.events?.emit('refundStarted', { orderNo });
    return started;
  }

  /** One refund attempt for a claimed order. */
  async refund(owner: string, orderNo?: string): Promise<Order | undefined> {
    const order = await this.deps.orders.claimRefund(this.now(), owner, this.policy.leaseMs, orderNo);
    if (!order) return undefined;
    return this.refundClaimed(owner, order);
  }

  /** The refund attempt of an order whose refund `owner` holds. */
  async refundClaimed(owner: string, order: Order): Promise<Order | undefined> {
    const r = order.refund!;
    const gateway = this.gateway(order.payment!.provider);
    const ask = () =>
      gateway.refund({ orderNo: order.orderNo, refundNo: r.refundNo, refundFen: r.fen, totalFen: order.payment!.paidFen, reason: r.reason.split(':')[0]! });
    let outcome: RefundOutcome;
    try {
      outcome = await this.whileLeased(order.orderNo, 'refund', owner, async () => {
        // Asked for before: where does it stand? (Asking again is for a refund the provider does not have.)
        if (r.requestedAt) {
          const now = await gateway.refundStatus({ orderNo: order.orderNo, refundNo: r.refundNo });
          if (now.state !== 'missing') return now;
        }
        return ask();
      });
    } catch (e) {
      return this.deps.orders.release(
        order.orderNo,
        changes.refundLearned(owner, { nextAttemptAt: new Date(this.deps.clock.now() + backoff(this.policy.refundBackoffMs, r.attempts)), lastError: (e as Error).message }),
      );
    }
    return this.settleRefund(order, outcome, owner);
  }

  /**
   * What the provider said of a refund (its answer, its query, or its REFUND.* notification), written down:
   * done → refunded with the provider's date; processing → asked again later, backing off; closed → a new
   * refund number, at once; abnormal → kept, asked again rarely, and logged for a person.
   * With `owner`: the refund's lease holder writes; without: a notification, for the refund number it names.
   */
  private async settleRefund(order: Order, outcome: RefundOutcome, owner?: string, refundNo?: string): Promise<Order | undefined> {
    const r = order.refund!;
    const now = this.now();
    const write = (refund: Patch<Refund>) =>
      owner
        ? this.deps.orders.release(order.orderNo, changes.refundLearned(owner, refund))
        : this.deps.orders.apply(order.orderNo, changes.refundNotified(refundNo ?? r.refundNo, refund));
    switch (outcome.state) {
      case 'done': {
        // The lease holder's answer and the provider's notification can both report one refund: only the write
        // that moves the order out of refunding tells of it (metrics, messages), so it is told once.
        const refunded = await this.deps.orders.apply(order.orderNo, changes.refundDone(owner ? { owner } : { refundNo: refundNo ?? r.refundNo }, outcome.at ?? now, now));
        if (!refunded) return owner ? this.deps.orders.release(order.orderNo, changes.letGo('refund', owner)) : undefined;
        this.deps.log?.info({ orderNo: order.orderNo, parkNumber: order.parkNumber, outTradeNo: order.outTradeNo, refundNo: r.refundNo, fen: r.fen, reason: r.reason }, 'refund confirmed');
        this.deps.events?.emit('refunded', { order: refunded });
        return refunded;
      }
      case 'pending':
      case 'missing':
        return write({
          requestedAt: r.requestedAt ?? now,
          nextAttemptAt: new Date(now.getTime() + backoff(this.policy.refundBackoffMs, Math.max(1, r.attempts))),
          lastError: outcome.state === 'pending' ? 'processing at the provider' : 'not at the provider yet: asked again',
        });
      case 'closed': {
        const next = (r.numbers ?? 1) + 1;
        this.deps.log?.warn({ orderNo: order.orderNo, refundNo: r.refundNo }, 'the provider closed the refund: a new refund number');
        return write({
          refundNo: `${order.orderNo}R${next}`,
          numbers: next,
          clear: ['requestedAt'],
          attempts: 0,
          nextAttemptAt: now,
          lastError: `refund ${r.refundNo} closed by the provider`,
        });
      }
      case 'abnormal':
        this.deps.log?.error({ orderNo: order.orderNo, refundNo: r.refundNo, fen: r.fen }, 'refund ABNORMAL at the provider (the buyer’s account cannot take it): needs a person');
        return write({
          requestedAt: r.requestedAt ?? now,
          abnormal: true,
          nextAttemptAt: new Date(now.getTime() + this.policy.refundBackoffMs[this.policy.refundBackoffMs.length - 1]!),
          lastError: 'ABNORMAL: the provider could not pay it back; a person must act (WeChat 异常退款)',
        });
    }
  }

  /**
   * A refund notification (WeChat REFUND.SUCCESS / REFUND.CLOSED / REFUND.ABNORMAL, verified by the port):
   * written down for the refund number it names; another number (an earlier one, closed) changes nothing.
   */
  async refundNotified(orderNo: string, refundNo: string, outcome: RefundOutcome): Promise<'applied' | 'duplicate' | 'unknown'> {
    const order = await this.deps.orders.get(orderNo);
    if (!order?.refund) return 'unknown';
    if (order.refund.refundNo !== refundNo || order.status !== 'refunding') return 'duplicate';
    const after = await this.settleRefund(order, outcome, undefined, refundNo);
    return after ? 'applied' : 'duplicate';
  }

  /**
   * A restarted process takes over at once the deliveries and refunds its predecessor at the same home had
   * leased (their leases would otherwise hold the barrier until they run out). Only leases of the same home
   * and another run: two live processes never share a home (host and port).
   */
  async takeOver(home: string, owner: string): Promise<number> {
    const horizon = new Date(this.deps.clock.now() + this.policy.leaseMs * 4 + PENDING_LOOK_MS);
    const items = await this.deps.orders.dueWork(horizon, 500);
    let taken = 0;
    for (const item of items) {
      const o = await this.deps.orders.get(item.ref);
      for (const which of ['delivery', 'refund'] as const) {
        const lease = o?.[which];
        const from = lease?.leaseOwner;
        if (!o || lease?.state !== 'pending' || !from || from === owner || !from.startsWith(`${home}#`)) continue;
        if (!lease.leaseUntil || lease.leaseUntil.getTime() <= this.deps.clock.now()) continue; // free anyway: the job takes it
        const mine = await this.deps.orders.takeLease(o.orderNo, which, from, owner, new Date(this.deps.clock.now() + this.policy.leaseMs));
        if (!mine) continue;
        taken++;
        this.deps.log?.info({ orderNo: o.orderNo, which, from }, 'taken over from a process that died');
        if (which === 'delivery' && mine.status === 'paid') await this.deliverClaimed(owner, mine);
        else if (which === 'refund' && mine.status === 'refunding') await this.refundClaimed(owner, mine);
      }
    }
    return taken;
  }

  /** Close what expired: quotes never paid, provider orders never paid (asking the provider first). */
  async expire(limit = 50): Promise<number> {
    const due = await this.deps.orders.expired(this.now(), limit);
    for (const o of due) await this.expireOne(o);
    return due.length;
  }

  private async expireOne(o: Order): Promise<void> {
    try {
      if (o.status === 'quoted') {
        await this.deps.orders.apply(o.orderNo, changes.closeOrder(['quoted'], 'quote_expired', this.now()));
      } else {
        await this.closeAtProvider(o, 'payment_expired');
      }
    } catch (e) {
      this.deps.log?.warn({ orderNo: o.orderNo, err: (e as Error).message }, 'expiry failed; will retry');
    }
  }

  /**
   * The job's look at one order whose work item is due: deliver it, refund it, or close it when it expired,
   * whichever is due; then when to look next (undefined: finished).
   */
  async process(owner: string, orderNo: string): Promise<Date | undefined> {
    const order = await this.deps.orders.get(orderNo);
    if (!order) return undefined;
    const now = this.now();
    if (order.status === 'paid') await this.deliver(owner, orderNo);
    else if (order.status === 'refunding') await this.refund(owner, orderNo);
    else if ((order.status === 'quoted' || order.status === 'pending') && order.expiresAt <= now) await this.expireOne(order);
    else return orderDue(order, now);
    // What it is now (another process may have acted meanwhile).
    const after = await this.deps.orders.get(orderNo);
    return after ? orderDue(after, this.now()) : undefined;
  }

  /** One pass over the orders whose work is due (the job's poll); how many were looked at. */
  async processDue(owner: string, limit = 100): Promise<number> {
    const items = await this.deps.orders.dueWork(this.now(), limit);
    for (const item of items) await this.settle(owner, item);
    return items.length;
  }

  private async settle(owner: string, item: WorkItem): Promise<void> {
    let next: Date | undefined;
    try {
      next = await this.process(owner, item.ref);
    } catch (e) {
      this.deps.log?.error({ orderNo: item.ref, err: (e as Error).message }, 'order job step failed; looking again later');
      next = new Date(this.deps.clock.now() + this.policy.leaseMs);
    }
    await this.deps.orders.settleWork(item, next);
  }
}
