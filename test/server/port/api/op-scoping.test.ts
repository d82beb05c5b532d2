/**
 * Role scoping of EVERY operator endpoint: the contracts are found by walking the exports of shared/api
 * (so endpoints added later are covered without touching this file) and called on the real server as
 * server.ts wires it:
 *  - without a session, with a driver's session, or with a made-up token: 401 unauthenticated;
 *  - an operator of park A naming park B in the path (`:parkNumber`) or in the query (`parkNumber`): 403
 *    forbidden_park, and the lot is never asked (its URL points nowhere);
 *  - the same operator naming park A, and an admin naming park B: never forbidden_park (the check is not a
 *    blanket refusal);
 *  - a refused change is audited as refused.
 */
import { randomBytes } from 'node:crypto';
import * as sharedApi from '../../../../shared/api';
import { pathParamNames, type EndpointDef } from '../../../../shared/api/contract';
import { loadConfig } from '../../../../server/src/config';
import { createLogger } from '../../../../server/src/logger';
import { startServer, type RunningServer } from '../../../../server/src/server';
import { testDatabaseUri } from '../../../support/db';

jest.setTimeout(60_000);

function isEndpoint(v: unknown): v is EndpointDef {
  const e = v as Partial<EndpointDef> | null;
  return typeof e === 'object' && e !== null && typeof e.method === 'string' && typeof e.path === 'string' && typeof e.auth === 'string' && 'response' in e;
}

/** Every endpoint exported by shared/api: exported directly, or as a value of an exported object. */
function allEndpoints(): { name: string; e: EndpointDef }[] {
  const out = new Map<EndpointDef, string>();
  for (const [exp, v] of Object.entries(sharedApi)) {
    if (isEndpoint(v)) out.set(v, exp);
    else if (v && typeof v === 'object' && !Array.isArray(v)) {
      for (const [k, inner] of Object.entries(v as Record<string, unknown>)) if (isEndpoint(inner) && !out.has(inner)) out.set(inner, `${exp}.${k}`);
    }
  }
  return [...out.entries()].map(([e, name]) => ({ name, e }));
}

const operatorEndpoints = allEndpoints().filter((x) => x.e.auth === 'operator');
const PARK_A = 'p_scope_a';
const PARK_B = 'p_scope_b';

function pathFor(e: EndpointDef, parkNumber: string): string {
  let p = e.path;
  for (const name of pathParamNames(e.path)) p = p.replace(`:${name}`, encodeURIComponent(name === 'parkNumber' ? parkNumber : '1'));
  return p;
}

let running: RunningServer;
const tokens: Record<'a' | 'admin' | 'driver', string> = { a: '', admin: '', driver: '' };

async function call(e: EndpointDef, parkNumber: string, token?: string, query: Record<string, string> = {}) {
  const qs = new URLSearchParams(query).toString();
  const res = await fetch(`${running.url}${pathFor(e, parkNumber)}${qs ? `?${qs}` : ''}`, {
    method: e.method,
    headers: { ...(token ? { authorization: `Bearer ${token}` } : {}), ...(e.method === 'POST' ? { 'content-type': 'application/json' } : {}) },
    body: e.method === 'POST' ? '{}' : undefined,
  });
  const text = await res.text();
  let code: string | undefined;
  try {
    code = (JSON.parse(text) as { error?: { code?: string } }).error?.code;
  } catch {
    code = undefined;
  }
  // No route at all: the contract is exported but nothing mounts it (server.ts).
  if ((res.status === 404 || res.status === 405) && code === undefined) code = 'NO ROUTE MOUNTED';
  return { status: res.status, code };
}

beforeAll(async () => {
  const nowhere = 'http://127.0.0.1:1';
  const config = loadConfig({
    PORT: '0',
    HOST: '127.0.0.1',
    MONGODB_URI: `${testDatabaseUri()}pp_scope_${randomBytes(3).toString('hex')}`,
    PARKPAY_MODE: 'demo',
    PARKPAY_PARKS: JSON.stringify([
      { parkNumber: PARK_A, key: 'scope-key-a', bluecardBaseUrl: nowhere },
      { parkNumber: PARK_B, key: 'scope-key-b', bluecardBaseUrl: nowhere },
    ]),
  }, undefined, { demoWithConfiguredKeys: true });
  // demo: false — no sandboxes; the demo-mode driver login still works (PARKPAY_MODE demo).
  running = await startServer(config, { logger: createLogger('silent'), demo: false });
  const ops = running.operators;
  await ops.createOperator('system', { username: 'scope-op-a', password: 'Pw-for-operator-A1', role: 'operator', parks: [PARK_A] });
  await ops.createOperator('system', { username: 'scope-admin', password: 'Pw-for-the-admin2', role: 'admin' });
  tokens.a = (await ops.login('scope-op-a', 'Pw-for-operator-A1')).token;
  tokens.admin = (await ops.login('scope-admin', 'Pw-for-the-admin2')).token;
  const d = await fetch(`${running.url}/api/auth/demo`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ name: 'scoper' }) });
  expect(d.status).toBe(200);
  tokens.driver = ((await d.json()) as { token: string }).token;
});
afterAll(async () => {
  await running?.database.connection.dropDatabase();
  await running?.stop();
});

