/** GET /api/op/parks/:parkNumber/dashboard (contract: shared/api/op-dashboard.ts). */
import type Router from '@koa/router';
import { opDashboardEndpoints as ep } from '../../../../shared/api/op-dashboard';
import type { DashboardService } from '../../core/operators/dashboard';
import { mount } from './mount';

const iso = (d: Date | null) => (d ? d.toISOString() : null);

export function mountOpDashboardRoutes(router: Router, dashboards: DashboardService): void {
  mount(router, ep.dashboard, async ({ params, operator }) => {
    const d = await dashboards.dashboard(operator, params.parkNumber);
    return {
      ...d,
      at: d.at.toISOString(),
      lot: { ...d.lot, heartbeatAt: iso(d.lot.heartbeatAt) },
      waitingForLot: { ...d.waitingForLot, oldestPaidAt: iso(d.waitingForLot.oldestPaidAt) },
    };
  });
}
