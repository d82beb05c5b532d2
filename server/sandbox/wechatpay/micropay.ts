/**
 * The WeChat Pay API v2 half of the sandbox: 付款码支付 (booth payment codes) for the same merchant —
 * POST /pay/micropay, /pay/orderquery and /secapi/pay/reverse, XML in and out, as WeChat's v2 docs
 * describe them (付款码支付 API 列表: 提交付款码支付, 查询订单, 撤销订单; 安全规范 签名算法):
 *
 * - the request signature is checked like WeChat does, on its own code (not the adapter's library): every
 *   parameter except `sign` with a non-empty value, sorted by name (ASCII), joined as k=v&…, then
 *   `&key=<API v2 key>`, MD5 or HMAC-SHA256 (sign_type; absent = MD5), upper-case hex. A wrong sign, an
 *   unknown mch_id, a body that is not XML → `<return_code>FAIL</return_code>` with return_msg, unsigned;
 * - every other answer is `return_code SUCCESS` signed with the request's sign_type, carrying
 *   `result_code SUCCESS|FAIL` and err_code / err_code_des;
 * - payment codes are issued by the control API, 18 digits starting 13 (WeChat's are 10–15), single use,
 *   valid 60 s, each with the behaviour of the payer behind it: pays at once, has to enter a password
 *   (USERPAYING until the user pays, gives up, or the order is reversed), or is refused (AUTHCODEEXPIRE,
 *   NOTENOUGH, …). A code the sandbox never issued is AUTH_CODE_INVALID;
 * - an out_trade_no is one order: the same again after success → ORDERPAID, with another code or amount
 *   → OUT_TRADE_NO_USED (WeChat: a new code needs a new out_trade_no);
 * - reverse closes an unpaid order and refunds a paid one (trade_state REVOKED), is idempotent, and also
 *   "reverses" an out_trade_no it has not seen yet (a micropay that never arrived), so a late micropay with
 *   it is refused with ORDERREVERSED: nothing can be charged after a reverse;
 * - faults (the sandbox's fault list, matched by path) apply here too: timeout / reset / http500 /
 *   badSignature / error (result_code FAIL with that err_code; on reverse SYSTEMERROR and USERPAYING answer
 *   recall=Y: "call reverse again"); `applied` does the work first.
 *
 * /secapi/ needs the merchant's client certificate (mutual TLS) at WeChat; this sandbox speaks plain HTTP and
 * does not check one: the adapter's mTLS configuration is only exercised against the real host.
 */
import { createHash, createHmac } from 'node:crypto';
import { Transformer } from 'wechatpay-axios-plugin';
import type { Clock } from '../../src/core/clock';
import { formatChinaTime } from '../../../shared/time';
import { randomString } from './keys';
import { SandboxControlError } from './state';

export const MICROPAY_PATHS = ['/pay/micropay', '/pay/orderquery', '/secapi/pay/reverse'] as const;

/** What the payer behind a payment code does when the booth scans it. */
export type PaymentCodeBehaviour =
  /** Pays at once (small amounts need no password). */
  | 'pay'
  /** Must enter the password: USERPAYING until userPays / userGivesUp / a reverse. */
  | 'password'
  /** The code expired on the phone: AUTHCODEEXPIRE. */
  | 'expired'
  /** Not enough balance: NOTENOUGH. */
  | 'insufficient'
  /** The card behind it is not supported: NOTSUPORTCARD. */
  | 'unsupported';

export interface PaymentCode {
  code: string;
  openid: string;
  behaviour: PaymentCodeBehaviour;
  issuedAt: number;
  usedBy?: string;
}

export type MicropayState = 'SUCCESS' | 'USERPAYING' | 'PAYERROR' | 'REVOKED';

export interface MicropayOrder {
  outTradeNo: string;
  authCode: string;
  openid: string;
  totalFen: number;
  body: string;
  state: MicropayState;
  /** Why a PAYERROR order failed (the err_code micropay answered). */
  errCode?: string;
  transactionId?: string;
  paidAt?: number;
  createdAt: number;
  reversedAt?: number;
  /** A paid order was reversed: the money went back to the payer. */
  refundedByReverse?: boolean;
  /** Reversed before any micropay arrived. */
  placeholder?: boolean;
}

