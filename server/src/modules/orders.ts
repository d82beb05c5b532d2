/**
 * The orders module: the payment gateways built from the adapters, the order service, its delivery worker,
 * the payment notification routes, and the event bus the rest of ParkPay reacts to payments by. The server,
 * the test worlds and the benchmarks all build orders here, so what they run cannot drift from production.
 *
 * It is made before the features whose orders it takes (bookings, passes, lane QR codes): they are paid
 * through the order service and delivered by their own feature, so each plugs its delivery in with
 * `extend` as it is made, and coupons their stay coupons (see module.ts).
 */
import type Router from '@koa/router';
import type { AlipayAdapter } from '../adapter/alipay';
import { AlipayPaymentGateway } from '../adapter/payments/alipay-gateway';
import { WechatPaymentGateway } from '../adapter/payments/wechat-gateway';
import type { WechatPayAdapter } from '../adapter/wechatpay';
import type { Clock } from '../core/clock';
import { EventBus } from '../core/events';
import type { LotRecordsRepository } from '../core/lot/model';
import type { OrderDelivery } from '../core/orders/deliveries';
import type { LotGateway, PaymentGateway } from '../core/orders/gateways';
import type { OrderKind, OrderRepository, Provider } from '../core/orders/model';
import { OrderService, type OrderEvents, type OrderServiceDeps, type StayCoupons } from '../core/orders/orders';
import type { OrderPolicy } from '../core/orders/policy';
import type { ParkDirectory } from '../core/parks';
import type { Logger } from '../logger';
import type { FeatureModule } from './module';
import { newWorkerOwner, OrderWorker } from '../port/jobs/order-worker';
import { NOTIFY_PATHS, notifyRouter } from '../port/notify/router';

export interface OrdersModuleDeps {
  orderRepo: OrderRepository;
  parks: ParkDirectory;
  stays: Pick<LotRecordsRepository, 'findStay' | 'staysInPark'>;
  lot: LotGateway;
  clock: Clock;
  logger: Logger;
  /**
   * The providers configured, and where they send their notifications (`publicUrl` + the notify paths,
   * unless a URL is given). None: prices and stays only (no payment can start).
   */
  payments?: {
    publicUrl: string;
    wechat?: WechatPayAdapter;
    wechatNotifyUrl?: string;
    wechatRefundNotifyUrl?: string;
    alipay?: AlipayAdapter;
    alipayNotifyUrl?: string;
  };
  policy?: Partial<OrderPolicy>;
  /** Kinds delivered another way than 4.5 sendPayRes (a booking: 4.18, a pass: 4.6). */
  deliveries?: Partial<Record<OrderKind, OrderDelivery>>;
  stayCoupons?: StayCoupons;
  /** This process's worker name (leases carry it); default a fresh one. */
  owner?: string;
  /** How often the worker polls when it runs on its own timer (default 1 s). */
  pollMs?: number;
  /**
   * A payment is delivered at once by this process's worker, which its write takes the delivery for
   * (default). False: payments and refunds wait for the worker's poll (a process that dies before
   * delivering, in tests).
   */
  deliverAtOnce?: boolean;
}

export interface OrdersModule extends FeatureModule {
  service: OrderService;
  worker: OrderWorker;
  /** Payments recorded, delivered, refunds started and done: what the rest of ParkPay subscribes to. */
  events: EventBus<OrderEvents>;
  gateways: Partial<Record<Provider, PaymentGateway>>;
  /** The providers' payment and refund notifications. */
  routers: Router[];
  /** The order service's extension points, filled by the features made after it, before the process serves. */
  extend: {
    /** Orders of this kind are delivered this way instead of 4.5 sendPayRes. */
    delivery(kind: OrderKind, delivery: OrderDelivery): void;
    stayCoupons(coupons: StayCoupons): void;
  };
}

export function createOrdersModule(d: OrdersModuleDeps): OrdersModule {
  const p = d.payments ?? { publicUrl: '' };
  const base = p.publicUrl.replace(/\/$/, '');
  const wechat = p.wechat ? new WechatPaymentGateway(p.wechat, p.wechatNotifyUrl ?? `${base}${NOTIFY_PATHS.wechat}`, p.wechatRefundNotifyUrl ?? `${base}${NOTIFY_PATHS.wechatRefund}`) : undefined;
  const alipay = p.alipay ? new AlipayPaymentGateway(p.alipay, p.alipayNotifyUrl ?? `${base}${NOTIFY_PATHS.alipay}`, () => d.clock.now()) : undefined;
  const gateways = { ...(wechat ? { wechat } : {}), ...(alipay ? { alipay } : {}) };
  const events = new EventBus<OrderEvents>((err, event) => d.logger.error({ err, event }, 'a reaction to an order event failed'));
  const owner = d.owner ?? newWorkerOwner();
  const atOnce = d.deliverAtOnce ?? true;
  const deliveries: Partial<Record<OrderKind, OrderDelivery>> = d.deliveries ?? {};
  // The service reads its deliveries and stay coupons when it uses them: what `extend` plugs in counts.
  const serviceDeps: OrderServiceDeps = {
    orders: d.orderRepo,
    parks: d.parks,
    stays: d.stays,
    lot: d.lot,
    gateways,
    clock: d.clock,
    policy: d.policy,
    deliveries,
    stayCoupons: d.stayCoupons,
    ...(atOnce ? { deliveryOwner: owner } : {}),
    events,
    log: d.logger,
  };
  const service = new OrderService(serviceDeps);
  const worker = new OrderWorker(service, { logger: d.logger, pollMs: d.pollMs, owner });
  if (atOnce) worker.listen(events);
  return {
    service,
    worker,
    events,
    gateways,
    routers: [notifyRouter({ orders: service, wechat: p.wechat?.notifications, alipay })],
    extend: {
      delivery: (kind, delivery) => void (deliveries[kind] = delivery),
      stayCoupons: (coupons) => void (serviceDeps.stayCoupons = coupons),
    },
    jobs: { handlers: [worker] },
    // A restarted process takes over at once the leases of the one it replaces at the same home.
    start: async () => void worker.takeOver(),
  };
}
