/**
 * Alipay withholding (商家扣款 / 代扣, "无感支付" for parking) on alipay-sdk 4, as a subclass of the Alipay
 * adapter so it shares its wire (exec with validateSign, the signed error_response recovery, our own error
 * messages, China-time timestamps) and everything else it does (trade.query, refunds, notifications):
 *
 *  - alipay.user.agreement.page.sign → the URL the user opens (pageExecute GET): personal_product_code
 *    (GENERAL_WITHHOLDING_P: any amount, whenever a stay ends — CYCLE_PAY_AUTH_P is for fixed periods and
 *    needs period rules), sign_scene, external_agreement_no (ours: 1–32 letters and digits), access_params
 *    {channel: ALIPAYAPP}, notify_url (dut_user_sign), return_url;
 *  - alipay.user.agreement.query → the agreement (status TEMP / NORMAL / STOP), or none
 *    (USER_AGREEMENT_NOT_EXIST), by agreement_no or by product + sign_scene + external_agreement_no;
 *  - alipay.user.agreement.unsign, where "no such agreement" counts as already done;
 *  - alipay.trade.pay with product_code GENERAL_WITHHOLDING and agreement_params {agreement_no}: 10000 paid,
 *    10003 accepted and waiting (query later); every other code throws AlipayError 'business' with its
 *    sub_code (ACQ.BUYER_BALANCE_NOT_ENOUGH, ACQ.AGREEMENT_NOT_EXIST, ACQ.TRADE_HAS_SUCCESS, …) for the
 *    gateway's one switch (adapter/payments/alipay-withholding.ts) to read;
 *  - the notifications dut_user_sign / dut_user_unsign (RSA2, checkNotifySignV2, app_id ours) and the
 *    deductions' trade_status_sync (the adapter's verifyNotification).
 *
 * Every answer must be about what we asked (agreement_no / external_agreement_no / out_trade_no and the
 * amount): a genuine signed answer replayed for another request verifies perfectly.
 *
 * Sources: opendocs alipay.user.agreement.page.sign / query / unsign and alipay.trade.pay (商家扣款 API
 * list), the alipay-sdk-java-all models AlipayUserAgreementPageSignModel / AlipayUserAgreementQueryResponse,
 * the ACQ error table of alipay.trade.pay, and published dut_user_sign notifications.
 */
import { z } from 'zod';
import { formatChinaTime, parseChinaTime } from '../../../../shared/time';
import { AlipayAdapter } from './client';
import { AlipayError, badResponse, invalidRequest } from './errors';
import { alipayYuanToFen, fenToAlipayYuan } from './money';
import { toFormFields, type AlipayNotification, type NotificationRejection } from './notification';

const PAGE_SIGN = 'alipay.user.agreement.page.sign';
const AGREEMENT_QUERY = 'alipay.user.agreement.query';
const AGREEMENT_UNSIGN = 'alipay.user.agreement.unsign';
const TRADE_PAY = 'alipay.trade.pay';

/** 商家扣款 personal product: deductions of any amount at any time, within the user's limits. */
export const GENERAL_WITHHOLDING_P = 'GENERAL_WITHHOLDING_P';
/** The sales product code alipay.trade.pay uses for it. */
export const GENERAL_WITHHOLDING = 'GENERAL_WITHHOLDING';

/** external_agreement_no: "支持大写小写字母和数字，最长32位". */
const EXTERNAL_NO = /^[A-Za-z0-9]{1,32}$/;
const SCENE = /^[A-Z0-9_]+\|[A-Z0-9_]+$/;
const MERCHANT_NO = /^[A-Za-z0-9_-]{1,64}$/;
const MAX_FEN = 100_000_000_00;

export type AlipayAgreementStatus = 'TEMP' | 'NORMAL' | 'STOP';

/** How a user is found again: the agreement number, or what we put into the sign-up. */
export type AgreementLookup =
  | { agreementNo: string }
  | { externalAgreementNo: string; signScene: string; personalProductCode: string };

