/**
 * Paying at the lane (all up): 4.16 withholding or QR, 4.17 QR pay result, 4.24 face-to-face pay,
 * 4.25 its poll, 4.26 its cancel, 4.27 third-party channel pay, 4.28 open gate (`method: opengate`).
 *
 * Required (tolerant) fields of what Bluecard sends (pay calls need the order and the amount):
 * - 4.16: parkNumber, outTradeNo, payCharge, plate (the agreement is found by plate);
 * - 4.17, 4.25, 4.26: parkNumber, outTradeNo;
 * - 4.24: parkNumber, outTradeNo, payCharge, authCode (the driver's payment code);
 * - 4.27: parkNumber, outTradeNo, payCharge, plateID (URL-encoded: kept raw, decode with decodePlate);
 * - 4.28: parkNumber only (a car at a lane must get an answer; inOutType 0 = unknown → answer "self").
 */
import { z } from 'zod';
import {
  type Kit,
  bluecardAnswer,
  bluecardSelfAnswer,
  exactBareAnswer,
  both,
  timeStampDatasOf,
  tolerantKit,
  upMessage,
} from './common';

// ---------------------------------------------------------------------------------------------------------
// 4.16 withholding (agreement) or payment QR

const withholdOrQr = upMessage(
  (k) => k.obj({ parkNumber: k.id(), outTradeNo: k.id(), payCharge: k.money(), plate: k.needRaw() }),
  (k) =>
    k.obj(
      {
        timeStamp: k.stamp(),
        /** Payment QR for the lane screen, when withholding failed. */
        qrCode: k.opt(k.str()),
        /** Present only when the withholding succeeded. */
        agreement: k.opt(
          k.obj({
            outTradeNo: k.id(),
            payType: k.str(), // 微信/支付宝/建行/工商…
            totalFee: k.money(),
            tradeNo: k.str(),
            userId: k.str(),
          }),
        ),
      },
      {
        exactCheck: (d) => {
          const hasQr = d.qrCode !== undefined && d.qrCode !== '';
          const hasAgreement = d.agreement !== undefined;
          if (hasQr === hasAgreement) {
            return [{ path: ['qrCode'], message: 'exactly one of qrCode (non-empty) and agreement' }];
          }
        },
      },
    ),
);
export const withholdOrQrRequest = withholdOrQr.request;
export const withholdOrQrRequestExact = withholdOrQr.requestExact;
export const withholdOrQrAnswerDatas = withholdOrQr.answerDatas;
export const withholdOrQrAnswerDatasTolerant = withholdOrQr.answerDatasTolerant;
export const withholdOrQrAnswer = withholdOrQr.answer;
export const withholdOrQrAnswerTolerant = withholdOrQr.answerTolerant;
export type WithholdOrQrRequest = z.output<typeof withholdOrQrRequest>;
export type WithholdOrQrAnswerDatas = z.output<typeof withholdOrQrAnswerDatas>;
export type Agreement = NonNullable<WithholdOrQrAnswerDatas['agreement']>;

// ---------------------------------------------------------------------------------------------------------
// 4.17 QR pay result (polled by outTradeNo)

const qrPayResult = upMessage(
  (k) => k.obj({ parkNumber: k.id(), outTradeNo: k.id() }),
  (k) =>
    k.obj({
      timeStamp: k.stamp(),
      outTradeNo: k.id(),
      payType: k.str(),
      totalFee: k.money(),
      tradeNo: k.str(),
      userId: k.str(),
      plate: k.raw(),
    }),
);
export const qrPayResultRequest = qrPayResult.request;
export const qrPayResultRequestExact = qrPayResult.requestExact;
export const qrPayResultAnswerDatas = qrPayResult.answerDatas;
export const qrPayResultAnswerDatasTolerant = qrPayResult.answerDatasTolerant;
export const qrPayResultAnswer = qrPayResult.answer;
export const qrPayResultAnswerTolerant = qrPayResult.answerTolerant;
export type QrPayResultRequest = z.output<typeof qrPayResultRequest>;
export type QrPayResultAnswerDatas = z.output<typeof qrPayResultAnswerDatas>;

