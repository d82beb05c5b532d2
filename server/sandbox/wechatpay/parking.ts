/**
 * WeChat Pay's vehicle parking service (微信支付分停车服务 / 车主服务, API v3) inside the WeChat Pay sandbox:
 * the four APIs, the users' plate services, parking entries, deductions, both notifications, and a control
 * API (methods here, HTTP under /__sandbox/parking/) plus the H5 sign-up page of the demo.
 *
 * Requests reach route() only after the sandbox has checked their signature exactly as for pay calls, and
 * every answer is signed by the sandbox; faults (/__sandbox/faults with a `path` under /v3/vehicle/) apply
 * here as everywhere.
 *
 * What the docs say and the sandbox keeps (pay.weixin.qq.com 微信支付分停车服务 API 列表, chapter8_8_1–8_8_6,
 * and WeChat's 车主交通行业常见问题 Q&A):
 * - 查询车牌服务开通信息 GET /v3/vehicle/parking/services/find?appid&plate_number&plate_color&openid[&sub_mchid]
 *   → service_state NORMAL | PAUSE | OUT_SERVICE (+ service_open_time when open).
 * - 创建停车入场 POST /v3/vehicle/parking/parkings → {id, …, state NORMAL | BLOCKED, block_reason PAUSE | OVERDUE |
 *   OUT_SERVICE | EVALUATION_FAILED}. One valid entry per plate: a newer entry of the same plate replaces it
 *   ("同一车牌同时只存在一个有效的停车入场id").
 * - 扣费受理 POST /v3/vehicle/transactions/parking → the transaction, normally ACCEPTED; WeChat debits later and
 *   notifies TRANSACTION.SUCCESS / TRANSACTION.FAIL. Refusals from the Q&A: PARAM_ERROR when start_time equals
 *   end_time or end_time is later than now; INVALID_REQUEST 停车入场id不存在 (unknown or replaced entry);
 *   INVALID_REQUEST 场景信息和停车入场id不匹配 (entry already used, or parking_info differs from the entry).
 * - 查询订单 GET /v3/vehicle/transactions/out-trade-no/{out_trade_no}[?sub_mchid] (answers carry `sp_mchid`, in
 *   the direct-merchant docs too).
 * - 停车入场状态变更通知 VEHICLE.ENTRANCE_STATE_CHANGE (parking_state, blocked_state_description PAUSE | OVERDUE |
 *   REMOVE, state_update_time) to the entry's notify_url while the car is in the lot.
 * - 申请退款 / 查询单笔退款 (the same /v3/refund/domestic/refunds as every product, listed in the parking
 *   service's API list): a paid deduction may be refunded (refundable(), used by the merchant state's refund
 *   rules); it turns REFUND 转入退款 and keeps what was refunded (`refundedFen`: the driver's money back).
 *
 * Where the docs are silent, the sandbox chooses (and the adapter must not depend on the choice):
 * - the same out_parking_no again with the same content answers the existing entry; other content →
 *   400 INVALID_REQUEST;
 * - any repeat of an existing out_trade_no → 400 INVALID_REQUEST 商户订单号重复 (the adapter then queries);
 * - a deduction for a plate whose service is not usable at that moment → 400 INVALID_REQUEST;
 * - an unknown out_trade_no → 404 ORDER_NOT_EXIST, as the pay query answers;
 * - http:// notify URLs are accepted (the docs ask for https; tests listen on 127.0.0.1).
 *
 * Modes: direct merchant (no sub_mchid; sending one is refused) or service provider (`subMchid` set: every
 * call must carry that sub_mchid).
 */
import crypto from 'node:crypto';
import type { Clock } from '../../src/core/clock';
import { randomString } from './keys';
import type { NotificationRecord } from './notifier';
import { type SignupParams, safeReturnUrl, signupPage, signupRefusedPage, signupResultPage } from './parking-page';
import { type Answer, type ForeignTrade, SandboxControlError, wechatError, wechatTime } from './state';
import { encryptResource, tamperCiphertext } from './wire-crypto';

export const PLATE_COLORS = ['BLUE', 'GREEN', 'YELLOW', 'BLACK', 'WHITE', 'LIMEGREEN'] as const;
export type PlateColor = (typeof PLATE_COLORS)[number];
export type ParkingTradeState = 'ACCEPTED' | 'SUCCESS' | 'PAY_FAIL' | 'REFUND';
export type BlockReason = 'PAUSE' | 'OVERDUE' | 'OUT_SERVICE' | 'EVALUATION_FAILED';

/** The WeChat mini-program the sign-up goes through (navigateToMiniProgram). */
export const PARKING_SERVICE_MINIPROGRAM = { appId: 'wxbcad394b3d99dac9', path: 'pages/auth-creditpay/auth-creditpay' } as const;

export interface SandboxPlateService {
  openid: string;
  plateNumber: string;
  plateColor: PlateColor;
  state: 'NORMAL' | 'PAUSE' | 'ENDED';
  openedAt: number;
  endedAt?: number;
  /** The next deductions settle PAY_FAIL (用户余额不足). */
  insufficientBalance: boolean;
  /** 已授权签约但欠费: entries are BLOCKED OVERDUE. */
  overdue: boolean;
  /** 综合评估未通过: entries are BLOCKED EVALUATION_FAILED. */
  evaluationFailed: boolean;
}

