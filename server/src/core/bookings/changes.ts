/**
 * The changes BookingService makes to a booking, each checked against BOOKING_MOVES when built; the
 * repository applies one as a single conditional write (core/state.ts).
 */
import { change } from '../state';
import { BOOKING_MOVES, type Booking, type BookingCancel, type BookingChange } from './model';

const move = (c: BookingChange): BookingChange => change('booking', BOOKING_MOVES, c);

/** An ended booking lets go of its active key, so the plate may book the offer again. */
const endedKey = (b: Pick<Booking, 'activeKey' | 'bookingNo'>) => `${b.activeKey}|${b.bookingNo}`;

/** The offer's place was taken for a booking still reserving. */
export const offerHeld = (): BookingChange => move({ from: ['reserving'], set: { holds: { offer: true } } });

/** Its holds are taken and its order made: it waits for the payment. */
export const held = (now: Date): BookingChange => move({ from: ['reserving'], to: 'held', set: { updatedAt: now } });

/** The lot acknowledged 4.18 flag 1 (at `issuedAt`). */
export const issued = (issuedAt: Date, now: Date): BookingChange => move({ from: ['held', 'reserving'], to: 'issued', set: { issuedAt, updatedAt: now } });

/** Claimed for giving its holds back: only the caller whose write applied gives them. */
export const releasing = (reason: string, now: Date): BookingChange =>
  move({ from: ['reserving', 'held'], to: 'releasing', set: { releasedReason: reason, updatedAt: now } });

export const released = (b: Pick<Booking, 'activeKey' | 'bookingNo'>, now: Date): BookingChange =>
  move({ from: ['releasing'], to: 'released', set: { activeKey: endedKey(b), updatedAt: now } });

/** An issued booking being cancelled, its first attempt leased to the caller (`cancel.leaseOwner`). */
export const cancelling = (cancel: BookingCancel, now: Date): BookingChange => move({ from: ['issued'], to: 'cancelling', set: { cancel, updatedAt: now } });

/** The lease holder's attempt at flag 0 failed: the next one at `nextAttemptAt`; the lease ends. */
export const cancelRetry = (owner: string, nextAttemptAt: Date, error: string): BookingChange =>
  move({ from: ['cancelling'], set: { cancel: { nextAttemptAt, lastError: error, leaseUntil: null } }, when: { cancelLeaseOwner: owner } });

/** The lease holder's cancellation is done (the lot acknowledged, refused, or could not be told); the lease ends. */
export const cancelled = (
  b: Pick<Booking, 'activeKey' | 'bookingNo'>,
  owner: string,
  lot: { acknowledgedAt?: Date; problem?: string },
  now: Date,
): BookingChange =>
  move({
    from: ['cancelling'],
    to: 'cancelled',
    set: {
      activeKey: endedKey(b),
      cancel: { state: 'done', lotAcknowledgedAt: lot.acknowledgedAt ?? null, lotProblem: lot.problem ?? null, lastError: null, leaseUntil: null },
      updatedAt: now,
    },
    when: { cancelLeaseOwner: owner },
  });
