/**
 * The pass service: operators' offers per park, drivers' purchases, and the way from a paid purchase to the
 * lot — the order service's delivery of orders of kind 'pass' (its leases, backoff and refunds: a lot that
 * refuses, or stays unreachable beyond OrderPolicy.giveUpAfterMs, gets the driver's money back with the
 * reason recorded on the order).
 *
 * The extension reads the lot's current validity first (4.8) and extends from the later of today and the
 * lot's last valid day, so a renewal made at the booth (4.31, already on the lot's entry) is never
 * overwritten. The plan is recorded on the purchase before 4.6 is sent: a retry after an answer that was
 * lost finds the lot at the planned dates and sends nothing again (one payment, one extension).
 */
import { isPlausiblePlate, normalizePlate } from '../../../../shared/plate';
import { formatChinaDate, formatChinaTime } from '../../../../shared/time';
import type { Clock } from '../clock';
import { PassError } from './errors';
import type { ListsRepository } from '../lists/model';
import type { Heartbeat, LotWhitelistEntry } from '../lot/model';
import { assertRole, type Operator } from '../operators/model';
import type { OrderDelivery } from '../orders/deliveries';
import { LotCallError, type Payer, type PayParams } from '../orders/gateways';
import type { Order, OrderRepository, Provider } from '../orders/model';
import { newOrderNo, type OrderService } from '../orders/orders';
import type { Park, ParkDirectory } from '../parks';
import type { WorkHandler } from '../work';
import * as changes from './changes';
import { extendEnd, renewal } from './dates';
import {
  PASS_MONTHS,
  type BoothRenewalReader,
  type Extension,
  type LotWhiteEntry,
  type PassLot,
  type PassMonths,
  type PassOffer,
  type PassOfferRepository,
  type PassPlaces,
  type PassPurchase,
  type PassPurchaseRepository,
  type PlateValidity,
  type PurchaseChange,
} from './model';
import type { Log } from '../log';

export interface PassServiceDeps {
  offers: PassOfferRepository;
  purchases: PassPurchaseRepository;
  /** The plates holding a pass in each park (the offer's maxPasses, exact under concurrent buyers). */
  places: PassPlaces;
  orders: Pick<OrderRepository, 'insert' | 'get' | 'claimSlot' | 'swapSlot'>;
  orderService: Pick<OrderService, 'pay' | 'view'>;
  parks: ParkDirectory;
  /** The lot's heartbeat (its areas) and its own whitelist as it last pushed it (4.32). */
  lotRecords: { latestHeartbeat(parkNumber: string): Promise<Heartbeat | undefined>; lotWhitelist(parkNumber: string): Promise<LotWhitelistEntry[]> };
  lot: PassLot;
  /**
   * Which plates a driver has proved theirs at a park (core/parking/proofs.ts: paid a stay there, entered
   * there without a plate, or confirmed a stay's entry). Whether a plate is on a lot's monthly list, and until
   * when, says where its driver goes every day: it is told only to a driver who proved the plate.
   */
  proofs: { isProved(driverId: string, parkNumber: string, plateKey: string): Promise<boolean> };
  /** The lot's booth renewals as it reported them (4.31). */
  boothRenewals: BoothRenewalReader;
  /**
   * Our copy of the whitelist the operators keep (core/lists): an entry of the plate there takes the dates
   * the lot accepted, so an operator's next edit of it starts from them rather than from the old ones.
   */
  ourList?: Pick<ListsRepository, 'get' | 'upsert'>;
  clock: Clock;
  /** A pass was extended at the lot: its reminders are due 7 days and 1 day before `endsAt` (core/messages). */
  onExtended?: (p: { passId: string; driverId: string; parkNumber: string; plate: string; endsAt: Date }) => void | Promise<void>;
  log?: Pick<Log, 'info' | 'warn'>;
  /** How long an unpaid purchase's price holds. */
  quoteTtlMs?: number;
  /** The work collection: a booth renewal that could not be put back is tried again at a due time. */
  work?: { schedule(kind: 'pass_restore', ref: string, due: Date): Promise<void> };
  /** Waits between the tries of putting booth renewals back; after the last, the plate's next 4.31 looks. */
  restoreRetryMs?: number[];
}

const RESTORE_RETRY_MS = [60_000, 5 * 60_000, 30 * 60_000, 2 * 60 * 60_000, 6 * 60 * 60_000];

export interface OfferInput {
  areaIds: number[];
  prices: { months: number; priceFen: number }[];
  newPlates: boolean;
  maxPasses: number;
  text: string;
  status?: 'on_sale' | 'withdrawn';
}

export interface PurchaseView {
  purchase: PassPurchase;
  order: Order | undefined;
  /** What the driver is told, in their words. */
  notice: string;
}

