/**
 * Paying one order and following it to the barrier: the pay button (with how long the price holds), the
 * wallet (in the H5 demo a sandbox payment sheet), "confirming", then "barrier opening / leave before HH:mm"
 * with the time left until the car has left, or cancelled / failed with a retry, or the order's end (closed,
 * refunded) with its reason. A price that ran out is asked again in place (onRequote). Every wait spins.
 */
import { Button, Text, View } from '@tarojs/components';
import type { MutableRefObject, ReactNode } from 'react';
import { useEffect, useRef, useState } from 'react';
import { useNow } from '../hooks/useNow';
import { askConsent, prepareConsent } from '../services/consent';
import { orderEndpoints, type OrderView, type PayParamsView } from '@shared/api/orders';
import { call } from '../services/api';
import { errorText } from '../services/errors';
import { countdown, hhmm, yuan } from '../services/format';
import { confirm, runPayment, type PayDeps, type PayState, type WalletOutcome } from '../services/payFlow';
import { platform, walletOf } from '../services/platform';
import { closedReasonText, refundReasonText } from '../services/reasons';
import { go } from '../services/routes';
import { sandboxPay, walletPay } from '../services/wallet';
import { LeaveCountdown } from './LeaveCountdown';
import { Spinner } from './ui';
import './driver.css';

export interface PayPanelProps {
  orderNo: string;
  amountFen: number;
  kind: OrderView['kind'];
  /** The order as already known (from history): a paid one is followed, not paid again. */
  order?: OrderView;
  /** Tests replace the platform's dependencies. */
  deps?: Partial<PayDeps>;
  /** The price holds until then (a quoted order): said under the button; once past, it is asked again. */
  quoteExpiresAt?: string;
  /** Ask the price again (a price that ran out or was replaced): offered instead of a dead end. */
  onRequote?: () => void;
  /** Told every step (the page shows the fee as paid once it is). */
  onState?: (s: PayState) => void;
  /** Minutes to leave after paying (said with the countdown). */
  freeMinutes?: number;
}

/** Why an order cannot be paid any more that a fresh price would solve. */
const REQUOTE_ERRORS = new Set(['quote_expired', 'order_not_payable']);
const REQUOTE_CLOSED = new Set(['quote_expired', 'superseded', 'payment_expired', 'cancelled']);
/** While the car has not left, the delivered order is looked at this often (its leftAt stops the countdown). */
const LEFT_POLL_MS = 10_000;

function Waiting({ text, children }: { text: string; children?: ReactNode }) {
  return (
    <View className="pay">
      <View className="wait">
        <Spinner small />
        <Text className="pay-status">{text}</Text>
      </View>
      {children}
    </View>
  );
}

function QuoteHolds({ expiresAt, now }: { expiresAt: string; now: number }) {
  const left = Date.parse(expiresAt) - now;
  return <Text className="fee-valid">此价格 {hhmm(expiresAt)} 前有效（还剩 {countdown(left)}），过期后可一键重新查询</Text>;
}

class Unmounted extends Error {}

const WALLET_NAME = { weapp: '微信支付', alipay: '支付宝支付', h5: '沙箱支付' } as const;

