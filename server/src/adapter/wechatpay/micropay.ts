/**
 * WeChat Pay 付款码支付 (API v2, XML) for the booth scanner (Bluecard 4.24–4.26): micropay, orderquery,
 * reverse, for one direct merchant with its API v2 key (config.wechatPay.apiV2Key).
 *
 * - Requests are signed (micropay-wire.ts, HMAC-SHA256 by default) and every answer is checked: XML,
 *   return_code, THEN the signature of every answer WeChat signs (return_code SUCCESS ones, refusals
 *   included), the merchant it is for, and the out_trade_no it is about. An answer that fails a check is
 *   'bad_signature' (retryable: the outcome is unknown, the order number is asked about again).
 * - /secapi/pay/reverse needs mutual TLS with the merchant's API client certificate
 *   (config.wechatPay.apiClientCertificate: PEM cert+key or PKCS#12); against an http base URL (the sandbox)
 *   the call goes without one.
 * - The results are typed outcomes that say what WeChat's codes mean (付款码支付 错误码: USERPAYING and
 *   SYSTEMERROR/BANKERROR mean "ask orderquery", AUTHCODEEXPIRE/NOTENOUGH/… mean "refused, nothing taken");
 *   transport failures and unusable answers throw WechatPayError.
 * - Money is integer fen; no key, code or signature reaches an error message.
 */
import http from 'node:http';
import https from 'node:https';
import { type Clock, systemClock } from '../../core/clock';
import { parseChinaTime } from '../../../../shared/time';
import type { WechatPayConfig, WechatPayLogger } from './client';
import { WechatPayError } from './errors';
import { parseV2Answer, signedV2Body, v2SignMatches, type V2SignType } from './micropay-wire';

export interface WechatMicropayOptions {
  config: WechatPayConfig;
  /** Per call, the body read included. Default 10 s (WeChat: micropay may take a few seconds). */
  timeoutMs?: number;
  clock?: Clock;
  logger?: Pick<WechatPayLogger, 'debug'>;
}

export interface MicropayInput {
  /** Ours, 1–32 of [0-9A-Za-z_-|*]; a new one for every payment code (WeChat: a new code needs a new number). */
  outTradeNo: string;
  /** The 18-digit code the booth scanned (10–15…). */
  authCode: string;
  totalFen: number;
  /** `body`: ≤ 128 characters, shown to the payer. */
  description: string;
  /** ≤ 127 characters, echoed back. */
  attach?: string;
}

export interface MicropayPaid {
  transactionId: string;
  totalFen: number;
  /** time_end: when the payer paid. */
  paidAt: Date;
  openid: string;
}

export type MicropayOutcome =
  | ({ kind: 'paid' } & MicropayPaid)
  /** USERPAYING: the payer is entering the password; ask orderquery. */
  | { kind: 'userpaying' }
  /** SYSTEMERROR / BANKERROR / ORDERPAID…: WeChat does not say (yet) — ask orderquery. */
  | { kind: 'unknown'; errCode: string; message: string }
  /** A refusal that took no money (AUTHCODEEXPIRE, NOTENOUGH, AUTH_CODE_INVALID, ORDERREVERSED…, or a protocol failure). */
  | { kind: 'refused'; errCode: string; message: string };

export type MicropayTradeState = 'SUCCESS' | 'REFUND' | 'NOTPAY' | 'CLOSED' | 'REVOKED' | 'USERPAYING' | 'PAYERROR';

export type MicropayQuery =
  | ({ state: 'SUCCESS' | 'REFUND' } & MicropayPaid)
  | { state: Exclude<MicropayTradeState, 'SUCCESS' | 'REFUND'>; transactionId?: string }
  /** ORDERNOTEXIST: WeChat has no order with this number (the micropay never arrived). */
  | { state: 'NOT_FOUND' };

export type ReverseOutcome =
  /** result_code SUCCESS, recall N: unpaid orders are closed, paid ones refunded. */
  | { kind: 'reversed' }
  /** recall Y: WeChat asks to call reverse again. */
  | { kind: 'recall'; errCode: string; message: string };

