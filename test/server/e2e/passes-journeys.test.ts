/**
 * Monthly passes end to end against the sandboxes (real database, the Bluecard, WeChat Pay and Alipay
 * sandboxes, the order service and its worker): an operator's offer, a driver renewing a plate and paying,
 * the lot's whitelist extended (4.8 then 4.6, paced on the lot's clock — no real waits), the car entering
 * and leaving without paying; a lot that refuses → the money back with the reason; a renewal at the booth
 * (4.31) and one online at the same time, in every order, neither overwriting the other; the answer of 4.6
 * lost → one payment, one extension; the daily reconciliation to the fen.
 */
import { BluecardClient } from '../../../server/src/adapter/bluecard';
import { BluecardPassLot } from '../../../server/src/adapter/bluecard/pass-lot';
import { addDays, extendEnd } from '../../../server/src/core/passes/dates';
import type { PassLot } from '../../../server/src/core/passes/model';
import { PassService } from '../../../server/src/core/passes/service';
import type { Operator } from '../../../server/src/core/operators/model';
import type { OrderServiceDeps } from '../../../server/src/core/orders/orders';
import { ReconciliationService } from '../../../server/src/core/reconciliation/daily';
import { MongoParkDirectory } from '../../../server/src/repository/parks';
import { MongoListsRepository } from '../../../server/src/repository/lists';
import { MongoPassRepositories } from '../../../server/src/repository/passes';
import { MongoReconciliationSources } from '../../../server/src/repository/reconciliation';
import { MongoWorkQueue } from '../../../server/src/repository/work';
import { DEMO_PARK_NUMBER } from '../../../server/sandbox/bluecard';
import { formatChinaDate } from '../../../shared/time';
import { closeOrder } from '../../../server/src/core/orders/changes';
import { clearOfMidnight } from '../../support/china-day';
import { eventually } from '../../support/eventually';
import { startPaymentWorld, type PaymentWorld } from '../../support/payment-world';
import { answerTo } from '../../support/answers';

jest.setTimeout(90_000);

const P = DEMO_PARK_NUMBER;
const operator: Operator = { id: 'op-1', username: 'lotboss', role: 'operator', parks: [P] };
const extended: { passId: string; endsAt: Date }[] = [];

let w: PaymentWorld;
let passes: PassService;
let lists: MongoListsRepository;
let work: MongoWorkQueue;
/** Runs between the read (4.8) and the write (4.6) of the next extension: a renewal at the booth, say. */
let beforeWrite: (() => Promise<void>) | undefined;
/** Runs after the next write (4.6) the lot accepted. */
let afterWrite: (() => void) | undefined;
/** `driverId|plateKey` of the plates drivers have proved theirs at the park (core/parking/proofs.ts decides in production). */
const proved = new Set<string>();
let plateSeq = 0;
const plate = () => `沪M${String(10_000 + ++plateSeq).slice(-5)}`;

/** The whole file pays and renews on one China day (the last test reconciles it): started clear of midnight. */
const FILE_MS = 10 * 60_000;

