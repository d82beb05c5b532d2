/**
 * mongoose implementations of the booking repositories (core/bookings/model.ts). Every write is one atomic
 * single-document operation: the offer's `held` and a ledger's `free` are conditional $inc (the counters
 * that keep concurrent buyers from overselling), states change with conditional findOneAndUpdate, and
 * cancellation attempts are claimed with a lease like order deliveries (a read first, then the claim by _id:
 * a searching findAndModify holds FerretDB v1's write lock for the whole search).
 */
import { Schema, type Connection, type Model } from 'mongoose';
import type {
  AreaKey,
  Booking,
  BookingOffer,
  BookingReconciliation,
  BookingReconciliationRepository,
  BookingRepository,
  BookingState,
  CapacityLedger,
  CapacityRepository,
  OfferRepository,
  OfferStatus,
} from '../core/bookings/model';
import { isDuplicateKey } from './util';

const Mixed = Schema.Types.Mixed;
const opts = { versionKey: false, minimize: false } as const;

type OfferDoc = Omit<BookingOffer, 'offerId'> & { _id: string };
/** Capacity holds are stored as a map (`holdsCap.area:1: true`): conditional on one key, no array operators. */
type BookingDoc = Omit<Booking, 'bookingNo' | 'holds'> & { _id: string; holdsOffer: boolean; holdsCap: Record<string, boolean> };
type LedgerDoc = Omit<CapacityLedger, 'parkNumber' | 'key'> & { _id: string; parkNumber: string; key: string };
type ReconDoc = BookingReconciliation & { _id?: unknown };

function models(conn: Connection) {
  const reuse = <T>(name: string, schema: Schema<T>): Model<T> => (conn.models[name] as Model<T> | undefined) ?? conn.model<T>(name, schema);
  return {
    offers: reuse(
      'BookingOffer',
      new Schema<OfferDoc>(
        {
          _id: { type: String, required: true },
          parkNumber: { type: String, required: true },
          title: String,
          areaId: Number,
          priceFen: Number,
          start: Date,
          end: Date,
          letInStart: Date,
          letInEnd: Date,
          count: Number,
          held: Number,
          cancelRule: Mixed,
          status: String,
          createdBy: String,
          createdAt: Date,
          updatedAt: Date,
        },
        opts,
      ).index({ parkNumber: 1, letInEnd: 1 }),
    ),
    bookings: reuse(
      'Booking',
      new Schema<BookingDoc>(
        {
          _id: { type: String, required: true },
          offerId: String,
          parkNumber: { type: String, required: true },
          driverId: String,
          plate: String,
          plateKey: String,
          title: String,
          areaId: Number,
          priceFen: Number,
          start: Date,
          end: Date,
          letInStart: Date,
          letInEnd: Date,
          cancelRule: Mixed,
          state: { type: String, required: true },
          activeKey: { type: String, required: true },
          holdsOffer: Boolean,
          holdsCap: Mixed,
          orderNo: String,
          issuedAt: Date,
          admittedAt: Date,
          cancel: Mixed,
          releasedReason: String,
          reconciled: Mixed,
          createdAt: Date,
          updatedAt: Date,
        },
        opts,
      )
        .index({ activeKey: 1 }, { unique: true })
        .index({ orderNo: 1 })
        .index({ driverId: 1, createdAt: -1 })
        .index({ parkNumber: 1, state: 1 })
        .index({ state: 1, 'cancel.nextAttemptAt': 1 }),
    ),
    ledgers: reuse(
      'BookingCapacity',
      new Schema<LedgerDoc>({ _id: { type: String, required: true }, parkNumber: String, key: String, heartbeatAt: Date, free: Number, v: Number }, opts),
    ),
    recon: reuse(
      'BookingReconciliation',
      new Schema<ReconDoc>(
        { parkNumber: String, ranAt: Date, lotOpen: Number, oursOpen: Number, matched: Number, admitted: Number, differences: Mixed },
        { versionKey: false },
      ).index({ parkNumber: 1, ranAt: -1 }),
    ),
  };
}

const toOffer = (d: OfferDoc | null | undefined): BookingOffer | undefined => {
  if (!d) return undefined;
  const { _id, ...rest } = d;
  return { ...rest, offerId: _id };
};

const toBooking = (d: BookingDoc | null | undefined): Booking | undefined => {
  if (!d) return undefined;
  const { _id, holdsOffer, holdsCap, ...rest } = d;
  const capacity = Object.entries(holdsCap ?? {})
    .filter(([, v]) => v)
    .map(([k]) => capKey(k));
  return { ...rest, bookingNo: _id, holds: { offer: holdsOffer === true, capacity } };
};

function fromBooking(b: Booking): BookingDoc {
  const { bookingNo, holds, ...rest } = b;
  return { ...rest, _id: bookingNo, holdsOffer: holds.offer, holdsCap: Object.fromEntries(holds.capacity.map((k) => [capField(k), true])) };
}

