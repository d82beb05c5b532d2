/**
 * The contract helpers: defineEndpoint's checks (types and run time), buildPath / prepareRequest for the
 * mini-program, the inferred types, and the auth / me contracts themselves.
 */
import { z } from 'zod';
import {
  apiErrorOf,
  apiErrorSchema,
  authEndpoints,
  buildPath,
  buildQuery,
  defineEndpoint,
  meEndpoints,
  pathParamNames,
  prepareRequest,
  type ParsedRequestOf,
  type PathParamNames,
  type RequestOf,
  type ResponseOf,
} from '../../../shared/api';

/** Compile-time equality: `expectType<Equal<A, B>>(true)`. */
type Equal<A, B> = (<T>() => T extends A ? 1 : 2) extends <T>() => T extends B ? 1 : 2 ? true : false;
const expectType = <T extends true>(_ok: T) => undefined;

const getThing = defineEndpoint({
  method: 'GET',
  path: '/api/parks/:parkNumber/things/:thingId',
  auth: 'none',
  params: z.object({ parkNumber: z.string(), thingId: z.coerce.number().int() }),
  query: z.object({ limit: z.coerce.number().int().optional() }),
  response: z.object({ id: z.number(), name: z.string() }),
  errors: ['not_found'],
});

describe('defineEndpoint', () => {
  it('returns the definition as given, typed exactly', () => {
    expect(getThing.method).toBe('GET');
    expect(getThing.errors).toEqual(['not_found']);
    expectType<Equal<typeof getThing.method, 'GET'>>(true);
    expectType<Equal<typeof getThing.auth, 'none'>>(true);
    expectType<Equal<PathParamNames<'/api/a/:x/b/:y'>, 'x' | 'y'>>(true);
    expectType<Equal<PathParamNames<'/api/a'>, never>>(true);
  });

  it('infers what the client sends, what the handler gets, and what comes back', () => {
    expectType<Equal<RequestOf<typeof getThing>['params'], { parkNumber: string; thingId: unknown }>>(true);
    expectType<Equal<ParsedRequestOf<typeof getThing>['params'], { parkNumber: string; thingId: number }>>(true);
    expectType<Equal<ParsedRequestOf<typeof getThing>['body'], undefined>>(true);
    expectType<Equal<ResponseOf<typeof getThing>, { id: number; name: string }>>(true);
    expectType<Equal<RequestOf<typeof authEndpoints.wechat>['body'], { code: string }>>(true);
    expectType<Equal<ResponseOf<typeof authEndpoints.logout>, { ok: true }>>(true);
    expectType<Equal<ResponseOf<typeof meEndpoints.bindPlate>['plates'][number]['plateKey'], string>>(true);
  });

  it('refuses at compile time: params that do not match the path, a body on GET', () => {
    expect(() =>
      defineEndpoint({
        method: 'GET',
        path: '/api/x/:id',
        auth: 'none',
        // @ts-expect-error the path names :id, the schema names other
        params: z.object({ other: z.string() }),
        response: z.object({}),
      }),
    ).toThrow('params schema keys [other] must be the path params [id]');
    expect(() =>
      // @ts-expect-error :id but no params schema
      defineEndpoint({ method: 'GET', path: '/api/x/:id', auth: 'none', response: z.object({}) }),
    ).toThrow('must be the path params [id]');
    expect(() =>
      defineEndpoint({
        method: 'DELETE',
        path: '/api/x',
        auth: 'none',
        // @ts-expect-error only POST has a body
        body: z.object({ a: z.string() }),
        response: z.object({}),
      }),
    ).toThrow('only POST has a body');
  });

  it('refuses at run time what the types cannot see', () => {
    expect(() => defineEndpoint({ method: 'GET', path: '/x', auth: 'none', response: z.object({}) })).toThrow('must start with /api/');
    expect(() =>
      // @ts-expect-error (the types see this one too) no :params in the path
      defineEndpoint({ method: 'GET', path: '/api/x', auth: 'none', params: z.object({ extra: z.string() }), response: z.object({}) }),
    ).toThrow('must be the path params []');
  });

  it('lists path params in order', () => {
    expect(pathParamNames('/api/parks/:parkNumber/things/:thingId')).toEqual(['parkNumber', 'thingId']);
    expect(pathParamNames('/api/me')).toEqual([]);
  });
});

