/**
 * Whose car is it? Any driver can bind any plate, so a bound plate proves nothing: a stay's entry time, its
 * entry picture and where the car stands are shown only for a plate the driver has proved at that lot —
 *  - paid for there: an order of theirs for that plate at that park, paid (it was their money);
 *  - entered there without plate: their own unlicensed entry (4.29) gave them that temporary plate;
 *  - confirmed there: they told the entry lane and time of the car's stay, and the lot's own 4.2 record
 *    agrees (within CONFIRM_WINDOW_MS, at the lane it recorded). Attempts are counted before they are checked
 *    (atomically: parallel guesses cannot slip past the count), CONFIRM_MAX_ATTEMPTS a day per driver, park
 *    and plate; a wrong lane or time tells nothing of the right one.
 * A proof holds for that plate at that park for PROOF_VALID_MS after the event. Otherwise a driver learns
 * only that a car with this plate is here.
 */
import { isPlausiblePlate, normalizePlate } from '../../../../shared/plate';
import { formatChinaTime, parseChinaTime } from '../../../../shared/time';
import type { Clock } from '../clock';
import { ParkingError } from './errors';
import type { LotRecordsRepository } from '../lot/model';
import type { Order } from '../orders/model';

export const PROOF_VALID_MS = 90 * 24 * 3600_000;
/** How far the entry time a driver states may be from the lot's record. */
export const CONFIRM_WINDOW_MS = 10 * 60_000;
/** Confirmations a driver may try per park and plate per CONFIRM_ATTEMPT_WINDOW_MS. */
export const CONFIRM_MAX_ATTEMPTS = 3;
export const CONFIRM_ATTEMPT_WINDOW_MS = 24 * 3600_000;

/** Confirmation attempts and confirmed plates (repository/plate-proofs.ts). Every method is one atomic operation. */
export interface PlateProofRepository {
  /** Plates this driver confirmed since `since`. */
  confirmed(driverId: string, since: Date): Promise<{ parkNumber: string; plateKey: string; provedAt: Date }[]>;
  /**
   * Count one confirmation attempt before it is checked: its number in the current window (a window that
   * started after `windowStart`, else a new one), or — when `max` attempts of the window are used — when
   * the next window opens.
   */
  attempt(driverId: string, parkNumber: string, plateKey: string, now: Date, o: { windowStart: Date; max: number; windowMs: number }): Promise<{ attempt: number } | { lockedUntil: Date }>;
  /** The plate is confirmed for this driver at this park (attempts forgotten). */
  prove(driverId: string, parkNumber: string, plateKey: string, at: Date, orderId: string): Promise<void>;
}

export interface PlateProofDeps {
  proofs: PlateProofRepository;
  /** The driver's own orders (paid ones prove their plate at their park). */
  orders: { listForDriver(driverId: string, limit: number): Promise<Order[]> };
  /** The driver's own unlicensed entries. */
  visits: { recent(driverId: string, since: Date): Promise<{ parkNumber: string; plateKey: string }[]> };
  records: Pick<LotRecordsRepository, 'staysInPark' | 'lanes'>;
  clock: Clock;
}

const key = (parkNumber: string, plateKey: string) => `${parkNumber}|${plateKey}`;

/** A plate as drivers type it: a whole plate, or nothing is looked up. */
export function wholePlate(plate: string): string {
  if (!isPlausiblePlate(plate)) throw new ParkingError('plate_invalid', 'give the whole plate, as it is on the car (e.g. 京A12345)');
  return normalizePlate(plate);
}

export class PlateProofs {
  constructor(private readonly deps: PlateProofDeps) {}

  /** Every park + plate this driver has proved (as `parkNumber|plateKey`). */
  async proved(driverId: string): Promise<Set<string>> {
    const now = this.deps.clock.now();
    const since = new Date(now - PROOF_VALID_MS);
    const [orders, visits, confirmed] = await Promise.all([
      this.deps.orders.listForDriver(driverId, 100),
      this.deps.visits.recent(driverId, since),
      this.deps.proofs.confirmed(driverId, since),
    ]);
    const out = new Set<string>();
    for (const o of orders) {
      const paid = o.status === 'paid' || o.status === 'delivered';
      if (paid && o.payment && new Date(o.payment.paidAt).getTime() >= since.getTime()) out.add(key(o.parkNumber, normalizePlate(o.plate)));
    }
    for (const v of visits) out.add(key(v.parkNumber, v.plateKey));
    for (const c of confirmed) out.add(key(c.parkNumber, c.plateKey));
    return out;
  }

  async isProved(driverId: string, parkNumber: string, plateKey: string): Promise<boolean> {
    return (await this.proved(driverId)).has(key(parkNumber, plateKey));
  }

  /**
   * The driver states the entry lane and time of their car's stay; the lot's record decides. Answers when
   * it agrees; refuses `not_confirmed` (409, attempts left), `confirm_locked` (429), `car_not_here` (404).
   */
  async confirm(driverId: string, parkNumber: string, stated: { plate: string; enteredAt: string; passagewayId: string }): Promise<{ proved: true }> {
    const plateKey = wholePlate(stated.plate);
    let entered: number;
    try {
      entered = parseChinaTime(stated.enteredAt).getTime();
    } catch {
      throw new ParkingError('validation_failed', 'enteredAt: yyyy-MM-dd HH:mm, China time');
    }
    const [stays, lanes] = await Promise.all([this.deps.records.staysInPark(parkNumber, plateKey), this.deps.records.lanes(parkNumber)]);
    // That a car with this plate is here (or not) is no secret: nothing counted.
    if (!stays.length) throw new ParkingError('car_not_here', 'the lot has no car with this plate in the park now');
    const now = new Date(this.deps.clock.now());
    const slot = await this.deps.proofs.attempt(driverId, parkNumber, plateKey, now, {
      windowStart: new Date(now.getTime() - CONFIRM_ATTEMPT_WINDOW_MS),
      max: CONFIRM_MAX_ATTEMPTS,
      windowMs: CONFIRM_ATTEMPT_WINDOW_MS,
    });
    if ('lockedUntil' in slot) {
      const seconds = Math.max(1, Math.ceil((slot.lockedUntil.getTime() - now.getTime()) / 1000));
      throw new ParkingError('confirm_locked', `too many tries for this plate: try again after ${formatChinaTime(slot.lockedUntil)}`, { retryAfterSeconds: seconds });
    }
    const lane = lanes.find((l) => l.passagewayId === stated.passagewayId);
    const match = stays.find((s) => {
      const inTime = s.entry?.inTime?.getTime();
      if (inTime === undefined || Math.abs(inTime - entered) > CONFIRM_WINDOW_MS) return false;
      // The lane is compared when both the lot's record and its lane list name it (a lane it does not know
      // never matches then).
      const recorded = s.entry?.inChannel?.trim();
      if (!recorded || !lanes.length) return true;
      return lane !== undefined && lane.name.trim() === recorded;
    });
    if (!match) {
      const attemptsLeft = Math.max(0, CONFIRM_MAX_ATTEMPTS - slot.attempt);
      throw new ParkingError('not_confirmed', "that is not the lot's record of this car's entry", { attemptsLeft });
    }
    await this.deps.proofs.prove(driverId, parkNumber, plateKey, now, match.orderId);
    return { proved: true };
  }
}
