/**
 * The agreement service on the real database, against a test double of the WithholdingGateway interface
 * (the sandbox-backed gateways are exercised end to end in test/server/e2e/agreements-lanes.test.ts).
 */
import { ManualClock } from '../../../../server/src/core/clock';
import { AgreementService } from '../../../../server/src/core/agreements/service';
import { MongoAgreementRepository } from '../../../../server/src/repository/agreements';
import { MongoDriverRepository } from '../../../../server/src/repository/drivers';
import { openTestDatabase, type TestDatabase } from '../../../support/db';
import { FakeWithholding } from './fake-withholding';
import { answerTo } from '../../../support/answers';

let db: TestDatabase;
let repo: MongoAgreementRepository;
let drivers: MongoDriverRepository;
const clock = new ManualClock(Date.UTC(2026, 10, 28, 2, 0, 0));
let wechat: FakeWithholding;
let alipay: FakeWithholding;
let service: AgreementService;

beforeAll(async () => {
  db = await openTestDatabase('agreements');
  repo = new MongoAgreementRepository(db.connection);
  drivers = new MongoDriverRepository(db.connection);
  await Promise.all([repo.init(), drivers.init()]);
});
afterAll(async () => {
  await db.dispose();
});
beforeEach(() => {
  wechat = new FakeWithholding('wechat');
  alipay = new FakeWithholding('alipay');
  service = new AgreementService({ agreements: repo, drivers, gateways: { wechat, alipay }, clock, staleMs: 60_000 });
});

let n = 0;
async function driverWith(plates: string[], ids: { wechat?: boolean } = { wechat: true }) {
  const id = `drv_test_${++n}`;
  await drivers.findOrCreate(ids.wechat ? { provider: 'wechat', wechatOpenId: `oWX${n}` } : { provider: 'alipay', alipayUserId: `2088${n}` }, { id, createdAt: new Date(clock.now()) });
  for (const plate of plates) await drivers.addPlate(id, { plate, plateKey: plate, boundAt: new Date(clock.now()) }, 5);
  return id;
}

describe('signing up', () => {
  it('only a bound plate; the record starts signing; confirm after the provider signed makes it active', async () => {
    const d = await driverWith(['京A11111']);
    expect(await answerTo(service.startSignup(d, '京B99999', 'alipay'))).toMatchObject({ code: 'plate_not_bound', status: 409 });

    const { agreement, signup } = await service.startSignup(d, '京 a11111', 'alipay', { returnUrl: 'https://app.example/back' });
    expect(agreement).toMatchObject({ driverId: d, plate: '京A11111', plateKey: '京A11111', provider: 'alipay', state: 'signing' });
    expect(agreement.signNo).toMatch(/^PPA\d{12}[0-9A-Z]{8}$/);
    expect(signup).toEqual({ provider: 'alipay', signUrl: `http://fake/alipay-sign/${agreement.signNo}` });

    // Not signed yet: confirm keeps it signing.
    expect((await service.confirm(d, agreement.id)).state).toBe('signing');
    alipay.sign(agreement.signNo, 'AGR-1');
    const active = await service.confirm(d, agreement.id);
    expect(active).toMatchObject({ state: 'active', agreementNo: 'AGR-1' });
    expect(active.signedAt).toBeInstanceOf(Date);
    await expect(service.startSignup(d, '京A11111', 'alipay')).rejects.toMatchObject({ code: 'agreement_active' });
    expect((await service.liveForPlate('京A11111', 'p_any')).map((r) => r.id)).toEqual([agreement.id]);
  });

  it('a second start continues the same round; two at once make one record', async () => {
    const d = await driverWith(['沪C22222']);
    const [a, b] = await Promise.all([service.startSignup(d, '沪C22222', 'wechat'), service.startSignup(d, '沪C22222', 'wechat')]);
    expect(a.agreement.id).toBe(b.agreement.id);
    expect(a.agreement.signNo).toBe(b.agreement.signNo);
    expect(a.signup).toMatchObject({ provider: 'wechat', navigate: { appId: 'wx-parking', extraData: { plate: '沪C22222' } } });
    expect((await repo.listForDriver(d)).length).toBe(1);
  });

  it('WeChat needs a WeChat login; a provider not set up is a clear 503', async () => {
    const d = await driverWith(['粤B33333'], { wechat: false });
    await expect(service.startSignup(d, '粤B33333', 'wechat')).rejects.toMatchObject({ code: 'wallet_not_linked' });
    const none = new AgreementService({ agreements: repo, drivers, gateways: { alipay }, clock });
    expect(await answerTo(none.startSignup(d, '粤B33333', 'wechat'))).toMatchObject({ code: 'provider_unavailable', status: 503 });
    expect(none.offered()).toEqual(['alipay']);
  });

  it("another driver's agreement reads as not found", async () => {
    const d1 = await driverWith(['苏E44444']);
    const d2 = await driverWith(['苏E44444']);
    const { agreement } = await service.startSignup(d1, '苏E44444', 'alipay');
    expect(await answerTo(service.confirm(d2, agreement.id))).toMatchObject({ code: 'not_found', status: 404 });
    await expect(service.end(d2, agreement.id)).rejects.toMatchObject({ code: 'not_found' });
  });
});

