/**
 * Operator passwords: scrypt (node:crypto) with a random 16-byte salt per password, stored as
 * `scrypt$N$r$p$<salt b64>$<hash b64>` so the cost can be raised later without breaking old hashes.
 * Compared with timingSafeEqual. The plain password is never stored, returned or logged.
 */
import { randomBytes, scrypt as scryptCb, timingSafeEqual, type ScryptOptions } from 'node:crypto';

const KEYLEN = 64;
/** N = 2^15: ~50–100 ms per hash on one core; slow to guess, fast enough for a login. */
export const DEFAULT_SCRYPT_COST = 1 << 15;
const R = 8;
const P = 1;

function scrypt(password: string, salt: Buffer, keylen: number, opts: ScryptOptions): Promise<Buffer> {
  return new Promise((resolve, reject) =>
    scryptCb(password.normalize('NFC'), salt, keylen, opts, (err, key) => (err ? reject(err) : resolve(key))),
  );
}

const maxmem = (n: number, r: number) => 256 * n * r;

export async function hashPassword(password: string, cost = DEFAULT_SCRYPT_COST): Promise<string> {
  const salt = randomBytes(16);
  const key = await scrypt(password, salt, KEYLEN, { N: cost, r: R, p: P, maxmem: maxmem(cost, R) });
  return `scrypt$${cost}$${R}$${P}$${salt.toString('base64')}$${key.toString('base64')}`;
}

/** True when `password` matches the stored hash. A malformed hash never matches. */
export async function verifyPassword(password: string, stored: string): Promise<boolean> {
  const parts = stored.split('$');
  if (parts.length !== 6 || parts[0] !== 'scrypt') return false;
  const [n, r, p] = [Number(parts[1]), Number(parts[2]), Number(parts[3])];
  if (![n, r, p].every((x) => Number.isInteger(x) && x > 0) || n > 1 << 20) return false;
  const salt = Buffer.from(parts[4]!, 'base64');
  const expected = Buffer.from(parts[5]!, 'base64');
  if (salt.length < 8 || expected.length < 16) return false;
  const key = await scrypt(password, salt, expected.length, { N: n, r, p, maxmem: maxmem(n, r) });
  return timingSafeEqual(key, expected);
}

/**
 * A hash of a random password at the given cost: checked against when the username is unknown, so an
 * unknown username takes as long to refuse as a wrong password (no username enumeration by timing).
 */
export function decoyHash(cost = DEFAULT_SCRYPT_COST): Promise<string> {
  return hashPassword(randomBytes(18).toString('base64'), cost);
}

/** What a new password must be: 10–128 characters, not all the same, not the username. Throws a reason. */
export function passwordProblem(password: string, username: string): string | undefined {
  if (password.length < 10) return 'a password has at least 10 characters';
  if (password.length > 128) return 'a password has at most 128 characters';
  if (new Set(password).size < 4) return 'a password needs at least 4 different characters';
  if (password.toLowerCase().includes(username.toLowerCase())) return 'a password may not contain the username';
  return undefined;
}
