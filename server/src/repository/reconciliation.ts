/**
 * What the daily reconciliation reads (core/reconciliation/model.ts ReconciliationSources), from the
 * collections others write: our payments — orders, booth face-to-face payments (face_payments, 4.24–4.26)
 * and withholding deductions at the lane (agreement_deductions, 4.16/4.27) —, stays (4.3 exit records with
 * their chargeList) and lot charges (4.15). Each read is by park and time; no $lookup (FerretDB has none):
 * the join is in memory. The booth's and the deductions' collections are read as stored (their services own
 * their models; only the fields below are read).
 */
import type { Connection } from 'mongoose';
import type { LotCharge, Renewal, Stay } from '../core/lot/model';
import type { Order } from '../core/orders/model';
import { parseOutTradeNo } from '../core/lanepay/lane-qr-trade';
import type { LotChargeRecord, OurPayment, ReconciliationSources } from '../core/reconciliation/model';
import { lotModels, stayId } from './lot-records';
import { orderModel } from './orders';

type OrderDoc = Order & { _id: string };

type ProviderName = 'wechat' | 'alipay';

/** What is read of a booth payment (core/lanepay/face-to-face-model.ts FacePayment). */
interface FaceDoc {
  parkNumber: string;
  orderId?: string;
  plate?: string;
  provider: ProviderName;
  paymentNo: string;
  status: string;
  payment?: { paidFen: number; paidAt: Date };
  cancel?: { refunded?: boolean };
}

/** What is read of a lane deduction (core/lanepay/channel-pay-model.ts LaneDeduction). */
interface DeductionDoc {
  parkNumber: string;
  outTradeNo: string;
  plate?: string;
  amountFen: number;
  via: string;
  state: string;
  attempt?: { tradeNo: string; provider: ProviderName };
  paidFen?: number;
  paidAt?: Date;
  /** Which call the lot collected it by (4.16/4.17 carry our tradeNo; 4.27 does not). */
  collectedVia?: string;
  /** Given back because the lot never collected it (refunding / refunded / failed). */
  refund?: { state?: string; amountFen?: number };
}

/** Booth payments whose money was taken; reversed ones (cancelling, cancelled) as given back. */
export function facePaymentsAsOurs(docs: FaceDoc[]): OurPayment[] {
  const out: OurPayment[] = [];
  for (const f of docs) {
    if (!f.payment) continue;
    const reversed = f.status === 'cancelling' || f.status === 'cancelled';
    // The provider said the reverse found nothing taken: no money of ours.
    if (reversed && f.cancel?.refunded === false) continue;
    out.push({
      ref: f.paymentNo,
      kind: 'face_to_face',
      parkNumber: f.parkNumber,
      orderId: f.orderId ?? '',
      plate: f.plate ?? '',
      channel: f.provider === 'alipay' ? 'alipay' : 'wechat',
      amountFen: f.payment.paidFen,
      refundedFen: reversed ? f.payment.paidFen : 0,
      paidAt: new Date(f.payment.paidAt),
      expectAtLot: true,
    });
  }
  return out;
}

/** Deductions that took money; refunded ones (refund started or done) as given back. */
export function deductionsAsOurs(docs: DeductionDoc[]): OurPayment[] {
  const out: OurPayment[] = [];
  for (const d of docs) {
    if (d.state !== 'paid' || !d.paidAt || !d.attempt) continue;
    const paidFen = d.paidFen ?? d.amountFen;
    const given = d.refund && (d.refund.state === 'refunding' || d.refund.state === 'refunded') ? Math.min(paidFen, d.refund.amountFen ?? paidFen) : 0;
    out.push({
      ref: d.attempt.tradeNo,
      kind: 'withholding',
      // 4.27's success carries no number of ours: the lot's record is found by the stay.
      numberedAtLot: (d.collectedVia ?? d.via) !== '4.27',
      parkNumber: d.parkNumber,
      orderId: parseOutTradeNo(d.outTradeNo, d.parkNumber)?.orderId ?? '',
      plate: d.plate ?? '',
      channel: d.attempt.provider === 'alipay' ? 'alipay' : 'wechat',
      amountFen: paidFen,
      refundedFen: given,
      paidAt: new Date(d.paidAt),
      expectAtLot: true,
    });
  }
  return out;
}

/** Orders that were paid, as our payments. */
function orderPayments(docs: OrderDoc[]): OurPayment[] {
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
      // A booking or a pass is not a stay: the lot never reports it in 4.3/4.15.
      expectAtLot: o.kind !== 'booking' && o.kind !== 'pass',
    }));
}

/** A stay's 4.3 chargeList lines; a line without a readable getTime takes the exit's time (the lot took it by then). */
function exitLines(s: Stay): LotChargeRecord[] {
  const outTime = s.exit?.outTime ? new Date(s.exit.outTime) : null;
  return (s.exit?.charges ?? []).map((c) => ({
    source: '4.3' as const,
    payNo: c.payNo,
    orderId: s.orderId,
    plate: s.plate,
    at: c.getTime ? new Date(c.getTime) : outTime,
    amountFen: c.payChargeFen,
    payKind: c.payKind,
    payChannel: c.payChannel,
  }));
}