/** A v2 fault, as the sandbox's fault list holds it. */
export type V2Fault =
  | { kind: 'timeout' | 'reset' | 'http500'; applied?: boolean }
  | { kind: 'badSignature' }
  | { kind: 'error'; code: string; message?: string; applied?: boolean };

export interface V2Io {
  /** The first fault registered for this path (consumed). */
  takeFault(pathname: string): V2Fault | undefined;
}

export interface V2Answer {
  status: number;
  body: string;
  /** Destroy the connection instead (reset fault). */
  reset?: boolean;
  /** Never answer (timeout fault). */
  hold?: boolean;
}

const BEHAVIOURS: readonly PaymentCodeBehaviour[] = ['pay', 'password', 'expired', 'insufficient', 'unsupported'];
const CODE_TTL_MS = 60_000;
const OUT_TRADE_NO = /^[0-9A-Za-z_\-|*]{1,32}$/;
const WECHAT_AUTH_CODE = /^1[0-5]\d{16}$/;

const TRADE_STATE_DESC: Record<MicropayState, string> = {
  SUCCESS: '支付成功',
  USERPAYING: '需要用户输入支付密码',
  PAYERROR: '支付失败',
  REVOKED: '已撤销',
};

const ERR_DES: Record<string, string> = {
  SYSTEMERROR: '系统超时，请稍后再试',
  PARAM_ERROR: '参数错误',
  ORDERPAID: '订单已支付',
  AUTHCODEEXPIRE: '二维码已过期，请用户在微信上刷新后再试',
  NOTENOUGH: '余额不足',
  NOTSUPORTCARD: '不支持卡类型',
  ORDERREVERSED: '订单已撤销',
  USERPAYING: '需要用户输入支付密码',
  AUTH_CODE_INVALID: '请扫描微信支付授权码(以10/11/12/13/14/15开头的18位数字)',
  OUT_TRADE_NO_USED: '商户订单号重复',
  ORDERNOTEXIST: '此交易订单号不存在',
  APPID_MCHID_NOT_MATCH: 'appid和mch_id不匹配',
  LACK_PARAMS: '缺少参数',
};

/** WeChat's v2 signature, written out here on its own (the sandbox must not share the adapter's code). */
export function wechatV2Sign(params: Record<string, string>, key: string, signType: 'MD5' | 'HMAC-SHA256'): string {
  const text = Object.keys(params)
    .filter((k) => k !== 'sign' && params[k] !== undefined && params[k] !== '')
    .sort()
    .map((k) => `${k}=${params[k]}`)
    .join('&');
  const withKey = `${text}&key=${key}`;
  const hex = signType === 'MD5' ? createHash('md5').update(withKey, 'utf8').digest('hex') : createHmac('sha256', key).update(withKey, 'utf8').digest('hex');
  return hex.toUpperCase();
}

/** `<xml>` with every value as CDATA-safe text, like WeChat's answers. */
function toXml(fields: Record<string, string>): string {
  return Transformer.toXml(fields) as string;
}

/** The body as WeChat reads it: one `<xml>` element of simple fields; undefined when it is not that. */
export function parseV2Xml(text: string): Record<string, string> | undefined {
  const trimmed = text.replace(/^\s*<\?xml[^>]*\?>/, '').trim();
  if (!trimmed.startsWith('<xml>') || !trimmed.endsWith('</xml>')) return undefined;
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
    else return undefined; // nested elements are not WeChat v2 parameters
  }
  return out;
}

const compactTime = (ms: number) => formatChinaTime(ms).replace(/\D/g, '');

export class MicropayDesk {
  readonly apiV2Key: string;
  readonly codes = new Map<string, PaymentCode>();
  readonly orders = new Map<string, MicropayOrder>();

