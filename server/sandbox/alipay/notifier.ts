/**
 * Alipay's asynchronous notifications, as Alipay sends them: a form POST (application/x-www-form-urlencoded,
 * UTF-8) to the trade's notify_url with notify_id, notify_time, notify_type trade_status_sync, app_id,
 * charset, version, sign_type RSA2 and the business fields, signed over the sorted `k=v` of everything but
 * `sign` and `sign_type` with the Alipay private key.
 *
 * Accepted only when the receiver answers HTTP 200 with a body of exactly `success`. Otherwise Alipay sends
 * again after 4m, 10m, 10m, 1h, 2h, 6h, 15h (8 deliveries in about 25 hours), with the same notify_id each
 * time and a fresh notify_time (so a fresh sign). The waits run on the sandbox clock (compressible).
 */
import { randomBytes } from 'node:crypto';
import { formatChinaTime } from '../../../shared/time';
import type { Clock } from '../../src/core/clock';
import type { NotifyRequest } from './book';
import type { SandboxScheduler } from './scheduler';
import { signNotification } from './signing';

const MIN = 60_000;
/** Waits between deliveries (opendocs 异步通知: 4m, 10m, 10m, 1h, 2h, 6h, 15h). */
export const ALIPAY_NOTIFY_RETRY_MS: readonly number[] = [4 * MIN, 10 * MIN, 10 * MIN, 60 * MIN, 120 * MIN, 360 * MIN, 900 * MIN];

export type NotificationForgery = 'wrong_key' | 'tampered';

export interface NotificationAttempt {
  /** 1-based. */
  attempt: number;
  /** Sandbox clock when sent. */
  at: number;
  /** Real time when sent (Date.now()). */
  realAt: number;
  /** Sandbox ms since the first delivery. */
  offsetMs: number;
  /** Exactly what was POSTed. */
  fields: Record<string, string>;
  forged?: NotificationForgery;
  httpStatus?: number;
  /** The receiver's body (first 200 characters). */
  answer?: string;
  error?: string;
  accepted: boolean;
}

export interface SandboxNotification {
  notifyId: string;
  notifyUrl: string;
  /** trade_status_sync, or an agreement's dut_user_sign / dut_user_unsign (sendNotice). */
  notifyType: string;
  /** The trade's ('' for agreement notices). */
  outTradeNo: string;
  /** trade_status; for agreement notices the agreement's status (NORMAL, UNSIGN). */
  tradeStatus: string;
  /** Agreement notices: the agreement_no. */
  agreementNo?: string;
  /** The business fields (without notify_* and sign). */
  base: Record<string, string>;
  firstAt?: number;
  attempts: NotificationAttempt[];
  /** lost: a fault made it vanish on the way (never delivered, never retried). */
  state: 'pending' | 'delivered' | 'gave_up' | 'lost';
  /** Sandbox instant of the next delivery while pending. */
  nextAt?: number;
}

export interface NotifierOptions {
  clock: Clock;
  scheduler: SandboxScheduler;
  appId: string;
  alipayPrivateKey: string;
  /** A key that is not Alipay's, for forged notifications. */
  strangerPrivateKey: string;
  /** Real ms to wait for the receiver. */
  timeoutMs: number;
}

export class Notifier {
  private readonly all: SandboxNotification[] = [];
  private readonly inflight = new Set<Promise<void>>();
  private forgeries: NotificationForgery[] = [];
  private toLose = 0;
  private stopped = false;

  constructor(private readonly o: NotifierOptions) {}

  send(req: NotifyRequest): SandboxNotification {
    const n: SandboxNotification = {
      notifyId: randomBytes(17).toString('hex'),
      notifyUrl: req.notifyUrl,
      notifyType: 'trade_status_sync',
      outTradeNo: req.trade.outTradeNo,
      tradeStatus: req.fields.trade_status ?? req.trade.tradeStatus,
      base: { ...req.fields },
      attempts: [],
      state: 'pending',
    };
    this.all.push(n);
    if (this.toLose > 0) {
      this.toLose -= 1;
      n.state = 'lost';
      return n;
    }
    n.nextAt = this.o.scheduler.after(0, () => this.start(n));
    return n;
  }

