/**
 * E-invoices for drivers (model.ts): asked for in the app for one or several paid things of one merchant,
 * titled by the driver (typed) or on the provider's title page, issued, reversed (红冲) when a payment in it is
 * refunded — and issued again for what is left, if anything. The provider (provider.ts) does the talking; the
 * background work (process) moves each invoice on, looked at when its item is due: at once after a request,
 * a notification or a refund, and as a fallback later (a notification can be lost).
 */
import { chinaStamp, randomChars, randomHex } from '../ids';
import { AppError } from '../errors';
import * as changes from './changes';
import { InvoiceError } from './errors';
import type { Clock } from '../clock';
import type { PendingHandler, PendingWork } from '../pending';
import type {
  FapiaoLine,
  FapiaoRecord,
  Invoice,
  InvoiceRepository,
  InvoiceStatus,
  InvoiceTitle,
  PaidItem,
  PaidItemRef,
  PaidItems,
} from './model';
import { type Application, type Invoicing, type InvoicingEvent, InvoicingRefused } from './provider';
import type { Log } from '../log';

export interface LineItemRule {
  goodsName: string;
  taxCode: string;
  taxRate: number;
  unit?: string;
}

export interface InvoicingDeps {
  repo: InvoiceRepository;
  items: PaidItems;
  /** In order of preference: the first that accepts every item invoices them. */
  providers: Invoicing[];
  /** The line of a park's payments (its tax code and rate). */
  lineItem(parkNumber: string): LineItemRule;
  remark?: string;
  work: PendingWork;
  clock: Clock;
  log?: Log;
  /** How long one process may work on an invoice before another may (ms). Default 60 s. */
  leaseMs?: number;
  /** How long a title page may stay unfilled before the invoice is cancelled (ms). Default one day. */
  titleWaitMs?: number;
}

/** Why a paid thing cannot be invoiced now. */
export type NotInvoicable = 'not_paid' | 'refund_pending' | 'nothing_left' | 'no_provider' | 'already_invoiced';

export interface InvoiceOption {
  item: PaidItem;
  /** Net of refunds. */
  netFen: number;
  /** Its invoice, when it has one. */
  invoice?: Invoice;
  /** Undefined when it can be invoiced now. */
  unavailable?: NotInvoicable;
}

export type TitleInput = InvoiceTitle | { source: 'provider' };

const TAX_NUMBER = /^(?:[0-9A-Z]{15}|[0-9A-Z]{18}|[0-9A-Z]{20})$/;
const MAX_ITEMS = 20;
const refKey = (r: PaidItemRef) => `${r.kind}:${r.ref}`;

export function netOf(item: PaidItem): number {
  return Math.max(0, item.paidFen - item.refundedFen);
}

/** A clean title, or an AppError saying what is wrong with it. */
export function checkTitle(t: InvoiceTitle): InvoiceTitle {
  const name = t.name.trim();
  if (!name || name.length > 100) throw new InvoiceError('title_invalid', 'the title needs a name of 1–100 characters');
  const out: InvoiceTitle = { type: t.type, name };
  const tax = t.taxNumber?.trim().toUpperCase();
  if (t.type === 'company' && !tax) throw new InvoiceError('title_invalid', 'a company title needs its tax number (纳税人识别号)');
  if (tax) {
    if (!TAX_NUMBER.test(tax)) throw new InvoiceError('title_invalid', 'the tax number is 15, 18 or 20 letters and digits');
    out.taxNumber = tax;
  }
  if (t.email?.trim()) {
    if (!/^[^@\s]+@[^@\s]+\.[^@\s]+$/.test(t.email.trim())) throw new InvoiceError('title_invalid', 'the email address is not valid');
    out.email = t.email.trim();
  }
  if (t.phone?.trim()) out.phone = t.phone.trim();
  return out;
}

export class InvoicingService implements PendingHandler {
  readonly kind = 'invoice' as const;
  private readonly leaseMs: number;

  constructor(private readonly deps: InvoicingDeps) {
    this.leaseMs = deps.leaseMs ?? 60_000;
  }

  private now(): Date {
    return new Date(this.deps.clock.now());
  }

  private provider(name: string): Invoicing {
    const p = this.deps.providers.find((x) => x.name === name);
    if (!p) throw new InvoiceError('provider_unavailable', `invoicing provider ${name} is not configured`);
    return p;
  }

