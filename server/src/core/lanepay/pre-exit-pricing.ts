/**
 * 4.13 pre-exit pricing (出场前算费请求): at the exit the lot tells us its figures for the stay (charge,
 * what was paid online and offline, its discounts, and `payCharge`, what is still due) and asks for ours.
 *
 * What we answer (the 4.13 table; the words of 4.5 and of the glossary, §3, for the same names):
 *  - `payCharge` 应收金额: what the stay owes at this exit — the lot's own payCharge, unchanged;
 *  - `realCharge` 已缴金额: what ParkPay covers of it — the sum of `chargeList`, never more than payCharge;
 *  - `chargeList` 扣款明细: one line per credit (payChannel "平台优惠", payNo = our coupon code or booking
 *    id), so the lot can book each one; the lot collects payCharge − realCharge from the driver;
 *  - `payKind` 支付类型: the credits' kind ("优惠券"), or "ParkPay" when we cover nothing (realCharge "0.00").
 *
 * What counts as a credit is what the lot cannot know already. Coupons the lot acknowledged through 4.23 are
 * in its own figures (its profitCharge) and are NOT counted again; a money coupon the lot never confirmed
 * (it was unreachable when the coupon was given) is applied here, once. Booking offers (H-book) can add
 * credits through the same StayCreditSource interface. No credit → the lot's own figures (realCharge 0).
 *
 * Idempotent per outTradeNo: Bluecard may ask again for the same exit (a lost answer); the same outTradeNo
 * gets the same credits, a new outTradeNo (a later exit attempt) does not get credits already used.
 */
import { fenToYuan, yuanToFen } from '../../../../shared/money';
import { normalizePlate } from '../../../../shared/plate';
import { formatChinaTime, parseChinaTime } from '../../../../shared/time';
import type { Clock } from '../clock';
import type { Log } from '../log';

/** The exit being priced, as the credit sources see it. */
export interface ExitPricingContext {
  parkNumber: string;
  /** Bluecard's stay id (4.2 orderId). */
  orderId: string;
  /** As the lot spelled it, and its lookup key. */
  plate: string;
  plateKey: string;
  /** Bluecard's id of this pricing; the idempotency key of the claims. */
  outTradeNo: string;
  inTime: Date | null;
  /** The lot's settlement time (4.13 outTime), or now when it sent none we can read. */
  outTime: Date;
  /** The lot's own payCharge: what is still due before our credits. */
  dueFen: number;
}

/** One credit towards the stay: a line of 4.13's chargeList. */
export interface StayCredit {
  /** Unique per credit: our coupon code, a booking id… (4.13 payNo). */
  payNo: string;
  fen: number;
  /** 4.13 payKind of the line, e.g. "优惠券". */
  payKind: string;
  /** 4.13 payChannel; the spec's list has "平台优惠" for ours. */
  payChannel: string;
  memo: string;
}

/**
 * Where credits come from (our coupons; H-book's booking offers). `claim` takes at most `remainingFen` and
 * marks what it took as used by `ctx.outTradeNo` (a repeat with the same outTradeNo returns the same
 * credits; they are never given to another outTradeNo).
 */
export interface StayCreditSource {
  readonly name: string;
  claimForExit(ctx: ExitPricingContext, remainingFen: number): Promise<StayCredit[]>;
}

/** The 4.13 request fields pricing reads (the tolerant schema's output has them all). */
export interface PreExitRequest {
  parkNumber: string;
  plate: string;
  orderId: string;
  payCharge: string;
  outTradeNo: string;
  inTime: string;
  outTime: string;
}

/** 4.13 answer datas (exact). */
export interface PreExitAnswer {
  payCharge: string;
  realCharge: string;
  payKind: string;
  timeStamp: string;
  chargeList: { payNo: string; getTime: string; payCharge: string; payKind: string; payChannel: string; memo: string }[];
}

/** payKind when ParkPay covers nothing (the spec's example names the third party's own brand there). */
export const NO_CREDIT_PAY_KIND = 'ParkPay';
/** payKind when several kinds of credit are combined. */
export const MIXED_CREDIT_PAY_KIND = '平台优惠';

function readTime(text: string): Date | null {
  if (!text) return null;
  try {
    return parseChinaTime(text);
  } catch {
    return null;
  }
}

export class PreExitPricing {
  constructor(
    private readonly deps: { sources: StayCreditSource[]; clock: Clock; log?: Pick<Log, 'warn' | 'error'> },
  ) {}

  /** Price one exit: the lot's figures plus our credits (see the file comment). */
  async price(parkNumber: string, req: PreExitRequest): Promise<PreExitAnswer> {
    const now = this.deps.clock.now();
    const dueFen = yuanToFen(req.payCharge);
    const outTime = readTime(req.outTime) ?? new Date(now);
    const ctx: ExitPricingContext = {
      parkNumber,
      orderId: req.orderId,
      plate: req.plate,
      plateKey: normalizePlate(req.plate),
      outTradeNo: req.outTradeNo,
      inTime: readTime(req.inTime),
      outTime,
      dueFen,
    };
    const credits: StayCredit[] = [];
    let remaining = dueFen;
    // Nothing due: nothing to cover, and no coupon is used up on a free exit. Without an outTradeNo a claim
    // could not be made idempotent: the lot's figures then (the spec marks outTradeNo required).
    if (dueFen > 0 && ctx.outTradeNo !== '') {
      for (const source of this.deps.sources) {
        if (remaining <= 0) break;
        let got: StayCredit[];
        try {
          got = await source.claimForExit(ctx, remaining);
        } catch (err) {
          // A source that cannot answer must not keep the barrier down: its credits wait for the next exit.
          this.deps.log?.error({ err, source: source.name, parkNumber, orderId: req.orderId }, '4.13: credit source failed; answering without it');
          continue;
        }
        for (const c of got) {
          if (!Number.isSafeInteger(c.fen) || c.fen <= 0) continue;
          const fen = Math.min(c.fen, remaining);
          if (fen <= 0) break;
          credits.push({ ...c, fen });
          remaining -= fen;
        }
      }
    }
    const realFen = credits.reduce((s, c) => s + c.fen, 0);
    const kinds = [...new Set(credits.map((c) => c.payKind))];
    const getTime = formatChinaTime(outTime);
    return {
      payCharge: fenToYuan(dueFen),
      realCharge: fenToYuan(realFen),
      payKind: kinds.length === 0 ? NO_CREDIT_PAY_KIND : kinds.length === 1 ? kinds[0]! : MIXED_CREDIT_PAY_KIND,
      timeStamp: String(now),
      chargeList: credits.map((c) => ({
        payNo: c.payNo,
        getTime,
        payCharge: fenToYuan(c.fen),
        payKind: c.payKind,
        payChannel: c.payChannel,
        memo: c.memo,
      })),
    };
  }
}
