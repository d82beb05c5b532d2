/**
 * The way of a payment, through all three sandboxes and the real database: fee → provider order → the
 * payer pays → notification (or our query) → the payment recorded once → sendPayRes → the lot counts it.
 * And every way it can go wrong.
 */
import { generateKeyPairSync } from 'node:crypto';
import { DEMO_PARK_NUMBER } from '../../../../server/sandbox/bluecard';
import { NOTIFY_PATHS } from '../../../../server/src/port/notify/router';
import { BluecardClient } from '../../../../server/src/adapter/bluecard';
import { BluecardLotGateway } from '../../../../server/src/adapter/bluecard/lot-gateway';
import { ManualClock } from '../../../../server/src/core/clock';
import { OrderService } from '../../../../server/src/core/orders/orders';
import { createLogger } from '../../../../server/src/logger';
import { OrderWorker } from '../../../../server/src/port/jobs/order-worker';
import { MongoParkDirectory } from '../../../../server/src/repository/parks';
import { eventually, startPaymentWorld, type PaymentWorld } from '../../../support/payment-world';
import { answerOf, answerTo } from '../../../support/answers';

const DRIVER = 'driver-1';
const OPENID = 'oWX-driver-1';
let w: PaymentWorld;
beforeAll(async () => {
  w = await startPaymentWorld('orders');
});
afterAll(async () => {
  await w.close();
});

const lot = () => w.bluecard.park(DEMO_PARK_NUMBER);
const order = (no: string) => w.orderRepo.get(no).then((o) => o!);
const until = (no: string, status: string) => eventually(() => order(no), (o) => o.status === status);
/** The payments the lot recorded (payNo = our sendPayRes transactionID). */
const lotPayments = () => lot().dump().payments.map((p) => ({ transactionID: p.payNo, fen: p.fen }));

async function payable(plate: string, minutes: number) {
  await w.arrive(plate, minutes);
  const fee = await w.orders.quotePrepay(DRIVER, DEMO_PARK_NUMBER, plate);
  expect(fee.order).toBeDefined();
  return { fee, orderNo: fee.order!.orderNo };
}

describe('paying before the exit', () => {
  it('with WeChat: fee with its parts → pay → notification → the lot is told once', async () => {
    const { fee, orderNo } = await payable('京A10001', 75);
    expect(fee).toMatchObject({ chargeFen: 400, paidFen: 0, discountFen: 0, payFen: 400, paidFreeMinutes: 15, stopMinutes: 75 });
    const { pay } = await w.orders.pay(DRIVER, orderNo, 'wechat', { openId: OPENID });
    expect(pay.provider).toBe('wechat');
    // The wallet checks the parameters like WeChat's client, then the payer pays.
    if (pay.provider !== 'wechat') throw new Error('wechat');
    expect(w.wechat.requestPayment(pay.requestPayment, { outcome: 'pay' }).errMsg).toBe('requestPayment:ok');
    const done = await until(orderNo, 'delivered');
    expect(done.payment).toMatchObject({ provider: 'wechat', paidFen: 400, via: 'notification' });
    expect(done.delivery).toMatchObject({ state: 'done', transactionID: orderNo, attempts: 1 });
    expect(lotPayments().filter((p) => p.transactionID === orderNo)).toHaveLength(1);
    const after = await w.orders.quotePrepay(DRIVER, DEMO_PARK_NUMBER, '京A10001');
    expect(after).toMatchObject({ payFen: 0, paidFen: 400 });
    expect(after.order).toBeUndefined();
  });

  it('with Alipay', async () => {
    const { orderNo } = await payable('京A10002', 130);
    const user = w.alipay.user('driver-a');
    const { pay } = await w.orders.pay(DRIVER, orderNo, 'alipay', { openId: user.openId });
    if (pay.provider !== 'alipay') throw new Error('alipay');
    expect(pay.tradeNo).toBeTruthy();
    expect(w.alipay.pay(orderNo, user).resultCode).toBe('9000');
    const done = await until(orderNo, 'delivered');
    expect(done.payment).toMatchObject({ provider: 'alipay', paidFen: 600 });
    expect(lotPayments().filter((p) => p.transactionID === orderNo)).toHaveLength(1);
  });

  it('nothing to pay: no order, the driver drives out', async () => {
    await w.arrive('京A10003', 10);
    const fee = await w.orders.quotePrepay(DRIVER, DEMO_PARK_NUMBER, '京A10003');
    expect(fee.payFen).toBe(0);
    expect(fee.order).toBeUndefined();
  });

  it('an unknown plate, an unreachable lot and a lot too slow to answer are clear errors, each its own', async () => {
    expect(await answerTo(w.orders.quotePrepay(DRIVER, DEMO_PARK_NUMBER, '京Z99999'))).toMatchObject({ code: 'stay_unknown', status: 404 });
    await w.arrive('京A10004', 90);
    w.bluecard.faults.add({ kind: 'http500', count: 1, name: 'getChargebf' });
    expect(await answerTo(w.orders.quotePrepay(DRIVER, DEMO_PARK_NUMBER, '京A10004'))).toMatchObject({ code: 'lot_unreachable', status: 503 });
    w.bluecard.faults.add({ kind: 'timeout', count: 1, name: 'getChargebf' });
    expect(await answerTo(w.orders.quotePrepay(DRIVER, DEMO_PARK_NUMBER, '京A10004'))).toMatchObject({ code: 'lot_slow', status: 504 });
  });

  it('a double tap (fee asked twice) continues the same payment', async () => {
    const { orderNo } = await payable('京A10005', 70);
    const first = await w.orders.pay(DRIVER, orderNo, 'wechat', { openId: OPENID });
    const again = await w.orders.quotePrepay(DRIVER, DEMO_PARK_NUMBER, '京A10005');
    expect(again.order!.orderNo).toBe(orderNo);
    const second = await w.orders.pay(DRIVER, orderNo, 'wechat', { openId: OPENID });
    expect(second.order.gateway).toEqual(first.order.gateway);
    expect(w.wechat.orders().filter((o) => (o as { out_trade_no?: string }).out_trade_no === orderNo || JSON.stringify(o).includes(orderNo))).toHaveLength(1);
  });
});

