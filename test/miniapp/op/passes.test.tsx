/** The operator's monthly pass page: the offer form (areas from the lot, prices per duration in yuan → fen) and the purchases. */
import { render } from '@testing-library/react';
import { passOfferBody, emptyPassForm } from '../../../miniapp/src/packages/op/passes/form';
import OpPassesPage from '../../../miniapp/src/packages/op/passes/index';
import { fakeApi } from '../support/http';
import { see, tap, type } from '../support/ui';
import Taro, { resetTaroMock } from '../support/taro-mock';
import { opLoggedIn } from './support';

beforeEach(() => {
  resetTaroMock();
  process.env.TARO_ENV = 'h5';
  Taro.useRouter.mockImplementation(() => ({ params: { park: 'p_demo_001' } }));
  opLoggedIn('operator');
});

const $ = (sel: string) => document.querySelector<HTMLElement>(sel)!;

describe('the pass offer form', () => {
  it('needs an area and the price of one month; other durations only when filled', () => {
    const f = emptyPassForm([1]);
    expect(passOfferBody(f)).toEqual({ error: '请填写 1 个月的价格' });
    expect(passOfferBody({ ...f, areaIds: [] })).toEqual({ error: '至少选择一个区域' });
    expect(passOfferBody({ ...f, yuan: { 1: '300', 3: '850.5', 6: '', 12: '' } })).toEqual({
      areaIds: [1],
      prices: [
        { months: 1, priceFen: 30_000 },
        { months: 3, priceFen: 85_050 },
      ],
      newPlates: true,
      maxPasses: 100,
      text: '',
      status: 'on_sale',
    });
    expect(passOfferBody({ ...f, yuan: { 1: '300', 3: 'abc', 6: '', 12: '' } })).toEqual({ error: '3 个月的价格不是有效金额' });
    expect(passOfferBody({ ...f, yuan: { 1: '300', 3: '', 6: '', 12: '' }, maxPasses: '0' })).toEqual({ error: '可售数量至少为 1' });
  });
});

describe('the monthly pass page', () => {
  it('sets the offer from the lot’s areas and lists what drivers bought', async () => {
    const saved = { parkNumber: 'p_demo_001', areaIds: [2], prices: [{ months: 1, priceFen: 30_000 }], newPlates: false, maxPasses: 20, text: '仅地下', status: 'on_sale', updatedBy: 'lotboss', updatedAt: '2026-11-28T02:00:00.000Z' };
    const api = fakeApi({
      'GET /api/op/parks/p_demo_001/pass-offer': [
        { data: { offer: null, areas: [{ areaId: 1, name: '地面停车场' }, { areaId: 2, name: '地下停车场' }] } },
        { data: { offer: saved, areas: [{ areaId: 1, name: '地面停车场' }, { areaId: 2, name: '地下停车场' }] } },
      ],
      'POST /api/op/parks/p_demo_001/pass-offer': { data: saved },
      'GET /api/op/parks/p_demo_001/pass-purchases': {
        data: {
          purchases: [
            { purchaseNo: 'PP261128100000ABCDEFGH', driverId: 'drv_1', parkNumber: 'p_demo_001', plate: '沪A12345', months: 3, priceFen: 85_000, areaIds: [2], state: 'active', validTo: '2027-02-27', notice: '已续费至 2027-02-27', order: null, refund: null, createdAt: '2026-11-28T02:00:00.000Z' },
          ],
        },
      },
    });
    render(<OpPassesPage />);
    await see('已续费至 2027-02-27');
    // Both areas are chosen by default; leave the ground one out, renewals only, one month ¥300.
    await tap(await see('地面停车场'));
    await tap(await see('仅车场白名单内的车续费'));
    await type($('.op-pass-price-1'), '300');
    await type($('.op-pass-max'), '20');
    await type($('.op-pass-text'), '仅地下');
    await tap(await see('保存'));
    await see('已保存');
    expect(api.calls('POST /api/op/parks/p_demo_001/pass-offer')[0]!.body).toEqual({
      areaIds: [2],
      prices: [{ months: 1, priceFen: 30_000 }],
      newPlates: false,
      maxPasses: 20,
      text: '仅地下',
      status: 'on_sale',
    });
  });
});
