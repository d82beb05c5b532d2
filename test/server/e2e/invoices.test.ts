/**
 * E-invoices over the app API on the real server in demo mode (the WeChat Pay sandbox checks our signatures,
 * keeps the applications, issues, notifies, serves the PDF and reverses): a typed company title on one
 * payment (WITH_WECHATPAY), several payments titled on WeChat's title page (WITHOUT_WECHATPAY, user-title),
 * reversal (红冲) after a refund and a new fapiao for what is left, a lost notification recovered by an
 * operator's re-send, and what is refused (one invoice per payment, Alipay payments, bad titles, forged
 * notifications).
 */
import { randomBytes } from 'node:crypto';
import { buildPath, type EndpointDef } from '../../../shared/api/contract';
import { bookingEndpoints as bk, type BookingView } from '../../../shared/api/bookings';
import { opBookingEndpoints as op } from '../../../shared/api/op-bookings';
import { invoiceEndpoints as inv, opInvoiceEndpoints as opInv, type InvoiceView } from '../../../shared/api/invoices';
import { loadConfig } from '../../../server/src/config';
import { createLogger } from '../../../server/src/logger';
import { DEMO_PARK_NUMBER } from '../../../server/sandbox/bluecard';
import { rsaKeyPair } from '../../../server/sandbox/wechatpay/keys';
import { startServer, type RunningServer } from '../../../server/src/server';
import { eventually } from '../../support/payment-world';
import { testDatabaseUri } from '../../support/db';

jest.setTimeout(90_000);

let server: RunningServer;
const P = DEMO_PARK_NUMBER;
const MIN = 60_000;
beforeAll(async () => {
  server = await startServer(
    loadConfig({
      PORT: '0',
      MONGODB_URI: `${testDatabaseUri()}pp_invoices_${Date.now()}`,
      PARKPAY_DEMO_BLUECARD_PORT: '0',
      PARKPAY_DEMO_WECHAT_LOGIN_PORT: '0',
      PARKPAY_DEMO_WECHATPAY_PORT: '0',
      PARKPAY_DEMO_ALIPAY_PORT: '0',
    }, undefined, { demoWithConfiguredKeys: true }),
    // Refunds asked again within a second (the sandbox settles them after 5 s).
    { logger: createLogger('silent'), workerPollMs: 100, orderPolicy: { refundBackoffMs: [0, 1_000] } },
  );
  await sb().bluecard.heartbeatNow(P);
});
afterAll(async () => {
  await server?.database.connection.dropDatabase().catch(() => undefined);
  await server?.stop();
});

const sb = () => server.demo!.sandboxes;
const lot = () => sb().bluecard.park(P);

// eslint-disable-next-line @typescript-eslint/no-explicit-any -- answers are checked against their contracts
async function api<T = any>(method: string, path: string, token?: string, body?: unknown): Promise<{ status: number; body: T }> {
  const res = await fetch(`${server.url}${path}`, {
    method,
    headers: { ...(token ? { authorization: `Bearer ${token}` } : {}), ...(body !== undefined ? { 'content-type': 'application/json' } : {}) },
    body: body !== undefined ? JSON.stringify(body) : undefined,
  });
  return { status: res.status, body: (await res.json()) as T };
}
const path = <E extends EndpointDef>(e: E, params: Record<string, string>) => buildPath(e, params as never);

async function wechatDriver(name: string): Promise<string> {
  const r = await api<{ token: string }>('POST', '/api/auth/wechat', undefined, { code: sb().wechatLogin.issueCode(name) });
  expect(r.status).toBe(200);
  return r.body.token;
}

async function operator(): Promise<string> {
  const username = `inv-${randomBytes(3).toString('hex')}`;
  const password = `pw-${randomBytes(12).toString('base64url')}`;
  await server.operators.createOperator('system', { username, password, role: 'operator', parks: [P] });
  return (await server.operators.login(username, password)).token;
}

