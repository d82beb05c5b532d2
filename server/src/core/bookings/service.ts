/**
 * The booking service: offers (operators), bookings (drivers), the way from a payment to the lot (4.18 flag 1
 * as the delivery of an order of kind 'booking'), cancellations (flag 0, then the refund the offer's rule
 * allows), and the capacity that keeps concurrent buyers from overselling. See model.ts for the states.
 *
 * Ordering rules that keep the capacity ledgers honest without transactions:
 *  - a capacity hold is recorded on the booking BEFORE it is taken from the ledger, and dropped only AFTER it
 *    was given back: a rebase, which counts the bookings with a recorded hold, never misses a hold (at worst
 *    it counts one twice, which undersells until the next heartbeat). A take or give between the rebase's
 *    read and its write changes the ledger's version and the rebase starts again;
 *  - only the caller that moved a booking to `releasing` gives its capacity back (once); the offer's hold is
 *    dropped conditionally before it is given back, so whoever gets there gives it once;
 *  - capacity is given back only for bookings the lot never had; a cancelled issued booking frees its space
 *    at the lot, and the next heartbeat says so.
 * A ledger is recomputed from each newer heartbeat, so a miscount of ours (a crash mid-way) lasts until the
 * next heartbeat; every one of them undersells, none oversells. The offer counter has no heartbeat: a crash
 * between dropping and giving its hold leaks one place (undersells).
 */
import { randomChars, timedNo } from '../ids';
import { isPlausiblePlate, normalizePlate } from '../../../../shared/plate';
import { formatChinaTime } from '../../../../shared/time';
import { dateNow, type Clock } from '../clock';
import { BookingError } from './errors';
import type { LotRecordsRepository } from '../lot/model';
import { assertRole, type Operator } from '../operators/model';
import type { OrderDelivery } from '../orders/deliveries';
import { LotCallError, type Payer, type PayParams } from '../orders/gateways';
import type { Order, OrderRepository, Provider } from '../orders/model';
import { newOrderNo, type OrderService } from '../orders/orders';
import { backoff } from '../orders/policy';
import type { Park, ParkDirectory } from '../parks';
import * as changes from './changes';
import {
  bookingDue,
  HOLDING_BOOKING,
  type AreaKey,
  type Booking,
  type BookingLot,
  type BookingOffer,
  type BookingRepository,
  type BookingState,
  type CapacityLedger,
  type CapacityRepository,
  type LotBooking,
  type OfferRepository,
} from './model';
import { areaKeys, assertOffer, cancelRefusal, refundFor, type OfferInput } from './rules';
import type { Log } from '../log';

export interface BookingPolicy {
  /** An unpaid booking holds its place this long (its order's quote; paying extends it to the payment's). */
  holdTtlMs: number;
  /** A booking issued less than this before a heartbeat was received may not show in that heartbeat's counts. */
  reflectMarginMs: number;
  /** Lease of one cancellation attempt. */
  leaseMs: number;
  /** Waits between 4.18 flag-0 attempts; the last repeats. */
  cancelBackoffMs: number[];
  /** The lot unreachable this long for a cancellation: refund anyway and leave it to reconciliation. */
  cancelGiveUpMs: number;
  /** A reservation interrupted this long ago (a crash mid-way) is undone by the sweep. */
  staleReservingMs: number;
}

export const DEFAULT_BOOKING_POLICY: BookingPolicy = {
  holdTtlMs: 5 * 60_000,
  reflectMarginMs: 10_000,
  leaseMs: 30_000,
  cancelBackoffMs: [0, 1_000, 5_000, 30_000, 60_000, 300_000, 600_000],
  cancelGiveUpMs: 24 * 60 * 60_000,
  staleReservingMs: 60_000,
};

export interface BookingServiceDeps {
  offers: OfferRepository;
  bookings: BookingRepository;
  capacity: CapacityRepository;
  heartbeats: Pick<LotRecordsRepository, 'latestHeartbeat'>;
  orders: Pick<OrderRepository, 'insert' | 'get'>;
  orderService: Pick<OrderService, 'pay' | 'cancel' | 'refundDelivered'>;
  parks: ParkDirectory;
  lot: BookingLot;
  clock: Clock;
  policy?: Partial<BookingPolicy>;
  /** A cancellation is waiting for the lot (kick the worker). */
  onCancelling?: (bookingNo: string) => void;
  /**
   * A park's bookings changed as 4.28 sees them (issued, cancelling, used): the open-gate index reloads
   * (BookingWindows.changed). Awaited, so the index has the change when the call that made it returns.
   */
  onChange?: (parkNumber: string) => Promise<void>;
  log?: Log;
  /** Who takes cancellation leases when the service works inline. */
  owner?: string;
}

