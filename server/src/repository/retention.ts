/**
 * core/retention's store on the collections of lot-records (HeartbeatHistory, LotImage), operators
 * (OperatorAudit, OperatorSession) and drivers (DriverSession): removal in batches of ids, so one pass never
 * holds the engine for long. A collection whose repository is not wired in this process counts as empty.
 */
import type { Connection, Model } from 'mongoose';
import type { RetentionKind, RetentionStore } from '../core/retention';

const WHERE: Record<RetentionKind, { model: string; field: string }> = {
  heartbeatHistory: { model: 'HeartbeatHistory', field: 'receivedAt' },
  pictures: { model: 'LotImage', field: 'receivedAt' },
  audit: { model: 'OperatorAudit', field: 'at' },
  driverSessions: { model: 'DriverSession', field: 'expiresAt' },
  operatorSessions: { model: 'OperatorSession', field: 'expiresAt' },
};

const BATCH = 500;

export class MongoRetentionStore implements RetentionStore {
  constructor(private readonly conn: Connection) {}

  async prune(kind: RetentionKind, before: Date, limit: number): Promise<number> {
    const { model: name, field } = WHERE[kind];
    const model = this.conn.models[name] as Model<Record<string, unknown>> | undefined;
    if (!model) return 0;
    let removed = 0;
    while (removed < limit) {
      const ids = (await model.find({ [field]: { $lt: before } }, { _id: 1 }).limit(Math.min(BATCH, limit - removed)).lean<{ _id: unknown }[]>()).map((d) => d._id);
      if (ids.length === 0) break;
      removed += (await model.deleteMany({ _id: { $in: ids } })).deletedCount;
      if (ids.length < BATCH) break;
    }
    return removed;
  }
}
