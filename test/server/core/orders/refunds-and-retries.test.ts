/**
 * Money that goes back, and payments that arrive oddly: refunds the provider is still processing (WeChat
 * PROCESSING with its REFUND.* notification or our query; Alipay fund_change N and its refund query), a
 * refund the provider closed, a validly signed notification of the wrong amount before the genuine payment,
 * and paying again while the payment is being recorded.
 */
import { DEMO_PARK_NUMBER } from '../../../../server/sandbox/bluecard';
import { AppError } from '../../../../server/src/core/errors';
import type { Order } from '../../../../server/src/core/orders/model';
import { EventBus } from '../../../../server/src/core/events';
import { OrderService, type OrderEvents } from '../../../../server/src/core/orders/orders';
import { NOTIFY_PATHS } from '../../../../server/src/port/notify/router';
import { eventually, startPaymentWorld, type PaymentWorld } from '../../../support/payment-world';
import { answerOf } from '../../../support/answers';

const DRIVER = 'driver-r';
const OPENID = 'oWX-driver-r';
// A busy machine: the sandboxes' retries and our backoffs take real time.
jest.setTimeout(30_000);
let w: PaymentWorld;
beforeAll(async () => {
  // WeChat refunds stay PROCESSING until the test settles them.
  w = await startPaymentWorld('refunds_retries', { wechatRefundSettleMs: null });
});
afterAll(async () => {
  await w.close();
});

const order = (no: string) => w.orderRepo.get(no).then((o) => o!);
const until = (no: string, ok: (o: Order) => boolean, ms = 15_000) => eventually(() => order(no), ok, ms);
const lotPayments = (no: string) => w.bluecard.park(DEMO_PARK_NUMBER).dump().payments.filter((p) => p.payNo === no);

async function pending(plate: string, wallet: 'wechat' | 'alipay' = 'wechat') {
  await w.arrive(plate, 70);
  const fee = await w.orders.quotePrepay(DRIVER, DEMO_PARK_NUMBER, plate);
  const no = fee.order!.orderNo;
  const payer = wallet === 'wechat' ? { openId: OPENID } : { openId: w.alipay.user('r-driver').openId };
  const { pay } = await w.orders.pay(DRIVER, no, wallet, payer);
  return { no, pay, fee };
}

/** A refund started the usual way: our record of the amount disagrees with what the wallet charged. */
async function refunding(plate: string, wallet: 'wechat' | 'alipay') {
  const { no } = await pending(plate, wallet);
  await w.tamper(no, { amountFen: 399 });
  if (wallet === 'wechat') w.wechat.pay(no, { openid: OPENID });
  else w.alipay.pay(no, 'r-driver');
  return no;
}

