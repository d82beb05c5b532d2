/**
 * Booking reconciliation (4.19): the lot's open bookings against ours, joined in memory by bookOrderId
 * (= our bookingNo). Every difference is reported and noted on our booking; the lot's admission time
 * (4.19 inTime) is taken over when we had none.
 */
import { normalizePlate } from '../../../../shared/plate';
import { formatChinaTime, parseChinaTime } from '../../../../shared/time';
import type { Clock } from '../clock';
import { BookingError } from './errors';
import { LotCallError } from '../orders/gateways';
import type { Park, ParkDirectory } from '../parks';
import type { Booking, BookingDifference, BookingLot, BookingReconciliation, BookingReconciliationRepository, BookingRepository, LotOpenBooking } from './model';
import type { Log } from '../log';

export interface BookingReconcilerDeps {
  bookings: Pick<BookingRepository, 'forReconciliation' | 'markReconciled'>;
  reports: BookingReconciliationRepository;
  lot: BookingLot;
  parks: ParkDirectory;
  clock: Clock;
  /** Admissions were taken over from the lot: the 4.28 index of the park reloads. */
  onChange?: (parkNumber: string) => Promise<void>;
  log?: Pick<Log, 'info' | 'warn'>;
}

/** A lot time as an instant, or undefined when empty or unreadable. */
function lotTime(text: string): Date | undefined {
  if (!text) return undefined;
  try {
    return parseChinaTime(text);
  } catch {
    return undefined;
  }
}

/** Fields where the lot's copy differs from ours (times compared to the second). */
/** A booking's state in the words of a difference's detail. */
const STATE_TEXT: Record<Booking['state'], string> = {
  reserving: '正在预留',
  held: '待支付',
  releasing: '正在释放',
  released: '已释放（未支付或未成功）',
  issued: '已下发',
  cancelling: '正在取消',
  cancelled: '已取消',
};

export function bookingMismatches(ours: Booking, lot: LotOpenBooking): string[] {
  const out: string[] = [];
  if (normalizePlate(lot.plate) !== ours.plateKey) out.push(`车牌：本系统 ${ours.plate}，车场 ${lot.plate}`);
  // The 4.19 field names stay in brackets: what someone checking the lot's records looks for.
  const times: [string, Date, string][] = [
    ['预约开始（start）', ours.start, lot.start],
    ['预约结束（end）', ours.end, lot.end],
    ['入场开始（letInStartTime）', ours.letInStart, lot.letInStartTime],
    ['入场结束（letInEndTime）', ours.letInEnd, lot.letInEndTime],
  ];
  for (const [name, mine, theirs] of times) {
    const t = lotTime(theirs);
    // A field the lot left out is not a difference (liberal in what we accept); a different time is.
    if (theirs !== '' && (!t || Math.floor(t.getTime() / 1000) !== Math.floor(mine.getTime() / 1000))) {
      out.push(`${name}：本系统 ${formatChinaTime(mine)}，车场 ${theirs}`);
    }
  }
  return out;
}

export class BookingReconciler {
  constructor(private readonly deps: BookingReconcilerDeps) {}

  /** The lot's open bookings (4.19); a lot that refuses or cannot be reached is the operator's clear error. */
  private async openAtLot(park: Park): Promise<LotOpenBooking[]> {
    try {
      return await this.deps.lot.openBookings(park);
    } catch (e) {
      if (!(e instanceof LotCallError)) throw e;
      const says = e.errorCode ?? e.message;
      if (e.refused) throw new BookingError('lot_refused', `the parking lot says: ${says}`, { lotSays: says });
      throw new BookingError('lot_unreachable', 'the parking lot cannot be reached right now; try again later');
    }
  }

  async reconcile(parkNumber: string): Promise<BookingReconciliation> {
    const park = await this.deps.parks.get(parkNumber);
    if (!park) throw new BookingError('park_unknown', `park ${parkNumber} is not served by ParkPay`);
    const now = new Date(this.deps.clock.now());
    const lotList = await this.openAtLot(park);
    const lotById = new Map(lotList.map((b) => [b.bookOrderId, b]));
    const ours = await this.deps.bookings.forReconciliation(parkNumber, now, [...lotById.keys()]);
    const oursById = new Map(ours.map((b) => [b.bookingNo, b]));

    const differences: BookingDifference[] = [];
    const notes = new Map<string, { issue?: string; admittedAt?: Date }>();
    let matched = 0;
    let admitted = 0;

    for (const l of lotList) {
      const o = oursById.get(l.bookOrderId);
      if (!o) {
        differences.push({ bookOrderId: l.bookOrderId, plate: l.plate, kind: 'unknown_at_lot', detail: `车场有预约 ${l.bookOrderId}（${l.plate}，${l.start}–${l.end}），ParkPay 没有发出过` });
        continue;
      }
      const inTime = lotTime(l.inTime);
      if (o.state === 'cancelled' || o.state === 'cancelling') {
        const d: BookingDifference = { bookOrderId: o.bookingNo, plate: o.plate, kind: 'cancelled_but_open_at_lot', detail: `ParkPay 已取消${o.cancel?.lotProblem ? `（${o.cancel.lotProblem}）` : ''}，车场仍然有效` };
        differences.push(d);
        notes.set(o.bookingNo, { issue: d.kind });
        continue;
      }
      if (o.state !== 'issued') {
        const d: BookingDifference = { bookOrderId: o.bookingNo, plate: o.plate, kind: 'not_issued_but_open_at_lot', detail: `ParkPay 的预约${STATE_TEXT[o.state]}，车场却有效` };
        differences.push(d);
        notes.set(o.bookingNo, { issue: d.kind });
        continue;
      }
      const mismatches = bookingMismatches(o, l);
      if (inTime) admitted++;
      if (mismatches.length) {
        differences.push({ bookOrderId: o.bookingNo, plate: o.plate, kind: 'mismatch', detail: mismatches.join('；') });
        notes.set(o.bookingNo, { issue: 'mismatch', admittedAt: inTime });
      } else {
        matched++;
        notes.set(o.bookingNo, { admittedAt: inTime });
      }
    }

    // Ours that should be open at the lot: issued, not yet over, the car not in on it (the lot closes a
    // booking whose car came and went).
    const oursOpen = ours.filter((o) => o.state === 'issued' && o.end > now);
    for (const o of oursOpen) {
      if (lotById.has(o.bookingNo) || o.admittedAt) continue;
      const d: BookingDifference = { bookOrderId: o.bookingNo, plate: o.plate, kind: 'missing_at_lot', detail: `${o.issuedAt ? `${formatChinaTime(o.issuedAt)} ` : ''}已下发，入场时间 ${formatChinaTime(o.letInStart)}–${formatChinaTime(o.letInEnd)}，车场却没有这条预约` };
      differences.push(d);
      notes.set(o.bookingNo, { issue: d.kind });
    }

    for (const [no, n] of notes) await this.deps.bookings.markReconciled(no, now, n.issue, n.admittedAt);
    if (admitted > 0) await this.deps.onChange?.(parkNumber).catch(() => undefined);
    const report: BookingReconciliation = { parkNumber, ranAt: now, lotOpen: lotList.length, oursOpen: oursOpen.length, matched, admitted, differences };
    await this.deps.reports.save(report);
    if (differences.length) this.deps.log?.warn({ parkNumber, differences: differences.length }, 'booking reconciliation found differences');
    return report;
  }

  latest(parkNumber: string): Promise<BookingReconciliation | undefined> {
    return this.deps.reports.latest(parkNumber);
  }
}
