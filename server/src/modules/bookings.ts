/**
 * Bookings (4.18/4.19) and the daily reconciliation of payments: the repositories, the let-in windows 4.28
 * reads (`lookup`, for the coupons and lists module's open-gate rules), the booking service (its orders
 * paid through the order service and delivered by 4.18 flag 1, a booking whose payment is refunded gives
 * its place back), the 4.19 reconciler, the booking worker, and the driver and operator routes.
 */
import type { BluecardClient } from '../adapter/bluecard';
import { BluecardBookingLot } from '../adapter/bluecard/booking-lot';
import { BookingWindows } from '../core/bookings/lookup';
import { BookingReconciler } from '../core/bookings/reconcile';
import { BookingService, type BookingPolicy } from '../core/bookings/service';
import type { Clock } from '../core/clock';
import type { LotRecordsRepository } from '../core/lot/model';
import type { OrderRepository } from '../core/orders/model';
import type { ParkDirectory } from '../core/parks';
import { ReconciliationService } from '../core/reconciliation/daily';
import type { Logger } from '../logger';
import { mountBookingRoutes } from '../port/api/bookings-routes';
import { mountOpBookingRoutes } from '../port/api/op-bookings-routes';
import { mountOpReconciliationRoutes } from '../port/api/op-reconciliation-routes';
import { BookingWorker, type BookingWorkerOptions } from '../port/jobs/booking-worker';
import { MongoBookingRepositories } from '../repository/bookings';
import { MongoReconciliationSources } from '../repository/reconciliation';
import type { Connection } from 'mongoose';
import type { FeatureModule } from './module';
import type { OrdersModule } from './orders';

export interface BookingsModuleDeps {
  connection: Connection;
  clock: Clock;
  logger: Logger;
  bluecard: BluecardClient;
  parks: ParkDirectory;
  stays: LotRecordsRepository;
  orderRepo: OrderRepository;
  /** Bookings are paid through the order service, follow its refunds, and deliver its 'booking' orders. */
  orders: Pick<OrdersModule, 'service' | 'events' | 'extend'>;
  policy?: Partial<BookingPolicy>;
  /** The worker's timings (its own poll when it runs alone, in tests; how often a held booking is looked at). */
  worker?: Partial<Pick<BookingWorkerOptions, 'pollMs' | 'sweepEveryMs' | 'reconcileEveryMs'>>;
  /** How often each park with offers is reconciled with 4.19 by the job registry (default 10 min). */
  reconcileEveryMs?: number;
}

export interface BookingsModule extends FeatureModule {
  repos: MongoBookingRepositories;
  /** For the 4.28 open-gate rules (the coupons and lists module's `bookings.lookup`). */
  lookup: BookingWindows;
  service: BookingService;
  reconciler: BookingReconciler;
  /** The daily reconciliation of payments (4.3/4.15). */
  daily: ReconciliationService;
  worker: BookingWorker;
}

export async function createBookingsModule(d: BookingsModuleDeps): Promise<BookingsModule> {
  const repos = new MongoBookingRepositories(d.connection);
  await repos.init();
  const lookup = new BookingWindows(repos.bookings);
  const lot = new BluecardBookingLot(d.bluecard);
  const ref: { worker?: BookingWorker } = {};
  const service = new BookingService({
    offers: repos.offers,
    bookings: repos.bookings,
    capacity: repos.capacity,
    heartbeats: d.stays,
    orders: d.orderRepo,
    orderService: d.orders.service,
    parks: d.parks,
    lot,
    clock: d.clock,
    ...(d.policy ? { policy: d.policy } : {}),
    onCancelling: (no) => ref.worker?.kick(no),
    onChange: (parkNumber) => lookup.changed(parkNumber),
    log: d.logger,
  });
  const reconciler = new BookingReconciler({
    bookings: repos.bookings,
    reports: repos.reconciliations,
    lot,
    parks: d.parks,
    clock: d.clock,
    onChange: (parkNumber) => lookup.changed(parkNumber),
    log: d.logger,
  });
  const worker = new BookingWorker(service, reconciler, { logger: d.logger, ...d.worker, parks: () => repos.offers.parksWithOffers() });
  ref.worker = worker;
  d.orders.extend.delivery('booking', service);
  d.orders.events.on('refundStarted', ({ orderNo }) => {
    void service.orderChanged(orderNo).catch((err: unknown) => d.logger.error({ err, orderNo }, 'booking could not follow its order'));
  });
  // 4.28 records the admissions it makes (after answering) on the booking.
  lookup.recordAdmissionsWith((no, at) => service.markAdmitted(no, at));
  const daily = new ReconciliationService({ sources: new MongoReconciliationSources(d.connection), parks: d.parks, clock: d.clock });
  return {
    repos,
    lookup,
    service,
    reconciler,
    daily,
    worker,
    mountApi(router) {
      mountBookingRoutes(router, service, d.clock);
      mountOpBookingRoutes(router, service, reconciler, d.clock);
      mountOpReconciliationRoutes(router, daily);
    },
    jobs: {
      handlers: [worker],
      every: [{ name: 'bookings: 4.19 reconciliation', everyMs: d.reconcileEveryMs ?? 10 * 60_000, run: () => worker.reconcileAll() }],
    },
  };
}
