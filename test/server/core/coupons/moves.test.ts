/** A coupon's table of states and moves, and the changes CouponService builds from it. */
import * as changes from '../../../../server/src/core/coupons/changes';
import { COUPON_MOVES, COUPON_STATES, couponDue } from '../../../../server/src/core/coupons/model';
import { finalStates } from '../../../../server/src/core/state';

const now = new Date('2026-11-28T10:00:00Z');

describe('coupon moves', () => {
  it('names every state', () => {
    expect(Object.keys(COUPON_MOVES).sort()).toEqual([...COUPON_STATES].sort());
  });

  it('ends at_lot, refused, used at the exit or revoked, where redelivery stops', () => {
    expect(finalStates(COUPON_MOVES).sort()).toEqual(['at_lot', 'refused', 'revoked', 'used_at_exit']);
    for (const status of finalStates(COUPON_MOVES)) expect(couponDue({ status, nextAttemptAt: now })).toBeUndefined();
    for (const status of COUPON_STATES.filter((s) => !finalStates(COUPON_MOVES).includes(s))) expect(couponDue({ status, nextAttemptAt: now })).toEqual(now);
  });

  it('allows every move the service makes', () => {
    const made = [
      changes.claimDelivery('unconfirmed', now, now),
      changes.claimDelivery('issuing', now, now, now),
      changes.delivered({ outcome: 'at_lot' }, undefined, now),
      changes.delivered({ outcome: 'refused', reason: 'no' }, undefined, now),
      changes.delivered({ outcome: 'unconfirmed', reason: 'timeout' }, now, now),
      changes.stopRedelivery('unconfirmed', 'expired', now),
      changes.revoked('op1', now),
      changes.usedAtExit({ outTradeNo: 'OT1', fen: 100, at: now }, now),
      changes.fixedAnswered(now),
    ];
    expect(made.map((c) => `${c.from.join('|')}→${c.to ?? '(same)'}`)).toEqual([
      'unconfirmed→issuing',
      'issuing→issuing',
      'issuing→at_lot',
      'issuing→refused',
      'issuing→unconfirmed',
      'unconfirmed→(same)',
      'unconfirmed→revoked',
      'unconfirmed→used_at_exit',
      'issuing→at_lot',
    ]);
  });

  it('stops redelivery of an unconfirmed coupon with no next attempt left', () => {
    expect(changes.delivered({ outcome: 'unconfirmed', reason: 'timeout' }, undefined, now).set).toEqual({ lastError: 'timeout', clear: ['nextAttemptAt'], updatedAt: now });
    expect(changes.claimDelivery('unconfirmed', now, now).set.countAttempt).toBe(true);
  });
});
