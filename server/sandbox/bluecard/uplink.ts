/**
 * How the sandbox lot calls ParkPay (the up interfaces): POST JSON to ParkPay's inbound URLs with the
 * `sign` header, bodies checked by the EXACT mirror schema first (the lot is the sender here, so a body
 * that fails is a bug of the sandbox, thrown), answers read with the tolerant answer schema. An answer
 * acknowledges only as HTTP 200 with status success.
 */
import type { Clock } from '../../src/core/clock';
import { bluecardSign } from '../../src/adapter/bluecard/requests';
import { bluecardInterfaces } from '../../../shared/bluecard';

/** ParkPay's inbound paths (appended to the ParkPay base URL). */
export interface ParkPayPaths {
  heartbeat: string;
  entryRecords: string;
  exitRecords: string;
  images: string;
  chargeRecords: string;
  channels: string;
  /** 4.28 opengate, 4.31 parkingspacefee, 4.32 fixedListUp: one URL, dispatched on `method` (v2.5.0). */
  common: string;
  preExitPricing: string;
  withholdOrQr: string;
  qrPayResult: string;
  faceToFacePay: string;
  faceToFacePoll: string;
  faceToFaceCancel: string;
  channelPay: string;
}

export const DEFAULT_PARKPAY_PATHS: ParkPayPaths = {
  heartbeat: '/bluecard/v2/heartbeat',
  entryRecords: '/bluecard/v2/in-records',
  exitRecords: '/bluecard/v2/out-records',
  images: '/bluecard/v2/images',
  chargeRecords: '/bluecard/v2/charge-records',
  channels: '/bluecard/v2/channels',
  common: '/bluecard/v2',
  preExitPricing: '/bluecard/v2/pre-exit-charge',
  withholdOrQr: '/bluecard/v2/withhold-or-qrcode',
  qrPayResult: '/bluecard/v2/qrcode-pay-result',
  faceToFacePay: '/bluecard/v2/face-pay',
  faceToFacePoll: '/bluecard/v2/face-pay-query',
  faceToFaceCancel: '/bluecard/v2/face-pay-cancel',
  channelPay: '/bluecard/v2/channel-pay',
};

export const UP_PATH_OF = {
  '4.1': 'heartbeat',
  '4.2': 'entryRecords',
  '4.3': 'exitRecords',
  '4.13': 'preExitPricing',
  '4.14': 'images',
  '4.15': 'chargeRecords',
  '4.16': 'withholdOrQr',
  '4.17': 'qrPayResult',
  '4.21': 'channels',
  '4.24': 'faceToFacePay',
  '4.25': 'faceToFacePoll',
  '4.26': 'faceToFaceCancel',
  '4.27': 'channelPay',
  '4.28': 'common',
  '4.31': 'common',
  '4.32': 'common',
} as const satisfies Record<string, keyof ParkPayPaths>;

export type UpSection = keyof typeof UP_PATH_OF;

export interface UpResult {
  section: UpSection;
  url: string;
  at: number;
  ms: number;
  /** HTTP 200 and status success. */
  acknowledged: boolean;
  httpStatus?: number;
  /** The answer's status as read (success / fail / self). */
  status?: string;
  errorCode?: string;
  /** The answer parsed with the tolerant schema (undefined when it did not parse). */
  answer?: unknown;
  /** The answer's text as it came. */
  raw?: string;
  /** Why it was not acknowledged (network error, timeout, HTTP status, unparsable answer, fail). */
  error?: string;
}

export class SandboxBug extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'SandboxBug';
  }
}

export interface ParkPayLinkOptions {
  baseUrl: () => string | undefined;
  paths: ParkPayPaths;
  /** Real milliseconds an up call may take. */
  timeoutMs: number;
  clock: Clock;
  /** 4.14: send base64 '+' as ' ' like the HTTP stack the spec describes. */
  manglePlusInImages?: boolean;
  /** The lot is cut off (a fault): nothing leaves it, every call fails as a network error. */
  offline?: () => boolean;
  /** Told about every call made (the demo's call log). */
  onSent?: (park: { parkNumber: string }, body: unknown, result: UpResult) => void;
}