  private app(inv: Invoice): Application {
    return { applyId: inv.applyId, scene: inv.scene, titleByProvider: inv.titleSource === 'provider' };
  }

  /** Whether the driver can invoice this paid thing now, and its invoice if it has one. */
  async option(driverId: string, ref: PaidItemRef): Promise<InvoiceOption> {
    const item = await this.deps.items.get(ref);
    if (!item || item.driverId !== driverId) throw new InvoiceError('not_found', 'payment not found');
    const holder = await this.deps.repo.holderOf(ref);
    const invoice = holder ? await this.deps.repo.get(holder) : undefined;
    const netFen = netOf(item);
    const out: InvoiceOption = { item, netFen, ...(invoice ? { invoice } : {}) };
    const why = invoice ? 'already_invoiced' : this.problem(item);
    if (why) out.unavailable = why;
    return out;
  }

  private problem(item: PaidItem): NotInvoicable | undefined {
    if (item.paidFen <= 0) return 'not_paid';
    if (item.refundPending) return 'refund_pending';
    if (netOf(item) <= 0) return 'nothing_left';
    if (!this.deps.providers.some((p) => p.accepts(item))) return 'no_provider';
    return undefined;
  }

  /** The driver asks for one invoice of these paid things. */
  async request(driverId: string, refs: PaidItemRef[], titleInput: TitleInput): Promise<Invoice> {
    const unique = [...new Map(refs.map((r) => [refKey(r), r])).values()];
    if (!unique.length || unique.length > MAX_ITEMS) throw new InvoiceError('validation_failed', `one invoice covers 1–${MAX_ITEMS} payments`);
    const items: PaidItem[] = [];
    for (const r of unique) {
      const item = await this.deps.items.get(r);
      if (!item || item.driverId !== driverId) throw new InvoiceError('not_found', `payment ${r.ref} not found`);
      const why = this.problem(item);
      if (why) throw new InvoiceError(why === 'no_provider' ? 'invoice_unavailable' : why, messageOf(why, item), { ref: item.ref });
      items.push(item);
    }
    const provider = this.deps.providers.find((p) => items.every((i) => p.accepts(i)));
    if (!provider) throw new InvoiceError('invoice_unavailable', 'these payments cannot go on one invoice (different merchants or channels)');
    const title = 'source' in titleInput ? undefined : checkTitle(titleInput);
    if (!title && !provider.titlePages) throw new InvoiceError('title_required', 'type the title: this provider has no title page');

    const id = newInvoiceId(this.now());
    const titleSource = title ? 'typed' : 'provider';
    let app: Application;
    try {
      app = provider.application(id, items, titleSource);
    } catch (e) {
      // The one refusal a provider makes of the application itself; anything else it refuses is invoice_refused.
      if (e instanceof InvoicingRefused) throw new InvoiceError(e.code === 'title_page_required' ? e.code : 'invoice_refused', e.message);
      throw e;
    }
    const claimed = await this.deps.repo.claim(id, unique);
    if (!claimed.ok) throw new InvoiceError('already_invoiced', `payment ${claimed.ref.ref} is already on invoice ${claimed.takenBy}`, { invoiceId: claimed.takenBy });
    const now = this.now();
    const totalFen = items.reduce((s, i) => s + netOf(i), 0);
    const invoice: Invoice = {
      id,
      driverId,
      provider: provider.name,
      applyId: app.applyId,
      scene: app.scene,
      items: items.map((i) => ({ kind: i.kind, ref: i.ref, parkNumber: i.parkNumber, plate: i.plate, transactionId: i.transactionId })),
      parkNumbers: [...new Set(items.map((i) => i.parkNumber))],
      titleSource,
      ...(title ? { title } : {}),
      status: title ? 'issuing' : 'awaiting_title',
      totalFen,
      fapiao: [],
      attempts: 0,
      events: [{ at: now, what: title ? `司机申请开票，抬头 ${title.name}` : '司机申请开票，抬头待在微信填写' }],
      createdAt: now,
      updatedAt: now,
    };
    try {
      if (!title) {
        const page = await provider.titlePage(app, driverId, totalFen);
        invoice.titleLink = { url: page.url, miniprogram: page.miniprogram, expiresAt: page.expiresAt };
      }
      if (app.applyId !== id) await this.deps.repo.aliasApplication(app.applyId, id);
      await this.deps.repo.insert(invoice);
    } catch (e) {
      await this.deps.repo.release(id, unique);
      if (e instanceof InvoicingRefused) throw new InvoiceError(e.code === 'no_openid' ? 'title_page_unavailable' : 'invoice_refused', e.message);
      if (e instanceof AppError) throw e;
      throw new InvoiceError('provider_unavailable', 'the invoicing provider did not answer; try again');
    }
    await this.deps.work.schedule('invoice', id, title ? now : new Date(now.getTime() + 2 * 60_000));
    this.deps.log?.info({ invoiceId: id, items: unique.length, totalFen, titleSource }, 'invoice requested');
    return invoice;
  }

