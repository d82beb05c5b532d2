/**
 * Runs the retention pass (core/retention.ts) now and then: at start, then every hour by default. What it
 * removed is logged; a failed pass is logged and tried again at the next.
 */
import type { Retention } from '../../core/retention';
import type { Logger } from '../../logger';
import { PollLoop } from './poll-loop';

export class RetentionJob {
  private readonly loop: PollLoop;

  constructor(
    private readonly retention: Retention,
    private readonly opts: { logger: Logger; everyMs?: number },
  ) {
    this.loop = new PollLoop(() => this.pass(), opts.everyMs ?? 3_600_000, 5_000);
  }

  start(): void {
    this.loop.start();
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

  stop(): Promise<void> {
    return this.loop.stop();
  }
}
