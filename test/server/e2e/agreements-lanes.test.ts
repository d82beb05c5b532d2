/**
 * Withholding agreements and the lane payments that use them, end to end in demo mode: ParkPay's real
 * server (real database) with the WeChat Pay sandbox (vehicle parking service, Native QR codes), the Alipay
 * sandbox (agreements, agreement payments, precreate QR codes) and the Bluecard sandbox calling our signed
 * up URLs (4.16, 4.17, 4.27) as the lot does — and raw signed requests for the repeats.
 */
import { createHash } from 'node:crypto';
import { buildPath } from '../../../shared/api/contract';
import { agreementEndpoints, type AgreementView, type PlateAgreementsView, type SignupView } from '../../../shared/api/agreements';
import { loadConfig } from '../../../server/src/config';
import { ScaledClock } from '../../../server/src/core/clock';
import { demoWechatOpenId } from '../../../server/src/core/identity';
import { deductionId } from '../../../server/src/core/lanepay/channel-pay-model';
import { DEMO_OPERATOR } from '../../../server/sandbox/demo';
import { createLogger } from '../../../server/src/logger';
import { MongoLaneDeductionRepository } from '../../../server/src/repository/agreement-deductions';
import { MongoAgreementRepository } from '../../../server/src/repository/agreements';
import { MongoOrderRepository } from '../../../server/src/repository/orders';
import { DEMO_PARK_KEY, DEMO_PARK_NUMBER } from '../../../server/sandbox/bluecard';
import { startServer, type RunningServer } from '../../../server/src/server';
import { formatChinaHhmmss } from '../../../shared/time';
import { testDatabaseUri } from '../../support/db';
import { eventually } from '../../support/payment-world';

const P = DEMO_PARK_NUMBER;
const clock = new ScaledClock(Date.now(), 1);
let server: RunningServer;
let agreementsRepo: MongoAgreementRepository;
let deductionsRepo: MongoLaneDeductionRepository;
let orderRepo: MongoOrderRepository;

beforeAll(async () => {
  server = await startServer(
    loadConfig({
      PORT: '0',
      MONGODB_URI: `${testDatabaseUri()}pp_agreelanes_${Date.now()}`,
      PARKPAY_DEMO_BLUECARD_PORT: '0',
      PARKPAY_DEMO_WECHAT_LOGIN_PORT: '0',
      PARKPAY_DEMO_WECHATPAY_PORT: '0',
      PARKPAY_DEMO_ALIPAY_PORT: '0',
    }, undefined, { demoWithConfiguredKeys: true }),
    { logger: createLogger('silent'), workerPollMs: 100, clock },
  );
  agreementsRepo = new MongoAgreementRepository(server.database.connection);
  deductionsRepo = new MongoLaneDeductionRepository(server.database.connection);
  orderRepo = new MongoOrderRepository(server.database.connection);
  // Deductions settle at once unless a test says otherwise.
  sb().wechatPay.parking.setSettleMode('sync');
}, 60_000);
afterAll(async () => {
  await server.database.connection.dropDatabase().catch(() => undefined);
  await server.stop();
});

const sb = () => server.demo!.sandboxes;
const lot = () => sb().bluecard.park(P);

async function api<T = unknown>(method: string, path: string, token?: string, body?: unknown): Promise<{ status: number; body: T }> {
  const res = await fetch(`${server.url}${path}`, {
    method,
    headers: { ...(token ? { authorization: `Bearer ${token}` } : {}), ...(body !== undefined ? { 'content-type': 'application/json' } : {}) },
    body: body !== undefined ? JSON.stringify(body) : undefined,
  });
  return { status: res.status, body: (await res.json()) as T };
}

/** A demo driver (a WeChat identity) with these plates bound. */
async function driver(name: string, plates: string[]): Promise<string> {
  const r = await api<{ token: string }>('POST', '/api/auth/demo', undefined, { name });
  expect(r.status).toBe(200);
  for (const plate of plates) expect((await api('POST', '/api/me/plates', r.body.token, { plate })).status).toBe(200);
  return r.body.token;
}

const signup = (token: string, plateKey: string, provider: 'wechat' | 'alipay') =>
  api<{ agreement: AgreementView; signup: SignupView }>('POST', '/api/me/agreements', token, { plateKey, provider, returnUrl: `${server.url}/back` });
