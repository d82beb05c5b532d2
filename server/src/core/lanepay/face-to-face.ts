/**
 * Booth face-to-face payment (Bluecard 4.24–4.26): the booth scanner read a code at the exit.
 *
 * - 4.24 pay: a WeChat 付款码 (18 digits, 10–15…) or an Alipay one (16–24 digits, 25–30…) is charged with
 *   the provider that owns it; any other code is first offered to the fixed coupon codes (scene 2 →
 *   discountContent), else refused (`auth_code_invalid`). The outTradeNo is claimed by inserting its record
 *   (unique id): a repeat never charges again, it is answered from the record. Only after a refusal (nothing
 *   taken) may a NEW code try again on the same outTradeNo, as a new attempt with a new payment number.
 * - USERPAYING (the payer confirms with a password) or an unknown outcome answers `fail` errorCode
 *   "USERPAYING"; Bluecard then polls 4.25 every second for 5 minutes. Polls are answered from the record;
 *   the provider is asked at most every `queryEveryMs` per payment, never twice at once (a query lease).
 * - 4.26, the deadline (nobody polled or cancelled), and a payment Bluecard was never told of end in
 *   `cancelling`: the provider's reverse / cancel closes an unpaid order and gives back a paid one; a cancel
 *   that cannot complete now is retried by the job (port/jobs/face-to-face-worker.ts) until done.
 *
 * No I/O libraries: repository and gateways are the interfaces in face-to-face-model.ts.
 */
import { createHash } from 'node:crypto';
import { timedNo } from '../ids';
import { dateNow, type Clock } from '../clock';
import { AppError } from '../errors';
import * as changes from './face-changes';
import type { FixedCoupon, FixedCouponCodes } from './fixed-coupons';
import {
  DEFAULT_FACE_POLICY,
  faceDue,
  type CancelResult,
  type ChargeResult,
  type FaceCancel,
  type FacePaid,
  type FacePayment,
  type FacePaymentRepository,
  type FaceProvider,
  type FaceToFaceGateway,
  type FaceToFacePolicy,
} from './face-to-face-model';
import type { Log } from '../log';

export interface FaceToFaceDeps {
  payments: FacePaymentRepository;
  gateways: Partial<Record<FaceProvider, FaceToFaceGateway>>;
  /** Fixed coupon codes (4.24 scene 2); without it every non-payment code is refused. */
  coupons?: FixedCouponCodes;
  clock: Clock;
  policy?: Partial<FaceToFacePolicy>;
  /** A cancel was requested and could not finish at once: the job may take it now. */
  onCancelPending?: (id: string) => void;
  log?: Log;
  newPaymentNo?: () => string;
}

export interface FacePayRequest {
  parkNumber: string;
  outTradeNo: string;
  payChargeFen: number;
  plate: string;
  authCode: string;
  orderId: string;
}

/** What to tell Bluecard (the port turns it into the 4.24 / 4.25 / 4.26 envelope). */
export type FaceAnswer =
  | { kind: 'paid'; payment: FacePayment & { payment: FacePaid } }
  | { kind: 'discount'; coupon: FixedCoupon; orderId: string; plate: string }
  | { kind: 'userpaying' }
  | { kind: 'cancelled' }
  | { kind: 'fail'; errorCode: string };

/** FP + China time yyMMddHHmmss + 8 random: 22 of [0-9A-Z], fits WeChat (≤32) and Alipay (≤64). */
export function newPaymentNo(now: number): string {
  return timedNo('FP', now, 8);
}

export const faceId = (parkNumber: string, outTradeNo: string) => `${parkNumber}|${outTradeNo}`;
const hashCode = (code: string) => createHash('sha256').update(code).digest('hex');
const errorText = (e: unknown) => (e instanceof Error ? e.message : String(e)).slice(0, 300);

export class FaceToFaceService {
  readonly policy: FaceToFacePolicy;
  private readonly newPaymentNo: () => string;

  constructor(private readonly deps: FaceToFaceDeps) {
    this.policy = { ...DEFAULT_FACE_POLICY, ...deps.policy };
    this.newPaymentNo = deps.newPaymentNo ?? (() => newPaymentNo(deps.clock.now()));
  }

  // -------------------------------------------------------------------------------------------------------
  // 4.24

