/**
 * mongoose implementation of OrderRepository. Each state change is one atomic single-document operation;
 * claims are conditional findOneAndUpdate with a lease, so two server processes never deliver (or refund)
 * the same order at the same time, and a crashed worker's lease simply runs out.
 *
 * Every lookup is by _id (what FerretDB v1 answers from its index):
 *  - by orderNo: the order itself;
 *  - by park + outTradeNo: a key document (order_keys) pointing at the order, written once the order's
 *    insert won (the unique index on the order decides who wins);
 *  - a driver's orders: a key document per driver (driver_orders) listing them;
 *  - open orders of a stay, and orders with work due: the work collection (repository/work.ts), which holds
 *    exactly the orders not yet delivered, closed or refunded.
 */
import { Schema, type Connection, type Model } from 'mongoose';
import type { LeaseRelease, OrderChange, OrderPatch } from '../core/orders/changes';
import { FINISHED_ORDER, orderDue, PENDING_LOOK_MS, type Order, type OrderRepository, type OrderStatus } from '../core/orders/model';
import { earliest, type WorkItem } from '../core/work';
import { awaitKey, forEachDoc, KeyIndex, runOnce } from './keys';
import { toUpdate, type MongoUpdate } from './patch';
import { isDuplicateKey } from './util';
import { MongoWorkQueue } from './work';

type Doc = Order & { _id: string };
const Mixed = Schema.Types.Mixed;

export function orderModel(conn: Connection): Model<Doc> {
  const existing = conn.models.Order as Model<Doc> | undefined;
  if (existing) return existing;
  const schema = new Schema<Doc>(
    {
      _id: { type: String, required: true }, // orderNo
      driverId: { type: String, required: true },
      kind: String,
      parkNumber: { type: String, required: true },
      orderId: String,
      plate: String,
      outTradeNo: { type: String, required: true },
      quote: Mixed,
      amountFen: Number,
      status: { type: String, required: true },
      provider: String,
      gateway: Mixed,
      expiresAt: Date,
      lastQueriedAt: Date,
      payment: Mixed,
      delivery: Mixed,
      refund: Mixed,
      closedReason: String,
      createdAt: Date,
      updatedAt: Date,
    },
    { versionKey: false, minimize: false },
  );
  // The unique index decides which order an outTradeNo belongs to (the insert is the claim).
  schema.index({ parkNumber: 1, outTradeNo: 1 }, { unique: true });
  return conn.model<Doc>('Order', schema);
}

/**
 * The orders a driver's history shows: a payment started (pending) or money taken. A price the driver only
 * looked at (quoted, then closed when it expired or a newer price replaced it) never shows.
 */
const HISTORY_STATUSES: OrderStatus[] = ['pending', 'paid', 'delivered', 'refunding', 'refunded'];

/** The delivery's and the refund's fields a change may clear (once written as null: they read as absent). */
const CLEARABLE = ['leaseOwner', 'leaseUntil', 'lastError', 'deliveredAt', 'refundedAt', 'requestedAt'];

/** Mixed sub-documents come back with their dates as Date (BSON); nothing to convert. */
function toOrder(doc: Doc | null | undefined): Order | undefined {
  if (!doc) return undefined;
  const { _id, ...rest } = doc;
  for (const sub of [rest.delivery, rest.refund] as (Record<string, unknown> | undefined)[]) {
    if (sub) for (const k of CLEARABLE) if (sub[k] === null) delete sub[k];
  }
  return { ...rest, orderNo: _id } as Order;
}

const tradeKey = (parkNumber: string, outTradeNo: string) => JSON.stringify([parkNumber, outTradeNo]);
const stayKey = (parkNumber: string, orderId: string) => JSON.stringify([parkNumber, orderId]);
const isFinished = (s: unknown) => FINISHED_ORDER.includes(s as OrderStatus);
/** Lane QR orders belong to the lane ("lane:<park>"), not to a driver: no history list for them. */
const hasHistory = (o: Pick<Order, 'kind'>) => o.kind !== 'lane_qr';
const workExtra = (o: Pick<Order, 'parkNumber' | 'orderId' | 'driverId'>) => ({ stay: stayKey(o.parkNumber, o.orderId), driverId: o.driverId });

/** A lease nobody holds at `now`: never taken, let go, or run out. */
const leaseFree = (which: 'delivery' | 'refund', now: Date) => [
  { [`${which}.leaseUntil`]: { $exists: false } },
  { [`${which}.leaseUntil`]: null },
  { [`${which}.leaseUntil`]: { $lte: now } },
];