/** A booking with its order, as views need them. */
export interface BookingWithOrder {
  booking: Booking;
  order?: Order;
}

/** BK + China time yyMMddHHmmss + 6 random: 20 of [0-9A-Z] (4.18 bookOrderId). */
export function newBookingNo(now: number): string {
  return timedNo('BK', now, 6);
}

const HOLDING: readonly BookingState[] = HOLDING_BOOKING;

/** A booking of the offer for the plate, reserving and holding nothing yet. */
function newBooking(offer: BookingOffer, driverId: string, plateKey: string, now: Date): Booking {
  return {
    bookingNo: newBookingNo(now.getTime()),
    offerId: offer.offerId,
    parkNumber: offer.parkNumber,
    driverId,
    plate: plateKey,
    plateKey,
    title: offer.title,
    areaId: offer.areaId,
    priceFen: offer.priceFen,
    start: offer.start,
    end: offer.end,
    letInStart: offer.letInStart,
    letInEnd: offer.letInEnd,
    cancelRule: offer.cancelRule,
    state: 'reserving',
    activeKey: `${offer.offerId}|${plateKey}`,
    holds: { offer: false, capacity: [] },
    orderNo: newOrderNo(now.getTime()),
    createdAt: now,
    updatedAt: now,
  };
}

/** The order that pays for a booking: the offer's price, quoted until the hold runs out. */
function bookingOrder(booking: Booking, offer: BookingOffer, now: Date, holdTtlMs: number): Order {
  return {
    orderNo: booking.orderNo,
    driverId: booking.driverId,
    kind: 'booking',
    parkNumber: offer.parkNumber,
    orderId: booking.bookingNo,
    plate: booking.plateKey,
    outTradeNo: `booking_${booking.bookingNo}`,
    quote: {
      chargeFen: offer.priceFen,
      paidTotalFen: 0,
      profitChargeTotalFen: 0,
      payFen: offer.priceFen,
      inTime: formatChinaTime(offer.letInStart),
      getTime: formatChinaTime(now),
      stopMinutes: 0,
      paidFreeMinutes: 0,
      profitMinutes: 0,
      imgName: '',
    },
    amountFen: offer.priceFen,
    status: 'quoted',
    expiresAt: new Date(now.getTime() + holdTtlMs),
    createdAt: now,
    updatedAt: now,
  };
}

export class BookingService implements OrderDelivery {
  readonly policy: BookingPolicy;
  private readonly owner: string;
  /** Releases under way in this process, by booking: whoever meets one waits for it (the place is back after). */
  private readonly releases = new Map<string, Promise<Booking | undefined>>();

  constructor(private readonly deps: BookingServiceDeps) {
    this.policy = { ...DEFAULT_BOOKING_POLICY, ...deps.policy };
    this.owner = deps.owner ?? `bookings:${randomChars(6)}`;
  }

  private async park(parkNumber: string): Promise<Park> {
    const park = await this.deps.parks.get(parkNumber);
    if (!park) throw new BookingError('park_unknown', `park ${parkNumber} is not served by ParkPay`);
    return park;
  }

  // -------------------------------------------------------------------------------------------------------
  // Offers (operators; mount() has checked the park is theirs)