/** A booking bought and paid with WeChat Pay: a payment the driver can refund (cancel) from the app. */
async function paidBooking(token: string, boss: string, plate: string, inMinutes: number): Promise<BookingView> {
  const letInStart = Date.now() + inMinutes * MIN;
  const offer = await api('POST', path(op.createOffer, { parkNumber: P }), boss, {
    title: '发票测试预约',
    areaId: 1,
    priceFen: 1500,
    start: new Date(letInStart).toISOString(),
    end: new Date(letInStart + 6 * 60 * MIN).toISOString(),
    letInStart: new Date(letInStart).toISOString(),
    letInEnd: new Date(letInStart + 60 * MIN).toISOString(),
    count: 2,
    cancelRule: { fullRefundMinutesBefore: 60, lateRefundPercent: 20 },
  });
  expect(offer.status).toBe(200);
  const made = await api<BookingView>('POST', bk.book.path, token, { offerId: offer.body.offerId, plate });
  expect(made.status).toBe(200);
  const pay = await api('POST', path(bk.pay, { bookingNo: made.body.bookingNo }), token, { wallet: 'wechat' });
  expect(sb().wechatPay.requestPayment(pay.body.pay.requestPayment, { outcome: 'pay' }).errMsg).toBe('requestPayment:ok');
  const booked = await eventually(() => api<BookingView>('GET', path(bk.booking, { bookingNo: made.body.bookingNo }), token), (r) => r.body.status === 'booked' && r.body.order?.status === 'delivered', 15_000);
  return booked.body;
}

/** A stay priced and paid in advance with WeChat Pay. */
async function paidStay(token: string, plate: string, minutes: number): Promise<string> {
  await lot().arrive({ lane: '东门入口', plate, wait: true });
  await sb().bluecard.advanceClock(minutes * MIN);
  const fee = await api('POST', '/api/fees/prepay', token, { parkNumber: P, plate });
  expect(fee.status).toBe(200);
  const orderNo = fee.body.order.orderNo as string;
  const pay = await api('POST', `/api/orders/${orderNo}/pay`, token, { wallet: 'wechat' });
  expect(sb().wechatPay.requestPayment(pay.body.pay.requestPayment, { outcome: 'pay' }).errMsg).toBe('requestPayment:ok');
  await eventually(() => api('GET', `/api/orders/${orderNo}`, token), (r) => r.body.status === 'delivered', 15_000);
  return orderNo;
}

const invoiceOf = (token: string, id: string) => api<InvoiceView>('GET', path(inv.get, { invoiceId: id }), token);
const until = (token: string, id: string, status: InvoiceView['status'], ms = 20_000) => eventually(() => invoiceOf(token, id), (r) => r.body.status === status, ms);
const COMPANY = { type: 'company' as const, name: '深圳市停车测试科技有限公司', taxNumber: '91440300MA5TEST01X' };

