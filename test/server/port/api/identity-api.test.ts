/**
 * The identity part of the app API over HTTP, on the real database, logging in through the real WeChat and
 * Alipay sandboxes on 127.0.0.1: every login and its refusals, sessions (hash only, logout, expiry), the
 * `me` endpoints seen by a second driver, plates, concurrent first logins, and no secret in any log line.
 */
import { Writable } from 'node:stream';
import request from 'supertest';
import { meEndpoints, buildPath } from '../../../../shared/api';
import { AlipayAdapter } from '../../../../server/src/adapter/alipay';
import { WechatLoginClient } from '../../../../server/src/adapter/wechat-login';
import { createApp } from '../../../../server/src/app';
import { ManualClock } from '../../../../server/src/core/clock';
import { IdentityService, hashSessionToken, type IdentityDeps } from '../../../../server/src/core/identity';
import { createLogger } from '../../../../server/src/logger';
import { apiRouter, maskId } from '../../../../server/src/port/api';
import { MongoDriverRepository, MongoSessionRepository } from '../../../../server/src/repository/drivers';
import { startAlipaySandbox, type AlipaySandbox } from '../../../../server/sandbox/alipay';
import { startWechatLoginSandbox, type WechatLoginSandbox } from '../../../../server/sandbox/wechat-login';
import { openTestDatabase, type TestDatabase } from '../../../support/db';

const DAY = 24 * 60 * 60 * 1000;
const WX_SECRET = 'wx-secret-for-api-test-7c1d93ab';

let db: TestDatabase;
let wx: WechatLoginSandbox;
let ali: AlipaySandbox;
let drivers: MongoDriverRepository;
let sessions: MongoSessionRepository;
const clock = new ManualClock(Date.now());
/** Every log line of every app in this file (checked for secrets at the end). */
const lines: string[] = [];
/** Every token and code handed out in this file. */
const tokens: string[] = [];
const codes: string[] = [];

function app(over: Partial<IdentityDeps> = {}) {
  const logger = createLogger('trace', new Writable({ write: (c, _e, cb) => (lines.push(c.toString()), cb()) }));
  const identity = new IdentityService({
    drivers,
    sessions,
    clock,
    wechat: new WechatLoginClient(wx.app, { timeoutMs: 2_000 }),
    alipay: new AlipayAdapter(ali.app, { timeoutMs: 2_000 }),
    ...over,
  });
  return request(createApp({ logger, databaseReady: async () => true, routers: [apiRouter({ identity })] }).callback());
}
let api: ReturnType<typeof app>;

const wxCode = (user: string) => {
  const c = wx.issueCode(user);
  codes.push(c);
  return c;
};
const aliCode = (user: string) => {
  const c = ali.issueAuthCode(user);
  codes.push(c);
  return c;
};

async function loginWechat(user: string, http = api) {
  const res = await http.post('/api/auth/wechat').send({ code: wxCode(user) });
  expect(res.status).toBe(200);
  tokens.push(res.body.token);
  return res.body as { token: string; expiresAt: string; driver: { id: string; plates: unknown[] } };
}
const as = (token: string) => ({ authorization: `Bearer ${token}` });

beforeAll(async () => {
  db = await openTestDatabase('identityapi');
  [wx, ali] = await Promise.all([startWechatLoginSandbox({ appSecret: WX_SECRET }), startAlipaySandbox()]);
  drivers = new MongoDriverRepository(db.connection);
  sessions = new MongoSessionRepository(db.connection);
  await Promise.all([drivers.init(), sessions.init()]);
  api = app();
});
afterAll(async () => {
  await Promise.all([wx.stop(), ali.stop()]);
  await db.dispose();
});

