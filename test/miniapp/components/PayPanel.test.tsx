import { act, fireEvent, render, screen } from '@testing-library/react';
import { PayPanel } from '../../../miniapp/src/components/PayPanel';
import { fakeApi, loggedIn } from '../support/http';
import { order, wechatPay } from '../support/orders';
import Taro, { resetTaroMock } from '../support/taro-mock';

const g = globalThis as { my?: unknown };
const fast = { sleep: async () => undefined, pollMs: 0 };
const NO = 'PP2611281000001';

beforeEach(() => {
  resetTaroMock();
  process.env.TARO_ENV = 'h5';
  delete g.my;
  loggedIn();
});

const button = (name: string) => screen.getByText(name);
async function click(name: string) {
  await act(async () => {
    fireEvent.click(button(name));
  });
}
const see = (t: string | RegExp) => screen.findByText(t);

describe('<PayPanel> in the H5 demo (the WeChat Pay sandbox as the payer)', () => {
  it('cancelled in the sandbox sheet → "cancelled" and a retry → paid → barrier opening, leave before HH:mm', async () => {
    const api = fakeApi({
      'POST /api/orders/PP2611281000001/pay': { data: { order: order('pending'), pay: wechatPay } },
      'GET /api/demo': { data: { parkNumber: 'p_demo_001', bluecardSandbox: 'http://127.0.0.1:1', wechatPaySandbox: 'http://127.0.0.1:8082', alipaySandbox: 'http://127.0.0.1:3', wechatLoginSandbox: 'http://127.0.0.1:4' } },
      'POST /__sandbox/request-payment': [{ data: { errMsg: 'requestPayment:fail cancel' } }, { data: { errMsg: 'requestPayment:ok' } }],
      'GET /api/orders/PP2611281000001': [{ data: order('paid', { kind: 'unlicensed_exit' }) }, { data: order('delivered', { kind: 'unlicensed_exit' }) }],
    });
    render(<PayPanel orderNo={NO} amountFen={400} kind="unlicensed_exit" deps={fast} />);
    await click('沙箱支付 ¥4.00');
    await see('微信支付（演示沙箱）');
    await click('取消支付');
    await see('支付已取消');
    await click('重新支付');
    await see('微信支付（演示沙箱）');
    await click('确认支付');
    await see('道闸正在抬起，请驶出');
    // leaveBy 10:15Z is 18:15 China time.
    expect(screen.getByText('请在 18:15 前离场')).toBeTruthy();
    const sandboxCalls = api.calls('POST /__sandbox/request-payment');
    expect(sandboxCalls.map((c) => [c.url, (c.body as { outcome: string }).outcome])).toEqual([
      ['http://127.0.0.1:8082/__sandbox/request-payment', 'cancel'],
      ['http://127.0.0.1:8082/__sandbox/request-payment', 'pay'],
    ]);
    // The requestPayment object went to the payer as the server gave it.
    expect((sandboxCalls[0]!.body as { params: unknown }).params).toEqual(wechatPay.requestPayment);
    expect(api.calls('POST /api/orders/PP2611281000001/pay').map((c) => c.body)).toEqual([{ wallet: 'wechat' }, { wallet: 'wechat' }]);
  });

  it('a closed order says why; a refunded one says the refund and its reason', async () => {
    fakeApi({ 'GET /api/orders/PP2611281000001': { data: order('refunded', { refund: { reason: 'car_left: the car left first', fen: 400, state: 'done', refundedAt: null } }) } });
    render(<PayPanel orderNo={NO} amountFen={400} kind="prepay" order={order('paid')} deps={fast} />);
    await see('已退款 ¥4.00：车辆在支付完成前已离场');
  });

  it('the server refusing → failed with what it means, and a retry', async () => {
    fakeApi({ 'POST /api/orders/PP2611281000001/pay': { status: 503, data: { error: { code: 'provider_unreachable', message: 'x' } } } });
    render(<PayPanel orderNo={NO} amountFen={400} kind="prepay" deps={fast} />);
    await click('沙箱支付 ¥4.00');
    await see('支付失败：支付服务暂时连不上');
    expect(button('重新支付')).toBeTruthy();
  });
});

describe('<PayPanel> in the mini-programs', () => {
  it('WeChat: Taro.requestPayment gets the server object as is', async () => {
    process.env.TARO_ENV = 'weapp';
    fakeApi({
      'POST /api/orders/PP2611281000001/pay': { data: { order: order('pending'), pay: wechatPay } },
      'GET /api/orders/PP2611281000001': { data: order('delivered') },
    });
    Taro.requestPayment.mockResolvedValue({ errMsg: 'requestPayment:ok' });
    render(<PayPanel orderNo={NO} amountFen={400} kind="prepay" deps={fast} />);
    await click('微信支付 ¥4.00');
    await see('缴费成功，车场已收到');
    expect(Taro.requestPayment).toHaveBeenCalledWith(wechatPay.requestPayment);
  });

  it('WeChat: a cancel (the promise rejects with errMsg) offers a retry', async () => {
    process.env.TARO_ENV = 'weapp';
    fakeApi({ 'POST /api/orders/PP2611281000001/pay': { data: { order: order('pending'), pay: wechatPay } } });
    Taro.requestPayment.mockRejectedValue({ errMsg: 'requestPayment:fail cancel' });
    render(<PayPanel orderNo={NO} amountFen={400} kind="prepay" deps={fast} />);
    await click('微信支付 ¥4.00');
    await see('支付已取消');
  });

  it('Alipay: my.tradePay({tradeNO}); 6004 (unknown) is settled by polling', async () => {
    process.env.TARO_ENV = 'alipay';
    const tradePay = jest.fn((o: { tradeNO: string; success: (r: { resultCode: string }) => void }) => o.success({ resultCode: '6004' }));
    g.my = { tradePay, getAuthCode: jest.fn() };
    fakeApi({
      'POST /api/orders/PP2611281000001/pay': { data: { order: order('pending', { wallet: 'alipay' }), pay: { wallet: 'alipay', tradeNo: '2026112822001' } } },
      'GET /api/orders/PP2611281000001': [{ data: order('pending') }, { data: order('delivered') }],
    });
    render(<PayPanel orderNo={NO} amountFen={400} kind="prepay" deps={fast} />);
    await click('支付宝支付 ¥4.00');
    await see('缴费成功，车场已收到');
    expect(tradePay.mock.calls[0]![0].tradeNO).toBe('2026112822001');
  });
});
