/**
 * The changes CouponService makes to a coupon, each checked against COUPON_MOVES when built; the repository
 * applies one as a single conditional write (core/state.ts).
 */
import { change } from '../state';
import { COUPON_MOVES, type Coupon, type CouponChange, type CouponDelivery, type CouponStatus } from './model';

const move = (c: CouponChange): CouponChange => change('coupon', COUPON_MOVES, c);

/**
 * Take a coupon for a 4.23 call: one more attempt, leased until `leaseUntil`. From `from` (an unconfirmed
 * coupon, or one stuck issuing), only when due by `dueBy` if given.
 */
export const claimDelivery = (from: CouponStatus, leaseUntil: Date, now: Date, dueBy?: Date): CouponChange =>
  move({ from: [from], to: 'issuing', set: { nextAttemptAt: leaseUntil, countAttempt: true, updatedAt: now }, ...(dueBy ? { when: { dueBy } } : {}) });

/** What the 4.23 call came to; an unconfirmed coupon is sent again at `retryAt` (none: no more). */
export function delivered(result: CouponDelivery, retryAt: Date | undefined, now: Date): CouponChange {
  if (result.outcome === 'at_lot') return move({ from: ['issuing'], to: 'at_lot', set: { clear: ['nextAttemptAt', 'lastError'], updatedAt: now } });
  if (result.outcome === 'refused') return move({ from: ['issuing'], to: 'refused', set: { refusal: result.reason, clear: ['nextAttemptAt'], updatedAt: now } });
  return move({
    from: ['issuing'],
    to: 'unconfirmed',
    set: { lastError: result.reason, ...(retryAt ? { nextAttemptAt: retryAt } : { clear: ['nextAttemptAt'] }), updatedAt: now },
  });
}

/** No more redeliveries of a due coupon (expired, or the car left), and why. */
export const stopRedelivery = (from: CouponStatus, why: string, now: Date): CouponChange =>
  move({ from: [from], set: { lastError: why, clear: ['nextAttemptAt'], updatedAt: now }, when: { dueBy: now } });

/** An operator takes back a coupon the lot never confirmed. */
export const revoked = (by: string, now: Date): CouponChange =>
  move({ from: ['unconfirmed'], to: 'revoked', set: { revoked: { at: now, by }, clear: ['nextAttemptAt'], updatedAt: now } });

/** A money coupon the lot never confirmed, taken off this exit's fee (4.13). */
export const usedAtExit = (usedAtExit: NonNullable<Coupon['usedAtExit']>, now: Date): CouponChange =>
  move({ from: ['unconfirmed'], to: 'used_at_exit', set: { usedAtExit, clear: ['nextAttemptAt'], updatedAt: now } });

/** A fixed code's coupon, answered to the lot in 4.24's discountContent. */
export const fixedAnswered = (now: Date): CouponChange => move({ from: ['issuing'], to: 'at_lot', set: { updatedAt: now } });