/** The platform's way to pay and follow an order (tests replace parts); the H5 demo's wallet is the sheet. */
function payDeps(sheet: MutableRefObject<((o: 'pay' | 'cancel') => void) | undefined>, alive: MutableRefObject<boolean>, overrides?: Partial<PayDeps>): PayDeps {
  return {
    startPay: (no) => call(orderEndpoints.pay, { params: { orderNo: no }, body: { wallet: walletOf() } }),
    walletPay:
      platform() === 'h5'
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
}

interface Payment {
  state: PayState;
  /** When the car left (a delivered order followed until then). */
  leftAt: string | null;
  /** Pay (one run at a time). */
  start: () => void;
  /** Follow an order already paid (one run at a time). */
  follow: (from?: OrderView) => void;
  /** The H5 sandbox sheet's answer. */
  choose: (o: 'pay' | 'cancel') => void;
}

/** The payment's run: one at a time, every step told (nothing after unmount), a paid order followed. */
function usePayment({ orderNo, kind, order, deps: overrides, onState }: PayPanelProps): Payment {
  const [state, setState] = useState<PayState>({ step: 'ready' });
  const alive = useRef(true);
  const sheet = useRef<((o: 'pay' | 'cancel') => void) | undefined>(undefined);
  const running = useRef(false);
  const deps = payDeps(sheet, alive, overrides);

  const show = (s: PayState) => {
    if (!alive.current) return;
    setState(s);
    onState?.(s);
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
    // The tap to pay is when WeChat lets us ask for message consent (payment, free exit time, refund).
    void guard(askConsent('pay').then(() => runPayment(orderNo, deps, show)));
  };
  const follow = (from?: OrderView) => {
    if (running.current) return;
    running.current = true;
    void guard(confirm(orderNo, deps, show, from));
  };

  useEffect(() => {
    alive.current = true;
    void prepareConsent();
    // An order already paid (opened from history, or paid on another device): follow it.
    if (order && order.status !== 'quoted' && order.status !== 'pending') follow(order);
    return () => {
      alive.current = false;
    };
  }, []);

  const delivered = state.step === 'delivered' && kind !== 'booking' ? state.order : undefined;
  const leftAt = useLeftAt(delivered, orderNo, deps.getOrder, alive);

  const choose = (o: 'pay' | 'cancel') => {
    const r = sheet.current;
    sheet.current = undefined;
    r?.(o);
  };
  return { state, leftAt, start, follow, choose };
}

/** Paid: look at the order now and then until the car has left (the countdown then stops). */
function useLeftAt(delivered: OrderView | undefined, orderNo: string, getOrder: PayDeps['getOrder'], alive: MutableRefObject<boolean>): string | null {
  const [leftAt, setLeftAt] = useState<string | null>(null);
  useEffect(() => {
    if (!delivered?.leaveBy || leftAt) return undefined;
    if (delivered.leftAt) {
      setLeftAt(delivered.leftAt);
      return undefined;
    }
    const t = setInterval(() => {
      getOrder(orderNo).then(
        (o) => {
          if (alive.current && o.leftAt) setLeftAt(o.leftAt);
        },
        () => undefined,
      );
    }, LEFT_POLL_MS);
    return () => clearInterval(t);
  }, [delivered, leftAt]);
  return leftAt;
}

/** The pay button with how long the price holds, or, once it ran out, the way to ask it again. */
function ReadyStep({ amountFen, quoteExpiresAt, requote, onPay, canRequote }: { amountFen: number; quoteExpiresAt?: string; requote: ReactNode; onPay: () => void; canRequote: boolean }) {
  const now = useNow(1000, quoteExpiresAt !== undefined);
  if (quoteExpiresAt && Date.parse(quoteExpiresAt) <= now && canRequote) {
    return (
      <View className="pay pay-expired">
        <Text className="pay-status fee-expired">价格已过期</Text>
        <Text className="muted">车场的价格只保留几分钟，请重新查询最新费用。</Text>
        {requote}
      </View>
    );
  }
  return (
    <View className="pay">
      <Button className="btn btn-primary btn-pay" onClick={onPay}>
        {WALLET_NAME[platform()]} {yuan(amountFen)}
      </Button>
      {quoteExpiresAt ? <QuoteHolds expiresAt={quoteExpiresAt} now={now} /> : null}
    </View>
  );
}

/** The wallet is open: in the H5 demo the sandbox sheet, on a phone the wait for the wallet app. */
function WalletStep({ amountFen, choose }: { amountFen: number; choose: (o: 'pay' | 'cancel') => void }) {
  if (platform() !== 'h5') return <Waiting text={`请在${walletOf() === 'alipay' ? '支付宝' : '微信'}中完成支付…`} />;
  return (
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
  );
}

function doneTitle(kind: OrderView['kind'], gone: string | null | undefined): string {
  if (gone) return '缴费成功，车辆已离场';
  if (kind === 'unlicensed_exit') return '道闸正在抬起，请驶出';
  if (kind === 'booking') return '预约成功，车场已收到';
  if (kind === 'pass') return '续费成功，车场已收到';
  return '缴费成功，车场已收到';
}

/** The lot has the payment: what happens now, and the time left to leave until the car has left. */
function DeliveredStep({ order, kind, leftAt, freeMinutes }: { order: OrderView; kind: OrderView['kind']; leftAt: string | null; freeMinutes?: number }) {
  const gone = leftAt ?? order.leftAt;
  return (
    <View className="pay pay-done">
      <Text className="pay-done-title">{doneTitle(kind, gone)}</Text>
      {order.leaveBy ? <LeaveCountdown leaveBy={order.leaveBy} leftAt={gone} freeMinutes={freeMinutes} /> : null}
    </View>
  );
}

/** The payment failed: why, and a retry, or a fresh price where only one would help. */
function FailedStep({ error, requote, onPay }: { error: { code: string; message: string }; requote: ReactNode; onPay: () => void }) {
  const t = errorText(error);
  const fresh = REQUOTE_ERRORS.has(error.code) && requote;
  return (
    <View className="pay pay-failed">
      <Text className="pay-status">支付失败：{error.code === 'wallet_failed' ? error.message : t.title}</Text>
      {error.code !== 'wallet_failed' && t.hint ? <Text className="muted">{t.hint}</Text> : null}
      {fresh || (
        <Button className="btn btn-primary" onClick={onPay}>
          重新支付
        </Button>
      )}
    </View>
  );
}

/** The order ended without reaching the lot: refunded (with the reason) or closed (with a fresh price where it helps). */
function EndedStep({ order: o, requote }: { order: OrderView; requote: ReactNode }) {
  return (
    <View className="pay pay-ended">
      {o.refund ? (
        <Text className="pay-status">
          {o.refund.state === 'done' ? '已退款' : '正在退款'} {yuan(o.refund.fen)}：{refundReasonText(o.refund.reason)}
        </Text>
      ) : (
        <Text className="pay-status">订单已关闭：{closedReasonText(o.closedReason)}</Text>
      )}
      {!o.refund && o.closedReason && REQUOTE_CLOSED.has(o.closedReason) ? requote : null}
      <Button className="btn btn-secondary" onClick={() => go('history')}>
        查看缴费记录
      </Button>
    </View>
  );
}

/** Confirming took too long: the order number stays, and the driver can keep confirming. */
function SlowStep({ orderNo, onFollow }: { orderNo: string; onFollow: () => void }) {
  return (
    <View className="pay">
      <Text className="pay-status">支付结果确认较慢</Text>
      <Text className="muted">钱包若已扣款，车场会收到缴费，道闸会抬起。</Text>
      <Text className="muted">订单号 {orderNo}，稍后可在缴费记录中查看。</Text>
      <Button className="btn btn-secondary" onClick={onFollow}>
        继续确认
      </Button>
    </View>
  );
}

export function PayPanel(props: PayPanelProps) {
  const { orderNo, amountFen, kind, quoteExpiresAt, onRequote, freeMinutes } = props;
  const { state, leftAt, start, follow, choose } = usePayment(props);

  const requote = onRequote ? (
    <Button className="btn btn-primary btn-requote" onClick={onRequote}>
      重新查询费用
    </Button>
  ) : null;

  switch (state.step) {
    case 'ready':
      return <ReadyStep amountFen={amountFen} quoteExpiresAt={quoteExpiresAt} requote={requote} canRequote={onRequote !== undefined} onPay={start} />;
    case 'starting':
      return <Waiting text="正在发起支付…" />;
    case 'wallet':
      return <WalletStep amountFen={amountFen} choose={choose} />;
    case 'confirming':
      return (
        <Waiting text={state.order?.status === 'paid' ? '支付成功，正在通知车场…' : '正在确认支付结果…'}>
          {state.shaky ? <Text className="muted">网络不稳定，正在重试…</Text> : null}
        </Waiting>
      );
    case 'delivered':
      return <DeliveredStep order={state.order} kind={kind} leftAt={leftAt} freeMinutes={freeMinutes} />;
    case 'cancelled':
      return (
        <View className="pay pay-cancelled">
          <Text className="pay-status">支付已取消</Text>
          <Button className="btn btn-primary" onClick={start}>
            重新支付
          </Button>
        </View>
      );
    case 'failed':
      return <FailedStep error={state.error} requote={requote} onPay={start} />;
    case 'ended':
      return <EndedStep order={state.order} requote={requote} />;
    case 'slow':
      return <SlowStep orderNo={orderNo} onFollow={() => follow(state.order)} />;
  }
}
