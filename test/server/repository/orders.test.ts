/**
 * The order repository on the real engine: every lookup by _id (the outTradeNo key, the driver's history,
 * the open orders of a stay from the work collection), idempotent inserts, the payment's one conditional
 * write against the conditions that exclude it, the work item kept with the order (held when a finished
 * order gets new work), and the start-up migration of orders written before the keys existed.
 */
import type { Connection } from 'mongoose';
import * as changes from '../../../server/src/core/orders/changes';
import type { Delivery, Order } from '../../../server/src/core/orders/model';
import { MongoOrderRepository, orderModel } from '../../../server/src/repository/orders';
import { MongoWorkQueue } from '../../../server/src/repository/work';
import { openTestDatabase, type TestDatabase } from '../../support/db';

let db: TestDatabase;
let conn: Connection;
let repo: MongoOrderRepository;
let work: MongoWorkQueue;
beforeAll(async () => {
  db = await openTestDatabase('orders_repo');
  conn = db.connection;
  repo = new MongoOrderRepository(conn);
  work = new MongoWorkQueue(conn);
  await repo.init();
});
afterAll(async () => {
  await db.dispose();
});

const T = Date.UTC(2026, 10, 29, 2, 0, 0);
let n = 0;
function order(o: Partial<Order> = {}): Order {
  const i = ++n;
  const now = new Date(T);
  return {
    orderNo: `PPTEST${String(i).padStart(8, '0')}`,
    driverId: 'drv_1',
    kind: 'prepay',
    parkNumber: 'p_repo',
    orderId: `stay-${i}`,
    plate: '京A12345',
    outTradeNo: `p_repo_1_stay-${i}_100000`,
    quote: { chargeFen: 400, paidTotalFen: 0, profitChargeTotalFen: 0, payFen: 400, inTime: '', getTime: '', stopMinutes: 70, paidFreeMinutes: 15, profitMinutes: 0, imgName: '' },
    amountFen: 400,
    status: 'quoted',
    expiresAt: new Date(T + 5 * 60_000),
    createdAt: now,
    updatedAt: now,
    ...o,
  };
}
const itemOf = async (orderNo: string) => (await work.all('order')).find((i) => i.ref === orderNo);
const payment = (fen = 400) => ({ provider: 'wechat' as const, transactionId: `tx-${++n}`, paidFen: fen, paidAt: new Date(T + 60_000), via: 'notification' as const });
/** The payment's change for an order of 400 fen (or `fen`), its delivery leased to `lease` or due now. */
const paid = (orderNo: string, o: { lease?: { owner: string }; fen?: number; from?: ('quoted' | 'pending' | 'closed')[] } = {}) => {
  const delivery: Delivery = {
    transactionID: orderNo,
    state: 'pending',
    attempts: o.lease ? 1 : 0,
    refusals: 0,
    nextAttemptAt: new Date(T + 60_000),
    ...(o.lease ? { leaseOwner: o.lease.owner, leaseUntil: new Date(T + 90_000) } : {}),
  };
  return changes.recordPayment(o.from ?? ['quoted', 'pending'], payment(o.fen), delivery, new Date(T + 60_000));
};
const startPaying = (at: number) => changes.startPayment('wechat', new Date(T + 600_000), new Date(T + at));

