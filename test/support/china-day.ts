/**
 * Tests that pay now and reconcile "today": their payments and the day they reconcile must be one China
 * day, whatever the hour the suite runs at. Run near midnight, such a test starts after it instead of
 * letting its payments fall on two days.
 */
import { formatChinaDate, parseChinaTime } from '../../shared/time';
import { waitUntil } from './eventually';

const DAY = 24 * 3_600_000;

/** Time left of the China day at `t`. */
export function leftOfChinaDay(t: number): number {
  return parseChinaTime(`${formatChinaDate(t)} 00:00:00`).getTime() + DAY - t;
}

/** The China date `days` before `date` (yyyy-MM-dd). */
export function chinaDaysBefore(date: string, days: number): string {
  return formatChinaDate(parseChinaTime(`${date} 12:00:00`).getTime() - days * DAY);
}

/**
 * Waits, when less than `withinMs` (the time limit of what pays next: a test or a hook) is left of the China
 * day, until the next day has begun. Its hook needs a time limit of `clearOfMidnight.hookMs(withinMs)`.
 */
export async function clearOfMidnight(withinMs: number): Promise<void> {
  await waitUntil(() => leftOfChinaDay(Date.now()) > withinMs, 'the next China day', withinMs + 5_000);
}
clearOfMidnight.hookMs = (withinMs: number) => withinMs + 10_000;
