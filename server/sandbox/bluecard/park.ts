/**
 * The state of one sandbox park and the lot's rules: cars come and go, stays are priced by the tariff,
 * payments and coupons reduce what is owed, white/black lists and bookings decide the car type at the
 * entry, guidance spaces are occupied. Synchronous and clock-driven; HTTP lives elsewhere (down.ts takes
 * Bluecard's side of the down calls, the sandbox factory wires events to the outbox).
 *
 * Money is integer fen inside; yuan strings only at the wire (fenToYuan).
 */
import type { Clock } from '../../src/core/clock';
import type { EntryRecord, ExitRecord, WhiteEntry, Booking } from '../../../shared/bluecard';
import { fenToYuan } from '../../../shared/money';
import { normalizePlate } from '../../../shared/plate';
import { formatChinaDate, formatChinaHhmmss, formatChinaTime, parseChinaTime } from '../../../shared/time';
import type { AreaDefinition, LaneDefinition, ParkDefinition, SpaceDefinition } from './definitions';
import { ImageStore, compactChinaTime } from './images';
import { type TariffDefinition, chargeFen, tariffOf, timeDiscountFen } from './tariff';

const MINUTE = 60_000;
const DAY = 24 * 60 * MINUTE;

export type CarType = '临时车' | '固定车' | '预约车';

/** An expected refusal of a control action (the barrier stays down): code is machine-readable. */
export class Refusal extends Error {
  constructor(
    readonly code: string,
    message: string,
    readonly details: Record<string, unknown> = {},
  ) {
    super(message);
    this.name = 'Refusal';
  }
}

/** A Bluecard fail answer: `{"status":"fail","errorCode": message}`. */
export class BluecardFail extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'BluecardFail';
  }
}

export interface Payment {
  /** 4.3 chargeList payNo: our transactionID for 4.5, the lot's own number for cash. */
  payNo: string;
  orderId: string;
  outTradeNo: string;
  /** What was received (4.5 realCharge). */
  fen: number;
  /** What was due (4.5 payCharge). */
  quotedFen: number;
  payTime: string;
  /** Settlement time of the priced stay the payment is for. */
  getTime: string;
  payKind: string;
  payChannel: string;
  online: boolean;
  receivedAt: number;
  /** Which door it came through: "4.5", "cash", "4.16", "4.17", "4.24", "4.25", "4.27". */
  via: string;
  /** The lane where the lot took it (cash at an exit lane booth). */
  laneId?: string;
}

export interface CouponRecord {
  couponCode: string;
  /** "0" hour coupon (position minutes), "1" money coupon (position fen). */
  modeId: '0' | '1';
  position: number;
  end: number;
  endText: string;
  orderId: string;
  plate: string;
  id: string;
  receivedAt: number;
  /** 4.23 coupon, or the couponTime of a paid 4.4 quote, or a 4.24 discountContent. */
  via: '4.23' | '4.4' | '4.24';
}

export interface Quote {
  outTradeNo: string;
  orderId: string;
  channelId: string;
  getTime: number;
  getTimeText: string;
  payChargeFen: number;
  /** 4.4 couponTime in minutes, made permanent when this quote is paid. */
  couponMinutes: number;
  via: '4.4' | '4.30' | 'lane';
}

export interface Car {
  orderId: string;
  /** As spelled ("京 A12345"); "" for a ticket car; the temporary plate for a 4.29 car. */
  plate: string;
  plateColor: string;
  ticketCode: string;
  unlicensed: boolean;
  codeKind?: string;
  authId?: string;
  carType: CarType;
  confidence: number;
  inTime: number;
  inLaneId: string;
  inChannel: string;
  inImage: string;
  areaId: number;
  spaceId?: string;
  bookOrderId?: string;
  openGateMode: string;
  matchMode: string;
  payments: Payment[];
  couponCodes: string[];
  /** Settlement time of the latest payment: during the paid free time the stay is priced up to here. */
  paidUntil?: number;
  /** End of the free time after the latest payment. */
  paidFreeUntil?: number;
  /** The exit lane the car waits at (refused exit or 4.30 scan): a payment that settles it opens the barrier. */
  waitingAt?: string;
  outTime?: number;
  outLaneId?: string;
  outChannel?: string;
  outImage?: string;
  exitOpenGateMode?: string;
  exitRecord?: ExitRecord;
}