const MAX_PRICE_FEN = 10_000_000;
/** How late a booth renewal's 4.31 may reach us and still be checked against an extension. */
const RENEWAL_LAG_MS = 24 * 60 * 60_000;
const MAX_TEXT = 500;

/** Validity ends read from the lot's 4.32 record (the same fields as 4.6/4.8, read liberally). */
function entryFromRecord(plate: string, r: Record<string, unknown>): LotWhiteEntry {
  const s = (k: string) => (typeof r[k] === 'string' ? (r[k] as string) : '');
  const day = (v: unknown) => (typeof v === 'string' ? v.slice(0, 10) : '');
  const rows = Array.isArray(r.areasAndValidity) ? (r.areasAndValidity as Record<string, unknown>[]) : [];
  return {
    plate,
    start: day(r.start),
    end: day(r.end),
    chargeType: s('chargeType'),
    name: s('name'),
    certificate: s('certificate'),
    address: s('address'),
    phone: s('phone'),
    plateColor: s('plateColor'),
    dept: s('dept'),
    carType: s('carType'),
    memo: s('memo'),
    areas: rows.map((a) => ({ areaId: Number(a.areaId) || 0, start: day(a.start), end: day(a.end) })),
  };
}

/** The lot's areas as its heartbeat names them (an area without an id cannot be on a whitelist entry). */
function lotAreas(hb: Heartbeat | undefined): { areaId: number; name: string }[] {
  return (hb?.areas ?? []).flatMap((a) => (a.areaId === undefined ? [] : [{ areaId: a.areaId, name: a.areaName }]));
}

/** The last valid day of `areaId` in a lot entry: its own row, else the whole entry's end (null: none). */
function endIn(entry: LotWhiteEntry | undefined, areaId: number | undefined): string | null {
  if (!entry) return null;
  if (areaId !== undefined && entry.areas.length > 0) {
    const row = entry.areas.find((a) => a.areaId === areaId);
    return row?.end || null;
  }
  return entry.end || null;
}

export class PassService {
  constructor(private readonly deps: PassServiceDeps) {}

  private now(): Date {
    return new Date(this.deps.clock.now());
  }

  private today(): string {
    return formatChinaDate(this.deps.clock.now());
  }

  private async park(parkNumber: string): Promise<Park> {
    const park = await this.deps.parks.get(parkNumber);
    if (!park) throw new PassError('park_unknown', `park ${parkNumber} is not served by ParkPay`);
    return park;
  }

  // -------------------------------------------------------------------------------------------------------
  // Offers (operators)

  /** The park's offer (null: none yet) and the lot's areas from its latest heartbeat. */
  async offerFor(op: Operator, parkNumber: string): Promise<{ offer: PassOffer | null; areas: { areaId: number; name: string }[] }> {
    assertRole(op, 'admin', 'operator');
    await this.park(parkNumber);
    const [offer, hb] = await Promise.all([this.deps.offers.get(parkNumber), this.deps.lotRecords.latestHeartbeat(parkNumber)]);
    return { offer: offer ?? null, areas: lotAreas(hb) };
  }

  async putOffer(op: Operator, parkNumber: string, input: OfferInput): Promise<PassOffer> {
    assertRole(op, 'admin', 'operator');
    await this.park(parkNumber);
    const hb = await this.deps.lotRecords.latestHeartbeat(parkNumber);
    const known = new Set(lotAreas(hb).map((a) => a.areaId));
    const areaIds = [...new Set(input.areaIds)].sort((a, b) => a - b);
    if (areaIds.length === 0) throw new PassError('invalid_pass_offer', 'choose at least one area the pass covers');
    const unknown = areaIds.filter((a) => !known.has(a));
    if (unknown.length > 0) throw new PassError('invalid_pass_offer', `the lot has no area ${unknown.join(', ')} (areas from its heartbeat: ${[...known].join(', ') || 'none yet'})`);
    const prices = [...input.prices].sort((a, b) => a.months - b.months);
    const months = prices.map((p) => p.months);
    if (new Set(months).size !== months.length) throw new PassError('invalid_pass_offer', 'one price per duration');
    if (!months.includes(1)) throw new PassError('invalid_pass_offer', 'the price of one month is required');
    for (const p of prices) {
      if (!(PASS_MONTHS as readonly number[]).includes(p.months)) throw new PassError('invalid_pass_offer', `passes are sold for ${PASS_MONTHS.join(', ')} months`);
      if (!Number.isInteger(p.priceFen) || p.priceFen <= 0 || p.priceFen > MAX_PRICE_FEN) throw new PassError('invalid_pass_offer', 'a price is a whole number of fen above 0');
    }
    if (!Number.isInteger(input.maxPasses) || input.maxPasses < 1) throw new PassError('invalid_pass_offer', 'at least one pass must be allowed');
    const text = input.text.trim();
    if (text.length > MAX_TEXT) throw new PassError('invalid_pass_offer', `the text is at most ${MAX_TEXT} characters`);
    const existing = await this.deps.offers.get(parkNumber);
    const now = this.now();
    const offer: PassOffer = {
      parkNumber,
      areaIds,
      prices: prices.map((p) => ({ months: p.months as PassMonths, priceFen: p.priceFen })),
      newPlates: input.newPlates,
      maxPasses: input.maxPasses,
      text,
      status: input.status ?? 'on_sale',
      updatedBy: op.username,
      createdAt: existing?.createdAt ?? now,
      updatedAt: now,
    };
    await this.deps.offers.put(offer);
    this.deps.log?.info({ parkNumber, by: op.username, status: offer.status }, 'pass offer saved');
    return offer;
  }

