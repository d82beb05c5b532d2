/**
 * Paying an order, as a small state machine the pay page renders:
 *
 *   ready ─pay→ starting ─(pay params)→ wallet ─ok/unknown→ confirming ─(poll)→ delivered
 *                  │                      ├─cancel→ cancelled ─retry→ starting …
 *                  └─error→ failed        └─fail→ failed ─retry→ starting …
 *   confirming ─(closed / refunding / refunded)→ ended;  ─(too long)→ slow (keep the order number)
 *
 * POST /api/orders/:orderNo/pay gives what the wallet needs (again for a retry: the server continues the
 * same payment); after the wallet, GET /api/orders/:orderNo is polled until the lot has been told
 * ('delivered', with leaveBy) or the order ended. A wallet that cannot say (Alipay 8000/6004) is polled too.
 */
import type { OrderView, PayParamsView } from '@shared/api/orders';
import { ApiError, errorOf } from './api';

export type WalletOutcome = { kind: 'ok' } | { kind: 'cancel' } | { kind: 'unknown' } | { kind: 'fail'; message: string };

export type PayState =
  | { step: 'ready' }
  | { step: 'starting' }
  | { step: 'wallet'; pay: PayParamsView }
  | { step: 'confirming'; order?: OrderView; /** the last poll failed (network): still trying */ shaky?: boolean }
  | { step: 'delivered'; order: OrderView }
  | { step: 'cancelled' }
  | { step: 'failed'; error: { code: string; message: string } }
  | { step: 'ended'; order: OrderView }
  | { step: 'slow'; order?: OrderView };

export interface PayDeps {
  /** What the wallet needs (the order too where the endpoint answers it: a booking's pay answers the booking). */
  startPay(orderNo: string): Promise<{ order?: OrderView; pay: PayParamsView }>;
  walletPay(pay: PayParamsView): Promise<WalletOutcome>;
  getOrder(orderNo: string): Promise<OrderView>;
  sleep(ms: number): Promise<void>;
  now(): number;
  /** Between polls (default 1 s). */
  pollMs?: number;
  /** Give up waiting after this long (default 90 s): the order number stays, history shows the outcome. */
  pollTimeoutMs?: number;
}

const ENDED = new Set(['closed', 'refunding', 'refunded']);

/** Poll the order until the lot has it or it ended; the state after. */
export async function confirm(orderNo: string, deps: PayDeps, onState: (s: PayState) => void, first?: OrderView): Promise<PayState> {
  const deadline = deps.now() + (deps.pollTimeoutMs ?? 90_000);
  let last = first;
  onState({ step: 'confirming', order: last });
  for (;;) {
    if (last?.status === 'delivered') return done(onState, { step: 'delivered', order: last });
    if (last && ENDED.has(last.status)) return done(onState, { step: 'ended', order: last });
    if (deps.now() >= deadline) return done(onState, { step: 'slow', order: last });
    await deps.sleep(deps.pollMs ?? 1000);
    try {
      last = await deps.getOrder(orderNo);
      onState({ step: 'confirming', order: last });
    } catch (e) {
      if (e instanceof ApiError && e.code !== 'network' && e.status !== undefined && e.status < 500) {
        return done(onState, { step: 'failed', error: errorOf(e) });
      }
      onState({ step: 'confirming', order: last, shaky: true });
    }
  }
}

function done(onState: (s: PayState) => void, s: PayState): PayState {
  onState(s);
  return s;
}

/** One attempt: pay params → wallet → confirm. Resolves with the final state (cancelled and failed offer a retry). */
export async function runPayment(orderNo: string, deps: PayDeps, onState: (s: PayState) => void): Promise<PayState> {
  onState({ step: 'starting' });
  let started: { order?: OrderView; pay: PayParamsView };
  try {
    started = await deps.startPay(orderNo);
  } catch (e) {
    // Already paid (a double tap, a second device): show where it is rather than an error.
    if (e instanceof ApiError && e.code === 'order_not_payable') {
      try {
        const order = await deps.getOrder(orderNo);
        if (order.status !== 'quoted' && order.status !== 'pending') return confirm(orderNo, deps, onState, order);
      } catch {
        // fall through to the error
      }
    }
    return done(onState, { step: 'failed', error: errorOf(e) });
  }
  onState({ step: 'wallet', pay: started.pay });
  let outcome: WalletOutcome;
  try {
    outcome = await deps.walletPay(started.pay);
  } catch (e) {
    outcome = { kind: 'fail', message: errorOf(e).message };
  }
  if (outcome.kind === 'cancel') return done(onState, { step: 'cancelled' });
  if (outcome.kind === 'fail') return done(onState, { step: 'failed', error: { code: 'wallet_failed', message: outcome.message } });
  return confirm(orderNo, deps, onState);
}

/** What the wallet's answer means. WeChat: errMsg 'requestPayment:ok' / 'requestPayment:fail cancel'. */
export function wechatOutcome(errMsg: string | undefined): WalletOutcome {
  if (errMsg === 'requestPayment:ok') return { kind: 'ok' };
  if (errMsg && /cancel/i.test(errMsg)) return { kind: 'cancel' };
  return { kind: 'fail', message: errMsg ?? 'requestPayment:fail' };
}

/** Alipay my.tradePay resultCode: 9000 paid, 6001 cancelled, 8000/6004 unknown (ask the server), else failed. */
export function alipayOutcome(resultCode: string | undefined): WalletOutcome {
  switch (resultCode) {
    case '9000':
      return { kind: 'ok' };
    case '6001':
      return { kind: 'cancel' };
    case '8000':
    case '6004':
      return { kind: 'unknown' };
    case '6002':
      return { kind: 'fail', message: '网络连接出错（6002）' };
    default:
      return { kind: 'fail', message: `支付失败（${resultCode ?? '无结果'}）` };
  }
}
