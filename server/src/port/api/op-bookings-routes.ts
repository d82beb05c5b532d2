/**
 * Booking offers and bookings for operators (contracts: shared/api/op-bookings.ts). mount() has
 * authenticated the operator, checked the park is theirs and audits every change; the service checks the
 * role (merchants may not).
 */
import type Router from '@koa/router';
import { opBookingEndpoints, type OpBookingView, type OpOfferView } from '../../../../shared/api/op-bookings';
import type { BookingOffer, BookingReconciliation } from '../../core/bookings/model';
import type { BookingReconciler } from '../../core/bookings/reconcile';
import type { BookingService, BookingWithOrder } from '../../core/bookings/service';
import type { Clock } from '../../core/clock';
import { assertRole } from '../../core/operators/model';
import { bookingView } from './bookings-routes';
import { auditFacts, mount } from './mount';

function opOfferView(o: BookingOffer): OpOfferView {
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
    count: o.count,
    held: o.held,
    cancelRule: o.cancelRule,
    status: o.status,
    createdBy: o.createdBy,
    createdAt: o.createdAt.toISOString(),
  };
}

function opBookingView(x: BookingWithOrder, now: Date): OpBookingView {
  const r = x.booking.reconciled;
  return {
    ...bookingView(x, now),
    reconciled: r ? { at: new Date(r.at).toISOString(), issue: r.issue ?? null } : null,
    lotProblem: x.booking.cancel?.lotProblem ?? null,
  };
}

function reportView(r: BookingReconciliation) {
  return { ...r, ranAt: r.ranAt.toISOString() };
}

export function mountOpBookingRoutes(router: Router, bookings: BookingService, reconciler: BookingReconciler, clock: Clock): void {
  const now = () => new Date(clock.now());

  mount(router, opBookingEndpoints.createOffer, async ({ operator, params, body, ctx }) => {
    auditFacts(ctx, opBookingEndpoints.createOffer, { title: body.title, count: body.count, priceFen: body.priceFen, areaId: body.areaId });
    const offer = await bookings.createOffer(operator, params.parkNumber, {
      ...body,
      start: new Date(body.start),
      end: new Date(body.end),
      letInStart: new Date(body.letInStart),
      letInEnd: new Date(body.letInEnd),
    });
    auditFacts(ctx, opBookingEndpoints.createOffer, { offerId: offer.offerId });
    return opOfferView(offer);
  });

  mount(router, opBookingEndpoints.offers, async ({ operator, params }) => {
    assertRole(operator, 'admin', 'operator');
    return { offers: (await bookings.offersOf(params.parkNumber)).map(opOfferView) };
  });

  mount(router, opBookingEndpoints.withdrawOffer, async ({ operator, params, ctx }) => {
    const offer = await bookings.withdrawOffer(operator, params.parkNumber, params.offerId);
    auditFacts(ctx, opBookingEndpoints.withdrawOffer, { title: offer.title });
    return opOfferView(offer);
  });

  mount(router, opBookingEndpoints.bookings, async ({ operator, params, query }) => {
    assertRole(operator, 'admin', 'operator');
    const statuses = query.status === undefined ? undefined : new Set(Array.isArray(query.status) ? query.status : [query.status]);
    const limit = query.limit ?? 200;
    const at = now();
    const list = (await bookings.bookingsOfPark(params.parkNumber, { offerId: query.offerId }, statuses ? 1000 : limit))
      .map((x) => opBookingView(x, at))
      .filter((v) => !statuses || statuses.has(v.status));
    return { bookings: list.slice(0, limit) };
  });

  mount(router, opBookingEndpoints.cancelBooking, async ({ operator, params, body, ctx }) => {
    auditFacts(ctx, opBookingEndpoints.cancelBooking, { reason: body.reason || undefined });
    const x = await bookings.cancelByOperator(operator, params.parkNumber, params.bookingNo, body.reason ?? '');
    auditFacts(ctx, opBookingEndpoints.cancelBooking, { plate: x.booking.plate });
    return opBookingView(x, now());
  });

  mount(router, opBookingEndpoints.capacity, async ({ operator, params }) => {
    assertRole(operator, 'admin', 'operator');
    const c = await bookings.capacityOf(params.parkNumber);
    return { heartbeatAt: c.heartbeatAt ? c.heartbeatAt.toISOString() : null, ledgers: c.ledgers.map((l) => ({ key: l.key, free: l.free })), areas: c.areas };
  });

  mount(router, opBookingEndpoints.reconcile, async ({ operator, params, ctx }) => {
    assertRole(operator, 'admin', 'operator');
    const report = await reconciler.reconcile(params.parkNumber);
    auditFacts(ctx, opBookingEndpoints.reconcile, { differences: report.differences.length });
    return reportView(report);
  });

  mount(router, opBookingEndpoints.reconciliation, async ({ operator, params }) => {
    assertRole(operator, 'admin', 'operator');
    const r = await reconciler.latest(params.parkNumber);
    return { report: r ? reportView(r) : null };
  });
}
