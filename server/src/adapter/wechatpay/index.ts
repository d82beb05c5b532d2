export {
  WechatPayAdapter,
  toWechatTime,
  type CloseResult,
  type JsapiOrder,
  type JsapiOrderInput,
  type NativeOrder,
  type NativeOrderInput,
  type RefundInput,
  type WechatOrderView,
  type WechatPayAdapterOptions,
  type WechatPayConfig,
  type WechatPayLogger,
  type WechatRefundView,
} from './client';
export { WechatPayError, isWechatPayError, type VerificationFailure, type WechatPayErrorKind } from './errors';
export {
  WechatNotificationReader,
  checkTransactionMatches,
  notificationVerifier,
  type ExpectedTransaction,
  type IncomingNotification,
  type NotificationVerifier,
  type RefundNotification,
  type TransactionCheck,
  type TransactionMismatch,
  type TransactionNotification,
} from './notifications';
export { CertificateStore, PublicKeyStore, type PlatformKeyStore } from './signature';
export { WECHAT_ORIGIN, type FetchLike } from './http';
export {
  SIGNATURE_TYPE,
  TIMESTAMP_WINDOW_MS,
  decryptAes256Gcm,
  requestPaymentMessage,
  signedMessage,
  timestampProblem,
  verifyRsaSha256,
  type HeaderBag,
  type RequestPaymentParams,
} from './signature';
export { mapWechatStatus, REFUND_STATES, TRADE_STATES, type PaymentStatus, type RefundStatus } from './wire';
export type { WechatRefund, WechatRefundResource, WechatTransaction } from './wire';
export {
  WechatParkingAdapter,
  deductionView,
  isNotFound,
  type CreateEntryInput,
  type DeductInput,
  type ParkingDeductionView,
  type ParkingEntryView,
  type PlateServiceView,
  type WechatParkingAdapterOptions,
} from './parking';
export { ENTRANCE_STATE_EVENT, verifyParkingNotification, type ParkingNotification } from './parking-notifications';
export {
  PLATE_COLORS,
  type PlateColor,
  type WechatParkingEntry,
  type WechatParkingStateResource,
  type WechatParkingTransaction,
  type WechatPlateService,
} from './parking-wire';
export {
  WechatFapiaoAdapter,
  type FapiaoBuyer,
  type FapiaoInput,
  type FapiaoLineInput,
  type FapiaoNotification,
  type FapiaoScene,
  type FapiaoView,
  type IssueInput,
  type TitleLink,
  type WechatFapiaoAdapterOptions,
} from './fapiao';
