/**
 * The outer defences of the lot's URLs, per park, in front of the sign check (inbound.ts):
 *
 *  - **Source allow-list**: a park configured with `bluecardSources` (CIDRs of its Bluecard cloud) is
 *    answered only from those addresses; a call from anywhere else is refused `source_not_allowed` before
 *    its sign is even looked at. This is what stops a replayed sign from outside the lot's cloud.
 *  - **Rate limits**: a token bucket per park for all its calls, and a tighter one for the calls that move
 *    money (4.16, 4.24, 4.27); beyond them a call is refused `rate_limited` (the lot asks again; records are
 *    resent). A replayed sign cannot flood a park's drivers or our providers.
 *  - **Alerts**: one log line `ALERT …` (field `alert: 'bluecard_calls_abnormal'`) when a park's calls look
 *    abnormal — calls from outside its allow-list, repeated wrong signs for it, hitting its rate limit, or
 *    lane deductions refused as looking forged (no stay, more than the lot's price; core/lanepay tells us
 *    through TrustAlerts) — at most once per park and reason per window, so an attack does not drown the log.
 *
 * Counters live in this process (each process of a deployment limits and alerts on its own share).
 */
import { BlockList, isIP } from 'node:net';
import type { TrustAlerts } from '../../core/lanepay/deduction-trust';
import type { Park } from '../../core/parks';
import { HttpError } from '../http/errors';
import type { Section } from './inbound';
import type { Log } from '../../core/log';

/** Calls per minute (sustained) and the burst a park may send at once. */
export interface BluecardRateLimits {
  callsPerMinute: number;
  callsBurst: number;
  /** 4.16, 4.24, 4.27: the calls that take money. */
  moneyPerMinute: number;
  moneyBurst: number;
}

/** A busy lot (20 exit lanes, a car each every 10 s; 4.25 polls every second) stays far below these. */
export const DEFAULT_RATE_LIMITS: BluecardRateLimits = { callsPerMinute: 3_000, callsBurst: 600, moneyPerMinute: 120, moneyBurst: 60 };

const MONEY: ReadonlySet<Section> = new Set<Section>(['4.16', '4.24', '4.27']);

/** When a reason is worth an alert: this many events within the window (seconds). */
const ALERT_RULES: Record<string, { count: number; windowSeconds: number; what: string }> = {
  source_not_allowed: { count: 1, windowSeconds: 60, what: 'calls from an address outside its Bluecard allow-list' },
  bad_sign: { count: 5, windowSeconds: 60, what: 'calls with a wrong sign' },
  rate_limited: { count: 1, windowSeconds: 60, what: 'more calls than its rate limit' },
  deduction_no_stay: { count: 3, windowSeconds: 600, what: 'lane deductions for plates the lot has no open stay of (a forged 4.16/4.27?)' },
  deduction_amount_exceeds_fee: { count: 1, windowSeconds: 600, what: "lane deductions for more than the lot's own price (a forged 4.16/4.27?)" },
};

export interface LotCallGuardOptions {
  /** Defaults for every park; a park's own (config `parks[].rateLimits`) win field by field. */
  limits?: Partial<BluecardRateLimits>;
  perPark?: Record<string, Partial<BluecardRateLimits>>;
  log: Pick<Log, 'warn'>;
  /** Real time in ms (buckets and windows are about real time). */
  now?: () => number;
}

/** An allow-list of CIDRs / addresses. */
export function parseSources(sources: readonly string[]): BlockList {
  const list = new BlockList();
  for (const s of sources) {
    const [addr, bits] = s.trim().split('/');
    const type = isIP(addr ?? '') === 6 ? 'ipv6' : 'ipv4';
    if (!isIP(addr ?? '')) throw new Error(`not an IP address or CIDR: ${s}`);
    if (bits === undefined) list.addAddress(addr!, type);
    else list.addSubnet(addr!, Number(bits), type);
  }
  return list;
}

/** An address as the allow-list compares it: IPv4-mapped IPv6 (::ffff:1.2.3.4) is the IPv4 address. */
function plainIp(ip: string): { ip: string; type: 'ipv4' | 'ipv6' } | undefined {
  const mapped = /^::ffff:(\d+\.\d+\.\d+\.\d+)$/i.exec(ip);
  const a = mapped ? mapped[1]! : ip;
  const v = isIP(a);
  return v ? { ip: a, type: v === 4 ? 'ipv4' : 'ipv6' } : undefined;
}

