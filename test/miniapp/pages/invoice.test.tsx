import { act, fireEvent, render, screen, waitFor } from '@testing-library/react';
import InvoicePage from '../../../miniapp/src/packages/me/invoice/index';
import { fakeApi, loggedIn } from '../support/http';
import Taro, { resetTaroMock } from '../support/taro-mock';

beforeEach(() => {
  resetTaroMock();
  process.env.TARO_ENV = 'h5';
  loggedIn();
});

const see = (t: string | RegExp, timeout = 3000) => screen.findByText(t, undefined, { timeout });
const route = (params: Record<string, string>) => Taro.useRouter.mockImplementation(() => ({ params }));
// Taro's Input is a web component whose inner <input> appears once it has hydrated.
const typeInto = async (cls: string, value: string) => {
  const input = await waitFor(() => {
    const el = document.querySelector(`.${cls} input`);
    if (!el) throw new Error(`no input in .${cls} yet`);
    return el;
  });
  await act(async () => fireEvent.input(input, { target: { value }, detail: { value } }));
};

const base = {
  id: 'IV261128ABCDEFGH',
  totalFen: 400,
  provider: 'wechat',
  titleSource: 'typed',
  title: { type: 'company', name: '深圳市某某科技有限公司', taxNumber: '91440300MA5TEST01X', email: null, phone: null },
  titlePage: null,
  items: [{ kind: 'order', ref: 'PP2611281000ABCDEFGH', parkNumber: 'p_demo_001', plate: '京A12345' }],
  pdfUrl: null,
  reason: null,
  createdAt: '2026-11-28T02:00:00.000Z',
  updatedAt: '2026-11-28T02:00:00.000Z',
};
const fapiao = (o: Record<string, unknown> = {}) => ({ fapiaoId: 'IV261128ABCDEFGHF1', state: 'issued', totalFen: 400, taxFen: 33, code: '044012345678', number: '12345678', issuedAt: '2026-11-28T10:01:00+08:00', red: null, cardStatus: 'INSERTED', ...o });

