/**
 * Paying one order and following it to the barrier: the pay button, the wallet (in the H5 demo a
 * sandbox payment sheet), "confirming", then "barrier opening / leave before HH:mm" with the time left,
 * or cancelled / failed with a retry, or the order's end (closed, refunded) with its reason.
 */
import { Button, Text, View } from '@tarojs/components';
import { useEffect, useRef, useState } from 'react';
import { orderEndpoints, type OrderView, type PayParamsView } from '@shared/api/orders';
import { call } from '../services/api';
import { errorText } from '../services/errors';
import { yuan } from '../services/format';
import { confirm, runPayment, type PayDeps, type PayState, type WalletOutcome } from '../services/payFlow';
import { platform, walletOf } from '../services/platform';
import { closedReasonText, refundReasonText } from '../services/reasons';
import { go } from '../services/routes';
import { sandboxPay, walletPay } from '../services/wallet';
import { LeaveCountdown } from './LeaveCountdown';

export interface PayPanelProps {
  orderNo: string;
  amountFen: number;
  kind: OrderView['kind'];
  /** The order as already known (from history): a paid one is followed, not paid again. */
  order?: OrderView;
  /** Tests replace the platform's dependencies. */
  deps?: Partial<PayDeps>;
}

class Unmounted extends Error {}

const WALLET_NAME = { weapp: '微信支付', alipay: '支付宝支付', h5: '沙箱支付' } as const;

export function PayPanel({ orderNo, amountFen, kind, order, deps: overrides }: PayPanelProps) {
  const [state, setState] = useState<PayState>({ step: 'ready' });
  const alive = useRef(true);
  const sheet = useRef<((o: 'pay' | 'cancel') => void) | undefined>(undefined);
  const running = useRef(false);

  const h5 = platform() === 'h5';
  const deps: PayDeps = {
    startPay: (no) => call(orderEndpoints.pay, { params: { orderNo: no }, body: { wallet: walletOf() } }),
    walletPay: h5
      ? (pay: PayParamsView): Promise<WalletOutcome> =>
          new Promise<'pay' | 'cancel'>((resolve) => {
            sheet.current = resolve;
          }).then((outcome) => sandboxPay(pay, outcome))
      : walletPay,
    getOrder: (no) => call(orderEndpoints.order, { params: { orderNo: no } }),
    sleep: (ms) =>
      new Promise((resolve, reject) => {
        setTimeout(() => (alive.current ? resolve() : reject(new Unmounted())), ms);
      }),
    now: () => Date.now(),
    ...overrides,
  };
  const show = (s: PayState) => {
    if (alive.current) setState(s);
  };
  const guard = (p: Promise<unknown>) =>
    p
      .catch(() => undefined)
      .finally(() => {
        running.current = false;
      });

  const start = () => {
    if (running.current) return;
    running.current = true;
    void guard(runPayment(orderNo, deps, show));
  };
  const follow = (from?: OrderView) => {
    if (running.current) return;
    running.current = true;
    void guard(confirm(orderNo, deps, show, from));
  };

  useEffect(() => {
    alive.current = true;
    // An order already paid (opened from history, or paid on another device): follow it.
    if (order && order.status !== 'quoted' && order.status !== 'pending') follow(order);
    return () => {
      alive.current = false;
    };
  }, []);

  const choose = (o: 'pay' | 'cancel') => {
    const r = sheet.current;
    sheet.current = undefined;
    r?.(o);
  };

  switch (state.step) {
    case 'ready':
      return (
        <View className="pay">
          <Button className="btn btn-primary btn-pay" onClick={start}>
            {WALLET_NAME[platform()]} {yuan(amountFen)}
          </Button>
        </View>
      );
    case 'starting':
      return (
        <View className="pay">
          <Text className="pay-status">正在发起支付…</Text>
        </View>
      );
    case 'wallet':
      return h5 ? (
        <View className="pay sandbox-sheet">
          <Text className="sandbox-title">微信支付（演示沙箱）</Text>
          <Text className="sandbox-amount">{yuan(amountFen)}</Text>
          <Button className="btn btn-primary" onClick={() => choose('pay')}>
            确认支付
          </Button>
          <Button className="btn btn-secondary" onClick={() => choose('cancel')}>
            取消支付
          </Button>
        </View>
      ) : (
        <View className="pay">
          <Text className="pay-status">请在{walletOf() === 'alipay' ? '支付宝' : '微信'}中完成支付…</Text>
        </View>
      );
    case 'confirming':
      return (
        <View className="pay">
          <Text className="pay-status">{state.order?.status === 'paid' ? '支付成功，正在通知车场…' : '正在确认支付结果…'}</Text>
          {state.shaky ? <Text className="muted">网络不稳定，正在重试…</Text> : null}
        </View>
      );
    case 'delivered':
      return (
        <View className="pay pay-done">
          <Text className="pay-done-title">{kind === 'unlicensed_exit' ? '道闸正在抬起，请驶出' : kind === 'booking' ? '预约成功，车场已收到' : '缴费成功，车场已收到'}</Text>
          {state.order.leaveBy ? <LeaveCountdown leaveBy={state.order.leaveBy} /> : null}
        </View>
      );
    case 'cancelled':
      return (
        <View className="pay pay-cancelled">
          <Text className="pay-status">支付已取消</Text>
          <Button className="btn btn-primary" onClick={start}>
            重新支付
          </Button>
        </View>
      );
    case 'failed': {
      const t = errorText(state.error);
      return (
        <View className="pay pay-failed">
          <Text className="pay-status">支付失败：{state.error.code === 'wallet_failed' ? state.error.message : t.title}</Text>
          {state.error.code !== 'wallet_failed' && t.hint ? <Text className="muted">{t.hint}</Text> : null}
          <Button className="btn btn-primary" onClick={start}>
            重新支付
          </Button>
        </View>
      );
    }
    case 'ended': {
      const o = state.order;
      return (
        <View className="pay pay-ended">
          {o.refund ? (
            <Text className="pay-status">
              {o.refund.state === 'done' ? '已退款' : '正在退款'} {yuan(o.refund.fen)}：{refundReasonText(o.refund.reason)}
            </Text>
          ) : (
            <Text className="pay-status">订单已关闭：{closedReasonText(o.closedReason)}</Text>
          )}
          <Button className="btn btn-secondary" onClick={() => go('history')}>
            查看缴费记录
          </Button>
        </View>
      );
    }
    case 'slow':
      return (
        <View className="pay">
          <Text className="pay-status">支付结果确认较慢</Text>
          <Text className="muted">订单号 {orderNo}，稍后可在缴费记录中查看。</Text>
          <Button className="btn btn-secondary" onClick={() => follow(state.order)}>
            继续确认
          </Button>
        </View>
      );
  }
}
