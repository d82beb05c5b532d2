/**
 * sandbox/alipay: a local HTTP stand-in for openapi.alipay.com/gateway.do serving ONE app, close enough
 * that the adapter reaches it by configuration alone (the `gateway` URL) and cannot tell the difference:
 *
 *  - it checks our request signatures exactly as Alipay does (signing.ts), the app_id and the timestamp
 *    window, and refuses like Alipay (`<method>_response` 40002 isv.invalid-signature, …, signed);
 *  - it answers `{"<method>_response":<inner>,"sign":…}` signed over the exact inner text;
 *  - it keeps trades (book.ts) and sends notifications with Alipay's retry schedule (notifier.ts);
 *  - it keeps withholding agreements (agreement-book.ts, agreements.ts): the page an
 *    alipay.user.agreement.page.sign URL opens, agreement query / unsign, alipay.trade.pay GENERAL_WITHHOLDING,
 *    dut_user_sign / dut_user_unsign, and their control routes under /__sandbox/agreements;
 *  - a control API (in process, and over HTTP under /__sandbox/ for the demo) plays the buyer and time:
 *    pay, cancel at the cashier, expire, finish, issue an auth code; and injects faults: timeouts, HTTP
 *    errors, forged / tampered / unsigned responses, forged notifications.
 *
 * Time: `clock` (default: real time sped up `timeScale` times) stamps everything and drives the retry
 * schedule and trade timeouts. Request timestamps are checked against real time, or against `clock` when
 * one is given (then tests share it with the adapter). With a given clock nothing runs by itself unless
 * `pollMs` is set: tests move the clock and call runDue().
 */
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { createPublicKey } from 'node:crypto';
import { formatChinaTime, parseChinaTime } from '../../../shared/time';
import { ScaledClock, systemClock, type Clock } from '../../src/core/clock';
import { AgreementBook } from './agreement-book';
import { AGREEMENT_METHODS, createAgreementDesk, PAGE_SIGN_METHOD, WITHHOLDING_PRODUCT, type AgreementSandbox } from './agreements';
import { SandboxControlError, TradeBook, type GatewayAnswer, type IdMode, type SandboxRefund, type SandboxTrade } from './book';
import { FaceToFaceCounter, type AlipayCodeBehaviour, type AlipayPaymentCode } from './face-to-face';
import { Notifier, type NotificationForgery, type SandboxNotification } from './notifier';
import { TEMPLATE_MESSAGE_METHOD, TemplateMessageDesk } from './messages';
import { SandboxScheduler, type SchedulerMode } from './scheduler';
import { makeAlipayCertificates } from './certificates';
import { generateRsaKeyPair, requestSignContent, responseKey, rsa2Verify, signedResponseBody } from './signing';
import { pid, SANDBOX_USERS, sandboxUser, type SandboxUser } from './users';

export { ALIPAY_NOTIFY_RETRY_MS, type NotificationAttempt, type SandboxNotification } from './notifier';
export type { SandboxTrade, SandboxRefund, TradeStatus, IdMode } from './book';
export { SandboxControlError } from './book';
export { SANDBOX_USERS, sandboxUser, type SandboxUser } from './users';
export { ALIPAY_SANDBOX_TEMPLATES, TEMPLATE_MESSAGE_METHOD, TemplateMessageDesk, type AlipaySandboxTemplate, type AlipaySentMessage } from './messages';
export { AgreementControlError, type AgreementSandbox, type AgreementStatus, type PageRefusal, type SandboxAgreement, type SignRequest } from './agreements';
export * from './signing';

export type AlipayFault =
  /** No answer at all (the client times out). afterProcessing: Alipay did the work first. */
  | { type: 'timeout'; method?: string; afterProcessing?: boolean }
  /** An HTTP error page instead of an answer (default 500). */
  | { type: 'http'; status?: number; method?: string; afterProcessing?: boolean }
  /** The real answer, signed with a key that is not Alipay's. */
  | { type: 'bad_signature'; method?: string }
  /** The real answer, signed, then a field altered (amounts → 0.01, else msg). */
  | { type: 'tampered_response'; method?: string }
  /** The real answer without any sign field. */
  | { type: 'unsigned_response'; method?: string }
  /** A signed business error instead of the work (default 40004 ACQ.SYSTEM_ERROR, "系统错误"). */
  | { type: 'business_error'; method?: string; code?: string; subCode?: string; subMsg?: string }
  /** The next notification delivery is signed with a wrong key ('wrong_key') or altered after signing. */
  | { type: 'forged_notification'; how?: NotificationForgery }
  /** The next trade notification is lost on the way: never delivered, never retried. */
  | { type: 'lost_notification' };