describe('a typed company title on one WeChat payment', () => {
  it('is issued (WITH_WECHATPAY, the transaction as the application), its PDF served, put in the card package; the refund reverses it', async () => {
    const boss = await operator();
    const token = await wechatDriver('inv-typed');
    const booking = await paidBooking(token, boss, '粤B66001', 180);
    const orderNo = booking.order!.orderNo;

    const option = await api('GET', `${inv.forPayment.path}?kind=order&ref=${orderNo}`, token);
    expect(option.status).toBe(200);
    expect(option.body).toMatchObject({ available: true, reason: null, invoice: null, payment: { kind: 'order', ref: orderNo, netFen: 1500, provider: 'wechat' } });

    const asked = await api<InvoiceView>('POST', inv.request.path, token, { items: [{ kind: 'order', ref: orderNo }], title: COMPANY });
    expect(asked.status).toBe(200);
    expect(inv.request.response.safeParse(asked.body).success).toBe(true);
    expect(asked.body).toMatchObject({ status: 'issuing', totalFen: 1500, titleSource: 'typed', title: { type: 'company', name: COMPANY.name, taxNumber: COMPANY.taxNumber } });

    const issued = await until(token, asked.body.id, 'issued');
    const f = issued.body.fapiao[0]!;
    expect(f).toMatchObject({ state: 'issued', totalFen: 1500, taxFen: 124, cardStatus: 'INSERTED' });
    expect(f.number).toMatch(/^\d{8}$/);
    // At WeChat Pay: one application under the payment's transaction, the company as buyer, 9% on 车辆停放服务.
    const order = await api('GET', `/api/orders/${orderNo}`, token);
    const app = sb().wechatPay.fapiao.applications().find((a) => a.fapiao.some((x) => x.fapiaoId === f.fapiaoId))!;
    expect(app.scene).toBe('WITH_WECHATPAY');
    expect(sb().wechatPay.orders().find((o) => o.outTradeNo === orderNo)?.transactionId).toBe(app.applyId);
    expect(app.buyer).toMatchObject({ type: 'ORGANIZATION', name: COMPANY.name, taxpayer_id: COMPANY.taxNumber });
    expect(app.fapiao[0]!.items).toEqual([expect.objectContaining({ tax_code: '3040502020200000000', goods_name: '停车服务费', tax_rate: 900, total_amount: 1500 })]);
    expect(order.status).toBe(200);

    // The PDF behind the short-lived link, and nothing for a forged link.
    expect(issued.body.pdfUrl).toMatch(/\/api\/invoice-files\/IV/);
    const pdf = await fetch(issued.body.pdfUrl!);
    expect(pdf.status).toBe(200);
    expect(pdf.headers.get('content-type')).toBe('application/pdf');
    expect(Buffer.from(await pdf.arrayBuffer()).subarray(0, 5).toString()).toBe('%PDF-');
    const forged = await fetch(issued.body.pdfUrl!.replace(/s=[^&]+/, 's=AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA'));
    expect(forged.status).toBe(403);

    // One invoice per payment.
    const again = await api('POST', inv.request.path, token, { items: [{ kind: 'order', ref: orderNo }], title: COMPANY });
    expect(again.status).toBe(409);
    expect(again.body.error.code).toBe('already_invoiced');
    const shown = await api('GET', `${inv.forPayment.path}?kind=order&ref=${orderNo}`, token);
    expect(shown.body).toMatchObject({ available: false, reason: 'already_invoiced', invoice: { id: asked.body.id, status: 'issued' } });

    // The driver cancels the booking: the whole price goes back, the fapiao is reversed (红冲).
    const cancelled = await api('POST', path(bk.cancel, { bookingNo: booking.bookingNo }), token, {});
    expect(cancelled.status).toBe(200);
    const reversed = await until(token, asked.body.id, 'reversed', 30_000);
    expect(reversed.body.totalFen).toBe(0);
    expect(reversed.body.pdfUrl).toBeNull();
    expect(reversed.body.fapiao).toHaveLength(1);
    expect(reversed.body.fapiao[0]).toMatchObject({ state: 'reversed', number: f.number, cardStatus: 'DISCARDED' });
    expect(reversed.body.fapiao[0]!.red?.number).toMatch(/^\d{8}$/);
    expect(app.fapiao[0]!.status).toBe('REVERSED');
  });

  it('a late cancellation refunds part: the fapiao is reversed and the rest issued again', async () => {
    const boss = await operator();
    const token = await wechatDriver('inv-partial');
    // Less than 60 minutes before the let-in window: 20% back.
    const booking = await paidBooking(token, boss, '粤B66002', 30);
    const orderNo = booking.order!.orderNo;
    const asked = await api<InvoiceView>('POST', inv.request.path, token, { items: [{ kind: 'order', ref: orderNo }], title: { type: 'personal', name: '王小明' } });
    expect(asked.status).toBe(200);
    await until(token, asked.body.id, 'issued');
    expect((await api('POST', path(bk.cancel, { bookingNo: booking.bookingNo }), token, {})).status).toBe(200);
    const again = await eventually(() => invoiceOf(token, asked.body.id), (r) => r.body.status === 'issued' && r.body.fapiao.length === 2, 30_000);
    expect(again.body.totalFen).toBe(1200);
    expect(again.body.fapiao.map((x) => [x.state, x.totalFen])).toEqual([
      ['reversed', 1500],
      ['issued', 1200],
    ]);
    expect(again.body.pdfUrl).not.toBeNull();
  });
});

