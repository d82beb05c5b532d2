/**
 * WeChat Pay's vehicle parking service (微信支付分停车服务 / 车主服务, API v3), the calls a parking cloud makes:
 *
 * - 查询车牌服务开通信息 GET  /v3/vehicle/parking/services/find           → findService
 * - 创建停车入场         POST /v3/vehicle/parking/parkings                → createEntry
 * - 扣费受理             POST /v3/vehicle/transactions/parking             → deduct
 * - 查询订单             GET  /v3/vehicle/transactions/out-trade-no/{no}   → queryDeduction
 * - 申请退款 / 查询单笔退款 POST /v3/refund/domestic/refunds, GET …/{no}   → refund / queryRefund (the common
 *   refund API, which the parking service's API list names for its deductions; sub_mchid in the body and the
 *   query in service-provider mode, 普通服务商 退款申请)
 * - both notifications (parking-notifications.ts)                          → verifyNotification
 *
 * Every call goes through WechatPayAdapter.signedRequest: the same request signing (wechatpay-node-v3), the
 * same answer-signature verification in either verification mode (platform certificate / WeChat Pay public
 * key), the same WechatPayError kinds and retryable flags, the same secret-free logging. Answers are checked
 * to be about what we asked (plate, openid, out_parking_no, out_trade_no, our merchant).
 *
 * Direct merchant (普通商户) by default; with `subMchid` the service-provider (普通服务商) shape: sub_mchid in every
 * query and body, sub_appid on deductions when configured.
 *
 * Decisions (what a state means for a stay) are not made here but in adapter/payments/wechat-withholding.ts.
 */
import type { Config } from '../../config';
import { type Clock, systemClock } from '../../core/clock';
import { type WechatPayAdapter, type WechatRefundView, refundView, toWechatTime } from './client';
import { WechatPayError, isWechatPayError } from './errors';
import type { RawAnswer } from './http';
import type { IncomingNotification } from './notifications';
import { type ParkingNotification, verifyParkingNotification } from './parking-notifications';
import {
  PLATE_COLORS,
  type PlateColor,
  type WechatParkingEntry,
  type WechatParkingTransaction,
  type WechatPlateService,
  parkingEntryAnswer,
  parkingTransaction,
  plateServiceAnswer,
} from './parking-wire';
import { wechatRefund } from './wire';
import type { ZodType } from 'zod';

export interface WechatParkingAdapterOptions {
  /** The merchant's v3 adapter: signing, answer verification, platform keys. */
  pay: WechatPayAdapter;
  /** The same merchant's config (its APIv3 key decrypts notifications). */
  config: Pick<NonNullable<Config['wechatPay']>, 'apiV3Key'>;
  /** Notification timestamps are checked against it (±5 minutes). Default: the system clock. */
  clock?: Clock;
  /** Service-provider mode: the sub-merchant (特约商户) the lots belong to. */
  subMchid?: string;
  /** Service-provider mode: the sub-merchant's appid shown on deductions (sub_appid). */
  subAppid?: string;
}

export interface PlateServiceView {
  /** NORMAL | PAUSE | OUT_SERVICE (or whatever WeChat adds later). */
  serviceState: string;
  openedAt?: Date;
  plateNumber: string;
  plateColor: string;
  service: WechatPlateService;
}

export interface CreateEntryInput {
  /** Ours, unique per merchant (1–64 printable characters); the same number again answers the same entry. */
  outParkingNo: string;
  plateNumber: string;
  plateColor: PlateColor;
  startTime: Date | number;
  parkingName: string;
  freeDurationSeconds: number;
  /** Where VEHICLE.ENTRANCE_STATE_CHANGE goes (no query string). */
  notifyUrl: string;
}

export interface ParkingEntryView {
  /** WeChat's parking_id: what the deduction names. */
  id: string;
  outParkingNo: string;
  /** NORMAL | BLOCKED */
  state: string;
  /** PAUSE | OVERDUE | OUT_SERVICE | EVALUATION_FAILED, when BLOCKED. */
  blockReason?: string;
  entry: WechatParkingEntry;
}

