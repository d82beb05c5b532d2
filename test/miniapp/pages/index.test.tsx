import { render, screen, fireEvent } from '@testing-library/react';
import Index from '../../../miniapp/src/pages/index/index';
import Taro, { resetTaroMock } from '../support/taro-mock';

beforeEach(() => {
  resetTaroMock();
  process.env.TARO_ENV = 'h5';
  window.history.replaceState(null, '', '/');
});

describe('home page', () => {
  it("shows the driver's shortcuts, with the last park for the park pages", () => {
    Taro.setStorageSync('parkpay.lastPark', 'p_demo_001');
    render(<Index />);
    expect(screen.getByText('ParkPay')).toBeTruthy();
    fireEvent.click(screen.getByText('停车缴费'));
    expect(Taro.navigateTo).toHaveBeenLastCalledWith({ url: '/packages/park/prepay/index?park=p_demo_001' });
    fireEvent.click(screen.getByText('缴费记录'));
    expect(Taro.navigateTo).toHaveBeenLastCalledWith({ url: '/packages/me/history/index' });
  });

  it('a lane code that landed here (WeChat q) goes on to the lane page', () => {
    Taro.useRouter.mockImplementation(() => ({ params: { q: encodeURIComponent('https://pp.example.com/q/p_demo_001/2'), scancode_time: '1764370000' } }));
    render(<Index />);
    expect(Taro.redirectTo).toHaveBeenCalledWith({ url: '/pages/lane/index?park=p_demo_001&lane=2' });
  });

  it('H5 served at a lane link /q/<park>/<lane> goes on to the lane page, once', () => {
    window.history.replaceState(null, '', '/q/p_demo_001/1');
    render(<Index />);
    expect(Taro.redirectTo).toHaveBeenCalledWith({ url: '/pages/lane/index?park=p_demo_001&lane=1' });
    expect(window.location.pathname).toBe('/');
  });
});
