import { meEndpoints } from '../../../shared/api/me';
import { opParkEndpoints } from '../../../shared/api/op-parks';
import { ApiError, call } from '../../../miniapp/src/services/api';
import { OP_SESSION_KEY, opCall, opLogin, opLogout, opSession } from '../../../miniapp/src/packages/op/services/session';
import { fakeApi, loggedIn } from '../support/http';
import Taro, { resetTaroMock } from '../support/taro-mock';
import { OP_TOKEN, opLoggedIn, opSessionAnswer, park } from './support';

beforeEach(() => {
  resetTaroMock();
  process.env.TARO_ENV = 'h5';
});

describe('the operator session', () => {
  it('login stores the operator session apart from the driver’s; operator calls carry its token, driver calls the driver’s', async () => {
    loggedIn('drv-tok');
    const api = fakeApi({
      'POST /api/op/auth/login': { data: opSessionAnswer('admin', 'op-secret') },
      'GET /api/op/parks': { data: { parks: [park()] } },
      'GET /api/me/plates': { data: { plates: [] } },
    });
    const s = await opLogin(' demo-admin ', 'parkpay-demo-2026');
    expect(api.calls('POST /api/op/auth/login')[0]!.body).toEqual({ username: 'demo-admin', password: 'parkpay-demo-2026' });
    expect(api.calls('POST /api/op/auth/login')[0]!.header.authorization).toBeUndefined();
    expect(s.operator.username).toBe('demo-admin');
    expect((Taro.getStorageSync(OP_SESSION_KEY) as { token: string }).token).toBe('op-secret');
    expect((Taro.getStorageSync('parkpay.session') as { token: string }).token).toBe('drv-tok');

    const parks = await opCall(opParkEndpoints.listParks, {});
    expect(parks.parks[0]!.parkNumber).toBe('p_demo_001');
    expect(api.calls('GET /api/op/parks')[0]!.header.authorization).toBe('Bearer op-secret');
    await call(meEndpoints.listPlates, {});
    expect(api.calls('GET /api/me/plates')[0]!.header.authorization).toBe('Bearer drv-tok');
  });

  it('a refused login stores nothing and says why', async () => {
    fakeApi({ 'POST /api/op/auth/login': { status: 401, data: { error: { code: 'invalid_credentials', message: 'wrong username or password' } } } });
    await expect(opLogin('demo-admin', 'nope')).rejects.toMatchObject({ code: 'invalid_credentials', status: 401 });
    expect(opSession()).toBeUndefined();
  });

  it('without a session an operator call fails as unauthenticated and sends nothing', async () => {
    const api = fakeApi({});
    await expect(opCall(opParkEndpoints.listParks, {})).rejects.toMatchObject({ code: 'unauthenticated', status: 401 });
    expect(api.sent).toHaveLength(0);
  });

  it('an expired stored session is not used', async () => {
    Taro.setStorageSync(OP_SESSION_KEY, { ...opSessionAnswer(), expiresAt: new Date(Date.now() - 1000).toISOString() });
    expect(opSession()).toBeUndefined();
    await expect(opCall(opParkEndpoints.listParks, {})).rejects.toBeInstanceOf(ApiError);
  });

  it('a 401 from the server ends the operator session only (the driver stays logged in)', async () => {
    loggedIn('drv-tok');
    opLoggedIn();
    fakeApi({ 'GET /api/op/parks': { status: 401, data: { error: { code: 'unauthenticated', message: 'session ended' } } } });
    await expect(opCall(opParkEndpoints.listParks, {})).rejects.toMatchObject({ code: 'unauthenticated' });
    expect(opSession()).toBeUndefined();
    expect((Taro.getStorageSync('parkpay.session') as { token: string }).token).toBe('drv-tok');
  });

  it('other errors keep the session (403 forbidden_park)', async () => {
    opLoggedIn('operator');
    fakeApi({ 'GET /api/op/parks/p_other': { status: 403, data: { error: { code: 'forbidden_park', message: 'not your park' } } } });
    await expect(opCall(opParkEndpoints.park, { params: { parkNumber: 'p_other' } })).rejects.toMatchObject({ code: 'forbidden_park', status: 403 });
    expect(opSession()?.token).toBe(OP_TOKEN);
  });

  it('logout ends the session on the server with its token and forgets it here, even when the network fails', async () => {
    opLoggedIn();
    const api = fakeApi({ 'POST /api/op/auth/logout': { data: { ok: true } } });
    await opLogout();
    expect(api.calls('POST /api/op/auth/logout')[0]!.header.authorization).toBe(`Bearer ${OP_TOKEN}`);
    expect(opSession()).toBeUndefined();

    opLoggedIn();
    fakeApi({ 'POST /api/op/auth/logout': 'network' });
    await opLogout();
    expect(opSession()).toBeUndefined();
  });
});
