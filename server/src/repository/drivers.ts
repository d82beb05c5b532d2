/**
 * mongoose implementation of core/identity's DriverRepository and SessionRepository.
 *
 * Drivers: one document each, plates inside it (at most a handful), so binding is one atomic update.
 * A login finds its driver by _id through a key document per provider identity (driver_keys:
 * `wechat:<openid>`, `alipay-user:<user_id>`, `alipay-open:<open_id>` → driverId): the first login claims
 * the key with a new driver id (an insert: of concurrent first logins one wins, the others read its id),
 * then inserts the driver under that id — a login that finds the key but not the driver (the first one died
 * in between) inserts it. Unique sparse indexes on the identity fields remain the last word.
 * Sessions: keyed by sha256(token); the token itself is never here.
 */
import { Schema, type Connection, type Model } from 'mongoose';
import type {
  AddPlateOutcome,
  BoundPlate,
  Driver,
  DriverRepository,
  ProviderIdentity,
  SessionRecord,
  SessionRepository,
} from '../core/identity/model';
import { forEachDoc, KeyIndex, runOnce } from './keys';
import { isDuplicateKey } from './util';

interface DriverDoc {
  _id: string;
  wechatOpenId?: string;
  wechatUnionId?: string;
  alipayUserId?: string;
  alipayOpenId?: string;
  createdAt: Date;
  plates: BoundPlate[];
}

interface SessionDoc {
  /** sha256(token), hex. */
  _id: string;
  driverId: string;
  provider: string;
  createdAt: Date;
  expiresAt: Date;
  revokedAt?: Date;
}

const opts = { versionKey: false } as const;

export function identityModels(conn: Connection) {
  const reuse = <T>(name: string, schema: Schema<T>): Model<T> =>
    (conn.models[name] as Model<T> | undefined) ?? conn.model<T>(name, schema);
  return {
    drivers: reuse(
      'Driver',
      new Schema<DriverDoc>(
        {
          _id: { type: String, required: true },
          wechatOpenId: String,
          wechatUnionId: String,
          alipayUserId: String,
          alipayOpenId: String,
          createdAt: { type: Date, required: true },
          plates: [new Schema<BoundPlate>({ plate: String, plateKey: String, boundAt: Date }, { _id: false })],
        },
        opts,
      )
        // Sparse: most drivers have only one of these. (Never store null in them: null would be indexed.)
        .index({ wechatOpenId: 1 }, { unique: true, sparse: true })
        .index({ alipayUserId: 1 }, { unique: true, sparse: true })
        .index({ alipayOpenId: 1 }, { unique: true, sparse: true })
        // "Which drivers have bound this plate" (several may: family members).
        .index({ 'plates.plateKey': 1 }),
    ),
    sessions: reuse(
      'DriverSession',
      new Schema<SessionDoc>(
        {
          _id: { type: String, required: true },
          driverId: { type: String, required: true },
          provider: String,
          createdAt: Date,
          expiresAt: Date,
          revokedAt: Date,
        },
        opts,
      ).index({ driverId: 1 }),
    ),
  };
}

function toDriver(d: DriverDoc): Driver {
  const driver: Driver = {
    id: d._id,
    createdAt: d.createdAt,
    plates: (d.plates ?? []).map((p) => ({ plate: p.plate, plateKey: p.plateKey, boundAt: p.boundAt })),
  };
  if (d.wechatOpenId) driver.wechatOpenId = d.wechatOpenId;
  if (d.wechatUnionId) driver.wechatUnionId = d.wechatUnionId;
  if (d.alipayUserId) driver.alipayUserId = d.alipayUserId;
  if (d.alipayOpenId) driver.alipayOpenId = d.alipayOpenId;
  return driver;
}

/** The filter a provider identity is found by, and the fields a found driver gets updated with. */
function keyOf(identity: ProviderIdentity): { filter: Record<string, string>; set: Record<string, string> } {
  if (identity.provider === 'wechat') {
    return { filter: { wechatOpenId: identity.wechatOpenId }, set: identity.wechatUnionId ? { wechatUnionId: identity.wechatUnionId } : {} };
  }
  // user_id is Alipay's global id; open_id is per app. Prefer user_id when both are given.
  if (identity.alipayUserId) {
    return { filter: { alipayUserId: identity.alipayUserId }, set: identity.alipayOpenId ? { alipayOpenId: identity.alipayOpenId } : {} };
  }
  if (identity.alipayOpenId) return { filter: { alipayOpenId: identity.alipayOpenId }, set: {} };
  throw new Error('an Alipay identity needs a user_id or an open_id');
}

