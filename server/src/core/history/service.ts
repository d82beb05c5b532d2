/**
 * The driver's payment history and receipts, read from where each payment lives: orders (stays paid in the
 * app, unlicensed exits, bookings) and lane deductions under the driver's withholding agreements (无感支付).
 * Read-only: nothing here changes a payment. A price only looked at is an order nobody started paying and
 * is not in the orders' history (OrderRepository.listForDriver).
 */
import { formatChinaTime, parseChinaTime } from '../../../../shared/time';
import { HistoryError } from './errors';
import type { LaneDeduction } from '../lanepay/channel-pay-model';
import type { Stay } from '../lot/model';
import type { Order } from '../orders/model';
import type { ParkDirectory } from '../parks';

export type PaymentKind = 'stay' | 'unlicensed' | 'booking' | 'deduction' | 'pass';
export type PaymentStatus = 'paying' | 'paid' | 'refunding' | 'refunded';

export interface PaymentRefund {
  fen: number;
  reason: string;
  state: 'pending' | 'done' | 'failed';
  refundedAt: Date | null;
}

export interface PaymentEntry {
  ref: string;
  kind: PaymentKind;
  parkNumber: string;
  parkName: string;
  plate: string;
  amountFen: number;
  status: PaymentStatus;
  channel: 'wechat' | 'alipay' | null;
  at: Date;
  title: string | null;
  refund: PaymentRefund | null;
}

export interface Receipt extends PaymentEntry {
  inTime: string | null;
  outTime: string | null;
  stopMinutes: number | null;
  chargeFen: number | null;
  discountFen: number | null;
  paidBeforeFen: number | null;
  paidAt: Date | null;
  transactionId: string | null;
  refundNo: string | null;
  booking: { bookingNo: string; title: string; letInStart: Date; letInEnd: Date } | null;
}

export interface HistoryDeps {
  orders: { listForDriver(driverId: string, limit: number): Promise<Order[]>; get(orderNo: string): Promise<Order | undefined> };
  deductions: { listForDriver(driverId: string, limit: number): Promise<LaneDeduction[]>; byTradeNo(tradeNo: string): Promise<LaneDeduction | undefined> };
  parks: ParkDirectory;
  stays: { findStay(parkNumber: string, orderId: string): Promise<Stay | undefined> };
  /** A booking's order carries its bookingNo as orderId. */
  bookings: { get(bookingNo: string): Promise<{ bookingNo: string; title: string; letInStart: Date; letInEnd: Date } | undefined> };
}

const ORDER_STATUS: Record<Order['status'], PaymentStatus | undefined> = {
  quoted: undefined,
  closed: undefined,
  pending: 'paying',
  paid: 'paid',
  delivered: 'paid',
  refunding: 'refunding',
  refunded: 'refunded',
};

const KIND: Record<Order['kind'], PaymentKind> = { prepay: 'stay', lane_qr: 'stay', unlicensed_exit: 'unlicensed', booking: 'booking', pass: 'pass' };

function orderEntry(o: Order, parkName: string): PaymentEntry | undefined {
  const status = ORDER_STATUS[o.status];
  if (!status) return undefined;
  return {
    ref: o.orderNo,
    kind: KIND[o.kind],
    parkNumber: o.parkNumber,
    parkName,
    plate: o.plate,
    amountFen: o.payment?.paidFen ?? o.amountFen,
    status,
    channel: o.payment?.provider ?? o.provider ?? null,
    at: o.payment?.paidAt ?? o.createdAt,
    title: null,
    refund: o.refund ? { fen: o.refund.fen, reason: o.refund.reason, state: o.refund.state, refundedAt: o.refund.refundedAt ?? null } : null,
  };
}

function deductionStatus(d: LaneDeduction): PaymentStatus {
  if (d.refund?.state === 'refunded') return 'refunded';
  if (d.refund) return 'refunding';
  return d.state === 'paid' ? 'paid' : 'paying';
}

function deductionEntry(d: LaneDeduction, parkName: string): PaymentEntry | undefined {
  if (!d.attempt) return undefined;
  const r = d.refund;
  return {
    ref: d.attempt.tradeNo,
    kind: 'deduction',
    parkNumber: d.parkNumber,
    parkName,
    plate: d.plate,
    amountFen: d.paidFen ?? d.amountFen,
    status: deductionStatus(d),
    channel: d.attempt.provider,
    at: d.paidAt ?? d.createdAt,
    title: null,
    refund: r ? { fen: r.amountFen, reason: r.reason, state: r.state === 'refunded' ? 'done' : r.state === 'failed' ? 'failed' : 'pending', refundedAt: r.refundedAt ?? null } : null,
  };
}

/** Whole minutes between two lot times, when both are readable. */
function minutesBetween(from: string | null, to: string | null): number | null {
  if (!from || !to) return null;
  try {
    return Math.max(0, Math.floor((parseChinaTime(to).getTime() - parseChinaTime(from).getTime()) / 60_000));
  } catch {
    return null;
  }
}

