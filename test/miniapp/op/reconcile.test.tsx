import { render, screen, within } from '@testing-library/react';
import { addDays, chartRows } from '../../../miniapp/src/packages/op/reconcile/chart';
import OpReconcilePage from '../../../miniapp/src/packages/op/reconcile/index';
import { browserFiles } from '../../../miniapp/src/packages/op/services/files';
import { fakeApi } from '../support/http';
import Taro, { resetTaroMock } from '../support/taro-mock';
import { OP_TOKEN, opLoggedIn } from './support';
import { see, tap } from '../support/ui';

const saved: { name: string; mime: string; text: string }[] = [];
beforeEach(() => {
  resetTaroMock();
  process.env.TARO_ENV = 'h5';
  Taro.useRouter.mockImplementation(() => ({ params: { park: 'p_demo_001', date: '2026-11-28' } }));
  opLoggedIn('operator');
  saved.length = 0;
  jest.spyOn(browserFiles, 'save').mockImplementation((bytes, name, mime) => void saved.push({ name, mime, text: new TextDecoder('utf-8', { ignoreBOM: true }).decode(bytes) })) // the BOM kept, as saved;
});

const $ = (sel: string) => document.querySelector<HTMLElement>(sel)!;

const zero = { wechat: 0, alipay: 0, cash: 0, unionpay: 0, transit_card: 0, other: 0 };
const CHANNELS = ['wechat', 'alipay', 'cash', 'unionpay', 'transit_card', 'other'] as const;

describe('the takings chart', () => {
  it('bars against the largest day, segments per channel of the day', () => {
    const rows = chartRows(
      [
        { date: '2026-11-27', totalFen: 1000, byChannel: { ...zero, wechat: 750, alipay: 250 } },
        { date: '2026-11-28', totalFen: 2000, byChannel: { ...zero, wechat: 1000, cash: 1000 } },
        { date: '2026-11-29', totalFen: 0, byChannel: zero },
      ],
      CHANNELS,
    );
    expect(rows.map((r) => r.barPercent)).toEqual([50, 100, 0]);
    expect(rows[0]!.segments).toEqual([
      { channel: 'wechat', fen: 750, percent: 75 },
      { channel: 'alipay', fen: 250, percent: 25 },
    ]);
    expect(rows[2]!.segments).toEqual([]);
    expect(chartRows([], CHANNELS)).toEqual([]);
  });

  it('days step over month and year ends', () => {
    expect(addDays('2026-11-28', -13)).toBe('2026-11-15');
    expect(addDays('2026-12-31', 1)).toBe('2027-01-01');
    expect(addDays('2024-03-01', -1)).toBe('2024-02-29');
  });
});

function row(status: string, over: Record<string, unknown> = {}) {
  return { status, channel: 'wechat', plate: '京A12345', orderId: 'o1', at: '2026-11-28T02:00:00.000Z', ours: { ref: 'PP1', kind: 'prepay', amountFen: 400, refundedFen: 0, paidAt: '2026-11-28T02:00:00.000Z' }, lot: { payNo: 'PP1', sources: ['4.3'], at: '2026-11-28T02:30:00.000Z', amountFen: 400, payKind: '', payChannel: '' }, differenceFen: 0, takingsFen: 400, ...over };
}
/** Every status has a count (zod's record over an enum is exhaustive). */
const counts = (c: Record<string, number>) => ({ matched: 0, amount_differs: 0, missing_at_lot: 0, awaiting_lot: 0, missing_ours: 0, lot_only: 0, refunded: 0, refunded_but_at_lot: 0, not_for_lot: 0, ...c });
const totals = (w: number, c = 0) => ({ totalFen: w + c, byChannel: { ...zero, wechat: w, cash: c } });
const day = {
  parkNumber: 'p_demo_001', date: '2026-11-28', from: '2026-11-27T16:00:00.000Z', to: '2026-11-28T16:00:00.000Z', generatedAt: '2026-11-28T08:00:00.000Z',
  summary: { counts: counts({ matched: 1, amount_differs: 1, lot_only: 1 }), differences: 1, ours: { ...totals(800), refundedFen: 0 }, lot: totals(1000, 500), takings: totals(800, 500), passes: { online: { count: 0, fen: 0, refundedFen: 0 }, booth: { count: 0, fen: 0 } } },
  rows: [
    row('matched'),
    row('amount_differs', { plate: '沪B2', orderId: 'o2', lot: { payNo: 'PP2', sources: ['4.15'], at: null, amountFen: 600, payKind: '', payChannel: '' }, differenceFen: 200 }),
    row('lot_only', { plate: '苏C3', orderId: 'o3', channel: 'cash', ours: null, takingsFen: 500 }),
  ],
};

