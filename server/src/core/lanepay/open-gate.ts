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
 *
 * A booking opens the gate once: when 4.28 answers success for it, its window leaves this process's index
 * at once (before the answer goes out; a concurrent or later 4.28 for the plate gets `self`), and the
 * admission is recorded through BookingLookup.admitted after the answer (deferred, never awaited by the lane
 * path, retried a few times when it fails). Until that write has reached the database a reload of the index
 * could bring the window back, so the admitted bookings are remembered here and kept out of every reload
 * until their window has ended. Another process learns of the admission at its next refresh (`refreshMs`);
 * the 4.19 reconciliation takes admissions over from the lot as well.
 */
import { normalizePlate } from '../../../../shared/plate';
import type { Clock } from '../clock';
import type { Park } from '../parks';
import type { Log } from '../log';

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
  /**
   * Record that the car came in on this booking (4.28 answered success for it at `at`): the booking is used
   * and lets nobody in again. Resolves true when this call recorded it, false when it was recorded before
   * (or the booking is no longer issued); rejects when it could not be written (it is asked again).
   */
  admitted?(bookOrderId: string, at: Date): Promise<boolean>;
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

/** Real ms between attempts to record an admission that failed (then it is left to the 4.19 reconciliation). */
export const ADMISSION_RETRY_MS: readonly number[] = [1_000, 5_000, 30_000];

export interface OpenGateDeps {
  blacklist: BlacklistLookup;
  bookings?: BookingLookup;
  clock: Clock;
  refreshMs?: number;
  log?: Pick<Log, 'warn' | 'error'>;
  /** Waits between attempts to record an admission (default ADMISSION_RETRY_MS). */
  admissionRetryMs?: readonly number[];
}

export class OpenGateRules {
  private readonly slots = new Map<string, ParkSlot>();
  private readonly refreshMs: number;
  /** Bookings this process let in (bookOrderId → end of the window, epoch ms): kept out of every reload. */
  private readonly used = new Map<string, number>();
  /** Admissions not yet recorded (for tests and a clean stop). */
  private readonly recording = new Set<Promise<void>>();

  constructor(private readonly deps: OpenGateDeps) {
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
        for (const [no, end] of this.used) if (end < now) this.used.delete(no);
        for (const w of windows) {
          // Let in by this process already: the database may not say so yet.
          if (this.used.has(w.bookOrderId)) continue;
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
      if (w) {
        this.admit(park.parkNumber, index, w, now);
        return { status: 'success', errorCode: '预约车', rule: 'booking', bookOrderId: w.bookOrderId };
      }
    }
    return { status: 'self', errorCode: '临时车', rule: 'none' };
  }

  /** Resolves when every admission recorded so far has been written (or given up). */
  async settled(): Promise<void> {
    while (this.recording.size) await Promise.all([...this.recording]);
  }

  /**
   * The booking opens the gate now: out of the index at once (synchronously, so no other 4.28 can use it),
   * remembered against reloads, and recorded after the answer has gone (setImmediate runs after the
   * handler's return has been written out; the write is never awaited by the lane).
   */
  private admit(parkNumber: string, index: ParkIndex, w: LetInWindow, now: number): void {
    this.used.set(w.bookOrderId, w.end);
    const rest = (index.windows.get(w.plateKey) ?? []).filter((x) => x.bookOrderId !== w.bookOrderId);
    if (rest.length) index.windows.set(w.plateKey, rest);
    else index.windows.delete(w.plateKey);
    const bookings = this.deps.bookings;
    if (!bookings?.admitted) return;
    const at = new Date(now);
    const job = new Promise<void>((resolve) => setImmediate(resolve))
      .then(() => this.record(bookings, parkNumber, w.bookOrderId, at))
      .finally(() => this.recording.delete(job));
    this.recording.add(job);
  }

  private async record(bookings: BookingLookup, parkNumber: string, bookOrderId: string, at: Date): Promise<void> {
    const waits = this.deps.admissionRetryMs ?? ADMISSION_RETRY_MS;
    for (let attempt = 0; ; attempt++) {
      try {
        const recorded = await bookings.admitted!(bookOrderId, at);
        if (!recorded) this.deps.log?.warn({ parkNumber, bookOrderId }, '4.28: admission was recorded before (or the booking is no longer issued)');
        return;
      } catch (err) {
        const wait = waits[attempt];
        if (wait === undefined) {
          this.deps.log?.error({ err, parkNumber, bookOrderId }, '4.28: admission not recorded; this process keeps the booking used, the 4.19 reconciliation takes it over from the lot');
          return;
        }
        this.deps.log?.warn({ err, parkNumber, bookOrderId, attempt: attempt + 1 }, '4.28: recording the admission failed; trying again');
        await new Promise((r) => setTimeout(r, wait).unref?.());
      }
    }
  }
}
