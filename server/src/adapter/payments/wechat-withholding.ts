/**
 * The agreement service's WithholdingGateway over WeChat Pay's vehicle parking service (微信支付分停车服务 /
 * 车主服务 v3, 无感支付): a driver opens the service for a plate in WeChat's own mini-program; at exit we deduct
 * the stay's fee for that plate, and WeChat debits the driver (usually later: ACCEPTED → SUCCESS / PAY_FAIL).
 *
 * deduct(), in this order (WeChat docs 开发指引 停车离场 chapter3_7_3_4, Q&A 车主交通行业常见问题):
 *  1. query the deduction by out_trade_no first (alongside step 2): a deduction already made under this
 *     number (a retry after a lost answer, a crash, a second worker) is answered from WeChat's record and
 *     never made twice, whatever the service's state is by now;
 *  2. 查询车牌服务开通信息: only NORMAL goes on (PAUSE / OUT_SERVICE → failed no_agreement);
 *  3. 创建停车入场 with out_parking_no = out_trade_no (the same number again answers the same entry; an entry
 *     BLOCKED for PAUSE / OUT_SERVICE → no_agreement, OVERDUE / EVALUATION_FAILED → refused);
 *  4. 扣费受理; on a refusal or a lost answer, query again: found → that is the answer (WeChat keeps one
 *     deduction per out_trade_no); not found after a refusal → failed refused (WeChat's code and message); not
 *     found after a lost answer → one more attempt with the same out_trade_no, else the (retryable) error.
 * The trade state → DeductResult mapping is one switch (deductResultOf).
 *
 * WeChat's service is per openid + plate; there is no agreement number and no merchant-side unsign: end()
 * throws GatewayFailure 'unsupported' (the driver ends it in WeChat's 车主服务).
 *
 * Plate colour: WeChat keys the service by plate AND colour. The agreement ref has no colour, so it is taken
 * from the plate (plateColorOf: 8-character new-energy plates GREEN, 学/挂 YELLOW, 警 and WJ WHITE, 港/澳/使/领
 * BLACK, else BLUE); a ref may carry `plateColor` to override it (WechatAgreementRef).
 */
import { z } from 'zod';
import type {
  AgreementRef,
  AgreementState,
  DeductResult,
  ProviderAgreement,
  SignupStart,
  WithholdingEvent,
  WithholdingGateway,
  WithholdingRefundResult,
} from '../../core/agreements/gateways';
import { type Clock, systemClock } from '../../core/clock';
import { GatewayFailure } from '../../core/gateway-failure';
import { normalizePlate } from '../../../../shared/plate';
import {
  type IncomingNotification,
  type ParkingNotification,
  type PlateColor,
  type WechatParkingTransaction,
  type WechatPayAdapter,
  PLATE_COLORS,
  WechatParkingAdapter,
  isNotFound,
  isWechatPayError,
  mapWechatStatus,
  type WechatRefundView,
} from '../wechatpay';

/** WeChat's 车主服务 mini-program (小程序调起微信支付分停车服务开通页, chapter8_8_7). */
export const WECHAT_PARKING_MINIPROGRAM = { appId: 'wxbcad394b3d99dac9', path: 'pages/auth-creditpay/auth-creditpay' } as const;

const httpUrl = z.url({ protocol: /^https?$/, error: 'must be an http(s) URL' });

/** What the gateway reads of the `wechatParking` configuration (config.ts checks the block; it needs `wechatPay`). */
export const wechatParkingConfigSchema = z.strictObject({
  /** Where WeChat sends VEHICLE.ENTRANCE_STATE_CHANGE and TRANSACTION.* for parking deductions (no query string). */
  notifyUrl: httpUrl,
  /** Service-provider mode (普通服务商): the lots' sub-merchant. Omit for a direct merchant (普通商户). */
  subMchid: z.string().min(1).optional(),
  /** Service-provider mode: the sub-merchant's appid shown on deductions. */
  subAppid: z.string().min(1).optional(),
  /** free_duration of parking entries, seconds (shown by WeChat). */
  freeDurationSeconds: z.number().int().min(0).default(0),
  /** H5 stand-in for the 车主服务 mini-program (demo: the sandbox's /__sandbox/parking/signup). */
  signupH5Url: httpUrl.optional(),
});
export type WechatParkingConfig = z.infer<typeof wechatParkingConfigSchema>;

