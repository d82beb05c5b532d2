/**
 * From a payment to the barrier when the lot is busy, an exit record is forged, or a process dies mid-call:
 * only the lot's own refusal makes a payment a refund, busy answers are retried on the normal schedule, and a
 * delivery under way is neither lost nor done twice.
 */
import { createHash } from 'node:crypto';
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { BluecardClient } from '../../../../server/src/adapter/bluecard';
import { BluecardLotGateway } from '../../../../server/src/adapter/bluecard/lot-gateway';
import { ManualClock } from '../../../../server/src/core/clock';
import { classifyRefusal } from '../../../../server/src/core/orders/lot-refusals';
import { OrderService } from '../../../../server/src/core/orders/orders';
import { createLogger } from '../../../../server/src/logger';
import { newWorkerOwner, OrderWorker, workerHome } from '../../../../server/src/port/jobs/order-worker';
import { MongoParkDirectory } from '../../../../server/src/repository/parks';
import { DEMO_PARK_KEY, DEMO_PARK_NUMBER } from '../../../../server/sandbox/bluecard';
import { formatChinaTime } from '../../../../shared/time';
import { eventually, startPaymentWorld, type PaymentWorld } from '../../../support/payment-world';

const DRIVER = 'driver-t';
const OPENID = 'oWX-driver-t';
// A busy machine: the sandboxes' retries and our backoffs take real time.
jest.setTimeout(30_000);
let w: PaymentWorld;
beforeAll(async () => {
  w = await startPaymentWorld('delivery_timing');
});
afterAll(async () => {
  await w.close();
});

const lot = () => w.bluecard.park(DEMO_PARK_NUMBER);
const order = (no: string) => w.orderRepo.get(no).then((o) => o!);
const until = (no: string, status: string) => eventually(() => order(no), (o) => o.status === status, 15_000);
const lotPayments = (no: string) => lot().dump().payments.filter((p) => p.payNo === no);

async function paid(plate: string, minutes = 70) {
  await w.arrive(plate, minutes);
  const fee = await w.orders.quotePrepay(DRIVER, DEMO_PARK_NUMBER, plate);
  const orderNo = fee.order!.orderNo;
  await w.orders.pay(DRIVER, orderNo, 'wechat', { openId: OPENID });
  return orderNo;
}

describe('what a refusal means', () => {
  it('tells busy from final answers', () => {
    expect(classifyRefusal('系统繁忙,请稍后再试')).toBe('busy');
    expect(classifyRefusal('车辆已出场')).toBe('car_left');
    expect(classifyRefusal('订单不存在')).toBe('stay_unknown');
    expect(classifyRefusal('应收金额 payCharge 与算费结果不符(应为 4.00)')).toBe('mismatch');
    expect(classifyRefusal('请求处理超时,请稍后重试')).toBe('busy');
    expect(classifyRefusal('???')).toBe('unknown');
  });
});

describe('a busy lot', () => {
  it('answering fail "系统繁忙,请稍后再试" several times is retried on the normal schedule, and the barrier opens', async () => {
    w.bluecard.faults.add({ kind: 'fail', count: 3, name: 'sendPayRes', errorCode: '系统繁忙,请稍后再试' });
    const no = await paid('京T10001');
    w.wechat.pay(no, { openid: OPENID });
    const done = await until(no, 'delivered');
    expect(done.delivery).toMatchObject({ state: 'done', refusals: 3, attempts: 4 });
    expect(done.refund).toBeUndefined();
    expect(lotPayments(no)).toHaveLength(1);
  });

  it('a final refusal (the car already left) refunds at once, with the lot’s words as the reason', async () => {
    const no = await paid('京T10002');
    const stay = (await w.stays.staysInPark(DEMO_PARK_NUMBER, '京T10002'))[0]!;
    await w.bluecard.setParkPayBaseUrl('http://127.0.0.1:9'); // ParkPay does not hear the exit
    await lot().leave({ lane: '东门出口', orderId: stay.orderId, force: true, settle: 'cash', wait: true });
    await w.bluecard.setParkPayBaseUrl(w.url);
    w.wechat.pay(no, { openid: OPENID });
    const refunded = await until(no, 'refunded');
    expect(refunded.refund!.reason).toMatch(/^car_left: the lot says 车辆已出场/);
    expect(refunded.delivery).toMatchObject({ state: 'abandoned', refusals: 1, attempts: 1 });
  });
});