export interface DeductInput {
  /** 1–32 of [0-9A-Za-z_-*], unique per merchant. */
  outTradeNo: string;
  /** 1–128 characters, shown on the user's bill. */
  description: string;
  attach?: string;
  totalFen: number;
  /** Where TRANSACTION.* goes (no query string). */
  notifyUrl: string;
  goodsTag?: string;
  parking: {
    parkingId: string;
    plateNumber: string;
    plateColor: PlateColor;
    startTime: Date | number;
    endTime: Date | number;
    parkingName: string;
    chargingDurationSeconds: number;
    /** 1–32 characters: the lot's exit device. */
    deviceId: string;
  };
}

export interface ParkingDeductionView {
  /** SUCCESS | ACCEPTED | PAY_FAIL | REFUND (or whatever WeChat adds later). */
  tradeState: string;
  tradeStateDescription?: string;
  outTradeNo: string;
  transactionId?: string;
  totalFen: number;
  payerTotalFen?: number;
  successTime?: string;
  payerOpenId?: string;
  transaction: WechatParkingTransaction;
}

export interface ParkingRefundInput {
  /** The deduction's out_trade_no. */
  outTradeNo: string;
  /** 1–64 of [0-9A-Za-z_-|*@]; the same number again never refunds twice (reuse it when retrying). */
  outRefundNo: string;
  refundFen: number;
  /** The deduction's total. */
  totalFen: number;
  /** ≤ 80 characters (WeChat counts bytes for the user's message: keep it short), shown to the payer. */
  reason?: string;
  /** Where REFUND.* goes; without it, the merchant platform's refund URL. */
  notifyUrl?: string;
}

const OUT_TRADE_NO = /^[0-9A-Za-z_\-*]{1,32}$/;
const OUT_REFUND_NO = /^[0-9A-Za-z_\-|*@]{1,64}$/;
const OUT_PARKING_NO = /^[\x21-\x7e]{1,64}$/;

export class WechatParkingAdapter {
  readonly appId: string;
  readonly mchId: string;
  readonly subMchid?: string;
  readonly subAppid?: string;
  private readonly pay: WechatPayAdapter;
  private readonly apiV3Key: string;
  private readonly clock: Clock;

  constructor(options: WechatParkingAdapterOptions) {
    this.pay = options.pay;
    this.appId = options.pay.appId;
    this.mchId = options.pay.mchId;
    this.apiV3Key = options.config.apiV3Key;
    this.clock = options.clock ?? systemClock;
    if (options.subMchid !== undefined) this.subMchid = options.subMchid;
    if (options.subAppid !== undefined) {
      if (options.subMchid === undefined) throw new Error('subAppid needs subMchid (service-provider mode)');
      this.subAppid = options.subAppid;
    }
  }

  /** GET /v3/vehicle/parking/services/find: is this plate in this user's parking service, and how. */
  async findService(o: { openid: string; plateNumber: string; plateColor: PlateColor }): Promise<PlateServiceView> {
    const op = 'parkingFindService';
    if (typeof o.openid !== 'string' || o.openid === '') throw invalid(op, 'openid is required');
    checkPlate(op, o.plateNumber, o.plateColor);
    const query: Array<[string, string]> = [['appid', this.appId]];
    if (this.subMchid !== undefined) query.push(['sub_mchid', this.subMchid]);
    query.push(['plate_number', o.plateNumber], ['plate_color', o.plateColor], ['openid', o.openid]);
    const raw = await this.pay.signedRequest(op, 'GET', `/v3/vehicle/parking/services/find?${encodeQuery(query)}`);
    const s = parse(op, plateServiceAnswer, raw);
    if (s.plate_number !== o.plateNumber || s.plate_color !== o.plateColor || (s.openid !== undefined && s.openid !== o.openid)) {
      throw mismatch(op, raw, `answer is for ${s.plate_number}/${s.plate_color}, not ${o.plateNumber}/${o.plateColor}`);
    }
    const v: PlateServiceView = { serviceState: s.service_state, plateNumber: s.plate_number, plateColor: s.plate_color, service: s };
    const opened = s.service_open_time ? Date.parse(s.service_open_time) : NaN;
    if (!Number.isNaN(opened)) v.openedAt = new Date(opened);
    return v;
  }

