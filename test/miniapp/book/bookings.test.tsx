import { render, screen, within } from '@testing-library/react';
import MyBookingsPage from '../../../miniapp/src/packages/book/mine/index';
import OffersPage from '../../../miniapp/src/packages/book/offers/index';
import { cancelRuleText, letInText } from '../../../miniapp/src/services/bookingText';
import { fakeApi, loggedIn } from '../support/http';
import { order, wechatPay } from '../support/orders';
import Taro, { resetTaroMock } from '../support/taro-mock';
import { see, tap } from '../support/ui';

// The WeChat mini-program build: the wallet is Taro.requestPayment (mocked).
beforeEach(() => {
  resetTaroMock();
  process.env.TARO_ENV = 'weapp';
  Taro.useRouter.mockImplementation(() => ({ params: { park: 'p_demo_001' } }));
  loggedIn();
});
afterEach(() => {
  process.env.TARO_ENV = 'h5';
});

const $ = (sel: string) => document.querySelector<HTMLElement>(sel)!;

const rule = { fullRefundMinutesBefore: 60, lateRefundPercent: 50 };
const offer = (over: Record<string, unknown> = {}) => ({
  offerId: 'of_1', parkNumber: 'p_demo_001', title: '早高峰预约', areaId: 0, priceFen: 1000,
  start: '2026-11-29T00:00:00.000Z', end: '2026-11-29T10:00:00.000Z', letInStart: '2026-11-29T00:00:00.000Z', letInEnd: '2026-11-29T02:00:00.000Z',
  left: 3, cancelRule: rule, ...over,
});
function booking(status: string, over: Record<string, unknown> = {}) {
  return {
    bookingNo: 'BK0001', parkNumber: 'p_demo_001', offerId: 'of_1', title: '早高峰预约', plate: '京A12345', areaId: 0, priceFen: 1000,
    start: '2026-11-29T00:00:00.000Z', end: '2026-11-29T10:00:00.000Z', letInStart: '2026-11-29T00:00:00.000Z', letInEnd: '2026-11-29T02:00:00.000Z',
    status, cancelRule: rule,
    order: { orderNo: 'PPB0001', status: status === 'awaiting_payment' ? 'quoted' : 'delivered', expiresAt: '2026-11-28T02:10:00.000Z', wallet: null, paidAt: null },
    refund: null, cancelNowRefundFen: status === 'booked' ? 1000 : status === 'awaiting_payment' ? 0 : null,
    admittedAt: null, cancelledAt: null, createdAt: '2026-11-28T02:00:00.000Z', ...over,
  };
}

describe('booking texts', () => {
  it('let-in window and cancellation rule in China time and words', () => {
    expect(letInText(offer())).toBe('11-29 08:00–10:00');
    expect(letInText({ letInStart: '2026-11-29T15:00:00.000Z', letInEnd: '2026-11-30T01:00:00.000Z' })).toBe('11-29 23:00 – 11-30 09:00');
    expect(cancelRuleText(rule)).toBe('入场时间开始前 1 小时取消全额退款，之后取消退 50%');
    expect(cancelRuleText({ fullRefundMinutesBefore: 30, lateRefundPercent: 0 })).toBe('入场时间开始前 30 分钟取消全额退款，之后取消不退款');
  });
});

