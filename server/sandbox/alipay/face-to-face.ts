/**
 * 当面付 at the booth: the business half of alipay.trade.pay with scene bar_code (the cashier scans the
 * buyer's 付款码) and of alipay.trade.cancel (撤销), on the sandbox's trade book (so alipay.trade.query,
 * refunds and the buyer's control actions work on these trades as on any other).
 *
 * Rules followed (opendocs alipay.trade.pay 条码支付 and its error table, alipay.trade.cancel):
 *  - payment codes are issued by the control API for a sandbox user: 18 digits starting 28 (Alipay's are
 *    16–24 digits starting 25–30), single use, valid 60 s; what the buyer does decides the answer: pays at
 *    once (10000, TRADE_SUCCESS), must enter a password (10003 WAIT_BUYER_PAY: "order success pay
 *    inprocess"; then the control API's pay(), or the trade closes after 10 minutes), or is refused
 *    (40004 ACQ.BUYER_BALANCE_NOT_ENOUGH, ACQ.PAYMENT_AUTH_CODE_INVALID — a code never issued, used or
 *    expired) and nothing is kept;
 *  - the same out_trade_no again: paid → ACQ.TRADE_HAS_SUCCESS, closed → ACQ.TRADE_HAS_CLOSE, still waiting
 *    with the same code and amount → 10003 again, otherwise ACQ.CONTEXT_INCONSISTENT;
 *  - cancel closes a WAIT_BUYER_PAY trade (action close) and refunds a paid one in full (action refund,
 *    the trade ends TRADE_CLOSED); repeating it answers the same; an out_trade_no Alipay has never seen is
 *    answered with success too (a pay that timed out on the way may never have arrived) and that number can
 *    no longer be paid (ACQ.TRADE_HAS_CLOSE). retry_flag is N here; faults (business_error ACQ.SYSTEM_ERROR)
 *    stand for the cases where Alipay asks to retry.
 */
import { randomInt } from 'node:crypto';
import type { Clock } from '../../src/core/clock';
import { parsePrice, SandboxControlError, yuan, type GatewayAnswer, type TradeBook } from './book';
import type { SandboxUser } from './users';

export type AlipayCodeBehaviour =
  /** Pays at once. */
  | 'pay'
  /** Must confirm with a password: 10003, WAIT_BUYER_PAY until pay() / cancel / 10 minutes. */
  | 'password'
  /** ACQ.BUYER_BALANCE_NOT_ENOUGH. */
  | 'insufficient';

export interface AlipayPaymentCode {
  code: string;
  user: SandboxUser;
  behaviour: AlipayCodeBehaviour;
  issuedAt: number;
  usedBy?: string;
}

export const FACE_TO_FACE_PRODUCT = 'FACE_TO_FACE_PAYMENT';
const BEHAVIOURS: readonly AlipayCodeBehaviour[] = ['pay', 'password', 'insufficient'];
const CODE_TTL_MS = 60_000;
const PASSWORD_WINDOW_MS = 10 * 60_000;
const MERCHANT_NO = /^[A-Za-z0-9_-]{1,64}$/;
const ALIPAY_AUTH_CODE = /^(2[5-9]|30)\d{14,22}$/;

const SUCCESS = { code: '10000', msg: 'Success' } as const;
const business = (subCode: string, subMsg: string, extra: Record<string, unknown> = {}): GatewayAnswer => ({
  inner: { code: '40004', msg: 'Business Failed', sub_code: subCode, sub_msg: subMsg, ...extra },
});
const invalid = (why: string) => business('ACQ.INVALID_PARAMETER', `参数无效: ${why}`);

export class FaceToFaceCounter {
  readonly codes = new Map<string, AlipayPaymentCode>();
  /** The code each booth trade was paid with. */
  private readonly codeOf = new Map<string, string>();
  /** out_trade_nos cancelled before any pay arrived. */
  private readonly cancelledUnseen = new Set<string>();

  constructor(
    private readonly book: TradeBook,
    private readonly clock: Clock,
  ) {}

  /** A payment code as the buyer's Alipay app shows it. */
  issueCode(user: SandboxUser, behaviour: AlipayCodeBehaviour = 'pay'): AlipayPaymentCode {
    if (!BEHAVIOURS.includes(behaviour)) throw new SandboxControlError(`behaviour must be one of ${BEHAVIOURS.join(', ')}`);
    let code: string;
    do code = `28${String(randomInt(0, 1e8)).padStart(8, '0')}${String(randomInt(0, 1e8)).padStart(8, '0')}`;
    while (this.codes.has(code));
    this.book.knowUser(user);
    const pc: AlipayPaymentCode = { code, user, behaviour, issuedAt: this.clock.now() };
    this.codes.set(code, pc);
    return pc;
  }

