/** The driver's monthly pass page: validity per area, a duration paid like a stay, "已续费至 …" only once the lot accepted. */
import { render, screen } from '@testing-library/react';
import PassPage from '../../../miniapp/src/packages/park/pass/index';
import { fakeApi, loggedIn } from '../support/http';
import { order, wechatPay } from '../support/orders';
import Taro, { resetTaroMock } from '../support/taro-mock';
import { see, tap } from '../support/ui';

// The WeChat mini-program build: the wallet is Taro.requestPayment (mocked).
beforeEach(() => {
  resetTaroMock();
  process.env.TARO_ENV = 'weapp';
  Taro.useRouter.mockImplementation(() => ({ params: { park: 'p_demo_001', plate: '沪A12345' } }));
  loggedIn();
});
afterEach(() => {
  process.env.TARO_ENV = 'h5';
});


const offer = { parkNumber: 'p_demo_001', areaIds: [1, 2], prices: [{ months: 1, priceFen: 30_000 }, { months: 3, priceFen: 85_000 }], newPlates: true, text: '地面及地下通用' };
const platePass = (end: string) => ({
  offer,
  validity: { source: 'lot', start: '2026-11-01', end, areas: [{ areaId: 1, start: '2026-11-01', end }, { areaId: 2, start: '2026-11-01', end }] },
  purchases: [],
  areas: [{ areaId: 1, name: '地面停车场' }, { areaId: 2, name: '地下停车场' }],
});

function purchase(state: string, over: Record<string, unknown> = {}) {
  return {
    purchaseNo: 'PP261128100000ABCDEFGH', parkNumber: 'p_demo_001', plate: '沪A12345', months: 3, priceFen: 85_000, areaIds: [1, 2], state,
    validTo: null, notice: '待支付', order: { orderNo: 'PP261128100000ABCDEFGH', status: 'quoted', expiresAt: '2026-11-28T02:15:00.000Z', wallet: null },
    refund: null, createdAt: '2026-11-28T02:00:00.000Z', ...over,
  };
}

describe('a driver renews a monthly pass', () => {
  it('validity per area → 3 months → paid through the purchase’s pay endpoint → the new date once the lot accepted it', async () => {
    Taro.requestPayment.mockImplementation(async () => ({ errMsg: 'requestPayment:ok' }));
    const api = fakeApi({
      'GET /api/parks/p_demo_001/passes/沪A12345': [{ data: platePass('2026-11-30') }, { data: platePass('2027-02-28') }],
      'POST /api/parks/p_demo_001/passes': { data: purchase('awaiting_payment') },
      'POST /api/passes/PP261128100000ABCDEFGH/pay': { data: { purchase: purchase('awaiting_payment'), pay: wechatPay } },
      'GET /api/orders/PP261128100000ABCDEFGH': { data: order('delivered', { orderNo: 'PP261128100000ABCDEFGH', kind: 'pass', amountFen: 85_000, leaveBy: null }) },
      'GET /api/passes/PP261128100000ABCDEFGH': [
        { data: purchase('extending', { notice: '已支付，正在通知停车场' }) },
        { data: purchase('active', { validTo: '2027-02-28', notice: '已续费至 2027-02-28' }) },
      ],
    });
    render(<PassPage />);
    expect((await screen.findAllByText('有效至 2026-11-30')).length).toBe(2);
    expect(screen.getByText('地下停车场')).toBeTruthy();
    await see('地面及地下通用');
    await tap(await see('3 个月 · ¥850.00'));
    expect(api.calls('POST /api/parks/p_demo_001/passes')[0]!.body).toEqual({ plate: '沪A12345', months: 3 });
    await tap(await see('微信支付 ¥850.00'));
    expect(api.calls('POST /api/passes/PP261128100000ABCDEFGH/pay')[0]!.body).toEqual({ wallet: 'wechat' });
    await see('已续费至 2027-02-28');
    // The lot's new dates, read again once it accepted.
    expect((await screen.findAllByText('有效至 2027-02-28')).length).toBe(2);
  });

  it('renewals only, a plate not proved here: no pass dates, no prices — how to prove it, and the way to my parking', async () => {
    const hidden = { ...platePass('2026-11-30'), offer: { ...offer, newPlates: false }, validity: { source: 'hidden', start: null, end: null, areas: [] } };
    const api = fakeApi({ 'GET /api/parks/p_demo_001/passes/沪A12345': { data: hidden } });
    render(<PassPage />);
    await see('本车场仅限月卡名单内的车辆在线续费');
    await see(/可查看月卡有效期/);
    expect(screen.queryByText(/有效至/)).toBeNull();
    expect(screen.queryByText(/个月 · ¥/)).toBeNull();
    await tap(await see('去确认入场信息'));
    expect(Taro.navigateTo).toHaveBeenCalledWith({ url: '/packages/me/parking/index' });
    expect(api.calls('POST /api/parks/p_demo_001/passes')).toEqual([]);
  });

  it('a purchase refused until the plate is proved: the driver is told how to prove it', async () => {
    fakeApi({
      'GET /api/parks/p_demo_001/passes/沪A12345': { data: { ...platePass('2026-11-30'), validity: { source: 'hidden', start: null, end: null, areas: [] } } },
      'POST /api/parks/p_demo_001/passes': { status: 403, data: { error: { code: 'plate_not_proved', message: 'prove this plate first' } } },
    });
    render(<PassPage />);
    await tap(await see('1 个月 · ¥300.00'));
    await see('请先确认这是你的车');
  });
});
