/**
 * The daily reconciliation on the real database, with payments made through the WeChat Pay and Alipay
 * sandboxes, told to the Bluecard sandbox lot, and the lot's own records (4.3 exit records, 4.15 uploads)
 * reaching ParkPay over HTTP. Differences are planted at the lot and in our records; the report, the CSV
 * and the takings chart must show them.
 */
import { ReconciliationService } from '../../../../server/src/core/reconciliation/daily';
import { reconciliationCsv } from '../../../../server/src/core/reconciliation/csv';
import { systemClock } from '../../../../server/src/core/clock';
import { MongoParkDirectory } from '../../../../server/src/repository/parks';
import { MongoReconciliationSources } from '../../../../server/src/repository/reconciliation';
import { DEMO_PARK_NUMBER } from '../../../../server/sandbox/bluecard';
import { formatChinaDate } from '../../../../shared/time';
import { eventually } from '../../../support/payment-world';
import { clearOfMidnight } from '../../../support/china-day';
import { startBookingWorld, type BookingWorld } from '../../../support/booking-world';
import { answerTo } from '../../../support/answers';

/** How long a test may take. */
const TEST_MS = 60_000;
jest.setTimeout(TEST_MS);

let w: BookingWorld;
let recon: ReconciliationService;
beforeAll(async () => {
  w = await startBookingWorld('dailyrecon');
  recon = new ReconciliationService({ sources: new MongoReconciliationSources(w.db.connection), parks: new MongoParkDirectory(w.db.connection, 0), clock: systemClock });
  await w.heartbeat();
});
afterAll(async () => {
  await w?.close();
});

const P = DEMO_PARK_NUMBER;
const MIN = 60_000;
const lot = () => w.bluecard.park(P);
const DRIVER = 'recon-driver';

/** A car that came in `minutes` ago (lot time = real time). */
async function carIn(plate: string, minutes: number): Promise<string> {
  w.lotClock.set(Date.now() - minutes * MIN);
  const { orderId } = await lot().arrive({ lane: '东门入口', plate, wait: true });
  w.lotClock.set(Date.now());
  return orderId;
}

/** Pre-pay the car's stay; resolves when the lot has been told. */
async function prepay(plate: string, wallet: 'wechat' | 'alipay'): Promise<string> {
  const fee = await w.orders.quotePrepay(DRIVER, P, plate);
  const orderNo = fee.order!.orderNo;
  if (wallet === 'wechat') {
    const { pay } = await w.orders.pay(DRIVER, orderNo, 'wechat', { openId: 'oWX-recon' });
    if (pay.provider !== 'wechat') throw new Error('wechat');
    expect(w.wechat.requestPayment(pay.requestPayment, { outcome: 'pay' }).errMsg).toBe('requestPayment:ok');
  } else {
    const user = w.alipay.user('recon-a');
    await w.orders.pay(DRIVER, orderNo, 'alipay', { openId: user.openId });
    expect(w.alipay.pay(orderNo, user).resultCode).toBe('9000');
  }
  await eventually(() => w.orderRepo.get(orderNo), (o) => o?.status === 'delivered');
  return orderNo;
}

const leave = (plate: string, o: { force?: boolean; settle?: 'cash' | 'waive' } = {}) => lot().leave({ lane: '东门出口', plate, wait: true, ...o });

// A test's payments all fall on the China day it reconciles, whatever the hour it runs at (a run across
// midnight split them over two days).
beforeAll(() => clearOfMidnight(TEST_MS), clearOfMidnight.hookMs(TEST_MS));

