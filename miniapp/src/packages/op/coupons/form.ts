/** The give-a-coupon form: the amount as the operator types it → the 4.23 body; idempotency per attempt. */
import { isYuan, yuanToFen } from '@shared/money';

export type CouponKind = 'hours' | 'money';

export interface CouponForm {
  plate: string;
  kind: CouponKind;
  /** Hour coupons: minutes, as typed. */
  minutes: string;
  /** Money coupons: yuan, as typed ("5", "2.50"). */
  yuan: string;
  memo: string;
}

export const EMPTY_FORM: CouponForm = { plate: '', kind: 'hours', minutes: '60', yuan: '', memo: '' };

export type CouponAmount = { kind: 'hours'; minutes: number } | { kind: 'money'; fen: number };

/** The amount, or why it cannot be given (the server's limits: 1 minute–7 days; ¥0.01–¥1000). */
export function amountOf(f: CouponForm): CouponAmount | { error: string } {
  if (f.kind === 'hours') {
    const t = f.minutes.trim();
    if (!/^\d+$/.test(t)) return { error: '请输入分钟数' };
    const minutes = Number(t);
    if (minutes < 1 || minutes > 7 * 24 * 60) return { error: '时长为 1 分钟到 7 天' };
    return { kind: 'hours', minutes };
  }
  if (!isYuan(f.yuan)) return { error: '请输入金额（元，最多两位小数）' };
  const fen = yuanToFen(f.yuan);
  if (fen < 1 || fen > 100_000) return { error: '金额为 0.01 到 1000 元' };
  return { kind: 'money', fen };
}

/** 8–64 of [A-Za-z0-9_-]: one per attempt, kept for a retry of the same attempt (the same coupon comes back). */
export function newRequestId(): string {
  return `op${Date.now().toString(36)}${Math.random().toString(36).slice(2, 10)}`;
}
