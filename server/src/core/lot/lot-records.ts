/**
 * What we do with the records the lot pushes (4.1, 4.2, 4.3, 4.14, 4.15, 4.21, 4.31, 4.32). Bluecard resends
 * until it gets `success`, so every step is idempotent: a resend stores nothing new and answers success.
 */
import { createHash } from 'node:crypto';
import type {
  ChargeRecord,
  EntryRecord,
  ExitRecord,
  FixedListUpRequest,
  HeartbeatRequest,
  ChannelsRequest,
  RenewalsRequest,
} from '../../../../shared/bluecard';
import { repairBase64 } from '../../../../shared/bluecard';
import { yuanToFen } from '../../../../shared/money';
import { normalizePlate } from '../../../../shared/plate';
import { parseChinaTime } from '../../../../shared/time';
import { AppError } from '../errors';
import type { Clock } from '../clock';
import type { LotRecordsRepository, StayExit } from './model';

/** A China time as given, or null when empty or unreadable (the raw record keeps the text). */
export function timeOrNull(text: string | undefined): Date | null {
  if (!text) return null;
  try {
    return parseChinaTime(text);
  } catch {
    return null;
  }
}

/** Yuan → fen for figures the schema already checked; "" (a missing informational figure) counts 0. */
const fen = (yuan: string | undefined) => (yuan ? yuanToFen(yuan) : 0);

/** Stable digest of a record, for records with no id of their own (key order does not matter). */
export function digestOf(value: unknown): string {
  const canonical = (v: unknown): unknown =>
    Array.isArray(v)
      ? v.map(canonical)
      : v && typeof v === 'object'
        ? Object.fromEntries(Object.keys(v).sort().map((k) => [k, canonical((v as Record<string, unknown>)[k])]))
        : v;
  return createHash('sha256').update(JSON.stringify(canonical(value))).digest('hex');
}

export interface ImagePolicy {
  /** Decoded size cap; larger pictures are refused (the lot keeps them and 4.20 still finds them). */
  maxBytes: number;
}

const MAGIC: [string, number[]][] = [
  ['image/jpeg', [0xff, 0xd8, 0xff]],
  ['image/png', [0x89, 0x50, 0x4e, 0x47]],
  ['image/gif', [0x47, 0x49, 0x46]],
  ['image/bmp', [0x42, 0x4d]],
  ['image/webp', [0x52, 0x49, 0x46, 0x46]],
];

/** 4.14's base64: '+' may arrive as ' ' (the spec says so), a data: prefix may lead; strict otherwise. */
export function decodeLotImage(image: string): { data: Buffer; mime: string } {
  const b64 = repairBase64(image.trim()).replace(/^data:[\w/+.-]+;base64,/, '');
  if (!/^[A-Za-z0-9+/]*={0,2}$/.test(b64) || b64.length % 4 === 1) {
    throw new AppError('bad_image', 'image is not base64');
  }
  const data = Buffer.from(b64, 'base64');
  if (data.length === 0) throw new AppError('bad_image', 'image is empty');
  const mime = MAGIC.find(([, sig]) => sig.every((b, i) => data[i] === b))?.[0] ?? 'application/octet-stream';
  return { data, mime };
}

export class LotRecordsService {
  constructor(
    private readonly repo: LotRecordsRepository,
    private readonly clock: Clock,
    private readonly images: ImagePolicy = { maxBytes: 2 * 1024 * 1024 },
  ) {}

  private now() {
    return new Date(this.clock.now());
  }

  /** 4.1: latest state per park (and per area), history kept. */
  async heartbeat(req: HeartbeatRequest): Promise<void> {
    await this.repo.saveHeartbeat({
      parkNumber: req.parkNumber,
      parkName: req.parkName,
      spaceCount: req.spaceCount,
      freeSpaceCount: req.freeSpaceCount,
      bookSpaceCount: req.bookSpaceCount,
      bookInParkCount: req.bookInParkCount,
      areas: req.areaList.map((a) => ({
        areaId: a.areaId,
        areaName: a.areaName,
        spaceCount: a.spaceCount,
        freeSpaceCount: a.lastSpaceCount,
        bookSpaceCount: a.bookSpaceCount,
        bookInParkCount: a.bookInParkCount,
      })),
      receivedAt: this.now(),
    });
  }

  /** 4.2: one stay per park + orderId; a resent record changes nothing. */
  async entries(parkNumber: string, records: EntryRecord[]): Promise<{ stored: number; duplicates: number }> {
    let stored = 0;
    for (const r of records) {
      const fresh = await this.repo.recordEntry({
        parkNumber,
        orderId: r.orderId,
        plate: r.plate,
        plateKey: normalizePlate(r.plate),
        ticketCode: r.ticketCode,
        entry: {
          inTime: timeOrNull(r.inTime),
          inChannel: r.inChannel,
          inImage: r.inImage,
          carType: r.carType,
          plateColor: r.plateColor,
          record: r as Record<string, unknown>,
          receivedAt: this.now(),
        },
      });
      if (fresh) stored++;
    }
    return { stored, duplicates: records.length - stored };
  }

