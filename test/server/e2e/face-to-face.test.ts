/**
 * The booth scanner end to end: the Bluecard sandbox's lot sends signed 4.24 / 4.25 (every second of its
 * clock, for 5 minutes) / 4.26 to ParkPay's real server (real database), which charges through the WeChat
 * Pay v2 and Alipay sandboxes. The lot records what our answers say, as Bluecard would.
 */
import { ManualClock } from '../../../server/src/core/clock';
import { faceId, FaceToFaceService } from '../../../server/src/core/lanepay/face-to-face';
import type { FixedCoupon, FixedCouponCodes } from '../../../server/src/core/lanepay/fixed-coupons';
import { StaticParkDirectory, type Park } from '../../../server/src/core/parks';
import { bluecardSign } from '../../../server/src/adapter/bluecard/requests';
import { LotRecordsService } from '../../../server/src/core/lot/lot-records';
import { createApp } from '../../../server/src/app';
import { loadConfig } from '../../../server/src/config';
import { createLogger } from '../../../server/src/logger';
import { BLUECARD_PREFIX, bluecardRouter } from '../../../server/src/port/bluecard/router';
import { faceToFaceHandlers } from '../../../server/src/port/bluecard/lanepay-face';
import { MongoFacePaymentRepository } from '../../../server/src/repository/face-payments';
import { MongoLotRecordsRepository } from '../../../server/src/repository/lot-records';
import { startAlipaySandbox, type AlipaySandbox } from '../../../server/sandbox/alipay';
import { DEMO_PARK_KEY, DEMO_PARK_NUMBER, demoParks, startBluecardSandbox, type BluecardSandbox } from '../../../server/sandbox/bluecard';
import { startWechatPaySandbox, type WechatPaySandbox } from '../../../server/sandbox/wechatpay';
import { startServer, type RunningServer } from '../../../server/src/server';
import { testDatabaseUri } from '../../support/db';

// One clock for the lot, ParkPay and Alipay (which checks request timestamps against it): 5-minute
// windows of 1-second polls pass in a few real seconds.
const clock = new ManualClock(Date.now());
jest.setTimeout(60_000);
let bluecard: BluecardSandbox;
let wechat: WechatPaySandbox;
let alipay: AlipaySandbox;
let server: RunningServer;
let repo: MongoFacePaymentRepository;
const lot = () => bluecard.park(DEMO_PARK_NUMBER);
const sandboxErrors: unknown[] = [];

beforeAll(async () => {
  bluecard = await startBluecardSandbox({ parks: demoParks(), clock, heartbeatMs: 0, announceLanesOnStart: false, onError: (e) => void sandboxErrors.push(e) });
  wechat = await startWechatPaySandbox({ mode: 'publicKey' });
  alipay = await startAlipaySandbox({ clock });
  const park: Park = { parkNumber: DEMO_PARK_NUMBER, key: DEMO_PARK_KEY, bluecardBaseUrl: bluecard.url };
  server = await startServer(
    loadConfig({
      PORT: '0',
      MONGODB_URI: `${testDatabaseUri()}pp_face_e2e_${Date.now()}`,
      PARKPAY_PARKS: JSON.stringify([park]),
      PARKPAY_WECHATPAY: JSON.stringify(wechat.merchant),
      PARKPAY_ALIPAY: JSON.stringify(alipay.app),
    }, undefined, { demoWithConfiguredKeys: true }),
    { logger: createLogger('silent'), clock, demo: false },
  );
  repo = new MongoFacePaymentRepository(server.database.connection);
  await bluecard.setParkPayBaseUrl(server.url);
});
afterAll(async () => {
  expect(sandboxErrors).toEqual([]);
  await bluecard?.stop();
  await Promise.all([wechat?.stop(), alipay?.stop()]);
  await server?.database.connection.dropDatabase().catch(() => {});
  await server?.stop();
});

/** A car that stayed `minutes` and now waits at the exit lane 2 (东门出口). */
async function carAtExit(plate: string, minutes: number): Promise<string> {
  const { orderId } = await lot().arrive({ lane: '东门入口', plate, wait: true });
  await bluecard.advanceClock(minutes * 60_000);
  return orderId;
}
const record = (outTradeNo: string) => repo.get(faceId(DEMO_PARK_NUMBER, outTradeNo)).then((p) => p!);

