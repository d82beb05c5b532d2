/**
 * Which platform this build runs on, and what follows from it: the API's base URL and the wallet the
 * driver pays (and, for unlicensed cars, scans) with. `process.env.TARO_ENV` is replaced at build time,
 * so each build keeps only its own branch.
 */
import type { Wallet } from '@shared/api/orders';

export type Platform = 'weapp' | 'alipay' | 'h5';

export function platform(): Platform {
  const env = process.env.TARO_ENV;
  return env === 'weapp' || env === 'alipay' ? env : 'h5';
}

/** The absolute https base of the API for mini-program builds (config/index.ts defineConstants API_BASE). */
function builtApiBase(): string {
  return typeof API_BASE === 'string' ? API_BASE : '';
}

/**
 * Where the API is: H5 is served by ParkPay itself, so same-origin relative URLs; a mini-program needs
 * an absolute https URL (and that domain in its request whitelist).
 */
export function apiBase(p: Platform = platform()): string {
  return p === 'h5' ? '' : builtApiBase().replace(/\/$/, '');
}

/**
 * The wallet of this platform. H5 is the demo build: demo drivers are WeChat-like identities that pay
 * through the WeChat Pay sandbox.
 */
export function walletOf(p: Platform = platform()): Wallet {
  return p === 'alipay' ? 'alipay' : 'wechat';
}

/** A picture link from the API: relative ones are under the API's base. */
export function pictureUrl(u: string): string {
  return u.startsWith('/') ? apiBase() + u : u;
}
