/**
 * Alipay's asynchronous notification (异步通知): a form POST to our notify_url.
 *
 * Checks, in order (opendocs "异步通知验签" and the field notes):
 *  1. the signature, with the SDK's checkNotifySignV2 (raw values; V1 decodeURIComponent()s each value and
 *     throws URIError on a '%' in already-parsed form data). Alipay signs the sorted `k=v` of every field
 *     except `sign` and `sign_type`; V2 tries with and without sign_type. We also refuse any sign_type other
 *     than RSA2, so the algorithm is ours to choose, not the sender's;
 *  2. notify_type is trade_status_sync, app_id is ours, the fields parse (amount as exact fen);
 *  3. (per order, `checkNotificationMatches`) out_trade_no is the order's, total_amount equals the order's
 *     amount to the fen, and seller_id is ours when we know it. The SDK does none of 2–3.
 *
 * Our answer is exactly `success` (7 bytes, text/plain) when we accepted it, anything else otherwise;
 * Alipay then sends it again on its schedule (4m, 10m, 10m, 1h, 2h, 6h, 15h) with the same notify_id.
 */
import { parseChinaTime } from '../../../../shared/time';
import { AlipayAmountError, alipayYuanToFen } from './money';
import { mapAlipaySignal, type AlipayTradeStatus, type PaymentStatus } from './status';

/** The body that tells Alipay "received, stop sending". */
export const NOTIFY_ACK = 'success';
/** Any other body makes Alipay send again later. */
export const NOTIFY_NACK = 'fail';

/** What to answer Alipay, as a plain-text body. */
export function notificationAnswer(accepted: boolean): string {
  return accepted ? NOTIFY_ACK : NOTIFY_NACK;
}

export interface AlipayNotification {
  notifyId: string;
  notifyType: 'trade_status_sync';
  notifyTime?: Date;
  appId: string;
  tradeNo: string;
  outTradeNo: string;
  tradeStatus: AlipayTradeStatus;
  /** Our reading of trade_status (TRADE_CLOSED after a payment reads 'refunded'). */
  status: PaymentStatus;
  totalFen: number;
  receiptFen?: number;
  buyerPayFen?: number;
  /** Refund notifications: refund_fee, the total refunded so far on this trade. */
  refundFen?: number;
  /** Refund notifications: out_biz_no, the out_request_no of the refund. */
  outBizNo?: string;
  buyerId?: string;
  buyerOpenId?: string;
  sellerId?: string;
  gmtPayment?: Date;
  gmtRefund?: Date;
  gmtClose?: Date;
  /** The verified fields, as received. */
  fields: Readonly<Record<string, string>>;
}

export type NotificationRejection =
  | 'malformed'
  | 'bad_signature'
  | 'wrong_notify_type'
  | 'app_id_mismatch'
  | 'out_trade_no_mismatch'
  | 'amount_mismatch'
  | 'seller_id_mismatch';

export type NotificationVerdict =
  | { ok: true; notification: AlipayNotification }
  | { ok: false; reason: NotificationRejection; detail: string };

export type MatchVerdict = { ok: true } | { ok: false; reason: NotificationRejection; detail: string };

const reject = (reason: NotificationRejection, detail: string) => ({ ok: false as const, reason, detail });

const TRADE_STATUSES: ReadonlySet<string> = new Set(['WAIT_BUYER_PAY', 'TRADE_SUCCESS', 'TRADE_FINISHED', 'TRADE_CLOSED']);

/** Form fields as a body parser gives them → plain strings, or why not (a repeated field is refused). */
export function toFormFields(body: unknown): { fields: Record<string, string> } | { error: string } {
  if (typeof body !== 'object' || body === null || Array.isArray(body)) return { error: 'the body is not form fields' };
  const fields: Record<string, string> = {};
  for (const [k, v] of Object.entries(body as Record<string, unknown>)) {
    if (typeof v !== 'string') return { error: `field ${k} is ${Array.isArray(v) ? 'repeated' : 'not a string'}` };
    fields[k] = v;
  }
  return { fields };
}

/** `yyyy-MM-dd HH:mm:ss` (gmt_refund may carry `.SSS`), China time. */
function chinaTime(fields: Record<string, string>, key: string): Date | undefined {
  const v = fields[key];
  if (v === undefined || v === '') return undefined;
  const m = /^(\d{4}-\d{2}-\d{2} \d{2}:\d{2}:\d{2})(?:\.(\d{1,3}))?$/.exec(v);
  if (!m) throw new Error(`${key} is not yyyy-MM-dd HH:mm:ss`);
  const at = parseChinaTime(m[1]);
  return m[2] ? new Date(at.getTime() + Number(m[2].padEnd(3, '0'))) : at;
}

