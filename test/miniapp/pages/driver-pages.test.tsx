/**
 * The driver's pages beyond the lane: the demo's login (asked, never made up; switched), the history of
 * every payment and its receipt, the park list, the pay page's ways on from a dead end, and the lane page's
 * tariff and ways on.
 */
import { act, fireEvent, render, screen } from '@testing-library/react';
import type { PaymentEntry, ReceiptView } from '../../../shared/api/history';
import LanePage from '../../../miniapp/src/pages/lane/index';
import Index from '../../../miniapp/src/pages/index/index';
import PayPage from '../../../miniapp/src/pages/pay/index';
import HistoryPage from '../../../miniapp/src/packages/me/history/index';
import ReceiptPage from '../../../miniapp/src/packages/me/receipt/index';
import ParkListPage from '../../../miniapp/src/packages/park/list/index';
import PrepayPage from '../../../miniapp/src/packages/park/prepay/index';
import { sessionToken } from '../../../miniapp/src/services/api';
import { fakeApi, loggedIn, session } from '../support/http';
import Taro, { resetTaroMock } from '../support/taro-mock';

// Taro's <Input> web component logs a TypeError from its value watcher under jsdom (harmless).
const consoleError = console.error.bind(console);
jest.spyOn(console, 'error').mockImplementation((...args: unknown[]) => {
  const first = args[0];
  if (first instanceof Error && /taro-input-core/.test(first.stack ?? '')) return;
  consoleError(...args);
});

const service = { tariffText: '停车 15 分钟内免费；超过后每小时 2 元', freeMinutes: 15, paidFreeMinutes: 15, phone: '010-6555 0100', address: '北京市朝阳区示例路 1 号' };
const park = {
  parkNumber: 'p_demo_001',
  name: '示例停车场',
  service,
  spaces: { total: 200, free: 187, updatedAt: '2026-11-28T10:00:00.000Z' },
  areas: [],
  lanes: [
    { passagewayId: '1', name: '东门入口', direction: 'in' },
    { passagewayId: '2', name: '东门出口', direction: 'out' },
  ],
};

beforeEach(() => {
  resetTaroMock();
  process.env.TARO_ENV = 'h5';
  window.history.replaceState(null, '', '/');
});

const at = (params: Record<string, string>) => Taro.useRouter.mockImplementation(() => ({ params }));
const see = (t: string | RegExp) => screen.findByText(t);
async function click(t: string | Element) {
  await act(async () => {
    fireEvent.click(typeof t === 'string' ? screen.getByText(t) : t);
  });
}
async function type(el: Element, value: string) {
  await act(async () => {
    fireEvent(el, new CustomEvent('input', { detail: { value } }));
  });
}

describe('the demo login', () => {
  it('home asks who the driver is, logs in by that name, and "换一个用户" asks again', async () => {
    const api = fakeApi({ 'POST /api/auth/demo': [{ data: session('tok-zhang') }, { data: session('tok-li') }] });
    render(<Index />);
    expect(screen.getByText('演示登录：你是谁？')).toBeTruthy();
    await type(document.querySelector('.demo-name')!, 'zhang');
    await click('登录');
    await see('演示模式 · 用户 zhang');
    expect(api.calls('POST /api/auth/demo').map((c) => c.body)).toEqual([{ name: 'zhang' }]);
    expect(sessionToken()).toBe('tok-zhang');
    await click('换一个用户');
    expect(sessionToken()).toBeUndefined();
    await see('演示登录：你是谁？');
    await type(document.querySelector('.demo-name')!, 'li');
    await click('登录');
    await see('演示模式 · 用户 li');
    expect(api.calls('POST /api/auth/demo').map((c) => c.body)).toEqual([{ name: 'zhang' }, { name: 'li' }]);
  });

  it('a page that needs the driver asks right there, then carries on', async () => {
    const api = fakeApi({ 'POST /api/auth/demo': { data: session('tok-wang') }, 'GET /api/me/payments': { data: { payments: [] } } });
    render(<HistoryPage />);
    await see('演示登录');
    expect(api.calls('GET /api/me/payments')).toHaveLength(0);
    await type(document.querySelector('.demo-name')!, 'wang');
    await click('登录');
    await see('还没有缴费记录');
    expect(api.calls('GET /api/me/payments')[0]!.header.authorization).toBe('Bearer tok-wang');
  });
});

