/** The pass offer form: what the operator types, and the body it makes (or what is wrong with it). */
import type { OpPassOfferInput } from '@shared/api/passes';
import { isYuan, yuanToFen } from '@shared/money';

export const PASS_DURATIONS = [1, 3, 6, 12] as const;

export interface PassOfferForm {
  areaIds: number[];
  /** Yuan per duration; '' = not offered (one month is required). */
  yuan: Record<(typeof PASS_DURATIONS)[number], string>;
  newPlates: 'yes' | 'no';
  maxPasses: string;
  text: string;
  status: 'on_sale' | 'withdrawn';
}

export function emptyPassForm(areaIds: number[]): PassOfferForm {
  return { areaIds, yuan: { 1: '', 3: '', 6: '', 12: '' }, newPlates: 'yes', maxPasses: '100', text: '', status: 'on_sale' };
}

export function passOfferBody(f: PassOfferForm): OpPassOfferInput | { error: string } {
  if (f.areaIds.length === 0) return { error: '至少选择一个区域' };
  const prices: OpPassOfferInput['prices'] = [];
  for (const months of PASS_DURATIONS) {
    const y = f.yuan[months].trim();
    if (y === '') continue;
    if (!isYuan(y) || yuanToFen(y) <= 0) return { error: `${months} 个月的价格不是有效金额` };
    prices.push({ months, priceFen: yuanToFen(y) });
  }
  if (!prices.some((p) => p.months === 1)) return { error: '请填写 1 个月的价格' };
  const max = Number(f.maxPasses);
  if (!Number.isInteger(max) || max < 1) return { error: '可售数量至少为 1' };
  if (f.text.length > 500) return { error: '说明最多 500 字' };
  return { areaIds: f.areaIds, prices, newPlates: f.newPlates === 'yes', maxPasses: max, text: f.text.trim(), status: f.status };
}
