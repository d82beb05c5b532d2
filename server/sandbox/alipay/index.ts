/**
 * sandbox/alipay: a local HTTP stand-in for openapi.alipay.com/gateway.do serving ONE app, close enough
 * that the adapter reaches it by configuration alone (the `gateway` URL) and cannot tell the difference:
 *
 *  - it checks our request signatures exactly as Alipay does (signing.ts), the app_id and the timestamp
 *    window, and refuses like Alipay (`<method>_response` 40002 isv.invalid-signature, …, signed): checks.ts;
 *  - it answers `{"<method>_response":<inner>,"sign":…}` signed over the exact inner text (gateway.ts), each
 *    API method by its own handler (methods.ts);
 *  - it keeps trades (book.ts) and sends notifications with Alipay's retry schedule (notifier.ts);
 *  - it keeps withholding agreements (agreement-book.ts, agreements.ts): the page an
 *    alipay.user.agreement.page.sign URL opens, agreement query / unsign, alipay.trade.pay GENERAL_WITHHOLDING,
 *    dut_user_sign / dut_user_unsign, and their control routes under /__sandbox/agreements;
 *  - a control API (in process, and over HTTP under /__sandbox/ for the demo: control.ts) plays the buyer and time:
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
import { formatChinaTime } from '../../../shared/time';
import { ScaledClock, systemClock, type Clock } from '../../src/core/clock';
import { AgreementBook } from './agreement-book';
import { createAgreementDesk, type AgreementDesk, type AgreementSandbox } from './agreements';
import { TradeBook, type IdMode, type SandboxRefund, type SandboxTrade } from './book';
import { commonChecks } from './checks';
import { createControl } from './control';
import { FaceToFaceCounter, type AlipayCodeBehaviour, type AlipayPaymentCode } from './face-to-face';
import { createGateway } from './gateway';
import { readBody, send } from './http-io';
import { methodHandlers } from './methods';
import { Notifier, type NotificationForgery, type SandboxNotification } from './notifier';
import { TemplateMessageDesk } from './messages';
import { SandboxScheduler, type SchedulerMode } from './scheduler';
import { makeAlipayCertificates, type AlipayCertificates } from './certificates';
import { generateRsaKeyPair } from './signing';
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

export async function startAlipaySandbox(options: AlipaySandboxOptions = {}): Promise<AlipaySandbox> {
  const appId = options.appId ?? '2021000149600001';
  const host = options.host ?? '127.0.0.1';
  const { clock, mode } = sandboxTime(options);

  const keys = sandboxKeys(options.keys);
  const sellerId = pid(`seller:${appId}`);
  const certs = options.certificateMode ? await makeAlipayCertificates(appId, keys.app.privateKey, keys.alipay.privateKey) : undefined;
  const scheduler = new SandboxScheduler(clock, mode);
  const { notifier, book, agreementBook } = makeBooks({ options, appId, sellerId, clock, scheduler, keys });
  const faceToFace = new FaceToFaceCounter(book, clock);
  const messages = new TemplateMessageDesk(clock);

  const faults: AlipayFault[] = [];
  const hits: GatewayHit[] = [];
  const held = new Set<http.ServerResponse>();

  const checkCommon = commonChecks({
    appId,
    appPublicKey: keys.app.publicKey,
    wallClock: options.clock ?? systemClock,
    toleranceMs: options.timestampToleranceMs ?? 15 * 60_000,
    certs,
  });
  const userOf = (u: string | SandboxUser | undefined): SandboxUser | undefined => {
    if (u === undefined) return undefined;
    const user = typeof u === 'string' ? sandboxUser(u) : u;
    book.knowUser(user);
    return user;
  };
  const agreementDesk = createAgreementDesk({ book: agreementBook, appId, verify: checkCommon, userOf: (u) => userOf(u) as SandboxUser, readBody });
  const gateway = createGateway({
    clock,
    alipayPrivateKey: keys.alipay.privateKey,
    strangerPrivateKey: keys.stranger.privateKey,
    certs,
    checkCommon,
    handlers: methodHandlers({ book, faceToFace, messages, agreementBook }),
    agreementDesk,
    faults,
    hits,
    held,
  });
  const control = createControl({ sandbox: () => sandbox, agreementDesk, messages, userOf });

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
  const base = await listen(server, options.port ?? 0, host);

  const sandbox: AlipaySandbox = {
    ...sandboxApps({ appId, base, keys, certs, notifyUrl: options.notifyUrl }),
    ...inProcessApi({ book, notifier, scheduler, faceToFace, agreementDesk, messages, faults, hits, userOf }),
    sellerId,
    clock,
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

/** What tests and the demo do in process: play the buyer and time, inject faults, read what happened. */
function inProcessApi(o: {
  book: TradeBook;
  notifier: Notifier;
  scheduler: SandboxScheduler;
  faceToFace: FaceToFaceCounter;
  agreementDesk: AgreementDesk;
  messages: TemplateMessageDesk;
  faults: AlipayFault[];
  hits: GatewayHit[];
  userOf: (u: string | SandboxUser | undefined) => SandboxUser | undefined;
}): Omit<AlipaySandbox, 'url' | 'gateway' | 'app' | 'appPublicKey' | 'certApp' | 'sellerId' | 'clock' | 'stop'> {
  const { book, notifier, scheduler, faceToFace, agreementDesk, messages, faults, hits, userOf } = o;
  const snapshot = <T>(v: T): T => structuredClone(v);
  return {
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
  };
}