/** An agreement ref that may name the plate colour (BLUE, GREEN, YELLOW, BLACK, WHITE, LIMEGREEN). */
export type WechatAgreementRef = AgreementRef & { plateColor?: PlateColor };

export interface WechatWithholdingOptions {
  parking: WechatParkingAdapter;
  notifyUrl: string;
  clock?: Clock;
  /** Seconds free at the lot (free_duration, and what charging_duration leaves out). Default 0. */
  freeDurationSeconds?: number | ((parkNumber: string) => number);
  /** parking_info.device_id (1–32 characters). Default: the park number. */
  deviceId?: (parkNumber: string) => string;
  signupH5Url?: string;
}

type Deduction = Parameters<WithholdingGateway['deduct']>[0];

export class WechatWithholdingGateway implements WithholdingGateway {
  readonly provider = 'wechat' as const;
  private readonly parking: WechatParkingAdapter;
  private readonly clock: Clock;

  constructor(private readonly options: WechatWithholdingOptions) {
    this.parking = options.parking;
    this.clock = options.clock ?? systemClock;
  }

  async startSignup(o: AgreementRef & { returnUrl?: string }): Promise<SignupStart> {
    const openid = requireOpenId(o);
    const extraData: Record<string, string> = {
      mchid: this.parking.mchId,
      ...(this.parking.subMchid !== undefined ? { sub_mchid: this.parking.subMchid } : {}),
      openid,
      plate_number: plateOf(o),
      plate_color: colorOf(o),
      trade_scene: 'PARKING',
    };
    const start: SignupStart = { provider: 'wechat', navigate: { appId: WECHAT_PARKING_MINIPROGRAM.appId, path: WECHAT_PARKING_MINIPROGRAM.path, extraData } };
    if (this.options.signupH5Url) {
      const query = new URLSearchParams({ ...extraData, ...(o.returnUrl ? { return_url: o.returnUrl } : {}) });
      start.h5Url = `${this.options.signupH5Url}?${query.toString()}`;
    }
    return start;
  }

  async check(o: AgreementRef): Promise<ProviderAgreement> {
    const openid = requireOpenId(o);
    const s = await this.parking.findService({ openid, plateNumber: plateOf(o), plateColor: colorOf(o) });
    switch (s.serviceState) {
      case 'NORMAL':
        return { state: 'active', ...(s.openedAt ? { signedAt: s.openedAt } : {}) };
      case 'PAUSE':
        return { state: 'paused', ...(s.openedAt ? { signedAt: s.openedAt } : {}), reason: 'PAUSE: the driver paused the service in WeChat' };
      case 'OUT_SERVICE':
        return { state: 'none', reason: 'OUT_SERVICE: the plate is not in this driver’s WeChat parking service' };
      default:
        // A state WeChat added later: not usable, and nothing is claimed ended.
        return { state: 'paused', reason: `service_state ${s.serviceState}` };
    }
  }

  async end(_o: AgreementRef): Promise<void> {
    throw new GatewayFailure('WeChat’s parking service is ended by the driver in WeChat (微信支付分停车服务), not by the merchant', { failure: 'unsupported', retryable: false, sent: false, reason: 'end_with_provider' });
  }

