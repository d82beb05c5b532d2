/**
 * An answer the H5 page fetched before the app ran (index.html, a lane link's park) is taken by the request
 * wrapper once, in place of a request, and read like any other answer: the contract's schema, the error body.
 */
import { meEndpoints } from '../../../shared/api/me';
import { parkEndpoints } from '../../../shared/api/parks';
import { call } from '../../../miniapp/src/services/api';
import { fakeApi, loggedIn, session } from '../support/http';
import { resetTaroMock } from '../support/taro-mock';

const park = { parkNumber: 'p_demo_001', name: '示例停车场', service: { tariffText: null, freeMinutes: null, paidFreeMinutes: null, phone: null, address: null }, spaces: null, areas: [], lanes: [{ passagewayId: '1', name: '东门入口', direction: 'in' }] };
const prefetched = (url: string, answer: { status: number; data: unknown } | undefined) => {
  window.__parkpayPrefetch = { ...window.__parkpayPrefetch, [url]: Promise.resolve(answer) };
};
const getPark = () => call(parkEndpoints.park, { params: { parkNumber: 'p_demo_001' } });

beforeEach(() => {
  resetTaroMock();
  process.env.TARO_ENV = 'h5';
  delete window.__parkpayPrefetch;
});

describe('a prefetched answer', () => {
  it('answers the same GET once, without a request; the next one goes to the server', async () => {
    prefetched('/api/parks/p_demo_001', { status: 200, data: park });
    const api = fakeApi({ 'GET /api/parks/p_demo_001': { data: { ...park, name: '从服务器' } } });
    await expect(getPark()).resolves.toMatchObject({ name: '示例停车场' });
    expect(api.sent).toHaveLength(0);
    await expect(getPark()).resolves.toMatchObject({ name: '从服务器' });
    expect(api.sent).toHaveLength(1);
  });

  it('is checked against the contract like any answer', async () => {
    prefetched('/api/parks/p_demo_001', { status: 200, data: { parkNumber: 'p_demo_001', name: 7 } });
    fakeApi({});
    await expect(getPark()).rejects.toMatchObject({ code: 'bad_response', status: 200 });
  });

  it("an error answer is the API's error", async () => {
    prefetched('/api/parks/p_demo_001', { status: 404, data: { error: { code: 'park_unknown', message: 'no such park' } } });
    fakeApi({});
    await expect(getPark()).rejects.toMatchObject({ code: 'park_unknown', status: 404 });
  });

  it('a failed prefetch counts as none: the wrapper sends the request', async () => {
    prefetched('/api/parks/p_demo_001', undefined);
    const api = fakeApi({ 'GET /api/parks/p_demo_001': { data: park } });
    await expect(getPark()).resolves.toMatchObject({ name: '示例停车场' });
    expect(api.sent).toHaveLength(1);
  });

  it("never stands in for a driver's request, nor in a mini-program build", async () => {
    loggedIn();
    prefetched('/api/me', { status: 200, data: session().driver });
    const api = fakeApi({ 'GET /api/me': { data: session().driver }, 'GET /api/parks/p_demo_001': { data: park } });
    await call(meEndpoints.me, {});
    expect(api.calls('GET /api/me')).toHaveLength(1);
    process.env.TARO_ENV = 'weapp';
    prefetched('/api/parks/p_demo_001', { status: 200, data: { ...park, name: 'prefetched' } });
    await expect(getPark()).resolves.toMatchObject({ name: '示例停车场' });
  });
});
