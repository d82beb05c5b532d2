/**
 * Passes' PassLot over the Bluecard client: 4.8 queryWhite to read a plate's entry, 4.6 synWhite to write
 * it. The client paces 4.6 per park (≥5 s after the lot's previous answer) and keeps to ≤50 entries a call;
 * its errors become core's LotCallError, so the order service retries, counts refusals and refunds.
 */
import type { LotWhiteEntry, PassLot } from '../../core/passes/model';
import type { Park } from '../../core/parks';
import { normalizePlate } from '../../../../shared/plate';
import type { BluecardClient } from './client';
import { lotError } from './lot-gateway';

export class BluecardPassLot implements PassLot {
  /**
   * `driverReads`: the client for reads a driver's screen waits on (a client whose 4.8 gives up within
   * DRIVER_WAIT_BUDGET_MS, retries included); the delivery's reads and writes take `client`.
   */
  constructor(
    private readonly client: BluecardClient,
    private readonly driverReads: BluecardClient = client,
  ) {}

  async entry(park: Park, plate: string, o: { driverWaits?: boolean } = {}): Promise<LotWhiteEntry | undefined> {
    const rows = await (o.driverWaits ? this.driverReads : this.client).queryWhite(park, [plate]).catch(lotError);
    const key = normalizePlate(plate);
    const r = rows.find((x) => normalizePlate(x.plate) === key);
    if (!r) return undefined;
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

  async write(park: Park, e: LotWhiteEntry): Promise<void> {
    await this.client
      .synWhite(park, [
        {
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
        },
      ])
      .catch(lotError);
  }
}
