/**
 * What WeChat Pay's vehicle parking service (微信支付分停车服务, API v3) sends us, as zod schemas: tolerant
 * (unknown fields pass, optional fields may be missing, `sp_mchid` or `mchid`) but strict on what we decide
 * with (ids, states, integer fen). Field names are WeChat's. Sources: pay.weixin.qq.com chapter8_8_1 查询车牌服务开通信息,
 * 8_8_2 创建停车入场, 8_8_3 扣费受理, 8_8_4 查询订单, 8_8_5 停车入场状态变更通知, 8_8_6 订单支付结果通知 (direct
 * merchant and service-provider editions), and wechatpay-go's services/wexinpayscoreparking models.
 */
import { z } from 'zod';

/** plate_color values. */
export const PLATE_COLORS = ['BLUE', 'GREEN', 'YELLOW', 'BLACK', 'WHITE', 'LIMEGREEN'] as const;
export type PlateColor = (typeof PLATE_COLORS)[number];

const fen = z.number().int().nonnegative();

/** 查询车牌服务开通信息: service_state NORMAL | PAUSE | OUT_SERVICE. */
export const plateServiceAnswer = z.looseObject({
  plate_number: z.string().min(1),
  plate_color: z.string().min(1),
  openid: z.string().optional(),
  service_state: z.string().min(1),
  service_open_time: z.string().optional(),
});
export type WechatPlateService = z.infer<typeof plateServiceAnswer>;

/** 创建停车入场: state NORMAL | BLOCKED, block_reason PAUSE | OVERDUE | OUT_SERVICE | EVALUATION_FAILED. */
export const parkingEntryAnswer = z.looseObject({
  id: z.string().min(1),
  out_parking_no: z.string().min(1),
  plate_number: z.string().optional(),
  plate_color: z.string().optional(),
  start_time: z.string().optional(),
  parking_name: z.string().optional(),
  free_duration: z.number().int().optional(),
  state: z.string().min(1),
  block_reason: z.string().optional(),
});
export type WechatParkingEntry = z.infer<typeof parkingEntryAnswer>;

/**
 * A deduction: the 扣费受理 and 查询订单 answers and the decrypted TRANSACTION.* resource. trade_state SUCCESS |
 * ACCEPTED | PAY_FAIL | REFUND. The docs name the merchant `sp_mchid` (direct merchants too); `mchid` is
 * accepted as well.
 */
export const parkingTransaction = z.looseObject({
  appid: z.string(),
  sp_mchid: z.string().optional(),
  mchid: z.string().optional(),
  sub_appid: z.string().optional(),
  sub_mchid: z.string().optional(),
  description: z.string().optional(),
  create_time: z.string().optional(),
  out_trade_no: z.string().min(1),
  transaction_id: z.string().optional(),
  trade_state: z.string().min(1),
  trade_state_description: z.string().optional(),
  success_time: z.string().optional(),
  bank_type: z.string().optional(),
  user_repaid: z.string().optional(),
  attach: z.string().optional(),
  trade_scene: z.string().optional(),
  parking_info: z
    .looseObject({
      parking_id: z.string().optional(),
      plate_number: z.string().optional(),
      plate_color: z.string().optional(),
      start_time: z.string().optional(),
      end_time: z.string().optional(),
      parking_name: z.string().optional(),
      charging_duration: z.number().int().optional(),
      device_id: z.string().optional(),
    })
    .optional(),
  payer: z.looseObject({ openid: z.string().optional(), sub_openid: z.string().optional() }).optional(),
  amount: z.looseObject({
    total: fen,
    currency: z.string().optional(),
    payer_total: fen.optional(),
    discount_total: fen.optional(),
  }),
});
export type WechatParkingTransaction = z.infer<typeof parkingTransaction>;

/** The decrypted VEHICLE.ENTRANCE_STATE_CHANGE resource. */
export const parkingStateResource = z.looseObject({
  sp_mchid: z.string().optional(),
  mchid: z.string().optional(),
  sub_mchid: z.string().optional(),
  parking_id: z.string().min(1),
  out_parking_no: z.string().optional(),
  plate_number: z.string().min(1),
  plate_color: z.string().optional(),
  start_time: z.string().optional(),
  parking_name: z.string().optional(),
  free_duration: z.number().int().optional(),
  /** NORMAL | BLOCKED */
  parking_state: z.string().min(1),
  /** PAUSE | OVERDUE | REMOVE (when BLOCKED) */
  blocked_state_description: z.string().optional(),
  state_update_time: z.string().optional(),
});
export type WechatParkingStateResource = z.infer<typeof parkingStateResource>;
