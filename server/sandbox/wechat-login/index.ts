/**
 * sandbox/wechat-login: a local stand-in for api.weixin.qq.com's `/sns/jscode2session` serving ONE
 * mini-program (appid + secret), close enough that the adapter reaches it by configuration alone
 * (`apiBaseUrl`):
 *
 *  - it answers like WeChat: JSON with Content-Type text/plain, `{openid, session_key[, unionid]}` or
 *    `{errcode, errmsg}` with HTTP 200 (40013 invalid appid, 40125 invalid appsecret, 41008 missing code,
 *    40002 invalid grant_type, 40029 invalid code, 40163 code been used);
 *  - codes are issued for named users (what wx.login does on a phone): single use, valid 5 minutes;
 *  - a user's openid is stable per user per appid (like WeChat's), the unionid per user;
 *  - a control API, in process (`issueCode`, `inject`) and over HTTP under /__sandbox/ for the demo and
 *    browser e2e (`POST /__sandbox/code {user}`), and faults: any errcode (45011 rate limit, 40226 high-risk
 *    user, -1 busy), no answer, HTTP errors, garbage;
 *  - the app's access token (stable_token, token) and subscribe messages (messages.ts: subscribeMessage.send,
 *    and what wx.requestSubscribeMessage does, `POST /__sandbox/subscribe {openid, tmplIds}`).
 */
import { createHash, randomBytes, timingSafeEqual } from 'node:crypto';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { systemClock, type Clock } from '../../src/core/clock';
import { SubscribeDesk } from './messages';

export { SANDBOX_SUBSCRIBE_TEMPLATES, SubscribeDesk, valueProblem, type SandboxTemplate, type SentMessage, type SubscribeFault, type TokenCall } from './messages';

export const WECHAT_CODE_TTL_MS = 5 * 60_000;
export const SANDBOX_WECHAT_APP_ID = 'wx5a3d0c7e9b1f2468';

export interface WechatLoginSandboxOptions {
  appId?: string;
  /** Default: random per start. */
  appSecret?: string;
  host?: string;
  port?: number;
  /** Sandbox time (code expiry). Default: real time. */
  clock?: Clock;
  codeTtlMs?: number;
  /** Answer unionid too (a mini-program bound to an open platform account). Default false. */
  withUnionId?: boolean;
}

export type WechatLoginFault =
  /** Answer this errcode (45011 rate limit, 40226 high-risk user, -1 system busy, …); the code is not used up. */
  | { type: 'errcode'; errcode: number; errmsg?: string }
  /** No answer at all (the client times out). */
  | { type: 'timeout' }
  /** An HTTP error page (default 502). */
  | { type: 'http'; status?: number }
  /** HTTP 200 with a body that is not JSON. */
  | { type: 'garbage' };

/** One call of /sns/jscode2session as the sandbox saw it (the secret is not kept). */
export interface Code2SessionCall {
  at: number;
  appId: string;
  /** 'ok', 'errcode:<n>' or 'fault:<type>'. */
  outcome: string;
  user?: string;
  openId?: string;
  /** The session_key answered (tests check it never reaches ParkPay's logs or database). */
  sessionKey?: string;
}

/** Shaped like config.ts's `wechatMiniProgram` block. */
export interface WechatLoginSandboxApp {
  appId: string;
  appSecret: string;
  apiBaseUrl: string;
}

export interface WechatLoginSandbox {
  url: string;
  app: WechatLoginSandboxApp;
  clock: Clock;
  /** What wx.login gives `user` on a phone: a fresh code. */
  issueCode(user: string): string;
  openIdOf(user: string): string;
  unionIdOf(user: string): string;
  /** The next `times` calls of jscode2session meet this fault. */
  inject(fault: WechatLoginFault, times?: number): void;
  /** Access tokens and subscribe messages of the app (messages.ts). */
  messages: SubscribeDesk;
  calls(): Code2SessionCall[];
  stop(): Promise<void>;
}

