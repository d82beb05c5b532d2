/**
 * Whether a lane may take money from a driver's agreement at all (4.16 withholding, 4.27 channel pay).
 *
 * Bluecard's sign is md5(key + parkNumber): the same on every call of a park, so whoever has seen one call
 * (a log, a proxy, a former employee) can send any 4.16/4.27 with it, for any plate and amount. The sign
 * says only "someone who knows this park's sign"; what says that a charge is owed is the lot's own record.
 * So before any money moves for a new outTradeNo (and again before a retry after a failure):
 *  1. the amount is at most the park's cap per deduction (park setting `withholding.maxPerDeductionFen`);
 *  2. the plate has an open stay at this park from the lot's own 4.2 record — the stay the outTradeNo
 *     names when it names one (`parkNumber_lane_orderId_HHmmss`);
 *  3. the amount is at most what the lot itself prices that stay at now: we ask it (4.4 getChargebf, a
 *     call WE make to the lot's registered address with our sign — a replayed sign cannot answer it).
 * The daily cap per agreement (`withholding.maxPerDayFen`) is kept by the deduction itself
 * (lane-deductions.ts: a reservation per agreement and China day, made atomically before the provider call).
 * An agreement covers only the parks the driver agreed to (AgreementService.liveForPlate).
 *
 * Refusals that look like forgery (no such stay, more than the lot's price) are reported to `alerts`.
 */
import { normalizePlate } from '../../../../shared/plate';
import { fenToYuan } from '../../../../shared/money';
import type { LotRecordsRepository, Stay } from '../lot/model';
import { LotCallError, type LotGateway } from '../orders/gateways';
import type { Park } from '../parks';
import { parseOutTradeNo } from './lane-qr-trade';
import type { Log } from '../log';

/** Caps on what one agreement may be charged, per park (park settings `withholding`; these are the defaults). */
export interface DeductionLimits {
  /** At most this much in one deduction. */
  maxPerDeductionFen: number;
  /** At most this much per agreement per China day, whatever parks it was taken at. */
  maxPerDayFen: number;
}

/** ¥100 in one deduction, ¥200 a day per agreement: above a day at most lots; a park with dearer stays raises them. */
export const DEFAULT_DEDUCTION_LIMITS: DeductionLimits = { maxPerDeductionFen: 10_000, maxPerDayFen: 20_000 };

export function deductionLimits(park: Park): DeductionLimits {
  const w = park.settings?.withholding;
  return {
    maxPerDeductionFen: w?.maxPerDeductionFen ?? DEFAULT_DEDUCTION_LIMITS.maxPerDeductionFen,
    maxPerDayFen: w?.maxPerDayFen ?? DEFAULT_DEDUCTION_LIMITS.maxPerDayFen,
  };
}

export type TrustRefusalCode = 'over_limit' | 'no_stay' | 'amount_exceeds_fee' | 'price_unconfirmed';

export type TrustRefusal = { ok: false; code: TrustRefusalCode; reason: string };

/** Where refusals that look like a forged lot call are told (the port's abnormal-calls monitor logs an alert). */
export interface TrustAlerts {
  suspicious(parkNumber: string, kind: string, detail: Record<string, unknown>): void;
}

export interface DeductionRequestFacts {
  outTradeNo: string;
  plate: string;
  amountFen: number;
  via: string;
}

/**
 * The two steps, in this order: `admit` (the cap per deduction and the open stay: our own records, no
 * outside call), then — only when the plate has an agreement to take from — `confirmPrice` (the lot's 4.4).
 */
export interface DeductionTrust {
  admit(park: Park, req: DeductionRequestFacts): Promise<{ ok: true; stay: Stay } | TrustRefusal>;
  confirmPrice(park: Park, req: DeductionRequestFacts, stay: Stay): Promise<{ ok: true; lotFeeFen: number } | TrustRefusal>;
}

export interface DeductionGuardDeps {
  stays: Pick<LotRecordsRepository, 'findStay' | 'staysInPark'>;
  /** The lot's own pricing (4.4). */
  lot: Pick<LotGateway, 'priceStay'>;
  alerts?: TrustAlerts;
  log?: Pick<Log, 'warn'>;
}

export class DeductionGuard implements DeductionTrust {
  constructor(private readonly deps: DeductionGuardDeps) {}

  async admit(park: Park, req: DeductionRequestFacts): Promise<{ ok: true; stay: Stay } | TrustRefusal> {
    const limits = deductionLimits(park);
    if (req.amountFen > limits.maxPerDeductionFen) {
      return this.refuse(park, req, 'over_limit', `over_limit: ${fenToYuan(req.amountFen)} yuan is more than this park allows in one deduction (${fenToYuan(limits.maxPerDeductionFen)})`, false);
    }
    const stay = await this.openStay(park, req);
    if (!stay) {
      const named = parseOutTradeNo(req.outTradeNo, park.parkNumber) ? ' for the stay this outTradeNo names' : '';
      return this.refuse(park, req, 'no_stay', `no_stay: the lot has sent ParkPay no open entry record of ${req.plate} in this park${named}`, true);
    }
    return { ok: true, stay };
  }

  async confirmPrice(park: Park, req: DeductionRequestFacts, stay: Stay): Promise<{ ok: true; lotFeeFen: number } | TrustRefusal> {
    let lotFeeFen: number;
    try {
      lotFeeFen = (await this.deps.lot.priceStay(park, { orderId: stay.orderId, plate: stay.plate })).quote.payFen;
    } catch (e) {
      if (e instanceof LotCallError && e.refused) {
        return this.refuse(park, req, 'no_stay', `no_stay: the lot does not price this stay (${e.errorCode ?? e.message})`, true);
      }
      this.deps.log?.warn({ parkNumber: park.parkNumber, outTradeNo: req.outTradeNo, err: (e as Error).message }, 'deduction: the lot could not confirm its price (4.4)');
      return { ok: false, code: 'price_unconfirmed', reason: 'price_unconfirmed: the lot could not be asked for its price of this stay (4.4); ask again' };
    }
    if (req.amountFen > lotFeeFen) {
      return this.refuse(park, req, 'amount_exceeds_fee', `amount_exceeds_fee: the lot prices this stay at ${fenToYuan(lotFeeFen)} yuan now, not ${fenToYuan(req.amountFen)}`, true);
    }
    return { ok: true, lotFeeFen };
  }

  /** The plate's open stay in this park: the one the outTradeNo names (when it names one), else the newest. */
  private async openStay(park: Park, req: { outTradeNo: string; plate: string }): Promise<Stay | undefined> {
    const plateKey = normalizePlate(req.plate);
    if (!plateKey) return undefined;
    const parts = parseOutTradeNo(req.outTradeNo, park.parkNumber);
    if (parts) {
      const named = await this.deps.stays.findStay(park.parkNumber, parts.orderId);
      return named && named.status === 'in' && named.plateKey === plateKey ? named : undefined;
    }
    return (await this.deps.stays.staysInPark(park.parkNumber, plateKey))[0];
  }

  private refuse(park: Park, req: DeductionRequestFacts, code: TrustRefusalCode, reason: string, suspicious: boolean): TrustRefusal {
    if (suspicious) {
      this.deps.alerts?.suspicious(park.parkNumber, `deduction_${code}`, { via: req.via, outTradeNo: req.outTradeNo, amountFen: req.amountFen });
    }
    return { ok: false, code, reason };
  }
}