  async get(driverId: string, id: string): Promise<Invoice> {
    const inv = await this.deps.repo.get(id);
    if (!inv || inv.driverId !== driverId) throw new InvoiceError('not_found', 'invoice not found');
    return inv;
  }

  listForDriver(driverId: string, limit = 50): Promise<Invoice[]> {
    return this.deps.repo.listForDriver(driverId, limit);
  }

  /** The provider's title page again (a fresh link when the last one lapsed). */
  async titlePage(driverId: string, id: string): Promise<Invoice> {
    const inv = await this.get(driverId, id);
    if (inv.status !== 'awaiting_title') return inv;
    if (inv.titleLink && inv.titleLink.expiresAt.getTime() - 60_000 > this.deps.clock.now()) return inv;
    const page = await this.provider(inv.provider).titlePage(this.app(inv), driverId, inv.totalFen);
    const titleLink = { url: page.url, miniprogram: page.miniprogram, expiresAt: page.expiresAt };
    return (await this.deps.repo.apply(id, changes.titlePageRenewed(titleLink, this.now()))) ?? (await this.get(driverId, id));
  }

  /** The driver came back from the title page: look for the title now. */
  async titleReturned(driverId: string, id: string): Promise<Invoice> {
    const inv = await this.get(driverId, id);
    if (inv.status === 'awaiting_title') {
      await this.deps.work.schedule('invoice', id, this.now());
      await this.process(id, `app:${randomHex(4)}`).catch((e: unknown) => this.deps.log?.warn({ invoiceId: id, err: (e as Error).message }, 'title not read yet'));
    }
    return this.get(driverId, id);
  }

  /**
   * The driver gives up an invoice that is waiting for its title or was refused: its payments are free to be
   * invoiced again (with another title).
   */
  async cancel(driverId: string, id: string): Promise<Invoice> {
    const inv = await this.get(driverId, id);
    if (inv.status !== 'awaiting_title' && inv.status !== 'failed') throw new InvoiceError('not_cancellable', `an invoice that is ${inv.status} cannot be cancelled`);
    const done = await this.deps.repo.apply(id, changes.cancelledByDriver(this.now()));
    if (!done) throw new InvoiceError('not_cancellable', 'the invoice is being worked on; try again');
    await this.deps.repo.release(id, inv.items);
    return done;
  }

  /** The PDF of the invoice's current fapiao (issued). */
  async file(driverId: string | undefined, id: string): Promise<{ pdf: Buffer; fapiao: FapiaoRecord }> {
    const inv = driverId ? await this.get(driverId, id) : await this.deps.repo.get(id);
    if (!inv) throw new InvoiceError('not_found', 'invoice not found');
    const f = [...inv.fapiao].reverse().find((x) => x.state === 'issued');
    if (!f) throw new InvoiceError('not_issued', 'the invoice has no issued fapiao');
    try {
      return { pdf: await this.provider(inv.provider).file(this.app(inv), f.fapiaoId), fapiao: f };
    } catch (e) {
      this.deps.log?.warn({ invoiceId: id, err: (e as Error).message }, 'fapiao file not fetched');
      throw new InvoiceError('provider_unavailable', 'the fapiao file could not be fetched; try again');
    }
  }

  /** A provider notification (verified by the port): the invoice is looked at now. */
  async onEvent(ev: InvoicingEvent): Promise<boolean> {
    const id = (await this.deps.repo.byApplication(ev.applyId)) ?? ((await this.deps.repo.get(ev.applyId)) ? ev.applyId : undefined);
    if (!id) {
      this.deps.log?.warn({ applyId: ev.applyId, kind: ev.kind }, 'invoicing notification for an application we do not know');
      return false;
    }
    await this.deps.work.schedule('invoice', id, this.now());
    return true;
  }

