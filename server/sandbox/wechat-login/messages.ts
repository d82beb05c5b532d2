/**
 * The WeChat login sandbox's other half of api.weixin.qq.com for ONE mini-program: its access token and its
 * subscribe messages (订阅消息), as WeChat serves them:
 *
 * - 获取稳定版接口调用凭据 POST /cgi-bin/stable_token {grant_type:'client_credential', appid, secret,
 *   force_refresh?} → {access_token, expires_in}: 7200 s; repeated calls in normal mode answer the same token
 *   until its last 5 minutes, when a new one is made (the old one keeps working until it ends); force_refresh
 *   makes a new one at once and the old one stops working (at most 20 a day, 30 s apart: 45009 otherwise).
 * - 获取接口调用凭据 GET /cgi-bin/token?grant_type=client_credential&appid&secret → a new token each call (the
 *   previous one keeps working 5 more minutes). Its tokens and stable_token's are separate.
 * - 发送订阅消息 POST /cgi-bin/message/subscribe/send?access_token=… {touser, template_id, page?, data,
 *   miniprogram_state?, lang?}: 40001 invalid credential / 42001 access_token expired; 40003 touser; 40037
 *   template_id; 47003 data (every keyword of the template, no other, each value within its type's rule:
 *   thing ≤ 20, number, letter, symbol, character_string ≤ 32, time, date, amount, phone_number, car_number ≤ 8,
 *   name, phrase ≤ 5 Chinese characters); 41030 page (one of the app's pages); 43101 the user has no
 *   subscription left for the template (one-time: each accept allows one message).
 * - What wx.requestSubscribeMessage does on a phone (the control API): the user answers for up to 3 of the
 *   app's templates; each accept adds one message the app may send that user with that template.
 *
 * Answers are WeChat's: HTTP 200, JSON labelled text/plain, `{errcode, errmsg}` with errcode 0 on success.
 * Faults: any errcode for the next sends (-1 system busy, 45009 frequency), tokens invalidated, no answer.
 */
import { randomBytes } from 'node:crypto';
import type { Clock } from '../../src/core/clock';

export const TOKEN_TTL_S = 7200;
const RENEW_BEFORE_MS = 5 * 60_000;
const FORCE_PER_DAY = 20;
const FORCE_GAP_MS = 30_000;

export interface SandboxTemplate {
  id: string;
  title: string;
  /** Keywords in order (thing1, car_number2, …). */
  keywords: string[];
}

/** The sandbox app's subscribe templates (one per message kind), with their keywords. */
export const SANDBOX_SUBSCRIBE_TEMPLATES = {
  entry: { id: 'sbxEntry-Ww8xWq2pN0cRkT3vH5yLm7aD9fG1', title: '车辆入场通知', keywords: ['thing1', 'car_number2', 'time3', 'thing4'] },
  payment: { id: 'sbxPaid-Qe4rT6yU8iO0pA2sD4fG6hJ8kL0z', title: '停车缴费成功通知', keywords: ['thing1', 'car_number2', 'amount3', 'time4', 'thing5'] },
  free_exit_ending: { id: 'sbxLeave-Zx1cV3bN5mQ7wE9rT1yU3iO5pA7s', title: '离场时间提醒', keywords: ['thing1', 'car_number2', 'time3', 'thing4'] },
  deduction: { id: 'sbxDeduct-Df2gH4jK6lZ8xC0vB2nM4qW6eR8t', title: '无感支付扣费通知', keywords: ['thing1', 'car_number2', 'amount3', 'time4'] },
  refund: { id: 'sbxRefund-Yu9iO7pA5sD3fG1hJ9kL7zX5cV3b', title: '退款成功通知', keywords: ['thing1', 'amount2', 'time3', 'thing4'] },
  pass_expiring: { id: 'sbxPass-Nm6bV4cX2zL8kJ6hG4fD2sA0pO8i', title: '月卡到期提醒', keywords: ['thing1', 'car_number2', 'date3', 'thing4'] },
} as const satisfies Record<string, SandboxTemplate>;

/** Pages of the mini-program a message may open (app.json's). */
const PAGE = /^(pages|packages)\/[A-Za-z0-9_/-]+(\?.*)?$/;

export type SubscribeFault = { type: 'errcode'; errcode: number; errmsg?: string } | { type: 'timeout' };

export interface SentMessage {
  at: number;
  touser: string;
  templateId: string;
  page?: string;
  data: Record<string, string>;
  miniprogramState?: string;
}

