/** Fixed coupon codes (4.24), the lot's own lists (4.32 / 4.31) beside ours, booking capacity (4.1). */
import { render, screen, within } from '@testing-library/react';
import { ledgerName, sortLedgers } from '../../../miniapp/src/packages/op/bookings/Capacity';
import OpBookingsPage from '../../../miniapp/src/packages/op/bookings/index';
import { EMPTY_FIXED, fixedBody } from '../../../miniapp/src/packages/op/coupons/fixed';
import OpCouponsPage from '../../../miniapp/src/packages/op/coupons/index';
import OpListsPage from '../../../miniapp/src/packages/op/lists/index';
import { compareLists } from '../../../miniapp/src/packages/op/lists/LotLists';
import { fakeApi } from '../support/http';
import Taro, { resetTaroMock } from '../support/taro-mock';
import { opLoggedIn, park } from './support';
import { see, tap, type } from '../support/ui';

// A whole console page rendered in jsdom takes seconds when the machine is busy.
jest.setTimeout(20_000);

beforeEach(() => {
  resetTaroMock();
  process.env.TARO_ENV = 'h5';
  Taro.useRouter.mockImplementation(() => ({ params: { park: 'p_demo_001' } }));
  opLoggedIn('operator');
});

const $ = (sel: string) => document.querySelector<HTMLElement>(sel)!;
const at = '2026-11-28T02:00:00.000Z';

function fixed(over: Record<string, unknown> = {}) {
  return {
    code: 'PPQ0000000001', parkNumber: 'p_demo_001', kind: 'hours', minutes: 60, fen: null, end: '2099-12-01T00:00:00.000Z', maxUses: null, uses: 0, disabled: false,
    label: '', issuer: { username: 'demo-admin', role: 'admin', displayName: null }, createdAt: at, ...over,
  };
}

describe('fixed coupon codes', () => {
  it('the form: amount as for a coupon, 1–90 days (ending just inside), an optional use limit', () => {
    const now = Date.parse(at);
    expect(fixedBody({ ...EMPTY_FIXED, minutes: '120', days: '90', label: ' 咖啡店 ' }, now)).toEqual({ body: { kind: 'hours', minutes: 120, end: new Date(now + 90 * 86_400_000 - 60_000).toISOString(), label: '咖啡店' } });
    expect(fixedBody({ ...EMPTY_FIXED, kind: 'money', yuan: '5', maxUses: '100' }, now)).toMatchObject({ body: { kind: 'money', fen: 500, maxUses: 100 } });
    expect(fixedBody({ ...EMPTY_FIXED, days: '91' }, now)).toHaveProperty('error');
    expect(fixedBody({ ...EMPTY_FIXED, days: '0' }, now)).toHaveProperty('error');
    expect(fixedBody({ ...EMPTY_FIXED, maxUses: '0' }, now)).toHaveProperty('error');
    expect(fixedBody({ ...EMPTY_FIXED, kind: 'money', yuan: '' }, now)).toHaveProperty('error');
  });

  it('makes a code, lists the park’s codes with their uses, stops and starts one', async () => {
    const api = fakeApi({
      'GET /api/op/parks/p_demo_001/coupons': { data: { coupons: [] } },
      'GET /api/op/parks/p_demo_001/fixed-coupons': { data: { codes: [fixed({ code: 'PPQ0000000009', maxUses: 10, uses: 10 })] } },
      'POST /api/op/parks/p_demo_001/fixed-coupons': { data: fixed({ kind: 'money', minutes: null, fen: 500, maxUses: 50, label: '咖啡店' }) },
      'POST /api/op/parks/p_demo_001/fixed-coupons/PPQ0000000001/disable': { data: fixed({ kind: 'money', minutes: null, fen: 500, maxUses: 50, label: '咖啡店', disabled: true }) },
      'POST /api/op/parks/p_demo_001/fixed-coupons/PPQ0000000001/enable': { data: fixed({ kind: 'money', minutes: null, fen: 500, maxUses: 50, label: '咖啡店' }) },
    });
    render(<OpCouponsPage />);
    await see('PPQ0000000009');
    expect(within($('#fixed-PPQ0000000009')).getByText('次数已用完')).toBeTruthy();
    await tap(within($('.op-fixed-kind')).getByText('金额券'));
    await type($('.op-fixed-yuan'), '5');
    await type($('.op-fixed-max-uses'), '50');
    await type($('.op-fixed-label'), '咖啡店');
    await tap($('.op-fixed-create'));
    await see(/^券码 PPQ0000000001：¥5.00 停车券/);
    const body = api.calls('POST /api/op/parks/p_demo_001/fixed-coupons')[0]!.body as Record<string, unknown>;
    expect(body).toEqual({ kind: 'money', fen: 500, maxUses: 50, label: '咖啡店', end: expect.any(String) });
    const days = (Date.parse(body.end as string) - Date.now()) / 86_400_000;
    expect(days).toBeGreaterThan(29.9);
    expect(days).toBeLessThanOrEqual(30);
    const row = () => $('#fixed-PPQ0000000001');
    expect(within(row()).getByText('可使用')).toBeTruthy();
    await tap(within(row()).getByText('停用'));
    await see('已停用');
    await tap(within(row()).getByText('启用'));
    expect(within(row()).getByText('可使用')).toBeTruthy();
    expect(api.calls('POST /api/op/parks/p_demo_001/fixed-coupons/PPQ0000000001/disable')).toHaveLength(1);
    expect(api.calls('POST /api/op/parks/p_demo_001/fixed-coupons/PPQ0000000001/enable')).toHaveLength(1);
  });
});

