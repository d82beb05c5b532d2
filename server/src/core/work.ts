/**
 * Pending work: one small collection that says which records have something due, and when. The records
 * (orders, bookings, coupons, lane deductions, booth payments) stay the truth of their own state; a work
 * item only says "look at this record at `due`". Pollers read the work collection alone, so a poll costs the
 * same with 1,000 or 1,000,000 records stored, and done work leaves it.
 *
 * How items stay right without transactions (repository/work.ts implements it):
 *  - A record that has work (an order not yet delivered, closed or refunded…) always has its item: the item
 *    is written when the record is created, before any money can move, and only removed once the record is
 *    seen finished.
 *  - A write that gives a finished record new work (a late payment on a closed order, a refund of a delivered
 *    one) first *holds* the item: it exists, is due now, and no poller looks at it until the hold lapses.
 *    A poller that read the record finished just before cannot remove it then: every schedule or hold moves
 *    the item's version, and a poller removes or moves only the version it read.
 *  - Other writes may move an item earlier (never later): the poller, which reads the record itself,
 *    decides the next due from what it read.
 * A crash between a record's write and its item's leaves an item that is due too early (a look that finds
 * nothing to do) or the item as it was (the work is found at the item's due, at the latest when the record
 * expires) — never work without an item.
 */

/** What the item points at (its `ref` is the record's id). */
export type WorkKind = 'order' | 'booking' | 'coupon' | 'deduction' | 'face' | 'pass_restore';

/** A due item as a poller sees it. */
export interface WorkItem {
  kind: WorkKind;
  /** The record's id: orderNo, bookingNo, couponCode, deduction id, booth payment id. */
  ref: string;
  due: Date;
  /** Moves with every schedule and hold: settle() acts only on the version it read. */
  v: number;
}

/** What pollers use (implemented in repository/work.ts). */
export interface WorkQueue {
  /** Items of these kinds due by `now`, earliest first, that nobody holds. */
  due(kinds: WorkKind[], now: Date, limit: number): Promise<WorkItem[]>;
  /**
   * After a look at the record: its next due, or undefined when it has nothing left to do (the item goes).
   * Applied only when the item is still the version read; otherwise someone scheduled it meanwhile and it is
   * looked at again.
   */
  settle(item: WorkItem, next: Date | undefined): Promise<void>;
}

/** Looks at one record of its kind, does what is due, and says when to look next (undefined: nothing left). */
export interface WorkHandler {
  readonly kind: WorkKind;
  process(ref: string, owner: string): Promise<Date | undefined>;
}

/** The earlier of two dues (undefined: none). */
export function earliest(...dues: (Date | undefined | null)[]): Date | undefined {
  let best: Date | undefined;
  for (const d of dues) if (d && (!best || d.getTime() < best.getTime())) best = d;
  return best;
}

/** The later of two times (a due that must wait for a lease). */
export function latest(...times: (Date | undefined | null)[]): Date | undefined {
  let best: Date | undefined;
  for (const d of times) if (d && (!best || d.getTime() > best.getTime())) best = d;
  return best;
}
