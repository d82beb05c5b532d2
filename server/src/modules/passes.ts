/**
 * Monthly passes: the repositories, the pass service (its orders paid through the order service and
 * delivered by extending the plate's whitelist entry, 4.8 then 4.6; a purchase whose payment is refunded
 * shows the refund and its reason), the restore job for booth renewals an extension overwrote, and the
 * driver and operator routes. It tells `events` when a pass was extended (its reminders), and checks the
 * lot's booth renewals (4.31) it hears of on `lot`.
 */
import type { Connection } from 'mongoose';
import type { BluecardClient } from '../adapter/bluecard';
import { BluecardPassLot } from '../adapter/bluecard/pass-lot';
import type { Clock } from '../core/clock';
import { EventBus } from '../core/events';
import type { LotRecordsRepository } from '../core/lot/model';
import type { OrderRepository } from '../core/orders/model';
import type { ParkDirectory } from '../core/parks';
import { PassService, type PassServiceDeps } from '../core/passes/service';
import type { Logger } from '../logger';
import { mountPassRoutes } from '../port/api/passes-routes';
import { MongoListsRepository } from '../repository/lists';
import { MongoPassRepositories } from '../repository/passes';
import { MongoWorkQueue } from '../repository/work';
import type { LotEvents } from './lot-events';
import type { FeatureModule } from './module';
import type { OrdersModule } from './orders';

export interface PassEvents {
  /** A pass was extended at the lot; its reminders are due 7 days and 1 day before it ends. */
  extended: { passId: string; driverId: string; parkNumber: string; plate: string; endsAt: Date };
}

export interface PassesModuleDeps {
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
  /** Passes are paid through the order service, follow its refunds, and deliver its 'pass' orders. */
  orders: Pick<OrdersModule, 'service' | 'events' | 'extend'>;
  /** The lot's records as they arrive: a booth renewal is checked against the online passes. */
  lot?: EventBus<LotEvents>;
}

export interface PassesModule extends FeatureModule {
  service: PassService;
  events: EventBus<PassEvents>;
  /** When a pass ends now (the reminders' guard: a reminder whose end moved is not sent). */
  endsAt(passId: string): Promise<Date | undefined>;
}

export async function createPassesModule(d: PassesModuleDeps): Promise<PassesModule> {
  const repos = new MongoPassRepositories(d.connection);
  const lists = new MongoListsRepository(d.connection);
  await Promise.all([repos.init(), lists.init()]);
  const events = new EventBus<PassEvents>((err, event) => d.logger.error({ err, event }, 'a reaction to a pass event failed'));
  const service = new PassService({
    offers: repos.offers,
    purchases: repos.purchases,
    places: repos.places,
    orders: d.orderRepo,
    orderService: d.orders.service,
    parks: d.parks,
    lotRecords: d.stays,
    lot: new BluecardPassLot(d.bluecard, d.driverBluecard),
    proofs: d.proofs,
    boothRenewals: repos.boothRenewals,
    ourList: lists,
    clock: d.clock,
    onExtended: (p) => events.emit('extended', p),
    log: d.logger,
    work: new MongoWorkQueue(d.connection),
  });
  d.orders.extend.delivery('pass', service);
  d.orders.events.on('refundStarted', ({ orderNo }) => {
    void service.orderChanged(orderNo).catch((err: unknown) => d.logger.error({ err, orderNo }, 'pass purchase could not follow its order'));
  });
  d.lot?.on('renewed', ({ parkNumber, plateKeys }) => {
    void service.boothRenewed(parkNumber, plateKeys).catch((err: unknown) => d.logger.error({ err, parkNumber }, 'booth renewal not checked against online passes'));
  });
  return {
    service,
    events,
    endsAt: (passId) => service.endsAt(passId),
    mountApi: (router) => mountPassRoutes(router, service),
    // Booth renewals our extension overwrote, put back when the first try failed.
    jobs: { handlers: [service.restoreJob] },
  };
}