describe('an exit record alone never refunds', () => {
  it('a forged 4.3 (the park’s replayed sign) for a car still in the lot: the payment is delivered, not refunded', async () => {
    const no = await paid('京T10003');
    const stay = (await w.stays.staysInPark(DEMO_PARK_NUMBER, '京T10003'))[0]!;
    // The attacker's exit record, sent with the park's static sign.
    const record = JSON.parse(readFileSync(path.join(__dirname, '../../../fixtures/bluecard/4.3-request.json'), 'utf8')) as {
      parkNumber: string;
      size: number;
      datas: { orderId: string; carInfo: { plate: string }; passInfo: { inTime: string; outTime: string } }[];
    };
    record.parkNumber = DEMO_PARK_NUMBER;
    record.size = 1;
    record.datas[0]!.orderId = stay.orderId;
    record.datas[0]!.carInfo.plate = stay.plate;
    record.datas[0]!.passInfo.inTime = formatChinaTime(stay.entry!.inTime!);
    record.datas[0]!.passInfo.outTime = formatChinaTime(Date.now() - 60_000);
    const res = await fetch(`${w.url}/bluecard/v2/out-records`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', sign: createHash('md5').update(DEMO_PARK_KEY + DEMO_PARK_NUMBER).digest('hex') },
      body: JSON.stringify(record),
    });
    expect(res.status).toBe(200);
    await eventually(() => w.stays.findStay(DEMO_PARK_NUMBER, stay.orderId), (s) => s?.status === 'out');
    w.wechat.pay(no, { openid: OPENID });
    const done = await until(no, 'delivered');
    expect(done.refund).toBeUndefined();
    expect(lotPayments(no)).toHaveLength(1);
  });
});

describe('a process that dies mid-delivery', () => {
  const service = (clock: ManualClock, leaseMs = 10_000) =>
    new OrderService({
      orders: w.orderRepo,
      parks: new MongoParkDirectory(w.db.connection, 0),
      stays: w.stays,
      lot: new BluecardLotGateway(new BluecardClient({ backoffMs: [], timeoutMs: 2_000 })),
      gateways: {},
      clock,
      policy: { leaseMs },
    });

  it('is replaced by a process at the same home, which takes its deliveries over at once', async () => {
    const no = await paid('京T10004');
    const clock = new ManualClock(Date.now() + 60_000); // ahead of the world's own worker (real time): it leaves these leases alone
    const home = 'host-a:8080';
    // The notification's write took the delivery for the process at host-a:8080, which died before the call.
    const dead = new OrderService({ ...service(clock)['deps'], deliveryOwner: newWorkerOwner('', home) });
    expect(await dead.recordPayment(no, { provider: 'wechat', transactionId: 'tx-t4', paidFen: (await order(no)).amountFen, paidAt: new Date(clock.now()), via: 'notification' })).toBe('applied');
    // Another home does not touch it; the restarted process at host-a:8080 does, without waiting for the lease.
    const elsewhere = new OrderWorker(service(clock), { logger: createLogger('silent'), owner: newWorkerOwner('', 'host-b:8080') });
    expect(await elsewhere.takeOver()).toBe(0);
    const restarted = new OrderWorker(service(clock), { logger: createLogger('silent'), owner: newWorkerOwner('', home) });
    expect(workerHome(restarted.owner)).toBe(home);
    expect(await restarted.takeOver()).toBe(1);
    const done = await order(no);
    expect(done).toMatchObject({ status: 'delivered', delivery: { attempts: 2, leaseOwner: restarted.owner } });
    expect(lotPayments(no)).toHaveLength(1);
    await Promise.all([elsewhere.stop(), restarted.stop()]);
  });

  it('a slow call keeps its lease: nobody else delivers the same payment meanwhile', async () => {
    const no = await paid('京T10005');
    const clock = new ManualClock(Date.now() + 60_000); // ahead of the world's own worker (real time): it leaves these leases alone
    const leaseMs = 300;
    const a = service(clock, leaseMs);
    const b = service(clock, leaseMs);
    const dead = new OrderService({ ...a['deps'], deliveryOwner: 'slow-process' });
    await dead.recordPayment(no, { provider: 'wechat', transactionId: 'tx-t5', paidFen: (await order(no)).amountFen, paidAt: new Date(clock.now()), via: 'notification' });
    // The lot takes 1.2 s to answer; meanwhile the clock moves past several lease lengths.
    w.bluecard.faults.add({ kind: 'timeout', count: 1, name: 'sendPayRes', hangMs: 1_200, phase: 'after' });
    const taken = await w.orderRepo.get(no);
    const call = a.deliverClaimed('slow-process', taken!);
    const tries: (string | undefined)[] = [];
    for (let i = 0; i < 4; i++) {
      await new Promise((r) => setTimeout(r, 250));
      clock.advance(200);
      tries.push((await b.deliver('other-process', no))?.delivery?.leaseOwner);
    }
    await call;
    expect(tries).toEqual([undefined, undefined, undefined, undefined]);
    clock.advance(1_000);
    const done = await eventually(
      async () => (await b.deliver('other-process', no)) ?? (await order(no)),
      (o) => o.status === 'delivered',
    );
    expect(done.delivery!.transactionID).toBe(no);
    expect(lotPayments(no)).toHaveLength(1);
  });
});
