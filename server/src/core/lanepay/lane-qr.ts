/**
 * 4.16 withholding or payment QR, and 4.17 its result.
 *
 * 4.16 (spec 4.16.1 "向第三方云申请代扣或者获取支付二维码"): the lot asks us to charge a plate for an
 * outTradeNo. The plate has a live agreement → we deduct (lane-deductions.ts, the same claim as 4.27) and
 * answer `agreement` {outTradeNo, payType, totalFee, tradeNo, userId}: the answer itself tells the lot
 * the payment (its table: "代扣成功时有此字段"), so nothing else is sent for it. Otherwise (no agreement,
 * or the deduction failed: nothing was taken) we answer a payment `qrCode` for the lane screen — a WeChat
 * Native code_url or an Alipay precreate qr_code, per the park's laneQrProvider. A deduction whose outcome
 * is not known yet answers fail (asking again is safe): offering a QR then could take the money twice.
 *
 * The QR is an order of kind 'lane_qr' in the order machinery (orders collection, unique per park +
 * outTradeNo): WeChat's/Alipay's notification records its payment once, the expiry job closes it unpaid,
 * a payment that cannot count is refunded.
 *
 * How a paid QR reaches the lot: the lot polls 4.17 by outTradeNo ("向第三方云请求二维码支付结果"), and
 * its answer carries the payment (payType, totalFee, tradeNo, plate) — that is the protocol's way for a
 * 4.16 QR, so a 4.17 answer marks the order delivered. 4.5 sendPayRes ("下发各种支付结果") is the
 * fallback when the lot has not collected it within a grace period (its poll stopped, the process
 * restarted): the order worker then sends it with payChannel 扫码付, orderId and getTime read from the
 * outTradeNo (lane-qr-trade.ts). Both carry the same number (our order number as tradeNo and as
 * transactionID), so a lot that sees both counts one payment.
 */
import { timedNo } from '../ids';
import { fenToYuan, yuanToFen } from '../../../../shared/money';
import { normalizePlate } from '../../../../shared/plate';
import { formatChinaTime } from '../../../../shared/time';
import type { Clock } from '../clock';
import type { LotRecordsRepository } from '../lot/model';
import type { OrderDelivery } from '../orders/deliveries';
import type { LotGateway } from '../orders/gateways';
import type { Order, OrderRepository, Provider } from '../orders/model';
import type { OrderService } from '../orders/orders';
import type { Park } from '../parks';
import { PAY_TYPE, type LaneDeductionService } from './lane-deductions';
import { parseOutTradeNo, settlementTimeOf } from './lane-qr-trade';
import type { Log } from '../log';

/** A payment QR anyone can scan (implemented in adapter/payments/lane-qr.ts over the existing adapters). */
export interface LaneQrGateway {
  readonly provider: Provider;
  /** WeChat Native order → code_url; Alipay precreate → qr_code. Idempotent for the same orderNo and amount. */
  createQr(o: { orderNo: string; description: string; amountFen: number; expiresAt: Date }): Promise<{ qrCode: string }>;
}

/** The "driver" of a lane QR order: nobody's (whoever scans pays); never a driver id ("drv_…"). */
export const laneDriverId = (parkNumber: string) => `lane:${parkNumber}`;

export interface LaneQrDeps {
  deductions: LaneDeductionService;
  /** What lane QR reads of orders; it writes them through the order service. */
  orders: Pick<OrderRepository, 'byOutTradeNo' | 'get'>;
  /** The order service: the late-payment query of a pending order (view, throttled), and every write. */
  orderService: Pick<OrderService, 'view' | 'openLaneQr' | 'laneQrMade' | 'collectedByLot'>;
  qr: Partial<Record<Provider, LaneQrGateway>>;
  stays: Pick<LotRecordsRepository, 'findStay' | 'staysInPark'>;
  clock: Clock;
  /** How long a lane QR can be paid (default 10 minutes). */
  qrTtlMs?: number;
  newOrderNo?: () => string;
  sleep?: (ms: number) => Promise<void>;
  log?: Log;
}