describe("several payments titled on WeChat's title page", () => {
  it('waits for the title (FAPIAO.USER_APPLIED, user-title), then one fapiao with a line per payment (WITHOUT_WECHATPAY)', async () => {
    const token = await wechatDriver('inv-title');
    const a = await paidStay(token, '京A66011', 95);
    const b = await paidStay(token, '京A66012', 130);
    const asked = await api<InvoiceView>('POST', inv.request.path, token, {
      items: [
        { kind: 'order', ref: a },
        { kind: 'order', ref: b },
      ],
      title: null,
    });
    expect(asked.status).toBe(200);
    expect(asked.body).toMatchObject({ status: 'awaiting_title', titleSource: 'provider', totalFen: 1000, title: null });
    expect(asked.body.titlePage?.url).toContain('/__sandbox/fapiao/title?token=');
    expect(asked.body.titlePage?.miniprogram.path).toContain('token=');

    // The driver fills the title in WeChat's page; WeChat tells ParkPay (FAPIAO.USER_APPLIED).
    sb().wechatPay.fapiao.fillTitle(asked.body.id, { type: 'ORGANIZATION', name: '北京停车报销有限公司', taxpayer_id: '91110000MA0TITLE2B', email: 'fin@example.com' });
    const issued = await until(token, asked.body.id, 'issued');
    expect(issued.body.title).toMatchObject({ type: 'company', name: '北京停车报销有限公司', taxNumber: '91110000MA0TITLE2B', email: 'fin@example.com' });
    const app = sb().wechatPay.fapiao.applications().find((x) => x.applyId === asked.body.id)!;
    expect(app.scene).toBe('WITHOUT_WECHATPAY');
    expect(app.fapiao[0]!.items.map((i) => i.total_amount)).toEqual([400, 600]);
    expect(issued.body.fapiao[0]).toMatchObject({ totalFen: 1000, state: 'issued', cardStatus: 'INSERTED' });
  });

  it('a title filled while notifications are lost: found when the driver comes back; the issue found by an operator’s re-send', async () => {
    const token = await wechatDriver('inv-lost');
    const a = await paidStay(token, '京A66021', 95);
    const asked = await api<InvoiceView>('POST', inv.request.path, token, { items: [{ kind: 'order', ref: a }], title: null });
    expect(asked.body.status).toBe('awaiting_title');
    sb().wechatPay.fapiao.setNotifications(false);
    try {
      sb().wechatPay.fapiao.fillTitle(asked.body.id, { type: 'INDIVIDUAL', name: '李四' });
      const back = await api<InvoiceView>('POST', path(inv.titleDone, { invoiceId: asked.body.id }), token, {});
      expect(back.status).toBe(200);
      expect(['issuing', 'issued']).toContain(back.body.status);
      // Accepted at WeChat, issued there — but no FAPIAO.ISSUED reaches ParkPay. A first call to WeChat
      // that failed on a busy machine is made again by the invoicing job 30 s to a minute later: waited for.
      await eventually(() => Promise.resolve(sb().wechatPay.fapiao.applications().find((x) => x.applyId === asked.body.id)), (x) => x?.fapiao[0]?.status === 'ISSUED', 100_000);
      const boss = await operator();
      const resent = await api('POST', path(opInv.resend, { parkNumber: P, invoiceId: asked.body.id }), boss, {});
      expect(resent.status).toBe(200);
      expect(opInv.resend.response.safeParse(resent.body).success).toBe(true);
      await until(token, asked.body.id, 'issued');
      const listed = await api('GET', `${path(opInv.list, { parkNumber: P })}?status=issued`, boss);
      expect(listed.body.invoices.map((i: { id: string }) => i.id)).toContain(asked.body.id);
      expect(listed.body.invoices.find((i: { id: string }) => i.id === asked.body.id).events.map((e: { what: string }) => e.what).join(' | ')).toMatch(/重新发送/);
    } finally {
      sb().wechatPay.fapiao.setNotifications(true);
    }
  }, 180_000);
});