  /** The park's purchases, newest first, each caught up with its order. */
  async purchasesOfPark(op: Operator, parkNumber: string, limit = 100): Promise<PurchaseView[]> {
    assertRole(op, 'admin', 'operator');
    await this.park(parkNumber);
    const list = await this.deps.purchases.listForPark(parkNumber, limit);
    return Promise.all(list.map((p) => this.caughtUp(p)));
  }

  // -------------------------------------------------------------------------------------------------------
  // Drivers

  /** The offer on sale in a park (what drivers see), or null. */
  async onSale(parkNumber: string): Promise<PassOffer | null> {
    await this.park(parkNumber);
    const offer = await this.deps.offers.get(parkNumber);
    return offer?.status === 'on_sale' ? offer : null;
  }

  /**
   * A plate's validity per area: the lot now (4.8), else the lot's own whitelist as it last pushed it
   * (4.32: offline entries too), else our own accepted purchases.
   */
  async validity(parkNumber: string, plate: string): Promise<PlateValidity> {
    const key = normalizePlate(plate);
    const park = await this.park(parkNumber);
    const fromLot = await this.deps.lot.entry(park, key, { driverWaits: true }).catch((e: unknown) => {
      this.deps.log?.warn({ parkNumber, err: (e as Error).message }, 'queryWhite failed; the lot’s pushed whitelist is read');
      return undefined;
    });
    const shape = (source: PlateValidity['source'], e: LotWhiteEntry): PlateValidity => ({
      source,
      start: e.start || null,
      end: e.end || null,
      areas: e.areas.map((a) => ({ areaId: a.areaId, start: a.start || null, end: a.end || null })),
      entry: e,
    });
    if (fromLot) return shape('lot', fromLot);
    const pushed = await this.pushed(parkNumber, key);
    if (pushed) return shape('lot_list', entryFromRecord(pushed.plate, pushed.record));
    const ours = (await this.deps.purchases.ofPlate(parkNumber, key, 20)).find((p) => p.state === 'active' && p.extension);
    if (ours?.extension) {
      return { source: 'ours', start: ours.extension.start, end: ours.extension.end, areas: ours.extension.areas.map((a) => ({ ...a })) };
    }
    return { source: 'none', start: null, end: null, areas: [] };
  }

  /**
   * What a driver sees of a plate: the offer, the validity per area (named as the lot names them) — only of a
   * plate they have proved here or hold a pass of from here ('hidden' otherwise, whether or not the lot has
   * it: binding a plate proves nothing) —, and their own purchases of it.
   */
  async plate(driverId: string, parkNumber: string, plate: string) {
    const key = this.plateKey(plate);
    const offer = await this.onSale(parkNumber);
    const [all, hb] = await Promise.all([this.deps.purchases.ofPlate(parkNumber, key, 20), this.deps.lotRecords.latestHeartbeat(parkNumber)]);
    const mine = all.filter((p) => p.driverId === driverId);
    const purchases = await Promise.all(mine.map((p) => this.caughtUp(p)));
    const shown = purchases.some((v) => v.purchase.state === 'active') || (await this.deps.proofs.isProved(driverId, parkNumber, key));
    const validity: PlateValidity = shown ? await this.validity(parkNumber, key) : { source: 'hidden', start: null, end: null, areas: [] };
    return { offer, validity, purchases, areas: lotAreas(hb) };
  }

  private plateKey(plate: string): string {
    if (!isPlausiblePlate(plate)) throw new PassError('invalid_plate', `${plate} is not a plate`);
    return normalizePlate(plate);
  }

