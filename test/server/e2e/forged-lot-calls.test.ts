/**
 * The lot's static sign (md5(key + parkNumber)) is not proof that a charge is owed. Replayed with a valid
 * sign, through ParkPay's real server in demo mode (the Bluecard, WeChat Pay and Alipay sandboxes):
 *  - 4.27 for a driver's agreement with no stay of that plate at the lot takes nothing (no_stay), however
 *    often and for whatever amount;
 *  - 4.27 for a car that is in the lot, for more than the lot's own price (4.4), takes nothing;
 *  - an agreement signed up for one park is not charged at another;
 *  - the caps per deduction and per agreement per day hold;
 *  - 4.16 with no stay offers a QR but takes nothing from the agreement, and for more than the lot's price
 *    offers nothing.
 * The genuine lot's calls still pay (the control in each case).
 */
import { createHash } from 'node:crypto';
import { buildPath } from '../../../shared/api/contract';
import { agreementEndpoints, type AgreementView, type SignupView } from '../../../shared/api/agreements';
import { formatChinaHhmmss } from '../../../shared/time';
import { loadConfig } from '../../../server/src/config';
import { deductionId } from '../../../server/src/core/lanepay/channel-pay-model';
import { createLogger } from '../../../server/src/logger';
import { MongoLaneDeductionRepository } from '../../../server/src/repository/agreement-deductions';
import { DEMO_OPERATOR } from '../../../server/sandbox/demo';
import { DEMO_PARK_KEY, DEMO_PARK_NUMBER } from '../../../server/sandbox/bluecard';
import { startServer, type RunningServer } from '../../../server/src/server';
import { testDatabaseUri } from '../../support/db';

const P = DEMO_PARK_NUMBER;
const OTHER = { parkNumber: 'p_forged_other', key: 'other-park-key-01', bluecardBaseUrl: 'http://127.0.0.1:1', name: '别处停车场' };
let server: RunningServer;
let deductions: MongoLaneDeductionRepository;

beforeAll(async () => {
  server = await startServer(
    loadConfig({
      PORT: '0',
      MONGODB_URI: `${testDatabaseUri()}pp_forged_${Date.now()}`,
      PARKPAY_DEMO_BLUECARD_PORT: '0',
      PARKPAY_DEMO_WECHAT_LOGIN_PORT: '0',
      PARKPAY_DEMO_WECHATPAY_PORT: '0',
      PARKPAY_DEMO_ALIPAY_PORT: '0',
      PARKPAY_PARKS: JSON.stringify([OTHER]),
    }, undefined, { demoWithConfiguredKeys: true }),
    { logger: createLogger('silent'), workerPollMs: 100 },
  );
  deductions = new MongoLaneDeductionRepository(server.database.connection);
  await sb().bluecard.setClock(Date.now());
}, 60_000);
jest.setTimeout(30_000);
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

/** A demo driver with the plate bound and an Alipay agreement for it (all parks unless `scope` says otherwise). */
async function signedDriver(name: string, plate: string, scope?: { kind: 'park'; parkNumber: string } | { kind: 'all' }) {
  const login = await api<{ token: string }>('POST', '/api/auth/demo', undefined, { name });
  const token = login.body.token;
  expect((await api('POST', '/api/me/plates', token, { plate })).status).toBe(200);
  const s = await api<{ agreement: AgreementView; signup: SignupView }>('POST', '/api/me/agreements', token, { plateKey: plate, provider: 'alipay', returnUrl: `${server.url}/back`, ...(scope ? { scope } : {}) });
  expect(s.status).toBe(200);
  if (s.body.signup.provider !== 'alipay') throw new Error('alipay');
  sb().alipay.agreements.sign(s.body.signup.signUrl, `${name}-user`);
  const c = await api<{ agreement: AgreementView }>('POST', buildPath(agreementEndpoints.confirm, { agreementId: s.body.agreement.id }), token, {});
  expect(c.body.agreement.state).toBe('active');
  return { token, agreement: c.body.agreement };
}