describe('orders by _id only', () => {
  it('an outTradeNo names one order: concurrent inserts, one wins, and the key finds it', async () => {
    const first = order();
    const rivals = Array.from({ length: 6 }, () => ({ ...order(), outTradeNo: first.outTradeNo, orderId: first.orderId }));
    const won = await Promise.all([first, ...rivals].map((o) => repo.insert(o)));
    expect(won.filter(Boolean)).toHaveLength(1);
    const winner = [first, ...rivals][won.indexOf(true)]!;
    expect((await repo.byOutTradeNo('p_repo', first.outTradeNo))!.orderNo).toBe(winner.orderNo);
    expect(await repo.byOutTradeNo('p_other', first.outTradeNo)).toBeUndefined();
    expect(await repo.byOutTradeNo('p_repo', 'never-priced')).toBeUndefined();
  });

  it('an order whose key was never written (its writer died) is found again when its outTradeNo comes back', async () => {
    const o = order();
    expect(await repo.insert(o)).toBe(true);
    await conn.collection('order_keys').deleteOne({ _id: JSON.stringify([o.parkNumber, o.outTradeNo]) as never });
    expect(await repo.byOutTradeNo(o.parkNumber, o.outTradeNo)).toBeUndefined();
    expect(await repo.insert({ ...order(), outTradeNo: o.outTradeNo })).toBe(false);
    expect((await repo.byOutTradeNo(o.parkNumber, o.outTradeNo))!.orderNo).toBe(o.orderNo);
  });

  it('the unfinished orders of a stay and a driver’s history come from keys, checked against each order', async () => {
    const a = order({ driverId: 'drv_hist' });
    const b = order({ driverId: 'drv_hist', orderId: a.orderId, createdAt: new Date(T + 500) });
    const other = order({ driverId: 'drv_other', orderId: a.orderId });
    for (const o of [a, b, other]) await repo.insert(o);
    await repo.apply(b.orderNo, startPaying(1000));
    // Every driver's: one payable order per stay is decided across drivers.
    const open = await repo.unfinishedOfStay('p_repo', a.orderId);
    expect(open.map((o) => o.orderNo).sort()).toEqual([a.orderNo, b.orderNo, other.orderNo].sort());
    await repo.apply(a.orderNo, changes.closeOrder(['quoted'], 'cancelled', new Date(T + 2000)));
    expect((await repo.unfinishedOfStay('p_repo', a.orderId)).map((o) => o.orderNo).sort()).toEqual([b.orderNo, other.orderNo].sort());
    // History: payments started or made, newest first; never a price only looked at (quoted, or closed).
    const c = order({ driverId: 'drv_hist', createdAt: new Date(T + 900) });
    await repo.insert(c);
    await repo.apply(c.orderNo, startPaying(1000));
    expect((await repo.listForDriver('drv_hist', 10)).map((o) => o.orderNo)).toEqual([c.orderNo, b.orderNo]);
    expect((await repo.listForDriver('drv_hist', 1)).map((o) => o.orderNo)).toEqual([c.orderNo]);
    expect(await repo.listForDriver('drv_nobody', 10)).toEqual([]);
  });
});

describe('the payment write and what excludes it', () => {
  it('of concurrent payments for one order exactly one is recorded, and only for the order’s amount', async () => {
    const o = order({ status: 'pending', provider: 'wechat' });
    await repo.insert(o);
    expect(await repo.applyPayment(o.orderNo, paid(o.orderNo, { fen: 399 }))).toBeUndefined();
    const results = await Promise.all(Array.from({ length: 12 }, (_, i) => repo.applyPayment(o.orderNo, paid(o.orderNo, { lease: { owner: `w${i}` } }))));
    const winners = results.filter((r) => r !== undefined);
    expect(winners).toHaveLength(1);
    const stored = await repo.get(o.orderNo);
    expect(stored!.delivery!.leaseOwner).toBe(winners[0]!.delivery!.leaseOwner);
  });

  it('the payment and the expiry exclude each other: one of them applies', async () => {
    for (let round = 0; round < 4; round++) {
      const o = order({ status: 'pending', provider: 'wechat' });
      await repo.insert(o);
      const [won, closed] = await Promise.all([
        repo.applyPayment(o.orderNo, paid(o.orderNo)),
        repo.apply(o.orderNo, changes.closeOrder(['pending'], 'payment_expired', new Date(T + 1000))),
      ]);
      expect([won, closed].filter((x) => x !== undefined)).toHaveLength(1);
      const stored = (await repo.get(o.orderNo))!;
      expect(stored.status).toBe(won ? 'paid' : 'closed');
    }
  });

  it('a delivery is claimed by one worker at a time (read the due items, then claim by _id)', async () => {
    const o = order({ status: 'pending', provider: 'wechat' });
    await repo.insert(o);
    await repo.applyPayment(o.orderNo, paid(o.orderNo)); // unleased: due now
    const now = new Date(T + 61_000);
    const claims = await Promise.all(Array.from({ length: 12 }, (_, i) => repo.claimDelivery(now, `w${i}`, 30_000)));
    expect(claims.filter((c) => c?.orderNo === o.orderNo)).toHaveLength(1);
    expect(await repo.claimDelivery(now, 'late', 30_000, o.orderNo)).toBeUndefined();
  });
});

