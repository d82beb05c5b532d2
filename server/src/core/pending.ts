/**
 * Background work of invoices and messages: which records have something due, and when. The records stay
 * the truth of their own state; an item only says "look at this record at `due`", and the handler of its
 * kind looks, does what is due, and says when to look next (undefined: nothing left, the item goes).
 *
 * The shape is the work collection's (WorkQueue / WorkHandler: due, settle, process): when that collection
 * and its one job registry serve every kind, 'invoice' and 'message' become two more of its kinds and this
 * interface goes (repository/pending-work.ts and port/jobs/pending-worker.ts with it).
 */

export type PendingKind = 'invoice' | 'message';

export interface PendingItem {
  kind: PendingKind;
  /** The record's id. */
  ref: string;
  due: Date;
  /** Moves with every schedule: settle() acts only on the version it read. */
  v: number;
}

export interface PendingWork {
  /** The item exists and is due no later than `due` (an earlier due wins). */
  schedule(kind: PendingKind, ref: string, due: Date): Promise<void>;
  /** Items of these kinds due by `now`, earliest first. */
  due(kinds: PendingKind[], now: Date, limit: number): Promise<PendingItem[]>;
  /** After a look: the next due, or undefined (the item goes) — only when it is still the version read. */
  settle(item: PendingItem, next: Date | undefined): Promise<void>;
}

/** Looks at one record of its kind, does what is due, and says when to look next (undefined: nothing left). */
export interface PendingHandler {
  readonly kind: PendingKind;
  process(ref: string, owner: string): Promise<Date | undefined>;
}