  /** 4.3: close the stay (charge = onLine + offLine + profitChargeTotal, kept in fen). */
  async exits(parkNumber: string, records: ExitRecord[]): Promise<{ stored: number; duplicates: number }> {
    let stored = 0;
    for (const r of records) {
      const cs = r.chargeStatistics;
      const exit: StayExit = {
        inTime: timeOrNull(r.passInfo.inTime),
        outTime: timeOrNull(r.passInfo.outTime),
        outChannel: r.passInfo.outChannel,
        outImage: r.passInfo.outImage,
        chargeFen: fen(cs.charge),
        onLineChargeFen: fen(cs.onLineCharge),
        offLineChargeFen: fen(cs.offLineCharge),
        profitChargeTotalFen: fen(cs.profitChargeTotal),
        charges: r.chargeList.map((c) => ({
          payNo: c.payNo,
          getTime: timeOrNull(c.getTime),
          payChargeFen: fen(c.payCharge),
          payKind: c.payKind,
          payChannel: c.payChannel,
          memo: c.memo,
        })),
        record: r as Record<string, unknown>,
        receivedAt: this.now(),
      };
      const fresh = await this.repo.recordExit({
        parkNumber,
        orderId: r.orderId,
        plate: r.carInfo.plate,
        plateKey: normalizePlate(r.carInfo.plate),
        ticketCode: r.carInfo.ticketCode,
        exit,
      });
      if (fresh) stored++;
    }
    return { stored, duplicates: records.length - stored };
  }

  /** 4.14: decode (repairing '+'), cap the size, keep by name (a resend replaces it with the same bytes). */
  async image(parkNumber: string, imageName: string, image: string): Promise<{ bytes: number }> {
    const { data, mime } = decodeLotImage(image);
    if (data.length > this.images.maxBytes) {
      throw new AppError('image_too_large', `image is ${data.length} bytes; at most ${this.images.maxBytes} are kept`);
    }
    await this.repo.saveImage({
      parkNumber,
      imageName,
      mime,
      data,
      bytes: data.length,
      sha256: createHash('sha256').update(data).digest('hex'),
      receivedAt: this.now(),
    });
    return { bytes: data.length };
  }

  /** 4.15: reconciliation input; deduplicated by payNo, or by the record itself when it has none. */
  async charges(parkNumber: string, records: ChargeRecord[]): Promise<{ stored: number; duplicates: number }> {
    let stored = 0;
    for (const r of records) {
      const fresh = await this.repo.recordCharge({
        parkNumber,
        dedupeKey: r.payNo ? `payNo:${r.payNo}` : `digest:${digestOf(r)}`,
        orderId: r.orderId,
        plate: r.plate,
        plateKey: normalizePlate(r.plate),
        inTime: timeOrNull(r.inTime),
        outTime: timeOrNull(r.outTime),
        payKind: r.payKind,
        payChannel: r.payChannel,
        chargeFen: fen(r.charge),
        realChargeFen: fen(r.realCharge),
        couponChargeFen: fen(r.couponCharge),
        record: r as Record<string, unknown>,
        receivedAt: this.now(),
      });
      if (fresh) stored++;
    }
    return { stored, duplicates: records.length - stored };
  }

  /** 4.21: lanes are upserted by passagewayId (the lot only sends what changed; nothing is removed). */
  async channels(req: ChannelsRequest): Promise<void> {
    for (const d of req.datas) {
      await this.repo.upsertLane({
        parkNumber: req.parkNumber,
        passagewayId: d.passagewayId,
        name: d.passagewayName,
        sourceAreaId: d.sourceAreaId,
        targetAreaId: d.targetAreaId,
        updatedAt: this.now(),
      });
    }
  }

  /** 4.31: fixed-car renewals; one plate field may hold several plates joined by "/". */
  async renewals(req: RenewalsRequest): Promise<{ stored: number; duplicates: number }> {
    let stored = 0;
    for (const r of req.datas) {
      const plates = r.plate.split('/').map((p) => p.trim()).filter(Boolean);
      const id = r.placeFeeOrderRecId || r.orderNo;
      const fresh = await this.repo.recordRenewal({
        parkNumber: req.parkNumber,
        dedupeKey: id ? `id:${id}` : `digest:${digestOf(r)}`,
        plates,
        plateKeys: plates.map(normalizePlate),
        payTime: timeOrNull(r.payTime),
        payChargeFen: fen(r.payCharge),
        feeMonths: Number(r.feeMonth) || 0,
        end: timeOrNull(r.end),
        record: r as Record<string, unknown>,
        receivedAt: this.now(),
      });
      if (fresh) stored++;
    }
    return { stored, duplicates: req.datas.length - stored };
  }

  /** 4.32: operate 1 add / 2 change / 3 delete, applied in timeStamp order per fixedId. */
  async whitelistSync(req: FixedListUpRequest): Promise<{ applied: number; stale: number }> {
    let applied = 0;
    for (const d of req.datas) {
      const plateKey = normalizePlate(d.plate);
      const ok = await this.repo.applyWhitelistChange({
        parkNumber: req.parkNumber,
        // fixedId identifies an entry (operate 2 may change its plate); the spec's own example omits it,
        // and then the plate is all we have.
        entryKey: d.fixedId !== undefined ? `id:${d.fixedId}` : `plate:${plateKey}`,
        fixedId: d.fixedId,
        plate: d.plate,
        plateKey,
        source: d.source,
        changedAt: Number(d.timeStamp) || 0,
        deleted: d.operate === '3',
        record: d as Record<string, unknown>,
        receivedAt: this.now(),
      });
      if (ok) applied++;
    }
    return { applied, stale: req.datas.length - applied };
  }
}