  /** POST /v3/vehicle/parking/parkings: the car's entry, so that WeChat can deduct for it later. */
  async createEntry(input: CreateEntryInput): Promise<ParkingEntryView> {
    const op = 'parkingCreateEntry';
    if (typeof input.outParkingNo !== 'string' || !OUT_PARKING_NO.test(input.outParkingNo)) throw invalid(op, 'outParkingNo must be 1–64 printable ASCII characters');
    checkPlate(op, input.plateNumber, input.plateColor);
    checkNotifyUrl(op, input.notifyUrl);
    checkText(op, 'parkingName', input.parkingName, 128);
    if (!Number.isSafeInteger(input.freeDurationSeconds) || input.freeDurationSeconds < 0) throw invalid(op, 'freeDurationSeconds must be a non-negative integer');
    const body: Record<string, unknown> = {
      ...(this.subMchid !== undefined ? { sub_mchid: this.subMchid } : {}),
      out_parking_no: input.outParkingNo,
      plate_number: input.plateNumber,
      plate_color: input.plateColor,
      notify_url: input.notifyUrl,
      start_time: wechatTime(op, 'startTime', input.startTime),
      parking_name: input.parkingName,
      free_duration: input.freeDurationSeconds,
    };
    const raw = await this.pay.signedRequest(op, 'POST', '/v3/vehicle/parking/parkings', body);
    const e = parse(op, parkingEntryAnswer, raw);
    if (e.out_parking_no !== input.outParkingNo) throw mismatch(op, raw, `answer is for entry ${e.out_parking_no}, not ${input.outParkingNo}`);
    const v: ParkingEntryView = { id: e.id, outParkingNo: e.out_parking_no, state: e.state, entry: e };
    if (e.block_reason !== undefined) v.blockReason = e.block_reason;
    return v;
  }

  /** POST /v3/vehicle/transactions/parking (扣费受理). Usually ACCEPTED: the money follows (TRANSACTION.* / query). */
  async deduct(input: DeductInput): Promise<ParkingDeductionView> {
    const op = 'parkingDeduct';
    checkOutTradeNo(op, input.outTradeNo);
    checkText(op, 'description', input.description, 128);
    if (input.attach !== undefined) checkText(op, 'attach', input.attach, 128);
    if (input.goodsTag !== undefined) checkText(op, 'goodsTag', input.goodsTag, 32);
    if (!Number.isSafeInteger(input.totalFen) || input.totalFen < 1) throw invalid(op, 'totalFen must be a positive integer number of fen');
    checkNotifyUrl(op, input.notifyUrl);
    const p = input.parking;
    if (typeof p.parkingId !== 'string' || p.parkingId === '' || p.parkingId.length > 32) throw invalid(op, 'parking.parkingId is required (≤ 32 characters)');
    checkPlate(op, p.plateNumber, p.plateColor);
    checkText(op, 'parking.parkingName', p.parkingName, 128);
    checkText(op, 'parking.deviceId', p.deviceId, 32);
    if (!Number.isSafeInteger(p.chargingDurationSeconds) || p.chargingDurationSeconds < 0) throw invalid(op, 'parking.chargingDurationSeconds must be a non-negative integer');
    const start = wechatTime(op, 'parking.startTime', p.startTime);
    const end = wechatTime(op, 'parking.endTime', p.endTime);
    // WeChat refuses equal times (PARAM_ERROR); the wire has whole seconds.
    if (Date.parse(end) <= Date.parse(start)) throw invalid(op, 'parking.endTime must be at least a second after parking.startTime');
    const body: Record<string, unknown> = {
      appid: this.appId,
      ...(this.subAppid !== undefined ? { sub_appid: this.subAppid } : {}),
      ...(this.subMchid !== undefined ? { sub_mchid: this.subMchid } : {}),
      description: input.description,
      ...(input.attach !== undefined ? { attach: input.attach } : {}),
      out_trade_no: input.outTradeNo,
      trade_scene: 'PARKING',
      ...(input.goodsTag !== undefined ? { goods_tag: input.goodsTag } : {}),
      notify_url: input.notifyUrl,
      amount: { total: input.totalFen, currency: 'CNY' },
      parking_info: {
        parking_id: p.parkingId,
        plate_number: p.plateNumber,
        plate_color: p.plateColor,
        start_time: start,
        end_time: end,
        parking_name: p.parkingName,
        charging_duration: p.chargingDurationSeconds,
        device_id: p.deviceId,
      },
    };
    const raw = await this.pay.signedRequest(op, 'POST', '/v3/vehicle/transactions/parking', body);
    return this.deductionView(op, raw, input.outTradeNo);
  }