/** Sandbox time: the given clock (manual, or polled every pollMs), else real time sped up timeScale times. */
function sandboxTime(options: AlipaySandboxOptions): { clock: Clock; mode: SchedulerMode } {
  const timeScale = options.timeScale ?? 1;
  if (!(timeScale > 0)) throw new Error('timeScale must be > 0');
  const clock: Clock = options.clock ?? (timeScale === 1 ? systemClock : new ScaledClock(Date.now(), timeScale));
  const mode: SchedulerMode = !options.clock
    ? { mode: 'timers', timeScale }
    : options.pollMs
      ? { mode: 'poll', pollMs: options.pollMs }
      : { mode: 'manual' };
  return { clock, mode };
}

/** Listen and return the base URL. */
async function listen(server: http.Server, port: number, host: string): Promise<string> {
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(port, host, () => resolve());
  });
  const address = server.address() as AddressInfo;
  return `http://${host.includes(':') ? `[${host}]` : host}:${address.port}`;
}

interface KeyPair {
  privateKey: string;
  publicKey: string;
}

interface SandboxKeys {
  app: KeyPair;
  alipay: KeyPair;
  /** A key that is not Alipay's: forged notifications and bad_signature answers. */
  stranger: KeyPair;
}

/** The app's and Alipay's key pairs (stable when given, else generated) and a stranger's. */
function sandboxKeys(given: AlipaySandboxOptions['keys']): SandboxKeys {
  const pairOf = (privateKey: string): KeyPair => ({ privateKey, publicKey: publicOf(privateKey) });
  return {
    app: given ? pairOf(given.appPrivateKey) : generateRsaKeyPair(),
    alipay: given ? pairOf(given.alipayPrivateKey) : generateRsaKeyPair(),
    stranger: generateRsaKeyPair(),
  };
}

/** The notifier (Alipay's retry schedule), the trade book and the agreement book, wired to each other. */
function makeBooks(o: { options: AlipaySandboxOptions; appId: string; sellerId: string; clock: Clock; scheduler: SandboxScheduler; keys: SandboxKeys }) {
  const { options, appId, clock, scheduler } = o;
  const notifier = new Notifier({
    clock,
    scheduler,
    appId,
    alipayPrivateKey: o.keys.alipay.privateKey,
    strangerPrivateKey: o.keys.stranger.privateKey,
    timeoutMs: options.notifyTimeoutMs ?? 10_000,
  });
  const book = new TradeBook({
    clock,
    appId,
    sellerId: o.sellerId,
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
  return { notifier, book, agreementBook };
}

/** The configuration blocks the sandbox hands out: 公钥模式 (`app`) and, in 公钥证书模式, `certApp`. */
function sandboxApps(o: {
  appId: string;
  base: string;
  keys: SandboxKeys;
  certs: AlipayCertificates | undefined;
  notifyUrl: string | undefined;
}): Pick<AlipaySandbox, 'url' | 'gateway' | 'app' | 'appPublicKey' | 'certApp'> {
  const { appId, base, keys, certs } = o;
  const gateway = `${base}/gateway.do`;
  const notify = o.notifyUrl ? { notifyUrl: o.notifyUrl } : {};
  return {
    url: base,
    gateway,
    app: { appId, privateKey: keys.app.privateKey, alipayPublicKey: keys.alipay.publicKey, keyType: 'PKCS8', gateway, ...notify },
    appPublicKey: keys.app.publicKey,
    ...(certs
      ? {
          certApp: {
            appId,
            privateKey: keys.app.privateKey,
            appCert: certs.appCert,
            alipayPublicCert: certs.alipayPublicCert,
            alipayRootCert: certs.alipayRootCert,
            keyType: 'PKCS8' as const,
            gateway,
            ...notify,
          },
        }
      : {}),
  };
}

function publicOf(privateKeyPem: string): string {
  return createPublicKey(privateKeyPem).export({ type: 'spki', format: 'pem' }).toString();
}

/** `yyyy-MM-dd HH:mm:ss` in China time: what Alipay's timestamps look like (for tests and the demo). */
export function alipayTimestamp(at: number): string {
  return formatChinaTime(at);
}
