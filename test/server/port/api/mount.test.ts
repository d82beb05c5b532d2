/**
 * mount(): a contract on a real Koa app over HTTP — auth, JSON body, params/query/body validation with the
 * zod issues in `details`, the answer checked (and stripped) against the contract, coded errors, logs.
 */
import Router from '@koa/router';
import { Writable } from 'node:stream';
import request from 'supertest';
import { z } from 'zod';
import { defineEndpoint } from '../../../../shared/api/contract';
import { createApp } from '../../../../server/src/app';
import { HttpError } from '../../../../server/src/port/http/errors';
import type { Driver } from '../../../../server/src/core/identity';
import { createLogger } from '../../../../server/src/logger';
import { createApiRouter, driverAuth, mount, type ApiState, type DriverAuthenticator } from '../../../../server/src/port/api';

const TOKEN = 'A'.repeat(43);
const alice: Driver = { id: 'drv_alice', createdAt: new Date(0), plates: [], wechatOpenId: 'oAliceAliceAliceAliceAlice00' };
const auth: DriverAuthenticator = { authenticate: async (t) => (t === TOKEN ? alice : undefined) };

const echo = defineEndpoint({
  method: 'POST',
  path: '/api/test/things/:kind',
  auth: 'driver',
  params: z.object({ kind: z.enum(['a', '京']) }),
  query: z.object({ n: z.coerce.number().int().min(1).optional() }),
  body: z.object({ name: z.string().min(1), count: z.number().int() }),
  response: z.object({ kind: z.string(), n: z.number().nullable(), name: z.string(), driverId: z.string() }),
  errors: ['thing_taken'],
});
const open = defineEndpoint({ method: 'GET', path: '/api/test/open', auth: 'none', response: z.object({ ok: z.boolean() }) });
const misfit = defineEndpoint({ method: 'GET', path: '/api/test/misfit', auth: 'none', response: z.object({ amountFen: z.number().int() }) });
const leaky = defineEndpoint({ method: 'GET', path: '/api/test/leaky', auth: 'none', response: z.object({ id: z.string() }) });
const coded = defineEndpoint({
  method: 'GET',
  path: '/api/test/coded/:which',
  auth: 'none',
  params: z.object({ which: z.string() }),
  response: z.object({}),
  errors: ['thing_taken'],
});

function setup() {
  const lines: string[] = [];
  const logger = createLogger('trace', new Writable({ write: (c, _e, cb) => (lines.push(c.toString()), cb()) }));
  const router = createApiRouter(auth);
  mount(router, echo, async ({ params, query, body, driver }) => {
    if (body.name === 'taken') throw new HttpError('thing_taken', 'taken', 409);
    return { kind: params.kind, n: query.n ?? null, name: body.name, driverId: driver.id };
  });
  mount(router, open, async ({ driver }) => ({ ok: driver === undefined }));
  mount(router, misfit, async () => ({ amountFen: '12.50' }) as never);
  mount(router, leaky, async () => ({ id: 'x', wechatOpenId: 'oSECRETopenid', sessionKey: 'k' }) as never);
  mount(router, coded, async ({ params }) => {
    throw new HttpError(params.which, 'no', 409);
  });
  // A hand-written route with the middleware.
  const manual = new Router();
  manual.get('/api/test/manual', driverAuth(auth), (ctx) => {
    ctx.body = { driverId: (ctx.state as ApiState).driver!.id };
  });
  const app = createApp({ logger, databaseReady: async () => true, routers: [router, manual] });
  return { http: request(app.callback()), lines, logs: () => lines.map((l) => JSON.parse(l) as Record<string, unknown>) };
}

const bearer = { authorization: `Bearer ${TOKEN}` };