/** The condition of a change: the order's state, and what its `when` asks. */
function filterOf(orderNo: string, { from, when: w }: OrderChange): Record<string, unknown> {
  const f: Record<string, unknown> = { _id: orderNo, status: { $in: from } };
  if (w?.amountFen !== undefined) f.amountFen = w.amountFen;
  if (w?.gatewayAbsent) f.gateway = { $exists: false };
  if (w?.refundNo !== undefined) f['refund.refundNo'] = w.refundNo;
  if (w?.lease) f[`${w.lease.which}.leaseOwner`] = w.lease.owner;
  if (w?.deliveryFreeAt) Object.assign(f, { 'delivery.state': 'pending', $or: leaseFree('delivery', w.deliveryFreeAt) });
  return f;
}

/** The update of a change: the new state, whole fields, and the delivery and the refund field by field. */
function updateOf(to: OrderStatus | undefined, set: OrderPatch): MongoUpdate {
  return toUpdate({ ...set, ...(to === undefined ? {} : { status: to }) }, ['delivery', 'refund']);
}

export class MongoOrderRepository implements OrderRepository {
  private readonly m: Model<Doc>;
  private readonly work: MongoWorkQueue;
  private readonly byTrade: KeyIndex;
  private readonly history: KeyIndex;
  /** A stay's slots (core/orders: its payable order, its payment being delivered). */
  private readonly slots: KeyIndex;

  constructor(private readonly conn: Connection) {
    this.m = orderModel(conn);
    this.work = new MongoWorkQueue(conn);
    this.byTrade = new KeyIndex(conn, 'order_keys');
    this.history = new KeyIndex(conn, 'driver_orders');
    this.slots = new KeyIndex(conn, 'stay_slots');
  }

  async init(): Promise<void> {
    await Promise.all([this.m.init(), this.work.init(), this.byTrade.init(), this.history.init(), this.slots.init()]);
    await runOnce(this.conn, 'orders: keys and work items', () => this.migrate());
  }

  /** Orders written before keys and work items existed get them (idempotent). */
  private async migrate(): Promise<void> {
    const now = new Date();
    // What the keys and the work items need (not the quotes, payments and gateway data).
    const fields = { driverId: 1, kind: 1, parkNumber: 1, orderId: 1, outTradeNo: 1, status: 1, expiresAt: 1, delivery: 1, refund: 1, createdAt: 1, updatedAt: 1 };
    await forEachDoc(this.m, {}, fields, async (docs: Doc[]) => {
      const orders = docs.map((d) => toOrder(d)!);
      const keys = this.byTrade.setMany(orders.map((o) => ({ key: tradeKey(o.parkNumber, o.outTradeNo), ref: o.orderNo })));
      const history = this.history.addMany(orders.filter(hasHistory).map((o) => ({ key: o.driverId, ref: o.orderNo })));
      const work = this.work.scheduleMany(
        orders.flatMap((o) => {
          const due = orderDue(o, now);
          return due ? [{ kind: 'order' as const, ref: o.orderNo, due, extra: workExtra(o) }] : [];
        }),
      );
      await Promise.all([keys, history, work]);
    });
  }

  async insert(order: Order): Promise<boolean> {
    const { orderNo, ...rest } = order;
    const due = orderDue(order, new Date(order.createdAt));
    try {
      // The order with its work item (what finds the open orders of a stay); the unique index decides which
      // order an outTradeNo is for. Then its outTradeNo key and the driver's history.
      await Promise.all([due ? this.work.schedule('order', orderNo, due, workExtra(order)) : undefined, this.m.create({ _id: orderNo, ...rest })]);
    } catch (e) {
      if (!isDuplicateKey(e)) throw e;
      await this.awaitTradeKey(order.parkNumber, order.outTradeNo);
      return false;
    }
    await Promise.all([
      this.byTrade.set(tradeKey(order.parkNumber, order.outTradeNo), orderNo),
      hasHistory(order) ? this.history.add(order.driverId, orderNo) : undefined,
    ]);
    return true;
  }

  /** An insert lost to an order with the same outTradeNo: its key (written right after that order) is there. */
  private async awaitTradeKey(parkNumber: string, outTradeNo: string): Promise<void> {
    await awaitKey(
      async () => (await this.byOutTradeNo(parkNumber, outTradeNo)) !== undefined,
      async () => (await this.m.findOne({ parkNumber, outTradeNo }, { _id: 1 }).lean<{ _id: string }>())?._id,
      (ref) => this.byTrade.set(tradeKey(parkNumber, outTradeNo), ref),
    );
  }

