/**
 * 4.28 open gate (第三方开闸): a car stands at a lane and the lot asks whether to open. We answer
 *  - `fail` (refuse) with the reason when the plate is on OUR blacklist of the park, at an entry lane;
 *  - `success` (open) when the plate has a valid booking whose let-in window (4.18 letInStartTime …
 *    letInEndTime) holds now, at an entry lane;
 *  - `self` (the lot decides) otherwise — a car we know nothing about is the lot's business, and refusing by
 *    default would keep every barrier down.
 * At an exit lane (or one the lot did not say) a blacklisted car gets `self` with the reason (the lot charges
 * it as usual): refusing there would shut a car in, and the booth, not a remote rule, should decide that.
 * The park's settings switch each rule (ParkSettings.openGate: blacklist, bookings; both on by default).
 *
 * The answer must come in a few milliseconds, so this path makes no outbound call and reads no database:
 * an in-memory index per park (blacklisted plates, let-in windows by plate) answers it. The index is loaded
 * once per park (the first call for a park waits for that load, or warm() does it at boot), updated when the
 * lists or bookings change (their services tell it), and reloaded in the background when older than
 * `refreshMs` (changes made by another process show within that time).
 *
 * Bookings belong to H-book: it implements BookingLookup (below) and calls the listener on every change.
 */
import { normalizePlate } from '../../../../shared/plate';
import type { Clock } from '../clock';
import type { Park } from '../parks';

/** One booking's let-in window (4.18 letInStartTime … letInEndTime). */
export interface LetInWindow {
  /** The booking's id (4.18 bookOrderId): named in the answer and the log. */
  bookOrderId: string;
  /** normalizePlate of the booked plate. */
  plateKey: string;
  /** Epoch ms, inclusive. */
  start: number;
  end: number;
}

/**
 * The bookings side (implemented by H-book's booking service): the let-in windows of a park's valid bookings
 * (paid, not cancelled) that have not ended by `now`, and a way to hear of changes.
 */
export interface BookingLookup {
  letInWindows(parkNumber: string, now: Date): Promise<LetInWindow[]>;
  /**
   * `listener(parkNumber)` after every booking made, changed or cancelled in that park; await what it returns
   * (the index of that park is fresh then).
   */
  onChange(listener: (parkNumber: string) => Promise<void>): void;
}

/** Our blacklist of a park (core/lists implements it). */
export interface BlacklistLookup {
  blacklisted(parkNumber: string): Promise<{ plateKey: string; reason: string }[]>;
  onChange(listener: (parkNumber: string) => Promise<void>): void;
}

export type OpenGateDecision =
  | { status: 'fail'; errorCode: string; rule: 'blacklist' }
  | { status: 'success'; errorCode: string; rule: 'booking'; bookOrderId: string }
  | { status: 'self'; errorCode: string; rule: 'none' | 'blacklist_exit' | 'not_loaded' };

/** What the rules read of the 4.28 request. */
export interface OpenGateCar {
  plate: string;
  /** 1 entry, 2 exit, anything else unknown. */
  inOutType: number;
}

interface ParkIndex {
  black: Map<string, string>;
  windows: Map<string, LetInWindow[]>;
  loadedAt: number;
}

interface ParkSlot {
  index?: ParkIndex;
  loading?: Promise<void>;
  /** Bumped on every change notice: a load that started before a change is followed by another. */
  version: number;
}

export interface OpenGateLog {
  warn(o: object, m?: string): void;
  error(o: object, m?: string): void;
}

export class OpenGateRules {
  private readonly slots = new Map<string, ParkSlot>();
  private readonly refreshMs: number;

  constructor(
    private readonly deps: { blacklist: BlacklistLookup; bookings?: BookingLookup; clock: Clock; refreshMs?: number; log?: OpenGateLog },
  ) {
    this.refreshMs = deps.refreshMs ?? 60_000;
    const changed = (parkNumber: string) => this.changed(parkNumber);
    deps.blacklist.onChange(changed);
    deps.bookings?.onChange(changed);
  }

  /** Load the index of these parks now (at boot), so no lane call waits for a load. */
  async warm(parkNumbers: string[]): Promise<void> {
    await Promise.all(parkNumbers.map((p) => this.load(p)));
  }

