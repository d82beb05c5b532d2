/**
 * mongoose implementations of core/messages' stores, every lookup by _id:
 *  - `messages`: one document per event and driver (_id = the event's key), inserted once;
 *  - `message_consents`: one per driver, platform and template (_id = driver|platform|template), the
 *    consents left as a counter taken and given back by single atomic updates;
 *  - `message_prefs`: one per driver, the kinds turned off;
 *  - `access_tokens`: the WeChat access token of an app, shared by every process (_id = appid).
 */
import { Schema, type Connection, type Model } from 'mongoose';
import type { MessageKind } from '../../../shared/api/messages';
import type { AccessTokenStore, ConsentRecord, ConsentRepository, MessagePreferences, MessageRecord, MessageRepository, Platform } from '../core/messages/model';
import { MongoDriverRepository } from './drivers';
import { createUnlessExists } from './util';

type MessageDoc = Omit<MessageRecord, 'id'> & { _id: string };
type ConsentDoc = ConsentRecord & { _id: string };
interface PrefsDoc {
  _id: string;
  off: MessageKind[];
  updatedAt: Date;
}
interface TokenDoc {
  _id: string;
  token: string;
  expiresAt: Date;
  updatedAt: Date;
}
const Mixed = Schema.Types.Mixed;

function models(conn: Connection) {
  const messages =
    (conn.models.DriverMessage as Model<MessageDoc> | undefined) ??
    conn.model<MessageDoc>(
      'DriverMessage',
      new Schema<MessageDoc>(
        {
          _id: { type: String, required: true },
          driverId: { type: String, required: true },
          kind: String,
          values: Mixed,
          page: String,
          guard: Mixed,
          status: { type: String, required: true },
          due: Date,
          attempts: Number,
          platform: String,
          templateId: String,
          reason: String,
          lastError: String,
          leaseOwner: String,
          leaseUntil: Date,
          createdAt: Date,
          sentAt: Date,
        },
        { versionKey: false, minimize: false, collection: 'messages' },
      ).index({ driverId: 1, createdAt: -1 }),
    );
  const consents =
    (conn.models.MessageConsent as Model<ConsentDoc> | undefined) ??
    conn.model<ConsentDoc>(
      'MessageConsent',
      new Schema<ConsentDoc>(
        {
          _id: { type: String, required: true },
          driverId: String,
          platform: String,
          templateId: String,
          remaining: Number,
          longTerm: Boolean,
          lastAnswer: String,
          updatedAt: Date,
        },
        { versionKey: false, collection: 'message_consents' },
      ).index({ driverId: 1 }),
    );
  const prefs =
    (conn.models.MessagePrefs as Model<PrefsDoc> | undefined) ??
    conn.model<PrefsDoc>('MessagePrefs', new Schema<PrefsDoc>({ _id: { type: String, required: true }, off: [String], updatedAt: Date }, { versionKey: false, collection: 'message_prefs' }));
  const tokens =
    (conn.models.AccessToken as Model<TokenDoc> | undefined) ??
    conn.model<TokenDoc>('AccessToken', new Schema<TokenDoc>({ _id: { type: String, required: true }, token: String, expiresAt: Date, updatedAt: Date }, { versionKey: false, collection: 'access_tokens' }));
  return { messages, consents, prefs, tokens };
}

function toMessage(doc: MessageDoc | null | undefined): MessageRecord | undefined {
  if (!doc) return undefined;
  const { _id, ...rest } = doc;
  return { ...rest, id: _id } as MessageRecord;
}

const leaseFree = (now: Date) => ({ $or: [{ leaseUntil: { $exists: false } }, { leaseUntil: null }, { leaseUntil: { $lte: now } }] });

export class MongoMessageStores {
  private readonly m: ReturnType<typeof models>;
  readonly messages: MessageRepository;
  readonly consents: ConsentRepository;
  readonly prefs: MessagePreferences;
  readonly tokens: AccessTokenStore;

