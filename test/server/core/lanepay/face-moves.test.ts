/** A face-to-face payment's table of states and moves, and the changes FaceToFaceService builds from it. */
import * as changes from '../../../../server/src/core/lanepay/face-changes';
import { FACE_MOVES, FACE_STATES, faceDue, type FaceCancel, type FacePayment } from '../../../../server/src/core/lanepay/face-to-face-model';
import { finalStates } from '../../../../server/src/core/state';

const now = new Date('2026-11-29T10:00:00Z');
const cancel: FaceCancel = { reason: '4.26', requestedAt: now, attempts: 0, nextAttemptAt: now };
const paid = { transactionId: 'tx', paidFen: 500, paidAt: now, userId: '' };

describe('face-to-face payment moves', () => {
  it('names every state', () => {
    expect(Object.keys(FACE_MOVES).sort()).toEqual([...FACE_STATES].sort());
  });

  it('ends cancelled, where the job stops looking (as it does at a refusal, which a new code may retry)', () => {
    expect(finalStates(FACE_MOVES)).toEqual(['cancelled']);
    for (const status of ['cancelled', 'failed'] as const) expect(faceDue({ status, deadline: now } as FacePayment)).toBeUndefined();
  });

  it('allows every move the service makes', () => {
    const p = { attempt: 1 };
    const made = [
      changes.newAttempt(p, { provider: 'wechat', codeHash: 'h', paymentNo: 'F2', deadline: now, chargeLeaseUntil: now }, now),
      changes.settled(p, { status: 'paid', payment: paid }, false, now),
      changes.settled(p, { status: 'cancelling', payment: paid, cancel: { ...cancel, reason: 'amount' } }, false, now),
      changes.settled(p, { status: 'waiting', nextQueryAt: now }, false, now),
      changes.settled(p, { status: 'failed', failure: { code: 'X', message: 'no' } }, true, now),
      changes.queryReleased(),
      ...(['charging', 'waiting', 'paid'] as const).map((s) => changes.cancelRequested(p, s, cancel, now)),
      changes.cancelled(true, now),
      changes.cancelLater('timeout', now, now),
      changes.reported(now),
    ];
    expect(made.map((c) => c.to ?? '(same)')).toEqual(['charging', 'paid', 'cancelling', 'waiting', 'failed', '(same)', 'cancelling', 'cancelling', 'cancelling', 'cancelled', '(same)', '(same)']);
    expect(changes.settled(p, { status: 'failed', failure: { code: 'X', message: 'no' } }, true, now).set).toMatchObject({ chargeLeaseUntil: null, queryLeaseUntil: null });
  });
});
