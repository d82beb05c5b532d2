/**
 * Money a lane deduction took after the lot was answered fail, and that the lot never collected, is given
 * back (core/lanepay/deduction-refunds.ts, port/jobs/deduction-refund-job.ts) — through the WeChat Pay
 * sandbox (vehicle parking service: ACCEPTED, settled SUCCESS later) and the Alipay sandbox (a 10003 the
 * user completes), their notifications to ParkPay's withholding notify routes, the real database and one
 * manual clock:
 *  - settled after a fail answer, nobody asks again → refunded after the grace, the money back at the provider;
 *  - settled, then the lot repeats inside the grace → success, never refunded;
 *  - a repeat (4.27, 4.16, 4.17) after the refund started → fail `refunded`, never success;
 *  - two workers, a lost refund answer and a restart → one refund;
 *  - a lost deduction notification → the job asks the provider;
 * and the stay's entry time sent to the provider comes from the lot's 4.2 record (kept for every retry).
 */
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { createAlipayWithholdingGateway } from '../../../../server/src/adapter/payments/alipay-withholding';
import { createWechatWithholdingGateway, type WechatWithholdingGateway } from '../../../../server/src/adapter/payments/wechat-withholding';
import { WechatPayAdapter } from '../../../../server/src/adapter/wechatpay';
import { createApp } from '../../../../server/src/app';
import { AgreementService } from '../../../../server/src/core/agreements/service';
import { ManualClock } from '../../../../server/src/core/clock';
import { ChannelPayService } from '../../../../server/src/core/lanepay/channel-pay';
import { LaneDeductionService } from '../../../../server/src/core/lanepay/lane-deductions';
import { deductionId, type LaneDeduction } from '../../../../server/src/core/lanepay/channel-pay-model';
import { DeductionRefunds, DRIVER_REFUND_REASON } from '../../../../server/src/core/lanepay/deduction-refunds';
import { DeductionGuard } from '../../../../server/src/core/lanepay/deduction-trust';
import { parseOutTradeNo } from '../../../../server/src/core/lanepay/lane-qr-trade';
import { normalizePlate } from '../../../../shared/plate';
import { LaneQrService } from '../../../../server/src/core/lanepay/lane-qr';
import type { Park } from '../../../../server/src/core/parks';
import { createLogger } from '../../../../server/src/logger';
import { DeductionRefundJob } from '../../../../server/src/port/jobs/deduction-refund-job';
import { WITHHOLDING_NOTIFY_PATHS, withholdingNotifyRouter } from '../../../../server/src/port/notify/withholding';
import { MongoLaneDeductionRepository } from '../../../../server/src/repository/agreement-deductions';
import { MongoAgreementRepository } from '../../../../server/src/repository/agreements';
import { MongoAgreementSpendRepository } from '../../../../server/src/repository/agreement-spend';
import { MongoDriverRepository } from '../../../../server/src/repository/drivers';
import { MongoLotRecordsRepository } from '../../../../server/src/repository/lot-records';
import { MongoOrderRepository } from '../../../../server/src/repository/orders';
import { MongoWorkQueue } from '../../../../server/src/repository/work';
import { startAlipaySandbox, type AlipaySandbox } from '../../../../server/sandbox/alipay';
import { startWechatPaySandbox, type WechatPaySandbox } from '../../../../server/sandbox/wechatpay';
import { openTestDatabase, type TestDatabase } from '../../../support/db';
import { eventually, waitUntil } from '../../../support/eventually';

const MIN = 60_000;
/** No lane QR orders in these tests: an order service that refuses every call. */
const noQr = () => Promise.reject(new Error('no QR orders here'));
const noQrOrders = { view: noQr, openLaneQr: noQr, laneQrMade: noQr, collectedByLot: noQr };
const GRACE = 10 * MIN;
const clock = new ManualClock(Date.UTC(2026, 10, 28, 2, 0, 0));
const logger = createLogger('silent');
const park: Park = { parkNumber: 'p_refund_001', key: 'k', bluecardBaseUrl: 'http://127.0.0.1:1', name: '退款测试停车场', settings: { channelPayPolicy: 'secured' } };

