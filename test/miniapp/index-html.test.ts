/**
 * The H5 page's inline script (miniapp/src/index.html), run in jsdom as the browser runs it before the
 * app's scripts: a lane link becomes the lane page's route (the URL lanePageUrl makes) and the park is asked
 * for at the URL the request wrapper will use for it (prepareRequest of GET /api/parks/:parkNumber), so the
 * wrapper finds that answer (services/prefetch.ts).
 */
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { prepareRequest } from '../../shared/api/contract';
import { parkEndpoints } from '../../shared/api/parks';
import { lanePageUrl } from '../../miniapp/src/services/laneLink';
import { takePrefetched } from '../../miniapp/src/services/prefetch';

const html = readFileSync(path.resolve(__dirname, '../../miniapp/src/index.html'), 'utf8');
const scripts = [...html.matchAll(/<script>([\s\S]*?)<\/script>/g)].map((m) => m[1]!);

const w = window as unknown as { fetch?: (u: string, init: RequestInit) => Promise<unknown> };
let fetched: { url: string; init: RequestInit }[];

/** Open the page at `url` (path and query) with a fetch that answers `answer`; run the inline script. */
function openAt(url: string, answer: () => Promise<{ status: number; json: () => Promise<unknown> }>) {
  window.history.replaceState(null, '', url);
  fetched = [];
  w.fetch = (u: string, init: RequestInit) => {
    fetched.push({ url: u, init });
    return answer();
  };
  for (const s of scripts) window.eval(s);
}

const park = { parkNumber: 'p_demo_001', name: '示例停车场', service: { tariffText: null, freeMinutes: null, paidFreeMinutes: null, phone: null, address: null }, spaces: null, areas: [], lanes: [] };
const ok = () => Promise.resolve({ status: 200, json: () => Promise.resolve(park) });

beforeEach(() => {
  delete window.__parkpayPrefetch;
  process.env.TARO_ENV = 'h5';
});
afterAll(() => {
  delete w.fetch;
  window.history.replaceState(null, '', '/');
});

describe('index.html, opened at a lane link', () => {
  it('has one inline script', () => {
    expect(scripts).toHaveLength(1);
  });

  it("turns /q/<park>/<lane> into the lane page's route and asks for the park where the wrapper will", async () => {
    openAt('/q/p_demo_001/1', ok);
    expect(window.location.pathname).toBe('/');
    expect(window.location.hash).toBe(`#${lanePageUrl({ parkNumber: 'p_demo_001', passagewayId: '1' })}`);
    const url = prepareRequest(parkEndpoints.park, { params: { parkNumber: 'p_demo_001' } }).url;
    expect(fetched.map((f) => f.url)).toEqual([url]);
    expect(fetched[0]!.init.headers).toEqual({ accept: 'application/json' });
    await expect(takePrefetched(url)).resolves.toEqual({ status: 200, data: park });
    // Once.
    await expect(takePrefetched(url)).resolves.toBeUndefined();
  });

  it('decodes and re-encodes the link as the app does (a trailing slash, an encoded character)', () => {
    openAt('/q/a%26b/%E4%B8%9C1/', ok);
    expect(window.location.hash).toBe(`#${lanePageUrl({ parkNumber: 'a&b', passagewayId: '东1' })}`);
    expect(fetched.map((f) => f.url)).toEqual([prepareRequest(parkEndpoints.park, { params: { parkNumber: 'a&b' } }).url]);
  });

  it('a failed request leaves nothing to take (the wrapper asks again)', async () => {
    openAt('/q/p_demo_001/2', () => Promise.reject(new TypeError('Failed to fetch')));
    await expect(takePrefetched('/api/parks/p_demo_001')).resolves.toBeUndefined();
    openAt('/q/p_demo_001/2', () => Promise.resolve({ status: 502, json: () => Promise.reject(new SyntaxError('not JSON')) }));
    await expect(takePrefetched('/api/parks/p_demo_001')).resolves.toBeUndefined();
  });

  it('leaves other pages, a damaged link and a link it cannot decode to the app', () => {
    for (const url of ['/', '/#/pages/pay/index?kind=prepay', '/q/p_demo_001', '/q/p_demo_001/1/x', '/q/%E4%B8/1']) {
      openAt(url, ok);
      expect(`${window.location.pathname}${window.location.hash}`).toBe(url);
      expect(fetched).toEqual([]);
      expect(window.__parkpayPrefetch).toBeUndefined();
    }
  });
});
