/**
 * The payment world (real database, ParkPay's ports, the Bluecard/WeChat Pay/Alipay sandboxes, the order
 * service and its worker) with the booking service wired in as production wires it: orders of kind
 * 'booking' delivered by 4.18, refunds telling the bookings, the booking worker and reconciler.
 * The lot's clock is set to real time so the lot's let-in windows and ours agree.
 */
import { BluecardClient } from '../../server/src/adapter/bluecard';
import { systemClock } from '../../server/src/core/clock';
import type { BookingReconciler } from '../../server/src/core/bookings/reconcile';
import { OpenGateRules, type BlacklistLookup } from '../../server/src/core/lanepay/open-gate';
import { PreExitPricing } from '../../server/src/core/lanepay/pre-exit-pricing';
import { lanePricingHandlers } from '../../server/src/port/bluecard/lanepay-pricing';
import type { BookingPolicy, BookingService } from '../../server/src/core/bookings/service';
import type { OfferInput } from '../../server/src/core/bookings/rules';
import type { Operator } from '../../server/src/core/operators/model';
import { createLogger } from '../../server/src/logger';
import { createBookingsModule, type BookingsModule } from '../../server/src/modules/bookings';
import type { BookingWorker } from '../../server/src/port/jobs/booking-worker';
import type { MongoBookingRepositories } from '../../server/src/repository/bookings';
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
  const ref: { module?: BookingsModule; openGate?: OpenGateRules } = {};
  const w = await startPaymentWorld(label, {
    ...opts,
    // The bookings module as the server builds it, on the world's orders: booking orders delivered by 4.18,
    // refunds followed; and 4.28 as production answers it, H-coupons' open-gate rules with our bookings'
    // let-in windows (and an empty blacklist: lists are not what these tests are about).
    modules: async (x) => {
      const module = await createBookingsModule({
        connection: x.connection,
        clock: systemClock,
        logger: createLogger('silent'),
        bluecard: new BluecardClient({ backoffMs: [], timeoutMs: 3_000 }),
        parks: new MongoParkDirectory(x.connection, 0),
        stays: x.stays,
        orderRepo: x.orderRepo,
        orders: x.orders,
        policy: { cancelBackoffMs: [0, 50, 100], ...opts.bookingPolicy },
        worker: { pollMs: 50, sweepEveryMs: 100, reconcileEveryMs: 0 },
      });
      const noBlacklist: BlacklistLookup = { blacklisted: async () => [], onChange: () => undefined };
      const openGate = new OpenGateRules({ blacklist: noBlacklist, bookings: module.lookup, clock: systemClock });
      Object.assign(ref, { module, openGate });
      return [module, { lanePay: lanePricingHandlers({ openGate, pricing: new PreExitPricing({ sources: [], clock: systemClock }) }) }];
    },
  });
  started.push(() => w.close());
  w.lotClock.set(Date.now());
  const { service: bookings, repos, reconciler, worker: bookingWorker } = ref.module!;
  const openGate = ref.openGate!;
  // The worker polls on its own here (every 50 ms), not through a job registry.
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