export interface Priced {
  at: number;
  /** The instant the stay is priced up to (the latest payment's settlement during the paid free time). */
  end: number;
  chargeFen: number;
  paidFen: number;
  onlineFen: number;
  offlineFen: number;
  profitFen: number;
  timeProfitFen: number;
  moneyProfitFen: number;
  moneyFaceFen: number;
  profitMinutes: number;
  payChargeFen: number;
  stopMinutes: number;
  /** 4.4 paidfreeTime: minutes left of the paid free time, else the tariff's paid free minutes. */
  paidFreeMinutes: number;
  inPaidFreeTime: boolean;
  /** What each coupon took off, in order (4.3 profitList). */
  couponValues: { coupon: CouponRecord; valueFen: number }[];
}

export interface WhiteRecord {
  entry: WhiteEntry;
  /** "1" online (4.6), "2" offline (entered at the lot). */
  source: '1' | '2';
  fixedId: number;
  /** When the lot first had this plate on its whitelist: a pass covers a stay from then on, not before. */
  addedAt: number;
  updatedAt: number;
}

export interface BlackRecord {
  plate: string;
  memo: string;
  source: string;
  updatedAt: number;
}

export interface BookingRecord {
  booking: Booking;
  downTime: number;
  cancelled: boolean;
  cancelledAt?: number;
  /** orderId of the stay that used it. */
  orderId?: string;
  inTime?: number;
  completed: boolean;
}

export interface BookingRefusal {
  /** normalizePlate of the plate to refuse; any plate when missing. */
  plateKey?: string;
  errorCode: string;
  remaining: number;
}

export interface Lift {
  passagewayId: string;
  laneName: string;
  at: number;
  via: string;
  /** orderId of a waiting car the lift let through. */
  released?: string;
}

export interface DownCallLog {
  at: number;
  name: string;
  status: 'success' | 'fail' | 'fault';
  errorCode?: string;
}

export interface ParkEvents {
  entered(park: ParkState, car: Car): void;
  left(park: ParkState, car: Car, record: ExitRecord): void;
  /** A payment taken at the lot (cash at the booth): a 4.15 charge record. */
  offlinePayment(park: ParkState, car: Car, payment: Payment): void;
  /** A barrier lifted with no car let through by it (4.22 with nobody waiting). */
  lifted?(park: ParkState, lift: Lift): void;
}

export interface ArriveOptions {
  /** passagewayId or lane name. */
  lane: string;
  plate?: string;
  plateColor?: string;
  /** A car without a plate that takes a ticket at the entry (plate "", ticketCode set). */
  unlicensed?: boolean;
  /** A car without a plate whose driver scanned the entry QR (4.29): codeKind 1/2/3 + authId. */
  codeKind?: string;
  authId?: string;
  /** The temporary plate to use for a scanned unlicensed car ("" or missing: the lot makes one). */
  ephemeralPlate?: string;
  spaceId?: string;
  confidence?: number;
  /** Let it in even when blacklisted or the area is full. */
  force?: boolean;
}