const entry = (over: Partial<PaymentEntry>): PaymentEntry => ({
  ref: 'PP2611281000001',
  kind: 'stay',
  parkNumber: 'p_demo_001',
  parkName: '示例停车场',
  plate: '京A12345',
  amountFen: 400,
  status: 'paid',
  channel: 'wechat',
  at: '2026-11-28T10:00:00.000Z',
  title: null,
  refund: null,
  ...over,
});

describe('history and receipts', () => {
  beforeEach(() => loggedIn());

  it('every payment, marked: a stay, 无感支付, 预约 with its refund and reason; a tap opens the receipt', async () => {
    fakeApi({
      'GET /api/me/payments': {
        data: {
          payments: [
            entry({ ref: 'PW2611281000009', kind: 'deduction', channel: 'alipay', amountFen: 2000 }),
            entry({ ref: 'PP2611281000002', kind: 'booking', title: '周末停车预约', amountFen: 1500, status: 'refunded', refund: { fen: 1500, reason: 'booking_cancelled: cancelled by the driver', state: 'done', refundedAt: '2026-11-28T11:00:00.000Z' } }),
            entry({}),
          ],
        },
      },
    });
    render(<HistoryPage />);
    await see('无感支付');
    expect(screen.getByText('¥20.00')).toBeTruthy();
    expect(screen.getByText('预约')).toBeTruthy();
    expect(screen.getByText(/周末停车预约/)).toBeTruthy();
    expect(screen.getByText(/预约已取消/)).toBeTruthy();
    expect(screen.getByText('停车缴费')).toBeTruthy();
    await click(document.querySelector('[data-ref="PW2611281000009"]')!);
    expect(Taro.navigateTo).toHaveBeenCalledWith({ url: '/packages/me/receipt/index?ref=PW2611281000009' });
  });

  it('a receipt: park, plate, entry and exit, amount, channel, our number and the provider’s', async () => {
    at({ ref: 'PP2611281000001' });
    const receipt: ReceiptView = {
      ...entry({}),
      inTime: '2026-11-28 16:45:00',
      outTime: '2026-11-28 18:10:00',
      stopMinutes: 85,
      chargeFen: 400,
      discountFen: 0,
      paidBeforeFen: 0,
      paidAt: '2026-11-28T10:00:00.000Z',
      transactionId: '4200001234202611280000001',
      refundNo: null,
      booking: null,
    };
    fakeApi({
      'GET /api/me/payments/PP2611281000001': { data: receipt },
      'GET /api/invoices/for-payment': { data: { payment: { kind: 'order', ref: 'PP2611281000001', netFen: 400, provider: 'wechat' }, invoice: null, available: true, reason: null } },
    });
    render(<ReceiptPage />);
    await see('4200001234202611280000001');
    for (const t of ['示例停车场', '京A12345', '2026-11-28 16:45', '2026-11-28 18:10', '1小时25分钟', '微信支付', 'PP2611281000001', '2026-11-28 18:00']) expect(screen.getAllByText(t).length).toBeGreaterThan(0);
    // A tap copies a number the driver may have to quote.
    await click('4200001234202611280000001');
    expect(Taro.setClipboardData).toHaveBeenCalledWith({ data: '4200001234202611280000001' });
  });
});

describe('choosing a park', () => {
  it('recent parks and a search by name or address; the chosen park opens pre-pay', async () => {
    loggedIn();
    Taro.setStorageSync('parkpay.demoName', 'zhang');
    const summary = { parkNumber: 'p_demo_001', name: '示例停车场', address: '北京市朝阳区示例路 1 号', spaces: { total: 200, free: 187 } };
    const api = fakeApi({
      'GET /api/me/parks': { data: { parks: [{ ...summary, lastAt: '2026-11-28T10:00:00.000Z', carInPark: true }] } },
      'GET /api/parks': { data: { parks: [summary] } },
    });
    render(<ParkListPage />);
    await see('最近去过');
    expect(screen.getByText('我的车在这里')).toBeTruthy();
    jest.useFakeTimers();
    await type(document.querySelector('.park-search')!, '朝阳');
    await act(async () => {
      jest.advanceTimersByTime(400);
    });
    jest.useRealTimers();
    await see('“朝阳”的搜索结果');
    expect(api.sent.filter((s) => s.url.startsWith('/api/parks?')).map((s) => decodeURIComponent(s.url))).toEqual(['/api/parks?q=朝阳']);
    await click(document.querySelectorAll('.park-item')[0]!);
    expect(Taro.redirectTo).toHaveBeenCalledWith({ url: '/packages/park/prepay/index?park=p_demo_001' });
  });

  it('pre-pay without a park goes to the park list first (it said "请先扫描车场的车道码")', async () => {
    render(<PrepayPage />);
    expect(Taro.redirectTo).toHaveBeenCalledWith({ url: '/packages/park/list/index?next=prepay' });
  });
});

