/**
 * 4.13 pre-exit pricing: the sandbox lot, at an exit lane, asks ParkPay (over HTTP, signed) to price the
 * stay; ParkPay answers payCharge / realCharge / payKind / chargeList. Without credits of ours: the lot's own
 * figures. Coupons the lot confirmed (4.23) are in its figures already and never counted twice; a money
 * coupon the lot never confirmed, and booking credits (a StayCreditSource), are — once, per outTradeNo.
 */
import { preExitPricingAnswer } from '../../../../shared/bluecard';
import { PreExitPricing, type ExitPricingContext, type StayCredit, type StayCreditSource } from '../../../../server/src/core/lanepay/pre-exit-pricing';
import { DEMO_PARK_NUMBER } from '../../../../server/sandbox/bluecard';
import { startLaneWorld, type LaneWorld } from '../../../support/lane-world';

const PN = DEMO_PARK_NUMBER;

/** H-book's booking offers stand-in: a prepaid booking of a plate covers up to `fen` once per outTradeNo. */
class BookingCredits implements StayCreditSource {
  readonly name = 'bookings';
  readonly claims: { outTradeNo: string; remaining: number }[] = [];
  private readonly used = new Map<string, number>();
  constructor(private readonly byPlate: Record<string, number>) {}
  async claimForExit(ctx: ExitPricingContext, remaining: number): Promise<StayCredit[]> {
    this.claims.push({ outTradeNo: ctx.outTradeNo, remaining });
    const value = this.byPlate[ctx.plateKey];
    if (!value) return [];
    const fen = this.used.get(ctx.outTradeNo) ?? Math.min(value, remaining);
    this.used.set(ctx.outTradeNo, fen);
    return [{ payNo: `BK-${ctx.plateKey}`, fen, payKind: '预约', payChannel: '平台优惠', memo: '预约车位已付' }];
  }
}

let w: LaneWorld;
let bookings: BookingCredits;
beforeAll(async () => {
  bookings = new BookingCredits({ 京D50001: 300, 京D50002: 10_000 });
  w = await startLaneWorld('preexit', { extraCredits: [bookings] });
});
afterAll(async () => {
  await w.close();
});
afterEach(() => w.bluecard.faults.clear());

const lot = () => w.bluecard.park(PN);
const rid = () => `req-${Math.random().toString(36).slice(2)}`;
type Answer = { status: string; datas: { payCharge: string; realCharge: string; payKind: string; timeStamp: string; chargeList: Record<string, string>[] } };

async function exitPricing(orderId: string) {
  const r = await lot().preExitPricing({ lane: '东门出口', orderId });
  expect(r.result.httpStatus).toBe(200);
  // Exactly the spec's answer.
  expect(preExitPricingAnswer.safeParse(JSON.parse(r.result.raw!)).success).toBe(true);
  return { ...r, body: JSON.parse(r.result.raw!) as Answer };
}

