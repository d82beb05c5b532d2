/**
 * Runs the retention pass (core/retention.ts) now and then: at start, then every hour by default. What it
 * removed is logged; a failed pass is logged and tried again at the next.
 */
import type { Retention } from '../../core/retention';
import type { Logger } from '../../logger';

export class RetentionJob {
  private timer: NodeJS.Timeout | undefined;
  private current: Promise<unknown> | undefined;
  private stopped = true;

  constructor(
    private readonly retention: Retention,
    private readonly opts: { logger: Logger; everyMs?: number },
  ) {}

  start(): void {
    this.stopped = false;
    const tick = (ms: number) => {
      this.timer = setTimeout(async () => {
        this.current = this.pass();
        await this.current;
        if (!this.stopped) tick(this.opts.everyMs ?? 3_600_000);
      }, ms);
      this.timer.unref();
    };
    tick(5_000);
  }

  /** One pass (what tests call): what was removed, by kind. */
  async pass(): Promise<Record<string, number> | undefined> {
    try {
      const removed = await this.retention.prune();
      if (Object.values(removed).some((n) => n > 0)) this.opts.logger.info({ removed }, 'retention: expired records removed');
      return removed;
    } catch (err) {
      this.opts.logger.error({ err }, 'retention pass failed');
      return undefined;
    }
  }

  async stop(): Promise<void> {
    this.stopped = true;
    clearTimeout(this.timer);
    await this.current;
  }
}
