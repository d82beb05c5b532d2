/** An invoice's table of states and moves, and the changes InvoicingService builds from it. */
import * as changes from '../../../../server/src/core/invoicing/changes';
import { INVOICE_MOVES, INVOICE_STATES, type InvoiceChange } from '../../../../server/src/core/invoicing/model';
import { finalStates, IllegalMove } from '../../../../server/src/core/state';

const now = new Date('2026-12-05T10:00:00Z');
const title = { type: 'personal' as const, name: '张三' };
const link = { url: 'https://t', miniprogram: { appId: 'wx1', path: 'p' }, expiresAt: now };

describe('invoice moves', () => {
  it('names every state, and ends reversed or cancelled', () => {
    expect(Object.keys(INVOICE_MOVES).sort()).toEqual([...INVOICE_STATES].sort());
    expect(finalStates(INVOICE_MOVES).sort()).toEqual(['cancelled', 'reversed']);
  });

  it('allows every move the service makes', () => {
    const made: [string, InvoiceChange][] = [
      ['titlePageRenewed', changes.titlePageRenewed(link, now)],
      ['cancelledByDriver', changes.cancelledByDriver(now)],
      ['resent (fapiao)', changes.resent('issuing', 'op', now)],
      ['resent (reversal)', changes.resent('reversing', 'op', now)],
      ['titleFilled', changes.titleFilled('w1', title, now)],
      ['titleLapsed', changes.titleLapsed('w1', now)],
      ['reversalDue', changes.reversalDue('w1', [], 'N1', now)],
      ['refundedInFull (no fapiao)', changes.refundedInFull('w1', false, now)],
      ['refundedInFull (after a reversal)', changes.refundedInFull('w1', true, now)],
      ['refused (fapiao)', changes.refused('w1', 'issuing', 'no', 'x', now)],
      ['refused (reversal)', changes.refused('w1', 'reversing', 'no', 'x', now)],
      ['issued', changes.issued('w1', [], 'N1', now)],
      ['reversed (something left)', changes.reversed('w1', [], 100, now)],
      ['reversed (nothing left)', changes.reversed('w1', [], 0, now)],
    ];
    expect(made.map(([n, c]) => `${n}: ${c.from.join('|')}→${c.to ?? '(same)'}`)).toEqual([
      'titlePageRenewed: awaiting_title→(same)',
      'cancelledByDriver: awaiting_title|failed→cancelled',
      'resent (fapiao): failed→issuing',
      'resent (reversal): failed→reversing',
      'titleFilled: awaiting_title→issuing',
      'titleLapsed: awaiting_title→cancelled',
      'reversalDue: issued→reversing',
      'refundedInFull (no fapiao): issuing→cancelled',
      'refundedInFull (after a reversal): issuing→reversed',
      'refused (fapiao): issuing→failed',
      'refused (reversal): reversing→failed',
      'issued: issuing→issued',
      'reversed (something left): reversing→issuing',
      'reversed (nothing left): reversing→reversed',
    ]);
  });

  it('refuses a move the table does not allow', () => {
    expect(() => changes.refused('w1', 'issued' as 'issuing', 'no', 'x', now)).toThrow(IllegalMove);
  });

  it('makes the lease the condition of the background work’s changes, and lets it go after each but the fapiao kept before asking', () => {
    const held = [
      changes.stepFailed('w1', 'timeout', 1, now),
      changes.looked('w1', now),
      changes.titleFilled('w1', title, now),
      changes.requestAccepted('w1', [], 'x', now),
      changes.requestLost('w1', [], now),
      changes.issued('w1', [], 'N1', now),
    ];
    for (const c of held) {
      expect(c.when).toEqual({ leaseOwner: 'w1' });
      expect(c.set.clear).toEqual(expect.arrayContaining(['leaseOwner', 'leaseUntil']));
    }
    // Without a move, the lease alone decides: its holder writes whatever the state.
    for (const c of [changes.stepFailed('w1', 'timeout', 1, now), changes.looked('w1', now)]) expect([...c.from].sort()).toEqual([...INVOICE_STATES].sort());
    const kept = changes.fapiaoPrepared('w1', [], 100, now);
    expect(kept.when).toEqual({ leaseOwner: 'w1' });
    expect(kept.set.clear).toBeUndefined();
    expect(changes.leased('w2', now, now).when).toEqual({ leaseFreeAt: now });
    expect(changes.cancelledByDriver(now).when).toEqual({ leaseFreeAt: now });
  });

  it('clears the title page once the title is in, and the last error once the provider answered', () => {
    expect(changes.titleFilled('w1', title, now).set.clear).toContain('titleLink');
    expect(changes.cancelledByDriver(now).set.clear).toContain('titleLink');
    expect(changes.issued('w1', [], 'N1', now).set.clear).toContain('lastError');
    expect(changes.resent('issuing', 'op', now).set).toMatchObject({ clear: ['reason'], attempts: 0 });
  });
});