beforeAll(async () => {
  await clearOfMidnight(FILE_MS);
  // The lot's clock is real time here (its "today" and ours agree); the client's pacing waits move it on.
  const deliveries: NonNullable<OrderServiceDeps['deliveries']> = {};
  const ref: { passes?: PassService } = {};
  w = await startPaymentWorld('passes', {
    deliveries,
    // A lot unreachable this long after the payment: the money goes back (a day in production).
    policy: { giveUpAfterMs: 5_000 },
    onRefund: (no) => void ref.passes?.orderChanged(no),
    // As production wires it: a renewal at the booth (4.31) is checked against our extensions.
    lotEvents: { renewed: (parkNumber, plates) => void ref.passes?.boothRenewed(parkNumber, plates) },
  });
  w.lotClock.set(Date.now());
  const repos = new MongoPassRepositories(w.db.connection);
  await repos.init();
  const client = new BluecardClient({ backoffMs: [], timeoutMs: 3_000, clock: w.lotClock, sleep: async (ms) => w.lotClock.advance(ms) });
  const real = new BluecardPassLot(client);
  const lot: PassLot = {
    entry: (park, p) => real.entry(park, p),
    write: async (park, e) => {
      const hook = beforeWrite;
      beforeWrite = undefined;
      await hook?.();
      await real.write(park, e);
      const after = afterWrite;
      afterWrite = undefined;
      after?.();
    },
  };
  lists = new MongoListsRepository(w.db.connection);
  await lists.init();
  work = new MongoWorkQueue(w.db.connection);
  await work.init();
  passes = new PassService({
    offers: repos.offers,
    purchases: repos.purchases,
    places: repos.places,
    orders: w.orderRepo,
    orderService: w.orders,
    parks: new MongoParkDirectory(w.db.connection, 0),
    lotRecords: w.stays,
    lot,
    proofs: { isProved: async (driverId, _park, plateKey) => proved.has(`${driverId}|${plateKey}`) },
    boothRenewals: repos.boothRenewals,
    ourList: lists,
    clock: w.lotClock,
    onExtended: (x) => void extended.push({ passId: x.passId, endsAt: x.endsAt }),
    work,
  });
  ref.passes = passes;
  deliveries.pass = passes.delivery;
  const [hb] = await w.bluecard.heartbeatNow(P);
  if (!hb?.acknowledged) throw new Error('heartbeat not acknowledged');
  await passes.putOffer(operator, P, {
    areaIds: [1, 2],
    prices: [
      { months: 1, priceFen: 30_000 },
      { months: 3, priceFen: 85_000 },
    ],
    newPlates: true,
    maxPasses: 50,
    text: '地面及地下停车场通用',
  });
}, clearOfMidnight.hookMs(FILE_MS) + 60_000);

afterAll(async () => {
  await w?.close();
});

const lotEntry = (p: string) => w.bluecard.park(P).state.white.get(p)?.entry;

async function payWechat(driverId: string, purchaseNo: string) {
  const { pay } = await passes.pay(driverId, purchaseNo, 'wechat', { openId: `oWX-${driverId}` });
  if (pay.provider !== 'wechat') throw new Error('expected WeChat pay parameters');
  const r = w.wechat.requestPayment(pay.requestPayment, { outcome: 'pay' });
  if (r.errMsg !== 'requestPayment:ok') throw new Error(r.errMsg);
}

async function buyAndPay(driverId: string, p: string, months: number) {
  const bought = await passes.buy(driverId, P, p, months);
  await payWechat(driverId, bought.purchase.purchaseNo);
  return bought.purchase.purchaseNo;
}

const settled = (driverId: string, no: string) =>
  eventually(
    () => passes.view(driverId, no),
    (v) => (v.purchase.state === 'active' && v.order?.status === 'delivered') || (v.purchase.state === 'refunded' && v.order?.refund?.state === 'done'),
  );

