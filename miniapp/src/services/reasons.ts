/** Why an order closed or was refunded, in the driver's words. Refund reasons are "code: detail". */
import type { OrderView } from '@shared/api/orders';

const CLOSED: Record<string, string> = {
  superseded: '费用已更新，请按新费用支付',
  quote_expired: '报价已过期，请重新查询费用',
  cancelled: '已取消',
  payment_expired: '支付超时',
};

const REFUND: Record<string, string> = {
  car_left: '车辆在支付完成前已离场',
  lot_refused: '车场拒绝了这笔缴费',
  lot_unreachable: '车场长时间无法联系',
  lot_call_failed: '通知车场失败',
  amount_mismatch: '支付金额与订单不符',
  booking_cancelled: '预约已取消',
  booking_window_passed: '预约的入场时间已过，车场未收到预约',
};

export function closedReasonText(reason: string | null): string {
  if (!reason) return '订单已关闭';
  return CLOSED[reason] ?? reason;
}

export function refundReasonText(reason: string): string {
  const code = reason.split(':')[0]!.trim();
  return REFUND[code] ?? reason;
}

export const STATUS_TEXT: Record<OrderView['status'], string> = {
  quoted: '待支付',
  pending: '支付中',
  paid: '已支付，正在通知车场',
  delivered: '已缴费',
  closed: '已关闭',
  refunding: '退款中',
  refunded: '已退款',
};