export interface PageSignInput {
  externalAgreementNo: string;
  signScene: string;
  personalProductCode: string;
  /** Shown (masked) on Alipay's page: what the user knows us by, e.g. the plate. */
  externalLogonId?: string;
  /** Where the user's browser goes afterwards. */
  returnUrl?: string;
  /** Where dut_user_sign goes. */
  notifyUrl?: string;
  /** ALIPAYAPP (the wallet's H5 page, default), QRCODE, QRCODEORSMS. */
  channel?: 'ALIPAYAPP' | 'QRCODE' | 'QRCODEORSMS';
  /** "2m", "365d"; absent: until the user ends it. */
  signValidityPeriod?: string;
}

export interface AlipayAgreement {
  agreementNo: string;
  status: AlipayAgreementStatus;
  personalProductCode?: string;
  signScene?: string;
  externalAgreementNo?: string;
  /** The user, user_id mode (2088…). */
  principalId?: string;
  /** The user, open_id mode. */
  principalOpenId?: string;
  alipayLogonId?: string;
  signedAt?: Date;
  validAt?: Date;
  invalidAt?: Date;
}

export interface AgreementPayInput {
  outTradeNo: string;
  agreementNo: string;
  totalFen: number;
  subject: string;
  body?: string;
  notifyUrl?: string;
}

export type AgreementPayResult =
  /** 10000: the money is taken. */
  | { outcome: 'paid'; outTradeNo: string; tradeNo: string; totalFen: number; paidAt?: Date; buyerId?: string; buyerOpenId?: string }
  /** 10003: accepted, the user still has to do something; ask alipay.trade.query (or wait for the notification). */
  | { outcome: 'waiting'; outTradeNo: string; tradeNo?: string };

export interface AgreementNotification {
  notifyId: string;
  notifyType: 'dut_user_sign' | 'dut_user_unsign';
  appId: string;
  agreementNo: string;
  /** NORMAL on sign-up, UNSIGN on unsign (TEMP / STOP passed through). */
  status: string;
  externalAgreementNo?: string;
  personalProductCode?: string;
  signScene?: string;
  alipayUserId?: string;
  alipayOpenId?: string;
  alipayLogonId?: string;
  signedAt?: Date;
  invalidAt?: Date;
  unsignedAt?: Date;
  fields: Readonly<Record<string, string>>;
}

export type WithholdingNotificationVerdict =
  | { ok: true; kind: 'agreement'; notification: AgreementNotification }
  | { ok: true; kind: 'trade'; notification: AlipayNotification }
  | { ok: false; reason: NotificationRejection; detail: string };

const timeText = z.string().regex(/^\d{4}-\d{2}-\d{2} \d{2}:\d{2}:\d{2}$/, 'not yyyy-MM-dd HH:mm:ss');
const amountText = z.string().refine((v) => {
  try {
    alipayYuanToFen(v);
    return true;
  } catch {
    return false;
  }
}, 'not a yuan amount');

const agreementAnswer = z.looseObject({
  agreement_no: z.string().min(1),
  status: z.enum(['TEMP', 'NORMAL', 'STOP']),
  personal_product_code: z.string().optional(),
  sign_scene: z.string().optional(),
  external_agreement_no: z.string().optional(),
  principal_id: z.string().optional(),
  principal_open_id: z.string().optional(),
  alipay_logon_id: z.string().optional(),
  sign_time: timeText.optional(),
  valid_time: timeText.optional(),
  invalid_time: timeText.optional(),
});
const payAnswer = z.looseObject({
  out_trade_no: z.string().min(1),
  trade_no: z.string().min(1),
  total_amount: amountText,
  gmt_payment: timeText.optional(),
  buyer_user_id: z.string().optional(),
  buyer_open_id: z.string().optional(),
});
const waitingAnswer = z.looseObject({ out_trade_no: z.string().min(1), trade_no: z.string().optional() });

type Inner = Record<string, unknown>;


function parse<T extends z.ZodType>(method: string, schema: T, inner: Inner): z.infer<T> {
  const r = schema.safeParse(inner);
  if (!r.success) {
    const i = r.error.issues[0];
    throw badResponse(method, i ? `${i.path.join('.') || '(root)'}: ${i.message}` : 'unexpected shape');
  }
  return r.data;
}

