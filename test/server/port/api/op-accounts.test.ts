/**
 * Operator accounts over HTTP on the real database: login (and the same refusal for an unknown username
 * and a wrong password), lock-out after 5 failures in 15 minutes, sessions (me, logout, expiry, disabled
 * accounts, password changes), admin-only account management, the audit log and its scoping, and no
 * password or token in the database or the logs.
 */
import { Writable } from 'node:stream';
import request from 'supertest';
import { buildPath, opAccountEndpoints as ep } from '../../../../shared/api';
import { createApp } from '../../../../server/src/app';
import { ManualClock } from '../../../../server/src/core/clock';
import { hashSessionToken } from '../../../../server/src/core/identity/tokens';
import { createLogger } from '../../../../server/src/logger';
import { mountOpAccountRoutes } from '../../../../server/src/port/api/op-accounts-routes';
import { mount } from '../../../../server/src/port/api/mount';
import { defineEndpoint } from '../../../../shared/api/contract';
import { z } from 'zod';
import { openTestDatabase, type TestDatabase } from '../../../support/db';
import { operatorWorld, type OperatorWorld } from '../../../support/operators';

const MIN = 60 * 1000;
let db: TestDatabase;
let ops: OperatorWorld;
const clock = new ManualClock(Date.now());
const lines: string[] = [];
let api: ReturnType<typeof request>;

/** A park-scoped change, to see mount() audit it. */
const touchPark = defineEndpoint({
  method: 'POST',
  path: '/api/op/parks/:parkNumber/test-touch',
  auth: 'operator',
  params: z.object({ parkNumber: z.string() }),
  body: z.object({ what: z.string() }),
  response: z.object({ ok: z.literal(true) }),
});

beforeAll(async () => {
  db = await openTestDatabase('opaccounts');
  ops = await operatorWorld(db.connection, { clock, parkExists: async (p) => ['P1', 'P2', 'P3'].includes(p) });
  const router = ops.router();
  mountOpAccountRoutes(router, ops.service, ops.audit);
  mount(router, touchPark, async ({ body, ctx }) => {
    ctx.state.auditTarget = `thing ${body.what}`;
    if (body.what === 'boom') throw new Error('boom');
    return { ok: true as const };
  });
  const logger = createLogger('trace', new Writable({ write: (c, _e, cb) => (lines.push(c.toString()), cb()) }));
  api = request(createApp({ logger, databaseReady: async () => true, routers: [router] }).callback());
});
afterAll(async () => {
  await db.dispose();
});

const login = (username: string, password: string) => api.post(ep.login.path).send({ username, password });

describe('login', () => {
  it('answers a token, its expiry (12 h) and the operator; the token works on /api/op/me', async () => {
    await ops.service.createOperator('system', { username: 'Wang.Li', password: 'correct horse 1', role: 'operator', parks: ['P1'], displayName: '王丽' });
    const res = await login('  wang.li ', 'correct horse 1');
    expect(res.status).toBe(200);
    expect(res.headers['cache-control']).toBe('no-store');
    expect(res.body).toEqual({
      token: expect.stringMatching(/^[A-Za-z0-9_-]{43}$/),
      expiresAt: new Date(clock.now() + 12 * 60 * MIN).toISOString(),
      operator: {
        id: expect.stringMatching(/^op_/),
        username: 'wang.li',
        role: 'operator',
        parks: ['P1'],
        displayName: '王丽',
        disabled: false,
        createdAt: expect.any(String),
        lastLoginAt: new Date(clock.now()).toISOString(),
      },
    });
    const me = await api.get(ep.me.path).set({ authorization: `Bearer ${res.body.token}` });
    expect(me.status).toBe(200);
    expect(me.body.username).toBe('wang.li');
  });

  it('a wrong password and an unknown username get the same answer', async () => {
    const wrong = await login('wang.li', 'not the password');
    const unknown = await login('nobody.here', 'not the password');
    for (const r of [wrong, unknown]) {
      expect(r.status).toBe(401);
      expect(r.body.error).toEqual({ code: 'invalid_credentials', message: 'wrong username or password' });
    }
    await login('wang.li', 'correct horse 1'); // forget the failure
  });

  it('a malformed body is 400 validation_failed', async () => {
    const r = await api.post(ep.login.path).send({ username: 'x' });
    expect(r.status).toBe(400);
    expect(r.body.error.code).toBe('validation_failed');
  });
});

