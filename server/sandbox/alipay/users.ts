/**
 * The sandbox's Alipay users: fixed, derived from a name, so the same name is the same user in every run
 * (user_id 2088… for user_id-mode apps, open_id for open_id-mode apps, a masked logon id as Alipay shows it).
 */
import { createHash } from 'node:crypto';

export interface SandboxUser {
  name: string;
  /** 16 digits starting with 2088. */
  userId: string;
  /** What open_id-mode apps see instead of user_id. */
  openId: string;
  /** Masked, as buyer_logon_id shows it. */
  logonId: string;
}

function digest(text: string): Buffer {
  return createHash('sha256').update(text).digest();
}

/** 2088 + 12 digits derived from `seed`. */
export function pid(seed: string): string {
  const n = digest(seed).readBigUInt64BE(0) % 1_000_000_000_000n;
  return `2088${n.toString().padStart(12, '0')}`;
}

export function sandboxUser(name: string): SandboxUser {
  if (!/^[A-Za-z0-9_.-]{1,32}$/.test(name)) throw new Error(`sandbox user name ${JSON.stringify(name)}: 1–32 letters, digits, '_', '.', '-'`);
  const open = digest(`open:${name}`).toString('base64').replace(/[^A-Za-z0-9]/g, '');
  return {
    name,
    userId: pid(`user:${name}`),
    openId: `0${open.slice(0, 45).padEnd(45, '0')}`,
    logonId: `${name.slice(0, 3)}***@sandbox.alipay`,
  };
}

/** Users the demo and tests use by name. Any other name works too (sandboxUser). */
export const SANDBOX_USERS = {
  driver: sandboxUser('driver'),
  zhang: sandboxUser('zhang'),
  li: sandboxUser('li'),
} as const;