describe('POST /api/auth/wechat', () => {
  it('logs in through code2Session: a token and the driver, provider ids masked', async () => {
    const res = await api.post('/api/auth/wechat').send({ code: wxCode('zhang') });
    expect(res.status).toBe(200);
    tokens.push(res.body.token);
    expect(res.headers['cache-control']).toBe('no-store');
    expect(res.body).toEqual({
      token: expect.stringMatching(/^[A-Za-z0-9_-]{43}$/),
      expiresAt: new Date(clock.now() + 30 * DAY).toISOString(),
      driver: {
        id: expect.stringMatching(/^drv_/),
        createdAt: new Date(clock.now()).toISOString(),
        providers: { wechat: { maskedId: maskId(wx.openIdOf('zhang')) }, alipay: null },
        plates: [],
      },
    });
    expect(res.text).not.toContain(wx.openIdOf('zhang'));
    const again = await loginWechat('zhang');
    expect(again.driver.id).toBe(res.body.driver.id);
  });

  it('an invalid or reused code is 400 invalid_code', async () => {
    const bad = await api.post('/api/auth/wechat').send({ code: '0a1B2c3D4e5F6g7H8i9J0k1L2m3N4o5P' });
    expect(bad.status).toBe(400);
    expect(bad.body.error.code).toBe('invalid_code');
    const code = wxCode('zhang');
    expect((await api.post('/api/auth/wechat').send({ code })).status).toBe(200);
    const reused = await api.post('/api/auth/wechat').send({ code });
    expect(reused.status).toBe(400);
    expect(reused.body.error.code).toBe('invalid_code');
  });

  it('a missing or malformed code is 400 validation_failed', async () => {
    for (const body of [{}, { code: '' }, { code: 42 }]) {
      const res = await api.post('/api/auth/wechat').send(body);
      expect(res.status).toBe(400);
      expect(res.body.error.code).toBe('validation_failed');
      expect(res.body.error.details[0]).toMatchObject({ in: 'body', path: ['code'] });
    }
  });

  it('a wrong app secret is 503 provider_unavailable, logged as our configuration problem', async () => {
    const wrong = app({ wechat: new WechatLoginClient({ ...wx.app, appSecret: `${WX_SECRET}-old` }) });
    const from = lines.length;
    const res = await wrong.post('/api/auth/wechat').send({ code: wxCode('zhang') });
    expect(res.status).toBe(503);
    expect(res.body.error.code).toBe('provider_unavailable');
    const logged = lines.slice(from).map((l) => JSON.parse(l)).find((l) => l.provider === 'wechat');
    expect(logged).toMatchObject({ level: 50, kind: 'config', errcode: 40125 });
    expect(lines.slice(from).join('')).not.toContain(`${WX_SECRET}-old`);
  });

  it("WeChat's rate limit is 429 rate_limited with Retry-After; a high-risk user 403; busy and timeouts 503", async () => {
    wx.inject({ type: 'errcode', errcode: 45011 });
    const limited = await api.post('/api/auth/wechat').send({ code: wxCode('zhang') });
    expect(limited.status).toBe(429);
    expect(limited.body.error.code).toBe('rate_limited');
    expect(limited.headers['retry-after']).toBe('60');
    wx.inject({ type: 'errcode', errcode: 40226 });
    const risky = await api.post('/api/auth/wechat').send({ code: wxCode('zhang') });
    expect(risky.status).toBe(403);
    expect(risky.body.error.code).toBe('login_refused');
    for (const fault of [{ type: 'errcode', errcode: -1 }, { type: 'timeout' }, { type: 'garbage' }] as const) {
      wx.inject(fault);
      const res = await api.post('/api/auth/wechat').send({ code: wxCode('zhang') });
      expect(res.status).toBe(503);
      expect(res.body.error.code).toBe('provider_unavailable');
    }
  });

  it('not configured: 404 not_offered', async () => {
    const res = await app({ wechat: undefined }).post('/api/auth/wechat').send({ code: 'abc' });
    expect(res.status).toBe(404);
    expect(res.body.error.code).toBe('not_offered');
  });
});

describe('POST /api/auth/alipay', () => {
  it('logs in through alipay.system.oauth.token', async () => {
    const res = await api.post('/api/auth/alipay').send({ code: aliCode('li') });
    expect(res.status).toBe(200);
    tokens.push(res.body.token);
    expect(res.body.driver.providers).toEqual({ wechat: null, alipay: { maskedId: maskId(ali.user('li').openId) } });
    expect(res.text).not.toContain(ali.user('li').openId);
    const again = await api.post('/api/auth/alipay').send({ code: aliCode('li') });
    tokens.push(again.body.token);
    expect(again.body.driver.id).toBe(res.body.driver.id);
  });

  it('an invalid or reused auth code is 400 invalid_code; an Alipay outage 503', async () => {
    const code = aliCode('li');
    tokens.push((await api.post('/api/auth/alipay').send({ code })).body.token);
    const reused = await api.post('/api/auth/alipay').send({ code });
    expect(reused.status).toBe(400);
    expect(reused.body.error.code).toBe('invalid_code');
    expect((await api.post('/api/auth/alipay').send({ code: 'nonsense' })).body.error.code).toBe('invalid_code');
    ali.inject({ type: 'http', status: 502, method: 'alipay.system.oauth.token' });
    const down = await api.post('/api/auth/alipay').send({ code: aliCode('li') });
    expect(down.status).toBe(503);
    expect(down.body.error.code).toBe('provider_unavailable');
  });
});