interface Bucket {
  tokens: number;
  at: number;
}

export class LotCallGuard implements TrustAlerts {
  private readonly buckets = new Map<string, Bucket>();
  private readonly sources = new Map<string, { key: string; list: BlockList }>();
  /** park|reason → event times in the current window, and when it last alerted. */
  private readonly events = new Map<string, { times: number[]; alertedAt: number }>();
  private readonly now: () => number;

  constructor(private readonly opts: LotCallGuardOptions) {
    this.now = opts.now ?? Date.now;
  }

  private limitsOf(parkNumber: string): BluecardRateLimits {
    return { ...DEFAULT_RATE_LIMITS, ...this.opts.limits, ...this.opts.perPark?.[parkNumber] };
  }

  /** A park with an allow-list answers only its sources. Throws `source_not_allowed`. */
  checkSource(park: Park, ip: string): void {
    if (!park.bluecardSources?.length) return;
    const key = park.bluecardSources.join(',');
    let cached = this.sources.get(park.parkNumber);
    if (!cached || cached.key !== key) {
      cached = { key, list: parseSources(park.bluecardSources) };
      this.sources.set(park.parkNumber, cached);
    }
    const a = plainIp(ip);
    if (a && cached.list.check(a.ip, a.type)) return;
    this.event(park.parkNumber, 'source_not_allowed', { ip });
    throw new HttpError('source_not_allowed', `calls for park ${park.parkNumber} are taken only from its Bluecard cloud`, 403);
  }

  /** A call for a known park with a wrong sign (someone guessing or replaying another park's). */
  badSign(park: Park, ip: string): void {
    this.event(park.parkNumber, 'bad_sign', { ip });
  }

  /** Take a token for this call (and a money token for 4.16/4.24/4.27). Throws `rate_limited`. */
  admit(park: Park, section: Section): void {
    const l = this.limitsOf(park.parkNumber);
    const money = MONEY.has(section);
    // Both buckets are looked at before either is spent: a refused call costs nothing.
    const all = this.peek(`${park.parkNumber}|all`, l.callsPerMinute, l.callsBurst);
    const m = money ? this.peek(`${park.parkNumber}|money`, l.moneyPerMinute, l.moneyBurst) : undefined;
    if (all.tokens < 1 || (m && m.tokens < 1)) {
      this.event(park.parkNumber, 'rate_limited', { section });
      throw new HttpError('rate_limited', `too many calls for park ${park.parkNumber}${m && m.tokens < 1 ? ' that take money' : ''}; ask again shortly`, 429);
    }
    all.tokens -= 1;
    if (m) m.tokens -= 1;
  }

  private peek(key: string, perMinute: number, burst: number): Bucket {
    const now = this.now();
    let b = this.buckets.get(key);
    if (!b) {
      b = { tokens: burst, at: now };
      this.buckets.set(key, b);
    }
    b.tokens = Math.min(burst, b.tokens + ((now - b.at) * perMinute) / 60_000);
    b.at = now;
    return b;
  }

  /** core/lanepay: a lane deduction refused in a way that looks forged. */
  suspicious(parkNumber: string, kind: string, detail: Record<string, unknown>): void {
    this.event(parkNumber, kind, detail);
  }

  /** Count an event; log the alert when the park's count for this reason reaches its rule in the window. */
  private event(parkNumber: string, reason: string, detail: Record<string, unknown>): void {
    const rule = ALERT_RULES[reason] ?? { count: 1, windowSeconds: 600, what: reason };
    const now = this.now();
    const key = `${parkNumber}|${reason}`;
    const e = this.events.get(key) ?? { times: [], alertedAt: -Infinity };
    const since = now - rule.windowSeconds * 1000;
    e.times = e.times.filter((t) => t > since);
    e.times.push(now);
    this.events.set(key, e);
    if (e.times.length >= rule.count && e.alertedAt <= since) {
      e.alertedAt = now;
      this.opts.log.warn(
        { alert: 'bluecard_calls_abnormal', parkNumber, reason, count: e.times.length, windowSeconds: rule.windowSeconds, detail },
        `ALERT: park ${parkNumber}: ${e.times.length} ${rule.what} within ${rule.windowSeconds} s`,
      );
    }
  }
}