  async pay(req: FacePayRequest): Promise<FaceAnswer> {
    const code = req.authCode.replace(/\s+/g, '');
    const provider = paymentCodeProvider(code);
    if (!provider) return this.couponOrRefuse(req, code);
    const gateway = this.deps.gateways[provider];
    if (!gateway) {
      return { kind: 'fail', errorCode: `not_offered: ParkPay takes no ${provider === 'wechat' ? 'WeChat Pay' : 'Alipay'} payment codes (not configured)` };
    }
    if (!(req.payChargeFen > 0)) return { kind: 'fail', errorCode: 'invalid_field: payCharge: nothing to pay' };

    const id = faceId(req.parkNumber, req.outTradeNo);
    const now = dateNow(this.deps.clock);
    const fresh: FacePayment = {
      id,
      parkNumber: req.parkNumber,
      outTradeNo: req.outTradeNo,
      orderId: req.orderId,
      plate: req.plate,
      amountFen: req.payChargeFen,
      provider,
      codeHash: hashCode(code),
      attempt: 1,
      paymentNo: this.newPaymentNo(),
      status: 'charging',
      chargeLeaseUntil: new Date(now.getTime() + this.policy.chargeLeaseMs),
      deadline: this.deadlineFrom(now),
      queries: 0,
      createdAt: now,
      updatedAt: now,
    };
    let claimed: FacePayment | undefined;
    if (await this.deps.payments.insert(fresh)) {
      claimed = fresh;
    } else {
      const existing = await this.deps.payments.get(id);
      if (!existing) return { kind: 'fail', errorCode: 'busy: try again' };
      if (existing.amountFen !== req.payChargeFen) {
        return { kind: 'fail', errorCode: `trade_conflict: outTradeNo ${req.outTradeNo} was scanned for ${existing.amountFen} fen, not ${req.payChargeFen}` };
      }
      if (existing.status !== 'failed' || existing.codeHash === fresh.codeHash) return this.answer(existing);
      // A new code after a refusal (nothing was taken): a new attempt, claimed from exactly that refusal.
      claimed = await this.deps.payments.apply(
        id,
        changes.newAttempt(
          existing,
          { provider, codeHash: fresh.codeHash, paymentNo: fresh.paymentNo, chargeLeaseUntil: fresh.chargeLeaseUntil, deadline: fresh.deadline },
          now,
        ),
      );
      if (!claimed) return this.answer((await this.deps.payments.get(id)) ?? existing);
    }

    let result: ChargeResult;
    try {
      result = await gateway.charge({
        paymentNo: claimed.paymentNo,
        authCode: code,
        amountFen: claimed.amountFen,
        description: req.plate ? `停车费 ${req.plate}` : '停车费',
      });
    } catch (e) {
      // Timeout, network, an answer that does not verify: the money may or may not be taken. Ask later.
      this.deps.log?.warn({ payment: claimed.paymentNo, err: errorText(e) }, 'face-to-face charge outcome unknown');
      result = { status: 'waiting', reason: errorText(e) };
    }
    return this.answer(await this.settle(claimed, result, 'charging'));
  }

  private async couponOrRefuse(req: FacePayRequest, code: string): Promise<FaceAnswer> {
    if (this.deps.coupons && code !== '') {
      try {
        const coupon = await this.deps.coupons.redeem({ parkNumber: req.parkNumber, code, orderId: req.orderId, plate: req.plate });
        if (coupon) return { kind: 'discount', coupon, orderId: req.orderId, plate: req.plate };
      } catch (e) {
        if (e instanceof AppError) return { kind: 'fail', errorCode: `${e.code}: ${e.message}` };
        throw e;
      }
    }
    return {
      kind: 'fail',
      errorCode: 'auth_code_invalid: not a WeChat payment code (18 digits starting 10–15), an Alipay one (16–24 digits starting 25–30) or a coupon code of ours',
    };
  }

  // -------------------------------------------------------------------------------------------------------
  // 4.25

  async poll(parkNumber: string, outTradeNo: string): Promise<FaceAnswer> {
    const id = faceId(parkNumber, outTradeNo);
    let p = await this.deps.payments.get(id);
    if (!p) return { kind: 'fail', errorCode: `trade_unknown: no face-to-face payment has outTradeNo ${outTradeNo}` };
    if (this.mayQuery(p)) p = (await this.queryProvider(p)) ?? p;
    return this.answer(p);
  }

  private mayQuery(p: FacePayment): boolean {
    const now = this.deps.clock.now();
    const open = p.status === 'waiting' || (p.status === 'charging' && (p.chargeLeaseUntil?.getTime() ?? 0) <= now);
    return open && (p.nextQueryAt?.getTime() ?? 0) <= now && (p.queryLeaseUntil?.getTime() ?? 0) <= now;
  }

