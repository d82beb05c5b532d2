/**
 * The lane deduction's decisions from its record alone, as tables: no database, no provider. What runs the
 * steps (the claims, conditional writes and provider calls) is tested on the engine in channel-pay.test.ts.
 * The tables' functions take their row as rest parameters: rows without an expected code are shorter, and
 * jest reads a longer parameter list than the row as a test waiting on a done callback.
 */
import type { LaneDeduction } from '../../../../server/src/core/lanepay/channel-pay-model';
import { collectStep, decide, settleStep, stateOutcome } from '../../../../server/src/core/lanepay/deduction-decide';

const NOW = new Date(Date.UTC(2026, 10, 28, 2, 0, 0));
const at = (ms: number) => new Date(NOW.getTime() + ms);

const record = (over: Partial<LaneDeduction> = {}): LaneDeduction => ({
  id: 'P1|T1',
  parkNumber: 'P1',
  outTradeNo: 'T1',
  plate: '京A12345',
  plateKey: '京A12345',
  amountFen: 500,
  via: '4.27',
  state: 'deducting',
  attempt: { tradeNo: 'PW1', agreementId: 'a1', provider: 'wechat', driverId: 'd1' },
  attempts: 1,
  createdAt: NOW,
  updatedAt: NOW,
  ...over,
});
const refund = { refundNo: 'PW1R', state: 'refunding' as const, amountFen: 500, reason: 'not collected', startedAt: NOW, attempts: 0 };

describe('decide: the next step of a request for 5.00 yuan', () => {
  it.each<[string, LaneDeduction | undefined, boolean, string, string?]>([
    ['nothing recorded: claim it', undefined, false, 'claim'],
    ['nothing recorded, even waited out: claim it', undefined, true, 'claim'],
    ['asked before for another amount: refused', record({ amountFen: 400 }), false, 'answer', 'amount_mismatch'],
    ['another amount wins over everything else (a refund started)', record({ amountFen: 400, refund }), false, 'answer', 'amount_mismatch'],
    ['a refund started: refunded, never paid', record({ state: 'paid', refund }), false, 'answer', 'refunded'],
    ['paid: secured', record({ state: 'paid' }), false, 'answer', 'secured'],
    ['accepted by the provider: settle it', record({ state: 'accepted' }), false, 'settle'],
    ['failed before (nothing taken): try again', record({ state: 'failed', failure: { code: 'insufficient_funds', reason: 'x' } }), false, 'retry'],
    ['held by a live lease: wait', record({ leaseUntil: at(1) }), false, 'wait'],
    ['held by a live lease, waited out: in progress', record({ leaseUntil: at(1) }), true, 'answer', 'in_progress'],
    ['a lease that ends now is over: take over', record({ leaseUntil: at(0) }), false, 'take_over'],
    ['a lapsed lease: take over', record({ leaseUntil: at(-1) }), false, 'take_over'],
    ['no lease at all (cleared): take over', record({ leaseUntil: null }), true, 'take_over'],
  ])('%s', (...[, d, waitedOut, step, code]) => {
    const next = decide(d, { amountFen: 500, waitedOut }, NOW);
    expect(next.step).toBe(step);
    if (next.step === 'answer') expect('code' in next.outcome ? next.outcome.code : next.outcome.kind).toBe(code);
    if (next.step === 'settle') expect(next.deduction).toBe(d);
  });
});

describe('settleStep: an accepted deduction', () => {
  it.each<[string, LaneDeduction, 'secured' | 'accepted', boolean, string, string?]>([
    ['confirmed paid: secured', record({ state: 'paid' }), 'secured', false, 'answer', 'secured'],
    ['failed later: its failure', record({ state: 'failed', failure: { code: 'insufficient_funds', reason: 'PAY_FAIL' } }), 'secured', false, 'answer', 'insufficient_funds'],
    ['refund started: refunded', record({ state: 'accepted', refund }), 'accepted', false, 'answer', 'refunded'],
    ["the park takes accepted: accepted", record({ state: 'accepted' }), 'accepted', true, 'answer', 'accepted'],
    ['secured policy: ask the provider', record({ state: 'accepted' }), 'secured', false, 'query'],
    ['secured policy, waited out: deduction_pending', record({ state: 'accepted' }), 'secured', true, 'answer', 'deduction_pending'],
  ])('%s', (...[, d, policy, waitedOut, step, code]) => {
    const next = settleStep(d, policy, waitedOut);
    expect(next.step).toBe(step);
    if (next.step === 'answer') expect('code' in next.outcome ? next.outcome.code : next.outcome.kind).toBe(code);
  });
});

describe('collectStep: before the lot is told it is paid', () => {
  it.each<[string, LaneDeduction, 'secured' | 'accepted', string, string?]>([
    ['paid, not collected: mark it collected', record({ state: 'paid' }), 'secured', 'mark'],
    ['paid and collected before: answered as it is', record({ state: 'paid', collectedAt: NOW }), 'secured', 'answer', 'secured'],
    ['a refund started: refunded', record({ state: 'paid', refund }), 'secured', 'answer', 'refunded'],
    ['accepted, told accepted: mark it', record({ state: 'accepted' }), 'accepted', 'mark'],
    ['accepted but about to be told secured: stale', record({ state: 'accepted' }), 'secured', 'stale'],
    ['failed meanwhile: stale', record({ state: 'failed', failure: { code: 'refused', reason: 'x' } }), 'secured', 'stale'],
  ])('%s', (...[, d, kind, step, code]) => {
    const next = collectStep(d, kind);
    expect(next.step).toBe(step);
    if (next.step === 'answer') expect('code' in next.outcome ? next.outcome.code : next.outcome.kind).toBe(code);
  });
});

it('stateOutcome: settled records only; a recorded no_agreement stays one', () => {
  expect(stateOutcome(record())).toBeUndefined();
  expect(stateOutcome(record({ state: 'accepted' }))).toBeUndefined();
  expect(stateOutcome(record({ state: 'failed', failure: { code: 'no_agreement', reason: 'no_agreement: none' } }))).toEqual({ kind: 'no_agreement', reason: 'no_agreement: none' });
  expect(stateOutcome(record({ state: 'failed' }))).toMatchObject({ kind: 'failed', code: 'refused' });
});
