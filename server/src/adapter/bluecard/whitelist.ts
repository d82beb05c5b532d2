/**
 * The lot's whitelist as core keeps an entry (the operators' lists and monthly passes alike): 4.6 synWhite
 * to write entries, 4.8 queryWhite to read them. Every 4.6 goes through here and through the client's
 * pace slots (client.ts): ≤50 entries a call, ≥5 s after the lot's previous answer for the park, whichever
 * ParkPay process sent it. Errors are the client's BluecardError; each caller turns them into its own.
 */
import type { QueriedWhiteEntry } from '../../../../shared/bluecard';
import type { Park } from '../../core/parks';
import type { LotWhiteEntry } from '../../core/passes/model';
import type { BluecardClient } from './client';

/** A whitelist entry: dates are China days (yyyy-MM-dd); `areas` the validity per area ([] for the whole lot). */
export type WhiteRow = LotWhiteEntry;

export class BluecardWhitelist {
  constructor(private readonly client: BluecardClient) {}

  /** 4.6: upsert 1–50 entries, each replacing the lot's entry of its plate whole. */
  async write(park: Park, entries: readonly WhiteRow[]): Promise<void> {
    await this.client.synWhite(
      park,
      entries.map((e) => ({
        plate: e.plate,
        start: e.start,
        end: e.end,
        chargeType: e.chargeType,
        name: e.name,
        certificate: e.certificate,
        address: e.address,
        phone: e.phone,
        plateColor: e.plateColor,
        dept: e.dept,
        carType: e.carType,
        memo: e.memo,
        areasAndValidity: e.areas,
      })),
    );
  }

  /** 4.8: the lot's online entries of these plates, as the lot spells them. */
  async read(park: Park, plates: readonly string[]): Promise<WhiteRow[]> {
    return (await this.client.queryWhite(park, plates)).map(rowOf);
  }
}

function rowOf(r: QueriedWhiteEntry): WhiteRow {
  return {
    plate: r.plate,
    start: r.start,
    end: r.end,
    chargeType: r.chargeType,
    name: r.name,
    certificate: r.certificate,
    address: r.address,
    phone: r.phone,
    plateColor: r.plateColor,
    dept: r.dept,
    carType: r.carType,
    memo: r.memo,
    areas: r.areasAndValidity.map((a) => ({ areaId: a.areaId ?? 0, start: a.start, end: a.end })),
  };
}