describe('lock-out', () => {
  it('5 failures within 15 minutes lock the username for 15 minutes, even for the right password; then it works again', async () => {
    await ops.service.createOperator('system', { username: 'locky', password: 'gate-keeper-123', role: 'operator', parks: ['P1'] });
    for (let i = 1; i <= 4; i++) {
      clock.advance(MIN);
      expect((await login('locky', `wrong-${i}`)).body.error.code).toBe('invalid_credentials');
    }
    clock.advance(MIN);
    const fifth = await login('locky', 'wrong-5');
    expect(fifth.status).toBe(429);
    expect(fifth.body.error.code).toBe('login_locked');
    expect(fifth.body.error.message).toMatch(/too many failed logins.*locked for 15 more minutes/);
    expect(fifth.body.error.details).toEqual({ retryAfterSeconds: 900, lockedUntil: new Date(clock.now() + 15 * MIN).toISOString() });
    expect(fifth.headers['retry-after']).toBe('900');

    clock.advance(10 * MIN);
    const right = await login('locky', 'gate-keeper-123');
    expect(right.status).toBe(429);
    expect(right.body.error.message).toMatch(/5 more minutes/);

    clock.advance(5 * MIN + 1000);
    expect((await login('locky', 'gate-keeper-123')).status).toBe(200);
  });

  it('failures spread over more than 15 minutes do not lock', async () => {
    await ops.service.createOperator('system', { username: 'slowpoke', password: 'tortoise-pass-1', role: 'operator', parks: ['P1'] });
    for (let i = 0; i < 8; i++) {
      clock.advance(4 * MIN);
      expect((await login('slowpoke', 'wrong')).body.error.code).toBe('invalid_credentials');
    }
    // 8 failures 4 minutes apart: no 15 minutes hold 5 of them.
    expect((await login('slowpoke', 'tortoise-pass-1')).status).toBe(200);
  });

  it('an unknown username locks the same way (no enumeration through the lock)', async () => {
    const answers = [];
    for (let i = 0; i < 6; i++) answers.push(await login('ghost.user', 'whatever-1'));
    expect(answers.slice(0, 4).map((r) => r.status)).toEqual([401, 401, 401, 401]);
    expect(answers[4]!.status).toBe(429);
    expect(answers[5]!.body.error.code).toBe('login_locked');
  });

  it('200 concurrent wrong passwords: at most 5 are checked, the rest are refused as locked', async () => {
    await ops.service.createOperator('system', { username: 'stormed', password: 'storm-proof-123', role: 'operator', parks: ['P1'] });
    const answers = await Promise.all(Array.from({ length: 200 }, (_, i) => login('stormed', `guess-${i}`)));
    const statuses = answers.map((r) => r.status);
    expect(statuses.filter((s) => s !== 401 && s !== 429)).toEqual([]);
    // The 5th checked attempt locks (answered 429 itself): at most 4 plain refusals.
    expect(statuses.filter((s) => s === 401).length).toBeLessThanOrEqual(4);
    expect((await login('stormed', 'storm-proof-123')).status).toBe(429);
    clock.advance(16 * MIN);
    expect((await login('stormed', 'storm-proof-123')).status).toBe(200);
  });

  it('a lock of one username leaves the others alone', async () => {
    for (let i = 0; i < 5; i++) await login('wang.li', 'bad-guess');
    expect((await login('wang.li', 'correct horse 1')).status).toBe(429);
    await ops.service.createOperator('system', { username: 'other.one', password: 'other-one-pass', role: 'merchant', parks: ['P2'] });
    expect((await login('other.one', 'other-one-pass')).status).toBe(200);
    clock.advance(16 * MIN);
  });
});