describe('when the payment goes wrong', () => {
  it('cancelled in the wallet: stays payable, then closed when the driver gives up', async () => {
    const { orderNo } = await payable('京B20001', 80);
    const { pay } = await w.orders.pay(DRIVER, orderNo, 'wechat', { openId: OPENID });
    if (pay.provider !== 'wechat') throw new Error('wechat');
    expect(w.wechat.requestPayment(pay.requestPayment, { outcome: 'cancel' }).errMsg).toBe('requestPayment:fail cancel');
    expect((await w.orders.view(DRIVER, orderNo)).status).toBe('pending');
    // Retried: the same provider order.
    const retried = await w.orders.pay(DRIVER, orderNo, 'wechat', { openId: OPENID });
    expect(retried.order.status).toBe('pending');
    expect((await w.orders.cancel(DRIVER, orderNo)).status).toBe('closed');
    expect(lotPayments().filter((p) => p.transactionID === orderNo)).toHaveLength(0);
  });

  it('a late notification is resolved by the query the app triggers', async () => {
    const late = await startPaymentWorld('orders_late', { wechatNotifyUrl: 'http://127.0.0.1:9/nowhere' });
    try {
      await late.arrive('京B20002', 100);
      const fee = await late.orders.quotePrepay(DRIVER, DEMO_PARK_NUMBER, '京B20002');
      const no = fee.order!.orderNo;
      await late.orders.pay(DRIVER, no, 'wechat', { openId: OPENID });
      late.wechat.pay(no, { openid: OPENID });
      const seen = await late.orders.view(DRIVER, no);
      expect(['paid', 'delivered']).toContain(seen.status);
      expect(seen.payment!.via).toBe('query');
      await eventually(() => late.orderRepo.get(no), (o) => o!.status === 'delivered');
    } finally {
      await late.close();
    }
  });

  it('a duplicate notification changes nothing; forged and tampered ones are refused', async () => {
    const { orderNo } = await payable('京B20003', 65);
    await w.orders.pay(DRIVER, orderNo, 'wechat', { openId: OPENID });
    w.wechat.pay(orderNo, { openid: OPENID });
    const first = await until(orderNo, 'delivered');
    const post = (n: { headers: Record<string, string>; body: string }) =>
      fetch(`${w.url}${NOTIFY_PATHS.wechat}`, { method: 'POST', headers: n.headers, body: n.body });
    const dup = await post(w.wechat.makeNotification({ outTradeNo: orderNo }));
    expect(dup.status).toBe(204);
    const forger = generateKeyPairSync('rsa', { modulusLength: 2048 }).privateKey;
    expect((await post(w.wechat.makeNotification({ outTradeNo: orderNo }, { signWith: forger }))).status).toBe(401);
    expect((await post(w.wechat.makeNotification({ outTradeNo: orderNo }, { tamper: 'ciphertext' }))).status).toBe(401);
    expect((await post(w.wechat.makeNotification({ outTradeNo: orderNo }, { timestampOffsetMs: -6 * 60_000 }))).status).toBe(401);
    const again = await order(orderNo);
    expect(again.updatedAt).toEqual(first.updatedAt);
    expect(lotPayments().filter((p) => p.transactionID === orderNo)).toHaveLength(1);
  });

  it('a forged payment never marks an unpaid order paid', async () => {
    const { orderNo } = await payable('京B20004', 65);
    await w.orders.pay(DRIVER, orderNo, 'wechat', { openId: OPENID });
    const forger = generateKeyPairSync('rsa', { modulusLength: 2048 }).privateKey;
    // The sandbox order is unpaid; a forger claims it was paid.
    w.wechat.setTradeState(orderNo, 'SUCCESS');
    const forged = w.wechat.makeNotification({ outTradeNo: orderNo }, { signWith: forger });
    w.wechat.setTradeState(orderNo, 'NOTPAY');
    const res = await fetch(`${w.url}${NOTIFY_PATHS.wechat}`, { method: 'POST', headers: forged.headers, body: forged.body });
    expect(res.status).toBe(401);
    expect((await order(orderNo)).status).toBe('pending');
  });

  it('an amount that does not match the order is refunded with the reason', async () => {
    const { orderNo } = await payable('京B20005', 65);
    await w.orders.pay(DRIVER, orderNo, 'wechat', { openId: OPENID });
    // Our record of the amount disagrees with what the wallet charged (a bug, a tampered row): the
    // verified money is not counted as this order's payment; it goes back.
    await w.tamper(orderNo, { amountFen: 399 });
    w.wechat.pay(orderNo, { openid: OPENID });
    const refunded = await until(orderNo, 'refunded');
    expect(refunded.refund).toMatchObject({ fen: 400, state: 'done' });
    expect(refunded.refund!.reason).toMatch(/^amount_mismatch: paid 400 fen for an order of 399/);
    expect(lotPayments().filter((p) => p.transactionID === orderNo)).toHaveLength(0);
  });

  it('an answer to "start the payment" that cannot be trusted: 503 provider_unreachable with either wallet, and paying again goes on', async () => {
    // The provider may have made the order: the driver is asked to try again, which asks with the same number.
    const wechat = await payable('京B20006', 65);
    w.wechat.inject({ kind: 'badSignature', times: 1, path: '/v3/pay/transactions/jsapi' });
    const fromWechat = await w.orders.pay(DRIVER, wechat.orderNo, 'wechat', { openId: OPENID }).catch((e: unknown) => e);
    expect(answerOf(fromWechat)).toMatchObject({ code: 'provider_unreachable', status: 503 });
    expect((await w.orders.pay(DRIVER, wechat.orderNo, 'wechat', { openId: OPENID })).pay.provider).toBe('wechat');

    const user = w.alipay.user('driver-a');
    for (const [i, type] of (['bad_signature', 'unsigned_response'] as const).entries()) {
      const alipay = await payable(`京B2000${7 + i}`, 65);
      w.alipay.inject({ type, method: 'alipay.trade.create' });
      const fromAlipay = await w.orders.pay(DRIVER, alipay.orderNo, 'alipay', { openId: user.openId }).catch((e: unknown) => e);
      expect(answerOf(fromAlipay)).toMatchObject({ code: 'provider_unreachable', status: 503 });
      expect((await w.orders.pay(DRIVER, alipay.orderNo, 'alipay', { openId: user.openId })).pay.provider).toBe('alipay');
    }
  });
});