describe('daily reconciliation', () => {
  it('matches what agrees, and finds every planted difference; the CSV and the chart say the same', async () => {
    // Agreeing: WeChat pre-pay, the car leaves (4.3 with our number) …
    await carIn('京R10001', 75);
    const wechatOk = await prepay('京R10001', 'wechat');
    await leave('京R10001');
    // … Alipay pre-pay, the lot also uploads its charge (4.15), then the car leaves.
    const aliStay = await carIn('京R10002', 130);
    const alipayOk = await prepay('京R10002', 'alipay');
    await lot().sendChargeRecords(aliStay, true);
    await leave('京R10002');
    // The lot's own takings: a car pays cash at the booth (4.3 and the lot's own 4.15).
    await carIn('京R10003', 200);
    await leave('京R10003', { force: true, settle: 'cash' });
    // Still in the park after paying: the lot reports it when the car leaves.
    await carIn('京R10004', 70);
    const stillIn = await prepay('京R10004', 'wechat');
    // A booking: ParkPay's money, not something the lot reports.
    const offerId = await w.offer({ priceFen: 800 });
    const { booking } = await w.bookings.book(DRIVER, offerId, '京R10009');
    await w.payWechat(DRIVER, booking.bookingNo);
    await eventually(() => w.repos.bookings.get(booking.bookingNo), (b) => b?.state === 'issued');

    // Planted 1: the lot recorded our payment with another amount.
    await carIn('京R10005', 75);
    const differs = await prepay('京R10005', 'wechat');
    lot().state.payments.get(differs)!.fen = 300;
    await leave('京R10005', { force: true, settle: 'waive' });
    // Planted 2: the lot lost our payment, and the car has left.
    const lostStay = await carIn('京R10006', 75);
    const lost = await prepay('京R10006', 'wechat');
    const car = lot().state.cars.get(lostStay)!;
    car.payments = car.payments.filter((p) => p.payNo !== lost);
    await leave('京R10006', { force: true, settle: 'waive' });
    // Planted 3: the lot reports one of our numbers we have no payment for (our record gone).
    await carIn('京R10007', 75);
    const vanished = await prepay('京R10007', 'wechat');
    await leave('京R10007');
    await w.db.connection.collection('orders').deleteOne({ _id: vanished } as never);

    const today = formatChinaDate(Date.now());
    const report = await recon.daily(P, today);
    const row = (ref: string) => report.rows.find((r) => r.ours?.ref === ref || r.lot?.payNo === ref);
    expect(row(wechatOk)).toMatchObject({ status: 'matched', channel: 'wechat', differenceFen: 0, lot: { sources: ['4.3'] } });
    expect(row(alipayOk)).toMatchObject({ status: 'matched', channel: 'alipay', lot: { sources: ['4.3', '4.15'] } });
    expect(row(stillIn)).toMatchObject({ status: 'awaiting_lot' });
    expect(row(booking.orderNo)).toMatchObject({ status: 'not_for_lot', takingsFen: 800 });
    expect(row(differs)).toMatchObject({ status: 'amount_differs', differenceFen: 300 - 400 });
    expect(row(lost)).toMatchObject({ status: 'missing_at_lot', plate: '京R10006' });
    expect(row(vanished)).toMatchObject({ status: 'missing_ours', differenceFen: 400 });
    const cash = report.rows.filter((r) => r.status === 'lot_only' && r.channel === 'cash');
    expect(cash).toHaveLength(1); // the booth's cash, in 4.3 and 4.15, once
    expect(cash[0]!.lot!.sources.sort()).toEqual(['4.15', '4.3']);
    expect(report.summary.differences).toBe(3);
    expect(report.summary.counts).toMatchObject({ matched: 2, amount_differs: 1, missing_at_lot: 1, missing_ours: 1, awaiting_lot: 1, not_for_lot: 1, lot_only: 1 });
    // Takings: every payment once (ours net; the lot's own cash; a number we never took is not ours).
    const cashFen = cash[0]!.lot!.amountFen;
    expect(report.summary.takings.byChannel).toMatchObject({ wechat: 400 + 400 + 800 + 400 + 400, alipay: 600, cash: cashFen });

    // Another day has none of it.
    const yesterday = await recon.daily(P, formatChinaDate(Date.now() - 24 * 60 * MIN));
    expect(yesterday.rows.filter((r) => r.plate.startsWith('京R'))).toEqual([]);

    const csv = reconciliationCsv(report);
    const lines = csv.slice(1).trimEnd().split('\r\n');
    expect(lines).toHaveLength(report.rows.length + 1);
    expect(lines.find((l) => l.includes(differs))).toMatch(/,金额不一致,微信,京R10005,.*,4\.00,0\.00,.*,3\.00,-1\.00$/);
    expect(lines.find((l) => l.includes(lost))).toContain(',车场缺少,');

    const chart = await recon.takings(P, formatChinaDate(Date.now() - 2 * 24 * 60 * MIN), today);
    expect(chart.map((d) => d.date)).toHaveLength(3);
    const day = chart.find((d) => d.date === today)!;
    expect(day.byChannel).toEqual(report.summary.takings.byChannel);
    expect(day.totalFen).toBe(report.summary.takings.totalFen);
    expect(chart.filter((d) => d.date !== today).every((d) => d.totalFen === 0)).toBe(true);
  });

  it('bad dates and ranges are clear errors; an unknown park is not found', async () => {
    await expect(recon.daily(P, '2026-02-30')).rejects.toMatchObject({ code: 'invalid_date' });
    await expect(recon.takings(P, '2026-11-29', '2026-11-28')).rejects.toMatchObject({ code: 'invalid_range' });
    await expect(recon.takings(P, '2026-01-01', '2026-12-31')).rejects.toMatchObject({ code: 'invalid_range' });
    expect(await answerTo(recon.daily('p_nowhere', '2026-11-29'))).toMatchObject({ code: 'park_unknown', status: 404 });
  });
});
