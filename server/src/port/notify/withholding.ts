/**
 * Notifications about withholding agreements and their deductions, beside the payment notifications:
 *  - POST /notify/wechatpay/parking: WeChat Pay's vehicle parking service (entry state changes, deduction
 *    results TRANSACTION.SUCCESS / FAIL), JSON signed like every WeChat Pay v3 notification;
 *  - POST /notify/alipay/agreement: Alipay's dut_user_sign / dut_user_unsign and the agreement payments'
 *    trade notifications, a signed form like every Alipay notification.
 * Each is verified by its gateway (signature over the raw body, app and merchant), turned into a
 * WithholdingEvent and handed to the core: agreement changes to the agreement service, deduction results
 * to the lane deductions. Providers resend until acknowledged; a repeat is a success that changes nothing,
 * a forged or tampered one is refused and changes nothing. An event we could not store is answered as a
 * failure, so the provider sends it again.
 */
import Router from '@koa/router';
import { form, rawJson } from './router';
import type { Context } from 'koa';
import type { WithholdingEvent } from '../../core/agreements/gateways';
import type { AgreementService } from '../../core/agreements/service';
import type { LaneDeductionService } from '../../core/lanepay/lane-deductions';
import type { AppState } from '../http/middleware';

export const WITHHOLDING_NOTIFY_PATHS = { wechat: '/notify/wechatpay/parking', alipay: '/notify/alipay/agreement' } as const;

/** A verified notification: the event it means (none when it says nothing the core needs), or why it was refused. */
export type WithholdingVerdict = { ok: true; event?: WithholdingEvent } | { ok: false; reason: string };

export interface WithholdingNotifyDeps {
  agreements: Pick<AgreementService, 'onEvent'>;
  deductions: Pick<LaneDeductionService, 'onDeduction'>;
  /** Verify a WeChat parking-service notification (headers + raw body). */
  wechat?: (input: { headers: Record<string, string>; rawBody: string }) => Promise<WithholdingVerdict>;
  /** Verify an Alipay agreement / agreement-payment notification (the parsed form). */
  alipay?: (form: unknown) => WithholdingVerdict | Promise<WithholdingVerdict>;
}

export function withholdingNotifyRouter(deps: WithholdingNotifyDeps): Router {
  const router = new Router();
  const log = (ctx: Context) => (ctx.state as AppState).log;

  const apply = async (event: WithholdingEvent): Promise<string> => {
    if (event.kind === 'agreement') return deps.agreements.onEvent(event);
    return deps.deductions.onDeduction(event.outTradeNo, event.result);
  };

  if (deps.wechat) {
    const verify = deps.wechat;
    router.post(WITHHOLDING_NOTIFY_PATHS.wechat, rawJson, async (ctx) => {
      const answer = (status: number, message?: string) => {
        ctx.status = status;
        ctx.body = status < 300 ? undefined : { code: 'FAIL', message: message ?? 'rejected' };
      };
      let verdict: WithholdingVerdict;
      try {
        verdict = await verify({ headers: ctx.headers as Record<string, string>, rawBody: ctx.request.rawBody ?? '' });
      } catch (e) {
        log(ctx).warn({ err: (e as Error).message }, 'WeChat parking notification refused');
        return answer(401, 'verification failed');
      }
      if (!verdict.ok) {
        log(ctx).warn({ reason: verdict.reason }, 'WeChat parking notification refused');
        return answer(401, 'verification failed');
      }
      if (verdict.event) {
        const outcome = await apply(verdict.event);
        log(ctx).info({ kind: verdict.event.kind, outcome }, 'WeChat parking notification');
      }
      return answer(204);
    });
  }

  if (deps.alipay) {
    const verify = deps.alipay;
    router.post(WITHHOLDING_NOTIFY_PATHS.alipay, form, async (ctx) => {
      const answer = (ok: boolean) => {
        ctx.status = 200;
        ctx.type = 'text/plain';
        ctx.body = ok ? 'success' : 'fail';
      };
      const verdict = await verify(ctx.request.body);
      if (!verdict.ok) {
        log(ctx).warn({ reason: verdict.reason }, 'Alipay agreement notification refused');
        return answer(false);
      }
      if (verdict.event) {
        const outcome = await apply(verdict.event);
        log(ctx).info({ kind: verdict.event.kind, outcome }, 'Alipay agreement notification');
      }
      return answer(true);
    });
  }
  return router;
}
