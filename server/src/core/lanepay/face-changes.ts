/**
 * The changes FaceToFaceService makes to a face-to-face payment, each checked against FACE_MOVES when
 * built; the repository applies one as a single conditional write (core/state.ts).
 */
import { change } from '../state';
import { FACE_MOVES, FACE_STATES, type FaceCancel, type FaceChange, type FacePaid, type FacePatch, type FacePayment, type FaceStatus } from './face-to-face-model';

const move = (c: FaceChange): FaceChange => change('face-to-face payment', FACE_MOVES, c);

/** A new code after a refusal: a new attempt, claimed from exactly that refusal. */
export const newAttempt = (
  p: Pick<FacePayment, 'attempt'>,
  next: Pick<FacePayment, 'provider' | 'codeHash' | 'paymentNo' | 'deadline' | 'chargeLeaseUntil'>,
  now: Date,
): FaceChange =>
  move({ from: ['failed'], to: 'charging', set: { ...next, attempt: p.attempt + 1, clear: ['failure', 'nextQueryAt'], updatedAt: now }, when: { attempt: p.attempt } });

/** What the provider said of an open payment's charge (or of a query, `endsQuery`: its lease ends). */
export type Settled =
  | { status: 'paid'; payment: FacePaid }
  /** Paid another amount than asked: given back. */
  | { status: 'cancelling'; payment: FacePaid; cancel: FaceCancel }
  | { status: 'waiting'; nextQueryAt?: Date }
  | { status: 'failed'; failure: { code: string; message: string } };

export function settled(p: Pick<FacePayment, 'attempt'>, s: Settled, endsQuery: boolean, now: Date): FaceChange {
  const base: FacePatch = { updatedAt: now, chargeLeaseUntil: null, ...(endsQuery ? { queryLeaseUntil: null } : {}) };
  const { status, ...rest } = s;
  return move({ from: ['charging', 'waiting'], to: status, set: { ...base, ...rest }, when: { attempt: p.attempt } });
}

/** A query's lease let go (the payment had moved on meanwhile). */
export const queryReleased = (): FaceChange => move({ from: FACE_STATES, set: { queryLeaseUntil: null } });

/** → cancelling, from the state it was seen in (open or paid), while its attempt is the same. */
export const cancelRequested = (p: Pick<FacePayment, 'attempt'>, from: FaceStatus, cancel: FaceCancel, now: Date): FaceChange =>
  move({ from: [from], to: 'cancelling', set: { cancel, updatedAt: now }, when: { attempt: p.attempt } });

/** The provider reversed / cancelled it (`refunded`: whether it had taken the money, when known). */
export const cancelled = (refunded: boolean | undefined, now: Date): FaceChange =>
  move({
    from: ['cancelling'],
    to: 'cancelled',
    set: { cancel: { doneAt: now, leaseUntil: null, clear: ['lastError'], ...(refunded !== undefined ? { refunded } : {}) }, updatedAt: now },
  });

/** Not done yet: the next cancel attempt at `nextAttemptAt`. */
export const cancelLater = (error: string, nextAttemptAt: Date, now: Date): FaceChange =>
  move({ from: ['cancelling'], set: { cancel: { leaseUntil: null, lastError: error, nextAttemptAt }, updatedAt: now } });

/** Bluecard got the payment (4.24 / 4.25 success answer). */
export const reported = (now: Date): FaceChange => move({ from: ['paid'], set: { reportedAt: now } });
