/** Every page of the app (main package: home, lane, pay; subpackages: the less used ones). */
import Taro from '@tarojs/taro';

export const PAGES = {
  home: '/pages/index/index',
  lane: '/pages/lane/index',
  pay: '/pages/pay/index',
  prepay: '/packages/park/prepay/index',
  park: '/packages/park/park/index',
  parks: '/packages/park/list/index',
  findcar: '/packages/park/findcar/index',
  pass: '/packages/park/pass/index',
  plates: '/packages/me/plates/index',
  parking: '/packages/me/parking/index',
  history: '/packages/me/history/index',
  receipt: '/packages/me/receipt/index',
  agreements: '/packages/me/agreements/index',
  invoice: '/packages/me/invoice/index',
  messages: '/packages/me/messages/index',
  offers: '/packages/book/offers/index',
  bookings: '/packages/book/mine/index',
} as const;
export type PageName = keyof typeof PAGES;

export function pageUrl(page: PageName, params: Record<string, string | undefined> = {}): string {
  const q = Object.entries(params)
    .filter((e): e is [string, string] => e[1] !== undefined && e[1] !== '')
    .map(([k, v]) => `${encodeURIComponent(k)}=${encodeURIComponent(v)}`)
    .join('&');
  return q ? `${PAGES[page]}?${q}` : PAGES[page];
}

export function go(page: PageName, params?: Record<string, string | undefined>): void {
  void Taro.navigateTo({ url: pageUrl(page, params) });
}

/** Router params arrive encoded on some platforms: decode once, safely. */
export function param(params: Partial<Record<string, string>>, key: string): string | undefined {
  const v = params[key];
  if (v === undefined || v === '') return undefined;
  try {
    return decodeURIComponent(v);
  } catch {
    return v;
  }
}
