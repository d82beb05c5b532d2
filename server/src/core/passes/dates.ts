/**
 * Pass validity in whole China days, as the lot's whitelist spells them (4.6/4.8 start and end are
 * yyyy-MM-dd, both days included). Pure string arithmetic on calendar dates: no time zone can shift a day.
 */

const DATE = /^(\d{4})-(\d{2})-(\d{2})$/;

function parts(d: string): [number, number, number] {
  const m = DATE.exec(d);
  if (!m) throw new Error(`not a date: ${d}`);
  return [Number(m[1]), Number(m[2]), Number(m[3])];
}

function spell(y: number, m: number, d: number): string {
  return `${String(y).padStart(4, '0')}-${String(m).padStart(2, '0')}-${String(d).padStart(2, '0')}`;
}

function daysIn(y: number, m: number): number {
  return new Date(Date.UTC(y, m, 0)).getUTCDate();
}

export function isPassDate(d: unknown): d is string {
  if (typeof d !== 'string' || !DATE.test(d)) return false;
  const [y, m, day] = parts(d);
  return m >= 1 && m <= 12 && day >= 1 && day <= daysIn(y, m);
}

export function addDays(d: string, n: number): string {
  const [y, m, day] = parts(d);
  const t = new Date(Date.UTC(y, m - 1, day + n));
  return spell(t.getUTCFullYear(), t.getUTCMonth() + 1, t.getUTCDate());
}

/**
 * The last day of a pass of `months` that follows a pass ending on `lastDay`: the same day of the month
 * `months` later, and a pass ending on a month's last day ends on the last day of that later month
 * (01-31 + 1 → 02-28, 02-28 + 1 → 03-31), as lots renew monthly cards.
 */
export function extendEnd(lastDay: string, months: number): string {
  const [y, m, d] = parts(lastDay);
  const index = y * 12 + (m - 1) + months;
  const ny = Math.floor(index / 12);
  const nm = (index % 12) + 1;
  const endOfMonth = d === daysIn(y, m);
  return spell(ny, nm, endOfMonth ? daysIn(ny, nm) : Math.min(d, daysIn(ny, nm)));
}

/**
 * A pass of `months` bought on `today` over a validity ending `current` (null: none): it follows on from
 * the current one when that still holds today (nothing is lost by renewing early), else it starts today.
 */
export function renewal(today: string, current: string | null, months: number): { start: string | null; end: string } {
  if (current !== null && current >= today) return { start: null, end: extendEnd(current, months) };
  return { start: today, end: extendEnd(addDays(today, -1), months) };
}
