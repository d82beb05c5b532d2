/**
 * For the tests of the embedded engine itself: our FerretDB build (as the server would find or build it),
 * waiting for a condition, and what a process listens on.
 */
import { readFileSync, readdirSync, readlinkSync } from 'node:fs';
import path from 'node:path';
import { buildFerretDb, findFerretDb, type FerretDbBinary } from '../../server/src/repository/engine/ferretdb';

export const REPO = path.resolve(__dirname, '../..');
export const CACHE_DIR = path.join(REPO, '.cache');

/** The FerretDB build the server would run ($PARKPAY_FERRETDB_BIN, the cache, PATH; built once when missing). */
export function ferretDbBinary(): FerretDbBinary {
  return findFerretDb(CACHE_DIR) ?? buildFerretDb(CACHE_DIR, () => {});
}

/** Resolves when check() holds, checking every 25 ms; rejects naming `what` after timeoutMs. */
export async function waitFor(check: () => boolean | Promise<boolean>, what: string, timeoutMs = 20_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    if (await check()) return;
    if (Date.now() > deadline) throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 25));
  }
}

/** True while a process with this id exists. */
export function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
}

/** The TCP ports a process listens on (Linux: its socket inodes matched against /proc/net/tcp and tcp6). */
export function tcpListenPorts(pid: number): number[] {
  const inodes = new Set<string>();
  for (const fd of readdirSync(`/proc/${pid}/fd`)) {
    try {
      const m = /^socket:\[(\d+)\]$/.exec(readlinkSync(`/proc/${pid}/fd/${fd}`));
      if (m) inodes.add(m[1]!);
    } catch {
      // closed meanwhile
    }
  }
  const ports: number[] = [];
  for (const table of ['/proc/net/tcp', '/proc/net/tcp6']) {
    for (const line of readFileSync(table, 'utf8').split('\n').slice(1)) {
      const f = line.trim().split(/\s+/);
      // local_address rem_address st … inode: st 0A is LISTEN.
      if (f.length > 9 && f[3] === '0A' && inodes.has(f[9]!)) ports.push(Number.parseInt(f[1]!.split(':')[1]!, 16));
    }
  }
  return ports.sort((a, b) => a - b);
}
