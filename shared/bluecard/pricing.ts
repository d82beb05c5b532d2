/**
 * Pricing and payment: 4.4 getChargebf (down), 4.5 sendPayRes (down), 4.13 pre-exit pricing (up).
 *
 * Required (tolerant) fields of what Bluecard sends:
 * - 4.4 answer: `payCharge` (what we charge) and `outTradeNo` (must be echoed in 4.5);
 * - 4.13 request: parkNumber, `orderId` (the stay we price) and `payCharge` (what is still due);
 * - 4.5 answer: nothing beyond the envelope (a missing datas reads as {}).
 */
import { z } from 'zod';
import { type Kit, TIME_EXACT, downMessage, normalizeKeys, upMessage } from './common';
import { chargeItemOf } from './records';

// ---------------------------------------------------------------------------------------------------------
// A priced stay: 4.4 answer datas, 4.30 answer datas

/**
 * payCharge = charge − paidTotal − profitChargeTotal. outTradeNo is parkNumber_channelId_orderId_HHmmss,
 * made by Bluecard; echo it in 4.5. `orderIdRequired`: 4.30 is where we learn the unlicensed car's orderId.
 */
export const stayPriceOf = (k: Kit, orderIdRequired = false) =>
  k.obj({
    orderId: orderIdRequired ? k.id() : k.str(),
    plate: k.raw(),
    inTime: k.time(),
    getTime: k.time(), // 本次结算时间: send it back as 4.5 getTime
    charge: k.money0(),
    payCharge: k.money(),
    paidTotal: k.money0(),
    profitChargeTotal: k.money0(),
    profitTimeTotal: k.digits(), // minutes
    stopTimeTotal: k.digits(), // minutes
    paidfreeTime: k.digits(), // minutes the driver may stay after paying
    memo: k.str(),
    imgName: k.raw(),
    outTradeNo: k.id(),
    timeStamp: k.stamp(),
  });

// ---------------------------------------------------------------------------------------------------------
// 4.4 getChargebf — price a stay now

const getChargebf = downMessage(
  (k) =>
    k.obj({
      parkNumber: k.id(),
      orderId: k.id(),
      plate: k.raw(), // "" for an unlicensed car
      wxOpenId: k.str(), // default ""
      ticketCode: k.str(), // default ""
      couponTime: k.digits(), // HOURS of coupon to take off; "0" when none
    }),
  (k) => stayPriceOf(k),
);
export const getChargebfRequest = getChargebf.request;
export const getChargebfRequestTolerant = getChargebf.requestTolerant;
export const getChargebfAnswerDatas = getChargebf.answerDatas;
export const getChargebfAnswerDatasExact = getChargebf.answerDatasExact;
export const getChargebfAnswer = getChargebf.answer;
export const getChargebfAnswerExact = getChargebf.answerExact;
export type GetChargebfRequest = z.output<typeof getChargebfRequest>;
export type GetChargebfAnswerDatas = z.output<typeof getChargebfAnswerDatas>;
export type StayPrice = GetChargebfAnswerDatas;

// ---------------------------------------------------------------------------------------------------------
// 4.5 sendPayRes — a payment succeeded (the gate opens on it)

/** payChannel values the table lists. */
export const PAY_CHANNELS = ['扫码付', '当面付', '提前付', '中央收费', '自助缴费'] as const;

const isPlainObject = (v: unknown): v is Record<string, unknown> => typeof v === 'object' && v !== null && !Array.isArray(v);
const isBlank = (v: unknown) => v === undefined || v === null || (typeof v === 'string' && v.trim() === '');

/**
 * Tolerant 4.5: read the settle time under either spelling and fill the other from it, so a body with only
 * `getTimes` (the spec's example) or only `getTime` (the table) parses with both set. Keys are normalized
 * first ("GetTimes " → getTimes), as k.obj would.
 */
function settleTimeUnderBothSpellings(input: unknown, declared: readonly string[]): unknown {
  const o = normalizeKeys(input, declared);
  if (!isPlainObject(o)) return o;
  if (isBlank(o.getTime) && !isBlank(o.getTimes)) o.getTime = o.getTimes;
  else if (isBlank(o.getTimes) && !isBlank(o.getTime)) o.getTimes = o.getTime;
  return o;
}

/**
 * Exact 4.5: getTimes must equal getTime. Compared only when both are well-formed times (a malformed or
 * missing one is already reported on its own).
 */
