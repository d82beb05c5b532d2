import { act, fireEvent, render, screen, within } from '@testing-library/react';
import OpAuditPage from '../../../miniapp/src/packages/op/audit/index';
import OpCarsPage from '../../../miniapp/src/packages/op/cars/index';
import OpLoginPage from '../../../miniapp/src/packages/op/login/index';
import OpParkPage from '../../../miniapp/src/packages/op/park/index';
import OpParksPage from '../../../miniapp/src/packages/op/parks/index';
import OpSpacesPage from '../../../miniapp/src/packages/op/spaces/index';
import { opSession } from '../../../miniapp/src/packages/op/services/session';
import { fakeApi } from '../support/http';
import Taro, { resetTaroMock } from '../support/taro-mock';
import { OP_TOKEN, opLoggedIn, opSessionAnswer, park } from './support';

beforeEach(() => {
  resetTaroMock();
  process.env.TARO_ENV = 'h5';
  Taro.useRouter.mockImplementation(() => ({ params: { park: 'p_demo_001' } }));
});

const see = (t: string | RegExp) => screen.findByText(t, undefined, { timeout: 2000 });
async function tap(el: Element) {
  await act(async () => {
    fireEvent.click(el);
  });
}
async function type(el: Element, value: string) {
  await act(async () => {
    fireEvent(el, new CustomEvent('input', { detail: { value } }));
  });
}
const $ = (sel: string) => document.querySelector<HTMLElement>(sel)!;

describe('login', () => {
  it('logs in with username and password, keeps the session, goes on to the parks', async () => {
    const api = fakeApi({ 'POST /api/op/auth/login': { data: opSessionAnswer('admin', 'op-new') } });
    render(<OpLoginPage />);
    await type($('.op-username'), 'demo-admin');
    await type($('.op-password'), 'parkpay-demo-2026');
    await tap(screen.getByText('登录'));
    expect(api.calls('POST /api/op/auth/login')[0]!.body).toEqual({ username: 'demo-admin', password: 'parkpay-demo-2026' });
    expect(opSession()?.token).toBe('op-new');
    expect(Taro.redirectTo).toHaveBeenCalledWith({ url: '/packages/op/parks/index' });
    expect(screen.getByText(/演示管理员 · 平台管理员/)).toBeTruthy();
  });

  it('a wrong password or a locked account: said, nothing kept', async () => {
    fakeApi({
      'POST /api/op/auth/login': [
        { status: 401, data: { error: { code: 'invalid_credentials', message: 'wrong' } } },
        { status: 429, data: { error: { code: 'login_locked', message: 'locked', details: { retryAfterSeconds: 900 } } } },
      ],
    });
    render(<OpLoginPage />);
    await type($('.op-username'), 'demo-admin');
    await type($('.op-password'), 'nope');
    await tap(screen.getByText('登录'));
    await see('用户名或密码不对');
    await tap(screen.getByText('登录'));
    await see('密码错误次数太多，账号暂时锁定');
    expect(opSession()).toBeUndefined();
    expect(Taro.redirectTo).not.toHaveBeenCalled();
  });

  it('already logged in: straight on to the parks', async () => {
    opLoggedIn();
    fakeApi({});
    render(<OpLoginPage />);
    expect(Taro.redirectTo).toHaveBeenCalledWith({ url: '/packages/op/parks/index' });
  });
});

describe('parks', () => {
  it('lists the parks; a park opens its page; logout ends the session and returns to the login', async () => {
    opLoggedIn();
    const api = fakeApi({
      'GET /api/op/parks': { data: { parks: [park(), park({ parkNumber: 'p_two', name: null, hasKey: false })] } },
      'POST /api/op/auth/logout': { data: { ok: true } },
    });
    render(<OpParksPage />);
    await see('示例停车场');
    expect(within(document.getElementById('park-p_two')!).getByText(/未设置蓝卡密钥/)).toBeTruthy();
    await tap(screen.getByText('示例停车场'));
    expect(Taro.navigateTo).toHaveBeenLastCalledWith({ url: '/packages/op/park/index?park=p_demo_001' });
    await tap(screen.getByText('退出登录'));
    expect(api.calls('POST /api/op/auth/logout')[0]!.header.authorization).toBe(`Bearer ${OP_TOKEN}`);
    expect(opSession()).toBeUndefined();
    expect(Taro.reLaunch).toHaveBeenCalledWith({ url: '/packages/op/login/index' });
  });

  it('not logged in (or the session ended): asks to log in', async () => {
    fakeApi({});
    render(<OpParksPage />);
    await see('请重新登录');
    await tap(screen.getByText('去登录'));
    expect(Taro.reLaunch).toHaveBeenCalledWith({ url: '/packages/op/login/index' });
  });
});

