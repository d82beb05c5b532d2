/**
 * Messages to drivers over the app API on the real server in demo mode: the consent flow (the app asks at a
 * moment, the WeChat login sandbox plays wx.requestSubscribeMessage, the app reports the answers), then each
 * event sends through the sandbox's subscribeMessage.send (access token and data checked as WeChat checks them)
 * exactly once — payment, refund, entry at a park for a plate the driver proved — and nothing without consent,
 * nothing for a kind the driver turned off, no entry message for a plate only bound. Alipay drivers through
 * alipay.open.app.mini.templatemessage.send.
 */
import { messageEndpoints, type MessageSettingsView } from '../../../shared/api/messages';
import { bookingEndpoints as bk, type BookingView } from '../../../shared/api/bookings';
import { opBookingEndpoints as op } from '../../../shared/api/op-bookings';
import { buildPath, type EndpointDef } from '../../../shared/api/contract';
import { loadConfig } from '../../../server/src/config';
import { createLogger } from '../../../server/src/logger';
import { DEMO_PARK_NUMBER } from '../../../server/sandbox/bluecard';
import { SANDBOX_SUBSCRIBE_TEMPLATES as WX } from '../../../server/sandbox/wechat-login';
import { ALIPAY_SANDBOX_TEMPLATES as ALI } from '../../../server/sandbox/alipay';
import { startServer, type RunningServer } from '../../../server/src/server';
import { eventually } from '../../support/payment-world';
import { testDatabaseUri } from '../../support/db';
import { randomBytes } from 'node:crypto';

jest.setTimeout(90_000);

