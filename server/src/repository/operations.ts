/**
 * The operations read model (core/operations.ts) on the collections the repositories keep: counts and the
 * oldest of each backlog. Read-only; it owns no collection. /readyz and every metrics scrape read it, so what
 * it reads must not grow with the orders kept (never removed): the orders that can be undelivered or
 * refunding are those with a work item (work.ts: every order has one until it is delivered, closed or
 * refunded), read by _id, and counted here. Lane deductions and booth payments have no index on their
 * state and are read whole. A collection whose repository is not wired in this process (a feature not
 * configured) counts as empty.
 */
import type { Connection, Model } from 'mongoose';
import type { DeliveryBacklog, OperationsReadModel, ParkHeartbeat, RefundBacklog } from '../core/operations';
import { MongoWorkQueue } from './work';

type AnyModel = Model<Record<string, unknown>>;

/** What is read of an order that may still have work. */
interface OpenOrder {
  status: string;
  payment?: { paidAt?: Date };
  delivery?: { state?: string; nextAttemptAt?: Date | null; leaseOwner?: string; leaseUntil?: Date | null };
  updatedAt?: Date;
}

const time = (d: unknown): number | undefined => (d instanceof Date ? d.getTime() : undefined);
/** a < b, where either is a time in ms or a date; false when either is not one. */
function before(a: unknown, b: unknown): boolean {
  const x = typeof a === 'number' ? a : time(a);
  const y = typeof b === 'number' ? b : time(b);
  return x !== undefined && y !== undefined && x < y;
}

export class MongoOperationsReadModel implements OperationsReadModel {
  private readonly work: MongoWorkQueue;
  /** The read under way: a metrics scrape asks for both backlogs at once, and they share one read. */
  private openRead: Promise<OpenOrder[]> | undefined;

  constructor(private readonly conn: Connection) {
    this.work = new MongoWorkQueue(conn);
  }

  private model(name: string): AnyModel | undefined {
    return this.conn.models[name] as AnyModel | undefined;
  }

  async deliveryBacklog(now: Date, workerOwners: string[]): Promise<DeliveryBacklog> {
    const t = now.getTime();
    const pending = (await this.openOrders()).filter((o) => o.status === 'paid' && o.delivery?.state === 'pending');
    const d = (o: OpenOrder) => o.delivery!;
    // As MongoDB compares: a field that is not a date matches no comparison with one.
    const leased = pending.filter((o) => before(t, d(o).leaseUntil));
    const paidAt = pending.map((o) => time(o.payment?.paidAt)).filter((x): x is number => x !== undefined);
    const leasedByUs = leased.filter((o) => workerOwners.includes(d(o).leaseOwner ?? '')).length;
    return {
      undelivered: pending.length,
      ...(paidAt.length ? { oldestPaidAt: new Date(paidAt.reduce((a, b) => Math.min(a, b))) } : {}),
      overdue: pending.filter((o) => before(d(o).nextAttemptAt, t - 60_000)).length,
      leasedByUs,
      leasedByOthers: leased.length - leasedByUs,
      lapsed: pending.filter((o) => time(d(o).leaseUntil) !== undefined && !before(t, d(o).leaseUntil)).length,
    };
  }

  /** The orders with a work item (the only ones that can be paid and undelivered, or refunding), read by _id. */
  private openOrders(): Promise<OpenOrder[]> {
    this.openRead ??= this.readOpenOrders().finally(() => {
      this.openRead = undefined;
    });
    return this.openRead;
  }

  private async readOpenOrders(): Promise<OpenOrder[]> {
    const orders = this.model('Order');
    if (!orders) return [];
    const ids = [...new Set(await this.work.refsWhere('order', {}))];
    // One read by _id each (FerretDB answers `_id: {$in}` by reading the whole collection), 50 at a time.
    const out: OpenOrder[] = [];
    for (let i = 0; i < ids.length; i += 50) {
      const docs = await Promise.all(ids.slice(i, i + 50).map((id) => orders.findById(id, { status: 1, payment: 1, delivery: 1, updatedAt: 1 }).lean<OpenOrder>()));
      out.push(...docs.filter((d): d is OpenOrder => d !== null));
    }
    return out;
  }

  async refundBacklog(): Promise<RefundBacklog> {
    const deductions = this.model('AgreementDeduction');
    const booth = this.model('FacePayment');
    const oldest = <T>(m: AnyModel | undefined, filter: object, field: string) =>
      m ? m.findOne(filter, { [field]: 1 }).sort({ [field]: 1 }).lean<T>() : Promise.resolve(null);
    const [refunding, deduction, boothCount, failed, o2, o3] = await Promise.all([
      this.openOrders().then((list) => list.filter((o) => o.status === 'refunding')),
      deductions?.countDocuments({ 'refund.state': 'refunding' }) ?? 0,
      booth?.countDocuments({ status: 'cancelling' }) ?? 0,
      deductions?.countDocuments({ 'refund.state': 'failed' }) ?? 0,
      oldest<{ refund?: { startedAt?: Date } }>(deductions, { 'refund.state': 'refunding' }, 'refund.startedAt'),
      oldest<{ cancel?: { requestedAt?: Date } }>(booth, { status: 'cancelling' }, 'cancel.requestedAt'),
    ]);
    const starts = [...refunding.map((o) => o.updatedAt), o2?.refund?.startedAt, o3?.cancel?.requestedAt].filter((d): d is Date => d instanceof Date);
    const first = starts.length ? new Date(Math.min(...starts.map((d) => d.getTime()))) : undefined;
    return { pending: { order: refunding.length, deduction, booth: boothCount }, ...(first ? { oldestStartedAt: first } : {}), failed };
  }

  async heartbeats(): Promise<ParkHeartbeat[]> {
    const latest = this.model('ParkHeartbeat');
    if (!latest) return [];
    const docs = await latest.find({}, { parkNumber: 1, receivedAt: 1 }).lean<{ parkNumber: string; receivedAt: Date }[]>();
    return docs.filter((d) => d.receivedAt instanceof Date).map((d) => ({ parkNumber: d.parkNumber, receivedAt: d.receivedAt }));
  }
}