export interface AlipaySandboxOptions {
  appId?: string;
  port?: number;
  host?: string;
  /** Sandbox time. Given: manual unless pollMs; request timestamps are checked against it too. */
  clock?: Clock;
  /** Without a clock: sandbox time runs this many times faster than real time (retries, timeouts). */
  timeScale?: number;
  /** With a clock moved elsewhere: run due work every pollMs real ms. */
  pollMs?: number;
  /** Stable credentials (PKCS#8 PEM); generated when absent. */
  keys?: { appPrivateKey: string; alipayPrivateKey: string };
  /** open_id (apps since 2023, default) or user_id: which buyer id answers and notifications carry. */
  idMode?: IdMode;
  /** How far a request timestamp may be from now. Default 15 minutes. */
  timestampToleranceMs?: number;
  /** Real ms the sandbox waits for a notify_url to answer. Default 10 s. */
  notifyTimeoutMs?: number;
  /** Put into `app.notifyUrl`. */
  notifyUrl?: string;
  /**
   * 公钥证书模式: the app is set up with certificates (see certificates.ts). Requests must carry app_cert_sn and
   * alipay_root_cert_sn; answers carry alipay_cert_sn; `certApp` is the configuration to use.
   */
  certificateMode?: boolean;
}

/** Shaped like config.ts's `alipay` block: demo mode can use it as is. */
export interface AlipaySandboxApp {
  appId: string;
  privateKey: string;
  alipayPublicKey: string;
  keyType: 'PKCS8';
  gateway: string;
  notifyUrl?: string;
}

export interface GatewayHit {
  at: number;
  method: string;
  /** 'ok', a sub_code (isv.invalid-signature, ACQ.TRADE_NOT_EXIST…), or 'fault:<type>'. */
  outcome: string;
  params: Record<string, string>;
}

export interface AlipaySandbox {
  url: string;
  /** url + '/gateway.do' */
  gateway: string;
  app: AlipaySandboxApp;
  /** The app's public key (what the sandbox verifies requests with). */
  appPublicKey: string;
  /** 公钥证书模式 (option certificateMode): config.alipay with the three certificates instead of alipayPublicKey. */
  certApp?: Omit<AlipaySandboxApp, 'alipayPublicKey'> & { appCert: string; alipayPublicCert: string; alipayRootCert: string };
  /** The merchant's PID (seller_id of notifications). */
  sellerId: string;
  clock: Clock;
  user(name: string): SandboxUser;
  pay(outTradeNo: string, user?: string | SandboxUser): { resultCode: '9000'; tradeNo: string; outTradeNo: string };
  cancel(outTradeNo: string, user?: string | SandboxUser): { resultCode: '6001'; outTradeNo: string };
  expire(outTradeNo: string): SandboxTrade;
  finish(outTradeNo: string): SandboxTrade;
  issueAuthCode(user: string | SandboxUser): string;
  inject(fault: AlipayFault, times?: number): void;
  /** Forget the faults not yet used (of one type, or all). */
  clearFaults(type?: AlipayFault['type']): void;
  /** true: refunds stay processing (fund_change N, no refund_status on the query) until settleRefund(). */
  holdRefunds(on: boolean): void;
  settleRefund(outTradeNo: string, outRequestNo: string): SandboxRefund;
  trades(): SandboxTrade[];
  trade(outTradeNo: string): SandboxTrade | undefined;
  notifications(): SandboxNotification[];
  requests(): GatewayHit[];
  /** Withholding agreements (agreements.ts): play the user on the sign-up page, unsign, pause, balances. */
  agreements: AgreementSandbox;
  /** Subscribe messages (messages.ts): the user subscribes; what the app sent. */
  messages: TemplateMessageDesk;
  /**
   * 当面付 at the booth (face-to-face.ts): a payment code for a user and what the buyer does with it
   * (pay at once, confirm with a password — then pay(outTradeNo) — or not enough balance).
   */
  paymentCode(user: string | SandboxUser, behaviour?: AlipayCodeBehaviour): AlipayPaymentCode;
  /** Run due retries / timeouts now (manual clock). */
  runDue(): Promise<number>;
  /** Wait until no notification delivery is in flight. */
  idle(): Promise<void>;
  /** Poll `check` (real time) until true. */
  waitFor(check: () => boolean, timeoutMs?: number): Promise<void>;
  stop(): Promise<void>;
}

