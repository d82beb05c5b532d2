/**
 * Bluecard cloud-to-cloud protocol v2.6.0: schemas and types of every interface 4.1–4.34, and a registry.
 *
 * Naming: for each interface `<name>Request`, `<name>AnswerDatas`, `<name>Answer` are the flavour its
 * sender calls for — tolerant for what Bluecard sends (up requests, answers to our down calls), exact for
 * what we send (up answers, down requests). `…Exact` / `…Tolerant` twins are the other flavour.
 * See common.ts for the rules of each flavour.
 */
import type { z } from 'zod';
import * as booking from './booking';
import * as lanepay from './lanepay';
import * as lists from './lists';
import * as misc from './misc';
import * as pricing from './pricing';
import * as records from './records';

export * from './common';
export * from './records';
export * from './pricing';
export * from './lists';
export * from './lanepay';
export * from './booking';
export * from './misc';
export * from './upcommon';

export type Direction = 'up' | 'down';

/** What the registry says about one interface. */
export interface BluecardInterface {
  /** "4.2" */
  section: string;
  /** up: Bluecard calls us (our URL); down: we call Bluecard at /bcopenapi/out/<path>. */
  direction: Direction;
  /** Our name of the interface (the prefix of its schema names). */
  name: string;
  /** down: the tail of /bcopenapi/out/<path>; up: undefined (the URL is ours to choose). */
  path: string | undefined;
  /** The `method` field the request carries (4.28–4.34), if any. */
  method: string | undefined;
  /** The request in the flavour of its sender (up: tolerant, down: exact). */
  request: z.ZodType;
  /** The answer's datas in the flavour of its sender (up: exact, down: tolerant); undefined when there is none. */
  answerDatas: z.ZodType | undefined;
  /** The whole answer envelope in the flavour of its sender. */
  answer: z.ZodType;
  /** The same three in the other flavour (a fake Bluecard in tests, reading the spec's examples). */
  mirror: { request: z.ZodType; answerDatas: z.ZodType | undefined; answer: z.ZodType };
}

const up = (
  section: string,
  name: string,
  method: string | undefined,
  s: {
    request: z.ZodType;
    requestExact: z.ZodType;
    answerDatas: z.ZodType | undefined;
    answerDatasTolerant: z.ZodType | undefined;
    answer: z.ZodType;
    answerTolerant: z.ZodType;
  },
): BluecardInterface => ({
  section,
  direction: 'up',
  name,
  path: undefined,
  method,
  request: s.request,
  answerDatas: s.answerDatas,
  answer: s.answer,
  mirror: { request: s.requestExact, answerDatas: s.answerDatasTolerant, answer: s.answerTolerant },
});

const down = (
  section: string,
  name: string,
  path: string,
  method: string | undefined,
  s: {
    request: z.ZodType;
    requestTolerant: z.ZodType;
    answerDatas: z.ZodType;
    answerDatasExact: z.ZodType;
    answer: z.ZodType;
    answerExact: z.ZodType;
  },
): BluecardInterface => ({
  section,
  direction: 'down',
  name,
  path,
  method,
  request: s.request,
  answerDatas: s.answerDatas,
  answer: s.answer,
  mirror: { request: s.requestTolerant, answerDatas: s.answerDatasExact, answer: s.answerExact },
});

/** Gather `<name>Request`, `<name>AnswerDatas`… of one module into the shape up()/down() take. */
function parts(module: Record<string, unknown>, name: string) {
  const get = (suffix: string) => module[`${name}${suffix}`] as z.ZodType;
  return {
    request: get('Request'),
    requestExact: get('RequestExact'),
    requestTolerant: get('RequestTolerant'),
    answerDatas: get('AnswerDatas'),
    answerDatasTolerant: get('AnswerDatasTolerant'),
    answerDatasExact: get('AnswerDatasExact'),
    answer: get('Answer'),
    answerTolerant: get('AnswerTolerant'),
    answerExact: get('AnswerExact'),
  };
}

/**
 * Every live interface by section. 4.12 alterCarType is deprecated and has types only (see
 * DEPRECATED_INTERFACES). 4.27 and 4.28 have no datas (answerDatas undefined).
 */