const confirm = (token: string, id: string) => api<{ agreement: AgreementView }>('POST', buildPath(agreementEndpoints.confirm, { agreementId: id }), token, {});
const end = (token: string, id: string) => api<{ agreement: AgreementView; error?: { code: string; message: string } }>('POST', buildPath(agreementEndpoints.end, { agreementId: id }), token, {});
const list = (token: string) => api<{ plates: PlateAgreementsView[]; offered: string[] }>('GET', '/api/me/agreements', token);

/** Sign a plate up with Alipay: the driver signs on the sandbox's page, the app confirms. */
async function alipaySigned(token: string, plate: string, user: string) {
  const s = await signup(token, plate, 'alipay');
  expect(s.status).toBe(200);
  if (s.body.signup.provider !== 'alipay') throw new Error('alipay');
  sb().alipay.agreements.sign(s.body.signup.signUrl, user);
  const c = await confirm(token, s.body.agreement.id);
  expect(c.body.agreement.state).toBe('active');
  return c.body.agreement;
}

/** Sign a plate up with WeChat's parking service (the user opens it in WeChat), the app confirms. */
async function wechatSigned(token: string, name: string, plate: string) {
  const s = await signup(token, plate, 'wechat');
  expect(s.status).toBe(200);
  sb().wechatPay.parking.openService({ openid: demoWechatOpenId(name), plateNumber: plate });
  const c = await confirm(token, s.body.agreement.id);
  expect(c.body.agreement.state).toBe('active');
  return c.body.agreement;
}

/** A car that came in `minutes` ago (the lot's clock is ours: settlement times line up). */
async function carIn(plate: string, minutes: number): Promise<string> {
  await sb().bluecard.setClock(clock.now() - minutes * 60_000);
  const { orderId } = await lot().arrive({ lane: '东门入口', plate, wait: true });
  await sb().bluecard.setClock(clock.now());
  return orderId;
}

const lotPayments = (orderId: string) => lot().dump().payments.filter((p) => p.orderId === orderId);

/** A 4.27 request as the lot sends it, signed: md5(key + parkNumber). */
async function channelPayRaw(body: { outTradeNo: string; plate: string; payCharge: string }) {
  const res = await fetch(`${server.url}/bluecard/v2/channel-pay`, {
    method: 'POST',
    headers: { 'content-type': 'application/json;charset=UTF-8', sign: createHash('md5').update(DEMO_PARK_KEY + P).digest('hex') },
    body: JSON.stringify({ parkNumber: P, plateID: encodeURIComponent(body.plate), payCharge: body.payCharge, outTradeNo: body.outTradeNo }),
  });
  expect(res.status).toBe(200);
  return (await res.json()) as { status: string; errorCode?: string };
}

