/**
 * The changes AgreementService makes to an agreement record, each checked against AGREEMENT_MOVES when built
 * and made only within the record's current sign-up round (its signNo); the repository applies one as a
 * single conditional write (core/state.ts).
 */
import type { Payer } from '../orders/gateways';
import { change } from '../state';
import type { AgreementState, ProviderAgreement } from './gateways';
import { AGREEMENT_MOVES, AGREEMENT_STATES, type AgreementChange, type AgreementPatch, type AgreementRecord, type AgreementScope } from './model';

const move = (c: AgreementChange): AgreementChange => change('agreement', AGREEMENT_MOVES, c);
/** Whatever the record's state: the sign-up round is the condition. */
const ANY: readonly AgreementState[] = AGREEMENT_STATES;

/** An ended record starts a new sign-up round: what the old round learned goes. */
export const newRound = (r: Pick<AgreementRecord, 'signNo'>, next: { signNo: string; payer: Payer; plate: string; scope: AgreementScope }, now: Date): AgreementChange =>
  move({
    from: ['ended'],
    to: 'signing',
    set: { ...next, clear: ['agreementNo', 'signedAt', 'endedAt', 'reason'], updatedAt: now },
    when: { signNo: r.signNo },
  });

/** The parks the driver chose now, for a round still signing or paused. */
export const scopeChosen = (r: Pick<AgreementRecord, 'signNo'>, scope: AgreementScope, now: Date): AgreementChange =>
  move({ from: ANY, set: { scope, updatedAt: now }, when: { signNo: r.signNo } });

/** The driver ended it (or a sign-up never finished stops here). */
export const endedByDriver = (r: Pick<AgreementRecord, 'signNo'>, now: Date): AgreementChange =>
  move({ from: ANY, to: 'ended', set: { endedAt: now, reason: 'ended_by_driver', checkedAt: now, updatedAt: now }, when: { signNo: r.signNo } });

/**
 * What the provider says of the record's agreement, kept: its state, number and times, the payer ids it
 * told. A provider with no agreement for the plate ends a live one and leaves a round still signing so.
 */
export function providerSaid(r: AgreementRecord, v: ProviderAgreement, payer: Payer | undefined, now: Date): AgreementChange {
  const set: { -readonly [K in keyof AgreementPatch]: AgreementPatch[K] } = { checkedAt: now, updatedAt: now };
  const clear: ('endedAt' | 'reason')[] = [];
  let to: AgreementState | undefined;
  if (v.state === 'none') {
    if (r.state === 'active' || r.state === 'paused') {
      to = 'ended';
      Object.assign(set, { endedAt: v.endedAt ?? now, reason: v.reason ?? 'the provider has no agreement for this plate any more' });
    }
  } else {
    to = v.state;
    if (v.agreementNo) set.agreementNo = v.agreementNo;
    if (v.state === 'active' || v.state === 'paused') {
      set.signedAt = v.signedAt ?? r.signedAt ?? now;
      clear.push('endedAt');
    }
    if (v.state === 'ended') set.endedAt = v.endedAt ?? r.endedAt ?? now;
    if (v.reason) set.reason = v.reason;
    else if (v.state === 'active') clear.push('reason');
  }
  if (payer && (payer.openId || payer.userId)) set.payer = { ...r.payer, ...payer };
  return move({ from: ANY, ...(to ? { to } : {}), set: { ...set, ...(clear.length ? { clear } : {}) }, when: { signNo: r.signNo } });
}
