/**
 * Timers on the sandbox's clock: Alipay's notification retry schedule (4m, 10m, 10m, 1h, 2h, 6h, 15h) and
 * trade timeouts. Three ways to run them:
 *  - 'timers': the clock runs `timeScale` times faster than real time (a ScaledClock); each task gets a real
 *    setTimeout of its delay / timeScale, and runs when the clock has reached its due instant;
 *  - 'poll': a shared clock moved elsewhere (demo mode); every `pollMs` real ms due tasks are run;
 *  - 'manual': nothing runs by itself; a test moves its ManualClock and calls runDue().
 */
import type { Clock } from '../../src/core/clock';

export type Task = () => unknown;

interface Entry {
  id: number;
  due: number;
  task: Task;
  timer?: NodeJS.Timeout;
}

export type SchedulerMode = { mode: 'timers'; timeScale: number } | { mode: 'poll'; pollMs: number } | { mode: 'manual' };

export class SandboxScheduler {
  private entries: Entry[] = [];
  private seq = 0;
  private poller: NodeJS.Timeout | undefined;
  private running: Promise<number> = Promise.resolve(0);
  private stopped = false;

  constructor(
    private readonly clock: Clock,
    private readonly how: SchedulerMode,
    private readonly onError: (e: unknown) => void = () => undefined,
  ) {
    if (how.mode === 'poll') {
      this.poller = setInterval(() => void this.runDue(), how.pollMs);
      this.poller.unref();
    }
  }

  /** Run `task` once `delayMs` of sandbox time from now. Returns the due instant. */
  after(delayMs: number, task: Task): number {
    const entry: Entry = { id: ++this.seq, due: this.clock.now() + Math.max(0, delayMs), task };
    this.entries.push(entry);
    if (this.how.mode === 'timers') this.arm(entry, delayMs / this.how.timeScale);
    return entry.due;
  }

  private arm(entry: Entry, realMs: number): void {
    if (this.stopped) return;
    entry.timer = setTimeout(() => {
      entry.timer = undefined;
      const left = entry.due - this.clock.now();
      // A ScaledClock may round a hair behind the timer: wait the remainder, then run.
      if (left > 0 && this.how.mode === 'timers') this.arm(entry, Math.max(1, left / this.how.timeScale));
      else void this.runDue();
    }, Math.max(0, Math.ceil(realMs)));
    entry.timer.unref();
  }

  /** Run every task due by now, earliest first; tasks that become due meanwhile run too. One runner at a time. */
  runDue(): Promise<number> {
    const run = async (): Promise<number> => {
      let ran = 0;
      for (let guard = 0; guard < 100_000 && !this.stopped; guard++) {
        const now = this.clock.now();
        let best: Entry | undefined;
        for (const e of this.entries) if (e.due <= now && (!best || e.due < best.due || (e.due === best.due && e.id < best.id))) best = e;
        if (!best) break;
        const picked = best;
        if (picked.timer) clearTimeout(picked.timer);
        this.entries = this.entries.filter((e) => e.id !== picked.id);
        ran++;
        try {
          await picked.task();
        } catch (err) {
          this.onError(err);
        }
      }
      return ran;
    };
    this.running = this.running.then(run, run);
    return this.running;
  }

  /** The earliest pending due instant. */
  nextDue(): number | undefined {
    return this.entries.reduce<number | undefined>((m, e) => (m === undefined || e.due < m ? e.due : m), undefined);
  }

  pending(): number {
    return this.entries.length;
  }

  /** Wait for the task runner to be idle (tasks already running finish). */
  async idle(): Promise<void> {
    await this.running;
  }

  stop(): void {
    this.stopped = true;
    if (this.poller) clearInterval(this.poller);
    for (const e of this.entries) if (e.timer) clearTimeout(e.timer);
    this.entries = [];
  }
}
