/** How payments read in the history and on receipts. */
import type { PaymentEntry } from '@shared/api/history';
import { refundReasonText } from './reasons';

export const KIND_TEXT: Record<PaymentEntry['kind'], string> = {
  stay: '停车缴费',
  unlicensed: '无牌车缴费',
  booking: '预约',
  deduction: '无感支付',
  pass: '月卡续费',
};

export const PAYMENT_STATUS_TEXT: Record<PaymentEntry['status'], string> = {
  paying: '支付中',
  paid: '已支付',
  refunding: '退款中',
  refunded: '已退款',
};

export const CHANNEL_TEXT = { wechat: '微信支付', alipay: '支付宝' } as const;

/** A deduction's refund reason is written for people already; an order's is "code: detail". */
export function paymentRefundReason(p: Pick<PaymentEntry, 'kind' | 'refund'>): string {
  if (!p.refund) return '';
  return p.kind === 'deduction' ? p.refund.reason : refundReasonText(p.refund.reason);
}

export function refundStateText(state: NonNullable<PaymentEntry['refund']>['state']): string {
  return state === 'done' ? '已退款' : state === 'failed' ? '退款未成功，客服会联系你' : '退款中';
}
