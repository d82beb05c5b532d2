/**
 * The coupon service: operators and merchants give coupons to cars in the park (4.23), list and revoke them
 * as far as the protocol allows, make fixed coupon codes for the booth scanner (4.24), and the lane side
 * asks it for the credits of a stay at the exit (4.13) and for the coupons to show on the driver's fee.
 * See model.ts for a coupon's way. No I/O libraries here.
 */
import { chinaStamp, randomChars } from '../ids';
import { normalizePlate } from '../../../../shared/plate';
import { dateNow, type Clock } from '../clock';
import { AppError } from '../errors';
import { CouponError } from './errors';
import type { FixedCoupon, FixedCouponCodes } from '../lanepay/fixed-coupons';
import type { ExitPricingContext, StayCredit, StayCreditSource } from '../lanepay/pre-exit-pricing';
import type { LotRecordsRepository, Stay } from '../lot/model';
import { assertParkAccess, assertRole, type Operator } from '../operators/model';
import type { ParkDirectory } from '../parks';
import * as changes from './changes';
import {
  couponDue,
  FIXED_CODE_PATTERN,
  FIXED_CODE_PREFIX,
  type Coupon,
  type CouponDelivery,
  type CouponIssuer,
  type CouponKind,
  type CouponLot,
  type CouponRepository,
  type CouponStatus,
  type FixedCode,
} from './model';
import type { Log } from '../log';

export interface CouponPolicy {
  /** Largest hour coupon, in minutes. */
  maxMinutes: number;
  /** Largest money coupon, in fen. */
  maxFen: number;
  /** A coupon without an end is valid this long. */
  defaultValidityMs: number;
  /** The furthest end a coupon or fixed code may have. */
  maxValidityMs: number;
  /** Waits before the automatic redeliveries of an unconfirmed coupon (then no more: the operator may retry). */
  redeliveryBackoffMs: number[];
  /** How long a delivery in progress holds the coupon (a crashed process's coupon is taken up after it). */
  deliveryLeaseMs: number;
}

export const DEFAULT_COUPON_POLICY: CouponPolicy = {
  maxMinutes: 7 * 24 * 60,
  maxFen: 100_000,
  defaultValidityMs: 24 * 3_600_000,
  maxValidityMs: 90 * 24 * 3_600_000,
  redeliveryBackoffMs: [30_000, 60_000, 120_000, 300_000, 600_000, 1_800_000],
  deliveryLeaseMs: 60_000,
};

export interface CouponServiceDeps {
  coupons: CouponRepository;
  parks: ParkDirectory;
  stays: Pick<LotRecordsRepository, 'findStay' | 'staysInPark'>;
  lot: CouponLot;
  clock: Clock;
  policy?: Partial<CouponPolicy>;
  log?: Log;
  /** Coupon codes (tests may fix them). */
  newCode?: () => string;
}

export interface IssueCouponInput {
  /** The caller's idempotency key: the same key gives the same coupon (a double click, a retried request). */
  requestId: string;
  /** The car: its plate (the newest stay of that plate in the park), or Bluecard's orderId of the stay. */
  plate?: string;
  orderId?: string;
  kind: CouponKind;
  /** Minutes ('hours') or fen ('money'). */
  amount: number;
  end?: Date;
  memo?: string;
}

export interface FixedCodeInput {
  kind: CouponKind;
  amount: number;
  end: Date;
  maxUses?: number;
  label?: string;
}

/** A coupon as the driver sees it on the fee. */
export interface StayCouponView {
  kind: CouponKind;
  /** Minutes or fen. */
  amount: number;
  end: Date;
  /** 'applied': the lot counts it in the fee; 'pending': not confirmed by the lot yet (it counts at the exit); 'used': taken off at the exit. */
  state: 'applied' | 'pending' | 'used';
  /** The giver's display name (a shop), if any. */
  from: string | null;
}

