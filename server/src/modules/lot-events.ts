/**
 * The lot's records as ParkPay first stores them (core/lot/lot-records.ts), told to the features that react
 * to them: a car entered (its driver's message), a booth renewal (online passes checked against it).
 */
import type { LotRecordEvents } from '../core/lot/lot-records';
import { EventBus } from '../core/events';
import type { Logger } from '../logger';

export interface LotEvents {
  entered: { parkNumber: string; orderId: string; plate: string; inTime: Date | null };
  /** A renewal at the lot's booth (4.31) of these plates (normalized). */
  renewed: { parkNumber: string; plateKeys: string[] };
}

export function lotEventBus(logger: Logger): EventBus<LotEvents> {
  return new EventBus<LotEvents>((err, event) => logger.error({ err, event }, 'a reaction to a lot record failed'));
}

/** The bus as the lot records service's listener. */
export function lotRecordEvents(bus: EventBus<LotEvents>): LotRecordEvents {
  return {
    entered: (s) => bus.emit('entered', s),
    renewed: (parkNumber, plateKeys) => bus.emit('renewed', { parkNumber, plateKeys }),
  };
}
