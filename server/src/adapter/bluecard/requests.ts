/**
 * Business arguments → the exact request bodies of the down interfaces. Pure functions: integer fen become
 * yuan strings (fenToYuan), instants become China time (formatChinaTime), plates and Bluecard's ids are
 * passed on exactly as given. The client validates every body with its exact schema before sending.
 *
 * And the signature every request carries, both ways. Spec §2 / §4 preamble: a header `sign` =
 * md5(key + parkNumber) as 32 lowercase hex digits; the key is per park, issued by Bluecard. ParkPay sends it
 * on every down call (client.ts) and checks it on every up call (port/bluecard/inbound.ts).
 */
import { createHash, timingSafeEqual } from 'node:crypto';
import {
  type BlackEntry,
  type Booking,
  type CODE_KINDS,
  type Coupon,
  type CouponRequest,
  type DelWhiteRequest,
  type GetAllSpaceStatusRequest,
  type GetChargebfRequest,
  type GetSpaceStatusByPlateRequest,
  type PAY_CHANNELS,
  type QueryBookingCarRequest,
  type QueryImgByNameRequest,
  type QueryWhiteRequest,
  type RemoteLiftRodRequest,
  type SendPayResRequest,
  type SynBlackRequest,
  type SynBookingCarRequest,
  type SynWhiteRequest,
  type UnlicensedCarInRequest,
  type UnlicensedCarOutRequest,
  type WhiteEntry,
} from '../../../../shared/bluecard';
import { fenToYuan } from '../../../../shared/money';
import { formatChinaDate, formatChinaTime, parseChinaTime } from '../../../../shared/time';

/** md5(key + parkNumber), 32 lowercase hex digits. */
export function bluecardSign(key: string, parkNumber: string): string {
  return createHash('md5').update(key + parkNumber, 'utf8').digest('hex');
}

/**
 * Does a received `sign` header match? Constant time over the 32 hex digits; upper-case hex is accepted
 * (liberal in what we accept), anything that is not 32 hex digits is not.
 */
export function signMatches(given: string | undefined, key: string, parkNumber: string): boolean {
  if (typeof given !== 'string') return false;
  const g = given.trim().toLowerCase();
  if (!/^[0-9a-f]{32}$/.test(g)) return false;
  return timingSafeEqual(Buffer.from(g, 'ascii'), Buffer.from(bluecardSign(key, parkNumber), 'ascii'));
}

/** An instant (Date or epoch ms), or a China time string as Bluecard gave it (e.g. 4.4's getTime). */
export type TimeArg = Date | number | string;
/** An instant (its China date is sent), or a `yyyy-MM-dd` string. */
export type DateArg = Date | number | string;

/** → `yyyy-MM-dd HH:mm:ss` China time. A string is read liberally and re-spelled exactly. */
export function wireTime(at: TimeArg): string {
  return formatChinaTime(typeof at === 'string' ? parseChinaTime(at) : at);
}

/** → `yyyy-MM-dd` China date. */
export function wireDate(at: DateArg): string {
  // A string is read liberally ("2026-11-30", "2026-11-30 23:59:59") and re-spelled `yyyy-MM-dd`.
  return formatChinaDate(typeof at === 'string' ? parseChinaTime(at) : at);
}

// ---------------------------------------------------------------------------------------------------------
// 4.4 getChargebf

export interface GetChargebfArgs {
  /** Bluecard's id of the stay (4.2 orderId). */
  orderId: string;
  /** "" for an unlicensed car. Sent exactly as given. */
  plate: string;
  wxOpenId?: string;
  /** Ticket of an unlicensed car, "" otherwise. */
  ticketCode?: string;
  /** Whole HOURS of coupon to take off (4.4 couponTime is hours). Default 0. */
  couponHours?: number;
}

export function getChargebfBody(parkNumber: string, a: GetChargebfArgs): GetChargebfRequest {
  return {
    parkNumber,
    orderId: a.orderId,
    plate: a.plate,
    wxOpenId: a.wxOpenId ?? '',
    ticketCode: a.ticketCode ?? '',
    couponTime: String(a.couponHours ?? 0),
  };
}

// ---------------------------------------------------------------------------------------------------------
// 4.5 sendPayRes

export type PayChannel = (typeof PAY_CHANNELS)[number];

