/**
 * The lot's pace for the interfaces that must wait after its previous answer (4.6 synWhite: "每次请求距离上次
 * 蓝卡返回时间间隔不低于 5s", and 4.9 paced the same way), kept where every ParkPay process sees it: one slot per
 * park and interface (`key`). A caller takes the slot in one conditional write when it is free, holds it
 * while its request is on the wire, and gives it back with the time it is free again — the lot's answer
 * plus the pace. A process that dies holding it holds it only until `holdUntil`, which outlasts the request.
 *
 * Times are milliseconds on the injected clock (core/clock.ts) of the callers.
 */

/** What taking a slot came to: taken, or when it is free (`held`: a request is on the wire, its answer not in yet). */
export type SlotTake = { taken: true } | { taken: false; freeAt: number; held: boolean };

export interface CallSlots {
  /**
   * Take the slot when it is free at `now` (never taken, or its free time reached), for `holder` until
   * `holdUntil`. A free time later than `holdUntil` cannot have been set at a time before `now` (a clock
   * moved back): that slot is free too.
   */
  take(key: string, holder: string, now: number, holdUntil: number): Promise<SlotTake>;
  /** The holder's request was answered: the slot is free at `freeAt`. Nothing when another holds it now. */
  release(key: string, holder: string, freeAt: number): Promise<void>;
}

/** Slots of one process (a single ParkPay process, and tests without a database). */
export class MemoryCallSlots implements CallSlots {
  private readonly slots = new Map<string, { freeAt: number; holder: string | null }>();

  async take(key: string, holder: string, now: number, holdUntil: number): Promise<SlotTake> {
    const s = this.slots.get(key);
    if (s && s.freeAt > now && s.freeAt <= holdUntil) return { taken: false, freeAt: s.freeAt, held: s.holder !== null };
    this.slots.set(key, { freeAt: holdUntil, holder });
    return { taken: true };
  }

  async release(key: string, holder: string, freeAt: number): Promise<void> {
    const s = this.slots.get(key);
    if (s?.holder === holder) this.slots.set(key, { freeAt, holder: null });
  }
}