/** What 4.16 answers (datas besides timeStamp), or a refusal with its reason. */
export type WithholdOrQrOutcome =
  | { kind: 'agreement'; agreement: { outTradeNo: string; payType: string; totalFee: string; tradeNo: string; userId: string } }
  | { kind: 'qr'; qrCode: string }
  | { kind: 'fail'; errorCode: string };

/** What 4.17 answers (datas besides timeStamp), or "not paid (yet)" with the reason. */
export type QrPayResultOutcome =
  | { kind: 'paid'; result: { outTradeNo: string; payType: string; totalFee: string; tradeNo: string; userId: string; plate: string } }
  | { kind: 'fail'; errorCode: string };

/** "PQ" + China time yyMMddHHmmss + 8 random: like an app order number, recognisable as a lane QR. */
export function newLaneQrOrderNo(now: number): string {
  return timedNo('PQ', now, 8);
}

export class LaneQrService {
  private readonly qrTtlMs: number;
  private readonly newOrderNo: () => string;
  private readonly sleep: (ms: number) => Promise<void>;

  constructor(private readonly deps: LaneQrDeps) {
    this.qrTtlMs = deps.qrTtlMs ?? 10 * 60_000;
    this.sleep = deps.sleep ?? ((ms) => new Promise((r) => setTimeout(r, ms)));
    this.newOrderNo = deps.newOrderNo ?? (() => newLaneQrOrderNo(deps.clock.now()));
  }

  private now(): Date {
    return new Date(this.deps.clock.now());
  }

  /** The park's QR provider: its laneQrProvider when set up here, else the first set up (WeChat first). */
  qrProvider(park: Park): Provider | undefined {
    const wanted = park.settings?.laneQrProvider;
    if (wanted && this.deps.qr[wanted]) return wanted;
    if (wanted) this.deps.log?.warn({ parkNumber: park.parkNumber, wanted }, 'the park wants a lane QR provider that is not set up; using another');
    return this.deps.qr.wechat ? 'wechat' : this.deps.qr.alipay ? 'alipay' : undefined;
  }

  /** 4.16 */
  async withholdOrQr(park: Park, req: { outTradeNo: string; payCharge: string; plate: string }): Promise<WithholdOrQrOutcome> {
    const amountFen = yuanToFen(req.payCharge);
    if (amountFen === 0) return { kind: 'fail', errorCode: 'nothing_to_pay: payCharge is 0' };

    // A resend of a 4.16 that got a QR: the same QR (no deduction now: the QR may be paid meanwhile).
    const existing = await this.deps.orders.byOutTradeNo(park.parkNumber, req.outTradeNo);
    if (existing) return this.qrOf(existing, amountFen);

    const out = await this.deps.deductions.deduct({
      park,
      outTradeNo: req.outTradeNo,
      plate: req.plate,
      amountFen,
      via: '4.16',
      policy: park.settings?.channelPayPolicy ?? 'secured',
    });
    if (out.kind === 'secured' || out.kind === 'accepted') {
      const d = out.deduction;
      return {
        kind: 'agreement',
        agreement: {
          outTradeNo: req.outTradeNo,
          payType: PAY_TYPE[d.attempt!.provider],
          totalFee: fenToYuan(d.paidFen ?? d.amountFen),
          tradeNo: d.attempt!.tradeNo,
          userId: '',
        },
      };
    }
    if (out.kind === 'pending') return { kind: 'fail', errorCode: out.reason };
    // Another amount, money taken for it that is being given back, or more than the lot's own price of the
    // stay: no QR for it either. (No open stay, a cap, the price not confirmed: a QR — nothing is taken
    // unless a person scans and pays it.)
    if (out.kind === 'failed' && (out.code === 'amount_mismatch' || out.code === 'refunded' || out.code === 'amount_exceeds_fee')) {
      return { kind: 'fail', errorCode: out.reason };
    }
    return this.newQr(park, req, amountFen);
  }

