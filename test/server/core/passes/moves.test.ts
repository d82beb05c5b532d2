/** A pass purchase's table of states and moves, and the changes PassService builds from it. */
import * as changes from '../../../../server/src/core/passes/changes';
import { PURCHASE_MOVES, PURCHASE_STATES, type Extension } from '../../../../server/src/core/passes/model';
import { finalStates } from '../../../../server/src/core/state';

const now = new Date('2026-11-28T10:00:00Z');
const x: Extension = { before: [], areas: [{ areaId: 1, start: '2026-11-28', end: '2026-12-27' }], start: '2026-11-28', end: '2026-12-27', plannedAt: now };

describe('pass purchase moves', () => {
  it('names every state', () => {
    expect(Object.keys(PURCHASE_MOVES).sort()).toEqual([...PURCHASE_STATES].sort());
  });

  it('ends active or refunded: a closed purchase is paid after all when its money comes late', () => {
    expect(finalStates(PURCHASE_MOVES).sort()).toEqual(['active', 'refunded']);
    expect(PURCHASE_MOVES.closed).toContain('extending');
  });

  it('allows every move the service makes', () => {
    const made = [
      changes.closed(now),
      changes.paid(now),
      changes.refunded('refused', now),
      changes.planned(x, now),
      changes.accepted(x, '2026-12-27', now),
      changes.renewalRestored(x, '2027-01-27', now),
      changes.restoreTries(2),
    ];
    expect(made.map((c) => `${c.from.join('|')}→${c.to ?? '(same)'}`)).toEqual([
      'awaiting_payment→closed',
      'awaiting_payment|closed→extending',
      'awaiting_payment|extending→refunded',
      'extending→(same)',
      'extending→active',
      'active→(same)',
      'active→(same)',
    ]);
  });
});
