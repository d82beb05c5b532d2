/**
 * Time on the wire is China Standard Time (UTC+8, no daylight saving) as `yyyy-MM-dd HH:mm:ss`,
 * whatever zone the host runs in. Inside we keep instants (Date / epoch ms).
 */

const CST_OFFSET_MS = 8 * 60 * 60 * 1000;

export class TimeFormatError extends Error {
  constructor(readonly input: unknown, reason: string) {
    super(`invalid China time ${JSON.stringify(input)}: ${reason}`);
    this.name = 'TimeFormatError';
  }
}

const pad = (n: number, w = 2) => n.toString().padStart(w, '0');

/** An instant → `yyyy-MM-dd HH:mm:ss` in China time. */
export function formatChinaTime(at: Date | number): string {
  const ms = typeof at === 'number' ? at : at.getTime();
  if (!Number.isFinite(ms)) throw new TimeFormatError(at, 'not a valid instant');
  const d = new Date(ms + CST_OFFSET_MS);
  return (
    `${pad(d.getUTCFullYear(), 4)}-${pad(d.getUTCMonth() + 1)}-${pad(d.getUTCDate())} ` +
    `${pad(d.getUTCHours())}:${pad(d.getUTCMinutes())}:${pad(d.getUTCSeconds())}`
  );
}

/** An instant → `yyyy-MM-dd` (China date). */
export function formatChinaDate(at: Date | number): string {
  return formatChinaTime(at).slice(0, 10);
}

/** An instant → `HHmmss` in China time, as used at the end of Bluecard's outTradeNo. */
export function formatChinaHhmmss(at: Date | number): string {
  return formatChinaTime(at).slice(11).replace(/:/g, '');
}

// Liberal: "2019 - 02 - 14 12: 02: 45 " (spaces the PDF put in), a 'T' separator, a date alone.
const LOOSE = /^(\d{4})\s*-\s*(\d{1,2})\s*-\s*(\d{1,2})(?:[\sT]+(\d{1,2})\s*:\s*(\d{1,2})(?:\s*:\s*(\d{1,2}))?)?$/;

/** `yyyy-MM-dd HH:mm:ss` (China time, liberal spacing) → the instant. */
export function parseChinaTime(input: string): Date {
  if (typeof input !== 'string') throw new TimeFormatError(input, 'not a string');
  const m = LOOSE.exec(input.trim());
  if (!m) throw new TimeFormatError(input, 'expected yyyy-MM-dd HH:mm:ss');
  const [y, mo, d, h = '0', mi = '0', s = '0'] = m.slice(1).map((v) => v ?? undefined) as string[];
  const parts = [y, mo, d, h, mi, s].map(Number);
  const [Y, M, D, H, Mi, S] = parts as [number, number, number, number, number, number];
  if (M < 1 || M > 12 || D < 1 || D > 31 || H > 23 || Mi > 59 || S > 59) {
    throw new TimeFormatError(input, 'a field is out of range');
  }
  // Date.UTC maps years 0–99 to 1900–1999; setUTCFullYear does not.
  const utc = new Date(Date.UTC(2000, 0, 1, H, Mi, S));
  utc.setUTCFullYear(Y, M - 1, D);
  const ms = utc.getTime() - CST_OFFSET_MS;
  const back = new Date(ms + CST_OFFSET_MS);
  if (back.getUTCDate() !== D) throw new TimeFormatError(input, 'no such day');
  return new Date(ms);
}

export function isChinaTime(input: unknown): boolean {
  if (typeof input !== 'string') return false;
  try {
    parseChinaTime(input);
    return true;
  } catch {
    return false;
  }
}

/** Bluecard's timeStamp: milliseconds since the epoch, as a string. */
export function timeStamp(at: Date | number = Date.now()): string {
  return String(typeof at === 'number' ? at : at.getTime());
}