  constructor(
    private readonly appId: string,
    private readonly mchId: string,
    private readonly clock: Clock,
    apiV2Key?: string,
  ) {
    this.apiV2Key = apiV2Key ?? randomString(32);
  }

  static owns(pathname: string): boolean {
    return (MICROPAY_PATHS as readonly string[]).includes(pathname);
  }

  // ---- control ------------------------------------------------------------------------------------

  /** A payment code as the payer's phone shows it. */
  issueCode(o: { behaviour?: PaymentCodeBehaviour; openid?: string } = {}): PaymentCode {
    if (o.behaviour !== undefined && !BEHAVIOURS.includes(o.behaviour)) {
      throw new SandboxControlError(`behaviour must be one of ${BEHAVIOURS.join(', ')}`);
    }
    let code: string;
    do code = `13${randomString(16, '0123456789')}`;
    while (this.codes.has(code));
    const pc: PaymentCode = { code, openid: o.openid ?? `o${randomString(27)}`, behaviour: o.behaviour ?? 'pay', issuedAt: this.clock.now() };
    this.codes.set(code, pc);
    return pc;
  }

  order(outTradeNo: string): MicropayOrder {
    const o = this.orders.get(outTradeNo);
    if (!o) throw new SandboxControlError(`no micropay order ${outTradeNo}`);
    return o;
  }

  /** The payer enters the password: USERPAYING → SUCCESS. */
  userPays(outTradeNo: string): MicropayOrder {
    const o = this.order(outTradeNo);
    if (o.state !== 'USERPAYING') throw new SandboxControlError(`micropay order ${outTradeNo} is ${o.state}: the user cannot pay it`);
    this.succeed(o);
    return o;
  }

  /** The payer closes the password prompt: USERPAYING → PAYERROR. */
  userGivesUp(outTradeNo: string): MicropayOrder {
    const o = this.order(outTradeNo);
    if (o.state !== 'USERPAYING') throw new SandboxControlError(`micropay order ${outTradeNo} is ${o.state}`);
    o.state = 'PAYERROR';
    o.errCode = 'USERPAYING';
    return o;
  }

  private succeed(o: MicropayOrder): void {
    const now = this.clock.now();
    o.state = 'SUCCESS';
    o.paidAt = now;
    o.transactionId = `4200${randomString(6, '0123456789')}${compactTime(now).slice(0, 8)}${randomString(10, '0123456789')}`;
  }

  // ---- HTTP ---------------------------------------------------------------------------------------

  handle(method: string, pathname: string, rawBody: string, io: V2Io): V2Answer {
    const fail = (msg: string): V2Answer => ({ status: 200, body: toXml({ return_code: 'FAIL', return_msg: msg }) });
    if (method !== 'POST') return fail('请使用post方法');
    const p = parseV2Xml(rawBody);
    if (!p) return fail('XML格式错误');
    if (!p.mch_id) return fail('缺少参数mch_id');
    if (p.mch_id !== this.mchId) return fail('商户号mch_id与appid不匹配');
    if (!p.nonce_str || p.nonce_str.length > 32) return fail('nonce_str参数错误');
    if (!p.sign) return fail('缺少参数sign');
    const signType = p.sign_type === undefined || p.sign_type === '' ? 'MD5' : p.sign_type;
    if (signType !== 'MD5' && signType !== 'HMAC-SHA256') return fail('sign_type参数错误');
    // WeChat compares the upper-case hex digest with what was sent, as sent.
    if (wechatV2Sign(p, this.apiV2Key, signType) !== p.sign) return fail('签名错误');

    const sign = (answer: Record<string, string>) => ({ ...answer, sign: wechatV2Sign(answer, this.apiV2Key, signType) });
    if (!p.appid || p.appid !== this.appId) {
      const code = p.appid ? 'APPID_MCHID_NOT_MATCH' : 'LACK_PARAMS';
      const base = { return_code: 'SUCCESS', return_msg: 'OK', appid: p.appid ?? '', mch_id: this.mchId, nonce_str: randomString(16) };
      return { status: 200, body: toXml(sign({ ...base, ...this.errorResult(code, p.appid ? undefined : '缺少参数appid', pathname) })) };
    }
    const fault = io.takeFault(pathname);
    if (fault && (fault.kind === 'timeout' || fault.kind === 'reset' || fault.kind === 'http500') && !fault.applied) return this.sabotage(fault.kind);
    let result: Record<string, string>;
    if (fault?.kind === 'error' && !fault.applied) {
      result = this.errorResult(fault.code, fault.message, pathname);
    } else {
      result = this.route(pathname, p);
      if (fault?.kind === 'error') result = this.errorResult(fault.code, fault.message, pathname);
      if (fault && (fault.kind === 'timeout' || fault.kind === 'reset' || fault.kind === 'http500')) return this.sabotage(fault.kind);
    }
    const answer: Record<string, string> = {
      return_code: 'SUCCESS',
      return_msg: 'OK',
      appid: this.appId,
      mch_id: this.mchId,
      nonce_str: randomString(16),
      ...result,
    };
    answer.sign = wechatV2Sign(answer, this.apiV2Key, signType);
    if (fault?.kind === 'badSignature') {
      // A well-formed signature over something else: only a real check catches it.
      answer.sign = wechatV2Sign({ ...answer, nonce_str: `${answer.nonce_str}x` }, this.apiV2Key, signType);
    }
    return { status: 200, body: toXml(answer) };
  }

