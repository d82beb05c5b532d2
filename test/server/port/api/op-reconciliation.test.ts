/**
 * The daily reconciliation over HTTP with real operator sessions: the JSON day, the CSV download (a
 * hand-written route with the same authentication and park check as the contracts), the takings chart; roles,
 * parks and bad input refused with their codes.
 */
import request from 'supertest';
import { buildPath, opReconciliationEndpoints as rc, RECONCILIATION_CSV_PATH } from '../../../../shared/api';
import { formatChinaDate } from '../../../../shared/time';
import { createApp } from '../../../../server/src/app';
import { systemClock } from '../../../../server/src/core/clock';
import { ReconciliationService } from '../../../../server/src/core/reconciliation/daily';
import { createLogger } from '../../../../server/src/logger';
import { mountOpReconciliationRoutes } from '../../../../server/src/port/api/op-reconciliation-routes';
import { MongoParkDirectory } from '../../../../server/src/repository/parks';
import { MongoReconciliationSources } from '../../../../server/src/repository/reconciliation';
import { DEMO_PARK_NUMBER } from '../../../../server/sandbox/bluecard';
import { eventually } from '../../../support/payment-world';
import { chinaDaysBefore, clearOfMidnight } from '../../../support/china-day';
import { startBookingWorld, type BookingWorld } from '../../../support/booking-world';
import { operatorWorld, type OperatorSession } from '../../../support/operators';

/** How long a test or hook may take. */
const TEST_MS = 60_000;
jest.setTimeout(TEST_MS);

const P = DEMO_PARK_NUMBER;
let w: BookingWorld;
let api: ReturnType<typeof request>;
let boss: OperatorSession;
let admin: OperatorSession;
let shop: OperatorSession;
let stranger: OperatorSession;
let paid: string;
let lost: string;
/** The China day the payments below are made on (and reconciled). */
let today: string;
const csvPath = (park: string) => RECONCILIATION_CSV_PATH.replace(':parkNumber', encodeURIComponent(park));

// The payments (in the next hook) all fall on the China day reconciled, whatever the hour the file runs at.
beforeAll(async () => {
  await clearOfMidnight(TEST_MS);
  today = formatChinaDate(Date.now());
}, clearOfMidnight.hookMs(TEST_MS));
beforeAll(async () => {
  w = await startBookingWorld('opreconapi');
  const ops = await operatorWorld(w.db.connection);
  const router = ops.router();
  const parks = new MongoParkDirectory(w.db.connection, 0);
  await parks.upsert({ parkNumber: 'p_other_001', key: 'other-key', bluecardBaseUrl: 'http://127.0.0.1:1' });
  mountOpReconciliationRoutes(router, new ReconciliationService({ sources: new MongoReconciliationSources(w.db.connection), parks, clock: systemClock }));
  api = request(createApp({ logger: createLogger('silent'), databaseReady: async () => true, routers: [router] }).callback());
  boss = await ops.session({ role: 'operator', parks: [P] });
  admin = await ops.session({ role: 'admin' });
  shop = await ops.session({ role: 'merchant', parks: [P] });
  stranger = await ops.session({ role: 'operator', parks: ['p_other_001'] });

  // Two pre-paid cars that have left: one the lot counted, one it lost.
  const pay = async (plate: string) => {
    w.lotClock.set(Date.now() - 75 * 60_000);
    const { orderId } = await w.bluecard.park(P).arrive({ lane: '东门入口', plate, wait: true });
    w.lotClock.set(Date.now());
    const fee = await w.orders.quotePrepay('drv-api', P, plate);
    const { pay: params } = await w.orders.pay('drv-api', fee.order!.orderNo, 'wechat', { openId: 'oWX-api' });
    if (params.provider !== 'wechat') throw new Error('wechat');
    w.wechat.requestPayment(params.requestPayment, { outcome: 'pay' });
    await eventually(() => w.orderRepo.get(fee.order!.orderNo), (o) => o?.status === 'delivered');
    return { orderNo: fee.order!.orderNo, orderId };
  };
  paid = (await pay('京S10001')).orderNo;
  await w.bluecard.park(P).leave({ lane: '东门出口', plate: '京S10001', wait: true });
  const second = await pay('京S10002');
  lost = second.orderNo;
  const car = w.bluecard.park(P).state.cars.get(second.orderId)!;
  car.payments = [];
  await w.bluecard.park(P).leave({ lane: '东门出口', plate: '京S10002', wait: true, force: true, settle: 'waive' });
});
afterAll(async () => {
  await w?.close();
});

