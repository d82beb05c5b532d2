import Router from '@koa/router';
import { Writable } from 'node:stream';
import request from 'supertest';
import { createApp } from '../../server/src/app';
import { AppError } from '../../server/src/core/errors';
import { createLogger } from '../../server/src/logger';
import { Database } from '../../server/src/repository/database';
import { testDatabaseUri } from '../support/db';

function setup(opts: { ready?: () => Promise<boolean>; routers?: Router[] } = {}) {
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
  const app = createApp({ logger, databaseReady: opts.ready ?? (async () => true), routers: opts.routers });
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
      throw new AppError('plate_limit', 'at most 5 plates', 409);
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
      throw new AppError('bad_sign', 'sign does not match', 401);
    });
    const res = await request(setup({ routers: [r] }).app.callback()).post('/bc').send({});
    expect(res.status).toBe(200);
    expect(res.body).toEqual({ status: 'fail', errorCode: 'bad_sign: sign does not match' });
  });
});
