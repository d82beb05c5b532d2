/**
 * The operators' console: accounts and sessions (the API router authenticates operators with them), the
 * parks' settings and lane posters, the lot's live operations (lifting a barrier, 4.x down calls), and the
 * dashboard. Demo mode has its operator made here.
 */
import type { Connection } from 'mongoose';
import type { BluecardClient } from '../adapter/bluecard';
import { BluecardOperatorLot } from '../adapter/bluecard/operator-lot';
import { LaneCodeDrawer, findCjkFont } from '../adapter/posters/lane-codes';
import type { Clock } from '../core/clock';
import { DashboardService } from '../core/operators/dashboard';
import { LotOpsService } from '../core/operators/lot-ops';
import { ParkAdminService } from '../core/operators/parks';
import { OperatorService } from '../core/operators/service';
import type { Provider } from '../core/orders/model';
import type { Logger } from '../logger';
import { mountOpAccountRoutes } from '../port/api/op-accounts-routes';
import { mountOpDashboardRoutes } from '../port/api/op-dashboard-routes';
import { mountOpLotRoutes } from '../port/api/op-lot-routes';
import { mountOpParkRoutes } from '../port/api/op-parks-routes';
import { MongoDashboardQueries } from '../repository/dashboard';
import type { MongoLaneLabelRepository } from '../repository/lane-labels';
import type { MongoLotRecordsRepository } from '../repository/lot-records';
import type { MongoParkDirectory } from '../repository/parks';
import { MongoAuditLog, MongoLiftConfirmations, MongoLoginThrottle, MongoOperatorAccountRepository, MongoOperatorSessionRepository } from '../repository/operators';
import type { FeatureModule } from './module';

export interface OperatorsModuleDeps {
  connection: Connection;
  clock: Clock;
  logger: Logger;
  bluecard: BluecardClient;
  parks: MongoParkDirectory;
  stays: MongoLotRecordsRepository;
  laneLabels: MongoLaneLabelRepository;
  /** Lane posters carry our address. */
  publicUrl: string;
  /** The providers lane QR codes can be paid with. */
  laneQrProviders: Provider[];
  /** A lot image's signed link (the parking module's). */
  imageLink(parkNumber: string, imageName: string): string;
}

export interface OperatorsModule extends FeatureModule {
  operators: OperatorService;
  audit: MongoAuditLog;
}

export async function createOperatorsModule(d: OperatorsModuleDeps): Promise<OperatorsModule> {
  const audit = new MongoAuditLog(d.connection);
  const repos = {
    accounts: new MongoOperatorAccountRepository(d.connection),
    sessions: new MongoOperatorSessionRepository(d.connection),
    throttle: new MongoLoginThrottle(d.connection),
  };
  const liftConfirmations = new MongoLiftConfirmations(d.connection);
  await Promise.all([audit.init(), liftConfirmations.init(), ...Object.values(repos).map((r) => r.init())]);
  const operators = new OperatorService({
    ...repos,
    clock: d.clock,
    audit,
    parkExists: async (parkNumber) => (await d.parks.get(parkNumber)) !== undefined,
  });
  const posterFont = findCjkFont();
  if (!posterFont) d.logger.warn('no CJK font for lane posters (install fonts-wqy-zenhei): GET …/poster.pdf answers 503 poster_font_missing');
  const parkAdmin = new ParkAdminService({
    parks: d.parks,
    lanes: d.stays,
    labels: d.laneLabels,
    renderer: new LaneCodeDrawer(posterFont),
    publicBaseUrl: d.publicUrl,
    clock: d.clock,
    laneQrProviders: d.laneQrProviders,
  });
  const lotOps = new LotOpsService({
    parks: d.parks,
    lanes: d.stays,
    labels: d.laneLabels,
    lot: new BluecardOperatorLot(d.bluecard),
    confirmations: liftConfirmations,
    records: d.stays,
    imageLink: (parkNumber, imageName) => d.imageLink(parkNumber, imageName),
    clock: d.clock,
  });
  const dashboard = new DashboardService({ queries: new MongoDashboardQueries(d.connection), heartbeats: d.stays, parks: d.parks, clock: d.clock });
  return {
    operators,
    audit,
    mountApi(api) {
      mountOpAccountRoutes(api, operators, audit);
      mountOpParkRoutes(api, parkAdmin);
      mountOpLotRoutes(api, lotOps);
      mountOpDashboardRoutes(api, dashboard);
    },
  };
}
