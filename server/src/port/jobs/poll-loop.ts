/**
 * The one loop every background job polls with: run a step, wait, run the next. Never two steps at once (a
 * slow step delays the next rather than piling up), the timer never keeps the process alive, and stop()
 * waits for the step under way. Wall-clock time is read here on purpose: it measures how long ago a step
 * really ran (health), whatever clock the jobs' work is judged by.
 */
export class PollLoop {
  private timer: NodeJS.Timeout | undefined;
  private current: Promise<unknown> | undefined;
  private stopped = true;
  private started = false;
  private lastStartAt: number | undefined;
  private lastEndAt = 0;

  /**
   * @param step one pass of the job; it reports its own failures (a rejection here is swallowed so the loop goes on)
   * @param everyMs the wait after each step
   * @param firstAfterMs the wait before the first step (default `everyMs`)
   */
  constructor(
    private readonly step: () => Promise<unknown>,
    private readonly everyMs: number,
    private readonly firstAfterMs: number = everyMs,
  ) {}

  start(): void {
    this.stopped = false;
    this.started = true;
    this.lastEndAt = Date.now();
    this.arm(this.firstAfterMs);
  }

  private arm(ms: number): void {
    this.timer = setTimeout(() => {
      this.lastStartAt = Date.now();
      this.current = this.step()
        .catch(() => undefined)
        .finally(() => {
          this.lastEndAt = Date.now();
          if (!this.stopped) this.arm(this.everyMs);
        });
    }, ms);
    this.timer.unref();
  }

  /** Started and not stopped. */
  get running(): boolean {
    return this.started && !this.stopped;
  }

  /** Milliseconds since the last step ended (or since start), null when never started. */
  sinceLastStepMs(): number | null {
    return this.started ? Date.now() - this.lastEndAt : null;
  }

  /** Milliseconds since the last step began, null before the first one. */
  sinceLastStartMs(): number | null {
    return this.lastStartAt === undefined ? null : Date.now() - this.lastStartAt;
  }

  /** The step under way, finished (tests). */
  async idle(): Promise<void> {
    await this.current;
  }

  /** Stop: no further step; the step under way finishes. */
  async stop(): Promise<void> {
    this.stopped = true;
    clearTimeout(this.timer);
    await this.current;
  }
}
