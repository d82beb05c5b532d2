/**
 * What a message's template fields may be filled with, per kind: a template's configuration maps each of its
 * keywords (thing1, amount2, car_number3, …) to one of these. Values are rendered for the keyword's type
 * (render.ts) by the rules WeChat checks (订阅消息参数值内容限制).
 */
import type { MessageKind } from '../../../../shared/api/messages';

export const MESSAGE_SOURCES = {
  entry: ['parkName', 'plate', 'inTime', 'note'],
  payment: ['parkName', 'plate', 'amount', 'paidAt', 'orderNo', 'leaveBy', 'note'],
  free_exit_ending: ['parkName', 'plate', 'leaveBy', 'minutesLeft', 'note'],
  deduction: ['parkName', 'plate', 'amount', 'paidAt', 'orderNo', 'note'],
  refund: ['parkName', 'plate', 'amount', 'refundedAt', 'orderNo', 'reason', 'note'],
  pass_expiring: ['parkName', 'plate', 'passEndsAt', 'daysLeft', 'note'],
} as const satisfies Record<MessageKind, readonly string[]>;

export type MessageSource = (typeof MESSAGE_SOURCES)[MessageKind][number];
export const ALL_MESSAGE_SOURCES = [...new Set(Object.values(MESSAGE_SOURCES).flat())] as MessageSource[];