  /**
   * Buy or renew a plate's pass for `months`: the purchase and its order (kind 'pass', priced from the
   * offer). The same driver asking again for the same plate and duration while it is unpaid gets the same one.
   */
  async buy(driverId: string, parkNumber: string, plate: string, months: number): Promise<PurchaseView> {
    const key = this.plateKey(plate);
    const offer = await this.onSale(parkNumber);
    if (!offer) throw new PassError('no_pass_offer', 'this park sells no monthly pass online');
    const price = offer.prices.find((p) => p.months === months);
    if (!price) throw new PassError('duration_not_offered', `the park does not sell ${months} months`);
    // Renewals only: whether the plate may renew is whether the lot has it, told only to whoever proved it.
    if (!offer.newPlates && !(await this.deps.proofs.isProved(driverId, parkNumber, key))) {
      throw new PassError('plate_not_proved', 'only plates on the lot’s monthly list may renew here: prove this plate is yours first (pay a stay here, or confirm its entry in my parking)');
    }

    const open = (await this.deps.purchases.ofPlate(parkNumber, key, 20)).filter((p) => p.state === 'awaiting_payment' || p.state === 'extending');
    for (const p of open) {
      const v = await this.caughtUp(p);
      if (v.purchase.state === 'extending') throw new PassError('pass_extending', 'a renewal of this plate is being passed to the lot; try again in a moment');
      if (v.purchase.state === 'awaiting_payment' && p.driverId === driverId && p.months === months && p.priceFen === price.priceFen) return v;
    }
    if (!offer.newPlates) {
      const v = await this.validity(parkNumber, key);
      if (v.source === 'none' || v.source === 'ours') throw new PassError('plate_not_on_whitelist', 'only plates already on the lot’s monthly list may renew here');
    }
    await this.takePlace(parkNumber, key, offer.maxPasses);

    const now = this.now();
    const purchaseNo = newOrderNo(now.getTime());
    const purchase: PassPurchase = {
      purchaseNo,
      driverId,
      parkNumber,
      plate: key,
      months: price.months,
      priceFen: price.priceFen,
      areaIds: [...offer.areaIds],
      state: 'awaiting_payment',
      createdAt: now,
      updatedAt: now,
    };
    await this.deps.purchases.insert(purchase);
    // Another buyer finding the park full may have read the plate's purchases before this one was written
    // and given its place back: asked again now that it is written, the plate keeps it or gets a free one;
    // none free, the purchase closes before it has an order to pay.
    if ((await this.deps.places.take(parkNumber, key, offer.maxPasses, () => this.holdingPlates(parkNumber))) === 'full') {
      await this.deps.purchases.apply(purchaseNo, changes.closed(this.now()));
      throw new PassError('passes_sold_out', 'no more monthly passes are sold in this park now');
    }
    const order: Order = {
      orderNo: purchaseNo,
      driverId,
      kind: 'pass',
      parkNumber,
      orderId: purchaseNo,
      plate: key,
      outTradeNo: `pass_${purchaseNo}`,
      quote: {
        chargeFen: price.priceFen,
        paidTotalFen: 0,
        profitChargeTotalFen: 0,
        payFen: price.priceFen,
        inTime: '',
        getTime: formatChinaTime(now),
        stopMinutes: 0,
        paidFreeMinutes: 0,
        profitMinutes: 0,
        imgName: '',
      },
      amountFen: price.priceFen,
      status: 'quoted',
      expiresAt: new Date(now.getTime() + (this.deps.quoteTtlMs ?? 15 * 60_000)),
      createdAt: now,
      updatedAt: now,
    };
    await this.deps.orders.insert(order);
    this.deps.log?.info({ purchaseNo, parkNumber, months: price.months, priceFen: price.priceFen }, 'pass purchase started');
    return { purchase, order, notice: notice(purchase) };
  }

  /**
   * The plate's place among those holding a pass (valid today or later, or being bought). When none is
   * free, places whose plate no longer holds one (its purchase closed unpaid or refunded, or its validity
   * ended) are given back first, and the place is asked for once more.
   */
  private async takePlace(parkNumber: string, plate: string, max: number): Promise<void> {
    const seed = () => this.holdingPlates(parkNumber);
    if ((await this.deps.places.take(parkNumber, plate, max, seed)) !== 'full') return;
    for (const other of await this.deps.places.plates(parkNumber)) {
      if (!(await this.holds(parkNumber, other))) await this.deps.places.free(parkNumber, other);
    }
    if ((await this.deps.places.take(parkNumber, plate, max, seed)) === 'full') throw new PassError('passes_sold_out', 'no more monthly passes are sold in this park now');
  }

  /** Whether a plate holds a pass of ours: valid today or later, or being paid or extended. */
  private async holds(parkNumber: string, plate: string): Promise<boolean> {
    const today = this.today();
    for (const p of await this.deps.purchases.ofPlate(parkNumber, plate, 20)) {
      const q = p.state === 'awaiting_payment' ? (await this.caughtUp(p)).purchase : p;
      if (q.state === 'awaiting_payment' || q.state === 'extending' || (q.state === 'active' && (q.validTo ?? '') >= today)) return true;
    }
    return false;
  }

  private async holdingPlates(parkNumber: string): Promise<string[]> {
    const held = await Promise.all((await this.deps.purchases.holding(parkNumber, this.today())).map((p) => (p.state === 'awaiting_payment' ? this.caughtUp(p) : { purchase: p })));
    return [...new Set(held.filter((v) => v.purchase.state !== 'closed' && v.purchase.state !== 'refunded').map((v) => v.purchase.plate))];
  }