describe('never a dead end', () => {
  beforeEach(() => loggedIn());

  it('an unknown plate: the way home and to type the plate, besides a retry', async () => {
    at({ kind: 'prepay', park: 'p_demo_001', plate: '京Z99999' });
    fakeApi({ 'POST /api/fees/prepay': { status: 404, data: { error: { code: 'stay_unknown', message: 'no car' } } }, 'GET /api/parks/p_demo_001': { data: park } });
    render(<PayPage />);
    await see('没有找到这辆车的在场记录');
    await click('输入车牌查询');
    expect(Taro.navigateTo).toHaveBeenCalledWith({ url: '/packages/park/prepay/index?park=p_demo_001' });
    await click('返回首页');
    expect(Taro.reLaunch).toHaveBeenCalledWith({ url: '/pages/index/index' });
  });

  it('a slow lot is said as such, not as the phone’s network', async () => {
    at({ kind: 'prepay', park: 'p_demo_001', plate: '京A12345' });
    fakeApi({ 'POST /api/fees/prepay': { status: 504, data: { error: { code: 'lot_slow', message: 'slow' } } }, 'GET /api/parks/p_demo_001': { data: park } });
    render(<PayPage />);
    await see('车场系统响应慢');
    expect(screen.queryByText('网络已断开')).toBeNull();
    expect(screen.getByText('重试')).toBeTruthy();
  });

  it('a damaged lane code offers typing the plate and going home', async () => {
    at({ qrCode: 'https://elsewhere.example.com/x' });
    render(<LanePage />);
    expect(screen.getByText('无法识别这个二维码')).toBeTruthy();
    await click('输入车牌查询');
    expect(Taro.navigateTo).toHaveBeenCalledWith({ url: '/packages/park/prepay/index' });
    expect(screen.getByText('返回首页')).toBeTruthy();
  });
});

describe('the tariff', () => {
  it('on the lane page: the operator’s words, free minutes, free exit minutes after paying, phone (a tap calls), address', async () => {
    loggedIn();
    at({ park: 'p_demo_001', lane: '1' });
    fakeApi({ 'GET /api/parks/p_demo_001': { data: park } });
    render(<LanePage />);
    await see('收费标准');
    expect(screen.getByText('停车 15 分钟内免费；超过后每小时 2 元')).toBeTruthy();
    expect(screen.getByText('入场 15 分钟内')).toBeTruthy();
    expect(screen.getByText('15 分钟内免费')).toBeTruthy();
    expect(screen.getByText('北京市朝阳区示例路 1 号')).toBeTruthy();
    await click('010-6555 0100');
    expect(Taro.makePhoneCall).toHaveBeenCalledWith({ phoneNumber: '010-65550100' });
  });
});

describe('plates typed lately', () => {
  it('are offered again with one tap (not the bound ones, at most three)', async () => {
    loggedIn();
    at({ park: 'p_demo_001' });
    fakeApi({ 'GET /api/parks/p_demo_001': { data: park }, 'GET /api/me/plates': { data: { plates: [{ plate: '京A12345', plateKey: '京A12345', boundAt: '2026-11-28T10:00:00.000Z' }] } } });
    Taro.setStorageSync('parkpay.typedPlates', ['沪B77001', '京A12345']);
    render(<PrepayPage />);
    await see('最近输入');
    expect(document.querySelectorAll('.chips-recent .chip')).toHaveLength(1);
    await click('沪B77001');
    expect(Taro.navigateTo).toHaveBeenCalledWith({ url: '/pages/pay/index?kind=prepay&park=p_demo_001&plate=%E6%B2%AAB77001' });
  });
});
