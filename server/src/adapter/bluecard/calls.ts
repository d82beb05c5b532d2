/**
 * Every down interface (we → Bluecard) with its schemas from shared/bluecard and the client's policy for
 * it: automatic retries, timeout, pacing. The table comment at the top of client.ts explains the policy.
 */
import { APP_GIVE_UP_MS } from '../../../../shared/api/contract';
import {
  type BluecardAnswer,
  type Schema,
  type Section,
  SYN_WHITE_INTERVAL_MS,
  bluecardInterfaces,
  couponAnswer,
  couponRequest,
  delBlackAnswer,
  delBlackRequest,
  delWhiteAnswer,
  delWhiteRequest,
  getAllSpaceStatusAnswer,
  getAllSpaceStatusRequest,
  getChargebfAnswer,
  getChargebfRequest,
  getSpaceStatusByPlateAnswer,
  getSpaceStatusByPlateRequest,
  queryBlackAnswer,
  queryBlackRequest,
  queryBookingCarAnswer,
  queryBookingCarRequest,
  queryImgByNameAnswer,
  queryImgByNameRequest,
  queryWhiteAnswer,
  queryWhiteRequest,
  remoteLiftRodAnswer,
  remoteLiftRodRequest,
  sendPayResAnswer,
  sendPayResRequest,
  synBlackAnswer,
  synBlackRequest,
  synBookingCarAnswer,
  synBookingCarRequest,
  synWhiteAnswer,
  synWhiteRequest,
  unlicensedCarInAnswer,
  unlicensedCarInRequest,
  unlicensedCarOutAnswer,
  unlicensedCarOutRequest,
} from '../../../../shared/bluecard';

/**
 * Who may repeat a request after a transient failure:
 * - 'auto': harmless to repeat; the client retries by itself (queries, upserts/deletes keyed by plate);
 * - 'caller': harmless to repeat with the SAME identifiers, but the caller owns it (sendPayRes: its durable
 *   delivery job with a stable transactionID; synBookingCar: bookOrderId; unlicensedCarOut: prices only);
 * - 'never': a repeat has a second effect in the lot (a second barrier opening, a second coupon).
 */
export type Repeat = 'auto' | 'caller' | 'never';

export interface DownCall<Q, D> {
  /** The client's method name (the key of DOWN_CALLS). */
  name: DownCallName;
  section: Section;
  /** The tail of /bcopenapi/out/<path>. */
  path: string;
  /** "4.4 getChargebf", used in errors and logs. */
  label: string;
  /** Exact: what we send. */
  request: Schema<Q>;
  /** Tolerant: what Bluecard answers. */
  answer: Schema<BluecardAnswer<D>>;
  repeat: Repeat;
  timeoutMs: number;
  /**
   * A driver waits on this call: the whole call — every attempt and the waits between them — gives up
   * after this long, so the server answers before the app does (see DRIVER_WAIT_BUDGET_MS).
   */
  budgetMs?: number;
  /** At least this long between Bluecard's answer and our next call of this interface for the same park. */
  paceMs?: number;
}

/** Timeout of an ordinary call. */
export const DEFAULT_TIMEOUT_MS = 5_000;
/** Timeout of a call that may carry or return a long list. */
export const HEAVY_TIMEOUT_MS = 10_000;
/**
 * The whole of a call a driver's screen waits on (4.4 fee, 4.30 unlicensed exit fee, 4.34 find a car):
 * retries included, the server answers `lot_slow` after at most this long — clearly before the app gives up
 * (APP_GIVE_UP_MS, shared/api/contract.ts), which would otherwise blame the driver's network for a slow lot.
 */
export const DRIVER_WAIT_BUDGET_MS = 8_000;
/** A retry is not started with less than this left of a budget (it could not get an answer anyway). */
export const MIN_ATTEMPT_MS = 1_000;
if (DRIVER_WAIT_BUDGET_MS + 5_000 > APP_GIVE_UP_MS) throw new Error('the driver wait budget must leave the app time to hear the answer');
/** Waits before the 2nd and 3rd attempt of an 'auto' call. */
export const DEFAULT_BACKOFF_MS: readonly number[] = [200, 600];
/** At most this many entries per synWhite (4.6) and, to be safe, per synBlack call. */
export const LIST_CHUNK_MAX = 50;
/**
 * 4.6: ≥5 s between a synWhite and Bluecard's previous answer. 4.9 synBlack states no pacing; we apply the
 * same to it, to be safe: the lot's list engine is the same and a blacklist push is rarely urgent.
 */
export const LIST_PACE_MS = SYN_WHITE_INTERVAL_MS;

