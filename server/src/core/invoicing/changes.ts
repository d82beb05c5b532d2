/**
 * The changes InvoicingService makes to an invoice, each checked against INVOICE_MOVES when built; the
 * repository applies one as a single conditional write (core/state.ts). The background work writes under
 * the invoice's lease: a change of its holder names the owner (the lease, not the state, is its condition
 * when it keeps the state) and lets the lease go, except the one that keeps the fapiao it is about to ask for.
 */
import { change } from '../state';
import {
  INVOICE_MOVES,
  INVOICE_STATES,
  type FapiaoRecord,
  type Invoice,
  type InvoiceChange,
  type InvoicePatch,
  type InvoiceStatus,
  type InvoiceTitle,
} from './model';

const move = (c: InvoiceChange): InvoiceChange => change('invoice', INVOICE_MOVES, c);
/** Whatever the invoice's state: its other conditions decide. */
const ANY: readonly InvoiceStatus[] = INVOICE_STATES;

const noted = (what: string | undefined, now: Date) => (what ? { event: { at: now, what } } : {});

/** A write of the lease's holder that lets the lease go; with `to`, only from the state it read (`from`). */
function byHolder(owner: string, set: InvoicePatch, now: Date, what?: string, moved?: { from: InvoiceStatus; to: InvoiceStatus }): InvoiceChange {
  return move({
    from: moved ? [moved.from] : ANY,
    ...(moved ? { to: moved.to } : {}),
    set: { ...set, clear: [...(set.clear ?? []), 'leaseOwner', 'leaseUntil'], updatedAt: now, ...noted(what, now) },
    when: { leaseOwner: owner },
  });
}

// ── the driver and the operators (no lease) ──────────────────────────────────────────────────────────

/** A fresh title page for an invoice waiting for its title. */
export const titlePageRenewed = (titleLink: NonNullable<Invoice['titleLink']>, now: Date): InvoiceChange =>
  move({ from: ['awaiting_title'], set: { titleLink, updatedAt: now } });

/** The driver gives up an invoice waiting for its title or refused, while nobody works on it. */
export const cancelledByDriver = (now: Date): InvoiceChange =>
  move({
    from: ['awaiting_title', 'failed'],
    to: 'cancelled',
    set: { reason: 'cancelled_by_driver', clear: ['titleLink'], updatedAt: now, ...noted('司机取消了开票', now) },
    when: { leaseFreeAt: now },
  });

/** An operator sends a refused invoice again: its fapiao (`issuing`) or its reversal (`reversing`), from the first attempt. */
export const resent = (to: 'issuing' | 'reversing', who: string, now: Date): InvoiceChange =>
  move({ from: ['failed'], to, set: { clear: ['reason'], attempts: 0, updatedAt: now, ...noted(`${who} 重新发送`, now) } });

/** An operator sends an invoice again that is not refused: noted, and it is looked at now. */
export const resendNoted = (who: string, now: Date): InvoiceChange => move({ from: ANY, set: { updatedAt: now, ...noted(`${who} 重新发送`, now) } });

// ── the background work (under the lease) ────────────────────────────────────────────────────────────

/** A worker takes the invoice's lease, free or run out by `now`, until `until`. */
export const leased = (owner: string, until: Date, now: Date): InvoiceChange => move({ from: ANY, set: { leaseOwner: owner, leaseUntil: until }, when: { leaseFreeAt: now } });

/** The holder's step failed (the provider did not answer): the `attempts`-th failure, tried again later. */
export const stepFailed = (owner: string, error: string, attempts: number, now: Date): InvoiceChange => byHolder(owner, { lastError: error, attempts }, now);

/** The holder looked and found nothing to change (or only what it counts: `attempts`, a card status in `fapiao`). */
export const looked = (owner: string, now: Date, set: Pick<InvoicePatch, 'attempts' | 'fapiao'> = {}): InvoiceChange => byHolder(owner, set, now);

/** The driver filled the title on the provider's page: the invoice is issued from the first attempt. */
export const titleFilled = (owner: string, title: InvoiceTitle, now: Date): InvoiceChange =>
  byHolder(owner, { title, clear: ['titleLink'], attempts: 0 }, now, `司机在微信填写抬头 ${title.name}`, { from: 'awaiting_title', to: 'issuing' });

/** The title page was never filled in time. */
export const titleLapsed = (owner: string, now: Date): InvoiceChange =>
  byHolder(owner, { reason: 'title_not_filled' }, now, '抬头一直未填写，已取消', { from: 'awaiting_title', to: 'cancelled' });

/** A payment of the issued invoice was refunded: its fapiao (`number`) is to be reversed. */
export const reversalDue = (owner: string, fapiao: FapiaoRecord[], number: string, now: Date): InvoiceChange =>
  byHolder(owner, { fapiao, attempts: 0 }, now, `支付已退款，冲红发票 ${number}`, { from: 'issued', to: 'reversing' });

/**
 * Nothing is left to invoice: refunded in full before any fapiao (cancelled), or after the last one was
 * reversed (reversed).
 */
export const refundedInFull = (owner: string, afterReversal: boolean, now: Date): InvoiceChange =>
  byHolder(owner, { reason: 'refunded', totalFen: 0 }, now, afterReversal ? '退款后无需再开票' : '支付已全额退款，取消开票', {
    from: 'issuing',
    to: afterReversal ? 'reversed' : 'cancelled',
  });

/** The holder keeps the fapiao it is about to ask for (a retry asks for the same number); the lease stays its. */
export const fapiaoPrepared = (owner: string, fapiao: FapiaoRecord[], totalFen: number, now: Date): InvoiceChange =>
  move({ from: ANY, set: { fapiao, totalFen, updatedAt: now }, when: { leaseOwner: owner } });

/** The provider refused the fapiao (`issuing`) or its reversal (`reversing`): an operator must look at it. */
export const refused = (owner: string, from: 'issuing' | 'reversing', reason: string, what: string, now: Date): InvoiceChange =>
  byHolder(owner, { reason: reason.slice(0, 300) }, now, what, { from, to: 'failed' });

/** The provider accepted the request for the fapiao, or for its reversal (`fapiao` says which). */
export const requestAccepted = (owner: string, fapiao: FapiaoRecord[], what: string, now: Date): InvoiceChange =>
  byHolder(owner, { fapiao, attempts: 0, clear: ['lastError'] }, now, what);

/** The provider does not know the fapiao it accepted: it is asked for again. */
export const requestLost = (owner: string, fapiao: FapiaoRecord[], now: Date): InvoiceChange => byHolder(owner, { fapiao }, now, '开票方查无此票，重新申请');

/** The fapiao is issued (`number`: its number). */
export const issued = (owner: string, fapiao: FapiaoRecord[], number: string, now: Date): InvoiceChange =>
  byHolder(owner, { fapiao, attempts: 0, clear: ['lastError'] }, now, `已开票，发票号码 ${number}`, { from: 'issuing', to: 'issued' });

/** The fapiao is reversed: what is left (`totalFen`) is issued again, or, with nothing left, the invoice ends. */
export const reversed = (owner: string, fapiao: FapiaoRecord[], totalFen: number, now: Date): InvoiceChange => {
  const left = totalFen > 0;
  return byHolder(owner, { fapiao, totalFen, attempts: 0 }, now, left ? `已冲红，剩余 ${(totalFen / 100).toFixed(2)} 元重新开票` : '已冲红（全额退款）', {
    from: 'reversing',
    to: left ? 'issuing' : 'reversed',
  });
};
