/**
 * Payment notifications from WeChat Pay and Alipay. Each provider's gateway reads one (signatures over the
 * raw body, timestamps, GCM tag; checkNotifySignV2; our app and merchant) into a PaymentEvent, which the
 * order service records once — its one conditional write finds the order, checks the amount, records the
 * payment and takes its delivery (no read of the order first: the driver waits at the barrier). This port
 * only answers each provider in its own terms. Providers resend until acknowledged, so a repeat is a
 * success that changes nothing; a forged or tampered one is refused and changes nothing; one for an order
 * we do not know is refused (and logged).
 */
import Router from '@koa/router';
import { bodyParser } from '@koa/bodyparser';
import type { Context, Middleware } from 'koa';
import type { NotificationVerdict, PaymentEvent, PaymentNotifications, ReceivedNotification, RefundNotifications } from '../../core/orders/gateways';
import type { OrderService } from '../../core/orders/orders';
import type { AppState } from '../http/middleware';

/**
 * The body parsers of every provider notification (payments here; withholding and invoices use them too).
 * WeChat signs the raw JSON body, so it is kept (`rawBody`) and parsed whatever the content type says;
 * Alipay posts a form. 64 kB is far above any real notification and bounds what a stranger can make us read.
 */
export const rawJson = bodyParser({ enableTypes: ['json'], detectJSON: () => true, jsonLimit: '64kb', encoding: 'utf-8' }) as unknown as Middleware;
export const form = bodyParser({ enableTypes: ['form'], formLimit: '64kb', encoding: 'utf-8' }) as unknown as Middleware;

export const NOTIFY_PATHS = { wechat: '/notify/wechatpay', wechatRefund: '/notify/wechatpay/refund', alipay: '/notify/alipay' } as const;

export interface NotifyDeps {
  orders: Pick<OrderService, 'onPaymentEvent'>;
  wechat?: PaymentNotifications & RefundNotifications;
  alipay?: PaymentNotifications;
}

const received = (ctx: Context): ReceivedNotification => ({ headers: ctx.headers as Record<string, string>, rawBody: ctx.request.rawBody ?? '', body: ctx.request.body });

/** What each outcome is answered: accepted (the provider stops sending), or refused with an HTTP status. */
type Answer = { accepted: true } | { accepted: false; status: 401 | 400 | 404; message: string };

/** Read, record, and say how to answer; the refusals are logged with what identifies them. */
async function handle(ctx: Context, what: string, verdict: NotificationVerdict, orders: NotifyDeps['orders']): Promise<Answer> {
  const log = (ctx.state as AppState).log;
  if (!verdict.ok) {
    if (verdict.refusal === 'unverified') {
      log.warn({ reason: verdict.reason }, `${what} notification refused`);
      return { accepted: false, status: 401, message: 'verification failed' };
    }
    log.error(verdict.detail ?? {}, verdict.reason);
    return { accepted: false, status: 400, message: 'not our merchant' };
  }
  if (!verdict.event) return { accepted: true };
  const outcome = await orders.onPaymentEvent(verdict.event);
  if (outcome !== 'unknown') return { accepted: true };
  log.error(...unknown(what, verdict.event));
  return { accepted: false, status: 404, message: verdict.event.kind === 'paid' ? 'unknown order' : 'unknown refund' };
}

function unknown(what: string, e: PaymentEvent): [object, string] {
  return e.kind === 'paid'
    ? [{ outTradeNo: e.orderNo }, `${what} says an order we do not know was paid`]
    : [{ outTradeNo: e.orderNo, outRefundNo: e.refundNo }, `${what} notification for a refund we do not know`];
}

/** WeChat reads any 2xx as received; anything else is retried on its schedule. */
function wechatAnswer(ctx: Context, a: Answer) {
  ctx.status = a.accepted ? 204 : a.status;
  ctx.body = a.accepted ? undefined : { code: 'FAIL', message: a.message };
}

/** Alipay reads exactly `success` as received; anything else (`fail`) is sent again on its schedule. */
function alipayAnswer(ctx: Context, a: Answer) {
  ctx.status = 200;
  ctx.type = 'text/plain';
  ctx.body = a.accepted ? 'success' : 'fail';
}

export function notifyRouter(deps: NotifyDeps): Router {
  const router = new Router();
  const { wechat, alipay, orders } = deps;
  if (wechat) {
    router.post(NOTIFY_PATHS.wechat, rawJson, async (ctx) => wechatAnswer(ctx, await handle(ctx, 'WeChat', await wechat.paymentNotification(received(ctx)), orders)));
    router.post(NOTIFY_PATHS.wechatRefund, rawJson, async (ctx) => wechatAnswer(ctx, await handle(ctx, 'WeChat refund', await wechat.refundNotification(received(ctx)), orders)));
  }
  if (alipay) {
    router.post(NOTIFY_PATHS.alipay, form, async (ctx) => alipayAnswer(ctx, await handle(ctx, 'Alipay', await alipay.paymentNotification(received(ctx)), orders)));
  }
  return router;
}
