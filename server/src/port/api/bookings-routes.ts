/**
 * Bookings for drivers (contracts: shared/api/bookings.ts). Every route acts for the session's driver only:
 * another driver's booking number reads as not found. Offers are public (what a park sells).
 */
import type Router from '@koa/router';
import { bookingEndpoints, type BookingOfferView, type BookingView } from '../../../../shared/api/bookings';
import type { BookingOffer } from '../../core/bookings/model';
import { bookingStatus, cancelRefusal, refundFor } from '../../core/bookings/rules';
import type { BookingService, BookingWithOrder } from '../../core/bookings/service';
import type { Clock } from '../../core/clock';
import { mount } from './mount';
import { walletIdentity } from './orders-routes';

const iso = (d: Date | undefined | null) => (d ? new Date(d).toISOString() : null);

export function offerView(o: BookingOffer): BookingOfferView {
  return {
    offerId: o.offerId,
    parkNumber: o.parkNumber,
    title: o.title,
    areaId: o.areaId,
    priceFen: o.priceFen,
    start: o.start.toISOString(),
    end: o.end.toISOString(),
    letInStart: o.letInStart.toISOString(),
    letInEnd: o.letInEnd.toISOString(),
    left: Math.max(0, o.count - o.held),
    cancelRule: o.cancelRule,
  };
}

export function bookingView({ booking: b, order }: BookingWithOrder, now: Date): BookingView {
  const status = bookingStatus(b, order, now);
  const cancelNow =
    status === 'awaiting_payment' ? 0 : status === 'booked' && !cancelRefusal(b, now) ? refundFor(b.cancelRule, b.priceFen, b.letInStart, now) : null;
  return {
    bookingNo: b.bookingNo,
    parkNumber: b.parkNumber,
    offerId: b.offerId,
    title: b.title,
    plate: b.plate,
    areaId: b.areaId,
    priceFen: b.priceFen,
    start: b.start.toISOString(),
    end: b.end.toISOString(),
    letInStart: b.letInStart.toISOString(),
    letInEnd: b.letInEnd.toISOString(),
    status,
    cancelRule: b.cancelRule,
    order: order
      ? { orderNo: order.orderNo, status: order.status, expiresAt: order.expiresAt.toISOString(), wallet: order.provider ?? null, paidAt: iso(order.payment?.paidAt) }
      : null,
    refund: order?.refund ? { fen: order.refund.fen, state: order.refund.state, reason: order.refund.reason, refundedAt: iso(order.refund.refundedAt) } : null,
    cancelNowRefundFen: cancelNow,
    admittedAt: iso(b.admittedAt),
    cancelledAt: iso(b.cancel?.requestedAt),
    createdAt: b.createdAt.toISOString(),
  };
}

export function mountBookingRoutes(router: Router, bookings: BookingService, clock: Clock): void {
  const now = () => new Date(clock.now());

  mount(router, bookingEndpoints.offers, async ({ params }) => ({ offers: (await bookings.offersOnSale(params.parkNumber)).map(offerView) }));

  mount(router, bookingEndpoints.book, async ({ driver, body, ctx }) => {
    const made = await bookings.book(driver.id, body.offerId, body.plate);
    ctx.state.auditTarget = made.booking.bookingNo;
    return bookingView(made, now());
  });

  mount(router, bookingEndpoints.pay, async ({ driver, params, body }) => {
    const { payer } = walletIdentity(driver, body.wallet);
    const { booking, order, pay } = await bookings.pay(driver.id, params.bookingNo, body.wallet, payer);
    return {
      booking: bookingView({ booking, order }, now()),
      pay: pay.provider === 'wechat' ? { wallet: 'wechat' as const, requestPayment: pay.requestPayment } : { wallet: 'alipay' as const, tradeNo: pay.tradeNo },
    };
  });

  mount(router, bookingEndpoints.booking, async ({ driver, params }) => bookingView(await bookings.view(driver.id, params.bookingNo), now()));
  mount(router, bookingEndpoints.cancel, async ({ driver, params }) => bookingView(await bookings.cancel(driver.id, params.bookingNo), now()));
  mount(router, bookingEndpoints.mine, async ({ driver }) => ({ bookings: (await bookings.mine(driver.id)).map((x) => bookingView(x, now())) }));
}