  /** GET /v3/vehicle/transactions/out-trade-no/{no}. An unknown number is a 'business' error (isNotFound). */
  async queryDeduction(outTradeNo: string): Promise<ParkingDeductionView> {
    const op = 'parkingQuery';
    checkOutTradeNo(op, outTradeNo);
    const query = this.subMchid !== undefined ? `?${encodeQuery([['sub_mchid', this.subMchid]])}` : '';
    const raw = await this.pay.signedRequest(op, 'GET', `/v3/vehicle/transactions/out-trade-no/${encodeURIComponent(outTradeNo)}${query}`);
    return this.deductionView(op, raw, outTradeNo);
  }

  /**
   * POST /v3/refund/domestic/refunds for a deduction (usually PROCESSING; queryRefund tells the end). A
   * refusal because this out_refund_no exists already is answered with that refund when it is the same
   * deduction and amount ("同一退款单号多次请求只退一笔").
   */
  async refund(input: ParkingRefundInput): Promise<WechatRefundView> {
    const op = 'parkingRefund';
    checkOutTradeNo(op, input.outTradeNo);
    checkOutRefundNo(op, input.outRefundNo);
    if (!Number.isSafeInteger(input.refundFen) || input.refundFen < 1) throw invalid(op, 'refundFen must be a positive integer number of fen');
    if (!Number.isSafeInteger(input.totalFen) || input.totalFen < input.refundFen) throw invalid(op, 'totalFen must be an integer number of fen, at least refundFen');
    if (input.reason !== undefined) checkText(op, 'reason', input.reason, 80);
    if (input.notifyUrl !== undefined) checkNotifyUrl(op, input.notifyUrl);
    const body: Record<string, unknown> = {
      ...(this.subMchid !== undefined ? { sub_mchid: this.subMchid } : {}),
      out_trade_no: input.outTradeNo,
      out_refund_no: input.outRefundNo,
      ...(input.reason !== undefined ? { reason: input.reason } : {}),
      ...(input.notifyUrl !== undefined ? { notify_url: input.notifyUrl } : {}),
      amount: { refund: input.refundFen, total: input.totalFen, currency: 'CNY' },
    };
    let raw: RawAnswer;
    try {
      raw = await this.pay.signedRequest(op, 'POST', '/v3/refund/domestic/refunds', body);
    } catch (e) {
      if (isWechatPayError(e) && e.kind === 'business') {
        const existing = await this.queryRefund(input.outRefundNo).catch(() => undefined);
        if (existing && existing.outTradeNo === input.outTradeNo && existing.refundFen === input.refundFen) return { ...existing, alreadyExisted: true };
      }
      throw e;
    }
    const v = refundView(parse(op, wechatRefund, raw));
    if (v.outRefundNo !== input.outRefundNo || (v.outTradeNo !== undefined && v.outTradeNo !== input.outTradeNo)) {
      throw mismatch(op, raw, `answer is for refund ${v.outRefundNo} of ${v.outTradeNo ?? '?'}, not ${input.outRefundNo} of ${input.outTradeNo}`);
    }
    return v;
  }