/** The key documents of a driver's identities (what a login is found by). */
function identityKeys(d: Pick<DriverDoc, 'wechatOpenId' | 'alipayUserId' | 'alipayOpenId'>): string[] {
  return [
    ...(d.wechatOpenId ? [`wechat:${d.wechatOpenId}`] : []),
    ...(d.alipayUserId ? [`alipay-user:${d.alipayUserId}`] : []),
    ...(d.alipayOpenId ? [`alipay-open:${d.alipayOpenId}`] : []),
  ];
}

export class MongoDriverRepository implements DriverRepository {
  private readonly model: Model<DriverDoc>;
  private readonly keys: KeyIndex;
  /** plateKey → the drivers who bound it (the audience of a car's entry, found without reading every driver). */
  private readonly plateKeys: KeyIndex;
  constructor(private readonly conn: Connection) {
    this.model = identityModels(conn).drivers;
    this.keys = new KeyIndex(conn, 'driver_keys');
    this.plateKeys = new KeyIndex(conn, 'driver_plate_keys');
  }

  async init(): Promise<void> {
    await Promise.all([this.model.init(), this.keys.init(), this.plateKeys.init()]);
    await runOnce(this.conn, 'drivers: identity keys', () =>
      forEachDoc(this.model, {}, { wechatOpenId: 1, alipayUserId: 1, alipayOpenId: 1 }, async (docs: DriverDoc[]) => {
        await this.keys.setMany(docs.flatMap((d) => identityKeys(d).map((key) => ({ key, ref: d._id }))));
      }),
    );
    await runOnce(this.conn, 'drivers: plate keys', () =>
      forEachDoc(this.model, {}, { plates: 1 }, async (docs: DriverDoc[]) => {
        await this.plateKeys.addMany(docs.flatMap((d) => (d.plates ?? []).map((p) => ({ key: p.plateKey, ref: d._id }))));
      }),
    );
  }

  /** The drivers who have this plate bound now (each checked against its own record: keys may lag). */
  async withPlate(plateKey: string): Promise<string[]> {
    const ids = await this.plateKeys.refs(plateKey);
    const docs = await Promise.all(ids.map((id) => this.model.findById(id, { plates: 1 }).lean<DriverDoc>()));
    return docs.filter((d): d is DriverDoc => !!d && (d.plates ?? []).some((p) => p.plateKey === plateKey)).map((d) => d._id);
  }

  async findOrCreate(identity: ProviderIdentity, fresh: { id: string; createdAt: Date }): Promise<{ driver: Driver; created: boolean }> {
    const { filter, set } = keyOf(identity);
    const [key] = identityKeys(filter);
    const named = (await this.keys.ref(key!)) ?? (await this.keys.claim(key!, fresh.id));
    let doc = await this.model.findById(named).lean<DriverDoc>();
    let created = false;
    if (!doc) {
      try {
        doc = (await this.model.create({ _id: named, createdAt: fresh.createdAt, plates: [], ...filter, ...set })).toObject() as DriverDoc;
        created = true;
      } catch (e) {
        if (!isDuplicateKey(e)) throw e;
        // A concurrent login inserted it, or a driver from before the keys has this identity: that one.
        doc = (await this.model.findById(named).lean<DriverDoc>()) ?? (await this.model.findOne(filter).lean<DriverDoc>());
        if (!doc) throw e;
        if (doc._id !== named) await this.keys.set(key!, doc._id);
      }
    }
    const changed = Object.entries(set).filter(([k, v]) => (doc as unknown as Record<string, unknown>)[k] !== v);
    if (changed.length) {
      const more = Object.fromEntries(changed);
      // An identity the driver gains (an Alipay open_id next to its user_id) is found by its key too.
      await Promise.all(identityKeys(more).map((k) => this.keys.set(k, doc!._id)));
      doc = (await this.model.findOneAndUpdate({ _id: doc._id }, { $set: more }, { returnDocument: 'after' }).lean<DriverDoc>()) ?? doc;
    }
    return { driver: toDriver(doc), created };
  }

