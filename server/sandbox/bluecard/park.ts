/**
 * The state of one sandbox park and the lot's rules: cars come and go, stays are priced by the tariff,
 * payments and coupons reduce what is owed, white/black lists and bookings decide the car type at the
 * entry, guidance spaces are occupied. Synchronous and clock-driven; HTTP lives elsewhere (down.ts takes
 * Bluecard's side of the down calls, the sandbox factory wires events to the outbox).
 *
 * The parts: park-model.ts (the records), park-lists.ts (white/black lists, bookings, pass cover),
 * pricing.ts (the price of a stay), park-records.ts (4.2/4.3 records and the dump). This class holds the
 * stays and the money and applies the rules that change them.
 *
 * Money is integer fen inside; yuan strings only at the wire (fenToYuan).
 */
import type { Clock } from '../../src/core/clock';
import type { EntryRecord, ExitRecord, WhiteEntry } from '../../../shared/bluecard';
import { fenToYuan } from '../../../shared/money';
import { normalizePlate } from '../../../shared/plate';
import { formatChinaHhmmss, formatChinaTime } from '../../../shared/time';
import type { AreaDefinition, LaneDefinition, ParkDefinition, SpaceDefinition } from './definitions';
import { ImageStore, compactChinaTime } from './images';
import { ParkLists } from './park-lists';
import type {
  ArriveOptions,
  BlackRecord,
  BookingRecord,
  BookingRefusal,
  Car,
  CarType,
  CouponRecord,
  DownCallLog,
  LeaveOptions,
  Lift,
  ParkEvents,
  Payment,
  Priced,
  Quote,
  WhiteRecord,
} from './park-model';
import { BluecardFail, Refusal } from './park-model';
import { dumpPark, entryRecord, exitRecord, placeInfo } from './park-records';
import { priceStay, stayPriceDatas } from './pricing';
import { type TariffDefinition, tariffOf } from './tariff';

export * from './park-model';

const MINUTE = 60_000;

export interface ParkOptions {
  clock: Clock;
  events: ParkEvents;
  orderIdStart: number;
  /** A payment that settles a car waiting at an exit lane opens the barrier (the car leaves). */
  autoExitOnPayment: boolean;
  /** Base URL pictures are served from (GET <base>/images/<name>). */
  imageBaseUrl: () => string;
}

const yuan = fenToYuan;

/** Cars, lists and money of one park. */
export class ParkState {
  readonly parkNumber: string;
  readonly key: string;
  readonly name: string;
  readonly lanes: LaneDefinition[];
  readonly areas: AreaDefinition[];
  readonly spaces: SpaceDefinition[];
  readonly tariff: TariffDefinition;
  readonly images = new ImageStore();

  /** Every stay by orderId, in the park or gone. */
  readonly cars = new Map<string, Car>();
  readonly quotes = new Map<string, Quote>();
  /** Payments by transactionID (payNo) — 4.5 is idempotent on it. */
  readonly payments = new Map<string, Payment>();
  readonly coupons = new Map<string, CouponRecord>();
  /** White and black lists and bookings; the three maps and the refusals below are its own, named here for callers. */
  readonly lists: ParkLists;
  readonly white: Map<string, WhiteRecord>;
  readonly black: Map<string, BlackRecord>;
  readonly bookings: Map<string, BookingRecord>;
  /** Control: the next 4.18 flag-1 calls (of one plate, or any) are refused with this errorCode. */
  readonly bookingRefusals: BookingRefusal[];
  readonly lifts: Lift[] = [];
  readonly downCalls: DownCallLog[] = [];

  private nextOrderId: number;
  private tempPlateSeq = 0;
  private cashSeq = 0;

  constructor(
    def: ParkDefinition,
    private readonly options: ParkOptions,
  ) {
    this.parkNumber = def.parkNumber;
    this.key = def.key;
    this.name = def.name;
    this.lanes = def.lanes.map((l) => ({ ...l }));
    this.areas = def.areas.map((a) => ({ ...a }));
    this.spaces = (def.spaces ?? []).map((s) => ({ ...s }));
    this.tariff = tariffOf(def.tariff);
    this.nextOrderId = options.orderIdStart;
    this.lists = new ParkLists(options.clock);
    this.white = this.lists.white;
    this.black = this.lists.black;
    this.bookings = this.lists.bookings;
    this.bookingRefusals = this.lists.bookingRefusals;
  }