describe('POST /api/auth/demo', () => {
  it('is 404 not_found outside demo mode', async () => {
    const res = await api.post('/api/auth/demo').send({ name: 'zhang' });
    expect(res.status).toBe(404);
    expect(res.body.error.code).toBe('not_found');
  });

  it('in demo mode: one driver per name, WeChat-like', async () => {
    const demo = app({ demoLogin: true });
    const a = await demo.post('/api/auth/demo').send({ name: '张三' });
    const b = await demo.post('/api/auth/demo').send({ name: '张三' });
    tokens.push(a.body.token, b.body.token);
    expect(a.status).toBe(200);
    expect(b.body.driver.id).toBe(a.body.driver.id);
    expect(a.body.driver.providers.wechat.maskedId).toMatch(/^oDEM…/);
    expect((await demo.post('/api/auth/demo').send({ name: 'a b' })).body.error.code).toBe('validation_failed');
  });
});

describe('sessions', () => {
  it('GET /api/me needs a live token', async () => {
    const { token, driver } = await loginWechat('wang');
    const me = await api.get('/api/me').set(as(token));
    expect(me.status).toBe(200);
    expect(me.body.id).toBe(driver.id);
    expect((await api.get('/api/me')).status).toBe(401);
    expect((await api.get('/api/me').set(as('x'.repeat(43)))).body.error.code).toBe('unauthenticated');
  });

  it('logout revokes the token it carries, and only that one', async () => {
    const one = await loginWechat('wang');
    const two = await loginWechat('wang');
    const out = await api.post('/api/auth/logout').set(as(one.token));
    expect(out.status).toBe(200);
    expect(out.body).toEqual({ ok: true });
    expect((await api.get('/api/me').set(as(one.token))).status).toBe(401);
    expect((await api.post('/api/auth/logout').set(as(one.token))).status).toBe(401);
    expect((await api.get('/api/me').set(as(two.token))).status).toBe(200);
    expect((await api.post('/api/auth/logout')).status).toBe(401);
  });

  it('an expired token is refused', async () => {
    const { token } = await loginWechat('zhao');
    clock.advance(30 * DAY + 1);
    const res = await api.get('/api/me').set(as(token));
    expect(res.status).toBe(401);
    expect(res.body.error.code).toBe('unauthenticated');
  });

  it('the database never holds a token in clear: only sha256(token)', async () => {
    const names = (await db.connection.db!.listCollections().toArray()).map((c) => c.name);
    let everything = '';
    for (const name of names) everything += JSON.stringify(await db.connection.db!.collection(name).find().toArray());
    expect(tokens.length).toBeGreaterThan(10);
    for (const t of tokens) {
      expect(everything).not.toContain(t);
      expect(everything).toContain(hashSessionToken(t));
    }
    // Nor WeChat's session_key, nor the secret.
    for (const c of wx.calls()) if (c.sessionKey) expect(everything).not.toContain(c.sessionKey);
    expect(everything).not.toContain(WX_SECRET);
  });
});

