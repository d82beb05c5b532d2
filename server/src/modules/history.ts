/**
 * The driver's payment history and receipts (core/history): read from the orders and from the lane
 * deductions and bookings, whose repositories the agreements and bookings modules own (the same
 * collections; their indexes are made there).
 */
import type { Connection } from 'mongoose';
import { HistoryService } from '../core/history/service';
import type { LotRecordsRepository } from '../core/lot/model';
import type { OrderRepository } from '../core/orders/model';
import type { ParkDirectory } from '../core/parks';
import { mountHistoryRoutes } from '../port/api/history-routes';
import { MongoLaneDeductionRepository } from '../repository/agreement-deductions';
import { MongoBookingRepositories } from '../repository/bookings';
import type { FeatureModule } from './module';

export interface HistoryModule extends FeatureModule {
  service: HistoryService;
}

export function createHistoryModule(d: { connection: Connection; parks: ParkDirectory; stays: Pick<LotRecordsRepository, 'findStay'>; orders: OrderRepository }): HistoryModule {
  const service = new HistoryService({
    orders: d.orders,
    deductions: new MongoLaneDeductionRepository(d.connection),
    bookings: new MongoBookingRepositories(d.connection).bookings,
    parks: d.parks,
    stays: d.stays,
  });
  return { service, mountApi: (api) => mountHistoryRoutes(api, service) };
}
