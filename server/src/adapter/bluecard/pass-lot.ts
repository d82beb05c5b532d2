/**
 * Passes' PassLot over the lot's whitelist (whitelist.ts): 4.8 queryWhite to read a plate's entry, 4.6
 * synWhite to write it, paced per park across processes by the client's slots. Errors become core's
 * LotCallError, so the order service retries, counts refusals and refunds.
 */
import type { LotWhiteEntry, PassLot } from '../../core/passes/model';
import type { Park } from '../../core/parks';
import { normalizePlate } from '../../../../shared/plate';
import type { BluecardClient } from './client';
import { lotError } from './lot-gateway';
import { BluecardWhitelist } from './whitelist';

export class BluecardPassLot implements PassLot {
  private readonly whitelist: BluecardWhitelist;
  private readonly driverWhitelist: BluecardWhitelist;

  /**
   * `driverReads`: the client for reads a driver's screen waits on (a client whose 4.8 gives up within
   * DRIVER_WAIT_BUDGET_MS, retries included); the delivery's reads and writes take `client`.
   */
  constructor(client: BluecardClient, driverReads: BluecardClient = client) {
    this.whitelist = new BluecardWhitelist(client);
    this.driverWhitelist = new BluecardWhitelist(driverReads);
  }

  async entry(park: Park, plate: string, o: { driverWaits?: boolean } = {}): Promise<LotWhiteEntry | undefined> {
    const rows = await (o.driverWaits ? this.driverWhitelist : this.whitelist).read(park, [plate]).catch(lotError);
    const key = normalizePlate(plate);
    return rows.find((x) => normalizePlate(x.plate) === key);
  }

  async write(park: Park, e: LotWhiteEntry): Promise<void> {
    await this.whitelist.write(park, [e]).catch(lotError);
  }
}
