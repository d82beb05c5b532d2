/**
 * Who the driver is: login through WeChat, Alipay or (demo mode) a name; sessions; the plates they pay for.
 *
 * A login finds the driver by the provider's id or creates one (atomically: two first logins at the same
 * moment make one driver), then opens a session: a random token given to the client once, stored only as
 * sha256, valid for 30 days after its last use (sliding, extended at most once a day), revocable.
 *
 * Provider failures (a wrong or used code, rate limits, outages) are thrown by the providers as their own
 * typed errors and mapped to answers by the port (port/api/login-failures.ts): nothing here depends on them.
 */
import { isPlausiblePlate, normalizePlate } from '../../../../shared/plate';
import type { Clock } from '../clock';
import { AppError } from '../errors';
import { IdentityError } from './errors';
import { DEMO_NAME, demoWechatOpenId } from './demo';
import type {
  AlipayLoginProvider,
  BoundPlate,
  Driver,
  DriverRepository,
  LoginProvider,
  ProviderIdentity,
  SessionRepository,
  WechatLoginProvider,
} from './model';
import { displayPlate } from './plates';
import { hashSessionToken, looksLikeSessionToken, newDriverId, newSessionToken } from './tokens';

const DAY_MS = 24 * 60 * 60 * 1000;
export const SESSION_TTL_MS = 30 * DAY_MS;
/** A session's expiry moves forward at most this often (one write a day per active driver, not per request). */
export const SESSION_SLIDE_EVERY_MS = DAY_MS;
export const DEFAULT_MAX_PLATES = 5;

export interface IdentityDeps {
  drivers: DriverRepository;
  sessions: SessionRepository;
  clock: Clock;
  /** WeChat mini-program login; absent: POST /api/auth/wechat answers not_offered. */
  wechat?: WechatLoginProvider;
  /** Alipay mini-program login (an AlipayAdapter); absent: not_offered. */
  alipay?: AlipayLoginProvider;
  /** Demo mode only: anyone may log in by name. */
  demoLogin?: boolean;
  sessionTtlMs?: number;
  maxPlates?: number;
}

export interface LoginResult {
  /** Give to the client; it is not kept anywhere. */
  token: string;
  expiresAt: Date;
  driver: Driver;
  /** This login created the driver. */
  created: boolean;
}

/** What the app API's auth needs (port/api/driver-auth.ts): IdentityService is one. */
export interface DriverAuthenticator {
  /** The driver of a live session, or undefined (unknown, expired or revoked token, or not a token). */
  authenticate(token: string): Promise<Driver | undefined>;
}

export class IdentityService implements DriverAuthenticator {
  private readonly ttlMs: number;
  readonly maxPlates: number;

  constructor(private readonly deps: IdentityDeps) {
    this.ttlMs = deps.sessionTtlMs ?? SESSION_TTL_MS;
    this.maxPlates = deps.maxPlates ?? DEFAULT_MAX_PLATES;
  }

  get demoLoginEnabled(): boolean {
    return this.deps.demoLogin === true;
  }

  // ── login ──────────────────────────────────────────────────────────────────────────────────

  /** wx.login's code → code2Session → the driver with that openid (created on first login) and a session. */
  async loginWithWechat(code: string): Promise<LoginResult> {
    const wechat = this.deps.wechat;
    if (!wechat) throw notOffered('WeChat');
    const s = await wechat.code2Session(code);
    return this.open({ provider: 'wechat', wechatOpenId: s.openId, ...(s.unionId ? { wechatUnionId: s.unionId } : {}) }, 'wechat');
  }

  /** my.getAuthCode's authCode → alipay.system.oauth.token → the driver with that user_id / open_id. */
  async loginWithAlipay(code: string): Promise<LoginResult> {
    const alipay = this.deps.alipay;
    if (!alipay) throw notOffered('Alipay');
    // Only the ids are kept: the access token Alipay also answers is not needed for auth_base logins.
    const t = await alipay.oauthToken(code);
    if (!t.userId && !t.openId) throw new Error('Alipay login answered neither user_id nor open_id');
    return this.open(
      { provider: 'alipay', ...(t.userId ? { alipayUserId: t.userId } : {}), ...(t.openId ? { alipayOpenId: t.openId } : {}) },
      'alipay',
    );
  }