  now(): number {
    return this.options.clock.now();
  }

  /** The orderId the next stay will get (a reset continues from it: ParkPay may remember old ones). */
  peekNextOrderId(): number {
    return this.nextOrderId;
  }

  // -------------------------------------------------------------------------------------------------------
  // Lookups

  lane(idOrName: string): LaneDefinition | undefined {
    return this.lanes.find((l) => l.passagewayId === idOrName) ?? this.lanes.find((l) => l.name === idOrName);
  }

  area(id: number): AreaDefinition | undefined {
    return this.areas.find((a) => a.id === id);
  }

  /** Cars in the park now. */
  inPark(): Car[] {
    return [...this.cars.values()].filter((c) => c.outTime === undefined);
  }

  carByPlate(plate: string): Car | undefined {
    const key = normalizePlate(plate);
    if (key === '') return undefined;
    return this.inPark().find((c) => c.plate !== '' && normalizePlate(c.plate) === key);
  }

  carByAuth(codeKind: string, authId: string): Car | undefined {
    return this.inPark().find((c) => c.codeKind === codeKind && c.authId === authId);
  }

  carByTicket(ticketCode: string): Car | undefined {
    return this.inPark().find((c) => c.ticketCode !== '' && c.ticketCode === ticketCode);
  }

  imageUrl(name: string): string {
    return `${this.options.imageBaseUrl()}/images/${encodeURIComponent(name)}`;
  }

  // -------------------------------------------------------------------------------------------------------
  // Car types: whitelist and bookings (park-lists.ts)

  /** The car type a plate would get entering this area now. */
  carTypeFor(plate: string, areaId: number): CarType {
    return this.lists.carTypeFor(plate, areaId);
  }

  /** The stretches of [from, to] a monthly pass covers for this plate in this area. */
  passCover(plate: string, areaId: number, from: number, to: number): [number, number][] {
    return this.lists.passCover(plate, areaId, from, to);
  }

  upsertWhite(entry: WhiteEntry, source: '1' | '2'): WhiteRecord {
    return this.lists.upsertWhite(entry, source);
  }

  // -------------------------------------------------------------------------------------------------------
  // Arrival and departure

  private newOrderId(): string {
    const id = String(this.nextOrderId);
    this.nextOrderId += 1;
    return id;
  }

  private occupied(areaId: number): number {
    return this.inPark().filter((c) => c.areaId === areaId).length;
  }

  private freeSpaceFor(areaId: number, wanted: string | undefined): SpaceDefinition | undefined {
    const taken = new Set(this.inPark().map((c) => c.spaceId).filter((s): s is string => s !== undefined));
    if (wanted !== undefined) {
      const s = this.spaces.find((x) => x.spaceId === wanted);
      if (!s) throw new Refusal('unknown_space', `no space ${wanted}`);
      if (s.areaId !== areaId) throw new Refusal('wrong_area', `space ${wanted} is not in area ${areaId}`);
      if (taken.has(wanted)) throw new Refusal('space_taken', `space ${wanted} is taken`);
      return s;
    }
    return this.spaces.find((s) => s.areaId === areaId && !taken.has(s.spaceId));
  }