describe('monthly passes', () => {
  test('an operator offer, a new plate bought for 3 months: the lot accepts, the car comes and goes without paying', async () => {
    const p = plate();
    const today = formatChinaDate(w.lotClock.now());
    // A plate the driver has not proved theirs: its pass is not shown (the driver may still pay for it).
    const before = await passes.plate('d1', P, p);
    expect(before.offer?.prices.map((x) => x.months)).toEqual([1, 3]);
    expect(before.validity).toEqual({ source: 'hidden', start: null, end: null, areas: [] });
    proved.add(`d0|${p}`);
    expect((await passes.plate('d0', P, p)).validity.source).toBe('none');

    const no = await buyAndPay('d1', p, 3);
    const done = await settled('d1', no);
    const end = extendEnd(addDays(today, -1), 3);
    expect(done.order?.refund?.reason).toBeUndefined();
    expect(done.purchase).toMatchObject({ state: 'active', validTo: end, priceFen: 85_000 });
    expect(done.notice).toBe(`已续费至 ${end}`);
    expect(done.order).toMatchObject({ status: 'delivered', kind: 'pass', amountFen: 85_000 });
    // The lot's whitelist: both areas valid from today to the new end.
    expect(lotEntry(p)).toMatchObject({ start: today, end, areasAndValidity: [{ areaId: 1, start: today, end }, { areaId: 2, start: today, end }] });
    expect((await passes.plate('d1', P, p)).validity).toMatchObject({ source: 'lot', end });
    // The reminders are recorded against the end of the last valid day.
    expect(extended).toContainEqual({ passId: `${P}|${p}`, endsAt: new Date(`${end}T23:59:59+08:00`) });

    // In and out after three hours: a monthly car pays nothing.
    const lot = w.bluecard.park(P);
    const { orderId, carType } = await lot.arrive({ lane: '东门入口', plate: p, wait: true });
    expect(carType).toBe('固定车');
    w.lotClock.advance(3 * 60 * 60_000);
    const left = await lot.leave({ lane: '东门出口', plate: p, wait: true });
    expect(left.orderId).toBe(orderId);
    expect(Number(left.record.chargeStatistics?.charge ?? 'missing')).toBe(0);
    // Back to the payments' time: the lot's renewals below fall on the day the last test reconciles.
    w.lotClock.advance(-3 * 60 * 60_000);

    // A renewal of 1 month follows on from the end the lot has (not from today).
    const again = await settled('d1', await buyAndPay('d1', p, 1));
    expect(again.purchase.validTo).toBe(extendEnd(end, 1));
    expect(lotEntry(p)?.end).toBe(extendEnd(end, 1));
  });

  test('the lot refuses the new dates: the driver gets the money back, with the reason', async () => {
    const p = plate();
    w.bluecard.faults.add({ kind: 'fail', name: 'synWhite', count: 10, errorCode: '白名单数量已达上限' });
    try {
      const done = await settled('d2', await buyAndPay('d2', p, 1));
      expect(done.purchase.state).toBe('refunded');
      expect(done.order).toMatchObject({ status: 'refunded', refund: { fen: 30_000, state: 'done' } });
      expect(done.order?.refund?.reason).toMatch(/^lot_refused: 白名单数量已达上限/);
      expect(done.notice).toContain('白名单数量已达上限');
      expect(lotEntry(p)).toBeUndefined();
    } finally {
      w.bluecard.faults.clear();
    }
  });

  test('the lot unreachable beyond the limit: the driver gets the money back, with the reason', async () => {
    const p = plate();
    w.bluecard.faults.conditions.offline = true;
    try {
      const done = await settled('d10', await buyAndPay('d10', p, 1));
      expect(done.purchase.state).toBe('refunded');
      expect(done.order?.refund?.reason).toMatch(/^lot_unreachable/);
      expect(done.notice).toBe('续费未成功，已原路退款（停车场长时间无法连接）');
      expect(done.order?.delivery?.attempts).toBeGreaterThan(1);
    } finally {
      w.bluecard.faults.conditions.offline = false;
    }
    expect(lotEntry(p)).toBeUndefined();
  });

  test('a renewal at the booth between our read and our write is not overwritten', async () => {
    const p = plate();
    const first = await settled('d3', await buyAndPay('d3', p, 1));
    expect(first.notice).toMatch(/^已续费至/);
    const e0 = first.purchase.validTo!;
    let boothEnd = '';
    beforeWrite = async () => {
      boothEnd = (await w.bluecard.park(P).renewAtBooth({ plate: p, months: 1, payChargeFen: 30_000 }, true)).end;
    };
    const done = await settled('d3', await buyAndPay('d3', p, 3));
    expect(boothEnd).toBe(extendEnd(e0, 1));
    // The booth's month and our three: neither lost (the booth's put back on top of ours).
    const end = await eventually(
      () => lotEntry(p)?.end,
      (e) => e === extendEnd(extendEnd(e0, 3), 1),
    );
    expect(end).toBe(extendEnd(extendEnd(e0, 3), 1));
    expect((await passes.view('d3', done.purchase.purchaseNo)).purchase.validTo).toBe(end);
  });

  test('a booth renewal that could not be put back at once is put back when the plate’s next 4.31 is looked at', async () => {
    const p = plate();
    const e0 = (await settled('d9', await buyAndPay('d9', p, 1))).purchase.validTo!;
    beforeWrite = async () => void (await w.bluecard.park(P).renewAtBooth({ plate: p, months: 1, payChargeFen: 30_000 }, true));
    // Our 4.6 lands; the lot then refuses the one that would put the booth's month back.
    afterWrite = () => void w.bluecard.faults.add({ kind: 'fail', name: 'synWhite', count: 1, errorCode: '系统繁忙' });
    const done = await settled('d9', await buyAndPay('d9', p, 3));
    expect(done.purchase.validTo).toBe(extendEnd(e0, 3));
    expect(lotEntry(p)?.end).toBe(extendEnd(e0, 3));
    // The next look (the lot reporting a renewal of the plate) puts it back.
    await passes.boothRenewed(P, [p]);
    expect(lotEntry(p)?.end).toBe(extendEnd(extendEnd(e0, 3), 1));
    expect((await passes.view('d9', done.purchase.purchaseNo)).purchase.validTo).toBe(extendEnd(extendEnd(e0, 3), 1));
  });

  test('two renewals of one plate paid at once: one goes to the lot after the other, both count', async () => {
    const p = plate();
    const e0 = (await settled('d11', await buyAndPay('d11', p, 1))).purchase.validTo!;
    const first = await passes.buy('d11', P, p, 1);
    const second = await passes.buy('d12', P, p, 3);
    // The first has read the lot's dates and is about to write them when the second is paid and delivered.
    beforeWrite = async () => {
      await payWechat('d12', second.purchase.purchaseNo);
      await eventually(
        () => w.orderRepo.get(second.purchase.purchaseNo),
        (o) => o?.status === 'delivered' || (o?.delivery?.attempts ?? 0) >= 1,
      );
    };
    await payWechat('d11', first.purchase.purchaseNo);
    const [a, b] = [await settled('d11', first.purchase.purchaseNo), await settled('d12', second.purchase.purchaseNo)];
    const both = extendEnd(extendEnd(e0, 1), 3);
    expect(lotEntry(p)?.end).toBe(both);
    expect([a.purchase.validTo, b.purchase.validTo]).toEqual([extendEnd(e0, 1), both]);
  });

  test('a renewal at the booth before ours and one after it both count', async () => {
    const p = plate();
    const first = await settled('d4', await buyAndPay('d4', p, 1));
    const e0 = first.purchase.validTo!;
    // Before: the lot has the booth's month when we read.
    await w.bluecard.park(P).renewAtBooth({ plate: p, months: 1, payChargeFen: 30_000 }, true);
    const online = await settled('d4', await buyAndPay('d4', p, 3));
    expect(online.purchase.validTo).toBe(extendEnd(extendEnd(e0, 1), 3));
    // After: the booth extends from our end.
    const { end } = await w.bluecard.park(P).renewAtBooth({ plate: p, months: 1, payChargeFen: 30_000 }, true);
    expect(end).toBe(extendEnd(extendEnd(extendEnd(e0, 1), 3), 1));
    expect(lotEntry(p)?.end).toBe(end);
  });

  test('the lot applied 4.6 but its answer was lost: one payment, one extension', async () => {
    const p = plate();
    const today = formatChinaDate(w.lotClock.now());
    w.bluecard.faults.add({ kind: 'http500', name: 'synWhite', count: 1, phase: 'after' });
    const done = await settled('d5', await buyAndPay('d5', p, 1));
    const end = extendEnd(addDays(today, -1), 1);
    expect(done.purchase).toMatchObject({ state: 'active', validTo: end });
    expect(lotEntry(p)?.end).toBe(end);
    expect(done.order?.delivery?.attempts).toBeGreaterThanOrEqual(2);
  });

  test('the daily reconciliation counts online and booth renewals to the fen', async () => {
    const today = formatChinaDate(w.lotClock.now());
    const recon = new ReconciliationService({ sources: new MongoReconciliationSources(w.db.connection), parks: new MongoParkDirectory(w.db.connection, 0), clock: w.lotClock });
    // Wait for the booth renewals (4.31) to have reached us.
    const day = await eventually(
      () => recon.daily(P, today),
      (d) => d.summary.passes.booth.count >= 4,
    );
    const online = day.rows.filter((r) => r.ours?.kind === 'pass');
    // Bought online: d1 ×2 (3 months, 1 month), d2 and d10 refunded, d3 ×2, d9 ×2, d11 ×2 and d12, d4 ×2, d5.
    expect(day.summary.passes.online).toEqual({ count: 14, fen: 5 * 85_000 + 9 * 30_000, refundedFen: 2 * 30_000 });
    expect(online.filter((r) => r.status === 'not_for_lot')).toHaveLength(12);
    expect(online.filter((r) => r.status === 'refunded')).toHaveLength(2);
    // At the booth: d3 once, d9 once, d4 twice (¥300.00 each) as the lot's own takings, in cash.
    expect(day.summary.passes.booth).toEqual({ count: 4, fen: 4 * 30_000 });
    const booth = day.rows.filter((r) => r.lot?.sources.includes('4.31'));
    expect(booth.every((r) => r.status === 'lot_only' && r.channel === 'cash' && r.takingsFen === 30_000)).toBe(true);
    expect(day.summary.differences).toBe(0);
  });

  test('a booth renewal that could not be put back at once is put back by the timed retry with backoff, without a new 4.31', async () => {
    const p = plate();
    const e0 = (await settled('d19', await buyAndPay('d19', p, 1))).purchase.validTo!;
    beforeWrite = async () => void (await w.bluecard.park(P).renewAtBooth({ plate: p, months: 1, payChargeFen: 30_000 }, true));
    // Our 4.6 lands; the lot then refuses the one that would put the booth's month back.
    afterWrite = () => void w.bluecard.faults.add({ kind: 'fail', name: 'synWhite', count: 1, errorCode: '系统繁忙' });
    const done = await settled('d19', await buyAndPay('d19', p, 3));
    expect(lotEntry(p)?.end).toBe(extendEnd(e0, 3));
    // What the job registry does with due items of the work collection, on the lot's clock.
    const poll = async () => {
      for (const item of await work.due(['pass_restore'], new Date(w.lotClock.now()), 50)) await work.settle(item, await passes.restoreJob.process(item.ref, 'test'));
    };
    await poll();
    expect(lotEntry(p)?.end).toBe(extendEnd(e0, 3)); // not due yet
    // The first retry (a minute on) finds the lot refusing again: the next waits longer (five minutes).
    w.bluecard.faults.add({ kind: 'fail', name: 'synWhite', count: 1, errorCode: '系统繁忙' });
    w.lotClock.advance(61_000);
    await poll();
    expect(lotEntry(p)?.end).toBe(extendEnd(e0, 3));
    w.lotClock.advance(61_000);
    await poll();
    expect(lotEntry(p)?.end).toBe(extendEnd(e0, 3)); // backing off
    w.lotClock.advance(4 * 60_000);
    await poll();
    expect(lotEntry(p)?.end).toBe(extendEnd(extendEnd(e0, 3), 1));
    expect((await passes.view('d19', done.purchase.purchaseNo)).purchase.validTo).toBe(extendEnd(extendEnd(e0, 3), 1));
  });

  test('an offer names areas the lot has and the price of one month', async () => {
    const base = { prices: [{ months: 1, priceFen: 30_000 }], newPlates: true, maxPasses: 10, text: '' };
    await expect(passes.putOffer(operator, P, { ...base, areaIds: [9] })).rejects.toMatchObject({ code: 'invalid_pass_offer', message: expect.stringContaining('no area 9') });
    await expect(passes.putOffer(operator, P, { ...base, areaIds: [1], prices: [{ months: 3, priceFen: 85_000 }] })).rejects.toMatchObject({ code: 'invalid_pass_offer' });
    await expect(passes.putOffer(operator, P, { ...base, areaIds: [1], prices: [{ months: 1, priceFen: 0 }] })).rejects.toMatchObject({ code: 'invalid_pass_offer' });
    const merchant: Operator = { ...operator, role: 'merchant' };
    expect(await answerTo(passes.putOffer(merchant, P, { ...base, areaIds: [1] }))).toMatchObject({ code: 'forbidden_role', status: 403 });
  });

  test('renewals only: a plate the lot does not have may not buy; one the lot entered itself renews from its end, its details and areas kept', async () => {
    await passes.putOffer(operator, P, { areaIds: [1], prices: [{ months: 1, priceFen: 30_000 }], newPlates: false, maxPasses: 100, text: '' });
    const stranger = plate();
    expect(await answerTo(passes.buy('d6', P, stranger, 1))).toMatchObject({ code: 'plate_not_proved', status: 403 });
    proved.add(`d6|${stranger}`);
    await expect(passes.buy('d6', P, stranger, 1)).rejects.toMatchObject({ code: 'plate_not_on_whitelist' });
    // An entry made at the lot (offline, valid in every area): 4.8 does not answer it, the lot's 4.32 does.
    const p = plate();
    const today = formatChinaDate(w.lotClock.now());
    const lastDay = addDays(today, 5);
    await w.bluecard.park(P).offlineWhite(
      { plate: p, chargeType: '不收费', name: '张三', certificate: '', address: '', phone: '13800000000', plateColor: '蓝牌', start: addDays(today, -25), end: lastDay, dept: '', carType: '月租车', memo: '', areasAndValidity: [] },
      '1',
      true,
    );
    proved.add(`d6|${p}`);
    expect((await passes.plate('d6', P, p)).validity).toMatchObject({ source: 'lot_list', end: lastDay });
    const done = await settled('d6', await buyAndPay('d6', p, 1));
    expect(done.purchase).toMatchObject({ state: 'active', validTo: extendEnd(lastDay, 1) });
    expect(lotEntry(p)).toMatchObject({ name: '张三', phone: '13800000000', start: addDays(today, -25), end: extendEnd(lastDay, 1), areasAndValidity: [] });
    // The buyer of one plate asking again while unpaid gets the same purchase.
    const a = await passes.buy('d6', P, p, 1);
    const b = await passes.buy('d6', P, p, 1);
    expect(b.purchase.purchaseNo).toBe(a.purchase.purchaseNo);
  });

  test('no more plates than the offer allows hold a pass at once; a plate holding one may still renew', async () => {
    const today = formatChinaDate(w.lotClock.now());
    const repos = new MongoPassRepositories(w.db.connection);
    const holding = new Set((await repos.purchases.holding(P, today)).map((x) => x.plate));
    await passes.putOffer(operator, P, { areaIds: [1, 2], prices: [{ months: 1, priceFen: 30_000 }], newPlates: true, maxPasses: holding.size, text: '' });
    await expect(passes.buy('d7', P, plate(), 1)).rejects.toMatchObject({ code: 'passes_sold_out' });
    const holder = [...holding][0]!;
    await expect(passes.buy('d7', P, holder, 1)).resolves.toMatchObject({ purchase: { state: 'awaiting_payment', plate: holder } });
  });

  test('buyers of different plates racing for the last places: exactly as many get one; a closed or refunded purchase frees its place', async () => {
    const today = formatChinaDate(w.lotClock.now());
    const repos = new MongoPassRepositories(w.db.connection);
    const holding = new Set((await repos.purchases.holding(P, today)).map((x) => x.plate));
    const free = 2;
    await passes.putOffer(operator, P, { areaIds: [1, 2], prices: [{ months: 1, priceFen: 30_000 }], newPlates: true, maxPasses: holding.size + free, text: '' });
    const racers = Array.from({ length: 8 }, (_, i) => ({ driverId: `race${i}`, plate: plate() }));
    const results = await Promise.allSettled(racers.map((r) => passes.buy(r.driverId, P, r.plate, 1)));
    const won = results.flatMap((r) => (r.status === 'fulfilled' ? [r.value] : []));
    expect(won).toHaveLength(free);
    for (const r of results) if (r.status === 'rejected') expect(r.reason).toMatchObject({ code: 'passes_sold_out' });
    // A plate holding a place renews without taking a second one.
    await expect(passes.buy('race-again', P, won[0]!.purchase.plate, 1)).resolves.toMatchObject({ purchase: { plate: won[0]!.purchase.plate } });
    await expect(passes.buy('late', P, plate(), 1)).rejects.toMatchObject({ code: 'passes_sold_out' });
    // The driver gives up paying: the order closes and its place goes to the next buyer, once.
    await w.orders.cancel(won[1]!.purchase.driverId, won[1]!.purchase.purchaseNo);
    const next = [plate(), plate()];
    const after = await Promise.allSettled(next.map((p, i) => passes.buy(`next${i}`, P, p, 1)));
    const nextWon = after.flatMap((r) => (r.status === 'fulfilled' ? [r.value.purchase] : []));
    expect(nextWon).toHaveLength(1);
    await expect(passes.buy('late', P, plate(), 1)).rejects.toMatchObject({ code: 'passes_sold_out' });
    // The lot refuses the paid one: the driver's money goes back, and so does the place.
    w.bluecard.faults.add({ kind: 'fail', name: 'synWhite', count: 10, errorCode: '白名单数量已达上限' });
    try {
      await payWechat(nextWon[0]!.driverId, nextWon[0]!.purchaseNo);
      expect((await settled(nextWon[0]!.driverId, nextWon[0]!.purchaseNo)).purchase.state).toBe('refunded');
    } finally {
      w.bluecard.faults.clear();
    }
    await expect(passes.buy('after-refund', P, plate(), 1)).resolves.toMatchObject({ purchase: { state: 'awaiting_payment' } });
  });

  test('a pass whose validity has ended gives its place back to the next buyer', async () => {
    const today = formatChinaDate(w.lotClock.now());
    const repos = new MongoPassRepositories(w.db.connection);
    const holding = new Set((await repos.purchases.holding(P, today)).map((x) => x.plate));
    await passes.putOffer(operator, P, { areaIds: [1, 2], prices: [{ months: 1, priceFen: 30_000 }], newPlates: true, maxPasses: holding.size + 1, text: '' });
    const bought = await settled('exp1', await buyAndPay('exp1', plate(), 1));
    expect(bought.purchase.state).toBe('active');
    await expect(passes.buy('exp2', P, plate(), 1)).rejects.toMatchObject({ code: 'passes_sold_out' });
    // Its month is over (as when the days have passed): the place is the next plate's.
    await repos.purchases.apply(bought.purchase.purchaseNo, { from: ['active'], set: { validTo: addDays(today, -1), updatedAt: new Date() } });
    await expect(passes.buy('exp3', P, plate(), 1)).resolves.toMatchObject({ purchase: { state: 'awaiting_payment' } });
    await expect(passes.buy('exp4', P, plate(), 1)).rejects.toMatchObject({ code: 'passes_sold_out' });
  });

  test('a reminder is due when the pass the plate holds ends, wherever it was renewed', async () => {
    await passes.putOffer(operator, P, { areaIds: [1, 2], prices: [{ months: 1, priceFen: 30_000 }], newPlates: true, maxPasses: 100, text: '' });
    const p = plate();
    const first = await settled('d8', await buyAndPay('d8', p, 1));
    const passId = `${P}|${p}`;
    expect(await passes.endsAt(passId)).toEqual(new Date(`${first.purchase.validTo}T23:59:59+08:00`));
    const { end } = await w.bluecard.park(P).renewAtBooth({ plate: p, months: 1, payChargeFen: 30_000 }, true);
    // The lot's list as it pushed it after the booth's renewal (4.32) moves the end: the old reminders lapse.
    await eventually(
      () => passes.endsAt(passId),
      (d) => d?.getTime() === new Date(`${end}T23:59:59+08:00`).getTime(),
    );
  });

  test('paid after its order closed: the money still buys the pass', async () => {
    const p = plate();
    const bought = await passes.buy('d13', P, p, 1);
    const no = bought.purchase.purchaseNo;
    const { pay } = await passes.pay('d13', no, 'wechat', { openId: 'oWX-d13' });
    if (pay.provider !== 'wechat') throw new Error('expected WeChat pay parameters');
    // Closed here (its time ran out) while the payer is still in the wallet.
    await w.orderRepo.apply(no, closeOrder(['pending'], 'payment_expired', new Date()));
    expect((await passes.view('d13', no)).purchase.state).toBe('closed');
    expect(w.wechat.requestPayment(pay.requestPayment, { outcome: 'pay' }).errMsg).toBe('requestPayment:ok');
    const done = await settled('d13', no);
    expect(done.purchase).toMatchObject({ state: 'active', validTo: extendEnd(addDays(formatChinaDate(w.lotClock.now()), -1), 1) });
    expect(lotEntry(p)?.end).toBe(done.purchase.validTo);
  });

  test('a plate the operators keep on their whitelist copy: the copy takes the dates the lot accepted', async () => {
    const p = plate();
    const today = formatChinaDate(w.lotClock.now());
    const t = new Date(w.lotClock.now());
    const white = { start: addDays(today, -20), end: addDays(today, 10), chargeType: '不收费', name: '李四', certificate: '', address: '', phone: '', plateColor: '蓝牌', dept: '物业', carType: '月租车', areas: [{ areaId: 1, start: addDays(today, -20), end: addDays(today, 10) }, { areaId: 2, start: addDays(today, -20), end: addDays(today, 10) }] };
    await lists.upsert({ parkNumber: P, list: 'white', plate: p, plateKey: p, memo: '', white, sync: { state: 'synced', at: t }, origin: 'manual', updatedBy: 'lotboss', createdAt: t, updatedAt: t });
    // The operators' entry reached the lot.
    await w.bluecard.park(P).offlineWhite({ plate: p, chargeType: '不收费', name: '李四', certificate: '', address: '', phone: '', plateColor: '蓝牌', start: white.start, end: white.end, dept: '物业', carType: '月租车', memo: '', areasAndValidity: white.areas }, '1', true);
    const done = await settled('d14', await buyAndPay('d14', p, 1));
    const end = extendEnd(addDays(today, 10), 1);
    expect(done.purchase.validTo).toBe(end);
    expect((await lists.get(P, 'white', p))?.white).toMatchObject({ name: '李四', dept: '物业', start: white.start, end, areas: [{ areaId: 1, start: white.start, end }, { areaId: 2, start: white.start, end }] });
    expect((await lists.get(P, 'white', p))?.sync.state).toBe('synced');
  });

  test('paid with Alipay: the same way to the lot', async () => {
    const p = plate();
    const bought = await passes.buy('d15', P, p, 1);
    const user = w.alipay.user('d15');
    const { pay } = await passes.pay('d15', bought.purchase.purchaseNo, 'alipay', { openId: user.openId });
    if (pay.provider !== 'alipay') throw new Error('expected Alipay pay parameters');
    expect(w.alipay.pay(bought.purchase.purchaseNo, user).resultCode).toBe('9000');
    const done = await settled('d15', bought.purchase.purchaseNo);
    expect(done.order).toMatchObject({ status: 'delivered', payment: { provider: 'alipay', paidFen: 30_000 } });
    expect(lotEntry(p)?.end).toBe(done.purchase.validTo);
    expect(done.notice).toBe(`已续费至 ${done.purchase.validTo}`);
  });
});