describe('sessions', () => {
  it('401 without a token, with a driver-shaped or unknown token, after logout and after 12 hours', async () => {
    expect((await api.get(ep.me.path)).status).toBe(401);
    const unk = await api.get(ep.me.path).set({ authorization: `Bearer ${'A'.repeat(43)}` });
    expect(unk.status).toBe(401);
    expect(unk.body.error.code).toBe('unauthenticated');
    expect(unk.headers['www-authenticate']).toMatch(/Bearer/);

    const s = await ops.session({ role: 'operator', parks: ['P1'] });
    expect((await api.post(ep.logout.path).set(s.headers)).body).toEqual({ ok: true });
    expect((await api.get(ep.me.path).set(s.headers)).status).toBe(401);

    const t = await ops.session({ role: 'operator', parks: ['P1'] });
    clock.advance(12 * 60 * MIN - 1000);
    expect((await api.get(ep.me.path).set(t.headers)).status).toBe(200);
    clock.advance(1000);
    expect((await api.get(ep.me.path).set(t.headers)).status).toBe(401);
  });

  it('only the hash of a token and of a password is stored', async () => {
    const s = await ops.session({ role: 'operator', parks: ['P1'], password: 'stored-only-as-hash-1' });
    const sessions = await db.connection.collection('operatorsessions').find({}).toArray();
    expect(sessions.some((d) => d._id === (hashSessionToken(s.token) as unknown))).toBe(true);
    const dump = JSON.stringify([sessions, await db.connection.collection('operatoraccounts').find({}).toArray()]);
    expect(dump).not.toContain(s.token);
    expect(dump).not.toContain('stored-only-as-hash-1');
    const acc = await db.connection.collection('operatoraccounts').findOne({ _id: s.account.id as never });
    expect(acc!.passwordHash).toMatch(/^scrypt\$\d+\$8\$1\$[A-Za-z0-9+/=]+\$[A-Za-z0-9+/=]+$/);
  });
});

describe('accounts (admins only)', () => {
  let admin: Awaited<ReturnType<OperatorWorld['session']>>;
  let op: Awaited<ReturnType<OperatorWorld['session']>>;
  beforeAll(async () => {
    admin = await ops.session({ role: 'admin', username: 'boss' });
    op = await ops.session({ role: 'operator', parks: ['P1'] });
  });

  it('an admin creates an operator, who can log in; the list shows it; no password in any answer', async () => {
    const res = await api
      .post(ep.createOperator.path)
      .set(admin.headers)
      .send({ username: 'Zhao', password: 'shop-secret-99', role: 'merchant', parks: ['P2', 'P2'], displayName: '赵记' });
    expect(res.status).toBe(200);
    expect(res.body).toMatchObject({ username: 'zhao', role: 'merchant', parks: ['P2'], displayName: '赵记', disabled: false, lastLoginAt: null });
    expect(res.text).not.toMatch(/shop-secret|scrypt/);
    expect((await login('zhao', 'shop-secret-99')).status).toBe(200);
    const list = await api.get(ep.listOperators.path).set(admin.headers);
    expect(list.status).toBe(200);
    expect(list.body.operators.map((o: { username: string }) => o.username)).toContain('zhao');
    expect(list.text).not.toMatch(/scrypt|passwordHash/);
  });

  it('refuses a taken username, a weak password, an unknown park, parks missing, a bad username', async () => {
    const post = (body: object) => api.post(ep.createOperator.path).set(admin.headers).send(body);
    const cases: [object, number, string][] = [
      [{ username: 'ZHAO', password: 'another-pass-1', role: 'operator', parks: ['P1'] }, 409, 'username_taken'],
      [{ username: 'newbie', password: 'short', role: 'operator', parks: ['P1'] }, 400, 'weak_password'],
      [{ username: 'newbie', password: 'aaaaaaaaaaaa', role: 'operator', parks: ['P1'] }, 400, 'weak_password'],
      [{ username: 'newbie', password: 'my-newbie-pass', role: 'operator', parks: ['P1'] }, 400, 'weak_password'],
      [{ username: 'newbie', password: 'good-pass-12', role: 'operator', parks: ['P9'] }, 404, 'park_unknown'],
      [{ username: 'newbie', password: 'good-pass-12', role: 'operator' }, 400, 'parks_required'],
      [{ username: 'a b', password: 'good-pass-12', role: 'operator', parks: ['P1'] }, 400, 'invalid_username'],
    ];
    for (const [body, status, code] of cases) {
      const r = await post(body);
      expect([r.status, r.body.error?.code]).toEqual([status, code]);
    }
  });

  it('non-admins get 403 forbidden_role on every account-management endpoint', async () => {
    const merchant = await ops.session({ role: 'merchant', parks: ['P1'] });
    for (const s of [op, merchant]) {
      const calls = [
        api.get(ep.listOperators.path).set(s.headers),
        api.post(ep.createOperator.path).set(s.headers).send({ username: 'sneaky', password: 'sneaky-pass-1', role: 'admin' }),
        api.post(buildPath(ep.updateOperator, { operatorId: s.operator.id })).set(s.headers).send({ role: 'admin' }),
      ];
      for (const r of await Promise.all(calls)) expect([r.status, r.body.error.code]).toEqual([403, 'forbidden_role']);
    }
    expect(await ops.service.account(op.operator.id)).toMatchObject({ role: 'operator' });
  });

  it('editing parks or role, resetting a password or disabling ends the sessions; disabled accounts cannot log in', async () => {
    const victim = await ops.session({ role: 'operator', parks: ['P1'], username: 'victim' });
    const path = buildPath(ep.updateOperator, { operatorId: victim.operator.id });
    const r = await api.post(path).set(admin.headers).send({ parks: ['P1', 'P3'] });
    expect(r.status).toBe(200);
    expect(r.body.parks).toEqual(['P1', 'P3']);
    expect((await api.get(ep.me.path).set(victim.headers)).status).toBe(401);

    const again = await login('victim', victim.password);
    expect(again.body.operator.parks).toEqual(['P1', 'P3']);
    expect((await api.post(path).set(admin.headers).send({ disabled: true })).body.disabled).toBe(true);
    expect((await api.get(ep.me.path).set({ authorization: `Bearer ${again.body.token}` })).status).toBe(401);
    const refused = await login('victim', victim.password);
    expect([refused.status, refused.body.error.code]).toEqual([403, 'account_disabled']);
    // A wrong password for a disabled account says nothing about it.
    expect((await login('victim', 'wrong-password')).body.error.code).toBe('invalid_credentials');

    await api.post(path).set(admin.headers).send({ disabled: false, password: 'fresh-pw-for-v' });
    expect((await login('victim', victim.password)).status).toBe(401);
    expect((await login('victim', 'fresh-pw-for-v')).status).toBe(200);
    // The audit log says what was done to the account, never the password.
    const entries = (await ops.auditEntries()).filter((e) => e.action === 'POST /api/op/operators/:operatorId' && e.facts?.operatorId === victim.operator.id);
    expect(entries[0]!.facts).toEqual({ operatorId: victim.operator.id, username: 'victim', disabled: false, passwordReset: true });
    expect(entries.find((e) => e.facts?.parks)!.facts).toMatchObject({ parks: ['P1', 'P3'] });
    expect(JSON.stringify(entries)).not.toContain('fresh-pw-for-v');
  });

  it('an admin may not disable or demote themselves; an unknown id is 404', async () => {
    const self = buildPath(ep.updateOperator, { operatorId: admin.operator.id });
    for (const body of [{ disabled: true }, { role: 'operator', parks: ['P1'] }]) {
      const r = await api.post(self).set(admin.headers).send(body);
      expect([r.status, r.body.error.code]).toEqual([409, 'own_account']);
    }
    const r = await api.post(buildPath(ep.updateOperator, { operatorId: 'op_nope' })).set(admin.headers).send({ disabled: true });
    expect([r.status, r.body.error.code]).toEqual([404, 'not_found']);
  });
});