const CODE_ALPHABET = '0123456789ABCDEFGHJKLMNPQRSTUVWXYZ'.replace(/[IO]/g, '');

/** PPC + China yyMMddHHmmss + 6 random characters (21, unique in practice; the insert's unique index decides). */
export function newCouponCode(now: number = Date.now()): string {
  return `PPC${chinaStamp(now)}${randomChars(6, CODE_ALPHABET)}`;
}

/** PPQ + 10 random characters of an unambiguous alphabet (what a shop prints as a QR or bar code). */
export function newFixedCode(): string {
  return `${FIXED_CODE_PREFIX}${randomChars(10)}`;
}

function issuerOf(op: Operator): CouponIssuer {
  return { operatorId: op.id, username: op.username, role: op.role, ...(op.displayName ? { displayName: op.displayName } : {}) };
}

function messageOf(e: unknown): string {
  return e instanceof Error ? e.message : String(e);
}

/** Merchants act on their own coupons only; operators and admins on every coupon of their parks. */
function mayManage(op: Operator, c: { issuer: CouponIssuer }): boolean {
  return op.role !== 'merchant' || c.issuer.operatorId === op.id;
}

export class CouponService implements FixedCouponCodes, StayCreditSource {
  readonly name = 'coupons';
  private readonly policy: CouponPolicy;
  private readonly newCode: () => string;

  constructor(private readonly deps: CouponServiceDeps) {
    this.policy = { ...DEFAULT_COUPON_POLICY, ...deps.policy };
    this.newCode = deps.newCode ?? (() => newCouponCode(deps.clock.now()));
  }

  private async park(parkNumber: string) {
    const park = await this.deps.parks.get(parkNumber);
    if (!park) throw new CouponError('park_unknown', `park ${parkNumber} is not served by ParkPay`);
    return park;
  }

  private checkAmount(kind: CouponKind, amount: number): void {
    if (!Number.isSafeInteger(amount) || amount <= 0) {
      throw new CouponError('invalid_amount', `${kind === 'hours' ? 'minutes' : 'fen'} must be a whole number above 0`);
    }
    if (kind === 'hours' && amount > this.policy.maxMinutes) {
      throw new CouponError('invalid_amount', `an hour coupon is at most ${this.policy.maxMinutes} minutes`);
    }
    if (kind === 'money' && amount > this.policy.maxFen) {
      throw new CouponError('invalid_amount', `a money coupon is at most ${this.policy.maxFen} fen`);
    }
  }

  private checkEnd(end: Date, now: Date): void {
    if (!(end.getTime() > now.getTime())) throw new CouponError('invalid_end', 'the end must be in the future');
    if (end.getTime() - now.getTime() > this.policy.maxValidityMs) {
      throw new CouponError('invalid_end', `the end may be at most ${Math.round(this.policy.maxValidityMs / 86_400_000)} days ahead`);
    }
  }

  /** The car in the park the coupon is for. */
  private async stayFor(parkNumber: string, input: { plate?: string; orderId?: string }): Promise<Stay> {
    if (input.orderId) {
      const stay = await this.deps.stays.findStay(parkNumber, input.orderId);
      if (!stay) throw new CouponError('stay_unknown', `no stay ${input.orderId} in park ${parkNumber}`);
      if (stay.status !== 'in') throw new CouponError('stay_ended', `the car of stay ${input.orderId} has left the park`);
      if (input.plate && normalizePlate(input.plate) !== stay.plateKey) {
        throw new CouponError('plate_mismatch', `stay ${input.orderId} is not plate ${input.plate}`);
      }
      return stay;
    }
    if (!input.plate) throw new CouponError('car_required', 'name the car: its plate or the orderId of its stay');
    const [stay] = await this.deps.stays.staysInPark(parkNumber, normalizePlate(input.plate));
    if (!stay) throw new CouponError('stay_unknown', `no car with plate ${input.plate} is in this park (no entry record)`);
    return stay;
  }

