/** Unlicensed entries drivers made (4.29), for "my parking". */
import { Schema, type Connection, type Model } from 'mongoose';
import type { UnlicensedVisit, VisitRepository } from '../core/parking/service';

export class MongoVisitRepository implements VisitRepository {
  private readonly m: Model<UnlicensedVisit>;
  constructor(conn: Connection) {
    this.m =
      (conn.models.UnlicensedVisit as Model<UnlicensedVisit> | undefined) ??
      conn.model<UnlicensedVisit>(
        'UnlicensedVisit',
        new Schema<UnlicensedVisit>(
          { driverId: String, parkNumber: String, plate: String, plateKey: String, inTime: String, inImage: String, createdAt: Date },
          { versionKey: false },
        ).index({ driverId: 1, createdAt: -1 }),
      );
  }
  async init(): Promise<void> {
    await this.m.init();
  }
  async add(v: UnlicensedVisit): Promise<void> {
    await this.m.create(v);
  }
  async recent(driverId: string, since: Date): Promise<UnlicensedVisit[]> {
    const docs = await this.m.find({ driverId, createdAt: { $gte: since } }).sort({ createdAt: -1 }).limit(20).lean();
    return docs.map(({ _id: _ignored, ...v }) => v as UnlicensedVisit);
  }
}
