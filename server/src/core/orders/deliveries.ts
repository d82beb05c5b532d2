/**
 * How a paid order of a kind other than a stay payment reaches the lot. A stay's payment is told with 4.5
 * sendPayRes; a booking's is issued with 4.18 synBookingCar flag 1 (core/bookings). The order service's
 * delivery job calls the kind's delivery with the same leases, backoff and refunds as sendPayRes: throw
 * LotCallError (refused → counted towards maxRefusals; not retryable → refunded at once; retryable → again
 * later, refunded after a day).
 */
import type { Park } from '../parks';
import type { Order } from './model';

export interface OrderDelivery {
  /** Tell the lot about this paid order. Called again (same order) after a failure: must be idempotent. */
  deliver(park: Park, order: Order): Promise<void>;
  /** Not before this time (a hold): the delivery is due again then, without using up a retry. */
  notBefore?(order: Order): Date | undefined;
}