/** What the driver's Alipay account has been charged by agreement payments. */
const debits = (plate: string) => sb().alipay.trades().filter((t) => t.via === 'alipay.trade.pay' && (t as { subject?: string }).subject?.includes(plate));
const takenFen = () => sb().alipay.trades().filter((t) => t.via === 'alipay.trade.pay' && t.tradeStatus === 'TRADE_SUCCESS').reduce((n, t) => n + t.totalFen, 0);

/** A signed lot call, as anyone who has seen one can send it. */
async function replay(path: string, parkNumber: string, key: string, body: Record<string, unknown>) {
  const res = await fetch(`${server.url}/bluecard/v2/${path}`, {
    method: 'POST',
    headers: { 'content-type': 'application/json', sign: createHash('md5').update(key + parkNumber).digest('hex') },
    body: JSON.stringify({ parkNumber, ...body }),
  });
  expect(res.status).toBe(200);
  return (await res.json()) as { status: string; errorCode?: string; datas?: Record<string, unknown> };
}
const channelPay = (plate: string, payCharge: string, outTradeNo: string, park = P, key = DEMO_PARK_KEY) =>
  replay('channel-pay', park, key, { plateID: encodeURIComponent(plate), payCharge, outTradeNo });

/** A car that came in `minutes` ago (the lot's clock is real time). */
async function carIn(plate: string, minutes: number): Promise<string> {
  await sb().bluecard.setClock(Date.now() - minutes * 60_000);
  const { orderId } = await lot().arrive({ lane: '东门入口', plate, wait: true });
  await sb().bluecard.setClock(Date.now());
  return orderId;
}
const tradeFor = (orderId: string) => `${P}_2_${orderId}_${formatChinaHhmmss(Date.now())}`;

describe('4.27 replayed with the park sign', () => {
  it('for a driver with no stay at the lot: nothing is taken, for any amount or outTradeNo', async () => {
    await signedDriver('forge-1', '京F90001');
    const before = takenFen();
    // The replay: ¥200 (over the park's cap per deduction, too).
    expect(await channelPay('京F90001', '200.00', `${P}_2_forged0_101459`)).toMatchObject({ status: 'fail' });
    const a = await channelPay('京F90001', '90.00', `${P}_2_forged1_101500`);
    expect(a).toEqual({ status: 'fail', errorCode: expect.stringMatching(/^no_stay: /) });
    const b = await channelPay('京F90001', '90.00', `${P}_2_forged2_101501`);
    expect(b.status).toBe('fail');
    const c = await channelPay('京F90001', '3.00', 'no-shape-at-all');
    expect(c).toEqual({ status: 'fail', errorCode: expect.stringMatching(/^no_stay: /) });
    expect(takenFen()).toBe(before);
    expect(debits('京F90001')).toEqual([]);
    expect(await deductions.get(deductionId(P, `${P}_2_forged1_101500`))).toBeUndefined();
  });

  it('for a car in the lot, naming another stay than its own: nothing is taken', async () => {
    await signedDriver('forge-2', '京F90002');
    const mine = await carIn('京F90002', 95);
    const someoneElse = await carIn('京F90099', 95);
    expect(await channelPay('京F90002', '4.00', tradeFor(someoneElse))).toEqual({ status: 'fail', errorCode: expect.stringMatching(/^no_stay: /) });
    // Its own stay, at the lot's price: paid (the control).
    expect(await channelPay('京F90002', '4.00', tradeFor(mine))).toEqual({ status: 'success' });
  });

  it('for a car in the lot, for more than the lot prices its stay at (4.4): nothing is taken', async () => {
    await signedDriver('forge-3', '京F90003');
    const orderId = await carIn('京F90003', 95); // the lot's tariff: ¥4.00 now
    expect(await channelPay('京F90003', '90.00', tradeFor(orderId))).toEqual({ status: 'fail', errorCode: 'amount_exceeds_fee: the lot prices this stay at 4.00 yuan now, not 90.00' });
    expect(await channelPay('京F90003', '4.01', `${tradeFor(orderId)}`.replace(/_\d{6}$/, '_000001'))).toEqual({ status: 'fail', errorCode: expect.stringMatching(/^amount_exceeds_fee: /) });
    expect(debits('京F90003')).toEqual([]);
    // The lot itself, at the exit lane: its price is paid.
    const r = await lot().channelPay({ lane: '东门出口', orderId });
    expect(r.result).toMatchObject({ status: 'success' });
    expect(r.payment).toMatchObject({ fen: 400, via: '4.27' });
  });

  it("another park's sign does not reach an agreement limited to the park where it was signed", async () => {
    await signedDriver('forge-4', '京F90004', { kind: 'park', parkNumber: OTHER.parkNumber });
    const orderId = await carIn('京F90004', 95);
    // The car is at the demo park; its agreement covers only the other park.
    expect(await channelPay('京F90004', '4.00', tradeFor(orderId))).toEqual({ status: 'fail', errorCode: expect.stringMatching(/^no_agreement: /) });
    expect(debits('京F90004')).toEqual([]);
  });
});

