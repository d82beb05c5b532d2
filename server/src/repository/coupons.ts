/**
 * mongoose implementation of CouponRepository. Coupons are keyed by couponCode (_id) and fixed codes by
 * their code (_id); a stay's coupons are found through one small index document per stay (_id = park +
 * orderId), because the lane side (4.13, the driver's fee) must not scan the coupon collection (FerretDB v1
 * scans whole collections for anything but _id). A request is found by its key document (coupon_requests:
 * park + requestId → couponCode, written once the coupon's insert won). Coupons due to be sent again are
 * found in the work collection (repository/work.ts). Every write is one atomic single-document operation.
 */
import { Schema, type Connection, type Model } from 'mongoose';
import { couponDue, type Coupon, type CouponChange, type CouponListFilter, type CouponRepository, type FixedCode, type InsertResult } from '../core/coupons/model';
import type { WorkItem } from '../core/work';
import { awaitKey, forEachDoc, KeyIndex, runOnce } from './keys';
import { toUpdate } from './patch';
import { isDuplicateKey } from './util';
import { MongoWorkQueue } from './work';

type CouponDoc = Omit<Coupon, 'couponCode'> & { _id: string };
/** usesLeft: what the conditional take counts down (maxUses − uses; UNLIMITED when there is no maxUses). */
type FixedDoc = Omit<FixedCode, 'code'> & { _id: string; usesLeft: number };
const UNLIMITED = Number.MAX_SAFE_INTEGER;
interface StayDoc {
  _id: string;
  codes: string[];
}

const Mixed = Schema.Types.Mixed;

export function couponModels(conn: Connection) {
  const reuse = <T>(name: string, schema: Schema<T>): Model<T> => (conn.models[name] as Model<T> | undefined) ?? conn.model<T>(name, schema);
  return {
    coupons: reuse(
      'Coupon',
      new Schema<CouponDoc>(
        {
          _id: { type: String, required: true },
          parkNumber: { type: String, required: true },
          requestId: { type: String, required: true },
          kind: String,
          amount: Number,
          end: Date,
          orderId: String,
          plate: String,
          plateKey: String,
          issuer: Mixed,
          via: String,
          fixedCode: String,
          status: { type: String, required: true },
          attempts: Number,
          nextAttemptAt: Date,
          lastError: String,
          refusal: String,
          usedAtExit: Mixed,
          revoked: Mixed,
          memo: String,
          createdAt: Date,
          updatedAt: Date,
        },
        { versionKey: false, minimize: false },
      )
        .index({ parkNumber: 1, requestId: 1 }, { unique: true })
        .index({ parkNumber: 1, createdAt: -1 }),
    ),
    stays: reuse('CouponStay', new Schema<StayDoc>({ _id: { type: String, required: true }, codes: [String] }, { versionKey: false })),
    fixed: reuse(
      'FixedCouponCode',
      new Schema<FixedDoc>(
        {
          _id: { type: String, required: true },
          parkNumber: { type: String, required: true },
          kind: String,
          amount: Number,
          end: Date,
          maxUses: Number,
          uses: Number,
          usesLeft: Number,
          disabled: Boolean,
          label: String,
          issuer: Mixed,
          createdAt: Date,
          updatedAt: Date,
        },
        { versionKey: false, minimize: false },
      ).index({ parkNumber: 1 }),
    ),
  };
}

const stayKey = (parkNumber: string, orderId: string) => JSON.stringify([parkNumber, orderId]);
const requestKey = (parkNumber: string, requestId: string) => JSON.stringify([parkNumber, requestId]);

function toCoupon(doc: CouponDoc | null | undefined): Coupon | undefined {
  if (!doc) return undefined;
  const { _id, ...rest } = doc;
  const c = { ...rest, couponCode: _id } as Coupon & Record<string, unknown>;
  // Absent optional fields may come back as null from some engines.
  for (const k of ['nextAttemptAt', 'lastError', 'refusal', 'usedAtExit', 'revoked', 'fixedCode']) if (c[k] === null) delete c[k];
  return c;
}