function amount(fields: Record<string, string>, key: string): number | undefined {
  const v = fields[key];
  if (v === undefined || v === '') return undefined;
  try {
    return alipayYuanToFen(v);
  } catch (e) {
    throw new Error(`${key}: ${(e as AlipayAmountError).message}`);
  }
}

/**
 * Steps 1–2. `checkSign` is the SDK's checkNotifySignV2 bound to our Alipay public key.
 */
export function verifyNotificationFields(
  body: unknown,
  appId: string,
  checkSign: (fields: Record<string, string>) => boolean,
): NotificationVerdict {
  const parsed = toFormFields(body);
  if ('error' in parsed) return reject('malformed', parsed.error);
  const f = parsed.fields;
  if (!f.sign) return reject('bad_signature', 'no sign field');
  if (f.sign_type !== undefined && f.sign_type !== 'RSA2') return reject('bad_signature', `sign_type ${f.sign_type} is not RSA2`);
  let signed = false;
  try {
    signed = checkSign({ ...f });
  } catch {
    signed = false;
  }
  if (!signed) return reject('bad_signature', 'the signature does not verify with the Alipay public key');

  if (f.notify_type !== 'trade_status_sync') return reject('wrong_notify_type', `notify_type is ${JSON.stringify(f.notify_type)}`);
  if (f.app_id !== appId) return reject('app_id_mismatch', `app_id ${JSON.stringify(f.app_id)} is not ours`);
  for (const key of ['notify_id', 'trade_no', 'out_trade_no', 'trade_status', 'total_amount']) {
    if (!f[key]) return reject('malformed', `${key} is missing`);
  }
  if (!TRADE_STATUSES.has(f.trade_status)) return reject('malformed', `unknown trade_status ${JSON.stringify(f.trade_status)}`);
  try {
    const totalFen = amount(f, 'total_amount') as number;
    const refundFen = amount(f, 'refund_fee');
    const gmtPayment = chinaTime(f, 'gmt_payment');
    const gmtRefund = chinaTime(f, 'gmt_refund');
    const tradeStatus = f.trade_status as AlipayTradeStatus;
    const verdict = mapAlipaySignal(tradeStatus, { paidBefore: gmtPayment !== undefined || (refundFen ?? 0) > 0 });
    if (verdict.kind !== 'status') return reject('malformed', `trade_status ${tradeStatus} has no status`);
    const n: AlipayNotification = {
      notifyId: f.notify_id,
      notifyType: 'trade_status_sync',
      appId: f.app_id,
      tradeNo: f.trade_no,
      outTradeNo: f.out_trade_no,
      tradeStatus,
      status: verdict.status,
      totalFen,
      fields: Object.freeze({ ...f }),
    };
    const opt = <K extends keyof AlipayNotification>(k: K, v: AlipayNotification[K] | undefined) => {
      if (v !== undefined && v !== '') n[k] = v;
    };
    opt('notifyTime', chinaTime(f, 'notify_time'));
    opt('receiptFen', amount(f, 'receipt_amount'));
    opt('buyerPayFen', amount(f, 'buyer_pay_amount'));
    opt('refundFen', refundFen);
    opt('outBizNo', f.out_biz_no);
    opt('buyerId', f.buyer_id);
    opt('buyerOpenId', f.buyer_open_id);
    opt('sellerId', f.seller_id);
    opt('gmtPayment', gmtPayment);
    opt('gmtRefund', gmtRefund);
    opt('gmtClose', chinaTime(f, 'gmt_close'));
    return { ok: true, notification: n };
  } catch (e) {
    return reject('malformed', (e as Error).message);
  }
}

export interface ExpectedNotification {
  appId: string;
  outTradeNo: string;
  /** The order's amount, integer fen. */
  totalFen: number;
  /** Our seller (PID, 2088…), when configured: then the notification must carry it. */
  sellerId?: string;
}

/**
 * Step 3: does this verified notification belong to this order? Exact: integer fen against integer fen
 * ("12.1" is 1210 fen and matches an order of 1210; "12.001" never got this far: it is not an amount).
 */
export function checkNotificationMatches(n: AlipayNotification, expected: ExpectedNotification): MatchVerdict {
  if (n.appId !== expected.appId) return reject('app_id_mismatch', `app_id ${n.appId} is not ${expected.appId}`);
  if (n.outTradeNo !== expected.outTradeNo) {
    return reject('out_trade_no_mismatch', `out_trade_no ${n.outTradeNo} is not ${expected.outTradeNo}`);
  }
  if (!Number.isSafeInteger(expected.totalFen) || n.totalFen !== expected.totalFen) {
    return reject('amount_mismatch', `total_amount is ${n.totalFen} fen, the order is ${expected.totalFen} fen`);
  }
  if (expected.sellerId !== undefined && n.sellerId !== expected.sellerId) {
    return reject('seller_id_mismatch', `seller_id ${String(n.sellerId)} is not ${expected.sellerId}`);
  }
  return { ok: true };
}
