/**
 * The receipt beyond its lines: the payment's e-invoice (ask for one, where it stands, why not) and the
 * receipt shared as an image that says what the page says.
 */
import { act, fireEvent, render, screen } from '@testing-library/react';
import type { ReceiptView } from '../../../shared/api/history';
import type { Ctx2D } from '../../../miniapp/src/components/ShareImage';
import ReceiptPage from '../../../miniapp/src/packages/me/receipt/index';
import { receiptImage, receiptSections } from '../../../miniapp/src/services/receiptLines';
import { fakeApi, loggedIn } from '../support/http';
import Taro, { resetTaroMock } from '../support/taro-mock';

beforeEach(() => {
  resetTaroMock();
  process.env.TARO_ENV = 'h5';
  loggedIn();
});

const see = (t: string | RegExp) => screen.findByText(t, undefined, { timeout: 2000 });
const at = (ref: string) => Taro.useRouter.mockImplementation(() => ({ params: { ref } }));
async function click(el: Element) {
  await act(async () => {
    fireEvent.click(el);
  });
}

const receipt = (over: Partial<ReceiptView> = {}): ReceiptView => ({
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
  inTime: '2026-11-28 16:45:00',
  outTime: '2026-11-28 18:10:00',
  stopMinutes: 85,
  chargeFen: 600,
  discountFen: 200,
  paidBeforeFen: 0,
  paidAt: '2026-11-28T10:00:00.000Z',
  transactionId: '4200001234202611280000001',
  refundNo: null,
  booking: null,
  ...over,
});

const option = (over: Record<string, unknown> = {}) => ({
  payment: { kind: 'order', ref: 'PP2611281000001', netFen: 400, provider: 'wechat' },
  invoice: null,
  available: true,
  reason: null,
  ...over,
});

const invoice = {
  id: 'IV261128ABCDEFGH',
  status: 'issued',
  totalFen: 400,
  provider: 'wechat',
  titleSource: 'typed',
  title: { type: 'company', name: '深圳市某某科技有限公司', taxNumber: '91440300MA5TEST01X', email: null, phone: null },
  titlePage: null,
  items: [{ kind: 'order', ref: 'PP2611281000001', parkNumber: 'p_demo_001', plate: '京A12345' }],
  fapiao: [{ fapiaoId: 'IV261128ABCDEFGHF1', state: 'issued', totalFen: 400, taxFen: 33, code: null, number: '26442000000012345678', issuedAt: '2026-11-28T10:01:00+08:00', red: null, cardStatus: 'INSERTED' }],
  pdfUrl: null,
  reason: null,
  createdAt: '2026-11-28T02:00:00.000Z',
  updatedAt: '2026-11-28T02:00:00.000Z',
};

describe('the receipt’s e-invoice', () => {
  it('a paid order not invoiced yet: 开具电子发票 opens the invoice page for this payment', async () => {
    at('PP2611281000001');
    const api = fakeApi({ 'GET /api/me/payments/PP2611281000001': { data: receipt() }, 'GET /api/invoices/for-payment': { data: option() } });
    render(<ReceiptPage />);
    await see('开具电子发票');
    expect(api.calls('GET /api/invoices/for-payment')[0]!.url).toMatch(/kind=order&ref=PP2611281000001/);
    // The discount is on the receipt with what the lot charged.
    expect(screen.getByText('-¥2.00')).toBeTruthy();
    await click(screen.getByText('开具电子发票'));
    expect(Taro.navigateTo).toHaveBeenCalledWith({ url: '/packages/me/invoice/index?kind=order&ref=PP2611281000001' });
  });

  it('an invoiced 无感支付 deduction: where its invoice stands, its number, and a way to it', async () => {
    at('PW2611281000009');
    const api = fakeApi({
      'GET /api/me/payments/PW2611281000009': { data: receipt({ ref: 'PW2611281000009', kind: 'deduction', chargeFen: null, discountFen: null, paidBeforeFen: null }) },
      'GET /api/invoices/for-payment': { data: option({ payment: { kind: 'deduction', ref: 'PW2611281000009', netFen: 400, provider: 'wechat' }, invoice, available: false, reason: 'already_invoiced' }) },
    });
    render(<ReceiptPage />);
    await see('已开票');
    expect(api.calls('GET /api/invoices/for-payment')[0]!.url).toMatch(/kind=deduction&ref=PW2611281000009/);
    expect(screen.getByText('26442000000012345678')).toBeTruthy();
    expect(screen.getByText('深圳市某某科技有限公司')).toBeTruthy();
    expect(screen.queryByText('开具电子发票')).toBeNull();
    await click(screen.getByText('查看发票'));
    expect(Taro.navigateTo).toHaveBeenCalledWith({ url: '/packages/me/invoice/index?id=IV261128ABCDEFGH' });
  });

  it('a payment that cannot be invoiced says why; invoicing not answering leaves the receipt whole', async () => {
    at('PP2611281000001');
    fakeApi({ 'GET /api/me/payments/PP2611281000001': { data: receipt({ channel: 'alipay' }) }, 'GET /api/invoices/for-payment': { data: option({ available: false, reason: 'no_provider' }) } });
    const first = render(<ReceiptPage />);
    await see('这种支付方式暂不支持开具电子发票');
    first.unmount();

    fakeApi({ 'GET /api/me/payments/PP2611281000001': { data: receipt() }, 'GET /api/invoices/for-payment': 'network' });
    render(<ReceiptPage />);
    await see('暂时查不到发票信息，点此重试');
    expect(screen.getByText('4200001234202611280000001')).toBeTruthy();
  });

  it('a payment still being paid offers neither an invoice nor an image', async () => {
    at('PP2611281000001');
    const api = fakeApi({ 'GET /api/me/payments/PP2611281000001': { data: receipt({ status: 'paying', paidAt: null, transactionId: null }) } });
    render(<ReceiptPage />);
    await see('支付中');
    expect(screen.queryByText('电子发票')).toBeNull();
    expect(screen.queryByText('分享凭证图片')).toBeNull();
    expect(api.calls('GET /api/invoices/for-payment')).toHaveLength(0);
  });

  it('the status reads as a success only while the money stays paid: 已支付 green, 支付中 and 已退款 not', async () => {
    const statusOf = async (status: 'paid' | 'refunded' | 'paying', text: string) => {
      at('PP2611281000001');
      fakeApi({ 'GET /api/me/payments/PP2611281000001': { data: receipt({ status }) }, 'GET /api/invoices/for-payment': { data: option() } });
      const view = render(<ReceiptPage />);
      const el = await see(text);
      const cls = el.className;
      view.unmount();
      return cls;
    };
    expect(await statusOf('paid', '已支付')).toContain('receipt-status-paid');
    expect(await statusOf('refunded', '已退款')).toContain('receipt-status-refunded');
    expect(await statusOf('paying', '支付中')).toContain('receipt-status-paying');
  });
});