const USER = /^[A-Za-z0-9_.-]{1,32}$/;

function checkUser(user: string): string {
  if (!USER.test(user)) throw new Error(`sandbox user name ${JSON.stringify(user)}: 1–32 letters, digits, '_', '.', '-'`);
  return user;
}

/** "o" + 27 characters, like WeChat's openids (they look like oXyz…, 28 characters). */
function idLike(seed: string): string {
  return `o${createHash('sha256').update(seed, 'utf8').digest('base64url').slice(0, 27)}`;
}

function sameText(a: string, b: string): boolean {
  const x = Buffer.from(a, 'utf8');
  const y = Buffer.from(b, 'utf8');
  return x.length === y.length && timingSafeEqual(x, y);
}

export async function startWechatLoginSandbox(options: WechatLoginSandboxOptions = {}): Promise<WechatLoginSandbox> {
  const host = options.host ?? '127.0.0.1';
  const login = new LoginDesk(options);
  const server = http.createServer((req, res) => {
    login.handle(req, res).catch((e: unknown) => {
      if (!res.headersSent) {
        res.writeHead(500, { 'content-type': 'text/plain' });
        res.end((e as Error).message);
      }
    });
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(options.port ?? 0, host, () => resolve());
  });
  const { port } = server.address() as AddressInfo;
  const url = `http://${host.includes(':') ? `[${host}]` : host}:${port}`;

  return {
    url,
    app: { appId: login.appId, appSecret: login.appSecret, apiBaseUrl: url },
    clock: login.clock,
    issueCode: (user) => login.issueCode(user),
    openIdOf: (user) => login.openIdOf(user),
    unionIdOf: (user) => login.unionIdOf(user),
    inject: (fault, times = 1) => login.inject(fault, times),
    messages: login.desk,
    calls: () => login.calls.map((c) => ({ ...c })),
    stop: async () => {
      for (const res of login.held) res.destroy();
      const closed = new Promise<void>((resolve) => server.close(() => resolve()));
      server.closeAllConnections();
      await closed;
    },
  };
}

const rid = () => randomBytes(12).toString('hex').slice(0, 24);

/** WeChat's own framing: HTTP 200, JSON, labelled text/plain. */
function wechatAnswer(res: http.ServerResponse, body: Record<string, unknown>): void {
  res.writeHead(200, { 'content-type': 'text/plain' });
  res.end(JSON.stringify(body));
}

function answerDesk(res: http.ServerResponse, a: { status: number; body: Record<string, unknown> }): void {
  res.writeHead(a.status, { 'content-type': 'text/plain' });
  res.end(JSON.stringify(a.body));
}

async function readText(req: http.IncomingMessage): Promise<string> {
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const c of req) {
    size += (c as Buffer).length;
    if (size > 64 * 1024) throw new Error('body too large');
    chunks.push(c as Buffer);
  }
  return Buffer.concat(chunks).toString('utf8');
}

/** The control API's answers: JSON any page may read. */
function controlAnswer(res: http.ServerResponse, status: number, v: unknown): void {
  res.writeHead(status, { 'content-type': 'application/json; charset=utf-8', 'access-control-allow-origin': '*' });
  res.end(JSON.stringify(v));
}

type ControlBody = { user?: unknown; fault?: WechatLoginFault; times?: unknown };

/** The app's codes, users, faults and calls, and the HTTP routes that answer from them. */
class LoginDesk {
  readonly appId: string;
  readonly appSecret: string;
  readonly clock: Clock;
  readonly desk: SubscribeDesk;
  readonly calls: Code2SessionCall[] = [];
  /** Answers never given (a timeout fault, a held message): let go at stop. */
  readonly held = new Set<http.ServerResponse>();
  private readonly ttl: number;
  private readonly withUnionId: boolean;
  private readonly codes = new Map<string, { user: string; expiresAt: number; usedAt?: number }>();
  private readonly faults: WechatLoginFault[] = [];

