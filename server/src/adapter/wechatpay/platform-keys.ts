/**
 * Which public key verifies a given Wechatpay-Serial. Two modes (config `verification.mode`):
 *
 * - publicKey: the merchant downloaded the "微信支付公钥" and its id `PUB_KEY_ID_…`; only that serial is
 *   trusted and /v3/certificates is never called (new merchants have no platform certificate since
 *   about Oct 2024; wechatpay-node-v3 #73/#87 is the SDK's failure here).
 * - platformCertificate: the platform certificates come from GET /v3/certificates, each encrypted with
 *   AEAD_AES_256_GCM under the APIv3 key. Decryption checks the GCM tag (that key is the trust anchor:
 *   only WeChat and we hold it), the certificate's serial must equal serial_no and it must not be
 *   expired; then the answer's own signature is checked with the certificate it names. Cached per store,
 *   fetched on first use, again when the cache is older than `maxAgeMs` (WeChat: refresh within 12 h),
 *   and once when an unknown serial appears (rotation) — at most every `refreshMinIntervalMs`, so forged
 *   serials cannot make us hammer WeChat. Concurrent first uses share one fetch.
 *
 * We keep keys per store, not in wechatpay-node-v3's process-wide static `Pay.certificates`: two
 * merchants (or a sandbox and a real host) in one process never see each other's keys.
 */
import crypto, { type KeyObject } from 'node:crypto';
import { z } from 'zod';
import type { Clock } from '../../core/clock';
import { WechatPayError, httpAnswerError, verificationError } from './errors';
import type { RawAnswer } from './http';
import { DecryptError, decryptAes256Gcm, readSignatureHeaders, signedMessage, timestampProblem, verifyRsaSha256 } from './signature';

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
