/**
 * Logging in and out. A login answers a session token, given to the client once (the server keeps only
 * its sha256), to send as `Authorization: Bearer <token>`; it expires after 30 days without use.
 *
 * Login errors: invalid_code (400: the wx.login / my.getAuthCode code is wrong, used or expired — get a new
 * one), rate_limited (429), login_refused (403: the provider refuses this user), provider_unavailable (503:
 * try again with a new code), not_offered (404: this login is not configured here).
 */
import { z } from 'zod';
import { defineEndpoint } from './contract';
import { driverViewSchema } from './me';

export const sessionAnswerSchema = z.object({
  /** 32 random bytes, base64url (43 characters). Shown once; keep it in the app's storage. */
  token: z.string(),
  expiresAt: z.iso.datetime(),
  driver: driverViewSchema,
});
export type SessionAnswer = z.infer<typeof sessionAnswerSchema>;

/** A provider's one-time login code (wx.login's `code`, my.getAuthCode's `authCode`). */
const loginCode = z.string().trim().min(1).max(128);
const LOGIN_ERRORS = ['invalid_code', 'rate_limited', 'login_refused', 'provider_unavailable', 'not_offered'] as const;

/** Demo names: letters, digits, '_', '.', '-' and common Chinese characters. */
export const DEMO_NAME = /^[A-Za-z0-9_.\-\u4e00-\u9fa5]{1,32}$/;

export const authEndpoints = {
  wechat: defineEndpoint({
    summary: 'Log in with a WeChat mini-program wx.login code.',
    method: 'POST',
    path: '/api/auth/wechat',
    auth: 'none',
    body: z.object({ code: loginCode }),
    response: sessionAnswerSchema,
    errors: LOGIN_ERRORS,
  }),
  alipay: defineEndpoint({
    summary: 'Log in with an Alipay mini-program my.getAuthCode authCode (scope auth_base).',
    method: 'POST',
    path: '/api/auth/alipay',
    auth: 'none',
    body: z.object({ code: loginCode }),
    response: sessionAnswerSchema,
    errors: LOGIN_ERRORS,
  }),
  demo: defineEndpoint({
    summary: 'Demo mode only (the H5 build in a desktop browser): log in as a named demo driver.',
    method: 'POST',
    path: '/api/auth/demo',
    auth: 'none',
    body: z.object({ name: z.string().trim().regex(DEMO_NAME, '1–32 letters, digits, _ . - or Chinese characters') }),
    response: sessionAnswerSchema,
    /** not_found: not in demo mode (404, as if the route did not exist). */
    errors: ['not_found'],
  }),
  logout: defineEndpoint({
    summary: 'Revoke the session token this request carries.',
    method: 'POST',
    path: '/api/auth/logout',
    auth: 'driver',
    response: z.object({ ok: z.literal(true) }),
  }),
} as const;
