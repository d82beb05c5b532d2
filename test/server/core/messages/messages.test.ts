/**
 * Messages on a clock we move, sent through the WeChat login sandbox (its subscribeMessage.send and access
 * tokens checked as WeChat checks them) and stored in the real database: the free exit reminder a few minutes
 * before the free time ends (not once the car has left), deductions and their refunds, the monthly pass's
 * 7-day and 1-day reminders (not after a renewal), each once for its event; the access token cached for every
 * process and renewed before its end or when WeChat refuses it; failures retried a bounded number of times,
 * then dropped with a log line; the platform's refusal clearing the consent.
 */
import { Writable } from 'node:stream';
import { WechatMessages } from '../../../../server/src/adapter/wechat-login/messages';
import { ManualClock } from '../../../../server/src/core/clock';
import { NoticeEvents } from '../../../../server/src/core/messages/events';
import type { MessageKind, TemplateRule } from '../../../../server/src/core/messages/model';
import { MessagesService } from '../../../../server/src/core/messages/service';
import type { LaneDeduction } from '../../../../server/src/core/lanepay/channel-pay-model';
import type { Order } from '../../../../server/src/core/orders/model';
import type { Driver } from '../../../../server/src/core/identity/model';
import { createLogger } from '../../../../server/src/logger';
import { PendingWorker } from '../../../../server/src/port/jobs/pending-worker';
import { MongoMessageStores } from '../../../../server/src/repository/messages';
import { MongoPendingWork } from '../../../../server/src/repository/pending-work';
import { demoMessages } from '../../../../server/sandbox/demo';
import { SANDBOX_SUBSCRIBE_TEMPLATES as WX, startWechatLoginSandbox, type WechatLoginSandbox } from '../../../../server/sandbox/wechat-login';
import { openTestDatabase, type TestDatabase } from '../../../support/db';

const MIN = 60_000;
let db: TestDatabase;
let wx: WechatLoginSandbox;
const clock = new ManualClock(Date.UTC(2026, 10, 28, 2, 0, 0));
const logLines: Record<string, unknown>[] = [];
const logger = createLogger(
  'info',
  new Writable({
    write(chunk, _enc, done) {
      for (const line of String(chunk).split('\n').filter(Boolean)) logLines.push(JSON.parse(line) as Record<string, unknown>);
      done();
    },
  }),
);

const orders = new Map<string, Order>();
const stays = new Map<string, { status: 'in' | 'out' }>();
const passEnds = new Map<string, Date>();
let stores: MongoMessageStores;
let worker: PendingWorker;
let service: MessagesService;
let events: NoticeEvents;
let channel: WechatMessages;

beforeAll(async () => {
  db = await openTestDatabase('messages');
  wx = await startWechatLoginSandbox({ clock });
  stores = new MongoMessageStores(db.connection);
  const work = new MongoPendingWork(db.connection);
  await Promise.all([stores.init(), work.init()]);
  const templates = demoMessages().wechat!.templates as Partial<Record<MessageKind, TemplateRule>>;
  channel = new WechatMessages({ ...wx.app, store: stores.tokens, clock, templates, miniprogramState: 'developer', lang: 'zh_CN' });
  service = new MessagesService({
    messages: stores.messages,
    consents: stores.consents,
    prefs: stores.prefs,
    channels: [channel],
    drivers: { findById: async (id) => ({ id, wechatOpenId: wx.openIdOf(id), createdAt: new Date(0), plates: [] }) as Driver },
    stays: { findStay: async (p, o) => stays.get(`${p}|${o}`) },
    orders: { get: async (no) => orders.get(no) },
    passes: { endsAt: async (id) => passEnds.get(id) },
    work,
    clock,
    log: logger,
    maxAttempts: 5,
  });
  worker = new PendingWorker({ work, clock, logger }).handle(service);
  events = new NoticeEvents({
    messages: service,
    orders: { get: async (no) => orders.get(no) },
    parks: { get: async (p) => ({ parkNumber: p, key: 'k', bluecardBaseUrl: 'http://127.0.0.1:1', name: '示例停车场' }) },
    audience: { boundBy: async () => [], isProved: async () => false, agreementsOf: async () => [] },
    freeExitLeadMinutes: 3,
    clock,
  });
});
afterAll(async () => {
  await wx?.stop();
  await db?.dispose();
});

