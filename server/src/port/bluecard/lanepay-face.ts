/**
 * Bluecard 4.24 (face-to-face pay), 4.25 (its poll) and 4.26 (its cancel) → the face-to-face service, and
 * the service's answer → the spec's envelope: payContent (with payTypeId "31"), discountContent,
 * `fail` "USERPAYING" (Bluecard polls 4.25), `fail` with the reason, or 4.26's timeStamp.
 * Plugged into bluecardRouter's `lanePay` (server.ts).
 */
import {
  FACE_TO_FACE_PAY_TYPE,
  USERPAYING,
  failEnvelope,
  timeStampNow,
  type DiscountContent,
  type FaceToFaceCancelRequest,
  type FaceToFacePayment,
  type FaceToFacePayRequest,
  type FaceToFacePollRequest,
} from '../../../../shared/bluecard';
import { fenToYuan, yuanToFen } from '../../../../shared/money';
import { formatChinaTime } from '../../../../shared/time';
import type { Clock } from '../../core/clock';
import type { FaceAnswer, FaceToFaceService } from '../../core/lanepay/face-to-face';
import type { UpAnswer, UpHandler } from './inbound';

/** payTypeId of 4.24 answers (spec default "31"). */
export const FACE_TO_FACE_PAY_TYPE_ID = '31';

type Paid = Extract<FaceAnswer, { kind: 'paid' }>['payment'];

function payContent(p: Paid): FaceToFacePayment {
  return {
    tradeNo: p.paymentNo,
    outTradeNo: p.outTradeNo,
    payCharge: fenToYuan(p.payment.paidFen),
    payTime: formatChinaTime(p.payment.paidAt),
    userId: p.payment.userId,
    payType: FACE_TO_FACE_PAY_TYPE,
  };
}

function discountContent(a: Extract<FaceAnswer, { kind: 'discount' }>): DiscountContent {
  const c = a.coupon;
  return {
    coupon_code: c.couponCode,
    coupon_mode_id: c.mode === 'hours' ? '0' : '1',
    end: formatChinaTime(c.end),
    id: c.id || '1',
    order_id: a.orderId,
    plate: a.plate,
    position: String(c.amount),
  };
}

export function faceToFaceHandlers(face: FaceToFaceService, clock: Clock): Record<'4.24' | '4.25' | '4.26', UpHandler> {
  const pay: UpHandler<FaceToFacePayRequest> = async ({ park, request }) => {
    let fen: number;
    try {
      fen = yuanToFen(request.payCharge);
    } catch {
      return failEnvelope(`invalid_field: payCharge: not a yuan amount`);
    }
    const a = await face.pay({
      parkNumber: park.parkNumber,
      outTradeNo: request.outTradeNo,
      payChargeFen: fen,
      plate: request.plate,
      authCode: request.authCode,
      orderId: request.orderId,
    });
    switch (a.kind) {
      case 'paid':
        await face.markReported(a.payment);
        return { status: 'success', datas: { payContent: payContent(a.payment) }, payTypeId: FACE_TO_FACE_PAY_TYPE_ID };
      case 'discount':
        return { status: 'success', datas: { discountContent: discountContent(a) }, payTypeId: FACE_TO_FACE_PAY_TYPE_ID };
      default:
        return notPaid(a);
    }
  };

  const poll: UpHandler<FaceToFacePollRequest> = async ({ park, request }) => {
    const a = await face.poll(park.parkNumber, request.outTradeNo);
    if (a.kind === 'paid') {
      await face.markReported(a.payment);
      return { status: 'success', datas: payContent(a.payment) };
    }
    return notPaid(a);
  };

  const cancel: UpHandler<FaceToFaceCancelRequest> = async ({ park, request }) => {
    const a = await face.cancel(park.parkNumber, request.outTradeNo);
    if (a.kind === 'cancelled') return { status: 'success', datas: timeStampNow(clock.now()) };
    return notPaid(a);
  };

  return { '4.24': pay as UpHandler, '4.25': poll as UpHandler, '4.26': cancel as UpHandler };
}

function notPaid(a: FaceAnswer): UpAnswer {
  switch (a.kind) {
    case 'userpaying':
      return failEnvelope(USERPAYING);
    case 'fail':
      return failEnvelope(a.errorCode);
    case 'cancelled':
      return failEnvelope('cancelled: this face-to-face payment was cancelled');
    default:
      return failEnvelope('unexpected: no payment');
  }
}
