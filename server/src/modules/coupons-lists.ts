/**
 * Coupons (4.23, fixed codes for 4.24), white/black lists (4.6–4.11) and the lane answers that read them
 * (4.13 pre-exit pricing, 4.28 open gate): repositories, services on the Bluecard client (its pace slots
 * keep 4.6/4.9 per park across processes), the lot's calls they answer, the operator routes, the coupon
 * redelivery job and the list jobs (resumed at start). A stay's coupons are shown on its fee (plugged into
 * the orders module when one is given).
 *
 * Bookings plug in through `bookings`: its BookingLookup opens the gate for a booked car inside its
 * let-in window (4.28), its StayCreditSource credits the stay at the exit (4.13).
 */
import type { Connection } from 'mongoose';
import type { BluecardClient } from '../adapter/bluecard';
import { BluecardCouponGateway } from '../adapter/bluecard/coupon-gateway';
import { BluecardListsGateway } from '../adapter/bluecard/lists-gateway';
import type { Clock } from '../core/clock';
import { CouponService, type CouponPolicy } from '../core/coupons/service';
import { OpenGateRules, type BookingLookup } from '../core/lanepay/open-gate';
import { PreExitPricing, type StayCreditSource } from '../core/lanepay/pre-exit-pricing';
import { ListsService } from '../core/lists/service';
import type { LotRecordsRepository } from '../core/lot/model';
import type { ParkDirectory } from '../core/parks';
import type { Logger } from '../logger';
import type { FeatureModule } from './module';
import type { OrdersModule } from './orders';
import { mountOpCouponRoutes } from '../port/api/op-coupons-routes';
import { mountOpListRoutes } from '../port/api/op-lists-routes';
import { lanePricingHandlers } from '../port/bluecard/lanepay-pricing';
import { CouponRedeliveryJob } from '../port/jobs/coupon-redelivery';
import { MongoCouponRepository } from '../repository/coupons';
import { MongoListsRepository } from '../repository/lists';

export interface CouponsListsModuleDeps {
  connection: Connection;
  clock: Clock;
  logger: Logger;
  bluecard: BluecardClient;
  parks: ParkDirectory & { list?(): Promise<{ parkNumber: string }[]> };
  stays: Pick<LotRecordsRepository, 'findStay' | 'staysInPark'>;
  /** Bookings, when there are: let-in windows (4.28) and credits at the exit (4.13). */
  bookings?: { lookup?: BookingLookup; credits?: StayCreditSource[] };
  /** The orders module the stay coupons are shown by (its fee of a stay). */
  orders?: Pick<OrdersModule, 'extend'>;
  couponPolicy?: Partial<CouponPolicy>;
  /** The lists service's name in its job leases (default a fresh one). */
  listsOwner?: string;
}

export interface CouponsListsModule extends FeatureModule {
  coupons: CouponService;
  lists: ListsService;
  openGate: OpenGateRules;
  pricing: PreExitPricing;
}

export async function createCouponsListsModule(d: CouponsListsModuleDeps): Promise<CouponsListsModule> {
  const couponRepo = new MongoCouponRepository(d.connection);
  const listsRepo = new MongoListsRepository(d.connection);
  await Promise.all([couponRepo.init(), listsRepo.init()]);
  const coupons = new CouponService({
    coupons: couponRepo,
    parks: d.parks,
    stays: d.stays,
    lot: new BluecardCouponGateway(d.bluecard),
    clock: d.clock,
    log: d.logger,
    ...(d.couponPolicy ? { policy: d.couponPolicy } : {}),
  });
  const lists = new ListsService({
    lists: listsRepo,
    lot: new BluecardListsGateway(d.bluecard),
    lotRecords: listsRepo,
    parks: d.parks,
    clock: d.clock,
    log: d.logger,
    ...(d.listsOwner ? { owner: d.listsOwner } : {}),
  });
  d.orders?.extend.stayCoupons(coupons);
  const openGate = new OpenGateRules({ blacklist: lists, bookings: d.bookings?.lookup, clock: d.clock, log: d.logger });
  const pricing = new PreExitPricing({ sources: [coupons, ...(d.bookings?.credits ?? [])], clock: d.clock, log: d.logger });
  const redelivery = new CouponRedeliveryJob(coupons, { logger: d.logger });
  return {
    coupons,
    lists,
    openGate,
    pricing,
    lanePay: lanePricingHandlers({ pricing, openGate }),
    jobs: { handlers: [redelivery] },
    mountApi(api) {
      mountOpCouponRoutes(api, coupons);
      mountOpListRoutes(api, lists);
    },
    async start() {
      const resumed = await lists.resume();
      if (resumed) d.logger.info({ jobs: resumed }, 'list jobs taken up again');
      // The 4.28 index of every registered park now, so no lane call waits for a load.
      const known = d.parks.list ? await d.parks.list() : [];
      await openGate.warm(known.map((p) => p.parkNumber)).catch((err: unknown) => d.logger.error({ err }, '4.28 index not loaded at start'));
    },
    async close() {
      // No new chunks; the one on the wire finishes (a job left half done is resumed at the next start).
      lists.stop();
      // Admissions 4.28 just made are written before the database closes (a write that keeps failing is
      // not waited for long: the 4.19 reconciliation takes admissions over from the lot).
      const admissions = new Promise<void>((r) => setTimeout(r, 3_000).unref());
      await Promise.all([lists.idle(), Promise.race([openGate.settled(), admissions])]);
    },
  };
}
