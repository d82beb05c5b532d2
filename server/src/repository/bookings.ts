/**
 * mongoose implementations of the booking repositories (core/bookings/model.ts). Every write is one atomic
 * single-document operation: the offer's `held` and a ledger's `free` are conditional $inc (the counters
 * that keep concurrent buyers from overselling), states change with conditional findOneAndUpdate, and
 * cancellation attempts are claimed with a lease like order deliveries.
 *
 * Lookups are by _id (FerretDB v1 scans a whole collection for anything else): a booking by its number; by
 * its active key (offer + plate) through booking_active (written once the insert won); a driver's bookings
 * through driver_bookings and a park's bookings that have not ended (4.28's let-in windows, capacity holds,
 * the 4.19 reconciliation) through park_bookings (both added before the booking is inserted; readers check
 * each booking, and park_bookings lets go of bookings long ended or released). Bookings with work due are
 * in the work collection.
 */
import { Schema, type Connection, type Model } from 'mongoose';
import {
  bookingDue,
  type AreaKey,
  type Booking,
  type BookingOffer,
  type BookingReconciliation,
  type BookingReconciliationRepository,
  type BookingChange,
  type BookingRepository,
  type BookingState,
  type CapacityLedger,
  type CapacityRepository,
  type OfferRepository,
  type OfferStatus,
} from '../core/bookings/model';
import type { WorkItem } from '../core/work';
import { awaitKey, forEachDoc, KeyIndex, runOnce } from './keys';
import { toUpdate } from './patch';
import { isDuplicateKey } from './util';
import { MongoWorkQueue } from './work';

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
        // The operators' lists of a park's bookings (MongoDB).
        .index({ parkNumber: 1, createdAt: -1 }),
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

/** 'area:1' ⇄ 'area_1' as a stored field name (no ':' in paths, to be safe on every engine). */
const capField = (k: AreaKey) => k.replace(':', '_');
const capKey = (f: string) => f.replace('_', ':') as AreaKey;

const ledgerId = (parkNumber: string, key: AreaKey) => JSON.stringify([parkNumber, key]);
/** A park's booking that ended this long ago is no longer kept in park_bookings. */
const ENDED_KEEP_MS = 24 * 60 * 60_000;

type Models = ReturnType<typeof models>;
interface BookingKeys {
  active: KeyIndex;
  byDriver: KeyIndex;
  byPark: KeyIndex;
}

class MongoOffers implements OfferRepository {
  constructor(private readonly m: Models) {}

  async insert(offer: BookingOffer): Promise<void> {
    const { offerId, ...rest } = offer;
    await this.m.offers.create({ _id: offerId, ...rest });
  }

  async get(offerId: string): Promise<BookingOffer | undefined> {
    return toOffer(await this.m.offers.findById(offerId).lean<OfferDoc>());
  }

  async listForPark(parkNumber: string, o: { onSaleAt?: Date } = {}): Promise<BookingOffer[]> {
    const q: Record<string, unknown> = { parkNumber };
    if (o.onSaleAt) Object.assign(q, { status: 'on_sale', letInEnd: { $gt: o.onSaleAt } });
    const docs = await this.m.offers.find(q).sort({ letInStart: 1 }).lean<OfferDoc[]>();
    return docs.map((d) => toOffer(d)!);
  }

  async parksWithOffers(): Promise<string[]> {
    return (await this.m.offers.distinct('parkNumber')) as string[];
  }

  async take(offerId: string): Promise<boolean> {
    // held < count without $expr (FerretDB v1): read count (set at creation, never changed), then one
    // conditional $inc: of concurrent buyers only `count` ever get through.
    const offer = await this.m.offers.findById(offerId, { count: 1 }).lean<{ count: number }>();
    if (!offer) return false;
    const r = await this.m.offers.updateOne({ _id: offerId, status: 'on_sale', held: { $lt: offer.count } }, { $inc: { held: 1 } });
    return r.modifiedCount === 1;
  }

  async give(offerId: string): Promise<void> {
    await this.m.offers.updateOne({ _id: offerId, held: { $gt: 0 } }, { $inc: { held: -1 } });
  }

  async setStatus(offerId: string, status: OfferStatus, at: Date): Promise<BookingOffer | undefined> {
    return toOffer(await this.m.offers.findOneAndUpdate({ _id: offerId }, { $set: { status, updatedAt: at } }, { returnDocument: 'after' }).lean<OfferDoc>());
  }
}