describe('daily reconciliation over HTTP', () => {
  it('the day as JSON: rows and totals, checked by the contract', async () => {
    const r = await api.get(`${buildPath(rc.daily, { parkNumber: P })}?date=${today}`).set(boss.headers);
    expect(r.status).toBe(200);
    expect(rc.daily.response.safeParse(r.body).success).toBe(true);
    const byRef = (ref: string) => r.body.rows.find((x: { ours: { ref: string } | null }) => x.ours?.ref === ref);
    expect(byRef(paid)).toMatchObject({ status: 'matched', channel: 'wechat', lot: { payNo: paid, sources: ['4.3'], amountFen: 400 } });
    expect(byRef(lost)).toMatchObject({ status: 'missing_at_lot', lot: null });
    expect(r.body.summary).toMatchObject({ differences: 1, counts: { matched: 1, missing_at_lot: 1 }, ours: { totalFen: 800, byChannel: { wechat: 800 } } });
    // Admins see every park.
    expect((await api.get(`${buildPath(rc.daily, { parkNumber: P })}?date=${today}`).set(admin.headers)).status).toBe(200);
  });

  it('the day as CSV, for a spreadsheet', async () => {
    const r = await api.get(`${csvPath(P)}?date=${today}`).set(boss.headers).buffer(true).parse((res, cb) => {
      const chunks: Buffer[] = [];
      res.on('data', (c: Buffer) => chunks.push(c));
      res.on('end', () => cb(null, Buffer.concat(chunks).toString('utf8')));
    });
    expect(r.status).toBe(200);
    expect(r.headers['content-type']).toBe('text/csv; charset=utf-8');
    expect(r.headers['content-disposition']).toBe(`attachment; filename="reconciliation-${P}-${today}.csv"`);
    const text = r.body as string;
    expect(text.charCodeAt(0)).toBe(0xfeff);
    const lines = text.slice(1).trimEnd().split('\r\n');
    expect(lines[0]).toBe('日期,对账结果,渠道,车牌,车场停车记录号,本系统单号,收款方式,本系统收款时间,本系统金额（元）,本系统退款（元）,车场流水号,车场上报来源,车场时间,车场支付方式,车场支付渠道,车场金额（元）,差额（元，车场减本系统）');
    expect(lines.find((l) => l.includes(paid))).toMatch(new RegExp(`^${today},一致,微信,京S10001,`));
    expect(lines.find((l) => l.includes(lost))).toMatch(/,车场缺少,微信,京S10002,.*,4\.00,0\.00,,,,,,,0\.00$/);
  });

  it('the takings chart: a day per date, by channel', async () => {
    const from = chinaDaysBefore(today, 6);
    const r = await api.get(`${buildPath(rc.takings, { parkNumber: P })}?from=${from}&to=${today}`).set(boss.headers);
    expect(r.status).toBe(200);
    expect(rc.takings.response.safeParse(r.body).success).toBe(true);
    expect(r.body.days).toHaveLength(7);
    expect(r.body.days.at(-1)).toMatchObject({ date: today, totalFen: 800, byChannel: { wechat: 800, alipay: 0, cash: 0 } });
    expect(r.body.channels).toEqual(['wechat', 'alipay', 'cash', 'unionpay', 'transit_card', 'other']);
    const wrong = await api.get(`${buildPath(rc.takings, { parkNumber: P })}?from=${today}&to=${from}`).set(boss.headers);
    expect([wrong.status, wrong.body.error.code]).toEqual([400, 'invalid_range']);
  });

  it('refuses without a session, for another park, for a merchant, and for a bad date — the CSV too', async () => {
    const json = `${buildPath(rc.daily, { parkNumber: P })}?date=${today}`;
    const csv = `${csvPath(P)}?date=${today}`;
    for (const path of [json, csv]) {
      expect((await api.get(path)).status).toBe(401);
      const other = await api.get(path).set(stranger.headers);
      expect([other.status, other.body.error.code]).toEqual([403, 'forbidden_park']);
      const merchant = await api.get(path).set(shop.headers);
      expect([merchant.status, merchant.body.error.code]).toEqual([403, 'forbidden_role']);
    }
    const badCsv = await api.get(`${csvPath(P)}?date=yesterday`).set(boss.headers);
    expect([badCsv.status, badCsv.body.error.code]).toEqual([400, 'validation_failed']);
    const noDay = await api.get(`${csvPath(P)}?date=2026-02-30`).set(boss.headers);
    expect([noDay.status, noDay.body.error.code]).toEqual([400, 'invalid_date']);
    const badJson = await api.get(`${buildPath(rc.daily, { parkNumber: P })}`).set(boss.headers);
    expect([badJson.status, badJson.body.error.code]).toEqual([400, 'validation_failed']);
  });
});