export interface LeaveOptions {
  /** passagewayId or lane name. */
  lane: string;
  orderId?: string;
  plate?: string;
  codeKind?: string;
  authId?: string;
  ticketCode?: string;
  /** Open even though money is owed. */
  force?: boolean;
  /** When forced with money owed: the booth takes it in cash (default) or waives it. */
  settle?: 'cash' | 'waive';
  openGateMode?: string;
}

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
  readonly white = new Map<string, WhiteRecord>();
  readonly black = new Map<string, BlackRecord>();
  readonly bookings = new Map<string, BookingRecord>();
  /** Control: the next 4.18 flag-1 calls (of one plate, or any) are refused with this errorCode. */
  readonly bookingRefusals: BookingRefusal[] = [];
  readonly lifts: Lift[] = [];
  readonly downCalls: DownCallLog[] = [];

  private nextOrderId: number;
  private tempPlateSeq = 0;
  private cashSeq = 0;
  private fixedIdSeq = 0;

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
  // Car types: whitelist and bookings

  /** The online or offline whitelist entry valid for this plate today (and in this area when it says). */
  validWhite(plate: string, areaId: number, at = this.now()): WhiteRecord | undefined {
    const w = this.white.get(normalizePlate(plate));
    if (!w) return undefined;
    const today = formatChinaDate(at);
    const within = (start: string, end: string) => (start === '' || start <= today) && (end === '' || today <= end);
    if (!within(w.entry.start, w.entry.end)) return undefined;
    const perArea = w.entry.areasAndValidity;
    if (perArea.length > 0 && !perArea.some((a) => a.areaId === areaId && within(a.start, a.end))) return undefined;
    return w;
  }

  /** An open booking of this plate whose let-in window holds `at`. */
  bookingToLetIn(plate: string, areaId: number, at = this.now()): BookingRecord | undefined {
    const key = normalizePlate(plate);
    const t = formatChinaTime(at);
    return [...this.bookings.values()].find(
      (b) =>
        !b.cancelled &&
        !b.completed &&
        b.orderId === undefined &&
        normalizePlate(b.booking.plate) === key &&
        (b.booking.areaId === '0' || b.booking.areaId === String(areaId)) &&
        b.booking.letInStartTime <= t &&
        t <= b.booking.letInEndTime,
    );
  }

  /** The car type a plate would get entering this area now. */
  carTypeFor(plate: string, areaId: number): CarType {
    if (plate === '') return '临时车';
    if (this.validWhite(plate, areaId)) return '固定车';
    if (this.bookingToLetIn(plate, areaId)) return '预约车';
    return '临时车';
  }

  /**
   * The stretches of [from, to] a monthly pass (whitelist entry) covers for a car in `areaId`: from the
   * first day of its validity 00:00 (and not before the lot had the entry) to the last day's end; with
   * per-area validity, only that area's rows count (and the entry's own dates still bound them).
   */
  passCover(plate: string, areaId: number, from: number, to: number): [number, number][] {
    if (plate === '' || to <= from) return [];
    const w = this.white.get(normalizePlate(plate));
    if (!w) return [];
    const dayStart = (d: string) => (d === '' ? -Infinity : parseChinaTime(`${d} 00:00:00`).getTime());
    const dayEnd = (d: string) => (d === '' ? Infinity : parseChinaTime(`${d} 00:00:00`).getTime() + DAY);
    const safe = (f: () => number, fallback: number) => {
      try {
        return f();
      } catch {
        return fallback;
      }
    };
    const entryFrom = Math.max(w.addedAt, safe(() => dayStart(w.entry.start), Infinity));
    const entryTo = safe(() => dayEnd(w.entry.end), -Infinity);
    const rows = w.entry.areasAndValidity.length === 0 ? [{ start: '', end: '' }] : w.entry.areasAndValidity.filter((a) => a.areaId === areaId);
    const cover: [number, number][] = [];
    for (const r of rows) {
      const a = Math.max(from, entryFrom, safe(() => dayStart(r.start), Infinity));
      const b = Math.min(to, entryTo, safe(() => dayEnd(r.end), -Infinity));
      if (a < b) cover.push([a, b]);
    }
    return cover;
  }

  /** How much of [from, to] no pass covers (ms). */
  private uncoveredMs(car: Car, from: number, to: number): number {
    const cover = this.passCover(car.plate, car.areaId, from, to).sort((x, y) => x[0] - y[0]);
    let covered = 0;
    let reach = from;
    for (const [a, b] of cover) {
      const start = Math.max(a, reach);
      if (b > start) {
        covered += b - start;
        reach = b;
      }
    }
    return Math.max(0, to - from - covered);
  }

  isBlack(plate: string): boolean {
    return plate !== '' && this.black.has(normalizePlate(plate));
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
      if (this.isBlack(plate) && !o.force) throw new Refusal('blacklisted', `${plate} is blacklisted`);
    }
    const area = this.area(areaId)!;
    const white = plate !== '' && !scanned ? this.validWhite(plate, areaId) : undefined;
    const booking = plate !== '' && !scanned && !white ? this.bookingToLetIn(plate, areaId) : undefined;
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
  // Pricing

  /** Price a stay at `at` (default now); `extraCouponMinutes` is a 4.4 couponTime not yet paid. */
  price(car: Car, at = this.now(), extraCouponMinutes = 0): Priced {
    const inPaidFreeTime = car.paidFreeUntil !== undefined && car.paidUntil !== undefined && at <= car.paidFreeUntil;
    const end = inPaidFreeTime ? Math.max(car.inTime, car.paidUntil!) : Math.max(car.inTime, at);
    // A monthly pass makes the time it covers free; the rest is priced as one stay (a pass that ran out
    // during the stay, or one that began after entry: the car owes for the time outside it).
    const duration = car.plate === '' ? end - car.inTime : this.uncoveredMs(car, car.inTime, end);
    const fixed = duration === 0;
    const charge = fixed ? 0 : chargeFen(this.tariff, duration);
    const paidOnline = car.payments.filter((p) => p.online).reduce((s, p) => s + p.fen, 0);
    const paidOffline = car.payments.filter((p) => !p.online).reduce((s, p) => s + p.fen, 0);
    const paid = paidOnline + paidOffline;

    const coupons = car.couponCodes.map((c) => this.coupons.get(c)!).filter((c) => c.end >= at || c.via === '4.4');
    // Time first (each coupon's value is what it adds to the discount of those before it), then money.
    const budget = Math.max(0, charge - paid);
    let left = budget;
    let minutes = 0;
    let timeValue = 0;
    const couponValues: Priced['couponValues'] = [];
    const extraValue = fixed ? 0 : timeDiscountFen(this.tariff, duration, extraCouponMinutes);
    for (const c of coupons.filter((x) => x.modeId === '0')) {
      const before = fixed ? 0 : timeDiscountFen(this.tariff, duration, minutes + extraCouponMinutes);
      minutes += c.position;
      const after = fixed ? 0 : timeDiscountFen(this.tariff, duration, minutes + extraCouponMinutes);
      const v = Math.min(left, after - before);
      left -= v;
      timeValue += v;
      couponValues.push({ coupon: c, valueFen: v });
    }
    const extra = Math.min(left, extraValue);
    left -= extra;
    timeValue += extra;
    let moneyValue = 0;
    let moneyFace = 0;
    for (const c of coupons.filter((x) => x.modeId === '1')) {
      moneyFace += c.position;
      const v = Math.min(left, c.position);
      left -= v;
      moneyValue += v;
      couponValues.push({ coupon: c, valueFen: v });
    }
    const profit = timeValue + moneyValue;
    const payCharge = Math.max(0, charge - paid - profit);
    const paidFreeMinutes = inPaidFreeTime
      ? Math.ceil((car.paidFreeUntil! - at) / MINUTE)
      : this.tariff.paidFreeMinutes;
    return {
      at,
      end,
      chargeFen: charge,
      paidFen: paid,
      onlineFen: paidOnline,
      offlineFen: paidOffline,
      profitFen: profit,
      timeProfitFen: timeValue,
      moneyProfitFen: moneyValue,
      moneyFaceFen: moneyFace,
      profitMinutes: minutes + extraCouponMinutes,
      payChargeFen: payCharge,
      stopMinutes: Math.max(0, Math.floor((at - car.inTime) / MINUTE)),
      paidFreeMinutes,
      inPaidFreeTime,
      couponValues,
    };
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
    return {
      orderId: car.orderId,
      plate: car.plate,
      inTime: formatChinaTime(car.inTime),
      getTime: quote.getTimeText,
      charge: yuan(priced.chargeFen),
      payCharge: yuan(priced.payChargeFen),
      paidTotal: yuan(priced.paidFen),
      profitChargeTotal: yuan(priced.profitFen),
      profitTimeTotal: String(priced.profitMinutes),
      stopTimeTotal: String(priced.stopMinutes),
      paidfreeTime: String(priced.paidFreeMinutes),
      memo: '',
      imgName: car.inImage,
      outTradeNo: quote.outTradeNo,
      timeStamp: String(this.now()),
    };
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

  upsertWhite(entry: WhiteEntry, source: '1' | '2'): WhiteRecord {
    const k = normalizePlate(entry.plate);
    const existing = this.white.get(k);
    const record: WhiteRecord = {
      entry: { ...entry, areasAndValidity: entry.areasAndValidity.map((a) => ({ ...a })) },
      source,
      fixedId: existing?.fixedId ?? ++this.fixedIdSeq,
      addedAt: existing?.addedAt ?? this.now(),
      updatedAt: this.now(),
    };
    this.white.set(k, record);
    return record;
  }

  // -------------------------------------------------------------------------------------------------------
  // Records (4.2, 4.3) and counts (4.1)

  placeInfo(car: Car): { areaName: string; placeNumber: string; memo: string }[] {
    return [{ areaName: this.area(car.areaId)?.name ?? '', placeNumber: car.spaceId ?? '', memo: 'currentArea' }];
  }

  entryRecord(car: Car): EntryRecord {
    return {
      plate: car.plate,
      ticketCode: car.ticketCode,
      plateColor: car.plateColor,
      inTime: formatChinaTime(car.inTime),
      inChannel: car.inChannel,
      inImage: car.inImage,
      orderId: car.orderId,
      visitReason: '',
      openGateMode: car.openGateMode,
      matchMode: car.matchMode,
      idCard: '',
      confidence: car.confidence,
      carType: car.carType,
      userInfo: { idCard: '', userName: '', phone: '', address: '' },
      placeInfo: this.placeInfo(car),
    };
  }

  exitRecord(car: Car, priced: Priced): ExitRecord {
    const hourCoupons = priced.couponValues.filter((v) => v.coupon.modeId === '0');
    const moneyCoupons = priced.couponValues.filter((v) => v.coupon.modeId === '1');
    const sumMinutes = hourCoupons.reduce((s, v) => s + v.coupon.position, 0);
    return {
      orderId: car.orderId,
      operatorId: '',
      operatorName: '',
      invoiceNo: '',
      carInfo: {
        plate: car.plate,
        plateColor: car.plateColor,
        ticketCode: car.ticketCode,
        carType: car.carType,
        confidence: car.confidence,
      },
      userInfo: { idCard: '' },
      passInfo: {
        inTime: formatChinaTime(car.inTime),
        outTime: formatChinaTime(car.outTime ?? this.now()),
        inImage: car.inImage,
        outImage: car.outImage ?? '',
        inChannel: car.inChannel,
        outChannel: car.outChannel ?? '',
        openGateMode: car.exitOpenGateMode ?? '自动抬杆',
        matchMode: car.matchMode,
      },
      // charge = onLineCharge + offLineCharge + profitChargeTotal (when nothing was waived); all coupons
      // are online ones (they came from the cloud).
      chargeStatistics: {
        charge: yuan(priced.chargeFen),
        onLineCharge: yuan(priced.onlineFen),
        offLineCharge: yuan(priced.offlineFen),
        profitChargeTotal: yuan(priced.profitFen),
        onLineProfitChargeNum: yuan(priced.moneyFaceFen),
        onLineProfitChargeValue: yuan(priced.moneyProfitFen),
        offLineProfitChargeNum: '0.00',
        offLineProfitChargeValue: '0.00',
        onLineProfitTimeNum: String(sumMinutes),
        onLineProfitTimeValue: yuan(priced.timeProfitFen),
        offLineProfitTimeNum: '0',
        offLineProfitTimeValue: '0.00',
      },
      chargeList: car.payments.map((p) => ({
        payNo: p.payNo,
        getTime: p.getTime,
        payCharge: yuan(p.fen),
        payKind: p.payKind,
        payChannel: p.payChannel,
        memo: '',
      })),
      profitList: [...hourCoupons, ...moneyCoupons].map((v) => ({
        profitCode: v.coupon.couponCode,
        getTime: formatChinaTime(v.coupon.receivedAt),
        profitTime: v.coupon.modeId === '0' ? String(v.coupon.position) : '0',
        profitCharge: v.coupon.modeId === '1' ? yuan(v.coupon.position) : '0.00',
        profitChargeValue: yuan(v.valueFen),
        memo: v.coupon.via === '4.4' ? 'couponTime' : '',
      })),
      placeInfo: this.placeInfo(car),
    };
  }

  /** Bookings still holding a space: not cancelled, not used, not over. */
  openBookingsIn(areaId: string, at = this.now()): BookingRecord[] {
    const nowText = formatChinaTime(at);
    return [...this.bookings.values()].filter(
      (b) => !b.cancelled && !b.completed && b.orderId === undefined && b.booking.areaId === areaId && b.booking.end >= nowText,
    );
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
      const openBookings = this.openBookingsIn(String(a.id)).length;
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
      bookSpaceCount: Math.max(0, sum((x) => x.bookSpaceCount) - this.openBookingsIn('0').length),
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
  // Dump

  /** Everything, readable (times in China time, money in yuan). */
  dump() {
    const t = (ms: number | undefined) => (ms === undefined ? undefined : formatChinaTime(ms));
    const carView = (c: Car) => {
      const priced = c.outTime === undefined ? this.price(c) : undefined;
      return {
        orderId: c.orderId,
        plate: c.plate,
        plateColor: c.plateColor,
        ticketCode: c.ticketCode,
        unlicensed: c.unlicensed,
        codeKind: c.codeKind,
        authId: c.authId,
        carType: c.carType,
        inTime: t(c.inTime),
        inChannel: c.inChannel,
        inImage: c.inImage,
        areaId: c.areaId,
        spaceId: c.spaceId,
        bookOrderId: c.bookOrderId,
        paid: yuan(c.payments.reduce((s, p) => s + p.fen, 0)),
        payments: c.payments.map((p) => p.payNo),
        coupons: c.couponCodes,
        paidUntil: t(c.paidUntil),
        paidFreeUntil: t(c.paidFreeUntil),
        waitingAt: c.waitingAt,
        owedNow: priced ? yuan(priced.payChargeFen) : undefined,
        chargeNow: priced ? yuan(priced.chargeFen) : undefined,
        outTime: t(c.outTime),
        outChannel: c.outChannel,
        outImage: c.outImage,
      };
    };
    return {
      parkNumber: this.parkNumber,
      name: this.name,
      now: t(this.now()),
      tariff: this.tariff,
      lanes: this.lanes,
      areas: this.areas,
      counts: this.counts(),
      spaces: this.spaces.map((s) => {
        const car = this.inPark().find((c) => c.spaceId === s.spaceId);
        return { ...s, occupiedBy: car?.orderId, plate: car?.plate };
      }),
      cars: this.inPark().map(carView),
      departed: [...this.cars.values()].filter((c) => c.outTime !== undefined).map(carView),
      payments: [...this.payments.values()].map((p) => ({ ...p, amount: yuan(p.fen), quoted: yuan(p.quotedFen), receivedAt: t(p.receivedAt) })),
      quotes: [...this.quotes.values()].map((q) => ({ ...q, payCharge: yuan(q.payChargeFen), getTime: q.getTimeText })),
      coupons: [...this.coupons.values()].map((c) => ({ ...c, end: c.endText, receivedAt: t(c.receivedAt) })),
      white: [...this.white.values()].map((w) => ({ ...w.entry, source: w.source, fixedId: w.fixedId, updatedAt: t(w.updatedAt) })),
      black: [...this.black.values()].map((b) => ({ ...b, updatedAt: t(b.updatedAt) })),
      bookings: [...this.bookings.values()].map((b) => ({
        ...b.booking,
        downTime: t(b.downTime),
        cancelled: b.cancelled,
        orderId: b.orderId,
        inTime: t(b.inTime),
        completed: b.completed,
      })),
      lifts: this.lifts.map((l) => ({ ...l, at: t(l.at) })),
      images: this.images.names(),
      downCalls: this.downCalls.slice(-100).map((d) => ({ ...d, at: t(d.at) })),
    };
  }
}