/**
 * The public methods are the repository; its own reads go through the private ones, so a caller that wraps
 * one of the public methods (a test holding a step half-way) sees only the calls made from outside.
 */
class MongoBookings implements BookingRepository {
  constructor(
    private readonly m: Models,
    private readonly work: MongoWorkQueue,
    private readonly keys: BookingKeys,
  ) {}

  private async read(bookingNo: string): Promise<Booking | undefined> {
    return toBooking(await this.m.bookings.findById(bookingNo).lean<BookingDoc>());
  }

  private async readAll(nos: string[]): Promise<Booking[]> {
    return (await Promise.all(nos.map((no) => this.read(no)))).filter((b): b is Booking => b !== undefined);
  }

  /** The park's bookings that have not ended long ago; lets go of those that did (and of released ones). */
  private async ofPark(parkNumber: string, now: Date): Promise<Booking[]> {
    const nos = await this.keys.byPark.refs(parkNumber);
    const found = await Promise.all(nos.map((no) => this.read(no)));
    const keep: Booking[] = [];
    const drop: string[] = [];
    found.forEach((b, i) => {
      if (!b) return; // its insert may be under way, or lost: a later look decides
      if (b.parkNumber !== parkNumber) return;
      if (b.state === 'released' || b.end.getTime() < now.getTime() - ENDED_KEEP_MS) drop.push(nos[i]!);
      else keep.push(b);
    });
    for (const no of drop) await this.keys.byPark.remove(parkNumber, no);
    return keep;
  }

  private async write(bookingNo: string, filter: Record<string, unknown>, update: Record<string, unknown>, givesWork: boolean): Promise<Booking | undefined> {
    const write = async () =>
      toBooking(await this.m.bookings.findOneAndUpdate({ _id: bookingNo, ...filter }, update, { returnDocument: 'after' }).lean<BookingDoc>());
    return givesWork ? this.work.around('booking', bookingNo, write, (b) => bookingDue(b, new Date(b.updatedAt))) : write();
  }

  async insert(b: Booking): Promise<boolean> {
    const { active, byDriver, byPark } = this.keys;
    // Its keys and its work item first (a reader checks each booking; an item whose booking never came is let go).
    await Promise.all([byDriver.add(b.driverId, b.bookingNo), byPark.add(b.parkNumber, b.bookingNo), this.work.schedule('booking', b.bookingNo, b.createdAt)]);
    try {
      await this.m.bookings.create(fromBooking(b));
    } catch (e) {
      if (!isDuplicateKey(e)) throw e;
      // The winner's key is written right after it.
      await awaitKey(
        async () => (await active.ref(b.activeKey).then((no) => (no ? this.read(no) : undefined)))?.activeKey === b.activeKey,
        async () => (await this.m.bookings.findOne({ activeKey: b.activeKey }, { _id: 1 }).lean<{ _id: string }>())?._id,
        (ref) => active.set(b.activeKey, ref),
      );
      return false;
    }
    await active.set(b.activeKey, b.bookingNo);
    return true;
  }

  get(bookingNo: string): Promise<Booking | undefined> {
    return this.read(bookingNo);
  }

  async byActiveKey(activeKey: string): Promise<Booking | undefined> {
    const no = await this.keys.active.ref(activeKey);
    const b = no ? await this.read(no) : undefined;
    return b?.activeKey === activeKey ? b : undefined;
  }

  async listForDriver(driverId: string, limit: number): Promise<Booking[]> {
    const nos = (await this.keys.byDriver.refs(driverId)).slice(-Math.max(limit * 2, limit + 20));
    return (await this.readAll(nos))
      .filter((b) => b.driverId === driverId)
      .sort((a, b) => b.createdAt.getTime() - a.createdAt.getTime())
      .slice(0, limit);
  }

  async listForPark(parkNumber: string, filter: { offerId?: string; states?: BookingState[]; plateKey?: string }, limit: number): Promise<Booking[]> {
    // Operators' lists: every booking of the park, newest first.
    const q: Record<string, unknown> = { parkNumber };
    if (filter.offerId) q.offerId = filter.offerId;
    if (filter.states) q.state = { $in: filter.states };
    if (filter.plateKey) q.plateKey = filter.plateKey;
    const docs = await this.m.bookings.find(q).sort({ createdAt: -1 }).limit(limit).lean<BookingDoc[]>();
    return docs.map((d) => toBooking(d)!);
  }

