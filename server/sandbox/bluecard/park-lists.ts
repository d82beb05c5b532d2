/**
 * What a sandbox park knows of plates before they come: the whitelist (monthly passes, 4.9 and the lot's
 * own), the blacklist, and the bookings (4.18). They decide a car's type at the entry and the stretches of
 * a stay a pass makes free.
 */
import type { Clock } from '../../src/core/clock';
import type { WhiteEntry } from '../../../shared/bluecard';
import { normalizePlate } from '../../../shared/plate';
import { formatChinaDate, formatChinaTime, parseChinaTime } from '../../../shared/time';
import type { BlackRecord, BookingRecord, BookingRefusal, CarType, WhiteRecord } from './park-model';

const DAY = 24 * 60 * 60_000;

/** White and black lists and bookings of one park. */
export class ParkLists {
  readonly white = new Map<string, WhiteRecord>();
  readonly black = new Map<string, BlackRecord>();
  readonly bookings = new Map<string, BookingRecord>();
  /** Control: the next 4.18 flag-1 calls (of one plate, or any) are refused with this errorCode. */
  readonly bookingRefusals: BookingRefusal[] = [];

  private fixedIdSeq = 0;

  constructor(private readonly clock: Clock) {}

  /** The online or offline whitelist entry valid for this plate today (and in this area when it says). */
  validWhite(plate: string, areaId: number, at = this.clock.now()): WhiteRecord | undefined {
    const w = this.white.get(normalizePlate(plate));
    if (!w) return undefined;
    const today = formatChinaDate(at);
    const within = (start: string, end: string) => (start === '' || start <= today) && (end === '' || today <= end);
    if (!within(w.entry.start, w.entry.end)) return undefined;
    const perArea = w.entry.areasAndValidity;
    if (perArea.length > 0 && !perArea.some((a) => a.areaId === areaId && within(a.start, a.end))) return undefined;
    return w;
  }

  /** An open booking of this plate whose let-in window holds `at`. */
  bookingToLetIn(plate: string, areaId: number, at = this.clock.now()): BookingRecord | undefined {
    const key = normalizePlate(plate);
    const t = formatChinaTime(at);
    return [...this.bookings.values()].find(
      (b) =>
        !b.cancelled &&
        !b.completed &&
        b.orderId === undefined &&
        normalizePlate(b.booking.plate) === key &&
        (b.booking.areaId === '0' || b.booking.areaId === String(areaId)) &&
        b.booking.letInStartTime <= t &&
        t <= b.booking.letInEndTime,
    );
  }

  /** The car type a plate would get entering this area now. */
  carTypeFor(plate: string, areaId: number): CarType {
    if (plate === '') return '临时车';
    if (this.validWhite(plate, areaId)) return '固定车';
    if (this.bookingToLetIn(plate, areaId)) return '预约车';
    return '临时车';
  }

  /**
   * The stretches of [from, to] a monthly pass (whitelist entry) covers for a car in `areaId`: from the
   * first day of its validity 00:00 (and not before the lot had the entry) to the last day's end; with
   * per-area validity, only that area's rows count (and the entry's own dates still bound them).
   */
  passCover(plate: string, areaId: number, from: number, to: number): [number, number][] {
    if (plate === '' || to <= from) return [];
    const w = this.white.get(normalizePlate(plate));
    if (!w) return [];
    const dayStart = (d: string) => (d === '' ? -Infinity : parseChinaTime(`${d} 00:00:00`).getTime());
    const dayEnd = (d: string) => (d === '' ? Infinity : parseChinaTime(`${d} 00:00:00`).getTime() + DAY);
    const safe = (f: () => number, fallback: number) => {
      try {
        return f();
      } catch {
        return fallback;
      }
    };
    const entryFrom = Math.max(w.addedAt, safe(() => dayStart(w.entry.start), Infinity));
    const entryTo = safe(() => dayEnd(w.entry.end), -Infinity);
    const rows = w.entry.areasAndValidity.length === 0 ? [{ start: '', end: '' }] : w.entry.areasAndValidity.filter((a) => a.areaId === areaId);
    const cover: [number, number][] = [];
    for (const r of rows) {
      const a = Math.max(from, entryFrom, safe(() => dayStart(r.start), Infinity));
      const b = Math.min(to, entryTo, safe(() => dayEnd(r.end), -Infinity));
      if (a < b) cover.push([a, b]);
    }
    return cover;
  }

  /** How much of [from, to] no pass of this plate covers in this area (ms). */
  uncoveredMs(plate: string, areaId: number, from: number, to: number): number {
    const cover = this.passCover(plate, areaId, from, to).sort((x, y) => x[0] - y[0]);
    let covered = 0;
    let reach = from;
    for (const [a, b] of cover) {
      const start = Math.max(a, reach);
      if (b > start) {
        covered += b - start;
        reach = b;
      }
    }
    return Math.max(0, to - from - covered);
  }

  isBlack(plate: string): boolean {
    return plate !== '' && this.black.has(normalizePlate(plate));
  }

  upsertWhite(entry: WhiteEntry, source: '1' | '2'): WhiteRecord {
    const k = normalizePlate(entry.plate);
    const existing = this.white.get(k);
    const record: WhiteRecord = {
      entry: { ...entry, areasAndValidity: entry.areasAndValidity.map((a) => ({ ...a })) },
      source,
      fixedId: existing?.fixedId ?? ++this.fixedIdSeq,
      addedAt: existing?.addedAt ?? this.clock.now(),
      updatedAt: this.clock.now(),
    };
    this.white.set(k, record);
    return record;
  }

  /** Bookings still holding a space: not cancelled, not used, not over. */
  openBookingsIn(areaId: string, at = this.clock.now()): BookingRecord[] {
    const nowText = formatChinaTime(at);
    return [...this.bookings.values()].filter(
      (b) => !b.cancelled && !b.completed && b.orderId === undefined && b.booking.areaId === areaId && b.booking.end >= nowText,
    );
  }
}