  /** A car arrives at an entry lane and is let in (or refused). */
  arrive(o: ArriveOptions): Car {
    const lane = this.lane(o.lane);
    if (!lane) throw new Refusal('unknown_lane', `no lane ${o.lane}`);
    if (lane.direction !== 'in') throw new Refusal('not_an_entry_lane', `lane ${lane.name} is an exit`);
    const areaId = Number(lane.targetAreaId);
    const scanned = o.authId !== undefined && o.authId !== '';
    const ticket = !scanned && (o.unlicensed === true || (o.plate ?? '') === '');
    let plate = o.plate ?? '';
    if (scanned) {
      const codeKind = o.codeKind ?? '1';
      if (this.carByAuth(codeKind, o.authId!)) throw new Refusal('already_in_park', `codeKind ${codeKind} authId ${o.authId} is already in the park`);
      plate = o.ephemeralPlate && o.ephemeralPlate !== '' ? o.ephemeralPlate : this.newTempPlate();
    } else if (ticket) {
      plate = '';
    }
    if (plate !== '') {
      if (this.carByPlate(plate)) throw new Refusal('already_in_park', `${plate} is already in the park`);
      if (this.lists.isBlack(plate) && !o.force) throw new Refusal('blacklisted', `${plate} is blacklisted`);
    }
    const area = this.area(areaId)!;
    const white = plate !== '' && !scanned ? this.lists.validWhite(plate, areaId) : undefined;
    const booking = plate !== '' && !scanned && !white ? this.lists.bookingToLetIn(plate, areaId) : undefined;
    if (!white && !booking && !o.force && this.occupied(areaId) >= area.spaces) {
      throw new Refusal('full', `area ${area.name} is full`);
    }
    const space = this.freeSpaceFor(areaId, o.spaceId);
    const at = this.now();
    const orderId = this.newOrderId();
    const car: Car = {
      orderId,
      plate,
      plateColor: o.plateColor ?? (plate === '' || scanned ? '' : '蓝牌'),
      ticketCode: ticket ? `TK${orderId}` : '',
      unlicensed: scanned || ticket,
      codeKind: scanned ? (o.codeKind ?? '1') : undefined,
      authId: scanned ? o.authId : undefined,
      carType: white ? '固定车' : booking ? '预约车' : '临时车',
      confidence: o.confidence ?? (plate === '' || scanned ? 0 : 98),
      inTime: at,
      inLaneId: lane.passagewayId,
      inChannel: lane.name,
      inImage: this.images.take(lane.passagewayId, at, orderId, compactChinaTime(formatChinaTime(at))),
      areaId,
      spaceId: space?.spaceId,
      bookOrderId: booking?.booking.bookOrderId,
      openGateMode: scanned ? '扫码放行' : '自动抬杆',
      matchMode: plate === '' || scanned ? '' : '全字匹配',
      payments: [],
      couponCodes: [],
    };
    if (booking) {
      booking.orderId = orderId;
      booking.inTime = at;
    }
    this.cars.set(orderId, car);
    this.options.events.entered(this, car);
    return car;
  }

  private newTempPlate(): string {
    for (;;) {
      this.tempPlateSeq += 1;
      const plate = `临A${String(this.tempPlateSeq).padStart(5, '0')}`;
      if (!this.carByPlate(plate)) return plate;
    }
  }

  /** The car a leave/price request means. */
  findCar(o: { orderId?: string; plate?: string; codeKind?: string; authId?: string; ticketCode?: string }): Car | undefined {
    if (o.orderId) {
      const c = this.cars.get(o.orderId);
      return c && c.outTime === undefined ? c : undefined;
    }
    if (o.authId) return this.carByAuth(o.codeKind ?? '1', o.authId);
    if (o.ticketCode) return this.carByTicket(o.ticketCode);
    if (o.plate) return this.carByPlate(o.plate);
    return undefined;
  }

  /** A car comes to an exit lane: it leaves when nothing is owed (or forced); returns its 4.3 record. */
  leave(o: LeaveOptions): { car: Car; record: ExitRecord } {
    const lane = this.lane(o.lane);
    if (!lane) throw new Refusal('unknown_lane', `no lane ${o.lane}`);
    if (lane.direction !== 'out') throw new Refusal('not_an_exit_lane', `lane ${lane.name} is an entry`);
    const car = this.findCar(o);
    if (!car) throw new Refusal('not_in_park', 'no such car in the park');
    let priced = this.price(car);
    let gateMode = o.openGateMode ?? (car.unlicensed && car.codeKind ? '扫码放行' : '自动抬杆');
    if (priced.payChargeFen > 0) {
      if (!o.force) {
        car.waitingAt = lane.passagewayId;
        throw new Refusal('unpaid', `${yuan(priced.payChargeFen)} yuan owed`, {
          orderId: car.orderId,
          payCharge: yuan(priced.payChargeFen),
          charge: yuan(priced.chargeFen),
        });
      }
      gateMode = o.openGateMode ?? '手动放行';
      if ((o.settle ?? 'cash') === 'cash') {
        const payment = this.cashPayment(car, lane, priced);
        this.options.events.offlinePayment(this, car, payment);
        priced = this.price(car);
      }
    }
    return this.exit(car, lane, priced, gateMode);
  }

