/**
 * mongoose implementations of core/operators' stores: accounts, sessions (sha256 of the token only),
 * failed-login counters and the audit log. Every change is one single-document update (FerretDB has no
 * transactions); usernames are unique by index.
 */
import { randomBytes } from 'node:crypto';
import { Schema, type Connection, type Model } from 'mongoose';
import type { AuditEntry } from '../core/operators/model';
import type { ConsumeOutcome, LiftConfirmation, LiftConfirmationRepository } from '../core/operators/lot-ops';
import type {
  AccountPatch,
  AuditQuery,
  AuditStore,
  LoginAttempt,
  LoginThrottleRepository,
  OperatorAccount,
  OperatorAccountRepository,
  OperatorSessionRecord,
  OperatorSessionRepository,
} from '../core/operators/service';
import { isDuplicateKey, createUnlessExists } from './util';

interface AccountDoc extends Omit<OperatorAccount, 'id'> {
  _id: string;
}
interface SessionDoc {
  _id: string;
  operatorId: string;
  createdAt: Date;
  expiresAt: Date;
  revokedAt?: Date;
}
interface ThrottleDoc {
  /** The normalized username tried. */
  _id: string;
  windowStart: Date;
  count: number;
  lockedUntil?: Date;
}
interface AuditDoc extends AuditEntry {
  _id: string;
}

const opts = { versionKey: false } as const;

export function operatorModels(conn: Connection) {
  const reuse = <T>(name: string, schema: Schema<T>): Model<T> =>
    (conn.models[name] as Model<T> | undefined) ?? conn.model<T>(name, schema);
  return {
    accounts: reuse(
      'OperatorAccount',
      new Schema<AccountDoc>(
        {
          _id: { type: String, required: true },
          username: { type: String, required: true },
          role: { type: String, required: true },
          parks: [String],
          displayName: String,
          passwordHash: { type: String, required: true },
          disabled: Boolean,
          createdAt: Date,
          updatedAt: Date,
          passwordChangedAt: Date,
          lastLoginAt: Date,
        },
        opts,
      ).index({ username: 1 }, { unique: true }),
    ),
    sessions: reuse(
      'OperatorSession',
      new Schema<SessionDoc>(
        { _id: { type: String, required: true }, operatorId: { type: String, required: true }, createdAt: Date, expiresAt: Date, revokedAt: Date },
        opts,
      ).index({ operatorId: 1 }),
    ),
    throttle: reuse(
      'OperatorLoginThrottle',
      new Schema<ThrottleDoc>({ _id: { type: String, required: true }, windowStart: Date, count: Number, lockedUntil: Date }, opts),
    ),
    audit: reuse(
      'OperatorAudit',
      new Schema<AuditDoc>(
        {
          _id: { type: String, required: true },
          at: { type: Date, required: true },
          operatorId: String,
          username: String,
          displayName: String,
          action: String,
          parkNumber: String,
          facts: Schema.Types.Mixed,
          target: String,
          result: String,
          code: String,
        },
        opts,
      )
        .index({ at: -1 })
        .index({ parkNumber: 1, at: -1 }),
    ),
  };
}

function toAccount(d: AccountDoc): OperatorAccount {
  const a: OperatorAccount = {
    id: d._id,
    username: d.username,
    role: d.role,
    parks: [...(d.parks ?? [])],
    passwordHash: d.passwordHash,
    disabled: d.disabled === true,
    createdAt: d.createdAt,
    updatedAt: d.updatedAt,
    passwordChangedAt: d.passwordChangedAt,
  };
  if (d.displayName) a.displayName = d.displayName;
  if (d.lastLoginAt) a.lastLoginAt = d.lastLoginAt;
  return a;
}

export class MongoOperatorAccountRepository implements OperatorAccountRepository {
  private readonly model: Model<AccountDoc>;
  constructor(conn: Connection) {
    this.model = operatorModels(conn).accounts;
  }
  async init(): Promise<void> {
    await this.model.init();
  }
  async insert(a: OperatorAccount): Promise<boolean> {
    const { id, ...rest } = a;
    return createUnlessExists(this.model, { _id: id, ...rest });
  }
  async findById(id: string): Promise<OperatorAccount | undefined> {
    const d = await this.model.findById(id).lean<AccountDoc>();
    return d ? toAccount(d) : undefined;
  }
  async findByUsername(username: string): Promise<OperatorAccount | undefined> {
    const d = await this.model.findOne({ username }).lean<AccountDoc>();
    return d ? toAccount(d) : undefined;
  }
  async list(): Promise<OperatorAccount[]> {
    const docs = await this.model.find({}).lean<AccountDoc[]>();
    return docs.map(toAccount).sort((a, b) => a.username.localeCompare(b.username));
  }
  async update(id: string, patch: AccountPatch): Promise<OperatorAccount | undefined> {
    const set: Record<string, unknown> = {};
    const unset: Record<string, ''> = {};
    for (const [k, v] of Object.entries(patch)) {
      if (k === 'displayName' && v === '') unset.displayName = '';
      else if (v !== undefined) set[k] = v;
    }
    const d = await this.model
      .findOneAndUpdate({ _id: id }, { $set: set, ...(Object.keys(unset).length ? { $unset: unset } : {}) }, { returnDocument: 'after' })
      .lean<AccountDoc>();
    return d ? toAccount(d) : undefined;
  }
}