  /** A paid thing's refund is done (or started): its invoice, if any, is looked at now. */
  async onRefund(ref: PaidItemRef): Promise<void> {
    const id = await this.deps.repo.holderOf(ref);
    if (id) await this.deps.work.schedule('invoice', id, this.now());
  }

  listForPark(parkNumber: string, status: InvoiceStatus | undefined, limit: number, before?: Date): Promise<Invoice[]> {
    return this.deps.repo.listForPark({ parkNumber, limit, ...(status ? { status } : {}), ...(before ? { before } : {}) });
  }

  /**
   * An operator sends it again: a failed invoice is issued again (the same fapiao number: never a second
   * fapiao), anything under way is asked about now, an issued one is checked with the provider.
   */
  async resend(parkNumber: string, id: string, who: string): Promise<Invoice> {
    const inv = await this.deps.repo.get(id);
    if (!inv || !inv.parkNumbers.includes(parkNumber)) throw new InvoiceError('not_found', 'invoice not found');
    let out = inv;
    if (inv.status === 'failed') {
      // Refused while issuing: the same fapiao again; refused while reversing: the reversal again.
      const next = inv.fapiao.at(-1)?.state === 'issued' ? 'reversing' : 'issuing';
      out = (await this.deps.repo.apply(id, changes.resent(next, who, this.now()))) ?? inv;
    } else {
      out = (await this.deps.repo.apply(id, changes.resendNoted(who, this.now()))) ?? inv;
    }
    await this.deps.work.schedule('invoice', id, this.now());
    await this.process(id, `op:${randomHex(4)}`).catch((e: unknown) => this.deps.log?.warn({ invoiceId: id, err: (e as Error).message }, 'resend: the provider did not answer'));
    return (await this.deps.repo.get(id)) ?? out;
  }

  // ---- the background work -------------------------------------------------------------------------

  /** One look at an invoice: what is due is done; when to look next (undefined: nothing left to do). */
  async process(id: string, owner: string): Promise<Date | undefined> {
    const now = this.now();
    const inv = await this.deps.repo.apply(id, changes.leased(owner, new Date(now.getTime() + this.leaseMs), now));
    if (!inv) {
      const other = await this.deps.repo.get(id);
      if (!other) return undefined;
      return other.leaseUntil && other.leaseUntil > now ? new Date(other.leaseUntil.getTime() + 1000) : undefined;
    }
    try {
      return await this.step(inv, owner);
    } catch (e) {
      const attempts = inv.attempts + 1;
      const next = new Date(this.deps.clock.now() + backoff(attempts));
      await this.deps.repo.apply(id, changes.stepFailed(owner, (e as Error).message.slice(0, 300), attempts, this.now()));
      this.deps.log?.warn({ invoiceId: id, status: inv.status, attempts, err: (e as Error).message }, 'invoice step failed; trying again later');
      return next;
    }
  }

  private async step(inv: Invoice, owner: string): Promise<Date | undefined> {
    const provider = this.provider(inv.provider);
    const app = this.app(inv);
    const soon = (ms: number) => new Date(this.deps.clock.now() + ms);
    switch (inv.status) {
      case 'awaiting_title': {
        const title = await provider.filledTitle(app);
        if (title) {
          await this.deps.repo.apply(inv.id, changes.titleFilled(owner, checkTitle(title), this.now()));
          return this.now();
        }
        if (this.deps.clock.now() - inv.createdAt.getTime() > (this.deps.titleWaitMs ?? 86_400_000)) {
          await this.deps.repo.apply(inv.id, changes.titleLapsed(owner, this.now()));
          await this.deps.repo.release(inv.id, inv.items);
          return undefined;
        }
        await this.deps.repo.apply(inv.id, changes.looked(owner, this.now()));
        return soon(5 * 60_000);
      }
      case 'issuing':
        return this.issuing(inv, owner, provider);
      case 'issued': {
        const f = inv.fapiao.at(-1)!;
        const s = await provider.status(app, f.fapiaoId);
        const fapiao = [...inv.fapiao];
        if (s?.cardStatus && s.cardStatus !== f.cardStatus) fapiao[fapiao.length - 1] = { ...f, cardStatus: s.cardStatus };
        const nets = await this.nets(inv);
        if (nets.pending) {
          await this.deps.repo.apply(inv.id, changes.looked(owner, this.now(), { fapiao }));
          return soon(5 * 60_000);
        }
        if (nets.total !== f.totalFen) {
          await this.deps.repo.apply(inv.id, changes.reversalDue(owner, fapiao, f.blue?.number ?? f.fapiaoId, this.now()));
          return this.now();
        }
        await this.deps.repo.apply(inv.id, changes.looked(owner, this.now(), { fapiao }));
        return undefined;
      }
      case 'reversing':
        return this.reversing(inv, owner, provider);
      default:
        await this.deps.repo.apply(inv.id, changes.looked(owner, this.now()));
        return undefined;
    }
  }

