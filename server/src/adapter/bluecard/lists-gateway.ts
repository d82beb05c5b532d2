/**
 * The lists service's ListsLot over the Bluecard client: 4.6 synWhite, 4.7 delWhite, 4.8 queryWhite,
 * 4.9 synBlack, 4.10 delBlack, 4.11 queryBlack. The client paces 4.6 and 4.9 (≥5 s after the lot's previous
 * answer, per park: one client per process) and retries the harmless calls itself; what is left of a
 * failure becomes a LotListError.
 */
import { LotListError, type BlackSend, type ListKind, type ListsLot, type WhiteDetails, type WhiteSend } from '../../core/lists/model';
import type { Park } from '../../core/parks';
import type { BluecardClient } from './client';
import { BluecardError } from './errors';

function listError(e: unknown): never {
  if (e instanceof BluecardError) {
    if (e.kind === 'rejected') throw new LotListError('refused', e.errorCode || e.detail);
    if (e.kind === 'invalid_request') throw new LotListError('invalid', e.detail);
    throw new LotListError('unreachable', e.detail);
  }
  throw e;
}

export class BluecardListsGateway implements ListsLot {
  constructor(private readonly client: BluecardClient) {}

  async upsertWhite(park: Park, entries: WhiteSend[]): Promise<void> {
    await this.client
      .synWhite(
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
      )
      .catch(listError);
  }

  async upsertBlack(park: Park, entries: BlackSend[]): Promise<void> {
    await this.client.synBlack(park, entries).catch(listError);
  }

  async remove(park: Park, list: ListKind, plate: string): Promise<void> {
    if (list === 'white') await this.client.delWhite(park, plate).catch(listError);
    else await this.client.delBlack(park, plate).catch(listError);
  }

  async clear(park: Park, list: ListKind): Promise<void> {
    if (list === 'white') await this.client.clearWhitelist(park).catch(listError);
    else await this.client.clearBlacklist(park).catch(listError);
  }

  async query(park: Park, list: ListKind, plates: string[]): Promise<{ plate: string; memo: string; white?: WhiteDetails }[]> {
    if (list === 'black') {
      const rows = await this.client.queryBlack(park, plates).catch(listError);
      return rows.map((r) => ({ plate: r.plate, memo: r.memo }));
    }
    const rows = await this.client.queryWhite(park, plates).catch(listError);
    return rows.map((r) => ({
      plate: r.plate,
      memo: r.memo,
      white: {
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
        areas: r.areasAndValidity.map((a) => ({ areaId: a.areaId ?? 0, start: a.start, end: a.end })),
      },
    }));
  }
}