function uploadRecord(c: LotCharge): LotChargeRecord {
  return {
    source: '4.15',
    payNo: typeof c.record?.payNo === 'string' ? c.record.payNo : '',
    orderId: c.orderId ?? '',
    plate: c.plate ?? '',
    at: c.outTime ? new Date(c.outTime) : null,
    amountFen: c.realChargeFen,
    payKind: c.payKind,
    payChannel: c.payChannel,
  };
}

export class MongoReconciliationSources implements ReconciliationSources {
  private readonly lot: ReturnType<typeof lotModels>;
  private readonly orders: ReturnType<typeof orderModel>;

  constructor(private readonly conn: Connection) {
    this.lot = lotModels(conn);
    this.orders = orderModel(conn);
  }

  async ourPayments(parkNumber: string, from: Date, to: Date): Promise<OurPayment[]> {
    const [orders, booth, deductions] = await Promise.all([
      this.orders.find({ parkNumber, 'payment.paidAt': { $gte: from, $lt: to } }).lean<OrderDoc[]>(),
      this.conn.collection<FaceDoc>('face_payments').find({ parkNumber, 'payment.paidAt': { $gte: from, $lt: to } }).toArray(),
      this.conn.collection<DeductionDoc>('agreement_deductions').find({ parkNumber, state: 'paid', paidAt: { $gte: from, $lt: to } }).toArray(),
    ]);
    return [...orderPayments(orders), ...facePaymentsAsOurs(booth), ...deductionsAsOurs(deductions)];
  }

  async ourPaymentsByRef(parkNumber: string, refs: string[]): Promise<OurPayment[]> {
    // Each number is one kind's: order numbers are _ids, booth payments their paymentNo, deductions their tradeNo (all indexed).
    const [orders, booth, deductions] = await Promise.all([
      this.orders.find({ _id: { $in: refs }, parkNumber }).lean<OrderDoc[]>(),
      this.conn.collection<FaceDoc>('face_payments').find({ paymentNo: { $in: refs }, parkNumber }).toArray(),
      this.conn.collection<DeductionDoc>('agreement_deductions').find({ 'attempt.tradeNo': { $in: refs }, parkNumber, state: 'paid' }).toArray(),
    ]);
    return [...orderPayments(orders), ...facePaymentsAsOurs(booth), ...deductionsAsOurs(deductions)];
  }

  async lotChargesOfStays(parkNumber: string, orderIds: string[]): Promise<LotChargeRecord[]> {
    const [stays, uploads] = await Promise.all([
      this.lot.stays.find({ _id: { $in: orderIds.map((id) => stayId(parkNumber, id)) }, status: 'out' }).lean<Stay[]>(),
      this.lot.charges.find({ parkNumber, orderId: { $in: orderIds } }).lean<LotCharge[]>(),
    ]);
    return [...stays.flatMap(exitLines), ...uploads.map(uploadRecord)];
  }

  async lotExitCharges(parkNumber: string, from: Date, to: Date): Promise<LotChargeRecord[]> {
    // A car leaves after it pays: its exit is on or after the charges of its record.
    const stays = await this.lot.stays.find({ parkNumber, status: 'out', 'exit.outTime': { $gte: from } }).lean<Stay[]>();
    return stays.flatMap(exitLines).filter((r) => r.at && r.at >= from && r.at < to);
  }

  async lotUploadedCharges(parkNumber: string, from: Date, to: Date): Promise<LotChargeRecord[]> {
    const docs = await this.lot.charges.find({ parkNumber, outTime: { $gte: from, $lt: to } }).lean<LotCharge[]>();
    return docs.map(uploadRecord);
  }

  async lotRenewals(parkNumber: string, from: Date, to: Date): Promise<LotChargeRecord[]> {
    const docs = await this.lot.renewals.find({ parkNumber, payTime: { $gte: from, $lt: to } }).lean<Renewal[]>();
    return docs.map((r) => {
      const rec = r.record as { placeFeeOrderRecId?: unknown; orderNo?: unknown; payType?: unknown };
      const str = (v: unknown) => (typeof v === 'string' ? v : '');
      return {
        source: '4.31' as const,
        // The lot's renewal number, else its payment serial (possibly ours), else what deduplicated it.
        payNo: str(rec.placeFeeOrderRecId) || str(rec.orderNo) || r.dedupeKey,
        orderId: '',
        plate: r.plates.join('/'),
        at: r.payTime ? new Date(r.payTime) : null,
        amountFen: r.payChargeFen,
        payKind: str(rec.payType),
        payChannel: '固定车续费',
      };
    });
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