  /** Net amounts of the invoice's things now; pending when a refund is under way. */
  private async nets(inv: Invoice): Promise<{ total: number; pending: boolean; lines: { ref: PaidItemRef; fen: number; item: PaidItem }[] }> {
    const lines = [];
    let pending = false;
    for (const r of inv.items) {
      const item = await this.deps.items.get(r);
      if (!item) throw new Error(`paid thing ${r.kind} ${r.ref} is gone`);
      if (item.refundPending) pending = true;
      lines.push({ ref: { kind: r.kind, ref: r.ref }, fen: netOf(item), item });
    }
    return { total: lines.reduce((s, l) => s + l.fen, 0), pending, lines };
  }

  private async issuing(inv: Invoice, owner: string, provider: Invoicing): Promise<Date | undefined> {
    const soon = (ms: number) => new Date(this.deps.clock.now() + ms);
    let fapiao = [...inv.fapiao];
    let current = fapiao.at(-1);
    if (!current || current.state === 'reversed') {
      const nets = await this.nets(inv);
      if (nets.pending) {
        await this.deps.repo.apply(inv.id, changes.looked(owner, this.now()));
        return soon(5 * 60_000);
      }
      if (nets.total <= 0) {
        await this.deps.repo.apply(inv.id, changes.refundedInFull(owner, current !== undefined, this.now()));
        return undefined;
      }
      const lines: FapiaoLine[] = nets.lines
        .filter((l) => l.fen > 0)
        .map((l) => {
          const rule = this.deps.lineItem(l.item.parkNumber);
          return { kind: l.ref.kind, ref: l.ref.ref, parkNumber: l.item.parkNumber, fen: l.fen, goodsName: rule.goodsName, taxCode: rule.taxCode, taxRate: rule.taxRate, ...(rule.unit ? { unit: rule.unit } : {}) };
        });
      current = { fapiaoId: `${inv.id}F${fapiao.length + 1}`, totalFen: nets.total, lines, state: 'requested', requestedAt: this.now() };
      fapiao = [...fapiao, current];
      // Kept before the provider is asked (the lease still ours): a retry asks for the same fapiao number.
      const saved = await this.deps.repo.apply(inv.id, changes.fapiaoPrepared(owner, fapiao, nets.total, this.now()));
      if (!saved) return this.now();
      inv = saved;
    }
    const app = this.app(inv);
    if (current.state === 'requested') {
      try {
        await provider.issue({
          applyId: inv.applyId,
          scene: inv.scene,
          title: inv.title!,
          fapiaoId: current.fapiaoId,
          totalFen: current.totalFen,
          lines: current.lines,
          ...(this.deps.remark ? { remark: this.deps.remark } : {}),
        });
      } catch (e) {
        if (e instanceof InvoicingRefused) {
          await this.deps.repo.apply(inv.id, changes.refused(owner, 'issuing', e.message, `开票被拒绝：${e.message}`, this.now()));
          this.deps.log?.warn({ invoiceId: inv.id, err: e.message }, 'invoice refused by the provider');
          return undefined;
        }
        throw e;
      }
      fapiao = fapiao.map((f) => (f.fapiaoId === current!.fapiaoId ? { ...f, state: 'accepted' as const } : f));
      await this.deps.repo.apply(inv.id, changes.requestAccepted(owner, fapiao, `开票申请已受理，${(current.totalFen / 100).toFixed(2)} 元`, this.now()));
      return soon(60_000);
    }
    // accepted: has it been issued?
    const s = await provider.status(app, current.fapiaoId);
    if (!s) {
      fapiao = fapiao.map((f) => (f.fapiaoId === current!.fapiaoId ? { ...f, state: 'requested' as const } : f));
      await this.deps.repo.apply(inv.id, changes.requestLost(owner, fapiao, this.now()));
      return this.now();
    }
    if (s.state === 'issued' || s.state === 'reversing' || s.state === 'reversed') {
      const issued: FapiaoRecord = { ...current, state: 'issued', issuedAt: this.now(), ...(s.blue ? { blue: s.blue } : {}), ...(s.taxFen !== undefined ? { taxFen: s.taxFen } : {}), ...(s.cardStatus ? { cardStatus: s.cardStatus } : {}) };
      fapiao = fapiao.map((f) => (f.fapiaoId === current!.fapiaoId ? issued : f));
      await this.deps.repo.apply(inv.id, changes.issued(owner, fapiao, s.blue?.number ?? current.fapiaoId, this.now()));
      this.deps.log?.info({ invoiceId: inv.id, fapiaoId: current.fapiaoId, totalFen: current.totalFen }, 'invoice issued');
      // A refund that came meanwhile is seen by the issued step.
      return this.now();
    }
    await this.deps.repo.apply(inv.id, changes.looked(owner, this.now(), { attempts: inv.attempts + 1 }));
    return soon(backoff(inv.attempts + 1));
  }

