/**
 * Drivers, their sessions, and the interfaces identity needs from the outside: persistence (implemented in
 * repository/drivers.ts) and the login providers (adapter/wechat-login, AlipayAdapter.oauthToken).
 */

/** How a session was opened. 'demo': demo mode's named drivers (H5 in a desktop browser). */
export type LoginProvider = 'wechat' | 'alipay' | 'demo';

export interface BoundPlate {
  /** As the driver typed it, tidied for display (upper case, no spaces): "京A12345". */
  plate: string;
  /** normalizePlate (shared/plate.ts): what stays and orders are looked up by. */
  plateKey: string;
  boundAt: Date;
}

export interface Driver {
  /** Ours ("drv_…"); never a provider's id. */
  id: string;
  /** The WeChat mini-program's openid of this driver (per appid). Demo drivers get a fake one. */
  wechatOpenId?: string;
  /** WeChat's unionid, when the mini-program is bound to an open platform account. */
  wechatUnionId?: string;
  /** Alipay user_id (2088…, user_id-mode apps). */
  alipayUserId?: string;
  /** Alipay open_id (open_id-mode apps, the default since 2023). */
  alipayOpenId?: string;
  createdAt: Date;
  /** Oldest first. */
  plates: BoundPlate[];
}

/** Who a provider says the user is: what a driver is found (or created) by. */
export type ProviderIdentity =
  | { provider: 'wechat'; wechatOpenId: string; wechatUnionId?: string }
  | { provider: 'alipay'; alipayUserId?: string; alipayOpenId?: string };

/** A session as stored: the token itself is never stored, only its sha256. */
export interface SessionRecord {
  /** sha256 of the token, hex. */
  tokenHash: string;
  driverId: string;
  provider: LoginProvider;
  createdAt: Date;
  expiresAt: Date;
  revokedAt?: Date;
}

export type AddPlateOutcome =
  | { outcome: 'added' | 'already'; driver: Driver }
  /** The driver has `max` plates already. */
  | { outcome: 'full' }
  | { outcome: 'no_driver' };

export interface DriverRepository {
  /**
   * The driver with this identity, or a new one made of `fresh` — atomically: concurrent calls with the same
   * identity end with one driver (an upsert guarded by a unique index on the provider id).
   */
  findOrCreate(identity: ProviderIdentity, fresh: { id: string; createdAt: Date }): Promise<{ driver: Driver; created: boolean }>;
  findById(id: string): Promise<Driver | undefined>;
  /** Append the plate unless its plateKey is there already or `max` plates are bound; one atomic update. */
  addPlate(driverId: string, plate: BoundPlate, max: number): Promise<AddPlateOutcome>;
  /** Remove the plate with this plateKey; the driver afterwards, or undefined when there was no such plate. */
  removePlate(driverId: string, plateKey: string): Promise<Driver | undefined>;
}

export interface SessionRepository {
  insert(session: SessionRecord): Promise<void>;
  find(tokenHash: string): Promise<SessionRecord | undefined>;
  /** Move expiresAt (sliding expiry) unless the session was revoked. */
  extend(tokenHash: string, expiresAt: Date): Promise<void>;
  /** Mark revoked; false when it was revoked already or does not exist. */
  revoke(tokenHash: string, at: Date): Promise<boolean>;
  /** Revoke every live session of a driver; how many. */
  revokeAll(driverId: string, at: Date): Promise<number>;
}

/**
 * WeChat mini-program login (code2Session). Implemented by adapter/wechat-login. The session_key WeChat also
 * answers never comes through here: we do not need it, so we never hold it.
 */
export interface WechatLoginProvider {
  code2Session(code: string): Promise<{ openId: string; unionId?: string }>;
}

/** Alipay mini-program login (alipay.system.oauth.token). Implemented by AlipayAdapter.oauthToken as is. */
export interface AlipayLoginProvider {
  oauthToken(authCode: string): Promise<{ userId?: string; openId?: string }>;
}