function chinaTime(v: string | undefined): Date | undefined {
  if (!v) return undefined;
  try {
    return parseChinaTime(v);
  } catch {
    return undefined;
  }
}

function checkLookup(method: string, l: AgreementLookup): Inner {
  if ('agreementNo' in l) {
    if (!l.agreementNo || l.agreementNo.length > 64) throw invalidRequest(method, 'agreementNo is empty or too long');
    return { agreement_no: l.agreementNo };
  }
  if (!EXTERNAL_NO.test(l.externalAgreementNo)) throw invalidRequest(method, 'externalAgreementNo must be 1–32 letters and digits');
  if (!SCENE.test(l.signScene) || l.signScene === 'DEFAULT|DEFAULT') throw invalidRequest(method, 'signScene must be INDUSTRY|XXX (not DEFAULT|DEFAULT)');
  if (!l.personalProductCode) throw invalidRequest(method, 'personalProductCode is empty');
  return { personal_product_code: l.personalProductCode, sign_scene: l.signScene, external_agreement_no: l.externalAgreementNo };
}

/** USER_AGREEMENT_NOT_EXIST (with or without the ACQ. prefix some gateways put). */
export function isAgreementMissing(e: unknown): boolean {
  return e instanceof AlipayError && e.kind === 'business' && (e.subCode === 'USER_AGREEMENT_NOT_EXIST' || e.subCode === 'ACQ.USER_AGREEMENT_NOT_EXIST');
}

export class AlipayAgreementAdapter extends AlipayAdapter {
  /**
   * alipay.user.agreement.page.sign as a GET URL (pageExecute): open it in the Alipay wallet (web view,
   * my.ap.navigateToAlipayPage) or, in the H5 demo, in the browser (the sandbox's page). Signed, so it
   * must be used as is; its timestamp makes it good for Alipay's window (minutes), not for storing.
   */
  pageSignUrl(input: PageSignInput): string {
    const method = PAGE_SIGN;
    checkLookup(method, { externalAgreementNo: input.externalAgreementNo, signScene: input.signScene, personalProductCode: input.personalProductCode });
    if (input.signValidityPeriod !== undefined && !/^[1-9]\d{0,3}[dm]$/.test(input.signValidityPeriod)) {
      throw invalidRequest(method, 'signValidityPeriod must look like 30d or 12m');
    }
    const biz: Inner = {
      personal_product_code: input.personalProductCode,
      sign_scene: input.signScene,
      external_agreement_no: input.externalAgreementNo,
      access_params: { channel: input.channel ?? 'ALIPAYAPP' },
    };
    if (input.externalLogonId) biz.external_logon_id = input.externalLogonId.slice(0, 100);
    if (input.signValidityPeriod) biz.sign_validity_period = input.signValidityPeriod;
    const params: Record<string, unknown> = { bizContent: biz, timestamp: formatChinaTime(this.clock.now()) };
    if (input.notifyUrl) params.notifyUrl = input.notifyUrl;
    if (input.returnUrl) params.returnUrl = input.returnUrl;
    try {
      return this.sdk.pageExecute(method, 'GET', params);
    } catch {
      // Only our key can make this fail (the SDK signs here); its message could quote parameters.
      throw new AlipayError({ method, kind: 'config', retryable: false, detail: 'the sign URL could not be signed with the private key' });
    }
  }

