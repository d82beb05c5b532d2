/**
 * The small named pieces of WeChat Pay API v3 authenticity, each tested on its own:
 *
 * - answers and notifications are signed SHA256withRSA over `timestamp\nnonce\nbody\n` (a 204 has an empty
 *   body line) with the platform key; headers Wechatpay-Timestamp/-Nonce/-Signature/-Serial
 *   (+ Wechatpay-Signature-Type). WeChat docs "签名验证" (wechatpay4_1 / 4013053249).
 * - a timestamp more than 5 minutes from our clock is refused (replay), in either direction.
 * - notification resources are AEAD_AES_256_GCM: key = the APIv3 key's 32 bytes, IV = the nonce string's
 *   bytes, ciphertext = base64(ct ‖ 16-byte tag), AAD = associated_data. decipher.final() IS called, so a
 *   wrong tag or AAD throws. (wechatpay-node-v3's decipher_gcm never calls final(): it accepts both.)
 * - wx.requestPayment's paySign = SHA256withRSA(merchant key) over `appId\ntimeStamp\nnonceStr\npackage\n`.
 *
 * WeChat also sends "signature probes" whose Wechatpay-Signature starts with `WECHATPAY/SIGNTEST/`; they
 * fail verifyRsaSha256 like any forgery, which is the answer WeChat expects.
 */
import crypto, { type KeyObject } from 'node:crypto';

export const SIGNATURE_TYPE = 'WECHATPAY2-SHA256-RSA2048';
export const TIMESTAMP_WINDOW_MS = 5 * 60 * 1000;

/** Node's IncomingHttpHeaders, a Koa ctx.headers, a plain record in any case, or a fetch Headers. */
export type HeaderBag = Headers | Record<string, string | string[] | undefined>;

export interface SignatureHeaders {
  timestamp: string;
  nonce: string;
  signature: string;
  serial: string;
  /** Wechatpay-Signature-Type, when sent. */
  signatureType?: string;
}

/** One header, case-insensitively; a repeated header counts as absent (ambiguous). */
export function headerValue(headers: HeaderBag, name: string): string | undefined {
  const lower = name.toLowerCase();
  if (typeof Headers !== 'undefined' && headers instanceof Headers) return headers.get(lower) ?? undefined;
  const rec = headers as Record<string, string | string[] | undefined>;
  for (const key of Object.keys(rec)) {
    if (key.toLowerCase() !== lower) continue;
    const v = rec[key];
    if (typeof v === 'string') return v;
    if (Array.isArray(v) && v.length === 1) return v[0];
    return undefined;
  }
  return undefined;
}

/** The four signature headers, or the names of those missing. */
export function readSignatureHeaders(headers: HeaderBag): SignatureHeaders | { missing: string[] } {
  const timestamp = headerValue(headers, 'Wechatpay-Timestamp');
  const nonce = headerValue(headers, 'Wechatpay-Nonce');
  const signature = headerValue(headers, 'Wechatpay-Signature');
  const serial = headerValue(headers, 'Wechatpay-Serial');
  const signatureType = headerValue(headers, 'Wechatpay-Signature-Type');
  if (!timestamp || !nonce || !signature || !serial) {
    const missing = Object.entries({ timestamp, nonce, signature, serial })
      .filter(([, v]) => !v)
      .map(([k]) => `Wechatpay-${k[0].toUpperCase()}${k.slice(1)}`);
    return { missing };
  }
  return signatureType === undefined ? { timestamp, nonce, signature, serial } : { timestamp, nonce, signature, serial, signatureType };
}

/** True when any of the four signature headers is present. */
export function hasSignatureHeaders(headers: HeaderBag): boolean {
  return ['Wechatpay-Timestamp', 'Wechatpay-Nonce', 'Wechatpay-Signature', 'Wechatpay-Serial'].some(
    (h) => headerValue(headers, h) !== undefined,
  );
}

/** What WeChat signs on answers and notifications. */
export function signedMessage(timestamp: string, nonce: string, body: string): string {
  return `${timestamp}\n${nonce}\n${body}\n`;
}