export class MongoOperatorSessionRepository implements OperatorSessionRepository {
  private readonly model: Model<SessionDoc>;
  constructor(conn: Connection) {
    this.model = operatorModels(conn).sessions;
  }
  async init(): Promise<void> {
    await this.model.init();
  }
  async insert(s: OperatorSessionRecord): Promise<void> {
    await this.model.create({ _id: s.tokenHash, operatorId: s.operatorId, createdAt: s.createdAt, expiresAt: s.expiresAt });
  }
  async find(tokenHash: string): Promise<OperatorSessionRecord | undefined> {
    const d = await this.model.findById(tokenHash).lean<SessionDoc>();
    if (!d) return undefined;
    const s: OperatorSessionRecord = { tokenHash: d._id, operatorId: d.operatorId, createdAt: d.createdAt, expiresAt: d.expiresAt };
    if (d.revokedAt) s.revokedAt = d.revokedAt;
    return s;
  }
  async revoke(tokenHash: string, at: Date): Promise<boolean> {
    const r = await this.model.updateOne({ _id: tokenHash, revokedAt: { $exists: false } }, { $set: { revokedAt: at } });
    return r.modifiedCount === 1;
  }
  async revokeAll(operatorId: string, at: Date, keep?: string): Promise<number> {
    const filter: Record<string, unknown> = { operatorId, revokedAt: { $exists: false } };
    if (keep) filter._id = { $ne: keep };
    const r = await this.model.updateMany(filter, { $set: { revokedAt: at } });
    return r.modifiedCount;
  }
}

export class MongoLoginThrottle implements LoginThrottleRepository {
  private readonly model: Model<ThrottleDoc>;
  constructor(conn: Connection) {
    this.model = operatorModels(conn).throttle;
  }
  async init(): Promise<void> {
    await this.model.init();
  }
  async attempt(key: string, now: Date, o: { windowStart: Date; max: number; lockUntil: Date }): Promise<LoginAttempt> {
    const unlocked = { $or: [{ lockedUntil: { $exists: false } }, { lockedUntil: null }, { lockedUntil: { $lte: now } }] };
    for (let round = 0; ; round++) {
      // One more in the current window, while it has room and the key is not locked.
      const inWindow = await this.model
        .findOneAndUpdate({ _id: key, windowStart: { $gt: o.windowStart }, count: { $lt: o.max }, ...unlocked }, { $inc: { count: 1 } }, { returnDocument: 'after' })
        .lean<ThrottleDoc>();
      if (inWindow) return { attempt: inWindow.count };
      try {
        // No window, an old one, or a lock that ran out: a new window of one (a first attempt inserts the document).
        const fresh = await this.model
          .findOneAndUpdate(
            { _id: key, $and: [{ $or: [{ windowStart: { $lte: o.windowStart } }, { windowStart: { $exists: false } }] }, unlocked] },
            { $set: { windowStart: now, count: 1 }, $unset: { lockedUntil: '' } },
            { upsert: true, returnDocument: 'after' },
          )
          .lean<ThrottleDoc>();
        if (fresh) return { attempt: fresh.count };
      } catch (e) {
        // The document exists and matched neither: it is locked, or its window is full (or a concurrent first
        // attempt inserted it). Look below.
        if (!isDuplicateKey(e)) throw e;
      }
      const doc = await this.model.findById(key).lean<ThrottleDoc>();
      if (doc?.lockedUntil && doc.lockedUntil.getTime() > now.getTime()) return { lockedUntil: doc.lockedUntil };
      if (doc && doc.windowStart.getTime() > o.windowStart.getTime() && doc.count >= o.max) {
        // One too many: lock the key (only if nobody did meanwhile), and refuse this attempt.
        const locked = await this.model
          .findOneAndUpdate({ _id: key, ...unlocked }, { $set: { lockedUntil: o.lockUntil, count: 0, windowStart: new Date(0) } }, { returnDocument: 'after' })
          .lean<ThrottleDoc>();
        if (locked) return { lockedUntil: o.lockUntil };
      }
      if (round >= 4) throw new Error(`login throttle for ${key}: no stable state after ${round + 1} rounds`);
    }
  }
  async lock(key: string, until: Date): Promise<void> {
    await this.model.updateOne({ _id: key }, { $set: { lockedUntil: until, count: 0, windowStart: new Date(0) } }, { upsert: true });
  }
  async clear(key: string): Promise<void> {
    await this.model.deleteOne({ _id: key });
  }
}