describe('caps per agreement, per park', () => {
  it('per deduction and per day: beyond them nothing is taken, the park operator may raise them', async () => {
    const login = await api<{ token: string }>('POST', '/api/op/auth/login', undefined, { username: DEMO_OPERATOR.username, password: DEMO_OPERATOR.password });
    const setCaps = (withholding: Record<string, number>) => api('POST', `/api/op/parks/${P}`, login.body.token, { settings: { withholding } });
    expect((await setCaps({ maxPerDeductionFen: 300, maxPerDayFen: 1_000 })).status).toBe(200);
    try {
      await signedDriver('cap-1', '京F90005');
      const first = await carIn('京F90005', 95); // ¥4.00
      const refused = await lot().channelPay({ lane: '东门出口', orderId: first });
      expect(refused.result).toMatchObject({ status: 'fail', errorCode: expect.stringMatching(/^over_limit: 4\.00 yuan is more than this park allows in one deduction \(3\.00\)/) });
      expect((await setCaps({ maxPerDeductionFen: 1_000 })).status).toBe(200);
      // The lot's own 4.27s (the car leaves once paid).
      expect((await lot().channelPay({ lane: '东门出口', orderId: first })).result).toMatchObject({ status: 'success' });
      const second = await carIn('京F90005', 95);
      expect((await lot().channelPay({ lane: '东门出口', orderId: second })).result).toMatchObject({ status: 'success' });
      // ¥8.00 taken today; ¥4.00 more would pass the ¥10.00 a day.
      const third = await carIn('京F90005', 95);
      expect((await lot().channelPay({ lane: '东门出口', orderId: third })).result).toMatchObject({ status: 'fail', errorCode: expect.stringMatching(/^over_limit: .*today/) });
      expect(debits('京F90005').filter((t) => t.tradeStatus === 'TRADE_SUCCESS')).toHaveLength(2);
    } finally {
      await setCaps({ maxPerDeductionFen: 10_000, maxPerDayFen: 20_000 });
    }
  });
});

describe('4.16 replayed with the park sign', () => {
  it('no stay: a QR at most (nobody pays it unless they scan it), nothing from the agreement; more than the price: nothing', async () => {
    await signedDriver('forge-5', '京F90006');
    const forged = await replay('withhold-or-qrcode', P, DEMO_PARK_KEY, { outTradeNo: `${P}_2_forged5_101500`, payCharge: '90.00', plate: '京F90006' });
    expect(forged.status).toBe('success');
    expect(forged.datas!.agreement).toBeUndefined();
    expect(debits('京F90006')).toEqual([]);

    const orderId = await carIn('京F90006', 95);
    const inflated = await replay('withhold-or-qrcode', P, DEMO_PARK_KEY, { outTradeNo: tradeFor(orderId), payCharge: '90.00', plate: '京F90006' });
    expect(inflated).toEqual({ status: 'fail', errorCode: expect.stringMatching(/^amount_exceeds_fee: /) });
    expect(debits('京F90006')).toEqual([]);
    // The lot's own 4.16 at the exit: deducted at its price.
    const r = await lot().withholdOrQr({ lane: '东门出口', orderId });
    expect(r.payment).toMatchObject({ fen: 400, via: '4.16' });
  });
});
