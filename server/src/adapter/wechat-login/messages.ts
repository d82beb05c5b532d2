/**
 * WeChat subscribe messages (subscribeMessage.send) for the mini-program, with its access token kept as WeChat
 * requires:
 *
 * - the token comes from getStableAccessToken (POST /cgi-bin/stable_token, normal mode): 7200 s, and in normal
 *   mode every caller gets the same token until WeChat renews it in its last 5 minutes — so several processes
 *   never invalidate each other's (getAccessToken's /cgi-bin/token would: each call makes a new token);
 * - it is kept in the database for every process (AccessTokenStore) and fetched again when less than 5 minutes
 *   are left; one fetch at a time per process;
 * - when WeChat says the token is invalid or expired (40001, 42001): asked again in normal mode; if WeChat
 *   answers the same token, once with force_refresh (WeChat allows 20 a day, 30 s apart);
 * - the token rides in the query string (WeChat's design): the URL is never logged or put into an error.
 *
 * send(): 0 → sent; 43101 (no subscription left / the user refused) → refused; 40003, 40037, 47003, 41030 (the
 * openid, template, data or page) → failed, not retried; -1, 45009, 45011, HTTP and network problems → failed,
 * retried later.
 */
import type { AccessTokenStore, MessageChannel, MessageKind, SendOutcome, TemplateRule } from '../../core/messages/model';
import type { Clock } from '../../core/clock';

export interface WechatMessagesOptions {
  appId: string;
  appSecret: string;
  apiBaseUrl: string;
  store: AccessTokenStore;
  clock: Clock;
  templates: Partial<Record<MessageKind, TemplateRule>>;
  miniprogramState: 'developer' | 'trial' | 'formal';
  lang: string;
  timeoutMs?: number;
  fetch?: typeof fetch;
}

const RENEW_BEFORE_MS = 5 * 60_000;
const FORCE_GAP_MS = 30_000;
const TOKEN_INVALID = new Set([40001, 42001, 40014]);
const REFUSED = new Set([43101]);
const TRANSIENT = new Set([-1, 45009, 45011, 45015]);

export class WechatTokenError extends Error {
  constructor(
    message: string,
    readonly errcode?: number,
  ) {
    super(message);
    this.name = 'WechatTokenError';
  }
}

export class WechatMessages implements MessageChannel {
  readonly platform = 'wechat' as const;
  readonly #secret: string;
  private readonly base: string;
  private readonly fetchImpl: typeof fetch;
  private inflight: Promise<string> | undefined;
  private lastForce = 0;

  constructor(private readonly o: WechatMessagesOptions) {
    this.#secret = o.appSecret;
    this.base = o.apiBaseUrl.replace(/\/+$/, '');
    this.fetchImpl = o.fetch ?? fetch;
  }

  template(kind: MessageKind): TemplateRule | undefined {
    return this.o.templates[kind];
  }

  /** A token with more than 5 minutes left (the stored one, or a fresh one). */
  async accessToken(): Promise<string> {
    const now = this.o.clock.now();
    const cached = await this.o.store.get(this.o.appId);
    if (cached && new Date(cached.expiresAt).getTime() - now > RENEW_BEFORE_MS) return cached.token;
    return this.fetchToken(false);
  }

  /** WeChat refused `bad`: the stored token if another process renewed it, else WeChat's current one, else a forced new one. */
  async renewAfterRefusal(bad: string): Promise<string> {
    const cached = await this.o.store.get(this.o.appId);
    if (cached && cached.token !== bad && new Date(cached.expiresAt).getTime() > this.o.clock.now()) return cached.token;
    const fresh = await this.fetchToken(false);
    if (fresh !== bad) return fresh;
    if (this.o.clock.now() - this.lastForce < FORCE_GAP_MS) throw new WechatTokenError('the access token was refused and a forced renewal was made less than 30 s ago');
    this.lastForce = this.o.clock.now();
    return this.fetchToken(true);
  }

