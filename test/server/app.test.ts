import Router from '@koa/router';
import { Writable } from 'node:stream';
import request from 'supertest';
import { createApp, type AppDeps } from '../../server/src/app';
import { IdentityError } from '../../server/src/core/identity/errors';
import { HttpError } from '../../server/src/port/http/errors';
import { createLogger } from '../../server/src/logger';
import { Database } from '../../server/src/repository/database';
import { testDatabaseUri } from '../support/db';

function setup(opts: { ready?: () => Promise<boolean>; available?: () => boolean; routers?: Router[]; readiness?: AppDeps['readiness'] } = {}) {
  const lines: string[] = [];
  const logger = createLogger(
    'info',
    new Writable({
      write(c, _e, cb) {
        lines.push(c.toString());
        cb();
      },
    }),
  );
  const app = createApp({ logger, databaseReady: opts.ready ?? (async () => true), databaseAvailable: opts.available, routers: opts.routers, readiness: opts.readiness });
  return { app, lines };
}

describe('app skeleton', () => {
  it('serves /healthz', async () => {
    const res = await request(setup().app.callback()).get('/healthz');
    expect(res.status).toBe(200);
    expect(res.body).toEqual({ status: 'ok' });
  });

  it('serves /readyz from the real database, and 503 when it is down', async () => {
    const db = await Database.open({ uri: testDatabaseUri(), dbName: 'readyz', dataDir: '', cacheDir: '', log: () => {} });
    const { app } = setup({ ready: () => db.ping() });
    const up = await request(app.callback()).get('/readyz');
    expect(up.status).toBe(200);
    expect(up.body).toEqual({ status: 'ready', database: 'up' });
    await db.close();
    const down = await request(app.callback()).get('/readyz');
    expect(down.status).toBe(503);
    expect(down.body).toEqual({ status: 'unavailable', database: 'down' });
  });

  it('/readyz: 503 while the jobs are not running, whatever the database says; the details as they are', async () => {
    let running = true;
    const seen: boolean[] = [];
    const { app } = setup({
      readiness: async (db) => {
        seen.push(db);
        return { ready: running, body: { jobs: { running }, deliveryQueue: { undelivered: 2, behind: true } } };
      },
    });
    const ok = await request(app.callback()).get('/readyz');
    expect([ok.status, ok.body, ok.headers['cache-control']]).toEqual([200, { status: 'ready', database: 'up', jobs: { running: true }, deliveryQueue: { undelivered: 2, behind: true } }, 'no-store']);
    running = false;
    const stopped = await request(app.callback()).get('/readyz');
    expect([stopped.status, stopped.body]).toEqual([503, { status: 'unavailable', database: 'up', jobs: { running: false }, deliveryQueue: { undelivered: 2, behind: true } }]);
    expect(seen).toEqual([true, true]);
    // Details that cannot be read do not make a ready process unready, nor a down database ready.
    const failing = setup({ readiness: () => Promise.reject(new Error('boom')) }).app;
    expect((await request(failing.callback()).get('/readyz')).body).toEqual({ status: 'ready', database: 'up', details: 'not read: boom' });
    const down = setup({ ready: async () => false, readiness: async () => ({ ready: true, body: {} }) }).app;
    expect((await request(down.callback()).get('/readyz')).status).toBe(503);
    // /healthz stays cheap: it never asks.
    seen.length = 0;
    expect((await request(app.callback()).get('/healthz')).status).toBe(200);
    expect(seen).toEqual([]);
  });

  it('echoes a sane request id, makes one otherwise, and logs each request', async () => {
    const { app, lines } = setup();
    const given = await request(app.callback()).get('/healthz').set('x-request-id', 'abc-123');
    expect(given.headers['x-request-id']).toBe('abc-123');
    const made = await request(app.callback()).get('/healthz').set('x-request-id', 'bad id with spaces <script>');
    expect(made.headers['x-request-id']).toMatch(/^[0-9a-f-]{36}$/);
    const logged = lines.map((l) => JSON.parse(l)).filter((l) => l.msg === 'request');
    expect(logged).toEqual([
      expect.objectContaining({ reqId: 'abc-123', method: 'GET', path: '/healthz', status: 200 }),
      expect.objectContaining({ reqId: made.headers['x-request-id'], status: 200 }),
    ]);
  });

  it('answers unknown routes with a coded 404', async () => {
    const res = await request(setup().app.callback()).get('/nope');
    expect(res.status).toBe(404);
    expect(res.body.error.code).toBe('not_found');
  });

  it('maps AppError to its status and hides internals of unexpected errors', async () => {
    const r = new Router();
    r.get('/coded', () => {
      throw new IdentityError('plate_limit', 'at most 5 plates');
    });
    r.get('/boom', () => {
      throw new Error('db password is hunter2');
    });
    const { app, lines } = setup({ routers: [r] });
    const coded = await request(app.callback()).get('/coded');
    expect(coded.status).toBe(409);
    expect(coded.body).toEqual({ error: { code: 'plate_limit', message: 'at most 5 plates' } });
    const boom = await request(app.callback()).get('/boom');
    expect(boom.status).toBe(500);
    expect(boom.body).toEqual({ error: { code: 'internal', message: 'internal error' } });
    expect(JSON.stringify(boom.body)).not.toContain('hunter2');
    expect(lines.some((l) => l.includes('unhandled error'))).toBe(true);
  });

  it('answers in the Bluecard envelope, HTTP 200, on routes that say so', async () => {
    const r = new Router();
    r.use(async (ctx, next) => {
      ctx.state.protocol = 'bluecard';
      await next();
    });
    r.post('/bc', () => {
      throw new HttpError('bad_sign', 'sign does not match', 401);
    });
    const res = await request(setup({ routers: [r] }).app.callback()).post('/bc').send({});
    expect(res.status).toBe(200);
    expect(res.body).toEqual({ status: 'fail', errorCode: 'bad_sign: sign does not match' });
  });

  describe('while the database is down', () => {
    let up = false;
    const reached: string[] = [];
    const r = new Router();
    r.all(/^\/(api|notify|bluecard)\/.*/, (ctx) => {
      reached.push(ctx.path);
      ctx.body = { reached: true };
    });
    r.get('/index.html', (ctx) => {
      ctx.body = 'app';
    });
    const { app } = setup({ available: () => up, ready: async () => up, routers: [r] });
    beforeEach(() => {
      up = false;
      reached.length = 0;
    });

    it('answers what needs it with 503 database_unavailable before any handler runs', async () => {
      for (const p of ['/api/me', '/notify/wechatpay']) {
        const res = await request(app.callback()).post(p).send({});
        expect(res.status).toBe(503);
        expect(res.headers['retry-after']).toBe('1');
        expect(res.body).toEqual({ error: { code: 'database_unavailable', message: 'database unavailable' } });
      }
      const bc = await request(app.callback()).post('/bluecard/v2/heartbeat').send({});
      expect(bc.status).toBe(200);
      expect(bc.body).toEqual({ status: 'fail', errorCode: 'database_unavailable: database unavailable' });
      expect(reached).toEqual([]);
      // The H5 app's files and the health checks do not need it.
      expect((await request(app.callback()).get('/index.html')).text).toBe('app');
      expect((await request(app.callback()).get('/healthz')).body).toEqual({ status: 'degraded', database: 'down' });
      expect((await request(app.callback()).get('/readyz')).status).toBe(503);
    });

    it('lets everything through again when it is back', async () => {
      up = true;
      expect((await request(app.callback()).post('/api/me').send({})).body).toEqual({ reached: true });
      expect((await request(app.callback()).get('/healthz')).body).toEqual({ status: 'ok' });
      expect(reached).toEqual(['/api/me']);
    });
  });

  it('answers a driver error that says the database is unreachable with 503 database_unavailable', async () => {
    const r = new Router();
    r.get('/api/lost', () => {
      const e = new Error('Server selection timed out after 3000 ms');
      e.name = 'MongoServerSelectionError';
      throw e;
    });
    r.get('/api/wrapped', () => {
      const cause = new Error('connection 3 to 127.0.0.1:40000 closed');
      cause.name = 'MongoNetworkError';
      throw new Error('recording the payment failed', { cause });
    });
    const { app, lines } = setup({ routers: [r] });
    for (const p of ['/api/lost', '/api/wrapped']) {
      const res = await request(app.callback()).get(p);
      expect(res.status).toBe(503);
      expect(res.body).toEqual({ error: { code: 'database_unavailable', message: 'database unavailable' } });
    }
    expect(lines.filter((l) => l.includes('unhandled error'))).toEqual([]);
  });
});