describe('mount', () => {
  it('passes parsed params, query, body and the driver to the handler; answers 200 JSON, not cached', async () => {
    const { http } = setup();
    const res = await http.post('/api/test/things/a?n=3').set(bearer).send({ name: 'x', count: 1 });
    expect(res.status).toBe(200);
    expect(res.body).toEqual({ kind: 'a', n: 3, name: 'x', driverId: 'drv_alice' });
    expect(res.headers['cache-control']).toBe('no-store');
    expect(res.headers['content-type']).toMatch(/^application\/json/);
  });

  it('decodes URL-encoded path params (plates are Chinese)', async () => {
    const res = await setup().http.post(`/api/test/things/${encodeURIComponent('京')}`).set(bearer).send({ name: 'x', count: 1 });
    expect(res.status).toBe(200);
    expect(res.body.kind).toBe('京');
  });

  it('400 validation_failed with every zod issue: where, path, message', async () => {
    const res = await setup().http.post('/api/test/things/zz?n=0').set(bearer).send({ name: '', extra: true });
    expect(res.status).toBe(400);
    expect(res.body.error.code).toBe('validation_failed');
    expect(res.body.error.message).toMatch(/^params\.kind: /);
    expect(res.body.error.details).toEqual([
      { in: 'params', path: ['kind'], message: expect.any(String) },
      { in: 'query', path: ['n'], message: expect.any(String) },
      { in: 'body', path: ['name'], message: expect.any(String) },
      { in: 'body', path: ['count'], message: expect.any(String) },
    ]);
  });

  it('a POST without a body is validated like an empty one', async () => {
    const res = await setup().http.post('/api/test/things/a').set(bearer);
    expect(res.status).toBe(400);
    expect(res.body.error.code).toBe('validation_failed');
  });

  it('401 unauthenticated without a live bearer token, before looking at the body', async () => {
    const { http } = setup();
    for (const headers of [{}, { authorization: TOKEN }, { authorization: 'Basic abc' }, { authorization: `Bearer ${'B'.repeat(43)}` }]) {
      const res = await http.post('/api/test/things/zz').set(headers).send('{not json');
      expect(res.status).toBe(401);
      expect(res.body.error.code).toBe('unauthenticated');
      expect(res.headers['www-authenticate']).toBe('Bearer realm="parkpay"');
    }
    expect((await http.post('/api/test/things/a').set({ authorization: `bearer  ${TOKEN}` }).send({ name: 'x', count: 1 })).status).toBe(200);
  });

  it('auth none: no driver, and a token is not needed', async () => {
    const res = await setup().http.get('/api/test/open');
    expect(res.body).toEqual({ ok: true });
  });

  it('bad JSON 400, a body over 64 KB 413, a form post 415', async () => {
    const { http } = setup();
    const bad = await http.post('/api/test/things/a').set(bearer).set('content-type', 'application/json').send('{"name":');
    expect(bad.status).toBe(400);
    expect(bad.body.error.code).toBe('bad_json');
    const big = await http.post('/api/test/things/a').set(bearer).send({ name: 'x'.repeat(70 * 1024), count: 1 });
    expect(big.status).toBe(413);
    expect(big.body.error.code).toBe('body_too_large');
    const form = await http.post('/api/test/things/a').set(bearer).type('form').send('name=x&count=1');
    expect(form.status).toBe(415);
    expect(form.body.error.code).toBe('unsupported_media_type');
  });

  it('an answer that does not fit the contract is our bug: 500, logged without values', async () => {
    const { http, logs } = setup();
    const res = await http.get('/api/test/misfit');
    expect(res.status).toBe(500);
    expect(res.body).toEqual({ error: { code: 'internal', message: 'internal error' } });
    const line = logs().find((l) => l.msg === 'our answer does not fit the contract')!;
    expect(line).toMatchObject({ level: 50, endpoint: 'GET /api/test/misfit', issues: [{ path: 'amountFen', message: expect.any(String) }] });
    expect(JSON.stringify(line)).not.toContain('12.50');
  });

  it('sends the answer as the contract parsed it: fields it does not name never leave', async () => {
    const res = await setup().http.get('/api/test/leaky');
    expect(res.body).toEqual({ id: 'x' });
    expect(res.text).not.toContain('oSECRETopenid');
  });

  it('answers AppError codes; warns about codes the contract does not declare', async () => {
    const { http, logs } = setup();
    const declared = await http.get('/api/test/coded/thing_taken');
    expect(declared.status).toBe(409);
    expect(declared.body).toEqual({ error: { code: 'thing_taken', message: 'no' } });
    expect(logs().filter((l) => l.msg === 'answered an error code the contract does not declare')).toEqual([]);
    const undeclared = await http.get('/api/test/coded/surprise');
    expect(undeclared.status).toBe(409);
    expect(logs().find((l) => l.msg === 'answered an error code the contract does not declare')).toMatchObject({
      level: 40,
      endpoint: 'GET /api/test/coded/:which',
      code: 'surprise',
    });
  });

  it('refuses at boot to mount a driver endpoint on a router nobody authenticates on', () => {
    expect(() => mount(new Router(), echo, async () => ({ kind: '', n: null, name: '', driverId: '' }))).toThrow(/needs withDriverAuth/);
    // auth 'none' is fine anywhere.
    expect(() => mount(new Router(), open, async () => ({ ok: true }))).not.toThrow();
  });

  it('driverAuth(): the same 401 for hand-written routes, ctx.state.driver otherwise', async () => {
    const { http } = setup();
    expect((await http.get('/api/test/manual')).status).toBe(401);
    expect((await http.get('/api/test/manual').set(bearer)).body).toEqual({ driverId: 'drv_alice' });
  });

  it('other routes are untouched: unknown API paths are 404 not_found', async () => {
    const res = await setup().http.get('/api/test/nothing-here');
    expect(res.status).toBe(404);
    expect(res.body.error.code).toBe('not_found');
  });
});