  // -------------------------------------------------------------------------------------------------------
  // Giving coupons (4.23)

  /**
   * Give a car in the park a coupon and send it to the lot (4.23). Idempotent by requestId: a repeat returns
   * the coupon of the first request (and sends it again when the lot never confirmed it).
   */
  async issue(op: Operator, parkNumber: string, input: IssueCouponInput): Promise<Coupon> {
    assertParkAccess(op, parkNumber);
    assertRole(op, 'admin', 'operator', 'merchant');
    const now = dateNow(this.deps.clock);
    this.checkAmount(input.kind, input.amount);
    const end = input.end ?? new Date(now.getTime() + this.policy.defaultValidityMs);
    const seen = await this.deps.coupons.byRequest(parkNumber, input.requestId);
    if (seen) return this.repeatOf(op, seen, input);
    this.checkEnd(end, now);
    const park = await this.park(parkNumber);
    const stay = await this.stayFor(parkNumber, input);

    for (let tries = 0; ; tries++) {
      const coupon: Coupon = {
        couponCode: this.newCode(),
        parkNumber,
        requestId: input.requestId,
        kind: input.kind,
        amount: input.amount,
        end,
        orderId: stay.orderId,
        plate: stay.plate,
        plateKey: stay.plateKey,
        issuer: issuerOf(op),
        via: '4.23',
        status: 'issuing',
        attempts: 1,
        nextAttemptAt: new Date(now.getTime() + this.policy.deliveryLeaseMs),
        memo: input.memo ?? '',
        createdAt: now,
        updatedAt: now,
      };
      const inserted = await this.deps.coupons.insert(coupon);
      if (inserted === 'duplicate_request') {
        const first = await this.deps.coupons.byRequest(parkNumber, input.requestId);
        if (first) return this.repeatOf(op, first, input);
      }
      if (inserted === 'ok') {
        this.deps.log?.info({ parkNumber, couponCode: coupon.couponCode, kind: coupon.kind, amount: coupon.amount, orderId: coupon.orderId }, 'coupon given');
        return this.deliver(park, coupon);
      }
      if (tries >= 3) throw new Error('could not make a unique coupon code');
    }
  }

  /** The same requestId again: the first coupon (sent again if the lot never confirmed it). */
  private async repeatOf(op: Operator, seen: Coupon, input: IssueCouponInput): Promise<Coupon> {
    const same =
      seen.kind === input.kind &&
      seen.amount === input.amount &&
      (!input.orderId || input.orderId === seen.orderId) &&
      (!input.plate || normalizePlate(input.plate) === seen.plateKey) &&
      seen.issuer.operatorId === op.id;
    if (!same) throw new CouponError('request_id_reused', `requestId ${input.requestId} was used for another coupon`);
    if (seen.status === 'unconfirmed') return this.redeliverOne(seen, false);
    return seen;
  }

  /** One 4.23 call for a coupon this process holds (status 'issuing'), and its outcome recorded. */
  private async deliver(park: { parkNumber: string; key: string; bluecardBaseUrl: string }, c: Coupon): Promise<Coupon> {
    let result: CouponDelivery;
    try {
      result = await this.deps.lot.deliver(park, c);
    } catch (err) {
      result = { outcome: 'unconfirmed', reason: messageOf(err) };
    }
    const now = dateNow(this.deps.clock);
    const wait = this.policy.redeliveryBackoffMs[c.attempts - 1];
    const change = changes.delivered(result, wait === undefined ? undefined : new Date(now.getTime() + wait), now);
    const log = this.deps.log;
    if (result.outcome === 'at_lot') log?.info({ parkNumber: c.parkNumber, couponCode: c.couponCode, attempts: c.attempts }, 'coupon at the lot');
    else log?.warn({ parkNumber: c.parkNumber, couponCode: c.couponCode, attempts: c.attempts, outcome: result.outcome, reason: result.reason }, 'coupon not confirmed by the lot');
    const updated = await this.deps.coupons.apply(c.couponCode, change);
    return updated ?? (await this.deps.coupons.get(c.couponCode)) ?? c;
  }

