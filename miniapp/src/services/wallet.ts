/**
 * The platform's wallet: WeChat `requestPayment` with the server's object as is, Alipay `my.tradePay`
 * with the trade number, and in the H5 demo the WeChat Pay sandbox standing in for the WeChat client
 * (POST <wechatPaySandbox>/__sandbox/request-payment {params, outcome}; GET /api/demo says where it is).
 */
import Taro from '@tarojs/taro';
import type { ResponseOf } from '@shared/api/contract';
import { demoEndpoints } from '@shared/api/demo';
import type { PayParamsView } from '@shared/api/orders';
import { call, rawJson } from './api';
import { alipayOutcome, wechatOutcome, type WalletOutcome } from './payFlow';
import { platform } from './platform';

async function wechatPay(params: Extract<PayParamsView, { wallet: 'wechat' }>['requestPayment']): Promise<WalletOutcome> {
  try {
    const r = await Taro.requestPayment({ ...params });
    return wechatOutcome(r.errMsg);
  } catch (e) {
    return wechatOutcome((e as { errMsg?: string })?.errMsg ?? String(e));
  }
}

function alipayPay(tradeNO: string): Promise<WalletOutcome> {
  return new Promise((resolve) => {
    if (typeof my === 'undefined' || !my) {
      resolve({ kind: 'fail', message: '支付宝支付不可用' });
      return;
    }
    my.tradePay({
      tradeNO,
      success: (r) => resolve(alipayOutcome(r.resultCode)),
      fail: (e) => resolve(e?.resultCode ? alipayOutcome(e.resultCode) : { kind: 'fail', message: e?.errorMessage ?? '支付失败' }),
    });
  });
}

/** Pay in the platform's wallet (weapp, alipay). The H5 demo pays with sandboxPay from its own sheet. */
export function walletPay(pay: PayParamsView): Promise<WalletOutcome> {
  const p = platform();
  if (pay.wallet === 'wechat' && p === 'weapp') return wechatPay(pay.requestPayment);
  if (pay.wallet === 'alipay' && p === 'alipay') return alipayPay(pay.tradeNo);
  return Promise.resolve({ kind: 'fail', message: `这个版本不能用${pay.wallet === 'wechat' ? '微信' : '支付宝'}支付` });
}

// ── H5 demo: the WeChat Pay sandbox as the payer ─────────────────────────────────────────────────────

let demoConfig: Promise<ResponseOf<typeof demoEndpoints.demo>> | undefined;

/** GET /api/demo (demo mode only): where the sandboxes are. */
export function loadDemoConfig(): Promise<ResponseOf<typeof demoEndpoints.demo>> {
  demoConfig ??= call(demoEndpoints.demo, {}).catch((e: unknown) => {
    demoConfig = undefined;
    throw e;
  });
  return demoConfig;
}

/** The sandbox payer pays (or cancels) the requestPayment object, as the WeChat client would. */
export async function sandboxPay(pay: PayParamsView, outcome: 'pay' | 'cancel'): Promise<WalletOutcome> {
  if (pay.wallet !== 'wechat') return { kind: 'fail', message: '演示支付只支持微信支付沙箱' };
  const { wechatPaySandbox } = await loadDemoConfig();
  const r = await rawJson(`${wechatPaySandbox.replace(/\/$/, '')}/__sandbox/request-payment`, 'POST', { params: pay.requestPayment, outcome });
  const errMsg = (r.data as { errMsg?: unknown } | null)?.errMsg;
  if (r.status !== 200 || typeof errMsg !== 'string') return { kind: 'fail', message: `沙箱支付失败（HTTP ${r.status}）` };
  return wechatOutcome(errMsg);
}