describe('what a lease holder may still write', () => {
  it('a holder whose lease lapsed cannot send back a payment the lot collected meanwhile (4.17)', async () => {
    const o = order({ status: 'pending', provider: 'wechat' });
    await repo.insert(o);
    await repo.applyPayment(o.orderNo, paid(o.orderNo, { lease: { owner: 'stalled' } })); // leased until T+90 s
    // The lease lapses; the lot says it collected the payment itself (4.17).
    expect(await repo.apply(o.orderNo, changes.collectedByLot(new Date(T + 120_000)))).toMatchObject({ status: 'delivered' });
    // The stalled holder wakes and gives the delivery up: nothing changes, the lot has the money.
    const now = new Date(T + 121_000);
    const refund = { refundNo: `${o.orderNo}R1`, reason: 'lot_refused', fen: 400, state: 'pending' as const, attempts: 0, nextAttemptAt: now };
    expect(await repo.release(o.orderNo, changes.abandonDelivery('stalled', refund, now))).toBeUndefined();
    expect(await repo.release(o.orderNo, changes.retryDelivery('stalled', now, 'busy'))).toBeUndefined();
    expect(await repo.get(o.orderNo)).toMatchObject({ status: 'delivered', delivery: { state: 'done' } });
    expect((await repo.get(o.orderNo))!.refund).toBeUndefined();
  });

  it('a holder still writes while the order is in the leased state', async () => {
    const o = order({ status: 'pending', provider: 'wechat' });
    await repo.insert(o);
    await repo.applyPayment(o.orderNo, paid(o.orderNo, { lease: { owner: 'holder' } }));
    expect(await repo.release(o.orderNo, changes.delivered('holder', new Date(T + 70_000)))).toMatchObject({ status: 'delivered' });
  });

  it('letting a lease go removes it, and a change clears the fields it names (the rest of the delivery stays)', async () => {
    const o = order({ status: 'pending', provider: 'wechat' });
    await repo.insert(o);
    await repo.applyPayment(o.orderNo, paid(o.orderNo, { lease: { owner: 'holder' } }));
    const retried = await repo.release(o.orderNo, changes.retryDelivery('holder', new Date(T + 80_000), 'busy', { refusals: 1 }));
    expect(retried!.delivery).toMatchObject({ leaseOwner: 'holder', lastError: 'busy', refusals: 1, attempts: 1, nextAttemptAt: new Date(T + 80_000) });
    expect(retried!.delivery).not.toHaveProperty('leaseUntil');
    const raw = await orderModel(conn).collection.findOne({ _id: o.orderNo as never });
    expect(raw!.delivery).not.toHaveProperty('leaseUntil');
    const taken = await repo.claimDelivery(new Date(T + 80_000), 'next', 30_000, o.orderNo);
    expect(taken!.delivery).toMatchObject({ leaseOwner: 'next', attempts: 2 });
    const done = await repo.release(o.orderNo, changes.delivered('next', new Date(T + 85_000)));
    expect(done!.delivery).toMatchObject({ state: 'done', deliveredAt: new Date(T + 85_000), refusals: 1 });
    for (const k of ['lastError', 'leaseUntil']) expect(done!.delivery).not.toHaveProperty(k);
  });

  it('a delivery’s and a refund’s fields written as null (by earlier versions) read as absent', async () => {
    const o = order({ status: 'refunding' });
    await repo.insert(o);
    const now = new Date(T);
    await orderModel(conn).collection.updateOne(
      { _id: o.orderNo as never },
      { $set: { refund: { refundNo: 'R1', reason: 'r', fen: 400, state: 'pending', attempts: 0, nextAttemptAt: now, leaseUntil: null, lastError: null, requestedAt: null } } },
    );
    const read = await repo.get(o.orderNo);
    expect(read!.refund).toEqual({ refundNo: 'R1', reason: 'r', fen: 400, state: 'pending', attempts: 0, nextAttemptAt: now });
  });
});

