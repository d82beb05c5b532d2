/**
 * White and black lists and fixed cars: 4.6 synWhite, 4.7 delWhite, 4.8 queryWhite, 4.9 synBlack,
 * 4.10 delBlack, 4.11 queryBlack (down); 4.12 alterCarType (deprecated, types only); 4.31 renewals
 * (`method: parkingspacefee`) and 4.32 whitelist sync (`method: fixedListUp`) (up).
 *
 * Required (tolerant) fields of what Bluecard sends:
 * - 4.31/4.32: parkNumber and `datas`; 4.32 each item's `plate` (a whitelist entry without a plate is
 *   useless). 4.32 `operate` defaults to "1" (add) when missing — the spec's own example has none, nor
 *   `fixedId`, so treat "1" as an upsert keyed on plate; `fixedId` is undefined when missing.
 * - 4.8/4.11 answers: nothing (missing datas reads as []).
 */
import type { z } from 'zod';
import { type Kit, downMessage, timeStampDatasOf, upMessage } from './common';
import type { TimeStampDatas } from './common';

// ---------------------------------------------------------------------------------------------------------
// Whitelist entry

/** Validity per area. areaId is an Int in the tables; the 4.6 example sends "14" (tolerant accepts it). */
export const areaValidityOf = (k: Kit) => k.obj({ areaId: k.optInt(), start: k.date(), end: k.date() });

/** The fields of a whitelist entry common to 4.6, 4.8 and 4.32 (start/end are dates yyyy-MM-dd). */
const whiteFields = (k: Kit) => ({
  plate: k.raw(),
  chargeType: k.str(), // 不收费/挂账
  name: k.str(),
  certificate: k.str(),
  address: k.str(),
  phone: k.str(),
  plateColor: k.str(),
  start: k.date(),
  end: k.date(),
  dept: k.str(),
  carType: k.str(), // 错峰/月租/线上月租
  memo: k.str(),
});

export const whiteEntryOf = (k: Kit) =>
  k.obj({ ...whiteFields(k), plate: k.needRaw(), areasAndValidity: k.arr(areaValidityOf(k)) });

// ---------------------------------------------------------------------------------------------------------
// 4.6 synWhite — upsert ≤50 per call, ≥5 s after Bluecard's previous answer

const synWhite = downMessage(
  (k) =>
    k.obj(
      { parkNumber: k.id(), size: k.int(), datas: k.needArr(whiteEntryOf(k), { min: 1, max: 50 }) },
      { sizeOf: 'datas' },
    ),
  timeStampDatasOf,
);
/** At most this many entries per synWhite call. */
export const SYN_WHITE_MAX = 50;
/** Wait at least this long after Bluecard answered the previous synWhite. */
export const SYN_WHITE_INTERVAL_MS = 5000;
export const synWhiteRequest = synWhite.request;
export const synWhiteRequestTolerant = synWhite.requestTolerant;
export const synWhiteAnswerDatas = synWhite.answerDatas;
export const synWhiteAnswerDatasExact = synWhite.answerDatasExact;
export const synWhiteAnswer = synWhite.answer;
export const synWhiteAnswerExact = synWhite.answerExact;
export type SynWhiteRequest = z.output<typeof synWhiteRequest>;
export type WhiteEntry = SynWhiteRequest['datas'][number];
export type AreaValidity = WhiteEntry['areasAndValidity'][number];
export type SynWhiteAnswerDatas = z.output<typeof synWhiteAnswerDatas>;

// ---------------------------------------------------------------------------------------------------------
// 4.7 delWhite — CAUTION: plate "" deletes ALL online whitelist entries of the lot

const delWhite = downMessage((k) => k.obj({ parkNumber: k.id(), plate: k.raw() }), timeStampDatasOf);
export const delWhiteRequest = delWhite.request;
export const delWhiteRequestTolerant = delWhite.requestTolerant;
export const delWhiteAnswerDatas = delWhite.answerDatas;
export const delWhiteAnswerDatasExact = delWhite.answerDatasExact;
export const delWhiteAnswer = delWhite.answer;
export const delWhiteAnswerExact = delWhite.answerExact;
export type DelWhiteRequest = z.output<typeof delWhiteRequest>;
export type DelWhiteAnswerDatas = z.output<typeof delWhiteAnswerDatas>;

// ---------------------------------------------------------------------------------------------------------
// 4.8 queryWhite — answer datas is an ARRAY of entries (each with its timeStamp)

