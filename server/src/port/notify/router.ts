/**
 * Payment notifications from WeChat Pay and Alipay. Verified by the adapters (signatures over the raw body,
 * timestamps, GCM tag; checkNotifySignV2), checked to be for our app and merchant, then recorded once by the
 * order service — whose one conditional write finds the order, checks the amount, records the payment and
 * takes its delivery (no read of the order first: the driver waits at the barrier). Providers resend until
 * acknowledged, so a repeat is a success that changes nothing; a forged or tampered one is refused and
 * changes nothing; one for an order we do not know is refused (and logged).
 */
import Router from '@koa/router';
import { bodyParser } from '@koa/bodyparser';
import type { Context, Middleware } from 'koa';
import type { AlipayAdapter } from '../../adapter/alipay';
import { checkNotificationMatches, NOTIFY_ACK, NOTIFY_NACK } from '../../adapter/alipay';
import { checkTransactionMatches, type WechatPayAdapter } from '../../adapter/wechatpay';
import type { RefundOutcome } from '../../core/orders/gateways';
import type { OrderService } from '../../core/orders/orders';
import type { AppState } from '../http/middleware';

export const NOTIFY_PATHS = { wechat: '/notify/wechatpay', wechatRefund: '/notify/wechatpay/refund', alipay: '/notify/alipay' } as const;

/** WeChat's refund events (退款结果通知) and what they mean for the refund. */
const REFUND_EVENTS: Record<string, RefundOutcome['state']> = { 'REFUND.SUCCESS': 'done', 'REFUND.ABNORMAL': 'abnormal', 'REFUND.CLOSED': 'closed' };

export interface NotifyDeps {
  orders: Pick<OrderService, 'recordPayment' | 'refundNotified'>;
  wechat?: WechatPayAdapter;
  alipay?: AlipayAdapter;
}

const rawJson = bodyParser({ enableTypes: ['json'], detectJSON: () => true, jsonLimit: '64kb', encoding: 'utf-8' }) as unknown as Middleware;
const form = bodyParser({ enableTypes: ['form'], formLimit: '64kb', encoding: 'utf-8' }) as unknown as Middleware;

/** WeChat reads any 2xx as received; anything else is retried on its schedule. */
function wechatAnswer(ctx: Context, status: number, message?: string) {
  ctx.status = status;
  ctx.body = status < 300 ? undefined : { code: 'FAIL', message: message ?? 'rejected' };
}

