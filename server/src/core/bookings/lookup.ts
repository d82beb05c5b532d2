/**
 * Bookings as 4.28 open-gate sees them (BookingLookup of core/lanepay/open-gate.ts): the let-in windows of a
 * park's issued bookings (paid, acknowledged by the lot, not cancelled, the car not in on it yet) that have
 * not ended, a change notice after every booking issued, cancelled or used, and the admissions 4.28 makes
 * (recorded through the booking service once it is connected). Needs only the booking repository, so it can
 * be made before the order and booking services (the open-gate rules want it first).
 */
import type { BookingLookup, LetInWindow } from '../lanepay/open-gate';
import type { BookingRepository } from './model';

export class BookingWindows implements BookingLookup {
  private readonly listeners: ((parkNumber: string) => Promise<void>)[] = [];
  private recorder?: (bookingNo: string, at: Date) => Promise<boolean>;

  constructor(private readonly bookings: Pick<BookingRepository, 'letInWindows'>) {}

  /**
   * Where 4.28's admissions are recorded (BookingService.markAdmitted): given once the booking service
   * exists, which is after the open-gate rules are made.
   */
  recordAdmissionsWith(recorder: (bookingNo: string, at: Date) => Promise<boolean>): void {
    this.recorder = recorder;
  }

  /** 4.28 opened the gate for this booking at `at`: it is used (BookingLookup.admitted). */
  async admitted(bookOrderId: string, at: Date): Promise<boolean> {
    if (!this.recorder) throw new Error('bookings are not connected yet: the admission cannot be recorded');
    return this.recorder(bookOrderId, at);
  }

  async letInWindows(parkNumber: string, now: Date): Promise<LetInWindow[]> {
    const list = await this.bookings.letInWindows(parkNumber, now);
    return list
      .filter((b) => b.state === 'issued' && !b.admittedAt && b.letInEnd >= now)
      .map((b) => ({ bookOrderId: b.bookingNo, plateKey: b.plateKey, start: b.letInStart.getTime(), end: b.letInEnd.getTime() }));
  }

  onChange(listener: (parkNumber: string) => Promise<void>): void {
    this.listeners.push(listener);
  }

  /** Tell the listeners (the open-gate index) that a park's bookings changed; resolves when they have it. */
  async changed(parkNumber: string): Promise<void> {
    await Promise.all(this.listeners.map((l) => l(parkNumber).catch(() => undefined)));
  }
}
