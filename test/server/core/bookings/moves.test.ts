/** A booking's table of states and moves, and the changes BookingService builds from it. */
import * as changes from '../../../../server/src/core/bookings/changes';
import { BOOKING_MOVES, BOOKING_STATES, bookingDue, HOLDING_BOOKING, type Booking, type BookingCancel } from '../../../../server/src/core/bookings/model';
import { finalStates } from '../../../../server/src/core/state';

const now = new Date('2026-11-28T10:00:00Z');
const b = { activeKey: 'OF1|京A12345', bookingNo: 'BK1' };
const cancel: BookingCancel = { requestedAt: now, by: 'driver', refundFen: 0, reason: 'r', state: 'pending', attempts: 1, nextAttemptAt: now };

describe('booking moves', () => {
  it('names every state', () => {
    expect(Object.keys(BOOKING_MOVES).sort()).toEqual([...BOOKING_STATES].sort());
  });

  it('ends released or cancelled, where the job stops looking', () => {
    expect(finalStates(BOOKING_MOVES).sort()).toEqual(['cancelled', 'released']);
    for (const state of finalStates(BOOKING_MOVES)) {
      expect(HOLDING_BOOKING).not.toContain(state);
      expect(bookingDue({ state, cancel: { ...cancel, state: 'done' } } as Booking, now)).toBeUndefined();
    }
  });

  it('allows every move the service makes', () => {
    const made = [
      changes.offerHeld(),
      changes.held(now),
      changes.issued(now, now),
      changes.releasing('unpaid', now),
      changes.released(b, now),
      changes.cancelling(cancel, now),
      changes.cancelRetry('w1', now, 'timeout'),
      changes.cancelled(b, 'w1', { problem: 'refused' }, now),
    ];
    expect(made.map((c) => `${c.from.join('|')}→${c.to ?? '(same)'}`)).toEqual([
      'reserving→(same)',
      'reserving→held',
      'held|reserving→issued',
      'reserving|held→releasing',
      'releasing→released',
      'issued→cancelling',
      'cancelling→(same)',
      'cancelling→cancelled',
    ]);
  });

  it('ends the active key and the cancellation lease when a booking ends', () => {
    expect(changes.released(b, now).set.activeKey).toBe('OF1|京A12345|BK1');
    expect(changes.cancelled(b, 'w1', { acknowledgedAt: now }, now)).toMatchObject({
      when: { cancelLeaseOwner: 'w1' },
      set: { activeKey: 'OF1|京A12345|BK1', cancel: { state: 'done', lotAcknowledgedAt: now, lotProblem: null, lastError: null, leaseUntil: null } },
    });
  });
});