  /** alipay.user.agreement.query: the agreement, or undefined when Alipay has none (USER_AGREEMENT_NOT_EXIST). */
  async queryAgreement(lookup: AgreementLookup): Promise<AlipayAgreement | undefined> {
    const method = AGREEMENT_QUERY;
    const biz = checkLookup(method, lookup);
    let inner: Inner;
    try {
      inner = await this.call(method, { bizContent: biz });
    } catch (e) {
      if (isAgreementMissing(e)) return undefined;
      throw e;
    }
    const a = parse(method, agreementAnswer, inner);
    if ('agreementNo' in lookup && a.agreement_no !== lookup.agreementNo) {
      throw badResponse(method, `the answer is about agreement ${a.agreement_no}, not ${lookup.agreementNo}`);
    }
    if ('externalAgreementNo' in lookup && a.external_agreement_no !== undefined && a.external_agreement_no !== lookup.externalAgreementNo) {
      throw badResponse(method, `the answer is about external_agreement_no ${a.external_agreement_no}, not ${lookup.externalAgreementNo}`);
    }
    const r: AlipayAgreement = { agreementNo: a.agreement_no, status: a.status };
    const opt = <K extends keyof AlipayAgreement>(k: K, v: AlipayAgreement[K] | undefined) => {
      if (v !== undefined && v !== '') r[k] = v;
    };
    opt('personalProductCode', a.personal_product_code);
    opt('signScene', a.sign_scene);
    opt('externalAgreementNo', a.external_agreement_no);
    opt('principalId', a.principal_id);
    opt('principalOpenId', a.principal_open_id);
    opt('alipayLogonId', a.alipay_logon_id);
    opt('signedAt', chinaTime(a.sign_time));
    opt('validAt', chinaTime(a.valid_time));
    opt('invalidAt', chinaTime(a.invalid_time));
    return r;
  }

  /** alipay.user.agreement.unsign. 'not_found': Alipay has no such (live) agreement — ended already. */
  async unsignAgreement(lookup: AgreementLookup, options: { notifyUrl?: string } = {}): Promise<'unsigned' | 'not_found'> {
    const method = AGREEMENT_UNSIGN;
    const biz = checkLookup(method, lookup);
    try {
      await this.call(method, { bizContent: biz, ...(options.notifyUrl ? { notifyUrl: options.notifyUrl } : {}) });
      return 'unsigned';
    } catch (e) {
      if (isAgreementMissing(e)) return 'not_found';
      throw e;
    }
  }

  /**
   * alipay.trade.pay, product GENERAL_WITHHOLDING, on the agreement. Alipay never takes the money twice for
   * one out_trade_no (a repeat answers ACQ.TRADE_HAS_SUCCESS); any code but 10000 / 10003 throws
   * AlipayError 'business'.
   */
  async agreementPay(input: AgreementPayInput): Promise<AgreementPayResult> {
    const method = TRADE_PAY;
    if (!MERCHANT_NO.test(input.outTradeNo)) throw invalidRequest(method, "outTradeNo must be 1–64 letters, digits, '_' or '-'");
    if (!input.agreementNo || input.agreementNo.length > 64) throw invalidRequest(method, 'agreementNo is empty or too long');
    if (!Number.isSafeInteger(input.totalFen) || input.totalFen < 1 || input.totalFen > MAX_FEN) {
      throw invalidRequest(method, `totalFen must be an integer 1–${MAX_FEN} fen`);
    }
    if (typeof input.subject !== 'string' || input.subject.trim() === '' || input.subject.length > 256) throw invalidRequest(method, 'subject must be 1–256 characters');
    const biz: Inner = {
      out_trade_no: input.outTradeNo,
      total_amount: fenToAlipayYuan(input.totalFen),
      subject: input.subject,
      product_code: GENERAL_WITHHOLDING,
      agreement_params: { agreement_no: input.agreementNo },
    };
    if (input.body) biz.body = input.body.slice(0, 128);
    const inner = await this.callRaw(method, { bizContent: biz, ...(input.notifyUrl ? { notifyUrl: input.notifyUrl } : {}) });
    if (inner.code === '10003') {
      const w = parse(method, waitingAnswer, inner);
      if (w.out_trade_no !== input.outTradeNo) throw badResponse(method, `the answer is about out_trade_no ${w.out_trade_no}, not ${input.outTradeNo}`);
      return w.trade_no ? { outcome: 'waiting', outTradeNo: input.outTradeNo, tradeNo: w.trade_no } : { outcome: 'waiting', outTradeNo: input.outTradeNo };
    }
    if (inner.code !== '10000') throw this.businessError(method, inner);
    const a = parse(method, payAnswer, inner);
    if (a.out_trade_no !== input.outTradeNo) throw badResponse(method, `the answer is about out_trade_no ${a.out_trade_no}, not ${input.outTradeNo}`);
    const totalFen = alipayYuanToFen(a.total_amount);
    if (totalFen !== input.totalFen) throw badResponse(method, `the answer says ${totalFen} fen, we asked for ${input.totalFen}`);
    const r: AgreementPayResult = { outcome: 'paid', outTradeNo: a.out_trade_no, tradeNo: a.trade_no, totalFen };
    const paidAt = chinaTime(a.gmt_payment);
    if (paidAt) r.paidAt = paidAt;
    if (a.buyer_user_id) r.buyerId = a.buyer_user_id;
    if (a.buyer_open_id) r.buyerOpenId = a.buyer_open_id;
    return r;
  }

