/**
 * The changes PassService makes to a purchase, each checked against PURCHASE_MOVES when built; the
 * repository applies one as a single conditional write (core/state.ts).
 */
import { change } from '../state';
import { PURCHASE_MOVES, type Extension, type PurchaseChange } from './model';

const move = (c: PurchaseChange): PurchaseChange => change('pass purchase', PURCHASE_MOVES, c);

/** Its order closed unpaid, or the park had no place left for it. */
export const closed = (now: Date): PurchaseChange => move({ from: ['awaiting_payment'], to: 'closed', set: { updatedAt: now } });

/** Paid (also after its order had closed): its 4.6 is to be written. */
export const paid = (now: Date): PurchaseChange => move({ from: ['awaiting_payment', 'closed'], to: 'extending', set: { updatedAt: now } });

/** Its order is being refunded, or was, before the lot accepted. */
export const refunded = (reason: string, now: Date): PurchaseChange =>
  move({ from: ['awaiting_payment', 'extending'], to: 'refunded', set: { refundReason: reason, updatedAt: now } });

/** The dates to send the lot, planned from what it has now. */
export const planned = (extension: Extension, now: Date): PurchaseChange => move({ from: ['extending'], set: { extension, updatedAt: now } });

/** The lot accepted the extension: the pass is valid to `validTo`. */
export const accepted = (extension: Extension, validTo: string, now: Date): PurchaseChange =>
  move({ from: ['extending'], to: 'active', set: { extension, validTo, updatedAt: now } });

/** A booth renewal our extension had overwritten, put back on top of it. */
export const renewalRestored = (extension: Extension, validTo: string, now: Date): PurchaseChange =>
  move({ from: ['active'], set: { extension, validTo, updatedAt: now } });

/** Tries of putting booth renewals back so far (0: none pending). */
export const restoreTries = (tries: number): PurchaseChange => move({ from: ['active'], set: { restoreTries: tries } });
