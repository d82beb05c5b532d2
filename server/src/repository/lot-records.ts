/**
 * mongoose implementation of LotRecordsRepository. Every write is one atomic single-document operation:
 * inserts guarded by unique indexes, conditional updates. No transactions (FerretDB v1 has none).
 *
 * Lookups the lot's calls and the driver's fee make are by _id (FerretDB v1 reads anything else by scanning
 * the whole collection): a stay by stayId(park, orderId); the cars of a plate through one key document per
 * plate (stay_plates: the stays of that plate that are in, added before the stay is stored, removed after
 * its exit); a picture by [park, imageName]; a whitelist entry of the lot by [park, entryKey].
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
  StayExit,
} from '../core/lot/model';
import { forEachDoc, KeyIndex, runOnce } from './keys';
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
        // _id: imageId(parkNumber, imageName), unique by itself (stored before it existed: an ObjectId, and a
        // unique index on parkNumber + imageName, both moved at start).
        { _id: Schema.Types.Mixed, parkNumber: String, imageName: String, mime: String, data: Buffer, bytes: Number, sha256: String, receivedAt: Date },
        opts,
      )
        // Retention removes the oldest pictures by it.
        .index({ receivedAt: 1 }),
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
          // whitelistId(parkNumber, entryKey), unique by itself (an ObjectId and a unique index on parkNumber +
          // entryKey before, moved at start).
          _id: Schema.Types.Mixed,
          parkNumber: String, entryKey: String, fixedId: Number, plate: String, plateKey: String, source: String, changedAt: Number,
          deleted: Boolean, record: Mixed, receivedAt: Date,
        },
        opts,
      ),
    ),
  };
}

type Doc<T> = T & { _id?: unknown };

/** A stay's _id: unambiguous for any parkNumber and orderId. */
export const stayId = (parkNumber: string, orderId: string) => JSON.stringify([parkNumber, orderId]);
const imageId = (parkNumber: string, imageName: string) => JSON.stringify([parkNumber, imageName]);
const whitelistId = (parkNumber: string, entryKey: string) => JSON.stringify([parkNumber, entryKey]);
/** The park of a stayId. */
const parkOfStay = (id: string): string | undefined => {
  try {
    return (JSON.parse(id) as [string, string])[0];
  } catch {
    return undefined;
  }
};
type EntryInput = Parameters<LotRecordsRepository['recordEntry']>[0];
function strip<T>(doc: Doc<T> | null | undefined): T | undefined {
  if (!doc) return undefined;
  const { _id: _ignored, ...rest } = doc;
  return rest as T;
}

export class MongoLotRecordsRepository implements LotRecordsRepository {
  private readonly m: ReturnType<typeof lotModels>;
  /** _id: a plateKey; refs: stayIds of that plate that are in (or were: each is checked). */
  private readonly plates: KeyIndex;
  constructor(private readonly conn: Connection) {
    this.m = lotModels(conn);
    this.plates = new KeyIndex(conn, 'stay_plates');
  }

  /** Build the indexes now (unique indexes are what make resends harmless); migrate data from before. */
  async init(): Promise<void> {
    await Promise.all([...Object.values(this.m).map((model) => (model as Model<unknown>).init()), this.plates.init()]);
    await runOnce(this.conn, 'stays: plate keys', () =>
      forEachDoc(this.m.stays, { status: 'in' }, { _id: 1, plateKey: 1 }, (docs: { _id: string; plateKey?: string }[]) =>
        this.plates.addMany(docs.filter((d) => d.plateKey).map((d) => ({ key: d.plateKey!, ref: d._id }))),
      ),
    );
    await runOnce(this.conn, 'lot images and whitelist: _id by key', () => this.migrateIds());
  }

  /**
   * Pictures and the lot's whitelist entries stored with an ObjectId get their key as _id, one at a time:
   * the old unique index on the key's fields goes first (the _id is unique by itself), then each document is
   * copied under its key and the old one deleted. A crash half-way leaves both (readers find the copy by
   * its _id) and the next start finishes.
   */
  private async migrateIds(): Promise<void> {
    const rekey = async (model: Model<unknown>, index: string, idOf: (d: Record<string, unknown>) => string, keyFields: Record<string, 1>) => {
      await model.collection.dropIndex(index).catch(() => undefined);
      const old = (await model.find({}, { _id: 1, ...keyFields }).lean<Record<string, unknown>[]>()).filter((d) => typeof d._id !== 'string');
      for (const { _id } of old) {
        const doc = await model.collection.findOne({ _id } as never);
        if (!doc) continue;
        try {
          await model.collection.insertOne({ ...doc, _id: idOf(doc as Record<string, unknown>) } as never);
        } catch (e) {
          // Copied before (a crash half-way); the copy may be newer: keep it.
          if (!isDuplicateKey(e)) throw e;
        }
        await model.collection.deleteOne({ _id } as never);
      }
    };
    await rekey(this.m.images as Model<unknown>, 'parkNumber_1_imageName_1', (d) => imageId(String(d.parkNumber), String(d.imageName)), { parkNumber: 1, imageName: 1 });
    await rekey(this.m.whitelist as Model<unknown>, 'parkNumber_1_entryKey_1', (d) => whitelistId(String(d.parkNumber), String(d.entryKey)), { parkNumber: 1, entryKey: 1 });
  }

  async saveHeartbeat(h: Heartbeat): Promise<void> {
    await this.m.latest.updateOne({ parkNumber: h.parkNumber }, { $set: h }, { upsert: true });
    await this.m.history.create(h);
  }

  async latestHeartbeat(parkNumber: string): Promise<Heartbeat | undefined> {
    return strip(await this.m.latest.findOne({ parkNumber }).lean<Doc<Heartbeat>>());
  }