describe('me and plates, with a second driver', () => {
  let alice: string;
  let bob: string;
  let aliceId: string;
  beforeAll(async () => {
    const a = await loginWechat('alice');
    const b = await loginWechat('bob');
    alice = a.token;
    bob = b.token;
    aliceId = a.driver.id;
  });

  it("binds plates; each driver's me endpoints show only their own", async () => {
    const bound = await api.post('/api/me/plates').set(as(alice)).send({ plate: '京a 12345' });
    expect(bound.status).toBe(200);
    expect(bound.body.plates).toEqual([{ plate: '京A12345', plateKey: '京A12345', boundAt: expect.any(String) }]);

    const bobMe = await api.get('/api/me').set(as(bob));
    expect(bobMe.body.plates).toEqual([]);
    expect(bobMe.body.id).not.toBe(aliceId);
    expect(bobMe.text).not.toContain(aliceId);
    expect(bobMe.text).not.toContain(wx.openIdOf('alice'));
    expect((await api.get('/api/me/plates').set(as(bob))).body).toEqual({ plates: [] });

    const aliceMe = await api.get('/api/me').set(as(alice));
    expect(aliceMe.body.plates.map((p: { plateKey: string }) => p.plateKey)).toEqual(['京A12345']);
    expect((await api.get('/api/me/plates').set(as(alice))).body.plates).toHaveLength(1);
  });

  it("cannot unbind another driver's plate", async () => {
    const path = buildPath(meEndpoints.unbindPlate, { plateKey: '京A12345' });
    const res = await api.delete(path).set(as(bob));
    expect(res.status).toBe(404);
    expect(res.body.error.code).toBe('not_found');
    expect((await api.get('/api/me/plates').set(as(alice))).body.plates).toHaveLength(1);
  });

  it('may bind the same plate as another driver (a family car); unbinding it touches only their own', async () => {
    expect((await api.post('/api/me/plates').set(as(bob)).send({ plate: '京A12345' })).status).toBe(200);
    const path = buildPath(meEndpoints.unbindPlate, { plateKey: '京A12345' });
    const res = await api.delete(path).set(as(bob));
    expect(res.status).toBe(200);
    expect(res.body).toEqual({ plates: [] });
    expect((await api.get('/api/me/plates').set(as(alice))).body.plates).toHaveLength(1);
  });

  it('every me endpoint refuses without a token', async () => {
    expect((await api.get('/api/me')).status).toBe(401);
    expect((await api.get('/api/me/plates')).status).toBe(401);
    expect((await api.post('/api/me/plates').send({ plate: '京A12345' })).status).toBe(401);
    expect((await api.delete(buildPath(meEndpoints.unbindPlate, { plateKey: '京A12345' }))).status).toBe(401);
    expect((await api.get('/api/me/plates').set(as(alice))).body.plates).toHaveLength(1);
  });

  it('binding the same plate twice is idempotent; a bad plate is invalid_plate; a bad body validation_failed', async () => {
    const again = await api.post('/api/me/plates').set(as(alice)).send({ plate: '京A·12345' });
    expect(again.status).toBe(200);
    expect(again.body.plates).toHaveLength(1);
    const bad = await api.post('/api/me/plates').set(as(alice)).send({ plate: 'hello' });
    expect(bad.status).toBe(400);
    expect(bad.body.error.code).toBe('invalid_plate');
    for (const body of [{}, { plate: 12345 }, { plate: '' }, { plate: 'x'.repeat(21) }]) {
      const res = await api.post('/api/me/plates').set(as(alice)).send(body);
      expect(res.status).toBe(400);
      expect(res.body.error.code).toBe('validation_failed');
    }
  });

  it('at most 5 plates: the sixth is 409 plate_limit', async () => {
    for (const plate of ['沪B10001', '沪B10002', '沪B10003', '沪B10004']) {
      expect((await api.post('/api/me/plates').set(as(alice)).send({ plate })).status).toBe(200);
    }
    const sixth = await api.post('/api/me/plates').set(as(alice)).send({ plate: '沪B10005' });
    expect(sixth.status).toBe(409);
    expect(sixth.body.error.code).toBe('plate_limit');
    const del = await api.delete(buildPath(meEndpoints.unbindPlate, { plateKey: '沪B10004' })).set(as(alice));
    expect(del.body.plates).toHaveLength(4);
    expect((await api.post('/api/me/plates').set(as(alice)).send({ plate: '沪B10005' })).status).toBe(200);
  });
});

describe('concurrent first logins', () => {
  it('of one WeChat user over HTTP create exactly one driver', async () => {
    const results = await Promise.all(Array.from({ length: 10 }, () => api.post('/api/auth/wechat').send({ code: wxCode('race') })));
    expect(results.map((r) => r.status)).toEqual(Array(10).fill(200));
    for (const r of results) tokens.push(r.body.token);
    expect(new Set(results.map((r) => r.body.driver.id)).size).toBe(1);
    expect(await db.connection.db!.collection('drivers').countDocuments({ wechatOpenId: wx.openIdOf('race') })).toBe(1);
  });
});

describe('logs', () => {
  it('hold no secret: app secret, session_key, Alipay key, session tokens, login codes', () => {
    const all = lines.join('\n');
    expect(lines.length).toBeGreaterThan(50);
    expect(all).toContain('driver logged in');
    expect(all).not.toContain(WX_SECRET);
    expect(all).not.toContain(ali.app.privateKey.split('\n')[1]!);
    const keys = wx.calls().flatMap((c) => (c.sessionKey ? [c.sessionKey] : []));
    expect(keys.length).toBeGreaterThan(5);
    for (const k of keys) expect(all).not.toContain(k);
    for (const t of tokens) expect(all).not.toContain(t);
    for (const c of codes) expect(all).not.toContain(c);
  });
});
