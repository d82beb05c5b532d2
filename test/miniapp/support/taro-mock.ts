// @tarojs/taro for jsdom unit tests: the APIs the app calls, as jest functions tests can drive.
// Storage is a real in-memory map; resetTaroMock() clears it and every mock between tests.
const storage = new Map<string, unknown>();

const Taro = {
  request: jest.fn(),
  login: jest.fn(),
  requestPayment: jest.fn(),
  navigateTo: jest.fn(() => Promise.resolve()),
  redirectTo: jest.fn(() => Promise.resolve()),
  reLaunch: jest.fn(() => Promise.resolve()),
  showToast: jest.fn(),
  vibrateShort: jest.fn(() => Promise.resolve()),
  makePhoneCall: jest.fn(() => Promise.resolve()),
  setClipboardData: jest.fn(() => Promise.resolve()),
  getStorageSync: jest.fn((key: string) => (storage.has(key) ? storage.get(key) : '')),
  setStorageSync: jest.fn((key: string, value: unknown) => void storage.set(key, value)),
  removeStorageSync: jest.fn((key: string) => void storage.delete(key)),
  useRouter: jest.fn(() => ({ params: {} as Record<string, string> })),
  useLoad: jest.fn(),
  useDidShow: jest.fn(),
  useLaunch: jest.fn(),
  getEnv: jest.fn(() => 'WEB'),
  ENV_TYPE: { WEAPP: 'WEAPP', ALIPAY: 'ALIPAY', WEB: 'WEB' },
};

export function resetTaroMock(): void {
  storage.clear();
  for (const v of Object.values(Taro)) if (typeof v === 'function' && 'mockClear' in v) (v as jest.Mock).mockClear();
  Taro.request.mockReset();
  Taro.login.mockReset();
  Taro.requestPayment.mockReset();
  Taro.useRouter.mockImplementation(() => ({ params: {} }));
}

export default Taro;
export const { request, navigateTo, redirectTo, reLaunch, showToast, useRouter, useLoad, useDidShow, useLaunch } = Taro;
