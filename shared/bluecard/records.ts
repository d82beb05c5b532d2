/**
 * Records Bluecard pushes to us (all up): 4.1 heartbeat, 4.2 entry records, 4.3 exit records, 4.14 images,
 * 4.15 charge records, 4.21 channels (lanes). Requests are tolerant, our answers ({timeStamp}) exact.
 *
 * Required (tolerant) fields, everything else defaults:
 * - parkNumber everywhere (which lot; the sign is checked against it);
 * - 4.2/4.3 `datas` and each record's `orderId` (records are resent until acknowledged: orderId is the
 *   idempotency key and the link from plate to stay for pre-pay);
 * - 4.14 `imageName` and `image` (nothing to store without them);
 * - 4.15 `datas` (a charge record has no required field of its own: the table marks orderId optional);
 * - 4.21 `datas` and each lane's `passagewayId` (lane QR codes and 4.29/4.30 use it).
 */
import type { z } from 'zod';
import { type Kit, timeStampDatasOf, upMessage } from './common';

// ---------------------------------------------------------------------------------------------------------
// Pieces shared with other modules

/** placeInfo item (4.2, 4.3). */
export const placeInfoOf = (k: Kit) => k.obj({ areaName: k.str(), placeNumber: k.str(), memo: k.str() });

/** One payment of a stay (4.3 chargeList, 4.13 answer chargeList). */
export const chargeItemOf = (k: Kit) =>
  k.obj({
    payNo: k.str(),
    getTime: k.time(),
    payCharge: k.money0(),
    payKind: k.str(), // 现金/微信/支付宝/银联/公交卡
    payChannel: k.str(), // 自助缴费/中央收费/微信支付/当面付/无感付/平台优惠
    memo: k.str(),
  });

// ---------------------------------------------------------------------------------------------------------
// 4.1 heartbeat (every 30 s)

const heartbeat = upMessage(
  (k) =>
    k.obj({
      parkNumber: k.id(),
      parkName: k.str(),
      // Counts are undefined when missing (a missing free-space count must not read as "full").
      spaceCount: k.optInt(),
      freeSpaceCount: k.optInt(),
      bookSpaceCount: k.optInt(),
      bookInParkCount: k.optInt(),
      areaList: k.arr(
        k.obj({
          areaName: k.str(),
          spaceCount: k.optInt(),
          lastSpaceCount: k.optInt(), // free spaces of the area
          bookSpaceCount: k.optInt(),
          bookInParkCount: k.optInt(),
          areaId: k.optInt(),
        }),
      ),
    }),
  timeStampDatasOf,
);
export const heartbeatRequest = heartbeat.request;
export const heartbeatRequestExact = heartbeat.requestExact;
export const heartbeatAnswerDatas = heartbeat.answerDatas;
export const heartbeatAnswerDatasTolerant = heartbeat.answerDatasTolerant;
export const heartbeatAnswer = heartbeat.answer;
export const heartbeatAnswerTolerant = heartbeat.answerTolerant;
export type HeartbeatRequest = z.output<typeof heartbeatRequest>;
export type HeartbeatArea = HeartbeatRequest['areaList'][number];
export type HeartbeatAnswerDatas = z.output<typeof heartbeatAnswerDatas>;

// ---------------------------------------------------------------------------------------------------------
// 4.2 entry records (1–10 a call, resent until acknowledged)

export const entryRecordOf = (k: Kit) =>
  k.obj({
    plate: k.raw(), // "" for an unlicensed car; kept as spelled ("京 A12345")
    ticketCode: k.str(), // unlicensed car's ticket number, "" for a plated car
    plateColor: k.str(),
    inTime: k.time(),
    inChannel: k.str(),
    inImage: k.raw(), // picture name, pass to 4.20 exactly as given
    orderId: k.id(),
    visitReason: k.str(),
    openGateMode: k.str(),
    matchMode: k.str(),
    idCard: k.str(),
    confidence: k.int(), // "无信息时填 0"
    carType: k.str(), // 临时车/固定车/预约车
    userInfo: k.optObj({ idCard: k.str(), userName: k.str(), phone: k.str(), address: k.str() }),
    placeInfo: k.arr(placeInfoOf(k)),
  });