describe('sendPayRes is durable', () => {
  it('a payment recorded before a crash is delivered after the restart, with the same transactionID', async () => {
    const crashed = await startPaymentWorld('orders_crash', { kick: false });
    try {
      await crashed.arrive('京C30001', 70);
      const fee = await crashed.orders.quotePrepay(DRIVER, DEMO_PARK_NUMBER, '京C30001');
      const no = fee.order!.orderNo;
      await crashed.orders.pay(DRIVER, no, 'wechat', { openId: OPENID });
      crashed.wechat.pay(no, { openid: OPENID });
      // Paid and recorded; the process dies before any worker ran.
      await eventually(() => crashed.orderRepo.get(no), (o) => o!.status === 'paid');
      expect(crashed.bluecard.park(DEMO_PARK_NUMBER).dump().payments).toHaveLength(0);
      const restarted = crashed.secondProcess();
      await restarted.worker.poll();
      const done = await crashed.orderRepo.get(no);
      expect(done).toMatchObject({ status: 'delivered', delivery: { transactionID: no } });
      expect(crashed.bluecard.park(DEMO_PARK_NUMBER).dump().payments.map((p) => p.payNo)).toEqual([no]);
    } finally {
      await crashed.close();
    }
  });

  it('a payment whose delivery was taken by a process that died is delivered by another process once its lease ran out', async () => {
    const dying = await startPaymentWorld('orders_taken', { kick: false });
    try {
      await dying.arrive('京C30009', 70);
      const fee = await dying.orders.quotePrepay(DRIVER, DEMO_PARK_NUMBER, '京C30009');
      const no = fee.order!.orderNo;
      await dying.orders.pay(DRIVER, no, 'wechat', { openId: OPENID });
      const clock = new ManualClock(Date.now());
      const lot = new BluecardLotGateway(new BluecardClient({ backoffMs: [], timeoutMs: 1_000 }));
      const parks = new MongoParkDirectory(dying.db.connection, 0);
      const service = (deliveryOwner?: string) => new OrderService({ orders: dying.orderRepo, parks, stays: dying.stays, lot, gateways: {}, clock, deliveryOwner });
      // The notification's one write takes the delivery for a worker that never runs: the process died.
      const dead = service('dead-process');
      const paidAt = new Date(clock.now());
      expect(await dead.recordPayment(no, { provider: 'wechat', transactionId: 'tx-dead', paidFen: fee.payFen, paidAt, via: 'notification' })).toBe('applied');
      expect(await dying.orderRepo.get(no)).toMatchObject({ status: 'paid', delivery: { leaseOwner: 'dead-process', attempts: 1 } });
      const alive = new OrderWorker(service(), { logger: createLogger('silent'), owner: 'other-process' });
      await alive.poll();
      expect((await dying.orderRepo.get(no))!.status).toBe('paid'); // the lease holds, the order's look is not due
      clock.advance(61_000);
      await alive.poll();
      const done = await dying.orderRepo.get(no);
      expect(done).toMatchObject({ status: 'delivered', delivery: { transactionID: no, attempts: 2 } });
      expect(dying.bluecard.park(DEMO_PARK_NUMBER).dump().payments.map((p) => p.payNo)).toEqual([no]);
      await alive.stop();
    } finally {
      await dying.close();
    }
  });

  it('retries while the lot is unreachable, fast then slower, and gets through', async () => {
    const { orderNo } = await payable('京C30002', 70);
    w.bluecard.faults.add({ kind: 'http500', count: 2, name: 'sendPayRes' });
    await w.orders.pay(DRIVER, orderNo, 'wechat', { openId: OPENID });
    w.wechat.pay(orderNo, { openid: OPENID });
    const done = await until(orderNo, 'delivered');
    expect(done.delivery!.attempts).toBe(3);
    expect(lotPayments().filter((p) => p.transactionID === orderNo)).toHaveLength(1);
  });

  it('two processes on one database deliver each payment exactly once', async () => {
    const two = await startPaymentWorld('orders_two', { kick: false });
    try {
      const a = two.secondProcess();
      const b = two.secondProcess();
      const nos: string[] = [];
      for (let i = 0; i < 8; i++) {
        await two.arrive(`京D4000${i}`, 70);
        const fee = await two.orders.quotePrepay(DRIVER, DEMO_PARK_NUMBER, `京D4000${i}`);
        nos.push(fee.order!.orderNo);
        await two.orders.pay(DRIVER, fee.order!.orderNo, 'wechat', { openId: OPENID });
        two.wechat.pay(fee.order!.orderNo, { openid: OPENID });
      }
      await eventually(async () => Promise.all(nos.map((n) => two.orderRepo.get(n))), (os) => os.every((o) => o!.status === 'paid'));
      await Promise.all([a.worker.poll(), b.worker.poll(), a.worker.poll(), b.worker.poll()]);
      const orders = await Promise.all(nos.map((n) => two.orderRepo.get(n)));
      expect(orders.map((o) => o!.status)).toEqual(nos.map(() => 'delivered'));
      const paid = two.bluecard.park(DEMO_PARK_NUMBER).dump().payments.map((p) => p.payNo).sort();
      expect(paid).toEqual([...nos].sort());
      expect(orders.map((o) => o!.delivery!.attempts)).toEqual(nos.map(() => 1));
    } finally {
      await two.close();
    }
  });
});