  async get(orderNo: string): Promise<Order | undefined> {
    return toOrder(await this.m.findById(orderNo).lean<Doc>());
  }

  async byOutTradeNo(parkNumber: string, outTradeNo: string): Promise<Order | undefined> {
    const orderNo = await this.byTrade.ref(tradeKey(parkNumber, outTradeNo));
    if (!orderNo) return undefined;
    const order = await this.get(orderNo);
    return order && order.parkNumber === parkNumber && order.outTradeNo === outTradeNo ? order : undefined;
  }

  async unfinishedOfStay(parkNumber: string, orderId: string): Promise<Order[]> {
    const nos = await this.work.refsWhere('order', { stay: stayKey(parkNumber, orderId) });
    const orders = await Promise.all(nos.map((no) => this.get(no)));
    return orders.filter((o): o is Order => !!o && o.parkNumber === parkNumber && o.orderId === orderId && !isFinished(o.status));
  }

  claimSlot(key: string, orderNo: string): Promise<string> {
    return this.slots.claim(key, orderNo);
  }

  swapSlot(key: string, from: string, to: string): Promise<boolean> {
    return this.slots.swap(key, from, to);
  }

  async listForDriver(driverId: string, limit: number): Promise<Order[]> {
    const nos = await this.history.refs(driverId);
    // Newest are added last. Read backwards in chunks until enough are found: prices only looked at (quoted,
    // or closed when they expired) are keyed too but never listed.
    const found: Order[] = [];
    for (let to = nos.length; to > 0 && found.length < limit; to -= Math.max(limit, 20)) {
      const chunk = await Promise.all(nos.slice(Math.max(0, to - Math.max(limit, 20)), to).map((no) => this.get(no)));
      found.push(...chunk.filter((o): o is Order => !!o && o.driverId === driverId && HISTORY_STATUSES.includes(o.status)));
    }
    return found.sort((a, b) => b.createdAt.getTime() - a.createdAt.getTime()).slice(0, limit);
  }

  async apply(orderNo: string, change: OrderChange): Promise<Order | undefined> {
    const { from, to, set } = change;
    // Work for a finished order: hold its item first, so no poller can drop it before this write lands.
    const holder = to !== undefined && !isFinished(to) && from.some(isFinished) ? await this.work.hold('order', orderNo) : undefined;
    // Payable from now on (a provider order follows): the item must exist before any money can move.
    const payable = to === 'pending' && from.includes('quoted');
    if (payable) {
      // Looked at when it expires, and every minute from the change's own time (core's clock) meanwhile.
      const look = set.updatedAt && new Date(set.updatedAt.getTime() + PENDING_LOOK_MS);
      const due = earliest(set.expiresAt, look);
      if (due) await this.work.schedule('order', orderNo, due);
    }
    const doc = await this.m.findOneAndUpdate(filterOf(orderNo, change), updateOf(to, set), { returnDocument: 'after' }).lean<Doc>();
    const order = toOrder(doc);
    if (holder) await this.work.unhold('order', orderNo, holder, order ? orderDue(order, order.updatedAt) : undefined);
    // A new state, or a due moved (an expiry): the item follows.
    else if ((to !== undefined || set.expiresAt !== undefined) && !payable) await this.afterChange(orderNo, order);
    return order;
  }

  async applyPayment(orderNo: string, change: OrderChange): Promise<Order | undefined> {
    // Leased: whoever took it delivers it now, and the item (due within a minute) is the safety net; this
    // one write is all. Not leased: the job delivers it, now — due before the write (a poll right after it
    // finds it) and after it (a poll that settled the item in between, seeing it unpaid, moved it on).
    const delivery = change.set.delivery;
    const dueNow = delivery && !delivery.leaseUntil ? (delivery.nextAttemptAt ?? change.set.updatedAt) : undefined;
    if (dueNow) await this.work.schedule('order', orderNo, dueNow);
    const doc = await this.m.findOneAndUpdate(filterOf(orderNo, change), updateOf(change.to, change.set), { returnDocument: 'after' }).lean<Doc>();
    const order = toOrder(doc);
    if (order && dueNow) await this.work.schedule('order', orderNo, dueNow);
    return order;
  }

