import { act, fireEvent, render, screen, within } from '@testing-library/react';
import { defaultOfferForm, offerBody } from '../../../miniapp/src/packages/op/bookings/form';
import OpBookingsPage from '../../../miniapp/src/packages/op/bookings/index';
import { fakeApi } from '../support/http';
import Taro, { resetTaroMock } from '../support/taro-mock';
import { opLoggedIn, park } from './support';
import { see, tap, type } from '../support/ui';

// Taro's date and time pickers take a few seconds to render under jsdom on a busy machine.
jest.setTimeout(30_000);

beforeEach(() => {
  resetTaroMock();
  process.env.TARO_ENV = 'h5';
  Taro.useRouter.mockImplementation(() => ({ params: { park: 'p_demo_001' } }));
  opLoggedIn('operator');
});

const $ = (sel: string) => document.querySelector<HTMLElement>(sel)!;

const rule = { fullRefundMinutesBefore: 60, lateRefundPercent: 50 };
const at = '2026-11-28T02:00:00.000Z';
const opOffer = (over: Record<string, unknown> = {}) => ({
  offerId: 'of_1', parkNumber: 'p_demo_001', title: '早高峰预约', areaId: 0, priceFen: 1000,
  start: '2026-11-29T00:00:00.000Z', end: '2026-11-29T10:00:00.000Z', letInStart: '2026-11-29T00:00:00.000Z', letInEnd: '2026-11-29T02:00:00.000Z',
  count: 10, held: 2, cancelRule: rule, status: 'on_sale', createdBy: 'demo-admin', createdAt: at, ...over,
});
const opBooking = (status: string, over: Record<string, unknown> = {}) => ({
  bookingNo: 'BK0001', parkNumber: 'p_demo_001', offerId: 'of_1', title: '早高峰预约', plate: '京A12345', areaId: 0, priceFen: 1000,
  start: '2026-11-29T00:00:00.000Z', end: '2026-11-29T10:00:00.000Z', letInStart: '2026-11-29T00:00:00.000Z', letInEnd: '2026-11-29T02:00:00.000Z',
  status, cancelRule: rule, order: null, refund: null, cancelNowRefundFen: null, admittedAt: null, cancelledAt: null, createdAt: at,
  reconciled: null, lotProblem: null, ...over,
});

describe('the offer form', () => {
  it('China times and yuan → the create body; mistakes are named', () => {
    const now = Date.parse('2026-11-28T02:00:00Z');
    const f = { ...defaultOfferForm(now), yuan: '12.5', count: '20' };
    expect(f.letInStart).toBe('2026-11-29 08:00');
    expect(offerBody(f, now)).toEqual({
      title: '工作日早高峰预约', areaId: 0, priceFen: 1250, count: 20,
      letInStart: '2026-11-29T00:00:00.000Z', letInEnd: '2026-11-29T02:00:00.000Z', start: '2026-11-29T00:00:00.000Z', end: '2026-11-29T10:00:00.000Z',
      cancelRule: { fullRefundMinutesBefore: 60, lateRefundPercent: 50 },
    });
    expect(offerBody({ ...f, letInEnd: '2026-11-29 07:00' }, now)).toEqual({ error: '入场时间的结束须晚于开始' });
    expect(offerBody({ ...f, start: '11/29 8:00' }, now)).toHaveProperty('error');
    expect(offerBody({ ...f, yuan: '0' }, now)).toHaveProperty('error');
    expect(offerBody({ ...f, lateRefundPercent: '120' }, now)).toHaveProperty('error');
    // The car may come in only while its space is held, and not in the past.
    expect(offerBody({ ...f, start: '2026-11-29 09:00' }, now)).toEqual({ error: '入场时间须在车位保留时段之内' });
    expect(offerBody(f, Date.parse('2026-11-29T03:00:00Z'))).toEqual({ error: '入场时间已经过去' });
  });
});

