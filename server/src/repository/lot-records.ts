/**
 * mongoose implementation of LotRecordsRepository. Every write is one atomic single-document operation:
 * inserts guarded by unique indexes, conditional updates. No transactions (FerretDB v1 has none).
 */
import { Schema, type Connection, type Model } from 'mongoose';
import type {
  Heartbeat,
  Lane,
  LotCharge,
  LotImage,
  LotRecordsRepository,
  LotWhitelistEntry,
  Renewal,
  Stay,
  StayEntry,
  StayExit,
} from '../core/lot/model';
import { isDuplicateKey, storable } from './util';

const Mixed = Schema.Types.Mixed;
const opts = { versionKey: false } as const;

const areaSchema = new Schema(
  { areaId: Number, areaName: String, spaceCount: Number, freeSpaceCount: Number, bookSpaceCount: Number, bookInParkCount: Number },
  { _id: false },
);
const heartbeatFields = {
  parkNumber: { type: String, required: true },
  parkName: String,
  spaceCount: Number,
  freeSpaceCount: Number,
  bookSpaceCount: Number,
  bookInParkCount: Number,
  areas: [areaSchema],
  receivedAt: Date,
};

export function lotModels(conn: Connection) {
  const reuse = <T>(name: string, schema: Schema<T>): Model<T> =>
    (conn.models[name] as Model<T> | undefined) ?? conn.model<T>(name, schema);
  return {
    latest: reuse('ParkHeartbeat', new Schema(heartbeatFields, opts).index({ parkNumber: 1 }, { unique: true })),
    history: reuse('HeartbeatHistory', new Schema(heartbeatFields, opts).index({ parkNumber: 1, receivedAt: -1 })),
    stays: reuse(
      'Stay',
      new Schema(
        {
          // stayId(parkNumber, orderId): lookups by _id are what FerretDB v1 answers fastest.
          _id: { type: String, required: true },
          parkNumber: { type: String, required: true },
          orderId: { type: String, required: true },
          plate: String,
          plateKey: String,
          ticketCode: String,
          status: { type: String, enum: ['in', 'out'] },
          entry: Mixed,
          exit: Mixed,
        },
        { ...opts, minimize: false },
      )
        .index({ parkNumber: 1, orderId: 1 }, { unique: true })
        .index({ parkNumber: 1, plateKey: 1, status: 1 }),
    ),
    images: reuse(
      'LotImage',
      new Schema(
        { parkNumber: String, imageName: String, mime: String, data: Buffer, bytes: Number, sha256: String, receivedAt: Date },
        opts,
      ).index({ parkNumber: 1, imageName: 1 }, { unique: true }),
    ),
    charges: reuse(
      'LotCharge',
      new Schema(
        {
          parkNumber: String, dedupeKey: String, orderId: String, plate: String, plateKey: String, inTime: Date, outTime: Date,
          payKind: String, payChannel: String, chargeFen: Number, realChargeFen: Number, couponChargeFen: Number,
          record: Mixed, receivedAt: Date,
        },
        opts,
      )
        .index({ parkNumber: 1, dedupeKey: 1 }, { unique: true })
        // Reconciliation reads a stay's uploads whatever their date.
        .index({ parkNumber: 1, orderId: 1 }),
    ),
    lanes: reuse(
      'Lane',
      new Schema(
        { parkNumber: String, passagewayId: String, name: String, sourceAreaId: String, targetAreaId: String, updatedAt: Date },
        opts,
      ).index({ parkNumber: 1, passagewayId: 1 }, { unique: true }),
    ),
    renewals: reuse(
      'Renewal',
      new Schema(
        {
          parkNumber: String, dedupeKey: String, plates: [String], plateKeys: [String], payTime: Date, payChargeFen: Number,
          feeMonths: Number, end: Date, record: Mixed, receivedAt: Date,
        },
        opts,
      ).index({ parkNumber: 1, dedupeKey: 1 }, { unique: true }),
    ),
    whitelist: reuse(
      'LotWhitelistEntry',
      new Schema(
        {
          parkNumber: String, entryKey: String, fixedId: Number, plate: String, plateKey: String, source: String, changedAt: Number,
          deleted: Boolean, record: Mixed, receivedAt: Date,
        },
        opts,
      ).index({ parkNumber: 1, entryKey: 1 }, { unique: true }),
    ),
  };
}