  async createOffer(op: Operator, parkNumber: string, input: OfferInput): Promise<BookingOffer> {
    assertRole(op, 'admin', 'operator');
    await this.park(parkNumber);
    const now = dateNow(this.deps.clock);
    assertOffer(input, now);
    if (input.areaId !== 0) {
      const hb = await this.deps.heartbeats.latestHeartbeat(parkNumber);
      if (hb && hb.areas.length > 0 && !hb.areas.some((a) => a.areaId === input.areaId)) {
        throw new BookingError('invalid_offer', `the lot reports no area ${input.areaId} (areas: ${hb.areas.map((a) => `${a.areaId} ${a.areaName}`).join(', ')})`);
      }
    }
    const offer: BookingOffer = {
      offerId: timedNo('OF', now, 6),
      parkNumber,
      title: input.title.trim(),
      areaId: input.areaId,
      priceFen: input.priceFen,
      start: input.start,
      end: input.end,
      letInStart: input.letInStart,
      letInEnd: input.letInEnd,
      count: input.count,
      held: 0,
      cancelRule: { ...input.cancelRule },
      status: 'on_sale',
      createdBy: op.id,
      createdAt: now,
      updatedAt: now,
    };
    await this.deps.offers.insert(offer);
    this.deps.log?.info({ offerId: offer.offerId, parkNumber, by: op.username }, 'booking offer created');
    return offer;
  }

  async offersOf(parkNumber: string): Promise<BookingOffer[]> {
    return this.deps.offers.listForPark(parkNumber);
  }

  private async offerOfPark(parkNumber: string, offerId: string): Promise<BookingOffer> {
    const offer = await this.deps.offers.get(offerId);
    if (!offer || offer.parkNumber !== parkNumber) throw new BookingError('not_found', 'offer not found');
    return offer;
  }

  /** Stop selling; bookings already sold stay as they are. */
  async withdrawOffer(op: Operator, parkNumber: string, offerId: string): Promise<BookingOffer> {
    assertRole(op, 'admin', 'operator');
    await this.offerOfPark(parkNumber, offerId);
    return (await this.deps.offers.setStatus(offerId, 'withdrawn', dateNow(this.deps.clock)))!;
  }

  async bookingsOfPark(parkNumber: string, filter: { offerId?: string; states?: BookingState[] } = {}, limit = 200): Promise<BookingWithOrder[]> {
    return this.withOrders(await this.deps.bookings.listForPark(parkNumber, filter, limit));
  }

  /** The bookable places ParkPay holds per ledger, and the lot's areas (number and name) as its latest heartbeat named them. */
  async capacityOf(parkNumber: string): Promise<{ heartbeatAt?: Date; ledgers: CapacityLedger[]; areas: { areaId: number; name: string }[] }> {
    const hb = await this.deps.heartbeats.latestHeartbeat(parkNumber);
    const keys: AreaKey[] = ['all', ...(hb?.areas ?? []).filter((a) => a.areaId !== undefined).map((a) => `area:${a.areaId!}` as AreaKey)];
    const ledgers: CapacityLedger[] = [];
    for (const k of keys) {
      await this.rebase(parkNumber, k);
      const l = await this.deps.capacity.get(parkNumber, k);
      if (l) ledgers.push(l);
    }
    const areas = (hb?.areas ?? []).filter((a) => a.areaId !== undefined).map((a) => ({ areaId: a.areaId!, name: a.areaName }));
    return { heartbeatAt: hb?.receivedAt, ledgers, areas };
  }

  // -------------------------------------------------------------------------------------------------------
  // Capacity

  /**
   * Bring a ledger up to the latest heartbeat: free = the heartbeat's bookable count − our bookings it cannot
   * show yet (still holding, or issued within the reflection margin before it was received). Applied only if
   * the ledger did not change meanwhile (else read and count again).
   */
  private async rebase(parkNumber: string, key: AreaKey): Promise<void> {
    const hb = await this.deps.heartbeats.latestHeartbeat(parkNumber);
    if (!hb) return;
    const areaId = key === 'all' ? undefined : Number(key.slice(5));
    for (let attempt = 0; attempt < 5; attempt++) {
      const ledger = await this.deps.capacity.get(parkNumber, key);
      if (ledger && ledger.heartbeatAt.getTime() >= hb.receivedAt.getTime()) return;
      const base = areaId === undefined ? hb.bookSpaceCount : hb.areas.find((a) => a.areaId === areaId)?.bookSpaceCount;
      const since = new Date(hb.receivedAt.getTime() - this.policy.reflectMarginMs);
      const holding = await this.deps.bookings.holdingCapacity(parkNumber, key, since);
      const free = Math.max(0, (base ?? 0) - holding.length);
      if (await this.deps.capacity.rebase(parkNumber, key, hb.receivedAt, free, ledger?.v)) return;
    }
    // Busy: the ledger stays on the previous heartbeat (still a count the lot gave us, less what we sold since).
  }

