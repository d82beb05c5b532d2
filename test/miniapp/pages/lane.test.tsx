import { act, fireEvent, render, screen } from '@testing-library/react';
import LanePage from '../../../miniapp/src/pages/lane/index';
import { fakeApi, loggedIn } from '../support/http';
import Taro, { resetTaroMock } from '../support/taro-mock';

const park = {
  parkNumber: 'p_demo_001',
  name: '示例停车场',
  service: { tariffText: '停车 15 分钟内免费；超过后每小时 2 元', freeMinutes: 15, paidFreeMinutes: 15, phone: '010-6555 0100', address: '北京市朝阳区示例路 1 号' },
  spaces: { total: 200, free: 187, updatedAt: '2026-11-28T10:00:00.000Z' },
  areas: [{ name: '地面停车场', total: 120, free: 110 }],
  lanes: [
    { passagewayId: '1', name: '东门入口', direction: 'in' },
    { passagewayId: '2', name: '东门出口', direction: 'out' },
  ],
};

beforeEach(() => {
  resetTaroMock();
  process.env.TARO_ENV = 'h5';
  window.history.replaceState(null, '', '/');
  loggedIn();
});

const at = (params: Record<string, string>) => Taro.useRouter.mockImplementation(() => ({ params }));
const see = (t: string | RegExp) => screen.findByText(t);
async function click(t: string) {
  await act(async () => {
    fireEvent.click(screen.getByText(t));
  });
}

describe('the lane page', () => {
  it('entry lane: park and lane, then "no plate" in one tap → the temporary plate and entry time, remembered', async () => {
    at({ q: encodeURIComponent('https://pp.example.com/q/p_demo_001/1'), scancode_time: '1764324000' });
    const api = fakeApi({
      'GET /api/parks/p_demo_001': { data: park },
      'POST /api/unlicensed/entry': { data: { parkNumber: 'p_demo_001', plate: '临A00001', inTime: '2026-11-28 18:00:05', inImage: '' } },
    });
    render(<LanePage />);
    await see('示例停车场');
    expect(screen.getByText('东门入口 · 入口')).toBeTruthy();
    expect(screen.getByText('空余车位 187')).toBeTruthy();
    await click('我没有车牌，无牌车入场');
    await see('入场成功，道闸正在抬起');
    expect(screen.getByText('临A00001')).toBeTruthy();
    expect(screen.getByText('2026-11-28 18:00')).toBeTruthy();
    expect(api.calls('POST /api/unlicensed/entry')[0]!.body).toEqual({ parkNumber: 'p_demo_001', passagewayId: '1', wallet: 'wechat' });
    expect(Taro.getStorageSync('parkpay.unlicensedEntries')).toEqual([{ parkNumber: 'p_demo_001', parkName: '示例停车场', plate: '临A00001', inTime: '2026-11-28 18:00:05' }]);
    expect(Taro.getStorageSync('parkpay.lastPark')).toBe('p_demo_001');
  });

  it('entry lane, the lot unreachable: says so and offers a retry', async () => {
    at({ park: 'p_demo_001', lane: '1' });
    fakeApi({
      'GET /api/parks/p_demo_001': { data: park },
      'POST /api/unlicensed/entry': [{ status: 503, data: { error: { code: 'lot_unreachable', message: 'down' } } }, { data: { parkNumber: 'p_demo_001', plate: '临A00002', inTime: '2026-11-28 18:01:00', inImage: '' } }],
    });
    render(<LanePage />);
    await see('示例停车场');
    await click('我没有车牌，无牌车入场');
    await see('车场系统暂时连不上');
    await click('重试');
    await see('临A00002');
  });

  it('exit lane: an unlicensed car goes to its fee; a plated car picks a bound plate', async () => {
    at({ park: 'p_demo_001', lane: '2' });
    fakeApi({
      'GET /api/parks/p_demo_001': { data: park },
      'GET /api/me/plates': { data: { plates: [{ plate: '京A12345', plateKey: '京A12345', boundAt: '2026-11-01T00:00:00.000Z' }] } },
    });
    render(<LanePage />);
    await see('东门出口 · 出口');
    await click('我没有车牌，无牌车出场缴费');
    expect(Taro.navigateTo).toHaveBeenLastCalledWith({ url: '/pages/pay/index?kind=unlicensed&park=p_demo_001&lane=2' });
    await see('京A12345');
    await click('京A12345');
    expect(Taro.navigateTo).toHaveBeenLastCalledWith({ url: `/pages/pay/index?kind=prepay&park=p_demo_001&plate=${encodeURIComponent('京A12345')}` });
  });

  it('a damaged code, an unknown park, an unknown lane: clear screens', async () => {
    at({ q: encodeURIComponent('https://elsewhere.example.com/x') });
    const { unmount } = render(<LanePage />);
    expect(screen.getByText('无法识别这个二维码')).toBeTruthy();
    unmount();

    at({ park: 'p_gone', lane: '1' });
    fakeApi({ 'GET /api/parks/p_gone': { status: 404, data: { error: { code: 'park_unknown', message: 'no' } } }, 'GET /api/parks/p_demo_001': { data: park } });
    const second = render(<LanePage />);
    await see('未知的停车场');
    expect(screen.queryByText('重试')).toBeNull();
    second.unmount();

    at({ park: 'p_demo_001', lane: '9' });
    render(<LanePage />);
    await see('未知的车道');
  });

  it('the network lost while loading the park: says so, retry works', async () => {
    at({ park: 'p_demo_001', lane: '1' });
    fakeApi({ 'GET /api/parks/p_demo_001': ['network', { data: park }] });
    render(<LanePage />);
    await see('网络已断开');
    await click('重试');
    await see('东门入口 · 入口');
  });
});