it('a WeChat code that pays at once: 4.24 payContent → the lot records the payment and the car owes nothing', async () => {
  const orderId = await carAtExit('粤B24001', 61); // ¥4.00
  const code = wechat.micropay.issueCode().code;
  const r = await lot().faceToFacePay({ lane: '东门出口', orderId, authCode: code });
  expect(r.result).toMatchObject({ acknowledged: true, httpStatus: 200 });
  expect(r.result.answer).toMatchObject({ status: 'success', payTypeId: '31', datas: { payContent: { outTradeNo: r.outTradeNo, payCharge: '4.00', payType: '第三方当面付' } } });
  expect(r.payment).toMatchObject({ fen: 400, via: '4.24' });
  expect(r.owed).toBe('0.00');
  const p = await record(r.outTradeNo!);
  expect(p).toMatchObject({ status: 'paid', provider: 'wechat', amountFen: 400, reportedAt: expect.any(Date) });
  expect(r.payment!.payNo).toBe(p.paymentNo);
});

it('Alipay USERPAYING: Bluecard polls 4.25 every second, Alipay is asked every 3 s, the buyer confirms → 4.25 success → paid', async () => {
  const orderId = await carAtExit('粤B24002', 61);
  const code = alipay.paymentCode('booth-e2e', 'password').code;
  const r = await lot().faceToFacePay({ lane: '东门出口', orderId, authCode: code });
  expect(r.result).toMatchObject({ acknowledged: false, status: 'fail', errorCode: 'USERPAYING' });
  const p = await record(r.outTradeNo!);
  const queries = () => alipay.requests().filter((h) => h.method === 'alipay.trade.query').length;
  const q0 = queries();
  await bluecard.advanceClock(12_000); // 12 polls
  expect(queries() - q0).toBe(4);
  expect(lot().dump().payments.filter((x) => x.orderId === orderId)).toEqual([]);
  alipay.pay(p.paymentNo);
  await bluecard.advanceClock(3_000);
  const paid = lot().dump().payments.filter((x) => x.orderId === orderId);
  expect(paid).toMatchObject([{ fen: 400, via: '4.25', payNo: p.paymentNo }]);
  expect(await record(r.outTradeNo!)).toMatchObject({ status: 'paid', reportedAt: expect.any(Date) });
  // Polling stopped with the payment: no 4.26.
  await bluecard.advanceClock(6 * 60_000);
  expect((await record(r.outTradeNo!)).status).toBe('paid');
});

it('WeChat USERPAYING → the payer pays too late → after 5 minutes Bluecard sends 4.26 → the money goes back', async () => {
  const orderId = await carAtExit('粤B24003', 61);
  const code = wechat.micropay.issueCode({ behaviour: 'password' }).code;
  const r = await lot().faceToFacePay({ lane: '东门出口', orderId, authCode: code });
  expect(r.result.errorCode).toBe('USERPAYING');
  const { paymentNo } = await record(r.outTradeNo!);
  await bluecard.advanceClock(4 * 60_000 + 58_000);
  // The payer confirms in the last second, while WeChat's query answers fail: Bluecard never hears of it.
  wechat.micropay.userPays(paymentNo);
  wechat.inject({ kind: 'http500', path: '/pay/orderquery', times: 5 });
  const reverses0 = wechat.hits('/secapi/pay/reverse').length;
  await bluecard.advanceClock(5_000);
  expect(wechat.hits('/secapi/pay/reverse').length - reverses0).toBe(1);
  expect(wechat.micropay.order(paymentNo)).toMatchObject({ state: 'REVOKED', refundedByReverse: true });
  const done = await record(r.outTradeNo!);
  expect(done).toMatchObject({ status: 'cancelled', cancel: { reason: '4.26', doneAt: expect.any(Date) } });
  // WeChat's reverse does not say whether it refunded; the query after it may still meet the failing
  // orderquery: then the record says "not known" — never "nothing was taken".
  expect(done.cancel!.refunded).not.toBe(false);
  expect(lot().dump().payments.filter((x) => x.orderId === orderId)).toEqual([]);
  wechat.clearFaults();
});

it('a code that is no payment code → fail auth_code_invalid; nothing is charged', async () => {
  const orderId = await carAtExit('粤B24004', 61);
  const before = wechat.hits('/pay/micropay').length;
  const r = await lot().faceToFacePay({ lane: '东门出口', orderId, authCode: 'ABC-NOT-A-CODE' });
  expect(r.result).toMatchObject({ httpStatus: 200, status: 'fail', errorCode: expect.stringMatching(/^auth_code_invalid: /) });
  expect(wechat.hits('/pay/micropay').length).toBe(before);
});

