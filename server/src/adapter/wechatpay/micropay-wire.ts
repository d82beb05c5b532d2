/**
 * WeChat Pay API v2 on the wire (XML, 安全规范 签名算法): building and signing requests and checking answers,
 * on wechatpay-axios-plugin's `Hash` (the v2 MD5 / HMAC-SHA256 signature: sorted non-empty k=v pairs without
 * `sign`, `&key=<API v2 key>`, upper-case hex) and `Transformer` (its fast-xml-parser setup for WeChat's
 * `<xml>` documents, CDATA where needed). We use the plugin's pieces, not its axios pipeline: that pipeline
 * skips the signature check on every answer whose result_code is FAIL (USERPAYING, NOTENOUGH…), and here a
 * forged refusal could hide a payment, so every signed answer is checked.
 */
import { Formatter, Hash, Transformer } from 'wechatpay-axios-plugin';

export type V2SignType = 'HMAC-SHA256' | 'MD5';

/** The v2 signature of `params` (its own `sign`, and empty values, left out). */
export function v2Sign(params: Record<string, string>, key: string, signType: V2SignType): string {
  return Hash.sign(signType, params, key);
}

/** A nonce_str (32 letters and digits). */
export function v2Nonce(): string {
  return Formatter.nonce(32);
}

/** `params` with nonce_str, sign_type and sign added, as the XML body. */
export function signedV2Body(params: Record<string, string>, key: string, signType: V2SignType): string {
  const p: Record<string, string> = { ...params, nonce_str: params.nonce_str ?? v2Nonce(), sign_type: signType };
  p.sign = v2Sign(p, key, signType);
  return Transformer.toXml(p) as string;
}

/** The fields of an `<xml>` answer; undefined when the text is not one flat `<xml>` document. */
export function parseV2Answer(text: string): Record<string, string> | undefined {
  const trimmed = text.replace(/^\s*<\?xml[^>]*\?>/, '').trim();
  if (!trimmed.startsWith('<xml>')) return undefined;
  let obj: unknown;
  try {
    obj = Transformer.toObject(trimmed);
  } catch {
    return undefined;
  }
  if (typeof obj !== 'object' || obj === null || Array.isArray(obj)) return undefined;
  const out: Record<string, string> = {};
  for (const [k, v] of Object.entries(obj)) {
    if (typeof v === 'string') out[k] = v;
    else if (typeof v === 'number' || typeof v === 'boolean') out[k] = String(v);
    // nested elements (promotion_detail is JSON text in v2, not XML) are not fields we read
  }
  return out;
}

/** Does the answer's `sign` verify? (Constant time.) */
export function v2SignMatches(fields: Record<string, string>, key: string, signType: V2SignType): boolean {
  if (typeof fields.sign !== 'string' || fields.sign === '') return false;
  return Hash.equals(v2Sign(fields, key, signType), fields.sign);
}