  async deduct(o: Deduction): Promise<DeductResult> {
    const openid = o.agreement.payer.openId;
    if (!openid) return { status: 'failed', code: 'no_agreement', reason: 'no WeChat openid for this payer' };
    if (!Number.isSafeInteger(o.amountFen) || o.amountFen < 1) throw refused('invalid_amount', 'amountFen must be a positive integer');
    const enteredAt = o.enteredAt.getTime();
    const leftAt = o.leftAt.getTime();
    if (!(Math.floor(leftAt / 1000) > Math.floor(enteredAt / 1000))) {
      throw refused('invalid_stay', 'leftAt must be at least a second after enteredAt (WeChat refuses equal times)');
    }

    const plateNumber = plateOf(o.agreement);
    const plateColor = colorOf(o.agreement);
    // Steps 1 and 2 side by side (one round trip less at the exit lane); the existing deduction wins.
    const [before, found] = await Promise.allSettled([
      this.existing(o.outTradeNo, o.amountFen),
      this.parking.findService({ openid, plateNumber, plateColor }),
    ]);
    if (before.status === 'rejected') throw before.reason;
    if (before.value) return before.value;
    if (found.status === 'rejected') throw found.reason;
    const service = found.value;
    if (service.serviceState !== 'NORMAL') {
      const why = service.serviceState === 'PAUSE' ? 'the driver paused the service' : service.serviceState === 'OUT_SERVICE' ? 'the plate is not in the service' : 'the service is not usable';
      return { status: 'failed', code: 'no_agreement', reason: `${service.serviceState}: ${why}` };
    }

    const free = this.freeSeconds(o.parkNumber);
    const parkingName = (o.parkName || o.parkNumber).slice(0, 128);
    const entry = await this.retryOnce(() =>
      this.parking.createEntry({
        outParkingNo: o.outTradeNo,
        plateNumber,
        plateColor,
        startTime: o.enteredAt,
        parkingName,
        freeDurationSeconds: free,
        notifyUrl: this.options.notifyUrl,
      }),
    );
    if (entry.state !== 'NORMAL') {
      const reason = entry.blockReason ?? entry.state;
      const code = reason === 'PAUSE' || reason === 'OUT_SERVICE' ? 'no_agreement' : 'refused';
      return { status: 'failed', code, reason: `entry ${entry.state} (${reason})` };
    }

    const stay = Math.floor(leftAt / 1000) - Math.floor(enteredAt / 1000);
    const input = {
      outTradeNo: o.outTradeNo,
      description: (o.description || `停车费 ${parkingName}`).slice(0, 128),
      attach: o.parkNumber.slice(0, 128),
      totalFen: o.amountFen,
      notifyUrl: this.options.notifyUrl,
      parking: {
        parkingId: entry.id,
        plateNumber,
        plateColor,
        startTime: o.enteredAt,
        endTime: o.leftAt,
        parkingName,
        chargingDurationSeconds: Math.max(0, stay - free),
        deviceId: (this.options.deviceId?.(o.parkNumber) ?? o.parkNumber).slice(0, 32),
      },
    };
    return this.submitDeduction(input, o.amountFen);
  }

  /**
   * The deduction itself, tried at most twice. Refused or lost: WeChat keeps one deduction per out_trade_no,
   * so what it has under it is the answer.
   */
  private async submitDeduction(input: Parameters<WechatParkingAdapter['deduct']>[0], amountFen: number): Promise<DeductResult> {
    let firstError: unknown;
    for (let attempt = 1; attempt <= 2; attempt++) {
      try {
        const v = await this.parking.deduct(input);
        return deductResultOf(v.transaction, this.clock.now());
      } catch (e) {
        if (!isWechatPayError(e) || e.kind === 'invalid_request') throw e;
        firstError ??= e;
        let after: DeductResult | undefined;
        try {
          after = await this.existing(input.outTradeNo, amountFen);
        } catch {
          throw firstError; // cannot tell: the caller retries the whole deduct, which queries first
        }
        if (after) return after;
        if (e.kind === 'business') {
          return { status: 'failed', code: 'refused', reason: `${e.code ?? `HTTP ${e.httpStatus}`}${e.wechatMessage ? `: ${e.wechatMessage}` : ''}` };
        }
        if (!e.retryable) throw e;
      }
    }
    throw firstError;
  }

  async queryDeduction(outTradeNo: string): Promise<DeductResult | { status: 'unknown' }> {
    try {
      const v = await this.parking.queryDeduction(outTradeNo);
      return deductResultOf(v.transaction, this.clock.now());
    } catch (e) {
      if (isNotFound(e)) return { status: 'unknown' };
      throw e;
    }
  }

  /**
   * 申请退款 for a deduction (the parking service refunds through the common refund API). The refund is
   * looked up first: asked before (a retry, a lost answer) → its state, and no second request (WeChat limits
   * refund requests per order). No notify_url: the caller follows the refund by asking again.
   */
  async refund(o: { outTradeNo: string; refundNo: string; refundFen: number; totalFen: number; reason: string }): Promise<WithholdingRefundResult> {
    let v: WechatRefundView | undefined;
    try {
      v = await this.parking.queryRefund(o.refundNo);
    } catch (e) {
      if (!isNotFound(e)) throw e;
    }
    v ??= await this.parking.refund({ outTradeNo: o.outTradeNo, outRefundNo: o.refundNo, refundFen: o.refundFen, totalFen: o.totalFen, reason: utf8Prefix(o.reason, 80) });
    if (v.outTradeNo !== undefined && v.outTradeNo !== o.outTradeNo) {
      throw conflict('refund_conflict', `WeChat has out_refund_no ${o.refundNo} for ${v.outTradeNo}, not ${o.outTradeNo}`, true);
    }
    switch (mapWechatStatus('refund', v.refundStatus)) {
      case 'refunded': {
        const at = v.successTime ? Date.parse(v.successTime) : NaN;
        return { status: 'refunded', refundId: v.refundId, refundedAt: new Date(Number.isNaN(at) ? this.clock.now() : at) };
      }
      case 'closed':
        return { status: 'failed', reason: 'CLOSED: WeChat closed the refund' };
      case 'failed':
        return { status: 'failed', reason: 'ABNORMAL: the driver’s account cannot take the refund (退款异常); refund by hand in the merchant platform' };
      default:
        return { status: 'pending', refundId: v.refundId };
    }
  }