export function notifyRouter(deps: NotifyDeps): Router {
  const router = new Router();
  const log = (ctx: Context) => (ctx.state as AppState).log;

  if (deps.wechat) {
    const wechat = deps.wechat;
    router.post(NOTIFY_PATHS.wechat, rawJson, async (ctx) => {
      const rawBody = ctx.request.rawBody ?? '';
      let verified;
      try {
        verified = await wechat.verifyNotification({ headers: ctx.headers as Record<string, string>, rawBody });
      } catch (e) {
        log(ctx).warn({ err: (e as Error).message }, 'WeChat notification refused');
        return wechatAnswer(ctx, 401, 'verification failed');
      }
      const tx = verified.transaction;
      if (verified.eventType !== 'TRANSACTION.SUCCESS' || verified.status !== 'paid') return wechatAnswer(ctx, 204);
      // Our app and merchant (the amount is the order's business: recordPayment refunds another amount).
      const check = checkTransactionMatches(tx, { appid: wechat.appId, mchid: wechat.mchId, outTradeNo: tx.out_trade_no, totalFen: tx.amount?.total ?? 0 });
      const wrongAccount = check.ok ? [] : check.mismatches.filter((m) => m.field !== 'amount.total');
      if (wrongAccount.length) {
        log(ctx).error({ outTradeNo: tx.out_trade_no, mismatches: wrongAccount }, 'WeChat notification for another merchant or app');
        return wechatAnswer(ctx, 400, 'not our merchant');
      }
      const outcome = await deps.orders.recordPayment(tx.out_trade_no, {
        provider: 'wechat',
        transactionId: tx.transaction_id ?? verified.id,
        paidFen: tx.amount?.total ?? 0,
        paidAt: tx.success_time ? new Date(tx.success_time) : new Date(),
        via: 'notification',
      });
      if (outcome === 'unknown') {
        log(ctx).error({ outTradeNo: tx.out_trade_no }, 'WeChat says an order we do not know was paid');
        return wechatAnswer(ctx, 404, 'unknown order');
      }
      return wechatAnswer(ctx, 204);
    });
  }

  if (deps.wechat) {
    const wechat = deps.wechat;
    // The refund results (REFUND.SUCCESS / ABNORMAL / CLOSED), verified like payments: the signature over the
    // raw body, the timestamp, the GCM tag; then our merchant, and the refund number the order is waiting on.
    router.post(NOTIFY_PATHS.wechatRefund, rawJson, async (ctx) => {
      let verified;
      try {
        verified = await wechat.verifyRefundNotification({ headers: ctx.headers as Record<string, string>, rawBody: ctx.request.rawBody ?? '' });
      } catch (e) {
        log(ctx).warn({ err: (e as Error).message }, 'WeChat refund notification refused');
        return wechatAnswer(ctx, 401, 'verification failed');
      }
      const r = verified.refund;
      if (r.mchid !== wechat.mchId) {
        log(ctx).error({ outRefundNo: r.out_refund_no, mchid: r.mchid }, 'WeChat refund notification for another merchant');
        return wechatAnswer(ctx, 400, 'not our merchant');
      }
      const state = REFUND_EVENTS[verified.eventType];
      if (!state) return wechatAnswer(ctx, 204);
      const outcome: RefundOutcome = state === 'done' ? { state, ...(r.success_time ? { at: new Date(r.success_time) } : {}) } : { state };
      const result = await deps.orders.refundNotified(r.out_trade_no, r.out_refund_no, outcome);
      if (result === 'unknown') {
        log(ctx).error({ outTradeNo: r.out_trade_no, outRefundNo: r.out_refund_no }, 'WeChat refund notification for a refund we do not know');
        return wechatAnswer(ctx, 404, 'unknown refund');
      }
      return wechatAnswer(ctx, 204);
    });
  }

  if (deps.alipay) {
    const alipay = deps.alipay;
    router.post(NOTIFY_PATHS.alipay, form, async (ctx) => {
      const answer = (ok: boolean) => {
        ctx.status = 200;
        ctx.type = 'text/plain';
        ctx.body = ok ? NOTIFY_ACK : NOTIFY_NACK;
      };
      const verdict = alipay.verifyNotification(ctx.request.body);
      if (!verdict.ok) {
        log(ctx).warn({ reason: verdict.reason }, 'Alipay notification refused');
        return answer(false);
      }
      const n = verdict.notification;
      if (n.status !== 'paid') return answer(true); // WAIT_BUYER_PAY, closes, refunds: our jobs track those
      // Our app and seller (the amount is the order's business: recordPayment refunds another amount).
      const match = checkNotificationMatches(n, {
        appId: alipay.appId,
        outTradeNo: n.outTradeNo,
        totalFen: n.totalFen,
        ...(alipay.sellerId ? { sellerId: alipay.sellerId } : {}),
      });
      if (!match.ok) {
        log(ctx).error({ outTradeNo: n.outTradeNo, reason: match.reason }, 'Alipay notification for another app or seller');
        return answer(false);
      }
      const outcome = await deps.orders.recordPayment(n.outTradeNo, {
        provider: 'alipay',
        transactionId: n.tradeNo,
        paidFen: n.totalFen,
        paidAt: n.gmtPayment ?? new Date(),
        via: 'notification',
      });
      if (outcome === 'unknown') {
        log(ctx).error({ outTradeNo: n.outTradeNo }, 'Alipay says an order we do not know was paid');
        return answer(false);
      }
      return answer(true);
    });
  }
  return router;
}