describe('every operator contract in shared/api', () => {
  it('is found: the known ones are among them, every path is under /api/op/', () => {
    const paths = operatorEndpoints.map((x) => `${x.e.method} ${x.e.path}`);
    for (const known of [
      'GET /api/op/me',
      'GET /api/op/audit',
      'POST /api/op/parks/:parkNumber',
      'GET /api/op/parks/:parkNumber/lanes/:passagewayId/poster.pdf',
      'POST /api/op/parks/:parkNumber/lanes/:passagewayId/lift',
      'GET /api/op/parks/:parkNumber/spaces',
    ]) {
      expect(paths).toContain(known);
    }
    for (const x of operatorEndpoints) expect(`${x.name}: ${x.e.path}`).toMatch(/^[^:]+: \/api\/op\//);
    // Nothing under /api/op/ is reachable without operator auth, except the login.
    const open = allEndpoints().filter((x) => x.e.path.startsWith('/api/op/') && x.e.auth !== 'operator');
    expect(open.map((x) => `${x.e.method} ${x.e.path}`)).toEqual(['POST /api/op/auth/login']);
  });

  it('401 without a session, with a driver session, with a made-up token', async () => {
    const wrong: string[] = [];
    for (const { name, e } of operatorEndpoints) {
      for (const [who, token] of [['none', undefined], ['driver', tokens.driver], ['made-up', randomBytes(32).toString('base64url')]] as const) {
        const r = await call(e, PARK_A, token);
        if (r.status !== 401 || r.code !== 'unauthenticated') wrong.push(`${name} (${e.method} ${e.path}) as ${who}: ${r.status} ${r.code}`);
      }
    }
    expect(wrong).toEqual([]);
  });

  it("an operator of park A gets 403 forbidden_park for park B (path or query), never for park A; an admin never", async () => {
    const scoped = operatorEndpoints.filter((x) => pathParamNames(x.e.path).includes('parkNumber'));
    const byQuery = operatorEndpoints.filter((x) => !scoped.includes(x) && x.e.query && 'parkNumber' in x.e.query.shape);
    expect(scoped.length).toBeGreaterThanOrEqual(10);
    const wrong: string[] = [];
    for (const { name, e } of scoped) {
      const b = await call(e, PARK_B, tokens.a);
      if (b.status !== 403 || b.code !== 'forbidden_park') wrong.push(`${name} (${e.method} ${e.path}) on B: ${b.status} ${b.code}`);
      const a = await call(e, PARK_A, tokens.a);
      if (a.code === 'forbidden_park' || a.status === 401) wrong.push(`${name} on A: ${a.status} ${a.code}`);
      const admin = await call(e, PARK_B, tokens.admin);
      if (admin.code === 'forbidden_park' || admin.status === 401) wrong.push(`${name} on B as admin: ${admin.status} ${admin.code}`);
    }
    for (const { name, e } of byQuery) {
      const b = await call(e, '', tokens.a, { parkNumber: PARK_B });
      if (b.status !== 403 || b.code !== 'forbidden_park') wrong.push(`${name} (${e.method} ${e.path}?parkNumber=B): ${b.status} ${b.code}`);
      const a = await call(e, '', tokens.a, { parkNumber: PARK_A });
      if (a.code === 'forbidden_park') wrong.push(`${name}?parkNumber=A: ${a.status} ${a.code}`);
    }
    expect(wrong).toEqual([]);
  });

  it('refused changes to park B are in the audit log as refused', async () => {
    const res = await fetch(`${running.url}/api/op/audit?parkNumber=${PARK_B}&limit=200`, { headers: { authorization: `Bearer ${tokens.admin}` } });
    expect(res.status).toBe(200);
    const { entries } = (await res.json()) as { entries: { username: string; action: string; result: string; code: string | null }[] };
    const refusedPosts = operatorEndpoints.filter((x) => x.e.method !== 'GET' && pathParamNames(x.e.path).includes('parkNumber'));
    for (const { e } of refusedPosts) {
      expect(entries).toContainEqual(expect.objectContaining({ username: 'scope-op-a', action: `${e.method} ${e.path}`, result: 'error', code: 'forbidden_park' }));
    }
  });
});
