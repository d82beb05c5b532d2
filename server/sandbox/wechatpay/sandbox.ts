/**
 * A local stand-in for https://api.mch.weixin.qq.com, for one direct merchant, in either verification mode:
 *
 * - checks request signatures exactly as WeChat does (wire-crypto.ts): Authorization parsed, the message
 *   rebuilt from the RAW request line and body, merchant public key, serial compared ignoring case, mchid,
 *   timestamp skew ≤ 5 minutes; failures → 401 {code:'SIGN_ERROR', message, detail} UNSIGNED (WeChat only
 *   signs answers to requests it authenticated);
 * - signs every other answer with its platform key (Wechatpay-Timestamp/-Nonce/-Serial/-Signature/
 *   -Signature-Type, Request-ID); certificate mode serves GET /v3/certificates (AEAD_AES_256_GCM under the
 *   APIv3 key, associated_data 'certificate'); public-key mode signs as PUB_KEY_ID_… and has no certificates;
 * - keeps orders and refunds (state.ts) and sends TRANSACTION.SUCCESS / REFUND.* notifications on WeChat's
 *   retry schedule (notifier.ts), compressible with `timeScale`;
 * - a control API (methods here, and HTTP under /__sandbox/ for the demo) and fault injection.
 */
import crypto, { type KeyObject } from 'node:crypto';
import http, { type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { Config } from '../../src/config';
import { type Clock, systemClock } from '../../src/core/clock';
import {
  type MerchantKeys,
  type PlatformSigner,
  SandboxSetupError,
  makeCertificateSigner,
  makeMerchantKeys,
  makePublicKeySigner,
  randomString,
  rsaKeyPair,
} from './keys';
import { type NotificationRecord, Notifier } from './notifier';
import { ParkingService, type ParkingSandboxOptions, type WechatParkingSandbox } from './parking';
import { FAPIAO_API, FAPIAO_FILE_PATH, FapiaoService, type FapiaoSandboxOptions, type WechatFapiaoSandbox } from './fapiao';
import { MicropayDesk, type V2Fault } from './micropay';
import {
  type Answer,
  MerchantState,
  type RefundState,
  SandboxControlError,
  type SandboxOrder,
  type SandboxRefund,
  type TradeState,
  wechatError,
  wechatTime,
} from './state';
import { readBody } from '../http-body';
import { encryptResource, parseAuthorization, requestSignMessage, rsaSign, rsaVerify, signBody, tamperCiphertext } from './wire-crypto';

export type WechatPayMerchantConfig = NonNullable<Config['wechatPay']>;

/**
 * Faults for API calls apply to the next `times` requests whose path starts with `path` (any when absent)
 * and, with `method`, only to requests of that method (a refund POST, not its GET query).
 */
export type SandboxFault =
  /** Hold the request without answering (the client's timeout fires). `applied`: process it first. */
  | { kind: 'timeout'; times?: number; path?: string; method?: 'GET' | 'POST'; applied?: boolean }
  /** Destroy the connection: a network error. */
  | { kind: 'reset'; times?: number; path?: string; method?: 'GET' | 'POST'; applied?: boolean }
  /** A signed 500 SYSTEM_ERROR. */
  | { kind: 'http500'; times?: number; path?: string; method?: 'GET' | 'POST'; applied?: boolean }
  /** The normal answer (state changes happen) with a signature that does not verify. */
  | { kind: 'badSignature'; times?: number; path?: string; method?: 'GET' | 'POST' }
  /** A signed error answer of your choice (ORDER_CLOSED, FREQUENCY_LIMITED, …) instead of the normal one. */
  | { kind: 'error'; status: number; code: string; message?: string; times?: number; path?: string; method?: 'GET' | 'POST'; applied?: boolean }
  /** The next notifications: ciphertext altered (tag breaks), associated_data altered, or a forged signature. */
  | { kind: 'tamperNotification'; tamper: 'ciphertext' | 'aad' | 'signature'; times?: number }
  /** The next payment notifications (TRANSACTION.SUCCESS) are lost on the way: never delivered, never retried. */
  | { kind: 'loseNotification'; times?: number };

type ApiFault = Exclude<SandboxFault, { kind: 'tamperNotification' | 'loseNotification' }>;
/** Faults that act on API calls (the others act on notifications). */
const isApiFault = (f: SandboxFault): f is ApiFault => f.kind !== 'tamperNotification' && f.kind !== 'loseNotification';

export interface WechatPaySandboxOptions {
  mode: 'platformCertificate' | 'publicKey';
  appId?: string;
  mchId?: string;
  /** Default 0 (any free port). */
  port?: number;
  /** Default 127.0.0.1. */
  host?: string;
  /** Times on the wire, request-timestamp skew checks, expiries. Default: the system clock. */
  clock?: Clock;
  /** Real delays = simulated delays / timeScale (notification retries, refund settlement). Default 1. */
  timeScale?: number;
  /** Simulated ms until a refund leaves PROCESSING for SUCCESS; null: only settleRefund(). Default 5000. */
  refundSettleMs?: number | null;
  /** Where REFUND.* goes when the refund request had no notify_url (the merchant-platform setting). */
  refundNotifyUrl?: string;
  /** Real ms a notification receiver has to answer. Default 5000. */
  notifyTimeoutMs?: number;
  /** The openssl executable (certificate mode). Default 'openssl' on the PATH. */
  openssl?: string;
  /** The vehicle parking service (parking.ts): direct merchant by default, service provider with `subMchid`. */
  parking?: ParkingSandboxOptions;
  /** The merchant's API v2 key (booth payment codes, micropay.ts). Default: generated. */
  apiV2Key?: string;
  /** E-invoicing (fapiao.ts): when accepted applications settle, the seller. */
  fapiao?: FapiaoSandboxOptions;
}

export interface SandboxHit {
  method: string;
  /** Path and query as received. */
  path: string;
  status: number;
  at: number;
}

export interface MadeNotification {
  id: string;
  headers: Record<string, string>;
  body: string;
  plaintext: string;
}

export interface MakeNotificationOptions {
  tamper?: 'ciphertext' | 'aad';
  /** Added to the clock for Wechatpay-Timestamp (e.g. -6 minutes). */
  timestampOffsetMs?: number;
  /** Wechatpay-Serial to claim (default: the current platform serial). */
  serial?: string;
  /** Sign with this key instead of the platform key (a forger). */
  signWith?: KeyObject;
  eventType?: string;
}

export interface RequestPaymentOutcome {
  errMsg: string;
}

export interface WechatPaySandbox {
  readonly url: string;
  readonly mode: 'platformCertificate' | 'publicKey';
  /** Generated credentials in config.wechatPay's shape (baseUrl = this sandbox): use them as-is in demo mode. */
  readonly merchant: WechatPayMerchantConfig;
  /** The current platform signer's serial / PUB_KEY_ID_…, its public key PEM and (certificate mode) certificate. */
  platform(): { serial: string; publicKeyPem: string; certificatePem?: string };
  stop(): Promise<void>;

  /** The user pays: → SUCCESS (transaction_id, success_time, payer, amount), TRANSACTION.SUCCESS is sent. */
  pay(outTradeNo: string, opts?: { openid?: string }): Record<string, unknown>;
  /** The user closes the payment sheet: stays NOTPAY. */
  cancel(outTradeNo: string): RequestPaymentOutcome;
  /** time_expire passed: → CLOSED. */
  expire(outTradeNo: string): void;
  setTradeState(outTradeNo: string, state: TradeState): void;
  /** What wx.requestPayment would do with these params: check them like the WeChat client, then pay or cancel. */
  requestPayment(params: Record<string, unknown>, opts?: { outcome?: 'pay' | 'cancel' }): RequestPaymentOutcome;
  settleRefund(outRefundNo: string, status?: Exclude<RefundState, 'PROCESSING'>): void;
  /** Certificate mode: a new platform certificate signs from now on (the old one stays listed). */
  rotatePlatformKey(): Promise<string>;
  /** 微信支付分停车服务: users' plate services, entries, deductions, the H5 sign-up page (parking.ts). */
  readonly parking: WechatParkingSandbox;
  /** API v2 付款码支付 (booth payment codes): issue codes, play the payer, see the orders (micropay.ts). */
  readonly micropay: MicropayDesk;
  /** 电子发票: development config, titles, applications, the title page, notifications (fapiao.ts). */
  readonly fapiao: WechatFapiaoSandbox;

  inject(fault: SandboxFault): void;
  /** Forget the faults not yet used (of one kind, or all). */
  clearFaults(kind?: SandboxFault['kind']): void;

  orders(): SandboxOrder[];
  refunds(): SandboxRefund[];
  notifications(): NotificationRecord[];
  hits(pathPrefix?: string): SandboxHit[];
  /** Resolves when no notification is pending (delivered or given up). */
  notificationsSettled(timeoutMs?: number): Promise<void>;
  /** A correctly (or deliberately wrongly) signed notification for an order/refund, for receiver tests. */
  makeNotification(
    target: { outTradeNo: string } | { outRefundNo: string } | { parkingOutTradeNo: string } | { outParkingNo: string } | { fapiaoApplyId: string },
    opts?: MakeNotificationOptions,
  ): MadeNotification;
}

const SKEW_LIMIT_MS = 5 * 60 * 1000;

interface ActiveFault {
  fault: SandboxFault;
  left: number;
}

interface Sabotage {
  badSignature?: boolean;
  after?: Extract<SandboxFault, { kind: 'timeout' | 'reset' | 'http500' | 'error' }>;
}

class Sandbox implements WechatPaySandbox {
  url = '';
  readonly merchant: WechatPayMerchantConfig;
  private readonly state: MerchantState;
  private readonly notifier: Notifier;
  private readonly server: http.Server;
  private readonly faults: ActiveFault[] = [];
  private readonly hitLog: SandboxHit[] = [];
  private readonly held = new Set<ServerResponse>();
  private readonly refundTimers = new Set<NodeJS.Timeout>();
  private forger: KeyObject | undefined;
  private readonly timeScale: number;
  readonly parking: ParkingService;
  readonly micropay: MicropayDesk;
  readonly fapiao: FapiaoService;

  constructor(
    readonly mode: 'platformCertificate' | 'publicKey',
    private readonly appId: string,
    private readonly mchId: string,
    private readonly keys: MerchantKeys,
    private readonly signers: PlatformSigner[],
    private readonly clock: Clock,
    private readonly options: WechatPaySandboxOptions,
  ) {
    this.timeScale = options.timeScale ?? 1;
    if (!(this.timeScale > 0)) throw new SandboxSetupError('timeScale must be > 0');
    const signer = this.signer();
    this.micropay = new MicropayDesk(appId, mchId, clock, options.apiV2Key);
    this.merchant = {
      appId,
      mchId,
      merchantSerialNo: keys.merchantSerialNo,
      merchantPrivateKey: keys.merchantPrivateKey,
      apiV3Key: keys.apiV3Key,
      verification: mode === 'publicKey' ? { mode: 'publicKey', publicKeyId: signer.serial, publicKey: signer.publicKeyPem } : { mode: 'platformCertificate' },
      baseUrl: 'http://127.0.0.1',
      apiV2Key: this.micropay.apiV2Key,
    };
    this.state = new MerchantState(appId, mchId, clock, {
      onPaid: (order) => this.notifyTransaction(order),
      onRefundCreated: (refund) => this.scheduleRefundSettlement(refund),
      onRefundSettled: (refund) => this.notifyRefund(refund),
      // Parking deductions are refunded through the same refund API (微信支付分停车服务 API 列表: 申请退款).
      foreignTrade: (by) => this.parking.refundable(by),
    });
    this.notifier = new Notifier({
      clock,
      timeScale: this.timeScale,
      timeoutMs: options.notifyTimeoutMs ?? 5000,
      sign: (record) => this.signNotification(record),
    });
    this.parking = new ParkingService(
      {
        appId,
        mchId,
        apiV3Key: keys.apiV3Key,
        clock,
        timeScale: this.timeScale,
        baseUrl: () => this.url,
        enqueue: (record) => this.notifier.enqueue(record),
        takeTamper: () => this.takeNotificationTamper(),
      },
      options.parking,
    );
    this.fapiao = new FapiaoService(
      {
        mchId,
        apiV3Key: keys.apiV3Key,
        clock,
        timeScale: this.timeScale,
        baseUrl: () => this.url,
        enqueue: (record) => this.notifier.enqueue(record),
        takeTamper: () => this.takeNotificationTamper(),
        transaction: (transactionId) => {
          const o = [...this.state.orders.values()].find((x) => x.transactionId === transactionId);
          if (o) {
            const paid = o.tradeState === 'SUCCESS' || o.tradeState === 'REFUND';
            const openid = o.paidOpenId ?? o.payerOpenId;
            return { transactionId, totalFen: o.totalFen, refundedFen: o.refundedFen, paid, ...(openid ? { openid } : {}) };
          }
          const t = this.parking.refundable({ transactionId });
          return t ? { transactionId, totalFen: t.totalFen, refundedFen: t.refundedFen, paid: t.paid } : undefined;
        },
      },
      options.fapiao,
    );
    this.server = http.createServer((req, res) => {
      this.handle(req, res).catch((e) => {
        if (!res.headersSent) this.sendUnsigned(res, 500, { code: 'SYSTEM_ERROR', message: `sandbox bug: ${(e as Error).message}` });
      });
    });
  }

  async listen(port: number, host: string): Promise<void> {
    await new Promise<void>((resolve, reject) => {
      this.server.once('error', reject);
      this.server.listen(port, host, () => {
        this.server.off('error', reject);
        resolve();
      });
    });
    const addr = this.server.address() as AddressInfo;
    const shownHost = addr.family === 'IPv6' ? `[${addr.address}]` : addr.address;
    this.url = `http://${shownHost}:${addr.port}`;
    (this.merchant as { baseUrl: string }).baseUrl = this.url;
  }

  private signer(): PlatformSigner {
    return this.signers[this.signers.length - 1];
  }

  platform() {
    const s = this.signer();
    return s.certificatePem ? { serial: s.serial, publicKeyPem: s.publicKeyPem, certificatePem: s.certificatePem } : { serial: s.serial, publicKeyPem: s.publicKeyPem };
  }

  async stop(): Promise<void> {
    this.notifier.stop();
    this.parking.stop();
    this.fapiao.stop();
    for (const t of this.refundTimers) clearTimeout(t);
    this.refundTimers.clear();
    for (const res of this.held) res.destroy();
    this.held.clear();
    await new Promise<void>((resolve) => {
      this.server.close(() => resolve());
      this.server.closeAllConnections();
    });
  }

  // ---- control ------------------------------------------------------------------------------------

  pay(outTradeNo: string, opts: { openid?: string } = {}): Record<string, unknown> {
    return this.state.transactionJson(this.state.pay(outTradeNo, opts));
  }

  cancel(outTradeNo: string): RequestPaymentOutcome {
    this.state.cancel(outTradeNo);
    return { errMsg: 'requestPayment:fail cancel' };
  }

  expire(outTradeNo: string): void {
    this.state.expire(outTradeNo);
  }

  setTradeState(outTradeNo: string, state: TradeState): void {
    this.state.setTradeState(outTradeNo, state);
  }

  requestPayment(params: Record<string, unknown>, opts: { outcome?: 'pay' | 'cancel' } = {}): RequestPaymentOutcome {
    const fail = (why: string) => ({ errMsg: `requestPayment:fail ${why}` });
    const { appId, timeStamp, nonceStr, package: pkg, signType, paySign } = params;
    if (typeof appId !== 'string' || typeof timeStamp !== 'string' || typeof nonceStr !== 'string' || typeof pkg !== 'string' || typeof paySign !== 'string') {
      return fail('parameter error: appId, timeStamp, nonceStr, package and paySign are strings');
    }
    if (appId !== this.appId) return fail('appid mismatch');
    if (signType !== 'RSA') return fail('signType must be RSA');
    if (!/^\d{10}$/.test(timeStamp)) return fail('timeStamp must be 10 digits of seconds');
    if (nonceStr.length < 1 || nonceStr.length > 32) return fail('nonceStr must be 1–32 characters');
    const m = /^prepay_id=(.+)$/.exec(pkg);
    const order = m ? [...this.state.orders.values()].find((o) => o.prepayId === m[1]) : undefined;
    if (!order) return fail('package is not a known prepay_id');
    if (!rsaVerify(this.keys.merchantPublicKey, `${appId}\n${timeStamp}\n${nonceStr}\n${pkg}\n`, paySign)) return fail('paySign does not verify');
    if (opts.outcome === 'cancel') return this.cancel(order.outTradeNo);
    try {
      this.state.pay(order.outTradeNo);
    } catch (e) {
      return fail((e as Error).message);
    }
    return { errMsg: 'requestPayment:ok' };
  }

  settleRefund(outRefundNo: string, status: Exclude<RefundState, 'PROCESSING'> = 'SUCCESS'): void {
    this.state.settleRefund(outRefundNo, status);
  }

  async rotatePlatformKey(): Promise<string> {
    if (this.mode !== 'platformCertificate') throw new SandboxControlError('public-key mode has one fixed WeChat Pay public key');
    const next = await makeCertificateSigner(this.options.openssl);
    this.signers.push(next);
    return next.serial;
  }

  inject(fault: SandboxFault): void {
    this.faults.push({ fault, left: fault.times ?? 1 });
  }

  clearFaults(kind?: SandboxFault['kind']): void {
    for (let i = this.faults.length - 1; i >= 0; i--) if (kind === undefined || this.faults[i]!.fault.kind === kind) this.faults.splice(i, 1);
  }

  orders(): SandboxOrder[] {
    return [...this.state.orders.values()];
  }

  refunds(): SandboxRefund[] {
    return [...this.state.refunds.values()];
  }

  notifications(): NotificationRecord[] {
    return this.notifier.all();
  }

  hits(pathPrefix?: string): SandboxHit[] {
    return pathPrefix === undefined ? [...this.hitLog] : this.hitLog.filter((h) => h.path.startsWith(pathPrefix));
  }

  notificationsSettled(timeoutMs?: number): Promise<void> {
    return this.notifier.settled(timeoutMs);
  }

  makeNotification(
    target: { outTradeNo: string } | { outRefundNo: string } | { parkingOutTradeNo: string } | { outParkingNo: string } | { fapiaoApplyId: string },
    opts: MakeNotificationOptions = {},
  ): MadeNotification {
    const built =
      'fapiaoApplyId' in target
        ? this.fapiao.notification(target.fapiaoApplyId, opts.eventType ?? 'FAPIAO.ISSUED', opts.tamper)
        : 'outTradeNo' in target
        ? this.transactionNotification(this.state.order(target.outTradeNo), opts.tamper, opts.eventType)
        : 'outRefundNo' in target
          ? this.refundNotification(this.refundOf(target.outRefundNo), opts.tamper, opts.eventType)
          : this.parking.notification(target, opts.tamper, opts.eventType);
    const signer = { serial: opts.serial ?? this.signer().serial, privateKey: opts.signWith ?? this.signer().privateKey };
    const headers = { ...signBody(signer, built.body, this.clock.now() + (opts.timestampOffsetMs ?? 0)) };
    return { id: built.id, headers, body: built.body, plaintext: built.plaintext };
  }

  private refundOf(outRefundNo: string): SandboxRefund {
    const r = this.state.refunds.get(outRefundNo);
    if (!r) throw new SandboxControlError(`no refund ${outRefundNo}`);
    return r;
  }

  // ---- notifications ------------------------------------------------------------------------------

  private takeNotificationTamper(): 'ciphertext' | 'aad' | 'signature' | undefined {
    const i = this.faults.findIndex((f) => f.fault.kind === 'tamperNotification');
    if (i < 0) return undefined;
    const f = this.faults[i];
    if (--f.left <= 0) this.faults.splice(i, 1);
    return (f.fault as Extract<SandboxFault, { kind: 'tamperNotification' }>).tamper;
  }

  private envelope(originalType: 'transaction' | 'refund', plaintext: string, eventType: string, summary: string, tamper?: 'ciphertext' | 'aad' | 'signature') {
    let resource = encryptResource(this.keys.apiV3Key, plaintext, originalType);
    if (tamper === 'ciphertext') resource = tamperCiphertext(resource, plaintext);
    if (tamper === 'aad') resource = { ...resource, associated_data: originalType === 'transaction' ? 'refund' : 'transaction' };
    const id = crypto.randomUUID();
    const body = JSON.stringify({
      id,
      create_time: wechatTime(this.clock.now()),
      resource_type: 'encrypt-resource',
      event_type: eventType,
      summary,
      resource: {
        original_type: originalType,
        algorithm: resource.algorithm,
        ciphertext: resource.ciphertext,
        associated_data: resource.associated_data,
        nonce: resource.nonce,
      },
    });
    return { id, body, plaintext };
  }

  private transactionNotification(order: SandboxOrder, tamper?: 'ciphertext' | 'aad' | 'signature', eventType = 'TRANSACTION.SUCCESS') {
    return this.envelope('transaction', JSON.stringify(this.state.transactionJson(order)), eventType, '支付成功', tamper);
  }

  private refundNotification(refund: SandboxRefund, tamper?: 'ciphertext' | 'aad' | 'signature', eventType?: string) {
    const ev = eventType ?? `REFUND.${refund.status === 'PROCESSING' ? 'SUCCESS' : refund.status}`;
    const summary = refund.status === 'ABNORMAL' ? '退款异常' : refund.status === 'CLOSED' ? '退款关闭' : '退款成功';
    return this.envelope('refund', JSON.stringify(this.state.refundResourceJson(refund)), ev, summary, tamper);
  }

  private takeLostNotification(): boolean {
    const i = this.faults.findIndex((f) => f.fault.kind === 'loseNotification');
    if (i < 0) return false;
    if (--this.faults[i].left <= 0) this.faults.splice(i, 1);
    return true;
  }

  private notifyTransaction(order: SandboxOrder): void {
    const tamper = this.takeNotificationTamper();
    const n = this.transactionNotification(order, tamper);
    const record = { ...n, eventType: 'TRANSACTION.SUCCESS', outTradeNo: order.outTradeNo, url: order.notifyUrl, ...(tamper ? { tampered: tamper } : {}) };
    if (this.takeLostNotification()) this.notifier.lose(record);
    else this.notifier.enqueue(record);
  }

  private notifyRefund(refund: SandboxRefund): void {
    const url = refund.notifyUrl ?? this.options.refundNotifyUrl;
    if (!url) return;
    const tamper = this.takeNotificationTamper();
    const n = this.refundNotification(refund, tamper);
    this.notifier.enqueue({
      ...n,
      eventType: `REFUND.${refund.status}`,
      outTradeNo: refund.outTradeNo,
      outRefundNo: refund.outRefundNo,
      url,
      ...(tamper ? { tampered: tamper } : {}),
    });
  }

  private signNotification(record: NotificationRecord): Record<string, string> {
    if (record.tampered === 'signature') {
      this.forger ??= rsaKeyPair().privateKey;
      return { ...signBody({ serial: this.signer().serial, privateKey: this.forger }, record.body, this.clock.now()) };
    }
    return { ...signBody(this.signer(), record.body, this.clock.now()) };
  }

  private scheduleRefundSettlement(refund: SandboxRefund): void {
    const after = this.options.refundSettleMs === undefined ? 5000 : this.options.refundSettleMs;
    if (after === null) return;
    const timer = setTimeout(() => {
      this.refundTimers.delete(timer);
      if (refund.status === 'PROCESSING') this.state.settleRefund(refund.outRefundNo, 'SUCCESS');
    }, after / this.timeScale);
    this.refundTimers.add(timer);
  }

  // ---- HTTP ---------------------------------------------------------------------------------------

  private async handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const method = req.method ?? 'GET';
    const target = req.url ?? '/';
    let rawBody: string;
    try {
      rawBody = await readBody(req);
    } catch {
      this.sendUnsigned(res, 413, { code: 'PARAM_ERROR', message: '请求体过大' });
      return;
    }
    const url = new URL(target, 'http://sandbox');
    if (url.pathname.startsWith('/__sandbox/')) return this.control(method, url, rawBody, res);
    if (url.pathname === FAPIAO_FILE_PATH && method === 'GET') {
      // The fapiao file: a plain GET of the download URL, no signature either way (下载发票文件).
      const out = await this.fapiao.download(url);
      res.writeHead(out.status, { 'Content-Type': out.contentType, Server: 'nginx' });
      res.end(out.body);
      return;
    }
    if (MicropayDesk.owns(url.pathname)) return this.handleV2(method, target, url.pathname, rawBody, req, res);

    const hit: SandboxHit = { method, path: target, status: 0, at: this.clock.now() };
    this.hitLog.push(hit);
    const refused = this.authenticate(method, target, req.headers.authorization, rawBody);
    if (refused) {
      hit.status = 401;
      this.sendUnsigned(res, 401, refused);
      return;
    }

    const sabotage: Sabotage = {};
    const fault = this.takeFault(url.pathname, method);
    if (fault) {
      if (fault.kind === 'badSignature') sabotage.badSignature = true;
      else if (isApiFault(fault)) {
        if (fault.applied) sabotage.after = fault;
        else return this.sabotage(fault, req, res, hit);
      }
    }

    let answer: Answer;
    const withBody = method === 'POST' || method === 'PATCH';
    if (withBody && !/^application\/json\b/i.test(req.headers['content-type'] ?? '')) {
      answer = wechatError(400, 'INVALID_REQUEST', 'Content-Type必须为application/json');
    } else {
      let body: unknown;
      if (withBody) {
        try {
          body = JSON.parse(rawBody);
        } catch {
          answer = wechatError(400, 'PARAM_ERROR', '请求体不是合法的JSON');
        }
      }
      answer ??= this.route(method, url, body);
    }
    if (sabotage.after) return this.sabotage(sabotage.after, req, res, hit);
    hit.status = answer.status;
    this.sendSigned(res, answer, sabotage.badSignature === true);
  }

  /** API v2 (XML): the micropay desk answers; faults from the same list, matched by path. */
  private handleV2(method: string, target: string, pathname: string, rawBody: string, req: IncomingMessage, res: ServerResponse): void {
    const hit: SandboxHit = { method, path: target, status: 0, at: this.clock.now() };
    this.hitLog.push(hit);
    const answer = this.micropay.handle(method, pathname, rawBody, {
      takeFault: (path) => {
        const f = this.takeFault(path);
        return f && isApiFault(f) ? (f as V2Fault) : undefined;
      },
    });
    if (answer.hold) {
      hit.status = -1;
      this.held.add(res);
      res.on('close', () => this.held.delete(res));
      return;
    }
    if (answer.reset) {
      hit.status = -2;
      req.socket.destroy();
      return;
    }
    hit.status = answer.status;
    res.writeHead(answer.status, { 'Content-Type': answer.status === 200 ? 'text/plain; charset=utf-8' : 'text/html; charset=utf-8', Server: 'nginx' });
    res.end(answer.body);
  }

  private route(method: string, url: URL, body: unknown): Answer {
    const p = url.pathname;
    const seg = (re: RegExp) => {
      const m = re.exec(p);
      return m ? decodeURIComponent(m[1]) : undefined;
    };
    let v: string | undefined;
    if (p.startsWith('/v3/vehicle/')) return this.parking.route(method, url, body);
    if (p.startsWith(FAPIAO_API)) return this.fapiao.route(method, url, body);
    if (method === 'GET' && p === '/v3/certificates') return this.certificates();
    if (method === 'POST' && p === '/v3/pay/transactions/jsapi') return this.state.createOrder('JSAPI', body);
    if (method === 'POST' && p === '/v3/pay/transactions/native') return this.state.createOrder('NATIVE', body);
    if (method === 'POST' && (v = seg(/^\/v3\/pay\/transactions\/out-trade-no\/([^/]+)\/close$/))) return this.state.close(v, body);
    if (method === 'GET' && (v = seg(/^\/v3\/pay\/transactions\/out-trade-no\/([^/]+)$/))) return this.state.query(v, url.searchParams.get('mchid'));
    if (method === 'GET' && (v = seg(/^\/v3\/pay\/transactions\/id\/([^/]+)$/))) return this.state.queryByTransactionId(v, url.searchParams.get('mchid'));
    if (method === 'POST' && p === '/v3/refund/domestic/refunds') return this.state.createRefund(body);
    if (method === 'GET' && (v = seg(/^\/v3\/refund\/domestic\/refunds\/([^/]+)$/))) return this.state.queryRefund(v, url.searchParams.get('sub_mchid'));
    return wechatError(404, 'NOT_FOUND', `sandbox: no API ${method} ${p}`);
  }

  private certificates(): Answer {
    if (this.mode === 'publicKey') return wechatError(404, 'NOT_FOUND', '无可用的平台证书，请使用微信支付公钥验签');
    const now = this.clock.now();
    return {
      status: 200,
      body: {
        data: this.signers
          .filter((s) => s.certificatePem && s.notAfter >= now)
          .map((s) => ({
            effective_time: wechatTime(s.notBefore),
            encrypt_certificate: encryptResource(this.keys.apiV3Key, s.certificatePem ?? '', 'certificate'),
            expire_time: wechatTime(s.notAfter),
            serial_no: s.serial,
          })),
      },
    };
  }

  /** WeChat's request authentication; the 401 body when it fails. */
  private authenticate(method: string, target: string, authorization: string | undefined, rawBody: string): Record<string, unknown> | undefined {
    const refuse = (message: string, issue: string, extra: Record<string, unknown> = {}) => ({
      code: 'SIGN_ERROR',
      message,
      detail: { field: 'signature', location: 'authorization', detail: { issue }, ...extra },
    });
    const auth = parseAuthorization(authorization);
    if ('problem' in auth) return refuse(auth.problem, 'authorization malformed');
    if (auth.mchid !== this.mchId) return refuse(`商户号${auth.mchid}与签名不匹配`, 'mchid mismatch');
    if (auth.serial_no.toUpperCase() !== this.keys.merchantSerialNo.toUpperCase()) return refuse('商户证书序列号有误', 'serial_no mismatch');
    if (!/^\d{1,12}$/.test(auth.timestamp)) return refuse('timestamp格式错误', 'timestamp malformed');
    if (Math.abs(this.clock.now() - Number(auth.timestamp) * 1000) > SKEW_LIMIT_MS) return refuse('签名已过期，请检查timestamp', 'timestamp expired');
    const message = requestSignMessage(method, target, auth.timestamp, auth.nonce_str, rawBody);
    if (!rsaVerify(this.keys.merchantPublicKey, message, auth.signature)) {
      return refuse('签名错误，请检查后再试', 'sign not match', {
        sign_information: { method, sign_message_length: Buffer.byteLength(message), truncated_sign_message: message.slice(0, 100), url: target },
      });
    }
    return undefined;
  }

  private takeFault(pathname: string, method?: string): SandboxFault | undefined {
    const i = this.faults.findIndex(
      (f) =>
        isApiFault(f.fault) &&
        (f.fault.path === undefined || pathname.startsWith(f.fault.path)) &&
        (f.fault.method === undefined || method === undefined || f.fault.method === method),
    );
    if (i < 0) return undefined;
    const f = this.faults[i];
    if (--f.left <= 0) this.faults.splice(i, 1);
    return f.fault;
  }


  private sabotage(fault: Extract<SandboxFault, { kind: 'timeout' | 'reset' | 'http500' | 'error' }>, req: IncomingMessage, res: ServerResponse, hit: SandboxHit): void {
    switch (fault.kind) {
      case 'timeout':
        hit.status = -1;
        this.held.add(res);
        res.on('close', () => this.held.delete(res));
        return;
      case 'reset':
        hit.status = -2;
        req.socket.destroy();
        return;
      case 'http500':
        hit.status = 500;
        this.sendSigned(res, wechatError(500, 'SYSTEM_ERROR', '系统异常，请稍后重试'), false);
        return;
      case 'error':
        hit.status = fault.status;
        this.sendSigned(res, wechatError(fault.status, fault.code, fault.message ?? fault.code), false);
        return;
    }
  }

  private sendSigned(res: ServerResponse, answer: Answer, badSignature: boolean): void {
    const body = answer.body === undefined ? '' : JSON.stringify(answer.body);
    const headers: Record<string, string> = { ...signBody(this.signer(), body, this.clock.now()), 'Request-ID': requestId(), Server: 'nginx' };
    if (badSignature) {
      // A well-formed signature from the right key over something else: only a real check catches it.
      const ts = headers['Wechatpay-Timestamp'];
      const nonce = headers['Wechatpay-Nonce'];
      headers['Wechatpay-Signature'] = rsaSign(this.signer().privateKey, `${ts}\n${nonce}\n${body} \n`);
    }
    if (body) headers['Content-Type'] = 'application/json; charset=utf-8';
    res.writeHead(answer.status, headers);
    res.end(body);
  }

  private sendUnsigned(res: ServerResponse, status: number, body: unknown): void {
    res.writeHead(status, { 'Content-Type': 'application/json; charset=utf-8', 'Request-ID': requestId(), Server: 'nginx' });
    res.end(JSON.stringify(body));
  }

  // ---- HTTP control API (demo) --------------------------------------------------------------------

  private control(method: string, url: URL, rawBody: string, res: ServerResponse): void {
    // The H5 demo (another origin) plays the payer through these routes from the browser.
    const cors = { 'access-control-allow-origin': '*', 'access-control-allow-methods': 'GET, POST, DELETE', 'access-control-allow-headers': 'content-type' };
    if (method === 'OPTIONS') {
      res.writeHead(204, cors);
      res.end();
      return;
    }
    const json = (status: number, body: unknown) => {
      res.writeHead(status, { 'Content-Type': 'application/json; charset=utf-8', ...cors });
      res.end(JSON.stringify(body));
    };
    // Fapiao: the title page's form posts and HTML, and JSON control routes. Parking: its own bodies (JSON,
    // and the sign-up page's form posts) and answers (JSON or HTML).
    const desk = url.pathname.startsWith('/__sandbox/fapiao/') ? this.fapiao : url.pathname.startsWith('/__sandbox/parking/') ? this.parking : undefined;
    if (desk) {
      const out = desk.control(method, url, rawBody);
      res.writeHead(out.status, { 'Content-Type': out.contentType, ...cors });
      res.end(out.body);
      return;
    }
    let body: Record<string, unknown> = {};
    if (rawBody.trim()) {
      try {
        body = JSON.parse(rawBody) as Record<string, unknown>;
      } catch {
        return json(400, { error: 'body is not JSON' });
      }
    }
    try {
      const answered = this.controlRoute(method, url.pathname.slice('/__sandbox'.length), body);
      if (answered) return json(answered[0], answered[1]);
    } catch (e) {
      if (e instanceof SandboxControlError) return json(409, { error: e.message });
      throw e;
    }
    return json(404, { error: `no control route ${method} ${url.pathname}` });
  }

  /** The JSON control routes: the status and the answer, or undefined for no such route. */
  private controlRoute(method: string, p: string, body: Record<string, unknown>): [number, unknown] | undefined {
    const m = /^\/(orders|refunds)\/([^/]+)\/([a-z-]+)$/.exec(p);
    if (method === 'GET' && p === '/state') {
      return [200, {
        mode: this.mode,
        appId: this.appId,
        mchId: this.mchId,
        platformSerial: this.signer().serial,
        orders: this.orders(),
        refunds: this.refunds(),
        notifications: this.notifications().map(({ body: _b, plaintext: _p, ...rest }) => rest),
        hits: this.hitLog,
        faults: this.faults,
      }];
    }
    if (method === 'POST' && p === '/micropay/codes') {
      const behaviour = typeof body.behaviour === 'string' ? (body.behaviour as never) : undefined;
      return [200, this.micropay.issueCode({ behaviour, ...(typeof body.openid === 'string' ? { openid: body.openid } : {}) })];
    }
    if (method === 'GET' && p === '/micropay/orders') return [200, [...this.micropay.orders.values()]];
    const mp = /^\/micropay\/orders\/([^/]+)\/(pay|give-up)$/.exec(p);
    if (method === 'POST' && mp) {
      const no = decodeURIComponent(mp[1]);
      return [200, mp[2] === 'pay' ? this.micropay.userPays(no) : this.micropay.userGivesUp(no)];
    }
    if (method === 'POST' && p === '/request-payment') {
      return [200, this.requestPayment((body.params ?? {}) as Record<string, unknown>, { outcome: body.outcome === 'cancel' ? 'cancel' : 'pay' })];
    }
    if (method === 'POST' && p === '/faults') {
      this.inject(body as unknown as SandboxFault);
      return [200, { faults: this.faults.length }];
    }
    if (method === 'DELETE' && p === '/faults') {
      this.clearFaults();
      return [200, { faults: 0 }];
    }
    if (method === 'POST' && m) {
      const no = decodeURIComponent(m[2]);
      if (m[1] === 'orders' && m[3] === 'pay') return [200, this.pay(no, typeof body.openid === 'string' ? { openid: body.openid } : {})];
      if (m[1] === 'orders' && m[3] === 'cancel') return [200, this.cancel(no)];
      if (m[1] === 'orders' && m[3] === 'expire') {
        this.expire(no);
        return [200, this.state.transactionJson(this.state.order(no))];
      }
      if (m[1] === 'refunds' && m[3] === 'settle') {
        this.settleRefund(no, (body.status as Exclude<RefundState, 'PROCESSING'> | undefined) ?? 'SUCCESS');
        return [200, this.state.refundJson(this.refundOf(no))];
      }
    }
    return undefined;
  }
}

function requestId(): string {
  return randomString(32, '0123456789ABCDEF');
}

/** Start a sandbox; certificate mode needs the `openssl` CLI (SandboxSetupError says so when missing). */
export async function startWechatPaySandbox(options: WechatPaySandboxOptions): Promise<WechatPaySandbox> {
  const clock = options.clock ?? systemClock;
  const appId = options.appId ?? 'wxd678efh567hg6787';
  const mchId = options.mchId ?? '1230000109';
  const keys = makeMerchantKeys();
  const signer = options.mode === 'publicKey' ? makePublicKeySigner(mchId, clock.now()) : await makeCertificateSigner(options.openssl);
  const sandbox = new Sandbox(options.mode, appId, mchId, keys, [signer], clock, options);
  await sandbox.listen(options.port ?? 0, options.host ?? '127.0.0.1');
  return sandbox;
}
