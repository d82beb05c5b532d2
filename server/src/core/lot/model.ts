/**
 * What the lot tells us (Bluecard's up calls), as ParkPay keeps it. Money is integer fen, times are
 * instants; the lot's original spellings (plates, picture names, raw records) are kept beside them.
 */

/** One car's visit, keyed by park + Bluecard's orderId (4.2 entry record, closed by a 4.3 exit record). */
export interface Stay {
  parkNumber: string;
  orderId: string;
  /** Plate as the lot spelled it ("京 A12345"), "" for an unlicensed car. */
  plate: string;
  /** normalizePlate(plate): what lookups use. */
  plateKey: string;
  ticketCode: string;
  status: 'in' | 'out';
  entry?: StayEntry;
  exit?: StayExit;
}

export interface StayEntry {
  inTime: Date | null;
  inChannel: string;
  inImage: string;
  carType: string;
  plateColor: string;
  /** The record as received (tolerantly parsed; extra fields kept). */
  record: Record<string, unknown>;
  receivedAt: Date;
}

export interface StayExit {
  inTime: Date | null;
  outTime: Date | null;
  outChannel: string;
  outImage: string;
  /** chargeStatistics in fen. */
  chargeFen: number;
  onLineChargeFen: number;
  offLineChargeFen: number;
  profitChargeTotalFen: number;
  /** chargeList, amounts in fen (reconciliation input). */
  charges: { payNo: string; getTime: Date | null; payChargeFen: number; payKind: string; payChannel: string; memo: string }[];
  record: Record<string, unknown>;
  receivedAt: Date;
}

export interface HeartbeatArea {
  areaId: number | undefined;
  areaName: string;
  spaceCount: number | undefined;
  freeSpaceCount: number | undefined;
  bookSpaceCount: number | undefined;
  bookInParkCount: number | undefined;
}

export interface Heartbeat {
  parkNumber: string;
  parkName: string;
  spaceCount: number | undefined;
  freeSpaceCount: number | undefined;
  bookSpaceCount: number | undefined;
  bookInParkCount: number | undefined;
  areas: HeartbeatArea[];
  receivedAt: Date;
}

export interface LotImage {
  parkNumber: string;
  imageName: string;
  mime: string;
  data: Buffer;
  bytes: number;
  sha256: string;
  receivedAt: Date;
}

/** 4.15: one charge the lot took (cash, WeChat, Alipay, …). */
export interface LotCharge {
  parkNumber: string;
  /** payNo when the lot gave one, else a digest of the record: what makes a resend a duplicate. */
  dedupeKey: string;
  orderId: string;
  plate: string;
  plateKey: string;
  inTime: Date | null;
  outTime: Date | null;
  payKind: string;
  payChannel: string;
  chargeFen: number;
  realChargeFen: number;
  couponChargeFen: number;
  record: Record<string, unknown>;
  receivedAt: Date;
}

/** 4.21: a lane (passageway). */
export interface Lane {
  parkNumber: string;
  passagewayId: string;
  name: string;
  sourceAreaId: string;
  targetAreaId: string;
  updatedAt: Date;
}

/** 4.31: a monthly/annual card payment made at the lot. */
export interface Renewal {
  parkNumber: string;
  dedupeKey: string;
  /** "京Q1NY80/京N830S1" split on "/". */
  plates: string[];
  plateKeys: string[];
  payTime: Date | null;
  payChargeFen: number;
  feeMonths: number;
  end: Date | null;
  record: Record<string, unknown>;
  receivedAt: Date;
}

/** 4.32: one entry of the lot's whole whitelist (online and offline). */
export interface LotWhitelistEntry {
  parkNumber: string;
  /** What identifies the entry: `id:<fixedId>`, or `plate:<plateKey>` when the lot sent no fixedId. */
  entryKey: string;
  fixedId: number | undefined;
  plate: string;
  plateKey: string;
  /** '1' issued online, '2' entered at the lot. */
  source: string;
  /** Bluecard's timeStamp of the change (ms); a change older than the stored one is ignored. */
  changedAt: number;
  deleted: boolean;
  record: Record<string, unknown>;
  receivedAt: Date;
}

/** Persistence the lot-records service needs (implemented under repository/). */
export interface LotRecordsRepository {
  saveHeartbeat(h: Heartbeat): Promise<void>;
  latestHeartbeat(parkNumber: string): Promise<Heartbeat | undefined>;
  /** Store an entry; false when park+orderId already had one (a resend: nothing changes). */
  recordEntry(s: { parkNumber: string; orderId: string; plate: string; plateKey: string; ticketCode: string; entry: StayEntry }): Promise<boolean>;
  /** Store a batch of one park's entries at once; per entry, whether it was new (as recordEntry). */
  recordEntries(parkNumber: string, list: { parkNumber: string; orderId: string; plate: string; plateKey: string; ticketCode: string; entry: StayEntry }[]): Promise<boolean[]>;
  /** Close a stay (creating it when its entry never reached us); false when the exit was already recorded. */
  recordExit(s: { parkNumber: string; orderId: string; plate: string; plateKey: string; ticketCode: string; exit: StayExit }): Promise<boolean>;
  findStay(parkNumber: string, orderId: string): Promise<Stay | undefined>;
  /** Cars of this plate still in the park, newest entry first. */
  staysInPark(parkNumber: string, plateKey: string): Promise<Stay[]>;
  saveImage(img: LotImage): Promise<void>;
  findImage(parkNumber: string, imageName: string): Promise<LotImage | undefined>;
  /** false when a charge with this dedupeKey was already stored. */
  recordCharge(c: LotCharge): Promise<boolean>;
  upsertLane(l: Lane): Promise<void>;
  lanes(parkNumber: string): Promise<Lane[]>;
  /** false when already stored. */
  recordRenewal(r: Renewal): Promise<boolean>;
  /**
   * Apply one whitelist change (by entryKey) unless a newer one (changedAt) is already stored. Deletes leave a
   * tombstone so a late resend of an older add cannot bring the entry back. Returns whether it applied.
   */
  applyWhitelistChange(e: LotWhitelistEntry): Promise<boolean>;
  lotWhitelist(parkNumber: string): Promise<LotWhitelistEntry[]>;
}
