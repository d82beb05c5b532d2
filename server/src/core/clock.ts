/**
 * Time as a dependency, so tests and sandboxes can move it: 5-minute polls, resend schedules and expiries
 * then run in milliseconds.
 */
export interface Clock {
  /** Milliseconds since the epoch. */
  now(): number;
}

export const systemClock: Clock = { now: () => Date.now() };

/** A clock that only moves when told to. */
export class ManualClock implements Clock {
  constructor(private t: number = Date.UTC(2026, 10, 28, 2, 0, 0)) {}
  now(): number {
    return this.t;
  }
  set(ms: number): void {
    this.t = ms;
  }
  advance(ms: number): void {
    this.t += ms;
  }
}

/** Real time, offset and sped up: `factor` 60 makes a real second a simulated minute. */
export class ScaledClock implements Clock {
  private base = Date.now();
  private simBase: number;
  constructor(
    start: number = Date.now(),
    private factor = 1,
  ) {
    this.simBase = start;
  }
  now(): number {
    return this.simBase + (Date.now() - this.base) * this.factor;
  }
  set(ms: number): void {
    this.simBase = ms;
    this.base = Date.now();
  }
  advance(ms: number): void {
    this.set(this.now() + ms);
  }
  setFactor(factor: number): void {
    this.set(this.now());
    this.factor = factor;
  }
  get speed(): number {
    return this.factor;
  }
}

/** The clock's time as a Date (what records are stamped with). */
export function dateNow(clock: Clock): Date {
  return new Date(clock.now());
}