  /** The next `times` trade notifications are lost on the way: never delivered, never retried (`reset`: instead of those still to come). */
  loseNext(times: number, reset = false): void {
    this.toLose = (reset ? 0 : this.toLose) + times;
  }

  /**
   * A notification about something else than a trade: an agreement's dut_user_sign / dut_user_unsign
   * (agreement-book.ts), sent, signed and retried exactly like trade notifications.
   */
  sendNotice(req: { notifyUrl: string; notifyType: string; agreementNo: string; status: string; fields: Record<string, string> }): SandboxNotification {
    const n: SandboxNotification = {
      notifyId: randomBytes(17).toString('hex'),
      notifyUrl: req.notifyUrl,
      notifyType: req.notifyType,
      outTradeNo: '',
      tradeStatus: req.status,
      agreementNo: req.agreementNo,
      base: { ...req.fields },
      attempts: [],
      state: 'pending',
    };
    this.all.push(n);
    n.nextAt = this.o.scheduler.after(0, () => this.start(n));
    return n;
  }

  /** The next `times` deliveries (of any notification) are forged (`reset`: forget those still to come first). */
  forgeNext(how: NotificationForgery, times: number, reset = false): void {
    if (reset) this.forgeries = [];
    for (let i = 0; i < times; i++) this.forgeries.push(how);
  }

  list(): SandboxNotification[] {
    return this.all;
  }

  /** Wait until no delivery is in flight. */
  async idle(): Promise<void> {
    while (this.inflight.size) await Promise.allSettled([...this.inflight]);
  }

  stop(): void {
    this.stopped = true;
  }

  private start(n: SandboxNotification): void {
    if (this.stopped) return;
    const p = this.deliver(n).finally(() => this.inflight.delete(p));
    this.inflight.add(p);
  }

  private async deliver(n: SandboxNotification): Promise<void> {
    const at = this.o.clock.now();
    const realAt = Date.now(); // taken with `at`, before signing, so both describe the same instant
    n.firstAt ??= at;
    const fields: Record<string, string> = {
      ...n.base,
      notify_id: n.notifyId,
      notify_time: formatChinaTime(at),
      notify_type: n.notifyType,
      app_id: this.o.appId,
      charset: 'utf-8',
      version: '1.0',
      sign_type: 'RSA2',
    };
    const forged = this.forgeries.shift();
    let signed = signNotification(fields, forged === 'wrong_key' ? this.o.strangerPrivateKey : this.o.alipayPrivateKey);
    if (forged === 'tampered') signed = { ...signed, total_amount: '0.01' };
    const attempt: NotificationAttempt = {
      attempt: n.attempts.length + 1,
      at,
      realAt,
      offsetMs: at - n.firstAt,
      fields: signed,
      accepted: false,
      ...(forged ? { forged } : {}),
    };
    n.attempts.push(attempt);
    n.nextAt = undefined;
    try {
      const res = await fetch(n.notifyUrl, {
        method: 'POST',
        headers: { 'content-type': 'application/x-www-form-urlencoded; charset=utf-8' },
        body: new URLSearchParams(signed).toString(),
        signal: AbortSignal.timeout(this.o.timeoutMs),
      });
      const text = await res.text();
      attempt.httpStatus = res.status;
      attempt.answer = text.slice(0, 200);
      attempt.accepted = res.status === 200 && text === 'success';
    } catch (e) {
      attempt.error = (e as Error).name === 'TimeoutError' ? 'timeout' : ((e as { cause?: { code?: string } }).cause?.code ?? (e as Error).message);
    }
    if (attempt.accepted) {
      n.state = 'delivered';
      return;
    }
    const wait = ALIPAY_NOTIFY_RETRY_MS[n.attempts.length - 1];
    if (wait === undefined || this.stopped) {
      n.state = 'gave_up';
      return;
    }
    // Measured from this delivery's start, so slow receivers do not stretch the schedule.
    n.nextAt = this.o.scheduler.after(at + wait - this.o.clock.now(), () => this.start(n));
  }
}