  private async own(driverId: string, purchaseNo: string): Promise<PassPurchase> {
    const p = await this.deps.purchases.get(purchaseNo);
    if (!p || p.driverId !== driverId) throw new PassError('not_found', 'purchase not found');
    return p;
  }

  async pay(driverId: string, purchaseNo: string, provider: Provider, payer: Payer): Promise<{ view: PurchaseView; pay: PayParams }> {
    const p = await this.own(driverId, purchaseNo);
    if (p.state !== 'awaiting_payment') throw new PassError('order_not_payable', `the purchase is ${p.state}`);
    const { order, pay } = await this.deps.orderService.pay(driverId, p.purchaseNo, provider, payer);
    return { view: { purchase: p, order, notice: notice(p) }, pay };
  }

  /** One purchase as the app polls it (its order asked of the provider when a notification is late). */
  async view(driverId: string, purchaseNo: string): Promise<PurchaseView> {
    const p = await this.own(driverId, purchaseNo);
    if (p.state === 'awaiting_payment') await this.deps.orderService.view(driverId, purchaseNo).catch(() => undefined);
    return this.caughtUp(p);
  }

  async mine(driverId: string, limit = 50): Promise<PurchaseView[]> {
    return Promise.all((await this.deps.purchases.listForDriver(driverId, limit)).map((p) => this.caughtUp(p)));
  }

  /** The purchase caught up with its order: paid → extending, closed → closed, refunding → refunded. */
  private async caughtUp(p: PassPurchase): Promise<PurchaseView> {
    const order = await this.deps.orders.get(p.purchaseNo);
    let purchase = p;
    const move = async (c: PurchaseChange) => {
      purchase = (await this.deps.purchases.apply(p.purchaseNo, c)) ?? (await this.deps.purchases.get(p.purchaseNo)) ?? p;
    };
    if (order) {
      if (order.status === 'paid' && (p.state === 'awaiting_payment' || p.state === 'closed')) await move(changes.paid(this.now()));
      else if (order.status === 'closed' && p.state === 'awaiting_payment') await move(changes.closed(this.now()));
      else if ((order.status === 'refunding' || order.status === 'refunded') && p.state !== 'refunded' && p.state !== 'active') {
        await move(changes.refunded(order.refund?.reason ?? 'refunded', this.now()));
      }
    }
    return { purchase, order, notice: notice(purchase) };
  }

  /** The order service tells us a refund started or ended: the purchase shows it with its reason. */
  async orderChanged(orderNo: string): Promise<void> {
    const p = await this.deps.purchases.get(orderNo);
    if (p) await this.caughtUp(p);
  }

  // -------------------------------------------------------------------------------------------------------
  // Reminders: a plate's pass in a park (passId `parkNumber|plate`) ends at the end of its last valid day

  static passId(parkNumber: string, plate: string): string {
    return `${parkNumber}|${plate}`;
  }

  /**
   * When the plate's pass ends now, as far as we know without asking the lot: the later of our accepted
   * extensions and the lot's own list as it last pushed it (a renewal at the booth moves it too).
   */
  async endsAt(passId: string): Promise<Date | undefined> {
    const [parkNumber, plate] = passId.split('|');
    if (!parkNumber || !plate) return undefined;
    const [ours, pushed] = await Promise.all([this.deps.purchases.ofPlate(parkNumber, plate, 50), this.pushed(parkNumber, plate)]);
    const ends = ours.filter((p) => p.state === 'active' && p.validTo).map((p) => p.validTo!);
    if (pushed) {
      const e = entryFromRecord(pushed.plate, pushed.record);
      const covered = ours[0]?.areaIds ?? [];
      ends.push(...(covered.length > 0 && e.areas.length > 0 ? e.areas.filter((a) => covered.includes(a.areaId)).map((a) => a.end) : [e.end]).filter(Boolean));
    }
    const last = ends.sort().at(-1);
    return last ? endOfDay(last) : undefined;
  }

  // -------------------------------------------------------------------------------------------------------
  // Delivery: the order service's delivery of orders of kind 'pass'

  /** The delivery the order service calls (deliveries.pass). */
  get delivery(): OrderDelivery {
    return { deliver: (park, order) => this.deliver(park, order) };
  }

