/** A booking's payment: PayPanel with the booking's own pay endpoint. */
import { bookingEndpoints } from '@shared/api/bookings';
import { call } from '../../services/api';
import type { PayDeps } from '../../services/payFlow';
import { walletOf } from '../../services/platform';

/** PayPanel's dependencies for a booking: its own pay endpoint (it checks the reservation still holds). */
export function bookingPayDeps(bookingNo: string): Partial<PayDeps> {
  return {
    startPay: async () => {
      const r = await call(bookingEndpoints.pay, { params: { bookingNo }, body: { wallet: walletOf() } });
      return { pay: r.pay };
    },
  };
}
