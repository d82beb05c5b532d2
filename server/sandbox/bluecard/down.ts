/**
 * Bluecard's side of the down interfaces (we → Bluecard, POST /bcopenapi/out/<name>): each handler takes
 * a request already checked by the EXACT request schema (ours must be exact) and answers the datas of a
 * success, or throws BluecardFail with the reason text. The router (server.ts) checks sign and schema and
 * wraps the datas in the envelope.
 */
import {
  type CouponRequest,
  type DelBlackRequest,
  type DelWhiteRequest,
  type GetAllSpaceStatusRequest,
  type GetChargebfRequest,
  type GetSpaceStatusByPlateRequest,
  type QueryBlackRequest,
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
  UNLICENSED_PLATE,
} from '../../../shared/bluecard';
import { yuanToFen } from '../../../shared/money';
import { normalizePlate } from '../../../shared/plate';
import { formatChinaTime, parseChinaTime } from '../../../shared/time';
import { BluecardFail, type ParkState, Refusal } from './park';

const stamp = (park: ParkState) => ({ timeStamp: String(park.now()) });

// Requests arrive parsed by the exact schema as `unknown`; each handler names its type.
type Handler = (park: ParkState, body: never) => unknown;

function getChargebf(park: ParkState, r: GetChargebfRequest) {
  const car = park.cars.get(r.orderId);
  if (!car) throw new BluecardFail('订单不存在');
  if (car.outTime !== undefined) throw new BluecardFail('车辆已出场');
  if (r.plate !== '' && normalizePlate(r.plate) !== normalizePlate(car.plate)) throw new BluecardFail('车牌与订单不符');
  if (r.plate === '' && car.plate !== '' && !car.unlicensed) throw new BluecardFail('车牌与订单不符');
  if (r.ticketCode !== '' && r.ticketCode !== car.ticketCode) throw new BluecardFail('票号与订单不符');
  const { quote, priced } = park.quote(car, '0', Number(r.couponTime) * 60, '4.4');
  return park.stayPrice(car, quote, priced);
}

function sendPayRes(park: ParkState, r: SendPayResRequest) {
  const { payment } = park.recordOnlinePayment({
    payNo: r.transactionID,
    orderId: r.orderId,
    outTradeNo: r.outTradeNo,
    plate: r.plate,
    fen: yuanToFen(r.realCharge),
    quotedFen: yuanToFen(r.payCharge),
    payTime: r.payTime,
    getTime: r.getTime,
    payKind: r.payType,
    payChannel: r.payChannel,
    via: '4.5',
    strictQuote: true,
  });
  return { transactionID: payment.payNo, orderId: payment.orderId, timeStamp: String(park.now()) };
}

function knownAreas(park: ParkState, areaIds: (number | undefined)[]) {
  for (const id of areaIds) if (id === undefined || !park.area(id)) throw new BluecardFail(`区域不存在: ${String(id)}`);
}

/** When the lot last answered a synWhite of a park (4.6: the next may come ≥5 s after it). */
const lastSynWhiteAnswer = new WeakMap<ParkState, number>();
/** 4.6: "每次请求距离上次蓝卡返回时间间隔不低于 5s". */
export const SYN_WHITE_MIN_GAP_MS = 5_000;

function synWhite(park: ParkState, r: SynWhiteRequest) {
  const now = park.now();
  const last = lastSynWhiteAnswer.get(park);
  lastSynWhiteAnswer.set(park, now);
  if (last !== undefined && now - last < SYN_WHITE_MIN_GAP_MS) {
    throw new BluecardFail(`请求过于频繁: 距上次返回 ${now - last} ms, 不足 5 秒`);
  }
  const plates = new Set<string>();
  for (const e of r.datas) {
    const k = normalizePlate(e.plate);
    if (plates.has(k)) throw new BluecardFail(`车牌重复: ${e.plate}`);
    plates.add(k);
    knownAreas(park, e.areasAndValidity.map((a) => a.areaId));
    if (e.start > e.end) throw new BluecardFail(`生效日期晚于失效日期: ${e.plate}`);
  }
  for (const e of r.datas) park.upsertWhite(e, '1');
  return stamp(park);
}

function delWhite(park: ParkState, r: DelWhiteRequest) {
  // plate "" clears the whole ONLINE whitelist (4.7); offline entries belong to the lot.
  if (r.plate === '') {
    for (const [k, w] of park.white) if (w.source === '1') park.white.delete(k);
  } else {
    const k = normalizePlate(r.plate);
    if (park.white.get(k)?.source === '1') park.white.delete(k);
  }
  return stamp(park);
}

function queryWhite(park: ParkState, r: QueryWhiteRequest) {
  return r.datas
    .map((d) => park.white.get(normalizePlate(d.plate)))
    .filter((w) => w !== undefined && w.source === '1')
    .map((w) => ({ ...w!.entry, timeStamp: String(w!.updatedAt) }));
}

function synBlack(park: ParkState, r: SynBlackRequest) {
  for (const e of r.datas) {
    park.black.set(normalizePlate(e.plate), { plate: e.plate, memo: e.memo, source: r.source, updatedAt: park.now() });
  }
  return stamp(park);
}

