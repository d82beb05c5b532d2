/**
 * IdentityService on the real database (repository/drivers.ts) with the real login sandboxes: drivers found
 * or created atomically, sessions (hash only, expiry, sliding, revocation), demo login, plates.
 */
import { AlipayAdapter } from '../../../../server/src/adapter/alipay';
import { WechatLoginClient } from '../../../../server/src/adapter/wechat-login';
import { ManualClock } from '../../../../server/src/core/clock';
import { AppError } from '../../../../server/src/core/errors';
import {
  IdentityService,
  SESSION_TTL_MS,
  demoWechatOpenId,
  displayPlate,
  hashSessionToken,
  type IdentityDeps,
} from '../../../../server/src/core/identity';
import { MongoDriverRepository, MongoSessionRepository } from '../../../../server/src/repository/drivers';
import { startAlipaySandbox, type AlipaySandbox } from '../../../../server/sandbox/alipay';
import { startWechatLoginSandbox, type WechatLoginSandbox } from '../../../../server/sandbox/wechat-login';
import { answerOf, answerTo } from '../../../support/answers';
import { openTestDatabase, type TestDatabase } from '../../../support/db';

const DAY = 24 * 60 * 60 * 1000;

let db: TestDatabase;
let wx: WechatLoginSandbox;
let ali: AlipaySandbox;
let drivers: MongoDriverRepository;
let sessions: MongoSessionRepository;
let clock: ManualClock;
let identity: IdentityService;

function service(over: Partial<IdentityDeps> = {}): IdentityService {
  return new IdentityService({
    drivers,
    sessions,
    clock,
    wechat: new WechatLoginClient(wx.app),
    alipay: new AlipayAdapter(ali.app),
    ...over,
  });
}

beforeAll(async () => {
  db = await openTestDatabase('identity');
  [wx, ali] = await Promise.all([startWechatLoginSandbox(), startAlipaySandbox()]);
  drivers = new MongoDriverRepository(db.connection);
  sessions = new MongoSessionRepository(db.connection);
  await Promise.all([drivers.init(), sessions.init()]);
});
afterAll(async () => {
  await Promise.all([wx.stop(), ali.stop()]);
  await db.dispose();
});
beforeEach(() => {
  clock = new ManualClock(Date.now());
  identity = service();
});

