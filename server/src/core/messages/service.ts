/**
 * Messages to drivers (model.ts): the driver's settings and consents, the events that make messages, and the
 * background work that sends them.
 *
 * Consent: WeChat's subscriptions are one-time per template (each accept allows one message), asked for when
 * the driver taps to pay, to bind a plate or to sign an agreement; Alipay's may be long-term. The app reports
 * what the driver answered; a message is sent only while a consent is left (taken in one atomic update before
 * the send, given back when the send did not go), and only for kinds the driver has not turned off in 我的.
 * The platform stays the judge: a refusal (no subscription left there) drops the message and clears ours.
 *
 * Once per event: a message's id is its event's key, inserted once. Failures are retried after 30 s, 2, 10 and
 * 30 minutes, up to `maxAttempts` sends, then dropped with a log line.
 */
import { randomBytes } from 'node:crypto';
import { CONSENT_MOMENTS, MESSAGE_KIND_LABELS, MESSAGE_KINDS, type ConsentMoment, type ConsentResult, type MessageKind } from '../../../../shared/api/messages';
import { MessageError } from './errors';
import type { Clock } from '../clock';
import type { Driver } from '../identity/model';
import type { PendingHandler, PendingWork } from '../pending';
import type { ConsentRepository, MessageChannel, MessageGuard, MessagePreferences, MessageRecord, MessageRepository, MessageValues, Platform } from './model';
import { renderData } from './render';
import type { Log } from '../log';

export interface MessagesDeps {
  messages: MessageRepository;
  consents: ConsentRepository;
  prefs: MessagePreferences;
  channels: MessageChannel[];
  drivers: { findById(id: string): Promise<Driver | undefined> };
  /** Guards: is the car of a paid stay still in the lot, is its order still paid? */
  stays: { findStay(parkNumber: string, orderId: string): Promise<{ status: 'in' | 'out' } | undefined> };
  orders: { get(orderNo: string): Promise<{ status: string } | undefined> };
  /** Monthly passes (a later feature): when a pass ends now. */
  passes?: { endsAt(passId: string): Promise<Date | undefined> };
  work: PendingWork;
  clock: Clock;
  log?: Log;
  /** Sends of one message before it is dropped. Default 5. */
  maxAttempts?: number;
  leaseMs?: number;
}

export interface MessageSettings {
  platform: Platform | null;
  recipient: string | null;
  kinds: { kind: MessageKind; label: string; enabled: boolean; templateId: string | null; remaining: number; longTerm: boolean }[];
  moments: Record<ConsentMoment, string[]>;
}

export interface NewMessage {
  /** The event's idempotency key. */
  id: string;
  driverId: string;
  kind: MessageKind;
  values: MessageValues;
  page?: string;
  guard?: MessageGuard;
  /** Default: now. */
  due?: Date;
}

const RETRY_MS = [30_000, 2 * 60_000, 10 * 60_000, 30 * 60_000];

export class MessagesService implements PendingHandler {
  readonly kind = 'message' as const;
  private readonly maxAttempts: number;
  private readonly leaseMs: number;

  constructor(private readonly deps: MessagesDeps) {
    this.maxAttempts = deps.maxAttempts ?? 5;
    this.leaseMs = deps.leaseMs ?? 60_000;
  }

  private now(): Date {
    return new Date(this.deps.clock.now());
  }

  private channel(platform: Platform): MessageChannel | undefined {
    return this.deps.channels.find((c) => c.platform === platform);
  }

  /** Which platform a driver gets messages on (the app they logged in with), and their id there. */
  recipientOf(driver: Driver): { platform: Platform; id: string } | undefined {
    if (driver.wechatOpenId && this.channel('wechat')) return { platform: 'wechat', id: driver.wechatOpenId };
    const ali = driver.alipayOpenId ?? driver.alipayUserId;
    if (ali && this.channel('alipay')) return { platform: 'alipay', id: ali };
    return undefined;
  }

  private async driver(driverId: string): Promise<Driver> {
    const d = await this.deps.drivers.findById(driverId);
    if (!d) throw new MessageError('not_found', 'driver not found');
    return d;
  }

