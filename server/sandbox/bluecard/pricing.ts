/**
 * The lot's price of a stay: the tariff over the time no pass covers, less what was paid and what the
 * coupons are worth (time coupons first, each worth what it adds to those before it, then money coupons),
 * and the free minutes after a payment. Pure: the park's state comes in, nothing is written.
 */
import { fenToYuan as yuan } from '../../../shared/money';
import { formatChinaTime } from '../../../shared/time';
import type { ParkLists } from './park-lists';
import type { Car, CouponRecord, Priced, Quote } from './park-model';
import { type TariffDefinition, chargeFen, timeDiscountFen } from './tariff';

const MINUTE = 60_000;

/** What pricing reads of a park. */
export interface PricingPark {
  tariff: TariffDefinition;
  coupons: ReadonlyMap<string, CouponRecord>;
  lists: Pick<ParkLists, 'uncoveredMs'>;
}

/** Price a stay at `at`; `extraCouponMinutes` is a 4.4 couponTime not yet paid. */
export function priceStay(park: PricingPark, car: Car, at: number, extraCouponMinutes = 0): Priced {
  const inPaidFreeTime = car.paidFreeUntil !== undefined && car.paidUntil !== undefined && at <= car.paidFreeUntil;
  const end = inPaidFreeTime ? Math.max(car.inTime, car.paidUntil!) : Math.max(car.inTime, at);
  // A monthly pass makes the time it covers free; the rest is priced as one stay (a pass that ran out
  // during the stay, or one that began after entry: the car owes for the time outside it).
  const duration = car.plate === '' ? end - car.inTime : park.lists.uncoveredMs(car.plate, car.areaId, car.inTime, end);
  const fixed = duration === 0;
  const charge = fixed ? 0 : chargeFen(park.tariff, duration);
  const paidOnline = car.payments.filter((p) => p.online).reduce((s, p) => s + p.fen, 0);
  const paidOffline = car.payments.filter((p) => !p.online).reduce((s, p) => s + p.fen, 0);
  const paid = paidOnline + paidOffline;

  const coupons = car.couponCodes.map((c) => park.coupons.get(c)!).filter((c) => c.end >= at || c.via === '4.4');
  // Time first (each coupon's value is what it adds to the discount of those before it), then money.
  const budget = Math.max(0, charge - paid);
  let left = budget;
  let minutes = 0;
  let timeValue = 0;
  const couponValues: Priced['couponValues'] = [];
  const extraValue = fixed ? 0 : timeDiscountFen(park.tariff, duration, extraCouponMinutes);
  for (const c of coupons.filter((x) => x.modeId === '0')) {
    const before = fixed ? 0 : timeDiscountFen(park.tariff, duration, minutes + extraCouponMinutes);
    minutes += c.position;
    const after = fixed ? 0 : timeDiscountFen(park.tariff, duration, minutes + extraCouponMinutes);
    const v = Math.min(left, after - before);
    left -= v;
    timeValue += v;
    couponValues.push({ coupon: c, valueFen: v });
  }
  const extra = Math.min(left, extraValue);
  left -= extra;
  timeValue += extra;
  let moneyValue = 0;
  let moneyFace = 0;
  for (const c of coupons.filter((x) => x.modeId === '1')) {
    moneyFace += c.position;
    const v = Math.min(left, c.position);
    left -= v;
    moneyValue += v;
    couponValues.push({ coupon: c, valueFen: v });
  }
  const profit = timeValue + moneyValue;
  const payCharge = Math.max(0, charge - paid - profit);
  const paidFreeMinutes = inPaidFreeTime
    ? Math.ceil((car.paidFreeUntil! - at) / MINUTE)
    : park.tariff.paidFreeMinutes;
  return {
    at,
    end,
    chargeFen: charge,
    paidFen: paid,
    onlineFen: paidOnline,
    offlineFen: paidOffline,
    profitFen: profit,
    timeProfitFen: timeValue,
    moneyProfitFen: moneyValue,
    moneyFaceFen: moneyFace,
    profitMinutes: minutes + extraCouponMinutes,
    payChargeFen: payCharge,
    stopMinutes: Math.max(0, Math.floor((at - car.inTime) / MINUTE)),
    paidFreeMinutes,
    inPaidFreeTime,
    couponValues,
  };
}

/** 4.4 / 4.30 answer datas of a quote. */
export function stayPriceDatas(car: Car, quote: Quote, priced: Priced, now: number) {
  return {
    orderId: car.orderId,
    plate: car.plate,
    inTime: formatChinaTime(car.inTime),
    getTime: quote.getTimeText,
    charge: yuan(priced.chargeFen),
    payCharge: yuan(priced.payChargeFen),
    paidTotal: yuan(priced.paidFen),
    profitChargeTotal: yuan(priced.profitFen),
    profitTimeTotal: String(priced.profitMinutes),
    stopTimeTotal: String(priced.stopMinutes),
    paidfreeTime: String(priced.paidFreeMinutes),
    memo: '',
    imgName: car.inImage,
    outTradeNo: quote.outTradeNo,
    timeStamp: String(now),
  };
}