  /** Take an unconfirmed coupon (or one whose delivery lease ran out) and send it again, same couponCode. */
  private async redeliverOne(c: Coupon, onlyWhenDue: boolean): Promise<Coupon> {
    const now = dateNow(this.deps.clock);
    const leaseUntil = new Date(now.getTime() + this.policy.deliveryLeaseMs);
    const claimed = await this.deps.coupons.apply(
      c.couponCode,
      c.status === 'issuing' || onlyWhenDue ? changes.claimDelivery(c.status, leaseUntil, now, now) : changes.claimDelivery('unconfirmed', leaseUntil, now),
    );
    if (!claimed) return (await this.deps.coupons.get(c.couponCode)) ?? c;
    const park = await this.park(c.parkNumber);
    return this.deliver(park, claimed);
  }

  /** Operator: send an unconfirmed coupon again now. */
  async redeliver(op: Operator, parkNumber: string, couponCode: string): Promise<Coupon> {
    const c = await this.visibleCoupon(op, parkNumber, couponCode);
    if (!mayManage(op, c)) throw new CouponError('forbidden_role', 'a merchant may only act on its own coupons');
    if (c.status === 'unconfirmed' || c.status === 'issuing') return this.redeliverOne(c, c.status === 'issuing');
    return c;
  }

  /** The job: redeliver the unconfirmed coupons that are due (the work collection). Returns how many were tried. */
  async redeliverDue(limit = 20): Promise<number> {
    let tried = 0;
    for (const item of await this.deps.coupons.dueWork(dateNow(this.deps.clock), limit)) {
      let next: Date | undefined;
      try {
        const r = await this.process(item.ref);
        next = r.next;
        if (r.sent) tried++;
      } catch (err) {
        this.deps.log?.error({ err, couponCode: item.ref }, 'coupon redelivery failed');
        next = new Date(dateNow(this.deps.clock).getTime() + this.policy.deliveryLeaseMs);
      }
      await this.deps.coupons.settleWork(item, next);
    }
    return tried;
  }

  /** One look at a coupon whose work is due: sent again (or stopped), and when to look next. */
  async process(couponCode: string): Promise<{ sent: boolean; next: Date | undefined }> {
    const c = await this.deps.coupons.get(couponCode);
    const sent = c ? await this.redeliverIfDue(c) : false;
    const after = await this.deps.coupons.get(couponCode);
    return { sent, next: after ? couponDue(after) : undefined };
  }

  /** Send a due coupon again (or stop: expired, or the car left); whether it was sent. */
  private async redeliverIfDue(c: Coupon): Promise<boolean> {
    const now = dateNow(this.deps.clock);
    const due = couponDue(c);
    if (!due || due.getTime() > now.getTime()) return false;
    if (c.end.getTime() < now.getTime()) {
      await this.deps.coupons.apply(c.couponCode, changes.stopRedelivery(c.status, 'expired before the lot confirmed it', now));
      return false;
    }
    const stay = await this.deps.stays.findStay(c.parkNumber, c.orderId);
    if (stay && stay.status === 'out') {
      await this.deps.coupons.apply(c.couponCode, changes.stopRedelivery(c.status, 'the car left before the lot confirmed it', now));
      return false;
    }
    await this.redeliverOne(c, true);
    return true;
  }

  // -------------------------------------------------------------------------------------------------------
  // Reading and revoking

  private async visibleCoupon(op: Operator, parkNumber: string, couponCode: string): Promise<Coupon> {
    assertParkAccess(op, parkNumber);
    const c = await this.deps.coupons.get(couponCode);
    if (!c || c.parkNumber !== parkNumber || (op.role === 'merchant' && c.issuer.operatorId !== op.id)) {
      throw new CouponError('not_found', `no coupon ${couponCode} in park ${parkNumber}`);
    }
    return c;
  }

