/**
 * Session tokens: 32 random bytes, base64url (43 characters), handed to the client once. We store only
 * sha256(token): a copy of the database does not let anyone act as a driver.
 */
import { createHash, randomBytes } from 'node:crypto';
import { randomHex } from '../ids';

const TOKEN = /^[A-Za-z0-9_-]{43}$/;

export function newSessionToken(): string {
  return randomBytes(32).toString('base64url');
}

/** sha256 of the token, hex. A lookup by hash needs no constant-time compare: the hash is not secret. */
export function hashSessionToken(token: string): string {
  return createHash('sha256').update(token, 'utf8').digest('hex');
}

/** Shaped like one of our tokens (checked before any database lookup). */
export function looksLikeSessionToken(token: string): boolean {
  return TOKEN.test(token);
}

/** "drv_" + 20 hex digits. */
export function newDriverId(): string {
  return `drv_${randomHex(10)}`;
}