describe('the invoice page', () => {
  it("a payment: the company title typed, asked for, followed until issued with its number and PDF link", async () => {
    route({ kind: 'order', ref: 'PP2611281000ABCDEFGH' });
    const api = fakeApi({
      'GET /api/invoices/for-payment': { data: { payment: { kind: 'order', ref: 'PP2611281000ABCDEFGH', netFen: 400, provider: 'wechat' }, invoice: null, available: true, reason: null } },
      'POST /api/invoices': { data: { ...base, status: 'issuing', fapiao: [] } },
      'GET /api/invoices/IV261128ABCDEFGH': { data: { ...base, status: 'issued', fapiao: [fapiao()], pdfUrl: 'http://127.0.0.1:8080/api/invoice-files/IV261128ABCDEFGH?e=1&s=x' } },
    });
    render(<InvoicePage />);
    await see('开具电子发票 · ¥4.00');
    expect((document.querySelector('.invoice-submit') as HTMLButtonElement).disabled).toBe(true);
    await typeInto('invoice-name', '深圳市某某科技有限公司');
    expect((document.querySelector('.invoice-submit') as HTMLButtonElement).disabled).toBe(true); // no tax number yet
    await typeInto('invoice-tax', '91440300ma5test01x');
    expect((document.querySelector('.invoice-submit') as HTMLButtonElement).disabled).toBe(false);
    await act(async () => fireEvent.click(screen.getByText('提交开票')));
    expect(api.calls('POST /api/invoices')[0]!.body).toEqual({
      items: [{ kind: 'order', ref: 'PP2611281000ABCDEFGH' }],
      title: { type: 'company', name: '深圳市某某科技有限公司', taxNumber: '91440300MA5TEST01X' },
    });
    await see('开票中');
    await see('已开票', 4000);
    expect(screen.getByText('12345678')).toBeTruthy();
    expect(screen.getByText('已放入')).toBeTruthy();
    expect(screen.getByText(/\/api\/invoice-files\/IV261128ABCDEFGH/)).toBeTruthy();
  });

  it('reversed after a refund: the red fapiao, the original amount, no PDF', async () => {
    route({ id: 'IV261128ABCDEFGH' });
    fakeApi({ 'GET /api/invoices/IV261128ABCDEFGH': { data: { ...base, status: 'reversed', totalFen: 0, fapiao: [fapiao({ state: 'reversed', red: { code: '044099999999', number: '87654321', time: null }, cardStatus: 'DISCARDED' })] } } });
    render(<InvoicePage />);
    await see('已红冲');
    expect(screen.getByText('原发票金额')).toBeTruthy();
    expect(screen.getByText('87654321')).toBeTruthy();
    expect(screen.queryByText('查看发票 PDF')).toBeNull();
  });

  it('a payment that cannot be invoiced says why', async () => {
    route({ kind: 'order', ref: 'PP2611281000ALIPAYXX' });
    fakeApi({ 'GET /api/invoices/for-payment': { data: { payment: { kind: 'order', ref: 'PP2611281000ALIPAYXX', netFen: 600, provider: 'alipay' }, invoice: null, available: false, reason: 'no_provider' } } });
    render(<InvoicePage />);
    await see('这种支付方式暂不支持开具电子发票');
  });

  it('合并开票: WeChat payments not on an invoice yet, two or more picked, sent to WeChat’s title page', async () => {
    route({});
    const pay = (ref: string, over: Record<string, unknown> = {}) => ({ ref, kind: 'stay', parkNumber: 'p_demo_001', parkName: '示例停车场', plate: '京A12345', amountFen: 400, status: 'paid', channel: 'wechat', at: '2026-11-28T10:00:00.000Z', title: null, refund: null, ...over });
    const asked = { ...base, id: 'IV261128COMBINED', status: 'awaiting_title', title: null, titleSource: 'provider', fapiao: [], titlePage: { url: 'http://127.0.0.1:1/__sandbox/fapiao/title?token=t', miniprogram: { appId: 'wx9db2c16d0633c2e7', path: 'pages/fapiao/title/index' } } };
    const api = fakeApi({
      'GET /api/invoices': { data: { invoices: [{ ...base, status: 'issued', fapiao: [fapiao()] }] } },
      'GET /api/me/payments': {
        data: {
          payments: [
            pay('PP2611281000ABCDEFGH'), // on the invoice above
            pay('PP2611281000SECOND01', { amountFen: 600, status: 'refunded', refund: { fen: 200, reason: 'x: y', state: 'done', refundedAt: '2026-11-28T11:00:00.000Z' } }),
            pay('PW2611281000DEDUCT01', { kind: 'deduction', amountFen: 300 }),
            pay('PP2611281000ALIPAY01', { channel: 'alipay' }),
            pay('PP2611281000REFUND01', { status: 'refunded', refund: { fen: 400, reason: 'x: y', state: 'done', refundedAt: '2026-11-28T11:00:00.000Z' } }),
          ],
        },
      },
      'POST /api/invoices': { data: asked },
    });
    render(<InvoicePage />);
    await see('多笔支付合并开票');
    await act(async () => fireEvent.click(screen.getByText('多笔支付合并开票')));
    await see('合并开票');
    const offered = Array.from(document.querySelectorAll('.invoice-pick')).map((el) => el.getAttribute('data-ref'));
    expect(offered).toEqual(['PP2611281000SECOND01', 'PW2611281000DEDUCT01']);
    const submit = () => document.querySelector('.invoice-combine-submit') as HTMLButtonElement;
    await act(async () => fireEvent.click(document.querySelector('[data-ref="PP2611281000SECOND01"]')!));
    expect(submit().disabled).toBe(true); // one is not several
    await act(async () => fireEvent.click(document.querySelector('[data-ref="PW2611281000DEDUCT01"]')!));
    expect(submit().disabled).toBe(false);
    expect(screen.getByText('合并开票（2 笔，¥7.00）')).toBeTruthy();
    // jsdom cannot leave the page: its complaint is the proof the H5 demo went to the title page.
    const left: string[] = [];
    const err = jest.spyOn(console, 'error').mockImplementation((e: unknown) => void left.push(String((e as Error)?.message ?? e)));
    try {
      await act(async () => fireEvent.click(submit()));
    } finally {
      err.mockRestore();
    }
    expect(left).toEqual(['Not implemented: navigation (except hash changes)']);
    expect(api.calls('POST /api/invoices')[0]!.body).toEqual({
      items: [
        { kind: 'order', ref: 'PP2611281000SECOND01' },
        { kind: 'deduction', ref: 'PW2611281000DEDUCT01' },
      ],
      title: null,
    });
    expect(Taro.navigateTo).toHaveBeenCalledWith({ url: '/packages/me/invoice/index?id=IV261128COMBINED' });
  });
});