  async get(op: Operator, parkNumber: string, couponCode: string): Promise<Coupon> {
    return this.visibleCoupon(op, parkNumber, couponCode);
  }

  /** Newest first; merchants see the coupons they gave. */
  async list(op: Operator, parkNumber: string, filter: { plate?: string; status?: CouponStatus; limit?: number } = {}): Promise<Coupon[]> {
    assertParkAccess(op, parkNumber);
    return this.deps.coupons.list(parkNumber, {
      plateKey: filter.plate ? normalizePlate(filter.plate) : undefined,
      status: filter.status,
      issuerId: op.role === 'merchant' ? op.id : undefined,
      limit: Math.min(Math.max(filter.limit ?? 50, 1), 500),
    });
  }

  /**
   * Revoke a coupon, as far as the protocol allows: the spec has no call to take a coupon back from the lot,
   * so only a coupon the lot never confirmed can be revoked (it is then neither redelivered nor counted at
   * the exit). Revoking twice is harmless.
   */
  async revoke(op: Operator, parkNumber: string, couponCode: string): Promise<Coupon> {
    const c = await this.visibleCoupon(op, parkNumber, couponCode);
    if (!mayManage(op, c)) throw new CouponError('forbidden_role', 'a merchant may only revoke its own coupons');
    if (c.status === 'revoked' || c.status === 'refused') return c;
    const now = dateNow(this.deps.clock);
    const revoked = await this.deps.coupons.apply(couponCode, changes.revoked(op.username, now));
    if (revoked) return revoked;
    const latest = (await this.deps.coupons.get(couponCode)) ?? c;
    if (latest.status === 'revoked' || latest.status === 'refused') return latest;
    if (latest.status === 'used_at_exit') throw new CouponError('coupon_used', 'the coupon was taken off the fee at the exit already');
    if (latest.status === 'issuing') throw new CouponError('coupon_in_flight', 'the coupon is being sent to the lot right now; try again in a minute');
    throw new CouponError('coupon_at_lot', 'the lot has this coupon: the protocol (4.23) has no call to take a coupon back');
  }

  // -------------------------------------------------------------------------------------------------------
  // The lane side: the driver's fee, 4.13

  /** Our coupons of a stay, as the driver sees them on the fee (revoked and refused ones left out). */
  async forStay(parkNumber: string, orderId: string): Promise<StayCouponView[]> {
    const coupons = await this.deps.coupons.forStay(parkNumber, orderId);
    const views: StayCouponView[] = [];
    for (const c of coupons.sort((a, b) => a.createdAt.getTime() - b.createdAt.getTime())) {
      const state = c.status === 'at_lot' ? 'applied' : c.status === 'used_at_exit' ? 'used' : c.status === 'unconfirmed' || c.status === 'issuing' ? 'pending' : undefined;
      if (!state) continue;
      views.push({ kind: c.kind, amount: c.amount, end: c.end, state, from: c.issuer.displayName ?? null });
    }
    return views;
  }

