/**
 * Operator accounts: log in and out, who am I, change my password; admins create, edit and
 * disable accounts; the audit log of operator actions.
 *
 * Roles: 'admin' (every park), 'operator' (the parks named), 'merchant' (the parks named; coupons only).
 * Log in with POST /api/op/auth/login, then send `Authorization: Bearer <token>` to every /api/op/ endpoint.
 * A session lasts 12 hours. Five wrong passwords for one username within 15 minutes lock that username for
 * 15 minutes (`login_locked`, 429, with `details.retryAfterSeconds`).
 */
import { z } from 'zod';
import { defineEndpoint } from './contract';
import { auditFactsSchema } from './op-audit';

export const operatorRoleSchema = z.enum(['admin', 'operator', 'merchant']);
export type OperatorRoleName = z.infer<typeof operatorRoleSchema>;

export const operatorViewSchema = z.object({
  id: z.string(),
  username: z.string(),
  role: operatorRoleSchema,
  /** Empty for admins (they see every park). */
  parks: z.array(z.string()),
  displayName: z.string().nullable(),
  disabled: z.boolean(),
  createdAt: z.iso.datetime(),
  lastLoginAt: z.iso.datetime().nullable(),
});
export type OperatorView = z.infer<typeof operatorViewSchema>;

export const operatorSessionSchema = z.object({
  /** 32 random bytes, base64url. Shown once. */
  token: z.string(),
  expiresAt: z.iso.datetime(),
  operator: operatorViewSchema,
});

const username = z.string().trim().min(1).max(64);
/** Rules checked by the server (`weak_password`): 10–128 characters, 4 different ones at least, not containing the username. */
const newPassword = z.string().min(1).max(128);
const parks = z.array(z.string().trim().min(1).max(64)).max(500);
const ok = z.object({ ok: z.literal(true) });

export const auditEntrySchema = z.object({
  at: z.iso.datetime(),
  operatorId: z.string(),
  username: z.string(),
  /** The operator's name as it was then (null: none set). */
  displayName: z.string().nullable(),
  /** 'POST /api/op/parks/:parkNumber/…': what was done (shared/api/op-audit.ts lists every one). */
  action: z.string(),
  parkNumber: z.string().nullable(),
  /** What the action was about, per action (shared/api/op-audit.ts); {} when nothing was recorded. */
  facts: auditFactsSchema,
  /** Entries written before facts existed: a short text of the target. */
  target: z.string().nullable(),
  result: z.enum(['ok', 'error']),
  code: z.string().nullable(),
});
export type AuditEntryView = z.infer<typeof auditEntrySchema>;

export const opAccountEndpoints = {
  login: defineEndpoint({
    summary: 'Log in as an operator with username and password.',
    method: 'POST',
    path: '/api/op/auth/login',
    auth: 'none',
    body: z.object({ username, password: z.string().min(1).max(256) }),
    response: operatorSessionSchema,
    /**
     * invalid_credentials (401: wrong username or password — the same answer for both);
     * login_locked (429: too many failures, details.retryAfterSeconds); account_disabled (403).
     */
    errors: ['invalid_credentials', 'login_locked', 'account_disabled'],
  }),
  logout: defineEndpoint({
    summary: 'End the session this request carries.',
    method: 'POST',
    path: '/api/op/auth/logout',
    auth: 'operator',
    response: ok,
  }),
  me: defineEndpoint({
    summary: 'The logged-in operator.',
    method: 'GET',
    path: '/api/op/me',
    auth: 'operator',
    response: operatorViewSchema,
  }),
  changePassword: defineEndpoint({
    summary: "Change one's own password; every other session of the account ends.",
    method: 'POST',
    path: '/api/op/me/password',
    auth: 'operator',
    body: z.object({ currentPassword: z.string().min(1).max(256), newPassword }),
    response: ok,
    /** invalid_credentials: the current password is wrong (400); weak_password (400). */
    errors: ['invalid_credentials', 'weak_password'],
  }),
  listOperators: defineEndpoint({
    summary: 'Admins: every operator account.',
    method: 'GET',
    path: '/api/op/operators',
    auth: 'operator',
    response: z.object({ operators: z.array(operatorViewSchema) }),
  }),
  createOperator: defineEndpoint({
    summary: 'Admins: create an operator account.',
    method: 'POST',
    path: '/api/op/operators',
    auth: 'operator',
    body: z.object({
      username,
      password: newPassword,
      role: operatorRoleSchema,
      /** Required (at least one) for operators and merchants; ignored for admins. */
      parks: parks.optional(),
      displayName: z.string().trim().max(64).optional(),
    }),
    response: operatorViewSchema,
    /** invalid_username, weak_password, parks_required (400); park_unknown (404); username_taken (409). */
    errors: ['invalid_username', 'weak_password', 'parks_required', 'park_unknown', 'username_taken'],
  }),
  updateOperator: defineEndpoint({
    summary: "Admins: change an operator's role, parks, name or password, or disable/enable the account (its sessions end).",
    method: 'POST',
    path: '/api/op/operators/:operatorId',
    auth: 'operator',
    params: z.object({ operatorId: z.string().trim().min(1).max(64) }),
    body: z.object({
      role: operatorRoleSchema.optional(),
      parks: parks.optional(),
      displayName: z.string().trim().max(64).nullable().optional(),
      disabled: z.boolean().optional(),
      password: newPassword.optional(),
    }),
    response: operatorViewSchema,
    /** not_found (404); own_account: an admin may not disable or demote themselves (409). */
    errors: ['not_found', 'weak_password', 'parks_required', 'park_unknown', 'own_account'],
  }),
  audit: defineEndpoint({
    summary: 'The audit log, newest first: admins see every entry, operators those of their parks and their own.',
    method: 'GET',
    path: '/api/op/audit',
    auth: 'operator',
    query: z.object({
      parkNumber: z.string().trim().min(1).max(64).optional(),
      operatorId: z.string().trim().min(1).max(64).optional(),
      /** Entries before this moment (the `next` of the previous page). */
      before: z.iso.datetime({ offset: true }).optional(),
      limit: z.coerce.number().int().min(1).max(200).default(50),
    }),
    response: z.object({
      entries: z.array(auditEntrySchema),
      /** Pass as `before` for the next page; null when this was the last. */
      next: z.iso.datetime().nullable(),
    }),
  }),
} as const;
