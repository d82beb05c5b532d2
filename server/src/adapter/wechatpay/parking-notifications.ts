/**
 * The vehicle parking service's notifications (停车入场状态变更通知 VEHICLE.ENTRANCE_STATE_CHANGE and 订单支付结果通知
 * TRANSACTION.SUCCESS / TRANSACTION.FAIL / TRANSACTION.PAY_BACK), verified exactly as the pay notifications are
 * (notifications.ts), every failing step a WechatPayError kind 'bad_signature', retryable false:
 *
 *  1. the four Wechatpay-* headers are there, and Wechatpay-Signature-Type (if sent) is RSA;
 *  2. Wechatpay-Timestamp within ±5 minutes of our clock;
 *  3. Wechatpay-Serial is a trusted platform certificate serial / our PUB_KEY_ID_…;
 *  4. the signature verifies over `ts\nnonce\n<RAW body>\n`;
 *  5. the envelope parses and its event_type is a parking one;
 *  6. the resource decrypts with AES-256-GCM, tag AND associated_data checked;
 *  7. the plaintext parses as the event's resource.
 *
 * The pay verifier insists on resource.original_type 'transaction' / 'refund'; WeChat's example for the entry
 * notification has an empty original_type, so here the event_type decides what the resource is.
 */
import { type WechatPayError, verificationError } from './errors';
import { type IncomingNotification, type NotificationMeta, type NotificationVerifierDeps, notificationMeta, openEnvelope } from './notifications';
import {
  type WechatParkingStateResource,
  type WechatParkingTransaction,
  parkingStateResource,
  parkingTransaction,
} from './parking-wire';

export const ENTRANCE_STATE_EVENT = 'VEHICLE.ENTRANCE_STATE_CHANGE';

export type ParkingNotification =
  | (NotificationMeta & { kind: 'entranceState'; parking: WechatParkingStateResource })
  | (NotificationMeta & { kind: 'transaction'; transaction: WechatParkingTransaction });

const fail = (step: Parameters<typeof verificationError>[1], detail: string, cause?: unknown): WechatPayError =>
  verificationError('notification', step, detail, false, cause);

export async function verifyParkingNotification(deps: NotificationVerifierDeps, input: IncomingNotification): Promise<ParkingNotification> {
  const { envelope, plaintext } = await openEnvelope(deps, input, (e) =>
    e.event_type === ENTRANCE_STATE_EVENT || e.event_type.startsWith('TRANSACTION.') ? undefined : `event_type ${e.event_type} is not a parking-service notification`,
  );
  const isEntrance = envelope.event_type === ENTRANCE_STATE_EVENT;
  const meta = notificationMeta(envelope);
  try {
    const resource = JSON.parse(plaintext) as unknown;
    return isEntrance
      ? { ...meta, kind: 'entranceState', parking: parkingStateResource.parse(resource) }
      : { ...meta, kind: 'transaction', transaction: parkingTransaction.parse(resource) };
  } catch (e) {
    throw fail('malformed', `the decrypted resource is not ${isEntrance ? 'a parking entry state' : 'a parking transaction'}`, e);
  }
}