describe('payments that can no longer count are refunded', () => {
  it('the car left before the payment arrived', async () => {
    const { orderNo } = await payable('京E50001', 70);
    await w.orders.pay(DRIVER, orderNo, 'wechat', { openId: OPENID });
    const stay = (await w.stays.staysInPark(DEMO_PARK_NUMBER, '京E50001'))[0]!;
    await lot().leave({ lane: '东门出口', orderId: stay.orderId, force: true, settle: 'cash', wait: true });
    await eventually(() => w.stays.findStay(DEMO_PARK_NUMBER, stay.orderId), (s) => s?.status === 'out');
    w.wechat.pay(orderNo, { openid: OPENID }); // paid late, after the car was gone
    const refunded = await until(orderNo, 'refunded');
    expect(refunded.refund!.reason).toMatch(/^car_left/);
    expect(w.wechat.refunds().filter((r) => JSON.stringify(r).includes(orderNo))).toHaveLength(1);
    expect(lotPayments().filter((p) => p.transactionID === orderNo)).toHaveLength(0);
  });

  it('the lot refuses the payment (the car is gone, and only the lot knows yet)', async () => {
    const { orderNo } = await payable('京E50002', 70);
    await w.orders.pay(DRIVER, orderNo, 'alipay', { openId: w.alipay.user('late').openId });
    const stay = (await w.stays.staysInPark(DEMO_PARK_NUMBER, '京E50002'))[0]!;
    // The booth lets the car out for cash while ParkPay cannot hear the exit record.
    await w.bluecard.setParkPayBaseUrl('http://127.0.0.1:9');
    await lot().leave({ lane: '东门出口', orderId: stay.orderId, force: true, settle: 'cash', wait: true });
    w.alipay.pay(orderNo, 'late');
    const refunded = await until(orderNo, 'refunded');
    expect(refunded.refund!.reason).toMatch(/^car_left: the lot says 车辆已出场/);
    expect(refunded.delivery).toMatchObject({ state: 'abandoned', refusals: 1 });
    expect(w.alipay.trade(orderNo)!.refundedFen).toBe(refunded.amountFen); // the money went back
    expect(lotPayments().filter((p) => p.transactionID === orderNo)).toHaveLength(0);
    await w.bluecard.setParkPayBaseUrl(w.url);
  });
});