  private cashPayment(car: Car, lane: LaneDefinition, priced: Priced): Payment {
    this.cashSeq += 1;
    const at = this.now();
    const payment: Payment = {
      payNo: `CASH${this.parkNumber}${String(this.cashSeq).padStart(6, '0')}`,
      orderId: car.orderId,
      outTradeNo: this.outTradeNo(lane.passagewayId, car.orderId, at),
      fen: priced.payChargeFen,
      quotedFen: priced.payChargeFen,
      payTime: formatChinaTime(at),
      getTime: formatChinaTime(at),
      payKind: '现金',
      payChannel: '中央收费',
      online: false,
      receivedAt: at,
      via: 'cash',
      laneId: lane.passagewayId,
    };
    this.payments.set(payment.payNo, payment);
    car.payments.push(payment);
    car.paidUntil = Math.max(car.paidUntil ?? 0, at);
    car.paidFreeUntil = at + this.tariff.paidFreeMinutes * MINUTE;
    return payment;
  }

  private exit(car: Car, lane: LaneDefinition, priced: Priced, gateMode: string): { car: Car; record: ExitRecord } {
    const at = this.now();
    car.outTime = at;
    car.outLaneId = lane.passagewayId;
    car.outChannel = lane.name;
    car.outImage = this.images.take(lane.passagewayId, at, car.orderId, compactChinaTime(formatChinaTime(at)));
    car.exitOpenGateMode = gateMode;
    car.waitingAt = undefined;
    if (car.bookOrderId) {
      const b = this.bookings.get(car.bookOrderId);
      if (b) b.completed = true;
    }
    const record = this.exitRecord(car, priced);
    car.exitRecord = record;
    this.options.events.left(this, car, record);
    return { car, record };
  }

  // -------------------------------------------------------------------------------------------------------
  // Pricing (pricing.ts)

  /** Price a stay at `at` (default now); `extraCouponMinutes` is a 4.4 couponTime not yet paid. */
  price(car: Car, at = this.now(), extraCouponMinutes = 0): Priced {
    return priceStay(this, car, at, extraCouponMinutes);
  }

  /** parkNumber_channelId_orderId_HHmmss (4.4 channel "0"; 4.30 the exit lane). */
  outTradeNo(channelId: string, orderId: string, at: number): string {
    return `${this.parkNumber}_${channelId}_${orderId}_${formatChinaHhmmss(at)}`;
  }

  /** Price the stay and remember the quote under its outTradeNo (4.4, 4.30). */
  quote(car: Car, channelId: string, couponMinutes: number, via: Quote['via']): { quote: Quote; priced: Priced } {
    const at = this.now();
    const priced = this.price(car, at, couponMinutes);
    const quote: Quote = {
      outTradeNo: this.outTradeNo(channelId, car.orderId, at),
      orderId: car.orderId,
      channelId,
      getTime: at,
      getTimeText: formatChinaTime(at),
      payChargeFen: priced.payChargeFen,
      couponMinutes,
      via,
    };
    this.quotes.set(quote.outTradeNo, quote);
    return { quote, priced };
  }

  /** 4.4 / 4.30 answer datas of a quote. */
  stayPrice(car: Car, quote: Quote, priced: Priced) {
    return stayPriceDatas(car, quote, priced, this.now());
  }

  // -------------------------------------------------------------------------------------------------------
  // Payments

