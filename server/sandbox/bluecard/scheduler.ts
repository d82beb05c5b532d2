/**
 * Timers on the SANDBOX clock: the lot's resend schedule ("every 5 minutes", 4.2/4.3) runs on simulated
 * time, so a ScaledClock compresses it and a ManualClock lets a test run the whole schedule instantly.
 *
 * `ClockScheduler` keeps tasks by their due instant (sandbox ms). Nothing runs by itself unless `pollMs`
 * is given: then a real interval checks the clock and runs what is due (demo mode, ScaledClock). Tests
 * call `runDue()` after moving the clock, or `runUntil(t, set)` to step a settable clock from task to
 * task so that each runs at exactly its due instant.
 */
import type { Clock } from '../../src/core/clock';

export type Task = () => unknown;

export interface SandboxScheduler {
  /** Run `task` once when the sandbox clock reaches `when` (ms). Returns a cancel function. */
  at(when: number, task: Task): () => void;
  /** Run every task due by now, earliest first (tasks scheduled while running are run too if due). */
  runDue(): Promise<number>;
  /** The earliest pending due instant, if any. */
  nextDue(): number | undefined;
  /** Step a settable clock to each due instant up to `to`, running tasks on time; the clock ends at `to`. */
  runUntil(to: number, setClock: (ms: number) => void): Promise<number>;
  /** Pending tasks (for the state dump). */
  pending(): number;
  /** Forget every task and stop polling. */
  stop(): void;
}

interface Entry {
  id: number;
  when: number;
  task: Task;
}

export interface ClockSchedulerOptions {
  /** Real milliseconds between checks of the clock; 0 or undefined: no automatic running. */
  pollMs?: number;
  /** Where a failing task is reported (it never stops the scheduler). */
  onError?: (e: unknown) => void;
}

export class ClockScheduler implements SandboxScheduler {
  private entries: Entry[] = [];
  private seq = 0;
  private timer: NodeJS.Timeout | undefined;
  private running: Promise<number> | undefined;

  constructor(
    private readonly clock: Clock,
    private readonly options: ClockSchedulerOptions = {},
  ) {
    if (options.pollMs && options.pollMs > 0) {
      this.timer = setInterval(() => {
        if (!this.running && this.due()) void this.runDue();
      }, options.pollMs);
      this.timer.unref();
    }
  }

  at(when: number, task: Task): () => void {
    const id = ++this.seq;
    this.entries.push({ id, when, task });
    return () => {
      this.entries = this.entries.filter((e) => e.id !== id);
    };
  }

  nextDue(): number | undefined {
    let min: number | undefined;
    for (const e of this.entries) if (min === undefined || e.when < min) min = e.when;
    return min;
  }

  pending(): number {
    return this.entries.length;
  }

  private due(): Entry | undefined {
    const now = this.clock.now();
    let best: Entry | undefined;
    for (const e of this.entries) {
      if (e.when <= now && (best === undefined || e.when < best.when || (e.when === best.when && e.id < best.id))) best = e;
    }
    return best;
  }

  runDue(): Promise<number> {
    // One runner at a time; a second caller waits for the first and then runs what became due.
    const run = async (): Promise<number> => {
      let ran = 0;
      for (let guard = 0; guard < 100_000; guard++) {
        const e = this.due();
        if (!e) break;
        this.entries = this.entries.filter((x) => x.id !== e.id);
        ran++;
        try {
          await e.task();
        } catch (err) {
          this.options.onError?.(err);
        }
      }
      return ran;
    };
    const previous = this.running ?? Promise.resolve(0);
    const next = previous.then(run, run);
    this.running = next;
    void next.finally(() => {
      if (this.running === next) this.running = undefined;
    });
    return next;
  }

  async runUntil(to: number, setClock: (ms: number) => void): Promise<number> {
    let ran = 0;
    for (let guard = 0; guard < 100_000; guard++) {
      const next = this.nextDue();
      if (next === undefined || next > to) break;
      if (next > this.clock.now()) setClock(next);
      ran += await this.runDue();
    }
    if (to > this.clock.now()) setClock(to);
    ran += await this.runDue();
    return ran;
  }

  stop(): void {
    if (this.timer) clearInterval(this.timer);
    this.timer = undefined;
    this.entries = [];
  }
}