describe('expiry', () => {
  it('closes an unpaid order at the provider, and takes a paid one whose notification never came', async () => {
    // time_expire has whole seconds: the shortest payable window the sandbox takes is about two.
    const x = await startPaymentWorld('orders_expiry', { kick: true, policy: { paymentTtlMs: 2_000, quoteTtlMs: 2_000 }, wechatNotifyUrl: 'http://127.0.0.1:9/lost' });
    try {
      await x.arrive('京F60001', 70);
      await x.arrive('京F60002', 70);
      await x.arrive('京F60003', 70);
      const unpaid = (await x.orders.quotePrepay(DRIVER, DEMO_PARK_NUMBER, '京F60001')).order!.orderNo;
      const paidSilently = (await x.orders.quotePrepay(DRIVER, DEMO_PARK_NUMBER, '京F60002')).order!.orderNo;
      const neverPaid = (await x.orders.quotePrepay(DRIVER, DEMO_PARK_NUMBER, '京F60003')).order!.orderNo;
      await x.orders.pay(DRIVER, unpaid, 'wechat', { openId: OPENID });
      await x.orders.pay(DRIVER, paidSilently, 'wechat', { openId: OPENID });
      x.wechat.pay(paidSilently, { openid: OPENID }); // its notification goes nowhere
      // The running worker sweeps expired orders.
      await eventually(() => x.orderRepo.get(unpaid), (o) => o!.status === 'closed', 6_000);
      expect(await x.orderRepo.get(unpaid)).toMatchObject({ status: 'closed', closedReason: 'payment_expired' });
      expect(x.wechat.orders().find((o) => JSON.stringify(o).includes(unpaid))).toMatchObject({ tradeState: 'CLOSED' });
      // Quoted a little later, it expires a little later.
      const closedQuote = await eventually(() => x.orderRepo.get(neverPaid), (o) => o!.status === 'closed', 6_000);
      expect(closedQuote).toMatchObject({ status: 'closed', closedReason: 'quote_expired' });
      const late = await eventually(() => x.orderRepo.get(paidSilently), (o) => o!.status === 'delivered');
      expect(late!.payment!.via).toBe('query');
    } finally {
      await x.close();
    }
  });
});