describe('the receipt as an image', () => {
  it('says what the page says: the same lines, the refund with its reason and number', () => {
    const r = receipt({
      status: 'refunded',
      refund: { fen: 400, reason: 'lot_refused: the lot did not take the payment', state: 'done', refundedAt: '2026-11-28T11:00:00.000Z' },
      refundNo: 'RF2611281000001',
    });
    const img = receiptImage(r);
    expect(img.title).toBe('示例停车场');
    expect(img.amount).toBe('¥4.00');
    const page = receiptSections(r)
      .flatMap((s) => s.lines)
      .filter((l) => l.label !== '停车场' && l.label !== '实付金额')
      .map((l) => [l.label, l.value]);
    expect(img.lines).toEqual(page);
    const labels = img.lines.map(([l]) => l);
    for (const l of ['车牌', '入场时间', '出场时间', '停车时长', '停车费', '优惠', '支付方式', '订单号', '交易单号', '退款金额', '退款原因', '退款单号']) expect(labels).toContain(l);
    expect(img.lines).toContainEqual(['交易单号', '4200001234202611280000001']);
    expect(img.lines).toContainEqual(['退款单号', 'RF2611281000001']);
  });

  it('a monthly pass: the park and plate, no stay times or stay figures', () => {
    const r = receipt({ kind: 'pass', inTime: null, outTime: null, stopMinutes: null, chargeFen: null, discountFen: null, paidBeforeFen: null, amountFen: 85_000 });
    const sections = receiptSections(r);
    expect(sections[0]).toEqual({ key: 'stay', title: '月卡', lines: [{ label: '停车场', value: '示例停车场' }, { label: '车牌', value: r.plate }] });
    expect(sections.flatMap((x) => x.lines).map((l) => l.label)).not.toContain('停车费');
  });

  it('in the browser the button draws it and downloads a PNG named after the payment', async () => {
    at('PP2611281000001');
    fakeApi({ 'GET /api/me/payments/PP2611281000001': { data: receipt() }, 'GET /api/invoices/for-payment': { data: option() } });
    const written: string[] = [];
    const ctx: Ctx2D = { fillStyle: '', font: '', textAlign: 'left', textBaseline: 'alphabetic', fillRect: () => undefined, fillText: (t) => void written.push(t), measureText: (t) => ({ width: t.length * 10 }) };
    const getContext = jest.spyOn(HTMLCanvasElement.prototype, 'getContext').mockImplementation(() => ctx as never);
    const toDataURL = jest.spyOn(HTMLCanvasElement.prototype, 'toDataURL').mockImplementation(() => 'data:image/png;base64,AAAA');
    const clicked: { href: string; download: string }[] = [];
    const anchorClick = jest.spyOn(HTMLAnchorElement.prototype, 'click').mockImplementation(function (this: HTMLAnchorElement) {
      clicked.push({ href: this.href, download: this.download });
    });
    try {
      render(<ReceiptPage />);
      await see('分享凭证图片');
      await click(screen.getByText('分享凭证图片'));
      expect(clicked).toEqual([{ href: 'data:image/png;base64,AAAA', download: 'receipt-PP2611281000001.png' }]);
      expect(written).toEqual(expect.arrayContaining(['示例停车场', '¥4.00', '京A12345', 'PP2611281000001', '4200001234202611280000001']));
      expect(Taro.showToast).not.toHaveBeenCalled();
    } finally {
      getContext.mockRestore();
      toDataURL.mockRestore();
      anchorClick.mockRestore();
    }
  });
});
