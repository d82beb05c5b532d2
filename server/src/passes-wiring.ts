/**
 * Wiring of monthly passes, kept out of server.ts, which calls it in two steps:
 *  1. wirePasses(): the repositories, the delivery of orders of kind 'pass' (for the order service's
 *     `deliveries.pass`) and when a pass ends (for the reminders' guard);
 *  2. connect(orders, events): the pass service, its driver and operator API, and a purchase that follows
 *     its order's refund.
 */
import type Router from '@koa/router';
import type { Connection } from 'mongoose';
import type { BluecardClient } from './adapter/bluecard';
import { BluecardPassLot } from './adapter/bluecard/pass-lot';
import type { Clock } from './core/clock';
import type { LotRecordsRepository } from './core/lot/model';
import type { OrderDelivery } from './core/orders/deliveries';
import type { OrderRepository } from './core/orders/model';
import type { OrderEvents, OrderService } from './core/orders/orders';
import type { EventBus } from './core/events';
import { PassService, type PassServiceDeps } from './core/passes/service';
import type { ParkDirectory } from './core/parks';
import type { WorkHandler } from './core/work';
import type { Logger } from './logger';
import { mountPassRoutes } from './port/api/passes-routes';
import { MongoListsRepository } from './repository/lists';
import { MongoPassRepositories } from './repository/passes';
import { MongoWorkQueue } from './repository/work';

export interface PassWiringDeps {
  connection: Connection;
  clock: Clock;
  logger: Logger;
  bluecard: BluecardClient;
  /** The client for the lot's answers a driver waits on (4.8 within the driver's wait budget). */
  driverBluecard?: BluecardClient;
  parks: ParkDirectory;
  stays: LotRecordsRepository;
  orderRepo: OrderRepository;
  /** Which plates a driver has proved theirs at a park (core/parking/proofs.ts). */
  proofs: PassServiceDeps['proofs'];
}

export interface PassWiring {
  /** For the order service's `deliveries.pass`: the whitelist extended (4.8 then 4.6) instead of 4.5. */
  delivery: OrderDelivery;
  /** For the reminders' guard (core/messages). */
  endsAt(passId: string): Promise<Date | undefined>;
  /** For the job registry: booth renewals our extension overwrote, put back when the first try failed. */
  restoreJob: WorkHandler;
  /** The pass service, on the order service and its events: a purchase whose payment is refunded shows the refund and its reason. */
  connect(orders: OrderService, events: EventBus<OrderEvents>, onExtended: (p: { passId: string; driverId: string; parkNumber: string; plate: string; endsAt: Date }) => void): {
    service: PassService;
    mountApi(router: Router): void;
  };
}

export async function wirePasses(d: PassWiringDeps): Promise<PassWiring> {
  const repos = new MongoPassRepositories(d.connection);
  const lists = new MongoListsRepository(d.connection);
  await Promise.all([repos.init(), lists.init()]);
  const ref: { service?: PassService } = {};
  return {
    delivery: {
      deliver: (park, order) => {
        if (!ref.service) throw new Error('passes are not connected yet');
        return ref.service.deliver(park, order);
      },
    },
    endsAt: async (passId) => ref.service?.endsAt(passId),
    restoreJob: {
      kind: 'pass_restore',
      // Before connect() there is no service: looked at again in a minute.
      process: async (purchaseNo, owner) => (ref.service ? ref.service.restoreJob.process(purchaseNo, owner) : new Date(d.clock.now() + 60_000)),
    },
    connect(orders, events, onExtended) {
      const service = new PassService({
        offers: repos.offers,
        purchases: repos.purchases,
        places: repos.places,
        orders: d.orderRepo,
        orderService: orders,
        parks: d.parks,
        lotRecords: d.stays,
        lot: new BluecardPassLot(d.bluecard, d.driverBluecard),
        proofs: d.proofs,
        boothRenewals: repos.boothRenewals,
        ourList: lists,
        clock: d.clock,
        onExtended,
        log: d.logger,
        work: new MongoWorkQueue(d.connection),
      });
      ref.service = service;
      events.on('refundStarted', ({ orderNo }) => {
        void service.orderChanged(orderNo).catch((err: unknown) => d.logger.error({ err, orderNo }, 'pass purchase could not follow its order'));
      });
      return { service, mountApi: (router) => mountPassRoutes(router, service) };
    },
  };
}