  /** One paced provider query (the claim makes sure of the pace); the record after it. */
  private async queryProvider(p: FacePayment): Promise<FacePayment | undefined> {
    const gateway = this.deps.gateways[p.provider];
    if (!gateway) return undefined;
    const now = dateNow(this.deps.clock);
    const claimed = await this.deps.payments.claimQuery(
      p.id,
      now,
      new Date(now.getTime() + this.policy.queryLeaseMs),
      new Date(now.getTime() + this.policy.queryEveryMs),
    );
    if (!claimed) return undefined;
    let result: ChargeResult;
    try {
      result = await gateway.query(claimed.paymentNo);
    } catch (e) {
      this.deps.log?.warn({ payment: claimed.paymentNo, err: errorText(e) }, 'face-to-face query failed');
      result = { status: 'waiting', reason: errorText(e) };
    }
    return this.settle(claimed, result, 'query');
  }

  /**
   * The one status mapping: what a provider said → the record's next state (conditional on the record
   * still being open for this attempt; a 4.26 that came meanwhile wins and reverses whatever happened).
   */
  private async settle(p: FacePayment, result: ChargeResult, from: 'charging' | 'query'): Promise<FacePayment> {
    const now = dateNow(this.deps.clock);
    let outcome: changes.Settled;
    switch (result.status) {
      case 'paid': {
        const payment: FacePaid = { transactionId: result.transactionId, paidFen: result.paidFen, paidAt: result.paidAt, userId: result.userId };
        outcome = result.paidFen === p.amountFen ? { status: 'paid', payment } : { status: 'cancelling', payment, cancel: this.newCancel('amount', now) };
        if (result.paidFen !== p.amountFen) {
          this.deps.log?.error({ payment: p.paymentNo, paidFen: result.paidFen, amountFen: p.amountFen }, 'face-to-face paid another amount: giving it back');
        }
        break;
      }
      case 'waiting':
        outcome = { status: 'waiting', ...(from === 'charging' ? { nextQueryAt: new Date(now.getTime() + this.policy.queryEveryMs) } : {}) };
        break;
      case 'failed':
        outcome = { status: 'failed', failure: { code: result.code, message: result.message } };
        break;
    }
    const updated = await this.deps.payments.apply(p.id, changes.settled(p, outcome, from === 'query', now));
    if (updated) {
      if (updated.status === 'cancelling') this.deps.onCancelPending?.(updated.id);
      return updated;
    }
    // The record moved on meanwhile (4.26 → cancelling): answer from what it is now.
    const now2 = (await this.deps.payments.get(p.id)) ?? p;
    if (from === 'query' && now2.queryLeaseUntil) await this.deps.payments.apply(p.id, changes.queryReleased());
    return now2;
  }

  // -------------------------------------------------------------------------------------------------------
  // 4.26 and the job

  async cancel(parkNumber: string, outTradeNo: string): Promise<FaceAnswer> {
    const id = faceId(parkNumber, outTradeNo);
    const p = await this.deps.payments.get(id);
    if (!p) return { kind: 'fail', errorCode: `trade_unknown: no face-to-face payment has outTradeNo ${outTradeNo}` };
    let current: FacePayment | undefined = p;
    for (let i = 0; i < 3 && current && current.status !== 'cancelling'; i++) {
      if (current.status === 'failed' || current.status === 'cancelled') return { kind: 'cancelled' };
      // Lost a race with a charge or query settling: look again.
      current = (await this.requestCancel(current, '4.26')) ?? (await this.deps.payments.get(id));
    }
    // Try at once; what cannot finish now the job finishes. Either way Bluecard's order is void for us:
    // nothing stays taken.
    if ((await this.runCancel(id)) !== 'done') this.deps.onCancelPending?.(id);
    return { kind: 'cancelled' };
  }

  private newCancel(reason: FaceCancel['reason'], now: Date, notBefore?: Date | null): FaceCancel {
    const at = notBefore && notBefore > now ? notBefore : now;
    return { reason, requestedAt: now, attempts: 0, nextAttemptAt: at };
  }

  /** → cancelling, from any open or paid state; undefined when the record changed meanwhile. */
  private requestCancel(p: FacePayment, reason: FaceCancel['reason']): Promise<FacePayment | undefined> {
    const now = dateNow(this.deps.clock);
    // A charge still under way: reverse only after its lease (WeChat: not right after micropay).
    const notBefore = p.status === 'charging' ? p.chargeLeaseUntil : undefined;
    return this.deps.payments.apply(p.id, changes.cancelRequested(p, p.status, this.newCancel(reason, now, notBefore), now));
  }

