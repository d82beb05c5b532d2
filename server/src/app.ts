/**
 * The Koa app factory: testable without listening (supertest takes app.callback()).
 * Order: request id + logging → metrics → the one error middleware → the database gate → routers.
 */
import Koa from 'koa';
import type Router from '@koa/router';
import type { Clock } from './core/clock';
import type { Logger } from './logger';
import type { Metrics } from './metrics';
import { httpMetrics } from './port/http/metrics-route';
import { databaseGate, errorHandler, requestContext, type AppState } from './port/http/middleware';
import { healthRouter, type HealthDeps } from './port/http/health';

export interface AppDeps {
  logger: Logger;
  databaseReady: () => Promise<boolean>;
  /** False while the database is known to be down: requests that need it get 503 at once. */
  databaseAvailable?: () => boolean;
  /** Further routers (Bluecard callbacks, payment notifications, the app API), mounted in order. */
  routers?: Router[];
  /**
   * Proxies in front of us that append to X-Forwarded-For (0, the default: none; the peer is the client).
   * Only then is the header believed — a client could write any address into it.
   */
  trustProxyHops?: number;
  /**
   * Our clock: app API answers carry it (`x-server-time`, ms), so the app counts down to the times we send
   * (leave by…) from our now, not the phone's (a phone's clock may be off; demo mode's runs ahead).
   */
  clock?: Clock;
  /** The fuller truth of /readyz (port/http/health.ts). */
  readiness?: HealthDeps['readiness'];
  /** Request durations and rate-limit refusals are counted here. */
  metrics?: Metrics;
}

export const SERVER_TIME_HEADER = 'x-server-time';

export function createApp(deps: AppDeps): Koa<AppState> {
  const app = new Koa<AppState>();
  const hops = deps.trustProxyHops ?? 0;
  app.proxy = hops > 0;
  app.maxIpsCount = hops;
  app.silent = true; // errors are logged by errorHandler, not by koa's default printer
  app.use(requestContext(deps.logger));
  const clock = deps.clock;
  if (clock) {
    app.use(async (ctx, next) => {
      if (ctx.path.startsWith('/api/')) ctx.set(SERVER_TIME_HEADER, String(clock.now()));
      await next();
    });
  }
  // Outside the error middleware: the status and body it sets are what is counted.
  if (deps.metrics) app.use(httpMetrics(deps.metrics));
  app.use(errorHandler());
  if (deps.databaseAvailable) app.use(databaseGate(deps.databaseAvailable));
  for (const r of [healthRouter({ databaseReady: deps.databaseReady, databaseAvailable: deps.databaseAvailable, readiness: deps.readiness }), ...(deps.routers ?? [])]) {
    app.use(r.routes());
    app.use(r.allowedMethods());
  }
  return app;
}
