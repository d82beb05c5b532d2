/**
 * Unlicensed entries drivers made (4.29), for "my parking". A driver's visits are found through a key
 * document (driver_visits: driverId → visit ids, added after the visit), each read by its _id. One entry
 * is one visit: a key per entry (driver, park, plate, entry time) makes a repeated 4.29 answer, which the
 * lot gives for a car already in, add nothing.
 */
import { Types, Schema, type Connection, type Model } from 'mongoose';
import type { UnlicensedVisit, VisitRepository } from '../core/parking/service';
import { forEachDoc, KeyIndex, runOnce } from './keys';

export class MongoVisitRepository implements VisitRepository {
  private readonly m: Model<UnlicensedVisit>;
  private readonly byDriver: KeyIndex;
  private readonly byEntry: KeyIndex;
  constructor(private readonly conn: Connection) {
    this.m =
      (conn.models.UnlicensedVisit as Model<UnlicensedVisit> | undefined) ??
      conn.model<UnlicensedVisit>(
        'UnlicensedVisit',
        new Schema<UnlicensedVisit>(
          { driverId: String, parkNumber: String, plate: String, plateKey: String, inTime: String, inImage: String, createdAt: Date },
          { versionKey: false },
        ),
      );
    this.byDriver = new KeyIndex(conn, 'driver_visits');
    this.byEntry = new KeyIndex(conn, 'visit_entries');
  }
  async init(): Promise<void> {
    await Promise.all([this.m.init(), this.byDriver.init(), this.byEntry.init()]);
    await runOnce(this.conn, 'unlicensed visits: driver keys', () =>
      forEachDoc(this.m as unknown as Model<{ _id: unknown; driverId: string }>, {}, { driverId: 1 }, (docs) =>
        this.byDriver.addMany(docs.map((d) => ({ key: d.driverId, ref: String(d._id) }))),
      ),
    );
  }
  async add(v: UnlicensedVisit): Promise<void> {
    const _id = new Types.ObjectId();
    await this.m.create({ _id, ...v });
    // The visit is written first and is found only once the driver's key names it, so the entry's key can
    // decide which visit counts: a repeat (or an add racing this one) removes its own and names the first.
    const holder = await this.byEntry.claim([v.driverId, v.parkNumber, v.plateKey, v.inTime].join('\n'), _id.toHexString());
    if (holder !== _id.toHexString()) await this.m.deleteOne({ _id });
    await this.byDriver.add(v.driverId, holder);
  }
  async recent(driverId: string, since: Date): Promise<UnlicensedVisit[]> {
    // The newest last; a day's worth is a handful.
    const ids = (await this.byDriver.refs(driverId)).slice(-50);
    const docs = await Promise.all(ids.map((id) => this.m.findById(id).lean<UnlicensedVisit & { _id?: unknown }>()));
    return docs
      .filter((d): d is UnlicensedVisit & { _id?: unknown } => !!d && d.driverId === driverId && d.createdAt.getTime() >= since.getTime())
      .sort((a, b) => b.createdAt.getTime() - a.createdAt.getTime())
      .slice(0, 20)
      .map(({ _id: _ignored, ...v }) => v as UnlicensedVisit);
  }
}