describe('signing up and ending', () => {
  it("WeChat: the H5 demo's sign-up page (the parking service's extraData), confirm → active; ending is WeChat's", async () => {
    const token = await driver('agree-w1', ['京A70001']);
    const s = await signup(token, '京A70001', 'wechat');
    expect(s.status).toBe(200);
    expect(s.body.agreement).toMatchObject({ plate: '京A70001', provider: 'wechat', state: 'signing' });
    const start = s.body.signup;
    if (start.provider !== 'wechat') throw new Error('wechat');
    expect(start.navigate.appId).toBe('wxbcad394b3d99dac9');
    expect(start.navigate.extraData).toMatchObject({ openid: demoWechatOpenId('agree-w1'), plate_number: '京A70001', plate_color: 'BLUE', trade_scene: 'PARKING' });
    expect(start.h5Url).toMatch(/\/__sandbox\/parking\/signup\?/);

    // The driver taps "open" on the sandbox's page (what the H5 demo shows instead of WeChat's mini-program).
    const page = new URL(start.h5Url!);
    const form = new URLSearchParams(page.searchParams);
    form.set('action', 'open');
    const opened = await fetch(`${page.origin}${page.pathname}`, { method: 'POST', headers: { 'content-type': 'application/x-www-form-urlencoded' }, body: form.toString() });
    expect(opened.status).toBe(200);

    const c = await confirm(token, s.body.agreement.id);
    expect(c.status).toBe(200);
    expect(c.body.agreement).toMatchObject({ state: 'active' });
    const l = await list(token);
    expect(l.body.offered).toEqual(['wechat', 'alipay']);
    expect(l.body.plates).toEqual([expect.objectContaining({ plate: '京A70001', bound: true, agreements: [expect.objectContaining({ provider: 'wechat', state: 'active' })] })]);

    const e = await end(token, s.body.agreement.id);
    expect(e.status).toBe(409);
    expect(e.body.error).toMatchObject({ code: 'end_with_provider', message: expect.stringContaining('微信车主服务') });
    // The driver ends it in WeChat; the next look says so.
    sb().wechatPay.parking.endService({ plateNumber: '京A70001' });
    expect((await confirm(token, s.body.agreement.id)).body.agreement.state).toBe('ended');
  });

  it('Alipay: the sign page, then Alipay’s notification makes it active by itself; ending unsigns at Alipay', async () => {
    const token = await driver('agree-a1', ['沪B70002']);
    const s = await signup(token, '沪B70002', 'alipay');
    expect(s.status).toBe(200);
    if (s.body.signup.provider !== 'alipay') throw new Error('alipay');
    expect(s.body.signup.signUrl).toContain('alipay.user.agreement.page.sign');
    const signed = sb().alipay.agreements.sign(s.body.signup.signUrl, 'agree-a1-user');
    expect(signed.externalAgreementNo).toBe((await agreementsRepo.get(s.body.agreement.id))!.signNo);
    // dut_user_sign reaches /notify/alipay/agreement: active without the app asking.
    const active = await eventually(() => agreementsRepo.get(s.body.agreement.id), (r) => r?.state === 'active', 10_000);
    expect(active).toMatchObject({ agreementNo: signed.agreementNo, payer: expect.objectContaining({ openId: signed.user.openId }) });

    const e = await end(token, s.body.agreement.id);
    expect(e.status).toBe(200);
    expect(e.body.agreement).toMatchObject({ state: 'ended', reason: 'ended_by_driver' });
    expect(sb().alipay.agreements.agreement(signed.agreementNo)!.status).not.toBe('NORMAL');
    // Sign up again: a new round at Alipay.
    const again = await signup(token, '沪B70002', 'alipay');
    expect(again.body.agreement).toMatchObject({ id: s.body.agreement.id, state: 'signing' });
  });

  it('only a bound plate; another driver cannot see or end it', async () => {
    const t1 = await driver('agree-o1', ['粤B70003']);
    const t2 = await driver('agree-o2', []);
    expect((await signup(t1, '粤B79999', 'alipay')).body).toMatchObject({ error: { code: 'plate_not_bound' } });
    const a = await alipaySigned(t1, '粤B70003', 'agree-o1-user');
    expect((await end(t2, a.id)).status).toBe(404);
    expect((await list(t2)).body.plates).toEqual([]);
  });
});

describe('withholding notifications', () => {
  it('a forged or unsigned one is refused and changes nothing', async () => {
    const token = await driver('notify-1', ['京A70040']);
    const s = await signup(token, '京A70040', 'alipay');
    const signNo = (await agreementsRepo.get(s.body.agreement.id))!.signNo;
    const forged = new URLSearchParams({ notify_type: 'dut_user_sign', notify_id: 'x1', app_id: 'whatever', agreement_no: 'A1', status: 'NORMAL', external_agreement_no: signNo, sign: 'AAAA', sign_type: 'RSA2' });
    const a = await fetch(`${server.url}/notify/alipay/agreement`, { method: 'POST', headers: { 'content-type': 'application/x-www-form-urlencoded' }, body: forged.toString() });
    expect(await a.text()).toBe('fail');
    const w = await fetch(`${server.url}/notify/wechatpay/parking`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ id: 'x', event_type: 'TRANSACTION.SUCCESS', resource: {} }) });
    expect(w.status).toBe(401);
    expect((await agreementsRepo.get(s.body.agreement.id))!.state).toBe('signing');
  });
});