  constructor(options: WechatLoginSandboxOptions) {
    this.appId = options.appId ?? SANDBOX_WECHAT_APP_ID;
    this.appSecret = options.appSecret ?? randomBytes(16).toString('hex');
    this.clock = options.clock ?? systemClock;
    this.ttl = options.codeTtlMs ?? WECHAT_CODE_TTL_MS;
    this.withUnionId = options.withUnionId === true;
    this.desk = new SubscribeDesk({ appId: this.appId, appSecret: () => this.appSecret }, this.clock);
  }

  openIdOf(user: string): string {
    return idLike(`openid:${this.appId}:${checkUser(user)}`);
  }

  unionIdOf(user: string): string {
    return idLike(`unionid:${checkUser(user)}`);
  }

  issueCode(user: string): string {
    checkUser(user);
    // Forget codes long gone, so a long demo does not grow without end.
    const now = this.clock.now();
    for (const [c, e] of this.codes) if (e.expiresAt + this.ttl < now) this.codes.delete(c);
    const code = randomBytes(24).toString('base64url').slice(0, 32);
    this.codes.set(code, { user, expiresAt: now + this.ttl });
    return code;
  }

  inject(fault: WechatLoginFault, times: number): void {
    for (let i = 0; i < times; i++) this.faults.push(fault);
  }

  async handle(req: http.IncomingMessage, res: http.ServerResponse): Promise<void> {
    const url = new URL(req.url ?? '/', 'http://sandbox');
    const desk = this.desk;
    if (url.pathname === '/sns/jscode2session' && req.method === 'GET') return this.jscode2session(res, url);
    if (url.pathname === '/cgi-bin/token' && req.method === 'GET') return answerDesk(res, desk.token(url.searchParams));
    if (url.pathname === '/cgi-bin/stable_token' && req.method === 'POST') return answerDesk(res, desk.stableToken(await readText(req)));
    if (url.pathname === '/cgi-bin/message/subscribe/send' && req.method === 'POST') {
      const a = desk.send(url.searchParams, await readText(req));
      if ('hold' in a) return this.hold(res);
      return answerDesk(res, a);
    }
    if (url.pathname.startsWith('/__sandbox/')) return this.control(req, res, url.pathname.slice('/__sandbox/'.length));
    res.writeHead(404, { 'content-type': 'text/plain' });
    res.end('Not Found');
  }

  private hold(res: http.ServerResponse): void {
    this.held.add(res);
    res.on('close', () => this.held.delete(res));
  }

  private jscode2session(res: http.ServerResponse, url: URL): void {
    const q = url.searchParams;
    const call: Code2SessionCall = { at: this.clock.now(), appId: q.get('appid') ?? '', outcome: '' };
    this.calls.push(call);
    const fault = this.faults.shift();
    if (fault) return this.answerFault(res, call, fault);
    const checked = this.redeem(q);
    if ('errcode' in checked) {
      call.outcome = `errcode:${checked.errcode}`;
      return wechatAnswer(res, { errcode: checked.errcode, errmsg: `${checked.errmsg}, rid: ${rid()}` });
    }
    const { user } = checked;
    const sessionKey = randomBytes(16).toString('base64');
    Object.assign(call, { outcome: 'ok', user, openId: this.openIdOf(user), sessionKey });
    wechatAnswer(res, {
      session_key: sessionKey,
      openid: this.openIdOf(user),
      ...(this.withUnionId ? { unionid: this.unionIdOf(user) } : {}),
    });
  }

