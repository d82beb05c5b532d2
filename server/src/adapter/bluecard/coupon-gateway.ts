/**
 * The coupon service's CouponLot over the Bluecard client: 4.23 `coupon`, one coupon a call (id "1").
 * The client never repeats 4.23 itself; the coupon service redelivers with the SAME couponCode, which the lot
 * refuses as a duplicate when it already has it — read here as "at the lot".
 */
import type { CouponDelivery, CouponLot } from '../../core/coupons/model';
import type { Park } from '../../core/parks';
import type { BluecardClient } from './client';
import { BluecardError } from './errors';

/** A refusal that says the couponCode is known already (重复 / 已存在 / exists / duplicate). */
export function isDuplicateCouponRefusal(errorCode: string | undefined): boolean {
  return errorCode !== undefined && /重复|已存在|已下发|duplicate|exist/i.test(errorCode);
}

export class BluecardCouponGateway implements CouponLot {
  constructor(private readonly client: BluecardClient) {}

  async deliver(park: Park, c: Parameters<CouponLot['deliver']>[1]): Promise<CouponDelivery> {
    const common = { couponCode: c.couponCode, orderId: c.orderId, plate: c.plate, end: c.end };
    try {
      await this.client.coupon(park, [c.kind === 'hours' ? { ...common, kind: 'time', minutes: c.amount } : { ...common, kind: 'money', fen: c.amount }]);
      return { outcome: 'at_lot' };
    } catch (e) {
      if (!(e instanceof BluecardError)) throw e;
      if (e.kind === 'rejected') {
        if (isDuplicateCouponRefusal(e.errorCode)) return { outcome: 'at_lot' };
        return { outcome: 'refused', reason: e.errorCode || e.detail };
      }
      // Nothing went on the wire: it will not get better by sending it again.
      if (e.kind === 'invalid_request') return { outcome: 'refused', reason: e.detail };
      return { outcome: 'unconfirmed', reason: e.detail };
    }
  }
}
