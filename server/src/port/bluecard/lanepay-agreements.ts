/**
 * The lane calls that take money from withholding agreements or put a payment QR on the lane screen:
 * 4.16 (withholding or QR), 4.17 (the QR's result), 4.27 (third-party channel pay). Plugged into
 * bluecardRouter's `lanePay` in server.ts. The frame (inbound.ts) has checked the sign and parsed the body
 * with the tolerant schema; the answer is checked against the exact one.
 */
import { failEnvelope, timeStampNow, type ChannelPayRequest, type QrPayResultRequest, type WithholdOrQrRequest } from '../../../../shared/bluecard';
import type { ChannelPayService } from '../../core/lanepay/channel-pay';
import type { LaneQrService } from '../../core/lanepay/lane-qr';
import type { Clock } from '../../core/clock';
import type { UpHandler } from './inbound';

export interface LaneAgreementHandlerDeps {
  laneQr: LaneQrService;
  channelPay: ChannelPayService;
  clock: Clock;
}

export function laneAgreementHandlers(deps: LaneAgreementHandlerDeps): Record<'4.16' | '4.17' | '4.27', UpHandler> {
  const stamp = () => timeStampNow(deps.clock.now()).timeStamp;
  return {
    '4.16': (async ({ park, request }) => {
      const out = await deps.laneQr.withholdOrQr(park, { outTradeNo: request.outTradeNo, payCharge: request.payCharge, plate: request.plate });
      if (out.kind === 'agreement') return { status: 'success', datas: { timeStamp: stamp(), agreement: out.agreement } };
      if (out.kind === 'qr') return { status: 'success', datas: { timeStamp: stamp(), qrCode: out.qrCode } };
      return failEnvelope(out.errorCode);
    }) as UpHandler<WithholdOrQrRequest> as UpHandler,

    '4.17': (async ({ park, request }) => {
      const out = await deps.laneQr.qrPayResult(park, request.outTradeNo);
      if (out.kind === 'paid') return { status: 'success', datas: { timeStamp: stamp(), ...out.result } };
      return failEnvelope(out.errorCode);
    }) as UpHandler<QrPayResultRequest> as UpHandler,

    '4.27': (async ({ park, request }) => {
      const out = await deps.channelPay.pay(park, { plateID: request.plateID, payCharge: request.payCharge, outTradeNo: request.outTradeNo });
      // 4.27's answer has no datas: {"status":"success"} opens the barrier.
      return out.ok ? { status: 'success' } : failEnvelope(out.errorCode);
    }) as UpHandler<ChannelPayRequest> as UpHandler,
  };
}
