/**
 * GET /api/parks/:parkNumber, GET /api/parks, GET /api/me/parks, GET /api/me/stays,
 * GET /api/parks/:parkNumber/find-car, GET /api/me/find-car (shared/api/parks.ts),
 * and GET /api/images/:token, the entry pictures behind signed, short-lived links (no session header:
 * an <image src> cannot send one; the link itself is the permission).
 */
import type Router from '@koa/router';
import type { Context } from 'koa';
import { parkEndpoints } from '../../../../shared/api/parks';
import { AppError } from '../../core/errors';
import { HttpError } from '../http/errors';
import type { ParkingService } from '../../core/parking/service';
import { RateLimiter, type BucketRule } from '../../core/rate-limit';
import { mount } from './mount';

/** Look-ups of cars: per driver and per client address (a driver may be many accounts, an address many drivers). */
export const LOOKUP_LIMITS = {
  findDriver: { perMinute: 10, burst: 10 },
  findAddress: { perMinute: 30, burst: 30 },
  staysDriver: { perMinute: 30, burst: 20 },
  staysAddress: { perMinute: 120, burst: 60 },
  confirmDriver: { perMinute: 5, burst: 5 },
  confirmAddress: { perMinute: 20, burst: 20 },
} satisfies Record<string, BucketRule>;

export interface ParkRouteOptions {
  limits?: Partial<Record<keyof typeof LOOKUP_LIMITS, BucketRule>>;
  /** Real time (the buckets' clock). */
  now?: () => number;
}

export function mountParkRoutes(router: Router, parking: ParkingService, opts: ParkRouteOptions = {}): void {
  const limiter = new RateLimiter({ ...LOOKUP_LIMITS, ...opts.limits }, opts.now);
  const limit = (ctx: Context, driverId: string, what: 'find' | 'stays' | 'confirm') => {
    const r = limiter.take([
      [`${what}Driver`, driverId],
      [`${what}Address`, ctx.ip],
    ]);
    if (!r.ok) {
      ctx.set('retry-after', String(r.retryAfterSeconds));
      throw new HttpError('too_many_requests', `too many look-ups; try again in ${r.retryAfterSeconds} s`, 429, { retryAfterSeconds: r.retryAfterSeconds });
    }
  };
  mount(router, parkEndpoints.park, async ({ params }) => parking.view(params.parkNumber));
  mount(router, parkEndpoints.myStays, async ({ driver, ctx }) => {
    limit(ctx, driver.id, 'stays');
    return { stays: await parking.myStays(driver.id, driver.plates.map((p) => p.plateKey)) };
  });
  mount(router, parkEndpoints.findCar, async ({ driver, params, query, ctx }) => {
    limit(ctx, driver.id, 'find');
    return parking.findCar(driver.id, params.parkNumber, query.plate);
  });
  mount(router, parkEndpoints.confirmPlate, async ({ driver, params, body, ctx }) => {
    limit(ctx, driver.id, 'confirm');
    try {
      return await parking.confirmPlate(driver.id, params.parkNumber, body);
    } catch (e) {
      const wait = e instanceof AppError ? (e.details as { retryAfterSeconds?: number } | undefined)?.retryAfterSeconds : undefined;
      if (wait) ctx.set('retry-after', String(wait));
      throw e;
    }
  });
  mount(router, parkEndpoints.list, async ({ query }) => ({ parks: await parking.list(query.q, query.limit) }));
  mount(router, parkEndpoints.recent, async ({ driver }) => ({ parks: await parking.recent(driver.id, driver.plates.map((p) => p.plateKey)) }));
  // One look-up however many parks it asks: only the driver's own parks, each as find-car does there.
  mount(router, parkEndpoints.findMyCar, async ({ driver, query, ctx }) => {
    limit(ctx, driver.id, 'find');
    return { plate: query.plate, results: await parking.findMyCar(driver.id, query.plate, driver.plates.map((p) => p.plateKey)) };
  });
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
