/** A lane deduction's table of states and moves (and its refund's), and the changes the lane and the refund job build. */
import {
  DEDUCTION_MOVES,
  DEDUCTION_STATES,
  REFUND_MOVES,
  REFUND_STATES,
  type DeductionChange,
} from '../../../../server/src/core/lanepay/channel-pay-model';
import * as changes from '../../../../server/src/core/lanepay/deduction-changes';
import { decide } from '../../../../server/src/core/lanepay/deduction-decide';
import { finalStates } from '../../../../server/src/core/state';

const now = new Date('2026-11-29T10:00:00Z');
const pay = { transactionId: 'TX1', paidFen: 400, paidAt: now };
const fail = { code: 'refused' as const, reason: 'no' };

describe('lane deduction moves', () => {
  it('names every state of the deduction and of its refund', () => {
    expect(Object.keys(DEDUCTION_MOVES).sort()).toEqual([...DEDUCTION_STATES].sort());
    expect(Object.keys(REFUND_MOVES).sort()).toEqual([...REFUND_STATES].sort());
  });

  it('ends paid — a repeat of the lot’s request is answered from the record — and a refund ends refunded or failed', () => {
    expect(finalStates(DEDUCTION_MOVES)).toEqual(['paid']);
    const paid = { id: 'p|OT1', amountFen: 400, state: 'paid' } as Parameters<typeof decide>[0];
    expect(decide(paid, { amountFen: 400, waitedOut: false }, now)).toMatchObject({ step: 'answer', outcome: { kind: 'secured' } });
    expect(finalStates(REFUND_MOVES).sort()).toEqual(['failed', 'refunded']);
  });

  it('allows every move the lane and the refund job make', () => {
    const made: [string, DeductionChange][] = [
      ['takenOver', changes.takenOver('w1', now, now)],
      ['retried', changes.retried('w1', now, now, now)],
      ['nextAttempt', changes.nextAttempt('w1', { tradeNo: 'TN2', agreementId: 'ag2', provider: 'wechat', driverId: 'd2' }, 2, now)],
      ['unanswered', changes.unanswered('w1', 'timeout', now)],
      ['gaveUp', changes.gaveUp('w1', { code: 'no_agreement', reason: 'none' }, now)],
      ['paidAndCollected', changes.paidAndCollected('TN1', pay, '4.16', now)],
      ['paid (lane)', changes.paid(DEDUCTION_STATES, 'TN1', pay, now, { endsClaim: true, checkAt: now })],
      ['paid (provider)', changes.paid(['deducting', 'accepted', 'failed'], 'TN1', pay, now, { endsClaim: false })],
      ['accepted', changes.accepted('TN1', undefined, now)],
      ['refused', changes.refused('TN1', fail, now)],
      ['settledFailed', changes.settledFailed('TN1', fail, now)],
      ['collected', changes.collected('accepted', '4.27', now)],
      ['failAnswered', changes.failAnswered({ at: now, via: '4.16', code: 'x' }, now, now)],
      ['checkCleared', changes.checkCleared(now)],
      ['checkAgain', changes.checkAgain(now, now)],
      ['refundStarted', changes.refundStarted('TN1', { refundNo: 'R1', state: 'refunding', amountFen: 400, reason: 'r', startedAt: now, attempts: 0 }, now)],
      ['refundClaimed', changes.refundClaimed('w1', now, now)],
      ['refundAnswered', changes.refundAnswered('w1', 1, { kind: 'refunded' }, now)],
      ['refundAnswered', changes.refundAnswered('w1', 1, { kind: 'refused', failure: 'no' }, now)],
    ];
    expect(Object.fromEntries(made.map(([n, c]) => [n, c.to ?? '(same)']))).toMatchObject({
      retried: 'deducting',
      gaveUp: 'failed',
      paidAndCollected: 'paid',
      accepted: 'accepted',
      refused: 'failed',
      settledFailed: 'failed',
      takenOver: '(same)',
    });
  });

  it('makes the claim’s holder, the attempt or the refund’s lease holder the condition of their changes', () => {
    expect(changes.gaveUp('w1', fail, now).when).toEqual({ owner: 'w1' });
    expect(changes.paid(['failed'], 'TN1', pay, now, { endsClaim: false, checkAt: now }).when).toEqual({ tradeNo: 'TN1', notCollected: true });
    expect(changes.refundAnswered('w1', 1, { kind: 'pending', checkAt: now }, now).when).toEqual({ refundOwner: 'w1', refundStates: ['refunding'] });
  });
});
