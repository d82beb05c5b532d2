import Router from '@koa/router';

export interface HealthDeps {
  /** Resolves true when the database answers. */
  databaseReady: () => Promise<boolean>;
}

/** `/healthz`: the process is up. `/readyz`: the database is reachable too (503 otherwise). */
export function healthRouter(deps: HealthDeps): Router {
  const router = new Router();
  router.get('/healthz', (ctx) => {
    ctx.body = { status: 'ok' };
  });
  router.get('/readyz', async (ctx) => {
    const db = await deps.databaseReady();
    ctx.status = db ? 200 : 503;
    ctx.body = { status: db ? 'ready' : 'unavailable', database: db ? 'up' : 'down' };
  });
  return router;
}
