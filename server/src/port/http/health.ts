import Router from '@koa/router';

export interface HealthDeps {
  /** Resolves true when the database answers. */
  databaseReady: () => Promise<boolean>;
  /** False while the database is known to be down (no round trip). */
  databaseAvailable?: () => boolean;
}

/**
 * `/healthz`: the process is up (always 200; `degraded` while the database is down, which the process
 * rides out: the embedded engine is restarted, the driver reconnects). `/readyz`: the database answers a
 * ping too (503 otherwise; at once while the embedded engine is down).
 */
export function healthRouter(deps: HealthDeps): Router {
  const router = new Router();
  router.get('/healthz', (ctx) => {
    ctx.body = deps.databaseAvailable?.() === false ? { status: 'degraded', database: 'down' } : { status: 'ok' };
  });
  router.get('/readyz', async (ctx) => {
    const db = await deps.databaseReady();
    ctx.status = db ? 200 : 503;
    ctx.body = { status: db ? 'ready' : 'unavailable', database: db ? 'up' : 'down' };
  });
  return router;
}
