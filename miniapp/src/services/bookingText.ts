/**
 * How bookings read (drivers' pages in packages/book, operators' in packages/op): status, the let-in
 * window, the cancellation rule, the refund. China time.
 */
import type { BookingOfferView, BookingView } from '@shared/api/bookings';
import { dateTime, hhmm, yuan } from './format';

export const STATUS_TEXT: Record<BookingView['status'], string> = {
  reserving: '正在预留',
  awaiting_payment: '待支付',
  issuing: '已支付，正在通知车场',
  booked: '预约成功',
  admitted: '已入场',
  window_closed: '已过入场时间',
  cancelling: '正在取消',
  cancelled: '已取消',
  expired: '未支付，已失效',
  refused: '车场未接受，已全额退款',
  failed: '预约失败',
};

/** "入场时间 11-28 09:00–11:00" (China time; the date once when both ends are on one day). */
export function letInText(b: Pick<BookingOfferView, 'letInStart' | 'letInEnd'>): string {
  const s = dateTime(b.letInStart);
  const e = dateTime(b.letInEnd);
  return s.slice(0, 10) === e.slice(0, 10) ? `${s.slice(5)}–${hhmm(b.letInEnd)}` : `${s.slice(5)} – ${e.slice(5)}`;
}

export function cancelRuleText(r: BookingOfferView['cancelRule']): string {
  const early = r.fullRefundMinutesBefore >= 60 && r.fullRefundMinutesBefore % 60 === 0 ? `${r.fullRefundMinutesBefore / 60} 小时` : `${r.fullRefundMinutesBefore} 分钟`;
  const late = r.lateRefundPercent === 0 ? '之后取消不退款' : `之后取消退 ${r.lateRefundPercent}%`;
  return `入场时间开始前 ${early}取消全额退款，${late}`;
}

export function areaText(areaId: number): string {
  return areaId === 0 ? '不限区域' : `区域 ${areaId}`;
}

export function refundText(b: BookingView): string | undefined {
  if (!b.refund) return undefined;
  return `${b.refund.state === 'done' ? '已退款' : '退款中'} ${yuan(b.refund.fen)}`;
}