  async settings(driverId: string): Promise<MessageSettings> {
    const driver = await this.driver(driverId);
    const to = this.recipientOf(driver);
    const off = new Set(await this.deps.prefs.off(driverId));
    const channel = to ? this.channel(to.platform) : undefined;
    const consents = to ? await this.deps.consents.list(driverId, to.platform) : [];
    const kinds = MESSAGE_KINDS.map((kind) => {
      const t = channel?.template(kind);
      const c = t ? consents.find((x) => x.templateId === t.templateId) : undefined;
      return { kind, label: MESSAGE_KIND_LABELS[kind], enabled: !off.has(kind), templateId: t?.templateId ?? null, remaining: c?.remaining ?? 0, longTerm: c?.longTerm ?? false };
    });
    const moments = Object.fromEntries(
      (Object.keys(CONSENT_MOMENTS) as ConsentMoment[]).map((m) => [
        m,
        CONSENT_MOMENTS[m]
          .map((k) => kinds.find((x) => x.kind === k)!)
          // A long-term subscription need not be asked again.
          .filter((k) => k.enabled && k.templateId && !k.longTerm)
          .map((k) => k.templateId!)
          .slice(0, 3),
      ]),
    ) as Record<ConsentMoment, string[]>;
    return { platform: to?.platform ?? null, recipient: to?.id ?? null, kinds, moments };
  }

  /** What the driver answered when the app asked (per template id). */
  async consent(driverId: string, moment: ConsentMoment, results: Record<string, ConsentResult>): Promise<MessageSettings> {
    const driver = await this.driver(driverId);
    const to = this.recipientOf(driver);
    if (!to) throw new MessageError('unknown_template', 'this app sends no messages to this driver');
    const channel = this.channel(to.platform)!;
    const known = new Map(MESSAGE_KINDS.map((k) => [channel.template(k)?.templateId, channel.template(k)] as const).filter(([id]) => id !== undefined));
    const now = this.now();
    for (const [templateId, answer] of Object.entries(results)) {
      const t = known.get(templateId);
      if (!t) throw new MessageError('unknown_template', `template ${templateId} is not one of this app's`);
      if (answer === 'accept') await this.deps.consents.grant(driverId, to.platform, templateId, 1, t.longTerm ?? false, answer, now);
      else if (answer === 'ban') await this.deps.consents.clear(driverId, to.platform, templateId, now);
      else await this.deps.consents.grant(driverId, to.platform, templateId, 0, false, answer, now);
    }
    this.deps.log?.info({ driverId, moment, answers: Object.values(results) }, 'message consents');
    return this.settings(driverId);
  }

  async setKind(driverId: string, kind: MessageKind, enabled: boolean): Promise<MessageSettings> {
    await this.deps.prefs.set(driverId, kind, enabled, this.now());
    return this.settings(driverId);
  }

  /** Record a message for an event (once per id); false when this event was told already. */
  async enqueue(m: NewMessage): Promise<boolean> {
    const now = this.now();
    const due = m.due ?? now;
    const inserted = await this.deps.messages.insert({
      id: m.id,
      driverId: m.driverId,
      kind: m.kind,
      values: m.values,
      ...(m.page ? { page: m.page } : {}),
      ...(m.guard ? { guard: m.guard } : {}),
      status: 'pending',
      due,
      attempts: 0,
      createdAt: now,
    });
    if (inserted) await this.deps.work.schedule('message', m.id, due);
    return inserted;
  }

  listForDriver(driverId: string, limit = 50): Promise<MessageRecord[]> {
    return this.deps.messages.listForDriver(driverId, limit);
  }

  // ---- sending -------------------------------------------------------------------------------------

