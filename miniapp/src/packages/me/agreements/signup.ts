/**
 * Opening a provider's sign-up (or its page) from the agreements page, per platform:
 *  - WeChat mini-program + WeChat: Taro.navigateToMiniProgram to WeChat's parking-service mini-program with
 *    the server's extraData; the page confirms when it shows again (the driver comes back);
 *  - Alipay mini-program + Alipay: my.ap.navigateToAlipayPage with the sign URL;
 *  - H5 (the demo): the sandbox's sign-up page in this tab (it sends the browser back to returnUrl).
 * Anything else (WeChat's service from the Alipay app, say) cannot be opened here: the page says so.
 */
import Taro from '@tarojs/taro';
import type { SignupView } from '@shared/api/agreements';
import type { Platform } from '../../../services/platform';

export type OpenOutcome = { kind: 'opened' } | { kind: 'unavailable'; message: string };

interface AlipayAp {
  ap?: { navigateToAlipayPage?(o: { path: string; success?: () => void; fail?: (e: { errorMessage?: string }) => void }): void };
}

/** Where the H5 page sends the browser: a function so tests can watch it (jsdom cannot navigate). */
export const browser = {
  open(url: string): void {
    window.location.assign(url);
  },
};

export async function openSignup(signup: SignupView, p: Platform): Promise<OpenOutcome> {
  if (signup.provider === 'wechat') {
    if (p === 'weapp') {
      try {
        await Taro.navigateToMiniProgram({ appId: signup.navigate.appId, path: signup.navigate.path, extraData: signup.navigate.extraData });
        return { kind: 'opened' };
      } catch (e) {
        return { kind: 'unavailable', message: (e as { errMsg?: string })?.errMsg ?? '无法打开微信车主服务' };
      }
    }
    if (p === 'h5' && signup.h5Url) {
      browser.open(signup.h5Url);
      return { kind: 'opened' };
    }
    return { kind: 'unavailable', message: '请在微信中打开 ParkPay 开通微信无感支付' };
  }
  if (p === 'alipay') {
    const ap = (typeof my === 'undefined' ? undefined : (my as unknown as AlipayAp))?.ap;
    if (!ap?.navigateToAlipayPage) return { kind: 'unavailable', message: '当前支付宝版本不支持签约，请升级后重试' };
    return new Promise((resolve) => {
      ap.navigateToAlipayPage!({
        path: signup.signUrl,
        success: () => resolve({ kind: 'opened' }),
        fail: (e) => resolve({ kind: 'unavailable', message: e?.errorMessage ?? '无法打开支付宝签约页' }),
      });
    });
  }
  if (p === 'h5') {
    browser.open(signup.signUrl);
    return { kind: 'opened' };
  }
  return { kind: 'unavailable', message: '请在支付宝中打开 ParkPay 开通支付宝免密支付' };
}
