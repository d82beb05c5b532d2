/**
 * The Bluecard port's handlers for 4.13 (pre-exit pricing) and 4.28 (open gate), plugged into
 * bluecardRouter's `lanePay`. The frame (inbound.ts) has checked sign, park and the tolerant schema, and
 * checks our answer against the exact one.
 *
 * Neither ever answers with an error of ours: a 4.28 rule that cannot be read answers `self` (the lot
 * decides; a `fail` would keep the barrier down), and 4.13 answers the lot's own figures when our credits
 * cannot be read (nothing of ours is used then).
 */
import { fenToYuan, yuanToFen } from '../../../../shared/money';
import type { OpenGateRequest, PreExitPricingRequest } from '../../../../shared/bluecard';
import type { OpenGateRules } from '../../core/lanepay/open-gate';
import { NO_CREDIT_PAY_KIND, type PreExitPricing } from '../../core/lanepay/pre-exit-pricing';
import type { AppState } from '../http/middleware';
import type { UpAnswer, UpHandler } from './inbound';

export interface LanePricingDeps {
  pricing: PreExitPricing;
  openGate: OpenGateRules;
}

export function lanePricingHandlers(deps: LanePricingDeps): { '4.13': UpHandler; '4.28': UpHandler } {
  const preExit: UpHandler<PreExitPricingRequest> = async ({ park, request, ctx, ack }) => {
    const log = (ctx.state as AppState).log;
    try {
      const datas = await deps.pricing.price(park.parkNumber, request);
      if (datas.realCharge !== '0.00') {
        log?.info({ parkNumber: park.parkNumber, orderId: request.orderId, outTradeNo: request.outTradeNo, payCharge: datas.payCharge, realCharge: datas.realCharge }, '4.13: ParkPay credits applied');
      }
      return { status: 'success', datas } satisfies UpAnswer;
    } catch (err) {
      log?.error({ err, parkNumber: park.parkNumber, orderId: request.orderId }, '4.13: pricing failed; answering the lot its own figures');
      const stamp = (ack() as { datas: { timeStamp: string } }).datas.timeStamp;
      return {
        status: 'success',
        datas: { payCharge: fenToYuan(yuanToFen(request.payCharge)), realCharge: '0.00', payKind: NO_CREDIT_PAY_KIND, timeStamp: stamp, chargeList: [] },
      } satisfies UpAnswer;
    }
  };

  const openGate: UpHandler<OpenGateRequest> = async ({ park, request, ctx }) => {
    try {
      const d = await deps.openGate.decide(park, { plate: request.plate, inOutType: request.inOutType });
      if (d.status !== 'self') {
        (ctx.state as AppState).log?.info({ parkNumber: park.parkNumber, rule: d.rule, inOutType: request.inOutType }, `4.28: ${d.status}`);
      }
      return { status: d.status, errorCode: d.errorCode } as UpAnswer;
    } catch (err) {
      (ctx.state as AppState).log?.error({ err, parkNumber: park.parkNumber }, '4.28: rules failed; the lot decides');
      return { status: 'self', errorCode: 'ParkPay 规则暂不可用' };
    }
  };

  return { '4.13': preExit as UpHandler, '4.28': openGate as UpHandler };
}
