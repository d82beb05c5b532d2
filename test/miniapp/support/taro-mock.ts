// @tarojs/taro for jsdom unit tests: the APIs the app calls, as jest functions tests can drive.
const Taro = {
  request: jest.fn(),
  navigateTo: jest.fn(),
  redirectTo: jest.fn(),
  showToast: jest.fn(),
  getStorageSync: jest.fn(),
  setStorageSync: jest.fn(),
  useRouter: jest.fn(() => ({ params: {} })),
  useLoad: jest.fn(),
  useDidShow: jest.fn(),
  getEnv: jest.fn(() => 'WEB'),
  ENV_TYPE: { WEAPP: 'WEAPP', ALIPAY: 'ALIPAY', WEB: 'WEB' },
};
export default Taro;
export const { request, navigateTo, redirectTo, showToast, useRouter, useLoad, useDidShow } = Taro;