  /** GET /v3/refund/domestic/refunds/{out_refund_no}. An unknown refund is a 'business' error (isNotFound). */
  async queryRefund(outRefundNo: string): Promise<WechatRefundView> {
    const op = 'parkingQueryRefund';
    checkOutRefundNo(op, outRefundNo);
    const query = this.subMchid !== undefined ? `?${encodeQuery([['sub_mchid', this.subMchid]])}` : '';
    const raw = await this.pay.signedRequest(op, 'GET', `/v3/refund/domestic/refunds/${encodeURIComponent(outRefundNo)}${query}`);
    const v = refundView(parse(op, wechatRefund, raw));
    if (v.outRefundNo !== outRefundNo) throw mismatch(op, raw, `answer is for refund ${v.outRefundNo}, not ${outRefundNo}`);
    return v;
  }

  /**
   * A parking notification, verified (signature, timestamp, serial, AEAD tag and AAD) and checked to be for
   * this merchant (appid, sp_mchid/mchid, sub_mchid): anything else is a 'bad_signature' error.
   */
  async verifyNotification(input: IncomingNotification): Promise<ParkingNotification> {
    const n = await verifyParkingNotification({ keys: this.pay.platformKeys, apiV3Key: this.apiV3Key, clock: this.clock }, input);
    const r = n.kind === 'transaction' ? n.transaction : n.parking;
    const problems: string[] = [];
    const merchant = r.sp_mchid ?? r.mchid;
    if (merchant !== undefined && merchant !== this.mchId) problems.push(`merchant ${merchant}`);
    if (merchant === undefined && n.kind === 'transaction') problems.push('no merchant');
    if ((r.sub_mchid ?? undefined) !== this.subMchid) problems.push(`sub_mchid ${r.sub_mchid ?? '(none)'}`);
    if (n.kind === 'transaction' && n.transaction.appid !== this.appId) problems.push(`appid ${n.transaction.appid}`);
    if (problems.length) {
      throw new WechatPayError({ operation: 'notification', kind: 'bad_signature', verification: 'malformed', detail: `a genuine notification, but not for this merchant: ${problems.join(', ')}`, retryable: false });
    }
    return n;
  }

  private deductionView(op: string, raw: RawAnswer, outTradeNo: string): ParkingDeductionView {
    const t = parse(op, parkingTransaction, raw);
    const merchant = t.sp_mchid ?? t.mchid;
    if (t.out_trade_no !== outTradeNo || merchant !== this.mchId || t.appid !== this.appId || (t.sub_mchid ?? undefined) !== this.subMchid) {
      throw mismatch(op, raw, `answer is for ${t.appid}/${merchant ?? '?'}/${t.out_trade_no}, not ${this.appId}/${this.mchId}/${outTradeNo}`);
    }
    return deductionView(t);
  }

  [Symbol.for('nodejs.util.inspect.custom')](): string {
    return `WechatParkingAdapter { appId: ${this.appId}, mchId: ${this.mchId}${this.subMchid ? `, subMchid: ${this.subMchid}` : ''} }`;
  }

  toJSON(): Record<string, string> {
    return { appId: this.appId, mchId: this.mchId, ...(this.subMchid ? { subMchid: this.subMchid } : {}) };
  }
}

