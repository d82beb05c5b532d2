/**
 * The H5 build loads the order contracts apart from the lane page (services/orderContracts.h5.ts): once,
 * shared by every caller; a chunk that does not load is a network error and the next call tries again.
 * (Other builds and these tests resolve services/orderContracts.ts: the contracts at hand.)
 */
type H5Contracts = typeof import('../../../miniapp/src/services/orderContracts.h5');

function freshH5(): H5Contracts {
  let m: H5Contracts | undefined;
  jest.isolateModules(() => {
    m = jest.requireActual('../../../miniapp/src/services/orderContracts.h5') as H5Contracts;
  });
  return m!;
}

afterEach(() => {
  jest.dontMock('@shared/api/orders');
});

describe('order contracts on H5', () => {
  it('loads them once for every caller', async () => {
    const h5 = freshH5();
    const a = h5.loadOrderEndpoints();
    const b = h5.loadOrderEndpoints();
    expect(a).toBe(b);
    const orders = await a;
    expect(orders.unlicensedEntry.path).toBe('/api/unlicensed/entry');
  });

  it('a chunk that does not load is a network error; the next call loads again', async () => {
    let fail = true;
    jest.doMock('@shared/api/orders', () => {
      if (fail) throw new Error('Loading chunk 42 failed.');
      return jest.requireActual('@shared/api/orders');
    });
    const h5 = freshH5();
    const e = await h5.loadOrderEndpoints().catch((x: unknown) => x);
    // (Its ApiError comes from this test's own module registry.)
    expect(e).toMatchObject({ name: 'ApiError', code: 'network' });
    expect((e as Error).message).toMatch(/Loading chunk 42 failed/);
    fail = false;
    await expect(h5.loadOrderEndpoints()).resolves.toHaveProperty('unlicensedEntry');
  });

  it('preloads when the page is idle', async () => {
    const h5 = freshH5();
    jest.useFakeTimers();
    try {
      h5.preloadOrderEndpoints();
      jest.runAllTimers();
    } finally {
      jest.useRealTimers();
    }
    await expect(h5.loadOrderEndpoints()).resolves.toHaveProperty('unlicensedEntry');
  });
});