/** Why `timestamp` (seconds) is not acceptable at `nowMs`, or undefined when it is. */
export function timestampProblem(timestamp: string, nowMs: number, windowMs = TIMESTAMP_WINDOW_MS): string | undefined {
  if (!/^\d{1,12}$/.test(timestamp)) return 'Wechatpay-Timestamp is not a number of seconds';
  const skew = nowMs - Number(timestamp) * 1000;
  if (Math.abs(skew) > windowMs) {
    return `Wechatpay-Timestamp is ${Math.round(Math.abs(skew) / 1000)} s ${skew > 0 ? 'old' : 'in the future'} (limit ${windowMs / 1000} s)`;
  }
  return undefined;
}

const BASE64 = /^[A-Za-z0-9+/]+={0,2}$/;

/** SHA256withRSA verification of a base64 signature; false (never a throw) for anything malformed. */
export function verifyRsaSha256(publicKey: KeyObject, message: string, signatureB64: string): boolean {
  if (!BASE64.test(signatureB64) || signatureB64.length % 4 !== 0) return false;
  try {
    return crypto.verify('sha256', Buffer.from(message, 'utf8'), publicKey, Buffer.from(signatureB64, 'base64'));
  } catch {
    return false;
  }
}

/** SHA256withRSA signature, base64. */
export function signRsaSha256(privateKey: KeyObject | string, message: string): string {
  return crypto.sign('sha256', Buffer.from(message, 'utf8'), privateKey).toString('base64');
}

export interface AeadResource {
  ciphertext: string;
  nonce: string;
  /** May be empty or absent (treated as empty). */
  associatedData?: string;
}

export class DecryptError extends Error {
  constructor(message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.name = 'DecryptError';
  }
}

/**
 * AEAD_AES_256_GCM decryption WITH the tag checked (decipher.final()). Throws DecryptError on a wrong key
 * length, a short ciphertext, a wrong tag (tampered ciphertext) or wrong associated data.
 */
export function decryptAes256Gcm(apiV3Key: string, resource: AeadResource): string {
  const key = Buffer.from(apiV3Key, 'utf8');
  if (key.length !== 32) throw new DecryptError('the APIv3 key must be 32 bytes');
  if (!BASE64.test(resource.ciphertext)) throw new DecryptError('ciphertext is not base64');
  const all = Buffer.from(resource.ciphertext, 'base64');
  if (all.length <= 16) throw new DecryptError('ciphertext shorter than its 16-byte tag');
  const iv = Buffer.from(resource.nonce, 'utf8');
  if (iv.length === 0) throw new DecryptError('empty nonce');
  try {
    const decipher = crypto.createDecipheriv('aes-256-gcm', key, iv, { authTagLength: 16 });
    decipher.setAuthTag(all.subarray(all.length - 16));
    decipher.setAAD(Buffer.from(resource.associatedData ?? '', 'utf8'));
    const plain = Buffer.concat([decipher.update(all.subarray(0, all.length - 16)), decipher.final()]);
    return plain.toString('utf8');
  } catch (e) {
    throw new DecryptError('AEAD tag check failed (ciphertext, nonce or associated_data altered, or wrong APIv3 key)', { cause: e });
  }
}

/** A random string of `length` characters from [0-9A-Z] (crypto-random). */
export function randomNonce(length = 32): string {
  const alphabet = '0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZ';
  const bytes = crypto.randomBytes(length);
  let out = '';
  for (let i = 0; i < length; i++) out += alphabet[bytes[i] % alphabet.length];
  return out;
}

/** The wx.requestPayment fields (WeChat docs chapter7_2_9 / 小程序调起支付). */
export interface RequestPaymentParams {
  appId: string;
  /** Seconds since the epoch, 10 digits, as a string. */
  timeStamp: string;
  /** ≤ 32 characters. */
  nonceStr: string;
  /** `prepay_id=…` */
  package: string;
  signType: 'RSA';
  paySign: string;
}

/** What paySign signs: signType is NOT part of it. */
export function requestPaymentMessage(p: Pick<RequestPaymentParams, 'appId' | 'timeStamp' | 'nonceStr' | 'package'>): string {
  return `${p.appId}\n${p.timeStamp}\n${p.nonceStr}\n${p.package}\n`;
}
