/**
 * mongoose implementation of OrderRepository. Each method is one atomic single-document operation;
 * claims are conditional findOneAndUpdate with a lease, so two server processes never deliver (or refund)
 * the same order at the same time, and a crashed worker's lease simply runs out.
 */
import { Schema, type Connection, type Model } from 'mongoose';
import type { Order, OrderRepository, OrderStatus } from '../core/orders/model';
import { isDuplicateKey } from './util';

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
  schema.index({ parkNumber: 1, outTradeNo: 1 }, { unique: true });
  schema.index({ driverId: 1, createdAt: -1 });
  schema.index({ driverId: 1, parkNumber: 1, orderId: 1, status: 1 });
  schema.index({ status: 1, 'delivery.nextAttemptAt': 1 });
  schema.index({ status: 1, 'refund.nextAttemptAt': 1 });
  schema.index({ status: 1, expiresAt: 1 });
  return conn.model<Doc>('Order', schema);
}

/**
 * The orders a driver's history shows: a payment started (pending) or money taken. A price the driver only
 * looked at (quoted, then closed when it expired or a newer price replaced it) never shows.
 */
const HISTORY_STATUSES: OrderStatus[] = ['pending', 'paid', 'delivered', 'refunding', 'refunded'];

/** Mixed sub-documents come back with their dates as Date (BSON); nothing to convert. */
function toOrder(doc: Doc | null | undefined): Order | undefined {
  if (!doc) return undefined;
  const { _id, ...rest } = doc;
  return { ...rest, orderNo: _id } as Order;
}

export class MongoOrderRepository implements OrderRepository {
  private readonly m: Model<Doc>;
  constructor(conn: Connection) {
    this.m = orderModel(conn);
  }

  async init(): Promise<void> {
    await this.m.init();
  }

  async insert(order: Order): Promise<boolean> {
    const { orderNo, ...rest } = order;
    try {
      await this.m.create({ _id: orderNo, ...rest });
      return true;
    } catch (e) {
      if (isDuplicateKey(e)) return false;
      throw e;
    }
  }

  async get(orderNo: string): Promise<Order | undefined> {
    return toOrder(await this.m.findById(orderNo).lean<Doc>());
  }

  async byOutTradeNo(parkNumber: string, outTradeNo: string): Promise<Order | undefined> {
    return toOrder(await this.m.findOne({ parkNumber, outTradeNo }).lean<Doc>());
  }

  async openForStay(driverId: string, parkNumber: string, orderId: string): Promise<Order[]> {
    const docs = await this.m.find({ driverId, parkNumber, orderId, status: { $in: ['quoted', 'pending'] } }).lean<Doc[]>();
    return docs.map((d) => toOrder(d)!);
  }

  async listForDriver(driverId: string, limit: number): Promise<Order[]> {
    const docs = await this.m.find({ driverId, status: { $in: HISTORY_STATUSES } }).sort({ createdAt: -1 }).limit(limit).lean<Doc[]>();
    return docs.map((d) => toOrder(d)!);
  }

  async transition(orderNo: string, from: OrderStatus[], set: Record<string, unknown>, extra: Record<string, unknown> = {}): Promise<Order | undefined> {
    const doc = await this.m
      .findOneAndUpdate({ _id: orderNo, status: { $in: from }, ...extra }, { $set: set }, { returnDocument: 'after' })
      .lean<Doc>();
    return toOrder(doc);
  }

  private async claim(which: 'delivery' | 'refund', status: OrderStatus, now: Date, owner: string, leaseMs: number, orderNo?: string) {
    const due = {
      status,
      [`${which}.state`]: 'pending',
      [`${which}.nextAttemptAt`]: { $lte: now },
      $or: [{ [`${which}.leaseUntil`]: { $exists: false } }, { [`${which}.leaseUntil`]: null }, { [`${which}.leaseUntil`]: { $lte: now } }],
    };
    let id = orderNo;
    if (!id) {
      // Look first with a read, then claim that one order by _id. On FerretDB v1 a claim that has to search
      // holds the write lock for the whole search (tools/ferretdb/writelock.go), stalling the payments that
      // are being recorded meanwhile; a read does not. A race with another worker just claims nothing.
      const next = await this.m.findOne(due, { _id: 1 }).sort({ [`${which}.nextAttemptAt`]: 1 }).lean<{ _id: string }>();
      if (!next) return undefined;
      id = next._id;
    }
    const doc = await this.m
      .findOneAndUpdate(
        { _id: id, ...due },
        {
          $set: { [`${which}.leaseOwner`]: owner, [`${which}.leaseUntil`]: new Date(now.getTime() + leaseMs) },
          $inc: { [`${which}.attempts`]: 1 },
        },
        { returnDocument: 'after' },
      )
      .lean<Doc>();
    return toOrder(doc);
  }

  claimDelivery(now: Date, owner: string, leaseMs: number, orderNo?: string): Promise<Order | undefined> {
    return this.claim('delivery', 'paid', now, owner, leaseMs, orderNo);
  }

  claimRefund(now: Date, owner: string, leaseMs: number, orderNo?: string): Promise<Order | undefined> {
    return this.claim('refund', 'refunding', now, owner, leaseMs, orderNo);
  }

  async expired(now: Date, limit: number): Promise<Order[]> {
    const docs = await this.m.find({ status: { $in: ['quoted', 'pending'] }, expiresAt: { $lte: now } }).limit(limit).lean<Doc[]>();
    return docs.map((d) => toOrder(d)!);
  }

  async releaseLease(orderNo: string, which: 'delivery' | 'refund', owner: string, set: Record<string, unknown>): Promise<Order | undefined> {
    const doc = await this.m
      .findOneAndUpdate(
        { _id: orderNo, [`${which}.leaseOwner`]: owner },
        { $set: { ...set, [`${which}.leaseUntil`]: null } },
        { returnDocument: 'after' },
      )
      .lean<Doc>();
    return toOrder(doc);
  }
}