  async findById(id: string): Promise<Driver | undefined> {
    const doc = await this.model.findById(id).lean<DriverDoc>();
    return doc ? toDriver(doc) : undefined;
  }

  async addPlate(driverId: string, plate: BoundPlate, max: number): Promise<AddPlateOutcome> {
    // The key first (a reader checks the record, so a key whose binding did not happen is harmless).
    await this.plateKeys.add(plate.plateKey, driverId);
    // One atomic update: not bound yet, and fewer than `max` plates (no element at index max-1).
    const doc = await this.model
      .findOneAndUpdate(
        { _id: driverId, 'plates.plateKey': { $ne: plate.plateKey }, [`plates.${max - 1}`]: { $exists: false } },
        { $push: { plates: plate } },
        { returnDocument: 'after' },
      )
      .lean<DriverDoc>();
    if (doc) return { outcome: 'added', driver: toDriver(doc) };
    const now = await this.model.findById(driverId).lean<DriverDoc>();
    if (!now) return { outcome: 'no_driver' };
    const driver = toDriver(now);
    if (driver.plates.some((p) => p.plateKey === plate.plateKey)) return { outcome: 'already', driver };
    return { outcome: 'full' };
  }

  async removePlate(driverId: string, plateKey: string): Promise<Driver | undefined> {
    // FerretDB v1's $pull removes elements EQUAL to the value given (MongoDB reads it as a query), so
    // `$pull: {plates: {plateKey}}` would remove nothing there. We pull the exact element as stored, which
    // both engines remove; a concurrent change to the array between read and pull makes us read again.
    for (let attempt = 0; attempt < 3; attempt++) {
      const doc = await this.model.findById(driverId).lean<DriverDoc>();
      const element = doc?.plates?.find((p) => p.plateKey === plateKey);
      if (!doc || !element) return undefined;
      const after = await this.model.collection.findOneAndUpdate(
        { _id: driverId } as object,
        { $pull: { plates: element } } as object,
        { returnDocument: 'after' },
      );
      const left = after as unknown as DriverDoc | null;
      if (!left) return undefined;
      if (!(left.plates ?? []).some((p) => p.plateKey === plateKey)) {
        await this.plateKeys.remove(plateKey, driverId);
        return toDriver(left);
      }
    }
    throw new Error(`could not unbind ${plateKey}: the plates kept changing`);
  }
}

export class MongoSessionRepository implements SessionRepository {
  private readonly model: Model<SessionDoc>;
  constructor(conn: Connection) {
    this.model = identityModels(conn).sessions;
  }

  async init(): Promise<void> {
    await this.model.init();
  }

  async insert(s: SessionRecord): Promise<void> {
    await this.model.create({ _id: s.tokenHash, driverId: s.driverId, provider: s.provider, createdAt: s.createdAt, expiresAt: s.expiresAt });
  }

  async find(tokenHash: string): Promise<SessionRecord | undefined> {
    const d = await this.model.findById(tokenHash).lean<SessionDoc>();
    if (!d) return undefined;
    const s: SessionRecord = {
      tokenHash: d._id,
      driverId: d.driverId,
      provider: d.provider as SessionRecord['provider'],
      createdAt: d.createdAt,
      expiresAt: d.expiresAt,
    };
    if (d.revokedAt) s.revokedAt = d.revokedAt;
    return s;
  }

  async extend(tokenHash: string, expiresAt: Date): Promise<void> {
    await this.model.updateOne({ _id: tokenHash, revokedAt: { $exists: false } }, { $set: { expiresAt } });
  }

  async revoke(tokenHash: string, at: Date): Promise<boolean> {
    const r = await this.model.updateOne({ _id: tokenHash, revokedAt: { $exists: false } }, { $set: { revokedAt: at } });
    return r.modifiedCount === 1;
  }

  async revokeAll(driverId: string, at: Date): Promise<number> {
    const r = await this.model.updateMany({ driverId, revokedAt: { $exists: false } }, { $set: { revokedAt: at } });
    return r.modifiedCount;
  }
}