  private async newQr(park: Park, req: { outTradeNo: string; plate: string }, amountFen: number): Promise<WithholdOrQrOutcome> {
    const provider = this.qrProvider(park);
    if (!provider) return { kind: 'fail', errorCode: 'not_offered: no payment QR provider is set up for this park' };
    const now = this.now();
    const parts = parseOutTradeNo(req.outTradeNo, park.parkNumber);
    const stay =
      (parts ? await this.deps.stays.findStay(park.parkNumber, parts.orderId) : undefined) ??
      (await this.deps.stays.staysInPark(park.parkNumber, normalizePlate(req.plate)))[0];
    const inTime = stay?.entry?.inTime ?? null;
    const order: Order & { kind: 'lane_qr'; status: 'pending' } = {
      orderNo: this.newOrderNo(),
      driverId: laneDriverId(park.parkNumber),
      kind: 'lane_qr',
      parkNumber: park.parkNumber,
      orderId: parts?.orderId ?? stay?.orderId ?? '',
      plate: req.plate,
      outTradeNo: req.outTradeNo,
      quote: {
        chargeFen: amountFen,
        paidTotalFen: 0,
        profitChargeTotalFen: 0,
        payFen: amountFen,
        inTime: inTime ? formatChinaTime(inTime) : '',
        // sendPayRes (the fallback) echoes the lot's settlement time of this price.
        getTime: parts ? settlementTimeOf(parts.hhmmss, now.getTime()) : formatChinaTime(now),
        stopMinutes: inTime ? Math.max(0, Math.floor((now.getTime() - inTime.getTime()) / 60_000)) : 0,
        paidFreeMinutes: 0,
        profitMinutes: 0,
        imgName: stay?.entry?.inImage ?? '',
      },
      amountFen,
      status: 'pending',
      provider,
      expiresAt: new Date(now.getTime() + this.qrTtlMs),
      createdAt: now,
      updatedAt: now,
    };
    if (!(await this.deps.orderService.openLaneQr(order))) {
      const other = await this.deps.orders.byOutTradeNo(park.parkNumber, req.outTradeNo);
      if (!other) return { kind: 'fail', errorCode: 'in_progress: ask again' };
      return this.qrOf(other, amountFen);
    }
    return this.makeQr(order);
  }

  /** The provider's QR for an order (again, for the same orderNo and amount: the provider answers the same code). */
  private async makeQr(order: Order): Promise<WithholdOrQrOutcome> {
    const gateway = this.deps.qr[order.provider!];
    if (!gateway) return { kind: 'fail', errorCode: 'not_offered: the payment QR provider of this outTradeNo is not set up any more' };
    try {
      const { qrCode } = await gateway.createQr({ orderNo: order.orderNo, description: `停车费 ${order.plate}`.slice(0, 127), amountFen: order.amountFen, expiresAt: order.expiresAt });
      await this.deps.orderService.laneQrMade(order, qrCode);
      return { kind: 'qr', qrCode };
    } catch (e) {
      // The order stays pending without a code: a resend asks the provider again; the expiry job closes it.
      this.deps.log?.warn({ orderNo: order.orderNo, err: (e as Error).message }, 'lane QR: the provider did not make a code');
      return { kind: 'fail', errorCode: 'provider_unreachable: the payment QR could not be made; ask again' };
    }
  }

  /** A resend of 4.16 for an outTradeNo that has an order. */
  private async qrOf(order: Order, amountFen: number): Promise<WithholdOrQrOutcome> {
    if (order.kind !== 'lane_qr') return { kind: 'fail', errorCode: 'trade_taken: this outTradeNo is being paid in the ParkPay app' };
    if (order.amountFen !== amountFen) {
      return { kind: 'fail', errorCode: `amount_mismatch: this outTradeNo has a QR for ${fenToYuan(order.amountFen)} yuan` };
    }
    if (order.gateway?.qrCode && order.status !== 'closed' && order.status !== 'refunding' && order.status !== 'refunded') {
      return { kind: 'qr', qrCode: order.gateway.qrCode };
    }
    if (order.status === 'pending') return this.makeQr(order);
    return { kind: 'fail', errorCode: `qr_${order.status}: the QR of this outTradeNo is ${order.status}${order.closedReason ? ` (${order.closedReason})` : ''}; price the stay again` };
  }