let db: TestDatabase;
let wechat: WechatPaySandbox;
let alipay: AlipaySandbox;
let server: http.Server;
let repo: MongoLaneDeductionRepository;
let stays: MongoLotRecordsRepository;
let drivers: MongoDriverRepository;
let orders: MongoOrderRepository;
let agreements: AgreementService;
let lanes: LaneDeductionService;
let channel: ChannelPayService;
let laneQr: LaneQrService;
let refunds: DeductionRefunds;
let wechatGateway: WechatWithholdingGateway;
let lanesTrust: DeductionGuard;
let lanesSpend: MongoAgreementSpendRepository;

/** A worker of its own (another process, or this one after a restart). */
const job = (owner: string) => new DeductionRefundJob(refunds, { logger, owner });

beforeAll(async () => {
  db = await openTestDatabase('dedrefunds');
  repo = new MongoLaneDeductionRepository(db.connection);
  stays = new MongoLotRecordsRepository(db.connection);
  drivers = new MongoDriverRepository(db.connection);
  orders = new MongoOrderRepository(db.connection);
  const agreementRepo = new MongoAgreementRepository(db.connection);
  const spend = new MongoAgreementSpendRepository(db.connection);
  await Promise.all([repo.init(), stays.init(), drivers.init(), orders.init(), agreementRepo.init(), spend.init()]);
  // Every stay here is priced by the lot at ¥99 (its 4.4 answer): these tests are about what happens after.
  const trust = new DeductionGuard({ stays, lot: { priceStay: async () => ({ outTradeNo: 'x', quote: { payFen: 99_00 } as never }) } });

  // ParkPay's withholding notify routes listen first: their URL goes into every deduction.
  let handler: http.RequestListener = (_q, s) => s.writeHead(503).end();
  server = http.createServer((q, s) => handler(q, s));
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  const url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;

  wechat = await startWechatPaySandbox({ mode: 'publicKey', clock, timeScale: 1000, refundSettleMs: null, parking: { settleAfterMs: null } });
  alipay = await startAlipaySandbox({ clock });
  wechatGateway = createWechatWithholdingGateway({
    wechatPay: new WechatPayAdapter({ config: wechat.merchant, clock, timeoutMs: 2_000 }),
    wechatPayConfig: wechat.merchant,
    parking: { notifyUrl: `${url}${WITHHOLDING_NOTIFY_PATHS.wechat}` },
    clock,
  });
  const alipayGateway = createAlipayWithholdingGateway(alipay.app, { notifyUrl: `${url}${WITHHOLDING_NOTIFY_PATHS.alipay}`, now: () => clock.now(), adapter: { clock, timeoutMs: 2_000 } });

  agreements = new AgreementService({ agreements: agreementRepo, drivers, gateways: { wechat: wechatGateway, alipay: alipayGateway }, clock });
  lanesTrust = trust;
  lanesSpend = spend;
  lanes = new LaneDeductionService({ deductions: repo, agreements, stays, trust, spend, clock, refundGraceMs: GRACE, settleWaitMs: 150, settlePollMs: 30, waitMs: 1_000, pollMs: 20 });
  channel = new ChannelPayService({ deductions: lanes, orders, orderService: { cancel: () => Promise.reject(new Error('no QR orders here')) } });
  laneQr = new LaneQrService({ deductions: lanes, orders, orderService: noQrOrders, qr: {}, stays, clock });
  refunds = new DeductionRefunds({ deductions: repo, lanes, gateways: agreements, clock, retryMs: [MIN, 2 * MIN] });

  handler = createApp({
    logger,
    databaseReady: async () => true,
    routers: [
      withholdingNotifyRouter({
        agreements,
        deductions: lanes,
        wechat: async (input) => ({ ok: true, event: await wechatGateway.verifyNotification(input) }),
        alipay: (form) => {
          const r = alipayGateway.parseNotification(form);
          return r.ok ? (r.event ? { ok: true, event: r.event } : { ok: true }) : { ok: false, reason: r.reason };
        },
      }),
    ],
  }).callback();
}, 60_000);

