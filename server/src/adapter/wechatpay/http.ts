/**
 * Our HTTP client for wechatpay-node-v3 (`pay.createHttp(...)`), replacing its superagent client, which
 * hard-codes https://api.mch.weixin.qq.com, drops the answer headers and parses the body (so the raw text
 * WeChat signed is lost). This one:
 *
 * - rewrites the SDK's origin to the configured base URL (a sandbox, api2.mch.weixin.qq.com, a proxy) and
 *   refuses any URL that does not start with it: the Authorization header goes nowhere else;
 * - sends exactly `JSON.stringify(params)`, the bytes the SDK signed;
 * - drops the SDK's `Accept-Encoding: gzip` (fetch negotiates and decodes compression itself; a forced
 *   header plus fetch has given undecoded bodies in other SDKs' issues) and never follows redirects;
 * - aborts after `timeoutMs` (the body read included);
 * - returns the SDK's Output shape plus `raw` (status, lower-cased headers, the exact text) for the
 *   signature check; transport failures throw a TransportError, wrapped into WechatPayError by the adapter.
 */
import type { IPayRequest } from 'wechatpay-node-v3/dist/lib/pay-request.interface';
import type { Output } from 'wechatpay-node-v3/dist/lib/interface-v2';

/** The origin the SDK writes into every URL. */
export const WECHAT_ORIGIN = 'https://api.mch.weixin.qq.com';

export interface RawAnswer {
  status: number;
  /** Lower-cased names. */
  headers: Record<string, string>;
  /** The body exactly as received (what the signature covers). */
  text: string;
  /** WeChat's Request-ID header, when sent. */
  requestId?: string;
  /** Method and path (with query) of the request, for messages. */
  request: string;
}

export interface WechatOutput extends Output {
  raw: RawAnswer;
}

export class TransportError extends Error {
  constructor(
    readonly kind: 'timeout' | 'network',
    message: string,
    options?: { cause?: unknown },
  ) {
    super(message, options);
    this.name = 'TransportError';
  }
}

export type FetchLike = (url: string, init: RequestInit) => Promise<Response>;

export interface WechatHttpClientOptions {
  /** e.g. https://api.mch.weixin.qq.com or http://127.0.0.1:4567 (a trailing slash is ignored). */
  baseUrl: string;
  timeoutMs: number;
  fetch?: FetchLike;
  /** Called after every answer (for logging/metrics): no headers or bodies are passed. */
  onAnswer?: (info: { request: string; status: number; requestId?: string; ms: number }) => void;
}

export class WechatHttpClient implements IPayRequest {
  private readonly base: string;
  private readonly fetchImpl: FetchLike;

  constructor(private readonly options: WechatHttpClientOptions) {
    this.base = options.baseUrl.replace(/\/+$/, '');
    this.fetchImpl = options.fetch ?? ((url, init) => fetch(url, init));
  }

  post(url: string, params: Record<string, unknown>, headers: Record<string, unknown>): Promise<WechatOutput> {
    return this.send('POST', url, headers, JSON.stringify(params));
  }

  get(url: string, headers: Record<string, unknown>): Promise<WechatOutput> {
    return this.send('GET', url, headers);
  }

  /** Not part of the SDK's interface: the adapter's PATCH calls (sdk.ts signedPatch). */
  patch(url: string, params: Record<string, unknown>, headers: Record<string, unknown>): Promise<WechatOutput> {
    return this.send('PATCH', url, headers, JSON.stringify(params));
  }

  upload(): Promise<Output> {
    return Promise.reject(new Error('WeChat Pay uploads are not supported by this client'));
  }

  /** The URL actually requested for an SDK URL. */
  rewrite(url: string): string {
    if (!url.startsWith(`${WECHAT_ORIGIN}/`)) throw new Error(`refusing to send a signed request outside ${WECHAT_ORIGIN}`);
    return this.base + url.slice(WECHAT_ORIGIN.length);
  }

  private async send(method: 'GET' | 'POST' | 'PATCH', url: string, sdkHeaders: Record<string, unknown>, body?: string): Promise<WechatOutput> {
    const target = this.rewrite(url);
    const request = `${method} ${url.slice(WECHAT_ORIGIN.length)}`;
    const headers: Record<string, string> = {};
    for (const [k, v] of Object.entries(sdkHeaders)) {
      if (k.toLowerCase() === 'accept-encoding' || v === undefined || v === null) continue;
      headers[k] = String(v);
    }
    const controller = new AbortController();
    let timedOut = false;
    const timer = setTimeout(() => {
      timedOut = true;
      controller.abort();
    }, this.options.timeoutMs);
    const started = Date.now();
    try {
      const res = await this.fetchImpl(target, { method, headers, body, signal: controller.signal, redirect: 'manual' });
      const text = await res.text();
      const answerHeaders: Record<string, string> = {};
      res.headers.forEach((v, k) => {
        answerHeaders[k.toLowerCase()] = v;
      });
      const requestId = answerHeaders['request-id'];
      const raw: RawAnswer = { status: res.status, headers: answerHeaders, text, request };
      if (requestId) raw.requestId = requestId;
      this.options.onAnswer?.({ request, status: res.status, requestId, ms: Date.now() - started });
      if (res.status >= 200 && res.status < 300) {
        let data: unknown = {};
        try {
          data = text ? JSON.parse(text) : {};
        } catch {
          data = {};
        }
        return { status: res.status, data, raw };
      }
      return { status: res.status, error: text, raw };
    } catch (e) {
      if (timedOut) throw new TransportError('timeout', `no answer within ${this.options.timeoutMs} ms (${request})`, { cause: e });
      const code = (e as { cause?: { code?: string } }).cause?.code;
      throw new TransportError('network', `${request} failed: ${code ?? (e as Error).message}`, { cause: e });
    } finally {
      clearTimeout(timer);
    }
  }
}