  /** Demo mode only: the named demo driver (a stable fake WeChat identity per name). */
  async loginDemo(name: string): Promise<LoginResult> {
    // Outside demo mode this must look like a route that does not exist.
    if (!this.demoLoginEnabled) throw new IdentityError('not_found', 'not found');
    const n = name.trim();
    if (!DEMO_NAME.test(n)) throw new IdentityError('validation_failed', 'a demo name is 1–32 letters, digits, _ . - or Chinese characters');
    return this.open({ provider: 'wechat', wechatOpenId: demoWechatOpenId(n) }, 'demo');
  }

  private async open(identity: ProviderIdentity, provider: LoginProvider): Promise<LoginResult> {
    const now = this.deps.clock.now();
    const { driver, created } = await this.deps.drivers.findOrCreate(identity, { id: newDriverId(), createdAt: new Date(now) });
    const token = newSessionToken();
    const expiresAt = new Date(now + this.ttlMs);
    await this.deps.sessions.insert({ tokenHash: hashSessionToken(token), driverId: driver.id, provider, createdAt: new Date(now), expiresAt });
    return { token, expiresAt, driver, created };
  }

  // ── sessions ───────────────────────────────────────────────────────────────────────────────

  async authenticate(token: string): Promise<Driver | undefined> {
    if (!looksLikeSessionToken(token)) return undefined;
    const hash = hashSessionToken(token);
    const s = await this.deps.sessions.find(hash);
    const now = this.deps.clock.now();
    if (!s || s.revokedAt || s.expiresAt.getTime() <= now) return undefined;
    const driver = await this.deps.drivers.findById(s.driverId);
    if (!driver) return undefined;
    // Sliding expiry: 30 days after the last use, written at most once a day.
    if (s.expiresAt.getTime() - now < this.ttlMs - SESSION_SLIDE_EVERY_MS) {
      await this.deps.sessions.extend(hash, new Date(now + this.ttlMs));
    }
    return driver;
  }

  /** Revoke this token's session. False when there was no live session to revoke. */
  async logout(token: string): Promise<boolean> {
    if (!looksLikeSessionToken(token)) return false;
    return this.deps.sessions.revoke(hashSessionToken(token), new Date(this.deps.clock.now()));
  }

  /** Revoke every session of a driver (e.g. "log out everywhere"). */
  async logoutEverywhere(driverId: string): Promise<number> {
    return this.deps.sessions.revokeAll(driverId, new Date(this.deps.clock.now()));
  }

  async driver(id: string): Promise<Driver | undefined> {
    return this.deps.drivers.findById(id);
  }

  // ── plates ─────────────────────────────────────────────────────────────────────────────────

  async listPlates(driverId: string): Promise<BoundPlate[]> {
    const d = await this.deps.drivers.findById(driverId);
    if (!d) throw driverGone();
    return d.plates;
  }

  /**
   * Bind a plate to the driver; answers all their plates. Binding a plate already bound (same plateKey,
   * however spelled) changes nothing. A plate bound by another driver may be bound here too, on purpose:
   * family members share cars, and each pays for the stays they see — a binding proves no ownership, so
   * nothing may ever be decided from "who bound this plate first".
   */
  async bindPlate(driverId: string, raw: string): Promise<BoundPlate[]> {
    const plate = displayPlate(raw);
    if (!isPlausiblePlate(plate)) throw new IdentityError('invalid_plate', `${JSON.stringify(plate.slice(0, 20))} is not a Chinese plate`);
    const bound: BoundPlate = { plate, plateKey: normalizePlate(plate), boundAt: new Date(this.deps.clock.now()) };
    const r = await this.deps.drivers.addPlate(driverId, bound, this.maxPlates);
    switch (r.outcome) {
      case 'added':
      case 'already':
        return r.driver.plates;
      case 'full':
        throw new IdentityError('plate_limit', `at most ${this.maxPlates} plates; unbind one first`);
      case 'no_driver':
        throw driverGone();
    }
  }

  /** Unbind by plateKey (a plate as typed works too: it is normalized); answers the remaining plates. */
  async unbindPlate(driverId: string, plateKeyOrPlate: string): Promise<BoundPlate[]> {
    const d = await this.deps.drivers.removePlate(driverId, normalizePlate(plateKeyOrPlate));
    if (!d) throw new IdentityError('not_found', 'no such plate among yours');
    return d.plates;
  }
}

function notOffered(provider: string): AppError {
  return new IdentityError('not_offered', `${provider} login is not offered here`);
}

/** The session was valid a moment ago but its driver is gone: treat it as logged out. */
function driverGone(): AppError {
  return new IdentityError('unauthenticated', 'log in again');
}