  /** Keep the work item with the order after a change of state: gone when finished, else due no later than its next step. */
  private async afterChange(orderNo: string, order: Order | undefined): Promise<void> {
    if (!order) return;
    const due = orderDue(order, order.updatedAt);
    if (due) await this.work.schedule('order', orderNo, due);
    else await this.work.done('order', orderNo);
  }

  private claimFilter(which: 'delivery' | 'refund', status: OrderStatus, now: Date) {
    return {
      status,
      [`${which}.state`]: 'pending',
      [`${which}.nextAttemptAt`]: { $lte: now },
      $or: leaseFree(which, now),
    };
  }

  private async claim(which: 'delivery' | 'refund', status: OrderStatus, now: Date, owner: string, leaseMs: number, orderNo?: string) {
    const ids = orderNo ? [orderNo] : (await this.dueWork(now, 20)).map((i) => i.ref);
    for (const id of ids) {
      const doc = await this.m
        .findOneAndUpdate(
          { _id: id, ...this.claimFilter(which, status, now) },
          {
            $set: { [`${which}.leaseOwner`]: owner, [`${which}.leaseUntil`]: new Date(now.getTime() + leaseMs) },
            $inc: { [`${which}.attempts`]: 1 },
          },
          { returnDocument: 'after' },
        )
        .lean<Doc>();
      if (doc) return toOrder(doc);
    }
    return undefined;
  }

  claimDelivery(now: Date, owner: string, leaseMs: number, orderNo?: string): Promise<Order | undefined> {
    return this.claim('delivery', 'paid', now, owner, leaseMs, orderNo);
  }

  claimRefund(now: Date, owner: string, leaseMs: number, orderNo?: string): Promise<Order | undefined> {
    return this.claim('refund', 'refunding', now, owner, leaseMs, orderNo);
  }

  async expired(now: Date, limit: number): Promise<Order[]> {
    const due = await this.dueWork(now, Math.max(limit, 100));
    const orders = await Promise.all(due.map((i) => this.get(i.ref)));
    return orders.filter((o): o is Order => !!o && (o.status === 'quoted' || o.status === 'pending') && o.expiresAt <= now).slice(0, limit);
  }

  dueWork(now: Date, limit: number): Promise<WorkItem[]> {
    return this.work.due(['order'], now, limit);
  }

  settleWork(item: WorkItem, next: Date | undefined): Promise<void> {
    return this.work.settle(item, next);
  }

  async renewLease(orderNo: string, which: 'delivery' | 'refund', owner: string, until: Date): Promise<boolean> {
    const r = await this.m.updateOne(
      { _id: orderNo, [`${which}.leaseOwner`]: owner, [`${which}.leaseUntil`]: { $ne: null }, [`${which}.state`]: 'pending' },
      { $set: { [`${which}.leaseUntil`]: until } },
    );
    return r.modifiedCount > 0;
  }

  async takeLease(orderNo: string, which: 'delivery' | 'refund', from: string, owner: string, until: Date): Promise<Order | undefined> {
    const doc = await this.m
      .findOneAndUpdate(
        { _id: orderNo, [`${which}.leaseOwner`]: from, [`${which}.state`]: 'pending' },
        { $set: { [`${which}.leaseOwner`]: owner, [`${which}.leaseUntil`]: until }, $inc: { [`${which}.attempts`]: 1 } },
        { returnDocument: 'after' },
      )
      .lean<Doc>();
    return toOrder(doc);
  }

  async release(orderNo: string, r: LeaseRelease): Promise<Order | undefined> {
    // A write only while the order is still in the leased state: a holder whose lease lapsed may find the order
    // moved on without it (the lot collected the payment itself, 4.17; a notification settled the refund), and
    // its late write must not undo that. Letting the lease go, writing nothing else, is always allowed.
    const onlyLetsGo = r.to === undefined && Object.keys(r.set).length === 0;
    const leased = r.set[r.which];
    const update = updateOf(r.to, { ...r.set, [r.which]: { ...leased, clear: [...(leased?.clear ?? []), 'leaseUntil'] } });
    const doc = await this.m
      .findOneAndUpdate(
        { _id: orderNo, ...(onlyLetsGo ? {} : { status: r.which === 'delivery' ? 'paid' : 'refunding' }), [`${r.which}.leaseOwner`]: r.owner },
        update,
        { returnDocument: 'after' },
      )
      .lean<Doc>();
    const order = toOrder(doc);
    await this.afterChange(orderNo, order);
    return order;
  }
}
