/**
 * Booking reconciliation (4.19): the lot's open bookings against ours, joined in memory by bookOrderId
 * (= our bookingNo). Every difference is reported and noted on our booking; the lot's admission time
 * (4.19 inTime) is taken over when we had none.
 */
import { normalizePlate } from '../../../../shared/plate';
import { formatChinaTime, parseChinaTime } from '../../../../shared/time';
import type { Clock } from '../clock';
import { AppError } from '../errors';
import type { ParkDirectory } from '../parks';
import type { Booking, BookingDifference, BookingLot, BookingReconciliation, BookingReconciliationRepository, BookingRepository, LotOpenBooking } from './model';

export interface BookingReconcilerDeps {
  bookings: Pick<BookingRepository, 'forReconciliation' | 'markReconciled'>;
  reports: BookingReconciliationRepository;
  lot: BookingLot;
  parks: ParkDirectory;
  clock: Clock;
  /** Admissions were taken over from the lot: the 4.28 index of the park reloads. */
  onChange?: (parkNumber: string) => Promise<void>;
  log?: { info(o: object, m?: string): void; warn(o: object, m?: string): void };
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
export function bookingMismatches(ours: Booking, lot: LotOpenBooking): string[] {
  const out: string[] = [];
  if (normalizePlate(lot.plate) !== ours.plateKey) out.push(`plate: ours ${ours.plate}, lot ${lot.plate}`);
  const times: [string, Date, string][] = [
    ['start', ours.start, lot.start],
    ['end', ours.end, lot.end],
    ['letInStartTime', ours.letInStart, lot.letInStartTime],
    ['letInEndTime', ours.letInEnd, lot.letInEndTime],
  ];
  for (const [name, mine, theirs] of times) {
    const t = lotTime(theirs);
    // A field the lot left out is not a difference (liberal in what we accept); a different time is.
    if (theirs !== '' && (!t || Math.floor(t.getTime() / 1000) !== Math.floor(mine.getTime() / 1000))) {
      out.push(`${name}: ours ${formatChinaTime(mine)}, lot ${theirs}`);
    }
  }
  return out;
}

export class BookingReconciler {
  constructor(private readonly deps: BookingReconcilerDeps) {}

  async reconcile(parkNumber: string): Promise<BookingReconciliation> {
    const park = await this.deps.parks.get(parkNumber);
    if (!park) throw new AppError('park_unknown', `park ${parkNumber} is not served by ParkPay`, 404);
    const now = new Date(this.deps.clock.now());
    const lotList = await this.deps.lot.openBookings(park);
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
        differences.push({ bookOrderId: l.bookOrderId, plate: l.plate, kind: 'unknown_at_lot', detail: `the lot has booking ${l.bookOrderId} (${l.plate}, ${l.start}–${l.end}) that ParkPay never issued` });
        continue;
      }
      const inTime = lotTime(l.inTime);
      if (o.state === 'cancelled' || o.state === 'cancelling') {
        const d: BookingDifference = { bookOrderId: o.bookingNo, plate: o.plate, kind: 'cancelled_but_open_at_lot', detail: `cancelled in ParkPay${o.cancel?.lotProblem ? ` (${o.cancel.lotProblem})` : ''} but still open at the lot` };
        differences.push(d);
        notes.set(o.bookingNo, { issue: d.kind });
        continue;
      }
      if (o.state !== 'issued') {
        const d: BookingDifference = { bookOrderId: o.bookingNo, plate: o.plate, kind: 'not_issued_but_open_at_lot', detail: `ParkPay's booking is ${o.state}${o.releasedReason ? ` (${o.releasedReason})` : ''} but open at the lot` };
        differences.push(d);
        notes.set(o.bookingNo, { issue: d.kind });
        continue;
      }
      const mismatches = bookingMismatches(o, l);
      if (inTime) admitted++;
      if (mismatches.length) {
        differences.push({ bookOrderId: o.bookingNo, plate: o.plate, kind: 'mismatch', detail: mismatches.join('; ') });
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
      const d: BookingDifference = { bookOrderId: o.bookingNo, plate: o.plate, kind: 'missing_at_lot', detail: `issued ${o.issuedAt ? formatChinaTime(o.issuedAt) : ''} for ${formatChinaTime(o.letInStart)}–${formatChinaTime(o.letInEnd)}, but the lot does not list it` };
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