  /** A parking notification → the event the agreement service acts on (verified: signature, AEAD, merchant). */
  async verifyNotification(input: IncomingNotification): Promise<WithholdingEvent> {
    return (await this.openNotification(input)).event;
  }

  /** The same, with WeChat's notification id and event type (for logs and de-duplication). */
  async openNotification(input: IncomingNotification): Promise<{ id: string; eventType: string; event: WithholdingEvent; notification: ParkingNotification }> {
    const n = await this.parking.verifyNotification(input);
    const event: WithholdingEvent =
      n.kind === 'transaction'
        ? { kind: 'deduction', provider: 'wechat', outTradeNo: n.transaction.out_trade_no, result: deductResultOf(n.transaction, this.clock.now()) }
        : { kind: 'agreement', provider: 'wechat', plate: n.parking.plate_number, state: entranceAgreementState(n.parking.parking_state, n.parking.blocked_state_description) };
    return { id: n.id, eventType: n.eventType, event, notification: n };
  }

  /** The deduction WeChat has under this number, or undefined when there is none. */
  private async existing(outTradeNo: string, amountFen: number): Promise<DeductResult | undefined> {
    let v;
    try {
      v = await this.parking.queryDeduction(outTradeNo);
    } catch (e) {
      if (isNotFound(e)) return undefined;
      throw e;
    }
    if (v.totalFen !== amountFen) {
      throw conflict('deduction_conflict', `WeChat has out_trade_no ${outTradeNo} for ${v.totalFen} fen, not ${amountFen}`, false);
    }
    return deductResultOf(v.transaction, this.clock.now());
  }

  /** Once more on a retryable failure (the same request is safe: the same out_parking_no answers the same entry). */
  private async retryOnce<T>(call: () => Promise<T>): Promise<T> {
    try {
      return await call();
    } catch (e) {
      if (isWechatPayError(e) && e.retryable) return call();
      throw e;
    }
  }

  private freeSeconds(parkNumber: string): number {
    const f = this.options.freeDurationSeconds;
    const v = typeof f === 'function' ? f(parkNumber) : (f ?? 0);
    return Number.isSafeInteger(v) && v >= 0 ? v : 0;
  }
}

/**
 * WeChat's trade_state → DeductResult, the one place it is decided.
 *
 * | trade_state | result                      | why                                                              |
 * |-------------|-----------------------------|------------------------------------------------------------------|
 * | SUCCESS     | paid                        | 支付成功 (bank_type BPA: WeChat advanced it; still paid for us)    |
 * | REFUND      | paid                        | 转入退款: it was paid, a refund followed                           |
 * | ACCEPTED    | accepted                    | 已接收，等待扣款: the car may go (WeChat: only on ACCEPTED)         |
 * | PAY_FAIL    | failed insufficient_funds   | 支付失败 (balance, card): the driver pays another way               |
 * | (unknown)   | accepted                    | never grants money; the query / notification tells later         |
 */
export function deductResultOf(t: WechatParkingTransaction, nowMs: number): DeductResult {
  switch (t.trade_state) {
    case 'SUCCESS':
    case 'REFUND': {
      const at = t.success_time ? Date.parse(t.success_time) : NaN;
      return { status: 'paid', transactionId: t.transaction_id ?? '', paidFen: t.amount.total, paidAt: new Date(Number.isNaN(at) ? nowMs : at) };
    }
    case 'PAY_FAIL':
      return { status: 'failed', code: 'insufficient_funds', reason: t.trade_state_description ?? 'PAY_FAIL' };
    case 'ACCEPTED':
    default:
      return t.transaction_id ? { status: 'accepted', transactionId: t.transaction_id } : { status: 'accepted' };
  }
}

