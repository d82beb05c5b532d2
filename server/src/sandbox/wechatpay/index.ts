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
