/**
 * Pricing and payment: 4.4 getChargebf (down), 4.5 sendPayRes (down), 4.13 pre-exit pricing (up).
 *
 * Required (tolerant) fields of what Bluecard sends:
 * - 4.4 answer: `payCharge` (what we charge) and `outTradeNo` (must be echoed in 4.5);
 * - 4.13 request: parkNumber, `orderId` (the stay we price) and `payCharge` (what is still due);
 * - 4.5 answer: nothing beyond the envelope (a missing datas reads as {}).
 */
import type { z } from 'zod';
import { type Kit, downMessage, upMessage } from './common';
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

const sendPayRes = downMessage(
  (k) =>
    k.obj({
      parkNumber: k.id(),
      orderId: k.id(),
      plate: k.raw(),
      payCharge: k.money(), // 应收
      realCharge: k.money(), // 实收
      payTime: k.needTime(),
      payType: k.str(), // 支付宝/微信; 云优惠 for a cloud discount
      payChannel: k.str(), // see PAY_CHANNELS
      getTime: k.needTime(), // the 4.4/4.30 getTime (the example spells it getTimes; we send getTime)
      transactionID: k.id(), // ours, unique per payment
      outTradeNo: k.id(), // Bluecard's, from 4.4/4.30
    }),
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
