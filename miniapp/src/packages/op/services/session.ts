/**
 * The operator's session, kept apart from the driver's (another storage key, never sent to driver
 * endpoints): log in with username and password (POST /api/op/auth/login), call `auth: 'operator'`
 * contracts with its token (opCall → services/api.ts callWithToken → prepareRequest adds the bearer), log
 * out. A 401 from the server means the session ended (12 h, logout elsewhere, a changed password or role):
 * the stored one is dropped and the screens ask the operator to log in again.
 */
import type { RequestOf, ResponseOf, EndpointDef } from '@shared/api/contract';
import { opAccountEndpoints, type OperatorView } from '@shared/api/op-accounts';
import { ApiError, call, callWithToken } from '../../../services/api';
import { load, remove, save } from '../../../services/storage';
import { serverNow } from '../../../services/serverClock';

export const OP_SESSION_KEY = 'parkpay.opSession';

export interface OpSession {
  token: string;
  expiresAt: string;
  operator: OperatorView;
}

function valid(s: unknown): s is OpSession {
  const o = s as Partial<OpSession> | undefined;
  return Boolean(o && typeof o.token === 'string' && o.token && typeof o.expiresAt === 'string' && o.operator && typeof o.operator.username === 'string');
}

/** The stored operator session, if it has not expired. */
export function opSession(): OpSession | undefined {
  const s = load<OpSession>(OP_SESSION_KEY);
  if (!valid(s)) return undefined;
  if (!(Date.parse(s.expiresAt) > serverNow())) return undefined;
  return s;
}

export function clearOpSession(): void {
  remove(OP_SESSION_KEY);
}

/** Log in; the session is stored only when the server accepted the password. */
export async function opLogin(username: string, password: string): Promise<OpSession> {
  const answer = await call(opAccountEndpoints.login, { body: { username: username.trim(), password } });
  const s: OpSession = { token: answer.token, expiresAt: answer.expiresAt, operator: answer.operator };
  save(OP_SESSION_KEY, s);
  return s;
}

/** Log out: the server ends the session (best effort: a lost network still forgets it here). */
export async function opLogout(): Promise<void> {
  const s = opSession();
  clearOpSession();
  if (!s) return;
  try {
    await callWithToken(opAccountEndpoints.logout, {}, s.token);
  } catch {
    // Forgotten on this device either way; the server's session expires by itself.
  }
}

export const NOT_LOGGED_IN = 'unauthenticated';

/**
 * Call an operator endpoint with the stored session. No session, or the server no longer knows it:
 * ApiError 'unauthenticated' (status 401), and the stored session is gone.
 */
export async function opCall<E extends EndpointDef>(endpoint: E, request: RequestOf<E>): Promise<ResponseOf<E>> {
  const s = opSession();
  if (!s) throw new ApiError(NOT_LOGGED_IN, '请先登录车场管理', 401);
  try {
    return await callWithToken(endpoint, request, s.token);
  } catch (e) {
    if (e instanceof ApiError && e.status === 401) clearOpSession();
    throw e;
  }
}

export const ROLE_NAMES = { admin: '平台管理员', operator: '车场管理员', merchant: '商户' } as const;
