/** The new-offer form: China times as picked and yuan as typed → the create body, or what is wrong with it. */
import { isYuan, yuanToFen } from '@shared/money';
import { formatChinaTime, isChinaTime, parseChinaTime } from '@shared/time';
import { serverNow } from '../../../services/serverClock';

export interface OfferForm {
  title: string;
  areaId: string;
  yuan: string;
  count: string;
  /** yyyy-MM-dd HH:mm, China time. */
  letInStart: string;
  letInEnd: string;
  start: string;
  end: string;
  fullRefundMinutesBefore: string;
  lateRefundPercent: string;
}

/** Tomorrow 08:00–10:00 let-in, the booking until 18:00; full refund until an hour before, then half. */
export function defaultOfferForm(now = serverNow()): OfferForm {
  const tomorrow = formatChinaTime(now + 86_400_000).slice(0, 10);
  return {
    title: '工作日早高峰预约',
    areaId: '0',
    yuan: '10',
    count: '10',
    letInStart: `${tomorrow} 08:00`,
    letInEnd: `${tomorrow} 10:00`,
    start: `${tomorrow} 08:00`,
    end: `${tomorrow} 18:00`,
    fullRefundMinutesBefore: '60',
    lateRefundPercent: '50',
  };
}

export interface OfferBody {
  title: string;
  areaId: number;
  priceFen: number;
  start: string;
  end: string;
  letInStart: string;
  letInEnd: string;
  count: number;
  cancelRule: { fullRefundMinutesBefore: number; lateRefundPercent: number };
}

const int = (s: string) => (/^\d+$/.test(s.trim()) ? Number(s.trim()) : NaN);

export function offerBody(f: OfferForm, now = Date.now()): OfferBody | { error: string } {
  const title = f.title.trim();
  if (!title || title.length > 40) return { error: '名称 1–40 个字' };
  const areaId = int(f.areaId);
  if (!Number.isFinite(areaId)) return { error: '请选择区域' };
  if (!isYuan(f.yuan) || yuanToFen(f.yuan) < 1) return { error: '价格填金额（元，最多两位小数）' };
  const count = int(f.count);
  if (!(count >= 1 && count <= 10_000)) return { error: '数量为 1–10000' };
  const times = { letInStart: f.letInStart, letInEnd: f.letInEnd, start: f.start, end: f.end };
  for (const [k, v] of Object.entries(times)) {
    if (!isChinaTime(v)) return { error: `请选择${k === 'letInStart' || k === 'letInEnd' ? '入场时间' : '车位保留时段'}的日期和时间` };
  }
  const at = (s: string) => parseChinaTime(s).getTime();
  if (at(f.letInEnd) <= at(f.letInStart)) return { error: '入场时间的结束须晚于开始' };
  if (at(f.end) <= at(f.start)) return { error: '车位保留时段的结束须晚于开始' };
  // The car may come in only while its space is held (the server checks the same).
  if (at(f.letInStart) < at(f.start) || at(f.letInEnd) > at(f.end)) return { error: '入场时间须在车位保留时段之内' };
  if (at(f.letInEnd) <= now) return { error: '入场时间已经过去' };
  const full = int(f.fullRefundMinutesBefore);
  const late = int(f.lateRefundPercent);
  if (!Number.isFinite(full)) return { error: '全额退款提前分钟数填数字' };
  if (!(late >= 0 && late <= 100)) return { error: '之后退款比例为 0–100' };
  const iso = (s: string) => parseChinaTime(s).toISOString();
  return {
    title,
    areaId,
    priceFen: yuanToFen(f.yuan),
    start: iso(f.start),
    end: iso(f.end),
    letInStart: iso(f.letInStart),
    letInEnd: iso(f.letInEnd),
    count,
    cancelRule: { fullRefundMinutesBefore: full, lateRefundPercent: late },
  };
}
