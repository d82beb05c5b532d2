/**
 * GET /api/me, GET/POST /api/me/plates, DELETE /api/me/plates/:plateKey (contracts: shared/api/me.ts).
 * Every one acts on the driver of the session only: there is no driver id in any path.
 */
import type Router from '@koa/router';
import { meEndpoints } from '../../../../shared/api/me';
import type { IdentityService } from '../../core/identity/service';
import { mount } from './mount';
import { driverView, plateView } from './views';

export function mountMeRoutes(router: Router, identity: IdentityService): void {
  mount(router, meEndpoints.me, async ({ driver }) => driverView(driver));
  mount(router, meEndpoints.listPlates, async ({ driver }) => ({ plates: (await identity.listPlates(driver.id)).map(plateView) }));
  mount(router, meEndpoints.bindPlate, async ({ driver, body }) => ({
    plates: (await identity.bindPlate(driver.id, body.plate)).map(plateView),
  }));
  mount(router, meEndpoints.unbindPlate, async ({ driver, params }) => ({
    plates: (await identity.unbindPlate(driver.id, params.plateKey)).map(plateView),
  }));
}