export interface SendPayResArgs {
  orderId: string;
  plate: string;
  /** 应收, integer fen. */
  payChargeFen: number;
  /** 实收, integer fen. */
  realChargeFen: number;
  /** When the payment completed. */
  payTime: TimeArg;
  /** '微信', '支付宝', or '云优惠' for a cloud discount. */
  payType: string;
  payChannel: PayChannel;
  /** The getTime of the 4.4 / 4.30 answer the payment was priced by (sent as both getTime and getTimes). */
  getTime: TimeArg;
  /** Ours, unique per payment and STABLE across re-deliveries. */
  transactionID: string;
  /** Bluecard's, from the 4.4 / 4.30 answer, echoed. */
  outTradeNo: string;
}

export function sendPayResBody(parkNumber: string, a: SendPayResArgs): SendPayResRequest {
  const getTime = wireTime(a.getTime);
  return {
    parkNumber,
    orderId: a.orderId,
    plate: a.plate,
    payCharge: fenToYuan(a.payChargeFen),
    realCharge: fenToYuan(a.realChargeFen),
    payTime: wireTime(a.payTime),
    payType: a.payType,
    payChannel: a.payChannel,
    // Both spellings, same value: the 4.5 table says getTime, its example and the glossary (§3) say getTimes.
    getTime,
    getTimes: getTime,
    transactionID: a.transactionID,
    outTradeNo: a.outTradeNo,
  };
}

// ---------------------------------------------------------------------------------------------------------
// 4.6 synWhite, 4.7 delWhite, 4.8 queryWhite

export interface AreaValidityArgs {
  areaId: number;
  start: DateArg;
  end: DateArg;
}

export interface WhitelistEntryArgs {
  plate: string;
  /** First valid day. */
  start: DateArg;
  /** Last valid day. */
  end: DateArg;
  /** 不收费 / 挂账. Default "". */
  chargeType?: string;
  name?: string;
  certificate?: string;
  address?: string;
  phone?: string;
  /** 蓝牌 / 黄牌 … */
  plateColor?: string;
  dept?: string;
  /** 错峰 / 月租 … */
  carType?: string;
  memo?: string;
  /** Validity per area; [] (default) when the lot has no areas. */
  areasAndValidity?: AreaValidityArgs[];
}

export function whiteEntry(a: WhitelistEntryArgs): WhiteEntry {
  return {
    plate: a.plate,
    chargeType: a.chargeType ?? '',
    name: a.name ?? '',
    certificate: a.certificate ?? '',
    address: a.address ?? '',
    phone: a.phone ?? '',
    plateColor: a.plateColor ?? '',
    start: wireDate(a.start),
    end: wireDate(a.end),
    dept: a.dept ?? '',
    carType: a.carType ?? '',
    memo: a.memo ?? '',
    areasAndValidity: (a.areasAndValidity ?? []).map((v) => ({ areaId: v.areaId, start: wireDate(v.start), end: wireDate(v.end) })),
  };
}

export function synWhiteBody(parkNumber: string, entries: readonly WhitelistEntryArgs[]): SynWhiteRequest {
  const datas = entries.map(whiteEntry);
  return { parkNumber, size: datas.length, datas };
}

export function plateBody(parkNumber: string, plate: string): DelWhiteRequest {
  return { parkNumber, plate };
}

export function plateQueryBody(parkNumber: string, plates: readonly string[]): QueryWhiteRequest {
  return { parkNumber, size: plates.length, datas: plates.map((plate) => ({ plate })) };
}

// ---------------------------------------------------------------------------------------------------------
// 4.9 synBlack

export interface BlacklistEntryArgs {
  plate: string;
  memo?: string;
}

/** 4.9 source: we are the cloud, so "线上" unless told otherwise. */
export type BlacklistSource = '线上' | '线下';

export function synBlackBody(parkNumber: string, entries: readonly BlacklistEntryArgs[], source: BlacklistSource = '线上'): SynBlackRequest {
  const datas: BlackEntry[] = entries.map((e) => ({ plate: e.plate, memo: e.memo ?? '' }));
  return { parkNumber, source, size: datas.length, datas };
}

// ---------------------------------------------------------------------------------------------------------
// 4.18 synBookingCar, 4.19 queryBookingCar

export interface BookingArgs {
  plate: string;
  /** 'book' sends flag "1", 'cancel' flag "0". */
  action: 'book' | 'cancel';
  start: TimeArg;
  end: TimeArg;
  /** "0" (default) = any area. */
  areaId?: string;
  /** What the driver paid for the booking, integer fen. */
  chargeFen: number;
  bookOrderId: string;
  bookOrderTime: TimeArg;
  /** The car may enter from… */
  letInStartTime: TimeArg;
  /** …until. */
  letInEndTime: TimeArg;
  memo?: string;
}