  async deliver(park: Park, order: Order): Promise<void> {
    let p = await this.deps.purchases.get(order.orderId);
    if (!p || p.purchaseNo !== order.orderNo) throw new LotCallError(`no pass purchase for order ${order.orderNo}`, false, false);
    if (p.state === 'active') return; // accepted before; the order just had not heard
    // The driver's poll may move it to extending at the same moment: whoever's write lands, it is read again.
    // A purchase closed with its order is paid all the same when the money came after all (the order
    // service records a payment of a closed order): the money buys the pass.
    if (p.state === 'awaiting_payment' || p.state === 'closed') {
      p = (await this.deps.purchases.apply(p.purchaseNo, changes.paid(this.now()))) ?? (await this.deps.purchases.get(p.purchaseNo)) ?? p;
    }
    if (p.state !== 'extending') throw new LotCallError(`the purchase is ${p.state}`, false, false);
    await this.takePlate(p);

    const current = await this.lotEntry(park, p.plate);
    const planned = p.extension;
    if (planned && planned.areas.every((a) => endIn(current, a.areaId) === a.end)) {
      // A previous attempt reached the lot; its answer never reached us.
      await this.accepted(p, planned);
      return;
    }
    // Planned from what the lot has now: unchanged since the last plan, the same dates are sent again; a
    // renewal at the booth in between is extended from instead.
    const unchanged = planned && planned.before.every((b) => endIn(current, b.areaId) === b.end);
    const extension = unchanged ? planned : this.plan(p, current);
    if (!unchanged) {
      p = (await this.deps.purchases.apply(p.purchaseNo, changes.planned(extension, this.now()))) ?? p;
    }
    await this.deps.lot.write(park, this.entryToSend(p.plate, current, extension));
    await this.accepted(p, extension);
    await this.restoreBoothRenewals(park, p.purchaseNo).catch((e: unknown) => this.restoreFailed(p.purchaseNo, e));
  }

  /** Putting booth renewals back failed: it is tried again after the first wait of the backoff. */
  private async restoreFailed(purchaseNo: string, e: unknown): Promise<void> {
    this.deps.log?.warn({ purchaseNo, err: (e as Error).message }, 'booth renewals not checked against the extension; tried again later');
    const wait = (this.deps.restoreRetryMs ?? RESTORE_RETRY_MS)[0];
    if (wait === undefined || !this.deps.work) return;
    await this.deps.purchases.apply(purchaseNo, changes.restoreTries(1)).catch(() => undefined);
    await this.deps.work.schedule('pass_restore', purchaseNo, new Date(this.deps.clock.now() + wait)).catch((err: unknown) =>
      this.deps.log?.warn({ purchaseNo, err: (err as Error).message }, 'retry of the booth renewals not scheduled'),
    );
  }

  /**
   * The work handler of 'pass_restore' items: the purchase's booth renewals put back, tried again with
   * backoff while the lot fails; after the last wait it is left to the plate's next 4.31.
   */
  get restoreJob(): WorkHandler {
    return {
      kind: 'pass_restore',
      process: async (purchaseNo) => {
        const p = await this.deps.purchases.get(purchaseNo);
        if (!p || p.state !== 'active') return undefined;
        const park = await this.deps.parks.get(p.parkNumber);
        if (!park) return undefined;
        try {
          await this.restoreBoothRenewals(park, purchaseNo);
          await this.deps.purchases.apply(purchaseNo, changes.restoreTries(0));
          return undefined;
        } catch (e) {
          const tries = (p.restoreTries ?? 1) + 1;
          const wait = (this.deps.restoreRetryMs ?? RESTORE_RETRY_MS)[tries - 1];
          if (wait === undefined) {
            this.deps.log?.warn({ purchaseNo, tries, err: (e as Error).message }, 'booth renewals still not put back; the plate’s next 4.31 looks again');
            return undefined;
          }
          await this.deps.purchases.apply(purchaseNo, changes.restoreTries(tries));
          return new Date(this.deps.clock.now() + wait);
        }
      },
    };
  }

  /**
   * One renewal of a plate at a time goes to the lot: each reads the lot's dates and writes them back
   * extended, so two at once would both extend from the same end and one would be lost. The plate's slot
   * (a key document, taken in one conditional write) passes on once its holder is no longer extending
   * (accepted or refunded); meanwhile this one is tried again later (a retryable failure, no refusal).
   */
  private async takePlate(p: PassPurchase): Promise<void> {
    const key = `pass:${p.parkNumber}:${p.plate}`;
    for (let i = 0; i < 5; i++) {
      const holder = await this.deps.orders.claimSlot(key, p.purchaseNo);
      if (holder === p.purchaseNo) return;
      const h = await this.deps.purchases.get(holder);
      if (h?.state === 'extending') throw new LotCallError(`another renewal of ${p.plate} (${holder}) is being passed to the lot first`, true, false);
      if (await this.deps.orders.swapSlot(key, holder, p.purchaseNo)) return;
    }
    throw new LotCallError(`the renewals slot of ${p.plate} is changing hands`, true, false);
  }