export interface SandboxParking {
  id: string;
  outParkingNo: string;
  plateNumber: string;
  plateColor: PlateColor;
  /** start_time as sent, and its instant. */
  startTime: string;
  startAt: number;
  parkingName: string;
  freeDuration: number;
  notifyUrl: string;
  subMchid?: string;
  state: 'NORMAL' | 'BLOCKED';
  blockReason?: BlockReason;
  createdAt: number;
  /** A newer entry of the same plate replaced this one. */
  superseded: boolean;
  /** The deduction that used it. */
  usedBy?: string;
  fingerprint: string;
}

export interface SandboxParkingTransaction {
  outTradeNo: string;
  transactionId: string;
  appid: string;
  subAppid?: string;
  subMchid?: string;
  description: string;
  attach?: string;
  goodsTag?: string;
  totalFen: number;
  notifyUrl: string;
  parkingId: string;
  parkingInfo: Record<string, unknown>;
  openid: string;
  state: ParkingTradeState;
  stateDescription: string;
  createdAt: number;
  successAt?: number;
  bankType?: string;
  /** Refunded so far (refunds accepted and not closed). */
  refundedFen?: number;
}

export interface ParkingSandboxOptions {
  /** Service-provider mode: the sub-merchant every call must name. */
  subMchid?: string;
  /** Service-provider mode: the sub-merchant's appid, when deductions may name one. */
  subAppid?: string;
  /** 'async' (default): deductions answer ACCEPTED and settle later; 'sync': the answer is already SUCCESS / PAY_FAIL. */
  settle?: 'async' | 'sync';
  /** Simulated ms until an ACCEPTED deduction settles by itself; null: only settleDeduction(). Default 3000. */
  settleAfterMs?: number | null;
}

/** The control side, as tests and the demo use it (`sandbox.parking`). */
export interface WechatParkingSandbox {
  readonly subMchid?: string;
  readonly subAppid?: string;
  /** The H5 sign-up page (the demo's `h5Url`); its query takes the mini-program's extraData plus return_url. */
  readonly signupPageUrl: string;
  /** The user opens (or resumes, or re-opens) the service for a plate. */
  openService(o: { openid: string; plateNumber: string; plateColor?: PlateColor }): SandboxPlateService;
  pauseService(o: { plateNumber: string; plateColor?: PlateColor }): SandboxPlateService;
  /** The user removes the plate from the service. */
  endService(o: { plateNumber: string; plateColor?: PlateColor }): SandboxPlateService;
  setFlags(o: { plateNumber: string; plateColor?: PlateColor; insufficientBalance?: boolean; overdue?: boolean; evaluationFailed?: boolean }): SandboxPlateService;
  /** ACCEPTED → SUCCESS | PAY_FAIL, then TRANSACTION.SUCCESS / TRANSACTION.FAIL is sent. */
  settleDeduction(outTradeNo: string, state?: 'SUCCESS' | 'PAY_FAIL'): SandboxParkingTransaction;
  setSettleMode(mode: 'async' | 'sync', settleAfterMs?: number | null): void;
  services(): SandboxPlateService[];
  parkings(): SandboxParking[];
  transactions(): SandboxParkingTransaction[];
}

export interface ParkingHooks {
  appId: string;
  mchId: string;
  apiV3Key: string;
  clock: Clock;
  timeScale: number;
  /** The sandbox's base URL (known after listen). */
  baseUrl(): string;
  enqueue(record: Omit<NotificationRecord, 'state' | 'attempts'>): void;
  /** A notification fault injected with /__sandbox/faults, consumed. */
  takeTamper(): 'ciphertext' | 'aad' | 'signature' | undefined;
}

export interface BuiltNotification {
  id: string;
  body: string;
  plaintext: string;
}

export interface ControlAnswer {
  status: number;
  contentType: string;
  body: string;
}

