/**
 * Bookings (down): 4.18 synBookingCar (issue flag "1" / cancel flag "0"), 4.19 queryBookingCar.
 *
 * Required (tolerant) in Bluecard's 4.19 answer: each booking's `bookOrderId` (what we reconcile on);
 * a missing datas reads as { timeStamp: "", bookList: [] }.
 */
import type { z } from 'zod';
import { type Kit, type Problem, downMessage, timeStampDatasOf } from './common';

/** 4.18 flag. */
export const BOOKING_FLAGS = { '0': 'cancel', '1': 'book' } as const;
/** 4.18 areaId meaning "any area". */
export const ANY_AREA = '0';

/** Exact times compare as strings; "" means "not set". */
function ordered(value: Record<string, unknown>, from: string, to: string, path: (string | number)[] = []): Problem[] {
  const a = value[from];
  const b = value[to];
  return typeof a === 'string' && typeof b === 'string' && a !== '' && b !== '' && a > b
    ? [{ path: [...path, to], message: `${to} is before ${from}` }]
    : [];
}

export const bookingOf = (k: Kit) =>
  k.obj(
    {
      plate: k.needRaw(),
      start: k.needTime(),
      end: k.needTime(),
      areaId: k.str(), // 字符串 here (Int elsewhere); "0" = any area
      flag: k.code(['0', '1']), // "1" book, "0" cancel
      charge: k.money(),
      bookOrderId: k.id(),
      bookOrderTime: k.needTime(),
      letInStartTime: k.needTime(), // the car may enter from…
      letInEndTime: k.needTime(), // …until
      memo: k.str(),
    },
    {
      exactCheck: (b) => [
        ...ordered(b as Record<string, unknown>, 'start', 'end'),
        ...ordered(b as Record<string, unknown>, 'letInStartTime', 'letInEndTime'),
      ],
    },
  );

// ---------------------------------------------------------------------------------------------------------
// 4.18 synBookingCar

const synBookingCar = downMessage(
  (k) => k.obj({ parkNumber: k.id(), datas: k.needArr(bookingOf(k), { min: 1 }) }),
  timeStampDatasOf,
);
export const synBookingCarRequest = synBookingCar.request;
export const synBookingCarRequestTolerant = synBookingCar.requestTolerant;
export const synBookingCarAnswerDatas = synBookingCar.answerDatas;
export const synBookingCarAnswerDatasExact = synBookingCar.answerDatasExact;
export const synBookingCarAnswer = synBookingCar.answer;
export const synBookingCarAnswerExact = synBookingCar.answerExact;
export type SynBookingCarRequest = z.output<typeof synBookingCarRequest>;
export type Booking = SynBookingCarRequest['datas'][number];
export type SynBookingCarAnswerDatas = z.output<typeof synBookingCarAnswerDatas>;

// ---------------------------------------------------------------------------------------------------------
// 4.19 queryBookingCar — open bookings by plates and/or time: plateList [] = any plate; start/end "" = any time

const queryBookingCar = downMessage(
  (k) =>
    k.obj({
      parkNumber: k.id(),
      datas: k.obj(
        { plateList: k.needArr(k.needRaw()), start: k.timeOrEmpty(), end: k.timeOrEmpty() },
        {
          exactCheck: (d) =>
            (d.start === '') !== (d.end === '')
              ? [{ path: [d.start === '' ? 'start' : 'end'], message: 'start and end: both set or both ""' }]
              : ordered(d as Record<string, unknown>, 'start', 'end'),
        },
      ),
    }),
  (k) =>
    k.optObj({
      timeStamp: k.stamp(),
      bookList: k.arr(
        k.obj({
          plate: k.raw(),
          start: k.time(),
          end: k.time(),
          downTime: k.time(), // when it reached the lot
          inTime: k.timeOrEmpty(), // "" while the car has not entered
          bookOrderId: k.id(),
          bookOrderTime: k.time(),
          letInStartTime: k.time(),
          letInEndTime: k.time(),
          memo: k.str(),
        }),
      ),
    }),
);
export const queryBookingCarRequest = queryBookingCar.request;
export const queryBookingCarRequestTolerant = queryBookingCar.requestTolerant;
export const queryBookingCarAnswerDatas = queryBookingCar.answerDatas;
export const queryBookingCarAnswerDatasExact = queryBookingCar.answerDatasExact;
export const queryBookingCarAnswer = queryBookingCar.answer;
export const queryBookingCarAnswerExact = queryBookingCar.answerExact;
export type QueryBookingCarRequest = z.output<typeof queryBookingCarRequest>;
export type QueryBookingCarAnswerDatas = z.output<typeof queryBookingCarAnswerDatas>;
export type BookedCar = QueryBookingCarAnswerDatas['bookList'][number];