describe('change own password', () => {
  it('needs the current password; ends the other sessions, keeps this one', async () => {
    const a = await ops.session({ role: 'operator', parks: ['P2'], username: 'changer', password: 'first-pass-1' });
    const other = await login('changer', 'first-pass-1');
    const wrong = await api.post(ep.changePassword.path).set(a.headers).send({ currentPassword: 'nope', newPassword: 'second-pass-2' });
    expect([wrong.status, wrong.body.error.code]).toEqual([400, 'invalid_credentials']);
    const weak = await api.post(ep.changePassword.path).set(a.headers).send({ currentPassword: 'first-pass-1', newPassword: 'short' });
    expect(weak.body.error.code).toBe('weak_password');
    const same = await api.post(ep.changePassword.path).set(a.headers).send({ currentPassword: 'first-pass-1', newPassword: 'first-pass-1' });
    expect(same.body.error.code).toBe('weak_password');

    const ok = await api.post(ep.changePassword.path).set(a.headers).send({ currentPassword: 'first-pass-1', newPassword: 'second-pass-2' });
    expect(ok.body).toEqual({ ok: true });
    expect((await api.get(ep.me.path).set(a.headers)).status).toBe(200);
    expect((await api.get(ep.me.path).set({ authorization: `Bearer ${other.body.token}` })).status).toBe(401);
    expect((await login('changer', 'first-pass-1')).status).toBe(401);
    expect((await login('changer', 'second-pass-2')).status).toBe(200);
  });
});

