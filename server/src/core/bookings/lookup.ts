/**
 * Bookings as 4.28 open-gate sees them (BookingLookup of core/lanepay/open-gate.ts): the let-in windows of a
 * park's issued bookings (paid, acknowledged by the lot, not cancelled, the car not in on it yet) that have
 * not ended, and a change notice after every booking issued, cancelled or used. Needs only the booking
 * repository, so it can be made before the order and booking services (the open-gate rules want it first).
 */
import type { BookingLookup, LetInWindow } from '../lanepay/open-gate';
import type { BookingRepository } from './model';

export class BookingWindows implements BookingLookup {
  private readonly listeners: ((parkNumber: string) => Promise<void>)[] = [];

  constructor(private readonly bookings: Pick<BookingRepository, 'letInWindows'>) {}

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
