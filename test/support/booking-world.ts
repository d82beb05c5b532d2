/**
 * The payment world (real database, ParkPay's ports, the Bluecard/WeChat Pay/Alipay sandboxes, the order
 * service and its worker) with the booking service wired in as production wires it: orders of kind
 * 'booking' delivered by 4.18, refunds telling the bookings, the booking worker and reconciler.
 * The lot's clock is set to real time so the lot's let-in windows and ours agree.
 */
import { BluecardClient } from '../../server/src/adapter/bluecard';
import { BluecardBookingLot } from '../../server/src/adapter/bluecard/booking-lot';
import { systemClock } from '../../server/src/core/clock';
import { BookingWindows } from '../../server/src/core/bookings/lookup';
import { BookingReconciler } from '../../server/src/core/bookings/reconcile';
import { OpenGateRules, type BlacklistLookup } from '../../server/src/core/lanepay/open-gate';
import { PreExitPricing } from '../../server/src/core/lanepay/pre-exit-pricing';
import { lanePricingHandlers } from '../../server/src/port/bluecard/lanepay-pricing';
import { BookingService, type BookingPolicy } from '../../server/src/core/bookings/service';
import type { OfferInput } from '../../server/src/core/bookings/rules';
import type { Operator } from '../../server/src/core/operators/model';
import type { OrderServiceDeps } from '../../server/src/core/orders/orders';
import { createLogger } from '../../server/src/logger';
import { BookingWorker } from '../../server/src/port/jobs/booking-worker';
import { MongoBookingRepositories } from '../../server/src/repository/bookings';
import { MongoParkDirectory } from '../../server/src/repository/parks';
import { DEMO_PARK_NUMBER } from '../../server/sandbox/bluecard';
import { startPaymentWorld, type PaymentWorld, type PaymentWorldOptions } from './payment-world';
import { startedOrStopped, type Stop } from './started';

export interface BookingWorld extends PaymentWorld {
  bookings: BookingService;
  /** 4.28 rules (H-coupons') reading our let-in windows. */
  openGate: OpenGateRules;
  repos: MongoBookingRepositories;
  reconciler: BookingReconciler;
  bookingWorker: BookingWorker;
  /** An operator of the demo park (a model value; operator sessions are tested over HTTP). */
  operator: Operator;
  /** The lot sends its heartbeat (4.1) now; ParkPay stores it. */
  heartbeat(): Promise<void>;
  /** An offer in the demo park, times relative to now (minutes). */
  offer(o?: Partial<OfferInput> & { inMinutes?: number; windowMinutes?: number }): Promise<string>;
  /** Pay a held booking with WeChat Pay (the sandbox payer pays). */
  payWechat(driverId: string, bookingNo: string): Promise<void>;
}

const MIN = 60_000;

export function startBookingWorld(label: string, opts: PaymentWorldOptions & { bookingPolicy?: Partial<BookingPolicy> } = {}): Promise<BookingWorld> {
  return startedOrStopped((started) => buildBookingWorld(label, opts, started));
}

async function buildBookingWorld(label: string, opts: PaymentWorldOptions & { bookingPolicy?: Partial<BookingPolicy> }, started: Stop[]): Promise<BookingWorld> {
  const deliveries: NonNullable<OrderServiceDeps['deliveries']> = {};
  const ref: { bookings?: BookingService; repos?: MongoBookingRepositories } = {};
  // 4.28 as production answers it: H-coupons' open-gate rules with our bookings' let-in windows (and an
  // empty blacklist: lists are not what these tests are about).
  const windows = new BookingWindows({ letInWindows: (p, now) => ref.repos!.bookings.letInWindows(p, now) });
  const noBlacklist: BlacklistLookup = { blacklisted: async () => [], onChange: () => undefined };
  const openGate = new OpenGateRules({ blacklist: noBlacklist, bookings: windows, clock: systemClock });
  const w = await startPaymentWorld(label, {
    ...opts,
    deliveries,
    onRefund: (no) => void ref.bookings?.orderChanged(no).catch(() => undefined),
    lanePay: () => lanePricingHandlers({ openGate, pricing: new PreExitPricing({ sources: [], clock: systemClock }) }),
  });
  started.push(() => w.close());
  w.lotClock.set(Date.now());
  const repos = new MongoBookingRepositories(w.db.connection);
  ref.repos = repos;
  await repos.init();
  const lot = new BluecardBookingLot(new BluecardClient({ backoffMs: [], timeoutMs: 3_000 }));
  const parks = new MongoParkDirectory(w.db.connection, 0);
  const workerRef: { worker?: BookingWorker } = {};
  const bookings = new BookingService({
    offers: repos.offers,
    bookings: repos.bookings,
    capacity: repos.capacity,
    heartbeats: w.stays,
    orders: w.orderRepo,
    orderService: w.orders,
    parks,
    lot,
    clock: systemClock,
    policy: { cancelBackoffMs: [0, 50, 100], ...opts.bookingPolicy },
    onCancelling: (no) => workerRef.worker?.kick(no),
    onChange: (p) => windows.changed(p),
  });
  ref.bookings = bookings;
  deliveries.booking = bookings;
  windows.recordAdmissionsWith((no, at) => bookings.markAdmitted(no, at));
  const reconciler = new BookingReconciler({ bookings: repos.bookings, reports: repos.reconciliations, lot, parks, clock: systemClock, onChange: (p) => windows.changed(p) });
  const bookingWorker = new BookingWorker(bookings, reconciler, {
    logger: createLogger('silent'),
    pollMs: 50,
    sweepEveryMs: 100,
    reconcileEveryMs: 0,
    parks: () => repos.offers.parksWithOffers(),
  });
  workerRef.worker = bookingWorker;
  bookingWorker.start();
  started.push(() => bookingWorker.stop());
  const operator: Operator = { id: 'op-1', username: 'lotboss', role: 'operator', parks: [DEMO_PARK_NUMBER] };

  return {
    ...w,
    bookings,
    openGate,
    repos,
    reconciler,
    bookingWorker,
    operator,
    async heartbeat() {
      const [r] = await w.bluecard.heartbeatNow(DEMO_PARK_NUMBER);
      if (!r?.acknowledged) throw new Error(`heartbeat not acknowledged: ${JSON.stringify(r)}`);
    },
    async offer(o = {}) {
      const now = Date.now();
      const letInStart = new Date(now + (o.inMinutes ?? 120) * MIN);
      const offer = await bookings.createOffer(operator, DEMO_PARK_NUMBER, {
        title: o.title ?? '周末预约车位',
        areaId: o.areaId ?? 1,
        priceFen: o.priceFen ?? 1000,
        start: o.start ?? letInStart,
        end: o.end ?? new Date(letInStart.getTime() + 8 * 60 * MIN),
        letInStart,
        letInEnd: o.letInEnd ?? new Date(letInStart.getTime() + (o.windowMinutes ?? 60) * MIN),
        count: o.count ?? 5,
        cancelRule: o.cancelRule ?? { fullRefundMinutesBefore: 60, lateRefundPercent: 50 },
      });
      return offer.offerId;
    },
    async payWechat(driverId, bookingNo) {
      const { pay } = await bookings.pay(driverId, bookingNo, 'wechat', { openId: `oWX-${driverId}` });
      if (pay.provider !== 'wechat') throw new Error('expected WeChat pay parameters');
      const r = w.wechat.requestPayment(pay.requestPayment, { outcome: 'pay' });
      if (r.errMsg !== 'requestPayment:ok') throw new Error(r.errMsg);
    },
    async close() {
      await bookingWorker.stop();
      await w.close();
    },
  };
}