afterAll(async () => {
  await Promise.all([wechat.stop(), alipay.stop()]);
  await new Promise<void>((r) => server.close(() => r()));
  await db.dispose();
});

let n = 0;
/** Bluecard's outTradeNo for a stay (`parkNumber_channel_orderId_HHmmss`). */
const trade = (orderId = `R${++n}`) => ({ orderId, outTradeNo: `${park.parkNumber}_2_${orderId}_101500` });

/** A driver with the plate bound and a live agreement with `provider`. */
async function signed(plate: string, provider: 'wechat' | 'alipay', alipayUser = 'zhang') {
  const id = `drv_rf_${++n}`;
  const openid = `oRF${n}`;
  await drivers.findOrCreate({ provider: 'wechat', wechatOpenId: openid }, { id, createdAt: new Date(clock.now()) });
  await drivers.addPlate(id, { plate, plateKey: plate, boundAt: new Date(clock.now()) }, 5);
  const { agreement, signup } = await agreements.startSignup(id, plate, provider);
  if (signup.provider === 'wechat') wechat.parking.openService({ openid, plateNumber: plate });
  else alipay.agreements.sign(signup.signUrl, alipayUser);
  const confirmed = await agreements.confirm(id, agreement.id);
  expect(confirmed.state).toBe('active');
  return confirmed;
}

/** The car is in the park: the lot's 4.2 record of the stay the outTradeNo names (kept if there is one already). */
const carIn = (plate: string, outTradeNo: string, inTime: Date | null = new Date(clock.now() - 60 * MIN)) =>
  stays.recordEntry({
    parkNumber: park.parkNumber, orderId: parseOutTradeNo(outTradeNo, park.parkNumber)!.orderId, plate, plateKey: normalizePlate(plate), ticketCode: '',
    entry: { inTime, inChannel: '1', inImage: '', carType: '1', plateColor: '蓝', record: {}, receivedAt: new Date(clock.now()) },
  });
const pay427 = async (plate: string, outTradeNo: string, payCharge = '5.00') => {
  await carIn(plate, outTradeNo);
  return channel.pay(park, { plateID: encodeURIComponent(plate), payCharge, outTradeNo });
};
const record = async (outTradeNo: string) => (await repo.get(deductionId(park.parkNumber, outTradeNo)))!;

/**
 * The record once `done` says so and its write has finished. A write that gives the record new work holds
 * its work item until the write returns, and a sweep passes over a held item; on a busy machine a test
 * that saw the record could sweep inside that gap.
 */
async function settled(outTradeNo: string, done: (d: LaneDeduction) => boolean): Promise<LaneDeduction> {
  const d = await eventually(() => record(outTradeNo), done);
  const work = new MongoWorkQueue(db.connection);
  await waitUntil(async () => !(await work.all('deduction')).some((w) => w.ref === d.id && w.holdUntil), 'the write to let go of its work item');
  return d;
}
const wechatTx = (tradeNo: string) => wechat.parking.transactions().find((t) => t.outTradeNo === tradeNo)!;
const refundCalls = () => wechat.hits().filter((h) => h.method === 'POST' && h.path === '/v3/refund/domestic/refunds').length;

/** WeChat settles the accepted deduction and notifies ParkPay; the record follows. */
async function wechatSettles(d: LaneDeduction) {
  wechat.parking.settleDeduction(d.attempt!.tradeNo, 'SUCCESS');
  return settled(d.outTradeNo, (x) => x.state === 'paid');
}