/** The decision-free view of a deduction (answers, queries and TRANSACTION.* resources alike). */
export function deductionView(t: WechatParkingTransaction): ParkingDeductionView {
  const v: ParkingDeductionView = { tradeState: t.trade_state, outTradeNo: t.out_trade_no, totalFen: t.amount.total, transaction: t };
  if (t.trade_state_description !== undefined) v.tradeStateDescription = t.trade_state_description;
  if (t.transaction_id !== undefined && t.transaction_id !== '') v.transactionId = t.transaction_id;
  if (t.amount.payer_total !== undefined) v.payerTotalFen = t.amount.payer_total;
  if (t.success_time !== undefined) v.successTime = t.success_time;
  if (t.payer?.openid !== undefined) v.payerOpenId = t.payer.openid;
  return v;
}

/** Is this error WeChat saying the deduction does not exist (查询订单 for an unknown out_trade_no)? */
export function isNotFound(e: unknown): boolean {
  if (!isWechatPayError(e) || e.kind !== 'business' || e.signed !== true) return false;
  return e.httpStatus === 404 || e.code === 'ORDER_NOT_EXIST' || e.code === 'RESOURCE_NOT_EXISTS' || e.code === 'NOT_FOUND';
}

/** `k=v&…` with every value percent-encoded (UTF-8), exactly as it is then signed and sent. */
function encodeQuery(pairs: Array<[string, string]>): string {
  return pairs.map(([k, v]) => `${k}=${encodeURIComponent(v)}`).join('&');
}

function invalid(operation: string, detail: string): WechatPayError {
  return new WechatPayError({ operation, kind: 'invalid_request', detail, retryable: false });
}

function mismatch(operation: string, raw: RawAnswer, detail: string): WechatPayError {
  return new WechatPayError({ operation, kind: 'http', detail, retryable: false, httpStatus: raw.status, requestId: raw.requestId });
}

function checkPlate(op: string, plateNumber: string, plateColor: string): void {
  if (typeof plateNumber !== 'string' || plateNumber === '' || plateNumber.length > 32) throw invalid(op, 'plateNumber is required (≤ 32 characters, province + plate, no separators)');
  if (!(PLATE_COLORS as readonly string[]).includes(plateColor)) throw invalid(op, `plateColor must be one of ${PLATE_COLORS.join(', ')}`);
}

function checkOutTradeNo(op: string, v: string): void {
  if (typeof v !== 'string' || !OUT_TRADE_NO.test(v)) throw invalid(op, 'outTradeNo must be 1–32 of [0-9A-Za-z_-*]');
}

function checkOutRefundNo(op: string, v: string): void {
  if (typeof v !== 'string' || !OUT_REFUND_NO.test(v)) throw invalid(op, 'outRefundNo must be 1–64 of [0-9A-Za-z_-|*@]');
}

function checkText(op: string, name: string, v: string, max: number): void {
  if (typeof v !== 'string' || v.length < 1 || v.length > max) throw invalid(op, `${name} must be 1–${max} characters`);
}

function checkNotifyUrl(op: string, url: string): void {
  let u: URL;
  try {
    u = new URL(url);
  } catch {
    throw invalid(op, 'notifyUrl is not a URL');
  }
  if (u.protocol !== 'https:' && u.protocol !== 'http:') throw invalid(op, 'notifyUrl must be http(s)');
  if (u.search || u.hash) throw invalid(op, 'notifyUrl must not carry a query string');
  if (url.length > 256) throw invalid(op, 'notifyUrl is longer than 256 characters');
}

function wechatTime(op: string, name: string, at: Date | number): string {
  const ms = typeof at === 'number' ? at : at instanceof Date ? at.getTime() : NaN;
  if (!Number.isFinite(ms)) throw invalid(op, `${name} is not a valid instant`);
  return toWechatTime(ms);
}

function parse<T>(operation: string, schema: ZodType<T>, raw: RawAnswer): T {
  try {
    return schema.parse(JSON.parse(raw.text));
  } catch (e) {
    throw new WechatPayError({ operation, kind: 'http', detail: `HTTP ${raw.status}: the answer is not the expected JSON`, retryable: false, httpStatus: raw.status, requestId: raw.requestId, cause: e });
  }
}