export interface TokenCall {
  at: number;
  api: 'stable_token' | 'token';
  forceRefresh: boolean;
  outcome: string;
}

interface Token {
  value: string;
  expiresAt: number;
  revoked: boolean;
  kind: 'stable' | 'plain';
}

export type SubscribeAnswer = { status: number; body: Record<string, unknown> } | { hold: true };

export class SubscribeDesk {
  private readonly tokens = new Map<string, Token>();
  private stable: Token | undefined;
  private plain: Token | undefined;
  private readonly forced: number[] = [];
  /** openid → templateId → one-time subscriptions left. */
  private readonly quota = new Map<string, Map<string, number>>();
  private readonly faults: SubscribeFault[] = [];
  readonly sent: SentMessage[] = [];
  readonly tokenCalls: TokenCall[] = [];
  readonly templates: SandboxTemplate[];

  constructor(
    private readonly app: { appId: string; appSecret: () => string },
    private readonly clock: Clock,
    templates: SandboxTemplate[] = Object.values(SANDBOX_SUBSCRIBE_TEMPLATES),
  ) {
    this.templates = templates;
  }

  private err(errcode: number, errmsg: string): { status: number; body: Record<string, unknown> } {
    return { status: 200, body: { errcode, errmsg: `${errmsg} rid: ${randomBytes(6).toString('hex')}` } };
  }

  private mint(kind: Token['kind']): Token {
    const t: Token = { value: `${randomBytes(48).toString('base64url')}${kind === 'stable' ? 'S' : 'P'}`, expiresAt: this.clock.now() + TOKEN_TTL_S * 1000, revoked: false, kind };
    this.tokens.set(t.value, t);
    return t;
  }

  private credentials(appid: unknown, secret: unknown, grant: unknown): { status: number; body: Record<string, unknown> } | undefined {
    if (grant !== 'client_credential') return this.err(40002, 'invalid grant_type');
    if (appid !== this.app.appId) return this.err(40013, 'invalid appid');
    if (typeof secret !== 'string' || secret !== this.app.appSecret()) return this.err(40125, 'invalid appsecret');
    return undefined;
  }

  /** POST /cgi-bin/stable_token */
  stableToken(rawBody: string): { status: number; body: Record<string, unknown> } {
    let b: Record<string, unknown>;
    try {
      b = JSON.parse(rawBody) as Record<string, unknown>;
    } catch {
      return this.err(47001, 'data format error');
    }
    const force = b.force_refresh === true;
    const call: TokenCall = { at: this.clock.now(), api: 'stable_token', forceRefresh: force, outcome: 'ok' };
    this.tokenCalls.push(call);
    const refused = this.credentials(b.appid, b.secret, b.grant_type);
    if (refused) {
      call.outcome = `errcode:${refused.body.errcode}`;
      return refused;
    }
    const now = this.clock.now();
    if (force) {
      while (this.forced.length && this.forced[0]! < now - 86_400_000) this.forced.shift();
      const last = this.forced.at(-1);
      if (this.forced.length >= FORCE_PER_DAY || (last !== undefined && now - last < FORCE_GAP_MS)) {
        call.outcome = 'errcode:45009';
        return this.err(45009, 'reach max api daily quota limit');
      }
      this.forced.push(now);
      if (this.stable) this.stable.revoked = true;
      this.stable = this.mint('stable');
    } else if (!this.stable || this.stable.revoked || this.stable.expiresAt - now <= RENEW_BEFORE_MS) {
      // WeChat renews 5 minutes before the end; the old token works until it ends.
      this.stable = this.mint('stable');
    }
    return { status: 200, body: { access_token: this.stable.value, expires_in: Math.round((this.stable.expiresAt - now) / 1000) } };
  }

  /** GET /cgi-bin/token */
  token(q: URLSearchParams): { status: number; body: Record<string, unknown> } {
    const call: TokenCall = { at: this.clock.now(), api: 'token', forceRefresh: false, outcome: 'ok' };
    this.tokenCalls.push(call);
    const refused = this.credentials(q.get('appid'), q.get('secret'), q.get('grant_type'));
    if (refused) {
      call.outcome = `errcode:${refused.body.errcode}`;
      return refused;
    }
    // The previous plain token keeps working 5 more minutes.
    if (this.plain) this.plain.expiresAt = Math.min(this.plain.expiresAt, this.clock.now() + RENEW_BEFORE_MS);
    this.plain = this.mint('plain');
    return { status: 200, body: { access_token: this.plain.value, expires_in: TOKEN_TTL_S } };
  }

