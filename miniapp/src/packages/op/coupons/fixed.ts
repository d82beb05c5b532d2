/** The fixed-code form (4.24): the amount as for a given coupon, how many days it lasts, how many stays at most. */
import { duration, yuan } from '../../../services/format';
import { amountOf, type CouponAmount, type CouponKind } from './form';
import { serverNow } from '../../../services/serverClock';

export interface FixedForm {
  kind: CouponKind;
  minutes: string;
  yuan: string;
  /** Days from now, as typed (1–90: the server takes an end at most 90 days ahead). */
  days: string;
  /** Empty: no limit. */
  maxUses: string;
  label: string;
}

export const EMPTY_FIXED: FixedForm = { kind: 'hours', minutes: '60', yuan: '', days: '30', maxUses: '', label: '' };

export type FixedBody = CouponAmount & { end: string; maxUses?: number; label?: string };

const DAY_MS = 86_400_000;

/** The createFixed body, or what is wrong. */
export function fixedBody(f: FixedForm, now = serverNow()): { body: FixedBody } | { error: string } {
  const amount = amountOf({ plate: '', memo: '', kind: f.kind, minutes: f.minutes, yuan: f.yuan });
  if ('error' in amount) return amount;
  const d = f.days.trim();
  if (!/^\d+$/.test(d) || Number(d) < 1 || Number(d) > 90) return { error: '有效天数为 1 到 90 天' };
  // A minute short of the full days: the server refuses an end beyond 90 days from its own clock.
  const body: FixedBody = { ...amount, end: new Date(now + Number(d) * DAY_MS - 60_000).toISOString() };
  const m = f.maxUses.trim();
  if (m) {
    if (!/^\d+$/.test(m) || Number(m) < 1 || Number(m) > 1_000_000) return { error: '次数上限为 1 到 1000000，或留空（不限）' };
    body.maxUses = Number(m);
  }
  if (f.label.trim()) body.label = f.label.trim().slice(0, 60);
  return { body };
}

/** "1小时停车券" / "¥5.00 停车券". */
export function fixedAmount(c: { kind: CouponKind; minutes: number | null; fen: number | null }): string {
  return c.kind === 'hours' ? `${duration(c.minutes ?? 0)}停车券` : `${yuan(c.fen ?? 0)} 停车券`;
}