describe('login', () => {
  it('WeChat: the first login creates the driver, the next ones find it', async () => {
    const first = await identity.loginWithWechat(wx.issueCode('w-first'));
    expect(first.created).toBe(true);
    expect(first.driver).toEqual({ id: expect.stringMatching(/^drv_[0-9a-f]{20}$/), wechatOpenId: wx.openIdOf('w-first'), createdAt: new Date(clock.now()), plates: [] });
    expect(first.token).toMatch(/^[A-Za-z0-9_-]{43}$/);
    expect(first.expiresAt).toEqual(new Date(clock.now() + SESSION_TTL_MS));
    const again = await identity.loginWithWechat(wx.issueCode('w-first'));
    expect(again.created).toBe(false);
    expect(again.driver.id).toBe(first.driver.id);
    expect(again.token).not.toBe(first.token);
    expect(await db.connection.db!.collection('drivers').countDocuments({ wechatOpenId: wx.openIdOf('w-first') })).toBe(1);
  });

  it('WeChat: keeps the unionid when WeChat answers one', async () => {
    const withUnion = await startWechatLoginSandbox({ appId: 'wx00000000000000u1', withUnionId: true });
    try {
      const r = await service({ wechat: new WechatLoginClient(withUnion.app) }).loginWithWechat(withUnion.issueCode('u'));
      expect(r.driver.wechatUnionId).toBe(withUnion.unionIdOf('u'));
    } finally {
      await withUnion.stop();
    }
  });

  it("WeChat: the provider's errors come through as they are (the port maps them)", async () => {
    await expect(identity.loginWithWechat('0a1B2c3D4e5F6g7H8i9J0k1L2m3N4o5P')).rejects.toMatchObject({ name: 'WechatLoginError', kind: 'invalid_code' });
  });

  it('Alipay: open_id-mode and user_id-mode apps; a different provider is a different driver', async () => {
    const a = await identity.loginWithAlipay(ali.issueAuthCode('a-open'));
    expect(a.created).toBe(true);
    expect(a.driver).toMatchObject({ alipayOpenId: ali.user('a-open').openId });
    expect(a.driver.alipayUserId).toBeUndefined();
    expect((await identity.loginWithAlipay(ali.issueAuthCode('a-open'))).driver.id).toBe(a.driver.id);

    const legacy = await startAlipaySandbox({ idMode: 'user_id' });
    try {
      const byUserId = service({ alipay: new AlipayAdapter(legacy.app) });
      const b = await byUserId.loginWithAlipay(legacy.issueAuthCode('a-user'));
      expect(b.created).toBe(true);
      expect(b.driver.alipayUserId).toBe(legacy.user('a-user').userId);
      expect((await byUserId.loginWithAlipay(legacy.issueAuthCode('a-user'))).driver.id).toBe(b.driver.id);
    } finally {
      await legacy.stop();
    }
    const w = await identity.loginWithWechat(wx.issueCode('a-open'));
    expect(w.driver.id).not.toBe(a.driver.id);
  });

  it('Alipay: a used auth code is refused by Alipay (AlipayError)', async () => {
    const code = ali.issueAuthCode('a-used');
    await identity.loginWithAlipay(code);
    await expect(identity.loginWithAlipay(code)).rejects.toMatchObject({ name: 'AlipayError', kind: 'business', subCode: 'isv.code-invalid' });
  });

  it('a provider that is not configured is not_offered', async () => {
    const bare = service({ wechat: undefined, alipay: undefined });
    expect(await answerTo(bare.loginWithWechat('x'))).toMatchObject({ code: 'not_offered', status: 404 });
    expect(await answerTo(bare.loginWithAlipay('x'))).toMatchObject({ code: 'not_offered', status: 404 });
  });

  it('demo: refused unless enabled; a stable WeChat-like identity per name', async () => {
    expect(await answerTo(identity.loginDemo('zhang'))).toMatchObject({ code: 'not_found', status: 404 });
    const demo = service({ demoLogin: true });
    const a = await demo.loginDemo('zhang');
    const b = await demo.loginDemo(' zhang ');
    const c = await demo.loginDemo('张三');
    expect(b.driver.id).toBe(a.driver.id);
    expect(c.driver.id).not.toBe(a.driver.id);
    expect(a.driver.wechatOpenId).toBe(demoWechatOpenId('zhang'));
    expect(a.driver.wechatOpenId).toMatch(/^oDEMO[A-Za-z0-9_-]{23}$/);
    expect(await answerTo(demo.loginDemo('a b'))).toMatchObject({ code: 'validation_failed' });
  });

  it('concurrent first logins of one user create exactly one driver', async () => {
    const codes = Array.from({ length: 12 }, () => wx.issueCode('w-race'));
    const results = await Promise.all(codes.map((c) => identity.loginWithWechat(c)));
    expect(new Set(results.map((r) => r.driver.id)).size).toBe(1);
    expect(results.filter((r) => r.created)).toHaveLength(1);
    expect(await db.connection.db!.collection('drivers').countDocuments({ wechatOpenId: wx.openIdOf('w-race') })).toBe(1);

    const aliCodes = Array.from({ length: 8 }, () => ali.issueAuthCode('a-race'));
    const aliResults = await Promise.all(aliCodes.map((c) => identity.loginWithAlipay(c)));
    expect(new Set(aliResults.map((r) => r.driver.id)).size).toBe(1);
    expect(await db.connection.db!.collection('drivers').countDocuments({ alipayOpenId: ali.user('a-race').openId })).toBe(1);
  });

  it('the provider ids are unique in the database (sparse indexes)', async () => {
    const idx = await db.connection.db!.collection('drivers').indexes();
    for (const key of ['wechatOpenId', 'alipayUserId', 'alipayOpenId']) {
      expect(idx.find((i) => i.key[key] === 1)).toMatchObject({ unique: true });
    }
  });
});

describe('sessions', () => {
  it('stores only sha256(token)', async () => {
    const { token, driver } = await identity.loginWithWechat(wx.issueCode('s-hash'));
    const docs = await db.connection.db!.collection('driversessions').find({ driverId: driver.id }).toArray();
    expect(docs).toHaveLength(1);
    expect(docs[0]!._id).toBe(hashSessionToken(token));
    expect(JSON.stringify(docs)).not.toContain(token);
  });

  it('authenticates live tokens only', async () => {
    const { token, driver } = await identity.loginWithWechat(wx.issueCode('s-auth'));
    expect(await identity.authenticate(token)).toEqual(driver);
    expect(await identity.authenticate('')).toBeUndefined();
    expect(await identity.authenticate('not a token')).toBeUndefined();
    expect(await identity.authenticate(`${token.slice(0, -1)}${token.endsWith('A') ? 'B' : 'A'}`)).toBeUndefined();
  });

  it('expires 30 days after the last use, sliding at most once a day', async () => {
    const { token } = await identity.loginWithWechat(wx.issueCode('s-exp'));
    const stored = async () => (await sessions.find(hashSessionToken(token)))!.expiresAt.getTime();
    const t0 = clock.now();
    clock.advance(DAY / 2);
    expect(await identity.authenticate(token)).toBeDefined();
    expect(await stored()).toBe(t0 + SESSION_TTL_MS); // not moved within the first day
    clock.advance(20 * DAY);
    expect(await identity.authenticate(token)).toBeDefined();
    expect(await stored()).toBe(clock.now() + SESSION_TTL_MS); // moved
    clock.advance(SESSION_TTL_MS - 1);
    expect(await identity.authenticate(token)).toBeDefined();
    clock.advance(SESSION_TTL_MS + 1);
    expect(await identity.authenticate(token)).toBeUndefined();
  });

  it('an unused session expires after exactly 30 days', async () => {
    const { token } = await identity.loginWithWechat(wx.issueCode('s-unused'));
    clock.advance(SESSION_TTL_MS - 1);
    // Peek without authenticating (which would slide the expiry).
    expect((await sessions.find(hashSessionToken(token)))!.revokedAt).toBeUndefined();
    clock.advance(1);
    expect(await identity.authenticate(token)).toBeUndefined();
  });

  it('logout revokes that session only; logoutEverywhere all of them', async () => {
    const a = await identity.loginWithWechat(wx.issueCode('s-out'));
    const b = await identity.loginWithWechat(wx.issueCode('s-out'));
    expect(await identity.logout(a.token)).toBe(true);
    expect(await identity.authenticate(a.token)).toBeUndefined();
    expect(await identity.logout(a.token)).toBe(false);
    expect(await identity.authenticate(b.token)).toBeDefined();
    const c = await identity.loginWithWechat(wx.issueCode('s-out'));
    expect(await identity.logoutEverywhere(a.driver.id)).toBe(2);
    expect(await identity.authenticate(b.token)).toBeUndefined();
    expect(await identity.authenticate(c.token)).toBeUndefined();
    // A revoked session is not brought back by sliding.
    clock.advance(5 * DAY);
    expect(await identity.authenticate(b.token)).toBeUndefined();
  });
});

