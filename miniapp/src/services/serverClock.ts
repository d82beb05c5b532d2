/**
 * The server's now, as the app API's answers tell it (`x-server-time`, ms): times the server sends (leave
 * by…) are counted down from it, not from the phone's clock, which may be off (and in the demo, the lot's
 * clock runs ahead of real time).
 */
let offsetMs = 0;

/** Note the server's time from an answer's headers (taken halfway between sending and receiving). */
export function noteServerTime(header: Record<string, unknown> | undefined, sentAt: number, receivedAt: number): void {
  if (!header) return;
  const raw = header['x-server-time'] ?? header['X-Server-Time'];
  const at = typeof raw === 'string' || typeof raw === 'number' ? Number(raw) : NaN;
  if (!Number.isFinite(at) || at <= 0) return;
  offsetMs = at - (sentAt + receivedAt) / 2;
}

/** Now on the server's clock (the phone's until an answer said otherwise). */
export function serverNow(): number {
  return Date.now() + offsetMs;
}