describe('ending', () => {
  it('Alipay unsigns; a new sign-up after that is a new round with a new signNo', async () => {
    const d = await driverWith(['浙A55555']);
    const { agreement } = await service.startSignup(d, '浙A55555', 'alipay');
    alipay.sign(agreement.signNo);
    await service.confirm(d, agreement.id);
    const ended = await service.end(d, agreement.id);
    expect(ended).toMatchObject({ state: 'ended', reason: 'ended_by_driver' });
    expect(alipay.agreements.get(agreement.signNo)!.state).toBe('ended');
    expect(await service.liveForPlate('浙A55555', 'p_any')).toEqual([]);
    // Ending again changes nothing and asks nobody.
    const calls = alipay.calls.length;
    expect((await service.end(d, agreement.id)).state).toBe('ended');
    expect(alipay.calls.length).toBe(calls);

    const again = await service.startSignup(d, '浙A55555', 'alipay');
    expect(again.agreement.id).toBe(agreement.id);
    expect(again.agreement.signNo).not.toBe(agreement.signNo);
    expect(again.agreement).toMatchObject({ state: 'signing' });
    expect(again.agreement.agreementNo).toBeUndefined();
  });

  it('WeChat: the driver is told to end it in WeChat; the record stays active', async () => {
    const d = await driverWith(['京A66666']);
    const { agreement } = await service.startSignup(d, '京A66666', 'wechat');
    wechat.sign(agreement.signNo);
    await service.confirm(d, agreement.id);
    expect(await answerTo(service.end(d, agreement.id))).toMatchObject({ code: 'end_with_provider', status: 409, message: expect.stringContaining('微信车主服务') });
    expect((await repo.get(agreement.id))!.state).toBe('active');
  });

  it('a sign-up never finished just stops (nothing to end at the provider)', async () => {
    const d = await driverWith(['京A77777']);
    const { agreement } = await service.startSignup(d, '京A77777', 'wechat');
    expect((await service.end(d, agreement.id)).state).toBe('ended');
    expect(wechat.calls.filter((c) => c.op === 'end')).toEqual([]);
  });
});

describe('the provider is the truth', () => {
  it('stale records are refreshed when the driver looks; fresh ones are not asked again', async () => {
    const d = await driverWith(['京A88888', '京A88889']);
    const { agreement } = await service.startSignup(d, '京A88888', 'alipay');
    alipay.sign(agreement.signNo);
    await service.confirm(d, agreement.id);
    const before = alipay.calls.filter((c) => c.op === 'check').length;
    let plates = await service.list(d);
    expect(alipay.calls.filter((c) => c.op === 'check').length).toBe(before);
    expect(plates.map((p) => [p.plate, p.agreements.map((a) => a.state)])).toEqual([
      ['京A88888', ['active']],
      ['京A88889', []],
    ]);
    // The user ended it on Alipay's side; after staleMs the list shows it.
    alipay.setState(agreement.signNo, 'ended');
    clock.advance(61_000);
    plates = await service.list(d);
    expect(plates[0]!.agreements[0]).toMatchObject({ state: 'ended' });
  });

  it('a plate unbound while its agreement lives is still listed, to end it', async () => {
    const d = await driverWith(['京A99990']);
    const { agreement } = await service.startSignup(d, '京A99990', 'alipay');
    alipay.sign(agreement.signNo);
    await service.confirm(d, agreement.id);
    await drivers.removePlate(d, '京A99990');
    const plates = await service.list(d);
    expect(plates).toEqual([expect.objectContaining({ plate: '京A99990', bound: false, agreements: [expect.objectContaining({ state: 'active' })] })]);
  });

  it('notifications: by signNo or by plate + payer; a repeat changes nothing; reviving an ended one is checked first', async () => {
    const d = await driverWith(['京A99991']);
    const { agreement } = await service.startSignup(d, '京A99991', 'wechat');
    expect(await service.onEvent({ kind: 'agreement', provider: 'wechat', plate: '京A 99991', payer: { openId: 'someone-else' }, state: 'active' })).toBe('unknown');
    expect(await service.onEvent({ kind: 'agreement', provider: 'wechat', plate: '京A 99991', payer: { openId: (await repo.get(agreement.id))!.payer.openId }, state: 'active' })).toBe('applied');
    expect((await repo.get(agreement.id))!.state).toBe('active');
    expect(await service.onEvent({ kind: 'agreement', provider: 'wechat', signNo: agreement.signNo, state: 'paused' })).toBe('applied');
    expect(await service.onEvent({ kind: 'agreement', provider: 'wechat', signNo: agreement.signNo, state: 'paused' })).toBe('applied');
    expect((await repo.get(agreement.id))!.state).toBe('paused');
    expect(await service.onEvent({ kind: 'agreement', provider: 'wechat', signNo: agreement.signNo, state: 'ended' })).toBe('applied');
    // An old "active" resent after the end: WeChat says there is none → stays ended.
    expect(await service.onEvent({ kind: 'agreement', provider: 'wechat', signNo: agreement.signNo, state: 'active' })).toBe('checked');
    expect((await repo.get(agreement.id))!.state).toBe('ended');
    // A notification about an older round never touches the new one.
    const again = await service.startSignup(d, '京A99991', 'wechat');
    expect(await service.onEvent({ kind: 'agreement', provider: 'wechat', signNo: agreement.signNo, state: 'ended' })).toBe('unknown');
    expect((await repo.get(again.agreement.id))!.state).toBe('signing');
  });

  it('a notice naming only the plate (WeChat entry state) is checked with the provider for every record of that plate', async () => {
    const d = await driverWith(['京A99992']);
    const { agreement } = await service.startSignup(d, '京A99992', 'wechat');
    wechat.sign(agreement.signNo);
    await service.confirm(d, agreement.id);
    wechat.setState(agreement.signNo, 'paused');
    // The notice says "ended", WeChat's own view says paused: the view wins.
    expect(await service.onEvent({ kind: 'agreement', provider: 'wechat', plate: '京A 99992', state: 'ended' })).toBe('checked');
    expect((await repo.get(agreement.id))!.state).toBe('paused');
    expect(await service.onEvent({ kind: 'agreement', provider: 'wechat', plate: '京Z00000', state: 'ended' })).toBe('unknown');
  });
});