const KNOWN_METHODS = new Set([
  'alipay.trade.create',
  'alipay.trade.precreate',
  'alipay.trade.query',
  'alipay.trade.close',
  'alipay.trade.refund',
  'alipay.trade.fastpay.refund.query',
  'alipay.system.oauth.token',
  'alipay.trade.pay',
  'alipay.trade.cancel',
  TEMPLATE_MESSAGE_METHOD,
  ...AGREEMENT_METHODS,
]);

const MAX_BODY = 1024 * 1024;

function readBody(req: http.IncomingMessage): Promise<string> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    let size = 0;
    req.on('data', (c: Buffer) => {
      size += c.length;
      if (size > MAX_BODY) {
        reject(new Error('body too large'));
        req.destroy();
      } else chunks.push(c);
    });
    req.on('end', () => resolve(Buffer.concat(chunks).toString('utf8')));
    req.on('error', reject);
  });
}

/** First value of each key. */
function formToRecord(text: string): Record<string, string> {
  const out: Record<string, string> = {};
  for (const [k, v] of new URLSearchParams(text)) if (!(k in out)) out[k] = v;
  return out;
}

export async function startAlipaySandbox(options: AlipaySandboxOptions = {}): Promise<AlipaySandbox> {
  const appId = options.appId ?? '2021000149600001';
  const host = options.host ?? '127.0.0.1';
  const timeScale = options.timeScale ?? 1;
  if (!(timeScale > 0)) throw new Error('timeScale must be > 0');
  const clock: Clock = options.clock ?? (timeScale === 1 ? systemClock : new ScaledClock(Date.now(), timeScale));
  const wallClock: Clock = options.clock ?? systemClock;
  const tolerance = options.timestampToleranceMs ?? 15 * 60_000;
  const mode: SchedulerMode = !options.clock
    ? { mode: 'timers', timeScale }
    : options.pollMs
      ? { mode: 'poll', pollMs: options.pollMs }
      : { mode: 'manual' };

  const appKeys = options.keys
    ? { privateKey: options.keys.appPrivateKey, publicKey: publicOf(options.keys.appPrivateKey) }
    : generateRsaKeyPair();
  const alipayKeys = options.keys
    ? { privateKey: options.keys.alipayPrivateKey, publicKey: publicOf(options.keys.alipayPrivateKey) }
    : generateRsaKeyPair();
  const stranger = generateRsaKeyPair();
  const sellerId = pid(`seller:${appId}`);
  const certs = options.certificateMode ? await makeAlipayCertificates(appId, appKeys.privateKey, alipayKeys.privateKey) : undefined;

  const scheduler = new SandboxScheduler(clock, mode);
  const notifier = new Notifier({
    clock,
    scheduler,
    appId,
    alipayPrivateKey: alipayKeys.privateKey,
    strangerPrivateKey: stranger.privateKey,
    timeoutMs: options.notifyTimeoutMs ?? 10_000,
  });
  const book = new TradeBook({
    clock,
    appId,
    sellerId,
    idMode: options.idMode ?? 'open_id',
    notify: (req) => void notifier.send(req),
    schedule: (delayMs, task) => void scheduler.after(delayMs, task),
  });
  for (const u of Object.values(SANDBOX_USERS)) book.knowUser(u);
  const agreementBook = new AgreementBook({
    clock,
    appId,
    idMode: options.idMode ?? 'open_id',
    trades: book,
    notify: (n) =>
      void notifier.sendNotice({ notifyUrl: n.notifyUrl, notifyType: n.notifyType, agreementNo: n.agreement.agreementNo, status: n.agreement.status, fields: n.fields }),
  });

  const faceToFace = new FaceToFaceCounter(book, clock);
  const messages = new TemplateMessageDesk(clock);

  const faults: AlipayFault[] = [];
  const hits: GatewayHit[] = [];
  const held = new Set<http.ServerResponse>();

  const takeFault = (method: string): AlipayFault | undefined => {
    const i = faults.findIndex((f) => f.type !== 'forged_notification' && f.type !== 'lost_notification' && (f.method === undefined || f.method === method));
    return i < 0 ? undefined : faults.splice(i, 1)[0];
  };

  const send = (res: http.ServerResponse, status: number, body: string, type = 'text/html;charset=utf-8') => {
    res.writeHead(status, { 'content-type': type, 'content-length': Buffer.byteLength(body) });
    res.end(body);
  };

  /** A signed gateway answer. */
  const answer = (res: http.ServerResponse, method: string | undefined, a: GatewayAnswer, fault?: AlipayFault) => {
    const key = a.errorResponse || !method ? 'error_response' : responseKey(method);
    let inner = a.inner;
    let signWith: string | null = alipayKeys.privateKey;
    if (fault?.type === 'bad_signature') signWith = stranger.privateKey;
    if (fault?.type === 'unsigned_response') signWith = null;
    let { body } = signedResponseBody(key, inner, signWith);
    // 公钥证书模式: the answer names the certificate it is signed with, between the inner object and the sign.
    if (certs) body = body.replace(/,"sign":"/, `,"alipay_cert_sn":"${certs.alipayCertSn}","sign":"`);
    if (fault?.type === 'tampered_response') {
      inner = { ...inner };
      const amountKey = ['total_amount', 'refund_fee', 'refund_amount'].find((k) => typeof inner[k] === 'string');
      const original = signedResponseBody(key, a.inner, signWith);
      if (amountKey) inner[amountKey] = '0.01';
      else inner.msg = `${String(inner.msg)} (tampered)`;
      // The signature of the original inner text, glued to an altered inner text.
      body = `{"${key}":${JSON.stringify(inner).replace(/\//g, '\\/')},"sign":"${original.sign}"}`;
    }
    send(res, 200, body);
  };

  const refuse = (method: string | undefined, code: string, msg: string, subCode: string, subMsg: string): GatewayAnswer => ({
    inner: { code, msg, sub_code: subCode, sub_msg: subMsg },
    ...(method && KNOWN_METHODS.has(method) ? {} : { errorResponse: true }),
  });

  /** Common-parameter checks in Alipay's order; undefined when the request may proceed. */
  const checkCommon = (p: Record<string, string>): GatewayAnswer | undefined => {
    const method = p.method;
    if (!method) return refuse(undefined, '40001', 'Missing Required Arguments', 'isv.missing-method', '缺少方法名参数');
    if (!KNOWN_METHODS.has(method)) return refuse(undefined, '40002', 'Invalid Arguments', 'isv.invalid-method', '不存在的方法名');
    if (!p.app_id) return refuse(method, '40001', 'Missing Required Arguments', 'isv.missing-app-id', '缺少AppID参数');
    if (p.app_id !== appId) return refuse(method, '40002', 'Invalid Arguments', 'isv.invalid-app-id', '无效的AppID参数');
    if (!p.sign) return refuse(method, '40001', 'Missing Required Arguments', 'isv.missing-signature', '缺少签名参数');
    if (!p.sign_type) return refuse(method, '40001', 'Missing Required Arguments', 'isv.missing-signature-type', '缺少签名类型参数');
    if (p.sign_type !== 'RSA2') return refuse(method, '40002', 'Invalid Arguments', 'isv.invalid-signature-type', '无效的签名类型参数');
    if (!p.timestamp) return refuse(method, '40001', 'Missing Required Arguments', 'isv.missing-timestamp', '缺少时间戳参数');
    let ts: number | undefined;
    if (/^\d{4}-\d{2}-\d{2} \d{2}:\d{2}:\d{2}$/.test(p.timestamp)) {
      try {
        ts = parseChinaTime(p.timestamp).getTime();
      } catch {
        ts = undefined;
      }
    }
    if (ts === undefined || Math.abs(wallClock.now() - ts) > tolerance) {
      return refuse(method, '40002', 'Invalid Arguments', 'isv.invalid-timestamp', '非法的时间戳参数');
    }
    if (p.charset && p.charset.toLowerCase() !== 'utf-8') return refuse(method, '40002', 'Invalid Arguments', 'isv.invalid-charset', '字符集错误');
    if (certs) {
      if (!p.app_cert_sn) return refuse(method, '40001', 'Missing Required Arguments', 'isv.missing-app-cert-sn', '缺少应用公钥证书序列号');
      if (p.app_cert_sn !== certs.appCertSn) return refuse(method, '40002', 'Invalid Arguments', 'isv.invalid-app-cert-sn', '无效的应用公钥证书序列号');
      if (!p.alipay_root_cert_sn) return refuse(method, '40001', 'Missing Required Arguments', 'isv.missing-alipay-root-cert-sn', '缺少支付宝根证书序列号');
      if (p.alipay_root_cert_sn !== certs.alipayRootCertSn) {
        return refuse(method, '40002', 'Invalid Arguments', 'isv.invalid-alipay-root-cert-sn', '无效的支付宝根证书序列号');
      }
    } else if (p.app_cert_sn) {
      // The app signs with 公钥模式 at Alipay: a certificate-signed request names a certificate it has not got.
      return refuse(method, '40002', 'Invalid Arguments', 'isv.app-cert-not-exist', '应用公钥证书不存在');
    }
    if (!rsa2Verify(requestSignContent(p), p.sign, appKeys.publicKey)) {
      return refuse(
        method,
        '40002',
        'Invalid Arguments',
        'isv.invalid-signature',
        `验签出错，建议检查签名字符串或签名私钥与应用公钥是否匹配，网关生成的验签字符串为：${requestSignContent(p)}`,
      );
    }
    return undefined;
  };

  const dispatch = (p: Record<string, string>): GatewayAnswer => {
    const method = p.method;
    if (method === 'alipay.system.oauth.token') return book.oauthToken(p);
    let biz: Record<string, unknown>;
    try {
      const parsed: unknown = JSON.parse(p.biz_content ?? '');
      if (typeof parsed !== 'object' || parsed === null || Array.isArray(parsed)) throw new Error('not an object');
      biz = parsed as Record<string, unknown>;
    } catch {
      return { inner: { code: '40004', msg: 'Business Failed', sub_code: 'ACQ.INVALID_PARAMETER', sub_msg: '参数无效: biz_content' } };
    }
    const notifyUrl = p.notify_url || undefined;
    switch (method) {
      case 'alipay.trade.create':
        return book.create(biz, notifyUrl);
      case 'alipay.trade.precreate':
        return book.precreate(biz, notifyUrl);
      case 'alipay.trade.query':
        return book.query(biz);
      case 'alipay.trade.close':
        return book.close(biz, notifyUrl);
      case 'alipay.trade.refund':
        return book.refund(biz);
      case 'alipay.trade.pay':
        // The booth scanned a payment code (face-to-face.ts).
        if (biz.scene === 'bar_code' || biz.scene === 'security_code') return faceToFace.pay(biz, notifyUrl);
        // Agreement payment (withholding). Other alipay.trade.pay products are not served here.
        if (biz.product_code === WITHHOLDING_PRODUCT) return agreementBook.tradePay(biz, notifyUrl);
        return { inner: { code: '40004', msg: 'Business Failed', sub_code: 'ACQ.ACCESS_FORBIDDEN', sub_msg: '无权限使用接口' } };
      case 'alipay.trade.cancel':
        return faceToFace.cancel(biz);
      case TEMPLATE_MESSAGE_METHOD:
        return messages.send(biz);
      case 'alipay.user.agreement.query':
        return agreementBook.query(biz);
      case 'alipay.user.agreement.unsign':
        return agreementBook.unsign(biz, notifyUrl);
      default:
        return book.refundQuery(biz);
    }
  };

  const gateway = async (req: http.IncomingMessage, res: http.ServerResponse, url: URL) => {
    const text = await readBody(req);
    const params: Record<string, string> = {};
    const ct = String(req.headers['content-type'] ?? '');
    const body = ct.includes('application/x-www-form-urlencoded') || (text && !ct) ? formToRecord(text) : {};
    for (const [k, v] of url.searchParams) if (!(k in params)) params[k] = v;
    for (const [k, v] of Object.entries(body)) if (!(k in params)) params[k] = v;
    const method = params.method;
    const hit: GatewayHit = { at: clock.now(), method: method ?? '', outcome: 'ok', params };
    hits.push(hit);

    const refused = checkCommon(params);
    if (method === PAGE_SIGN_METHOD) {
      // A page the user's browser opens, not an API answer (an error page when refused).
      hit.outcome = agreementDesk.page(res, params, refused);
      return;
    }
    if (refused) {
      hit.outcome = String(refused.inner.sub_code);
      return answer(res, method, refused);
    }
    const fault = takeFault(method);
    if (fault && (fault.type === 'timeout' || fault.type === 'http')) {
      hit.outcome = `fault:${fault.type}`;
      if (fault.afterProcessing) dispatch(params);
      if (fault.type === 'timeout') {
        held.add(res);
        res.on('close', () => held.delete(res));
        return; // never answered; stop() drops the connection
      }
      return send(res, fault.status ?? 500, '<html><body><h1>500 Internal Server Error</h1></body></html>');
    }
    if (fault?.type === 'business_error') {
      const subCode = fault.subCode ?? 'ACQ.SYSTEM_ERROR';
      hit.outcome = `fault:${subCode}`;
      const code = fault.code ?? (subCode.startsWith('isp.') ? '20000' : '40004');
      const msg = code === '20000' ? 'Service Currently Unavailable' : 'Business Failed';
      return answer(res, method, { inner: { code, msg, sub_code: subCode, sub_msg: fault.subMsg ?? '系统错误' } });
    }
    const a = dispatch(params);
    hit.outcome = fault ? `fault:${fault.type}` : a.inner.code === '10000' || a.inner.code === undefined ? 'ok' : String(a.inner.sub_code ?? a.inner.code);
    answer(res, method, a, fault);
  };

  const userOf = (u: string | SandboxUser | undefined): SandboxUser | undefined => {
    if (u === undefined) return undefined;
    const user = typeof u === 'string' ? sandboxUser(u) : u;
    book.knowUser(user);
    return user;
  };

  const snapshot = <T>(v: T): T => structuredClone(v);

  const agreementDesk = createAgreementDesk({
    book: agreementBook,
    appId,
    verify: (p) => checkCommon(p),
    userOf: (u) => userOf(u) as SandboxUser,
    readBody,
  });

  const control = async (req: http.IncomingMessage, res: http.ServerResponse, url: URL) => {
    const json = (status: number, v: unknown) => send(res, status, JSON.stringify(v), 'application/json; charset=utf-8');
    try {
      const path = url.pathname.slice('/__sandbox/'.length);
      if (path === 'agreements' || path.startsWith('agreements/')) return await agreementDesk.control(req, res, path);
      if (req.method === 'GET' && path === 'trades') return json(200, sandbox.trades());
      if (req.method === 'GET' && path === 'notifications') return json(200, sandbox.notifications());
      if (req.method === 'GET' && path === 'app') return json(200, { appId, gateway: sandbox.gateway, sellerId });
      if (req.method === 'GET' && path === 'messages') return json(200, messages.sent);
      if (req.method !== 'POST') return json(404, { error: 'not found' });
      const text = await readBody(req);
      const b = (text ? JSON.parse(text) : {}) as { outTradeNo?: string; user?: string; fault?: AlipayFault; times?: number };
      const no = String(b.outTradeNo ?? '');
      switch (path) {
        case 'pay':
          return json(200, sandbox.pay(no, b.user));
        case 'cancel':
          return json(200, sandbox.cancel(no, b.user));
        case 'expire':
          return json(200, sandbox.expire(no));
        case 'finish':
          return json(200, sandbox.finish(no));
        case 'auth-code':
          return json(200, { authCode: sandbox.issueAuthCode(String(b.user ?? 'driver')) });
        case 'subscribe': {
          // my.requestSubscribeMessage on the user's phone.
          const ids = (b as { entityIds?: unknown }).entityIds;
          return json(200, messages.subscribe(userOf(String(b.user ?? 'driver'))!, Array.isArray(ids) ? ids.filter((x): x is string => typeof x === 'string') : []));
        }
        case 'payment-code':
          return json(200, sandbox.paymentCode(String(b.user ?? 'driver'), (b as { behaviour?: AlipayCodeBehaviour }).behaviour));
        case 'fault':
          if (!b.fault || typeof b.fault.type !== 'string') return json(400, { error: 'fault.type is required' });
          sandbox.inject(b.fault, b.times ?? 1);
          return json(200, { ok: true });
        default:
          return json(404, { error: 'not found' });
      }
    } catch (e) {
      return json(e instanceof SandboxControlError ? 409 : 400, { error: (e as Error).message });
    }
  };

  const server = http.createServer((req, res) => {
    const url = new URL(req.url ?? '/', 'http://sandbox');
    const run = async () => {
      if (url.pathname === '/gateway.do' && (req.method === 'POST' || req.method === 'GET')) return gateway(req, res, url);
      if (url.pathname.startsWith('/__sandbox/')) return control(req, res, url);
      send(res, 404, 'Not Found', 'text/plain; charset=utf-8');
    };
    run().catch((e: unknown) => {
      if (!res.headersSent) send(res, 400, (e as Error).message, 'text/plain; charset=utf-8');
    });
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(options.port ?? 0, host, () => resolve());
  });
  const { port } = server.address() as AddressInfo;
  const base = `http://${host.includes(':') ? `[${host}]` : host}:${port}`;

  const sandbox: AlipaySandbox = {
    url: base,
    gateway: `${base}/gateway.do`,
    app: {
      appId,
      privateKey: appKeys.privateKey,
      alipayPublicKey: alipayKeys.publicKey,
      keyType: 'PKCS8',
      gateway: `${base}/gateway.do`,
      ...(options.notifyUrl ? { notifyUrl: options.notifyUrl } : {}),
    },
    appPublicKey: appKeys.publicKey,
    ...(certs
      ? {
          certApp: {
            appId,
            privateKey: appKeys.privateKey,
            appCert: certs.appCert,
            alipayPublicCert: certs.alipayPublicCert,
            alipayRootCert: certs.alipayRootCert,
            keyType: 'PKCS8' as const,
            gateway: `${base}/gateway.do`,
            ...(options.notifyUrl ? { notifyUrl: options.notifyUrl } : {}),
          },
        }
      : {}),
    sellerId,
    clock,
    user: (name) => userOf(name) as SandboxUser,
    pay: (no, u) => book.pay(no, userOf(u)),
    cancel: (no, u) => book.cancel(no, userOf(u)),
    expire: (no) => snapshot(book.expire(no)),
    finish: (no) => snapshot(book.finish(no)),
    issueAuthCode: (u) => book.issueAuthCode(userOf(u) as SandboxUser),
    inject: (fault, times = 1) => {
      for (let i = 0; i < times; i++) {
        if (fault.type === 'forged_notification') notifier.forgeNext(fault.how ?? 'wrong_key', 1);
        else if (fault.type === 'lost_notification') notifier.loseNext(1);
        else faults.push(fault);
      }
    },
    clearFaults: (type) => {
      if (type === undefined || type === 'forged_notification') notifier.forgeNext('wrong_key', 0, true);
      if (type === undefined || type === 'lost_notification') notifier.loseNext(0, true);
      for (let i = faults.length - 1; i >= 0; i--) if (type === undefined || faults[i]!.type === type) faults.splice(i, 1);
    },
    holdRefunds: (on) => {
      book.holdRefunds = on;
    },
    settleRefund: (no, req) => snapshot(book.settleRefund(no, req)),
    trades: () => snapshot(book.list()),
    trade: (no) => {
      const t = book.trade(no);
      return t ? snapshot(t) : undefined;
    },
    notifications: () => snapshot(notifier.list()),
    requests: () => snapshot(hits),
    agreements: agreementDesk.api,
    messages,
    paymentCode: (u, behaviour) => snapshot(faceToFace.issueCode(userOf(u) as SandboxUser, behaviour)),
    runDue: () => scheduler.runDue(),
    idle: async () => {
      await scheduler.idle();
      await notifier.idle();
    },
    waitFor: async (check, timeoutMs = 5000) => {
      const until = Date.now() + timeoutMs;
      while (!check()) {
        if (Date.now() > until) throw new Error(`sandbox: condition not met within ${timeoutMs} ms`);
        await new Promise((r) => setTimeout(r, 5));
      }
    },
    stop: async () => {
      scheduler.stop();
      notifier.stop();
      for (const r of held) r.destroy();
      held.clear();
      server.closeAllConnections();
      await new Promise<void>((resolve) => server.close(() => resolve()));
      await notifier.idle();
    },
  };
  return sandbox;
}

function publicOf(privateKeyPem: string): string {
  return createPublicKey(privateKeyPem).export({ type: 'spki', format: 'pem' }).toString();
}

/** `yyyy-MM-dd HH:mm:ss` in China time: what Alipay's timestamps look like (for tests and the demo). */
export function alipayTimestamp(at: number): string {
  return formatChinaTime(at);
}