const OUT_TRADE_NO = /^[0-9A-Za-z_\-|*]{1,32}$/;
export const WECHAT_AUTH_CODE = /^1[0-5]\d{16}$/;

/** 付款码支付 err_code: wait and ask (orderquery) rather than give up. */
const ASK_AGAIN = new Set(['USERPAYING', 'SYSTEMERROR', 'BANKERROR', 'ORDERPAID', 'OUT_TRADE_NO_USED', 'TRADE_ERROR', 'FREQUENCY_LIMITED']);

type Fields = Record<string, string>;

export class WechatMicropayClient {
  readonly appId: string;
  readonly mchId: string;
  readonly #key: string;
  readonly #signType: V2SignType;
  readonly #base: URL;
  readonly #timeoutMs: number;
  readonly #clock: Clock;
  readonly #ip: string;
  readonly #tlsAgent: https.Agent | undefined;
  readonly #logger: WechatMicropayOptions['logger'];

  constructor(options: WechatMicropayOptions) {
    const c = options.config;
    if (!c.apiV2Key) throw new WechatPayError({ operation: 'config', kind: 'invalid_request', retryable: false, detail: 'apiV2Key is not configured' });
    this.appId = c.appId;
    this.mchId = c.mchId;
    this.#key = c.apiV2Key;
    this.#signType = c.v2SignType ?? 'HMAC-SHA256';
    this.#base = new URL(c.baseUrl.replace(/\/+$/, '') + '/');
    this.#timeoutMs = options.timeoutMs ?? 10_000;
    this.#clock = options.clock ?? systemClock;
    this.#ip = c.terminalIp ?? '127.0.0.1';
    this.#logger = options.logger;
    const cert = c.apiClientCertificate;
    if (this.#base.protocol === 'https:') {
      if (!cert) {
        throw new WechatPayError({ operation: 'config', kind: 'invalid_request', retryable: false, detail: 'apiClientCertificate is needed for /secapi/pay/reverse (mutual TLS)' });
      }
      this.#tlsAgent =
        'pfxBase64' in cert
          ? new https.Agent({ pfx: Buffer.from(cert.pfxBase64, 'base64'), passphrase: cert.passphrase ?? c.mchId, keepAlive: true })
          : new https.Agent({ cert: cert.certPem, key: cert.keyPem, keepAlive: true });
    }
  }

  /** 提交付款码支付. */
  async micropay(input: MicropayInput): Promise<MicropayOutcome> {
    const op = 'micropay';
    checkOutTradeNo(op, input.outTradeNo);
    if (!WECHAT_AUTH_CODE.test(input.authCode)) invalid(op, 'authCode is not an 18-digit WeChat payment code starting 10–15');
    if (!Number.isSafeInteger(input.totalFen) || input.totalFen < 1) invalid(op, 'totalFen must be a positive integer');
    const body = [...input.description].slice(0, 128).join('') || '停车费';
    const params: Fields = {
      appid: this.appId,
      mch_id: this.mchId,
      body,
      out_trade_no: input.outTradeNo,
      total_fee: String(input.totalFen),
      spbill_create_ip: this.#ip,
      auth_code: input.authCode,
    };
    if (input.attach) params.attach = [...input.attach].slice(0, 127).join('');
    const a = await this.call(op, '/pay/micropay', params, false);
    if (a.return_code !== 'SUCCESS') return { kind: 'refused', errCode: 'RETURN_FAIL', message: a.return_msg || 'return_code FAIL' };
    if (a.result_code === 'SUCCESS') {
      sameTrade(op, input.outTradeNo, a.out_trade_no);
      return { kind: 'paid', ...this.paid(op, a) };
    }
    const errCode = a.err_code || 'SYSTEMERROR';
    const message = a.err_code_des || errCode;
    if (errCode === 'USERPAYING') return { kind: 'userpaying' };
    if (ASK_AGAIN.has(errCode)) return { kind: 'unknown', errCode, message };
    return { kind: 'refused', errCode, message };
  }