  /** alipay.trade.pay, scene bar_code / security_code. */
  pay(biz: Record<string, unknown>, notifyUrl: string | undefined): GatewayAnswer {
    const outTradeNo = biz.out_trade_no;
    if (typeof outTradeNo !== 'string' || !MERCHANT_NO.test(outTradeNo)) return invalid('out_trade_no');
    const authCode = biz.auth_code;
    if (typeof authCode !== 'string' || authCode === '') return invalid('auth_code');
    const totalFen = parsePrice(biz.total_amount);
    if (totalFen === undefined) return invalid('total_amount');
    if (totalFen < 1) return business('ACQ.TOTAL_FEE_EXCEED', '订单金额不合法');
    const subject = biz.subject;
    if (typeof subject !== 'string' || subject === '' || subject.length > 256) return invalid('subject');

    if (this.cancelledUnseen.has(outTradeNo)) return business('ACQ.TRADE_HAS_CLOSE', '交易已经关闭', { out_trade_no: outTradeNo });
    const existing = this.book.trade(outTradeNo);
    if (existing) {
      if (existing.tradeStatus === 'TRADE_SUCCESS' || existing.tradeStatus === 'TRADE_FINISHED') {
        return business('ACQ.TRADE_HAS_SUCCESS', '交易已被支付', { out_trade_no: outTradeNo, trade_no: existing.tradeNo });
      }
      if (existing.tradeStatus === 'TRADE_CLOSED') return business('ACQ.TRADE_HAS_CLOSE', '交易已经关闭', { out_trade_no: outTradeNo });
      if (this.codeOf.get(outTradeNo) !== authCode || existing.totalFen !== totalFen) return business('ACQ.CONTEXT_INCONSISTENT', '交易信息被篡改');
      return { inner: this.answer(outTradeNo, '10003') };
    }

    const pc = ALIPAY_AUTH_CODE.test(authCode) ? this.codes.get(authCode) : undefined;
    if (!pc || pc.usedBy !== undefined || this.clock.now() - pc.issuedAt > CODE_TTL_MS) {
      return business('ACQ.PAYMENT_AUTH_CODE_INVALID', '支付失败，获取顾客账户信息失败，请顾客刷新付款码后重新收款，如再次收款失败，请联系管理员处理。[SOUNDWAVE_PARSER_FAIL]');
    }
    if (pc.behaviour === 'insufficient') {
      pc.usedBy = outTradeNo;
      return business('ACQ.BUYER_BALANCE_NOT_ENOUGH', '买家余额不足');
    }
    pc.usedBy = outTradeNo;
    this.codeOf.set(outTradeNo, authCode);
    this.book.openPaid({
      outTradeNo,
      subject,
      totalFen,
      productCode: FACE_TO_FACE_PRODUCT,
      payer: pc.user,
      ...(notifyUrl ? { notifyUrl } : {}),
      ...(pc.behaviour === 'password' ? { holdMs: PASSWORD_WINDOW_MS } : {}),
    });
    return { inner: this.answer(outTradeNo, pc.behaviour === 'password' ? '10003' : '10000') };
  }

  /** The pay answer, from what alipay.trade.query says about the trade (buyer ids as the app's id mode). */
  private answer(outTradeNo: string, code: '10000' | '10003'): Record<string, unknown> {
    const q = this.book.query({ out_trade_no: outTradeNo }).inner;
    const inner: Record<string, unknown> = {
      ...(code === '10000' ? SUCCESS : { code: '10003', msg: ' order success pay inprocess' }),
      trade_no: q.trade_no,
      out_trade_no: outTradeNo,
      buyer_logon_id: q.buyer_logon_id,
      total_amount: q.total_amount,
      receipt_amount: q.receipt_amount,
      buyer_pay_amount: q.buyer_pay_amount,
      invoice_amount: q.invoice_amount,
      point_amount: '0.00',
    };
    if (q.buyer_open_id !== undefined) inner.buyer_open_id = q.buyer_open_id;
    if (q.buyer_user_id !== undefined) inner.buyer_user_id = q.buyer_user_id;
    if (code === '10000') {
      inner.gmt_payment = q.send_pay_date;
      inner.fund_bill_list = [{ fund_channel: 'ALIPAYACCOUNT', amount: q.total_amount }];
    }
    return inner;
  }

  /** alipay.trade.cancel. */
  cancel(biz: Record<string, unknown>): GatewayAnswer {
    const outTradeNo = typeof biz.out_trade_no === 'string' && biz.out_trade_no ? biz.out_trade_no : undefined;
    const tradeNo = typeof biz.trade_no === 'string' && biz.trade_no ? biz.trade_no : undefined;
    if (!outTradeNo && !tradeNo) return invalid('out_trade_no 和 trade_no 不能同时为空');
    const t = outTradeNo ? this.book.trade(outTradeNo) : this.book.list().find((x) => x.tradeNo === tradeNo);
    if (!t) {
      if (!outTradeNo) return business('ACQ.TRADE_NOT_EXIST', '交易不存在');
      this.cancelledUnseen.add(outTradeNo);
      return { inner: { ...SUCCESS, out_trade_no: outTradeNo, retry_flag: 'N', action: 'close' } };
    }
    const done = (action: 'close' | 'refund') => ({
      inner: { ...SUCCESS, trade_no: t.tradeNo, out_trade_no: t.outTradeNo, retry_flag: 'N', action },
    });
    switch (t.tradeStatus) {
      case 'WAIT_BUYER_PAY': {
        const closed = this.book.close({ out_trade_no: t.outTradeNo }, undefined);
        if (closed.inner.code !== '10000') return closed;
        return done('close');
      }
      case 'TRADE_SUCCESS': {
        const refunded = this.book.refund({ out_trade_no: t.outTradeNo, refund_amount: yuan(t.totalFen - t.refundedFen), out_request_no: `CANCEL${t.tradeNo}` });
        if (refunded.inner.code !== '10000') return refunded;
        return done('refund');
      }
      case 'TRADE_CLOSED':
        return done(t.paidAt !== undefined ? 'refund' : 'close');
      default:
        return business('ACQ.TRADE_STATUS_ERROR', '交易状态不合法');
    }
  }
}