let auditSeq = 0;

export class MongoAuditLog implements AuditStore {
  private readonly model: Model<AuditDoc>;
  constructor(conn: Connection) {
    this.model = operatorModels(conn).audit;
  }
  async init(): Promise<void> {
    await this.model.init();
  }
  async record(entry: AuditEntry): Promise<void> {
    // Time, then a counter: entries of the same millisecond keep their order (newest-first reads sort by _id).
    auditSeq = (auditSeq + 1) % 0x1000000;
    const id = `au_${entry.at.getTime().toString(36).padStart(9, '0')}_${auditSeq.toString(16).padStart(6, '0')}_${randomBytes(5).toString('hex')}`;
    const doc: Record<string, unknown> = { _id: id };
    for (const [k, v] of Object.entries(entry)) if (v !== undefined) doc[k] = v;
    await this.model.create(doc);
  }
  async list(q: AuditQuery): Promise<AuditEntry[]> {
    const and: Record<string, unknown>[] = [];
    if (q.parks) {
      const scope: Record<string, unknown>[] = [{ parkNumber: { $in: q.parks } }];
      if (q.orOperatorId) scope.push({ operatorId: q.orOperatorId });
      and.push({ $or: scope });
    }
    if (q.parkNumber !== undefined) and.push({ parkNumber: q.parkNumber });
    if (q.operatorId !== undefined) and.push({ operatorId: q.operatorId });
    if (q.before) and.push({ at: { $lt: q.before } });
    const docs = await this.model
      .find(and.length ? { $and: and } : {})
      .sort({ at: -1, _id: -1 })
      .limit(q.limit)
      .lean<AuditDoc[]>();
    return docs.map(({ _id, ...e }) => {
      const out: AuditEntry = { at: e.at, operatorId: e.operatorId, username: e.username, action: e.action, result: e.result };
      if (e.displayName) out.displayName = e.displayName;
      if (e.parkNumber) out.parkNumber = e.parkNumber;
      if (e.facts && typeof e.facts === 'object') out.facts = e.facts;
      if (e.target) out.target = e.target;
      if (e.code) out.code = e.code;
      return out;
    });
  }
}

interface LiftDoc extends Omit<LiftConfirmation, 'idHash'> {
  _id: string;
}

/** Barrier-lift confirmations (core/operators/lot-ops.ts): spent by one conditional update. */
export class MongoLiftConfirmations implements LiftConfirmationRepository {
  private readonly model: Model<LiftDoc>;
  constructor(conn: Connection) {
    this.model =
      (conn.models.LiftConfirmation as Model<LiftDoc> | undefined) ??
      conn.model<LiftDoc>(
        'LiftConfirmation',
        new Schema<LiftDoc>(
          {
            _id: { type: String, required: true },
            parkNumber: String,
            passagewayId: String,
            operatorId: String,
            reason: String,
            createdAt: Date,
            expiresAt: Date,
            usedAt: Date,
          },
          opts,
        ),
      );
  }
  async init(): Promise<void> {
    await this.model.init();
  }
  async insert(c: LiftConfirmation): Promise<void> {
    const { idHash, ...rest } = c;
    await this.model.create({ _id: idHash, ...rest });
  }
  async consume(idHash: string, match: { operatorId: string; parkNumber: string; passagewayId: string }, now: Date): Promise<ConsumeOutcome> {
    const doc = await this.model
      .findOneAndUpdate(
        { _id: idHash, ...match, usedAt: { $exists: false }, expiresAt: { $gt: now } },
        { $set: { usedAt: now } },
        { returnDocument: 'after' },
      )
      .lean<LiftDoc>();
    if (doc) {
      const { _id, ...rest } = doc;
      return { outcome: 'ok', confirmation: { idHash: _id, ...rest } };
    }
    const d = await this.model.findById(idHash).lean<LiftDoc>();
    if (!d || d.operatorId !== match.operatorId || d.parkNumber !== match.parkNumber || d.passagewayId !== match.passagewayId) return { outcome: 'unknown' };
    if (d.usedAt) return { outcome: 'used' };
    return { outcome: 'expired' };
  }
}
