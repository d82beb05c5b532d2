/**
 * The one place where Alipay's vocabulary becomes ours (one switch, as payment providers in medusa do it).
 *
 * Input is one "signal": a trade_status (WAIT_BUYER_PAY, TRADE_SUCCESS, …), a refund_status
 * (REFUND_SUCCESS) or, for an answer with code ≠ 10000, its sub_code (ACQ.TRADE_NOT_EXIST, …) or bare code
 * (20000, 40002, …). Output is either a status of ours or an error verdict (retryable or not, and sometimes
 * the status the error reveals). Every operation goes through `mapAlipaySignal`; operation-specific
 * "already done" rules (closing a closed trade, a refund repeated with the same out_request_no) are applied
 * by the operations in client.ts on top of the verdict, never by a second table.
 *
 * Sources: opendocs alipay.trade.query / close / refund / fastpay.refund.query error tables; Alipay's public
 * error codes (20000 service unavailable, 40001 missing argument, 40002 invalid argument, 40004 business
 * failed, 40006 insufficient permission).
 */

/** Where a payment stands, in ParkPay's words. */
export type PaymentStatus = 'paid' | 'pending' | 'closed' | 'failed' | 'refunded';

/** Alipay's trade_status values. */
export type AlipayTradeStatus = 'WAIT_BUYER_PAY' | 'TRADE_SUCCESS' | 'TRADE_FINISHED' | 'TRADE_CLOSED';

export type AlipayVerdict =
  | { kind: 'status'; status: PaymentStatus }
  | { kind: 'error'; retryable: boolean; status?: PaymentStatus; meaning: string };

export interface SignalContext {
  /**
   * The trade had been paid before (query: send_pay_date present; notification: gmt_payment / refund_fee
   * present). Alipay reports a fully refunded trade as TRADE_CLOSED, the same word as an unpaid trade that
   * was closed; this tells the two apart.
   */
  paidBefore?: boolean;
}

const status = (s: PaymentStatus): AlipayVerdict => ({ kind: 'status', status: s });
const error = (retryable: boolean, meaning: string, s?: PaymentStatus): AlipayVerdict =>
  s ? { kind: 'error', retryable, status: s, meaning } : { kind: 'error', retryable, meaning };

/** The verdict for a signal we do not know: not retryable (a human should look). */
const UNKNOWN: AlipayVerdict = Object.freeze(error(false, 'Alipay refused the request'));

export function mapAlipaySignal(signal: string, ctx: SignalContext = {}): AlipayVerdict {
  switch (signal) {
    // ── trade_status ──────────────────────────────────────────────────────────────────────────────
    case 'WAIT_BUYER_PAY':
      return status('pending');
    case 'TRADE_SUCCESS':
      return status('paid');
    case 'TRADE_FINISHED': // paid, and past the refund window (or a no-refund product)
      return status('paid');
    case 'TRADE_CLOSED':
      return status(ctx.paidBefore ? 'refunded' : 'closed');
    // ── refund_status (alipay.trade.fastpay.refund.query) ────────────────────────────────────────
    case 'REFUND_SUCCESS':
      return status('refunded');

    // ── business sub_codes that reveal the trade's state ─────────────────────────────────────────
    case 'ACQ.TRADE_HAS_SUCCESS': // create with an out_trade_no that is already paid
      return error(false, 'the trade is already paid', 'paid');
    case 'ACQ.TRADE_HAS_FINISHED':
      return error(false, 'the trade is finished', 'paid');
    case 'ACQ.TRADE_HAS_CLOSE': // create / refund on a closed trade
      return error(false, 'the trade is closed', 'closed');
    case 'ACQ.BUYER_ENABLE_STATUS_FORBID':
    case 'ACQ.BUYER_BALANCE_NOT_ENOUGH':
    case 'ACQ.BUYER_BANKCARD_BALANCE_NOT_ENOUGH':
    case 'ACQ.PAYMENT_FAIL':
    case 'ACQ.PAYMENT_REQUEST_HAS_RISK':
    case 'ACQ.ERROR_BUYER_CERTIFY_LEVEL_LIMIT':
    case 'ACQ.BUYER_SELLER_EQUAL':
      return error(false, 'the buyer cannot pay this trade', 'failed');

    // ── business sub_codes that say nothing about the state ──────────────────────────────────────
    case 'ACQ.TRADE_NOT_EXIST':
      return error(false, 'Alipay has no such trade');
    case 'ACQ.TRADE_STATUS_ERROR': // close of a trade that is not WAIT_BUYER_PAY, refund of an unpaid trade
    case 'ACQ.REASON_TRADE_STATUS_INVALID':
    case 'ACQ.REASON_ILLEGAL_STATUS':
      return error(false, 'the trade is not in a state that allows this');
    case 'ACQ.CONTEXT_INCONSISTENT': // same out_trade_no, different amount/subject/buyer
    case 'ACQ.DISCORDANT_REPEAT_REQUEST': // same out_request_no, different refund amount
      return error(false, 'a repeated request does not match the first one');
    case 'ACQ.REFUND_AMT_NOT_EQUAL_TOTAL':
    case 'ACQ.REASON_TRADE_REFUND_FEE_ERR':
    case 'ACQ.TRADE_NOT_ALLOW_REFUND':
      return error(false, 'this refund is not allowed');
    case 'ACQ.SELLER_BALANCE_NOT_ENOUGH': // needs a top-up by a person, not a timer
      return error(false, 'the merchant balance is too low for this refund');
    case 'isv.code-invalid':
    case 'isv.grant-type-invalid':
      return error(false, 'the auth code is invalid, used or expired');
    case 'isv.invalid-signature':
    case 'isv.invalid-app-id':
    case 'isv.invalid-timestamp':
    case 'isv.invalid-signature-type':
      return error(false, 'Alipay refused our request (signature, app_id or timestamp)');

    // ── transient ────────────────────────────────────────────────────────────────────────────────
    case 'ACQ.SYSTEM_ERROR':
    case 'aop.ACQ.SYSTEM_ERROR':
    case 'isp.unknow-error':
    case 'isp.unknown-error':
    case '20000':
      return error(true, 'Alipay is temporarily unavailable');

    // ── bare gateway codes (no sub_code we know) ─────────────────────────────────────────────────
    case '20001':
      return error(false, 'insufficient token permissions');
    case '40001':
      return error(false, 'a required argument is missing');
    case '40002':
      return error(false, 'an argument is invalid');
    case '40006':
      return error(false, 'the app lacks permission for this method');
    default:
      return UNKNOWN;
  }
}

/** The signal of a code ≠ 10000 answer: its sub_code when it has one we know, else its code. */
export function businessSignal(code: string, subCode: string | undefined): string {
  return subCode && mapAlipaySignal(subCode) !== UNKNOWN ? subCode : code;
}
