import { act, fireEvent, render, screen, within } from '@testing-library/react';
import AgreementsPage from '../../../miniapp/src/packages/me/agreements/index';
import { browser } from '../../../miniapp/src/packages/me/agreements/signup';
import { fakeApi, loggedIn } from '../support/http';
import Taro, { resetTaroMock } from '../support/taro-mock';

/** Not in the shared Taro mock: the WeChat-only navigation to another mini-program. */
const navigateToMiniProgram = jest.fn((_o: unknown) => Promise.resolve({ errMsg: 'navigateToMiniProgram:ok' }));
(Taro as unknown as Record<string, unknown>).navigateToMiniProgram = navigateToMiniProgram;
let shown: (() => void) | undefined;
const opened: string[] = [];

beforeEach(() => {
  resetTaroMock();
  navigateToMiniProgram.mockClear();
  Taro.useDidShow.mockImplementation((cb: () => void) => void (shown = cb));
  shown = undefined;
  opened.length = 0;
  jest.spyOn(browser, 'open').mockImplementation((url: string) => void opened.push(url));
  process.env.TARO_ENV = 'h5';
  loggedIn();
});
afterEach(() => {
  delete (globalThis as { my?: unknown }).my;
});

const agreement = (o: Partial<{ id: string; plate: string; provider: 'wechat' | 'alipay'; state: string; reason: string | null }>) => ({
  id: 'agr_1',
  plate: '京A12345',
  plateKey: '京A12345',
  provider: 'wechat',
  state: 'signing',
  signedAt: null,
  endedAt: null,
  checkedAt: null,
  reason: null,
  scope: { kind: 'all' },
  ...o,
});
const plates = (list: unknown[], offered = ['wechat', 'alipay']) => ({ data: { plates: list, offered } });
const see = (t: string | RegExp) => screen.findByText(t);
const row = (plate: string, provider: 'wechat' | 'alipay') => document.getElementById(`agreement-${plate}:${provider}`)!;
async function tap(container: HTMLElement, text: string) {
  await act(async () => {
    fireEvent.click(within(container).getByText(text));
  });
}