export const bluecardInterfaces = {
  '4.1': up('4.1', 'heartbeat', undefined, parts(records, 'heartbeat')),
  '4.2': up('4.2', 'entryRecords', undefined, parts(records, 'entryRecords')),
  '4.3': up('4.3', 'exitRecords', undefined, parts(records, 'exitRecords')),
  '4.4': down('4.4', 'getChargebf', 'getChargebf', undefined, parts(pricing, 'getChargebf')),
  '4.5': down('4.5', 'sendPayRes', 'sendPayRes', undefined, parts(pricing, 'sendPayRes')),
  '4.6': down('4.6', 'synWhite', 'synWhite', undefined, parts(lists, 'synWhite')),
  '4.7': down('4.7', 'delWhite', 'delWhite', undefined, parts(lists, 'delWhite')),
  '4.8': down('4.8', 'queryWhite', 'queryWhite', undefined, parts(lists, 'queryWhite')),
  '4.9': down('4.9', 'synBlack', 'synBlack', undefined, parts(lists, 'synBlack')),
  '4.10': down('4.10', 'delBlack', 'delBlack', undefined, parts(lists, 'delBlack')),
  '4.11': down('4.11', 'queryBlack', 'queryBlack', undefined, parts(lists, 'queryBlack')),
  '4.13': up('4.13', 'preExitPricing', undefined, parts(pricing, 'preExitPricing')),
  '4.14': up('4.14', 'imageUpload', undefined, parts(records, 'imageUpload')),
  '4.15': up('4.15', 'chargeRecords', undefined, parts(records, 'chargeRecords')),
  '4.16': up('4.16', 'withholdOrQr', undefined, parts(lanepay, 'withholdOrQr')),
  '4.17': up('4.17', 'qrPayResult', undefined, parts(lanepay, 'qrPayResult')),
  '4.18': down('4.18', 'synBookingCar', 'synBookingCar', undefined, parts(booking, 'synBookingCar')),
  '4.19': down('4.19', 'queryBookingCar', 'queryBookingCar', undefined, parts(booking, 'queryBookingCar')),
  '4.20': down('4.20', 'queryImgByName', 'queryImgByName', undefined, parts(misc, 'queryImgByName')),
  '4.21': up('4.21', 'channels', undefined, parts(records, 'channels')),
  '4.22': down('4.22', 'remoteLiftRod', 'RemoteLiftRod', undefined, parts(misc, 'remoteLiftRod')),
  '4.23': down('4.23', 'coupon', 'coupon', undefined, parts(misc, 'coupon')),
  '4.24': up('4.24', 'faceToFacePay', undefined, parts(lanepay, 'faceToFacePay')),
  '4.25': up('4.25', 'faceToFacePoll', undefined, parts(lanepay, 'faceToFacePoll')),
  '4.26': up('4.26', 'faceToFaceCancel', undefined, parts(lanepay, 'faceToFaceCancel')),
  '4.27': up('4.27', 'channelPay', undefined, { ...parts(lanepay, 'channelPay'), answerDatas: undefined, answerDatasTolerant: undefined }),
  '4.28': up('4.28', 'openGate', 'opengate', { ...parts(lanepay, 'openGate'), answerDatas: undefined, answerDatasTolerant: undefined }),
  '4.29': down('4.29', 'unlicensedCarIn', 'unlicensedCarIn', 'unlicensedCarIn', parts(misc, 'unlicensedCarIn')),
  '4.30': down('4.30', 'unlicensedCarOut', 'unlicensedCarOut', 'unlicensedCarOut', parts(misc, 'unlicensedCarOut')),
  '4.31': up('4.31', 'renewals', 'parkingspacefee', parts(lists, 'renewals')),
  '4.32': up('4.32', 'fixedListUp', 'fixedListUp', parts(lists, 'fixedListUp')),
  '4.33': down('4.33', 'getAllSpaceStatus', 'getAllSpaceStatus', 'getAllSpaceStatus', parts(misc, 'getAllSpaceStatus')),
  '4.34': down('4.34', 'getSpaceStatusByPlate', 'getSpaceStatusByPlate', 'getSpaceStatusByPlate', parts(misc, 'getSpaceStatusByPlate')),
} as const satisfies Record<string, BluecardInterface>;

export type Section = keyof typeof bluecardInterfaces;

/** The live interfaces in section order. */
export const bluecardInterfaceList: readonly BluecardInterface[] = Object.values(bluecardInterfaces);

/** Deprecated interfaces: types only, never called. */
export const DEPRECATED_INTERFACES = [
  { section: '4.12', direction: 'down', name: 'alterCarType', path: 'alterCarType' },
] as const;

/** Down interface by its /bcopenapi/out/<path> tail. */
export function downInterface(path: string): BluecardInterface | undefined {
  return bluecardInterfaceList.find((i) => i.direction === 'down' && i.path === path);
}

/** The URL of a down call: `http://<host:port>/bcopenapi/out/<path>` (base without trailing slash or with). */
export function downUrl(base: string, path: string): string {
  return `${base.replace(/\/+$/, '')}/bcopenapi/out/${path}`;
}
