/**
 * Background work on lane deductions (4.16/4.27): give back money the lot never collected, and find out
 * what became of deductions whose outcome was still unknown when the lot was answered (deduction-refunds.ts),
 * found in the work collection (core/work.ts).
 * Every step is claimed by a conditional update of the deduction's document, so several processes share
 * the work without doing anything twice and a crashed process's claims lapse.
 */
import { randomBytes } from 'node:crypto';
import os from 'node:os';
import type { DeductionRefunds } from '../../core/lanepay/deduction-refunds';
import type { WorkHandler } from '../../core/work';
import type { Logger } from '../../logger';
import { PollLoop } from './poll-loop';

export interface DeductionRefundJobOptions {
  /** How often due records are looked for (real ms; default 30 s: the grace is minutes). */
  pollMs?: number;
  logger: Logger;
  owner?: string;
}

export class DeductionRefundJob implements WorkHandler {
  readonly kind = 'deduction' as const;
  readonly owner: string;
  private readonly loop: PollLoop;

  constructor(
    private readonly refunds: DeductionRefunds,
    private readonly opts: DeductionRefundJobOptions,
  ) {
    this.owner = opts.owner ?? `${os.hostname()}:${process.pid}:${randomBytes(3).toString('hex')}`;
    this.loop = new PollLoop(() => this.sweep(), opts.pollMs ?? 30_000);
  }

  start(): void {
    this.loop.start();
  }

  /** One pass (also what tests call to run the job step by step): how many records were acted on. */
  async sweep(): Promise<number> {
    try {
      // Up to 100 a pass; a backlog is worked through pass by pass.
      return await this.refunds.sweep(this.owner, 100);
    } catch (err) {
      this.opts.logger.error({ err }, 'deduction refund pass failed');
      return 0;
    }
  }

  /** One look at a record whose work item is due (the job registry's step). */
  async process(id: string): Promise<Date | undefined> {
    return (await this.refunds.process(this.owner, id)).next;
  }

  /** Stop taking work and wait for the pass under way. */
  stop(): Promise<void> {
    return this.loop.stop();
  }
}