  /** POST /cgi-bin/message/subscribe/send?access_token=… */
  send(q: URLSearchParams, rawBody: string): SubscribeAnswer {
    const t = this.tokens.get(q.get('access_token') ?? '');
    if (!t || t.revoked) return this.err(40001, 'invalid credential, access_token is invalid or not latest');
    if (t.expiresAt <= this.clock.now()) return this.err(42001, 'access_token expired');
    const fault = this.faults.shift();
    if (fault?.type === 'timeout') return { hold: true };
    if (fault) return this.err(fault.errcode, fault.errmsg ?? (fault.errcode === -1 ? 'system error' : 'error'));
    let b: Record<string, unknown>;
    try {
      b = JSON.parse(rawBody) as Record<string, unknown>;
    } catch {
      return this.err(47001, 'data format error');
    }
    if (typeof b.touser !== 'string' || !/^[A-Za-z0-9_-]{20,40}$/.test(b.touser)) return this.err(40003, 'invalid openid');
    const tpl = this.templates.find((x) => x.id === b.template_id);
    if (!tpl) return this.err(40037, 'invalid template_id');
    if (b.page !== undefined && (typeof b.page !== 'string' || !PAGE.test(b.page))) return this.err(41030, 'invalid page');
    if (b.miniprogram_state !== undefined && !['developer', 'trial', 'formal'].includes(String(b.miniprogram_state))) return this.err(47003, 'argument invalid! miniprogram_state');
    const data = b.data;
    if (typeof data !== 'object' || data === null || Array.isArray(data)) return this.err(47003, 'argument invalid! data');
    const given = Object.keys(data);
    for (const k of tpl.keywords) if (!given.includes(k)) return this.err(47003, `argument invalid! data.${k}.value is empty`);
    for (const k of given) if (!tpl.keywords.includes(k)) return this.err(47003, `argument invalid! data.${k} is not a keyword of the template`);
    const values: Record<string, string> = {};
    for (const k of tpl.keywords) {
      const v = (data as Record<string, { value?: unknown }>)[k]?.value;
      const text = typeof v === 'string' ? v : typeof v === 'number' ? String(v) : undefined;
      const problem = text === undefined ? 'is empty' : valueProblem(k, text);
      if (problem) return this.err(47003, `argument invalid! data.${k}.value ${problem}`);
      values[k] = text!;
    }
    const left = this.quota.get(b.touser)?.get(tpl.id) ?? 0;
    if (left <= 0) return this.err(43101, 'user refuse to accept the msg');
    this.quota.get(b.touser)!.set(tpl.id, left - 1);
    this.sent.push({
      at: this.clock.now(),
      touser: b.touser,
      templateId: tpl.id,
      ...(typeof b.page === 'string' ? { page: b.page } : {}),
      data: values,
      ...(typeof b.miniprogram_state === 'string' ? { miniprogramState: b.miniprogram_state } : {}),
    });
    return { status: 200, body: { errcode: 0, errmsg: 'ok', msgid: Number(BigInt(`0x${randomBytes(6).toString('hex')}`)) } };
  }

  // ---- control ------------------------------------------------------------------------------------

  /**
   * wx.requestSubscribeMessage on the user's phone: up to 3 of the app's template ids; `answer` per id
   * (default accept). Each accept is one message the app may send.
   */
  subscribe(openid: string, tmplIds: string[], answer: Record<string, 'accept' | 'reject'> = {}): Record<string, string> {
    if (!tmplIds.length || tmplIds.length > 3) return { errMsg: 'requestSubscribeMessage:fail can only request 1–3 templates at a time', errCode: '20003' };
    const out: Record<string, string> = { errMsg: 'requestSubscribeMessage:ok' };
    for (const id of tmplIds) {
      if (!this.templates.some((t) => t.id === id)) return { errMsg: `requestSubscribeMessage:fail invalid template id ${id}`, errCode: '20001' };
    }
    for (const id of tmplIds) {
      const a = answer[id] ?? 'accept';
      out[id] = a;
      if (a === 'accept') {
        const m = this.quota.get(openid) ?? new Map<string, number>();
        m.set(id, (m.get(id) ?? 0) + 1);
        this.quota.set(openid, m);
      }
    }
    return out;
  }

  quotaOf(openid: string, templateId: string): number {
    return this.quota.get(openid)?.get(templateId) ?? 0;
  }

  /** The user turned the template off in settings (all its subscriptions go). */
  unsubscribe(openid: string, templateId: string): void {
    this.quota.get(openid)?.delete(templateId);
  }

