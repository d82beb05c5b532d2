/**
 * The small named pieces of WeChat Pay API v3 authenticity, each tested on its own, and the platform keys
 * that verify WeChat's signatures (below):
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
import { z } from 'zod';
import type { Clock } from '../../core/clock';
import { WechatPayError, httpAnswerError, verificationError } from './errors';
import type { RawAnswer } from './http';

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

// ---- platform keys -----------------------------------------------------------------------------------
// Which public key verifies a given Wechatpay-Serial. Two modes (config `verification.mode`):
//
// - publicKey: the merchant downloaded the "微信支付公钥" and its id `PUB_KEY_ID_…`; only that serial is
//   trusted and /v3/certificates is never called (new merchants have no platform certificate since
//   about Oct 2024; wechatpay-node-v3 #73/#87 is the SDK's failure here).
// - platformCertificate: the platform certificates come from GET /v3/certificates, each encrypted with
//   AEAD_AES_256_GCM under the APIv3 key. Decryption checks the GCM tag (that key is the trust anchor:
//   only WeChat and we hold it), the certificate's serial must equal serial_no and it must not be
//   expired; then the answer's own signature is checked with the certificate it names. Cached per store,
//   fetched on first use, again when the cache is older than `maxAgeMs` (WeChat: refresh within 12 h),
//   and once when an unknown serial appears (rotation) — at most every `refreshMinIntervalMs`, so forged
//   serials cannot make us hammer WeChat. Concurrent first uses share one fetch.
//
// We keep keys per store, not in wechatpay-node-v3's process-wide static `Pay.certificates`: two
// merchants (or a sandbox and a real host) in one process never see each other's keys.
export interface PlatformKeyStore {
  readonly mode: 'platformCertificate' | 'publicKey';
  /** The key for this serial, or undefined when it is not trusted. May fetch (certificate mode). */
  keyFor(serial: string): Promise<KeyObject | undefined>;
}

export class PublicKeyStore implements PlatformKeyStore {
  readonly mode = 'publicKey' as const;
  private readonly key: KeyObject;

  constructor(
    private readonly publicKeyId: string,
    publicKeyPem: string,
  ) {
    this.key = crypto.createPublicKey(publicKeyPem);
  }

  async keyFor(serial: string): Promise<KeyObject | undefined> {
    return serial === this.publicKeyId ? this.key : undefined;
  }
}

const certificatesAnswer = z.object({
  data: z.array(
    z.object({
      serial_no: z.string().min(1),
      effective_time: z.string().optional(),
      expire_time: z.string().optional(),
      encrypt_certificate: z.object({
        algorithm: z.literal('AEAD_AES_256_GCM'),
        associated_data: z.string().optional(),
        nonce: z.string().min(1),
        ciphertext: z.string().min(1),
      }),
    }),
  ),
});

interface TrustedCertificate {
  serial: string;
  key: KeyObject;
  notAfter: number;
}

export interface CertificateStoreOptions {
  apiV3Key: string;
  clock: Clock;
  /** A signed GET /v3/certificates; throws WechatPayError on transport failure. */
  fetchCertificates: () => Promise<RawAnswer>;
  /** Minimum time between two refreshes caused by an unknown serial. Default 60 s. */
  refreshMinIntervalMs?: number;
  /** Refresh when the cache is older than this. Default 12 h. */
  maxAgeMs?: number;
  /** Called after each fetch attempt (for logs). */
  onFetch?: (info: { ok: boolean; serials: string[] }) => void;
}

export class CertificateStore implements PlatformKeyStore {
  readonly mode = 'platformCertificate' as const;
  private certs = new Map<string, TrustedCertificate>();
  private fetchedAt: number | undefined;
  private inflight: Promise<void> | undefined;
  /** How many times /v3/certificates was fetched (successfully or not). */
  fetches = 0;

  constructor(private readonly options: CertificateStoreOptions) {}

  /** Serials currently trusted (upper case). */
  serials(): string[] {
    return [...this.certs.keys()];
  }

  async keyFor(serial: string): Promise<KeyObject | undefined> {
    const now = this.options.clock.now();
    const maxAge = this.options.maxAgeMs ?? 12 * 60 * 60 * 1000;
    let refreshedNow = false;
    if (this.fetchedAt === undefined || now - this.fetchedAt > maxAge) {
      await this.refresh();
      refreshedNow = true;
    }
    const hit = this.lookup(serial);
    if (hit) return hit;
    const minInterval = this.options.refreshMinIntervalMs ?? 60_000;
    if (!refreshedNow && this.fetchedAt !== undefined && now - this.fetchedAt >= minInterval) {
      await this.refresh();
      return this.lookup(serial);
    }
    return undefined;
  }

