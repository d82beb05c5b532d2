import { act, render, screen, within } from '@testing-library/react';
import OpAuditPage from '../../../miniapp/src/packages/op/audit/index';
import OpCarsPage from '../../../miniapp/src/packages/op/cars/index';
import OpLoginPage from '../../../miniapp/src/packages/op/login/index';
import OpParkPage from '../../../miniapp/src/packages/op/park/index';
import OpParksPage from '../../../miniapp/src/packages/op/parks/index';
import OpSettingsPage from '../../../miniapp/src/packages/op/settings/index';
import OpSpacesPage from '../../../miniapp/src/packages/op/spaces/index';
import { opSession } from '../../../miniapp/src/packages/op/services/session';
import { fakeApi } from '../support/http';
import Taro, { resetTaroMock } from '../support/taro-mock';
import { OP_TOKEN, opLoggedIn, opSessionAnswer, park } from './support';
import { see, tap, type } from '../support/ui';

// A whole console page rendered in jsdom takes seconds when the machine is busy.
jest.setTimeout(20_000);

beforeEach(() => {
  resetTaroMock();
  process.env.TARO_ENV = 'h5';
  Taro.useRouter.mockImplementation(() => ({ params: { park: 'p_demo_001' } }));
});

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

/** A dashboard as the server answers it (shared/api/op-dashboard.ts). */
function dashboard(over: { heartbeatAgeSeconds?: number | null; waiting?: number; totalFen?: number } = {}) {
  const age = over.heartbeatAgeSeconds === undefined ? 20 : over.heartbeatAgeSeconds;
  return {
    parkNumber: 'p_demo_001',
    at: '2026-11-28T07:00:00.000Z',
    today: { date: '2026-11-28', totalFen: over.totalFen ?? 1200, count: 3, refundedFen: 0, byChannel: { wechat: 800, alipay: 400 }, byKind: [{ kind: 'prepay', fen: 1200, count: 3 }] },
    lot: {
      heartbeatAt: age === null ? null : '2026-11-28T06:59:40.000Z',
      heartbeatAgeSeconds: age,
      silent: age === null || age > 120,
      spaceCount: 200,
      freeSpaceCount: 57,
      carsIn: 143,
      areas: [{ areaId: 1, name: '地面停车场', spaceCount: 120, freeSpaceCount: 40 }],
    },
    waitingForLot: { count: over.waiting ?? 0, oldestPaidAt: over.waiting ? '2026-11-28T06:55:00.000Z' : null, oldestAgeSeconds: over.waiting ? 300 : null },
    refundsInProgress: { count: 1, fen: 500 },
  };
}

