/**
 * The records of one sandbox park: stays (cars), quotes, payments, coupons, list entries, bookings, lifts,
 * and the two refusals the park's rules throw. Money is integer fen; times are epoch milliseconds.
 */
import type { ExitRecord, WhiteEntry, Booking } from '../../../shared/bluecard';
import type { ParkState } from './park';

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