  inject(fault: SubscribeFault, times = 1): void {
    for (let i = 0; i < times; i++) this.faults.push(fault);
  }

  /** Every token issued stops working (as after a force refresh elsewhere, or the secret reset). */
  revokeTokens(): void {
    for (const t of this.tokens.values()) t.revoked = true;
    this.stable = undefined;
    this.plain = undefined;
  }

  /** Control routes under /__sandbox/subscribe…; undefined when not one of them. */
  control(method: string, path: string, body: Record<string, unknown>): { status: number; body: unknown } | undefined {
    if (method === 'GET' && path === 'messages') return { status: 200, body: this.sent };
    if (method === 'GET' && path === 'templates') return { status: 200, body: this.templates };
    if (method === 'GET' && path === 'token-calls') return { status: 200, body: this.tokenCalls };
    if (method !== 'POST') return undefined;
    if (path === 'subscribe') {
      const openid = typeof body.openid === 'string' ? body.openid : '';
      if (!openid) return { status: 400, body: { error: 'openid is required' } };
      const ids = Array.isArray(body.tmplIds) ? body.tmplIds.filter((x): x is string => typeof x === 'string') : [];
      const answer = typeof body.answer === 'object' && body.answer !== null ? (body.answer as Record<string, 'accept' | 'reject'>) : {};
      return { status: 200, body: this.subscribe(openid, ids, answer) };
    }
    if (path === 'subscribe-fault') {
      const f = body.fault as SubscribeFault | undefined;
      if (!f || (f.type !== 'errcode' && f.type !== 'timeout')) return { status: 400, body: { error: 'fault {type:errcode,errcode} or {type:timeout}' } };
      this.inject(f, typeof body.times === 'number' ? body.times : 1);
      return { status: 200, body: { ok: true } };
    }
    if (path === 'revoke-tokens') {
      this.revokeTokens();
      return { status: 200, body: { ok: true } };
    }
    return undefined;
  }
}

const CN = /^[\u4e00-\u9fff]+$/;

/** WeChat's rule for a keyword's value, by the keyword's type (its name without the number). */
export function valueProblem(keyword: string, v: string): string | undefined {
  const type = keyword.replace(/\d+$/, '');
  const len = [...v].length;
  switch (type) {
    case 'thing':
      return len >= 1 && len <= 20 ? undefined : 'thing must be 1–20 characters';
    case 'number':
      return /^\d+(\.\d+)?$/.test(v) && len <= 32 ? undefined : 'number must be ≤ 32 digits';
    case 'letter':
      return /^[A-Za-z]{1,32}$/.test(v) ? undefined : 'letter must be ≤ 32 letters';
    case 'symbol':
      return len <= 5 && !/[A-Za-z0-9\u4e00-\u9fff]/.test(v) ? undefined : 'symbol must be ≤ 5 symbols';
    case 'character_string':
      return /^[\x21-\x7e]{1,32}$/.test(v) ? undefined : 'character_string must be ≤ 32 letters, digits or symbols';
    case 'time':
      return /^(\d{4}年\d{1,2}月\d{1,2}日 )?\d{1,2}:\d{2}(:\d{2})?(~.*)?$/.test(v) ? undefined : 'time must be like 15:01 or 2019年10月1日 15:01';
    case 'date':
      return /^\d{4}年\d{1,2}月\d{1,2}日( \d{1,2}:\d{2})?(~.*)?$/.test(v) ? undefined : 'date must be like 2019年10月1日';
    case 'amount':
      return /^[¥$€£]?\d{1,10}(\.\d{1,2})?元?$/.test(v) && /[¥$€£]|元$/.test(v) ? undefined : 'amount must be a currency and ≤ 10 digits';
    case 'phone_number':
      return /^[\d+\-() ]{1,17}$/.test(v) ? undefined : 'phone_number must be ≤ 17 digits or symbols';
    case 'car_number': {
      const chars = [...v];
      const middle = chars.slice(1, -1).join('');
      return chars.length >= 2 && chars.length <= 8 && /^[A-Z0-9]*$/.test(middle) ? undefined : 'car_number must be ≤ 8 characters';
    }
    case 'name':
      return (CN.test(v) && len <= 10) || (/^[A-Za-z .·]+$/.test(v) && len <= 20) ? undefined : 'name must be ≤ 10 Chinese or 20 letters';
    case 'phrase':
      return CN.test(v) && len <= 5 ? undefined : 'phrase must be ≤ 5 Chinese characters';
    default:
      return len <= 20 ? undefined : 'too long';
  }
}