describe('a park’s home', () => {
  afterEach(() => jest.useRealTimers());

  it('the dashboard: takings, cars and spaces, waiting payments, refunds, the heartbeat; the sections', async () => {
    opLoggedIn('operator');
    fakeApi({ 'GET /api/op/parks/p_demo_001': { data: park() }, 'GET /api/op/parks/p_demo_001/dashboard': { data: dashboard({ waiting: 2 }) } });
    render(<OpParkPage />);
    await see('¥12.00');
    expect(screen.getByText(/3 笔 · 微信 ¥8.00 · 支付宝 ¥4.00/)).toBeTruthy();
    expect(screen.getByText('143 / 57')).toBeTruthy();
    expect(screen.getByText(/共 200 个车位 · 地面停车场 空 40/)).toBeTruthy();
    expect(screen.getByText('最早一笔已等 5 分')).toBeTruthy();
    expect($('.op-stat-waiting').className).toContain('op-stat-alert');
    expect(screen.getByText('共 ¥5.00')).toBeTruthy();
    expect(screen.getByText('20 秒前')).toBeTruthy();
    expect($('.op-stat-heartbeat').className).not.toContain('op-stat-alert');
    await tap(screen.getByText('车场设置'));
    expect(Taro.navigateTo).toHaveBeenLastCalledWith({ url: '/packages/op/settings/index?park=p_demo_001' });
    await tap(screen.getByText('车道与二维码'));
    expect(Taro.navigateTo).toHaveBeenLastCalledWith({ url: '/packages/op/lanes/index?park=p_demo_001' });
  });

  it('updates itself while open: a lot gone silent turns red without a reload', async () => {
    jest.useFakeTimers();
    opLoggedIn('operator');
    const api = fakeApi({
      'GET /api/op/parks/p_demo_001': { data: park() },
      'GET /api/op/parks/p_demo_001/dashboard': [{ data: dashboard() }, { data: dashboard({ heartbeatAgeSeconds: 185, totalFen: 2000 }) }],
    });
    render(<OpParkPage />);
    await act(async () => {
      await jest.advanceTimersByTimeAsync(10);
    });
    expect(screen.getByText('车场在线')).toBeTruthy();
    await act(async () => {
      await jest.advanceTimersByTimeAsync(10_000);
    });
    expect(api.calls('GET /api/op/parks/p_demo_001/dashboard')).toHaveLength(2);
    expect(screen.getByText('3 分 5 秒前')).toBeTruthy();
    expect(screen.getByText(/车场超过 2 分钟没有消息/)).toBeTruthy();
    expect($('.op-stat-heartbeat').className).toContain('op-stat-alert');
    expect(screen.getByText('¥20.00')).toBeTruthy();
  });

  it('merchants get no dashboard, no settings and no lot sections', async () => {
    opLoggedIn('merchant');
    const api = fakeApi({ 'GET /api/op/parks/p_demo_001': { data: park() } });
    render(<OpParkPage />);
    await see('示例停车场');
    expect(screen.getByText('停车券')).toBeTruthy();
    expect(screen.queryByText('车场设置')).toBeNull();
    expect(screen.queryByText('车道与二维码')).toBeNull();
    expect(api.calls('GET /api/op/parks/p_demo_001/dashboard')).toHaveLength(0);
  });

  it('a park of someone else: forbidden_park', async () => {
    opLoggedIn('operator');
    fakeApi({
      'GET /api/op/parks/p_demo_001': { status: 403, data: { error: { code: 'forbidden_park', message: 'no' } } },
      'GET /api/op/parks/p_demo_001/dashboard': { status: 403, data: { error: { code: 'forbidden_park', message: 'no' } } },
    });
    render(<OpParkPage />);
    await see('没有这个车场的权限');
  });
});

