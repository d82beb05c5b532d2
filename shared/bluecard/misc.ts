/**
 * The other down calls: 4.20 queryImgByName, 4.22 RemoteLiftRod, 4.23 coupon, 4.29 unlicensedCarIn,
 * 4.30 unlicensedCarOut, 4.33 getAllSpaceStatus, 4.34 getSpaceStatusByPlate.
 *
 * Required (tolerant) in Bluecard's answers:
 * - 4.29: `plate` (the temporary plate we show the driver and look the stay up by);
 * - 4.30: `orderId`, `payCharge`, `outTradeNo` (needed to pay and to send 4.5);
 * - others: nothing (missing datas reads as {} or []).
 */
import type { z } from 'zod';
import { type Kit, downMessage, timeStampDatasOf } from './common';
import { stayPriceOf } from './pricing';

// ---------------------------------------------------------------------------------------------------------
// 4.20 queryImgByName — pass picture names exactly as the records had them (e.g. "…_1.jpg^17")

const queryImgByName = downMessage(
  (k) => k.obj({ parkNumber: k.id(), datas: k.needArr(k.needRaw(), { min: 1 }) }),
  (k) =>
    k.optObj({
      timeStamp: k.stamp(),
      imageList: k.arr(k.obj({ imageName: k.raw(), imageURL: k.str() })),
    }),
);
export const queryImgByNameRequest = queryImgByName.request;
export const queryImgByNameRequestTolerant = queryImgByName.requestTolerant;
export const queryImgByNameAnswerDatas = queryImgByName.answerDatas;
export const queryImgByNameAnswerDatasExact = queryImgByName.answerDatasExact;
export const queryImgByNameAnswer = queryImgByName.answer;
export const queryImgByNameAnswerExact = queryImgByName.answerExact;
export type QueryImgByNameRequest = z.output<typeof queryImgByNameRequest>;
export type QueryImgByNameAnswerDatas = z.output<typeof queryImgByNameAnswerDatas>;
export type ImageLink = QueryImgByNameAnswerDatas['imageList'][number];

// ---------------------------------------------------------------------------------------------------------
// 4.22 RemoteLiftRod — open one lane's barrier now

const remoteLiftRod = downMessage((k) => k.obj({ parkNumber: k.id(), passagewayId: k.id() }), timeStampDatasOf);
export const remoteLiftRodRequest = remoteLiftRod.request;
export const remoteLiftRodRequestTolerant = remoteLiftRod.requestTolerant;
export const remoteLiftRodAnswerDatas = remoteLiftRod.answerDatas;
export const remoteLiftRodAnswerDatasExact = remoteLiftRod.answerDatasExact;
export const remoteLiftRodAnswer = remoteLiftRod.answer;
export const remoteLiftRodAnswerExact = remoteLiftRod.answerExact;
export type RemoteLiftRodRequest = z.output<typeof remoteLiftRodRequest>;
export type RemoteLiftRodAnswerDatas = z.output<typeof remoteLiftRodAnswerDatas>;

// ---------------------------------------------------------------------------------------------------------
// 4.23 coupon — position is MINUTES for an hour coupon ("0"), FEN for a money coupon ("1")

/** 4.23 couponModeId. */
export const COUPON_MODES = { '0': 'hours (position in minutes)', '1': 'money (position in fen)' } as const;

export const couponOf = (k: Kit) =>
  k.obj({
    id: k.digits(), // serial number from "1"
    couponCode: k.id(), // ours, never reused
    couponModeId: k.code(['0', '1']),
    end: k.needTime(),
    orderId: k.id(),
    plate: k.raw(),
    position: k.digits(),
  });

const coupon = downMessage(
  (k) => k.obj({ parkNumber: k.id(), datas: k.needArr(couponOf(k), { min: 1 }) }),
  timeStampDatasOf,
);
export const couponRequest = coupon.request;
export const couponRequestTolerant = coupon.requestTolerant;
export const couponAnswerDatas = coupon.answerDatas;
export const couponAnswerDatasExact = coupon.answerDatasExact;
export const couponAnswer = coupon.answer;
export const couponAnswerExact = coupon.answerExact;
export type CouponRequest = z.output<typeof couponRequest>;
export type Coupon = CouponRequest['datas'][number];
export type CouponAnswerDatas = z.output<typeof couponAnswerDatas>;

// ---------------------------------------------------------------------------------------------------------
// 4.29 unlicensedCarIn / 4.30 unlicensedCarOut — driver scanned a lane QR; same codeKind+authId in and out

/** codeKind: the app the driver scanned with. */
export const CODE_KINDS = { '1': 'WeChat (openId)', '2': 'Alipay (uid)', '3': 'other' } as const;

const unlicensedOf = <M extends string>(k: Kit, method: M) =>
  k.obj({
    parkNumber: k.id(),
    method: k.method(method),
    codeKind: k.code(['1', '2', '3']),
    authId: k.id(), // WeChat openId / Alipay uid
    passagewayId: k.id(), // the lane (4.21)
    ephemeralPlate: k.raw(), // our temporary plate, or "" to let the lot make one
  });