  private sabotage(kind: 'timeout' | 'reset' | 'http500'): V2Answer {
    if (kind === 'timeout') return { status: 0, body: '', hold: true };
    if (kind === 'reset') return { status: 0, body: '', reset: true };
    return { status: 500, body: '<html><body><h1>500 Internal Server Error</h1></body></html>' };
  }

  private errorResult(code: string, message: string | undefined, pathname: string): Record<string, string> {
    const r: Record<string, string> = { result_code: 'FAIL', err_code: code, err_code_des: message ?? ERR_DES[code] ?? code };
    if (pathname === '/secapi/pay/reverse') r.recall = code === 'SYSTEMERROR' || code === 'USERPAYING' ? 'Y' : 'N';
    return r;
  }

  private route(pathname: string, p: Record<string, string>): Record<string, string> {
    if (pathname === '/pay/micropay') return this.micropay(p);
    if (pathname === '/pay/orderquery') return this.orderquery(p);
    return this.reverse(p);
  }

  private micropay(p: Record<string, string>): Record<string, string> {
    const err = (code: string, des?: string) => this.errorResult(code, des, '/pay/micropay');
    for (const k of ['appid', 'body', 'out_trade_no', 'total_fee', 'spbill_create_ip', 'auth_code']) {
      if (!p[k]) return err('LACK_PARAMS', `缺少参数${k}`);
    }
    if (p.body.length > 128) return err('PARAM_ERROR', 'body参数长度有误');
    if (!OUT_TRADE_NO.test(p.out_trade_no)) return err('PARAM_ERROR', 'out_trade_no参数格式错误');
    if (!/^[1-9]\d{0,9}$/.test(p.total_fee)) return err('PARAM_ERROR', 'total_fee参数错误(整数，单位为分)');
    if (!WECHAT_AUTH_CODE.test(p.auth_code)) return err('AUTH_CODE_INVALID');
    const totalFen = Number(p.total_fee);
    const existing = this.orders.get(p.out_trade_no);
    if (existing) {
      if (existing.state === 'REVOKED') return err('ORDERREVERSED');
      if (existing.authCode !== p.auth_code || existing.totalFen !== totalFen) return err('OUT_TRADE_NO_USED');
      if (existing.state === 'SUCCESS') return err('ORDERPAID');
      if (existing.state === 'USERPAYING') return err('USERPAYING');
      return err(existing.errCode ?? 'SYSTEMERROR');
    }
    const pc = this.codes.get(p.auth_code);
    if (!pc) return err('AUTH_CODE_INVALID', '每个二维码仅限使用一次，请刷新再试');
    if (pc.usedBy !== undefined || this.clock.now() - pc.issuedAt > CODE_TTL_MS) return err('AUTHCODEEXPIRE');
    pc.usedBy = p.out_trade_no;
    const o: MicropayOrder = {
      outTradeNo: p.out_trade_no,
      authCode: p.auth_code,
      openid: pc.openid,
      totalFen,
      body: p.body,
      state: 'USERPAYING',
      createdAt: this.clock.now(),
    };
    this.orders.set(o.outTradeNo, o);
    const refusal = { expired: 'AUTHCODEEXPIRE', insufficient: 'NOTENOUGH', unsupported: 'NOTSUPORTCARD' } as const;
    switch (pc.behaviour) {
      case 'pay':
        this.succeed(o);
        return this.paidFields(o);
      case 'password':
        return err('USERPAYING');
      default:
        o.state = 'PAYERROR';
        o.errCode = refusal[pc.behaviour];
        return err(o.errCode);
    }
  }