  // -------------------------------------------------------------------------------------------------------
  // Drivers

  /** Offers a driver can buy now, with how many are left of each. */
  async offersOnSale(parkNumber: string): Promise<BookingOffer[]> {
    await this.park(parkNumber);
    return this.deps.offers.listForPark(parkNumber, { onSaleAt: dateNow(this.deps.clock) });
  }

  /**
   * Book a place of an offer for a plate: the offer's count and the lot's bookable count are reserved
   * (atomically: concurrent buyers cannot oversell), then an order to pay is made. A second call for the same
   * plate and offer (a double tap) answers the first booking.
   */
  async book(driverId: string, offerId: string, plateInput: string): Promise<BookingWithOrder> {
    const plateKey = normalizePlate(plateInput);
    if (!isPlausiblePlate(plateKey)) throw new BookingError('invalid_plate', `${plateInput} is not a plate`);
    const offer = await this.deps.offers.get(offerId);
    if (!offer) throw new BookingError('not_found', 'offer not found');
    const now = dateNow(this.deps.clock);
    if (offer.status !== 'on_sale' || offer.letInEnd <= now) throw new BookingError('offer_closed', 'this offer is no longer on sale');
    await this.park(offer.parkNumber);

    const booking = newBooking(offer, driverId, plateKey, now);
    if (!(await this.deps.bookings.insert(booking))) {
      const existing = await this.deps.bookings.byActiveKey(booking.activeKey);
      if (existing && existing.driverId === driverId) return this.withOrder(existing);
      throw new BookingError('plate_already_booked', `${plateKey} already has a booking of this offer`);
    }
    await this.reserve(booking, offer);

    const order = bookingOrder(booking, offer, now, this.policy.holdTtlMs);
    await this.deps.orders.insert(order);
    const held = await this.deps.bookings.apply(booking.bookingNo, changes.held(dateNow(this.deps.clock)));
    this.deps.log?.info({ bookingNo: booking.bookingNo, offerId, parkNumber: offer.parkNumber }, 'booking reserved');
    return { booking: held ?? (await this.deps.bookings.get(booking.bookingNo))!, order };
  }

  /**
   * Take a place of the offer's count, then of each of the lot's ledgers the booking draws on, each hold
   * recorded on the booking (see the ordering rules above). What cannot be taken releases what was, and throws.
   */
  private async reserve(booking: Booking, offer: BookingOffer): Promise<void> {
    const { bookingNo } = booking;
    if (!(await this.deps.offers.take(offer.offerId))) {
      await this.release(booking, 'sold_out: the offer is sold out');
      throw new BookingError('sold_out', 'this offer is sold out');
    }
    await this.deps.bookings.apply(bookingNo, changes.offerHeld());
    for (const key of areaKeys(offer.areaId)) {
      await this.rebase(offer.parkNumber, key);
      // Recorded first, so a concurrent rebase counts it (see the ordering rules above).
      await this.deps.bookings.addCapacityHold(bookingNo, key);
      if (!(await this.deps.capacity.take(offer.parkNumber, key))) {
        await this.deps.bookings.dropHold(bookingNo, key); // not taken: nothing to give back
        const current = (await this.deps.bookings.get(bookingNo)) ?? booking;
        await this.release(current, `sold_out: the lot has no bookable space (${key})`);
        throw new BookingError('no_bookable_spaces', 'the parking lot has no bookable space left for this');
      }
    }
  }

  /** The driver's own booking (anyone else's reads as not found). */
  private async own(driverId: string, bookingNo: string): Promise<Booking> {
    const b = await this.deps.bookings.get(bookingNo);
    if (!b || b.driverId !== driverId) throw new BookingError('not_found', 'booking not found');
    return b;
  }

  /** Start (or continue) paying a held booking. */
  async pay(driverId: string, bookingNo: string, provider: Provider, payer: Payer): Promise<{ booking: Booking; order: Order; pay: PayParams }> {
    const b = await this.own(driverId, bookingNo);
    if (b.state !== 'held') throw new BookingError('booking_not_payable', `the booking is ${b.state}`);
    const { order, pay } = await this.deps.orderService.pay(driverId, b.orderNo, provider, payer);
    return { booking: b, order, pay };
  }