function delBlack(park: ParkState, r: DelBlackRequest) {
  if (r.plate === '') park.black.clear();
  else park.black.delete(normalizePlate(r.plate));
  return stamp(park);
}

function queryBlack(park: ParkState, r: QueryBlackRequest) {
  return r.datas
    .map((d) => park.black.get(normalizePlate(d.plate)))
    .filter((b) => b !== undefined)
    .map((b) => ({ plate: b!.plate, memo: b!.memo }));
}

function synBookingCar(park: ParkState, r: SynBookingCarRequest) {
  // New bookings per area key in this call, so one call cannot take more than is left.
  const taking = new Map<string, number>();
  for (const b of r.datas) {
    if (b.areaId !== '0' && !park.area(Number(b.areaId))) throw new BluecardFail(`区域不存在: ${b.areaId}`);
    if (b.flag === '0' && !park.bookings.has(b.bookOrderId)) throw new BluecardFail(`预约订单不存在: ${b.bookOrderId}`);
    if (b.flag === '1' && park.bookings.get(b.bookOrderId)?.cancelled) throw new BluecardFail(`预约订单已取消: ${b.bookOrderId}`);
    if (b.flag === '1' && !park.bookings.has(b.bookOrderId)) {
      const i = park.bookingRefusals.findIndex((x) => x.remaining > 0 && (x.plateKey === undefined || x.plateKey === normalizePlate(b.plate)));
      if (i >= 0) {
        const refusal = park.bookingRefusals[i]!;
        refusal.remaining -= 1;
        if (refusal.remaining === 0) park.bookingRefusals.splice(i, 1);
        throw new BluecardFail(refusal.errorCode);
      }
      // The lot's own capacity: an area's bookable spaces, and the whole lot's for any-area bookings.
      for (const key of b.areaId === '0' ? ['0'] : [b.areaId, '0']) {
        const n = (taking.get(key) ?? 0) + 1;
        if (park.bookableLeft(key) < n) throw new BluecardFail(`可预约车位不足: ${key === '0' ? '全场' : `区域 ${key}`}`);
        taking.set(key, n);
      }
    }
  }
  const now = park.now();
  for (const b of r.datas) {
    const existing = park.bookings.get(b.bookOrderId);
    if (b.flag === '1') {
      park.bookings.set(b.bookOrderId, {
        booking: { ...b },
        downTime: existing?.downTime ?? now,
        cancelled: false,
        orderId: existing?.orderId,
        inTime: existing?.inTime,
        completed: existing?.completed ?? false,
      });
    } else if (existing) {
      existing.cancelled = true;
      existing.cancelledAt = now;
    }
  }
  return stamp(park);
}

function queryBookingCar(park: ParkState, r: QueryBookingCarRequest) {
  const plates = new Set(r.datas.plateList.map(normalizePlate));
  const { start, end } = r.datas;
  const bookList = [...park.bookings.values()]
    .filter((b) => !b.cancelled && !b.completed)
    .filter((b) => plates.size === 0 || plates.has(normalizePlate(b.booking.plate)))
    // Time filter: the booking overlaps [start, end] (same-format times compare as strings).
    .filter((b) => start === '' || (b.booking.start <= end && b.booking.end >= start))
    .map((b) => ({
      plate: b.booking.plate,
      start: b.booking.start,
      end: b.booking.end,
      downTime: formatChinaTime(b.downTime),
      inTime: b.inTime === undefined ? '' : formatChinaTime(b.inTime),
      bookOrderId: b.booking.bookOrderId,
      bookOrderTime: b.booking.bookOrderTime,
      letInStartTime: b.booking.letInStartTime,
      letInEndTime: b.booking.letInEndTime,
      memo: b.booking.memo,
    }));
  return { timeStamp: String(park.now()), bookList };
}

function queryImgByName(park: ParkState, r: QueryImgByNameRequest) {
  // Names must come back exactly as the records spelled them (4.20): no trimming, no decoding.
  const imageList = r.datas.filter((n) => park.images.has(n)).map((n) => ({ imageName: n, imageURL: park.imageUrl(n) }));
  if (imageList.length === 0) throw new BluecardFail('图片不存在');
  return { timeStamp: String(park.now()), imageList };
}

function remoteLiftRod(park: ParkState, r: RemoteLiftRodRequest) {
  park.lift(r.passagewayId, '4.22');
  return stamp(park);
}

function coupon(park: ParkState, r: CouponRequest) {
  park.addCoupons(
    r.datas.map((c) => ({
      id: c.id,
      couponCode: c.couponCode,
      couponModeId: c.couponModeId,
      end: c.end,
      endMs: parseChinaTime(c.end).getTime(),
      orderId: c.orderId,
      plate: c.plate,
      position: Number(c.position),
    })),
  );
  return stamp(park);
}

