/**
 * What the daily reconciliation reads (core/reconciliation/model.ts ReconciliationSources), from the
 * collections others write: orders (our payments), stays (4.3 exit records with their chargeList) and lot
 * charges (4.15). Each read is by park and time; no $lookup (FerretDB has none): the join is in memory.
 */
import type { Connection } from 'mongoose';
import type { LotCharge, Stay } from '../core/lot/model';
import type { Order } from '../core/orders/model';
import type { LotChargeRecord, OurPayment, ReconciliationSources } from '../core/reconciliation/model';
import { lotModels, stayId } from './lot-records';
import { orderModel } from './orders';

type OrderDoc = Order & { _id: string };

export class MongoReconciliationSources implements ReconciliationSources {
  private readonly lot: ReturnType<typeof lotModels>;
  private readonly orders: ReturnType<typeof orderModel>;

  constructor(conn: Connection) {
    this.lot = lotModels(conn);
    this.orders = orderModel(conn);
  }

  async ourPayments(parkNumber: string, from: Date, to: Date): Promise<OurPayment[]> {
    const docs = await this.orders.find({ parkNumber, 'payment.paidAt': { $gte: from, $lt: to } }).lean<OrderDoc[]>();
    return docs
      .filter((o) => o.payment)
      .map((o) => ({
        ref: o._id,
        kind: o.kind,
        parkNumber: o.parkNumber,
        orderId: o.orderId,
        plate: o.plate,
        channel: o.payment!.provider === 'alipay' ? 'alipay' : 'wechat',
        amountFen: o.payment!.paidFen,
        refundedFen: o.refund ? o.refund.fen : 0,
        paidAt: new Date(o.payment!.paidAt),
        // A booking is not a stay: the lot never reports it in 4.3/4.15.
        expectAtLot: o.kind !== 'booking',
      }));
  }

  async lotExitCharges(parkNumber: string, from: Date, to: Date): Promise<LotChargeRecord[]> {
    // A car leaves after it pays: its exit is on or after the charges of its record.
    const stays = await this.lot.stays.find({ parkNumber, status: 'out', 'exit.outTime': { $gte: from } }).lean<Stay[]>();
    const out: LotChargeRecord[] = [];
    for (const s of stays) {
      for (const c of s.exit?.charges ?? []) {
        const at = c.getTime ? new Date(c.getTime) : null;
        if (!at || at < from || at >= to) continue;
        out.push({ source: '4.3', payNo: c.payNo, orderId: s.orderId, plate: s.plate, at, amountFen: c.payChargeFen, payKind: c.payKind, payChannel: c.payChannel });
      }
    }
    return out;
  }

  async lotUploadedCharges(parkNumber: string, from: Date, to: Date): Promise<LotChargeRecord[]> {
    const docs = await this.lot.charges.find({ parkNumber, outTime: { $gte: from, $lt: to } }).lean<LotCharge[]>();
    return docs.map((c) => ({
      source: '4.15' as const,
      payNo: typeof c.record?.payNo === 'string' ? c.record.payNo : '',
      orderId: c.orderId ?? '',
      plate: c.plate ?? '',
      at: c.outTime ? new Date(c.outTime) : null,
      amountFen: c.realChargeFen,
      payKind: c.payKind,
      payChannel: c.payChannel,
    }));
  }

  async stayStatus(parkNumber: string, orderIds: string[]): Promise<Map<string, 'in' | 'out'>> {
    const out = new Map<string, 'in' | 'out'>();
    // By _id, one at a time: what FerretDB v1 answers fastest.
    for (const id of orderIds) {
      const s = await this.lot.stays.findById(stayId(parkNumber, id), { status: 1 }).lean<{ status: 'in' | 'out' }>();
      if (s) out.set(id, s.status);
    }
    return out;
  }
}