describe('a deduction confirmed after the lot was answered fail', () => {
  // Each test starts with no deductions, so a sweep's count is about this test's record alone.
  beforeEach(async () => {
    await db.connection.collection('agreement_deductions').deleteMany({});
  });
  afterEach(() => wechat.clearFaults());

  it('WeChat: nobody asks again → refunded after the grace (reason recorded), the money back at WeChat; repeats are answered fail refunded', async () => {
    const plate = '京R10001';
    await signed(plate, 'wechat');
    const { outTradeNo } = trade();
    expect(await pay427(plate, outTradeNo)).toEqual({ ok: false, errorCode: expect.stringMatching(/^deduction_pending/) });
    let d = await record(outTradeNo);
    expect(d).toMatchObject({ state: 'accepted', failAnswer: { via: '4.27', code: expect.stringMatching(/^deduction_pending/) } });
    expect(d.collectedAt).toBeUndefined();

    clock.advance(MIN);
    d = await wechatSettles(d);
    expect(d.refundCheckAt!.getTime()).toBe(clock.now() + GRACE);

    // Inside the grace: nothing is due, nothing is given back.
    clock.advance(GRACE - MIN);
    expect(await job('w1').sweep()).toBe(0);
    expect((await record(outTradeNo)).refund).toBeUndefined();

    clock.advance(MIN);
    expect(await job('w1').sweep()).toBe(1);
    d = await record(outTradeNo);
    expect(d.refund).toMatchObject({ state: 'refunding', refundNo: `RF${d.attempt!.tradeNo.slice(2)}`, amountFen: 500, attempts: 1 });
    expect(d.refund!.reason).toMatch(/500|5\.00/);
    expect(d.refund!.reason).toMatch(/deduction_pending.*4\.27/);
    expect(wechat.refunds().find((r) => r.outTradeNo === d.attempt!.tradeNo)).toMatchObject({ status: 'PROCESSING', refundFen: 500, reason: DRIVER_REFUND_REASON });

    // The lot asks again now: fail, never success — by 4.27, 4.16 and 4.17 alike.
    expect(await pay427(plate, outTradeNo)).toEqual({ ok: false, errorCode: expect.stringMatching(/^refunded: the 5\.00 yuan .* is being given back/) });
    expect(await laneQr.withholdOrQr(park, { outTradeNo, payCharge: '5.00', plate })).toEqual({ kind: 'fail', errorCode: expect.stringMatching(/^refunded/) });
    expect(await laneQr.qrPayResult(park, outTradeNo)).toEqual({ kind: 'fail', errorCode: expect.stringMatching(/^refunded/) });
    expect((await record(outTradeNo)).collectedAt).toBeUndefined();

    // WeChat finishes the refund; the next look records it.
    wechat.settleRefund(d.refund!.refundNo, 'SUCCESS');
    clock.advance(MIN);
    expect(await job('w1').sweep()).toBe(1);
    d = await record(outTradeNo);
    expect(d.refund).toMatchObject({ state: 'refunded', refundedAt: expect.any(Date), attempts: 2 });
    expect(d.refundCheckAt).toBeUndefined();
    expect(wechatTx(d.attempt!.tradeNo)).toMatchObject({ state: 'REFUND', refundedFen: 500 });
    expect(await pay427(plate, outTradeNo)).toEqual({ ok: false, errorCode: expect.stringMatching(/^refunded: the 5\.00 yuan .* was given back/) });
    clock.advance(GRACE);
    expect(await job('w1').sweep()).toBe(0);
    expect(wechat.refunds().filter((r) => r.outTradeNo === d.attempt!.tradeNo)).toHaveLength(1);
  });

  it('WeChat: the lot repeats inside the grace → success (collected), and nothing is ever refunded', async () => {
    const plate = '京R10002';
    await signed(plate, 'wechat');
    const { outTradeNo } = trade();
    expect((await pay427(plate, outTradeNo)).ok).toBe(false);
    clock.advance(MIN);
    const d = await wechatSettles(await record(outTradeNo));
    clock.advance(GRACE - 2 * MIN);
    expect(await pay427(plate, outTradeNo)).toEqual({ ok: true });
    const after = await record(outTradeNo);
    expect(after).toMatchObject({ state: 'paid', collectedVia: '4.27', collectedAt: expect.any(Date) });
    expect(after.refundCheckAt).toBeUndefined();
    clock.advance(3 * GRACE);
    const before = refundCalls();
    await Promise.all([job('w1').sweep(), job('w2').sweep()]);
    expect((await record(outTradeNo)).refund).toBeUndefined();
    expect(refundCalls()).toBe(before);
    expect(wechatTx(d.attempt!.tradeNo).state).toBe('SUCCESS');
    // 4.17 says paid as well.
    expect(await laneQr.qrPayResult(park, outTradeNo)).toMatchObject({ kind: 'paid', result: { tradeNo: d.attempt!.tradeNo, totalFee: '5.00' } });
  });

  it('Alipay: a 10003 the driver completes later → refunded after the grace, the money back in the driver’s balance', async () => {
    const plate = '京R10003';
    await signed(plate, 'alipay', 'li');
    alipay.agreements.setBalance('li', 3000);
    try {
      const { outTradeNo } = trade();
      alipay.agreements.holdNext();
      expect(await pay427(plate, outTradeNo, '12.00')).toEqual({ ok: false, errorCode: expect.stringMatching(/^deduction_pending/) });
      const tradeNo = (await record(outTradeNo)).attempt!.tradeNo;
      clock.advance(2 * MIN);
      alipay.pay(tradeNo);
      await alipay.runDue(); // the sandbox's manual clock: its notification goes out now
      await alipay.idle();
      await settled(outTradeNo, (x) => x.state === 'paid');
      expect(alipay.agreements.balance('li')).toBe(1800);

      clock.advance(GRACE + 1);
      expect(await job('a1').sweep()).toBe(1);
      const d = await record(outTradeNo);
      expect(d.refund).toMatchObject({ state: 'refunded', amountFen: 1200, refundNo: `RF${tradeNo.slice(2)}` });
      expect(alipay.agreements.balance('li')).toBe(3000);
      expect(alipay.trade(tradeNo)).toMatchObject({ tradeStatus: 'TRADE_CLOSED', refundedFen: 1200, refunds: [expect.objectContaining({ outRequestNo: d.refund!.refundNo, reason: DRIVER_REFUND_REASON })] });
      expect(await pay427(plate, outTradeNo, '12.00')).toEqual({ ok: false, errorCode: expect.stringMatching(/^refunded/) });
    } finally {
      alipay.agreements.setBalance('li', null);
    }
  });

  it('two workers at the same moment refund once; a lost refund answer is asked again with the same number after a restart', async () => {
    const plate = '京R10004';
    await signed(plate, 'wechat');
    const { outTradeNo } = trade();
    await pay427(plate, outTradeNo);
    clock.advance(MIN);
    const d = await wechatSettles(await record(outTradeNo));
    clock.advance(GRACE);
    const before = refundCalls();
    // The first refund call's answer is lost (WeChat made the refund).
    wechat.inject({ kind: 'timeout', path: '/v3/refund/domestic/refunds', method: 'POST', applied: true });
    const acted = await Promise.all([job('p1').sweep(), job('p2').sweep()]);
    expect(acted.sort()).toEqual([0, 1]);
    expect(await record(outTradeNo)).toMatchObject({ refund: { state: 'refunding', attempts: 1, lastError: expect.any(String) } });
    wechat.clearFaults();

    // A restarted process (a new worker) picks it up after the backoff, with the same refund number.
    clock.advance(MIN);
    wechat.settleRefund(`RF${d.attempt!.tradeNo.slice(2)}`, 'SUCCESS');
    await Promise.all([job('p3').sweep(), job('p4').sweep()]);
    expect(await record(outTradeNo)).toMatchObject({ refund: { state: 'refunded', attempts: 2 } });
    expect(wechat.refunds().filter((r) => r.outTradeNo === d.attempt!.tradeNo)).toHaveLength(1);
    expect(refundCalls() - before).toBe(1);
  });

  it('money never taken (PAY_FAIL after deduction_pending): the look finds nothing to give back and stops', async () => {
    const plate = '京R10006';
    await signed(plate, 'wechat');
    const { outTradeNo } = trade();
    await pay427(plate, outTradeNo);
    const d = await record(outTradeNo);
    wechat.parking.settleDeduction(d.attempt!.tradeNo, 'PAY_FAIL');
    await settled(outTradeNo, (x) => x.state === 'failed');
    clock.advance(GRACE);
    expect(await job('f1').sweep()).toBe(1);
    const after = await record(outTradeNo);
    expect(after.refundCheckAt).toBeUndefined();
    expect(after.refund).toBeUndefined();
  });

  it('an answer lost on the way back from WeChat (the money was taken) and no repeat: the job finds it at WeChat and refunds it', async () => {
    wechat.parking.setSettleMode('sync');
    try {
      const plate = '京R10007';
      await signed(plate, 'wechat');
      // This process's WeChat answers get lost after WeChat did the work (a reset connection).
      const lossy = Object.assign(Object.create(wechatGateway) as WechatWithholdingGateway, {
        deduct: async (o: Parameters<WechatWithholdingGateway['deduct']>[0]) => {
          await wechatGateway.deduct(o);
          throw new Error('socket hang up');
        },
      });
      const lossyLanes = new LaneDeductionService({ deductions: repo, agreements: { liveForPlate: (k, p) => agreements.liveForPlate(k, p), noticeNoAgreement: () => undefined, record: (id) => agreements.record(id), offered: () => agreements.offered(), gatewayFor: (p) => (p === 'wechat' ? lossy : agreements.gatewayFor(p)) }, stays, trust: lanesTrust, spend: lanesSpend, clock, refundGraceMs: GRACE });
      const lossyChannel = new ChannelPayService({ deductions: lossyLanes, orders, orderService: { cancel: () => Promise.reject(new Error('no QR orders here')) } });
      const { outTradeNo } = trade();
      // Nor does WeChat's notification get through (forged on the way: refused).
      wechat.inject({ kind: 'tamperNotification', tamper: 'signature', times: 1 });
      await carIn(plate, outTradeNo);
      expect(await lossyChannel.pay(park, { plateID: encodeURIComponent(plate), payCharge: '5.00', outTradeNo })).toEqual({ ok: false, errorCode: expect.stringMatching(/^provider_unreachable/) });
      const first = await record(outTradeNo);
      expect(first).toMatchObject({ state: 'deducting', failAnswer: { code: 'provider_unreachable' } });
      expect(wechatTx(first.attempt!.tradeNo).state).toBe('SUCCESS');

      clock.advance(GRACE);
      expect(await job('l1').sweep()).toBe(1);
      expect(await record(outTradeNo)).toMatchObject({ state: 'paid', paidFen: 500 });
      expect((await record(outTradeNo)).refund).toBeUndefined();
      clock.advance(GRACE);
      expect(await job('l1').sweep()).toBe(1);
      expect(await record(outTradeNo)).toMatchObject({ refund: { state: 'refunding', amountFen: 500 } });
      expect(wechatTx(first.attempt!.tradeNo)).toMatchObject({ state: 'REFUND', refundedFen: 500 });
    } finally {
      wechat.parking.setSettleMode('async', null);
    }
  });

  it('a deduction notification that never arrives: the job asks WeChat at the grace, then refunds after another', async () => {
    const plate = '京R10005';
    await signed(plate, 'wechat');
    const { outTradeNo } = trade();
    await pay427(plate, outTradeNo);
    const tradeNo = (await record(outTradeNo)).attempt!.tradeNo;
    // WeChat settles, but its notification is forged on the way: ParkPay refuses it, the record stays accepted.
    wechat.inject({ kind: 'tamperNotification', tamper: 'signature', times: 20 });
    wechat.parking.settleDeduction(tradeNo, 'SUCCESS');
    await waitUntil(() => !!wechat.notifications().find((n) => n.outTradeNo === tradeNo && n.tampered === 'signature')?.attempts.length, 'the forged notification is delivered');
    expect(wechat.notifications().find((n) => n.outTradeNo === tradeNo)!.attempts[0]).toMatchObject({ ok: false });
    expect((await record(outTradeNo)).state).toBe('accepted');
    wechat.clearFaults();

    clock.advance(GRACE);
    expect(await job('q1').sweep()).toBe(1);
    let d = await record(outTradeNo);
    expect(d).toMatchObject({ state: 'paid' });
    expect(d.refund).toBeUndefined();
    expect(d.refundCheckAt!.getTime()).toBe(clock.now() + GRACE);
    clock.advance(GRACE);
    expect(await job('q1').sweep()).toBe(1);
    d = await record(outTradeNo);
    expect(d.refund).toMatchObject({ state: 'refunding' });
  });
});