/** The driver accepts these kinds on the phone (the sandbox's quota) and the app reports it (ours). */
async function accept(driverId: string, kinds: MessageKind[]): Promise<void> {
  const ids = kinds.map((k) => WX[k].id);
  const answers = wx.messages.subscribe(wx.openIdOf(driverId), ids);
  await service.consent(driverId, 'pay', Object.fromEntries(ids.map((id) => [id, answers[id] as 'accept'])));
}

const sentTo = (driverId: string, kind: MessageKind) => wx.messages.sent.filter((m) => m.touser === wx.openIdOf(driverId) && m.templateId === WX[kind].id);
const record = async (id: string) => (await stores.messages.get(id))!;

function order(no: string, driverId: string, paidAt: number): Order {
  const o = {
    orderNo: no,
    driverId,
    kind: 'prepay',
    parkNumber: 'p1',
    orderId: `o-${no}`,
    plate: '京A12345',
    outTradeNo: `p1_1_${no}`,
    quote: { chargeFen: 400, paidTotalFen: 0, profitChargeTotalFen: 0, payFen: 400, inTime: '', getTime: '', stopMinutes: 95, paidFreeMinutes: 15, profitMinutes: 0, imgName: '' },
    amountFen: 400,
    status: 'delivered',
    payment: { provider: 'wechat', transactionId: `42${no}`, paidFen: 400, paidAt: new Date(paidAt), via: 'notification' },
    expiresAt: new Date(paidAt),
    createdAt: new Date(paidAt),
    updatedAt: new Date(paidAt),
  } as Order;
  orders.set(no, o);
  stays.set(`p1|o-${no}`, { status: 'in' });
  return o;
}

describe('free exit time ending', () => {
  it('is sent 3 minutes before the free exit time ends, once; not when the car has left', async () => {
    await accept('drv-free', ['payment', 'free_exit_ending']);
    const paidAt = clock.now();
    order('PPFREE000001', 'drv-free', paidAt);
    await events.orderPaid('PPFREE000001');
    await events.orderPaid('PPFREE000001');
    await worker.pollOnce();
    expect(sentTo('drv-free', 'payment')).toHaveLength(1);
    expect(sentTo('drv-free', 'free_exit_ending')).toHaveLength(0);
    clock.advance(11 * MIN);
    await worker.pollOnce();
    expect(sentTo('drv-free', 'free_exit_ending')).toHaveLength(0);
    clock.advance(1 * MIN);
    await worker.pollOnce();
    const sent = sentTo('drv-free', 'free_exit_ending');
    expect(sent).toHaveLength(1);
    // 15 minutes after paying, in China time.
    const leaveBy = new Date(paidAt + 15 * MIN + 8 * 3_600_000);
    expect(sent[0]!.data.time3).toBe(`${leaveBy.getUTCFullYear()}年${leaveBy.getUTCMonth() + 1}月${leaveBy.getUTCDate()}日 ${String(leaveBy.getUTCHours()).padStart(2, '0')}:${String(leaveBy.getUTCMinutes()).padStart(2, '0')}`);
    clock.advance(10 * MIN);
    await worker.pollOnce();
    expect(sentTo('drv-free', 'free_exit_ending')).toHaveLength(1);

    // Another stay: the car leaves within the free time — no reminder, the consent kept.
    await accept('drv-left', ['free_exit_ending']);
    order('PPFREE000002', 'drv-left', clock.now());
    await events.orderPaid('PPFREE000002');
    stays.set('p1|o-PPFREE000002', { status: 'out' });
    clock.advance(12 * MIN);
    await worker.pollOnce();
    expect(sentTo('drv-left', 'free_exit_ending')).toHaveLength(0);
    expect(await record('free_exit:PPFREE000002')).toMatchObject({ status: 'skipped', reason: 'car_left' });
    expect((await service.settings('drv-left')).kinds.find((k) => k.kind === 'free_exit_ending')?.remaining).toBe(1);
  });
});