  async apply(bookingNo: string, c: BookingChange): Promise<Booking | undefined> {
    const filter: Record<string, unknown> = { state: { $in: c.from } };
    if (c.when?.cancelLeaseOwner !== undefined) filter['cancel.leaseOwner'] = c.when.cancelLeaseOwner;
    // The cancellation is written field by field; the offer hold lives in holdsOffer.
    const update = toUpdate({ ...c.set, ...(c.to ? { state: c.to } : {}) }, ['cancel', 'holds'], { 'holds.offer': 'holdsOffer' });
    return this.write(bookingNo, filter, update, c.to === 'cancelling');
  }

  async dropHold(bookingNo: string, hold: 'offer' | AreaKey): Promise<boolean> {
    const path = hold === 'offer' ? 'holdsOffer' : `holdsCap.${capField(hold)}`;
    const r = await this.m.bookings.updateOne({ _id: bookingNo, [path]: true }, { $set: { [path]: false } });
    return r.modifiedCount === 1;
  }

  async addCapacityHold(bookingNo: string, key: AreaKey): Promise<void> {
    await this.m.bookings.updateOne({ _id: bookingNo }, { $set: { [`holdsCap.${capField(key)}`]: true } });
  }

  async holdingCapacity(parkNumber: string, key: AreaKey, reflectedBefore: Date): Promise<Booking[]> {
    return (await this.ofPark(parkNumber, new Date())).filter(
      (b) => b.holds.capacity.includes(key) && (!b.issuedAt || b.issuedAt.getTime() > reflectedBefore.getTime()),
    );
  }

  dueWork(now: Date, limit: number): Promise<WorkItem[]> {
    return this.work.due(['booking'], now, limit);
  }

  settleWork(item: WorkItem, next: Date | undefined): Promise<void> {
    return this.work.settle(item, next);
  }

  async claimCancel(now: Date, owner: string, leaseMs: number, bookingNo: string): Promise<Booking | undefined> {
    const doc = await this.m.bookings
      .findOneAndUpdate(
        {
          _id: bookingNo,
          state: 'cancelling',
          'cancel.state': 'pending',
          'cancel.nextAttemptAt': { $lte: now },
          $or: [{ 'cancel.leaseUntil': { $exists: false } }, { 'cancel.leaseUntil': null }, { 'cancel.leaseUntil': { $lte: now } }],
        },
        { $set: { 'cancel.leaseOwner': owner, 'cancel.leaseUntil': new Date(now.getTime() + leaseMs) }, $inc: { 'cancel.attempts': 1 } },
        { returnDocument: 'after' },
      )
      .lean<BookingDoc>();
    return toBooking(doc);
  }

  async forReconciliation(parkNumber: string, endsAfter: Date, bookingNos: string[]): Promise<Booking[]> {
    const listed = await this.ofPark(parkNumber, new Date());
    const seen = new Set(listed.map((b) => b.bookingNo));
    const named = await this.readAll(bookingNos.filter((no) => !seen.has(no)));
    return [
      ...listed.filter((b) => ['issued', 'cancelling', 'cancelled'].includes(b.state) && b.end.getTime() > endsAfter.getTime()),
      ...named.filter((b) => b.parkNumber === parkNumber),
    ];
  }

  async markReconciled(bookingNo: string, at: Date, issue: string | undefined, admittedAt?: Date): Promise<void> {
    await this.m.bookings.updateOne({ _id: bookingNo }, { $set: { reconciled: issue ? { at, issue } : { at } } });
    if (admittedAt) {
      await this.m.bookings.updateOne({ _id: bookingNo, state: 'issued', $or: [{ admittedAt: { $exists: false } }, { admittedAt: null }] }, { $set: { admittedAt } });
    }
  }

  async letInWindows(parkNumber: string, now: Date): Promise<Booking[]> {
    return (await this.ofPark(parkNumber, now)).filter((b) => b.state === 'issued' && b.letInEnd.getTime() >= now.getTime());
  }

  async markAdmitted(bookingNo: string, at: Date): Promise<boolean> {
    const r = await this.m.bookings.updateOne(
      { _id: bookingNo, state: 'issued', $or: [{ admittedAt: { $exists: false } }, { admittedAt: null }] },
      { $set: { admittedAt: at, updatedAt: at } },
    );
    return r.modifiedCount === 1;
  }
}