describe('4.13 pre-exit pricing', () => {
  it("without credits: the lot's own figures (payCharge as it said, realCharge 0.00, no lines); the car still owes", async () => {
    const orderId = await w.arrive('京D10001', 75);
    const r = await exitPricing(orderId);
    expect(r.body).toEqual({
      status: 'success',
      datas: { payCharge: '4.00', realCharge: '0.00', payKind: 'ParkPay', timeStamp: expect.stringMatching(/^\d{13}$/), chargeList: [] },
    });
    expect(r.owed).toBe('4.00');
    expect(r.payment).toBeUndefined();
  });

  it('a coupon the lot confirmed (4.23) is in its figures: not counted again', async () => {
    const orderId = await w.arrive('京D10002', 75);
    const c = await w.coupons.issue(w.ops.operator, PN, { requestId: rid(), orderId, kind: 'money', amount: 150 });
    expect(c.status).toBe('at_lot');
    const r = await exitPricing(orderId);
    expect(r.body.datas).toMatchObject({ payCharge: '2.50', realCharge: '0.00', chargeList: [] });
    expect(r.owed).toBe('2.50');
    expect((await w.couponRepo.get(c.couponCode))!.status).toBe('at_lot');
  });

  it('a money coupon the lot never confirmed is applied once: a 平台优惠 line, the same on a repeat, never for another exit or redelivered', async () => {
    const orderId = await w.arrive('京D10003', 75);
    w.bluecard.faults.add({ kind: 'http500', count: 1, name: 'coupon' });
    const c = await w.coupons.issue(w.ops.merchant, PN, { requestId: rid(), orderId, kind: 'money', amount: 150 });
    expect(c.status).toBe('unconfirmed');

    const r = await exitPricing(orderId);
    expect(r.body.datas).toMatchObject({
      payCharge: '4.00',
      realCharge: '1.50',
      payKind: '优惠券',
      chargeList: [{ payNo: c.couponCode, getTime: expect.stringMatching(/^2026-\d\d-\d\d \d\d:\d\d:\d\d$/), payCharge: '1.50', payKind: '优惠券', payChannel: '平台优惠', memo: '一楼咖啡 优惠券' }],
    });
    // The lot booked it and now wants the rest.
    expect(r.payment).toMatchObject({ fen: 150, payNo: c.couponCode });
    expect(r.owed).toBe('2.50');
    const used = (await w.couponRepo.get(c.couponCode))!;
    expect(used).toMatchObject({ status: 'used_at_exit', usedAtExit: { fen: 150, outTradeNo: r.outTradeNo } });

    // Bluecard asks again for the same exit (its answer was lost): the same answer.
    const req = { parkNumber: PN, plate: '京D10003', orderId, payCharge: '4.00', outTradeNo: r.outTradeNo!, inTime: '', outTime: '' };
    expect((await w.pricing.price(PN, req)).chargeList.map((l) => [l.payNo, l.payCharge])).toEqual([[c.couponCode, '1.50']]);
    // A later exit attempt (a new outTradeNo): the lot's figures hold the coupon now; nothing more from us.
    w.clock.advance(5_000);
    const again = await exitPricing(orderId);
    expect(again.outTradeNo).not.toBe(r.outTradeNo);
    expect(again.body.datas).toMatchObject({ payCharge: '2.50', realCharge: '0.00', chargeList: [] });
    // Neither redelivered nor revocable.
    w.clock.advance(3_600_000);
    const calls = w.calls.filter((x) => x.name === 'coupon').length;
    await w.coupons.redeliverDue();
    expect(w.calls.filter((x) => x.name === 'coupon')).toHaveLength(calls);
    await expect(w.coupons.revoke(w.ops.operator, PN, c.couponCode)).rejects.toMatchObject({ code: 'coupon_used' });
    expect((await w.orders.quotePrepay('d', PN, '京D10003')).coupons).toEqual([expect.objectContaining({ state: 'used' })]);
  });

  it('covers at most what is due; an unconfirmed hour coupon is left to the lot; nothing is used when nothing is due', async () => {
    const orderId = await w.arrive('京D10004', 75);
    w.bluecard.faults.add({ kind: 'http500', count: 2, name: 'coupon' });
    const big = await w.coupons.issue(w.ops.operator, PN, { requestId: rid(), orderId, kind: 'money', amount: 1000 });
    const hours = await w.coupons.issue(w.ops.operator, PN, { requestId: rid(), orderId, kind: 'hours', amount: 60 });
    const r = await exitPricing(orderId);
    expect(r.body.datas).toMatchObject({ payCharge: '4.00', realCharge: '4.00', chargeList: [{ payNo: big.couponCode, payCharge: '4.00' }] });
    expect(r.left).toBe(true); // nothing owed: the barrier opened
    expect((await w.couponRepo.get(hours.couponCode))!.status).toBe('unconfirmed');

    const free = await w.arrive('京D10005', 10); // first 15 minutes free
    w.bluecard.faults.add({ kind: 'http500', count: 1, name: 'coupon' });
    const kept = await w.coupons.issue(w.ops.operator, PN, { requestId: rid(), orderId: free, kind: 'money', amount: 100 });
    const z = await exitPricing(free);
    expect(z.body.datas).toMatchObject({ payCharge: '0.00', realCharge: '0.00', chargeList: [] });
    expect((await w.couponRepo.get(kept.couponCode))!.status).toBe('unconfirmed');
  });

  it('booking credits (a StayCreditSource) count after our coupons, each line capped by what is left', async () => {
    const a = await w.arrive('京D50001', 150); // ¥6.00
    const r = await exitPricing(a);
    expect(r.body.datas).toMatchObject({ payCharge: '6.00', realCharge: '3.00', payKind: '预约', chargeList: [{ payNo: 'BK-京D50001', payCharge: '3.00', payChannel: '平台优惠' }] });
    expect(r.owed).toBe('3.00');

    const b = await w.arrive('京D50002', 75); // ¥4.00, a booking worth more than that, plus an unconfirmed coupon
    w.bluecard.faults.add({ kind: 'http500', count: 1, name: 'coupon' });
    const c = await w.coupons.issue(w.ops.operator, PN, { requestId: rid(), orderId: b, kind: 'money', amount: 100 });
    const s = await exitPricing(b);
    expect(s.body.datas).toMatchObject({
      payCharge: '4.00',
      realCharge: '4.00',
      payKind: '平台优惠',
      chargeList: [
        { payNo: c.couponCode, payCharge: '1.00', payKind: '优惠券' },
        { payNo: 'BK-京D50002', payCharge: '3.00', payKind: '预约' },
      ],
    });
    expect(bookings.claims.at(-1)).toEqual({ outTradeNo: s.outTradeNo, remaining: 300 });
  });

  it("a credit source that fails is left out: the answer still comes, with the others' credits", async () => {
    const failing: StayCreditSource = { name: 'broken', claimForExit: async () => { throw new Error('database down'); } };
    const orderId = await w.arrive('京D10006', 75);
    const pricing = new PreExitPricing({ sources: [failing, bookings], clock: w.clock });
    const a = await pricing.price(PN, { parkNumber: PN, plate: '京D50001', orderId, payCharge: '4', outTradeNo: `${PN}_2_${orderId}_101010`, inTime: '', outTime: '2026-11-28 12:00:00' });
    expect(a).toMatchObject({ payCharge: '4.00', realCharge: '3.00', chargeList: [{ getTime: '2026-11-28 12:00:00' }] });
  });
});