describe('deductions, their refunds, monthly passes', () => {
  const deduction = {
    id: 'p1|OUT1',
    parkNumber: 'p1',
    outTradeNo: 'OUT1',
    plate: '京A54321',
    plateKey: '京A54321',
    amountFen: 600,
    via: '4.27',
    state: 'paid',
    attempt: { tradeNo: 'PW2611281000ABCDEFGH', agreementId: 'agr_1', provider: 'wechat', driverId: 'drv-agr' },
    attempts: 1,
    transactionId: '4200000001',
    paidFen: 600,
    paidAt: new Date(clock.now()),
    refund: { refundNo: 'RF2611281000ABCDEFGH', state: 'refunded', amountFen: 600, reason: 'x', startedAt: new Date(clock.now()), attempts: 1, refundedAt: new Date(clock.now()) },
    createdAt: new Date(clock.now()),
    updatedAt: new Date(clock.now()),
  } as LaneDeduction;

  it('a deduction and its refund: one message each, however often told', async () => {
    await accept('drv-agr', ['deduction', 'refund']);
    for (let i = 0; i < 3; i++) {
      await events.deductionPaid(deduction);
      await events.deductionRefunded(deduction);
    }
    await worker.pollOnce();
    expect(sentTo('drv-agr', 'deduction')).toHaveLength(1);
    expect(sentTo('drv-agr', 'deduction')[0]!.data).toMatchObject({ thing1: '示例停车场', car_number2: '京A54321', amount3: '6.00元' });
    expect(sentTo('drv-agr', 'refund')).toHaveLength(1);
    expect(sentTo('drv-agr', 'refund')[0]!.data).toMatchObject({ amount2: '6.00元', thing4: '停车场未确认扣款' });
  });

  it('a pass: 7 days and 1 day before its end, once each; a renewed pass’s old reminders are not sent', async () => {
    await accept('drv-pass', ['pass_expiring']);
    wx.messages.subscribe(wx.openIdOf('drv-pass'), [WX.pass_expiring.id]);
    await service.consent('drv-pass', 'plate', { [WX.pass_expiring.id]: 'accept' });
    const endsAt = new Date(clock.now() + 10 * 86_400_000);
    passEnds.set('pass-1', endsAt);
    await events.passExpiring({ passId: 'pass-1', driverId: 'drv-pass', parkNumber: 'p1', plate: '京A11111', endsAt });
    await events.passExpiring({ passId: 'pass-1', driverId: 'drv-pass', parkNumber: 'p1', plate: '京A11111', endsAt });
    clock.advance(3 * 86_400_000);
    await worker.pollOnce();
    expect(sentTo('drv-pass', 'pass_expiring').map((m) => m.data.thing4)).toEqual(['月卡即将到期，请及时续费']);
    clock.advance(6 * 86_400_000);
    await worker.pollOnce();
    expect(sentTo('drv-pass', 'pass_expiring')).toHaveLength(2);

    // Renewed before its 1-day reminder: that one is not sent.
    const other = new Date(clock.now() + 5 * 86_400_000);
    passEnds.set('pass-2', other);
    await accept('drv-pass2', ['pass_expiring']);
    await events.passExpiring({ passId: 'pass-2', driverId: 'drv-pass2', parkNumber: 'p1', plate: '京A22222', endsAt: other });
    passEnds.set('pass-2', new Date(other.getTime() + 30 * 86_400_000));
    clock.advance(5 * 86_400_000);
    await worker.pollOnce();
    expect(sentTo('drv-pass2', 'pass_expiring')).toHaveLength(0);
  });
});