function refusalToFail<T>(f: () => T): T {
  try {
    return f();
  } catch (e) {
    if (e instanceof Refusal) {
      const text: Record<string, string> = {
        unknown_lane: '通道不存在',
        not_an_entry_lane: '通道不是入口',
        not_an_exit_lane: '通道不是出口',
        already_in_park: '车辆已在场',
        blacklisted: '黑名单车辆,禁止入场',
        full: '车位已满',
        not_in_park: '未找到入场记录',
      };
      throw new BluecardFail(text[e.code] ?? e.message);
    }
    throw e;
  }
}

function unlicensedCarIn(park: ParkState, r: UnlicensedCarInRequest) {
  const lane = park.lanes.find((l) => l.passagewayId === r.passagewayId);
  if (!lane) throw new BluecardFail('通道不存在');
  if (lane.direction !== 'in') throw new BluecardFail('通道不是入口');
  // Scanning twice at the entry gives the same stay (the driver's phone retried).
  const car =
    park.carByAuth(r.codeKind, r.authId) ??
    refusalToFail(() =>
      park.arrive({ lane: lane.passagewayId, codeKind: r.codeKind, authId: r.authId, ephemeralPlate: r.ephemeralPlate }),
    );
  return { plate: car.plate, inTime: formatChinaTime(car.inTime), inImage: car.inImage };
}

function unlicensedCarOut(park: ParkState, r: UnlicensedCarOutRequest) {
  const lane = park.lanes.find((l) => l.passagewayId === r.passagewayId);
  if (!lane) throw new BluecardFail('通道不存在');
  if (lane.direction !== 'out') throw new BluecardFail('通道不是出口');
  const car = park.carByAuth(r.codeKind, r.authId);
  if (!car) throw new BluecardFail('未找到入场记录');
  if (r.ephemeralPlate !== '' && normalizePlate(r.ephemeralPlate) !== normalizePlate(car.plate)) throw new BluecardFail('临时车牌与入场记录不符');
  // The driver stands at this exit: a payment that settles the stay opens it.
  car.waitingAt = lane.passagewayId;
  const { quote, priced } = park.quote(car, lane.passagewayId, 0, '4.30');
  return park.stayPrice(car, quote, priced);
}

function spaceCarType(carType: string): string {
  return carType === '固定车' ? '固定车' : '临时车';
}

function getAllSpaceStatus(park: ParkState, _r: GetAllSpaceStatusRequest) {
  const cars = park.inPark();
  return park.spaces.map((s) => {
    const car = cars.find((c) => c.spaceId === s.spaceId);
    return {
      layerId: s.layerId,
      layerName: s.layerName,
      spaceId: s.spaceId,
      rateState: car ? 1 : 0,
      plate: car ? (car.plate === '' ? UNLICENSED_PLATE : car.plate) : '',
      carType: car ? spaceCarType(car.carType) : '',
    };
  });
}

function getSpaceStatusByPlate(park: ParkState, r: GetSpaceStatusByPlateRequest) {
  const q = normalizePlate(r.plate);
  const cars = park
    .inPark()
    .filter((c) => c.spaceId !== undefined)
    .filter((c) => (q === '' ? c.unlicensed : c.plate !== '' && normalizePlate(c.plate).includes(q)));
  return cars.map((c) => {
    const s = park.spaces.find((x) => x.spaceId === c.spaceId)!;
    return {
      layerId: s.layerId,
      layerName: s.layerName,
      spaceId: s.spaceId,
      plate: c.unlicensed ? UNLICENSED_PLATE : c.plate,
      carType: c.unlicensed ? '临时车' : spaceCarType(c.carType),
      imgPath: park.imageUrl(c.inImage),
      space_x: String(s.x),
      space_y: String(s.y),
    };
  });
}

/** Down interfaces by their /bcopenapi/out/<path> tail → section and handler. */
export const DOWN_HANDLERS: Record<string, { section: string; handle: Handler }> = {
  getChargebf: { section: '4.4', handle: getChargebf as Handler },
  sendPayRes: { section: '4.5', handle: sendPayRes as Handler },
  synWhite: { section: '4.6', handle: synWhite as Handler },
  delWhite: { section: '4.7', handle: delWhite as Handler },
  queryWhite: { section: '4.8', handle: queryWhite as Handler },
  synBlack: { section: '4.9', handle: synBlack as Handler },
  delBlack: { section: '4.10', handle: delBlack as Handler },
  queryBlack: { section: '4.11', handle: queryBlack as Handler },
  synBookingCar: { section: '4.18', handle: synBookingCar as Handler },
  queryBookingCar: { section: '4.19', handle: queryBookingCar as Handler },
  queryImgByName: { section: '4.20', handle: queryImgByName as Handler },
  RemoteLiftRod: { section: '4.22', handle: remoteLiftRod as Handler },
  coupon: { section: '4.23', handle: coupon as Handler },
  unlicensedCarIn: { section: '4.29', handle: unlicensedCarIn as Handler },
  unlicensedCarOut: { section: '4.30', handle: unlicensedCarOut as Handler },
  getAllSpaceStatus: { section: '4.33', handle: getAllSpaceStatus as Handler },
  getSpaceStatusByPlate: { section: '4.34', handle: getSpaceStatusByPlate as Handler },
};