  /**
   * A notification to the withholding notify_url: dut_user_sign / dut_user_unsign (checked here) or a
   * deduction's trade_status_sync (the adapter's verifyNotification). Signature first (checkNotifySignV2,
   * RSA2 only), then notify_type, app_id and the fields. The amount of a deduction is the caller's to check.
   */
  verifyWithholdingNotification(body: unknown): WithholdingNotificationVerdict {
    const parsed = toFormFields(body);
    if ('error' in parsed) return { ok: false, reason: 'malformed', detail: parsed.error };
    const f = parsed.fields;
    if (f.notify_type === 'trade_status_sync') {
      const v = this.verifyNotification(f);
      return v.ok ? { ok: true, kind: 'trade', notification: v.notification } : v;
    }
    if (!f.sign) return { ok: false, reason: 'bad_signature', detail: 'no sign field' };
    if (f.sign_type !== undefined && f.sign_type !== 'RSA2') return { ok: false, reason: 'bad_signature', detail: `sign_type ${f.sign_type} is not RSA2` };
    let signed = false;
    try {
      signed = this.sdk.checkNotifySignV2({ ...f });
    } catch {
      signed = false;
    }
    if (!signed) return { ok: false, reason: 'bad_signature', detail: 'the signature does not verify with the Alipay public key' };
    if (f.notify_type !== 'dut_user_sign' && f.notify_type !== 'dut_user_unsign') {
      return { ok: false, reason: 'wrong_notify_type', detail: `notify_type is ${JSON.stringify(f.notify_type)}` };
    }
    if (f.app_id !== this.appId) return { ok: false, reason: 'app_id_mismatch', detail: `app_id ${JSON.stringify(f.app_id)} is not ours` };
    for (const key of ['notify_id', 'agreement_no', 'status']) {
      if (!f[key]) return { ok: false, reason: 'malformed', detail: `${key} is missing` };
    }
    if (f.external_agreement_no !== undefined && !EXTERNAL_NO.test(f.external_agreement_no)) {
      return { ok: false, reason: 'malformed', detail: 'external_agreement_no is not 1–32 letters and digits' };
    }
    const n: AgreementNotification = {
      notifyId: f.notify_id,
      notifyType: f.notify_type,
      appId: f.app_id,
      agreementNo: f.agreement_no,
      status: f.status,
      fields: Object.freeze({ ...f }),
    };
    const opt = <K extends keyof AgreementNotification>(k: K, v: AgreementNotification[K] | undefined) => {
      if (v !== undefined && v !== '') n[k] = v;
    };
    opt('externalAgreementNo', f.external_agreement_no);
    opt('personalProductCode', f.personal_product_code);
    opt('signScene', f.sign_scene);
    opt('alipayUserId', f.alipay_user_id);
    opt('alipayOpenId', f.alipay_open_id);
    opt('alipayLogonId', f.alipay_logon_id);
    opt('signedAt', chinaTime(f.sign_time));
    opt('invalidAt', chinaTime(f.invalid_time));
    opt('unsignedAt', chinaTime(f.unsign_time));
    return { ok: true, kind: 'agreement', notification: n };
  }
}
