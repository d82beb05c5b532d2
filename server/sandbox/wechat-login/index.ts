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
  const appId = options.appId ?? SANDBOX_WECHAT_APP_ID;
  const appSecret = options.appSecret ?? randomBytes(16).toString('hex');
  const host = options.host ?? '127.0.0.1';
  const clock = options.clock ?? systemClock;
  const ttl = options.codeTtlMs ?? WECHAT_CODE_TTL_MS;

  const codes = new Map<string, { user: string; expiresAt: number; usedAt?: number }>();
  const faults: WechatLoginFault[] = [];
  const calls: Code2SessionCall[] = [];
  const held = new Set<http.ServerResponse>();

  const openIdOf = (user: string) => idLike(`openid:${appId}:${checkUser(user)}`);
  const unionIdOf = (user: string) => idLike(`unionid:${checkUser(user)}`);
  const issueCode = (user: string): string => {
    checkUser(user);
    // Forget codes long gone, so a long demo does not grow without end.
    const now = clock.now();
    for (const [c, e] of codes) if (e.expiresAt + ttl < now) codes.delete(c);
    const code = randomBytes(24).toString('base64url').slice(0, 32);
    codes.set(code, { user, expiresAt: now + ttl });
    return code;
  };

  const desk = new SubscribeDesk({ appId, appSecret: () => appSecret }, clock);
  const rid = () => randomBytes(12).toString('hex').slice(0, 24);
  // WeChat's own framing: HTTP 200, JSON, labelled text/plain.
  const wechatAnswer = (res: http.ServerResponse, body: Record<string, unknown>) => {
    res.writeHead(200, { 'content-type': 'text/plain' });
    res.end(JSON.stringify(body));
  };
  const errAnswer = (res: http.ServerResponse, call: Code2SessionCall, errcode: number, errmsg: string) => {
    call.outcome = `errcode:${errcode}`;
    wechatAnswer(res, { errcode, errmsg: `${errmsg}, rid: ${rid()}` });
  };

  const jscode2session = (res: http.ServerResponse, url: URL) => {
    const q = url.searchParams;
    const call: Code2SessionCall = { at: clock.now(), appId: q.get('appid') ?? '', outcome: '' };
    calls.push(call);
    const fault = faults.shift();
    if (fault) {
      call.outcome = fault.type === 'errcode' ? `errcode:${fault.errcode}` : `fault:${fault.type}`;
      switch (fault.type) {
        case 'errcode':
          return wechatAnswer(res, { errcode: fault.errcode, errmsg: `${fault.errmsg ?? defaultErrmsg(fault.errcode)}, rid: ${rid()}` });
        case 'timeout':
          held.add(res);
          res.on('close', () => held.delete(res));
          return;
        case 'http':
          res.writeHead(fault.status ?? 502, { 'content-type': 'text/html' });
          return res.end('<html><body>Bad Gateway</body></html>');
        case 'garbage':
          res.writeHead(200, { 'content-type': 'text/plain' });
          return res.end('<html>not json');
      }
    }
    if (!q.get('appid')) return errAnswer(res, call, 41002, 'appid missing');
    if (q.get('appid') !== appId) return errAnswer(res, call, 40013, 'invalid appid');
    if (!q.get('secret')) return errAnswer(res, call, 41004, 'appsecret missing');
    if (!sameText(q.get('secret') ?? '', appSecret)) return errAnswer(res, call, 40125, 'invalid appsecret');
    if (q.get('grant_type') !== 'authorization_code') return errAnswer(res, call, 40002, 'invalid grant_type');
    const code = q.get('js_code');
    if (!code) return errAnswer(res, call, 41008, 'missing code');
    const entry = codes.get(code);
    if (!entry || entry.expiresAt <= clock.now()) return errAnswer(res, call, 40029, 'invalid code');
    if (entry.usedAt !== undefined) return errAnswer(res, call, 40163, 'code been used');
    entry.usedAt = clock.now();
    const sessionKey = randomBytes(16).toString('base64');
    Object.assign(call, { outcome: 'ok', user: entry.user, openId: openIdOf(entry.user), sessionKey });
    wechatAnswer(res, {
      session_key: sessionKey,
      openid: openIdOf(entry.user),
      ...(options.withUnionId ? { unionid: unionIdOf(entry.user) } : {}),
    });
  };

  const control = async (req: http.IncomingMessage, res: http.ServerResponse, path: string) => {
    const json = (status: number, v: unknown) => {
      res.writeHead(status, { 'content-type': 'application/json; charset=utf-8', 'access-control-allow-origin': '*' });
      res.end(JSON.stringify(v));
    };
    if (req.method === 'OPTIONS') {
      res.writeHead(204, {
        'access-control-allow-origin': '*',
        'access-control-allow-methods': 'GET, POST',
        'access-control-allow-headers': 'content-type',
      });
      return res.end();
    }
    if (req.method === 'GET' && path === 'app') return json(200, { appId });
    if (req.method === 'GET' && path === 'calls') return json(200, calls);
    if (req.method === 'GET') {
      const got = desk.control('GET', path, {});
      return got ? json(got.status, got.body) : json(404, { error: 'not found' });
    }
    if (req.method !== 'POST') return json(404, { error: 'not found' });
    const chunks: Buffer[] = [];
    let size = 0;
    for await (const c of req) {
      size += (c as Buffer).length;
      if (size > 64 * 1024) return json(413, { error: 'body too large' });
      chunks.push(c as Buffer);
    }
    let b: { user?: unknown; fault?: WechatLoginFault; times?: unknown };
    try {
      const text = Buffer.concat(chunks).toString('utf8');
      b = text ? JSON.parse(text) : {};
    } catch {
      return json(400, { error: 'the body is not JSON' });
    }
    try {
      switch (path) {
        case 'code': {
          const user = String(b.user ?? 'driver');
          return json(200, { code: issueCode(user), openId: openIdOf(user) });
        }
        case 'fault':
          if (!b.fault || typeof b.fault.type !== 'string') return json(400, { error: 'fault.type is required' });
          sandbox.inject(b.fault, typeof b.times === 'number' ? b.times : 1);
          return json(200, { ok: true });
        default: {
          const got = desk.control('POST', path, b as Record<string, unknown>);
          return got ? json(got.status, got.body) : json(404, { error: 'not found' });
        }
      }
    } catch (e) {
      return json(400, { error: (e as Error).message });
    }
  };

  const answerDesk = (res: http.ServerResponse, a: { status: number; body: Record<string, unknown> }) => {
    res.writeHead(a.status, { 'content-type': 'text/plain' });
    res.end(JSON.stringify(a.body));
  };
  const readText = async (req: http.IncomingMessage): Promise<string> => {
    const chunks: Buffer[] = [];
    let size = 0;
    for await (const c of req) {
      size += (c as Buffer).length;
      if (size > 64 * 1024) throw new Error('body too large');
      chunks.push(c as Buffer);
    }
    return Buffer.concat(chunks).toString('utf8');
  };

  const server = http.createServer((req, res) => {
    const url = new URL(req.url ?? '/', 'http://sandbox');
    const run = async () => {
      if (url.pathname === '/sns/jscode2session' && req.method === 'GET') return jscode2session(res, url);
      if (url.pathname === '/cgi-bin/token' && req.method === 'GET') return answerDesk(res, desk.token(url.searchParams));
      if (url.pathname === '/cgi-bin/stable_token' && req.method === 'POST') return answerDesk(res, desk.stableToken(await readText(req)));
      if (url.pathname === '/cgi-bin/message/subscribe/send' && req.method === 'POST') {
        const a = desk.send(url.searchParams, await readText(req));
        if ('hold' in a) {
          held.add(res);
          res.on('close', () => held.delete(res));
          return;
        }
        return answerDesk(res, a);
      }
      if (url.pathname.startsWith('/__sandbox/')) return control(req, res, url.pathname.slice('/__sandbox/'.length));
      res.writeHead(404, { 'content-type': 'text/plain' });
      res.end('Not Found');
    };
    run().catch((e: unknown) => {
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

  const sandbox: WechatLoginSandbox = {
    url,
    app: { appId, appSecret, apiBaseUrl: url },
    clock,
    issueCode,
    openIdOf,
    unionIdOf,
    inject: (fault, times = 1) => {
      for (let i = 0; i < times; i++) faults.push(fault);
    },
    messages: desk,
    calls: () => calls.map((c) => ({ ...c })),
    stop: async () => {
      for (const res of held) res.destroy();
      const closed = new Promise<void>((resolve) => server.close(() => resolve()));
      server.closeAllConnections();
      await closed;
    },
  };
  return sandbox;
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
