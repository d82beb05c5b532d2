/**
 * Background work on coupons (4.23): coupons the lot did not confirm are sent again with the same code when
 * their next attempt is due (the coupon service backs off and stops by itself), found in the work collection
 * (core/work.ts). A claim is a conditional update in the database, so several processes never send the same
 * coupon at the same moment.
 */
import type { CouponService } from '../../core/coupons/service';
import type { WorkHandler } from '../../core/work';
import type { Logger } from '../../logger';

export interface CouponRedeliveryOptions {
  /** How often due coupons are looked for (default 15 s: the first redelivery waits 30 s). */
  pollMs?: number;
  logger: Logger;
}

export class CouponRedeliveryJob implements WorkHandler {
  readonly kind = 'coupon' as const;
  private timer: NodeJS.Timeout | undefined;
  private current: Promise<unknown> | undefined;
  private stopped = true;

  constructor(
    private readonly coupons: CouponService,
    private readonly opts: CouponRedeliveryOptions,
  ) {}

  start(): void {
    this.stopped = false;
    const tick = () => {
      this.timer = setTimeout(async () => {
        this.current = this.sweep();
        await this.current;
        if (!this.stopped) tick();
      }, this.opts.pollMs ?? 15_000);
      this.timer.unref();
    };
    tick();
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

  async stop(): Promise<void> {
    this.stopped = true;
    clearTimeout(this.timer);
    await this.current;
  }
}