describe('4.16 at the exit lane', () => {
  it('a plate with an agreement: deducted, answered `agreement`, the lot counts it and the car owes nothing', async () => {
    const token = await driver('lane-a1', ['京A70010']);
    await alipaySigned(token, '京A70010', 'lane-a1-user');
    const orderId = await carIn('京A70010', 95);
    const r = await lot().withholdOrQr({ lane: '东门出口', orderId });
    expect(r.result).toMatchObject({ status: 'success' });
    const agreement = (r.result.answer as { datas: { agreement: Record<string, string>; qrCode?: string } }).datas;
    expect(agreement.qrCode).toBeUndefined();
    expect(agreement.agreement).toEqual({ outTradeNo: r.outTradeNo, payType: '支付宝', totalFee: '4.00', tradeNo: expect.stringMatching(/^PW/), userId: '' });
    expect(r.payment).toMatchObject({ fen: 400, via: '4.16', payNo: agreement.agreement!.tradeNo });
    expect(r.owed).toBe('0.00');
    expect(sb().alipay.trade(agreement.agreement!.tradeNo!)).toMatchObject({ via: 'alipay.trade.pay', totalFen: 400, tradeStatus: 'TRADE_SUCCESS' });
    // 4.17 for the same outTradeNo tells the same payment.
    const q = await lot().qrPayResult({ outTradeNo: r.outTradeNo! });
    expect((q.result.answer as { datas: { tradeNo: string } }).datas.tradeNo).toBe(agreement.agreement!.tradeNo);
    expect(lotPayments(orderId)).toHaveLength(1);
  });

  it('no agreement: a WeChat Native QR; 4.17 says not paid, the sandbox pays, 4.17 answers the payment and the lot counts it once', async () => {
    const orderId = await carIn('京A70011', 75);
    const r = await lot().withholdOrQr({ lane: '东门出口', orderId });
    expect(r.result.status).toBe('success');
    const qrCode = (r.result.answer as { datas: { qrCode: string } }).datas.qrCode;
    expect(qrCode).toMatch(/^weixin:\/\/wxpay\/bizpayurl\?pr=/);
    expect(r.payment).toBeUndefined();

    const before = await lot().qrPayResult({ outTradeNo: r.outTradeNo! });
    expect(before.result).toMatchObject({ status: 'fail', errorCode: expect.stringMatching(/^not_paid/) });
    // A resend of 4.16 puts the same code on the screen.
    const resent = await lot().withholdOrQr({ lane: '东门出口', orderId });
    expect(resent.outTradeNo === r.outTradeNo ? (resent.result.answer as { datas: { qrCode: string } }).datas.qrCode : qrCode).toBe(qrCode);

    const order = sb().wechatPay.orders().find((o) => o.codeUrl === qrCode)!;
    expect(order).toMatchObject({ kind: 'NATIVE', totalFen: 400 });
    sb().wechatPay.pay(order.outTradeNo, { openid: 'o-someone-at-the-lane' });
    await eventually(() => orderRepo.get(order.outTradeNo), (o) => o?.status === 'paid', 10_000);

    const after = await lot().qrPayResult({ outTradeNo: r.outTradeNo! });
    expect(after.result).toMatchObject({ status: 'success' });
    expect((after.result.answer as { datas: unknown }).datas).toEqual({
      timeStamp: expect.stringMatching(/^\d+$/),
      outTradeNo: r.outTradeNo,
      payType: '微信',
      totalFee: '4.00',
      tradeNo: order.outTradeNo,
      userId: '',
      plate: '京A70011',
    });
    expect(after.payment).toMatchObject({ fen: 400, via: '4.17', payNo: order.outTradeNo });
    expect(after.owed).toBe('0.00');
    const ours = (await orderRepo.get(order.outTradeNo))!;
    expect(ours).toMatchObject({ kind: 'lane_qr', status: 'delivered', delivery: expect.objectContaining({ via: '4.17', state: 'done' }) });
    // Polled again: the same answer; still one payment at the lot (no sendPayRes after 4.17 collected it).
    await lot().qrPayResult({ outTradeNo: r.outTradeNo! });
    // What the order worker would do next for it: nothing is due.
    expect(await server.orders.deliver(server.worker.owner, order.outTradeNo)).toBeUndefined();
    expect(lotPayments(orderId)).toHaveLength(1);
  });

  it('an agreement without the money (Alipay balance 0): nothing taken, a QR instead', async () => {
    const token = await driver('lane-a2', ['京A70012']);
    await alipaySigned(token, '京A70012', 'lane-a2-user');
    sb().alipay.agreements.setBalance('lane-a2-user', 0);
    const orderId = await carIn('京A70012', 95);
    const r = await lot().withholdOrQr({ lane: '东门出口', orderId });
    expect((r.result.answer as { datas: { qrCode?: string } }).datas.qrCode).toMatch(/^weixin:/);
    expect(r.payment).toBeUndefined();
    expect(await deductionsRepo.get(deductionId(P, r.outTradeNo!))).toMatchObject({ state: 'failed', failure: { code: 'insufficient_funds' } });

    // The driver tops up and pays the same price through Bluecard's page (4.27): the unpaid QR is closed
    // first, so the same stay can never be paid twice; then the agreement pays.
    sb().alipay.agreements.setBalance('lane-a2-user', null);
    expect(await channelPayRaw({ outTradeNo: r.outTradeNo!, plate: '京A70012', payCharge: '4.00' })).toEqual({ status: 'success' });
    const qr = (await orderRepo.byOutTradeNo(P, r.outTradeNo!))!;
    expect(qr).toMatchObject({ kind: 'lane_qr', status: 'closed', closedReason: 'cancelled' });
    expect(sb().wechatPay.orders().find((o) => o.outTradeNo === qr.orderNo)!.tradeState).toBe('CLOSED');
    expect(await deductionsRepo.get(deductionId(P, r.outTradeNo!))).toMatchObject({ state: 'paid', attempts: 2 });
  });
});

