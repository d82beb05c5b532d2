/**
 * The operations read model on the real engine (repository/operations.ts): what the backlogs count at a
 * given moment (an injected `now`, its boundaries exact), the oldest of each, and that a feature not wired
 * in this process (its model never registered) counts as empty rather than failing.
 */
import type { Connection, Model } from 'mongoose';
import { MongoLaneDeductionRepository } from '../../../server/src/repository/agreement-deductions';
import { MongoFacePaymentRepository } from '../../../server/src/repository/face-payments';
import { lotModels } from '../../../server/src/repository/lot-records';
import { MongoOperationsReadModel } from '../../../server/src/repository/operations';
import * as changes from '../../../server/src/core/orders/changes';
import type { Order } from '../../../server/src/core/orders/model';
import { MongoOrderRepository } from '../../../server/src/repository/orders';
import { openTestDatabase, type TestDatabase } from '../../support/db';

const T = Date.UTC(2026, 11, 5, 2, 0, 0);
const at = (s: number) => new Date(T + s * 1000);
const NOW = at(0);

describe('nothing wired', () => {
  let db: TestDatabase;
  beforeAll(async () => {
    db = await openTestDatabase('ops_empty');
  });
  afterAll(async () => {
    await db.dispose();
  });

  it('a process without orders, deductions, booth payments or heartbeats reads empty backlogs', async () => {
    const ops = new MongoOperationsReadModel(db.connection);
    expect(await ops.deliveryBacklog(NOW, ['w1'])).toEqual({ undelivered: 0, overdue: 0, leasedByUs: 0, leasedByOthers: 0, lapsed: 0 });
    expect(await ops.refundBacklog()).toEqual({ pending: { order: 0, deduction: 0, booth: 0 }, failed: 0 });
    expect(await ops.heartbeats()).toEqual([]);
  });
});

