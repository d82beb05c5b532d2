/**
 * What a sandbox park shows of itself: the 4.2 entry and 4.3 exit records of a stay, and the readable dump
 * of everything (times in China time, money in yuan) that the control API and the playground show.
 */
import type { EntryRecord, ExitRecord } from '../../../shared/bluecard';
import { fenToYuan as yuan } from '../../../shared/money';
import { formatChinaTime } from '../../../shared/time';
import type { ParkState } from './park';
import type { Car, Priced } from './park-model';

export function placeInfo(park: ParkState, car: Car): { areaName: string; placeNumber: string; memo: string }[] {
  return [{ areaName: park.area(car.areaId)?.name ?? '', placeNumber: car.spaceId ?? '', memo: 'currentArea' }];
}

/** The 4.2 entry record of a stay. */
export function entryRecord(park: ParkState, car: Car): EntryRecord {
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
    placeInfo: placeInfo(park, car),
  };
}

/** The 4.3 exit record of a stay, priced as it leaves. */
export function exitRecord(park: ParkState, car: Car, priced: Priced): ExitRecord {
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
      outTime: formatChinaTime(car.outTime ?? park.now()),
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
    placeInfo: placeInfo(park, car),
  };
}

/** Everything, readable (times in China time, money in yuan). */
export function dumpPark(park: ParkState) {
  const t = (ms: number | undefined) => (ms === undefined ? undefined : formatChinaTime(ms));
  const carView = (c: Car) => {
    const priced = c.outTime === undefined ? park.price(c) : undefined;
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
    parkNumber: park.parkNumber,
    name: park.name,
    now: t(park.now()),
    tariff: park.tariff,
    lanes: park.lanes,
    areas: park.areas,
    counts: park.counts(),
    spaces: park.spaces.map((s) => {
      const car = park.inPark().find((c) => c.spaceId === s.spaceId);
      return { ...s, occupiedBy: car?.orderId, plate: car?.plate };
    }),
    cars: park.inPark().map(carView),
    departed: [...park.cars.values()].filter((c) => c.outTime !== undefined).map(carView),
    payments: [...park.payments.values()].map((p) => ({ ...p, amount: yuan(p.fen), quoted: yuan(p.quotedFen), receivedAt: t(p.receivedAt) })),
    quotes: [...park.quotes.values()].map((q) => ({ ...q, payCharge: yuan(q.payChargeFen), getTime: q.getTimeText })),
    coupons: [...park.coupons.values()].map((c) => ({ ...c, end: c.endText, receivedAt: t(c.receivedAt) })),
    white: [...park.lists.white.values()].map((w) => ({ ...w.entry, source: w.source, fixedId: w.fixedId, updatedAt: t(w.updatedAt) })),
    black: [...park.lists.black.values()].map((b) => ({ ...b, updatedAt: t(b.updatedAt) })),
    bookings: [...park.lists.bookings.values()].map((b) => ({
      ...b.booking,
      downTime: t(b.downTime),
      cancelled: b.cancelled,
      orderId: b.orderId,
      inTime: t(b.inTime),
      completed: b.completed,
    })),
    lifts: park.lifts.map((l) => ({ ...l, at: t(l.at) })),
    images: park.images.names(),
    downCalls: park.downCalls.slice(-100).map((d) => ({ ...d, at: t(d.at) })),
  };
}
