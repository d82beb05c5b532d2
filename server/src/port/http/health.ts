import Router from '@koa/router';

/** What /readyz says beyond the database ping, and whether it keeps the process out of rotation. */
export interface ReadinessDetails {
  /** False: answer 503 (this process cannot do its work), whatever the database says. */
  ready: boolean;
  /** Reported as they are: the engine, this process's jobs, the leases, the delivery queue. */
  body: Record<string, unknown>;
}

export interface HealthDeps {
  /** Resolves true when the database answers. */
  databaseReady: () => Promise<boolean>;
  /** False while the database is known to be down (no round trip). */
  databaseAvailable?: () => boolean;
  /** The fuller truth of /readyz (given whether the database answered). */
  readiness?: (databaseUp: boolean) => Promise<ReadinessDetails>;
}

/**
 * `/healthz`: the process is up (always 200; `degraded` while the database is down, which the process
 * rides out: the embedded engine is restarted, the driver reconnects) — cheap, no database round trip.
 * `/readyz`: ready for traffic — the database answers a ping (at once 503 while the embedded engine is down)
 * and this process's background jobs are running; it also reports the engine, the leases and how far the
 * delivery queue is behind (503 otherwise, with what is not ready).
 */
export function healthRouter(deps: HealthDeps): Router {
  const router = new Router();
  router.get('/healthz', (ctx) => {
    ctx.body = deps.databaseAvailable?.() === false ? { status: 'degraded', database: 'down' } : { status: 'ok' };
  });
  router.get('/readyz', async (ctx) => {
    const db = await deps.databaseReady();
    const details = deps.readiness
      ? await deps.readiness(db).catch((e: unknown) => ({ ready: db, body: { details: `not read: ${(e as Error).message}` } }))
      : undefined;
    const ready = db && (details?.ready ?? true);
    ctx.status = ready ? 200 : 503;
    ctx.set('cache-control', 'no-store');
    ctx.body = { status: ready ? 'ready' : 'unavailable', database: db ? 'up' : 'down', ...(details?.body ?? {}) };
  });
  return router;
}