function sameSettleTime(getTime: string, getTimes: string) {
  if (getTimes === getTime || !TIME_EXACT.test(getTime) || !TIME_EXACT.test(getTimes)) return [];
  const message = `getTimes ${JSON.stringify(getTimes)} ≠ getTime ${JSON.stringify(getTime)}: send the same time under both spellings`;
  return [{ path: ['getTimes'], message }];
}

const sendPayRes = downMessage(
  (k) => {
    const shape = {
      parkNumber: k.id(),
      orderId: k.id(),
      plate: k.raw(),
      payCharge: k.money(), // 应收
      realCharge: k.money(), // 实收
      payTime: k.needTime(),
      payType: k.str(), // 支付宝/微信; 云优惠 for a cloud discount
      payChannel: k.str(), // see PAY_CHANNELS
      // The 4.4/4.30 getTime (本次结算时间), sent under BOTH spellings with the same value: the 4.5 table says
      // `getTime`, but the 4.5 example and the glossary (§3 item 6) say `getTimes`. The barrier opens on this
      // call, so a Bluecard that reads either spelling must find it; Java JSON readers ignore the unknown one.
      // Exact: both present, valid, and equal. Tolerant: either one alone is enough (the other is filled from it).
      getTime: k.needTime(),
      getTimes: k.time(),
      transactionID: k.id(), // ours, unique per payment
      outTradeNo: k.id(), // Bluecard's, from 4.4/4.30
    };
    const body = k.obj(shape, { exactCheck: (v) => sameSettleTime(v.getTime, v.getTimes) });
    if (k.mode === 'exact') return body;
    // The Kit has no hook to fill one field from another, so the tolerant flavour is wrapped here.
    const declared = Object.keys(shape);
    return z.preprocess((input) => settleTimeUnderBothSpellings(input, declared), body) as unknown as typeof body;
  },
  (k) => k.optObj({ transactionID: k.str(), orderId: k.str(), timeStamp: k.stamp() }),
);
export const sendPayResRequest = sendPayRes.request;
export const sendPayResRequestTolerant = sendPayRes.requestTolerant;
export const sendPayResAnswerDatas = sendPayRes.answerDatas;
export const sendPayResAnswerDatasExact = sendPayRes.answerDatasExact;
export const sendPayResAnswer = sendPayRes.answer;
export const sendPayResAnswerExact = sendPayRes.answerExact;
export type SendPayResRequest = z.output<typeof sendPayResRequest>;
export type SendPayResAnswerDatas = z.output<typeof sendPayResAnswerDatas>;

// ---------------------------------------------------------------------------------------------------------
// 4.13 pre-exit pricing — Bluecard asks us to price / discount the stay at the exit

const preExitPricing = upMessage(
  (k) =>
    k.obj({
      parkNumber: k.id(),
      plate: k.raw(),
      orderId: k.id(),
      charge: k.money0(), // 应缴
      onLineCharge: k.money0(),
      offLineCharge: k.money0(),
      profitCharge: k.money0(),
      profitTime: k.digits(), // minutes
      payCharge: k.money(), // still due after payments and discounts
      outTradeNo: k.str(),
      userType: k.str(), // codes of 4.12: see USER_TYPES in lists.ts
      value: k.str(),
      memo: k.str(),
      inTime: k.timeOrEmpty(),
      outTime: k.time(),
      inImage: k.raw(),
      outImage: k.raw(),
      inChannel: k.str(),
      outChannel: k.str(),
    }),
  (k) =>
    k.obj({
      payCharge: k.money(), // 应收
      realCharge: k.money(), // 已缴
      payKind: k.str(),
      timeStamp: k.stamp(),
      chargeList: k.arr(chargeItemOf(k)),
    }),
);
export const preExitPricingRequest = preExitPricing.request;
export const preExitPricingRequestExact = preExitPricing.requestExact;
export const preExitPricingAnswerDatas = preExitPricing.answerDatas;
export const preExitPricingAnswerDatasTolerant = preExitPricing.answerDatasTolerant;
export const preExitPricingAnswer = preExitPricing.answer;
export const preExitPricingAnswerTolerant = preExitPricing.answerTolerant;
export type PreExitPricingRequest = z.output<typeof preExitPricingRequest>;
export type PreExitPricingAnswerDatas = z.output<typeof preExitPricingAnswerDatas>;