describe('buildPath, buildQuery, prepareRequest', () => {
  it('fills params in, URL-encoded (plates are Chinese)', () => {
    expect(buildPath(getThing, { parkNumber: 'p 1/2', thingId: 7 })).toBe('/api/parks/p%201%2F2/things/7');
    expect(buildPath(meEndpoints.unbindPlate, { plateKey: '京A12345' })).toBe('/api/me/plates/%E4%BA%ACA12345');
    expect(buildPath(meEndpoints.me)).toBe('/api/me');
  });

  it('throws on a missing param', () => {
    expect(() => buildPath(getThing, { parkNumber: 'p1' } as never)).toThrow('param thingId is missing');
    expect(() => buildPath(meEndpoints.unbindPlate, { plateKey: '' })).toThrow('param plateKey is missing');
  });

  it('builds queries without undefined values', () => {
    expect(buildQuery({ a: 1, b: undefined, c: '京 A' })).toBe('?a=1&c=%E4%BA%AC%20A');
    expect(buildQuery({})).toBe('');
    expect(buildQuery(undefined)).toBe('');
  });

  it('prepares a request: URL, bearer token when the endpoint wants a driver, JSON body', () => {
    expect(prepareRequest(authEndpoints.wechat, { body: { code: 'abc' } })).toEqual({
      method: 'POST',
      url: '/api/auth/wechat',
      headers: { accept: 'application/json', 'content-type': 'application/json' },
      body: '{"code":"abc"}',
    });
    expect(prepareRequest(meEndpoints.unbindPlate, { params: { plateKey: '京A12345' } }, 'tok')).toEqual({
      method: 'DELETE',
      url: '/api/me/plates/%E4%BA%ACA12345',
      headers: { accept: 'application/json', authorization: 'Bearer tok' },
    });
    expect(prepareRequest(getThing, { params: { parkNumber: 'p', thingId: 1 }, query: { limit: 5 } }).url).toBe('/api/parks/p/things/1?limit=5');
    expect(() => prepareRequest(meEndpoints.me, {})).toThrow("needs a driver's session token");
  });

  it('reads the one error shape', () => {
    expect(apiErrorOf({ error: { code: 'invalid_plate', message: 'no' } })).toEqual({ code: 'invalid_plate', message: 'no' });
    expect(apiErrorOf({ error: { code: 'validation_failed', message: 'x', details: [{ in: 'body', path: ['plate'], message: 'm' }] } })?.details).toHaveLength(1);
    expect(apiErrorOf({ ok: true })).toBeUndefined();
    expect(apiErrorSchema.safeParse({ error: { code: 1, message: 'x' } }).success).toBe(false);
  });
});

describe('the auth and me contracts', () => {
  const all = [...Object.values(authEndpoints), ...Object.values(meEndpoints)];

  it('have one endpoint per method and path, under /api/', () => {
    const keys = all.map((e) => `${e.method} ${e.path}`);
    expect(new Set(keys).size).toBe(keys.length);
    expect(keys.sort()).toEqual([
      'DELETE /api/me/plates/:plateKey',
      'GET /api/me',
      'GET /api/me/plates',
      'POST /api/auth/alipay',
      'POST /api/auth/demo',
      'POST /api/auth/logout',
      'POST /api/auth/wechat',
      'POST /api/me/plates',
    ]);
  });

  it('logins are open, everything else wants a driver', () => {
    expect(all.filter((e) => e.auth === 'none').map((e) => e.path).sort()).toEqual(['/api/auth/alipay', '/api/auth/demo', '/api/auth/wechat']);
  });

  it('check login codes, demo names and plates as typed', () => {
    expect(authEndpoints.wechat.body.safeParse({ code: ' 0a1b ' }).data).toEqual({ code: '0a1b' });
    expect(authEndpoints.wechat.body.safeParse({ code: '' }).success).toBe(false);
    expect(authEndpoints.wechat.body.safeParse({ code: 'x'.repeat(129) }).success).toBe(false);
    expect(authEndpoints.demo.body.safeParse({ name: '张三' }).success).toBe(true);
    expect(authEndpoints.demo.body.safeParse({ name: 'a b' }).success).toBe(false);
    expect(meEndpoints.bindPlate.body.safeParse({ plate: '京A 12345' }).success).toBe(true);
    expect(meEndpoints.bindPlate.body.safeParse({ plate: 12345 }).success).toBe(false);
  });

  it('a driver view carries masked provider ids only', () => {
    const view = {
      id: 'drv_1',
      createdAt: new Date(0).toISOString(),
      providers: { wechat: { maskedId: 'oAbc…wxyz' }, alipay: null },
      plates: [],
      wechatOpenId: 'oAbcdefghijklmnopqrstuvwxyz',
    };
    // Extra fields are dropped by the schema: the server sends what the contract parsed.
    expect(meEndpoints.me.response.parse(view)).not.toHaveProperty('wechatOpenId');
  });
});