  async process(id: string, owner: string): Promise<Date | undefined> {
    const now = this.now();
    const m = await this.deps.messages.claim(id, owner, now, this.leaseMs);
    if (!m) {
      const cur = await this.deps.messages.get(id);
      if (!cur || cur.status !== 'pending') return undefined;
      // Not due yet, or another process holds it.
      const later = cur.leaseUntil && cur.leaseUntil > now ? cur.leaseUntil : cur.due;
      return later > now ? later : new Date(now.getTime() + 1_000);
    }
    const end = (status: 'sent' | 'skipped' | 'dropped', set: Partial<MessageRecord> = {}) =>
      this.deps.messages.finish(id, owner, { status, ...set, leaseOwner: null, leaseUntil: null });
    const skip = async (reason: string) => {
      await end('skipped', { reason });
      this.deps.log?.info({ messageId: id, kind: m.kind, reason }, 'message not sent');
      return undefined;
    };

    if ((await this.deps.prefs.off(m.driverId)).includes(m.kind)) return skip('turned_off');
    const driver = await this.deps.drivers.findById(m.driverId);
    const to = driver ? this.recipientOf(driver) : undefined;
    if (!to) return skip('no_platform');
    const channel = this.channel(to.platform)!;
    const template = channel.template(m.kind);
    if (!template) return skip('no_template');
    if (m.guard) {
      const why = await this.guardFails(m.guard);
      if (why) return skip(why);
    }
    if (!(await this.deps.consents.take(m.driverId, to.platform, template.templateId, now))) return skip('no_consent');

    const attempts = m.attempts + 1;
    let outcome;
    try {
      outcome = await channel.send({ recipient: to.id, templateId: template.templateId, ...(m.page ? { page: m.page } : {}), data: renderData(template.fields, m.values, m.kind) });
    } catch (e) {
      outcome = { kind: 'failed' as const, retryable: true, reason: (e as Error).message };
    }
    const record = { platform: to.platform, templateId: template.templateId, attempts };
    if (outcome.kind === 'sent') {
      await end('sent', { ...record, sentAt: this.now() });
      this.deps.log?.info({ messageId: id, kind: m.kind, platform: to.platform }, 'message sent');
      return undefined;
    }
    if (outcome.kind === 'refused') {
      // The platform has no subscription of this user for the template: ours was wrong; none left.
      await this.deps.consents.clear(m.driverId, to.platform, template.templateId, this.now());
      await end('dropped', { ...record, reason: `refused: ${outcome.reason}`.slice(0, 300) });
      this.deps.log?.warn({ messageId: id, kind: m.kind, platform: to.platform, reason: outcome.reason }, 'message dropped: the platform refused it');
      return undefined;
    }
    // Not sent: the consent was not used.
    await this.deps.consents.giveBack(m.driverId, to.platform, template.templateId, this.now());
    if (!outcome.retryable || attempts >= this.maxAttempts) {
      await end('dropped', { ...record, reason: outcome.retryable ? `gave_up: ${outcome.reason}`.slice(0, 300) : `failed: ${outcome.reason}`.slice(0, 300), lastError: outcome.reason.slice(0, 300) });
      this.deps.log?.warn({ messageId: id, kind: m.kind, platform: to.platform, attempts, reason: outcome.reason }, 'message dropped after failed sends');
      return undefined;
    }
    const next = new Date(this.deps.clock.now() + RETRY_MS[Math.min(attempts, RETRY_MS.length) - 1]!);
    await this.deps.messages.finish(id, owner, { ...record, due: next, lastError: outcome.reason.slice(0, 300), leaseOwner: null, leaseUntil: null });
    return next;
  }

  private async guardFails(g: MessageGuard): Promise<string | undefined> {
    if (g.kind === 'pass_ends') {
      if (!this.deps.passes) return undefined;
      const ends = await this.deps.passes.endsAt(g.passId);
      return ends && ends.getTime() === new Date(g.endsAt).getTime() ? undefined : 'pass_changed';
    }
    const [stay, order] = await Promise.all([this.deps.stays.findStay(g.parkNumber, g.orderId), this.deps.orders.get(g.orderNo)]);
    if (stay?.status === 'out') return 'car_left';
    if (order && order.status !== 'paid' && order.status !== 'delivered') return `order_${order.status}`;
    return undefined;
  }
}

/** A process-unique owner for claims made outside the worker (tests, scripts). */
export const messageOwner = () => `msg:${randomBytes(4).toString('hex')}`;
