/**
 * What WeChat Pay sends us, as zod schemas: tolerant (unknown fields pass through, optional fields may be
 * missing) but strict on what we decide with (ids, states, integer fen). Field names are WeChat's.
 * Sources: 基础支付 JSAPI/Native 下单, 查询订单, 支付成功回调 (chapter3_2_5 / 4012791861), 退款申请,
 * 查询单笔退款, 退款结果回调.
 */
import { z } from 'zod';

const fen = z.number().int().nonnegative();

export const prepayAnswer = z.looseObject({ prepay_id: z.string().min(1) });
export const nativeAnswer = z.looseObject({ code_url: z.string().min(1) });

/** A transaction: the query answer and the decrypted TRANSACTION.SUCCESS resource. */
export const wechatTransaction = z.looseObject({
  appid: z.string(),
  mchid: z.string(),
  out_trade_no: z.string().min(1),
  transaction_id: z.string().optional(),
  trade_type: z.string().optional(),
  trade_state: z.string().min(1),
  trade_state_desc: z.string().optional(),
  bank_type: z.string().optional(),
  attach: z.string().optional(),
  success_time: z.string().optional(),
  payer: z.looseObject({ openid: z.string().optional() }).optional(),
  amount: z
    .looseObject({
      total: fen.optional(),
      payer_total: fen.optional(),
      currency: z.string().optional(),
      payer_currency: z.string().optional(),
    })
    .optional(),
});
export type WechatTransaction = z.infer<typeof wechatTransaction>;

/** A refund as the create and query answers give it. */
export const wechatRefund = z.looseObject({
  refund_id: z.string().min(1),
  out_refund_no: z.string().min(1),
  transaction_id: z.string().optional(),
  out_trade_no: z.string().optional(),
  channel: z.string().optional(),
  user_received_account: z.string().optional(),
  success_time: z.string().optional(),
  create_time: z.string().optional(),
  status: z.string().min(1),
  funds_account: z.string().optional(),
  amount: z.looseObject({
    total: fen,
    refund: fen,
    payer_total: fen.optional(),
    payer_refund: fen.optional(),
    currency: z.string().optional(),
  }),
});
export type WechatRefund = z.infer<typeof wechatRefund>;

/** The decrypted REFUND.* resource (field `refund_status`, not `status`). */
export const wechatRefundResource = z.looseObject({
  mchid: z.string(),
  out_trade_no: z.string().min(1),
  transaction_id: z.string().optional(),
  out_refund_no: z.string().min(1),
  refund_id: z.string().min(1),
  refund_status: z.string().min(1),
  success_time: z.string().optional(),
  user_received_account: z.string().optional(),
  amount: z.looseObject({
    total: fen,
    refund: fen,
    payer_total: fen.optional(),
    payer_refund: fen.optional(),
  }),
});
export type WechatRefundResource = z.infer<typeof wechatRefundResource>;

/** The notification envelope (what is signed; `resource` is what is encrypted). */
export const notificationEnvelope = z.looseObject({
  id: z.string().min(1),
  create_time: z.string(),
  event_type: z.string().min(1),
  resource_type: z.literal('encrypt-resource'),
  summary: z.string().optional(),
  resource: z.looseObject({
    // Absent on some notifications (e-invoicing's FAPIAO.*): their event_type says what the resource is.
    original_type: z.string().optional(),
    algorithm: z.literal('AEAD_AES_256_GCM'),
    ciphertext: z.string().min(1),
    associated_data: z.string().optional(),
    nonce: z.string().min(1),
  }),
});
export type NotificationEnvelope = z.infer<typeof notificationEnvelope>;

// ---- states ------------------------------------------------------------------------------------------
// WeChat Pay states → ours, in ONE place (medusa-style getStatus). Trade states: JSAPI/Native query and the
// TRANSACTION.SUCCESS resource (`trade_state`); refund states: refund create/query (`status`) and the REFUND.*
// resource (`refund_status`). WeChat docs: "基础支付 · 查询订单" trade_state, "退款 · 查询单笔退款" status.

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
