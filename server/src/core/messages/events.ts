/**
 * What happened in ParkPay, as messages to drivers: each event one message per driver, its id the event's key
 * (so an event told twice is one message).
 *
 * - entry (the lot's 4.2): to drivers who bound the plate AND can show it is theirs at that park — proved there
 *   (paid there, entered without a plate, or confirmed: core/parking/proofs.ts) or covered by their live
 *   withholding agreement. Anyone can bind any plate, so a bound plate alone would tell a stranger where a car
 *   is (the privacy rule of my parking);
 * - payment: an order paid; and, for a stay paid before leaving, free_exit_ending a few minutes before the
 *   free exit time ends — unless the car has left or the payment is being refunded by then;
 * - deduction: a withholding deduction paid; refund: a refund done (orders and deductions);
 * - pass_expiring: a monthly pass 7 days and 1 day before its end — the monthly-pass feature calls
 *   passExpiring() when a pass is sold or renewed.
 */
import { normalizePlate } from '../../../../shared/plate';
import type { AgreementRecord } from '../agreements/model';
import type { LaneDeduction } from '../lanepay/channel-pay-model';
import type { Order } from '../orders/model';
import type { Clock } from '../clock';
import type { ParkDirectory } from '../parks';
import type { MessagesService } from './service';
import type { Log } from '../log';

export interface EntryAudienceDeps {
  /** Drivers who bound this plate. */
  boundBy(plateKey: string): Promise<string[]>;
  isProved(driverId: string, parkNumber: string, plateKey: string): Promise<boolean>;
  agreementsOf(plateKey: string): Promise<AgreementRecord[]>;
}

export interface NoticeEventsDeps {
  messages: Pick<MessagesService, 'enqueue'>;
  orders: { get(orderNo: string): Promise<Order | undefined> };
  parks: ParkDirectory;
  audience: EntryAudienceDeps;
  /** Minutes before the free exit time ends that the reminder goes. */
  freeExitLeadMinutes: number;
  /** The time a message states when its record carries none (a refund or deduction not yet timed). */
  clock: Clock;
  log?: Pick<Log, 'warn'>;
}

/** The pages messages open (the mini-program's routes). */
export const MESSAGE_PAGES = {
  history: 'packages/me/history/index',
  parking: 'packages/me/parking/index',
  agreements: 'packages/me/agreements/index',
} as const;

export class NoticeEvents {
  constructor(private readonly d: NoticeEventsDeps) {}

  private async parkName(parkNumber: string): Promise<string> {
    return (await this.d.parks.get(parkNumber))?.name ?? parkNumber;
  }

  /** The lot's 4.2: a car entered. */
  async entered(s: { parkNumber: string; orderId: string; plate: string; inTime: Date | null }): Promise<number> {
    const plateKey = normalizePlate(s.plate);
    if (!plateKey) return 0;
    const [bound, agreements] = await Promise.all([this.d.audience.boundBy(plateKey), this.d.audience.agreementsOf(plateKey)]);
    if (!bound.length) return 0;
    const covered = new Set(
      agreements
        .filter((a) => a.state === 'active' && (!a.scope || a.scope.kind === 'all' || a.scope.parkNumber === s.parkNumber))
        .map((a) => a.driverId),
    );
    const parkName = await this.parkName(s.parkNumber);
    let made = 0;
    for (const driverId of bound) {
      if (!covered.has(driverId) && !(await this.d.audience.isProved(driverId, s.parkNumber, plateKey))) continue;
      const ok = await this.d.messages.enqueue({
        id: `entry:${s.parkNumber}:${s.orderId}:${driverId}`,
        driverId,
        kind: 'entry',
        values: { parkName, plate: s.plate, ...(s.inTime ? { inTime: s.inTime } : {}) },
        page: MESSAGE_PAGES.parking,
      });
      if (ok) made++;
    }
    return made;
  }

