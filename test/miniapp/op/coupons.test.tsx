import { render, screen, within } from '@testing-library/react';
import { amountOf, EMPTY_FORM } from '../../../miniapp/src/packages/op/coupons/form';
import OpCouponsPage from '../../../miniapp/src/packages/op/coupons/index';
import { fakeApi } from '../support/http';
import Taro, { resetTaroMock } from '../support/taro-mock';
import { OP_TOKEN, opLoggedIn } from './support';
import { see, tap, type } from '../support/ui';

beforeEach(() => {
  resetTaroMock();
  process.env.TARO_ENV = 'h5';
  Taro.useRouter.mockImplementation(() => ({ params: { park: 'p_demo_001' } }));
  opLoggedIn('merchant');
});

const $ = (sel: string) => document.querySelector<HTMLElement>(sel)!;

function coupon(over: Record<string, unknown> = {}) {
  return {
    couponCode: 'PPC0001', parkNumber: 'p_demo_001', kind: 'hours', minutes: 60, fen: null, end: '2026-11-29T02:00:00.000Z',
    orderId: 'o_1', plate: '京A12345', status: 'at_lot', via: '4.23', fixedCode: null,
    issuer: { username: 'shop-1', role: 'merchant', displayName: '咖啡店' }, attempts: 1, nextAttemptAt: null, lastError: null, refusal: null,
    usedAtExit: null, revoked: null, memo: '', createdAt: '2026-11-28T02:00:00.000Z', updatedAt: '2026-11-28T02:00:00.000Z', ...over,
  };
}

describe('the coupon form', () => {
  it('reads minutes and yuan within the server’s limits', () => {
    expect(amountOf({ ...EMPTY_FORM, minutes: '90' })).toEqual({ kind: 'hours', minutes: 90 });
    expect(amountOf({ ...EMPTY_FORM, minutes: '0' })).toHaveProperty('error');
    expect(amountOf({ ...EMPTY_FORM, minutes: '1.5' })).toHaveProperty('error');
    expect(amountOf({ ...EMPTY_FORM, minutes: String(7 * 24 * 60 + 1) })).toHaveProperty('error');
    expect(amountOf({ ...EMPTY_FORM, kind: 'money', yuan: '2.50' })).toEqual({ kind: 'money', fen: 250 });
    expect(amountOf({ ...EMPTY_FORM, kind: 'money', yuan: '2.505' })).toHaveProperty('error');
    expect(amountOf({ ...EMPTY_FORM, kind: 'money', yuan: '1000.01' })).toHaveProperty('error');
    expect(amountOf({ ...EMPTY_FORM, kind: 'money', yuan: '0' })).toHaveProperty('error');
  });
});

