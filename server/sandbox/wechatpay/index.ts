export {
  startWechatPaySandbox,
  type MadeNotification,
  type MakeNotificationOptions,
  type RequestPaymentOutcome,
  type SandboxFault,
  type SandboxHit,
  type WechatPayMerchantConfig,
  type WechatPaySandbox,
  type WechatPaySandboxOptions,
} from './sandbox';
export { SandboxSetupError } from './keys';
export { WECHAT_NOTIFY_RETRY_INTERVALS_MS, type DeliveryAttempt, type NotificationRecord } from './notifier';
export { SandboxControlError, type RefundState, type SandboxOrder, type SandboxRefund, type TradeState } from './state';
export {
  PARKING_SERVICE_MINIPROGRAM,
  PLATE_COLORS,
  type ParkingSandboxOptions,
  type ParkingTradeState,
  type PlateColor,
  type SandboxParking,
  type SandboxParkingTransaction,
  type SandboxPlateService,
  type WechatParkingSandbox,
} from './parking';
export {
  FAPIAO_FILE_PATH,
  SANDBOX_TAX_CODES,
  TITLE_MINIPROGRAM,
  type CardStatus,
  type FapiaoSandboxOptions,
  type FapiaoStatus,
  type SandboxApplication,
  type SandboxBuyer,
  type SandboxFapiao,
  type SandboxTitleRequest,
  type WechatFapiaoSandbox,
} from './fapiao';