const entryRecords = upMessage(
  (k) =>
    k.obj(
      { parkNumber: k.id(), size: k.int(), datas: k.needArr(entryRecordOf(k), { min: 1, max: 10 }) },
      { sizeOf: 'datas' },
    ),
  timeStampDatasOf,
);
export const entryRecordsRequest = entryRecords.request;
export const entryRecordsRequestExact = entryRecords.requestExact;
export const entryRecordsAnswerDatas = entryRecords.answerDatas;
export const entryRecordsAnswerDatasTolerant = entryRecords.answerDatasTolerant;
export const entryRecordsAnswer = entryRecords.answer;
export const entryRecordsAnswerTolerant = entryRecords.answerTolerant;
export type EntryRecordsRequest = z.output<typeof entryRecordsRequest>;
export type EntryRecord = EntryRecordsRequest['datas'][number];
export type EntryRecordsAnswerDatas = z.output<typeof entryRecordsAnswerDatas>;

// ---------------------------------------------------------------------------------------------------------
// 4.3 exit records (1–10 a call)

export const exitRecordOf = (k: Kit) =>
  k.obj({
    orderId: k.id(),
    operatorId: k.str(),
    operatorName: k.str(),
    invoiceNo: k.str(),
    carInfo: k.optObj({
      plate: k.raw(),
      plateColor: k.str(),
      ticketCode: k.str(),
      carType: k.str(),
      confidence: k.int(), // the example sends "98"
    }),
    userInfo: k.optObj({ idCard: k.str() }),
    passInfo: k.optObj({
      inTime: k.timeOrEmpty(), // "" when there is no entry record
      outTime: k.time(),
      inImage: k.raw(),
      outImage: k.raw(),
      inChannel: k.str(),
      outChannel: k.str(),
      openGateMode: k.str(),
      matchMode: k.str(),
    }),
    // charge = onLineCharge + offLineCharge + profitChargeTotal;
    // profitChargeTotal = onLineProfitChargeValue + offLineProfitChargeValue + onLineProfitTimeValue + offLineProfitTimeValue.
    // Missing amounts read as "0" (reconciliation input, not a decision).
    chargeStatistics: k.optObj({
      charge: k.money0(),
      onLineCharge: k.money0(),
      offLineCharge: k.money0(),
      profitChargeTotal: k.money0(),
      onLineProfitChargeNum: k.money0(),
      onLineProfitChargeValue: k.money0(),
      offLineProfitChargeNum: k.money0(),
      offLineProfitChargeValue: k.money0(),
      onLineProfitTimeNum: k.digits(), // minutes
      onLineProfitTimeValue: k.money0(),
      offLineProfitTimeNum: k.digits(), // minutes
      offLineProfitTimeValue: k.money0(),
    }),
    chargeList: k.arr(chargeItemOf(k)),
    profitList: k.arr(
      k.obj({
        profitCode: k.str(),
        getTime: k.time(),
        profitTime: k.digits(), // minutes
        profitCharge: k.money0(), // face value
        profitChargeValue: k.money0(), // what it actually took off
        memo: k.str(),
      }),
    ),
    placeInfo: k.arr(placeInfoOf(k)),
  });

const exitRecords = upMessage(
  (k) =>
    k.obj(
      { parkNumber: k.id(), size: k.int(), datas: k.needArr(exitRecordOf(k), { min: 1, max: 10 }) },
      { sizeOf: 'datas' },
    ),
  timeStampDatasOf,
);
export const exitRecordsRequest = exitRecords.request;
export const exitRecordsRequestExact = exitRecords.requestExact;
export const exitRecordsAnswerDatas = exitRecords.answerDatas;
export const exitRecordsAnswerDatasTolerant = exitRecords.answerDatasTolerant;
export const exitRecordsAnswer = exitRecords.answer;
export const exitRecordsAnswerTolerant = exitRecords.answerTolerant;
export type ExitRecordsRequest = z.output<typeof exitRecordsRequest>;
export type ExitRecord = ExitRecordsRequest['datas'][number];
export type ChargeItem = ExitRecord['chargeList'][number];
export type ProfitItem = ExitRecord['profitList'][number];
export type PlaceInfo = ExitRecord['placeInfo'][number];
export type ExitRecordsAnswerDatas = z.output<typeof exitRecordsAnswerDatas>;

