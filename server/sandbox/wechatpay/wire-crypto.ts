/**
 * The sandbox's side of WeChat Pay API v3 authenticity, written independently of the adapter's
 * (a shared bug would otherwise pass both):
 *
 * - parse `Authorization: WECHATPAY2-SHA256-RSA2048 mchid="…",nonce_str="…",timestamp="…",serial_no="…",signature="…"`
 *   and check SHA256withRSA over `METHOD\n<path?query>\ntimestamp\nnonce\n<raw body>\n` with the merchant
 *   public key (WeChat docs 签名生成 wechatpay4_0);
 * - sign answers and notifications over `timestamp\nnonce\nbody\n` with the platform key;
 * - AEAD_AES_256_GCM encryption of notification resources and of /v3/certificates entries.
 */
import crypto, { type KeyObject } from 'node:crypto';
import { randomString } from './keys';

export const AUTH_SCHEMA = 'WECHATPAY2-SHA256-RSA2048';

export interface ParsedAuthorization {
  mchid: string;
  nonce_str: string;
  timestamp: string;
  serial_no: string;
  signature: string;
}

/** The Authorization header's fields, or why it cannot be read. Values may be quoted or bare. */
export function parseAuthorization(header: string | undefined): ParsedAuthorization | { problem: string } {
  if (!header) return { problem: 'Http头缺少Authorization' };
  if (!header.startsWith(`${AUTH_SCHEMA} `)) return { problem: `Authorization的认证类型不是${AUTH_SCHEMA}` };
  const fields: Record<string, string> = {};
  // No value (hex, digits, base64, [0-9A-Za-z]) can hold a comma or a quote.
  for (const part of header.slice(AUTH_SCHEMA.length + 1).split(',')) {
    const m = /^\s*([a-z_]+)=(?:"([^"]*)"|([^"\s]*))\s*$/.exec(part);
    if (!m) return { problem: 'Authorization格式错误' };
    fields[m[1]] = m[2] ?? m[3] ?? '';
  }
  for (const k of ['mchid', 'nonce_str', 'timestamp', 'serial_no', 'signature'] as const) {
    if (!fields[k]) return { problem: `Authorization缺少${k}` };
  }
  return fields as unknown as ParsedAuthorization;
}

/** What the merchant signs. */
export function requestSignMessage(method: string, pathAndQuery: string, timestamp: string, nonce: string, rawBody: string): string {
  return `${method}\n${pathAndQuery}\n${timestamp}\n${nonce}\n${rawBody}\n`;
}

export function rsaVerify(publicKey: KeyObject, message: string, signatureB64: string): boolean {
  try {
    return crypto.verify('sha256', Buffer.from(message, 'utf8'), publicKey, Buffer.from(signatureB64, 'base64'));
  } catch {
    return false;
  }
}

export function rsaSign(privateKey: KeyObject, message: string): string {
  return crypto.sign('sha256', Buffer.from(message, 'utf8'), privateKey).toString('base64');
}

export interface SignedHeaders {
  'Wechatpay-Timestamp': string;
  'Wechatpay-Nonce': string;
  'Wechatpay-Serial': string;
  'Wechatpay-Signature': string;
  'Wechatpay-Signature-Type': string;
}

/** The four (five) headers of a signed answer or notification. */
export function signBody(signer: { serial: string; privateKey: KeyObject }, body: string, nowMs: number): SignedHeaders {
  const timestamp = String(Math.floor(nowMs / 1000));
  const nonce = randomString(32);
  return {
    'Wechatpay-Timestamp': timestamp,
    'Wechatpay-Nonce': nonce,
    'Wechatpay-Serial': signer.serial,
    'Wechatpay-Signature': rsaSign(signer.privateKey, `${timestamp}\n${nonce}\n${body}\n`),
    'Wechatpay-Signature-Type': AUTH_SCHEMA,
  };
}

export interface EncryptedResource {
  algorithm: 'AEAD_AES_256_GCM';
  associated_data: string;
  nonce: string;
  ciphertext: string;
}

/** AEAD_AES_256_GCM under the APIv3 key; nonce = 12 random characters; ciphertext = base64(ct ‖ tag). */
export function encryptResource(apiV3Key: string, plaintext: string, associatedData: string): EncryptedResource {
  const nonce = randomString(12);
  const cipher = crypto.createCipheriv('aes-256-gcm', Buffer.from(apiV3Key, 'utf8'), Buffer.from(nonce, 'utf8'));
  cipher.setAAD(Buffer.from(associatedData, 'utf8'));
  const ct = Buffer.concat([cipher.update(plaintext, 'utf8'), cipher.final(), cipher.getAuthTag()]);
  return { algorithm: 'AEAD_AES_256_GCM', associated_data: associatedData, nonce, ciphertext: ct.toString('base64') };
}

/**
 * Flip the first digit after `"total":` in the plaintext by XOR-ing the ciphertext byte at its position
 * (GCM is CTR underneath: ciphertext bits map 1:1 onto plaintext bits). The tag no longer matches, so only a
 * decryptor that skips the tag check (wechatpay-node-v3's decipher_gcm) accepts it — with a changed amount.
 */
export function tamperCiphertext(resource: EncryptedResource, plaintext: string): EncryptedResource {
  const at = plaintext.indexOf('"total":');
  const bytes = Buffer.from(resource.ciphertext, 'base64');
  if (at < 0) {
    bytes[0] ^= 0x01;
  } else {
    const pos = Buffer.byteLength(plaintext.slice(0, at + '"total":'.length), 'utf8');
    const orig = plaintext.charCodeAt(at + '"total":'.length);
    const target = orig === 0x39 ? 0x31 : 0x39; // '9' ↔ '1'
    bytes[pos] ^= orig ^ target;
  }
  return { ...resource, ciphertext: bytes.toString('base64') };
}
