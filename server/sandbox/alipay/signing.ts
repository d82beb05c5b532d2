/**
 * Alipay's signatures, as the gateway computes them (opendocs "自行实现签名" / "自行实现验签"), each a small
 * named function so the sandbox and its tests use the very same rule:
 *
 *  - REQUEST (we → Alipay): every parameter of the query string and the form body except `sign` (sign_type
 *    INCLUDED), empty values left out, sorted by key, `k=v` joined with '&', raw (decoded) values;
 *    SHA256withRSA with the APP private key, base64. The gateway verifies with the app public key.
 *  - RESPONSE (Alipay → us): `{"<method_with_underscores>_response":<inner>,"sign":"<sig>"}`, sig =
 *    SHA256withRSA over THE EXACT INNER JSON TEXT with the Alipay private key. We build the body by string
 *    concatenation so the bytes signed are the bytes sent (and, like Alipay, write '/' as '\/').
 *  - NOTIFICATION (Alipay → our notify_url): every form field except `sign` AND `sign_type` (empty ones
 *    kept), sorted, `k=v` joined with '&', SHA256withRSA with the Alipay private key.
 */
import { createSign, createVerify, generateKeyPairSync } from 'node:crypto';

export interface RsaKeyPair {
  /** PKCS#8 PEM (`BEGIN PRIVATE KEY`): the SDK needs keyType 'PKCS8' for it. */
  privateKey: string;
  /** SPKI PEM (`BEGIN PUBLIC KEY`). */
  publicKey: string;
}

export function generateRsaKeyPair(): RsaKeyPair {
  const { privateKey, publicKey } = generateKeyPairSync('rsa', { modulusLength: 2048 });
  return {
    privateKey: privateKey.export({ type: 'pkcs8', format: 'pem' }).toString(),
    publicKey: publicKey.export({ type: 'spki', format: 'pem' }).toString(),
  };
}

export function rsa2Sign(text: string, privateKey: string): string {
  return createSign('RSA-SHA256').update(text, 'utf8').sign(privateKey, 'base64');
}

export function rsa2Verify(text: string, sign: string, publicKey: string): boolean {
  try {
    return createVerify('RSA-SHA256').update(text, 'utf8').verify(publicKey, sign, 'base64');
  } catch {
    return false;
  }
}

function sortedPairs(params: Record<string, string>, exclude: readonly string[], dropEmpty: boolean): string {
  return Object.keys(params)
    .filter((k) => !exclude.includes(k) && params[k] !== undefined && !(dropEmpty && params[k] === ''))
    .sort()
    .map((k) => `${k}=${params[k]}`)
    .join('&');
}

/** The text a request's `sign` covers (sign_type included). */
export function requestSignContent(params: Record<string, string>): string {
  return sortedPairs(params, ['sign'], true);
}

export function verifyRequestSignature(params: Record<string, string>, appPublicKey: string): boolean {
  const sign = params.sign;
  if (!sign) return false;
  return rsa2Verify(requestSignContent(params), sign, appPublicKey);
}

/** Sign a request the way the SDK does (for tests that talk to the gateway without the SDK). */
export function signRequest(params: Record<string, string>, appPrivateKey: string): Record<string, string> {
  return { ...params, sign: rsa2Sign(requestSignContent(params), appPrivateKey) };
}

/** JSON text as Alipay writes it: compact, '/' escaped as '\/'. Still valid JSON for any parser. */
export function alipayJson(value: unknown): string {
  return JSON.stringify(value).replace(/\//g, '\\/');
}

export interface SignedResponse {
  /** The whole HTTP body. */
  body: string;
  /** The exact inner text that was signed. */
  innerText: string;
  sign: string;
}

/**
 * `{"<key>":<inner>,"sign":"…"}` with the signature over the inner text exactly as sent.
 * `signWith` null: no sign field at all.
 */
export function signedResponseBody(key: string, inner: unknown, signWith: string | null): SignedResponse {
  const innerText = alipayJson(inner);
  if (signWith === null) return { body: `{"${key}":${innerText}}`, innerText, sign: '' };
  const sign = rsa2Sign(innerText, signWith);
  return { body: `{"${key}":${innerText},"sign":"${sign}"}`, innerText, sign };
}

/** `alipay.trade.query` → `alipay_trade_query_response`. */
export function responseKey(method: string): string {
  return `${method.replace(/\./g, '_')}_response`;
}

/**
 * The text a notification's `sign` covers: every field Alipay sent except sign and sign_type ("凡是通知返回
 * 回来的参数皆是待验签的参数"), empty ones included, as the SDK's checkNotifySignV2 rebuilds it.
 */
export function notificationSignContent(fields: Record<string, string>): string {
  return sortedPairs(fields, ['sign', 'sign_type'], false);
}

export function signNotification(fields: Record<string, string>, alipayPrivateKey: string): Record<string, string> {
  const rest = { ...fields };
  delete rest.sign;
  return { ...rest, sign: rsa2Sign(notificationSignContent(rest), alipayPrivateKey) };
}