export function booking(a: BookingArgs): Booking {
  return {
    plate: a.plate,
    start: wireTime(a.start),
    end: wireTime(a.end),
    areaId: a.areaId ?? '0',
    flag: a.action === 'book' ? '1' : '0',
    charge: fenToYuan(a.chargeFen),
    bookOrderId: a.bookOrderId,
    bookOrderTime: wireTime(a.bookOrderTime),
    letInStartTime: wireTime(a.letInStartTime),
    letInEndTime: wireTime(a.letInEndTime),
    memo: a.memo ?? '',
  };
}

export function synBookingCarBody(parkNumber: string, bookings: readonly BookingArgs[]): SynBookingCarRequest {
  return { parkNumber, datas: bookings.map(booking) };
}

/** 4.19's four combinations: plates and/or a time window; both empty = every open booking. */
export interface QueryBookingArgs {
  /** [] or missing = any plate. */
  plates?: readonly string[];
  /** Give both or neither. */
  from?: TimeArg;
  to?: TimeArg;
}

export function queryBookingCarBody(parkNumber: string, a: QueryBookingArgs = {}): QueryBookingCarRequest {
  return {
    parkNumber,
    datas: {
      plateList: [...(a.plates ?? [])],
      start: a.from === undefined ? '' : wireTime(a.from),
      end: a.to === undefined ? '' : wireTime(a.to),
    },
  };
}

// ---------------------------------------------------------------------------------------------------------
// 4.20 queryImgByName, 4.22 RemoteLiftRod

export function queryImgByNameBody(parkNumber: string, names: readonly string[]): QueryImgByNameRequest {
  return { parkNumber, datas: [...names] };
}

export function remoteLiftRodBody(parkNumber: string, passagewayId: string): RemoteLiftRodRequest {
  return { parkNumber, passagewayId };
}

// ---------------------------------------------------------------------------------------------------------
// 4.23 coupon

interface CouponCommon {
  /** Ours; never reused. */
  couponCode: string;
  /** The stay (4.2 orderId). */
  orderId: string;
  plate: string;
  /** Valid until. */
  end: TimeArg;
}
/** An hour coupon: `position` is MINUTES (couponModeId "0"). */
export interface TimeCouponArgs extends CouponCommon {
  kind: 'time';
  minutes: number;
}
/** A money coupon: `position` is FEN (couponModeId "1"); fen stays fen on the wire. */
export interface MoneyCouponArgs extends CouponCommon {
  kind: 'money';
  fen: number;
}
export type CouponArgs = TimeCouponArgs | MoneyCouponArgs;

export function couponBody(parkNumber: string, coupons: readonly CouponArgs[]): CouponRequest {
  const datas: Coupon[] = coupons.map((c, i) => ({
    id: String(i + 1), // serial number from 1
    couponCode: c.couponCode,
    couponModeId: c.kind === 'time' ? '0' : '1',
    end: wireTime(c.end),
    orderId: c.orderId,
    plate: c.plate,
    position: String(c.kind === 'time' ? c.minutes : c.fen),
  }));
  return { parkNumber, datas };
}

// ---------------------------------------------------------------------------------------------------------
// 4.29 unlicensedCarIn, 4.30 unlicensedCarOut

/** "1" WeChat (openId), "2" Alipay (uid), "3" other. The same in and out. */
export type CodeKind = keyof typeof CODE_KINDS;

export interface UnlicensedArgs {
  codeKind: CodeKind;
  /** WeChat openId / Alipay uid. */
  authId: string;
  /** The lane (4.21 passagewayId). */
  passagewayId: string;
  /** Our temporary plate, or "" (default) to let the lot make one. */
  ephemeralPlate?: string;
}

export function unlicensedCarInBody(parkNumber: string, a: UnlicensedArgs): UnlicensedCarInRequest {
  return {
    parkNumber,
    method: 'unlicensedCarIn',
    codeKind: a.codeKind,
    authId: a.authId,
    passagewayId: a.passagewayId,
    ephemeralPlate: a.ephemeralPlate ?? '',
  };
}

export function unlicensedCarOutBody(parkNumber: string, a: UnlicensedArgs): UnlicensedCarOutRequest {
  return { ...unlicensedCarInBody(parkNumber, a), method: 'unlicensedCarOut' };
}

// ---------------------------------------------------------------------------------------------------------
// 4.33 getAllSpaceStatus, 4.34 getSpaceStatusByPlate

export function getAllSpaceStatusBody(parkNumber: string): GetAllSpaceStatusRequest {
  return { parkNumber, method: 'getAllSpaceStatus' };
}

export function getSpaceStatusByPlateBody(parkNumber: string, plate: string): GetSpaceStatusByPlateRequest {
  return { parkNumber, method: 'getSpaceStatusByPlate', plate };
}
