/**
 * Messages to drivers (WeChat 订阅消息, Alipay 小程序订阅消息): one record per event and driver, its id the
 * event's idempotency key ("payment:PP…", "refund:PP…R1", "entry:<park>:<orderId>:<driver>", …) — inserted
 * once, so an event told twice (a resent 4.2, a repeated notification) is one message. Background work sends
 * it when due, with the driver's consent (one-time per template on WeChat: each accept allows one message),
 * retries a bounded number of times and then drops it with a log line.
 *
 *   pending ──sent──▶ sent
 *      │──no consent / turned off / nothing to say any more──▶ skipped (reason kept)
 *      └──failed `maxAttempts` times, or refused by the platform──▶ dropped (reason kept)
 */
import type { MessageKind } from '../../../../shared/api/messages';
import type { MessageSource } from './fields';

export type { MessageKind };
export type Platform = 'wechat' | 'alipay';

/** What fills a message, typed (rendered per keyword when sent): times as instants, money in fen. */
export interface MessageValues {
  parkName?: string;
  plate?: string;
  amountFen?: number;
  inTime?: Date;
  paidAt?: Date;
  leaveBy?: Date;
  refundedAt?: Date;
  passEndsAt?: Date;
  minutesLeft?: number;
  daysLeft?: number;
  orderNo?: string;
  reason?: string;
}

/**
 * What must still hold when a message is sent (checked then): the free exit time's car still in the lot and
 * its payment not refunded; a pass still ending when its reminder said.
 */
export type MessageGuard =
  | { kind: 'car_in_lot'; parkNumber: string; orderId: string; orderNo: string }
  | { kind: 'pass_ends'; passId: string; endsAt: Date };

export type MessageStatus = 'pending' | 'sent' | 'skipped' | 'dropped';

export interface MessageRecord {
  /** The event's idempotency key. */
  id: string;
  driverId: string;
  kind: MessageKind;
  values: MessageValues;
  /** The page of the mini-program the message opens. */
  page?: string;
  guard?: MessageGuard;
  status: MessageStatus;
  /** When it is (next) due. */
  due: Date;
  attempts: number;
  platform?: Platform;
  templateId?: string;
  reason?: string;
  lastError?: string;
  leaseOwner?: string;
  leaseUntil?: Date | null;
  createdAt: Date;
  sentAt?: Date;
}

/** A driver's consent to one template: one-time accepts not used yet, or a long-term subscription (Alipay). */
export interface ConsentRecord {
  driverId: string;
  platform: Platform;
  templateId: string;
  remaining: number;
  longTerm: boolean;
  lastAnswer?: string;
  updatedAt: Date;
}

export interface MessageRepository {
  /** Insert; false when a message with this id exists (the event was told already). */
  insert(m: MessageRecord): Promise<boolean>;
  get(id: string): Promise<MessageRecord | undefined>;
  /** Take it for sending: pending and due, no live lease of another. */
  claim(id: string, owner: string, now: Date, leaseMs: number): Promise<MessageRecord | undefined>;
  /** Apply `set` while `owner` holds it. */
  finish(id: string, owner: string, set: Partial<Omit<MessageRecord, 'id' | 'leaseOwner' | 'leaseUntil'>> & { leaseOwner?: null; leaseUntil?: null }): Promise<MessageRecord | undefined>;
  listForDriver(driverId: string, limit: number): Promise<MessageRecord[]>;
}

export interface ConsentRepository {
  list(driverId: string, platform: Platform): Promise<ConsentRecord[]>;
  /** Add `accepted` one-time consents (or make it long-term); record the answer. */
  grant(driverId: string, platform: Platform, templateId: string, accepted: number, longTerm: boolean, answer: string, at: Date): Promise<void>;
  /** Take one consent to send (one atomic update): false when none is left. Long-term ones are not used up. */
  take(driverId: string, platform: Platform, templateId: string, at: Date): Promise<boolean>;
  /** Give back one taken consent (the message did not go). */
  giveBack(driverId: string, platform: Platform, templateId: string, at: Date): Promise<void>;
  /** None left (the platform said the user refused or unsubscribed). */
  clear(driverId: string, platform: Platform, templateId: string, at: Date): Promise<void>;
}

/** The kinds a driver turned off in 我的 (on by default). */
export interface MessagePreferences {
  off(driverId: string): Promise<MessageKind[]>;
  set(driverId: string, kind: MessageKind, enabled: boolean, at: Date): Promise<MessageKind[]>;
}

/** A template as configured: its id and what fills each keyword. */
export interface TemplateRule {
  templateId: string;
  fields: Record<string, MessageSource>;
  longTerm?: boolean;
}

export type SendOutcome =
  | { kind: 'sent' }
  /** The platform says the user may not get it (no subscription left, refused): never retried. */
  | { kind: 'refused'; reason: string }
  /** It did not go: retried later when `retryable`, else dropped (a template or data the platform refuses). */
  | { kind: 'failed'; retryable: boolean; reason: string };

/** Where messages of one platform go (adapters: WeChat subscribeMessage.send, Alipay templatemessage.send). */
export interface MessageChannel {
  readonly platform: Platform;
  template(kind: MessageKind): TemplateRule | undefined;
  /** Keyword values as the platform takes them (rendered by render.ts for the keyword's type). */
  send(input: { recipient: string; templateId: string; page?: string; data: Record<string, string> }): Promise<SendOutcome>;
}

/** A cache of the WeChat access token every process shares (the database): one token per app at a time. */
export interface AccessTokenStore {
  get(appId: string): Promise<{ token: string; expiresAt: Date } | undefined>;
  put(appId: string, token: string, expiresAt: Date): Promise<void>;
}