  /**
   * Record an online payment against a quote. Idempotent on payNo (transactionID): the same payNo for the
   * same order and outTradeNo changes nothing; for another order it fails. Another payNo for an already
   * paid outTradeNo is a second payment (the lot records it).
   */
  recordOnlinePayment(p: {
    payNo: string;
    orderId: string;
    outTradeNo: string;
    plate: string;
    fen: number;
    quotedFen: number;
    payTime: string;
    getTime?: string;
    payKind: string;
    payChannel: string;
    via: string;
    /** 4.5 checks that payCharge and getTime are those of the quote. */
    strictQuote?: boolean;
  }): { payment: Payment; duplicate: boolean } {
    const seen = this.payments.get(p.payNo);
    if (seen) {
      if (seen.orderId === p.orderId && seen.outTradeNo === p.outTradeNo) return { payment: seen, duplicate: true };
      throw new BluecardFail(`交易流水号 ${p.payNo} 已用于其他订单`);
    }
    const car = this.cars.get(p.orderId);
    if (!car) throw new BluecardFail('订单不存在');
    if (car.outTime !== undefined) throw new BluecardFail('车辆已出场');
    const quote = this.quotes.get(p.outTradeNo);
    if (!quote || quote.orderId !== car.orderId) throw new BluecardFail('支付流水号(outTradeNo)与订单不符');
    if (p.plate !== '' && normalizePlate(p.plate) !== normalizePlate(car.plate)) throw new BluecardFail('车牌与订单不符');
    if (p.plate === '' && car.plate !== '' && !car.unlicensed) throw new BluecardFail('车牌与订单不符');
    if (p.strictQuote) {
      if (p.getTime !== undefined && p.getTime !== quote.getTimeText) {
        throw new BluecardFail(`结算时间 getTime 与算费结果不符(应为 ${quote.getTimeText})`);
      }
      if (p.quotedFen !== quote.payChargeFen) {
        throw new BluecardFail(`应收金额 payCharge 与算费结果不符(应为 ${yuan(quote.payChargeFen)})`);
      }
    }
    const now = this.now();
    const payment: Payment = {
      payNo: p.payNo,
      orderId: car.orderId,
      outTradeNo: p.outTradeNo,
      fen: p.fen,
      quotedFen: p.quotedFen,
      payTime: p.payTime,
      getTime: quote.getTimeText,
      payKind: p.payKind,
      payChannel: p.payChannel,
      online: true,
      receivedAt: now,
      via: p.via,
    };
    this.payments.set(payment.payNo, payment);
    car.payments.push(payment);
    car.paidUntil = Math.max(car.paidUntil ?? 0, quote.getTime);
    car.paidFreeUntil = now + this.tariff.paidFreeMinutes * MINUTE;
    if (quote.couponMinutes > 0) {
      // The couponTime of a paid quote stays with the stay (it was part of what the driver paid for).
      const code = `COUPONTIME_${quote.outTradeNo}`;
      if (!this.coupons.has(code)) {
        this.coupons.set(code, {
          couponCode: code,
          modeId: '0',
          position: quote.couponMinutes,
          end: Number.MAX_SAFE_INTEGER,
          endText: '',
          orderId: car.orderId,
          plate: car.plate,
          id: '0',
          receivedAt: now,
          via: '4.4',
        });
        car.couponCodes.push(code);
      }
    }
    this.afterSettlement(car);
    return { payment, duplicate: false };
  }

  /** A car waiting at an exit lane goes through once nothing is owed (the barrier opens on 4.5). */
  private afterSettlement(car: Car): void {
    if (!this.options.autoExitOnPayment || car.waitingAt === undefined || car.outTime !== undefined) return;
    const lane = this.lane(car.waitingAt);
    if (!lane) return;
    const priced = this.price(car);
    if (priced.payChargeFen === 0) this.exit(car, lane, priced, car.unlicensed && car.codeKind ? '扫码放行' : '自动抬杆');
  }

  // -------------------------------------------------------------------------------------------------------
  // Coupons (4.23)

  addCoupons(
    items: { id: string; couponCode: string; couponModeId: '0' | '1'; end: string; endMs: number; orderId: string; plate: string; position: number }[],
    via: CouponRecord['via'] = '4.23',
  ): void {
    const now = this.now();
    const codes = new Set<string>();
    for (const c of items) {
      if (this.coupons.has(c.couponCode) || codes.has(c.couponCode)) throw new BluecardFail(`优惠券编码重复: ${c.couponCode}`);
      codes.add(c.couponCode);
      const car = this.cars.get(c.orderId);
      if (!car || car.outTime !== undefined) throw new BluecardFail(`入场记录不存在: ${c.orderId}`);
      if (c.plate !== '' && normalizePlate(c.plate) !== normalizePlate(car.plate)) throw new BluecardFail(`车牌与入场记录不符: ${c.plate}`);
      if (c.endMs < now) throw new BluecardFail(`优惠券已过期: ${c.couponCode}`);
      if (!(c.position > 0)) throw new BluecardFail(`优惠面值无效: ${c.couponCode}`);
    }
    for (const c of items) {
      const car = this.cars.get(c.orderId)!;
      this.coupons.set(c.couponCode, {
        couponCode: c.couponCode,
        modeId: c.couponModeId,
        position: c.position,
        end: c.endMs,
        endText: c.end,
        orderId: c.orderId,
        plate: c.plate,
        id: c.id,
        receivedAt: now,
        via,
      });
      car.couponCodes.push(c.couponCode);
    }
    for (const c of items) this.afterSettlement(this.cars.get(c.orderId)!);
  }