  /** One cancel step for this payment: 'none' when it was not due (or someone else holds it). */
  async runCancel(id: string): Promise<'none' | 'done' | 'later'> {
    const now = dateNow(this.deps.clock);
    const p = await this.deps.payments.claimCancel(now, new Date(now.getTime() + this.policy.cancelLeaseMs), id);
    if (!p || !p.cancel) return 'none';
    const gateway = this.deps.gateways[p.provider];
    let result: CancelResult | undefined;
    let error: string | undefined;
    if (!gateway) error = `no ${p.provider} gateway configured`;
    else {
      for (let i = 0; i <= this.policy.immediateRetries; i++) {
        try {
          result = await gateway.cancel(p.paymentNo);
        } catch (e) {
          error = errorText(e);
          result = undefined;
          break;
        }
        if (result.status === 'done') break;
        error = result.message;
      }
    }
    const later = dateNow(this.deps.clock);
    if (result?.status === 'done') {
      const refunded = result.refunded ?? (p.payment !== undefined ? true : undefined);
      await this.deps.payments.apply(p.id, changes.cancelled(refunded, later));
      this.deps.log?.info({ payment: p.paymentNo, reason: p.cancel.reason, refunded }, 'face-to-face payment cancelled');
      return 'done';
    }
    const backoff = this.policy.cancelBackoffMs;
    const wait = backoff[Math.min(p.cancel.attempts, backoff.length - 1)] ?? 60_000;
    await this.deps.payments.apply(p.id, changes.cancelLater(error ?? 'unknown', new Date(later.getTime() + Math.max(wait, 1_000)), later));
    this.deps.log?.warn({ payment: p.paymentNo, attempt: p.cancel.attempts, err: error }, 'face-to-face cancel not done yet: retrying later');
    return 'later';
  }

  /**
   * The job's sweep over the payments whose work is due (the work collection): open payments past their
   * deadline (nobody polled or cancelled), and paid ones Bluecard was never told of, are cancelled; due
   * cancels run. Returns how many cancels ran.
   */
  async sweep(limit = 50): Promise<number> {
    let ran = 0;
    for (const item of await this.deps.payments.dueWork(dateNow(this.deps.clock), limit)) {
      let next: Date | undefined;
      try {
        const r = await this.process(item.ref);
        next = r.next;
        if (r.ran) ran++;
      } catch (e) {
        this.deps.log?.error({ id: item.ref, err: errorText(e) }, 'face-to-face job step failed; looking again later');
        next = new Date(dateNow(this.deps.clock).getTime() + this.policy.cancelLeaseMs);
      }
      await this.deps.payments.settleWork(item, next);
    }
    return ran;
  }

  /** One look at a payment whose work is due: what ran, and when to look next. */
  async process(id: string): Promise<{ ran: boolean; next: Date | undefined }> {
    let p = await this.deps.payments.get(id);
    if (!p) return { ran: false, next: undefined };
    const now = dateNow(this.deps.clock);
    if (p.deadline <= now && (p.status === 'charging' || p.status === 'waiting' || (p.status === 'paid' && !p.reportedAt))) {
      p = (await this.requestCancel(p, p.status === 'paid' ? 'unreported' : 'deadline')) ?? (await this.deps.payments.get(id));
    }
    const ran = p?.status === 'cancelling' && (await this.runCancel(id)) !== 'none';
    const after = await this.deps.payments.get(id);
    return { ran, next: after ? faceDue(after) : undefined };
  }

  /** Bluecard got the payment (4.24 / 4.25 success answer). */
  async markReported(p: FacePayment): Promise<void> {
    if (!p.reportedAt) await this.deps.payments.apply(p.id, changes.reported(dateNow(this.deps.clock)));
  }

  // -------------------------------------------------------------------------------------------------------

  /** The record → what Bluecard is told. */
  answer(p: FacePayment): FaceAnswer {
    switch (p.status) {
      case 'paid':
        return { kind: 'paid', payment: p as FacePayment & { payment: FacePaid } };
      case 'charging':
      case 'waiting':
        return { kind: 'userpaying' };
      case 'failed':
        return { kind: 'fail', errorCode: `pay_failed: ${p.failure?.code ?? 'FAIL'}: ${p.failure?.message ?? 'refused by the provider'}` };
      case 'cancelling':
      case 'cancelled':
        return { kind: 'fail', errorCode: `cancelled: this face-to-face payment was cancelled (${p.cancel?.reason ?? '4.26'}); no money stays taken` };
    }
  }

  private deadlineFrom(now: Date): Date {
    return new Date(now.getTime() + this.policy.pollWindowMs + this.policy.graceMs);
  }
}

/** WeChat 付款码: 18 digits starting 10–15; Alipay: 16–24 digits starting 25–30. */
export function paymentCodeProvider(code: string): FaceProvider | undefined {
  if (/^1[0-5]\d{16}$/.test(code)) return 'wechat';
  if (/^(2[5-9]|30)\d{14,22}$/.test(code)) return 'alipay';
  return undefined;
}
