/**
 * A test double of the WithholdingGateway interface, for the core's own unit tests (the sandbox-backed
 * gateways are tested through the sandboxes elsewhere). It keeps what a provider keeps: agreements by our
 * signNo, deductions by their out_trade_no (idempotent: the same number never takes money twice), and
 * counts every time money moved, so tests can assert "deducted once".
 */
import { GatewayFailure } from '../../../../server/src/core/gateway-failure';
import type {
  AgreementRef,
  DeductResult,
  ProviderAgreement,
  SignupStart,
  WithholdingGateway,
  WithholdingRefundResult,
} from '../../../../server/src/core/agreements/gateways';
import type { Provider } from '../../../../server/src/core/orders/model';

type DeductMode = 'paid' | 'accepted' | 'insufficient_funds' | 'no_agreement' | 'refused' | 'throw';

export class FakeWithholding implements WithholdingGateway {
  readonly agreements = new Map<string, ProviderAgreement>();
  readonly deductions = new Map<string, { amountFen: number; result: DeductResult; signNo: string }>();
  /** Every call, in order. */
  readonly calls: { op: string; arg: string }[] = [];
  /** Money taken: one entry per real debit. */
  readonly debits: { outTradeNo: string; fen: number }[] = [];
  mode: DeductMode = 'paid';
  /** Refunds by refundNo (one per number, as the providers keep them). */
  readonly refunds = new Map<string, { outTradeNo: string; fen: number; reason: string; done: boolean }>();
  /** 'pending': refunds stay pending until finishRefund(); 'throw': the answer is lost (after the work). */
  refundMode: 'refunded' | 'pending' | 'throw' = 'refunded';
  /** Real ms each deduct call takes (to make concurrent repeats overlap). */
  delayMs = 0;
  /** While set, deduct calls are recorded and then wait for it: a call held in flight as long as a test needs. */
  gate: Promise<void> | undefined;
  /** The next `throwNext` calls of deduct throw after doing the work (a lost answer). */
  loseAnswers = 0;
  private seq = 0;

  constructor(readonly provider: Provider) {}

  /** The user signs (or the provider ends) on the provider's side. */
  sign(signNo: string, agreementNo = `AG-${signNo}`): void {
    this.agreements.set(signNo, { state: 'active', agreementNo, signedAt: new Date() });
  }
  setState(signNo: string, state: ProviderAgreement['state']): void {
    const a = this.agreements.get(signNo) ?? { state };
    this.agreements.set(signNo, { ...a, state });
  }
  /** Settle an accepted deduction (WeChat: SUCCESS / PAY_FAIL later). */
  settle(outTradeNo: string, ok = true): DeductResult {
    const d = this.deductions.get(outTradeNo);
    if (!d || d.result.status !== 'accepted') throw new Error(`no accepted deduction ${outTradeNo}`);
    d.result = ok
      ? { status: 'paid', transactionId: `TX-${outTradeNo}`, paidFen: d.amountFen, paidAt: new Date() }
      : { status: 'failed', code: 'insufficient_funds', reason: '余额不足' };
    if (ok) this.debits.push({ outTradeNo, fen: d.amountFen });
    return d.result;
  }

  async startSignup(o: AgreementRef & { returnUrl?: string }): Promise<SignupStart> {
    this.calls.push({ op: 'startSignup', arg: o.signNo });
    return this.provider === 'wechat'
      ? { provider: 'wechat', navigate: { appId: 'wx-parking', path: 'pages/sign', extraData: { plate: o.plate, sign_no: o.signNo } }, h5Url: `http://fake/sign/${o.signNo}` }
      : { provider: 'alipay', signUrl: `http://fake/alipay-sign/${o.signNo}` };
  }

  async check(o: AgreementRef): Promise<ProviderAgreement> {
    this.calls.push({ op: 'check', arg: o.signNo });
    return this.agreements.get(o.signNo) ?? { state: 'none' };
  }

  async end(o: AgreementRef): Promise<void> {
    this.calls.push({ op: 'end', arg: o.signNo });
    if (this.provider === 'wechat') throw new GatewayFailure('end it in WeChat', { failure: 'unsupported', retryable: false, sent: false, reason: 'end_with_provider' });
    this.setState(o.signNo, 'ended');
  }

  async deduct(o: Parameters<WithholdingGateway['deduct']>[0]): Promise<DeductResult> {
    this.calls.push({ op: 'deduct', arg: o.outTradeNo });
    if (this.delayMs) await new Promise((r) => setTimeout(r, this.delayMs));
    if (this.gate) await this.gate;
    if (this.mode === 'throw') throw Object.assign(new Error('provider timeout'), { retryable: true });
    const seen = this.deductions.get(o.outTradeNo);
    let result: DeductResult;
    if (seen) {
      result = seen.result; // the provider's duplicate-order rule: the first outcome again, no new debit
    } else {
      const a = this.agreements.get(o.agreement.signNo);
      if (!a || a.state !== 'active' || this.mode === 'no_agreement') result = { status: 'failed', code: 'no_agreement', reason: '协议不存在' };
      else if (this.mode === 'insufficient_funds') result = { status: 'failed', code: 'insufficient_funds', reason: '余额不足' };
      else if (this.mode === 'refused') result = { status: 'failed', code: 'refused', reason: '风控拒绝' };
      else if (this.mode === 'accepted') result = { status: 'accepted', transactionId: `TX-${++this.seq}` };
      else {
        result = { status: 'paid', transactionId: `TX-${++this.seq}`, paidFen: o.amountFen, paidAt: new Date() };
        this.debits.push({ outTradeNo: o.outTradeNo, fen: o.amountFen });
      }
      this.deductions.set(o.outTradeNo, { amountFen: o.amountFen, result, signNo: o.agreement.signNo });
    }
    if (this.loseAnswers > 0) {
      this.loseAnswers--;
      throw Object.assign(new Error('answer lost'), { retryable: true });
    }
    return result;
  }

  finishRefund(refundNo: string): void {
    const r = this.refunds.get(refundNo);
    if (!r) throw new Error(`no refund ${refundNo}`);
    r.done = true;
  }

  async refund(o: { outTradeNo: string; refundNo: string; refundFen: number; totalFen: number; reason: string }): Promise<WithholdingRefundResult> {
    this.calls.push({ op: 'refund', arg: o.refundNo });
    let r = this.refunds.get(o.refundNo);
    if (!r) {
      const d = this.deductions.get(o.outTradeNo);
      if (!d || d.result.status !== 'paid') return { status: 'failed', reason: 'not paid' };
      r = { outTradeNo: o.outTradeNo, fen: o.refundFen, reason: o.reason, done: this.refundMode !== 'pending' };
      this.refunds.set(o.refundNo, r);
    }
    if (this.refundMode === 'throw') throw Object.assign(new Error('refund answer lost'), { retryable: true });
    return r.done ? { status: 'refunded', refundedAt: new Date() } : { status: 'pending' };
  }

  async queryDeduction(outTradeNo: string): Promise<DeductResult | { status: 'unknown' }> {
    this.calls.push({ op: 'queryDeduction', arg: outTradeNo });
    return this.deductions.get(outTradeNo)?.result ?? { status: 'unknown' };
  }
}
