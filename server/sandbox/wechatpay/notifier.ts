/**
 * Notification delivery as WeChat Pay does it (支付通知 chapter3_2_5 / 4012791861): POST JSON to the
 * notify_url with the signed Wechatpay-* headers; success is HTTP 200/204 (older docs: 200 with
 * {"code":"SUCCESS"}: a JSON body whose `code` is not SUCCESS counts as failure); anything else — 4xx,
 * 5xx, a timeout, a refused connection — is retried after 15s/15s/30s/3m/10m/20m/30m/30m/30m/60m/3h/3h/3h/
 * 6h/6h (16 attempts in 24h4m), then given up.
 *
 * The body (id, ciphertext) is the same on every attempt; the signature headers are made afresh each time
 * (a retry 6 hours later must pass the receiver's 5-minute timestamp window).
 *
 * Time: intervals are simulated ms divided by `timeScale` for the real timer (timeScale 1000: 15 s → 15 ms).
 * Each attempt records its planned simulated offset and its measured real offset.
 */
import { EventEmitter } from 'node:events';
import type { Clock } from '../../src/core/clock';

export const WECHAT_NOTIFY_RETRY_INTERVALS_MS: readonly number[] = [
  15_000, 15_000, 30_000, 3 * 60_000, 10 * 60_000, 20 * 60_000, 30 * 60_000, 30 * 60_000, 30 * 60_000, 60 * 60_000,
  3 * 3_600_000, 3 * 3_600_000, 3 * 3_600_000, 6 * 3_600_000, 6 * 3_600_000,
];

export interface DeliveryAttempt {
  /** 1-based. */
  n: number;
  /** Planned simulated offset from the first attempt (0, 15000, 30000, 60000, …). */
  plannedOffsetMs: number;
  /** Measured real offset from the first attempt. */
  realOffsetMs: number;
  /** Sandbox clock when sent. */
  at: number;
  status?: number;
  error?: string;
  ok: boolean;
}

export interface NotificationRecord {
  id: string;
  eventType: string;
  outTradeNo: string;
  outRefundNo?: string;
  url: string;
  /** The exact body posted (same on every attempt). */
  body: string;
  /** What was encrypted into resource.ciphertext. */
  plaintext: string;
  /** A fault applied to it, if any. */
  tampered?: string;
  /** lost: a fault made it vanish on the way (never delivered, never retried). */
  state: 'pending' | 'delivered' | 'gave_up' | 'lost';
  attempts: DeliveryAttempt[];
}

export interface NotifierOptions {
  clock: Clock;
  timeScale: number;
  /** Real ms to wait for the receiver's answer. */
  timeoutMs: number;
  /** Fresh signature headers for `body` (called per attempt). */
  sign: (record: NotificationRecord) => Record<string, string>;
}

export class Notifier {
  readonly events = new EventEmitter();
  private readonly records: NotificationRecord[] = [];
  private readonly timers = new Set<NodeJS.Timeout>();
  private readonly inflight = new Set<AbortController>();
  private readonly started = new Map<string, number>();
  private stopped = false;

  constructor(private readonly options: NotifierOptions) {}

  all(): NotificationRecord[] {
    return this.records;
  }

  pending(): number {
    return this.records.filter((r) => r.state === 'pending').length;
  }

  /** Queue a notification; the first attempt goes out at once (asynchronously). */
  enqueue(record: Omit<NotificationRecord, 'state' | 'attempts'>): NotificationRecord {
    const r: NotificationRecord = { ...record, state: 'pending', attempts: [] };
    this.records.push(r);
    this.schedule(r, 0);
    return r;
  }

  /** Record a notification that is lost on the way: nothing is sent for it. */
  lose(record: Omit<NotificationRecord, 'state' | 'attempts'>): NotificationRecord {
    const r: NotificationRecord = { ...record, state: 'lost', attempts: [] };
    this.records.push(r);
    return r;
  }

  /** Resolves when no notification is pending (or rejects after `timeoutMs` real ms). */
  settled(timeoutMs = 10_000): Promise<void> {
    if (this.pending() === 0) return Promise.resolve();
    return new Promise((resolve, reject) => {
      const timer = setTimeout(() => {
        this.events.off('attempt', check);
        reject(new Error(`notifications still pending after ${timeoutMs} ms`));
      }, timeoutMs);
      const check = () => {
        if (this.pending() > 0) return;
        clearTimeout(timer);
        this.events.off('attempt', check);
        resolve();
      };
      this.events.on('attempt', check);
    });
  }

  stop(): void {
    this.stopped = true;
    for (const t of this.timers) clearTimeout(t);
    this.timers.clear();
    for (const c of this.inflight) c.abort();
    this.inflight.clear();
  }

  /** Attempt at `plannedOffsetMs` (simulated) after the first attempt, measured from the first attempt's start. */
  private schedule(r: NotificationRecord, plannedOffsetMs: number): void {
    if (this.stopped) return;
    const start = this.started.get(r.id);
    const delay = start === undefined ? 0 : Math.max(0, start + plannedOffsetMs / this.options.timeScale - performance.now());
    const timer = setTimeout(() => {
      this.timers.delete(timer);
      void this.attempt(r, plannedOffsetMs);
    }, delay);
    this.timers.add(timer);
  }

  private async attempt(r: NotificationRecord, plannedOffsetMs: number): Promise<void> {
    if (this.stopped) return;
    const now = performance.now();
    if (!this.started.has(r.id)) this.started.set(r.id, now);
    const attempt: DeliveryAttempt = {
      n: r.attempts.length + 1,
      plannedOffsetMs,
      realOffsetMs: Math.round(now - (this.started.get(r.id) ?? now)),
      at: this.options.clock.now(),
      ok: false,
    };
    const controller = new AbortController();
    this.inflight.add(controller);
    const timer = setTimeout(() => controller.abort(), this.options.timeoutMs);
    try {
      const res = await fetch(r.url, {
        method: 'POST',
        headers: { 'Content-Type': 'application/json', 'User-Agent': 'Mozilla/4.0', ...this.options.sign(r) },
        body: r.body,
        signal: controller.signal,
        redirect: 'manual',
      });
      const text = await res.text();
      attempt.status = res.status;
      attempt.ok = (res.status === 200 || res.status === 204) && codeIsSuccessOrAbsent(text);
      if (!attempt.ok) attempt.error = `HTTP ${res.status}${text ? `: ${text.slice(0, 200)}` : ''}`;
    } catch (e) {
      attempt.error = controller.signal.aborted ? `no answer within ${this.options.timeoutMs} ms` : String((e as { cause?: { code?: string } }).cause?.code ?? (e as Error).message);
    } finally {
      clearTimeout(timer);
      this.inflight.delete(controller);
    }
    if (this.stopped) return;
    r.attempts.push(attempt);
    const done = r.attempts.length;
    if (attempt.ok) {
      r.state = 'delivered';
    } else if (done > WECHAT_NOTIFY_RETRY_INTERVALS_MS.length) {
      r.state = 'gave_up';
    } else {
      const interval = WECHAT_NOTIFY_RETRY_INTERVALS_MS[done - 1];
      this.schedule(r, plannedOffsetMs + interval);
    }
    this.events.emit('attempt', r, attempt);
  }
}

function codeIsSuccessOrAbsent(text: string): boolean {
  if (!text.trim()) return true;
  try {
    const body = JSON.parse(text) as unknown;
    if (body && typeof body === 'object' && 'code' in body) return (body as { code: unknown }).code === 'SUCCESS';
  } catch {
    // not JSON: the status decides
  }
  return true;
}