describe('a driver books a place', () => {
  it('offers → a bound plate → held → paid through the booking’s pay endpoint → followed until the lot has it', async () => {
    Taro.requestPayment.mockImplementation(async () => ({ errMsg: 'requestPayment:ok' }));
    const api = fakeApi({
      'GET /api/parks/p_demo_001/booking-offers': { data: { offers: [offer(), offer({ offerId: 'of_2', title: '晚间预约', left: 0 })] } },
      'GET /api/me/plates': { data: { plates: [{ plate: '京A12345', plateKey: '京A12345', boundAt: '2026-11-01T00:00:00.000Z' }] } },
      'POST /api/bookings': { data: booking('awaiting_payment') },
      'POST /api/bookings/BK0001/pay': { data: { booking: booking('awaiting_payment'), pay: wechatPay } },
      'GET /api/orders/PPB0001': [{ data: order('paid', { orderNo: 'PPB0001', kind: 'booking', amountFen: 1000 }) }, { data: order('delivered', { orderNo: 'PPB0001', kind: 'booking', amountFen: 1000, leaveBy: null }) }],
    });
    render(<OffersPage />);
    await see('早高峰预约');
    expect(within($('#offer-of_2')).getAllByText('已约满').length).toBeGreaterThan(0);
    expect(screen.getByText('入场时间开始前 1 小时取消全额退款，之后取消退 50%', { selector: '#offer-of_1 *' })).toBeTruthy();
    await tap(within($('#offer-of_1')).getByText('预约'));
    await tap(await see('京A12345'));
    expect(api.calls('POST /api/bookings')[0]!.body).toEqual({ offerId: 'of_1', plate: '京A12345' });
    await see('车位已为你保留，请在 10:10 前完成支付');
    await tap(screen.getByText('微信支付 ¥10.00'));
    await see('预约成功，车场已收到');
    expect(api.calls('POST /api/bookings/BK0001/pay')[0]!.body).toEqual({ wallet: 'wechat' });
    expect(api.calls('POST /api/orders/PPB0001/pay')).toHaveLength(0);
    expect(Taro.requestPayment).toHaveBeenCalledWith(expect.objectContaining({ package: 'prepay_id=wx1' }));
  });

  it('sold out at the lot: said, nothing held', async () => {
    fakeApi({
      'GET /api/parks/p_demo_001/booking-offers': { data: { offers: [offer()] } },
      'GET /api/me/plates': { data: { plates: [{ plate: '京A12345', plateKey: '京A12345', boundAt: '2026-11-01T00:00:00.000Z' }] } },
      'POST /api/bookings': { status: 409, data: { error: { code: 'no_bookable_spaces', message: '车场可预约车位不足' } } },
    });
    render(<OffersPage />);
    await tap(await see('预约'));
    await tap(await see('京A12345'));
    await see('车场可预约车位不足');
  });

  it('no offers: said so', async () => {
    fakeApi({ 'GET /api/parks/p_demo_001/booking-offers': { data: { offers: [] } } });
    render(<OffersPage />);
    await see('这个车场暂时没有可预约的车位');
  });
});

describe('my bookings', () => {
  it('lists them; cancel a booked one after a confirmation saying what comes back', async () => {
    const api = fakeApi({
      'GET /api/bookings': { data: { bookings: [booking('booked'), booking('cancelled', { bookingNo: 'BK0002', cancelNowRefundFen: null, refund: { fen: 500, state: 'done', reason: 'cancelled_by_driver', refundedAt: '2026-11-28T03:00:00.000Z' } })] } },
      'POST /api/bookings/BK0001/cancel': { data: booking('cancelled', { cancelNowRefundFen: null, refund: { fen: 1000, state: 'pending', reason: 'cancelled_by_driver', refundedAt: null } }) },
    });
    render(<MyBookingsPage />);
    await see('预约成功');
    expect(within($('#booking-BK0002')).getByText('已退款 ¥5.00')).toBeTruthy();
    expect(within($('#booking-BK0002')).queryByText('取消预约')).toBeNull();
    await tap(within($('#booking-BK0001')).getByText('取消预约'));
    await see('取消后退回 ¥10.00');
    expect(api.calls('POST /api/bookings/BK0001/cancel')).toHaveLength(0);
    await tap(screen.getByText('确认取消'));
    expect(api.calls('POST /api/bookings/BK0001/cancel')).toHaveLength(1);
    await see('退款中 ¥10.00');
    expect(within($('#booking-BK0001')).getByText('已取消')).toBeTruthy();
  });

  it('an unpaid one can be paid from here', async () => {
    Taro.requestPayment.mockImplementation(async () => ({ errMsg: 'requestPayment:fail cancel' }));
    const api = fakeApi({
      'GET /api/bookings': { data: { bookings: [booking('awaiting_payment')] } },
      'POST /api/bookings/BK0001/pay': { data: { booking: booking('awaiting_payment'), pay: wechatPay } },
    });
    render(<MyBookingsPage />);
    await tap(await see('去支付'));
    await tap(screen.getByText('微信支付 ¥10.00'));
    await see('支付已取消');
    expect(api.calls('POST /api/bookings/BK0001/pay')).toHaveLength(1);
  });
});