/** VEHICLE.ENTRANCE_STATE_CHANGE → the agreement's state. */
export function entranceAgreementState(parkingState: string, blockedDescription: string | undefined): AgreementState {
  if (parkingState === 'NORMAL') return 'active';
  switch (blockedDescription) {
    case 'REMOVE':
    case 'OUT_SERVICE':
      return 'ended';
    case 'PAUSE':
    case 'OVERDUE':
    case 'EVALUATION_FAILED':
    default:
      return 'paused';
  }
}

/** At most `bytes` UTF-8 bytes of `text`, whole characters (WeChat counts a refund reason in bytes). */
function utf8Prefix(text: string, bytes: number): string {
  let out = '';
  let used = 0;
  for (const ch of text) {
    used += Buffer.byteLength(ch);
    if (used > bytes) break;
    out += ch;
  }
  return out;
}

/** The plate as WeChat wants it: province + plate, no separators, upper case. */
function plateOf(ref: AgreementRef): string {
  const plate = normalizePlate(ref.plate);
  if (!plate || plate.length > 32) throw refused('invalid_plate', `not a plate WeChat can take: ${ref.plate}`);
  return plate;
}

function colorOf(ref: WechatAgreementRef): PlateColor {
  if (ref.plateColor !== undefined) {
    if (!(PLATE_COLORS as readonly string[]).includes(ref.plateColor)) throw refused('invalid_plate_color', `plateColor must be one of ${PLATE_COLORS.join(', ')}`);
    return ref.plateColor;
  }
  return plateColorOf(ref.plate);
}

/** The usual colour of a Chinese plate from its characters (a 7-character plate may also be a yellow truck's). */
export function plateColorOf(raw: string): PlateColor {
  const p = normalizePlate(raw);
  if (p.startsWith('WJ') || p.endsWith('警')) return 'WHITE';
  if (/[港澳使领]$/.test(p) || p.startsWith('使')) return 'BLACK';
  if (/[学挂]$/.test(p)) return 'YELLOW';
  if ([...p].length === 8) return 'GREEN';
  return 'BLUE';
}

function requireOpenId(o: AgreementRef): string {
  const openid = o.payer.openId;
  if (!openid) throw refused('payer_required', 'WeChat’s parking service needs the driver’s openid');
  return openid;
}

/**
 * The gateway from config: `wechatPay` the merchant's v3 adapter (and its config, whose APIv3 key decrypts
 * notifications), `parking` the wechatParkingConfigSchema part. The same clock as the WeChat Pay adapter.
 */
export function createWechatWithholdingGateway(o: {
  wechatPay: WechatPayAdapter;
  wechatPayConfig: { apiV3Key: string };
  parking: z.input<typeof wechatParkingConfigSchema>;
  clock?: Clock;
  deviceId?: (parkNumber: string) => string;
  freeDurationSeconds?: (parkNumber: string) => number;
}): WechatWithholdingGateway {
  const c = wechatParkingConfigSchema.parse(o.parking);
  const parking = new WechatParkingAdapter({
    pay: o.wechatPay,
    config: o.wechatPayConfig,
    ...(o.clock ? { clock: o.clock } : {}),
    ...(c.subMchid !== undefined ? { subMchid: c.subMchid } : {}),
    ...(c.subAppid !== undefined ? { subAppid: c.subAppid } : {}),
  });
  return new WechatWithholdingGateway({
    parking,
    notifyUrl: c.notifyUrl,
    ...(o.clock ? { clock: o.clock } : {}),
    freeDurationSeconds: o.freeDurationSeconds ?? c.freeDurationSeconds,
    ...(o.deviceId ? { deviceId: o.deviceId } : {}),
    ...(c.signupH5Url !== undefined ? { signupH5Url: c.signupH5Url } : {}),
  });
}

/** Arguments WeChat cannot take, refused before anything went on the wire. */
function refused(reason: string, message: string): GatewayFailure {
  return new GatewayFailure(message, { failure: 'invalid_request', retryable: false, sent: false, reason });
}

/** WeChat holds this number for something else. `sent`: whether our request itself went out (a refund did). */
function conflict(reason: string, message: string, sent: boolean): GatewayFailure {
  return new GatewayFailure(message, { failure: 'conflict', retryable: false, sent, reason });
}