function downCall<Q, D>(
  name: DownCallName,
  section: Section,
  request: Schema<Q>,
  answer: Schema<BluecardAnswer<D>>,
  policy: { repeat: Repeat; timeoutMs?: number; paceMs?: number; budgetMs?: number },
): DownCall<Q, D> {
  const registered = bluecardInterfaces[section];
  const path = registered.path;
  if (registered.direction !== 'down' || path === undefined) throw new Error(`${section} is not a down interface`);
  return {
    name,
    section,
    path,
    label: `${section} ${path}`,
    request,
    answer,
    repeat: policy.repeat,
    timeoutMs: policy.timeoutMs ?? DEFAULT_TIMEOUT_MS,
    ...(policy.paceMs === undefined ? {} : { paceMs: policy.paceMs }),
    ...(policy.budgetMs === undefined ? {} : { budgetMs: policy.budgetMs }),
  };
}

export const DOWN_CALLS = {
  getChargebf: downCall('getChargebf', '4.4', getChargebfRequest, getChargebfAnswer, { repeat: 'auto', budgetMs: DRIVER_WAIT_BUDGET_MS }),
  sendPayRes: downCall('sendPayRes', '4.5', sendPayResRequest, sendPayResAnswer, { repeat: 'caller' }),
  synWhite: downCall('synWhite', '4.6', synWhiteRequest, synWhiteAnswer, { repeat: 'auto', timeoutMs: HEAVY_TIMEOUT_MS, paceMs: LIST_PACE_MS }),
  delWhite: downCall('delWhite', '4.7', delWhiteRequest, delWhiteAnswer, { repeat: 'auto' }),
  queryWhite: downCall('queryWhite', '4.8', queryWhiteRequest, queryWhiteAnswer, { repeat: 'auto', timeoutMs: HEAVY_TIMEOUT_MS }),
  synBlack: downCall('synBlack', '4.9', synBlackRequest, synBlackAnswer, { repeat: 'auto', timeoutMs: HEAVY_TIMEOUT_MS, paceMs: LIST_PACE_MS }),
  delBlack: downCall('delBlack', '4.10', delBlackRequest, delBlackAnswer, { repeat: 'auto' }),
  queryBlack: downCall('queryBlack', '4.11', queryBlackRequest, queryBlackAnswer, { repeat: 'auto', timeoutMs: HEAVY_TIMEOUT_MS }),
  synBookingCar: downCall('synBookingCar', '4.18', synBookingCarRequest, synBookingCarAnswer, { repeat: 'caller' }),
  queryBookingCar: downCall('queryBookingCar', '4.19', queryBookingCarRequest, queryBookingCarAnswer, { repeat: 'auto', timeoutMs: HEAVY_TIMEOUT_MS }),
  queryImgByName: downCall('queryImgByName', '4.20', queryImgByNameRequest, queryImgByNameAnswer, { repeat: 'auto' }),
  remoteLiftRod: downCall('remoteLiftRod', '4.22', remoteLiftRodRequest, remoteLiftRodAnswer, { repeat: 'never' }),
  coupon: downCall('coupon', '4.23', couponRequest, couponAnswer, { repeat: 'never' }),
  unlicensedCarIn: downCall('unlicensedCarIn', '4.29', unlicensedCarInRequest, unlicensedCarInAnswer, { repeat: 'never' }),
  unlicensedCarOut: downCall('unlicensedCarOut', '4.30', unlicensedCarOutRequest, unlicensedCarOutAnswer, { repeat: 'caller', budgetMs: DRIVER_WAIT_BUDGET_MS }),
  getAllSpaceStatus: downCall('getAllSpaceStatus', '4.33', getAllSpaceStatusRequest, getAllSpaceStatusAnswer, { repeat: 'auto', timeoutMs: HEAVY_TIMEOUT_MS }),
  getSpaceStatusByPlate: downCall('getSpaceStatusByPlate', '4.34', getSpaceStatusByPlateRequest, getSpaceStatusByPlateAnswer, {
    repeat: 'auto',
    timeoutMs: HEAVY_TIMEOUT_MS, // plate "" lists every unlicensed car
    budgetMs: DRIVER_WAIT_BUDGET_MS, // a driver's "find my car" waits on it
  }),
} as const satisfies Record<DownCallName, unknown>;

/** The down interfaces by the client's method name. */
export const DOWN_CALL_NAMES = [
  'getChargebf',
  'sendPayRes',
  'synWhite',
  'delWhite',
  'queryWhite',
  'synBlack',
  'delBlack',
  'queryBlack',
  'synBookingCar',
  'queryBookingCar',
  'queryImgByName',
  'remoteLiftRod',
  'coupon',
  'unlicensedCarIn',
  'unlicensedCarOut',
  'getAllSpaceStatus',
  'getSpaceStatusByPlate',
] as const;
export type DownCallName = (typeof DOWN_CALL_NAMES)[number];