describe('a park and its settings', () => {
  it('shows what there is to do and saves only the settings changed', async () => {
    opLoggedIn('operator');
    const api = fakeApi({
      'GET /api/op/parks/p_demo_001': { data: park({ settings: { laneQrProvider: 'wechat' } }) },
      'POST /api/op/parks/p_demo_001': { data: park({ name: '示例停车场（东）', settings: { laneQrProvider: 'alipay', openGate: { blacklist: false } } }) },
    });
    render(<OpParkPage />);
    await see('车道与二维码');
    await tap(screen.getByText('车道与二维码'));
    expect(Taro.navigateTo).toHaveBeenLastCalledWith({ url: '/packages/op/lanes/index?park=p_demo_001' });
    await see('车场设置');
    expect($('.op-bluecard-key')).toBeNull(); // admins only
    await type($('.op-park-name'), '示例停车场（东）');
    await tap(within($('.op-lane-qr')).getByText('支付宝'));
    await tap(within($('.op-gate-blacklist')).getByText('关闭'));
    await tap(screen.getByText('保存设置'));
    expect(api.calls('POST /api/op/parks/p_demo_001')[0]!.body).toEqual({ name: '示例停车场（东）', settings: { laneQrProvider: 'alipay', openGate: { blacklist: false } } });
    await see('已保存');
  });

  it('merchants get no settings and no lot sections', async () => {
    opLoggedIn('merchant');
    fakeApi({ 'GET /api/op/parks/p_demo_001': { data: park() } });
    render(<OpParkPage />);
    await see('示例停车场');
    expect(screen.queryByText('车场设置')).toBeNull();
    expect(screen.queryByText('车道与二维码')).toBeNull();
  });

  it('a park of someone else: forbidden_park', async () => {
    opLoggedIn('operator');
    fakeApi({ 'GET /api/op/parks/p_demo_001': { status: 403, data: { error: { code: 'forbidden_park', message: 'no' } } } });
    render(<OpParkPage />);
    await see('没有这个车场的权限');
  });
});

describe('spaces, cars, audit', () => {
  it('spaces by layer, taken ones with the plate', async () => {
    opLoggedIn();
    fakeApi({
      'GET /api/op/parks/p_demo_001/spaces': {
        data: {
          total: 3, occupied: 1, free: 2, fetchedAt: '2026-11-28T02:00:00.000Z',
          layers: [{ layerId: 'L1', layerName: '地下一层', total: 3, occupied: 1, free: 2, spaces: [
            { spaceId: 'B001', occupied: true, plate: '京A12345', carType: '小车' },
            { spaceId: 'B002', occupied: false, plate: '', carType: '' },
            { spaceId: 'B003', occupied: false, plate: '', carType: '' },
          ] }],
        },
      },
    });
    render(<OpSpacesPage />);
    await see('地下一层 · 空 2 / 3');
    expect(screen.getByText(/京A12345/)).toBeTruthy();
    expect(document.querySelectorAll('.op-space-busy')).toHaveLength(1);
  });

  it('find a car: its space and its stays, then a stay’s pictures', async () => {
    opLoggedIn();
    const stay = { orderId: 'o_1', plate: '京A12345', status: 'in', inTime: '2026-11-28T01:00:00.000Z', outTime: null, inChannel: '东门入口', outChannel: null, inImage: 'in.jpg', outImage: null, chargeFen: null };
    const api = fakeApi({
      'GET /api/op/parks/p_demo_001/find-car': { data: { cars: [{ layerId: 'L1', layerName: '地下一层', spaceId: 'B001', plate: '京A12345', carType: '小车', imageUrl: null, x: null, y: null }] } },
      'GET /api/op/parks/p_demo_001/stays': { data: { stays: [stay] } },
      'GET /api/op/parks/p_demo_001/stays/o_1/pictures': { data: { stay, pictures: [{ kind: 'entry', imageName: 'in.jpg', url: '/api/pictures/x?sig=1', source: 'stored' }], lotError: null } },
    });
    render(<OpCarsPage />);
    await type($('.op-plate'), '2345');
    await tap(screen.getByText('查询'));
    await see('京A12345 · 地下一层 B001 号车位');
    expect(api.calls('GET /api/op/parks/p_demo_001/find-car')[0]!.url).toMatch(/plate=2345$/);
    await see(/入场 2026-11-28 09:00（东门入口）/);
    await tap(screen.getByText('查看照片'));
    await see('入场照片（本系统保存）');
    expect(document.querySelector('.op-picture')!.getAttribute('src')).toBe('/api/pictures/x?sig=1');
  });

  it('the audit log pages back with `next`', async () => {
    opLoggedIn();
    const entry = (i: number) => ({ at: `2026-11-28T0${i}:00:00.000Z`, operatorId: 'op_1', username: 'demo-admin', action: 'POST /api/op/parks/:parkNumber/lanes/:passagewayId/lift', parkNumber: 'p_demo_001', target: `barrier lift, lane ${i}`, result: i === 1 ? 'error' : 'ok', code: i === 1 ? 'lot_unreachable' : null });
    const api = fakeApi({
      'GET /api/op/audit': [{ data: { entries: [entry(3), entry(2)], next: '2026-11-28T02:00:00.000Z' } }, { data: { entries: [entry(1)], next: null } }],
    });
    render(<OpAuditPage />);
    await see(/barrier lift, lane 3/);
    expect(api.calls('GET /api/op/audit')[0]!.url).toMatch(/parkNumber=p_demo_001/);
    await tap(screen.getByText('更早的记录'));
    await see(/barrier lift, lane 1/);
    expect(api.calls('GET /api/op/audit')[1]!.url).toMatch(/before=2026-11-28T02%3A00%3A00.000Z/);
    expect(screen.getByText('失败 lot_unreachable')).toBeTruthy();
    expect(screen.queryByText('更早的记录')).toBeNull();
  });
});