  /** An order was paid: the payment message, and the free-exit reminder of a stay paid before leaving. */
  async orderPaid(orderNo: string): Promise<void> {
    const o = await this.d.orders.get(orderNo);
    if (!o?.payment) return;
    const parkName = await this.parkName(o.parkNumber);
    const paidAt = new Date(o.payment.paidAt);
    const minutes = o.quote.paidFreeMinutes;
    const leaveBy = minutes > 0 && o.kind !== 'booking' ? new Date(paidAt.getTime() + minutes * 60_000) : undefined;
    await this.d.messages.enqueue({
      id: `payment:${o.orderNo}`,
      driverId: o.driverId,
      kind: 'payment',
      values: { parkName, plate: o.plate, amountFen: o.payment.paidFen, paidAt, orderNo: o.orderNo, ...(leaveBy ? { leaveBy } : {}) },
      page: MESSAGE_PAGES.history,
    });
    // Paid before driving to the exit (pre-pay): remind before the free exit time runs out.
    if (o.kind === 'prepay' && leaveBy && minutes > this.d.freeExitLeadMinutes) {
      await this.d.messages.enqueue({
        id: `free_exit:${o.orderNo}`,
        driverId: o.driverId,
        kind: 'free_exit_ending',
        values: { parkName, plate: o.plate, leaveBy, minutesLeft: this.d.freeExitLeadMinutes },
        page: MESSAGE_PAGES.parking,
        guard: { kind: 'car_in_lot', parkNumber: o.parkNumber, orderId: o.orderId, orderNo: o.orderNo },
        due: new Date(leaveBy.getTime() - this.d.freeExitLeadMinutes * 60_000),
      });
    }
  }

  async orderRefunded(orderNo: string): Promise<void> {
    const o = await this.d.orders.get(orderNo);
    if (!o?.refund || o.refund.state !== 'done') return;
    await this.d.messages.enqueue({
      id: `refund:${o.refund.refundNo}`,
      driverId: o.driverId,
      kind: 'refund',
      values: {
        parkName: await this.parkName(o.parkNumber),
        plate: o.plate,
        amountFen: o.refund.fen,
        refundedAt: o.refund.refundedAt ? new Date(o.refund.refundedAt) : new Date(this.d.clock.now()),
        orderNo: o.orderNo,
        reason: refundReasonText(o.refund.reason),
      },
      page: MESSAGE_PAGES.history,
    });
  }

  async deductionPaid(d: LaneDeduction): Promise<void> {
    if (!d.attempt || d.paidFen === undefined) return;
    await this.d.messages.enqueue({
      id: `deduction:${d.attempt.tradeNo}`,
      driverId: d.attempt.driverId,
      kind: 'deduction',
      values: { parkName: await this.parkName(d.parkNumber), plate: d.plate, amountFen: d.paidFen, paidAt: d.paidAt ? new Date(d.paidAt) : new Date(this.d.clock.now()), orderNo: d.attempt.tradeNo },
      page: MESSAGE_PAGES.history,
    });
  }

  async deductionRefunded(d: LaneDeduction): Promise<void> {
    if (!d.attempt || !d.refund) return;
    await this.d.messages.enqueue({
      id: `refund:${d.refund.refundNo}`,
      driverId: d.attempt.driverId,
      kind: 'refund',
      values: {
        parkName: await this.parkName(d.parkNumber),
        plate: d.plate,
        amountFen: d.refund.amountFen,
        refundedAt: d.refund.refundedAt ? new Date(d.refund.refundedAt) : new Date(this.d.clock.now()),
        orderNo: d.attempt.tradeNo,
        reason: '停车场未确认扣款',
      },
      page: MESSAGE_PAGES.history,
    });
  }

  /**
   * A monthly pass ends at `endsAt`: the two reminders (7 days and 1 day before), each due then. Calling it
   * again for the same pass and end changes nothing; a renewal (a new end) makes new ones, and the old ones are
   * skipped when due (their guard: the pass no longer ends then).
   */
  async passExpiring(p: { passId: string; driverId: string; parkNumber: string; plate: string; endsAt: Date }): Promise<void> {
    const parkName = await this.parkName(p.parkNumber);
    const stamp = p.endsAt.getTime().toString(36);
    for (const days of [7, 1]) {
      await this.d.messages.enqueue({
        id: `pass_expiring:${p.passId}:${stamp}:${days}`,
        driverId: p.driverId,
        kind: 'pass_expiring',
        values: { parkName, plate: p.plate, passEndsAt: p.endsAt, daysLeft: days },
        page: MESSAGE_PAGES.history,
        guard: { kind: 'pass_ends', passId: p.passId, endsAt: p.endsAt },
        due: new Date(p.endsAt.getTime() - days * 86_400_000),
      });
    }
  }
}

/** The driver's words for a recorded refund reason ("code: detail"). */
export function refundReasonText(reason: string): string {
  const code = reason.split(':')[0] ?? '';
  const words: Record<string, string> = {
    car_left: '车辆已离场，款项退回',
    lot_refused: '车场未接受本次缴费',
    lot_unreachable: '车场暂时无法确认缴费',
    lot_call_failed: '车场未确认本次缴费',
    amount_mismatch: '支付金额与订单不符',
    booking_cancelled: '预约已取消',
    booking_refused: '车场未接受预约',
    booking_expired: '预约已过期',
  };
  return words[code] ?? '订单退款';
}
