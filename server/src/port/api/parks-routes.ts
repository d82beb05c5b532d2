/**
 * GET /api/parks/:parkNumber, GET /api/me/stays, GET /api/parks/:parkNumber/find-car (shared/api/parks.ts),
 * and GET /api/images/:token, the entry pictures behind signed, short-lived links (no session header:
 * an <image src> cannot send one; the link itself is the permission).
 */
import type Router from '@koa/router';
import { parkEndpoints } from '../../../../shared/api/parks';
import type { ParkingService } from '../../core/parking/service';
import { mount } from './mount';

export function mountParkRoutes(router: Router, parking: ParkingService): void {
  mount(router, parkEndpoints.park, async ({ params }) => parking.view(params.parkNumber));
  mount(router, parkEndpoints.myStays, async ({ driver }) => ({ stays: await parking.myStays(driver.id, driver.plates.map((p) => p.plateKey)) }));
  mount(router, parkEndpoints.findCar, async ({ params, query }) => ({ spaces: await parking.findCar(params.parkNumber, query.plate) }));
  router.get('/api/images/:token', async (ctx) => {
    const img = await parking.image(ctx.params.token!);
    ctx.set('cache-control', 'private, max-age=900');
    // A picture is only ever a picture: no sniffing it into something else, nothing in it may run or load.
    ctx.set('x-content-type-options', 'nosniff');
    ctx.set('content-security-policy', "default-src 'none'; img-src 'self'; style-src 'unsafe-inline'; sandbox");
    ctx.type = img.mime;
    ctx.body = img.data;
  });
}