describe('settings', () => {
  it('shows the values in effect — defaults marked — each with what it changes; saves only what changed', async () => {
    opLoggedIn('operator');
    const api = fakeApi({
      'GET /api/op/parks/p_demo_001': { data: park() },
      'POST /api/op/parks/p_demo_001': { data: park({ name: '示例停车场（东）', settings: { laneQrProvider: 'alipay', openGate: { blacklist: false } } }) },
    });
    render(<OpSettingsPage />);
    await see('车道屏付款码');
    // Nothing set: the defaults are selected and said to be defaults.
    expect(within($('.op-lane-qr')).getByText('微信支付').className).toContain('op-choice-on');
    expect(within($('.op-channel-policy')).getByText('钱到账才抬杆').className).toContain('op-choice-on');
    expect(within($('.op-gate-blacklist')).getByText('开启').className).toContain('op-choice-on');
    expect(screen.getAllByText('默认')).toHaveLength(6);
    expect(($('.op-max-per-deduction') as unknown as { value: string }).value).toBe('100.00');
    expect(screen.getByText('车主没有开通无感支付时，出口车道屏上显示哪家的付款码。')).toBeTruthy();
    // No section numbers in labels.
    expect(document.body.textContent).not.toMatch(/4\.\d{1,2}/);
    expect($('.op-bluecard-key')).toBeNull(); // admins only
    expect(screen.getByText('没有改动')).toBeTruthy();
    await type($('.op-park-name'), '示例停车场（东）');
    await tap(within($('.op-lane-qr')).getByText('支付宝'));
    await tap(within($('.op-gate-blacklist')).getByText('关闭'));
    await type($('.op-max-per-day'), '300');
    await tap(screen.getByText('保存设置'));
    expect(api.calls('POST /api/op/parks/p_demo_001')[0]!.body).toEqual({
      name: '示例停车场（东）',
      settings: { laneQrProvider: 'alipay', openGate: { blacklist: false }, withholding: { maxPerDayFen: 30_000 } },
    });
    await see('已保存');
  });

  it('the tariff and service information drivers read: edited, checked, saved field by field', async () => {
    opLoggedIn('operator');
    const api = fakeApi({
      'GET /api/op/parks/p_demo_001': { data: park({ settings: { service: { tariffText: '首小时 5 元', freeMinutes: 15 } } }) },
      'POST /api/op/parks/p_demo_001': { data: park({ settings: { service: { tariffText: '首小时 6 元', freeMinutes: null, paidFreeMinutes: 20, phone: '010-88886666' } } }) },
    });
    render(<OpSettingsPage />);
    await see('收费标准说明');
    expect(($('.op-free-minutes') as unknown as { value: string }).value).toBe('15');
    await type($('.op-free-minutes'), 'abc');
    await see('免费时长填 0 到 1440 的整数分钟，或留空');
    expect($('.op-save').getAttribute('disabled')).not.toBe('false');
    await type($('.op-free-minutes'), '');
    await type($('.op-tariff'), '首小时 6 元');
    await type($('.op-paid-free-minutes'), '20');
    await type($('.op-phone'), '010-88886666');
    await type($('.op-address'), '北'.repeat(201));
    await see('车场地址最多 200 个字');
    await type($('.op-address'), '  上海市黄浦区南京东路 1 号 ');
    await tap(screen.getByText('保存设置'));
    expect(api.calls('POST /api/op/parks/p_demo_001')[0]!.body).toEqual({
      settings: { service: { tariffText: '首小时 6 元', freeMinutes: null, paidFreeMinutes: 20, phone: '010-88886666', address: '上海市黄浦区南京东路 1 号' } },
    });
    await see('已保存');
  });

  it('admins also set the Bluecard URL and a new key (never shown)', async () => {
    opLoggedIn('admin');
    const api = fakeApi({ 'GET /api/op/parks/p_demo_001': { data: park() }, 'POST /api/op/parks/p_demo_001': { data: park() } });
    render(<OpSettingsPage />);
    await see('蓝卡密钥');
    expect(screen.getByText('已设置')).toBeTruthy();
    await type($('.op-bluecard-key'), 'new-key-123');
    await tap(screen.getByText('保存设置'));
    expect(api.calls('POST /api/op/parks/p_demo_001')[0]!.body).toEqual({ key: 'new-key-123' });
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

  it('the audit log: one sentence per entry (its machine fields in the detail view), paged back with `next`', async () => {
    opLoggedIn();
    const entry = (i: number) => ({
      at: `2026-11-28T0${i}:00:00.000Z`,
      operatorId: 'op_1',
      username: 'demo-admin',
      displayName: '演示管理员',
      action: 'POST /api/op/parks/:parkNumber/lanes/:passagewayId/lift',
      parkNumber: 'p_demo_001',
      facts: { passagewayId: String(i), laneName: `车道${i}`, reason: '访客放行' },
      target: null,
      result: i === 1 ? 'error' : 'ok',
      code: i === 1 ? 'lot_unreachable' : null,
    });
    const api = fakeApi({
      'GET /api/op/audit': [{ data: { entries: [entry(3), entry(2)], next: '2026-11-28T02:00:00.000Z' } }, { data: { entries: [entry(1)], next: null } }],
    });
    render(<OpAuditPage />);
    await see('演示管理员 远程抬起了「车道3」的道闸（原因：访客放行）');
    expect(api.calls('GET /api/op/audit')[0]!.url).toMatch(/parkNumber=p_demo_001/);
    // The route is not on the page until the detail view opens.
    expect(document.body.textContent).not.toContain('/api/op/');
    await tap(screen.getAllByText('详情')[0]!);
    expect(screen.getByText('POST /api/op/parks/:parkNumber/lanes/:passagewayId/lift')).toBeTruthy();
    await tap(screen.getByText('收起'));
    await tap(screen.getByText('更早的记录'));
    await see('演示管理员 尝试远程抬起「车道1」的道闸（原因：访客放行），未成功：车场系统暂时连不上');
    expect(api.calls('GET /api/op/audit')[1]!.url).toMatch(/before=2026-11-28T02%3A00%3A00.000Z/);
    expect(screen.getByText('未成功')).toBeTruthy();
    expect(screen.queryByText('更早的记录')).toBeNull();
  });
});