describe('the reconciliation page', () => {
  it('the day: totals, counts, the differences first (all on demand), the chart, the CSV', async () => {
    const api = fakeApi({
      'GET /api/op/parks/p_demo_001/reconciliation/daily': { data: day },
      'GET /api/op/parks/p_demo_001/reconciliation/takings': {
        data: { channels: ['wechat', 'alipay', 'cash'], days: [{ date: '2026-11-27', totalFen: 650, byChannel: { ...zero, wechat: 650 } }, { date: '2026-11-28', totalFen: 1300, byChannel: { ...zero, wechat: 800, cash: 500 } }] },
      },
      'GET /api/op/parks/p_demo_001/reconciliation/daily.csv': { data: new TextEncoder().encode('\uFEFF日期,车牌\n2026-11-28,京A12345\n').buffer },
    });
    render(<OpReconcilePage />);
    await see('1 笔有差异');
    expect(api.calls('GET /api/op/parks/p_demo_001/reconciliation/daily')[0]!.url).toMatch(/date=2026-11-28$/);
    expect(api.calls('GET /api/op/parks/p_demo_001/reconciliation/takings')[0]!.url).toMatch(/from=2026-11-15&to=2026-11-28$/);
    expect(screen.getByText('金额不一致 1')).toBeTruthy();
    expect(screen.getByText('车场自收 1')).toBeTruthy();
    expect(screen.getByText('+¥2.00')).toBeTruthy();
    expect(screen.queryByText('苏C3')).toBeNull(); // only the differences at first
    await tap(screen.getByText('全部 3 笔'));
    expect(screen.getByText('苏C3')).toBeTruthy();
    expect(screen.getByText('微信 ¥8.00 · 现金 ¥5.00')).toBeTruthy();

    // The chart: a bar per day against the largest, a segment per channel.
    await screen.findByText('¥13.00', { selector: '#day-2026-11-28 *' });
    expect($('#day-2026-11-27 .op-chart-bar').getAttribute('style')).toMatch(/width: 50%/);
    expect($('#day-2026-11-28 .op-chart-seg-cash').getAttribute('style')).toMatch(/width: 38\.5%/);

    // Monthly passes of the day: none, so no line for them.
    expect(document.querySelector('.op-recon-passes')).toBeNull();

    await tap(screen.getByText('导出 CSV'));
    const csv = api.calls('GET /api/op/parks/p_demo_001/reconciliation/daily.csv')[0]!;
    expect(csv.url).toMatch(/daily\.csv\?date=2026-11-28$/);
    expect(csv.header.authorization).toBe(`Bearer ${OP_TOKEN}`);
    expect(saved).toEqual([{ name: 'p_demo_001-2026-11-28-对账.csv', mime: 'text/csv', text: '\uFEFF日期,车牌\n2026-11-28,京A12345\n' }]);
  });

  it('monthly passes of the day: online (ours, with refunds) and at the booth (the lot’s 4.31)', async () => {
    const withPasses = { ...day, summary: { ...day.summary, passes: { online: { count: 2, fen: 115_000, refundedFen: 30_000 }, booth: { count: 1, fen: 30_000 } } } };
    fakeApi({
      'GET /api/op/parks/p_demo_001/reconciliation/daily': { data: withPasses },
      'GET /api/op/parks/p_demo_001/reconciliation/takings': { data: { channels: ['wechat'], days: [] } },
    });
    render(<OpReconcilePage />);
    await see('月卡：线上续费 2 笔 ¥1150.00（退款 ¥300.00），岗亭续费 1 笔 ¥300.00');
  });

  it('the day before: both the day and the chart move', async () => {
    const api = fakeApi({
      'GET /api/op/parks/p_demo_001/reconciliation/daily': { data: { ...day, summary: { ...day.summary, differences: 0, counts: counts({ matched: 1 }) }, rows: [row('matched')] } },
      'GET /api/op/parks/p_demo_001/reconciliation/takings': { data: { channels: ['wechat'], days: [] } },
    });
    render(<OpReconcilePage />);
    await see('没有差异');
    expect(screen.getByText('这一天没有差异')).toBeTruthy();
    await tap(screen.getByText('前一天'));
    await see('没有差异');
    expect(api.calls('GET /api/op/parks/p_demo_001/reconciliation/daily').at(-1)!.url).toMatch(/date=2026-11-27$/);
    expect(api.calls('GET /api/op/parks/p_demo_001/reconciliation/takings').at(-1)!.url).toMatch(/from=2026-11-14&to=2026-11-27$/);
  });

  it('merchants are refused by the server: said', async () => {
    opLoggedIn('merchant');
    fakeApi({
      'GET /api/op/parks/p_demo_001/reconciliation/daily': { status: 403, data: { error: { code: 'forbidden_role', message: 'no' } } },
      'GET /api/op/parks/p_demo_001/reconciliation/takings': { status: 403, data: { error: { code: 'forbidden_role', message: 'no' } } },
    });
    render(<OpReconcilePage />);
    expect((await screen.findAllByText('当前角色不能做这个操作')).length).toBe(2);
    expect(within(document.body).queryByText(/笔有差异/)).toBeNull();
  });
});
