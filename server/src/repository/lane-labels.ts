/**
 * Our labels of the lot's lanes (core/operators/parks.ts LaneLabelRepository): one document per lane, kept
 * apart from the lanes 4.21 sends so the lot's updates never overwrite what operators set.
 */
import { Schema, type Connection, type Model } from 'mongoose';
import type { LaneLabel, LaneLabelRepository } from '../core/operators/parks';

interface LabelDoc {
  /** parkNumber + '\n' + passagewayId */
  _id: string;
  parkNumber: string;
  passagewayId: string;
  name?: string;
  direction?: 'in' | 'out';
  note?: string;
  updatedAt: Date;
  updatedBy: string;
}

const idOf = (parkNumber: string, passagewayId: string) => `${parkNumber}\n${passagewayId}`;

function toLabel(d: LabelDoc): LaneLabel {
  const l: LaneLabel = { parkNumber: d.parkNumber, passagewayId: d.passagewayId, updatedAt: d.updatedAt, updatedBy: d.updatedBy };
  if (d.name) l.name = d.name;
  if (d.direction) l.direction = d.direction;
  if (d.note) l.note = d.note;
  return l;
}

export class MongoLaneLabelRepository implements LaneLabelRepository {
  private readonly model: Model<LabelDoc>;
  constructor(conn: Connection) {
    this.model =
      (conn.models.LaneLabel as Model<LabelDoc> | undefined) ??
      conn.model<LabelDoc>(
        'LaneLabel',
        new Schema<LabelDoc>(
          {
            _id: { type: String, required: true },
            parkNumber: { type: String, required: true },
            passagewayId: { type: String, required: true },
            name: String,
            direction: String,
            note: String,
            updatedAt: Date,
            updatedBy: String,
          },
          { versionKey: false },
        ).index({ parkNumber: 1 }),
      );
  }

  async init(): Promise<void> {
    await this.model.init();
  }

  async list(parkNumber: string): Promise<LaneLabel[]> {
    return (await this.model.find({ parkNumber }).lean<LabelDoc[]>()).map(toLabel);
  }

  async get(parkNumber: string, passagewayId: string): Promise<LaneLabel | undefined> {
    const d = await this.model.findById(idOf(parkNumber, passagewayId)).lean<LabelDoc>();
    return d ? toLabel(d) : undefined;
  }

  async set(
    parkNumber: string,
    passagewayId: string,
    patch: { name?: string | null; direction?: 'in' | 'out' | null; note?: string | null },
    by: { at: Date; username: string },
  ): Promise<LaneLabel> {
    const set: Record<string, unknown> = { parkNumber, passagewayId, updatedAt: by.at, updatedBy: by.username };
    const unset: Record<string, ''> = {};
    for (const k of ['name', 'direction', 'note'] as const) {
      const v = patch[k];
      if (v === undefined) continue;
      if (v === null) unset[k] = '';
      else set[k] = v;
    }
    const d = await this.model
      .findOneAndUpdate(
        { _id: idOf(parkNumber, passagewayId) },
        { $set: set, ...(Object.keys(unset).length ? { $unset: unset } : {}) },
        { upsert: true, returnDocument: 'after' },
      )
      .lean<LabelDoc>();
    if (!d) throw new Error('lane label upsert answered no document');
    return toLabel(d);
  }
}
