import { authEndpoints } from '../../../shared/api/auth';
import { meEndpoints } from '../../../shared/api/me';
import { orderEndpoints } from '../../../shared/api/orders';
import { parkEndpoints } from '../../../shared/api/parks';
import { ApiError, call, sessionToken, setDemoName } from '../../../miniapp/src/services/api';
import { fakeApi, loggedIn, session } from '../support/http';
import Taro, { resetTaroMock } from '../support/taro-mock';

const driver = session().driver;
const g = globalThis as { API_BASE?: string; my?: unknown };

beforeEach(() => {
  resetTaroMock();
  process.env.TARO_ENV = 'h5';
  delete g.API_BASE;
  delete g.my;
});

describe('call(): the one request wrapper', () => {
  it('sends the stored session token as a bearer header to a same-origin URL (H5)', async () => {
    loggedIn('tok-stored');
    const api = fakeApi({ 'GET /api/me': { data: driver } });
    const me = await call(meEndpoints.me, {});
    expect(me.id).toBe('drv_1');
    expect(api.sent).toHaveLength(1);
    expect(api.sent[0]).toMatchObject({ method: 'GET', url: '/api/me', header: { authorization: 'Bearer tok-stored', accept: 'application/json' } });
  });

  it('sends no token to an endpoint that needs none, and URL-encodes path params', async () => {
    const api = fakeApi({ 'GET /api/parks/p 1': { data: { parkNumber: 'p 1', name: 'P', service: { tariffText: null, freeMinutes: null, paidFreeMinutes: null, phone: null, address: null }, spaces: null, areas: [], lanes: [] } } });
    await call(parkEndpoints.park, { params: { parkNumber: 'p 1' } });
    expect(api.sent[0]!.url).toBe('/api/parks/p%201');
    expect(api.sent[0]!.header.authorization).toBeUndefined();
  });

  it('puts the JSON body and content type on a POST', async () => {
    loggedIn();
    const api = fakeApi({ 'POST /api/me/plates': { data: { plates: [] } } });
    await call(meEndpoints.bindPlate, { body: { plate: '京A12345' } });
    expect(api.sent[0]).toMatchObject({ method: 'POST', header: { 'content-type': 'application/json' }, body: { plate: '京A12345' } });
  });

  it('uses the absolute API_BASE in a mini-program build', async () => {
    process.env.TARO_ENV = 'weapp';
    g.API_BASE = 'https://api.parkpay.test/';
    loggedIn();
    const api = fakeApi({ 'GET /api/me': { data: driver } });
    await call(meEndpoints.me, {});
    expect(api.sent[0]!.url).toBe('https://api.parkpay.test/api/me');
  });

  it('an answer that does not fit the contract is a bad_response error, not data', async () => {
    loggedIn();
    fakeApi({ 'GET /api/me': { data: { id: 42 } } });
    const e = await call(meEndpoints.me, {}).catch((x: unknown) => x);
    expect(e).toBeInstanceOf(ApiError);
    expect(e).toMatchObject({ code: 'bad_response', status: 200 });
    expect((e as Error).message).toMatch(/GET \/api\/me/);
  });

  it("maps the API's error body to {code, message} with the status", async () => {
    loggedIn();
    fakeApi({ 'POST /api/fees/prepay': { status: 503, data: { error: { code: 'lot_unreachable', message: 'the lot cannot be reached' } } } });
    await expect(call(orderEndpoints.prepayFee, { body: { parkNumber: 'p', plate: '京A12345' } })).rejects.toMatchObject({
      code: 'lot_unreachable',
      message: 'the lot cannot be reached',
      status: 503,
    });
  });

  it('an error answer without the API shape (a proxy page) is http_<status>', async () => {
    loggedIn();
    fakeApi({ 'GET /api/me': { status: 502, data: '<html>Bad Gateway</html>' } });
    await expect(call(meEndpoints.me, {})).rejects.toMatchObject({ code: 'http_502', status: 502 });
  });

  it('no answer at all is code network', async () => {
    loggedIn();
    fakeApi({ 'GET /api/me': 'network' });
    await expect(call(meEndpoints.me, {})).rejects.toMatchObject({ code: 'network', status: undefined });
  });

  it('H5 demo: no session → POST /api/auth/demo with the stored name, then the call with the new token', async () => {
    Taro.setStorageSync('parkpay.demoName', 'zhang');
    const api = fakeApi({ 'POST /api/auth/demo': { data: session('tok-demo') }, 'GET /api/me': { data: driver } });
    await call(meEndpoints.me, {});
    expect(api.sent.map((s) => `${s.method} ${s.url}`)).toEqual(['POST /api/auth/demo', 'GET /api/me']);
    expect(api.sent[0]!.body).toEqual({ name: 'zhang' });
    expect(api.sent[1]!.header.authorization).toBe('Bearer tok-demo');
    expect(sessionToken()).toBe('tok-demo');
  });

  it('WeChat: Taro.login code → POST /api/auth/wechat', async () => {
    process.env.TARO_ENV = 'weapp';
    g.API_BASE = 'https://api.parkpay.test';
    Taro.login.mockResolvedValue({ code: 'wx-code-1', errMsg: 'login:ok' });
    const api = fakeApi({ 'POST /api/auth/wechat': { data: session('tok-wx') }, 'GET /api/orders': { data: { orders: [] } } });
    await call(orderEndpoints.orders, {});
    expect(api.sent[0]).toMatchObject({ url: 'https://api.parkpay.test/api/auth/wechat', body: { code: 'wx-code-1' } });
    expect(api.sent[1]!.header.authorization).toBe('Bearer tok-wx');
  });

  it('Alipay: my.getAuthCode (auth_base) → POST /api/auth/alipay', async () => {
    process.env.TARO_ENV = 'alipay';
    g.API_BASE = 'https://api.parkpay.test';
    const getAuthCode = jest.fn((o: { scopes: string; success: (r: { authCode: string }) => void }) => o.success({ authCode: 'ali-code-1' }));
    g.my = { getAuthCode, tradePay: jest.fn() };
    const api = fakeApi({ 'POST /api/auth/alipay': { data: session('tok-ali') }, 'GET /api/orders': { data: { orders: [] } } });
    await call(orderEndpoints.orders, {});
    expect(getAuthCode.mock.calls[0]![0].scopes).toBe('auth_base');
    expect(api.sent[0]).toMatchObject({ url: 'https://api.parkpay.test/api/auth/alipay', body: { code: 'ali-code-1' } });
  });

  it('H5 demo without a name: nothing is sent, the app asks who the driver is (no made-up driver)', async () => {
    const api = fakeApi({ 'POST /api/auth/demo': { data: session('tok-demo') }, 'GET /api/me': { data: driver } });
    await expect(call(meEndpoints.me, {})).rejects.toMatchObject({ code: 'demo_login_needed' });
    expect(api.sent).toEqual([]);
    expect(Taro.getStorageSync('parkpay.demoName')).toBe('');
    // Named: logged in as that driver; another name is another driver.
    setDemoName('wang');
    await call(meEndpoints.me, {});
    expect(api.sent.map((s) => s.body)).toEqual([{ name: 'wang' }, undefined]);
    setDemoName('li');
    expect(sessionToken()).toBeUndefined();
    await call(meEndpoints.me, {});
    expect(api.calls('POST /api/auth/demo').map((s) => s.body)).toEqual([{ name: 'wang' }, { name: 'li' }]);
  });

  it('a token the server no longer takes: log in again once and repeat the call', async () => {
    Taro.setStorageSync('parkpay.demoName', 'zhang');
    loggedIn('tok-old');
    const api = fakeApi({
      'GET /api/me': [{ status: 401, data: { error: { code: 'unauthenticated', message: 'log in' } } }, { data: driver }],
      'POST /api/auth/demo': { data: session('tok-new') },
    });
    await call(meEndpoints.me, {});
    expect(api.sent.map((s) => [s.url, s.header.authorization])).toEqual([
      ['/api/me', 'Bearer tok-old'],
      ['/api/auth/demo', undefined],
      ['/api/me', 'Bearer tok-new'],
    ]);
  });

  it('a failed login is an error, not a loop', async () => {
    Taro.setStorageSync('parkpay.demoName', 'zhang');
    fakeApi({ 'POST /api/auth/demo': { status: 404, data: { error: { code: 'not_found', message: 'not in demo mode' } } } });
    await expect(call(meEndpoints.me, {})).rejects.toMatchObject({ code: 'not_found' });
    expect(Taro.request).toHaveBeenCalledTimes(1);
  });

  it('the login endpoint itself is validated like any other', async () => {
    fakeApi({ 'POST /api/auth/demo': { data: { token: 'x' } } });
    await expect(call(authEndpoints.demo, { body: { name: 'li' } })).rejects.toMatchObject({ code: 'bad_response' });
  });
});