describe('audit log', () => {
  it('records every change (ok and refused, with the target), logins, and not reads', async () => {
    const admin = await ops.session({ role: 'admin' });
    const op1 = await ops.session({ role: 'operator', parks: ['P1'] });
    const before = (await ops.auditEntries()).length;
    expect((await api.post('/api/op/parks/P1/test-touch').set(op1.headers).send({ what: 'gate 3' })).status).toBe(200);
    expect((await api.post('/api/op/parks/P2/test-touch').set(op1.headers).send({ what: 'gate 9' })).body.error.code).toBe('forbidden_park');
    expect((await api.post('/api/op/parks/P1/test-touch').set(op1.headers).send({ what: 'boom' })).status).toBe(500);
    await api.get(ep.me.path).set(op1.headers);
    const entries = (await ops.auditEntries()).slice(0, (await ops.auditEntries()).length - before);
    expect(entries.map((e) => [e.username, e.action, e.parkNumber, e.target, e.result, e.code])).toEqual([
      [op1.operator.username, 'POST /api/op/parks/:parkNumber/test-touch', 'P1', 'thing boom', 'error', 'internal'],
      [op1.operator.username, 'POST /api/op/parks/:parkNumber/test-touch', 'P2', undefined, 'error', 'forbidden_park'],
      [op1.operator.username, 'POST /api/op/parks/:parkNumber/test-touch', 'P1', 'thing gate 3', 'ok', undefined],
    ]);
    const logins = (await ops.auditEntries()).filter((e) => e.action === 'POST /api/op/auth/login' && e.operatorId === admin.operator.id);
    expect(logins).toEqual([expect.objectContaining({ result: 'ok', username: admin.operator.username })]);
  });

  it('admins read every entry; operators their parks and their own; merchants none; paging with next', async () => {
    const admin = await ops.session({ role: 'admin' });
    const op1 = await ops.session({ role: 'operator', parks: ['P1'] });
    const op2 = await ops.session({ role: 'operator', parks: ['P2'] });
    const merchant = await ops.session({ role: 'merchant', parks: ['P1'] });
    clock.advance(1000);
    await api.post('/api/op/parks/P2/test-touch').set(op2.headers).send({ what: 'p2 thing' });
    clock.advance(1000);
    await api.post('/api/op/parks/P1/test-touch').set(admin.headers).send({ what: 'admin on p1' });

    const all = await api.get(ep.audit.path).set(admin.headers);
    expect(all.status).toBe(200);
    expect(all.body.entries.map((e: { target: string }) => e.target)).toEqual(expect.arrayContaining(['p2 thing', 'admin on p1'].map((t) => `thing ${t}`)));

    const mine = await api.get(ep.audit.path).set(op1.headers).query({ limit: 200 });
    expect(mine.status).toBe(200);
    const parks = new Set(mine.body.entries.map((e: { parkNumber: string | null; operatorId: string }) => e.parkNumber ?? `own:${e.operatorId}`));
    for (const p of parks) expect(['P1', `own:${op1.operator.id}`]).toContain(p);
    expect(mine.body.entries.some((e: { target: string }) => e.target === 'thing admin on p1')).toBe(true);
    expect(mine.body.entries.some((e: { target: string }) => e.target === 'thing p2 thing')).toBe(false);
    expect(mine.body.entries.some((e: { action: string; operatorId: string }) => e.action === 'POST /api/op/auth/login' && e.operatorId === op1.operator.id)).toBe(true);

    const other = await api.get(ep.audit.path).set(op1.headers).query({ parkNumber: 'P2' });
    expect([other.status, other.body.error.code]).toEqual([403, 'forbidden_park']);
    const m = await api.get(ep.audit.path).set(merchant.headers);
    expect([m.status, m.body.error.code]).toEqual([403, 'forbidden_role']);
    expect((await api.get(ep.audit.path)).status).toBe(401);

    const page1 = await api.get(ep.audit.path).set(admin.headers).query({ limit: 2 });
    expect(page1.body.entries).toHaveLength(2);
    expect(page1.body.next).toBe(page1.body.entries[1].at);
    const page2 = await api.get(ep.audit.path).set(admin.headers).query({ limit: 2, before: page1.body.next });
    expect(page2.body.entries.every((e: { at: string }) => e.at < page1.body.next)).toBe(true);
  });
});

describe('secrets', () => {
  it('no password or token in any log line', async () => {
    const log = lines.join('');
    expect(log.length).toBeGreaterThan(0);
    for (const secret of ['correct horse 1', 'gate-keeper-123', 'shop-secret-99', 'fresh-pw-for-v', 'second-pass-2', 'bad-guess']) {
      expect(log).not.toContain(secret);
    }
    const tokens = (await db.connection.collection('operatorsessions').find({}).toArray()).length;
    expect(tokens).toBeGreaterThan(5);
    expect(log).not.toMatch(/Bearer [A-Za-z0-9_-]{43}/);
  });
});