  private paidFields(o: MicropayOrder): Record<string, string> {
    return {
      result_code: 'SUCCESS',
      openid: o.openid,
      is_subscribe: 'N',
      trade_type: 'MICROPAY',
      bank_type: 'OTHERS',
      fee_type: 'CNY',
      total_fee: String(o.totalFen),
      cash_fee_type: 'CNY',
      cash_fee: String(o.totalFen),
      transaction_id: o.transactionId ?? '',
      out_trade_no: o.outTradeNo,
      attach: '',
      time_end: compactTime(o.paidAt ?? o.createdAt),
    };
  }

  private find(p: Record<string, string>): MicropayOrder | undefined {
    if (p.transaction_id) return [...this.orders.values()].find((o) => o.transactionId === p.transaction_id);
    return p.out_trade_no ? this.orders.get(p.out_trade_no) : undefined;
  }

  private orderquery(p: Record<string, string>): Record<string, string> {
    if (!p.out_trade_no && !p.transaction_id) return this.errorResult('LACK_PARAMS', 'transaction_id和out_trade_no必须填一个', '/pay/orderquery');
    const o = this.find(p);
    if (!o || o.placeholder) return this.errorResult('ORDERNOTEXIST', undefined, '/pay/orderquery');
    const base: Record<string, string> = {
      result_code: 'SUCCESS',
      out_trade_no: o.outTradeNo,
      trade_type: 'MICROPAY',
      trade_state: o.state,
      trade_state_desc: TRADE_STATE_DESC[o.state],
      total_fee: String(o.totalFen),
      fee_type: 'CNY',
      attach: '',
    };
    if (o.transactionId) {
      Object.assign(base, {
        openid: o.openid,
        is_subscribe: 'N',
        bank_type: 'OTHERS',
        cash_fee: String(o.totalFen),
        transaction_id: o.transactionId,
        time_end: compactTime(o.paidAt ?? o.createdAt),
      });
    }
    return base;
  }

  private reverse(p: Record<string, string>): Record<string, string> {
    if (!p.out_trade_no && !p.transaction_id) return this.errorResult('LACK_PARAMS', 'transaction_id和out_trade_no必须填一个', '/secapi/pay/reverse');
    const now = this.clock.now();
    let o = this.find(p);
    if (!o) {
      if (!p.out_trade_no) return this.errorResult('ORDERNOTEXIST', undefined, '/secapi/pay/reverse');
      o = { outTradeNo: p.out_trade_no, authCode: '', openid: '', totalFen: 0, body: '', state: 'REVOKED', createdAt: now, reversedAt: now, placeholder: true };
      this.orders.set(o.outTradeNo, o);
    } else if (o.state !== 'REVOKED') {
      if (o.state === 'SUCCESS') o.refundedByReverse = true;
      o.state = 'REVOKED';
      o.reversedAt = now;
    }
    return { result_code: 'SUCCESS', recall: 'N' };
  }
}