let server: RunningServer;
const P = DEMO_PARK_NUMBER;
const MIN = 60_000;
beforeAll(async () => {
  server = await startServer(
    loadConfig({
      PORT: '0',
      MONGODB_URI: `${testDatabaseUri()}pp_messages_${Date.now()}`,
      PARKPAY_DEMO_BLUECARD_PORT: '0',
      PARKPAY_DEMO_WECHAT_LOGIN_PORT: '0',
      PARKPAY_DEMO_WECHATPAY_PORT: '0',
      PARKPAY_DEMO_ALIPAY_PORT: '0',
    }, undefined, { demoWithConfiguredKeys: true }),
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
const wxSent = (openid: string, templateId?: string) => sb().wechatLogin.messages.sent.filter((m) => m.touser === openid && (!templateId || m.templateId === templateId));

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

async function wechatDriver(name: string): Promise<{ token: string; openid: string }> {
  const r = await api<{ token: string }>('POST', '/api/auth/wechat', undefined, { code: sb().wechatLogin.issueCode(name) });
  expect(r.status).toBe(200);
  return { token: r.body.token, openid: sb().wechatLogin.openIdOf(name) };
}

/** The app asks at `moment` (wx.requestSubscribeMessage on the phone, the sandbox answering) and reports the answers. */
async function consent(token: string, moment: 'pay' | 'plate' | 'agreement', answer: Record<string, 'accept' | 'reject'> = {}): Promise<MessageSettingsView> {
  const s = await api<MessageSettingsView>('GET', messageEndpoints.settings.path, token);
  const ids = s.body.moments[moment];
  const phone = sb().wechatLogin.messages.subscribe(s.body.recipient!, ids, answer);
  expect(phone.errMsg).toBe('requestSubscribeMessage:ok');
  const results = Object.fromEntries(ids.map((id) => [id, phone[id]]));
  const r = await api<MessageSettingsView>('POST', messageEndpoints.consents.path, token, { moment, results });
  expect(r.status).toBe(200);
  return r.body;
}

async function payStay(token: string, plate: string, minutes: number): Promise<string> {
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

const settled = () => server.notices.worker.idle();

describe('the consent flow', () => {
  it("settings say what to ask at each moment; the answers become consents; a template not of this app is refused", async () => {
    const { token, openid } = await wechatDriver('msg-consent');
    const before = await api<MessageSettingsView>('GET', messageEndpoints.settings.path, token);
    expect(before.status).toBe(200);
    expect(messageEndpoints.settings.response.safeParse(before.body).success).toBe(true);
    expect(before.body).toMatchObject({ platform: 'wechat', recipient: openid });
    expect(before.body.moments.pay).toEqual([WX.payment.id, WX.free_exit_ending.id, WX.refund.id]);
    expect(before.body.moments.plate).toEqual([WX.entry.id, WX.pass_expiring.id]);
    expect(before.body.moments.agreement).toEqual([WX.deduction.id, WX.entry.id, WX.refund.id]);
    expect(before.body.kinds.every((k) => k.enabled && k.remaining === 0)).toBe(true);

    const after = await consent(token, 'pay', { [WX.refund.id]: 'reject' });
    const left = Object.fromEntries(after.kinds.map((k) => [k.kind, k.remaining]));
    expect(left).toMatchObject({ payment: 1, free_exit_ending: 1, refund: 0, entry: 0 });
    // Asked again at the next payment: one more each.
    const again = await consent(token, 'pay');
    expect(Object.fromEntries(again.kinds.map((k) => [k.kind, k.remaining]))).toMatchObject({ payment: 2, free_exit_ending: 2, refund: 1 });

    const bad = await api('POST', messageEndpoints.consents.path, token, { moment: 'pay', results: { 'not-a-template': 'accept' } });
    expect(bad.status).toBe(400);
    expect(bad.body.error.code).toBe('unknown_template');
  });
});

describe('each kind once for its event, and never without consent', () => {
  it('payment: sent once with the template’s data (a repeated notification sends nothing more); another driver without consent gets none', async () => {
    const { token, openid } = await wechatDriver('msg-pay');
    await consent(token, 'pay');
    const orderNo = await payStay(token, '京M70001', 95);
    await eventually(() => Promise.resolve(wxSent(openid, WX.payment.id)), (l) => l.length === 1, 10_000);
    const sent = wxSent(openid, WX.payment.id)[0]!;
    expect(sent.data).toMatchObject({ thing1: '示例停车场', car_number2: '京M70001', amount3: '4.00元', thing5: '请在免费离场时间内离场' });
    expect(sent.data.time4).toMatch(/^\d{4}年\d{1,2}月\d{1,2}日 \d{2}:\d{2}$/);
    expect(sent.page).toBe('packages/me/history/index');

    // WeChat repeats its notification; the event is told twice: still one message.
    const again = sb().wechatPay.makeNotification({ outTradeNo: orderNo });
    const res = await fetch(`${server.url}/notify/wechatpay`, { method: 'POST', headers: { 'content-type': 'application/json', ...again.headers }, body: again.body });
    expect(res.status).toBeLessThan(300);
    await server.notices.events.orderPaid(orderNo);
    await settled();
    expect(wxSent(openid, WX.payment.id)).toHaveLength(1);
    // The free-exit reminder waits for its time (12 minutes after paying), not sent now.
    expect(wxSent(openid, WX.free_exit_ending.id)).toHaveLength(0);

    const other = await wechatDriver('msg-noconsent');
    await payStay(other.token, '京M70002', 95);
    const otherId = await driverIdOf(other.token);
    await eventually(() => server.notices.messages.listForDriver(otherId), (l) => l.some((m) => m.kind === 'payment' && m.status === 'skipped'), 10_000);
    const mine = await server.notices.messages.listForDriver(otherId);
    expect(mine.find((m) => m.kind === 'payment')).toMatchObject({ status: 'skipped', reason: 'no_consent' });
    expect(wxSent(other.openid)).toHaveLength(0);
  });

  it('a kind turned off in 我的 is not sent even with consent; turned on again, it is', async () => {
    const { token, openid } = await wechatDriver('msg-off');
    await consent(token, 'pay');
    const off = await api<MessageSettingsView>('POST', messageEndpoints.setKind.path, token, { kind: 'payment', enabled: false });
    expect(off.body.kinds.find((k) => k.kind === 'payment')?.enabled).toBe(false);
    // Not asked for either while it is off.
    expect(off.body.moments.pay).not.toContain(WX.payment.id);
    await payStay(token, '京M70003', 95);
    const me = await driverIdOf(token);
    await eventually(() => server.notices.messages.listForDriver(me), (l) => l.some((m) => m.kind === 'payment' && m.status === 'skipped'), 10_000);
    expect(wxSent(openid, WX.payment.id)).toHaveLength(0);
    await api('POST', messageEndpoints.setKind.path, token, { kind: 'payment', enabled: true });
    await payStay(token, '京M70004', 95);
    await eventually(() => Promise.resolve(wxSent(openid, WX.payment.id)), (l) => l.length === 1, 10_000);
  });

  it('refund: once when the money is back (a booking cancelled)', async () => {
    const { token, openid } = await wechatDriver('msg-refund');
    await consent(token, 'pay');
    const boss = await operator();
    // Demo mode has one clock for ParkPay and the sandboxes, and the stays above moved it forward.
    const letInStart = server.demo!.clock.now() + 180 * MIN;
    const offer = await api('POST', path(op.createOffer, { parkNumber: P }), boss, {
      title: '消息测试预约',
      areaId: 1,
      priceFen: 1500,
      start: new Date(letInStart).toISOString(),
      end: new Date(letInStart + 6 * 60 * MIN).toISOString(),
      letInStart: new Date(letInStart).toISOString(),
      letInEnd: new Date(letInStart + 60 * MIN).toISOString(),
      count: 1,
      cancelRule: { fullRefundMinutesBefore: 60, lateRefundPercent: 20 },
    });
    const made = await api<BookingView>('POST', bk.book.path, token, { offerId: offer.body.offerId, plate: '粤M70005' });
    const pay = await api('POST', path(bk.pay, { bookingNo: made.body.bookingNo }), token, { wallet: 'wechat' });
    sb().wechatPay.requestPayment(pay.body.pay.requestPayment, { outcome: 'pay' });
    await eventually(() => api<BookingView>('GET', path(bk.booking, { bookingNo: made.body.bookingNo }), token), (r) => r.body.status === 'booked', 15_000);
    await api('POST', path(bk.cancel, { bookingNo: made.body.bookingNo }), token, {});
    await eventually(() => Promise.resolve(wxSent(openid, WX.refund.id)), (l) => l.length === 1, 30_000);
    expect(wxSent(openid, WX.refund.id)[0]!.data).toMatchObject({ thing1: '示例停车场', amount2: '15.00元', thing4: '预约已取消' });
    await server.notices.events.orderRefunded(made.body.order!.orderNo);
    await settled();
    expect(wxSent(openid, WX.refund.id)).toHaveLength(1);
  });

  it('entry: to the driver who proved the plate at the park (once per stay, a resent 4.2 changes nothing); not to one who only bound it', async () => {
    const owner = await wechatDriver('msg-entry-owner');
    const stranger = await wechatDriver('msg-entry-stranger');
    for (const d of [owner, stranger]) {
      expect((await api('POST', '/api/me/plates', d.token, { plate: '京M70006' })).status).toBe(200);
      await consent(d.token, 'plate');
    }
    // The owner pays for a stay there (that proves the plate at this park for 90 days), then leaves.
    await payStay(owner.token, '京M70006', 95);
    await lot().leave({ lane: '东门出口', plate: '京M70006', wait: true });
    // Back the next day.
    await lot().arrive({ lane: '东门入口', plate: '京M70006', wait: true });
    await eventually(() => Promise.resolve(wxSent(owner.openid, WX.entry.id)), (l) => l.length === 1, 10_000);
    const sent = wxSent(owner.openid, WX.entry.id)[0]!;
    expect(sent.data).toMatchObject({ thing1: '示例停车场', car_number2: '京M70006' });
    // The event told again (a resent 4.2 of the same stay): nothing more.
    const ownerId = await driverIdOf(owner.token);
    const entry = (await server.notices.messages.listForDriver(ownerId)).find((m) => m.kind === 'entry')!;
    const [, parkNumber, orderId] = entry.id.split(':');
    expect(await server.notices.events.entered({ parkNumber: parkNumber!, orderId: orderId!, plate: '京M70006', inTime: null })).toBe(0);
    // The first entry (before the plate was proved) sent nothing to anyone; the stranger gets nothing ever.
    await settled();
    expect(wxSent(owner.openid, WX.entry.id)).toHaveLength(1);
    expect(wxSent(stranger.openid)).toHaveLength(0);
  });
});

describe('Alipay drivers', () => {
  it('consent from my.requestSubscribeMessage, the payment message through alipay.open.app.mini.templatemessage.send', async () => {
    const code = sb().alipay.issueAuthCode('msg-ali');
    const token = (await api('POST', '/api/auth/alipay', undefined, { code })).body.token as string;
    const s = await api<MessageSettingsView>('GET', messageEndpoints.settings.path, token);
    expect(s.body.platform).toBe('alipay');
    expect(s.body.moments.pay).toEqual([ALI.payment.id, ALI.free_exit_ending.id, ALI.refund.id]);
    const phone = sb().alipay.messages.subscribe(sb().alipay.user('msg-ali'), s.body.moments.pay);
    expect('subscribeEntityIds' in phone).toBe(true);
    const results = Object.fromEntries(s.body.moments.pay.map((id) => [id, 'accept']));
    expect((await api('POST', messageEndpoints.consents.path, token, { moment: 'pay', results })).status).toBe(200);

    await lot().arrive({ lane: '东门入口', plate: '沪M70007', wait: true });
    await sb().bluecard.advanceClock(95 * MIN);
    const fee = await api('POST', '/api/fees/prepay', token, { parkNumber: P, plate: '沪M70007' });
    const orderNo = fee.body.order.orderNo as string;
    await api('POST', `/api/orders/${orderNo}/pay`, token, { wallet: 'alipay' });
    sb().alipay.pay(orderNo, 'msg-ali');
    await eventually(() => Promise.resolve(sb().alipay.messages.sent.filter((m) => m.templateId === ALI.payment.id)), (l) => l.length === 1, 15_000);
    const sent = sb().alipay.messages.sent.find((m) => m.templateId === ALI.payment.id)!;
    expect(sent.to).toBe(sb().alipay.user('msg-ali').openId);
    expect(sent.data).toMatchObject({ keyword1: '示例停车场', keyword2: '沪M70007', keyword3: '4.00元' });
  });
});

async function driverIdOf(token: string): Promise<string> {
  const me = await api('GET', '/api/me', token);
  return me.body.id as string;
}

async function operator(): Promise<string> {
  const username = `msg-${randomBytes(3).toString('hex')}`;
  const password = `pw-${randomBytes(12).toString('base64url')}`;
  await server.operators.createOperator('system', { username, password, role: 'operator', parks: [P] });
  return (await server.operators.login(username, password)).token;
}
