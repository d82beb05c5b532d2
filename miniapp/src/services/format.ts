/** How the app writes money, durations and times (China time, whatever the phone's zone). */
import { fenToYuan } from '@shared/money';
import { formatChinaTime } from '@shared/time';

export const yuan = (fen: number): string => `¥${fenToYuan(fen)}`;

/** 75 → "1小时15分钟", 0 → "0分钟". */
export function duration(minutes: number): string {
  const m = Math.max(0, Math.floor(minutes));
  const d = Math.floor(m / 1440);
  const h = Math.floor((m % 1440) / 60);
  const rest = m % 60;
  return `${d ? `${d}天` : ''}${h ? `${h}小时` : ''}${rest || (!d && !h) ? `${rest}分钟` : ''}`;
}

/** An ISO instant → "HH:mm" China time. */
export function hhmm(iso: string | number | Date): string {
  return formatChinaTime(typeof iso === 'string' ? Date.parse(iso) : iso).slice(11, 16);
}

/** An ISO instant → "yyyy-MM-dd HH:mm" China time. */
export function dateTime(iso: string | number | Date): string {
  return formatChinaTime(typeof iso === 'string' ? Date.parse(iso) : iso).slice(0, 16);
}

/** A Bluecard China time "yyyy-MM-dd HH:mm:ss" as shown: without seconds. */
export function lotTime(s: string): string {
  return /^\d{4}-\d{2}-\d{2} \d{2}:\d{2}/.test(s) ? s.slice(0, 16) : s;
}

/** Milliseconds left → "mm:ss" (or "h:mm:ss"); 0 when past. */
export function countdown(ms: number): string {
  const s = Math.max(0, Math.ceil(ms / 1000));
  const h = Math.floor(s / 3600);
  const mm = String(Math.floor((s % 3600) / 60)).padStart(2, '0');
  const ss = String(s % 60).padStart(2, '0');
  return h ? `${h}:${mm}:${ss}` : `${mm}:${ss}`;
}
