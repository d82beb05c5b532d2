/**
 * Alipay 当面付 at the booth (Bluecard 4.24–4.26): alipay.trade.pay with scene bar_code (the scanned 付款码)
 * and alipay.trade.cancel, on the AlipayAdapter's verified exec (validateSign, signed error_response, China
 * time stamps); the trade query is the adapter's own.
 *
 * What Alipay's answers mean here (opendocs alipay.trade.pay 条码支付 公共错误码/业务错误码, alipay.trade.cancel):
 *  - 10000: paid; 10003 (WAIT_BUYER_PAY, "order success pay inprocess"): the buyer confirms with a password
 *    → query; 20000 / ACQ.SYSTEM_ERROR / ACQ.TRADE_HAS_SUCCESS: the outcome is not known from this answer
 *    → query; any other 40004 (ACQ.PAYMENT_AUTH_CODE_INVALID, ACQ.BUYER_BALANCE_NOT_ENOUGH, …) or 4000x: refused,
 *    nothing taken.
 *  - cancel: 10000 with retry_flag N is done (action close: the unpaid trade is closed; refund: the paid
 *    money went back; an out_trade_no Alipay never saw is "cancelled" too); retry_flag Y or a transient
 *    error → call again.
 */
import { z } from 'zod';
import { parseChinaTime } from '../../../../shared/time';
import { AlipayAdapter, type AlipayTrade } from './client';
import { AlipayError, badResponse, invalidRequest } from './errors';
import { alipayYuanToFen, fenToAlipayYuan } from './money';

export interface BarcodePayInput {
  /** Ours, ≤ 64 letters, digits, '_' or '-'. */
  outTradeNo: string;
  /** The scanned 付款码: 16–24 digits starting 25–30. */
  authCode: string;
  totalFen: number;
  subject: string;
}

export interface BarcodePaid {
  tradeNo: string;
  totalFen: number;
  paidAt?: Date;
  /** buyer_user_id (2088…) or buyer_open_id. */
  buyer: string;
}

export type BarcodeOutcome =
  | ({ kind: 'paid' } & BarcodePaid)
  /** 10003: the buyer is confirming with a password; ask alipay.trade.query. */
  | { kind: 'waiting'; tradeNo?: string }
  /** The answer does not say (20000, ACQ.SYSTEM_ERROR, ACQ.TRADE_HAS_SUCCESS): ask alipay.trade.query. */
  | { kind: 'unknown'; subCode: string; message: string }
  /** Refused, nothing taken. */
  | { kind: 'refused'; subCode: string; message: string };

export type FaceTradeView = AlipayTrade | { status: 'not_found' };

export type CancelOutcome =
  /** close: the unpaid trade is closed; refund: the money went back; '' when Alipay did not say. */
  | { kind: 'cancelled'; action: 'close' | 'refund' | '' }
  /** retry_flag Y: call cancel again. */
  | { kind: 'retry'; message: string };

export const ALIPAY_AUTH_CODE = /^(2[5-9]|30)\d{14,22}$/;
const MERCHANT_NO = /^[A-Za-z0-9_-]{1,64}$/;

const amount = z.string().refine((v) => {
  try {
    alipayYuanToFen(v);
    return true;
  } catch {
    return false;
  }
}, 'not a yuan amount');
const paidAnswer = z.looseObject({
  out_trade_no: z.string().min(1),
  trade_no: z.string().min(1),
  total_amount: amount,
  gmt_payment: z.string().optional(),
  buyer_user_id: z.string().optional(),
  buyer_open_id: z.string().optional(),
});
const cancelAnswer = z.looseObject({
  out_trade_no: z.string().optional(),
  retry_flag: z.enum(['Y', 'N']).optional(),
  action: z.string().optional(),
});

type Inner = Record<string, unknown>;