describe('operator bookings', () => {
  it('puts an offer on sale, lists offers with places held, withdraws one', async () => {
    const api = fakeApi({
      'GET /api/op/parks/p_demo_001/booking-offers': { data: { offers: [opOffer()] } },
      'GET /api/op/parks/p_demo_001/booking-capacity': {
        data: { heartbeatAt: at, ledgers: [{ key: 'all', free: 12 }, { key: 'area:2', free: 3 }], areas: [{ areaId: 1, name: '地面停车场' }, { areaId: 2, name: '地下停车场' }] },
      },
      'GET /api/op/parks/p_demo_001': { data: park({ settings: { service: { tariffText: '首小时 5 元' } } }) },
      'GET /api/op/parks/p_demo_001/bookings': { data: { bookings: [] } },
      'GET /api/op/parks/p_demo_001/bookings/reconciliation': { data: { report: null } },
      'POST /api/op/parks/p_demo_001/booking-offers': { data: opOffer({ offerId: 'of_2', title: '夜间预约', held: 0, count: 5 }) },
      'POST /api/op/parks/p_demo_001/booking-offers/of_1/withdraw': { data: opOffer({ status: 'withdrawn' }) },
    });
    render(<OpBookingsPage />);
    await see('已约 2 / 10');
    // Areas by name, not number; what the lot can take beside the count.
    await type($('.op-offer-title'), '夜间预约');
    await see('不限区域现在可预约 12 个');
    await tap(within($('.op-offer-area')).getByText('地下停车场'));
    await type($('.op-offer-count'), '5');
    await see('地下停车场现在可预约 3 个，多出的 2 个要等车场有空位才能售出');
    // Times are picked: the date picker's choice changes the date, the time stays.
    const date = $('.op-offer-letInEnd taro-picker-core');
    await act(async () => {
      fireEvent(date, new CustomEvent('change', { detail: { value: '2030-01-02' } }));
    });
    expect($('.op-offer-letInEnd .op-datetime-date').textContent).toBe('2030-01-02');
    await see('入场时间须在车位保留时段之内');
    await act(async () => {
      fireEvent($('.op-offer-letInEnd taro-picker-core'), new CustomEvent('change', { detail: { value: ($('.op-offer-letInStart .op-datetime-date').textContent ?? '') } }));
    });
    // The driver's view of it, with what the price covers and the park's tariff.
    const preview = $('.op-offer-preview');
    expect(within(preview).getByText('夜间预约')).toBeTruthy();
    expect(within(preview).getByText('地下停车场')).toBeTruthy();
    expect(within(preview).getByText(/价格为预约费/)).toBeTruthy();
    expect(within(preview).getByText('收费标准：首小时 5 元')).toBeTruthy();
    expect(within(preview).getByText('5 个')).toBeTruthy();
    await tap($('.op-offer-create'));
    const body = api.calls('POST /api/op/parks/p_demo_001/booking-offers')[0]!.body as Record<string, unknown>;
    expect(body).toMatchObject({ title: '夜间预约', count: 5, priceFen: 1000, areaId: 2 });
    await see('已上架：夜间预约');
    expect(within($('#offer-of_2')).getByText('已约 0 / 5')).toBeTruthy();
    await tap(within($('#offer-of_1')).getByText('下架'));
    expect(api.calls('POST /api/op/parks/p_demo_001/booking-offers/of_1/withdraw')).toHaveLength(1);
    await see('已下架');
  });

  it('cancels a booking after a confirmation (with a reason); shows what reconciliation found', async () => {
    const api = fakeApi({
      'GET /api/op/parks/p_demo_001/booking-offers': { data: { offers: [] } },
      'GET /api/op/parks/p_demo_001/booking-capacity': { data: { heartbeatAt: null, ledgers: [], areas: [] } },
      'GET /api/op/parks/p_demo_001': { data: park() },
      'GET /api/op/parks/p_demo_001/bookings': {
        data: { bookings: [opBooking('booked'), opBooking('cancelled', { bookingNo: 'BK0002', plate: '京B2', lotProblem: '车场未确认取消' }), opBooking('booked', { bookingNo: 'BK0003', plate: '京B3', reconciled: { at, issue: 'missing_at_lot' } })] },
      },
      'GET /api/op/parks/p_demo_001/bookings/reconciliation': { data: { report: null } },
      'POST /api/op/parks/p_demo_001/bookings/BK0001/cancel': { data: opBooking('cancelled', { refund: { fen: 1000, state: 'pending', reason: 'cancelled_by_operator', refundedAt: null } }) },
      'POST /api/op/parks/p_demo_001/bookings/reconcile': { data: { parkNumber: 'p_demo_001', ranAt: at, lotOpen: 3, oursOpen: 2, matched: 2, admitted: 0, differences: [{ bookOrderId: 'BK9', plate: '京C3', kind: 'unknown_at_lot', detail: '车场有预约 BK9（京C3），ParkPay 没有发出过' }] } },
    });
    render(<OpBookingsPage />);
    await see('车场未确认取消');
    // What reconciliation found, in words (not its code).
    expect(within($('#booking-BK0003')).getByText('对账：车场没有这条预约')).toBeTruthy();
    await tap(within($('#booking-BK0001')).getByText('取消'));
    await see('取消 京A12345 的预约并全额退款 ¥10.00？');
    await type($('.op-booking-reason'), '车主电话要求');
    await tap(screen.getByText('确认取消'));
    expect(api.calls('POST /api/op/parks/p_demo_001/bookings/BK0001/cancel')[0]!.body).toEqual({ reason: '车主电话要求' });
    await see(/退款中 ¥10.00/);

    await see('还没有对过账');
    await tap(screen.getByText('立即对账'));
    await see('车场有效 3 · 本系统有效 2 · 一致 2 · 已入场 0 · 差异 1');
    expect(screen.getByText('车场有、本系统没有')).toBeTruthy();
  });
});
