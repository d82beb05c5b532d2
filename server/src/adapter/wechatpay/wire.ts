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