function toFixed(doc: FixedDoc | null | undefined): FixedCode | undefined {
  if (!doc) return undefined;
  const { _id, usesLeft: _left, ...rest } = doc;
  const f = { ...rest, code: _id } as FixedCode & Record<string, unknown>;
  if (f.maxUses === null) delete f.maxUses;
  return f;
}

/** `set` as $set for values and $unset for keys set to undefined (clearing a field). */
export class MongoCouponRepository implements CouponRepository {
  private readonly m: ReturnType<typeof couponModels>;
  private readonly work: MongoWorkQueue;
  private readonly requests: KeyIndex;
  constructor(private readonly conn: Connection) {
    this.m = couponModels(conn);
    this.work = new MongoWorkQueue(conn);
    this.requests = new KeyIndex(conn, 'coupon_requests');
  }

  async init(): Promise<void> {
    await Promise.all([this.m.coupons.init(), this.m.stays.init(), this.m.fixed.init(), this.work.init(), this.requests.init()]);
    await runOnce(this.conn, 'coupons: request keys and work items', () =>
      forEachDoc(this.m.coupons, {}, { parkNumber: 1, requestId: 1, status: 1, nextAttemptAt: 1 }, async (docs: CouponDoc[]) => {
        await this.requests.setMany(docs.map((d) => ({ key: requestKey(d.parkNumber, d.requestId), ref: d._id })));
        await this.work.scheduleMany(
          docs.flatMap((d) => {
            const due = couponDue(d);
            return due ? [{ kind: 'coupon' as const, ref: d._id, due }] : [];
          }),
        );
      }),
    );
  }

  async insert(c: Coupon): Promise<InsertResult> {
    // The stay's index first: an index entry whose coupon never got inserted is skipped on reading; a coupon
    // missing from its stay's index would be invisible to the exit. Its work item with it.
    await this.m.stays.updateOne({ _id: stayKey(c.parkNumber, c.orderId) }, { $addToSet: { codes: c.couponCode } }, { upsert: true });
    const { couponCode, ...rest } = c;
    const due = couponDue(c);
    try {
      await Promise.all([due ? this.work.schedule('coupon', couponCode, due) : undefined, this.m.coupons.create({ ...rest, _id: couponCode })]);
    } catch (e) {
      if (!isDuplicateKey(e)) throw e;
      const byCode = await this.m.coupons.exists({ _id: couponCode });
      if (byCode) return 'duplicate_code';
      await this.repairRequestKey(c.parkNumber, c.requestId);
      return 'duplicate_request';
    }
    await this.requests.set(requestKey(c.parkNumber, c.requestId), couponCode);
    return 'ok';
  }

  /** A request's insert lost: its key (written right after the winner) is there. */
  private async repairRequestKey(parkNumber: string, requestId: string): Promise<void> {
    await awaitKey(
      async () => (await this.byRequest(parkNumber, requestId)) !== undefined,
      async () => (await this.m.coupons.findOne({ parkNumber, requestId }, { _id: 1 }).lean<{ _id: string }>())?._id,
      (ref) => this.requests.set(requestKey(parkNumber, requestId), ref),
    );
  }

  async get(couponCode: string): Promise<Coupon | undefined> {
    return toCoupon(await this.m.coupons.findById(couponCode).lean<CouponDoc>());
  }

  async byRequest(parkNumber: string, requestId: string): Promise<Coupon | undefined> {
    const code = await this.requests.ref(requestKey(parkNumber, requestId));
    const c = code ? await this.get(code) : undefined;
    return c && c.parkNumber === parkNumber && c.requestId === requestId ? c : undefined;
  }