  /** 4.17: the result of a 4.16 QR (or of its withholding), by outTradeNo. */
  async qrPayResult(park: Park, outTradeNo: string): Promise<QrPayResultOutcome> {
    let order = await this.deps.orders.byOutTradeNo(park.parkNumber, outTradeNo);
    if (!order || order.kind !== 'lane_qr') {
      // 4.16 answered `agreement` for it: the same result (recorded as collected: the lot has it now) —
      // unless its money is being given back (the lot had been told fail and did not collect it in time).
      const out = await this.deps.deductions.lotAsks(park, outTradeNo, '4.17');
      if ((out?.kind === 'secured' || out?.kind === 'accepted') && out.deduction.attempt) {
        const d = out.deduction;
        return {
          kind: 'paid',
          result: { outTradeNo, payType: PAY_TYPE[d.attempt!.provider], totalFee: fenToYuan(d.paidFen ?? d.amountFen), tradeNo: d.attempt!.tradeNo, userId: '', plate: d.plate },
        };
      }
      if (out?.kind === 'failed' && out.code === 'refunded') return { kind: 'fail', errorCode: out.reason };
      return { kind: 'fail', errorCode: `trade_unknown: no ParkPay QR payment has outTradeNo ${outTradeNo}` };
    }
    // Not paid as far as we know: ask the provider (at most every few seconds) in case its notification is late.
    if (order.status === 'pending' || order.status === 'quoted') order = await this.deps.orderService.view(order.driverId, order.orderNo);
    // The lot takes the payment from this answer: no sendPayRes needed. Not while the order worker holds the
    // delivery (its attempt is short: held for the grace, or a sendPayRes under way — then the lot gets
    // both, with the same number): wait for it a moment, then mark it.
    for (let i = 0; order.status === 'paid' && i < 20; i++) {
      const marked = await this.deps.orderService.collectedByLot(order.orderNo);
      if (marked) {
        order = marked;
        break;
      }
      await this.sleep(50);
      order = (await this.deps.orders.get(order.orderNo)) ?? order;
    }
    if ((order.status === 'paid' || order.status === 'delivered') && order.payment) {
      return {
        kind: 'paid',
        result: { outTradeNo, payType: PAY_TYPE[order.payment.provider], totalFee: fenToYuan(order.payment.paidFen), tradeNo: order.orderNo, userId: '', plate: order.plate },
      };
    }
    if (order.status === 'pending' || order.status === 'quoted') return { kind: 'fail', errorCode: 'not_paid: the QR has not been paid yet' };
    if (order.status === 'closed') return { kind: 'fail', errorCode: `qr_closed: ${order.closedReason ?? 'not paid in time'}` };
    return { kind: 'fail', errorCode: `refunded: the payment could not count (${order.refund?.reason ?? order.status}) and is given back` };
  }
}

/**
 * How a paid lane QR reaches the lot when its 4.17 poll has not collected it (the order machinery's
 * per-kind delivery): hold it for `graceMs` after the payment was recorded, then sendPayRes (4.5) with
 * payChannel 扫码付 and the lot's settlement time read from the outTradeNo. The same number as the 4.17
 * answer's tradeNo (our order number) is the transactionID.
 */
export class LaneQrDelivery implements OrderDelivery {
  constructor(
    private readonly lot: Pick<LotGateway, 'sendPayRes'>,
    private readonly graceMs = 30_000,
  ) {}

  /** Held for the grace after the payment was recorded (updatedAt: our clock; delivery attempts do not move it). */
  notBefore(order: Order): Date {
    return new Date(order.updatedAt.getTime() + this.graceMs);
  }

  async deliver(park: Park, order: Order): Promise<void> {
    const p = order.payment!;
    await this.lot.sendPayRes(park, {
      orderId: order.orderId,
      plate: order.plate,
      payChargeFen: order.amountFen,
      realChargeFen: p.paidFen,
      payTime: p.paidAt,
      payType: PAY_TYPE[p.provider],
      payChannel: '扫码付',
      getTime: order.quote.getTime,
      transactionID: order.delivery?.transactionID ?? order.orderNo,
      outTradeNo: order.outTradeNo,
    });
  }
}
