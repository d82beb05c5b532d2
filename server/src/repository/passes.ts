/**
 * mongoose implementation of core/passes' repositories: one offer per park (`_id` the park number) and one
 * document per purchase (`_id` its number, which is also its order's). A purchase is found by driver, by
 * park and by plate through key documents (pass_keys), written before the purchase itself (core/work's
 * rule: a key whose purchase never got written is skipped by the readers). The plates holding a pass in a
 * park are one document per park (pass_places, `_id` the park number), taken in one conditional write.
 */
import { Schema, type Connection, type Model } from 'mongoose';
import type { Renewal } from '../core/lot/model';
import type { BoothRenewal, BoothRenewalReader, PassOffer, PassPlaces, PassOfferRepository, PassPurchase, PassPurchaseRepository, PurchaseChange } from '../core/passes/model';
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

type Models = ReturnType<typeof models>;

class MongoBoothRenewals implements BoothRenewalReader {
  constructor(private readonly renewals: ReturnType<typeof lotModels>['renewals']) {}

  async ofPlate(parkNumber: string, plateKey: string, since: Date): Promise<BoothRenewal[]> {
    // The lot's renewals are few a day per park: read the recent ones and pick the plate's.
    const docs = await this.renewals.find({ parkNumber, receivedAt: { $gte: since } }).lean<Renewal[]>();
    return docs
      .filter((r) => r.plateKeys.includes(plateKey) && r.end)
      .map((r) => ({ key: r.dedupeKey, end: formatChinaDate(new Date(r.end!)), months: r.feeMonths, receivedAt: new Date(r.receivedAt) }));
  }
}

class MongoPassPlaces implements PassPlaces {
  constructor(private readonly m: Models) {}

  async take(parkNumber: string, plate: string, max: number, seed: () => Promise<string[]>): Promise<'held' | 'taken' | 'full'> {
    if (!(await this.m.places.exists({ _id: parkNumber }))) {
      const plates = [...new Set(await seed())];
      // Two first buyers may both seed: the first insert wins, the other finds the document.
      await this.m.places.create({ _id: parkNumber, n: plates.length, plates }).catch((e: { code?: number }) => {
        if (e.code !== 11000) throw e;
      });
    }
    // `n` mirrors the array's length: a count compared in the filter, on FerretDB and MongoDB alike.
    const r = await this.m.places.updateOne({ _id: parkNumber, n: { $lt: max }, plates: { $ne: plate } }, { $inc: { n: 1 }, $push: { plates: plate } });
    if (r.modifiedCount === 1) return 'taken';
    const d = await this.m.places.findById(parkNumber).lean<PlacesDoc>();
    return d?.plates.includes(plate) ? 'held' : 'full';
  }

  async plates(parkNumber: string): Promise<string[]> {
    return (await this.m.places.findById(parkNumber).lean<PlacesDoc>())?.plates ?? [];
  }

  async free(parkNumber: string, plate: string): Promise<void> {
    await this.m.places.updateOne({ _id: parkNumber, plates: plate }, { $inc: { n: -1 }, $pull: { plates: plate } });
  }
}

class MongoPassOffers implements PassOfferRepository {
  constructor(private readonly m: Models) {}

  async get(parkNumber: string): Promise<PassOffer | undefined> {
    const d = await this.m.offers.findById(parkNumber).lean<OfferDoc>();
    return d ? toOffer(d) : undefined;
  }

  async put(offer: PassOffer): Promise<void> {
    const { parkNumber, ...rest } = offer;
    await this.m.offers.replaceOne({ _id: parkNumber }, rest, { upsert: true });
  }
}

class MongoPassPurchases implements PassPurchaseRepository {
  constructor(
    private readonly m: Models,
    private readonly keys: KeyIndex,
  ) {}

  /** The purchases a key names, newest first (a reader checks each one still matches the key). */
  private async named(key: string): Promise<PassPurchase[]> {
    const docs = await this.m.purchases.find({ _id: { $in: await this.keys.refs(key) } }).lean<PurchaseDoc[]>();
    return docs.map(toPurchase).sort((a, b) => b.createdAt.getTime() - a.createdAt.getTime());
  }

  async insert(p: PassPurchase): Promise<void> {
    const { purchaseNo, ...rest } = p;
    await this.keys.addMany([
      { key: keyOf.driver(p.driverId), ref: purchaseNo },
      { key: keyOf.park(p.parkNumber), ref: purchaseNo },
      { key: keyOf.plate(p.parkNumber, p.plate), ref: purchaseNo },
    ]);
    await this.m.purchases.create({ _id: purchaseNo, ...rest });
  }

  async get(purchaseNo: string): Promise<PassPurchase | undefined> {
    const d = await this.m.purchases.findById(purchaseNo).lean<PurchaseDoc>();
    return d ? toPurchase(d) : undefined;
  }

  async apply(purchaseNo: string, c: PurchaseChange): Promise<PassPurchase | undefined> {
    const update = toUpdate({ ...c.set, ...(c.to ? { state: c.to } : {}) });
    const d = await this.m.purchases.findOneAndUpdate({ _id: purchaseNo, state: { $in: c.from } }, update, { returnDocument: 'after' }).lean<PurchaseDoc>();
    return d ? toPurchase(d) : undefined;
  }

  async ofPlate(parkNumber: string, plate: string, limit: number): Promise<PassPurchase[]> {
    const list = await this.named(keyOf.plate(parkNumber, plate));
    return list.filter((p) => p.parkNumber === parkNumber && p.plate === plate).slice(0, limit);
  }

  async listForDriver(driverId: string, limit: number): Promise<PassPurchase[]> {
    return (await this.named(keyOf.driver(driverId))).filter((p) => p.driverId === driverId).slice(0, limit);
  }

  async listForPark(parkNumber: string, limit: number): Promise<PassPurchase[]> {
    return (await this.named(keyOf.park(parkNumber))).filter((p) => p.parkNumber === parkNumber).slice(0, limit);
  }

  async claimRestore(purchaseNo: string, key: string): Promise<boolean> {
    const r = await this.m.purchases.updateOne({ _id: purchaseNo, restored: { $ne: key } }, { $addToSet: { restored: key } });
    return r.modifiedCount === 1;
  }

  async unclaimRestore(purchaseNo: string, key: string): Promise<void> {
    await this.m.purchases.updateOne({ _id: purchaseNo }, { $pull: { restored: key } });
  }

  async holding(parkNumber: string, today: string): Promise<PassPurchase[]> {
    const list = await this.named(keyOf.park(parkNumber));
    return list.filter(
      (p) => p.parkNumber === parkNumber && (p.state === 'awaiting_payment' || p.state === 'extending' || (p.state === 'active' && (p.validTo ?? '') >= today)),
    );
  }
}

export class MongoPassRepositories {
  readonly offers: PassOfferRepository;
  readonly purchases: PassPurchaseRepository;
  readonly boothRenewals: BoothRenewalReader;
  readonly places: PassPlaces;
  private readonly m: Models;
  private readonly keys: KeyIndex;

  constructor(conn: Connection) {
    this.m = models(conn);
    this.keys = new KeyIndex(conn, 'pass_keys');
    this.boothRenewals = new MongoBoothRenewals(lotModels(conn).renewals);
    this.places = new MongoPassPlaces(this.m);
    this.offers = new MongoPassOffers(this.m);
    this.purchases = new MongoPassPurchases(this.m, this.keys);
  }

  async init(): Promise<void> {
    await Promise.all([this.m.offers.init(), this.m.purchases.init(), this.m.places.init(), this.keys.init()]);
  }
}