describe('4.27 third-party channel pay', () => {
  it('a WeChat parking-service agreement: success, the lot counts it, WeChat has one deduction', async () => {
    const token = await driver('cp-w1', ['京A70020']);
    await wechatSigned(token, 'cp-w1', '京A70020');
    const orderId = await carIn('京A70020', 95);
    const r = await lot().channelPay({ lane: '东门出口', orderId });
    expect(r.result).toMatchObject({ status: 'success' });
    expect(r.payment).toMatchObject({ fen: 400, via: '4.27' });
    const d = (await deductionsRepo.get(deductionId(P, r.outTradeNo!)))!;
    expect(d).toMatchObject({ state: 'paid', paidFen: 400, via: '4.27', attempt: { provider: 'wechat' } });
    expect(sb().wechatPay.parking.transactions().filter((t) => t.outTradeNo === d.attempt!.tradeNo)).toEqual([expect.objectContaining({ state: 'SUCCESS' })]);
  });

  it("WeChat's deduction accepted and debited later: ParkPay waits for the money before answering success", async () => {
    const token = await driver('cp-w2', ['京A70021']);
    await wechatSigned(token, 'cp-w2', '京A70021');
    sb().wechatPay.parking.setSettleMode('async', 1_000);
    try {
      const orderId = await carIn('京A70021', 95);
      const r = await lot().channelPay({ lane: '东门出口', orderId });
      expect(r.result).toMatchObject({ status: 'success' });
      expect(await deductionsRepo.get(deductionId(P, r.outTradeNo!))).toMatchObject({ state: 'paid' });
    } finally {
      sb().wechatPay.parking.setSettleMode('sync');
    }
  });

  it('no agreement, and insufficient funds: fail with the reason; the lot counts nothing', async () => {
    const noneId = await carIn('京A70022', 95);
    const none = await lot().channelPay({ lane: '东门出口', orderId: noneId });
    expect(none.result).toMatchObject({ status: 'fail', errorCode: expect.stringMatching(/^no_agreement: 京A70022/) });
    expect(none.owed).toBe('4.00');

    const token = await driver('cp-w3', ['京A70023']);
    await wechatSigned(token, 'cp-w3', '京A70023');
    sb().wechatPay.parking.setFlags({ plateNumber: '京A70023', insufficientBalance: true });
    const poorId = await carIn('京A70023', 95);
    const poor = await lot().channelPay({ lane: '东门出口', orderId: poorId });
    expect(poor.result).toMatchObject({ status: 'fail', errorCode: expect.stringMatching(/^insufficient_funds/) });
    expect(lotPayments(poorId)).toEqual([]);
  });

  it('repeats of one outTradeNo, sequential and concurrent, take the money once', async () => {
    const token = await driver('cp-a1', ['京A70024', '京A70025']);
    await alipaySigned(token, '京A70024', 'cp-a1-user');
    const seqOrder = await carIn('京A70024', 95);
    const seqTrade = `${P}_2_${seqOrder}_${formatChinaHhmmss(clock.now())}`;
    for (let i = 0; i < 3; i++) expect(await channelPayRaw({ outTradeNo: seqTrade, plate: '京A70024', payCharge: '4.00' })).toEqual({ status: 'success' });
    const seqNo = (await deductionsRepo.get(deductionId(P, seqTrade)))!.attempt!.tradeNo;
    expect(sb().alipay.trades().filter((t) => t.via === 'alipay.trade.pay' && t.outTradeNo === seqNo)).toHaveLength(1);

    await wechatSigned(token, 'cp-a1', '京A70025');
    const conOrder = await carIn('京A70025', 95);
    const conTrade = `${P}_2_${conOrder}_${formatChinaHhmmss(clock.now())}`;
    const answers = await Promise.all(Array.from({ length: 6 }, () => channelPayRaw({ outTradeNo: conTrade, plate: '京 A70025', payCharge: '4' })));
    expect(answers).toEqual(Array(6).fill({ status: 'success' }));
    const d = (await deductionsRepo.get(deductionId(P, conTrade)))!;
    expect(d).toMatchObject({ state: 'paid', attempts: 1 });
    const deductedAtWechat = sb().wechatPay.parking.transactions().filter((t) => (t.parkingInfo as { plate_number?: string }).plate_number === '京A70025');
    expect(deductedAtWechat.map((t) => t.outTradeNo)).toEqual([d.attempt!.tradeNo]);
  });
});