/** Domain `set` paths → stored paths (holds live in holdsOffer / holdsCap). */
function storedSet(set: Record<string, unknown>): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  for (const [k, v] of Object.entries(set)) {
    if (k === 'holds.offer') out.holdsOffer = v;
    else out[k] = v;
  }
  return out;
}

/** 'area:1' ⇄ 'area_1' as a stored field name (no ':' in paths, to be safe on every engine). */
const capField = (k: AreaKey) => k.replace(':', '_');
const capKey = (f: string) => f.replace('_', ':') as AreaKey;

const ledgerId = (parkNumber: string, key: AreaKey) => JSON.stringify([parkNumber, key]);

export class MongoBookingRepositories {
  readonly offers: OfferRepository;
  readonly bookings: BookingRepository;
  readonly capacity: CapacityRepository;
  readonly reconciliations: BookingReconciliationRepository;
  private readonly m: ReturnType<typeof models>;

  constructor(conn: Connection) {
    const m = models(conn);
    this.m = m;

    this.offers = {
      async insert(offer) {
        const { offerId, ...rest } = offer;
        await m.offers.create({ _id: offerId, ...rest });
      },
      async get(offerId) {
        return toOffer(await m.offers.findById(offerId).lean<OfferDoc>());
      },
      async listForPark(parkNumber, o = {}) {
        const q: Record<string, unknown> = { parkNumber };
        if (o.onSaleAt) Object.assign(q, { status: 'on_sale', letInEnd: { $gt: o.onSaleAt } });
        const docs = await m.offers.find(q).sort({ letInStart: 1 }).lean<OfferDoc[]>();
        return docs.map((d) => toOffer(d)!);
      },
      async parksWithOffers() {
        return (await m.offers.distinct('parkNumber')) as string[];
      },
      async take(offerId) {
        // held < count without $expr (FerretDB v1): read count (set at creation, never changed), then one
        // conditional $inc: of concurrent buyers only `count` ever get through.
        const offer = await m.offers.findById(offerId, { count: 1 }).lean<{ count: number }>();
        if (!offer) return false;
        const r = await m.offers.updateOne({ _id: offerId, status: 'on_sale', held: { $lt: offer.count } }, { $inc: { held: 1 } });
        return r.modifiedCount === 1;
      },
      async give(offerId) {
        await m.offers.updateOne({ _id: offerId, held: { $gt: 0 } }, { $inc: { held: -1 } });
      },
      async setStatus(offerId, status: OfferStatus, at) {
        return toOffer(await m.offers.findOneAndUpdate({ _id: offerId }, { $set: { status, updatedAt: at } }, { returnDocument: 'after' }).lean<OfferDoc>());
      },
    };

    const claimDue = (now: Date): Record<string, unknown> => ({
      state: 'cancelling',
      'cancel.state': 'pending',
      'cancel.nextAttemptAt': { $lte: now },
      $or: [{ 'cancel.leaseUntil': { $exists: false } }, { 'cancel.leaseUntil': null }, { 'cancel.leaseUntil': { $lte: now } }],
    });

    this.bookings = {
      async insert(b) {
        try {
          await m.bookings.create(fromBooking(b));
          return true;
        } catch (e) {
          if (isDuplicateKey(e)) return false;
          throw e;
        }
      },
      async get(bookingNo) {
        return toBooking(await m.bookings.findById(bookingNo).lean<BookingDoc>());
      },
      async byActiveKey(activeKey) {
        return toBooking(await m.bookings.findOne({ activeKey }).lean<BookingDoc>());
      },
      async byOrderNo(orderNo) {
        return toBooking(await m.bookings.findOne({ orderNo }).lean<BookingDoc>());
      },
      async listForDriver(driverId, limit) {
        const docs = await m.bookings.find({ driverId }).sort({ createdAt: -1 }).limit(limit).lean<BookingDoc[]>();
        return docs.map((d) => toBooking(d)!);
      },
      async listForPark(parkNumber, filter, limit) {
        const q: Record<string, unknown> = { parkNumber };
        if (filter.offerId) q.offerId = filter.offerId;
        if (filter.states) q.state = { $in: filter.states };
        if (filter.plateKey) q.plateKey = filter.plateKey;
        const docs = await m.bookings.find(q).sort({ createdAt: -1 }).limit(limit).lean<BookingDoc[]>();
        return docs.map((d) => toBooking(d)!);
      },
      async transition(bookingNo, from: BookingState[], set) {
        const doc = await m.bookings
          .findOneAndUpdate({ _id: bookingNo, state: { $in: from } }, { $set: storedSet(set) }, { returnDocument: 'after' })
          .lean<BookingDoc>();
        return toBooking(doc);
      },
      async dropHold(bookingNo, hold) {
        const path = hold === 'offer' ? 'holdsOffer' : `holdsCap.${capField(hold)}`;
        const r = await m.bookings.updateOne({ _id: bookingNo, [path]: true }, { $set: { [path]: false } });
        return r.modifiedCount === 1;
      },
      async addCapacityHold(bookingNo, key) {
        await m.bookings.updateOne({ _id: bookingNo }, { $set: { [`holdsCap.${capField(key)}`]: true } });
      },
      async holdingCapacity(parkNumber, key, reflectedBefore) {
        const docs = await m.bookings
          .find({
            parkNumber,
            [`holdsCap.${capField(key)}`]: true,
            $or: [{ issuedAt: { $exists: false } }, { issuedAt: null }, { issuedAt: { $gt: reflectedBefore } }],
          })
          .lean<BookingDoc[]>();
        return docs.map((d) => toBooking(d)!);
      },
      async inStates(states, limit) {
        const docs = await m.bookings.find({ state: { $in: states } }).limit(limit).lean<BookingDoc[]>();
        return docs.map((d) => toBooking(d)!);
      },
      async claimCancel(now, owner, leaseMs, bookingNo) {
        let id = bookingNo;
        if (!id) {
          const next = await m.bookings.findOne(claimDue(now), { _id: 1 }).sort({ 'cancel.nextAttemptAt': 1 }).lean<{ _id: string }>();
          if (!next) return undefined;
          id = next._id;
        }
        const doc = await m.bookings
          .findOneAndUpdate(
            { _id: id, ...claimDue(now) },
            { $set: { 'cancel.leaseOwner': owner, 'cancel.leaseUntil': new Date(now.getTime() + leaseMs) }, $inc: { 'cancel.attempts': 1 } },
            { returnDocument: 'after' },
          )
          .lean<BookingDoc>();
        return toBooking(doc);
      },
      async releaseCancelLease(bookingNo, owner, set) {
        const doc = await m.bookings
          .findOneAndUpdate({ _id: bookingNo, 'cancel.leaseOwner': owner }, { $set: { ...storedSet(set), 'cancel.leaseUntil': null } }, { returnDocument: 'after' })
          .lean<BookingDoc>();
        return toBooking(doc);
      },
      async forReconciliation(parkNumber, endsAfter, bookingNos) {
        const docs = await m.bookings
          .find({ parkNumber, $or: [{ state: { $in: ['issued', 'cancelling', 'cancelled'] }, end: { $gt: endsAfter } }, { _id: { $in: bookingNos } }] })
          .lean<BookingDoc[]>();
        return docs.map((d) => toBooking(d)!);
      },
      async markReconciled(bookingNo, at, issue, admittedAt) {
        await m.bookings.updateOne({ _id: bookingNo }, { $set: { reconciled: issue ? { at, issue } : { at } } });
        if (admittedAt) {
          await m.bookings.updateOne({ _id: bookingNo, state: 'issued', $or: [{ admittedAt: { $exists: false } }, { admittedAt: null }] }, { $set: { admittedAt } });
        }
      },
      async letInWindows(parkNumber, now) {
        const docs = await m.bookings.find({ parkNumber, state: 'issued', letInEnd: { $gte: now } }).lean<BookingDoc[]>();
        return docs.map((d) => toBooking(d)!);
      },
      async markAdmitted(bookingNo, at) {
        const r = await m.bookings.updateOne(
          { _id: bookingNo, state: 'issued', $or: [{ admittedAt: { $exists: false } }, { admittedAt: null }] },
          { $set: { admittedAt: at, updatedAt: at } },
        );
        return r.modifiedCount === 1;
      },
    };

    this.capacity = {
      async get(parkNumber, key) {
        const d = await m.ledgers.findById(ledgerId(parkNumber, key)).lean<LedgerDoc>();
        return d ? { parkNumber: d.parkNumber, key: d.key as AreaKey, heartbeatAt: d.heartbeatAt, free: d.free, v: d.v } : undefined;
      },
      async rebase(parkNumber, key, heartbeatAt, free, expectedV) {
        const _id = ledgerId(parkNumber, key);
        if (expectedV === undefined) {
          try {
            await m.ledgers.create({ _id, parkNumber, key, heartbeatAt, free, v: 0 });
            return true;
          } catch (e) {
            if (isDuplicateKey(e)) return false;
            throw e;
          }
        }
        const r = await m.ledgers.updateOne({ _id, v: expectedV }, { $set: { heartbeatAt, free }, $inc: { v: 1 } });
        return r.modifiedCount === 1;
      },
      async take(parkNumber, key) {
        const r = await m.ledgers.updateOne({ _id: ledgerId(parkNumber, key), free: { $gt: 0 } }, { $inc: { free: -1, v: 1 } });
        return r.modifiedCount === 1;
      },
      async give(parkNumber, key) {
        await m.ledgers.updateOne({ _id: ledgerId(parkNumber, key) }, { $inc: { free: 1, v: 1 } });
      },
    };

    this.reconciliations = {
      async save(r) {
        await m.recon.create(r);
      },
      async latest(parkNumber) {
        const d = await m.recon.findOne({ parkNumber }).sort({ ranAt: -1 }).lean<ReconDoc>();
        if (!d) return undefined;
        const { _id: _ignored, ...rest } = d;
        return rest as BookingReconciliation;
      },
    };
  }

  async init(): Promise<void> {
    await Promise.all(Object.values(this.m).map((model) => (model as Model<unknown>).init()));
  }
}