describe('the work item follows the order', () => {
  it('quoted: due at its expiry; payable: within a minute; paid with a lease: untouched; delivered: gone', async () => {
    const o = order();
    await repo.insert(o);
    expect((await itemOf(o.orderNo))!.due).toEqual(o.expiresAt);
    await repo.apply(o.orderNo, startPaying(1000));
    expect((await itemOf(o.orderNo))!.due).toEqual(new Date(T + 1000 + 60_000));
    const before = (await itemOf(o.orderNo))!;
    const recorded = await repo.applyPayment(o.orderNo, paid(o.orderNo, { lease: { owner: 'me' } }));
    expect(recorded!.status).toBe('paid');
    expect(await itemOf(o.orderNo)).toEqual(before); // the payment's one write touched only the order
    await repo.release(o.orderNo, changes.delivered('me', new Date(T + 62_000)));
    expect(await itemOf(o.orderNo)).toBeUndefined();
  });

  it('an unleased payment is due at once; a failed attempt is due at its next attempt', async () => {
    const o = order({ status: 'pending', provider: 'wechat' });
    await repo.insert(o);
    await repo.applyPayment(o.orderNo, paid(o.orderNo));
    expect((await itemOf(o.orderNo))!.due).toEqual(new Date(T + 60_000));
    const claimed = await repo.claimDelivery(new Date(T + 60_000), 'w', 30_000, o.orderNo);
    expect(claimed).toBeDefined();
    await repo.release(o.orderNo, changes.retryDelivery('w', new Date(T + 70_000), 'timeout'));
    const item = (await itemOf(o.orderNo))!;
    expect(item.due.getTime()).toBeLessThanOrEqual(T + 70_000);
  });

  it('a late payment on a closed order brings its item back before the order changes (held, then due)', async () => {
    const o = order({ status: 'pending', provider: 'wechat' });
    await repo.insert(o);
    await repo.apply(o.orderNo, changes.closeOrder(['pending'], 'payment_expired', new Date(T + 1000)));
    expect(await itemOf(o.orderNo)).toBeUndefined();
    const late = await repo.apply(o.orderNo, paid(o.orderNo, { from: ['closed'] }));
    expect(late!.status).toBe('paid');
    const item = (await itemOf(o.orderNo))!;
    expect(item.holdUntil ?? null).toBeNull();
    expect(item.due.getTime()).toBeLessThanOrEqual(T + 60_000);
  });
});

describe('orders stored before keys and work items', () => {
  it('are keyed and given their work items at start', async () => {
    const old = await openTestDatabase('orders_migrate');
    try {
      const model = orderModel(old.connection);
      await model.init();
      const delivered = order({ status: 'delivered', driverId: 'drv_old' });
      const pending = order({ status: 'pending', provider: 'wechat', driverId: 'drv_old', expiresAt: new Date(T + 600_000) });
      for (const o of [delivered, pending]) {
        const { orderNo, ...rest } = o;
        await model.collection.insertOne({ _id: orderNo, ...rest } as never);
      }
      const fresh = new MongoOrderRepository(old.connection);
      await fresh.init();
      expect((await fresh.byOutTradeNo('p_repo', delivered.outTradeNo))!.orderNo).toBe(delivered.orderNo);
      expect((await fresh.listForDriver('drv_old', 10)).map((o) => o.orderNo).sort()).toEqual([delivered.orderNo, pending.orderNo].sort());
      const items = await new MongoWorkQueue(old.connection).all('order');
      expect(items.map((i) => i.ref)).toEqual([pending.orderNo]);
      // Once: a second start does not do it again.
      await old.connection.collection('order_keys').deleteMany({});
      await new MongoOrderRepository(old.connection).init();
      expect(await fresh.byOutTradeNo('p_repo', delivered.outTradeNo)).toBeUndefined();
    } finally {
      await old.dispose();
    }
  });
});