describe('refunds the provider is still processing', () => {
  it('WeChat: PROCESSING, then REFUND.SUCCESS at our refund notify URL: refunded, with the provider’s date', async () => {
    const no = await refunding('京R10001', 'wechat');
    const asked = await until(no, (o) => !!o.refund?.requestedAt);
    expect(asked).toMatchObject({ status: 'refunding', refund: { state: 'pending', refundNo: `${no}R1` } });
    const sent = w.wechat.refunds().find((r) => r.outRefundNo === `${no}R1`)!;
    expect(sent).toMatchObject({ status: 'PROCESSING', notifyUrl: `${w.url}${NOTIFY_PATHS.wechatRefund}` });
    w.wechat.settleRefund(`${no}R1`, 'SUCCESS');
    const done = await until(no, (o) => o.status === 'refunded');
    const settled = w.wechat.refunds().find((r) => r.outRefundNo === `${no}R1`)!;
    expect(done.refund).toMatchObject({ state: 'done', fen: 400 });
    expect(done.refund!.refundedAt!.getTime()).toBe(Math.floor(settled.successTime! / 1000) * 1000);
    expect(w.wechat.refunds().filter((r) => r.outTradeNo === no)).toHaveLength(1);
  });

  it('WeChat: its notification lost, the refund is queried (backing off) until it is done — never asked for twice', async () => {
    const lost = await startPaymentWorld('refunds_lost', { wechatRefundSettleMs: null, wechatRefundNotifyUrl: 'http://127.0.0.1:9/lost', policy: { refundBackoffMs: [0, 100, 200] } });
    try {
      await lost.arrive('京R10002', 70);
      const no = (await lost.orders.quotePrepay(DRIVER, DEMO_PARK_NUMBER, '京R10002')).order!.orderNo;
      await lost.orders.pay(DRIVER, no, 'wechat', { openId: OPENID });
      await lost.tamper(no, { amountFen: 1 });
      lost.wechat.pay(no, { openid: OPENID });
      await eventually(() => lost.orderRepo.get(no), (o) => !!o?.refund?.requestedAt, 15_000);
      const queries = () => lost.wechat.hits(`/v3/refund/domestic/refunds/${no}R1`).length;
      await eventually(async () => queries(), (n) => n >= 2, 15_000);
      expect((await lost.orderRepo.get(no))!.status).toBe('refunding');
      lost.wechat.settleRefund(`${no}R1`, 'SUCCESS');
      const done = await eventually(() => lost.orderRepo.get(no), (o) => o?.status === 'refunded', 15_000);
      expect(done!.refund!.refundedAt).toBeDefined();
      expect(lost.wechat.hits('/v3/refund/domestic/refunds').filter((h) => h.method === 'POST')).toHaveLength(1);
    } finally {
      await lost.close();
    }
  });

  it('WeChat: a refund closed by WeChat (REFUND.CLOSED) is made again under a new number', async () => {
    const no = await refunding('京R10003', 'wechat');
    await until(no, (o) => !!o.refund?.requestedAt);
    w.wechat.settleRefund(`${no}R1`, 'CLOSED');
    await until(no, (o) => o.refund?.refundNo === `${no}R2` && !!o.refund.requestedAt);
    w.wechat.settleRefund(`${no}R2`, 'SUCCESS');
    const done = await until(no, (o) => o.status === 'refunded');
    expect(done.refund).toMatchObject({ refundNo: `${no}R2`, numbers: 2, state: 'done' });
  });

  it('a refund confirmed twice (its notification, then the answer to the lease holder’s query) is told once', async () => {
    const no = await refunding('京R10006', 'wechat');
    await until(no, (o) => !!o.refund?.requestedAt);
    // A process takes the refund's lease (its clock ahead of the world's worker, which leaves the lease alone)…
    const told: string[] = [];
    const events = new EventBus<OrderEvents>();
    events.on('refunded', ({ order }) => told.push(`refunded ${order.orderNo}`));
    const later = new OrderService({ ...w.orders['deps'], clock: { now: () => Date.now() + 3_600_000 }, events });
    const claimed = await w.orderRepo.claimRefund(new Date(Date.now() + 3_600_000), 'late-process', 60_000, no);
    expect(claimed).toMatchObject({ status: 'refunding' });
    // …meanwhile WeChat's REFUND.SUCCESS notification marks it refunded…
    w.wechat.settleRefund(`${no}R1`, 'SUCCESS');
    await until(no, (o) => o.status === 'refunded');
    // …then the lease holder's query says SUCCESS too: written down, but no second "refunded".
    const after = await later.refundClaimed('late-process', claimed!);
    expect(after).toMatchObject({ status: 'refunded', refund: { state: 'done' } });
    expect(after!.refund!.leaseUntil ?? null).toBeNull();
    expect(told).toEqual([]);
  });

  it('WeChat: ABNORMAL is kept for a person, not marked refunded', async () => {
    const no = await refunding('京R10004', 'wechat');
    await until(no, (o) => !!o.refund?.requestedAt);
    w.wechat.settleRefund(`${no}R1`, 'ABNORMAL');
    const kept = await until(no, (o) => o.refund?.abnormal === true);
    expect(kept).toMatchObject({ status: 'refunding', refund: { state: 'pending' } });
    expect(kept.refund!.lastError).toMatch(/ABNORMAL/);
  });

  it('Alipay: fund_change N, then alipay.trade.fastpay.refund.query until REFUND_SUCCESS: refunded, with gmt_refund_pay', async () => {
    w.alipay.holdRefunds(true);
    try {
      const no = await refunding('京R10005', 'alipay');
      await until(no, (o) => !!o.refund?.requestedAt);
      expect((await order(no)).status).toBe('refunding');
      const settled = w.alipay.settleRefund(no, `${no}R1`);
      const done = await until(no, (o) => o.status === 'refunded', 8_000);
      expect(done.refund!.refundedAt!.getTime()).toBe(Math.floor(settled.at / 1000) * 1000);
      expect(w.alipay.requests().filter((r) => r.method === 'alipay.trade.fastpay.refund.query').length).toBeGreaterThan(0);
      expect(w.alipay.trade(no)!.refunds).toHaveLength(1);
    } finally {
      w.alipay.holdRefunds(false);
    }
  });
});