describe('with every feature', () => {
  let db: TestDatabase;
  let conn: Connection;
  let ops: MongoOperationsReadModel;
  let orders: MongoOrderRepository;
  const raw = (name: string) => (conn.models[name] as Model<unknown>).collection;
  beforeEach(async () => {
    db = await openTestDatabase('ops');
    conn = db.connection;
    orders = new MongoOrderRepository(conn);
    new MongoLaneDeductionRepository(conn);
    new MongoFacePaymentRepository(conn);
    lotModels(conn);
    ops = new MongoOperationsReadModel(conn);
  });
  afterEach(async () => {
    await db.dispose();
  });

  let n = 0;
  /** An order stored as the order repository stores it (with its work item while it has work). */
  const order = (status: Order['status'], delivery?: Record<string, unknown>, extra: Partial<Order> = {}) => {
    const i = ++n;
    return orders.insert({
      orderNo: `O${i}`,
      driverId: 'drv',
      kind: 'prepay',
      parkNumber: 'P1',
      orderId: `stay-${i}`,
      plate: '京A12345',
      outTradeNo: `P1_1_stay-${i}_100000`,
      quote: { chargeFen: 400, paidTotalFen: 0, profitChargeTotalFen: 0, payFen: 400, inTime: '', getTime: '', stopMinutes: 60, paidFreeMinutes: 0, profitMinutes: 0, imgName: '' },
      amountFen: 400,
      status,
      expiresAt: at(300),
      createdAt: at(-1000),
      updatedAt: at(-1000),
      ...(delivery ? { delivery: { transactionID: `O${i}`, attempts: 0, refusals: 0, ...delivery } as never } : {}),
      ...extra,
    });
  };

  it('the delivery backlog at `now`: due, overdue past a minute, leased by us or others, lapsed at its last millisecond', async () => {
    const paid = (s: number) => ({ payment: { provider: 'wechat' as const, transactionId: `tx${s}`, paidFen: 400, paidAt: at(s), via: 'notification' as const } });
    await order('paid', { state: 'pending', nextAttemptAt: at(-60) }, paid(-300)); // due a minute ago exactly: not overdue yet
    await order('paid', { state: 'pending', nextAttemptAt: at(-60.001) }, paid(-200)); // overdue
    await order('paid', { state: 'pending', nextAttemptAt: at(10), leaseOwner: 'w1', leaseUntil: at(0.001) }, paid(-100)); // ours
    await order('paid', { state: 'pending', nextAttemptAt: at(10), leaseOwner: 'w2', leaseUntil: at(30) }, paid(-100)); // another's
    await order('paid', { state: 'pending', nextAttemptAt: at(10), leaseOwner: 'w1', leaseUntil: at(0) }, paid(-400)); // lapsed now
    await order('paid', { state: 'pending', nextAttemptAt: at(10), leaseUntil: null }, paid(-50)); // never leased
    await order('paid', { state: 'done', nextAttemptAt: at(-999) }, paid(-999));
    await order('delivered', { state: 'pending', nextAttemptAt: at(-999) }, paid(-999));
    expect(await ops.deliveryBacklog(NOW, ['w1'])).toEqual({ undelivered: 6, oldestPaidAt: at(-400), overdue: 1, leasedByUs: 1, leasedByOthers: 1, lapsed: 1 });
    expect(await ops.deliveryBacklog(NOW, ['w1', 'w2'])).toMatchObject({ leasedByUs: 2, leasedByOthers: 0 });
    expect(await ops.deliveryBacklog(at(60), [])).toMatchObject({ leasedByUs: 0, leasedByOthers: 0, lapsed: 3 });
  });

  it('an order is counted while the order repository keeps it open: paid, paid late after closing, not once the lot has it', async () => {
    const pay = (orderNo: string, from: ('quoted' | 'pending' | 'closed')[]) =>
      changes.recordPayment(
        from,
        { provider: 'wechat', transactionId: `tx-${orderNo}`, paidFen: 400, paidAt: at(-30), via: 'notification' },
        { transactionID: orderNo, state: 'pending', attempts: 0, refusals: 0, nextAttemptAt: at(-30) },
        at(-30),
      );
    await order('quoted');
    await order('quoted');
    expect((await ops.deliveryBacklog(NOW, [])).undelivered).toBe(0);
    expect(await orders.applyPayment('O' + (n - 1), pay('O' + (n - 1), ['quoted', 'pending']))).toBeDefined();
    expect(await orders.apply('O' + n, changes.closeOrder(['quoted'], 'expired', at(-60)))).toBeDefined();
    expect((await ops.deliveryBacklog(NOW, [])).undelivered).toBe(1);
    expect(await orders.apply('O' + n, pay('O' + n, ['closed']))).toBeDefined();
    expect(await ops.deliveryBacklog(NOW, [])).toMatchObject({ undelivered: 2, oldestPaidAt: at(-30) });
    expect(await orders.apply('O' + (n - 1), changes.collectedByLot(at(-10)))).toBeDefined();
    expect((await ops.deliveryBacklog(NOW, [])).undelivered).toBe(1);
  });

  it('the refund backlog: what is being refunded of each kind, the oldest start among them, and the failed', async () => {
    await order('refunding', undefined, { updatedAt: at(-100) });
    await order('refunding', undefined, { updatedAt: at(-50) });
    await order('refunded', undefined, { updatedAt: at(-900) });
    await raw('AgreementDeduction').insertMany([
      { _id: 'D1' as never, refund: { state: 'refunding', startedAt: at(-300) } },
      { _id: 'D2' as never, refund: { state: 'failed', startedAt: at(-999) } },
      { _id: 'D3' as never, refund: { state: 'failed', startedAt: at(-999) } },
      { _id: 'D4' as never, refund: { state: 'refunded', startedAt: at(-999) } },
    ]);
    await raw('FacePayment').insertMany([
      { _id: 'F1' as never, status: 'cancelling', cancel: { requestedAt: at(-200) } },
      { _id: 'F2' as never, status: 'cancelled', cancel: { requestedAt: at(-999) } },
    ]);
    expect(await ops.refundBacklog()).toEqual({ pending: { order: 2, deduction: 1, booth: 1 }, oldestStartedAt: at(-300), failed: 2 });
  });

  it('the oldest start is that of whichever kind started first', async () => {
    await order('refunding', undefined, { updatedAt: at(-10) });
    await raw('FacePayment').insertOne({ _id: 'F1' as never, status: 'cancelling', cancel: { requestedAt: at(-20) } });
    expect((await ops.refundBacklog()).oldestStartedAt).toEqual(at(-20));
  });

  it('the latest heartbeat of each park', async () => {
    await raw('ParkHeartbeat').insertMany([
      { parkNumber: 'P1', receivedAt: at(-5) },
      { parkNumber: 'P2', receivedAt: at(-500) },
    ]);
    const got = await ops.heartbeats();
    expect(got.sort((a, b) => a.parkNumber.localeCompare(b.parkNumber))).toEqual([
      { parkNumber: 'P1', receivedAt: at(-5) },
      { parkNumber: 'P2', receivedAt: at(-500) },
    ]);
  });
});
