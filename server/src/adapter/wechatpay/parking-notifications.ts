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
import type { IncomingNotification, NotificationMeta, NotificationVerifierDeps } from './notifications';
import {
  type WechatParkingStateResource,
  type WechatParkingTransaction,
  parkingStateResource,
  parkingTransaction,
} from './parking-wire';
import { DecryptError, SIGNATURE_TYPE, decryptAes256Gcm, readSignatureHeaders, signedMessage, timestampProblem, verifyRsaSha256 } from './signature';
import { type NotificationEnvelope, notificationEnvelope } from './wire';

export const ENTRANCE_STATE_EVENT = 'VEHICLE.ENTRANCE_STATE_CHANGE';

export type ParkingNotification =
  | (NotificationMeta & { kind: 'entranceState'; parking: WechatParkingStateResource })
  | (NotificationMeta & { kind: 'transaction'; transaction: WechatParkingTransaction });

const fail = (step: Parameters<typeof verificationError>[1], detail: string, cause?: unknown): WechatPayError =>
  verificationError('notification', step, detail, false, cause);

export async function verifyParkingNotification(deps: NotificationVerifierDeps, input: IncomingNotification): Promise<ParkingNotification> {
  const h = readSignatureHeaders(input.headers);
  if ('missing' in h) throw fail('missing_headers', `missing ${h.missing.join(', ')}`);
  if (h.signatureType !== undefined && h.signatureType !== SIGNATURE_TYPE) {
    throw fail('unsupported_signature_type', `Wechatpay-Signature-Type ${h.signatureType} is not ${SIGNATURE_TYPE}`);
  }
  const late = timestampProblem(h.timestamp, deps.clock.now());
  if (late) throw fail('timestamp', late);
  let key;
  try {
    key = await deps.keys.keyFor(h.serial);
  } catch (e) {
    throw fail('unknown_serial', `cannot check serial ${h.serial}: ${(e as Error).message}`, e);
  }
  if (!key) throw fail('unknown_serial', `Wechatpay-Serial ${h.serial} is not a trusted ${deps.keys.mode === 'publicKey' ? 'public key id' : 'platform certificate'}`);
  const body = typeof input.rawBody === 'string' ? input.rawBody : input.rawBody.toString('utf8');
  if (!verifyRsaSha256(key, signedMessage(h.timestamp, h.nonce, body), h.signature)) {
    throw fail('signature', 'Wechatpay-Signature does not verify over the raw body');
  }
  let envelope: NotificationEnvelope;
  try {
    envelope = notificationEnvelope.parse(JSON.parse(body));
  } catch (e) {
    throw fail('malformed', 'the notification body is not a WeChat Pay encrypt-resource envelope', e);
  }
  const isEntrance = envelope.event_type === ENTRANCE_STATE_EVENT;
  if (!isEntrance && !envelope.event_type.startsWith('TRANSACTION.')) {
    throw fail('malformed', `event_type ${envelope.event_type} is not a parking-service notification`);
  }
  let plaintext: string;
  try {
    plaintext = decryptAes256Gcm(deps.apiV3Key, {
      ciphertext: envelope.resource.ciphertext,
      nonce: envelope.resource.nonce,
      associatedData: envelope.resource.associated_data,
    });
  } catch (e) {
    throw fail('decrypt', e instanceof DecryptError ? e.message : 'decryption failed', e);
  }
  const meta: NotificationMeta = { id: envelope.id, eventType: envelope.event_type, createTime: envelope.create_time };
  if (envelope.summary !== undefined) meta.summary = envelope.summary;
  try {
    const resource = JSON.parse(plaintext) as unknown;
    return isEntrance
      ? { ...meta, kind: 'entranceState', parking: parkingStateResource.parse(resource) }
      : { ...meta, kind: 'transaction', transaction: parkingTransaction.parse(resource) };
  } catch (e) {
    throw fail('malformed', `the decrypted resource is not ${isEntrance ? 'a parking entry state' : 'a parking transaction'}`, e);
  }
}
