/**
 * The OpenAPI 3.1 document at /api/openapi.json names every route the server mounts (app API from its
 * contracts, the Bluecard inbound URLs with their spec sections, notify URLs, health), with schemas zod made;
 * /api/docs renders it.
 */
import { loadConfig } from '../../../../server/src/config';
import { createLogger } from '../../../../server/src/logger';
import { UP_ROUTES, BLUECARD_PREFIX } from '../../../../server/src/port/bluecard/router';
import { openApiPath, undocumentedRoutes } from '../../../../server/src/port/http/openapi';
import { startServer, type RunningServer } from '../../../../server/src/server';
import { testDatabaseUri } from '../../../support/db';

jest.setTimeout(60_000);

let server: RunningServer;
let doc: { openapi: string; paths: Record<string, Record<string, Record<string, unknown>>>; components: Record<string, Record<string, unknown>> };
beforeAll(async () => {
  server = await startServer(
    loadConfig(
      {
        PORT: '0',
        MONGODB_URI: `${testDatabaseUri()}pp_openapi_${Date.now()}`,
        PARKPAY_DEMO_BLUECARD_PORT: '0',
        PARKPAY_DEMO_WECHAT_LOGIN_PORT: '0',
        PARKPAY_DEMO_WECHATPAY_PORT: '0',
        PARKPAY_DEMO_ALIPAY_PORT: '0',
      },
      undefined,
      { demoWithConfiguredKeys: true },
    ),
    { logger: createLogger('silent') },
  );
  const res = await fetch(`${server.url}/api/openapi.json`);
  expect(res.status).toBe(200);
  doc = (await res.json()) as typeof doc;
});
afterAll(async () => {
  await server?.database.connection.dropDatabase().catch(() => undefined);
  await server?.stop();
});

it('is OpenAPI 3.1 and names every mounted route', () => {
  expect(doc.openapi).toBe('3.1.0');
  expect(server.routes.length).toBeGreaterThan(100);
  expect(undocumentedRoutes(server.routes, doc)).toEqual([]);
});

it('would say which route is missing', () => {
  expect(undocumentedRoutes([...server.routes, { method: 'POST', path: '/api/op/parks/:parkNumber/not-documented' }], doc)).toEqual([
    'POST /api/op/parks/:parkNumber/not-documented',
  ]);
});

it('documents each Bluecard URL with its spec section, request and answer', () => {
  for (const [path, section] of Object.entries(UP_ROUTES)) {
    const op = doc.paths[`${BLUECARD_PREFIX}${path}`]!.post!;
    expect(op['x-bluecard-section']).toBe(section);
    expect(op.summary).toMatch(new RegExp(`^§${section.replace('.', '\\.')} `));
    expect(op.requestBody).toMatchObject({ content: { 'application/json': { schema: { type: 'object' } } } });
  }
  // 4.2's request: the entry records and their fields, as zod says.
  const entry = doc.paths['/bluecard/v2/in-records']!.post!.requestBody as { content: { 'application/json': { schema: { properties: Record<string, unknown> } } } };
  expect(Object.keys(entry.content['application/json'].schema.properties)).toEqual(expect.arrayContaining(['parkNumber', 'datas']));
});

it('the app API: params, query, body and answer from the contracts; auth and error codes declared', () => {
  const prepay = doc.paths['/api/fees/prepay']!.post!;
  expect(prepay.security).toEqual([{ driverSession: [] }]);
  expect(JSON.stringify(prepay.requestBody)).toContain('"plate"');
  expect(JSON.stringify((prepay.responses as Record<string, unknown>)['200'])).toContain('payFen');
  const lanes = doc.paths[openApiPath('/api/op/parks/:parkNumber/lanes/:passagewayId/qr.png')]!.get!;
  expect(lanes.parameters).toEqual(expect.arrayContaining([expect.objectContaining({ name: 'parkNumber', in: 'path', required: true }), expect.objectContaining({ name: 'size', in: 'query' })]));
  expect(Object.keys((lanes.responses as Record<string, { content: object }>)['200']!.content)).toEqual(['image/png']);
  const codes = ((lanes.responses as Record<string, Record<string, unknown>>).default!['x-error-codes'] as string[]);
  expect(codes).toEqual(expect.arrayContaining(['unauthenticated', 'forbidden_park', 'validation_failed']));
  // Every operation has a unique id, and every $ref resolves.
  const ids = Object.values(doc.paths).flatMap((ops) => Object.values(ops).map((o) => o.operationId));
  expect(new Set(ids).size).toBe(ids.length);
  for (const ref of JSON.stringify(doc).match(/"\$ref":"#\/components\/schemas\/(\w+)"/g) ?? []) {
    expect(doc.components.schemas).toHaveProperty(/schemas\/(\w+)"/.exec(ref)![1]!);
  }
  // Path params are declared for every {name} of a path.
  for (const [path, ops] of Object.entries(doc.paths)) {
    const names = [...path.matchAll(/\{(\w+)\}/g)].map((m) => m[1]);
    for (const op of Object.values(ops)) {
      const declared = ((op.parameters as { name: string; in: string }[]) ?? []).filter((p) => p.in === 'path').map((p) => p.name);
      expect([path, declared.sort()]).toEqual([path, [...names].sort()]);
    }
  }
});

it('/api/docs renders the reference', async () => {
  const res = await fetch(`${server.url}/api/docs`);
  expect(res.status).toBe(200);
  expect(res.headers.get('content-type')).toMatch(/^text\/html/);
  const html = await res.text();
  for (const path of Object.keys(doc.paths)) expect(html).toContain(`<code>${path.replace(/&/g, '&amp;')}</code>`);
  expect(html).toContain('§4.27');
  expect(html).not.toContain('<script');
});