describe('coupons', () => {
  it('gives an hour coupon to a plate; a retry after a lost answer sends the same requestId; the list shows it', async () => {
    const api = fakeApi({
      'GET /api/op/parks/p_demo_001/coupons': { data: { coupons: [] } },
      'GET /api/op/parks/p_demo_001/fixed-coupons': { data: { codes: [] } },
      'POST /api/op/parks/p_demo_001/coupons': ['network', { data: coupon({ minutes: 120 }) }],
    });
    render(<OpCouponsPage />);
    await see('还没有停车券');
    await type($('.op-coupon-plate'), '京A12345');
    await tap(within($('.op-coupon-presets')).getByText('2小时'));
    await tap($('.op-coupon-give'));
    await see('网络连接失败');
    await tap($('.op-coupon-give'));
    const sent = api.calls('POST /api/op/parks/p_demo_001/coupons');
    expect(sent).toHaveLength(2);
    expect(sent[0]!.body).toEqual({ requestId: expect.stringMatching(/^[A-Za-z0-9_-]{8,64}$/), plate: '京A12345', kind: 'hours', minutes: 120 });
    expect(sent[1]!.body).toEqual(sent[0]!.body); // the same attempt: the same coupon at most
    expect(sent[0]!.header.authorization).toBe(`Bearer ${OP_TOKEN}`);
    await see('已发放给 京A12345：2小时停车券 · 车场已接收');
    expect(within($('#coupon-PPC0001')).getByText('车场已接收')).toBeTruthy();
  });

  it('a money coupon in yuan goes as fen; a new attempt gets a new requestId; the lot’s refusal is shown', async () => {
    const api = fakeApi({
      'GET /api/op/parks/p_demo_001/coupons': { data: { coupons: [] } },
      'GET /api/op/parks/p_demo_001/fixed-coupons': { data: { codes: [] } },
      'POST /api/op/parks/p_demo_001/coupons': [
        { data: coupon({ couponCode: 'PPC0002', kind: 'money', minutes: null, fen: 550 }) },
        { data: coupon({ couponCode: 'PPC0003', kind: 'money', minutes: null, fen: 100, status: 'refused', refusal: '该车已离场' }) },
      ],
    });
    render(<OpCouponsPage />);
    await see('还没有停车券');
    await type($('.op-coupon-plate'), '京A12345');
    await tap(within($('.op-coupon-kind')).getByText('金额券'));
    await type($('.op-coupon-yuan'), '5.505');
    expect(screen.getByText('请输入金额（元，最多两位小数）')).toBeTruthy();
    await type($('.op-coupon-yuan'), '5.50');
    await type($('.op-coupon-memo'), '消费满 100');
    await tap($('.op-coupon-give'));
    const first = api.calls('POST /api/op/parks/p_demo_001/coupons')[0]!.body as Record<string, unknown>;
    expect(first).toMatchObject({ plate: '京A12345', kind: 'money', fen: 550, memo: '消费满 100' });
    await see(/已发放给 京A12345：¥5.50 停车券/);
    await type($('.op-coupon-yuan'), '1');
    await tap($('.op-coupon-give'));
    const second = api.calls('POST /api/op/parks/p_demo_001/coupons')[1]!.body as Record<string, unknown>;
    expect(second.requestId).not.toBe(first.requestId);
    await see('车场拒绝了这张券：该车已离场');
  });

  it('revoke an unconfirmed coupon, send one again; a coupon at the lot cannot be revoked', async () => {
    const api = fakeApi({
      'GET /api/op/parks/p_demo_001/coupons': { data: { coupons: [coupon({ couponCode: 'PPC1', status: 'unconfirmed' }), coupon({ couponCode: 'PPC2', status: 'at_lot' })] } },
      'GET /api/op/parks/p_demo_001/fixed-coupons': { data: { codes: [] } },
      'POST /api/op/parks/p_demo_001/coupons/PPC1/revoke': { data: coupon({ couponCode: 'PPC1', status: 'revoked', revoked: { at: '2026-11-28T03:00:00.000Z', by: 'shop-1' } }) },
    });
    render(<OpCouponsPage />);
    await see('车场未确认（将自动重发）');
    expect(within($('#coupon-PPC2')).queryByText('撤销')).toBeNull();
    expect(within($('#coupon-PPC1')).getByText('重发')).toBeTruthy();
    await tap(within($('#coupon-PPC1')).getByText('撤销'));
    expect(api.calls('POST /api/op/parks/p_demo_001/coupons/PPC1/revoke')).toHaveLength(1);
    await see('已撤销');
    expect(within($('#coupon-PPC1')).queryByText('撤销')).toBeNull();
  });

  it('filters by plate', async () => {
    const api = fakeApi({ 'GET /api/op/parks/p_demo_001/coupons': { data: { coupons: [] } }, 'GET /api/op/parks/p_demo_001/fixed-coupons': { data: { codes: [] } } });
    render(<OpCouponsPage />);
    await see('还没有停车券');
    await type($('.op-coupon-filter'), '京A12345');
    await tap(screen.getByText('筛选'));
    await see('还没有停车券');
    const urls = api.calls('GET /api/op/parks/p_demo_001/coupons').map((s) => decodeURIComponent(s.url));
    expect(urls.at(-1)).toMatch(/plate=京A12345/);
  });
});
