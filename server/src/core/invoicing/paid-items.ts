/**
 * Paid things as invoicing (and the messages) read them: orders (stays paid in the app, unlicensed exits,
 * bookings, lane QR payments) and lane deductions under withholding agreements. Monthly passes bring their own
 * source (`passes`) when they exist. Read-only.
 */
import type { LaneDeduction } from '../lanepay/channel-pay-model';
import type { Order } from '../orders/model';
import type { ParkDirectory } from '../parks';
import type { PaidItem, PaidItemRef, PaidItems } from './model';

export interface PaidItemSources {
  orders: { get(orderNo: string): Promise<Order | undefined> };
  deductions: { byTradeNo(tradeNo: string): Promise<LaneDeduction | undefined> };
  parks: ParkDirectory;
  /** Monthly passes (a later feature). */
  passes?: PaidItems;
}

export class PaymentsAsPaidItems implements PaidItems {
  constructor(private readonly s: PaidItemSources) {}

  private async parkName(parkNumber: string): Promise<string> {
    return (await this.s.parks.get(parkNumber))?.name ?? parkNumber;
  }

  async get(r: PaidItemRef): Promise<PaidItem | undefined> {
    if (r.kind === 'order') {
      const o = await this.s.orders.get(r.ref);
      return o ? this.fromOrder(o) : undefined;
    }
    if (r.kind === 'deduction') {
      const d = await this.s.deductions.byTradeNo(r.ref);
      return d && d.attempt?.tradeNo === r.ref ? this.fromDeduction(d) : undefined;
    }
    return this.s.passes?.get(r);
  }

  private async fromOrder(o: Order): Promise<PaidItem | undefined> {
    if (!o.payment) return undefined;
    const refund = o.refund;
    return {
      kind: 'order',
      ref: o.orderNo,
      driverId: o.driverId,
      parkNumber: o.parkNumber,
      parkName: await this.parkName(o.parkNumber),
      plate: o.plate,
      provider: o.payment.provider,
      transactionId: o.payment.transactionId,
      paidFen: o.payment.paidFen,
      refundedFen: refund?.state === 'done' ? refund.fen : 0,
      refundPending: o.status === 'refunding',
      paidAt: o.payment.paidAt,
    };
  }

  private async fromDeduction(d: LaneDeduction): Promise<PaidItem | undefined> {
    if (d.state !== 'paid' || !d.attempt || !d.transactionId || d.paidFen === undefined || !d.paidAt) return undefined;
    const r = d.refund;
    return {
      kind: 'deduction',
      ref: d.attempt.tradeNo,
      driverId: d.attempt.driverId,
      parkNumber: d.parkNumber,
      parkName: await this.parkName(d.parkNumber),
      plate: d.plate,
      provider: d.attempt.provider,
      transactionId: d.transactionId,
      paidFen: d.paidFen,
      refundedFen: r?.state === 'refunded' ? r.amountFen : 0,
      // A refund the provider refused is given back by a person: not invoiceable meanwhile.
      refundPending: r !== undefined && r.state !== 'refunded',
      paidAt: d.paidAt,
    };
  }
}