  constructor(conn: Connection) {
    this.m = models(conn);
    const { messages, consents, prefs, tokens } = this.m;
    const cid = (driverId: string, platform: Platform, templateId: string) => `${driverId}|${platform}|${templateId}`;

    this.messages = {
      insert: async (r) => {
        const { id, ...rest } = r;
        return createUnlessExists(messages, { _id: id, ...rest });
      },
      get: async (id) => toMessage(await messages.findById(id).lean<MessageDoc>()),
      claim: async (id, owner, now, leaseMs) =>
        toMessage(
          await messages
            .findOneAndUpdate({ _id: id, status: 'pending', due: { $lte: now }, ...leaseFree(now) }, { $set: { leaseOwner: owner, leaseUntil: new Date(now.getTime() + leaseMs) } }, { returnDocument: 'after' })
            .lean<MessageDoc>(),
        ),
      finish: async (id, owner, set) => toMessage(await messages.findOneAndUpdate({ _id: id, leaseOwner: owner }, { $set: set }, { returnDocument: 'after' }).lean<MessageDoc>()),
      listForDriver: async (driverId, limit) => (await messages.find({ driverId }).sort({ createdAt: -1 }).limit(limit).lean<MessageDoc[]>()).map((d) => toMessage(d)!),
    };

    this.consents = {
      list: async (driverId, platform) => {
        const docs = await consents.find({ driverId, platform }).lean<ConsentDoc[]>();
        return docs.map(({ _id: _i, ...rest }) => rest);
      },
      grant: async (driverId, platform, templateId, accepted, longTerm, answer, at) => {
        await consents.updateOne(
          { _id: cid(driverId, platform, templateId) },
          { $inc: { remaining: accepted }, $set: { lastAnswer: answer, updatedAt: at, ...(longTerm ? { longTerm: true } : {}) }, $setOnInsert: { driverId, platform, templateId, ...(longTerm ? {} : { longTerm: false }) } },
          { upsert: true },
        );
      },
      take: async (driverId, platform, templateId, at) => {
        const id = cid(driverId, platform, templateId);
        const longTerm = await consents.findOne({ _id: id, longTerm: true }).lean<ConsentDoc>();
        if (longTerm) return true;
        const r = await consents.updateOne({ _id: id, remaining: { $gte: 1 } }, { $inc: { remaining: -1 }, $set: { updatedAt: at } });
        return r.modifiedCount === 1;
      },
      giveBack: async (driverId, platform, templateId, at) => {
        await consents.updateOne({ _id: cid(driverId, platform, templateId), longTerm: { $ne: true } }, { $inc: { remaining: 1 }, $set: { updatedAt: at } });
      },
      clear: async (driverId, platform, templateId, at) => {
        await consents.updateOne(
          { _id: cid(driverId, platform, templateId) },
          { $set: { remaining: 0, longTerm: false, updatedAt: at }, $setOnInsert: { driverId, platform, templateId } },
          { upsert: true },
        );
      },
    };

    this.prefs = {
      off: async (driverId) => (await prefs.findById(driverId).lean<PrefsDoc>())?.off ?? [],
      set: async (driverId, kind, enabled, at) => {
        const doc = await prefs
          .findOneAndUpdate({ _id: driverId }, { ...(enabled ? { $pull: { off: kind } } : { $addToSet: { off: kind } }), $set: { updatedAt: at } }, { upsert: true, returnDocument: 'after' })
          .lean<PrefsDoc>();
        return doc?.off ?? [];
      },
    };

    this.tokens = {
      get: async (appId) => {
        const d = await tokens.findById(appId).lean<TokenDoc>();
        return d ? { token: d.token, expiresAt: d.expiresAt } : undefined;
      },
      put: async (appId, token, expiresAt) => {
        await tokens.updateOne({ _id: appId }, { $set: { token, expiresAt, updatedAt: new Date() } }, { upsert: true });
      },
    };
  }

  async init(): Promise<void> {
    const { messages, consents, prefs, tokens } = this.m;
    await Promise.all([messages.init(), consents.init(), prefs.init(), tokens.init()]);
  }
}

/** Which drivers bound a plate: through the drivers' plate keys, never a read of every driver (FerretDB has no secondary index). */
export async function driversWithPlate(conn: Connection, plateKey: string): Promise<string[]> {
  return new MongoDriverRepository(conn).withPlate(plateKey);
}