  /** 查询订单 by out_trade_no. */
  async query(outTradeNo: string): Promise<MicropayQuery> {
    const op = 'orderquery';
    checkOutTradeNo(op, outTradeNo);
    const a = await this.call(op, '/pay/orderquery', { appid: this.appId, mch_id: this.mchId, out_trade_no: outTradeNo }, false);
    if (a.return_code !== 'SUCCESS') throw protocolFailure(op, a);
    if (a.result_code !== 'SUCCESS') {
      if (a.err_code === 'ORDERNOTEXIST') return { state: 'NOT_FOUND' };
      throw businessFailure(op, a);
    }
    sameTrade(op, outTradeNo, a.out_trade_no);
    const state = a.trade_state as MicropayTradeState;
    switch (state) {
      case 'SUCCESS':
      case 'REFUND':
        return { state, ...this.paid(op, a) };
      case 'NOTPAY':
      case 'CLOSED':
      case 'REVOKED':
      case 'USERPAYING':
      case 'PAYERROR':
        return a.transaction_id ? { state, transactionId: a.transaction_id } : { state };
      default:
        throw new WechatPayError({ operation: op, kind: 'http', retryable: true, detail: `unknown trade_state ${JSON.stringify(a.trade_state ?? null)}` });
    }
  }

  /** 撤销订单 (mutual TLS): closes an unpaid order, refunds a paid one. */
  async reverse(outTradeNo: string): Promise<ReverseOutcome> {
    const op = 'reverse';
    checkOutTradeNo(op, outTradeNo);
    const a = await this.call(op, '/secapi/pay/reverse', { appid: this.appId, mch_id: this.mchId, out_trade_no: outTradeNo }, true);
    if (a.return_code !== 'SUCCESS') throw protocolFailure(op, a);
    if (a.result_code === 'SUCCESS' && a.recall !== 'Y') return { kind: 'reversed' };
    if (a.recall === 'Y') return { kind: 'recall', errCode: a.err_code || 'SYSTEMERROR', message: a.err_code_des || 'recall=Y' };
    throw businessFailure(op, a);
  }

  // ---- the wire -----------------------------------------------------------------------------------