/** The exact body the lot would send, or a SandboxBug naming the issues. */
export function checkUpBody(section: UpSection, body: unknown): void {
  const r = bluecardInterfaces[section].mirror.request.safeParse(body);
  if (!r.success) {
    const issues = r.error.issues.map((i) => `${i.path.join('.')}: ${i.message}`).join('; ');
    throw new SandboxBug(`sandbox built a ${section} body its exact schema rejects: ${issues}`);
  }
}

export class ParkPayLink {
  private readonly inflight = new Set<AbortController>();

  constructor(private readonly options: ParkPayLinkOptions) {}

  url(section: UpSection): string | undefined {
    const base = this.options.baseUrl();
    if (!base) return undefined;
    return `${base.replace(/\/+$/, '')}${this.options.paths[UP_PATH_OF[section]]}`;
  }

  async send(park: { parkNumber: string; key: string }, section: UpSection, body: unknown): Promise<UpResult> {
    checkUpBody(section, body);
    const at = this.options.clock.now();
    const started = Date.now();
    const url = this.url(section);
    if (!url) return { section, url: '', at, ms: 0, acknowledged: false, error: 'ParkPay base URL not configured' };
    if (this.options.offline?.()) {
      const cut: UpResult = { section, url, at, ms: 0, acknowledged: false, error: 'network: the lot is offline (sandbox fault)' };
      this.options.onSent?.(park, body, cut);
      return cut;
    }
    let text = JSON.stringify(body);
    if (section === '4.14' && this.options.manglePlusInImages) {
      const b = body as { image: string };
      text = JSON.stringify({ ...b, image: b.image.replace(/\+/g, ' ') });
    }
    const controller = new AbortController();
    this.inflight.add(controller);
    const timer = setTimeout(() => controller.abort(new Error(`timeout after ${this.options.timeoutMs} ms`)), this.options.timeoutMs);
    const result: UpResult = { section, url, at, ms: 0, acknowledged: false };
    try {
      const res = await fetch(url, {
        method: 'POST',
        headers: { 'content-type': 'application/json;charset=UTF-8', sign: bluecardSign(park.key, park.parkNumber) },
        body: text,
        signal: controller.signal,
      });
      result.httpStatus = res.status;
      result.raw = await res.text();
      let json: unknown;
      try {
        json = JSON.parse(result.raw);
      } catch {
        result.error = `HTTP ${res.status}: answer is not JSON`;
        return result;
      }
      const parsed = bluecardInterfaces[section].mirror.answer.safeParse(json);
      if (!parsed.success) {
        result.error = `HTTP ${res.status}: answer does not parse: ${parsed.error.issues.map((i) => `${i.path.join('.')}: ${i.message}`).join('; ')}`;
        return result;
      }
      const answer = parsed.data as { status: string; errorCode?: string };
      result.answer = answer;
      result.status = answer.status;
      result.errorCode = answer.errorCode;
      if (res.status !== 200) result.error = `HTTP ${res.status}`;
      else if (answer.status !== 'success') result.error = `status ${answer.status}${answer.errorCode ? `: ${answer.errorCode}` : ''}`;
      else result.acknowledged = true;
      return result;
    } catch (e) {
      const err = e as Error & { cause?: { code?: string; message?: string } };
      const reason = controller.signal.aborted ? String((controller.signal.reason as Error)?.message ?? 'aborted') : (err.cause?.code ?? err.cause?.message ?? err.message);
      result.error = `network: ${reason}`;
      return result;
    } finally {
      clearTimeout(timer);
      this.inflight.delete(controller);
      result.ms = Date.now() - started;
      this.options.onSent?.(park, body, result);
    }
  }

  /** Abort every call in flight (stop). */
  abortAll(): void {
    for (const c of this.inflight) c.abort(new Error('sandbox stopping'));
  }
}