  /** One booking as the app polls it (its state caught up with its order first). */
  async view(driverId: string, bookingNo: string): Promise<BookingWithOrder> {
    const b = await this.own(driverId, bookingNo);
    const settled = HOLDING.includes(b.state) ? await this.settle(b) : b;
    return this.withOrder(settled ?? b);
  }

  async mine(driverId: string, limit = 50): Promise<BookingWithOrder[]> {
    const list = await this.deps.bookings.listForDriver(driverId, limit);
    // Reservations that failed (sold out) are not bookings the driver has.
    return this.withOrders(list.filter((b) => !(b.state === 'released' && b.releasedReason?.startsWith('sold_out'))));
  }

  /**
   * Cancel. Unpaid: the order is closed and the place given back. Issued: 4.18 flag 0 to the lot, then the
   * refund the offer's rule allows (a first attempt now; the worker retries). Repeats answer the booking.
   */
  async cancel(driverId: string, bookingNo: string): Promise<BookingWithOrder> {
    const b = await this.own(driverId, bookingNo);
    return this.cancelBooking(b, 'driver', 'cancelled by the driver');
  }

  /** An operator cancels a booking of their park: the whole price goes back. */
  async cancelByOperator(op: Operator, parkNumber: string, bookingNo: string, reason: string): Promise<BookingWithOrder> {
    assertRole(op, 'admin', 'operator');
    const b = await this.deps.bookings.get(bookingNo);
    if (!b || b.parkNumber !== parkNumber) throw new BookingError('not_found', 'booking not found');
    return this.cancelBooking(b, 'operator', `cancelled by operator ${op.username}${reason ? `: ${reason}` : ''}`);
  }

  private async cancelBooking(b: Booking, by: 'driver' | 'operator', reason: string): Promise<BookingWithOrder> {
    const now = dateNow(this.deps.clock);
    if (b.state === 'reserving' || b.state === 'held') {
      const order = await this.deps.orders.get(b.orderNo);
      if (order && (order.status === 'quoted' || order.status === 'pending')) {
        await this.deps.orderService.cancel(b.driverId, b.orderNo);
      } else if (order && order.status === 'paid') {
        throw new BookingError('booking_issuing', 'the payment is being passed to the lot; try again in a moment');
      }
      return this.withOrder((await this.settle((await this.deps.bookings.get(b.bookingNo))!)) ?? b);
    }
    if (b.state !== 'issued') return this.withOrder((await this.releaseUnderWay(b)) ?? b);
    const refusal = cancelRefusal(b, now);
    if (refusal) throw new BookingError(refusal.code, refusal.message);
    const refundFen = by === 'operator' ? b.priceFen : refundFor(b.cancelRule, b.priceFen, b.letInStart, now);
    // Marked cancelling with this process's lease on the first attempt: a worker polling meanwhile leaves it
    // to the driver's request, and takes over when the attempt fails (or the lease runs out).
    const cancelling = await this.deps.bookings.apply(
      b.bookingNo,
      changes.cancelling(
        { requestedAt: now, by, refundFen, reason, state: 'pending', attempts: 1, nextAttemptAt: now, leaseOwner: this.owner, leaseUntil: new Date(now.getTime() + this.policy.leaseMs) },
        now,
      ),
    );
    if (cancelling) {
      this.deps.log?.info({ bookingNo: b.bookingNo, refundFen, by }, 'booking cancelling');
      // From now on 4.28 no longer opens for it, whether or not the lot has heard yet.
      await this.changed(b.parkNumber);
      // The first attempt now (the driver waits); the worker takes over when it fails.
      await this.attemptCancel(this.owner, cancelling).catch((e: unknown) =>
        this.deps.log?.warn({ bookingNo: b.bookingNo, err: (e as Error).message }, 'cancellation attempt failed; the worker retries'),
      );
      this.deps.onCancelling?.(b.bookingNo);
    }
    return this.withOrder((await this.deps.bookings.get(b.bookingNo))!);
  }

  // -------------------------------------------------------------------------------------------------------
  // Delivery: the paid booking goes to the lot (4.18 flag 1); called by the order service's delivery job