  private fetchToken(force: boolean): Promise<string> {
    if (!force && this.inflight) return this.inflight;
    const p = (async () => {
      const body = JSON.stringify({ grant_type: 'client_credential', appid: this.o.appId, secret: this.#secret, ...(force ? { force_refresh: true } : {}) });
      const answer = await this.call(`${this.base}/cgi-bin/stable_token`, body);
      const token = answer.access_token;
      const expiresIn = answer.expires_in;
      if (typeof token !== 'string' || !token || typeof expiresIn !== 'number') {
        const errcode = typeof answer.errcode === 'number' ? answer.errcode : undefined;
        throw new WechatTokenError(`stable_token: errcode ${errcode ?? 'none'} ${typeof answer.errmsg === 'string' ? answer.errmsg.slice(0, 120) : ''}`.trim(), errcode);
      }
      await this.o.store.put(this.o.appId, token, new Date(this.o.clock.now() + expiresIn * 1000));
      return token;
    })();
    if (!force) {
      this.inflight = p;
      void p.finally(() => {
        if (this.inflight === p) this.inflight = undefined;
      }).catch(() => undefined);
    }
    return p;
  }

  /** POST JSON to an api.weixin.qq.com URL; the answer's JSON (WeChat labels it text/plain). Never reveals the URL. */
  private async call(url: string, body: string): Promise<Record<string, unknown>> {
    const abort = new AbortController();
    const timer = setTimeout(() => abort.abort(), this.o.timeoutMs ?? 5000);
    let status: number;
    let text: string;
    try {
      const res = await this.fetchImpl(url, { method: 'POST', headers: { 'content-type': 'application/json' }, body, signal: abort.signal, redirect: 'manual' });
      status = res.status;
      text = await res.text();
    } catch (e) {
      if (abort.signal.aborted) throw new WechatTokenError('no answer in time');
      const code = (e as { cause?: { code?: unknown } }).cause?.code;
      throw new WechatTokenError(`the request failed${typeof code === 'string' ? ` (${code})` : ''}`);
    } finally {
      clearTimeout(timer);
    }
    if (status !== 200) throw new WechatTokenError(`HTTP ${status}`);
    try {
      const parsed = JSON.parse(text) as unknown;
      if (typeof parsed !== 'object' || parsed === null || Array.isArray(parsed)) throw new Error('not an object');
      return parsed as Record<string, unknown>;
    } catch {
      throw new WechatTokenError('the answer is not JSON');
    }
  }

  async send(input: { recipient: string; templateId: string; page?: string; data: Record<string, string> }): Promise<SendOutcome> {
    const body = JSON.stringify({
      touser: input.recipient,
      template_id: input.templateId,
      ...(input.page ? { page: input.page } : {}),
      data: Object.fromEntries(Object.entries(input.data).map(([k, v]) => [k, { value: v }])),
      miniprogram_state: this.o.miniprogramState,
      lang: this.o.lang,
    });
    let token: string;
    try {
      token = await this.accessToken();
    } catch (e) {
      return { kind: 'failed', retryable: true, reason: `access token: ${(e as Error).message}` };
    }
    for (let round = 0; round < 2; round++) {
      let answer: Record<string, unknown>;
      try {
        answer = await this.call(`${this.base}/cgi-bin/message/subscribe/send?access_token=${encodeURIComponent(token)}`, body);
      } catch (e) {
        return { kind: 'failed', retryable: true, reason: (e as Error).message };
      }
      const errcode = typeof answer.errcode === 'number' ? answer.errcode : 0;
      const errmsg = typeof answer.errmsg === 'string' ? answer.errmsg.replace(/rid: .*/, '').trim().slice(0, 160) : '';
      if (errcode === 0) return { kind: 'sent' };
      if (TOKEN_INVALID.has(errcode) && round === 0) {
        try {
          token = await this.renewAfterRefusal(token);
        } catch (e) {
          return { kind: 'failed', retryable: true, reason: `access token: ${(e as Error).message}` };
        }
        continue;
      }
      if (REFUSED.has(errcode)) return { kind: 'refused', reason: `${errcode} ${errmsg}` };
      return { kind: 'failed', retryable: TRANSIENT.has(errcode) || TOKEN_INVALID.has(errcode), reason: `${errcode} ${errmsg}` };
    }
    return { kind: 'failed', retryable: true, reason: 'the access token kept being refused' };
  }
}