  private async reversing(inv: Invoice, owner: string, provider: Invoicing): Promise<Date | undefined> {
    const soon = (ms: number) => new Date(this.deps.clock.now() + ms);
    const app = this.app(inv);
    let fapiao = [...inv.fapiao];
    const current = fapiao.at(-1)!;
    if (current.state === 'issued') {
      try {
        // 销货退回: the payment (or part of it) went back to the driver.
        await provider.reverse(app, current.fapiaoId, current.blue!, 'SALES_RETURN');
      } catch (e) {
        if (e instanceof InvoicingRefused) {
          await this.deps.repo.apply(inv.id, changes.refused(owner, 'reversing', e.message, `冲红被拒绝：${e.message}`, this.now()));
          this.deps.log?.error({ invoiceId: inv.id, err: e.message }, 'fapiao reversal refused: an operator must look at it');
          return undefined;
        }
        throw e;
      }
      fapiao = fapiao.map((f) => (f.fapiaoId === current.fapiaoId ? { ...f, state: 'reversing' as const, reverseReason: 'SALES_RETURN' } : f));
      await this.deps.repo.apply(inv.id, changes.requestAccepted(owner, fapiao, `冲红申请已受理（发票 ${current.blue?.number ?? current.fapiaoId}）`, this.now()));
      return soon(60_000);
    }
    const s = await provider.status(app, current.fapiaoId);
    if (s?.state === 'reversed') {
      fapiao = fapiao.map((f) =>
        f.fapiaoId === current.fapiaoId ? { ...f, state: 'reversed' as const, reversedAt: this.now(), ...(s.red ? { red: s.red } : {}), ...(s.cardStatus ? { cardStatus: s.cardStatus } : {}) } : f,
      );
      const nets = await this.nets(inv);
      const left = nets.total > 0;
      await this.deps.repo.apply(inv.id, changes.reversed(owner, fapiao, nets.total, this.now()));
      this.deps.log?.info({ invoiceId: inv.id, fapiaoId: current.fapiaoId, left: nets.total }, 'fapiao reversed');
      return left ? this.now() : undefined;
    }
    await this.deps.repo.apply(inv.id, changes.looked(owner, this.now(), { attempts: inv.attempts + 1 }));
    return soon(backoff(inv.attempts + 1));
  }
}

/** 1, 2, 5, 10, 30 minutes, then hourly. */
function backoff(attempts: number): number {
  const steps = [60_000, 2 * 60_000, 5 * 60_000, 10 * 60_000, 30 * 60_000];
  return steps[Math.min(attempts, steps.length) - 1] ?? 60 * 60_000;
}

function messageOf(why: NotInvoicable, item: PaidItem): string {
  switch (why) {
    case 'not_paid':
      return `payment ${item.ref} is not paid`;
    case 'refund_pending':
      return `payment ${item.ref} is being refunded; ask again when the refund is done`;
    case 'nothing_left':
      return `payment ${item.ref} was refunded in full`;
    case 'no_provider':
      return `payment ${item.ref} (${item.provider}) cannot be invoiced here`;
    default:
      return `payment ${item.ref} is already invoiced`;
  }
}

/** IV + yyMMdd + 8 random base-32 characters (16 in all: room for the fapiao's "F<n>" within WeChat's 20). */
export function newInvoiceId(now: Date): string {
  return `IV${chinaStamp(now).slice(0, 6)}${randomChars(8)}`;
}