// ---------------------------------------------------------------------------------------------------------
// 4.14 image upload (base64; '+' may have arrived as ' ' — kept raw, see repairBase64)

const imageUpload = upMessage(
  (k) => k.obj({ parkNumber: k.id(), imageName: k.needRaw(), image: k.needRaw() }),
  timeStampDatasOf,
);
export const imageUploadRequest = imageUpload.request;
export const imageUploadRequestExact = imageUpload.requestExact;
export const imageUploadAnswerDatas = imageUpload.answerDatas;
export const imageUploadAnswerDatasTolerant = imageUpload.answerDatasTolerant;
export const imageUploadAnswer = imageUpload.answer;
export const imageUploadAnswerTolerant = imageUpload.answerTolerant;
export type ImageUploadRequest = z.output<typeof imageUploadRequest>;
export type ImageUploadAnswerDatas = z.output<typeof imageUploadAnswerDatas>;

/**
 * 4.14: the spec says HTTP turned '+' into ' ' in the base64; put them back (and drop line breaks).
 * Returns base64 text, still to be decoded by the caller.
 */
export function repairBase64(image: string): string {
  return image.replace(/[\r\n]/g, '').replace(/ /g, '+');
}

// ---------------------------------------------------------------------------------------------------------
// 4.15 charge records (≤10 a call)

export const chargeRecordOf = (k: Kit) =>
  k.obj({
    plate: k.raw(),
    inTime: k.time(),
    outTime: k.time(), // 结算时间
    inChannel: k.str(),
    outChannel: k.str(), // only for cash paid at the exit lane
    payKind: k.str(), // 现金/微信/支付宝/银联/公交卡/待缴/补缴
    payChannel: k.str(),
    orderId: k.str(), // the table marks it optional
    carType: k.str(),
    payNo: k.str(),
    memo: k.str(),
    charge: k.money0(),
    realCharge: k.money0(),
    couponCharge: k.money0(),
  });

const chargeRecords = upMessage(
  (k) =>
    k.obj(
      { parkNumber: k.id(), size: k.int(), datas: k.needArr(chargeRecordOf(k), { min: 1, max: 10 }) },
      { sizeOf: 'datas' },
    ),
  timeStampDatasOf,
);
export const chargeRecordsRequest = chargeRecords.request;
export const chargeRecordsRequestExact = chargeRecords.requestExact;
export const chargeRecordsAnswerDatas = chargeRecords.answerDatas;
export const chargeRecordsAnswerDatasTolerant = chargeRecords.answerDatasTolerant;
export const chargeRecordsAnswer = chargeRecords.answer;
export const chargeRecordsAnswerTolerant = chargeRecords.answerTolerant;
export type ChargeRecordsRequest = z.output<typeof chargeRecordsRequest>;
export type ChargeRecord = ChargeRecordsRequest['datas'][number];
export type ChargeRecordsAnswerDatas = z.output<typeof chargeRecordsAnswerDatas>;

// ---------------------------------------------------------------------------------------------------------
// 4.21 channel (lane) info — the table says datas is a "Json 对象", the example sends an array: both accepted.

export const channelOf = (k: Kit) =>
  k.obj({
    passagewayId: k.id(),
    passagewayName: k.str(),
    sourceAreaId: k.str(),
    targetAreaId: k.str(),
  });

const channels = upMessage(
  (k) =>
    k.obj(
      { parkNumber: k.id(), size: k.int(), datas: k.needArr(channelOf(k), { min: 1, acceptSingle: true }) },
      { sizeOf: 'datas' },
    ),
  timeStampDatasOf,
);
export const channelsRequest = channels.request;
export const channelsRequestExact = channels.requestExact;
export const channelsAnswerDatas = channels.answerDatas;
export const channelsAnswerDatasTolerant = channels.answerDatasTolerant;
export const channelsAnswer = channels.answer;
export const channelsAnswerTolerant = channels.answerTolerant;
export type ChannelsRequest = z.output<typeof channelsRequest>;
export type Channel = ChannelsRequest['datas'][number];
export type ChannelsAnswerDatas = z.output<typeof channelsAnswerDatas>;
