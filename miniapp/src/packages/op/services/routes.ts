/** The operator pages (subpackage packages/op: loaded only when an operator opens them). */
import Taro from '@tarojs/taro';

export const OP_PAGES = {
  login: '/packages/op/login/index',
  parks: '/packages/op/parks/index',
  park: '/packages/op/park/index',
  settings: '/packages/op/settings/index',
  lanes: '/packages/op/lanes/index',
  spaces: '/packages/op/spaces/index',
  cars: '/packages/op/cars/index',
  audit: '/packages/op/audit/index',
  coupons: '/packages/op/coupons/index',
  lists: '/packages/op/lists/index',
  bookings: '/packages/op/bookings/index',
  passes: '/packages/op/passes/index',
  reconcile: '/packages/op/reconcile/index',
  accounts: '/packages/op/accounts/index',
  invoices: '/packages/op/invoices/index',
} as const;
export type OpPageName = keyof typeof OP_PAGES;

export function opPageUrl(page: OpPageName, params: Record<string, string | undefined> = {}): string {
  const q = Object.entries(params)
    .filter((e): e is [string, string] => e[1] !== undefined && e[1] !== '')
    .map(([k, v]) => `${encodeURIComponent(k)}=${encodeURIComponent(v)}`)
    .join('&');
  return q ? `${OP_PAGES[page]}?${q}` : OP_PAGES[page];
}

export function goOp(page: OpPageName, params?: Record<string, string | undefined>): void {
  void Taro.navigateTo({ url: opPageUrl(page, params) });
}

/** To the login page, leaving the page stack (after logout, or when the session ended). */
export function toLogin(): void {
  void Taro.reLaunch({ url: OP_PAGES.login });
}