it('the same signed 4.24 twice (Bluecard resending): one charge, the same payContent', async () => {
  const orderId = await carAtExit('粤B24005', 61);
  const code = wechat.micropay.issueCode().code;
  const body = { parkNumber: DEMO_PARK_NUMBER, outTradeNo: `${DEMO_PARK_NUMBER}_2_${orderId}_120000`, payCharge: '4', plate: '粤B24005', authCode: code, orderId };
  const send = async () => {
    const res = await fetch(`${server.url}${BLUECARD_PREFIX}/face-pay`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', sign: bluecardSign(DEMO_PARK_KEY, DEMO_PARK_NUMBER) },
      body: JSON.stringify(body),
    });
    expect(res.status).toBe(200);
    return (await res.json()) as { status: string; datas?: { payContent: { tradeNo: string } } };
  };
  const before = wechat.hits('/pay/micropay').length;
  const [a, b] = await Promise.all([send(), send()]);
  const c = await send();
  expect(wechat.hits('/pay/micropay').length - before).toBe(1);
  const paid = [a, b, c].filter((x) => x.status === 'success');
  expect(paid.length).toBeGreaterThanOrEqual(2); // one of the two at once may be told USERPAYING while the charge runs
  expect(new Set(paid.map((x) => x.datas!.payContent.tradeNo)).size).toBe(1);
  // A wrong sign is refused before anything happens.
  const res = await fetch(`${server.url}${BLUECARD_PREFIX}/face-pay`, { method: 'POST', headers: { sign: '0'.repeat(32) }, body: JSON.stringify({ ...body, outTradeNo: `${body.outTradeNo}9` }) });
  expect(await res.json()).toMatchObject({ status: 'fail', errorCode: expect.stringMatching(/^bad_sign/) });
  expect(wechat.hits('/pay/micropay').length - before).toBe(1);
});

it('a fixed coupon code through the port → discountContent in the spec’s exact shape, the lot adds the coupon', async () => {
  // The server is not wired to the coupon service here: a small app on the same frame with a test FixedCouponCodes.
  const coupons: FixedCouponCodes = {
    async redeem(o) {
      if (!o.code.startsWith('PPQ')) return undefined;
      const c: FixedCoupon = { couponCode: o.code, mode: 'money', amount: 200, end: new Date(clock.now() + 86_400_000), id: '3' };
      return c;
    },
  };
  const park: Park = { parkNumber: DEMO_PARK_NUMBER, key: DEMO_PARK_KEY, bluecardBaseUrl: bluecard.url };
  const face = new FaceToFaceService({ payments: repo, gateways: {}, coupons, clock });
  const app = createApp({
    logger: createLogger('silent'),
    databaseReady: async () => true,
    routers: [
      bluecardRouter({
        parks: new StaticParkDirectory([park]),
        clock,
        records: new LotRecordsService(new MongoLotRecordsRepository(server.database.connection), clock),
        lanePay: faceToFaceHandlers(face, clock),
      }),
    ],
  });
  const http = await import('node:http');
  const srv = http.createServer(app.callback());
  await new Promise<void>((r) => srv.listen(0, '127.0.0.1', r));
  const url = `http://127.0.0.1:${(srv.address() as { port: number }).port}`;
  try {
    await bluecard.setParkPayBaseUrl(url);
    const orderId = await carAtExit('粤B24006', 61);
    const r = await lot().faceToFacePay({ lane: '东门出口', orderId, authCode: 'PPQ7KX2M9A3B1' });
    expect(r.result.answer).toMatchObject({
      status: 'success',
      payTypeId: '31',
      datas: { discountContent: { coupon_code: 'PPQ7KX2M9A3B1', coupon_mode_id: '1', id: '3', order_id: orderId, plate: '粤B24006', position: '200' } },
    });
    expect(lot().dump().coupons.filter((c) => c.orderId === orderId)).toMatchObject([{ via: '4.24', position: 200 }]);
    expect(r.owed).toBe('2.00');
  } finally {
    await bluecard.setParkPayBaseUrl(server.url);
    await new Promise<void>((r) => srv.close(() => r()));
  }
});
