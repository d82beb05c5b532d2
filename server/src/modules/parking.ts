/**
 * The driver's parking: the parks and lanes a driver sees, their stays and fees, finding the car (4.22),
 * and the order routes that pay a stay (prepay, unlicensed entry, pay, status) on the orders module's
 * service. Lane labels (the operators' names of lanes) are its repository.
 */
import type { Connection } from 'mongoose';
import type { BluecardClient } from '../adapter/bluecard';
import { lotError } from '../adapter/bluecard/lot-gateway';
import type { Clock } from '../core/clock';
import type { OrderRepository } from '../core/orders/model';
import type { PlateProofs } from '../core/parking/proofs';
import { ParkingService, type VisitRepository } from '../core/parking/service';
import { mountOrderRoutes } from '../port/api/orders-routes';
import { mountParkRoutes } from '../port/api/parks-routes';
import { MongoLaneLabelRepository } from '../repository/lane-labels';
import type { MongoLotRecordsRepository } from '../repository/lot-records';
import type { MongoParkDirectory } from '../repository/parks';
import type { FeatureModule } from './module';
import type { OrdersModule } from './orders';

export interface ParkingModuleDeps {
  connection: Connection;
  clock: Clock;
  bluecard: BluecardClient;
  parks: MongoParkDirectory;
  stays: MongoLotRecordsRepository;
  visits: VisitRepository;
  orderRepo: OrderRepository;
  proofs: PlateProofs;
  orders: Pick<OrdersModule, 'service'>;
  urlSigningKey: string;
}

export interface ParkingModule extends FeatureModule {
  service: ParkingService;
  laneLabels: MongoLaneLabelRepository;
}

export async function createParkingModule(d: ParkingModuleDeps): Promise<ParkingModule> {
  const laneLabels = new MongoLaneLabelRepository(d.connection);
  await laneLabels.init();
  const parking = new ParkingService({
    laneLabels,
    parks: d.parks,
    proofs: d.proofs,
    records: d.stays,
    visits: d.visits,
    orders: d.orderRepo,
    findCar: async (park, plate) =>
      (await d.bluecard.getSpaceStatusByPlate(park, plate).catch(lotError)).map((s) => ({
        layerName: s.layerName,
        spaceId: s.spaceId,
        plate: s.plate,
        x: Number.isFinite(Number.parseFloat(s.space_x)) ? Number.parseFloat(s.space_x) : null,
        y: Number.isFinite(Number.parseFloat(s.space_y)) ? Number.parseFloat(s.space_y) : null,
        imageUrl: s.imgPath || null,
      })),
    clock: d.clock,
    urlSigningKey: d.urlSigningKey,
  });
  return {
    service: parking,
    laneLabels,
    mountApi(api) {
      mountOrderRoutes(api, d.orders.service, {
        onUnlicensedEntry: (driverId, parkNumber, entered) => parking.rememberUnlicensed(driverId, parkNumber, entered),
        leftAt: async (parkNumber, orderId) => {
          const stay = await d.stays.findStay(parkNumber, orderId);
          return stay?.status === 'out' ? (stay.exit?.outTime ?? undefined) : undefined;
        },
      });
      mountParkRoutes(api, parking);
    },
  };
}