describe('the lot’s own lists beside ours', () => {
  it('compares plates both ways', () => {
    expect(compareLists([{ plate: 'A' }, { plate: 'B' }], ['B', 'C'])).toEqual({ both: 1, lotOnly: 1, oursOnly: ['C'] });
    expect(compareLists([{ plate: 'A' }], undefined)).toBeUndefined();
  });

  it('on demand: the lot’s whitelist marked against ours, its renewals, with header rows', async () => {
    const entry = (plate: string) => ({ plate, memo: '', white: null, sync: { state: 'synced', error: null, at }, origin: 'manual', importId: null, updatedBy: 'demo-admin', createdAt: at, updatedAt: at });
    const api = fakeApi({
      'GET /api/op/parks/p_demo_001/lists/white': { data: { entries: [entry('京A11111'), entry('京A33333')], total: 2 } },
      'GET /api/op/parks/p_demo_001/list-jobs': { data: { jobs: [] } },
      'GET /api/op/parks/p_demo_001/lot-lists': {
        data: {
          whitelist: [
            { plate: '京A11111', fixedId: 7, source: '1', changedAt: at, record: { name: '张三', carType: '月租车', start: '2026-01-01', end: '2026-12-31' } },
            { plate: '京C55555', fixedId: null, source: '2', changedAt: null, record: { name: '王五' } },
          ],
          renewals: [{ plates: ['京A11111'], payTime: at, payChargeFen: 30000, feeMonths: 1, end: '2026-12-31T15:59:59.000Z', record: {} }],
        },
      },
    });
    render(<OpListsPage />);
    await see('京A33333');
    expect(api.calls('GET /api/op/parks/p_demo_001/lot-lists')).toHaveLength(0); // not before it is asked for
    await tap(screen.getByText('查看车场名单'));
    await see('车场白名单：2 辆');
    expect(within($('#lot-white-京A11111')).getByText('两边都有')).toBeTruthy();
    expect(within($('#lot-white-京A11111')).getByText('张三')).toBeTruthy();
    expect(within($('#lot-white-京A11111')).getByText('月租车')).toBeTruthy();
    expect(within($('#lot-white-京A11111')).getByText('2026-01-01 至 2026-12-31')).toBeTruthy();
    expect(within($('#lot-white-京C55555')).getByText('仅车场有')).toBeTruthy();
    expect(within($('#lot-white-京C55555')).getByText('车场录入')).toBeTruthy();
    await see('两边都有 1 辆 · 仅车场有 1 辆 · 仅 ParkPay 有 1 辆（京A33333）');
    const renewal = $('.op-renewal');
    expect(within(renewal).getByText('¥300.00')).toBeTruthy();
    expect(within(renewal).getByText('1 个月')).toBeTruthy();
    expect(within(renewal).getByText('2026-12-31 23:59')).toBeTruthy();
    // A header row names the columns; no section numbers.
    expect(within($('.op-lot-whitelist')).getByText('ParkPay 名单')).toBeTruthy();
    expect(document.body.textContent).not.toMatch(/4\.3[12]/);
  });
});

describe('booking capacity', () => {
  it('names and orders the ledgers', () => {
    expect(ledgerName('all')).toBe('整个车场');
    expect(ledgerName('area:3')).toBe('区域 3');
    expect(sortLedgers([{ key: 'area:10' }, { key: 'area:2' }, { key: 'all' }]).map((l) => l.key)).toEqual(['all', 'area:2', 'area:10']);
  });

  it('shows what ParkPay holds of the lot’s bookable spaces, or that no heartbeat came yet', async () => {
    fakeApi({
      'GET /api/op/parks/p_demo_001/booking-offers': { data: { offers: [] } },
      'GET /api/op/parks/p_demo_001/bookings': { data: { bookings: [] } },
      'GET /api/op/parks/p_demo_001/bookings/reconciliation': { data: { report: null } },
      'GET /api/op/parks/p_demo_001/booking-capacity': [
        { data: { heartbeatAt: null, ledgers: [], areas: [] } },
        { data: { heartbeatAt: at, ledgers: [{ key: 'area:1', free: 0 }, { key: 'all', free: 12 }], areas: [{ areaId: 1, name: '地面停车场' }] } },
      ],
      'GET /api/op/parks/p_demo_001': { data: park() },
    });
    render(<OpBookingsPage />);
    await see('车场还没有发来心跳：暂不能售出预约');
    await tap($('.op-capacity-reload'));
    await see('车场心跳：2026-11-28 10:00');
    expect(within($('.op-ledger-all')).getByText('剩余 12 个')).toBeTruthy();
    expect(within($('.op-ledger-area-1')).getByText('已满')).toBeTruthy();
    // Areas by the names the lot gives them.
    expect(within($('.op-ledger-area-1')).getByText('地面停车场')).toBeTruthy();
    expect($('.op-capacity .op-ledger').className).toContain('op-ledger-all'); // the whole lot first
  });
});