  async forStay(parkNumber: string, orderId: string): Promise<Coupon[]> {
    const stay = await this.m.stays.findById(stayKey(parkNumber, orderId)).lean<StayDoc>();
    if (!stay || stay.codes.length === 0) return [];
    const docs = await Promise.all(stay.codes.map((code) => this.m.coupons.findById(code).lean<CouponDoc>()));
    // The index entry is written before the coupon: a code whose insert lost to another stay's coupon stays
    // listed here, so each coupon is checked to be this stay's.
    return docs.map(toCoupon).filter((c): c is Coupon => c !== undefined && c.parkNumber === parkNumber && c.orderId === orderId);
  }

  async list(parkNumber: string, f: CouponListFilter): Promise<Coupon[]> {
    const q: Record<string, unknown> = { parkNumber };
    if (f.plateKey) q.plateKey = f.plateKey;
    if (f.status) q.status = f.status;
    if (f.issuerId) q['issuer.operatorId'] = f.issuerId;
    const docs = await this.m.coupons.find(q).sort({ createdAt: -1 }).limit(f.limit).lean<CouponDoc[]>();
    return docs.map((d) => toCoupon(d)!);
  }

  async apply(couponCode: string, c: CouponChange): Promise<Coupon | undefined> {
    const filter: Record<string, unknown> = { _id: couponCode, status: { $in: c.from } };
    if (c.when?.dueBy) filter.nextAttemptAt = { $lte: c.when.dueBy };
    const { countAttempt, ...set } = c.set;
    const update: Record<string, unknown> = toUpdate({ ...set, ...(c.to ? { status: c.to } : {}) });
    if (countAttempt) update.$inc = { attempts: 1 };
    const write = async () => toCoupon(await this.m.coupons.findOneAndUpdate(filter, update, { returnDocument: 'after' }).lean<CouponDoc>());
    // A next attempt set: the coupon has work (again) — its item is held around the write.
    return set.nextAttemptAt instanceof Date ? this.work.around('coupon', couponCode, write, couponDue) : write();
  }

  dueWork(now: Date, limit: number): Promise<WorkItem[]> {
    return this.work.due(['coupon'], now, limit);
  }

  settleWork(item: WorkItem, next: Date | undefined): Promise<void> {
    return this.work.settle(item, next);
  }

  async insertFixed(f: FixedCode): Promise<boolean> {
    const { code, ...rest } = f;
    try {
      await this.m.fixed.create({ ...rest, _id: code, usesLeft: f.maxUses === undefined ? UNLIMITED : f.maxUses - f.uses });
      return true;
    } catch (e) {
      if (isDuplicateKey(e)) return false;
      throw e;
    }
  }

  async getFixed(code: string): Promise<FixedCode | undefined> {
    return toFixed(await this.m.fixed.findById(code).lean<FixedDoc>());
  }

  async listFixed(parkNumber: string, issuerId?: string): Promise<FixedCode[]> {
    const q: Record<string, unknown> = { parkNumber };
    if (issuerId) q['issuer.operatorId'] = issuerId;
    const docs = await this.m.fixed.find(q).sort({ createdAt: -1 }).lean<FixedDoc[]>();
    return docs.map((d) => toFixed(d)!);
  }

  async setFixedDisabled(code: string, disabled: boolean, at: Date): Promise<FixedCode | undefined> {
    return toFixed(await this.m.fixed.findOneAndUpdate({ _id: code }, { $set: { disabled, updatedAt: at } }, { returnDocument: 'after' }).lean<FixedDoc>());
  }

  async takeFixedUse(code: string, now: Date): Promise<FixedCode | undefined> {
    // One conditional update: enabled, not past its end, and a use left.
    const doc = await this.m.fixed
      .findOneAndUpdate(
        { _id: code, disabled: false, end: { $gte: now }, usesLeft: { $gt: 0 } },
        { $inc: { uses: 1, usesLeft: -1 }, $set: { updatedAt: now } },
        { returnDocument: 'after' },
      )
      .lean<FixedDoc>();
    return toFixed(doc);
  }

  async removeIssuing(couponCode: string): Promise<void> {
    await this.m.coupons.deleteOne({ _id: couponCode, status: 'issuing' });
  }
}