  /**
   * The lot reported renewals at its booth (4.31) for these plates: any our extension overwrote is put back.
   * Called by the lot's records as they arrive.
   */
  async boothRenewed(parkNumber: string, plateKeys: string[]): Promise<void> {
    const park = await this.deps.parks.get(parkNumber);
    if (!park) return;
    for (const plate of plateKeys) {
      const latest = (await this.deps.purchases.ofPlate(parkNumber, plate, 5)).find((p) => p.state === 'active' && p.extension?.acceptedAt);
      if (!latest) continue;
      await this.restoreBoothRenewals(park, latest.purchaseNo).catch((e: unknown) => this.restoreFailed(latest.purchaseNo, e));
    }
  }

  /**
   * 4.6 replaces the plate's entry whole and the protocol has no conditional write: a renewal the booth
   * made between our read (4.8) and our write is lost by it. The lot reports every booth renewal (4.31)
   * with its new end; one reported around our extension whose end is later than what we extended from and
   * is not what we set was made on dates we never saw (one made before our read ends where we started).
   * While the lot still has exactly our dates, its months are put back on top of ours (once per renewal:
   * claimed on the purchase first); a lot that moved on from our dates renewed after us, from ours.
   */
  private async restoreBoothRenewals(park: Park, purchaseNo: string): Promise<void> {
    for (let round = 0; round < 3; round++) {
      const p = await this.deps.purchases.get(purchaseNo);
      const x = p?.extension;
      if (!p || p.state !== 'active' || !x?.acceptedAt) return;
      // A 4.31 may reach us late (the lot resends it): a day either side of our plan.
      const since = new Date(x.plannedAt.getTime() - RENEWAL_LAG_MS);
      const ours = new Set(x.areas.map((a) => a.end));
      const from = x.before.map((b) => b.end ?? '').sort().at(-1) ?? '';
      const lost = (await this.deps.boothRenewals.ofPlate(p.parkNumber, p.plate, since)).filter(
        (r) => !(p.restored ?? []).includes(r.key) && r.months > 0 && r.end > from && !ours.has(r.end),
      );
      const r = lost[0];
      if (!r) return;
      const current = await this.lotEntry(park, p.plate);
      if (!x.areas.every((a) => endIn(current, a.areaId) === a.end)) return; // the lot moved on from our dates
      if (!(await this.deps.purchases.claimRestore(purchaseNo, r.key))) continue;
      const back: Extension = {
        ...x,
        areas: x.areas.map((a) => ({ ...a, end: extendEnd(a.end, r.months) })),
        end: [extendEnd(x.end, r.months), ...(current?.end ? [current.end] : [])].sort().at(-1)!,
        plannedAt: this.now(),
        acceptedAt: undefined,
      };
      try {
        await this.deps.lot.write(park, this.entryToSend(p.plate, current, back));
      } catch (e) {
        // Not written: the claim goes back, so the next 4.31 of the plate looks again (while the lot keeps our dates).
        await this.deps.purchases.unclaimRestore(purchaseNo, r.key);
        throw e;
      }
      const validTo = back.areas.map((a) => a.end).sort().at(-1)!;
      await this.deps.purchases.apply(purchaseNo, changes.renewalRestored({ ...back, acceptedAt: this.now() }, validTo, this.now()));
      await this.followInOurList(p, back).catch(() => undefined);
      this.deps.log?.warn({ purchaseNo, parkNumber: p.parkNumber, renewal: r.key, validTo }, 'a booth renewal our extension had overwritten was put back');
      await Promise.resolve(
        this.deps.onExtended?.({ passId: PassService.passId(p.parkNumber, p.plate), driverId: p.driverId, parkNumber: p.parkNumber, plate: p.plate, endsAt: endOfDay(validTo) }),
      ).catch(() => undefined);
    }
  }

  /**
   * The lot's entry of a plate now: 4.8 (a failure is the delivery's failure: nothing is planned without
   * the lot's word), else — 4.8 answers online entries only — the offline entry it pushed last (4.32).
   */
  private async lotEntry(park: Park, plate: string): Promise<LotWhiteEntry | undefined> {
    const online = await this.deps.lot.entry(park, plate);
    if (online) return online;
    const pushed = await this.pushed(park.parkNumber, plate);
    return pushed ? entryFromRecord(pushed.plate, pushed.record) : undefined;
  }

  private async pushed(parkNumber: string, plateKey: string): Promise<LotWhitelistEntry | undefined> {
    return (await this.deps.lotRecords.lotWhitelist(parkNumber)).filter((w) => w.plateKey === plateKey && !w.deleted).sort((a, b) => b.changedAt - a.changedAt)[0];
  }