describe('a wrong notification, then the genuine payment', () => {
  it('a validly signed notification of another amount (no such payment at WeChat) records nothing; the real payment is delivered', async () => {
    const { no } = await pending('京R20001');
    // WeChat's own signature on a notification that disagrees with WeChat's order (amount, transaction).
    w.wechat.setTradeState(no, 'SUCCESS');
    const o = w.wechat.orders().find((x) => x.outTradeNo === no)!;
    const total = o.totalFen;
    Object.assign(o, { totalFen: 1, transactionId: '4200000000000000000000000001', successTime: Date.now() });
    const wrong = w.wechat.makeNotification({ outTradeNo: no });
    Object.assign(o, { totalFen: total, transactionId: undefined, successTime: undefined, tradeState: 'NOTPAY' });
    const res = await fetch(`${w.url}${NOTIFY_PATHS.wechat}`, { method: 'POST', headers: wrong.headers, body: wrong.body });
    expect(res.status).toBe(204);
    expect(await order(no)).toMatchObject({ status: 'pending' });
    // The genuine payment follows.
    w.wechat.pay(no, { openid: OPENID });
    const done = await until(no, (x) => x.status === 'delivered');
    expect(done.payment).toMatchObject({ paidFen: total });
    expect(done.refund).toBeUndefined();
    expect(lotPayments(no)).toHaveLength(1);
  });

  it('a notification naming another transaction for a delivered order changes nothing (WeChat’s query names the real one)', async () => {
    const { no } = await pending('京R20002');
    w.wechat.pay(no, { openid: OPENID });
    const first = await until(no, (x) => x.status === 'delivered');
    const o = w.wechat.orders().find((x) => x.outTradeNo === no)!;
    const real = o.transactionId;
    o.transactionId = '4200000000000000000000000002';
    const second = w.wechat.makeNotification({ outTradeNo: no });
    o.transactionId = real;
    const res = await fetch(`${w.url}${NOTIFY_PATHS.wechat}`, { method: 'POST', headers: second.headers, body: second.body });
    expect(res.status).toBe(204);
    const after = await order(no);
    expect(after).toMatchObject({ status: 'delivered', payment: { transactionId: first.payment!.transactionId } });
  });
});

describe('paying again while the payment is being recorded', () => {
  it('the wallet paid, its notification not here yet: pay answers "paid, confirming" (not the wallet again)', async () => {
    const late = await startPaymentWorld('refunds_paylate', { wechatNotifyUrl: 'http://127.0.0.1:9/late' });
    try {
      await late.arrive('京R30001', 70);
      const no = (await late.orders.quotePrepay(DRIVER, DEMO_PARK_NUMBER, '京R30001')).order!.orderNo;
      await late.orders.pay(DRIVER, no, 'wechat', { openId: OPENID });
      late.wechat.pay(no, { openid: OPENID });
      const again = await late.orders.pay(DRIVER, no, 'wechat', { openId: OPENID }).catch((e: unknown) => e);
      expect(again).toBeInstanceOf(AppError);
      expect(answerOf(again)).toMatchObject({ code: 'order_not_payable', status: 409, details: { paid: true } });
      await eventually(() => late.orderRepo.get(no), (o) => o?.status === 'delivered');
    } finally {
      await late.close();
    }
  });

  it('WeChat refuses a new order as paid (ORDERPAID): "paid, confirming", not 502 provider_refused', async () => {
    const late = await startPaymentWorld('refunds_orderpaid', { wechatNotifyUrl: 'http://127.0.0.1:9/late' });
    try {
      await late.arrive('京R30002', 70);
      const no = (await late.orders.quotePrepay(DRIVER, DEMO_PARK_NUMBER, '京R30002')).order!.orderNo;
      await late.orders.pay(DRIVER, no, 'wechat', { openId: OPENID });
      late.wechat.pay(no, { openid: OPENID });
      // A second tap whose order request reaches WeChat after the payment (its first answer not stored yet),
      // and the app's poll asked a moment ago.
      await late.tamper(no, { gateway: null, lastQueriedAt: new Date() });
      const again = await late.orders.pay(DRIVER, no, 'wechat', { openId: OPENID }).catch((e: unknown) => e);
      expect(answerOf(again)).toMatchObject({ code: 'order_not_payable', status: 409, details: { paid: true } });
      expect(late.wechat.hits('/v3/pay/transactions/jsapi').length).toBe(2);
      await eventually(() => late.orderRepo.get(no), (o) => o?.status === 'delivered');
    } finally {
      await late.close();
    }
  });
});