describe('what is refused', () => {
  it('another driver’s payment, a bad tax number, several payments with a typed title, an Alipay payment', async () => {
    const token = await wechatDriver('inv-refused');
    const other = await wechatDriver('inv-other');
    const a = await paidStay(token, '京A66031', 95);
    const b = await paidStay(token, '京A66032', 95);
    expect((await api('POST', inv.request.path, other, { items: [{ kind: 'order', ref: a }], title: COMPANY })).status).toBe(404);
    const bad = await api('POST', inv.request.path, token, { items: [{ kind: 'order', ref: a }], title: { type: 'company', name: '某公司', taxNumber: '123' } });
    expect(bad.status).toBe(400);
    expect(bad.body.error.code).toBe('title_invalid');
    const noTax = await api('POST', inv.request.path, token, { items: [{ kind: 'order', ref: a }], title: { type: 'company', name: '某公司' } });
    expect(noTax.body.error.code).toBe('title_invalid');
    const two = await api('POST', inv.request.path, token, {
      items: [
        { kind: 'order', ref: a },
        { kind: 'order', ref: b },
      ],
      title: COMPANY,
    });
    expect(two.status).toBe(400);
    expect(two.body.error.code).toBe('title_page_required');
    // Nothing was claimed by the refused requests.
    expect((await api('GET', `${inv.forPayment.path}?kind=order&ref=${a}`, token)).body.available).toBe(true);

    // Alipay payments: no provider for them yet.
    const code = sb().alipay.issueAuthCode('inv-alipay');
    const ali = (await api('POST', '/api/auth/alipay', undefined, { code })).body.token as string;
    await lot().arrive({ lane: '东门入口', plate: '沪B66033', wait: true });
    await sb().bluecard.advanceClock(95 * MIN);
    const fee = await api('POST', '/api/fees/prepay', ali, { parkNumber: P, plate: '沪B66033' });
    const orderNo = fee.body.order.orderNo as string;
    await api('POST', `/api/orders/${orderNo}/pay`, ali, { wallet: 'alipay' });
    sb().alipay.pay(orderNo, 'inv-alipay');
    await eventually(() => api('GET', `/api/orders/${orderNo}`, ali), (r) => r.body.status === 'delivered', 15_000);
    const option = await api('GET', `${inv.forPayment.path}?kind=order&ref=${orderNo}`, ali);
    expect(option.body).toMatchObject({ available: false, reason: 'no_provider' });
    const refused = await api('POST', inv.request.path, ali, { items: [{ kind: 'order', ref: orderNo }], title: COMPANY });
    expect(refused.status).toBe(422);
    expect(refused.body.error.code).toBe('invoice_unavailable');
  });

  it('a forged or tampered FAPIAO notification is refused and changes nothing', async () => {
    const token = await wechatDriver('inv-forged');
    const a = await paidStay(token, '京A66041', 95);
    const asked = await api<InvoiceView>('POST', inv.request.path, token, { items: [{ kind: 'order', ref: a }], title: null });
    sb().wechatPay.fapiao.setNotifications(false);
    try {
      sb().wechatPay.fapiao.fillTitle(asked.body.id, { type: 'INDIVIDUAL', name: '赵六' });
      const post = (n: { headers: Record<string, string>; body: string }) =>
        fetch(`${server.url}/notify/wechatpay/fapiao`, { method: 'POST', headers: { 'content-type': 'application/json', ...n.headers }, body: n.body });
      const forged = sb().wechatPay.makeNotification({ fapiaoApplyId: asked.body.id }, { eventType: 'FAPIAO.USER_APPLIED', signWith: rsaKeyPair().privateKey });
      expect((await post(forged)).status).toBe(401);
      const tampered = sb().wechatPay.makeNotification({ fapiaoApplyId: asked.body.id }, { eventType: 'FAPIAO.USER_APPLIED', tamper: 'ciphertext' });
      expect((await post(tampered)).status).toBe(401);
      const stale = sb().wechatPay.makeNotification({ fapiaoApplyId: asked.body.id }, { eventType: 'FAPIAO.USER_APPLIED', timestampOffsetMs: -6 * MIN });
      expect((await post(stale)).status).toBe(401);
      expect((await invoiceOf(token, asked.body.id)).body.status).toBe('awaiting_title');
      // The genuine one: looked at at once.
      const genuine = sb().wechatPay.makeNotification({ fapiaoApplyId: asked.body.id }, { eventType: 'FAPIAO.USER_APPLIED' });
      expect((await post(genuine)).status).toBe(204);
      await eventually(() => invoiceOf(token, asked.body.id), (r) => r.body.status !== 'awaiting_title', 10_000);
    } finally {
      sb().wechatPay.fapiao.setNotifications(true);
    }
  });
});