const plateQueryOf = (k: Kit) =>
  k.obj(
    { parkNumber: k.id(), size: k.int(), datas: k.needArr(k.obj({ plate: k.needRaw() }), { min: 1 }) },
    { sizeOf: 'datas' },
  );

const queryWhite = downMessage(plateQueryOf, (k) =>
  k.arr(k.obj({ ...whiteFields(k), timeStamp: k.stamp(), areasAndValidity: k.arr(areaValidityOf(k)) })),
);
export const queryWhiteRequest = queryWhite.request;
export const queryWhiteRequestTolerant = queryWhite.requestTolerant;
export const queryWhiteAnswerDatas = queryWhite.answerDatas;
export const queryWhiteAnswerDatasExact = queryWhite.answerDatasExact;
export const queryWhiteAnswer = queryWhite.answer;
export const queryWhiteAnswerExact = queryWhite.answerExact;
export type QueryWhiteRequest = z.output<typeof queryWhiteRequest>;
export type QueryWhiteAnswerDatas = z.output<typeof queryWhiteAnswerDatas>;
export type QueriedWhiteEntry = QueryWhiteAnswerDatas[number];

// ---------------------------------------------------------------------------------------------------------
// 4.9 synBlack

const blackEntryOf = (k: Kit) => k.obj({ plate: k.needRaw(), memo: k.str() });

const synBlack = downMessage(
  (k) =>
    k.obj(
      {
        parkNumber: k.id(),
        source: k.str(), // 线上/线下
        size: k.int(),
        datas: k.needArr(blackEntryOf(k), { min: 1 }),
      },
      { sizeOf: 'datas' },
    ),
  timeStampDatasOf,
);
export const synBlackRequest = synBlack.request;
export const synBlackRequestTolerant = synBlack.requestTolerant;
export const synBlackAnswerDatas = synBlack.answerDatas;
export const synBlackAnswerDatasExact = synBlack.answerDatasExact;
export const synBlackAnswer = synBlack.answer;
export const synBlackAnswerExact = synBlack.answerExact;
export type SynBlackRequest = z.output<typeof synBlackRequest>;
export type BlackEntry = SynBlackRequest['datas'][number];
export type SynBlackAnswerDatas = z.output<typeof synBlackAnswerDatas>;

// ---------------------------------------------------------------------------------------------------------
// 4.10 delBlack — CAUTION: plate "" deletes ALL blacklist entries

const delBlack = downMessage((k) => k.obj({ parkNumber: k.id(), plate: k.raw() }), timeStampDatasOf);
export const delBlackRequest = delBlack.request;
export const delBlackRequestTolerant = delBlack.requestTolerant;
export const delBlackAnswerDatas = delBlack.answerDatas;
export const delBlackAnswerDatasExact = delBlack.answerDatasExact;
export const delBlackAnswer = delBlack.answer;
export const delBlackAnswerExact = delBlack.answerExact;
export type DelBlackRequest = z.output<typeof delBlackRequest>;
export type DelBlackAnswerDatas = z.output<typeof delBlackAnswerDatas>;

// ---------------------------------------------------------------------------------------------------------
// 4.11 queryBlack — answer datas is an ARRAY of {plate, memo}

const queryBlack = downMessage(plateQueryOf, (k) => k.arr(k.obj({ plate: k.raw(), memo: k.str() })));
export const queryBlackRequest = queryBlack.request;
export const queryBlackRequestTolerant = queryBlack.requestTolerant;
export const queryBlackAnswerDatas = queryBlack.answerDatas;
export const queryBlackAnswerDatasExact = queryBlack.answerDatasExact;
export const queryBlackAnswer = queryBlack.answer;
export const queryBlackAnswerExact = queryBlack.answerExact;
export type QueryBlackRequest = z.output<typeof queryBlackRequest>;
export type QueryBlackAnswerDatas = z.output<typeof queryBlackAnswerDatas>;

// ---------------------------------------------------------------------------------------------------------
// 4.12 alterCarType — DEPRECATED since v2.3.3: types only (its userType codes are reused by 4.13)

/** userType codes of 4.12, also sent in 4.13 `userType`. */
export const USER_TYPES = {
  '0': '普通临时车辆', // ordinary temporary car
  '3': '线上VIP', // online VIP: open first, pay later
  '5': '线上储值', // online stored value; value = balance (yuan)
  '6': '线上无密支付', // password-free payment; value = limit (yuan)
  '7': '线上信用支付', // online credit payment
  '8': '欠费车辆', // car in arrears; value = amount owed (yuan)
} as const;
export type UserType = keyof typeof USER_TYPES;