describe('plates', () => {
  let driverId: string;
  beforeEach(async () => {
    driverId = (await service({ demoLogin: true }).loginDemo(`plates-${Math.random().toString(36).slice(2, 10)}`)).driver.id;
  });

  it('binds a plate tidied for display, keyed by normalizePlate', async () => {
    const plates = await identity.bindPlate(driverId, ' 京 a·１２３４５ ');
    expect(plates).toEqual([{ plate: '京A·12345', plateKey: '京A12345', boundAt: new Date(clock.now()) }]);
    expect(await identity.listPlates(driverId)).toEqual(plates);
    expect(displayPlate('沪ad 12345')).toBe('沪AD12345');
  });

  it('binding the same plate again (any spelling) changes nothing', async () => {
    await identity.bindPlate(driverId, '京A12345');
    clock.advance(1000);
    const again = await identity.bindPlate(driverId, '京a 12345');
    expect(again).toHaveLength(1);
    expect(again[0]!.plate).toBe('京A12345');
    expect(again[0]!.boundAt).toEqual(new Date(clock.now() - 1000));
  });

  it('refuses what is not a plate', async () => {
    for (const bad of ['hello', '京A1234', '12345678', '京A1234567']) {
      expect(await answerTo(identity.bindPlate(driverId, bad))).toMatchObject({ code: 'invalid_plate', status: 400 });
    }
    expect(await identity.listPlates(driverId)).toEqual([]);
  });

  it('at most 5 plates, even when bound concurrently', async () => {
    const plates = ['京A10001', '京A10002', '京A10003', '京A10004', '京A10005', '京A10006', '京A10007', '京AD12345'];
    const results = await Promise.allSettled(plates.map((p) => identity.bindPlate(driverId, p)));
    expect(results.filter((r) => r.status === 'fulfilled')).toHaveLength(5);
    const refused = results.filter((r): r is PromiseRejectedResult => r.status === 'rejected');
    expect(refused.map((r) => (r.reason as AppError).code)).toEqual(['plate_limit', 'plate_limit', 'plate_limit']);
    expect(answerOf(refused[0]!.reason)).toMatchObject({ status: 409 });
    expect(await identity.listPlates(driverId)).toHaveLength(5);
    // Re-binding one already there is still fine at the cap.
    const bound = (await identity.listPlates(driverId))[0]!.plate;
    expect(await identity.bindPlate(driverId, bound)).toHaveLength(5);
  });

  it('unbinds by plateKey or by the plate as typed; an unknown plate is not_found', async () => {
    await identity.bindPlate(driverId, '京A12345');
    await identity.bindPlate(driverId, '沪B54321');
    expect((await identity.unbindPlate(driverId, '京A12345')).map((p) => p.plateKey)).toEqual(['沪B54321']);
    expect(await identity.unbindPlate(driverId, '沪b 54321')).toEqual([]);
    expect(await answerTo(identity.unbindPlate(driverId, '沪B54321'))).toMatchObject({ code: 'not_found', status: 404 });
  });

  it('a plate bound by another driver may be bound too (family cars), and stays theirs when unbound here', async () => {
    const other = (await service({ demoLogin: true }).loginDemo('plates-family')).driver.id;
    await identity.bindPlate(other, '粤B88888');
    await identity.bindPlate(driverId, '粤B88888');
    await identity.unbindPlate(driverId, '粤B88888');
    expect((await identity.listPlates(other)).map((p) => p.plateKey)).toEqual(['粤B88888']);
  });

  it('an unknown driver cannot bind or list', async () => {
    expect(await answerTo(identity.bindPlate('drv_nobody', '京A12345'))).toMatchObject({ code: 'unauthenticated' });
    expect(await answerTo(identity.listPlates('drv_nobody'))).toMatchObject({ code: 'unauthenticated' });
  });
});
