/**
 * What the pay panel does beyond paying: how long the price holds, a price that ran out asked again in
 * place (never a dead end), a spinner on every wait, the fee told when paid, the countdown stopped once the
 * car has left, and the reminder 3 minutes before the free exit time ends.
 */
import { act, fireEvent, render, screen } from '@testing-library/react';
import { LeaveCountdown } from '../../../miniapp/src/components/LeaveCountdown';
import { PayPanel } from '../../../miniapp/src/components/PayPanel';
import type { PayState } from '../../../miniapp/src/services/payFlow';
import { fakeApi, loggedIn } from '../support/http';
import { order, wechatPay } from '../support/orders';
import Taro, { resetTaroMock } from '../support/taro-mock';

const fast = { sleep: async () => undefined, pollMs: 0 };
const NO = 'PP2611281000001';
const see = (t: string | RegExp) => screen.findByText(t);
async function click(name: string) {
  await act(async () => {
    fireEvent.click(screen.getByText(name));
  });
}

beforeEach(() => {
  resetTaroMock();
  process.env.TARO_ENV = 'weapp';
  loggedIn();
});
afterEach(() => {
  jest.useRealTimers();
});

describe('a price that holds a few minutes', () => {
  it('says until when the price holds, counting down', () => {
    // The clock stands still: the panel's time is the one the price was made at (two seconds between them,
    // as a busy machine can take, showed 04:28).
    jest.useFakeTimers({ doNotFake: ['nextTick', 'setImmediate'] });
    const expiresAt = new Date(Date.now() + 4 * 60_000 + 30_000).toISOString();
    render(<PayPanel orderNo={NO} amountFen={400} kind="prepay" deps={fast} quoteExpiresAt={expiresAt} onRequote={() => undefined} />);
    expect(screen.getByText(/^此价格 \d{2}:\d{2} 前有效（还剩 04:30），过期后可一键重新查询$/)).toBeTruthy();
  });

  it('ran out before the tap: no pay button, one tap asks the price again (it offered only 查看缴费记录)', async () => {
    const requote = jest.fn();
    render(<PayPanel orderNo={NO} amountFen={400} kind="prepay" deps={fast} quoteExpiresAt={new Date(Date.now() - 1000).toISOString()} onRequote={requote} />);
    expect(screen.getByText('价格已过期')).toBeTruthy();
    expect(screen.queryByText('微信支付 ¥4.00')).toBeNull();
    await click('重新查询费用');
    expect(requote).toHaveBeenCalledTimes(1);
  });

  it('the server says it ran out (quote_expired): the same way on', async () => {
    fakeApi({ 'POST /api/orders/PP2611281000001/pay': { status: 409, data: { error: { code: 'quote_expired', message: 'out of date' } } } });
    const requote = jest.fn();
    render(<PayPanel orderNo={NO} amountFen={400} kind="prepay" deps={fast} onRequote={requote} />);
    await click('微信支付 ¥4.00');
    await see('支付失败：费用已过期');
    expect(screen.queryByText('重新支付')).toBeNull();
    await click('重新查询费用');
    expect(requote).toHaveBeenCalledTimes(1);
  });

  it('an order closed because its price ran out (opened from my parking): 重新查询费用 beside the history', async () => {
    const requote = jest.fn();
    fakeApi({});
    render(<PayPanel orderNo={NO} amountFen={400} kind="prepay" deps={fast} order={order('closed', { closedReason: 'quote_expired' })} onRequote={requote} />);
    await see('订单已关闭：报价已过期，请重新查询费用');
    expect(screen.getByText('查看缴费记录')).toBeTruthy();
    await click('重新查询费用');
    expect(requote).toHaveBeenCalledTimes(1);
  });
});

describe('waiting, and after paying', () => {
  it('every wait spins; the page is told each step (the fee then reads as paid)', async () => {
    let release!: () => void;
    fakeApi({
      'POST /api/orders/PP2611281000001/pay': { data: { order: order('pending'), pay: wechatPay } },
      'GET /api/orders/PP2611281000001': { data: order('delivered') },
    });
    Taro.requestPayment.mockImplementation(() => new Promise((r) => (release = () => r({ errMsg: 'requestPayment:ok' }))));
    const steps: PayState['step'][] = [];
    const { container } = render(<PayPanel orderNo={NO} amountFen={400} kind="prepay" deps={fast} onState={(s) => steps.push(s.step)} />);
    await click('微信支付 ¥4.00');
    await see('请在微信中完成支付…');
    expect(container.querySelector('.spinner')).not.toBeNull();
    await act(async () => release());
    await see('缴费成功，车场已收到');
    expect(steps).toEqual(expect.arrayContaining(['starting', 'wallet', 'confirming', 'delivered']));
    expect(steps[steps.length - 1]).toBe('delivered');
  });

  it('once the car has left the countdown stops: "车辆已于 HH:mm 离场"', async () => {
    jest.useFakeTimers({ doNotFake: ['nextTick', 'setImmediate'] });
    jest.setSystemTime(new Date('2026-11-28T10:05:00Z'));
    const left = '2026-11-28T10:06:00.000Z';
    fakeApi({ 'GET /api/orders/PP2611281000001': [{ data: order('delivered') }, { data: order('delivered', { leftAt: left }) }] });
    render(<PayPanel orderNo={NO} amountFen={400} kind="prepay" deps={fast} order={order('delivered')} freeMinutes={15} />);
    await act(async () => {
      await jest.advanceTimersByTimeAsync(100);
    });
    expect(screen.getByText(/剩余离场时间/)).toBeTruthy();
    expect(screen.getByText('缴费后免费离场时间 15 分钟')).toBeTruthy();
    await act(async () => {
      await jest.advanceTimersByTimeAsync(20_500); // two looks, 10 s apart: the second says it left
    });
    expect(screen.getByText('车辆已于 18:06 离场')).toBeTruthy();
    expect(screen.getByText('缴费成功，车辆已离场')).toBeTruthy();
    expect(screen.queryByText(/剩余离场时间|车场已收到/)).toBeNull();
  });
});

describe('<LeaveCountdown>', () => {
  it('reminds once, 3 minutes before the free exit time ends (on the page, a buzz, a toast)', async () => {
    jest.useFakeTimers();
    jest.setSystemTime(new Date('2026-11-28T10:00:00Z'));
    render(<LeaveCountdown leaveBy="2026-11-28T10:05:00.000Z" />);
    expect(screen.getByText('剩余离场时间 05:00')).toBeTruthy();
    expect(screen.queryByText('离场时间只剩不到 3 分钟，请尽快驶出')).toBeNull();
    await act(async () => {
      jest.advanceTimersByTime(2 * 60_000 + 1000);
    });
    expect(screen.getByText('离场时间只剩不到 3 分钟，请尽快驶出')).toBeTruthy();
    await act(async () => {
      jest.advanceTimersByTime(30_000);
    });
    expect(Taro.vibrateShort).toHaveBeenCalledTimes(1);
    expect(Taro.showToast).toHaveBeenCalledTimes(1);
    await act(async () => {
      jest.advanceTimersByTime(3 * 60_000);
    });
    expect(screen.getByText('已超过离场时间，出场时可能需要补缴')).toBeTruthy();
  });

  it('a car that has left counts nothing', () => {
    render(<LeaveCountdown leaveBy="2026-11-28T10:05:00.000Z" leftAt="2026-11-28T10:01:00.000Z" />);
    expect(screen.getByText('车辆已于 18:01 离场')).toBeTruthy();
    expect(screen.queryByText(/剩余离场时间|已超过离场时间/)).toBeNull();
  });
});
