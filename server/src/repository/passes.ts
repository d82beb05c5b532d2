/**
 * mongoose implementation of core/passes' repositories: one offer per park (`_id` the park number) and one
 * document per purchase (`_id` its number, which is also its order's). A purchase is found by driver, by
 * park and by plate through key documents (pass_keys), written before the purchase itself (core/work's
 * rule: a key whose purchase never got written is skipped by the readers). The plates holding a pass in a
 * park are one document per park (pass_places, `_id` the park number), taken in one conditional write.
 */
import { Schema, type Connection, type Model } from 'mongoose';
import type { Renewal } from '../core/lot/model';
import type { BoothRenewalReader, PassOffer, PassPlaces, PassOfferRepository, PassPurchase, PassPurchaseRepository, PurchaseChange } from '../core/passes/model';
import { formatChinaDate } from '../../../shared/time';
import { lotModels } from './lot-records';
import { KeyIndex } from './keys';
import { toUpdate } from './patch';

type OfferDoc = Omit<PassOffer, 'parkNumber'> & { _id: string };
type PurchaseDoc = Omit<PassPurchase, 'purchaseNo'> & { _id: string };
type PlacesDoc = { _id: string; n: number; plates: string[] };

function models(conn: Connection): { offers: Model<OfferDoc>; purchases: Model<PurchaseDoc>; places: Model<PlacesDoc> } {
  const offers =
    (conn.models.PassOffer as Model<OfferDoc> | undefined) ??
    conn.model<OfferDoc>(
      'PassOffer',
      new Schema<OfferDoc>(
        {
          _id: { type: String, required: true },
          areaIds: [Number],
          prices: [{ _id: false, months: Number, priceFen: Number }],
          newPlates: Boolean,
          maxPasses: Number,
          text: String,
          status: String,
          updatedBy: String,
          createdAt: Date,
          updatedAt: Date,
        },
        { versionKey: false, collection: 'pass_offers' },
      ),
    );
  const purchases =
    (conn.models.PassPurchase as Model<PurchaseDoc> | undefined) ??
    conn.model<PurchaseDoc>(
      'PassPurchase',
      new Schema<PurchaseDoc>(
        {
          _id: { type: String, required: true },
          driverId: String,
          parkNumber: String,
          plate: String,
          months: Number,
          priceFen: Number,
          areaIds: [Number],
          state: String,
          extension: Schema.Types.Mixed,
          validTo: String,
          refundReason: String,
          restored: [String],
          restoreTries: Number,
          createdAt: Date,
          updatedAt: Date,
        },
        { versionKey: false, collection: 'pass_purchases' },
      ),
    );
  const places =
    (conn.models.PassPlaces as Model<PlacesDoc> | undefined) ??
    conn.model<PlacesDoc>(
      'PassPlaces',
      new Schema<PlacesDoc>({ _id: { type: String, required: true }, n: Number, plates: [String] }, { versionKey: false, collection: 'pass_places' }),
    );
  return { offers, purchases, places };
}

function toOffer(d: OfferDoc): PassOffer {
  const { _id, ...rest } = d;
  return { ...rest, parkNumber: _id, prices: rest.prices.map((p) => ({ months: p.months, priceFen: p.priceFen })) };
}

function toPurchase(d: PurchaseDoc): PassPurchase {
  const { _id, ...rest } = d;
  const x = rest.extension;
  return {
    ...rest,
    purchaseNo: _id,
    // Mixed keeps dates as they were written; a document read back from JSON-ish storage may hold strings.
    extension: x ? { ...x, plannedAt: new Date(x.plannedAt), acceptedAt: x.acceptedAt ? new Date(x.acceptedAt) : undefined } : undefined,
  };
}

const keyOf = {
  driver: (id: string) => `driver:${id}`,
  park: (parkNumber: string) => `park:${parkNumber}`,
  plate: (parkNumber: string, plate: string) => `plate:${parkNumber}:${plate}`,
};

export class MongoPassRepositories {
  readonly offers: PassOfferRepository;
  readonly purchases: PassPurchaseRepository;
  readonly boothRenewals: BoothRenewalReader;
  readonly places: PassPlaces;
  private readonly m: ReturnType<typeof models>;
  private readonly keys: KeyIndex;

