/**
 * The dashboard's reads (core/operators/dashboard.ts DashboardQueries), kept apart from the repositories
 * whose collections they read: orders, booth payments (face_payments) and lane deductions
 * (agreement_deductions) — as stored; only the fields below are read. Each is a count or a read by park and
 * time or status. On MongoDB orders are narrowed to the park by the prefix of their {parkNumber, outTradeNo}
 * index; booth payments and deductions have no index on park, and on FerretDB every read here goes through
 * its whole collection. When they must be cheaper, this file is the one to change.
 */
import type { Connection } from 'mongoose';
import type { DashboardPayment, DashboardQueries } from '../core/operators/dashboard';
import { orderModel } from './orders';
import { deductionsAsOurs, facePaymentsAsOurs } from './reconciliation';

interface OrderRead {
  kind: string;
  payment?: { provider: 'wechat' | 'alipay'; paidFen: number; paidAt: Date };
  refund?: { fen: number };
}

export class MongoDashboardQueries implements DashboardQueries {
  private readonly orders: ReturnType<typeof orderModel>;

  constructor(private readonly conn: Connection) {
    this.orders = orderModel(conn);
  }

  async payments(parkNumber: string, from: Date, to: Date): Promise<DashboardPayment[]> {
    const [orders, booth, deductions] = await Promise.all([
      this.orders.find({ parkNumber, 'payment.paidAt': { $gte: from, $lt: to } }, { kind: 1, payment: 1, refund: 1 }).lean<OrderRead[]>(),
      this.conn.collection('face_payments').find({ parkNumber, 'payment.paidAt': { $gte: from, $lt: to } }).toArray(),
      this.conn.collection('agreement_deductions').find({ parkNumber, state: 'paid', paidAt: { $gte: from, $lt: to } }).toArray(),
    ]);
    const out: DashboardPayment[] = orders
      .filter((o) => o.payment)
      .map((o) => ({ channel: o.payment!.provider === 'alipay' ? 'alipay' : 'wechat', kind: o.kind, fen: o.payment!.paidFen, refundedFen: o.refund?.fen ?? 0 }));
    for (const p of [...facePaymentsAsOurs(booth as never), ...deductionsAsOurs(deductions as never)]) {
      out.push({ channel: p.channel === 'alipay' ? 'alipay' : 'wechat', kind: p.kind, fen: p.amountFen, refundedFen: p.refundedFen });
    }
    return out;
  }

  async awaitingLot(parkNumber: string): Promise<{ count: number; oldestPaidAt?: Date }> {
    // 'paid': the money is in, the lot has not acknowledged it (delivered is the next state).
    const [count, oldest] = await Promise.all([
      this.orders.countDocuments({ status: 'paid', parkNumber }),
      this.orders.find({ status: 'paid', parkNumber }, { 'payment.paidAt': 1 }).sort({ 'payment.paidAt': 1 }).limit(1).lean<OrderRead[]>(),
    ]);
    const at = oldest[0]?.payment?.paidAt;
    return at ? { count, oldestPaidAt: new Date(at) } : { count };
  }

  async refundsInProgress(parkNumber: string): Promise<{ count: number; fen: number }> {
    const [orders, deductions, booth] = await Promise.all([
      this.orders.find({ status: 'refunding', parkNumber }, { refund: 1 }).lean<OrderRead[]>(),
      this.conn.collection('agreement_deductions').find({ parkNumber, 'refund.state': 'refunding' }, { projection: { refund: 1, paidFen: 1, amountFen: 1 } }).toArray(),
      this.conn.collection('face_payments').find({ parkNumber, status: 'cancelling', payment: { $exists: true } }, { projection: { payment: 1 } }).toArray(),
    ]);
    let fen = 0;
    for (const o of orders) fen += o.refund?.fen ?? 0;
    for (const d of deductions) fen += Number(d.refund?.amountFen ?? d.paidFen ?? d.amountFen ?? 0);
    for (const f of booth) fen += Number(f.payment?.paidFen ?? 0);
    return { count: orders.length + deductions.length + booth.length, fen };
  }
}
