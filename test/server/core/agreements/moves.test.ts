/** An agreement's table of states and moves, and the changes AgreementService builds from it. */
import * as changes from '../../../../server/src/core/agreements/changes';
import type { AgreementState } from '../../../../server/src/core/agreements/gateways';
import { AGREEMENT_MOVES, AGREEMENT_STATES, type AgreementRecord } from '../../../../server/src/core/agreements/model';
import { finalStates } from '../../../../server/src/core/state';

const now = new Date('2026-11-28T10:00:00Z');
const record = (state: AgreementState): AgreementRecord => ({
  id: 'agr_1',
  driverId: 'd1',
  plate: '京A12345',
  plateKey: '京A12345',
  provider: 'alipay',
  state,
  signNo: 'S1',
  payer: { userId: 'u1' },
  createdAt: now,
  updatedAt: now,
});

describe('agreement moves', () => {
  it('names every state, and none is final: an ended plate may be signed up again', () => {
    expect(Object.keys(AGREEMENT_MOVES).sort()).toEqual([...AGREEMENT_STATES].sort());
    expect(finalStates(AGREEMENT_MOVES)).toEqual([]);
  });

  it('allows every move the service makes, each within the record’s sign-up round', () => {
    const made = [
      changes.newRound(record('ended'), { signNo: 'S2', payer: { userId: 'u1' }, plate: '京A12345', scope: { kind: 'all' } }, now),
      changes.scopeChosen(record('signing'), { kind: 'all' }, now),
      changes.endedByDriver(record('active'), now),
    ];
    for (const from of AGREEMENT_STATES) {
      for (const state of [...AGREEMENT_STATES, 'none'] as const) made.push(changes.providerSaid(record(from), { state }, undefined, now));
    }
    for (const c of made) expect(c.when).toEqual({ signNo: 'S1' });
    expect(made[0]).toMatchObject({ from: ['ended'], to: 'signing', set: { signNo: 'S2', clear: ['agreementNo', 'signedAt', 'endedAt', 'reason'] } });
  });

  it('keeps what the provider says: no agreement there ends a live one, and leaves a round still signing', () => {
    expect(changes.providerSaid(record('active'), { state: 'none' }, undefined, now)).toMatchObject({ to: 'ended', set: { endedAt: now } });
    expect(changes.providerSaid(record('signing'), { state: 'none' }, undefined, now).to).toBeUndefined();
    expect(changes.providerSaid(record('paused'), { state: 'active', agreementNo: 'AN1' }, { userId: 'u2' }, now)).toMatchObject({
      to: 'active',
      set: { agreementNo: 'AN1', signedAt: now, payer: { userId: 'u2' }, clear: ['endedAt', 'reason'] },
    });
  });
});