class MongoCapacity implements CapacityRepository {
  constructor(private readonly m: Models) {}

  async get(parkNumber: string, key: AreaKey): Promise<CapacityLedger | undefined> {
    const d = await this.m.ledgers.findById(ledgerId(parkNumber, key)).lean<LedgerDoc>();
    return d ? { parkNumber: d.parkNumber, key: d.key as AreaKey, heartbeatAt: d.heartbeatAt, free: d.free, v: d.v } : undefined;
  }

  async rebase(parkNumber: string, key: AreaKey, heartbeatAt: Date, free: number, expectedV: number | undefined): Promise<boolean> {
    const _id = ledgerId(parkNumber, key);
    if (expectedV === undefined) {
      try {
        await this.m.ledgers.create({ _id, parkNumber, key, heartbeatAt, free, v: 0 });
        return true;
      } catch (e) {
        if (isDuplicateKey(e)) return false;
        throw e;
      }
    }
    const r = await this.m.ledgers.updateOne({ _id, v: expectedV }, { $set: { heartbeatAt, free }, $inc: { v: 1 } });
    return r.modifiedCount === 1;
  }

  async take(parkNumber: string, key: AreaKey): Promise<boolean> {
    const r = await this.m.ledgers.updateOne({ _id: ledgerId(parkNumber, key), free: { $gt: 0 } }, { $inc: { free: -1, v: 1 } });
    return r.modifiedCount === 1;
  }

  async give(parkNumber: string, key: AreaKey): Promise<void> {
    await this.m.ledgers.updateOne({ _id: ledgerId(parkNumber, key) }, { $inc: { free: 1, v: 1 } });
  }
}

class MongoBookingReconciliations implements BookingReconciliationRepository {
  constructor(private readonly m: Models) {}

  async save(r: BookingReconciliation): Promise<void> {
    await this.m.recon.create(r);
  }

  async latest(parkNumber: string): Promise<BookingReconciliation | undefined> {
    const d = await this.m.recon.findOne({ parkNumber }).sort({ ranAt: -1 }).lean<ReconDoc>();
    if (!d) return undefined;
    const { _id: _ignored, ...rest } = d;
    return rest as BookingReconciliation;
  }
}

export class MongoBookingRepositories {
  readonly offers: OfferRepository;
  readonly bookings: BookingRepository;
  readonly capacity: CapacityRepository;
  readonly reconciliations: BookingReconciliationRepository;
  private readonly m: Models;
  private readonly work: MongoWorkQueue;
  private readonly keys: BookingKeys;

  constructor(private readonly conn: Connection) {
    this.m = models(conn);
    this.work = new MongoWorkQueue(conn);
    this.keys = {
      active: new KeyIndex(conn, 'booking_active'),
      byDriver: new KeyIndex(conn, 'driver_bookings'),
      byPark: new KeyIndex(conn, 'park_bookings'),
    };
    this.offers = new MongoOffers(this.m);
    this.bookings = new MongoBookings(this.m, this.work, this.keys);
    this.capacity = new MongoCapacity(this.m);
    this.reconciliations = new MongoBookingReconciliations(this.m);
  }

  async init(): Promise<void> {
    await Promise.all([...Object.values(this.m).map((model) => (model as Model<unknown>).init()), this.work.init(), ...Object.values(this.keys).map((k) => k.init())]);
    await runOnce(this.conn, 'bookings: keys and work items', () =>
      forEachDoc(this.m.bookings, {}, undefined, async (docs: BookingDoc[]) => {
        const bookings = docs.map((d) => toBooking(d)!);
        const now = new Date();
        await Promise.all([
          this.keys.byDriver.addMany(bookings.map((b) => ({ key: b.driverId, ref: b.bookingNo }))),
          this.keys.byPark.addMany(bookings.filter((b) => b.state !== 'released' && b.end.getTime() >= now.getTime() - ENDED_KEEP_MS).map((b) => ({ key: b.parkNumber, ref: b.bookingNo }))),
          this.keys.active.setMany(bookings.map((b) => ({ key: b.activeKey, ref: b.bookingNo }))),
          this.work.scheduleMany(
            bookings.flatMap((b) => {
              const due = bookingDue(b, now);
              return due ? [{ kind: 'booking' as const, ref: b.bookingNo, due }] : [];
            }),
          ),
        ]);
      }),
    );
  }
}
