/**
 * WeChat Pay states → ours, in ONE place (medusa-style getStatus). Trade states: JSAPI/Native query and
 * the TRANSACTION.SUCCESS resource (`trade_state`); refund states: refund create/query (`status`) and the
 * REFUND.* resource (`refund_status`). WeChat docs: "基础支付 · 查询订单" trade_state, "退款 · 查询单笔退款" status.
 */

/** Our view of a WeChat order or refund. */
export type PaymentStatus = 'paid' | 'pending' | 'closed' | 'failed' | 'refunded';
/** The subset a refund can be in. */
export type RefundStatus = Extract<PaymentStatus, 'refunded' | 'pending' | 'closed' | 'failed'>;

export type WechatStateKind = 'trade' | 'refund';

/**
 * | kind   | WeChat state | ours     | why                                                             |
 * |--------|--------------|----------|-----------------------------------------------------------------|
 * | trade  | SUCCESS      | paid     | 支付成功                                                         |
 * | trade  | REFUND       | refunded | 转入退款: it was paid, then (part of) it refunded                |
 * | trade  | NOTPAY       | pending  | 未支付: the user may still pay until it is closed               |
 * | trade  | USERPAYING   | pending  | 用户支付中 (password being entered)                              |
 * | trade  | CLOSED       | closed   | 已关闭 (by us or expired)                                        |
 * | trade  | REVOKED      | closed   | 已撤销 (micropay only), no money moved                           |
 * | trade  | PAYERROR     | failed   | 支付失败 (bank refused)                                          |
 * | refund | SUCCESS      | refunded | 退款成功                                                         |
 * | refund | PROCESSING   | pending  | 退款处理中: wait for REFUND.* or query again                     |
 * | refund | CLOSED       | closed   | 退款关闭                                                         |
 * | refund | ABNORMAL     | failed   | 退款异常 (the user's card is gone): needs a manual abnormal refund |
 * | any    | (unknown)    | pending  | never grants anything; the caller queries again later           |
 */
export function mapWechatStatus(kind: 'trade', state: string): PaymentStatus;
export function mapWechatStatus(kind: 'refund', state: string): RefundStatus;
export function mapWechatStatus(kind: WechatStateKind, state: string): PaymentStatus;
export function mapWechatStatus(kind: WechatStateKind, state: string): PaymentStatus {
  switch (`${kind}:${state}`) {
    case 'trade:SUCCESS':
      return 'paid';
    case 'trade:REFUND':
      return 'refunded';
    case 'trade:NOTPAY':
    case 'trade:USERPAYING':
      return 'pending';
    case 'trade:CLOSED':
    case 'trade:REVOKED':
      return 'closed';
    case 'trade:PAYERROR':
      return 'failed';
    case 'refund:SUCCESS':
      return 'refunded';
    case 'refund:PROCESSING':
      return 'pending';
    case 'refund:CLOSED':
      return 'closed';
    case 'refund:ABNORMAL':
      return 'failed';
    default:
      return 'pending';
  }
}

export const TRADE_STATES = ['SUCCESS', 'REFUND', 'NOTPAY', 'CLOSED', 'REVOKED', 'USERPAYING', 'PAYERROR'] as const;
export const REFUND_STATES = ['SUCCESS', 'CLOSED', 'PROCESSING', 'ABNORMAL'] as const;
