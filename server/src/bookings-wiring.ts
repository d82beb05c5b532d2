/**
 * Wiring of bookings (4.18/4.19) and the daily reconciliation, kept out of server.ts, which calls it in two
 * steps:
 *  1. wireBookings(): the repositories and the let-in windows 4.28 reads (`lookup`, for the open-gate rules
 *     made before the order service), the delivery of booking orders (`delivery`, for the order service's
 *     `deliveries.booking`);
 *  2. connect(orders, events): the booking service (which follows its order's refund), the 4.19 reconciler
 *     and the booking worker, and the driver and operator API of bookings and of the daily reconciliation
 *     (mount on the app API router).
 */
import type Router from '@koa/router';
import type { Connection } from 'mongoose';
import type { BluecardClient } from './adapter/bluecard';
import { BluecardBookingLot } from './adapter/bluecard/booking-lot';
import { BookingWindows } from './core/bookings/lookup';
import { BookingReconciler } from './core/bookings/reconcile';
import { BookingService } from './core/bookings/service';
import type { Clock } from './core/clock';
import type { LotRecordsRepository } from './core/lot/model';
import type { OrderDelivery } from './core/orders/deliveries';
import type { OrderRepository } from './core/orders/model';
import type { OrderEvents, OrderService } from './core/orders/orders';
import type { EventBus } from './core/events';
import type { ParkDirectory } from './core/parks';
import type { Logger } from './logger';
import { mountBookingRoutes } from './port/api/bookings-routes';
import { mountOpBookingRoutes } from './port/api/op-bookings-routes';
import { mountOpReconciliationRoutes } from './port/api/op-reconciliation-routes';
import { ReconciliationService } from './core/reconciliation/daily';
import { MongoReconciliationSources } from './repository/reconciliation';
import { BookingWorker } from './port/jobs/booking-worker';
import { MongoBookingRepositories } from './repository/bookings';

export interface BookingWiringDeps {
  connection: Connection;
  clock: Clock;
  logger: Logger;
  bluecard: BluecardClient;
  parks: ParkDirectory;
  stays: LotRecordsRepository;
  orderRepo: OrderRepository;
  /** How often each park with offers is reconciled with 4.19 (default 10 min). */
  reconcileEveryMs?: number;
}

export interface BookingWiring {
  /** For the 4.28 open-gate rules (wireCouponsAndLists' `bookings.lookup`). */
  lookup: BookingWindows;
  /** For the order service's `deliveries.booking`: 4.18 flag 1 instead of 4.5. */
  delivery: OrderDelivery;
  /** The booking service, on the order service and its events: a booking whose payment is refunded gives its place back. */
  connect(orders: OrderService, events: EventBus<OrderEvents>): {
    service: BookingService;
    reconciler: BookingReconciler;
    /** The daily reconciliation of payments (4.3/4.15). */
    daily: ReconciliationService;
    worker: BookingWorker;
    mountApi(router: Router): void;
  };
}

export async function wireBookings(d: BookingWiringDeps): Promise<BookingWiring> {
  const repos = new MongoBookingRepositories(d.connection);
  await repos.init();
  const lookup = new BookingWindows(repos.bookings);
  const ref: { service?: BookingService; worker?: BookingWorker } = {};
  const lot = new BluecardBookingLot(d.bluecard);

  return {
    lookup,
    delivery: {
      deliver: (park, order) => {
        if (!ref.service) throw new Error('bookings are not connected yet');
        return ref.service.deliver(park, order);
      },
    },
    connect(orders, events) {
      const service = new BookingService({
        offers: repos.offers,
        bookings: repos.bookings,
        capacity: repos.capacity,
        heartbeats: d.stays,
        orders: d.orderRepo,
        orderService: orders,
        parks: d.parks,
        lot,
        clock: d.clock,
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
      const worker = new BookingWorker(service, reconciler, {
        logger: d.logger,
        reconcileEveryMs: d.reconcileEveryMs,
        parks: () => repos.offers.parksWithOffers(),
      });
      ref.service = service;
      ref.worker = worker;
      events.on('refundStarted', ({ orderNo }) => {
        void service.orderChanged(orderNo).catch((err: unknown) => d.logger.error({ err, orderNo }, 'booking could not follow its order'));
      });
      // 4.28 records the admissions it makes (after answering) on the booking.
      lookup.recordAdmissionsWith((no, at) => service.markAdmitted(no, at));
      const daily = new ReconciliationService({ sources: new MongoReconciliationSources(d.connection), parks: d.parks, clock: d.clock });
      return {
        service,
        reconciler,
        daily,
        worker,
        mountApi(router) {
          mountBookingRoutes(router, service, d.clock);
          mountOpBookingRoutes(router, service, reconciler, d.clock);
          mountOpReconciliationRoutes(router, daily);
        },
      };
    },
  };
}