/** 4.12 request (deprecated: never send it). */
export interface AlterCarTypeRequest {
  parkNumber: string;
  plate: string;
  orderId: string;
  userType: UserType;
  /** Balance, limit or amount owed in yuan, by userType. */
  value: string;
}
/** 4.12 answer datas. */
export type AlterCarTypeAnswerDatas = TimeStampDatas;
/** The keys of a 4.12 request, in table order. */
export const ALTER_CAR_TYPE_REQUEST_KEYS = ['parkNumber', 'plate', 'orderId', 'userType', 'value'] as const;

// ---------------------------------------------------------------------------------------------------------
// 4.31 fixed-car renewals (up, method "parkingspacefee")

export const renewalOf = (k: Kit) =>
  k.obj({
    plate: k.raw(), // may hold several plates joined by "/": see splitPlates
    carGroupName: k.str(),
    payTime: k.time(),
    payCharge: k.money0(),
    number: k.str(), // space number
    feeMonth: k.digits(), // months
    end: k.time(), // expiry, yyyy-MM-dd HH:mm:ss (a date alone is accepted)
    placeFeeOrderRecId: k.str(),
    carOwnerName: k.str(),
    payType: k.str(), // 微信/支付宝/银行/现金 (cash = renewed at the lot)
    orderNo: k.str(),
  });

const renewals = upMessage(
  (k) =>
    k.obj(
      {
        parkNumber: k.id(),
        method: k.method('parkingspacefee'),
        size: k.int(),
        datas: k.needArr(renewalOf(k), { min: 1 }),
      },
      { sizeOf: 'datas' },
    ),
  timeStampDatasOf,
);
export const renewalsRequest = renewals.request;
export const renewalsRequestExact = renewals.requestExact;
export const renewalsAnswerDatas = renewals.answerDatas;
export const renewalsAnswerDatasTolerant = renewals.answerDatasTolerant;
export const renewalsAnswer = renewals.answer;
export const renewalsAnswerTolerant = renewals.answerTolerant;
export type RenewalsRequest = z.output<typeof renewalsRequest>;
export type Renewal = RenewalsRequest['datas'][number];
export type RenewalsAnswerDatas = z.output<typeof renewalsAnswerDatas>;

/** 4.31: "京Q1NY80/京N830S1" → ["京Q1NY80", "京N830S1"] (spelling of each plate kept, blanks dropped). */
export function splitPlates(plate: string): string[] {
  return plate
    .split('/')
    .map((p) => p.trim())
    .filter((p) => p !== '');
}

// ---------------------------------------------------------------------------------------------------------
// 4.32 whitelist sync to us (up, method "fixedListUp")

/** 4.32 operate codes. */
export const FIXED_LIST_OPERATES = { '1': 'add', '2': 'change', '3': 'delete' } as const;
/** 4.32 source codes. */
export const FIXED_LIST_SOURCES = { '1': 'online (sent by a cloud)', '2': 'offline (entered at the lot)' } as const;

export const fixedListEntryOf = (k: Kit) =>
  k.obj({
    ...whiteFields(k),
    plate: k.needRaw(),
    fixedId: k.optInt(), // Int, one per entry; missing from the spec's example
    timeStamp: k.stamp(),
    source: k.str(), // "1" online, "2" offline
    areasAndValidity: k.arr(areaValidityOf(k)),
    operate: k.code(['1', '2', '3'], '1'),
  });

const fixedListUp = upMessage(
  (k) =>
    k.obj(
      {
        parkNumber: k.id(),
        method: k.method('fixedListUp'),
        size: k.int(),
        datas: k.needArr(fixedListEntryOf(k), { min: 1 }),
      },
      { sizeOf: 'datas' },
    ),
  timeStampDatasOf,
);
export const fixedListUpRequest = fixedListUp.request;
export const fixedListUpRequestExact = fixedListUp.requestExact;
export const fixedListUpAnswerDatas = fixedListUp.answerDatas;
export const fixedListUpAnswerDatasTolerant = fixedListUp.answerDatasTolerant;
export const fixedListUpAnswer = fixedListUp.answer;
export const fixedListUpAnswerTolerant = fixedListUp.answerTolerant;
export type FixedListUpRequest = z.output<typeof fixedListUpRequest>;
export type FixedListEntry = FixedListUpRequest['datas'][number];
export type FixedListUpAnswerDatas = z.output<typeof fixedListUpAnswerDatas>;