type Obj = Record<string, unknown>;
const isObj = (v: unknown): v is Obj => typeof v === 'object' && v !== null && !Array.isArray(v);
const isPositiveInt = (v: unknown): v is number => typeof v === 'number' && Number.isSafeInteger(v) && v >= 1;
const isNonNegativeInt = (v: unknown): v is number => typeof v === 'number' && Number.isSafeInteger(v) && v >= 0;
const str = (v: unknown, min: number, max: number): v is string => typeof v === 'string' && v.length >= min && v.length <= max;
const isColor = (v: unknown): v is PlateColor => typeof v === 'string' && (PLATE_COLORS as readonly string[]).includes(v);
const RFC3339 = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(?:\.\d+)?(?:Z|[+-]\d{2}:\d{2})$/;
const rfc3339 = (v: unknown): number | undefined => (typeof v === 'string' && RFC3339.test(v) && !Number.isNaN(Date.parse(v)) ? Date.parse(v) : undefined);
const NOTIFY_URL = /^https?:\/\/[^?#\s]+$/;
const OUT_TRADE_NO = /^[0-9A-Za-z_\-*]{1,32}$/;
const OUT_PARKING_NO = /^[\x21-\x7e]{1,64}$/;
const paramError = (field: string, issue: string) => wechatError(400, 'PARAM_ERROR', `参数错误: ${field} ${issue}`, { field, location: 'body' });
const digits = (n: number) => randomString(n, '0123456789');
const TRADE_STATE_DESC: Record<ParkingTradeState, string> = {
  ACCEPTED: '已接收，等待扣款',
  SUCCESS: '支付成功',
  PAY_FAIL: '支付失败',
  REFUND: '转入退款',
};

export class ParkingService implements WechatParkingSandbox {
  readonly subMchid?: string;
  readonly subAppid?: string;
  private readonly plates = new Map<string, SandboxPlateService>();
  private readonly entries = new Map<string, SandboxParking>();
  private readonly byId = new Map<string, SandboxParking>();
  private readonly deductions = new Map<string, SandboxParkingTransaction>();
  private readonly timers = new Set<NodeJS.Timeout>();
  private settleMode: 'async' | 'sync';
  private settleAfterMs: number | null;

  constructor(
    private readonly hooks: ParkingHooks,
    options: ParkingSandboxOptions = {},
  ) {
    if (options.subMchid !== undefined) this.subMchid = options.subMchid;
    if (options.subAppid !== undefined) this.subAppid = options.subAppid;
    this.settleMode = options.settle ?? 'async';
    this.settleAfterMs = options.settleAfterMs === undefined ? 3000 : options.settleAfterMs;
  }

  get signupPageUrl(): string {
    return `${this.hooks.baseUrl()}/__sandbox/parking/signup`;
  }

  stop(): void {
    for (const t of this.timers) clearTimeout(t);
    this.timers.clear();
  }

  // ---- API ----------------------------------------------------------------------------------------

  /** The answer for a /v3/vehicle/ request (signature already checked). */
  route(method: string, url: URL, body: unknown): Answer {
    const p = url.pathname;
    if (method === 'GET' && p === '/v3/vehicle/parking/services/find') return this.findService(url.searchParams);
    if (method === 'POST' && p === '/v3/vehicle/parking/parkings') return this.createParking(body);
    if (method === 'POST' && p === '/v3/vehicle/transactions/parking') return this.createTransaction(body);
    const m = /^\/v3\/vehicle\/transactions\/out-trade-no\/([^/]+)$/.exec(p);
    if (method === 'GET' && m) return this.queryTransaction(decodeURIComponent(m[1]), url.searchParams);
    return wechatError(404, 'NOT_FOUND', `sandbox: no API ${method} ${p}`);
  }

  /** Direct merchants send no sub_mchid; a service provider must send its sub-merchant's. */
  private subMerchantProblem(v: unknown, location: 'query' | 'body'): Answer | undefined {
    if (this.subMchid === undefined) {
      if (v !== undefined && v !== null) return wechatError(400, 'PARAM_ERROR', '参数错误: 普通商户不能传入sub_mchid', { field: 'sub_mchid', location });
      return undefined;
    }
    if (typeof v !== 'string' || v === '') return wechatError(400, 'PARAM_ERROR', '参数错误: 服务商模式下sub_mchid必填', { field: 'sub_mchid', location });
    if (v !== this.subMchid) return wechatError(400, 'INVALID_REQUEST', '子商户号与服务商商户号无绑定关系');
    return undefined;
  }

  private findService(q: URLSearchParams): Answer {
    const appid = q.get('appid');
    if (!appid) return wechatError(400, 'PARAM_ERROR', '参数错误: 缺少query参数appid', { field: 'appid', location: 'query' });
    if (appid !== this.hooks.appId) return wechatError(400, 'APPID_MCHID_NOT_MATCH', 'AppID和mch_id不匹配');
    const sub = this.subMerchantProblem(q.get('sub_mchid') ?? undefined, 'query');
    if (sub) return sub;
    const plate = q.get('plate_number');
    const color = q.get('plate_color');
    const openid = q.get('openid');
    if (!plate || plate.length > 32) return wechatError(400, 'PARAM_ERROR', '参数错误: plate_number 必填，不超过32个字符', { field: 'plate_number', location: 'query' });
    if (!isColor(color)) return wechatError(400, 'PARAM_ERROR', `参数错误: plate_color 应为${PLATE_COLORS.join('/')}之一`, { field: 'plate_color', location: 'query' });
    if (!openid || openid.length > 32) return wechatError(400, 'PARAM_ERROR', '参数错误: openid 必填，不超过32个字符', { field: 'openid', location: 'query' });
    const s = this.plates.get(plateKey(plate, color));
    const mine = s && s.openid === openid && s.state !== 'ENDED' ? s : undefined;
    const answer: Obj = { plate_number: plate, plate_color: color, openid, service_state: mine ? mine.state : 'OUT_SERVICE' };
    if (mine) answer.service_open_time = wechatTime(mine.openedAt);
    return { status: 200, body: answer };
  }

  private createParking(body: unknown): Answer {
    if (!isObj(body)) return wechatError(400, 'PARAM_ERROR', '参数错误: 请求体不是JSON对象');
    const b = body;
    const sub = this.subMerchantProblem(b.sub_mchid, 'body');
    if (sub) return sub;
    if (typeof b.out_parking_no !== 'string' || !OUT_PARKING_NO.test(b.out_parking_no)) return paramError('out_parking_no', '必填，1-64个可见字符');
    if (!str(b.plate_number, 1, 32)) return paramError('plate_number', '必填，不超过32个字符');
    if (!isColor(b.plate_color)) return paramError('plate_color', `应为${PLATE_COLORS.join('/')}之一`);
    if (typeof b.notify_url !== 'string' || !NOTIFY_URL.test(b.notify_url) || b.notify_url.length > 256) return paramError('notify_url', '应为不带参数的URL');
    const startAt = rfc3339(b.start_time);
    if (startAt === undefined) return paramError('start_time', '不是rfc3339格式');
    if (startAt > this.hooks.clock.now()) return paramError('start_time', '入场时间不能晚于当前时间');
    if (!str(b.parking_name, 1, 128)) return paramError('parking_name', '必填，不超过128个字符');
    if (!isNonNegativeInt(b.free_duration)) return paramError('free_duration', '应为非负整数(秒)');
    const plateNumber = b.plate_number;
    const plateColor = b.plate_color;
    const fingerprint = JSON.stringify([plateNumber, plateColor, startAt, b.parking_name, b.free_duration, b.notify_url, b.sub_mchid ?? null]);
    const existing = this.entries.get(b.out_parking_no);
    if (existing) {
      if (existing.fingerprint !== fingerprint) return wechatError(400, 'INVALID_REQUEST', '商户入场id已存在，且与本次请求的入场信息不一致');
      return { status: 200, body: this.parkingJson(existing) };
    }
    const now = this.hooks.clock.now();
    for (const other of this.entries.values()) {
      if (other.plateNumber === plateNumber && other.plateColor === plateColor && this.isLive(other)) other.superseded = true;
    }
    const entry: SandboxParking = {
      id: `${formatDay(now)}${digits(21)}`,
      outParkingNo: b.out_parking_no,
      plateNumber,
      plateColor,
      startTime: b.start_time as string,
      startAt,
      parkingName: b.parking_name,
      freeDuration: b.free_duration,
      notifyUrl: b.notify_url,
      state: 'NORMAL',
      createdAt: now,
      superseded: false,
      fingerprint,
    };
    if (typeof b.sub_mchid === 'string') entry.subMchid = b.sub_mchid;
    this.applyBlock(entry, this.blockReason(plateNumber, plateColor));
    this.entries.set(entry.outParkingNo, entry);
    this.byId.set(entry.id, entry);
    return { status: 200, body: this.parkingJson(entry) };
  }

  private createTransaction(body: unknown): Answer {
    if (!isObj(body)) return wechatError(400, 'PARAM_ERROR', '参数错误: 请求体不是JSON对象');
    const b = body;
    if (!str(b.appid, 1, 32)) return paramError('appid', '必填');
    if (b.appid !== this.hooks.appId) return wechatError(400, 'APPID_MCHID_NOT_MATCH', 'AppID和mch_id不匹配');
    const sub = this.subMerchantProblem(b.sub_mchid, 'body');
    if (sub) return sub;
    if (b.sub_appid !== undefined) {
      if (this.subMchid === undefined) return paramError('sub_appid', '普通商户不能传入');
      if (this.subAppid !== undefined && b.sub_appid !== this.subAppid) return wechatError(400, 'INVALID_REQUEST', 'sub_appid与sub_mchid不匹配');
    }
    if (!str(b.description, 1, 128)) return paramError('description', '必填，不超过128个字符');
    if (b.attach !== undefined && !str(b.attach, 1, 128)) return paramError('attach', '不超过128个字符');
    if (typeof b.out_trade_no !== 'string' || !OUT_TRADE_NO.test(b.out_trade_no)) return paramError('out_trade_no', '应为1-32位数字、大小写字母_-*');
    if (b.trade_scene !== 'PARKING') return paramError('trade_scene', '目前只支持PARKING');
    if (b.goods_tag !== undefined && !str(b.goods_tag, 1, 32)) return paramError('goods_tag', '不超过32个字符');
    if (typeof b.notify_url !== 'string' || !NOTIFY_URL.test(b.notify_url) || b.notify_url.length > 256) return paramError('notify_url', '应为不带参数的URL');
    if (b.profit_sharing !== undefined && b.profit_sharing !== 'Y' && b.profit_sharing !== 'N') return paramError('profit_sharing', '应为Y或N');
    if (!isObj(b.amount) || !isPositiveInt(b.amount.total)) return paramError('amount.total', '应为正整数(分)');
    if (b.amount.currency !== undefined && b.amount.currency !== 'CNY') return paramError('amount.currency', '仅支持CNY');
    const pi = b.parking_info;
    if (!isObj(pi)) return paramError('parking_info', '交易场景为PARKING时必填');
    if (!str(pi.parking_id, 1, 32)) return paramError('parking_info.parking_id', '必填');
    if (!str(pi.plate_number, 1, 32)) return paramError('parking_info.plate_number', '必填');
    if (!isColor(pi.plate_color)) return paramError('parking_info.plate_color', `应为${PLATE_COLORS.join('/')}之一`);
    const startAt = rfc3339(pi.start_time);
    const endAt = rfc3339(pi.end_time);
    if (startAt === undefined) return paramError('parking_info.start_time', '不是rfc3339格式');
    if (endAt === undefined) return paramError('parking_info.end_time', '不是rfc3339格式');
    if (endAt <= startAt) return wechatError(400, 'PARAM_ERROR', '参数错误: 出场时间必须晚于入场时间');
    if (endAt > this.hooks.clock.now()) return wechatError(400, 'PARAM_ERROR', '参数错误: 出场时间不能晚于当前时间');
    if (!str(pi.parking_name, 1, 128)) return paramError('parking_info.parking_name', '必填');
    if (!isNonNegativeInt(pi.charging_duration)) return paramError('parking_info.charging_duration', '应为非负整数(秒)');
    if (!str(pi.device_id, 1, 32)) return paramError('parking_info.device_id', '必填，不超过32个字符');

    if (this.deductions.has(b.out_trade_no)) return wechatError(400, 'INVALID_REQUEST', '商户订单号重复，请核实后再试');
    const entry = this.byId.get(pi.parking_id);
    if (!entry || entry.superseded) return wechatError(400, 'INVALID_REQUEST', '停车入场id不存在');
    if (entry.usedBy !== undefined || entry.plateNumber !== pi.plate_number || entry.plateColor !== pi.plate_color || entry.startAt !== startAt || (entry.subMchid ?? null) !== (b.sub_mchid ?? null)) {
      return wechatError(400, 'INVALID_REQUEST', '场景信息和停车入场id不匹配');
    }
    const block = this.blockReason(entry.plateNumber, entry.plateColor);
    if (block) return wechatError(400, 'INVALID_REQUEST', `车牌服务不可用(${block})，不能扣费`);
    const service = this.plates.get(plateKey(entry.plateNumber, entry.plateColor));
    if (!service) return wechatError(400, 'INVALID_REQUEST', '车牌服务不可用(OUT_SERVICE)，不能扣费');
    const now = this.hooks.clock.now();
    const t: SandboxParkingTransaction = {
      outTradeNo: b.out_trade_no,
      transactionId: `4200${digits(6)}${formatDay(now)}${digits(10)}`,
      appid: b.appid,
      description: b.description,
      totalFen: b.amount.total,
      notifyUrl: b.notify_url,
      parkingId: entry.id,
      parkingInfo: { ...pi },
      openid: service.openid,
      state: 'ACCEPTED',
      stateDescription: TRADE_STATE_DESC.ACCEPTED,
      createdAt: now,
    };
    if (typeof b.sub_mchid === 'string') t.subMchid = b.sub_mchid;
    if (typeof b.sub_appid === 'string') t.subAppid = b.sub_appid;
    if (typeof b.attach === 'string') t.attach = b.attach;
    if (typeof b.goods_tag === 'string') t.goodsTag = b.goods_tag;
    entry.usedBy = t.outTradeNo;
    this.deductions.set(t.outTradeNo, t);
    if (this.settleMode === 'sync') {
      this.settle(t, service.insufficientBalance ? 'PAY_FAIL' : 'SUCCESS');
    } else if (this.settleAfterMs !== null) {
      const timer = setTimeout(() => {
        this.timers.delete(timer);
        if (t.state !== 'ACCEPTED') return;
        const current = this.plates.get(plateKey(entry.plateNumber, entry.plateColor));
        this.settle(t, current?.insufficientBalance ? 'PAY_FAIL' : 'SUCCESS');
      }, this.settleAfterMs / this.hooks.timeScale);
      this.timers.add(timer);
    }
    return { status: 200, body: this.transactionJson(t) };
  }

  private queryTransaction(outTradeNo: string, q: URLSearchParams): Answer {
    const sub = this.subMerchantProblem(q.get('sub_mchid') ?? undefined, 'query');
    if (sub) return sub;
    const t = this.deductions.get(outTradeNo);
    if (!t) return wechatError(404, 'ORDER_NOT_EXIST', '订单不存在');
    return { status: 200, body: this.transactionJson(t) };
  }

  // ---- control ------------------------------------------------------------------------------------

  openService(o: { openid: string; plateNumber: string; plateColor?: PlateColor }): SandboxPlateService {
    if (!o.openid) throw new SandboxControlError('openid is required');
    const color = o.plateColor ?? 'BLUE';
    const key = plateKey(o.plateNumber, color);
    const now = this.hooks.clock.now();
    let s = this.plates.get(key);
    if (s && s.state !== 'ENDED' && s.openid !== o.openid) throw new SandboxControlError(`plate ${o.plateNumber} (${color}) is in the service of another user`);
    if (!s || s.state === 'ENDED' || s.openid !== o.openid) {
      s = { openid: o.openid, plateNumber: o.plateNumber, plateColor: color, state: 'NORMAL', openedAt: now, insufficientBalance: false, overdue: false, evaluationFailed: false };
      this.plates.set(key, s);
    } else {
      s.state = 'NORMAL';
    }
    this.refreshEntries(s);
    return s;
  }

  pauseService(o: { plateNumber: string; plateColor?: PlateColor }): SandboxPlateService {
    const s = this.service(o);
    if (s.state !== 'NORMAL') throw new SandboxControlError(`the service of ${o.plateNumber} is ${s.state}: only NORMAL can be paused`);
    s.state = 'PAUSE';
    this.refreshEntries(s);
    return s;
  }

  endService(o: { plateNumber: string; plateColor?: PlateColor }): SandboxPlateService {
    const s = this.service(o);
    if (s.state === 'ENDED') throw new SandboxControlError(`the service of ${o.plateNumber} has already ended`);
    s.state = 'ENDED';
    s.endedAt = this.hooks.clock.now();
    this.refreshEntries(s);
    return s;
  }

  setFlags(o: { plateNumber: string; plateColor?: PlateColor; insufficientBalance?: boolean; overdue?: boolean; evaluationFailed?: boolean }): SandboxPlateService {
    const s = this.service(o);
    if (o.insufficientBalance !== undefined) s.insufficientBalance = o.insufficientBalance;
    if (o.overdue !== undefined) s.overdue = o.overdue;
    if (o.evaluationFailed !== undefined) s.evaluationFailed = o.evaluationFailed;
    this.refreshEntries(s);
    return s;
  }

  settleDeduction(outTradeNo: string, state?: 'SUCCESS' | 'PAY_FAIL'): SandboxParkingTransaction {
    const t = this.deductions.get(outTradeNo);
    if (!t) throw new SandboxControlError(`no parking deduction ${outTradeNo}`);
    if (t.state !== 'ACCEPTED') throw new SandboxControlError(`parking deduction ${outTradeNo} is already ${t.state}`);
    const entry = this.byId.get(t.parkingId);
    const service = entry ? this.plates.get(plateKey(entry.plateNumber, entry.plateColor)) : undefined;
    this.settle(t, state ?? (service?.insufficientBalance ? 'PAY_FAIL' : 'SUCCESS'));
    return t;
  }

  /** A deduction as the refund API sees it (by out_trade_no or transaction_id), or undefined. */
  refundable(by: { outTradeNo?: string; transactionId?: string }): ForeignTrade | undefined {
    const t = by.outTradeNo !== undefined ? this.deductions.get(by.outTradeNo) : [...this.deductions.values()].find((x) => x.transactionId === by.transactionId);
    if (!t) return undefined;
    const view: ForeignTrade = {
      outTradeNo: t.outTradeNo,
      transactionId: t.transactionId,
      totalFen: t.totalFen,
      refundedFen: t.refundedFen ?? 0,
      paid: t.state === 'SUCCESS' || t.state === 'REFUND',
      refunded: (fen) => {
        t.refundedFen = (t.refundedFen ?? 0) + fen;
        t.state = 'REFUND';
        t.stateDescription = TRADE_STATE_DESC.REFUND;
      },
      refundClosed: (fen) => {
        t.refundedFen = Math.max(0, (t.refundedFen ?? 0) - fen);
      },
    };
    if (t.subMchid !== undefined) view.subMchid = t.subMchid;
    return view;
  }

  setSettleMode(mode: 'async' | 'sync', settleAfterMs?: number | null): void {
    if (mode !== 'async' && mode !== 'sync') throw new SandboxControlError('mode must be async or sync');
    this.settleMode = mode;
    if (settleAfterMs !== undefined) this.settleAfterMs = settleAfterMs;
  }

  services(): SandboxPlateService[] {
    return [...this.plates.values()];
  }

  parkings(): SandboxParking[] {
    return [...this.entries.values()];
  }

  transactions(): SandboxParkingTransaction[] {
    return [...this.deductions.values()];
  }

  private service(o: { plateNumber: string; plateColor?: PlateColor }): SandboxPlateService {
    const s = this.plates.get(plateKey(o.plateNumber, o.plateColor ?? 'BLUE'));
    if (!s) throw new SandboxControlError(`no service for plate ${o.plateNumber} (${o.plateColor ?? 'BLUE'})`);
    return s;
  }

  private settle(t: SandboxParkingTransaction, state: 'SUCCESS' | 'PAY_FAIL'): void {
    t.state = state;
    if (state === 'SUCCESS') {
      t.successAt = this.hooks.clock.now();
      t.bankType = 'OTHERS';
      t.stateDescription = TRADE_STATE_DESC.SUCCESS;
    } else {
      t.stateDescription = '用户余额不足，扣款失败';
    }
    const tamper = this.hooks.takeTamper();
    const eventType = state === 'SUCCESS' ? 'TRANSACTION.SUCCESS' : 'TRANSACTION.FAIL';
    const n = this.transactionNotification(t, tamper === 'signature' ? undefined : tamper, eventType);
    this.hooks.enqueue({ ...n, eventType, outTradeNo: t.outTradeNo, url: t.notifyUrl, ...(tamper ? { tampered: tamper } : {}) });
  }

  // ---- entries ------------------------------------------------------------------------------------

  private isLive(e: SandboxParking): boolean {
    return !e.superseded && e.usedBy === undefined;
  }

  /** Why entries of this plate are BLOCKED now, or undefined when they are NORMAL. */
  private blockReason(plateNumber: string, plateColor: PlateColor): BlockReason | undefined {
    const s = this.plates.get(plateKey(plateNumber, plateColor));
    if (!s || s.state === 'ENDED') return 'OUT_SERVICE';
    if (s.state === 'PAUSE') return 'PAUSE';
    if (s.overdue) return 'OVERDUE';
    if (s.evaluationFailed) return 'EVALUATION_FAILED';
    return undefined;
  }

  private applyBlock(e: SandboxParking, reason: BlockReason | undefined): void {
    if (reason) {
      e.state = 'BLOCKED';
      e.blockReason = reason;
    } else {
      e.state = 'NORMAL';
      delete e.blockReason;
    }
  }

  /** The plate's service changed: live entries follow, and each change is notified (停车入场状态变更通知). */
  private refreshEntries(s: SandboxPlateService): void {
    for (const e of this.entries.values()) {
      if (e.plateNumber !== s.plateNumber || e.plateColor !== s.plateColor || !this.isLive(e)) continue;
      const before = `${e.state}/${e.blockReason ?? ''}`;
      this.applyBlock(e, this.blockReason(e.plateNumber, e.plateColor));
      if (`${e.state}/${e.blockReason ?? ''}` === before) continue;
      const description = e.state === 'BLOCKED' ? (s.state === 'ENDED' ? 'REMOVE' : e.blockReason) : undefined;
      const tamper = this.hooks.takeTamper();
      const n = this.entranceNotification(e, description, tamper === 'signature' ? undefined : tamper);
      this.hooks.enqueue({ ...n, eventType: 'VEHICLE.ENTRANCE_STATE_CHANGE', outTradeNo: '', url: e.notifyUrl, ...(tamper ? { tampered: tamper } : {}) });
    }
  }

  // ---- notifications ------------------------------------------------------------------------------

  /** A notification body for tests (signed by the sandbox's makeNotification). */
  notification(target: { parkingOutTradeNo: string } | { outParkingNo: string }, tamper?: 'ciphertext' | 'aad', eventType?: string): BuiltNotification {
    if ('parkingOutTradeNo' in target) {
      const t = this.deductions.get(target.parkingOutTradeNo);
      if (!t) throw new SandboxControlError(`no parking deduction ${target.parkingOutTradeNo}`);
      return this.transactionNotification(t, tamper, eventType ?? (t.state === 'PAY_FAIL' ? 'TRANSACTION.FAIL' : 'TRANSACTION.SUCCESS'));
    }
    const e = this.entries.get(target.outParkingNo);
    if (!e) throw new SandboxControlError(`no parking entry ${target.outParkingNo}`);
    const s = this.plates.get(plateKey(e.plateNumber, e.plateColor));
    const description = e.state === 'BLOCKED' ? (s?.state === 'ENDED' ? 'REMOVE' : e.blockReason) : undefined;
    return this.entranceNotification(e, description, tamper, eventType);
  }

  private envelope(eventType: string, originalType: string, associatedData: string, summary: string, plaintext: string, tamper?: 'ciphertext' | 'aad'): BuiltNotification {
    let resource = encryptResource(this.hooks.apiV3Key, plaintext, associatedData);
    if (tamper === 'ciphertext') resource = tamperCiphertext(resource, plaintext);
    if (tamper === 'aad') resource = { ...resource, associated_data: `${associatedData}x` };
    const id = crypto.randomUUID();
    const body = JSON.stringify({
      id,
      create_time: wechatTime(this.hooks.clock.now()),
      resource_type: 'encrypt-resource',
      event_type: eventType,
      summary,
      resource: {
        original_type: originalType,
        algorithm: resource.algorithm,
        ciphertext: resource.ciphertext,
        associated_data: resource.associated_data,
        nonce: resource.nonce,
      },
    });
    return { id, body, plaintext };
  }

  private transactionNotification(t: SandboxParkingTransaction, tamper: 'ciphertext' | 'aad' | undefined, eventType: string): BuiltNotification {
    const summary = t.state === 'SUCCESS' ? '支付成功' : t.state === 'PAY_FAIL' ? '支付失败' : '订单状态';
    return this.envelope(eventType, 'transaction', 'transaction', summary, JSON.stringify(this.transactionJson(t)), tamper);
  }

  private entranceNotification(e: SandboxParking, description: string | undefined, tamper?: 'ciphertext' | 'aad', eventType = 'VEHICLE.ENTRANCE_STATE_CHANGE'): BuiltNotification {
    const resource: Obj = {
      sp_mchid: this.hooks.mchId,
      ...(e.subMchid !== undefined ? { sub_mchid: e.subMchid } : {}),
      parking_id: e.id,
      out_parking_no: e.outParkingNo,
      plate_number: e.plateNumber,
      plate_color: e.plateColor,
      start_time: e.startTime,
      parking_name: e.parkingName,
      free_duration: e.freeDuration,
      parking_state: e.state,
      ...(description !== undefined ? { blocked_state_description: description } : {}),
      state_update_time: wechatTime(this.hooks.clock.now()),
    };
    // The docs' example has an empty original_type for this event.
    return this.envelope(eventType, '', 'parking', '停车入场状态变更', JSON.stringify(resource), tamper);
  }

  // ---- wire shapes --------------------------------------------------------------------------------

  parkingJson(e: SandboxParking): Obj {
    const j: Obj = {
      id: e.id,
      out_parking_no: e.outParkingNo,
      plate_number: e.plateNumber,
      plate_color: e.plateColor,
      start_time: e.startTime,
      parking_name: e.parkingName,
      free_duration: e.freeDuration,
      state: e.state,
    };
    if (e.blockReason !== undefined) j.block_reason = e.blockReason;
    return j;
  }

  transactionJson(t: SandboxParkingTransaction): Obj {
    const paid = t.state === 'SUCCESS' || t.state === 'REFUND';
    const j: Obj = {
      appid: t.appid,
      sp_mchid: this.hooks.mchId,
      ...(t.subAppid !== undefined ? { sub_appid: t.subAppid } : {}),
      ...(t.subMchid !== undefined ? { sub_mchid: t.subMchid } : {}),
      description: t.description,
      create_time: wechatTime(t.createdAt),
      out_trade_no: t.outTradeNo,
      transaction_id: t.transactionId,
      trade_state: t.state,
      trade_state_description: t.stateDescription,
      trade_scene: 'PARKING',
      parking_info: t.parkingInfo,
      payer: { openid: t.openid },
      amount: paid ? { total: t.totalFen, currency: 'CNY', payer_total: t.totalFen, discount_total: 0 } : { total: t.totalFen, currency: 'CNY' },
      promotion_detail: [],
    };
    if (t.attach !== undefined) j.attach = t.attach;
    if (paid) {
      j.success_time = wechatTime(t.successAt ?? t.createdAt);
      j.bank_type = t.bankType ?? 'OTHERS';
    }
    return j;
  }

  // ---- HTTP control (under /__sandbox/parking/) ---------------------------------------------------

  control(method: string, url: URL, rawBody: string): ControlAnswer {
    const json = (status: number, body: unknown): ControlAnswer => ({ status, contentType: 'application/json; charset=utf-8', body: JSON.stringify(body) });
    const html = (status: number, body: string): ControlAnswer => ({ status, contentType: 'text/html; charset=utf-8', body });
    const p = url.pathname.slice('/__sandbox/parking'.length);
    if (p === '/signup' && method === 'GET') return this.signupGet(url.searchParams, html);
    if (p === '/signup' && method === 'POST') return this.signupPost(new URLSearchParams(rawBody), html);
    let body: Obj = {};
    if (rawBody.trim()) {
      try {
        const parsed = JSON.parse(rawBody) as unknown;
        if (!isObj(parsed)) return json(400, { error: 'body must be a JSON object' });
        body = parsed;
      } catch {
        return json(400, { error: 'body is not JSON' });
      }
    }
    const plate = () => {
      if (typeof body.plate_number !== 'string' || !body.plate_number) throw new SandboxControlError('plate_number is required');
      if (body.plate_color !== undefined && !isColor(body.plate_color)) throw new SandboxControlError(`plate_color must be one of ${PLATE_COLORS.join(', ')}`);
      return { plateNumber: body.plate_number, ...(isColor(body.plate_color) ? { plateColor: body.plate_color } : {}) };
    };
    const bool = (v: unknown) => (typeof v === 'boolean' ? v : undefined);
    try {
      if (method === 'GET' && p === '/state') {
        return json(200, { subMchid: this.subMchid ?? null, settleMode: this.settleMode, settleAfterMs: this.settleAfterMs, services: this.services(), parkings: this.parkings(), transactions: this.transactions() });
      }
      if (method === 'POST' && p === '/services/open') {
        if (typeof body.openid !== 'string' || !body.openid) throw new SandboxControlError('openid is required');
        return json(200, this.openService({ openid: body.openid, ...plate() }));
      }
      if (method === 'POST' && p === '/services/pause') return json(200, this.pauseService(plate()));
      if (method === 'POST' && p === '/services/end') return json(200, this.endService(plate()));
      if (method === 'POST' && p === '/services/flags') {
        const flags: { insufficientBalance?: boolean; overdue?: boolean; evaluationFailed?: boolean } = {};
        const ib = bool(body.insufficient_balance);
        const od = bool(body.overdue);
        const ef = bool(body.evaluation_failed);
        if (ib !== undefined) flags.insufficientBalance = ib;
        if (od !== undefined) flags.overdue = od;
        if (ef !== undefined) flags.evaluationFailed = ef;
        return json(200, this.setFlags({ ...plate(), ...flags }));
      }
      if (method === 'POST' && p === '/settle-mode') {
        const after = body.settle_after_ms;
        if (after !== undefined && after !== null && !isNonNegativeInt(after)) throw new SandboxControlError('settle_after_ms must be a non-negative integer or null');
        this.setSettleMode(body.mode as 'async' | 'sync', after as number | null | undefined);
        return json(200, { settleMode: this.settleMode, settleAfterMs: this.settleAfterMs });
      }
      const m = /^\/transactions\/([^/]+)\/settle$/.exec(p);
      if (method === 'POST' && m) {
        const state = body.state;
        if (state !== undefined && state !== 'SUCCESS' && state !== 'PAY_FAIL') throw new SandboxControlError('state must be SUCCESS or PAY_FAIL');
        return json(200, this.transactionJson(this.settleDeduction(decodeURIComponent(m[1]), state)));
      }
    } catch (e) {
      if (e instanceof SandboxControlError) return json(409, { error: e.message });
      throw e;
    }
    return json(404, { error: `no control route ${method} ${url.pathname}` });
  }

  private signupParams(q: URLSearchParams): SignupParams | string {
    const mchid = q.get('mchid') ?? '';
    const openid = q.get('openid') ?? '';
    const plateNumber = q.get('plate_number') ?? '';
    const plateColor = q.get('plate_color') ?? '';
    if (!openid || !plateNumber) return '缺少openid或plate_number，无法开通';
    if (!isColor(plateColor)) return '车牌颜色不正确';
    if (mchid !== this.hooks.mchId) return '商户无权限发起该流程，请联系商户处理';
    const subMchid = q.get('sub_mchid') ?? undefined;
    if ((this.subMchid ?? undefined) !== (subMchid || undefined)) return '商户无权限发起该流程，请联系商户处理';
    const tradeScene = q.get('trade_scene') ?? undefined;
    if (tradeScene !== undefined && tradeScene !== 'PARKING') return '开通场景信息不正确';
    const p: SignupParams = { mchid, openid, plateNumber, plateColor };
    if (subMchid) p.subMchid = subMchid;
    if (tradeScene) p.tradeScene = tradeScene;
    // Only an http(s) way back is kept (and linked): a javascript: URL never reaches the page.
    const returnUrl = safeReturnUrl(q.get('return_url') ?? undefined);
    if (returnUrl) p.returnUrl = returnUrl;
    return p;
  }

  private signupGet(q: URLSearchParams, html: (status: number, body: string) => ControlAnswer): ControlAnswer {
    const p = this.signupParams(q);
    if (typeof p === 'string') return html(403, signupRefusedPage(p));
    const s = this.plates.get(plateKey(p.plateNumber, p.plateColor as PlateColor));
    const current = s && s.openid === p.openid && s.state !== 'ENDED' ? s.state : 'OUT_SERVICE';
    return html(200, signupPage(this.signupPageUrl, p, current));
  }

  private signupPost(form: URLSearchParams, html: (status: number, body: string) => ControlAnswer): ControlAnswer {
    const p = this.signupParams(form);
    if (typeof p === 'string') return html(403, signupRefusedPage(p));
    if (form.get('action') !== 'open') return html(200, signupResultPage(p, 'cancelled'));
    try {
      this.openService({ openid: p.openid, plateNumber: p.plateNumber, plateColor: p.plateColor as PlateColor });
    } catch (e) {
      if (e instanceof SandboxControlError) return html(409, signupResultPage(p, 'refused', '该车牌已被其他微信用户开通'));
      throw e;
    }
    return html(200, signupResultPage(p, 'opened'));
  }
}

function plateKey(plateNumber: string, plateColor: string): string {
  return `${plateNumber}\u0000${plateColor}`;
}

function formatDay(ms: number): string {
  return wechatTime(ms).slice(0, 10).replace(/-/g, '');
}