  async deliver(park: Park, order: Order): Promise<void> {
    const b = await this.bookingOf(order);
    if (!b) throw new LotCallError(`no booking for order ${order.orderNo}`, false, false);
    if (b.state === 'issued') return; // told before; the order just had not heard
    if (b.state !== 'held' && b.state !== 'reserving') throw new LotCallError(`the booking is ${b.state}`, false, false);
    if (dateNow(this.deps.clock) >= b.letInEnd) throw new LotCallError('booking_window_passed: the let-in window closed before the lot could be told', false, false);
    await this.deps.lot.issue(park, this.lotBooking(b, order.amountFen));
    await this.deps.bookings.apply(b.bookingNo, changes.issued(dateNow(this.deps.clock), dateNow(this.deps.clock)));
    this.deps.log?.info({ bookingNo: b.bookingNo }, 'booking issued to the lot');
    await this.changed(b.parkNumber);
  }

  private lotBooking(b: Booking, chargeFen = b.priceFen): LotBooking {
    return {
      plate: b.plate,
      start: b.start,
      end: b.end,
      areaId: b.areaId,
      chargeFen,
      bookOrderId: b.bookingNo,
      bookOrderTime: b.createdAt,
      letInStart: b.letInStart,
      letInEnd: b.letInEnd,
      memo: b.title.slice(0, 50),
    };
  }

  // -------------------------------------------------------------------------------------------------------
  // Following the order: a booking whose order closed unpaid or was refunded gives its place back

  /** The order of this booking changed (a refund started, say): catch the booking up. */
  async orderChanged(orderNo: string): Promise<void> {
    const order = await this.deps.orders.get(orderNo);
    const b = order ? await this.bookingOf(order) : undefined;
    if (b && HOLDING.includes(b.state)) await this.settle(b);
  }

  /** The booking an order pays for: a booking's order carries its bookingNo as orderId (read by _id). */
  private async bookingOf(order: Pick<Order, 'kind' | 'orderId' | 'orderNo'>): Promise<Booking | undefined> {
    if (order.kind !== 'booking') return undefined;
    const b = await this.deps.bookings.get(order.orderId);
    return b?.orderNo === order.orderNo ? b : undefined;
  }

  /** Catch a holding booking up with its order. */
  private async settle(b: Booking): Promise<Booking | undefined> {
    if (b.state === 'releasing') {
      const underWay = this.releases.get(b.bookingNo);
      if (underWay) return underWay;
      // Someone is releasing it; only one left half-way (a crash) is finished here.
      return dateNow(this.deps.clock).getTime() - b.updatedAt.getTime() >= this.policy.staleReservingMs ? this.finishRelease(b, false) : b;
    }
    const order = await this.deps.orders.get(b.orderNo);
    if (!order) {
      // Interrupted before its order was made.
      if (b.state === 'reserving' && dateNow(this.deps.clock).getTime() - b.createdAt.getTime() >= this.policy.staleReservingMs) {
        return this.release(b, 'failed: the reservation was interrupted');
      }
      return b;
    }
    switch (order.status) {
      case 'closed':
        return this.release(b, `unpaid: ${order.closedReason ?? 'closed'}`);
      case 'refunding':
      case 'refunded': {
        const released = await this.release(b, `refused: ${order.refund?.reason ?? 'refunded'}`);
        // The lot may have taken a 4.18 whose answer was lost: take it back (reconciliation checks the rest).
        if ((order.delivery?.attempts ?? 0) > 0) await this.cancelAtLotQuietly(b);
        return released;
      }
      case 'delivered': {
        const issued = await this.deps.bookings.apply(b.bookingNo, changes.issued(order.delivery?.deliveredAt ?? dateNow(this.deps.clock), dateNow(this.deps.clock)));
        if (issued) await this.changed(b.parkNumber);
        return issued;
      }
      default:
        return b.state === 'reserving'
          ? ((await this.deps.bookings.apply(b.bookingNo, changes.held(dateNow(this.deps.clock)))) ?? b)
          : b;
    }
  }

  private async cancelAtLotQuietly(b: Booking): Promise<void> {
    const park = await this.deps.parks.get(b.parkNumber);
    if (!park) return;
    await this.deps.lot.cancel(park, this.lotBooking(b)).catch((e: unknown) =>
      this.deps.log?.info({ bookingNo: b.bookingNo, err: (e as Error).message }, 'flag 0 for a refused booking not taken (reconciliation will look)'),
    );
  }