  /**
   * 4.13: the credits our coupons give this exit. Coupons the lot confirmed are in its own figures and are not
   * counted again. A money coupon the lot never confirmed is used here once (marked used_at_exit with this
   * outTradeNo, so it is never redelivered nor counted for another exit). Hour coupons the lot never confirmed
   * cannot be valued without the lot's tariff: they are left to the lot (redelivery).
   */
  async claimForExit(ctx: ExitPricingContext, remainingFen: number): Promise<StayCredit[]> {
    const coupons = (await this.deps.coupons.forStay(ctx.parkNumber, ctx.orderId)).sort((a, b) => a.createdAt.getTime() - b.createdAt.getTime());
    const credits: StayCredit[] = [];
    let remaining = remainingFen;
    const credit = (c: Coupon, fen: number): StayCredit => ({
      payNo: c.couponCode,
      fen,
      payKind: '优惠券',
      payChannel: '平台优惠',
      memo: c.issuer.displayName ? `${c.issuer.displayName} 优惠券` : 'ParkPay 优惠券',
    });
    // A repeat of the same exit pricing: what was taken then.
    for (const c of coupons) {
      if (c.status === 'used_at_exit' && c.usedAtExit?.outTradeNo === ctx.outTradeNo) {
        credits.push(credit(c, c.usedAtExit.fen));
        remaining -= c.usedAtExit.fen;
      }
    }
    const now = dateNow(this.deps.clock);
    for (const c of coupons) {
      if (remaining <= 0) break;
      if (c.status !== 'unconfirmed' || c.kind !== 'money') continue;
      if (c.end.getTime() < ctx.outTime.getTime()) continue;
      const fen = Math.min(c.amount, remaining);
      const used = await this.deps.coupons.apply(c.couponCode, changes.usedAtExit({ outTradeNo: ctx.outTradeNo, fen, at: now }, now));
      if (!used) continue; // redelivered or revoked meanwhile
      this.deps.log?.info({ parkNumber: ctx.parkNumber, couponCode: c.couponCode, fen, outTradeNo: ctx.outTradeNo }, '4.13: unconfirmed coupon used at the exit');
      credits.push(credit(c, fen));
      remaining -= fen;
    }
    return credits;
  }

  // -------------------------------------------------------------------------------------------------------
  // Fixed coupon codes (4.24 scene 2)

  async createFixed(op: Operator, parkNumber: string, input: FixedCodeInput): Promise<FixedCode> {
    assertParkAccess(op, parkNumber);
    assertRole(op, 'admin', 'operator', 'merchant');
    await this.park(parkNumber);
    this.checkAmount(input.kind, input.amount);
    const now = dateNow(this.deps.clock);
    this.checkEnd(input.end, now);
    if (input.maxUses !== undefined && (!Number.isSafeInteger(input.maxUses) || input.maxUses < 1)) {
      throw new CouponError('invalid_max_uses', 'maxUses must be a whole number of at least 1');
    }
    for (let tries = 0; tries < 5; tries++) {
      const f: FixedCode = {
        code: newFixedCode(),
        parkNumber,
        kind: input.kind,
        amount: input.amount,
        end: input.end,
        ...(input.maxUses !== undefined ? { maxUses: input.maxUses } : {}),
        uses: 0,
        disabled: false,
        label: input.label ?? '',
        issuer: issuerOf(op),
        createdAt: now,
        updatedAt: now,
      };
      if (await this.deps.coupons.insertFixed(f)) return f;
    }
    throw new Error('could not make a unique fixed code');
  }

  async listFixed(op: Operator, parkNumber: string): Promise<FixedCode[]> {
    assertParkAccess(op, parkNumber);
    return this.deps.coupons.listFixed(parkNumber, op.role === 'merchant' ? op.id : undefined);
  }

  /** Stop (or restart) a fixed code: a disabled code gives no new coupons; coupons given stay. */
  async setFixedDisabled(op: Operator, parkNumber: string, code: string, disabled: boolean): Promise<FixedCode> {
    assertParkAccess(op, parkNumber);
    const f = await this.deps.coupons.getFixed(code.toUpperCase());
    if (!f || f.parkNumber !== parkNumber || !mayManage(op, f)) throw new CouponError('not_found', `no fixed code ${code} in park ${parkNumber}`);
    return (await this.deps.coupons.setFixedDisabled(f.code, disabled, dateNow(this.deps.clock))) ?? f;
  }