const lotTime = (d: Date | null | undefined) => (d ? formatChinaTime(d) : null);

export class HistoryService {
  constructor(private readonly deps: HistoryDeps) {}

  private async names(parkNumbers: string[]): Promise<Map<string, string>> {
    const unique = [...new Set(parkNumbers)];
    const parks = await Promise.all(unique.map((p) => this.deps.parks.get(p)));
    return new Map(unique.map((p, i) => [p, parks[i]?.name ?? p]));
  }

  /** Newest first, at most `limit` of each source merged. */
  async payments(driverId: string, limit = 50): Promise<PaymentEntry[]> {
    const [orders, deductions] = await Promise.all([this.deps.orders.listForDriver(driverId, limit), this.deps.deductions.listForDriver(driverId, limit)]);
    const names = await this.names([...orders.map((o) => o.parkNumber), ...deductions.map((d) => d.parkNumber)]);
    const entries = [
      ...orders.map((o) => orderEntry(o, names.get(o.parkNumber)!)),
      ...deductions.filter((d) => d.attempt?.driverId === driverId).map((d) => deductionEntry(d, names.get(d.parkNumber)!)),
    ].filter((e): e is PaymentEntry => e !== undefined);
    const bookingOrders = orders.filter((o) => o.kind === 'booking');
    const titles = new Map<string, string>();
    (await Promise.all(bookingOrders.map((o) => this.deps.bookings.get(o.orderId)))).forEach((b, i) => b && titles.set(bookingOrders[i]!.orderNo, b.title));
    for (const e of entries) if (e.kind === 'booking') e.title = titles.get(e.ref) ?? null;
    return entries.sort((a, b) => b.at.getTime() - a.at.getTime()).slice(0, limit);
  }

  /** One payment of this driver (anyone else's, or a price only looked at, reads as not found). */
  async receipt(driverId: string, ref: string): Promise<Receipt> {
    const order = await this.deps.orders.get(ref);
    if (order) {
      if (order.driverId !== driverId) throw new HistoryError('not_found', 'payment not found');
      return this.orderReceipt(order);
    }
    const d = await this.deps.deductions.byTradeNo(ref);
    if (d && d.attempt?.driverId === driverId && d.attempt.tradeNo === ref) {
      const entry = deductionEntry(d, (await this.names([d.parkNumber])).get(d.parkNumber)!);
      if (entry && (d.state === 'paid' || d.state === 'accepted' || d.refund)) {
        const inTime = lotTime(d.stay?.enteredAt);
        const outTime = lotTime(d.stay?.leftAt);
        return {
          ...entry,
          inTime,
          outTime,
          stopMinutes: minutesBetween(inTime, outTime),
          chargeFen: null,
          discountFen: null,
          paidBeforeFen: null,
          paidAt: d.paidAt ?? null,
          transactionId: d.transactionId ?? null,
          refundNo: d.refund?.refundNo ?? null,
          booking: null,
        };
      }
    }
    throw new HistoryError('not_found', 'payment not found');
  }

  private async orderReceipt(o: Order): Promise<Receipt> {
    // A booking or a pass pays for no stay: it has no stay times or stay figures.
    const notAStay = o.kind === 'booking' || o.kind === 'pass';
    const [names, stay, booking] = await Promise.all([
      this.names([o.parkNumber]),
      notAStay ? Promise.resolve(undefined) : this.deps.stays.findStay(o.parkNumber, o.orderId),
      o.kind === 'booking' ? this.deps.bookings.get(o.orderId) : Promise.resolve(undefined),
    ]);
    const entry = orderEntry(o, names.get(o.parkNumber)!);
    if (!entry) throw new HistoryError('not_found', 'payment not found');
    if (booking) entry.title = booking.title;
    const inTime = notAStay ? null : lotTime(stay?.entry?.inTime ?? stay?.exit?.inTime) ?? (o.quote.inTime || null);
    const outTime = stay?.status === 'out' ? lotTime(stay.exit?.outTime) : null;
    return {
      ...entry,
      inTime,
      outTime,
      stopMinutes: notAStay ? null : outTime ? minutesBetween(inTime, outTime) : o.quote.stopMinutes,
      chargeFen: notAStay ? null : o.quote.chargeFen,
      discountFen: notAStay ? null : o.quote.profitChargeTotalFen,
      paidBeforeFen: notAStay ? null : o.quote.paidTotalFen,
      paidAt: o.payment?.paidAt ?? null,
      transactionId: o.payment?.transactionId ?? null,
      refundNo: o.refund?.refundNo ?? null,
      booking: booking ? { bookingNo: booking.bookingNo, title: booking.title, letInStart: booking.letInStart, letInEnd: booking.letInEnd } : null,
    };
  }
}