export class AlipayFaceToFace extends AlipayAdapter {
  /** alipay.trade.pay, scene bar_code. */
  async payWithCode(input: BarcodePayInput): Promise<BarcodeOutcome> {
    const method = 'alipay.trade.pay';
    if (!MERCHANT_NO.test(input.outTradeNo)) throw invalidRequest(method, "outTradeNo must be 1–64 letters, digits, '_' or '-'");
    if (!ALIPAY_AUTH_CODE.test(input.authCode)) throw invalidRequest(method, 'authCode is not an Alipay payment code (16–24 digits starting 25–30)');
    if (!Number.isSafeInteger(input.totalFen) || input.totalFen < 1) throw invalidRequest(method, 'totalFen must be a positive integer');
    const subject = [...input.subject].slice(0, 256).join('') || '停车费';
    const inner = await this.callRaw(method, {
      bizContent: {
        out_trade_no: input.outTradeNo,
        scene: 'bar_code',
        auth_code: input.authCode,
        product_code: 'FACE_TO_FACE_PAYMENT',
        subject,
        total_amount: fenToAlipayYuan(input.totalFen),
      },
    });
    const code = String(inner.code ?? '');
    const subCode = typeof inner.sub_code === 'string' ? inner.sub_code : code;
    const message = typeof inner.sub_msg === 'string' ? inner.sub_msg : String(inner.msg ?? code);
    if (code === '10000') {
      const a = parseAnswer(method, paidAnswer, inner);
      if (a.out_trade_no !== input.outTradeNo) throw badResponse(method, `the answer is about out_trade_no ${a.out_trade_no}, not ${input.outTradeNo}`);
      return { kind: 'paid', tradeNo: a.trade_no, totalFen: alipayYuanToFen(a.total_amount), buyer: a.buyer_user_id ?? a.buyer_open_id ?? '', ...paidAtOf(a.gmt_payment) };
    }
    if (code === '10003') return { kind: 'waiting', ...(typeof inner.trade_no === 'string' ? { tradeNo: inner.trade_no } : {}) };
    if (code === '20000' || subCode === 'ACQ.SYSTEM_ERROR' || subCode === 'ACQ.TRADE_HAS_SUCCESS') return { kind: 'unknown', subCode, message };
    return { kind: 'refused', subCode, message };
  }

  /** alipay.trade.query, with "Alipay has no such trade" as an answer. */
  async queryFace(outTradeNo: string): Promise<FaceTradeView> {
    try {
      return await this.query(outTradeNo);
    } catch (e) {
      if (e instanceof AlipayError && e.kind === 'business' && e.subCode === 'ACQ.TRADE_NOT_EXIST') return { status: 'not_found' };
      throw e;
    }
  }

  /** alipay.trade.cancel: closes an unpaid trade, refunds a paid one. */
  async cancelTrade(outTradeNo: string): Promise<CancelOutcome> {
    const method = 'alipay.trade.cancel';
    if (!MERCHANT_NO.test(outTradeNo)) throw invalidRequest(method, "outTradeNo must be 1–64 letters, digits, '_' or '-'");
    const inner: Inner = await this.callRaw(method, { bizContent: { out_trade_no: outTradeNo } });
    const retry = inner.retry_flag === 'Y';
    if (inner.code === '10000') {
      const a = parseAnswer(method, cancelAnswer, inner);
      if (a.out_trade_no !== undefined && a.out_trade_no !== outTradeNo) throw badResponse(method, `the answer is about out_trade_no ${a.out_trade_no}, not ${outTradeNo}`);
      if (retry) return { kind: 'retry', message: 'retry_flag Y' };
      return { kind: 'cancelled', action: a.action === 'close' || a.action === 'refund' ? a.action : '' };
    }
    const err = this.businessError(method, inner);
    if (retry) return { kind: 'retry', message: err.detail };
    throw err;
  }
}


function parseAnswer<T extends z.ZodType>(method: string, schema: T, inner: Inner): z.infer<T> {
  const r = schema.safeParse(inner);
  if (!r.success) {
    const i = r.error.issues[0];
    throw badResponse(method, `${i ? `${i.path.join('.') || '(root)'}: ${i.message}` : 'unexpected shape'}`);
  }
  return r.data;
}

function paidAtOf(v: string | undefined): { paidAt?: Date } {
  if (!v) return {};
  try {
    return { paidAt: parseChinaTime(v) };
  } catch {
    return {};
  }
}