describe('the stay sent to the provider', () => {
  afterEach(() => wechat.clearFaults());

  it('its entry time is the lot’s 4.2 entry; when the record has none, a minute before the exit', async () => {
    wechat.parking.setSettleMode('sync');
    try {
      const plate = '京R20001';
      await signed(plate, 'wechat');
      const t = trade();
      const inTime = new Date(Math.floor((clock.now() - 75 * MIN) / 1000) * 1000); // the lot's times are whole seconds
      await stays.recordEntry({
        parkNumber: park.parkNumber,
        orderId: t.orderId,
        plate,
        plateKey: plate,
        ticketCode: '',
        entry: { inTime, inChannel: '1', inImage: '', carType: '1', plateColor: '蓝', record: {}, receivedAt: inTime },
      });
      expect(await pay427(plate, t.outTradeNo)).toEqual({ ok: true });
      const d = await record(t.outTradeNo);
      expect(d.stay).toEqual({ enteredAt: inTime, leftAt: new Date(clock.now()), entryFrom: '4.2' });
      const entry = wechat.parking.parkings().find((p) => p.outParkingNo === d.attempt!.tradeNo)!;
      expect(entry.startAt).toBe(inTime.getTime());
      expect(wechatTx(d.attempt!.tradeNo).parkingInfo).toMatchObject({ start_time: entry.startTime, charging_duration: 75 * 60 });

      clock.advance(MIN);
      const u = trade();
      await carIn(plate, u.outTradeNo, null);
      expect(await pay427(plate, u.outTradeNo)).toEqual({ ok: true });
      const e = await record(u.outTradeNo);
      expect(e.stay).toEqual({ enteredAt: new Date(clock.now() - MIN), leftAt: new Date(clock.now()), entryFrom: 'assumed' });
    } finally {
      wechat.parking.setSettleMode('async', null);
    }
  });

  it('the same stay on a retry after a lost answer (WeChat’s entry under the same number is unchanged), so the retry goes through', async () => {
    wechat.parking.setSettleMode('sync');
    try {
      const plate = '京R20002';
      await signed(plate, 'wechat');
      const { outTradeNo } = trade(); // the entry time must not move between attempts
      // The deduction call gets no answer (twice: the gateway's own retry too); the entry was made.
      wechat.inject({ kind: 'timeout', path: '/v3/vehicle/transactions/parking', times: 2 });
      expect(await pay427(plate, outTradeNo)).toEqual({ ok: false, errorCode: expect.stringMatching(/^provider_unreachable/) });
      const first = await record(outTradeNo);
      wechat.clearFaults();
      clock.advance(MIN);
      expect(await pay427(plate, outTradeNo)).toEqual({ ok: true });
      const d = await record(outTradeNo);
      expect(d.stay).toEqual(first.stay);
      expect(d.attempt!.tradeNo).toBe(first.attempt!.tradeNo);
      expect(wechat.parking.parkings().filter((p) => p.outParkingNo === d.attempt!.tradeNo)).toHaveLength(1);
      expect(wechatTx(d.attempt!.tradeNo).state).toBe('SUCCESS');
    } finally {
      wechat.parking.setSettleMode('async', null);
    }
  });
});