  private paid(op: string, a: Fields): MicropayPaid {
    const totalFen = Number(a.total_fee);
    if (!a.transaction_id || !/^\d+$/.test(a.total_fee ?? '') || !Number.isSafeInteger(totalFen)) {
      throw new WechatPayError({ operation: op, kind: 'http', retryable: true, detail: 'a paid answer without transaction_id / total_fee' });
    }
    return { transactionId: a.transaction_id, totalFen, paidAt: timeEnd(a.time_end) ?? new Date(this.#clock.now()), openid: a.openid ?? '' };
  }

  /** POST the signed XML; the checked answer fields (return_code FAIL answers come back unchecked: WeChat does not sign them). */
  private async call(op: string, path: string, params: Fields, secure: boolean): Promise<Fields> {
    const body = signedV2Body(params, this.#key, this.#signType);
    const started = Date.now();
    const { status, text } = await this.post(op, new URL(path.slice(1), this.#base), body, secure);
    this.#logger?.debug({ wechatpay: { request: `POST ${path}`, status, ms: Date.now() - started } }, 'wechatpay v2 answer');
    if (status !== 200) {
      throw new WechatPayError({ operation: op, kind: 'http', retryable: true, httpStatus: status, detail: `HTTP ${status}` });
    }
    const a = parseV2Answer(text);
    if (!a || !a.return_code) throw new WechatPayError({ operation: op, kind: 'http', retryable: true, httpStatus: status, detail: 'the answer is not WeChat Pay v2 XML' });
    if (a.return_code !== 'SUCCESS') return a;
    if (!v2SignMatches(a, this.#key, this.#signType)) {
      throw new WechatPayError({ operation: op, kind: 'bad_signature', verification: 'signature', retryable: true, signed: false, detail: 'the answer’s sign does not verify with the API v2 key' });
    }
    if (a.mch_id !== this.mchId || (a.appid !== undefined && a.appid !== this.appId)) {
      throw new WechatPayError({ operation: op, kind: 'http', retryable: true, detail: 'the answer is for another merchant' });
    }
    return a;
  }

  private post(op: string, url: URL, body: string, secure: boolean): Promise<{ status: number; text: string }> {
    const isHttps = url.protocol === 'https:';
    if (secure && isHttps && !this.#tlsAgent) {
      return Promise.reject(new WechatPayError({ operation: op, kind: 'invalid_request', retryable: false, detail: 'no API client certificate for /secapi/' }));
    }
    const lib = isHttps ? https : http;
    return new Promise((resolve, reject) => {
      let timedOut = false;
      const req = lib.request(
        url,
        {
          method: 'POST',
          headers: { 'content-type': 'text/xml; charset=utf-8', 'content-length': Buffer.byteLength(body), 'user-agent': 'ParkPay (wechatpay v2)' },
          ...(isHttps && this.#tlsAgent ? { agent: this.#tlsAgent } : {}),
        },
        (res) => {
          const chunks: Buffer[] = [];
          res.on('data', (c: Buffer) => chunks.push(c));
          res.on('end', () => resolve({ status: res.statusCode ?? 0, text: Buffer.concat(chunks).toString('utf8') }));
          res.on('error', (e) => reject(transport(op, timedOut, e)));
        },
      );
      req.setTimeout(this.#timeoutMs, () => {
        timedOut = true;
        req.destroy(new Error('timeout'));
      });
      req.on('error', (e) => reject(transport(op, timedOut, e)));
      req.end(body);
    });
  }
}

function transport(op: string, timedOut: boolean, e: Error): WechatPayError {
  const code = (e as { code?: string }).code;
  return timedOut
    ? new WechatPayError({ operation: op, kind: 'timeout', retryable: true, detail: 'no answer within the timeout', cause: e })
    : new WechatPayError({ operation: op, kind: 'network', retryable: true, detail: `no answer (${code ?? 'connection failed'})`, cause: e });
}

function invalid(op: string, detail: string): never {
  throw new WechatPayError({ operation: op, kind: 'invalid_request', retryable: false, detail });
}

function checkOutTradeNo(op: string, no: string): void {
  if (!OUT_TRADE_NO.test(no)) invalid(op, 'outTradeNo must be 1–32 of [0-9A-Za-z_-|*]');
}

function sameTrade(op: string, asked: string, answered: string | undefined): void {
  if (answered !== undefined && answered !== asked) {
    throw new WechatPayError({ operation: op, kind: 'http', retryable: true, detail: `the answer is about out_trade_no ${answered}, not ${asked}` });
  }
}

function protocolFailure(op: string, a: Fields): WechatPayError {
  return new WechatPayError({ operation: op, kind: 'business', retryable: false, code: 'RETURN_FAIL', wechatMessage: a.return_msg, detail: `return_code FAIL (${a.return_msg ?? ''})` });
}

function businessFailure(op: string, a: Fields): WechatPayError {
  const code = a.err_code || 'FAIL';
  const transient = code === 'SYSTEMERROR' || code === 'BANKERROR' || code === 'FREQUENCY_LIMITED';
  return new WechatPayError({ operation: op, kind: transient ? 'http' : 'business', retryable: transient, code, wechatMessage: a.err_code_des, signed: true, detail: `${code}${a.err_code_des ? ` (${a.err_code_des})` : ''}` });
}

/** time_end yyyyMMddHHmmss (China time). */
function timeEnd(v: string | undefined): Date | undefined {
  const m = v ? /^(\d{4})(\d{2})(\d{2})(\d{2})(\d{2})(\d{2})$/.exec(v) : null;
  if (!m) return undefined;
  try {
    return parseChinaTime(`${m[1]}-${m[2]}-${m[3]} ${m[4]}:${m[5]}:${m[6]}`);
  } catch {
    return undefined;
  }
}
