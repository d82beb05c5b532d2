/**
 * The operations read model (core/operations.ts) on the collections the repositories keep: counts and the
 * oldest of each backlog. Read-only; it owns no collection. Orders, lane deductions and booth payments have no
 * index on their status (they are found by _id and through work items), so each count reads its collection
 * whole, on MongoDB as on FerretDB, at every /readyz and every metrics scrape. A collection whose repository
 * is not wired in this process (a feature not configured) counts as empty.
 */
import type { Connection, Model } from 'mongoose';
import type { DeliveryBacklog, OperationsReadModel, ParkHeartbeat, RefundBacklog } from '../core/operations';

type AnyModel = Model<Record<string, unknown>>;

export class MongoOperationsReadModel implements OperationsReadModel {
  constructor(private readonly conn: Connection) {}

  private model(name: string): AnyModel | undefined {
    return this.conn.models[name] as AnyModel | undefined;
  }

  async deliveryBacklog(now: Date, workerOwners: string[]): Promise<DeliveryBacklog> {
    const orders = this.model('Order');
    if (!orders) return { undelivered: 0, overdue: 0, leasedByUs: 0, leasedByOthers: 0, lapsed: 0 };
    const pending = { status: 'paid', 'delivery.state': 'pending' };
    const [undelivered, oldest, overdue, leasedByUs, leased, lapsed] = await Promise.all([
      orders.countDocuments(pending),
      orders.findOne(pending, { 'payment.paidAt': 1 }).sort({ 'payment.paidAt': 1 }).lean<{ payment?: { paidAt?: Date } }>(),
      orders.countDocuments({ ...pending, 'delivery.nextAttemptAt': { $lt: new Date(now.getTime() - 60_000) } }),
      orders.countDocuments({ ...pending, 'delivery.leaseOwner': { $in: workerOwners }, 'delivery.leaseUntil': { $gt: now } }),
      orders.countDocuments({ ...pending, 'delivery.leaseUntil': { $gt: now } }),
      orders.countDocuments({ ...pending, 'delivery.leaseUntil': { $ne: null, $lte: now } }),
    ]);
    const paidAt = oldest?.payment?.paidAt;
    return {
      undelivered,
      ...(paidAt ? { oldestPaidAt: new Date(paidAt) } : {}),
      overdue,
      leasedByUs,
      leasedByOthers: leased - leasedByUs,
      lapsed,
    };
  }

  async refundBacklog(): Promise<RefundBacklog> {
    const orders = this.model('Order');
    const deductions = this.model('AgreementDeduction');
    const booth = this.model('FacePayment');
    const oldest = <T>(m: AnyModel | undefined, filter: object, field: string) =>
      m ? m.findOne(filter, { [field]: 1 }).sort({ [field]: 1 }).lean<T>() : Promise.resolve(null);
    const [order, deduction, boothCount, failed, o1, o2, o3] = await Promise.all([
      orders?.countDocuments({ status: 'refunding' }) ?? 0,
      deductions?.countDocuments({ 'refund.state': 'refunding' }) ?? 0,
      booth?.countDocuments({ status: 'cancelling' }) ?? 0,
      deductions?.countDocuments({ 'refund.state': 'failed' }) ?? 0,
      oldest<{ updatedAt?: Date }>(orders, { status: 'refunding' }, 'updatedAt'),
      oldest<{ refund?: { startedAt?: Date } }>(deductions, { 'refund.state': 'refunding' }, 'refund.startedAt'),
      oldest<{ cancel?: { requestedAt?: Date } }>(booth, { status: 'cancelling' }, 'cancel.requestedAt'),
    ]);
    const starts = [o1?.updatedAt, o2?.refund?.startedAt, o3?.cancel?.requestedAt].filter((d): d is Date => d instanceof Date);
    const first = starts.length ? new Date(Math.min(...starts.map((d) => d.getTime()))) : undefined;
    return { pending: { order, deduction, booth: boothCount }, ...(first ? { oldestStartedAt: first } : {}), failed };
  }

  async heartbeats(): Promise<ParkHeartbeat[]> {
    const latest = this.model('ParkHeartbeat');
    if (!latest) return [];
    const docs = await latest.find({}, { parkNumber: 1, receivedAt: 1 }).lean<{ parkNumber: string; receivedAt: Date }[]>();
    return docs.filter((d) => d.receivedAt instanceof Date).map((d) => ({ parkNumber: d.parkNumber, receivedAt: d.receivedAt }));
  }
}
