/**
 * Parks: the lots ParkPay serves, each with the key Bluecard issued for it (the request signature made from
 * it is the Bluecard adapter's, adapter/bluecard/requests.ts).
 */

export interface Park {
  parkNumber: string;
  /** Bluecard's key for this park (secret). */
  key: string;
  /** Base URL of the park's Bluecard cloud; down calls go to <base>/bcopenapi/out/<name>. */
  bluecardBaseUrl: string;
  name?: string;
  /**
   * Where this park's Bluecard cloud calls from (CIDRs or addresses): when set, its calls are taken only from
   * there (port/bluecard/call-guard.ts). Set in the configuration; a production park without one is warned of.
   */
  bluecardSources?: string[];
  /** What ParkPay does for this park (operators edit it); absent fields take the defaults named. */
  settings?: ParkSettings;
}

export interface ParkSettings {
  /** 4.16 fallback QR: WeChat Native code_url or Alipay precreate qr_code. Default: the first configured provider, WeChat first. */
  laneQrProvider?: 'wechat' | 'alipay';
  /**
   * 4.27 third-party channel pay: 'secured' (default) answers success only when the money is taken;
   * 'accepted' also when the provider accepted the deduction and guarantees it (WeChat parking service ACCEPTED).
   */
  channelPayPolicy?: 'secured' | 'accepted';
  /**
   * Caps on what a lane may take from one withholding agreement (4.16, 4.27): per deduction and per agreement
   * per China day (defaults in core/lanepay/deduction-trust.ts: ¥100 and ¥200).
   */
  withholding?: { maxPerDeductionFen?: number; maxPerDayFen?: number };
  /** 4.28 open-gate rules; both default to on. */
  openGate?: { blacklist?: boolean; bookings?: boolean };
  /** What drivers read about prices and service; informative only (the lot prices every stay itself). */
  service?: { tariffText?: string; freeMinutes?: number | null; paidFreeMinutes?: number | null; phone?: string; address?: string };
}

/** The park's service information as drivers see it: every field said or null. */
export function parkServiceInfo(park: Park): { tariffText: string | null; freeMinutes: number | null; paidFreeMinutes: number | null; phone: string | null; address: string | null } {
  const s = park.settings?.service;
  return {
    tariffText: s?.tariffText || null,
    freeMinutes: s?.freeMinutes ?? null,
    paidFreeMinutes: s?.paidFreeMinutes ?? null,
    phone: s?.phone || null,
    address: s?.address || null,
  };
}

/** Where the port looks parks up. */
export interface ParkDirectory {
  get(parkNumber: string): Promise<Park | undefined>;
}

/** A fixed directory (configuration parks; tests). */
export class StaticParkDirectory implements ParkDirectory {
  private readonly byNumber: Map<string, Park>;
  constructor(parks: Park[]) {
    this.byNumber = new Map(parks.map((p) => [p.parkNumber, p]));
  }
  async get(parkNumber: string): Promise<Park | undefined> {
    return this.byNumber.get(parkNumber);
  }
}