const unlicensedCarIn = downMessage(
  (k) => unlicensedOf(k, 'unlicensedCarIn'),
  (k) => k.obj({ plate: k.needRaw(), inTime: k.time(), inImage: k.raw() }),
);
export const unlicensedCarInRequest = unlicensedCarIn.request;
export const unlicensedCarInRequestTolerant = unlicensedCarIn.requestTolerant;
export const unlicensedCarInAnswerDatas = unlicensedCarIn.answerDatas;
export const unlicensedCarInAnswerDatasExact = unlicensedCarIn.answerDatasExact;
export const unlicensedCarInAnswer = unlicensedCarIn.answer;
export const unlicensedCarInAnswerExact = unlicensedCarIn.answerExact;
export type UnlicensedCarInRequest = z.output<typeof unlicensedCarInRequest>;
export type UnlicensedCarInAnswerDatas = z.output<typeof unlicensedCarInAnswerDatas>;

const unlicensedCarOut = downMessage(
  (k) => unlicensedOf(k, 'unlicensedCarOut'),
  (k) => stayPriceOf(k, true),
);
export const unlicensedCarOutRequest = unlicensedCarOut.request;
export const unlicensedCarOutRequestTolerant = unlicensedCarOut.requestTolerant;
export const unlicensedCarOutAnswerDatas = unlicensedCarOut.answerDatas;
export const unlicensedCarOutAnswerDatasExact = unlicensedCarOut.answerDatasExact;
export const unlicensedCarOutAnswer = unlicensedCarOut.answer;
export const unlicensedCarOutAnswerExact = unlicensedCarOut.answerExact;
export type UnlicensedCarOutRequest = z.output<typeof unlicensedCarOutRequest>;
export type UnlicensedCarOutAnswerDatas = z.output<typeof unlicensedCarOutAnswerDatas>;

// ---------------------------------------------------------------------------------------------------------
// 4.33 getAllSpaceStatus — answer datas is an ARRAY of spaces

const getAllSpaceStatus = downMessage(
  (k) => k.obj({ parkNumber: k.id(), method: k.method('getAllSpaceStatus') }),
  (k) =>
    k.arr(
      k.obj({
        layerId: k.str(),
        layerName: k.str(),
        spaceId: k.str(),
        rateState: k.int(), // 1 occupied, 0 free
        plate: k.raw(), // when occupied
        carType: k.str(), // 固定车/临时车
      }),
    ),
);
export const getAllSpaceStatusRequest = getAllSpaceStatus.request;
export const getAllSpaceStatusRequestTolerant = getAllSpaceStatus.requestTolerant;
export const getAllSpaceStatusAnswerDatas = getAllSpaceStatus.answerDatas;
export const getAllSpaceStatusAnswerDatasExact = getAllSpaceStatus.answerDatasExact;
export const getAllSpaceStatusAnswer = getAllSpaceStatus.answer;
export const getAllSpaceStatusAnswerExact = getAllSpaceStatus.answerExact;
export type GetAllSpaceStatusRequest = z.output<typeof getAllSpaceStatusRequest>;
export type GetAllSpaceStatusAnswerDatas = z.output<typeof getAllSpaceStatusAnswerDatas>;
export type SpaceStatus = GetAllSpaceStatusAnswerDatas[number];

// ---------------------------------------------------------------------------------------------------------
// 4.34 getSpaceStatusByPlate — plate: fuzzy, at least 4 characters; "" = every unlicensed car

/** Bluecard's plate for unlicensed cars in 4.34 answers. */
export const UNLICENSED_PLATE = '无牌车';

const getSpaceStatusByPlate = downMessage(
  (k) =>
    k.obj(
      { parkNumber: k.id(), method: k.method('getSpaceStatusByPlate'), plate: k.raw() },
      {
        exactCheck: (r) =>
          r.plate === '' || [...r.plate.replace(/\s/g, '')].length >= 4
            ? []
            : [{ path: ['plate'], message: 'plate: "" (all unlicensed cars) or at least 4 characters' }],
      },
    ),
  (k) =>
    k.arr(
      k.obj({
        layerId: k.str(),
        layerName: k.str(),
        spaceId: k.str(),
        plate: k.raw(), // "无牌车" for unlicensed cars
        carType: k.str(),
        imgPath: k.str(), // picture URL
        space_x: k.str(), // "0.078"
        space_y: k.str(),
      }),
    ),
);
export const getSpaceStatusByPlateRequest = getSpaceStatusByPlate.request;
export const getSpaceStatusByPlateRequestTolerant = getSpaceStatusByPlate.requestTolerant;
export const getSpaceStatusByPlateAnswerDatas = getSpaceStatusByPlate.answerDatas;
export const getSpaceStatusByPlateAnswerDatasExact = getSpaceStatusByPlate.answerDatasExact;
export const getSpaceStatusByPlateAnswer = getSpaceStatusByPlate.answer;
export const getSpaceStatusByPlateAnswerExact = getSpaceStatusByPlate.answerExact;
export type GetSpaceStatusByPlateRequest = z.output<typeof getSpaceStatusByPlateRequest>;
export type GetSpaceStatusByPlateAnswerDatas = z.output<typeof getSpaceStatusByPlateAnswerDatas>;
export type CarLocation = GetSpaceStatusByPlateAnswerDatas[number];