  private lookup(serial: string): KeyObject | undefined {
    const c = this.certs.get(serial.toUpperCase());
    if (!c) return undefined;
    return c.notAfter >= this.options.clock.now() ? c.key : undefined;
  }

  /** Fetch now (sharing a fetch already under way). */
  refresh(): Promise<void> {
    if (!this.inflight) {
      this.inflight = this.fetchAndInstall().finally(() => {
        this.inflight = undefined;
      });
    }
    return this.inflight;
  }

  private async fetchAndInstall(): Promise<void> {
    this.fetches++;
    let installed: TrustedCertificate[] = [];
    try {
      const raw = await this.options.fetchCertificates();
      installed = this.verifyAnswer(raw);
    } catch (e) {
      this.options.onFetch?.({ ok: false, serials: [] });
      throw e;
    }
    const next = new Map(this.certs);
    for (const c of installed) next.set(c.serial, c);
    this.certs = next;
    this.fetchedAt = this.options.clock.now();
    this.options.onFetch?.({ ok: true, serials: installed.map((c) => c.serial) });
  }

  private verifyAnswer(raw: RawAnswer): TrustedCertificate[] {
    const op = 'certificates';
    if (raw.status !== 200) throw httpAnswerError(op, raw.status, raw.text, raw.requestId);
    let parsed: z.infer<typeof certificatesAnswer>;
    try {
      parsed = certificatesAnswer.parse(JSON.parse(raw.text));
    } catch (e) {
      throw verificationError(op, 'malformed', 'the /v3/certificates answer is not the expected JSON', true, e);
    }
    const now = this.options.clock.now();
    const found: TrustedCertificate[] = [];
    for (const item of parsed.data) {
      const enc = item.encrypt_certificate;
      let pem: string;
      try {
        pem = decryptAes256Gcm(this.options.apiV3Key, { ciphertext: enc.ciphertext, nonce: enc.nonce, associatedData: enc.associated_data });
      } catch (e) {
        const why = e instanceof DecryptError ? e.message : 'decryption failed';
        throw verificationError(op, 'decrypt', `platform certificate ${item.serial_no}: ${why}`, true, e);
      }
      let cert: crypto.X509Certificate;
      try {
        cert = new crypto.X509Certificate(pem);
      } catch (e) {
        throw verificationError(op, 'malformed', `platform certificate ${item.serial_no} is not an X.509 certificate`, true, e);
      }
      if (cert.serialNumber.toUpperCase() !== item.serial_no.toUpperCase()) {
        throw verificationError(op, 'malformed', `platform certificate serial ${cert.serialNumber} ≠ serial_no ${item.serial_no}`, true);
      }
      // Not-before is not checked: a freshly issued certificate and a host clock a little behind must not
      // lock us out; expiry is what matters.
      const notAfter = Math.min(Date.parse(cert.validTo), item.expire_time ? Date.parse(item.expire_time) : Infinity);
      if (!(notAfter >= now)) continue;
      found.push({ serial: cert.serialNumber.toUpperCase(), key: cert.publicKey, notAfter });
    }
    if (found.length === 0) {
      throw new WechatPayError({ operation: op, kind: 'bad_signature', verification: 'malformed', detail: 'no unexpired platform certificate', retryable: true });
    }
    // The answer itself must be signed by one of the certificates it carries.
    const h = readSignatureHeaders(raw.headers);
    if ('missing' in h) throw verificationError(op, 'missing_headers', `answer without ${h.missing.join(', ')}`, true);
    const late = timestampProblem(h.timestamp, now);
    if (late) throw verificationError(op, 'timestamp', late, true);
    const signer = found.find((c) => c.serial === h.serial.toUpperCase());
    if (!signer) throw verificationError(op, 'unknown_serial', `answer signed by ${h.serial}, which is not among the certificates it lists`, true);
    if (!verifyRsaSha256(signer.key, signedMessage(h.timestamp, h.nonce, raw.text), h.signature)) {
      throw verificationError(op, 'signature', 'the /v3/certificates answer signature does not verify', true);
    }
    return found;
  }
}