  // -------------------------------------------------------------------------------------------------------
  // Lifts (4.22)

  lift(passagewayId: string, via: string): Lift {
    const lane = this.lane(passagewayId);
    if (!lane || lane.passagewayId !== passagewayId) throw new BluecardFail('通道不存在');
    const lift: Lift = { passagewayId, laneName: lane.name, at: this.now(), via };
    const waiting = this.inPark().find((c) => c.waitingAt === passagewayId);
    if (waiting && lane.direction === 'out') {
      // The operator opened the barrier for the car standing at it: it leaves without paying the rest.
      lift.released = waiting.orderId;
      this.exit(waiting, lane, this.price(waiting), '远程抬杆');
    }
    this.lifts.push(lift);
    if (!lift.released) this.options.events.lifted?.(this, lift);
    return lift;
  }

  // -------------------------------------------------------------------------------------------------------
  // Lists

  // -------------------------------------------------------------------------------------------------------
  // Records (4.2, 4.3: park-records.ts) and counts (4.1)

  placeInfo(car: Car): { areaName: string; placeNumber: string; memo: string }[] {
    return placeInfo(this, car);
  }

  entryRecord(car: Car): EntryRecord {
    return entryRecord(this, car);
  }

  exitRecord(car: Car, priced: Priced): ExitRecord {
    return exitRecord(this, car, priced);
  }

  /** Bookable spaces left: of one area, or (areaId "0") of the whole lot, where any-area bookings count too. */
  bookableLeft(areaId: string): number {
    const counts = this.counts();
    if (areaId === '0') return counts.bookSpaceCount;
    return counts.areaList.find((a) => String(a.areaId) === areaId)?.bookSpaceCount ?? 0;
  }

  /** 4.1 counts: spaces from the definition, free = spaces − cars in the area, bookable − open bookings. */
  counts() {
    const areaList = this.areas.map((a) => {
      const cars = this.inPark().filter((c) => c.areaId === a.id);
      const openBookings = this.lists.openBookingsIn(String(a.id)).length;
      return {
        areaName: a.name,
        spaceCount: a.spaces,
        lastSpaceCount: Math.max(0, a.spaces - cars.length),
        bookSpaceCount: Math.max(0, (a.bookable ?? 0) - openBookings),
        bookInParkCount: cars.filter((c) => c.carType === '预约车').length,
        areaId: a.id,
      };
    });
    const sum = (f: (x: (typeof areaList)[number]) => number) => areaList.reduce((s, x) => s + f(x), 0);
    return {
      parkNumber: this.parkNumber,
      parkName: this.name,
      spaceCount: sum((x) => x.spaceCount),
      freeSpaceCount: sum((x) => x.lastSpaceCount),
      // Any-area bookings (areaId "0") take from the lot's total.
      bookSpaceCount: Math.max(0, sum((x) => x.bookSpaceCount) - this.lists.openBookingsIn('0').length),
      bookInParkCount: sum((x) => x.bookInParkCount),
      areaList,
    };
  }

  /** 4.21 lanes. */
  channels() {
    return this.lanes.map((l) => ({
      passagewayId: l.passagewayId,
      passagewayName: l.name,
      sourceAreaId: l.sourceAreaId,
      targetAreaId: l.targetAreaId,
    }));
  }

  // -------------------------------------------------------------------------------------------------------
  // Dump (park-records.ts)

  /** Everything, readable (times in China time, money in yuan). */
  dump() {
    return dumpPark(this);
  }
}
