/**
 * What an audit entry records about the action besides who, when and which park: its facts, one set per
 * audited action (every operator endpoint that is not a GET, and the login). The server writes them
 * (mount() takes the path params, the handler adds the rest); the console builds a sentence from them
 * ("张三 为 京A12345 发放 2 小时停车券（车场已接收）") and shows them as they are in the detail view.
 *
 * Facts are flat JSON values (strings, numbers, booleans, lists of strings). Never secrets: no passwords,
 * keys or tokens. A fact may be missing (an entry written before it existed, or an action refused before
 * the handler learnt it): sentences say less then, never something wrong.
 */
import { z } from 'zod';

export const auditFactValueSchema = z.union([z.string(), z.number(), z.boolean(), z.null(), z.array(z.string())]);
export const auditFactsSchema = z.record(z.string(), auditFactValueSchema);
export type AuditFacts = z.infer<typeof auditFactsSchema>;

type Role = 'admin' | 'operator' | 'merchant';
type ListKind = 'white' | 'black';
type CouponKind = 'hours' | 'money';
type CouponStatus = 'issuing' | 'at_lot' | 'unconfirmed' | 'refused' | 'used_at_exit' | 'revoked';
type SyncState = 'pending' | 'synced' | 'refused' | 'failed';

/** A coupon as the sentences name it. */
interface CouponFacts {
  couponCode?: string;
  plate?: string;
  /** The stay, when the coupon was given by stay. */
  orderId?: string;
  kind?: CouponKind;
  /** Hour coupons. */
  minutes?: number;
  /** Money coupons. */
  fen?: number;
  status?: CouponStatus;
  /** The lot's reason when it refused. */
  refusal?: string;
}

/** The facts of each audited action, by `METHOD path` (the entry's `action`). */
export interface AuditFactsByAction {
  'POST /api/op/auth/login': Record<string, never>;
  'POST /api/op/auth/logout': Record<string, never>;
  'POST /api/op/me/password': Record<string, never>;
  'POST /api/op/operators': { username: string; role: Role; parks?: string[]; displayName?: string };
  'POST /api/op/operators/:operatorId': {
    operatorId: string;
    /** The account's username (when it exists). */
    username?: string;
    role?: Role;
    parks?: string[];
    displayName?: string | null;
    disabled?: boolean;
    /** A new password was set (never the password). */
    passwordReset?: boolean;
  };
  'POST /api/op/parks': { parkNumber: string; name?: string };
  'POST /api/op/parks/:parkNumber': {
    name?: string;
    bluecardBaseUrl?: string;
    /** A new key was set (never the key). */
    keyChanged?: boolean;
    laneQrProvider?: 'wechat' | 'alipay';
    channelPayPolicy?: 'secured' | 'accepted';
    openGateBlacklist?: boolean;
    openGateBookings?: boolean;
    /** Withholding caps (fen). */
    withholdingMaxPerDeductionFen?: number;
    withholdingMaxPerDayFen?: number;
    tariffText?: string;
    freeMinutes?: number | null;
    paidFreeMinutes?: number | null;
    phone?: string;
    address?: string;
  };
  'POST /api/op/parks/:parkNumber/lanes/:passagewayId': {
    passagewayId: string;
    /** The lane's name after the change. */
    laneName?: string;
    /** What was changed: null clears ours. */
    name?: string | null;
    direction?: 'in' | 'out' | null;
    note?: string | null;
  };
  'POST /api/op/parks/:parkNumber/lanes/:passagewayId/lift-requests': { passagewayId: string; laneName?: string; reason?: string };
  'POST /api/op/parks/:parkNumber/lanes/:passagewayId/lift': { passagewayId: string; laneName?: string; reason?: string };
  'POST /api/op/parks/:parkNumber/coupons': CouponFacts;
  'POST /api/op/parks/:parkNumber/coupons/:couponCode/revoke': CouponFacts & { couponCode: string };
  'POST /api/op/parks/:parkNumber/coupons/:couponCode/redeliver': CouponFacts & { couponCode: string };
  'POST /api/op/parks/:parkNumber/fixed-coupons': { code?: string; kind: CouponKind; minutes?: number; fen?: number; maxUses?: number | null; label?: string; end?: string };
  'POST /api/op/parks/:parkNumber/fixed-coupons/:code/disable': { code: string; label?: string };
  'POST /api/op/parks/:parkNumber/fixed-coupons/:code/enable': { code: string; label?: string };
  'POST /api/op/parks/:parkNumber/lists/:list': { list: ListKind; plate: string; created?: boolean; syncState?: SyncState; syncError?: string | null };
  'DELETE /api/op/parks/:parkNumber/lists/:list/:plate': { list: ListKind; plate: string };
  'POST /api/op/parks/:parkNumber/lists/:list/clear': { list: ListKind; count?: number };
  'POST /api/op/parks/:parkNumber/lists/:list/clear/confirm': { list: ListKind; removed?: number };
  'POST /api/op/parks/:parkNumber/lists/:list/imports': { list: ListKind; jobId?: string; rows?: number; invalid?: number };
  'POST /api/op/parks/:parkNumber/lists/:list/resync': { list: ListKind; jobId?: string; rows?: number };
  'POST /api/op/parks/:parkNumber/booking-offers': { offerId?: string; title: string; count: number; priceFen: number; areaId?: number; areaName?: string };
  'POST /api/op/parks/:parkNumber/booking-offers/:offerId/withdraw': { offerId: string; title?: string };
  'POST /api/op/parks/:parkNumber/bookings/:bookingNo/cancel': { bookingNo: string; plate?: string; reason?: string };
  'POST /api/op/parks/:parkNumber/bookings/reconcile': { differences?: number };
  'POST /api/op/parks/:parkNumber/invoices/:invoiceId/resend': { invoiceId: string };
  'POST /api/op/parks/:parkNumber/pass-offer': { status: 'on_sale' | 'withdrawn'; prices: { months: number; priceFen: number }[]; areaIds?: number[]; newPlates?: boolean; maxPasses?: number };
}

