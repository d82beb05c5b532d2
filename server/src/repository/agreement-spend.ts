/**
 * mongoose implementation of core/lanepay's AgreementSpendRepository: one document per agreement and China
 * day (`_id` = agreementId|yyyy-MM-dd) holding the day's total and each reservation by provider order number.
 * A reservation is one conditional update (its number not there yet, the total leaving room for it), so
 * concurrent deductions of one agreement can never pass the cap together, and a repeat never counts twice.
 */
import { Schema, type Connection, type Model } from 'mongoose';
import type { AgreementSpendRepository } from '../core/lanepay/channel-pay-model';
import { isDuplicateKey } from './util';

interface SpendDoc {
  _id: string;
  agreementId: string;
  day: string;
  total: number;
  /** Provider order number → fen reserved. */
  items: Record<string, number>;
}

function spendModel(conn: Connection): Model<SpendDoc> {
  const existing = conn.models.AgreementSpend as Model<SpendDoc> | undefined;
  if (existing) return existing;
  const schema = new Schema<SpendDoc>(
    { _id: { type: String, required: true }, agreementId: String, day: String, total: Number, items: Schema.Types.Mixed },
    { versionKey: false, minimize: false, collection: 'agreement_spend' },
  );
  return conn.model<SpendDoc>('AgreementSpend', schema);
}

const idOf = (agreementId: string, day: string) => `${agreementId}|${day}`;
/** Provider order numbers are [0-9A-Z]; anything else would not be a safe field name. */
const itemKey = (tradeNo: string) => {
  if (!/^[0-9A-Za-z_-]{1,64}$/.test(tradeNo)) throw new Error(`not a provider order number: ${tradeNo}`);
  return `items.${tradeNo}`;
};

export class MongoAgreementSpendRepository implements AgreementSpendRepository {
  private readonly m: Model<SpendDoc>;
  constructor(conn: Connection) {
    this.m = spendModel(conn);
  }

  async init(): Promise<void> {
    await this.m.init();
  }

  async reserve(agreementId: string, day: string, tradeNo: string, fen: number, capFen: number): Promise<boolean> {
    if (fen > capFen) return false;
    const _id = idOf(agreementId, day);
    const key = itemKey(tradeNo);
    for (let round = 0; round < 3; round++) {
      // One conditional update: not reserved yet, and the day's total leaves room for it.
      const r = await this.m.updateOne({ _id, total: { $lte: capFen - fen }, [key]: { $exists: false } }, { $inc: { total: fen }, $set: { [key]: fen } });
      if (r.modifiedCount === 1) return true;
      const doc = await this.m.findById(_id).lean<SpendDoc>();
      if (doc) {
        if (doc.items?.[tradeNo] !== undefined) return true; // reserved before (a retry)
        if (doc.total > capFen - fen) return false; // no room
        continue; // the day's first reservation (another one's) landed after the update looked: again
      }
      try {
        // The day's first reservation inserts the document.
        await this.m.create({ _id, agreementId, day, total: fen, items: { [tradeNo]: fen } });
        return true;
      } catch (e) {
        if (!isDuplicateKey(e)) throw e; // a concurrent first reservation: try the update again
      }
    }
    throw new Error(`agreement spend ${_id}: no stable state after 3 rounds`);
  }

  async release(agreementId: string, day: string, tradeNo: string): Promise<void> {
    const _id = idOf(agreementId, day);
    const key = itemKey(tradeNo);
    const doc = await this.m.findById(_id).lean<SpendDoc>();
    const fen = doc?.items?.[tradeNo];
    if (fen === undefined) return;
    await this.m.updateOne({ _id, [key]: fen }, { $inc: { total: -fen }, $unset: { [key]: '' } });
  }

  async total(agreementId: string, day: string): Promise<number> {
    return (await this.m.findById(idOf(agreementId, day)).lean<SpendDoc>())?.total ?? 0;
  }
}