describe('the agreements page', () => {
  it("H5: each plate's agreement per provider; sign up opens the sandbox page, then confirm shows it active", async () => {
    const signing = agreement({ id: 'agr_w', provider: 'wechat', state: 'signing' });
    const api = fakeApi({
      'GET /api/me/agreements': plates([
        { plate: '京A12345', plateKey: '京A12345', bound: true, agreements: [agreement({ id: 'agr_a', provider: 'alipay', state: 'active', signedAt: '2026-11-20T02:00:00.000Z' } as never)] },
      ]),
      'POST /api/me/agreements': { data: { agreement: signing, signup: { provider: 'wechat', navigate: { appId: 'wxp', path: 'pages/x', extraData: { plate: '京A12345' } }, h5Url: 'http://127.0.0.1:8082/__sandbox/parking/sign?x=1' } } },
      'POST /api/me/agreements/agr_w/confirm': { data: { agreement: { ...signing, state: 'active', signedAt: '2026-11-28T02:00:00.000Z' } } },
    });
    render(<AgreementsPage />);
    await see('京A12345');
    expect(within(row('京A12345', 'alipay')).getByText('已开通')).toBeTruthy();
    expect(within(row('京A12345', 'alipay')).getByText(/开通于 2026-11-20 10:00/)).toBeTruthy();
    expect(within(row('京A12345', 'wechat')).getByText('未开通')).toBeTruthy();

    await tap(row('京A12345', 'wechat'), '开通（所有停车场）');
    expect(api.calls('POST /api/me/agreements')[0]!.body).toEqual({ plateKey: '京A12345', provider: 'wechat', scope: { kind: 'all' }, returnUrl: window.location.href });
    expect(opened).toEqual(['http://127.0.0.1:8082/__sandbox/parking/sign?x=1']);
    expect(within(row('京A12345', 'wechat')).getByText('签约中')).toBeTruthy();

    await tap(row('京A12345', 'wechat'), '我已完成签约');
    await see('京A12345 已开通微信支付无感支付');
    expect(within(row('京A12345', 'wechat')).getByText('已开通')).toBeTruthy();
  });

  it('WeChat mini-program: navigates to the parking service with its extraData; coming back confirms by itself', async () => {
    process.env.TARO_ENV = 'weapp';
    const signing = agreement({ id: 'agr_w2', plate: '沪C22222', provider: 'wechat', state: 'signing' });
    const api = fakeApi({
      'GET /api/me/agreements': plates([{ plate: '沪C22222', plateKey: '沪C22222', bound: true, agreements: [] }], ['wechat']),
      'POST /api/me/agreements': { data: { agreement: { ...signing, plateKey: '沪C22222' }, signup: { provider: 'wechat', navigate: { appId: 'wxbcad394b3d99dac9', path: 'pages/auth-creditpay/auth-creditpay', extraData: { mch_id: '1230000109', plate_number: '沪C22222' } }, h5Url: null } } },
      'POST /api/me/agreements/agr_w2/confirm': { data: { agreement: { ...signing, plateKey: '沪C22222', state: 'active' } } },
    });
    render(<AgreementsPage />);
    await see('沪C22222');
    expect(screen.queryByText('支付宝')).toBeNull(); // only what is offered
    await tap(row('沪C22222', 'wechat'), '开通（所有停车场）');
    expect(api.calls('POST /api/me/agreements')[0]!.body).toEqual({ plateKey: '沪C22222', provider: 'wechat', scope: { kind: 'all' } });
    expect(navigateToMiniProgram).toHaveBeenCalledWith({ appId: 'wxbcad394b3d99dac9', path: 'pages/auth-creditpay/auth-creditpay', extraData: { mch_id: '1230000109', plate_number: '沪C22222' } });
    expect(opened).toEqual([]);
    await act(async () => shown!());
    await see('沪C22222 已开通微信支付无感支付');
    expect(api.calls('POST /api/me/agreements/agr_w2/confirm')).toHaveLength(1);
  });

  it('Alipay mini-program: opens the sign URL with my.ap.navigateToAlipayPage', async () => {
    process.env.TARO_ENV = 'alipay';
    const navigateToAlipayPage = jest.fn((o: { path: string; success?: () => void }) => o.success?.());
    (globalThis as { my?: unknown }).my = { ap: { navigateToAlipayPage } };
    fakeApi({
      'GET /api/me/agreements': plates([{ plate: '粤B33333', plateKey: '粤B33333', bound: true, agreements: [] }], ['alipay']),
      'POST /api/me/agreements': { data: { agreement: agreement({ id: 'agr_p', plate: '粤B33333', provider: 'alipay' }), signup: { provider: 'alipay', signUrl: 'https://openapi.alipay.com/gateway.do?method=alipay.user.agreement.page.sign' } } },
    });
    render(<AgreementsPage />);
    await see('粤B33333');
    await tap(row('粤B33333', 'alipay'), '开通（所有停车场）');
    expect(navigateToAlipayPage).toHaveBeenCalledWith(expect.objectContaining({ path: 'https://openapi.alipay.com/gateway.do?method=alipay.user.agreement.page.sign' }));
  });

  it('end: Alipay ends here; WeChat says where to end it in WeChat', async () => {
    fakeApi({
      'GET /api/me/agreements': plates([
        {
          plate: '京A12345',
          plateKey: '京A12345',
          bound: true,
          agreements: [agreement({ id: 'agr_a', provider: 'alipay', state: 'active' }), agreement({ id: 'agr_w', provider: 'wechat', state: 'active' })],
        },
      ]),
      'POST /api/me/agreements/agr_a/end': { data: { agreement: agreement({ id: 'agr_a', provider: 'alipay', state: 'ended', reason: 'ended_by_driver' }) } },
      'POST /api/me/agreements/agr_w/end': { status: 409, data: { error: { code: 'end_with_provider', message: 'WeChat Pay lets only you end this service. 请在微信中解约：我 → 服务 → 钱包' } } },
    });
    render(<AgreementsPage />);
    await see('京A12345');
    await tap(row('京A12345', 'alipay'), '解约');
    await see('京A12345 已解约');
    expect(within(row('京A12345', 'alipay')).getByText('已解约')).toBeTruthy();
    expect(within(row('京A12345', 'alipay')).getByText('开通（所有停车场）')).toBeTruthy(); // may sign up again
    await tap(row('京A12345', 'wechat'), '解约');
    await see('请在微信中解约');
    expect(screen.getByText(/我 → 服务 → 钱包/)).toBeTruthy();
    expect(within(row('京A12345', 'wechat')).getByText('已开通')).toBeTruthy();
  });

  it('no plates yet: a way to bind one; a plate unbound with a live agreement is shown to end it', async () => {
    fakeApi({ 'GET /api/me/agreements': plates([]) });
    const { unmount } = render(<AgreementsPage />);
    await see('还没有绑定车牌');
    await act(async () => {
      fireEvent.click(screen.getByText('去绑定车牌'));
    });
    expect(Taro.navigateTo).toHaveBeenLastCalledWith({ url: '/packages/me/plates/index' });
    unmount();

    fakeApi({ 'GET /api/me/agreements': plates([{ plate: '苏E44444', plateKey: '苏E44444', bound: false, agreements: [agreement({ id: 'agr_x', plate: '苏E44444', provider: 'alipay', state: 'active' })] }]) });
    render(<AgreementsPage />);
    await see('苏E44444');
    expect(screen.getByText(/已解绑/)).toBeTruthy();
    expect(within(row('苏E44444', 'alipay')).getByText('解约')).toBeTruthy();
    expect(within(row('苏E44444', 'wechat')).queryByText('开通（所有停车场）')).toBeNull();
  });

  it('at a park: the sign-up is limited to it or covers all parks, as the driver chooses; the scope is shown', async () => {
    Taro.useRouter.mockImplementation(() => ({ params: { park: 'p_demo_001' } }));
    const signing = agreement({ id: 'agr_p', provider: 'alipay', state: 'signing', scope: { kind: 'park', parkNumber: 'p_demo_001', parkName: '示例停车场' } } as never);
    const api = fakeApi({
      'GET /api/parks/p_demo_001': { data: { parkNumber: 'p_demo_001', name: '示例停车场', service: { tariffText: null, freeMinutes: null, paidFreeMinutes: null, phone: null, address: null }, spaces: null, areas: [], lanes: [] } },
      'GET /api/me/agreements': plates([{ plate: '京A12345', plateKey: '京A12345', bound: true, agreements: [agreement({ id: 'agr_w', provider: 'wechat', state: 'active' })] }]),
      'POST /api/me/agreements': { data: { agreement: signing, signup: { provider: 'alipay', signUrl: 'http://127.0.0.1:8083/sign?x=1' } } },
    });
    render(<AgreementsPage />);
    await see('京A12345');
    expect(within(row('京A12345', 'wechat')).getByText(/适用：所有停车场/)).toBeTruthy();
    await screen.findAllByText('仅在示例停车场开通');
    expect(within(row('京A12345', 'alipay')).getByText('所有停车场开通')).toBeTruthy();
    await tap(row('京A12345', 'alipay'), '仅在示例停车场开通');
    expect(api.calls('POST /api/me/agreements')[0]!.body).toMatchObject({ plateKey: '京A12345', provider: 'alipay', scope: { kind: 'park', parkNumber: 'p_demo_001' } });
    expect(within(row('京A12345', 'alipay')).getByText(/适用：仅限 示例停车场/)).toBeTruthy();
  });

  it('a refusal says what to do', async () => {
    fakeApi({
      'GET /api/me/agreements': plates([{ plate: '京A12345', plateKey: '京A12345', bound: true, agreements: [] }]),
      'POST /api/me/agreements': { status: 409, data: { error: { code: 'wallet_not_linked', message: 'log in with WeChat' } } },
    });
    render(<AgreementsPage />);
    await see('京A12345');
    await tap(row('京A12345', 'wechat'), '开通（所有停车场）');
    await see('请用微信登录后再开通微信无感支付');
    expect(opened).toEqual([]);
  });
});
