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
import { LotError } from './errors';
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

/** How deep a record the lot sends may nest (its own records nest 3 levels; 4.32's areas 3). */
export const MAX_RECORD_DEPTH = 16;

/**
 * Why a record cannot be kept as the lot sent it, or undefined when it can: a number that is not finite
 * (JSON's 1e309 reads as Infinity, which neither the database nor JSON can hold) or nesting deeper than
 * MAX_RECORD_DEPTH. Walked with an explicit stack: any depth is looked at without recursion.
 */
export function recordProblem(record: unknown, maxDepth = MAX_RECORD_DEPTH): string | undefined {
  const stack: { v: unknown; path: (string | number)[] }[] = [{ v: record, path: [] }];
  while (stack.length) {
    const { v, path } = stack.pop()!;
    const at = path.length ? path.join('.') : '(record)';
    if (typeof v === 'number' && !Number.isFinite(v)) return `${at}: not a finite number`;
    if (v === null || typeof v !== 'object' || v instanceof Date) continue;
    if (path.length >= maxDepth) return `${at}: nested deeper than ${maxDepth} levels`;
    for (const [k, child] of Array.isArray(v) ? v.entries() : Object.entries(v)) stack.push({ v: child, path: [...path, k] });
  }
  return undefined;
}

/**
 * Stable digest of a record, for records with no id of their own (key order does not matter): sha256 of
 * its canonical JSON (keys sorted), written with an explicit stack so no nesting overflows the call stack.
 */
export function digestOf(value: unknown): string {
  const hash = createHash('sha256');
  type Frame = { kind: 'value'; v: unknown } | { kind: 'text'; t: string };
  const stack: Frame[] = [{ kind: 'value', v: value }];
  while (stack.length) {
    const f = stack.pop()!;
    if (f.kind === 'text') {
      hash.update(f.t);
      continue;
    }
    const v = f.v;
    if (Array.isArray(v)) {
      // Pushed in reverse: popped (written) in order.
      stack.push({ kind: 'text', t: ']' });
      for (let i = v.length - 1; i >= 0; i--) {
        stack.push({ kind: 'value', v: v[i] === undefined ? null : v[i] });
        if (i > 0) stack.push({ kind: 'text', t: ',' });
      }
      hash.update('[');
    } else if (v && typeof v === 'object') {
      const keys = Object.keys(v)
        .filter((k) => (v as Record<string, unknown>)[k] !== undefined)
        .sort();
      stack.push({ kind: 'text', t: '}' });
      for (let i = keys.length - 1; i >= 0; i--) {
        stack.push({ kind: 'value', v: (v as Record<string, unknown>)[keys[i]!] });
        stack.push({ kind: 'text', t: `${i > 0 ? ',' : ''}${JSON.stringify(keys[i])}:` });
      }
      hash.update('{');
    } else {
      hash.update(JSON.stringify(v) ?? 'null');
    }
  }
  return hash.digest('hex');
}

/** A record of a batch refused on its own (its index in the records given); the others are kept. */
export interface RecordRefusal {
  index: number;
  reason: string;
}

/** What a batch of records came to. */
export interface BatchOutcome {
  stored: number;
  duplicates: number;
  refused: RecordRefusal[];
}

export interface ImagePolicy {
  /** Decoded size cap; larger pictures are refused (the lot keeps them and 4.20 still finds them). */
  maxBytes: number;
}

/**
 * What a picture is by its first bytes: JPEG (FF D8 FF) or PNG (the 8-byte signature); undefined for
 * anything else. Only these are kept and served: a browser must never be handed HTML, script or SVG as a
 * lot picture (a GIF or RIFF header is easily put in front of HTML).
 */
export function pictureType(data: Uint8Array): 'image/jpeg' | 'image/png' | undefined {
  const starts = (sig: number[]) => data.length > sig.length && sig.every((b, i) => data[i] === b);
  if (starts([0xff, 0xd8, 0xff])) return 'image/jpeg';
  if (starts([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a])) return 'image/png';
  return undefined;
}

/** 4.14's base64: '+' may arrive as ' ' (the spec says so), a data: prefix may lead; strict otherwise. JPEG or PNG only. */
export function decodeLotImage(image: string): { data: Buffer; mime: string } {
  const b64 = repairBase64(image.trim()).replace(/^data:[\w/+.-]+;base64,/, '');
  if (!/^[A-Za-z0-9+/]*={0,2}$/.test(b64) || b64.length % 4 === 1) {
    throw new LotError('bad_image', 'image is not base64');
  }
  const data = Buffer.from(b64, 'base64');
  if (data.length === 0) throw new LotError('bad_image', 'image is empty');
  const mime = pictureType(data);
  if (!mime) throw new LotError('bad_image', 'image is not a JPEG or PNG picture (by its first bytes)');
  return { data, mime };
}