  /** Give back what a never-issued booking holds, once, and end it. */
  private release(b: Booking, reason: string): Promise<Booking | undefined> {
    const underWay = this.releases.get(b.bookingNo);
    if (underWay) return underWay;
    const releasing = (async () => {
      const claimed = await this.deps.bookings.apply(b.bookingNo, changes.releasing(reason, dateNow(this.deps.clock)));
      // Another caller moved it first: it gives the holds back.
      if (!claimed) return this.deps.bookings.get(b.bookingNo);
      return this.finishRelease(claimed, true);
    })().finally(() => this.releases.delete(b.bookingNo));
    this.releases.set(b.bookingNo, releasing);
    return releasing;
  }

  /** A booking seen half-released: the release of this process that is under way, done (else as seen). */
  private async releaseUnderWay(b: Booking): Promise<Booking | undefined> {
    return b.state === 'releasing' ? (this.releases.get(b.bookingNo) ?? b) : b;
  }

  /**
   * The capacity holds go back only from the caller that claimed the release (give, then drop the record);
   * a release left half-way by a crash drops the records without giving (the next heartbeat recounts).
   */
  private async finishRelease(b: Booking, claimed: boolean): Promise<Booking | undefined> {
    for (const key of b.holds.capacity) {
      if (claimed) await this.deps.capacity.give(b.parkNumber, key);
      await this.deps.bookings.dropHold(b.bookingNo, key);
    }
    if (b.holds.offer && (await this.deps.bookings.dropHold(b.bookingNo, 'offer'))) await this.deps.offers.give(b.offerId);
    const done = await this.deps.bookings.apply(b.bookingNo, changes.released(b, dateNow(this.deps.clock)));
    this.deps.log?.info({ bookingNo: b.bookingNo, reason: b.releasedReason }, 'booking released');
    return done ?? (await this.deps.bookings.get(b.bookingNo));
  }

  /**
   * The job's pass over bookings whose work is due (the work collection): holding ones caught up with their
   * order (expired, refunded) or whose reservation was cut short, cancellations sent. `lookAgainMs`: how
   * soon a booking still holding is looked at again. Returns how many changed state.
   */
  async sweep(limit = 200, lookAgainMs = 5_000, owner: string = this.owner): Promise<number> {
    let n = 0;
    for (const item of await this.deps.bookings.dueWork(dateNow(this.deps.clock), limit)) {
      let next: Date | undefined;
      try {
        const r = await this.process(item.ref, owner, lookAgainMs);
        next = r.next;
        if (r.changed) n++;
      } catch (e) {
        this.deps.log?.warn({ bookingNo: item.ref, err: (e as Error).message }, 'booking sweep step failed');
        next = new Date(dateNow(this.deps.clock).getTime() + this.policy.leaseMs);
      }
      await this.deps.bookings.settleWork(item, next);
    }
    return n;
  }

  /** One look at a booking whose work is due: whether its state changed, and when to look next. */
  async process(bookingNo: string, owner: string = this.owner, lookAgainMs = 5_000): Promise<{ changed: boolean; next: Date | undefined }> {
    const b = await this.deps.bookings.get(bookingNo);
    if (!b) {
      // Its insert may still be under way (its item comes first), or it lost to a double tap.
      return { changed: false, next: undefined };
    }
    const now = dateNow(this.deps.clock);
    if (b.state === 'cancelling') await this.processCancel(owner, bookingNo);
    else if (HOLDING.includes(b.state) && !(b.state === 'reserving' && now.getTime() - b.updatedAt.getTime() < this.policy.staleReservingMs)) {
      await this.settle(b);
    }
    const after = await this.deps.bookings.get(bookingNo);
    if (!after) return { changed: true, next: undefined };
    const at = dateNow(this.deps.clock);
    // Still holding a place: look again a little later.
    const next = HOLDING.includes(after.state) ? new Date(at.getTime() + lookAgainMs) : bookingDue(after, at);
    return { changed: after.state !== b.state, next };
  }

  // -------------------------------------------------------------------------------------------------------
  // Cancellations: flag 0, then the refund

