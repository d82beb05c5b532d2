/** The order service's LotGateway over the Bluecard client (4.4, 4.30, 4.5). */
import { LotCallError, type LotGateway, type PricedStay, type SendPayRes } from '../../core/orders/gateways';
import type { Park } from '../../core/parks';
import type { BluecardClient, PricedStay as BluecardPriced, PricedUnlicensedStay } from './client';
import { BluecardError } from './errors';

const minutes = (s: string | undefined) => {
  const n = Number(s);
  return Number.isFinite(n) && n >= 0 ? Math.floor(n) : 0;
};

function toQuote(p: BluecardPriced | PricedUnlicensedStay): PricedStay {
  return {
    outTradeNo: p.outTradeNo,
    quote: {
      chargeFen: p.fen.charge,
      paidTotalFen: p.fen.paidTotal,
      profitChargeTotalFen: p.fen.profitChargeTotal,
      payFen: p.fen.payCharge,
      inTime: p.inTime,
      getTime: p.getTime,
      stopMinutes: minutes(p.stopTimeTotal),
      paidFreeMinutes: minutes(p.paidfreeTime),
      profitMinutes: minutes(p.profitTimeTotal),
      imgName: p.imgName,
    },
  };
}

/** A Bluecard client error as core's LotCallError (anything else as it is). */
export function lotError(e: unknown): never {
  if (e instanceof BluecardError) {
    throw new LotCallError(e.message, e.retryable, e.kind === 'rejected', e.errorCode, e.kind === 'timeout');
  }
  throw e;
}

export class BluecardLotGateway implements LotGateway {
  constructor(private readonly client: BluecardClient) {}

  async priceStay(park: Park, stay: { orderId: string; plate: string }): Promise<PricedStay> {
    return toQuote(await this.client.getChargebf(park, stay).catch(lotError));
  }

  async unlicensedEntry(park: Park, who: { codeKind: '1' | '2'; authId: string; passagewayId: string }) {
    const r = await this.client.unlicensedCarIn(park, who).catch(lotError);
    return { plate: r.plate, inTime: r.inTime, inImage: r.inImage };
  }

  async unlicensedExit(park: Park, who: { codeKind: '1' | '2'; authId: string; passagewayId: string }) {
    const p = await this.client.unlicensedCarOut(park, who).catch(lotError);
    return { ...toQuote(p), orderId: p.orderId, plate: p.plate };
  }

  async sendPayRes(park: Park, pay: SendPayRes): Promise<void> {
    await this.client.sendPayRes(park, pay).catch(lotError);
  }
}