// ---------------------------------------------------------------------------------------------------------
// 4.24 face-to-face pay (booth scanner) — answer carries payTypeId "31" beside datas;
// fail with errorCode "USERPAYING" makes Bluecard poll 4.25 every second for up to 5 minutes.

/** A face-to-face payment: 4.24 payContent, 4.25 answer datas. */
export const faceToFacePaymentOf = (k: Kit) =>
  k.obj({
    tradeNo: k.str(), // ours, unique
    outTradeNo: k.id(),
    payCharge: k.money(),
    payTime: k.time(),
    userId: k.str(),
    payType: k.str(), // default "第三方当面付"
  });

/** A fixed coupon code scanned at the exit (4.24 scene 2). position: minutes (hour coupon) or fen (money coupon). */
export const discountContentOf = (k: Kit) =>
  k.obj({
    coupon_code: k.str(),
    coupon_mode_id: k.code(['0', '1']), // 0 hour coupon, 1 money coupon
    end: k.time(),
    id: k.str(), // default "1"
    order_id: k.str(),
    plate: k.raw(),
    position: k.digits(),
  });

/** Default payType of a face-to-face payment. */
export const FACE_TO_FACE_PAY_TYPE = '第三方当面付';

const faceToFacePayParts = {
  request: both((k) =>
    k.obj({
      parkNumber: k.id(),
      outTradeNo: k.id(),
      payCharge: k.money(),
      plate: k.raw(),
      authCode: k.id(),
      orderId: k.str(),
    }),
  ),
  datas: both((k) =>
    k.obj(
      { payContent: k.opt(faceToFacePaymentOf(k)), discountContent: k.opt(discountContentOf(k)) },
      {
        exactCheck: (d) => {
          if ((d.payContent === undefined) === (d.discountContent === undefined)) {
            return [{ path: ['payContent'], message: 'exactly one of payContent and discountContent (二者只可取其一)' }];
          }
        },
      },
    ),
  ),
};
const payTypeIdExact = z.string().regex(/^\d+$/, 'payTypeId: digits, "31" by default');
export const faceToFacePayRequest = faceToFacePayParts.request.tolerant;
export const faceToFacePayRequestExact = faceToFacePayParts.request.exact;
export const faceToFacePayAnswerDatas = faceToFacePayParts.datas.exact;
export const faceToFacePayAnswerDatasTolerant = faceToFacePayParts.datas.tolerant;
/** Our 4.24 answer: success `{status, datas, payTypeId}`, or fail `{status, errorCode}` (payTypeId allowed). */
export const faceToFacePayAnswer = z.discriminatedUnion('status', [
  z.strictObject({ status: z.literal('success'), datas: faceToFacePayAnswerDatas, payTypeId: payTypeIdExact }),
  z.strictObject({ status: z.literal('fail'), errorCode: z.string().min(1), payTypeId: payTypeIdExact.optional() }),
]);
export const faceToFacePayAnswerTolerant = bluecardAnswer(faceToFacePayAnswerDatasTolerant, {
  extra: { payTypeId: tolerantKit.str() },
});
export type FaceToFacePayRequest = z.output<typeof faceToFacePayRequest>;
export type FaceToFacePayAnswerDatas = z.output<typeof faceToFacePayAnswerDatas>;
export type FaceToFacePayment = NonNullable<FaceToFacePayAnswerDatas['payContent']>;
export type DiscountContent = NonNullable<FaceToFacePayAnswerDatas['discountContent']>;
export type FaceToFacePayAnswer = z.output<typeof faceToFacePayAnswer>;

// ---------------------------------------------------------------------------------------------------------
// 4.25 face-to-face poll, 4.26 face-to-face cancel

const faceToFaceOrderOf = (k: Kit) =>
  k.obj({ parkNumber: k.id(), outTradeNo: k.id(), plate: k.raw(), orderId: k.str() });

