/**
 * Wiring of coupons (4.23, fixed codes for 4.24), white/black lists (4.6–4.11) and the lane answers that
 * read them (4.13 pre-exit pricing, 4.28 open gate) for server.ts: repositories, services on the Bluecard
 * client (its pace slots keep 4.6/4.9 per park across processes), the Bluecard handlers for bluecardRouter's `lanePay`,
 * the operator routes, the coupon redelivery job (for the job registry) and the list jobs (resumed at start).
 *
 * Bookings (H-book) plug in through `bookings`: its BookingLookup opens the gate for a booked car inside its
 * let-in window (4.28), its StayCreditSource credits the stay at the exit (4.13).
 */
import type Router from '@koa/router';
import type { Connection } from 'mongoose';
import type { BluecardClient } from './adapter/bluecard';
import { BluecardCouponGateway } from './adapter/bluecard/coupon-gateway';
import { BluecardListsGateway } from './adapter/bluecard/lists-gateway';
import type { Clock } from './core/clock';
import { CouponService } from './core/coupons/service';
import { OpenGateRules, type BookingLookup } from './core/lanepay/open-gate';
import { PreExitPricing, type StayCreditSource } from './core/lanepay/pre-exit-pricing';
import { ListsService } from './core/lists/service';
import type { LotRecordsRepository } from './core/lot/model';
import type { ParkDirectory } from './core/parks';
import type { Logger } from './logger';
import { mountOpCouponRoutes } from './port/api/op-coupons-routes';
import { mountOpListRoutes } from './port/api/op-lists-routes';
import type { UpHandler } from './port/bluecard/inbound';
import { lanePricingHandlers } from './port/bluecard/lanepay-pricing';
import { CouponRedeliveryJob } from './port/jobs/coupon-redelivery';
import { MongoCouponRepository } from './repository/coupons';
import { MongoListsRepository } from './repository/lists';

export interface CouponsListsWiringDeps {
  connection: Connection;
  clock: Clock;
  logger: Logger;
  bluecard: BluecardClient;
  parks: ParkDirectory & { list?(): Promise<{ parkNumber: string }[]> };
  stays: Pick<LotRecordsRepository, 'findStay' | 'staysInPark'>;
  /** H-book's bookings, when wired: let-in windows (4.28) and credits at the exit (4.13). */
  bookings?: { lookup?: BookingLookup; credits?: StayCreditSource };
}

export interface CouponsListsWiring {
  coupons: CouponService;
  lists: ListsService;
  openGate: OpenGateRules;
  pricing: PreExitPricing;
  lanePay: Record<'4.13' | '4.28', UpHandler>;
  /** Coupons due to be sent again (a handler for the job registry). */
  redelivery: CouponRedeliveryJob;
  mountApi(api: Router): void;
  /** Resume list jobs left by a stopped process; load the 4.28 index. */
  start(): Promise<void>;
  stop(): Promise<void>;
}

export async function wireCouponsAndLists(d: CouponsListsWiringDeps): Promise<CouponsListsWiring> {
  const couponRepo = new MongoCouponRepository(d.connection);
  const listsRepo = new MongoListsRepository(d.connection);
  await Promise.all([couponRepo.init(), listsRepo.init()]);
  const coupons = new CouponService({ coupons: couponRepo, parks: d.parks, stays: d.stays, lot: new BluecardCouponGateway(d.bluecard), clock: d.clock, log: d.logger });
  const lists = new ListsService({ lists: listsRepo, lot: new BluecardListsGateway(d.bluecard), lotRecords: listsRepo, parks: d.parks, clock: d.clock, log: d.logger });
  const openGate = new OpenGateRules({ blacklist: lists, bookings: d.bookings?.lookup, clock: d.clock, log: d.logger });
  const pricing = new PreExitPricing({ sources: [coupons, ...(d.bookings?.credits ? [d.bookings.credits] : [])], clock: d.clock, log: d.logger });
  const redelivery = new CouponRedeliveryJob(coupons, { logger: d.logger });
  return {
    coupons,
    lists,
    openGate,
    pricing,
    lanePay: lanePricingHandlers({ pricing, openGate }),
    redelivery,
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
    async stop() {
      // No new chunks; the one on the wire finishes (a job left half done is resumed at the next start).
      lists.stop();
      // Admissions 4.28 just made are written before the database closes (a write that keeps failing is
      // not waited for long: the 4.19 reconciliation takes admissions over from the lot).
      const admissions = new Promise<void>((r) => setTimeout(r, 3_000).unref());
      await Promise.all([lists.idle(), Promise.race([openGate.settled(), admissions])]);
    },
  };
}