  async recordEntry(s: EntryInput): Promise<boolean> {
    const [fresh] = await this.recordEntries(s.parkNumber, [s]);
    return fresh!;
  }

  /**
   * A batch of entries (4.2) in two commands: the plates' keys first (a reader checks the stay), then every
   * stay in one insert. A stay already there is a resend (nothing changes) or an exit that came first (the
   * entry fills in). Per entry: whether it was new.
   */
  async recordEntries(parkNumber: string, list: EntryInput[]): Promise<boolean[]> {
    if (!list.length) return [];
    await this.plates.addMany(list.map((s) => ({ key: s.plateKey, ref: stayId(parkNumber, s.orderId) })));
    const docs = list.map((s) => ({
      _id: stayId(parkNumber, s.orderId),
      parkNumber,
      orderId: s.orderId,
      plate: s.plate,
      plateKey: s.plateKey,
      ticketCode: s.ticketCode,
      status: 'in',
      entry: { ...s.entry, record: storable(s.entry.record) },
    }));
    const taken = new Set<number>();
    try {
      await this.m.stays.collection.insertMany(docs as never[], { ordered: false });
    } catch (e) {
      const errors = (e as { writeErrors?: { index: number; code?: number }[] | { index: number; code?: number } }).writeErrors;
      const list = Array.isArray(errors) ? errors : errors ? [errors] : [];
      if (!list.length || list.some((w) => w.code !== 11000)) throw e;
      for (const w of list) taken.add(w.index);
    }
    const fresh = list.map((_, i) => !taken.has(i));
    for (const i of taken) {
      const doc = docs[i]!;
      // Stored before: a resend (the entry is there: nothing changes), or the exit reached us first and the
      // entry fills in.
      const r = await this.m.stays.updateOne({ _id: doc._id, entry: { $exists: false } }, { $set: { entry: doc.entry } });
      fresh[i] = r.modifiedCount === 1;
      const stay = await this.m.stays.findById(doc._id, { status: 1 }).lean<{ status?: string }>();
      if (stay?.status === 'out') await this.plates.remove(doc.plateKey, doc._id);
    }
    return fresh;
  }

  async recordExit(s: { parkNumber: string; orderId: string; plate: string; plateKey: string; ticketCode: string; exit: StayExit }): Promise<boolean> {
    const id = stayId(s.parkNumber, s.orderId);
    const exit = { ...s.exit, record: storable(s.exit.record) };
    let fresh: boolean;
    let entered: string | undefined;
    try {
      const before = await this.m.stays
        .findOneAndUpdate(
          { _id: id, exit: { $exists: false } },
          { $set: { exit, status: 'out' }, $setOnInsert: { parkNumber: s.parkNumber, orderId: s.orderId, plate: s.plate, plateKey: s.plateKey, ticketCode: s.ticketCode } },
          { upsert: true, returnDocument: 'before' },
        )
        .lean<{ plateKey?: string }>();
      fresh = true;
      entered = before?.plateKey;
    } catch (e) {
      // The stay exists and already has its exit: the upsert's insert hit the unique index. A resend.
      if (!isDuplicateKey(e)) throw e;
      fresh = false;
      entered = (await this.m.stays.findById(id, { plateKey: 1 }).lean<{ plateKey?: string }>())?.plateKey;
    }
    // Out: no longer one of the plate's cars in the park (the plate the entry had, if the exit spells it otherwise).
    await Promise.all([...new Set([s.plateKey, entered].filter((k): k is string => !!k))].map((k) => this.plates.remove(k, id)));
    return fresh;
  }

  async findStay(parkNumber: string, orderId: string): Promise<Stay | undefined> {
    return strip(await this.m.stays.findById(stayId(parkNumber, orderId)).lean<Doc<Stay>>());
  }

  async staysInPark(parkNumber: string, plateKey: string): Promise<Stay[]> {
    const ids = (await this.plates.refs(plateKey)).filter((id) => parkOfStay(id) === parkNumber);
    return this.inStays(ids, [plateKey]);
  }

  /** The stays of these ids that are in, for these plates, newest entry first. */
  private async inStays(ids: string[], plateKeys: string[]): Promise<Stay[]> {
    const stays = await Promise.all(ids.map((id) => this.m.stays.findById(id).lean<Doc<Stay>>()));
    return stays
      .map((d) => strip(d))
      .filter((s): s is Stay => !!s && s.status === 'in' && plateKeys.includes(s.plateKey))
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
    const byPlate = await this.plates.refsOf(plateKeys);
    return this.inStays([...new Set([...byPlate.values()].flat())], plateKeys);
  }

  async saveImage(img: LotImage): Promise<void> {
    await this.m.images.updateOne({ _id: imageId(img.parkNumber, img.imageName) }, { $set: img }, { upsert: true });
  }

  /** Which of these pictures the lot has sent (4.14): names only, the pictures are not read. */
  async storedImages(parkNumber: string, imageNames: string[]): Promise<Set<string>> {
    if (!imageNames.length) return new Set();
    // One read by _id each (an `$in` of _ids is not answered from the _id index on FerretDB).
    const names = [...new Set(imageNames)];
    const found = await Promise.all(names.map((n) => this.m.images.exists({ _id: imageId(parkNumber, n) })));
    return new Set(names.filter((_, i) => found[i]));
  }

  async findImage(parkNumber: string, imageName: string): Promise<LotImage | undefined> {
    const doc = await this.m.images.findById(imageId(parkNumber, imageName)).lean<Doc<LotImage>>();
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
        { _id: whitelistId(e.parkNumber, e.entryKey), changedAt: { $lte: e.changedAt } },
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