const faceToFacePoll = upMessage(faceToFaceOrderOf, faceToFacePaymentOf);
export const faceToFacePollRequest = faceToFacePoll.request;
export const faceToFacePollRequestExact = faceToFacePoll.requestExact;
export const faceToFacePollAnswerDatas = faceToFacePoll.answerDatas;
export const faceToFacePollAnswerDatasTolerant = faceToFacePoll.answerDatasTolerant;
export const faceToFacePollAnswer = faceToFacePoll.answer;
export const faceToFacePollAnswerTolerant = faceToFacePoll.answerTolerant;
export type FaceToFacePollRequest = z.output<typeof faceToFacePollRequest>;
export type FaceToFacePollAnswerDatas = z.output<typeof faceToFacePollAnswerDatas>;

const faceToFaceCancel = upMessage(faceToFaceOrderOf, timeStampDatasOf);
export const faceToFaceCancelRequest = faceToFaceCancel.request;
export const faceToFaceCancelRequestExact = faceToFaceCancel.requestExact;
export const faceToFaceCancelAnswerDatas = faceToFaceCancel.answerDatas;
export const faceToFaceCancelAnswerDatasTolerant = faceToFaceCancel.answerDatasTolerant;
export const faceToFaceCancelAnswer = faceToFaceCancel.answer;
export const faceToFaceCancelAnswerTolerant = faceToFaceCancel.answerTolerant;
export type FaceToFaceCancelRequest = z.output<typeof faceToFaceCancelRequest>;
export type FaceToFaceCancelAnswerDatas = z.output<typeof faceToFaceCancelAnswerDatas>;

// ---------------------------------------------------------------------------------------------------------
// 4.27 third-party channel pay — answer is just {status:'success'} (the gate opens on it) or fail

const channelPayRequestBoth = both((k) =>
  k.obj({
    parkNumber: k.id(),
    plateID: k.needRaw(), // URL-encoded (URLEncoder): decodePlate() it
    payCharge: k.money(),
    outTradeNo: k.id(),
  }),
);
export const channelPayRequest = channelPayRequestBoth.tolerant;
export const channelPayRequestExact = channelPayRequestBoth.exact;
/** 4.27 has no datas. */
export const channelPayAnswerDatas: undefined = undefined;
export const channelPayAnswer = exactBareAnswer();
export const channelPayAnswerTolerant = bluecardAnswer();
export type ChannelPayRequest = z.output<typeof channelPayRequest>;
export type ChannelPayAnswer = z.output<typeof channelPayAnswer>;

// ---------------------------------------------------------------------------------------------------------
// 4.28 open gate (method "opengate") — answer success (open), fail (refuse) or self (the lot decides)

/** 4.28 inOutType. */
export const IN_OUT_TYPES = { 1: 'entry', 2: 'exit' } as const;

const openGateRequestBoth = both((k) =>
  k.obj(
    {
      parkNumber: k.id(),
      method: k.method('opengate'),
      plate: k.raw(),
      plateColor: k.str(),
      carType: k.str(),
      confidence: k.int(),
      doTime: k.time(),
      passageway: k.str(), // lane NAME, e.g. "南门入口"
      inOutType: k.int(), // 1 entry, 2 exit (tolerant: 0 when missing = unknown)
      area: k.str(),
    },
    {
      exactCheck: (r) => (r.inOutType === 1 || r.inOutType === 2 ? [] : [{ path: ['inOutType'], message: 'inOutType: 1 entry or 2 exit' }]),
    },
  ),
);
export const openGateRequest = openGateRequestBoth.tolerant;
export const openGateRequestExact = openGateRequestBoth.exact;
/** 4.28 has no datas. */
export const openGateAnswerDatas: undefined = undefined;
/** Our 4.28 answer: success (open) or self (lot decides) with an optional reason, fail (refuse) with one. */
export const openGateAnswer = z.discriminatedUnion('status', [
  z.strictObject({ status: z.literal('success'), errorCode: z.string().optional() }),
  z.strictObject({ status: z.literal('fail'), errorCode: z.string().min(1) }),
  z.strictObject({ status: z.literal('self'), errorCode: z.string().optional() }),
]);
export const openGateAnswerTolerant = bluecardSelfAnswer();
export type OpenGateRequest = z.output<typeof openGateRequest>;
export type OpenGateAnswer = z.output<typeof openGateAnswer>;
