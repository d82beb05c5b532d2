/**
 * Background work on coupons (4.23): coupons the lot did not confirm are sent again with the same code when
 * their next attempt is due (the coupon service backs off and stops by itself), found in the work collection
 * (core/work.ts). A claim is a conditional update in the database, so several processes never send the same
 * coupon at the same moment.
 */
import type { CouponService } from '../../core/coupons/service';
import type { WorkHandler } from '../../core/work';
import type { Logger } from '../../logger';
import { PollLoop } from './poll-loop';

export interface CouponRedeliveryOptions {
  /** How often due coupons are looked for (default 15 s: the first redelivery waits 30 s). */
  pollMs?: number;
  logger: Logger;
}

export class CouponRedeliveryJob implements WorkHandler {
  readonly kind = 'coupon' as const;
  private readonly loop: PollLoop;

  constructor(
    private readonly coupons: CouponService,
    private readonly opts: CouponRedeliveryOptions,
  ) {
    this.loop = new PollLoop(() => this.sweep(), opts.pollMs ?? 15_000);
  }

  start(): void {
    this.loop.start();
  }

  /** One pass: how many coupons were sent again. */
  async sweep(): Promise<number> {
    try {
      return await this.coupons.redeliverDue();
    } catch (err) {
      this.opts.logger.error({ err }, 'coupon redelivery pass failed');
      return 0;
    }
  }

  /** One look at a coupon whose work item is due (the job registry's step). */
  async process(couponCode: string): Promise<Date | undefined> {
    return (await this.coupons.process(couponCode)).next;
  }

  stop(): Promise<void> {
    return this.loop.stop();
  }
}