  /**
   * FixedCouponCodes (4.24): the coupon this stay gets for a scanned fixed code. Idempotent per park + code +
   * orderId (a retried scan gets the same coupon, even after the code was used up or disabled). Undefined
   * when the text is not a fixed code of ours (then it is a payment code); AppError with the reason when it
   * is one but gives nothing: coupon_unknown, coupon_other_park, coupon_disabled, coupon_expired,
   * coupon_used_up, stay_unknown (no orderId).
   */
  async redeem(o: { parkNumber: string; code: string; orderId: string; plate: string }): Promise<FixedCoupon | undefined> {
    const code = o.code.trim().toUpperCase();
    if (!FIXED_CODE_PATTERN.test(code)) return undefined;
    const f = await this.deps.coupons.getFixed(code);
    if (!f) throw new CouponError('coupon_unknown', `no such coupon code ${code}`);
    if (f.parkNumber !== o.parkNumber) throw new CouponError('coupon_other_park', `coupon code ${code} is for another park`);
    if (!o.orderId) throw new CouponError('stay_unknown', 'a fixed coupon needs the stay (orderId)');
    const couponCode = `${code}_${o.orderId}`;
    for (let round = 0; round < 3; round++) {
      const given = await this.settledFixed(couponCode);
      if (given) return this.fixedCouponOf(given);

      const now = dateNow(this.deps.clock);
      const why = (x: FixedCode): AppError =>
        x.disabled
          ? new CouponError('coupon_disabled', `coupon code ${code} is no longer valid`)
          : x.end.getTime() < now.getTime()
            ? new CouponError('coupon_expired', `coupon code ${code} expired`)
            : new CouponError('coupon_used_up', `coupon code ${code} is used up`);
      const latest = (await this.deps.coupons.getFixed(code)) ?? f;
      if (latest.disabled || latest.end.getTime() < now.getTime()) throw why(latest);

      // The stay's coupon first (its code is the idempotency key: a concurrent scan of the same stay finds it
      // and waits for the outcome), then one use of the code; no use left → the coupon goes again.
      const coupon: Coupon = {
        couponCode,
        parkNumber: o.parkNumber,
        requestId: `fixed:${couponCode}`,
        kind: f.kind,
        amount: f.amount,
        end: f.end,
        orderId: o.orderId,
        plate: o.plate,
        plateKey: normalizePlate(o.plate),
        issuer: f.issuer,
        via: '4.24',
        fixedCode: code,
        status: 'issuing',
        attempts: 1,
        memo: f.label,
        createdAt: now,
        updatedAt: now,
      };
      if ((await this.deps.coupons.insert(coupon)) !== 'ok') continue; // a concurrent scan: wait for it
      const taken = await this.deps.coupons.takeFixedUse(code, now);
      if (!taken) {
        await this.deps.coupons.removeIssuing(couponCode);
        throw why((await this.deps.coupons.getFixed(code)) ?? latest);
      }
      // Answered to the lot in 4.24's discountContent: the lot applies it from that answer.
      const done = await this.deps.coupons.apply(couponCode, changes.fixedAnswered(dateNow(this.deps.clock)));
      this.deps.log?.info({ parkNumber: o.parkNumber, fixedCode: code, couponCode, orderId: o.orderId }, 'fixed coupon code redeemed');
      return this.fixedCouponOf(done ?? coupon);
    }
    throw new CouponError('coupon_busy', `coupon code ${code} is being redeemed for this stay right now; scan again`);
  }

  /** The stay's coupon of a fixed code once its redemption is settled (waits briefly while another scan settles it). */
  private async settledFixed(couponCode: string): Promise<Coupon | undefined> {
    for (let i = 0; i < 40; i++) {
      const c = await this.deps.coupons.get(couponCode);
      if (!c || c.status !== 'issuing') return c;
      await new Promise((r) => setTimeout(r, 25));
    }
    return this.deps.coupons.get(couponCode);
  }

  private fixedCouponOf(c: Coupon): FixedCoupon {
    return { couponCode: c.couponCode, mode: c.kind, amount: c.amount, end: c.end, id: '1' };
  }
}