  private answerFault(res: http.ServerResponse, call: Code2SessionCall, fault: WechatLoginFault): void {
    call.outcome = fault.type === 'errcode' ? `errcode:${fault.errcode}` : `fault:${fault.type}`;
    switch (fault.type) {
      case 'errcode':
        return wechatAnswer(res, { errcode: fault.errcode, errmsg: `${fault.errmsg ?? defaultErrmsg(fault.errcode)}, rid: ${rid()}` });
      case 'timeout':
        return this.hold(res);
      case 'http':
        res.writeHead(fault.status ?? 502, { 'content-type': 'text/html' });
        return void res.end('<html><body>Bad Gateway</body></html>');
      case 'garbage':
        res.writeHead(200, { 'content-type': 'text/plain' });
        return void res.end('<html>not json');
    }
  }

  /** Check the request as WeChat does, in its order; a good code is used up: its user. */
  private redeem(q: URLSearchParams): { user: string } | { errcode: number; errmsg: string } {
    const err = (errcode: number, errmsg: string) => ({ errcode, errmsg });
    if (!q.get('appid')) return err(41002, 'appid missing');
    if (q.get('appid') !== this.appId) return err(40013, 'invalid appid');
    if (!q.get('secret')) return err(41004, 'appsecret missing');
    if (!sameText(q.get('secret') ?? '', this.appSecret)) return err(40125, 'invalid appsecret');
    if (q.get('grant_type') !== 'authorization_code') return err(40002, 'invalid grant_type');
    const code = q.get('js_code');
    if (!code) return err(41008, 'missing code');
    const entry = this.codes.get(code);
    if (!entry || entry.expiresAt <= this.clock.now()) return err(40029, 'invalid code');
    if (entry.usedAt !== undefined) return err(40163, 'code been used');
    entry.usedAt = this.clock.now();
    return { user: entry.user };
  }

  /** /__sandbox/…: the app, the calls, codes for users, faults, and the subscribe desk's own controls. */
  private async control(req: http.IncomingMessage, res: http.ServerResponse, path: string): Promise<void> {
    const json = (status: number, v: unknown) => controlAnswer(res, status, v);
    if (req.method === 'OPTIONS') {
      res.writeHead(204, {
        'access-control-allow-origin': '*',
        'access-control-allow-methods': 'GET, POST',
        'access-control-allow-headers': 'content-type',
      });
      return void res.end();
    }
    if (req.method === 'GET' && path === 'app') return json(200, { appId: this.appId });
    if (req.method === 'GET' && path === 'calls') return json(200, this.calls);
    if (req.method === 'GET') {
      const got = this.desk.control('GET', path, {});
      return got ? json(got.status, got.body) : json(404, { error: 'not found' });
    }
    if (req.method !== 'POST') return json(404, { error: 'not found' });
    let text: string;
    try {
      text = await readText(req);
    } catch {
      return json(413, { error: 'body too large' });
    }
    let b: ControlBody;
    try {
      b = text ? JSON.parse(text) : {};
    } catch {
      return json(400, { error: 'the body is not JSON' });
    }
    try {
      this.controlPost(res, path, b);
    } catch (e) {
      json(400, { error: (e as Error).message });
    }
  }

  private controlPost(res: http.ServerResponse, path: string, b: ControlBody): void {
    const json = (status: number, v: unknown) => controlAnswer(res, status, v);
    switch (path) {
      case 'code': {
        const user = String(b.user ?? 'driver');
        return json(200, { code: this.issueCode(user), openId: this.openIdOf(user) });
      }
      case 'fault':
        if (!b.fault || typeof b.fault.type !== 'string') return json(400, { error: 'fault.type is required' });
        this.inject(b.fault, typeof b.times === 'number' ? b.times : 1);
        return json(200, { ok: true });
      default: {
        const got = this.desk.control('POST', path, b as Record<string, unknown>);
        return got ? json(got.status, got.body) : json(404, { error: 'not found' });
      }
    }
  }
}

function defaultErrmsg(errcode: number): string {
  switch (errcode) {
    case 45011:
      return 'api minute-quota reach limit  mustslower  retry next minute';
    case 40226:
      return 'high risk level user, login intercepted';
    case -1:
      return 'system error';
    default:
      return 'error';
  }
}