describe('the access token and failures', () => {
  it('one token for many sends, renewed before its 7200 s end and when WeChat refuses it', async () => {
    await wx.messages.revokeTokens();
    await stores.tokens.put(wx.app.appId, 'stale-token-from-before', new Date(clock.now() - 1));
    const calls = () => wx.messages.tokenCalls.length;
    const before = calls();
    for (let i = 0; i < 3; i++) {
      wx.messages.subscribe(wx.openIdOf('drv-token'), [WX.payment.id]);
      expect(await channel.send({ recipient: wx.openIdOf('drv-token'), templateId: WX.payment.id, data: { thing1: '示例停车场', car_number2: '京A1', amount3: '1.00元', time4: '10:00', thing5: '好' } })).toEqual({ kind: 'sent' });
    }
    expect(calls() - before).toBe(1);
    // Close to its end: a new one first.
    clock.advance((7200 - 4 * 60) * 1000);
    wx.messages.subscribe(wx.openIdOf('drv-token'), [WX.payment.id]);
    expect((await channel.send({ recipient: wx.openIdOf('drv-token'), templateId: WX.payment.id, data: { thing1: '示例停车场', car_number2: '京A1', amount3: '1.00元', time4: '10:00', thing5: '好' } })).kind).toBe('sent');
    expect(calls() - before).toBe(2);
    // Invalidated at WeChat (40001): renewed and sent.
    wx.messages.revokeTokens();
    wx.messages.subscribe(wx.openIdOf('drv-token'), [WX.payment.id]);
    expect((await channel.send({ recipient: wx.openIdOf('drv-token'), templateId: WX.payment.id, data: { thing1: '示例停车场', car_number2: '京A1', amount3: '1.00元', time4: '10:00', thing5: '好' } })).kind).toBe('sent');
    expect(calls() - before).toBe(3);
    expect(wx.messages.tokenCalls.every((c) => c.api === 'stable_token')).toBe(true);
  });

  it('a send that keeps failing is retried 5 times in all, then dropped with a log line; the consent is kept', async () => {
    await accept('drv-fail', ['payment']);
    order('PPFAIL000001', 'drv-fail', clock.now());
    wx.messages.inject({ type: 'errcode', errcode: -1 }, 5);
    await events.orderPaid('PPFAIL000001');
    for (const wait of [0, 30_000, 2 * MIN, 10 * MIN, 30 * MIN]) {
      clock.advance(wait);
      await worker.pollOnce();
    }
    const r = await record('payment:PPFAIL000001');
    expect(r).toMatchObject({ status: 'dropped', attempts: 5 });
    expect(r.reason).toMatch(/^gave_up: -1/);
    expect(sentTo('drv-fail', 'payment')).toHaveLength(0);
    expect(logLines.some((l) => l.msg === 'message dropped after failed sends' && l.messageId === 'payment:PPFAIL000001' && l.attempts === 5)).toBe(true);
    expect((await service.settings('drv-fail')).kinds.find((k) => k.kind === 'payment')?.remaining).toBe(1);
  });

  it('WeChat says the user has no subscription (43101): dropped at once, our consent cleared', async () => {
    // ParkPay was told "accept", but WeChat has no subscription for it (the phone's answer never reached WeChat).
    await service.consent('drv-43101', 'pay', { [WX.payment.id]: 'accept' });
    order('PPREFU000001', 'drv-43101', clock.now());
    await events.orderPaid('PPREFU000001');
    await worker.pollOnce();
    expect(await record('payment:PPREFU000001')).toMatchObject({ status: 'dropped', attempts: 1 });
    expect((await record('payment:PPREFU000001')).reason).toMatch(/^refused: 43101/);
    expect((await service.settings('drv-43101')).kinds.find((k) => k.kind === 'payment')?.remaining).toBe(0);
  });
});
