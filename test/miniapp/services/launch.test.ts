type Launch = typeof import('../../../miniapp/src/services/launch');
type TaroMock = typeof import('../support/taro-mock').default;
let taro: TaroMock;

/** A fresh launch module (its state is the app's lifetime), with the Taro mock it sees. */
function freshLaunch(): Launch {
  let m: Launch | undefined;
  jest.isolateModules(() => {
    m = jest.requireActual('../../../miniapp/src/services/launch') as Launch;
    taro = (jest.requireActual('@tarojs/taro') as { default: TaroMock }).default;
  });
  return m!;
}

describe('Alipay launch: query.qrCode reaches only App onLaunch/onShow', () => {
  beforeEach(() => {
    process.env.TARO_ENV = 'alipay';
  });
  afterEach(() => {
    process.env.TARO_ENV = 'h5';
  });

  it('a cold start keeps the lane for the first page, once', () => {
    const launch = freshLaunch();
    launch.onAppLaunch({ query: { qrCode: 'https://pp.example.com/q/p_demo_001/2' } });
    launch.onAppShow({ query: { qrCode: 'https://pp.example.com/q/p_demo_001/2' } });
    expect(taro.reLaunch).not.toHaveBeenCalled();
    expect(launch.resolveLane({})).toEqual({ kind: 'lane', lane: { parkNumber: 'p_demo_001', passagewayId: '2' } });
    expect(launch.resolveLane({})).toEqual({ kind: 'none' });
  });

  it("a warm start with a new code opens its lane page; coming back with the same options doesn't", () => {
    const launch = freshLaunch();
    launch.onAppLaunch({ query: {} });
    launch.onAppShow({ query: {} });
    launch.onAppShow({ query: { qrCode: 'https://pp.example.com/q/p_demo_001/1' } });
    expect(taro.reLaunch).toHaveBeenCalledWith({ url: '/pages/lane/index?park=p_demo_001&lane=1' });
    launch.onAppShow({ query: { qrCode: 'https://pp.example.com/q/p_demo_001/1' } }); // back from the cashier
    expect(taro.reLaunch).toHaveBeenCalledTimes(1);
    launch.onAppShow({ query: { qrCode: 'not-a-lane' } });
    expect(taro.reLaunch).toHaveBeenLastCalledWith({ url: '/pages/lane/index?qrCode=not-a-lane' });
  });
});

describe('a page query wins over the launch options', () => {
  it('park + lane in the page query', () => {
    process.env.TARO_ENV = 'weapp';
    const launch = freshLaunch();
    launch.onAppLaunch({ query: { q: encodeURIComponent('https://pp.example.com/q/p_demo_001/1') } });
    expect(launch.resolveLane({ park: 'p_demo_001', lane: '2' })).toMatchObject({ kind: 'lane', lane: { passagewayId: '2' } });
    // The launch code is still there for a page without its own.
    expect(launch.resolveLane({})).toMatchObject({ kind: 'lane', lane: { passagewayId: '1' } });
    process.env.TARO_ENV = 'h5';
  });
});

describe('H5', () => {
  it("a lane link (/q/…) is handed to the first page; the lane page's own route leaves nothing pending", () => {
    window.history.replaceState(null, '', '/q/p_demo_001/1');
    let launch = freshLaunch();
    launch.onAppLaunch(undefined);
    window.history.replaceState(null, '', '/#/pages/index/index');
    expect(launch.resolveLane({})).toMatchObject({ kind: 'lane', lane: { passagewayId: '1' } });

    // index.html turned the link into the lane page's route before the app started.
    window.history.replaceState(null, '', '/#/pages/lane/index?park=p_demo_001&lane=1');
    launch = freshLaunch();
    launch.onAppLaunch(undefined);
    expect(launch.resolveLane({ park: 'p_demo_001', lane: '1' })).toMatchObject({ kind: 'lane', lane: { passagewayId: '1' } });
    // Home, later: not sent back to the lane.
    window.history.replaceState(null, '', '/#/pages/index/index');
    expect(launch.resolveLane({})).toEqual({ kind: 'none' });
    window.history.replaceState(null, '', '/');
  });
});