export type AuditedAction = keyof AuditFactsByAction;

/** Every audited action, for those who must cover each (the sentences, their tests). */
export const AUDITED_ACTIONS = [
  'POST /api/op/auth/login',
  'POST /api/op/auth/logout',
  'POST /api/op/me/password',
  'POST /api/op/operators',
  'POST /api/op/operators/:operatorId',
  'POST /api/op/parks',
  'POST /api/op/parks/:parkNumber',
  'POST /api/op/parks/:parkNumber/lanes/:passagewayId',
  'POST /api/op/parks/:parkNumber/lanes/:passagewayId/lift-requests',
  'POST /api/op/parks/:parkNumber/lanes/:passagewayId/lift',
  'POST /api/op/parks/:parkNumber/coupons',
  'POST /api/op/parks/:parkNumber/coupons/:couponCode/revoke',
  'POST /api/op/parks/:parkNumber/coupons/:couponCode/redeliver',
  'POST /api/op/parks/:parkNumber/fixed-coupons',
  'POST /api/op/parks/:parkNumber/fixed-coupons/:code/disable',
  'POST /api/op/parks/:parkNumber/fixed-coupons/:code/enable',
  'POST /api/op/parks/:parkNumber/lists/:list',
  'DELETE /api/op/parks/:parkNumber/lists/:list/:plate',
  'POST /api/op/parks/:parkNumber/lists/:list/clear',
  'POST /api/op/parks/:parkNumber/lists/:list/clear/confirm',
  'POST /api/op/parks/:parkNumber/lists/:list/imports',
  'POST /api/op/parks/:parkNumber/lists/:list/resync',
  'POST /api/op/parks/:parkNumber/booking-offers',
  'POST /api/op/parks/:parkNumber/booking-offers/:offerId/withdraw',
  'POST /api/op/parks/:parkNumber/bookings/:bookingNo/cancel',
  'POST /api/op/parks/:parkNumber/bookings/reconcile',
  'POST /api/op/parks/:parkNumber/invoices/:invoiceId/resend',
  'POST /api/op/parks/:parkNumber/pass-offer',
] as const satisfies readonly AuditedAction[];

/** The facts of an endpoint's action (never, for an endpoint that is not audited). */
export type AuditFactsOf<E extends { method: string; path: string }> = `${E['method']} ${E['path']}` extends AuditedAction
  ? Partial<AuditFactsByAction[`${E['method']} ${E['path']}`]>
  : never;

type MissingAction = Exclude<AuditedAction, (typeof AUDITED_ACTIONS)[number]>;
/** Fails to compile when an action of AuditFactsByAction is not in AUDITED_ACTIONS. */
export const AUDITED_ACTIONS_COMPLETE: [MissingAction] extends [never] ? true : MissingAction = true;