  constructor(conn: Connection) {
    this.m = models(conn);
    this.keys = new KeyIndex(conn, 'pass_keys');
    const m = this.m;
    const keys = this.keys;
    const read = async (ids: string[], limit: number) => {
      const docs = await m.purchases.find({ _id: { $in: ids } }).lean<PurchaseDoc[]>();
      return docs
        .map(toPurchase)
        .sort((a, b) => b.createdAt.getTime() - a.createdAt.getTime())
        .slice(0, limit);
    };
    const renewals = lotModels(conn).renewals;
    this.boothRenewals = {
      async ofPlate(parkNumber, plateKey, since) {
        // The lot's renewals are few a day per park: read the recent ones and pick the plate's.
        const docs = await renewals.find({ parkNumber, receivedAt: { $gte: since } }).lean<Renewal[]>();
        return docs
          .filter((r) => r.plateKeys.includes(plateKey) && r.end)
          .map((r) => ({ key: r.dedupeKey, end: formatChinaDate(new Date(r.end!)), months: r.feeMonths, receivedAt: new Date(r.receivedAt) }));
      },
    };
    this.places = {
      async take(parkNumber, plate, max, seed) {
        if (!(await m.places.exists({ _id: parkNumber }))) {
          const plates = [...new Set(await seed())];
          // Two first buyers may both seed: the first insert wins, the other finds the document.
          await m.places.create({ _id: parkNumber, n: plates.length, plates }).catch((e: { code?: number }) => {
            if (e.code !== 11000) throw e;
          });
        }
        // `n` mirrors the array's length: a count compared in the filter, on FerretDB and MongoDB alike.
        const r = await m.places.updateOne({ _id: parkNumber, n: { $lt: max }, plates: { $ne: plate } }, { $inc: { n: 1 }, $push: { plates: plate } });
        if (r.modifiedCount === 1) return 'taken';
        const d = await m.places.findById(parkNumber).lean<PlacesDoc>();
        return d?.plates.includes(plate) ? 'held' : 'full';
      },
      async plates(parkNumber) {
        return (await m.places.findById(parkNumber).lean<PlacesDoc>())?.plates ?? [];
      },
      async free(parkNumber, plate) {
        await m.places.updateOne({ _id: parkNumber, plates: plate }, { $inc: { n: -1 }, $pull: { plates: plate } });
      },
    };
    this.offers = {
      async get(parkNumber) {
        const d = await m.offers.findById(parkNumber).lean<OfferDoc>();
        return d ? toOffer(d) : undefined;
      },
      async put(offer) {
        const { parkNumber, ...rest } = offer;
        await m.offers.replaceOne({ _id: parkNumber }, rest, { upsert: true });
      },
    };
    this.purchases = {
      async insert(p) {
        const { purchaseNo, ...rest } = p;
        await keys.addMany([
          { key: keyOf.driver(p.driverId), ref: purchaseNo },
          { key: keyOf.park(p.parkNumber), ref: purchaseNo },
          { key: keyOf.plate(p.parkNumber, p.plate), ref: purchaseNo },
        ]);
        await m.purchases.create({ _id: purchaseNo, ...rest });
      },
      async get(purchaseNo) {
        const d = await m.purchases.findById(purchaseNo).lean<PurchaseDoc>();
        return d ? toPurchase(d) : undefined;
      },
      async apply(purchaseNo, c: PurchaseChange) {
        const update = toUpdate({ ...c.set, ...(c.to ? { state: c.to } : {}) });
        const d = await m.purchases.findOneAndUpdate({ _id: purchaseNo, state: { $in: c.from } }, update, { returnDocument: 'after' }).lean<PurchaseDoc>();
        return d ? toPurchase(d) : undefined;
      },
      async ofPlate(parkNumber, plate, limit) {
        const list = await read(await keys.refs(keyOf.plate(parkNumber, plate)), Number.MAX_SAFE_INTEGER);
        return list.filter((p) => p.parkNumber === parkNumber && p.plate === plate).slice(0, limit);
      },
      async listForDriver(driverId, limit) {
        return (await read(await keys.refs(keyOf.driver(driverId)), Number.MAX_SAFE_INTEGER)).filter((p) => p.driverId === driverId).slice(0, limit);
      },
      async listForPark(parkNumber, limit) {
        return (await read(await keys.refs(keyOf.park(parkNumber)), Number.MAX_SAFE_INTEGER)).filter((p) => p.parkNumber === parkNumber).slice(0, limit);
      },
      async claimRestore(purchaseNo, key) {
        const r = await m.purchases.updateOne({ _id: purchaseNo, restored: { $ne: key } }, { $addToSet: { restored: key } });
        return r.modifiedCount === 1;
      },
      async unclaimRestore(purchaseNo, key) {
        await m.purchases.updateOne({ _id: purchaseNo }, { $pull: { restored: key } });
      },
      async holding(parkNumber, today) {
        const list = await read(await keys.refs(keyOf.park(parkNumber)), Number.MAX_SAFE_INTEGER);
        return list.filter(
          (p) => p.parkNumber === parkNumber && (p.state === 'awaiting_payment' || p.state === 'extending' || (p.state === 'active' && (p.validTo ?? '') >= today)),
        );
      },
    };
  }

  async init(): Promise<void> {
    await Promise.all([this.m.offers.init(), this.m.purchases.init(), this.m.places.init(), this.keys.init()]);
  }
}