type Doc<T> = T & { _id?: unknown };

/** A stay's _id: unambiguous for any parkNumber and orderId. */
export const stayId = (parkNumber: string, orderId: string) => JSON.stringify([parkNumber, orderId]);
function strip<T>(doc: Doc<T> | null | undefined): T | undefined {
  if (!doc) return undefined;
  const { _id: _ignored, ...rest } = doc;
  return rest as T;
}

export class MongoLotRecordsRepository implements LotRecordsRepository {
  private readonly m: ReturnType<typeof lotModels>;
  constructor(conn: Connection) {
    this.m = lotModels(conn);
  }

  /** Build the indexes now (unique indexes are what make resends harmless). */
  async init(): Promise<void> {
    await Promise.all(Object.values(this.m).map((model) => (model as Model<unknown>).init()));
  }

  async saveHeartbeat(h: Heartbeat): Promise<void> {
    await this.m.latest.updateOne({ parkNumber: h.parkNumber }, { $set: h }, { upsert: true });
    await this.m.history.create(h);
  }

  async latestHeartbeat(parkNumber: string): Promise<Heartbeat | undefined> {
    return strip(await this.m.latest.findOne({ parkNumber }).lean<Doc<Heartbeat>>());
  }

  async recordEntry(s: { parkNumber: string; orderId: string; plate: string; plateKey: string; ticketCode: string; entry: StayEntry }): Promise<boolean> {
    const entry = { ...s.entry, record: storable(s.entry.record) };
    try {
      await this.m.stays.create({ _id: stayId(s.parkNumber, s.orderId), parkNumber: s.parkNumber, orderId: s.orderId, plate: s.plate, plateKey: s.plateKey, ticketCode: s.ticketCode, status: 'in', entry });
      return true;
    } catch (e) {
      if (!isDuplicateKey(e)) throw e;
    }
    // The stay exists: either this is a resend (entry already there: nothing changes), or the exit reached
    // us first and the entry fills in.
    const r = await this.m.stays.updateOne({ _id: stayId(s.parkNumber, s.orderId), entry: { $exists: false } }, { $set: { entry } });
    return r.modifiedCount === 1;
  }

  async recordExit(s: { parkNumber: string; orderId: string; plate: string; plateKey: string; ticketCode: string; exit: StayExit }): Promise<boolean> {
    const exit = { ...s.exit, record: storable(s.exit.record) };
    try {
      const r = await this.m.stays.updateOne(
        { _id: stayId(s.parkNumber, s.orderId), exit: { $exists: false } },
        { $set: { exit, status: 'out' }, $setOnInsert: { parkNumber: s.parkNumber, orderId: s.orderId, plate: s.plate, plateKey: s.plateKey, ticketCode: s.ticketCode } },
        { upsert: true },
      );
      return r.modifiedCount === 1 || r.upsertedCount === 1;
    } catch (e) {
      // The stay exists and already has its exit: the upsert's insert hit the unique index. A resend.
      if (isDuplicateKey(e)) return false;
      throw e;
    }
  }

  async findStay(parkNumber: string, orderId: string): Promise<Stay | undefined> {
    return strip(await this.m.stays.findById(stayId(parkNumber, orderId)).lean<Doc<Stay>>());
  }

  async staysInPark(parkNumber: string, plateKey: string): Promise<Stay[]> {
    const docs = await this.m.stays.find({ parkNumber, plateKey, status: 'in' }).lean<Doc<Stay>[]>();
    return docs
      .map((d) => strip(d)!)
      .sort((a, b) => (b.entry?.inTime?.getTime() ?? 0) - (a.entry?.inTime?.getTime() ?? 0));
  }