  /**
   * A change in a park's blacklist or bookings: reload that park's index (if it was loaded at all). Resolves
   * when the index holds the change; never rejects (a failed reload is logged, the refresh retries it).
   */
  async changed(parkNumber: string): Promise<void> {
    const slot = this.slots.get(parkNumber);
    if (!slot) return;
    slot.version++;
    await this.load(parkNumber).catch((err: unknown) => this.deps.log?.error({ err, parkNumber }, '4.28: index reload failed'));
  }

  /** How many plates and windows the index holds for a park (undefined: not loaded). */
  sizeOf(parkNumber: string): { blacklisted: number; windows: number } | undefined {
    const i = this.slots.get(parkNumber)?.index;
    if (!i) return undefined;
    let windows = 0;
    for (const w of i.windows.values()) windows += w.length;
    return { blacklisted: i.black.size, windows };
  }

  private load(parkNumber: string): Promise<void> {
    let slot = this.slots.get(parkNumber);
    if (!slot) {
      slot = { version: 0 };
      this.slots.set(parkNumber, slot);
    }
    const s = slot;
    // One load at a time per park; a change during a load makes the load run again after it.
    if (s.loading) return s.loading;
    const run = async (): Promise<void> => {
      for (;;) {
        const version = s.version;
        const now = this.deps.clock.now();
        const [black, windows] = await Promise.all([
          this.deps.blacklist.blacklisted(parkNumber),
          this.deps.bookings ? this.deps.bookings.letInWindows(parkNumber, new Date(now)) : Promise.resolve([]),
        ]);
        const index: ParkIndex = { black: new Map(), windows: new Map(), loadedAt: now };
        for (const b of black) index.black.set(b.plateKey, b.reason);
        for (const w of windows) {
          const list = index.windows.get(w.plateKey);
          if (list) list.push(w);
          else index.windows.set(w.plateKey, [w]);
        }
        s.index = index;
        if (s.version === version) return;
      }
    };
    s.loading = run().finally(() => {
      s.loading = undefined;
    });
    return s.loading;
  }

  /** The park's index: loaded (waiting for the first load only), refreshed in the background when old. */
  private async indexOf(parkNumber: string): Promise<ParkIndex | undefined> {
    const slot = this.slots.get(parkNumber);
    const index = slot?.index;
    if (index) {
      if (this.deps.clock.now() - index.loadedAt > this.refreshMs && !slot.loading) {
        void this.load(parkNumber).catch((err: unknown) => this.deps.log?.error({ err, parkNumber }, '4.28: index refresh failed'));
      }
      return index;
    }
    try {
      await this.load(parkNumber);
    } catch (err) {
      this.deps.log?.error({ err, parkNumber }, '4.28: index load failed');
      return undefined;
    }
    return this.slots.get(parkNumber)?.index;
  }

  /** Decide for one car at a lane of `park`. */
  async decide(park: Park, car: OpenGateCar): Promise<OpenGateDecision> {
    const rules = { blacklist: park.settings?.openGate?.blacklist !== false, bookings: park.settings?.openGate?.bookings !== false };
    const plateKey = normalizePlate(car.plate);
    if (plateKey === '' || (!rules.blacklist && !rules.bookings)) return { status: 'self', errorCode: '临时车', rule: 'none' };
    const index = await this.indexOf(park.parkNumber);
    if (!index) return { status: 'self', errorCode: 'ParkPay 规则暂不可用', rule: 'not_loaded' };
    // Only a known entry lane is refused or opened; an exit, or a lane the lot did not say (inOutType
    // missing), is left to the lot.
    const entry = car.inOutType === 1;

    if (rules.blacklist) {
      const reason = index.black.get(plateKey);
      if (reason !== undefined) {
        const text = reason ? `黑名单车辆: ${reason}` : '黑名单车辆';
        if (entry) return { status: 'fail', errorCode: `${text},禁止开闸!`, rule: 'blacklist' };
        return { status: 'self', errorCode: text, rule: 'blacklist_exit' };
      }
    }
    if (rules.bookings && entry) {
      const now = this.deps.clock.now();
      const w = index.windows.get(plateKey)?.find((x) => x.start <= now && now <= x.end);
      if (w) return { status: 'success', errorCode: '预约车', rule: 'booking', bookOrderId: w.bookOrderId };
    }
    return { status: 'self', errorCode: '临时车', rule: 'none' };
  }
}