describe('a paid lane QR the lot has not polled for', () => {
  it('is sent with sendPayRes (扫码付, the lot’s settlement time) after the grace; a later 4.17 is the same payment', async () => {
    // This park's lane QR is Alipay's, set by its operator.
    const login = await api<{ token: string }>('POST', '/api/op/auth/login', undefined, { username: DEMO_OPERATOR.username, password: DEMO_OPERATOR.password });
    expect(login.status).toBe(200);
    expect((await api('POST', `/api/op/parks/${P}`, login.body.token, { settings: { laneQrProvider: 'alipay' } })).status).toBe(200);

    const orderId = await carIn('京A70030', 95);
    const r = await lot().withholdOrQr({ lane: '东门出口', orderId });
    const qrCode = (r.result.answer as { datas: { qrCode: string } }).datas.qrCode;
    const order = (await orderRepo.byOutTradeNo(P, r.outTradeNo!))!;
    expect(order).toMatchObject({ kind: 'lane_qr', provider: 'alipay', gateway: { qrCode } });
    expect(sb().alipay.trade(order.orderNo)).toMatchObject({ via: 'alipay.trade.precreate', qrCode });
    // Nobody has scanned it: Alipay has no trade yet — still simply "not paid".
    expect((await lot().qrPayResult({ outTradeNo: r.outTradeNo! })).result).toMatchObject({ status: 'fail', errorCode: expect.stringMatching(/^not_paid/) });
    sb().alipay.pay(order.orderNo, 'someone-at-the-lane');
    await eventually(() => orderRepo.get(order.orderNo), (o) => o?.status === 'paid');
    // What the order worker would do next for it: nothing is due yet.
    expect(await server.orders.deliver(server.worker.owner, order.orderNo)).toBeUndefined();
    expect(lotPayments(orderId)).toEqual([]); // held for the lot's 4.17 poll
    // The hold is a time on the delivery (due 30 s after the payment), not failed attempts using up the backoff.
    const held = (await orderRepo.get(order.orderNo))!;
    expect(held.delivery).toMatchObject({ attempts: 0, nextAttemptAt: new Date(held.updatedAt.getTime() + 30_000) });

    clock.advance(31_000);
    const done = await eventually(() => orderRepo.get(order.orderNo), (o) => o?.status === 'delivered', 10_000);
    expect(done!.delivery).toMatchObject({ state: 'done', transactionID: order.orderNo });
    expect(done!.delivery!.via).toBeUndefined();
    expect(lotPayments(orderId)).toEqual([expect.objectContaining({ payNo: order.orderNo, fen: 400, via: '4.5', payChannel: '扫码付', payKind: '支付宝' })]);

    const late = await lot().qrPayResult({ outTradeNo: r.outTradeNo! });
    expect(late.result).toMatchObject({ status: 'success' });
    expect((late.result.answer as { datas: { tradeNo: string } }).datas.tradeNo).toBe(order.orderNo);
    expect(lotPayments(orderId)).toHaveLength(1);
  });
});