  /** Every stay of a plate in a park, in or out, newest first (operators looking for pictures), at most `limit`. */
  async staysOfPlate(parkNumber: string, plateKey: string, limit: number): Promise<Stay[]> {
    const docs = await this.m.stays.find({ parkNumber, plateKey }).lean<Doc<Stay>[]>();
    const at = (s: Stay) => s.entry?.inTime?.getTime() ?? s.exit?.inTime?.getTime() ?? s.exit?.outTime?.getTime() ?? 0;
    return docs
      .map((d) => strip(d)!)
      .sort((a, b) => at(b) - at(a))
      .slice(0, limit);
  }

  /** Cars of these plates in any park, newest entry first. */
  async staysByPlateKeys(plateKeys: string[]): Promise<Stay[]> {
    const docs = await this.m.stays.find({ plateKey: { $in: plateKeys }, status: 'in' }).lean<Doc<Stay>[]>();
    return docs
      .map((d) => strip(d)!)
      .sort((a, b) => (b.entry?.inTime?.getTime() ?? 0) - (a.entry?.inTime?.getTime() ?? 0));
  }

  async saveImage(img: LotImage): Promise<void> {
    await this.m.images.updateOne({ parkNumber: img.parkNumber, imageName: img.imageName }, { $set: img }, { upsert: true });
  }

  /** Which of these pictures the lot has sent (4.14): names only, the pictures are not read. */
  async storedImages(parkNumber: string, imageNames: string[]): Promise<Set<string>> {
    if (!imageNames.length) return new Set();
    const docs = await this.m.images.find({ parkNumber, imageName: { $in: imageNames } }, { imageName: 1 }).lean<{ imageName: string }[]>();
    return new Set(docs.map((d) => d.imageName));
  }

  async findImage(parkNumber: string, imageName: string): Promise<LotImage | undefined> {
    const doc = await this.m.images.findOne({ parkNumber, imageName }).lean<Doc<LotImage>>();
    if (!doc) return undefined;
    const img = strip(doc)!;
    // lean() may hand back BSON Binary; callers get a Buffer.
    const data = img.data as unknown as Buffer | { buffer: Uint8Array };
    return { ...img, data: Buffer.isBuffer(data) ? data : Buffer.from(data.buffer) };
  }

  private async insertOnce(model: Model<unknown>, doc: object): Promise<boolean> {
    try {
      await model.create(doc);
      return true;
    } catch (e) {
      if (isDuplicateKey(e)) return false;
      throw e;
    }
  }

  async recordCharge(c: LotCharge): Promise<boolean> {
    return this.insertOnce(this.m.charges as Model<unknown>, { ...c, record: storable(c.record) });
  }

  async upsertLane(l: Lane): Promise<void> {
    await this.m.lanes.updateOne({ parkNumber: l.parkNumber, passagewayId: l.passagewayId }, { $set: l }, { upsert: true });
  }

  async lanes(parkNumber: string): Promise<Lane[]> {
    const docs = await this.m.lanes.find({ parkNumber }).lean<Doc<Lane>[]>();
    return docs.map((d) => strip(d)!).sort((a, b) => a.passagewayId.localeCompare(b.passagewayId, 'en', { numeric: true }));
  }

  async recordRenewal(r: Renewal): Promise<boolean> {
    return this.insertOnce(this.m.renewals as Model<unknown>, { ...r, record: storable(r.record) });
  }

  async applyWhitelistChange(e: LotWhitelistEntry): Promise<boolean> {
    const doc = { ...e, record: storable(e.record) };
    try {
      // Matches only when what is stored is not newer; otherwise the upsert's insert hits the unique index.
      const r = await this.m.whitelist.updateOne(
        { parkNumber: e.parkNumber, entryKey: e.entryKey, changedAt: { $lte: e.changedAt } },
        { $set: doc },
        { upsert: true },
      );
      return r.matchedCount === 1 || r.upsertedCount === 1;
    } catch (err) {
      if (isDuplicateKey(err)) return false;
      throw err;
    }
  }

  async lotWhitelist(parkNumber: string): Promise<LotWhitelistEntry[]> {
    const docs = await this.m.whitelist.find({ parkNumber, deleted: false }).lean<Doc<LotWhitelistEntry>[]>();
    return docs.map((d) => strip(d)!).sort((a, b) => (a.fixedId ?? 0) - (b.fixedId ?? 0) || a.plateKey.localeCompare(b.plateKey));
  }
}
