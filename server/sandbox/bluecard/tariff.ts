/**
 * The sandbox lot's tariff, in integer fen. The model (a common one in Chinese lots):
 *
 * - a stay of at most `freeMinutes` costs nothing (a grace period: a longer stay pays from its first minute);
 * - otherwise every started hour costs `perHourFen`;
 * - each whole 24 h of the stay costs at most `dailyCapFen`, and so does the rest after the last whole 24 h;
 * - after a payment the car may stay `paidFreeMinutes` more without owing anything (4.4 paidfreeTime).
 *
 * Example with the default (15 min free, 2.00/h, 20.00 per 24 h): 10 min → 0; 61 min → 2 started hours =
 * 4.00; 25 h → 20.00 + 2.00 = 22.00.
 */

export interface TariffDefinition {
  freeMinutes: number;
  perHourFen: number;
  dailyCapFen: number;
  paidFreeMinutes: number;
}

export const DEFAULT_TARIFF: TariffDefinition = {
  freeMinutes: 15,
  perHourFen: 200,
  dailyCapFen: 2000,
  paidFreeMinutes: 15,
};

const MINUTE = 60_000;
const HOUR = 60 * MINUTE;
const DAY = 24 * HOUR;

export function tariffOf(partial: Partial<TariffDefinition> | undefined): TariffDefinition {
  const t = { ...DEFAULT_TARIFF, ...(partial ?? {}) };
  for (const [k, v] of Object.entries(t)) {
    if (!Number.isSafeInteger(v) || v < 0) throw new Error(`tariff ${k} must be a non-negative integer, got ${String(v)}`);
  }
  return t;
}

/** What a stay of `durationMs` costs, in fen. */
export function chargeFen(tariff: TariffDefinition, durationMs: number): number {
  if (durationMs <= tariff.freeMinutes * MINUTE) return 0;
  const days = Math.floor(durationMs / DAY);
  const rest = durationMs - days * DAY;
  const restFen = Math.min(tariff.dailyCapFen, Math.ceil(rest / HOUR) * tariff.perHourFen);
  return days * tariff.dailyCapFen + restFen;
}

/**
 * What `discountMinutes` of free time take off a stay of `durationMs`: the charge of the whole stay minus
 * the charge of the stay shortened by the discount (4.4 couponTime, 4.23 hour coupons).
 */
export function timeDiscountFen(tariff: TariffDefinition, durationMs: number, discountMinutes: number): number {
  if (discountMinutes <= 0) return 0;
  const shortened = Math.max(0, durationMs - discountMinutes * MINUTE);
  return chargeFen(tariff, durationMs) - chargeFen(tariff, shortened);
}
