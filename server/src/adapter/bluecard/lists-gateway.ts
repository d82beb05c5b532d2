/**
 * The lists service's ListsLot over the Bluecard client: 4.6 synWhite and 4.8 queryWhite (the whitelist
 * writer monthly passes share, whitelist.ts), 4.7 delWhite, 4.9 synBlack, 4.10 delBlack, 4.11 queryBlack.
 * The client paces 4.6 and 4.9 (≥5 s after the lot's previous answer for the park, across processes: its
 * pace slots) and retries the harmless calls itself; what is left of a failure becomes a LotListError.
 */
import { LotListError, type BlackSend, type ListKind, type ListsLot, type WhiteDetails, type WhiteSend } from '../../core/lists/model';
import type { Park } from '../../core/parks';
import type { BluecardClient } from './client';
import { BluecardError } from './errors';
import { BluecardWhitelist } from './whitelist';

function listError(e: unknown): never {
  if (e instanceof BluecardError) {
    if (e.kind === 'rejected') throw new LotListError('refused', e.errorCode || e.detail);
    if (e.kind === 'invalid_request') throw new LotListError('invalid', e.detail);
    throw new LotListError('unreachable', e.detail);
  }
  throw e;
}

export class BluecardListsGateway implements ListsLot {
  private readonly whitelist: BluecardWhitelist;
  constructor(private readonly client: BluecardClient) {
    this.whitelist = new BluecardWhitelist(client);
  }

  async upsertWhite(park: Park, entries: WhiteSend[]): Promise<void> {
    await this.whitelist.write(park, entries).catch(listError);
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
    const rows = await this.whitelist.read(park, plates).catch(listError);
    return rows.map(({ plate, memo, ...white }) => ({ plate, memo, white }));
  }
}