  /** The worker's step: claim this cancellation when due and make one attempt. */
  async processCancel(owner: string, bookingNo: string): Promise<Booking | undefined> {
    const b = await this.deps.bookings.claimCancel(dateNow(this.deps.clock), owner, this.policy.leaseMs, bookingNo);
    return b ? this.attemptCancel(owner, b) : undefined;
  }

  /** One cancellation attempt for a booking whose lease `owner` holds. */
  private async attemptCancel(owner: string, b: Booking): Promise<Booking | undefined> {
    const now = dateNow(this.deps.clock);
    const c = b.cancel!;
    const park = await this.deps.parks.get(b.parkNumber);
    let lotProblem: string | undefined;
    let acknowledged: Date | undefined;
    if (!park) {
      lotProblem = `车场 ${b.parkNumber} 已不再接入，没有通知车场`;
    } else {
      try {
        await this.deps.lot.cancel(park, this.lotBooking(b));
        acknowledged = dateNow(this.deps.clock);
      } catch (e) {
        const err = e instanceof LotCallError ? e : new LotCallError((e as Error).message, true, false);
        if (err.refused) {
          // The lot does not have it (or will not cancel it): nothing of ours is open there; reconciliation checks.
          lotProblem = `车场拒绝取消：${err.errorCode ?? err.message}`;
        } else if (err.retryable && now.getTime() - c.requestedAt.getTime() < this.policy.cancelGiveUpMs) {
          return this.deps.bookings.apply(b.bookingNo, changes.cancelRetry(owner, new Date(this.deps.clock.now() + backoff(this.policy.cancelBackoffMs, c.attempts)), err.message));
        } else {
          this.deps.log?.warn({ bookingNo: b.bookingNo, reason: err.message }, 'booking cancel: the lot never answered; cancelled here only');
          lotProblem = '车场一直没有应答，没有通知到车场';
        }
      }
    }
    if (b.holds.offer && (await this.deps.bookings.dropHold(b.bookingNo, 'offer'))) await this.deps.offers.give(b.offerId);
    if (c.refundFen > 0) await this.deps.orderService.refundDelivered(b.orderNo, c.refundFen, `booking_cancelled: ${c.reason}`);
    const done = await this.deps.bookings.apply(
      b.bookingNo,
      changes.cancelled(b, owner, { ...(acknowledged ? { acknowledgedAt: acknowledged } : {}), ...(lotProblem ? { problem: lotProblem } : {}) }, dateNow(this.deps.clock)),
    );
    if (lotProblem) this.deps.log?.warn({ bookingNo: b.bookingNo, lotProblem }, 'booking cancelled without the lot acknowledging it');
    return done;
  }

  // -------------------------------------------------------------------------------------------------------
  // Admission (4.28): a booked car inside its let-in window

  /** The issued booking that lets this plate in at `at`, if any. */
  async admissible(parkNumber: string, plate: string, at: Date): Promise<Booking | undefined> {
    const key = normalizePlate(plate);
    if (!key) return undefined;
    const list = await this.deps.bookings.listForPark(parkNumber, { states: ['issued'], plateKey: key }, 20);
    return list.find((b) => b.plateKey === key && !b.admittedAt && b.letInStart <= at && at <= b.letInEnd);
  }

  /** Record that the car came in on the booking (4.28 opened for it); false when it was recorded before. */
  async markAdmitted(bookingNo: string, at: Date): Promise<boolean> {
    const b = await this.deps.bookings.get(bookingNo);
    if (!b || !(await this.deps.bookings.markAdmitted(bookingNo, at))) return false;
    await this.changed(b.parkNumber);
    return true;
  }

  private async changed(parkNumber: string): Promise<void> {
    await this.deps.onChange?.(parkNumber).catch((e: unknown) => this.deps.log?.warn({ parkNumber, err: (e as Error).message }, 'booking change notice failed'));
  }

  // -------------------------------------------------------------------------------------------------------

  private async withOrder(b: Booking): Promise<BookingWithOrder> {
    return { booking: b, order: await this.deps.orders.get(b.orderNo) };
  }

  private async withOrders(list: Booking[]): Promise<BookingWithOrder[]> {
    // No $lookup on FerretDB: each order by its _id (the fastest lookup there is).
    return Promise.all(list.map((b) => this.withOrder(b)));
  }
}