  private plan(p: PassPurchase, current: LotWhiteEntry | undefined): Extension {
    const today = this.today();
    const before = p.areaIds.map((areaId) => ({ areaId, end: endIn(current, areaId) }));
    const areas = before.map((b) => {
      const r = renewal(today, b.end, p.months);
      const row = current?.areas.find((a) => a.areaId === b.areaId);
      return { areaId: b.areaId, start: r.start ?? (row?.start || current?.start || today), end: r.end };
    });
    const starts = areas.map((a) => a.start);
    const ends = areas.map((a) => a.end);
    // The entry's own dates bound its area rows (4.6): they must cover every row, ours and the lot's others.
    const others = (current?.areas ?? []).filter((a) => !p.areaIds.includes(a.areaId));
    const currentStillValid = !!current?.end && current.end >= today;
    const start = [...starts, ...others.map((a) => a.start).filter(Boolean), ...(currentStillValid && current?.start ? [current.start] : [])].sort()[0]!;
    const end = [...ends, ...others.map((a) => a.end).filter(Boolean), ...(current?.end ? [current.end] : [])].sort().at(-1)!;
    const wholeLot = currentStillValid && current!.areas.length === 0;
    return { before, areas, start, end, plannedAt: this.now(), ...(wholeLot ? { wholeLot } : {}) };
  }

  /** The whole entry 4.6 replaces: the lot's other fields and areas kept, ours extended. */
  private entryToSend(plate: string, current: LotWhiteEntry | undefined, x: Extension): LotWhiteEntry {
    const others = (current?.areas ?? []).filter((a) => !x.areas.some((o) => o.areaId === a.areaId));
    return {
      plate: current?.plate || plate,
      start: x.start,
      end: x.end,
      chargeType: current?.chargeType ?? '',
      name: current?.name ?? '',
      certificate: current?.certificate ?? '',
      address: current?.address ?? '',
      phone: current?.phone ?? '',
      plateColor: current?.plateColor ?? '',
      dept: current?.dept ?? '',
      carType: current?.carType || '月租车',
      memo: current?.memo || '线上月卡',
      areas: x.wholeLot ? [] : [...others, ...x.areas].sort((a, b) => a.areaId - b.areaId),
    };
  }

  /** Our whitelist copy of the plate, if the operators keep one, takes the dates the lot accepted. */
  private async followInOurList(p: PassPurchase, x: Extension): Promise<void> {
    const e = await this.deps.ourList?.get(p.parkNumber, 'white', p.plate);
    if (!e?.white) return;
    const others = e.white.areas.filter((a) => !x.areas.some((o) => o.areaId === a.areaId));
    const now = this.now();
    await this.deps.ourList!.upsert({
      ...e,
      white: { ...e.white, start: x.start, end: x.end, areas: x.wholeLot ? [] : [...others, ...x.areas].sort((a, b) => a.areaId - b.areaId) },
      sync: { state: 'synced', at: now },
      updatedBy: `pass ${p.purchaseNo}`,
      updatedAt: now,
    });
  }

  private async accepted(p: PassPurchase, x: Extension): Promise<void> {
    const validTo = x.areas.map((a) => a.end).sort().at(-1)!;
    const done = await this.deps.purchases.apply(p.purchaseNo, changes.accepted({ ...x, acceptedAt: x.acceptedAt ?? this.now() }, validTo, this.now()));
    if (!done) return;
    this.deps.log?.info({ purchaseNo: p.purchaseNo, parkNumber: p.parkNumber, validTo }, 'pass extended at the lot');
    await this.followInOurList(p, x).catch((e: unknown) =>
      this.deps.log?.warn({ purchaseNo: p.purchaseNo, err: (e as Error).message }, 'the operators’ whitelist copy not brought up to date'),
    );
    // Reminders before the end of the last valid day (China time).
    const endsAt = endOfDay(validTo);
    await Promise.resolve(this.deps.onExtended?.({ passId: PassService.passId(p.parkNumber, p.plate), driverId: p.driverId, parkNumber: p.parkNumber, plate: p.plate, endsAt })).catch((e: unknown) =>
      this.deps.log?.warn({ purchaseNo: p.purchaseNo, err: (e as Error).message }, 'pass reminders not recorded'),
    );
  }
}

/** The end of a China day (its last second), when a pass valid through `day` ends. */
function endOfDay(day: string): Date {
  return new Date(`${day}T23:59:59+08:00`);
}

/** What the driver reads of a purchase: "已续费至 …" only once the lot accepted it. */
export function notice(p: PassPurchase): string {
  switch (p.state) {
    case 'awaiting_payment':
      return '待支付';
    case 'extending':
      return '已支付，正在通知停车场';
    case 'active':
      return `已续费至 ${p.validTo}`;
    case 'refunded':
      return `续费未成功，已原路退款（${refundWords(p.refundReason)}）`;
    case 'closed':
      return '已取消';
  }
}

function refundWords(reason: string | undefined): string {
  if (!reason) return '停车场未接受';
  if (reason.startsWith('lot_unreachable')) return '停车场长时间无法连接';
  if (reason.startsWith('lot_refused')) return `停车场拒绝：${reason.replace(/^lot_refused:\s*/, '')}`;
  return reason;
}