/** Told of records as they are first stored (never on a resend); must not throw or wait on the lot's answer. */
export interface LotRecordEvents {
  entered?(s: { parkNumber: string; orderId: string; plate: string; inTime: Date | null }): void;
  /** A renewal at the lot's booth (4.31) of these plates (normalized). */
  renewed?(parkNumber: string, plateKeys: string[]): void;
}

export class LotRecordsService {
  constructor(
    private readonly repo: LotRecordsRepository,
    private readonly clock: Clock,
    private readonly images: ImagePolicy = { maxBytes: 2 * 1024 * 1024 },
    private readonly events: LotRecordEvents = {},
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

  /**
   * 4.2: one stay per park + orderId; a resent record changes nothing; a record that cannot be kept is
   * refused alone. The records that can be kept are stored at once.
   */
  async entries(parkNumber: string, records: EntryRecord[]): Promise<BatchOutcome> {
    const refused: RecordRefusal[] = [];
    const kept: EntryRecord[] = [];
    for (const [index, r] of records.entries()) {
      const problem = recordProblem(r);
      if (problem) refused.push({ index, reason: problem });
      else kept.push(r);
    }
    const fresh = await this.repo.recordEntries(
      parkNumber,
      kept.map((r) => ({
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
      })),
    );
    const stored = fresh.filter(Boolean).length;
    kept.forEach((r, i) => {
      if (fresh[i]) this.events.entered?.({ parkNumber, orderId: r.orderId, plate: r.plate, inTime: timeOrNull(r.inTime) });
    });
    return { stored, duplicates: records.length - stored - refused.length, refused };
  }

  /** 4.3: close the stay (charge = onLine + offLine + profitChargeTotal, kept in fen). */
  async exits(parkNumber: string, records: ExitRecord[]): Promise<BatchOutcome> {
    let stored = 0;
    const refused: RecordRefusal[] = [];
    for (const [index, r] of records.entries()) {
      const problem = recordProblem(r);
      if (problem) {
        refused.push({ index, reason: problem });
        continue;
      }
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
    return { stored, duplicates: records.length - stored - refused.length, refused };
  }

  /** 4.14: decode (repairing '+'), cap the size, keep by name (a resend replaces it with the same bytes). */
  async image(parkNumber: string, imageName: string, image: string): Promise<{ bytes: number }> {
    const { data, mime } = decodeLotImage(image);
    if (data.length > this.images.maxBytes) {
      throw new LotError('image_too_large', `image is ${data.length} bytes; at most ${this.images.maxBytes} are kept`);
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
  async charges(parkNumber: string, records: ChargeRecord[]): Promise<BatchOutcome> {
    let stored = 0;
    const refused: RecordRefusal[] = [];
    for (const [index, r] of records.entries()) {
      const problem = recordProblem(r);
      if (problem) {
        refused.push({ index, reason: problem });
        continue;
      }
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
    return { stored, duplicates: records.length - stored - refused.length, refused };
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
  async renewals(req: RenewalsRequest): Promise<BatchOutcome> {
    let stored = 0;
    const refused: RecordRefusal[] = [];
    for (const [index, r] of req.datas.entries()) {
      const problem = recordProblem(r);
      if (problem) {
        refused.push({ index, reason: problem });
        continue;
      }
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
      if (fresh) {
        stored++;
        this.events.renewed?.(req.parkNumber, plates.map(normalizePlate));
      }
    }
    return { stored, duplicates: req.datas.length - stored - refused.length, refused };
  }

  /** 4.32: operate 1 add / 2 change / 3 delete, applied in timeStamp order per fixedId. */
  async whitelistSync(req: FixedListUpRequest): Promise<{ applied: number; stale: number; refused: RecordRefusal[] }> {
    let applied = 0;
    const refused: RecordRefusal[] = [];
    for (const [index, d] of req.datas.entries()) {
      const problem = recordProblem(d);
      if (problem) {
        refused.push({ index, reason: problem });
        continue;
      }
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
    return { applied, stale: req.datas.length - applied - refused.length, refused };
  }
}
