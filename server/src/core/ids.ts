/**
 * The random parts of ParkPay's ids and order numbers, in one place so every kind draws them the same way.
 * Each kind keeps its own prefix and length (the providers' limits and the lot's fields are in the callers'
 * doc comments); what they share is the alphabet, the China-time stamp and the source of randomness.
 */
import { randomBytes } from 'node:crypto';
import { formatChinaTime } from '../../../shared/time';

/** Digits and capitals without I, L, O, U: nothing a cashier or a driver reads aloud gets confused. */
export const BASE32 = '0123456789ABCDEFGHJKMNPQRSTVWXYZ';

/** `n` characters drawn from `alphabet` (one random byte each). */
export function randomChars(n: number, alphabet: string = BASE32): string {
  return [...randomBytes(n)].map((b) => alphabet[b % alphabet.length]).join('');
}

/** `bytes` random bytes as lower-case hex (2 characters a byte). */
export function randomHex(bytes: number): string {
  return randomBytes(bytes).toString('hex');
}

/** China time as yyMMddHHmmss: order numbers sort by when they were made and tell a reader the day. */
export function chinaStamp(now: number | Date): string {
  return formatChinaTime(now).replace(/\D/g, '').slice(2, 14);
}

/** prefix + China time yyMMddHHmmss + `randomLength` base-32 characters. */
export function timedNo(prefix: string, now: number | Date, randomLength: number): string {
  return `${prefix}${chinaStamp(now)}${randomChars(randomLength)}`;
}
