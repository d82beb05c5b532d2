/**
 * The sandbox's withholding agreements (商家扣款 / 代扣) and what Alipay answers about them: the business half
 * of alipay.user.agreement.page.sign / query / unsign and of alipay.trade.pay with product_code
 * GENERAL_WITHHOLDING (agreement payment). The gateway framing (signature checks, signed answers) is
 * index.ts's; the sign-up page and the control routes are agreements.ts's.
 *
 * Rules followed (opendocs alipay.user.agreement.page.sign / query / unsign, alipay.trade.pay error table,
 * the dut_user_sign / dut_user_unsign notifications; see the adapter's agreement.ts for the sources):
 *  - page.sign needs personal_product_code (one of the merchant's products) and access_params.channel
 *    (ALIPAYAPP | QRCODE | QRCODEORSMS); external_agreement_no is 1–32 letters and digits, and with it
 *    sign_scene is required and may not be DEFAULT|DEFAULT; CYCLE_PAY_AUTH_P needs period_rule_params.
 *    Opening the URL only shows the page: the agreement exists once the user confirms (status NORMAL,
 *    dut_user_sign to the page's notify_url).
 *  - query / unsign find an agreement by agreement_no, or by personal_product_code + sign_scene +
 *    external_agreement_no, or by personal_product_code + the user; none (or an ended one) is
 *    40004 USER_AGREEMENT_NOT_EXIST. unsign ends it (dut_user_unsign to the unsign request's notify_url).
 *  - the user may end it from the Alipay app too (dut_user_unsign to the page's notify_url), and Alipay may
 *    pause it (STOP: deductions refused with ACQ.AGREEMENT_STATUS_NOT_NORMAL).
 *  - alipay.trade.pay GENERAL_WITHHOLDING takes the money at once from the agreement's user: 10000 and a
 *    TRADE_SUCCESS trade (in the trade book, so trade.query / refund / notifications work as for any trade);
 *    an unknown or ended agreement is ACQ.AGREEMENT_NOT_EXIST, a paused one ACQ.AGREEMENT_STATUS_NOT_NORMAL,
 *    a balance below the amount ACQ.BUYER_BALANCE_NOT_ENOUGH (nothing is kept: the same out_trade_no may be
 *    tried again); an out_trade_no already paid is ACQ.TRADE_HAS_SUCCESS (never a second deduction), with
 *    other amounts ACQ.CONTEXT_INCONSISTENT. `holdNext` makes the next deductions answer 10003 (the payment
 *    completes later: sandbox.pay / expire), as Alipay does when it needs the user.
 *  - balances follow the money: a deduction takes it (a held one when it completes), alipay.trade.refund of a
 *    deduction gives it back.
 */
import { randomBytes } from 'node:crypto';
import { formatChinaTime, parseChinaTime } from '../../../shared/time';
import type { Clock } from '../../src/core/clock';
import { parseBizContent, parsePrice, yuan, type GatewayAnswer, type IdMode, type SandboxTrade, type TradeBook } from './book';
import type { SandboxUser } from './users';

export type AgreementStatus = 'TEMP' | 'NORMAL' | 'STOP' | 'UNSIGN';

export interface SandboxAgreement {
  agreementNo: string;
  externalAgreementNo?: string;
  personalProductCode: string;
  signScene: string;
  status: AgreementStatus;
  user: SandboxUser;
  externalLogonId?: string;
  /** The page.sign request's notify_url: where dut_user_sign (and a user-side dut_user_unsign) go. */
  notifyUrl?: string;
  signedAt: number;
  validAt: number;
  invalidAt: number;
  unsignedAt?: number;
  /** out_trade_no of every deduction that took money. */
  deductions: string[];
  events: { at: number; what: string }[];
}

/** What a page.sign URL asked for, once its signature and fields were checked. */
export interface SignRequest {
  token: string;
  personalProductCode: string;
  signScene: string;
  channel: string;
  externalAgreementNo?: string;
  externalLogonId?: string;
  notifyUrl?: string;
  returnUrl?: string;
  /** sign_validity_period ("2m", "30d"); absent: valid until Alipay's "forever". */
  signValidityPeriod?: string;
  createdAt: number;
  state: 'open' | 'signed' | 'cancelled';
  agreementNo?: string;
}

/** A page.sign refusal: Alipay shows an error page with these (not a JSON answer). */
export interface PageRefusal {
  code: string;
  message: string;
}

/** What the agreement book asks the notifier to send (dut_user_sign / dut_user_unsign). */
export interface AgreementNotice {
  notifyUrl: string;
  notifyType: 'dut_user_sign' | 'dut_user_unsign';
  agreement: SandboxAgreement;
  fields: Record<string, string>;
}

export class AgreementControlError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'AgreementControlError';
  }
}

export const WITHHOLDING_PRODUCT = 'GENERAL_WITHHOLDING';
/** The personal product codes the sandbox merchant has signed with Alipay, and their sales product codes. */
const PRODUCTS: Readonly<Record<string, string>> = { GENERAL_WITHHOLDING_P: 'GENERAL_WITHHOLDING', CYCLE_PAY_AUTH_P: 'CYCLE_PAY_AUTH' };
const CHANNELS = new Set(['ALIPAYAPP', 'QRCODE', 'QRCODEORSMS']);
const EXTERNAL_NO = /^[A-Za-z0-9]{1,32}$/;
const SCENE = /^[A-Z0-9_]+\|[A-Z0-9_]+$/;
const MERCHANT_NO = /^[A-Za-z0-9_-]{1,64}$/;
const MAX_FEN = 100_000_000_00;
/** "长期有效": what Alipay puts as invalid_time of an agreement without sign_validity_period. */
const FOREVER = '2115-02-01 00:00:00';
/** How long a deduction answered 10003 waits for the user before it closes. */
const HOLD_MS = 15 * 60_000;

const SUCCESS = { code: '10000', msg: 'Success' } as const;
const business = (subCode: string, subMsg: string, extra: Record<string, unknown> = {}): GatewayAnswer => ({
  inner: { code: '40004', msg: 'Business Failed', sub_code: subCode, sub_msg: subMsg, ...extra },
});
const tradeInvalid = (why: string) => business('ACQ.INVALID_PARAMETER', `参数无效: ${why}`);
const agreementInvalid = (why: string) => business('INVALID_PARAMETER', `参数有误: ${why}`);
const notExist = () => business('USER_AGREEMENT_NOT_EXIST', '用户协议不存在');

const str = (v: unknown): string | undefined => (typeof v === 'string' && v !== '' ? v : undefined);

function agreementNoAt(now: number): string {
  const digits = BigInt(`0x${randomBytes(8).toString('hex')}`) % 10n ** 16n;
  return `${formatChinaTime(now).slice(0, 4)}${digits.toString().padStart(16, '0')}`;
}

/** sign_validity_period ("2m", "30d") → the instant it ends, from `now`; undefined when malformed. */
function validityEnd(v: string, now: number): number | undefined {
  const m = /^([1-9]\d{0,3})([dm])$/.exec(v);
  if (!m) return undefined;
  const n = Number(m[1]);
  if (m[2] === 'd') return now + n * 86_400_000;
  const d = new Date(now);
  d.setUTCMonth(d.getUTCMonth() + n);
  return d.getTime();
}

export interface AgreementBookOptions {
  clock: Clock;
  appId: string;
  idMode: IdMode;
  trades: TradeBook;
  notify: (n: AgreementNotice) => void;
}

export class AgreementBook {
  private readonly agreements = new Map<string, SandboxAgreement>();
  private readonly requests = new Map<string, SignRequest>();
  /** Balances by user name, integer fen; a user without one has enough for anything. */
  private readonly balances = new Map<string, number>();
  /** Deductions: out_trade_no → the agreement it was made under. */
  private readonly deductionAgreement = new Map<string, string>();
  private holds = 0;
  /** Held deductions (10003) whose money is taken when the user completes them. */
  private readonly heldDebits = new Set<string>();

  constructor(private readonly o: AgreementBookOptions) {
    o.trades.onPaid((t) => this.completed(t));
    o.trades.onRefunded((t, fen) => this.refunded(t, fen));
  }

  private now(): number {
    return this.o.clock.now();
  }

  private log(a: SandboxAgreement, what: string): void {
    a.events.push({ at: this.now(), what });
  }

  // ── alipay.user.agreement.page.sign (the URL the user opens) ──────────────────────────────────

  /** Check a page.sign request's biz_content (signature and common params already checked). */
  openSignRequest(params: Record<string, string>): SignRequest | PageRefusal {
    const biz = parseBizContent(params);
    if (!biz) return { code: 'INVALID_PARAMETER', message: '参数有误: biz_content' };
    const product = str(biz.personal_product_code);
    if (!product) return { code: 'INVALID_PARAMETER', message: '参数有误: personal_product_code 不能为空' };
    if (!(product in PRODUCTS)) return { code: 'PRODUCT_CODE_NOT_SUPPORTED_ERROR', message: '无效的个人产品码' };
    const salesProduct = str(biz.product_code);
    if (salesProduct !== undefined && salesProduct !== PRODUCTS[product]) {
      return { code: 'MERCHANT_AGREEMENT_IS_NOT_EXIST', message: '商户协议不存在' };
    }
    const access = biz.access_params as { channel?: unknown } | undefined;
    const channel = typeof access === 'object' && access !== null ? str(access.channel) : undefined;
    if (!channel || !CHANNELS.has(channel)) return { code: 'INVALID_PARAMETER', message: '参数有误: access_params.channel' };
    const externalAgreementNo = str(biz.external_agreement_no);
    if (externalAgreementNo !== undefined && !EXTERNAL_NO.test(externalAgreementNo)) {
      return { code: 'INVALID_PARAMETER', message: '参数有误: external_agreement_no 仅支持字母和数字，最长32位' };
    }
    const signScene = str(biz.sign_scene) ?? 'DEFAULT|DEFAULT';
    if (!SCENE.test(signScene)) return { code: 'INVALID_PARAMETER', message: '参数有误: sign_scene' };
    if (externalAgreementNo !== undefined && signScene === 'DEFAULT|DEFAULT') {
      return { code: 'INVALID_PARAMETER', message: '参数有误: 传入external_agreement_no时sign_scene不能为默认值' };
    }
    if (product === 'CYCLE_PAY_AUTH_P') {
      const rule = biz.period_rule_params as Record<string, unknown> | undefined;
      if (!rule || !str(rule.period_type) || rule.period === undefined || !str(rule.execute_time) || parsePrice(rule.single_amount) === undefined) {
        return { code: 'INVALID_PARAMETER', message: '参数有误: period_rule_params' };
      }
    }
    if (biz.sign_validity_period !== undefined && validityEnd(String(biz.sign_validity_period), this.now()) === undefined) {
      return { code: 'INVALID_PARAMETER', message: '参数有误: sign_validity_period' };
    }
    const r: SignRequest = {
      token: randomBytes(12).toString('hex'),
      personalProductCode: product,
      signScene,
      channel,
      createdAt: this.now(),
      state: 'open',
    };
    if (externalAgreementNo) r.externalAgreementNo = externalAgreementNo;
    const logon = str(biz.external_logon_id);
    if (logon) r.externalLogonId = logon.slice(0, 100);
    if (params.notify_url) r.notifyUrl = params.notify_url;
    if (params.return_url) r.returnUrl = params.return_url;
    if (biz.sign_validity_period !== undefined) r.signValidityPeriod = String(biz.sign_validity_period);
    this.requests.set(r.token, r);
    return r;
  }

  request(token: string): SignRequest | undefined {
    return this.requests.get(token);
  }

  /** The live agreement a sign request would create again (same product, scene and external number). */
  existingFor(r: SignRequest): SandboxAgreement | undefined {
    if (!r.externalAgreementNo) return undefined;
    return this.findLive({ personal_product_code: r.personalProductCode, sign_scene: r.signScene, external_agreement_no: r.externalAgreementNo });
  }

  /** The user confirms on the page: the agreement is signed (NORMAL) and dut_user_sign is sent. */
  confirm(token: string, user: SandboxUser): SandboxAgreement {
    const r = this.requests.get(token);
    if (!r) throw new AgreementControlError(`no sign-up page ${token}`);
    if (r.state === 'signed' && r.agreementNo) {
      const done = this.agreements.get(r.agreementNo);
      if (done && done.user.userId === user.userId && done.status !== 'UNSIGN') return done;
    }
    if (r.state !== 'open') throw new AgreementControlError(`sign-up page ${token} is ${r.state}`);
    const existing = this.existingFor(r);
    if (existing) {
      if (existing.user.userId !== user.userId) {
        throw new AgreementControlError(`external_agreement_no ${r.externalAgreementNo} is signed by another user`);
      }
      r.state = 'signed';
      r.agreementNo = existing.agreementNo;
      return existing;
    }
    const now = this.now();
    const validity = r.signValidityPeriod;
    const a: SandboxAgreement = {
      agreementNo: agreementNoAt(now),
      personalProductCode: r.personalProductCode,
      signScene: r.signScene,
      status: 'NORMAL',
      user,
      signedAt: now,
      validAt: now,
      invalidAt: validity ? (validityEnd(validity, now) as number) : parseChinaTime(FOREVER).getTime(),
      deductions: [],
      events: [],
    };
    if (r.externalAgreementNo) a.externalAgreementNo = r.externalAgreementNo;
    if (r.externalLogonId) a.externalLogonId = r.externalLogonId;
    if (r.notifyUrl) a.notifyUrl = r.notifyUrl;
    this.agreements.set(a.agreementNo, a);
    r.state = 'signed';
    r.agreementNo = a.agreementNo;
    this.log(a, `signed by ${user.name} (${r.channel})`);
    if (a.notifyUrl) this.o.notify({ notifyUrl: a.notifyUrl, notifyType: 'dut_user_sign', agreement: a, fields: this.noticeFields(a) });
    return a;
  }

  /** The user backs out of the page: nothing is signed. */
  cancel(token: string): SignRequest {
    const r = this.requests.get(token);
    if (!r) throw new AgreementControlError(`no sign-up page ${token}`);
    if (r.state === 'open') r.state = 'cancelled';
    return r;
  }

  // ── alipay.user.agreement.query / unsign ──────────────────────────────────────────────────────

  query(biz: Record<string, unknown>): GatewayAnswer {
    const found = this.lookup(biz);
    if ('inner' in found) return found;
    const a = found.agreement;
    const inner: Record<string, unknown> = {
      ...SUCCESS,
      agreement_no: a.agreementNo,
      ...(this.o.idMode === 'open_id' ? { principal_open_id: a.user.openId } : { principal_id: a.user.userId }),
      alipay_logon_id: a.user.logonId,
      personal_product_code: a.personalProductCode,
      sign_scene: a.signScene,
      status: a.status,
      third_party_type: 'PARTNER',
      sign_time: formatChinaTime(a.signedAt),
      valid_time: formatChinaTime(a.validAt),
      invalid_time: formatChinaTime(a.invalidAt),
    };
    if (a.externalAgreementNo) inner.external_agreement_no = a.externalAgreementNo;
    if (a.externalLogonId) inner.external_logon_id = a.externalLogonId;
    return { inner };
  }

  unsign(biz: Record<string, unknown>, notifyUrl: string | undefined): GatewayAnswer {
    const found = this.lookup(biz);
    if ('inner' in found) return found;
    this.end(found.agreement, 'unsigned by the merchant (alipay.user.agreement.unsign)', notifyUrl);
    return { inner: { ...SUCCESS } };
  }

  /** agreement_no, or product + scene + external number, or product + user → a live agreement, or the refusal. */
  private lookup(biz: Record<string, unknown>): { agreement: SandboxAgreement } | GatewayAnswer {
    const agreementNo = str(biz.agreement_no);
    if (agreementNo) {
      const a = this.agreements.get(agreementNo);
      return a && a.status !== 'UNSIGN' ? { agreement: a } : notExist();
    }
    const product = str(biz.personal_product_code);
    if (!product) return agreementInvalid('agreement_no 和 personal_product_code 不能同时为空');
    if (!(product in PRODUCTS)) return business('PRODUCT_CODE_NOT_SUPPORTED_ERROR', '无效的个人产品码');
    if (str(biz.external_agreement_no)) {
      if (!str(biz.sign_scene)) return agreementInvalid('传入external_agreement_no时sign_scene不能为空');
    } else if (!str(biz.alipay_user_id) && !str(biz.alipay_open_id) && !str(biz.alipay_logon_id)) {
      return agreementInvalid('缺少用户信息或商户签约号');
    }
    const a = this.findLive(biz);
    return a ? { agreement: a } : notExist();
  }

  private findLive(biz: Record<string, unknown>): SandboxAgreement | undefined {
    const product = str(biz.personal_product_code);
    const scene = str(biz.sign_scene);
    const external = str(biz.external_agreement_no);
    const userId = str(biz.alipay_user_id);
    const openId = str(biz.alipay_open_id);
    const logonId = str(biz.alipay_logon_id);
    for (const a of this.agreements.values()) {
      if (a.status === 'UNSIGN' || a.personalProductCode !== product) continue;
      if (scene !== undefined && a.signScene !== scene) continue;
      if (external !== undefined) {
        if (a.externalAgreementNo === external) return a;
        continue;
      }
      if ((userId && a.user.userId === userId) || (openId && a.user.openId === openId) || (logonId && a.user.logonId === logonId)) return a;
    }
    return undefined;
  }

  private end(a: SandboxAgreement, why: string, notifyUrl: string | undefined): void {
    a.status = 'UNSIGN';
    a.unsignedAt = this.now();
    this.log(a, why);
    if (notifyUrl) {
      this.o.notify({
        notifyUrl,
        notifyType: 'dut_user_unsign',
        agreement: a,
        fields: { ...this.noticeFields(a), unsign_time: formatChinaTime(a.unsignedAt) },
      });
    }
  }

  // ── alipay.trade.pay, product_code GENERAL_WITHHOLDING ────────────────────────────────────────

  tradePay(biz: Record<string, unknown>, notifyUrl: string | undefined): GatewayAnswer {
    const outTradeNo = biz.out_trade_no;
    if (typeof outTradeNo !== 'string' || !MERCHANT_NO.test(outTradeNo)) return tradeInvalid('out_trade_no');
    const totalFen = parsePrice(biz.total_amount);
    if (totalFen === undefined) return tradeInvalid('total_amount');
    if (totalFen < 1 || totalFen > MAX_FEN) return business('ACQ.TOTAL_FEE_EXCEED', '订单金额超过限额');
    const subject = biz.subject;
    if (typeof subject !== 'string' || subject === '' || subject.length > 256) return tradeInvalid('subject');
    const params = biz.agreement_params as { agreement_no?: unknown } | undefined;
    const agreementNo = typeof params === 'object' && params !== null ? str(params.agreement_no) : undefined;
    if (!agreementNo) return tradeInvalid('agreement_params.agreement_no');

    const existing = this.o.trades.trade(outTradeNo);
    if (existing) return this.repeated(existing, totalFen, subject, agreementNo);

    const a = this.agreements.get(agreementNo);
    if (!a || a.status === 'UNSIGN') return business('ACQ.AGREEMENT_NOT_EXIST', '用户协议不存在或已解约');
    if (a.status !== 'NORMAL') return business('ACQ.AGREEMENT_STATUS_NOT_NORMAL', '用户协议状态非NORMAL');
    if (a.invalidAt <= this.now()) return business('ACQ.AGREEMENT_INVALID', '用户协议失效');
    if (PRODUCTS[a.personalProductCode] !== WITHHOLDING_PRODUCT) return business('ACQ.AGREEMENT_ERROR', '协议信息异常');
    const balance = this.balances.get(a.user.name);
    if (balance !== undefined && balance < totalFen) return business('ACQ.BUYER_BALANCE_NOT_ENOUGH', '买家余额不足');

    const hold = this.holds > 0;
    if (hold) this.holds--;
    if (balance !== undefined && !hold) this.balances.set(a.user.name, balance - totalFen);
    const t = this.o.trades.openPaid({
      outTradeNo,
      subject,
      totalFen,
      productCode: WITHHOLDING_PRODUCT,
      payer: a.user,
      ...(notifyUrl ? { notifyUrl } : {}),
      ...(hold ? { holdMs: HOLD_MS } : {}),
    });
    this.deductionAgreement.set(outTradeNo, a.agreementNo);
    if (hold) this.heldDebits.add(outTradeNo);
    else a.deductions.push(outTradeNo);
    this.log(a, `${hold ? 'deduction waiting for the user' : 'deducted'} ${yuan(totalFen)} (${outTradeNo})`);
    return { inner: this.payAnswer(t, hold) };
  }

  /** The same out_trade_no again: never a second deduction. */
  private repeated(t: SandboxTrade, totalFen: number, subject: string, agreementNo: string): GatewayAnswer {
    const same =
      t.productCode === WITHHOLDING_PRODUCT &&
      t.totalFen === totalFen &&
      t.subject === subject &&
      this.deductionAgreement.get(t.outTradeNo) === agreementNo;
    if (t.tradeStatus === 'TRADE_SUCCESS' || t.tradeStatus === 'TRADE_FINISHED') {
      return same ? business('ACQ.TRADE_HAS_SUCCESS', '交易已被支付', { out_trade_no: t.outTradeNo, trade_no: t.tradeNo }) : business('ACQ.CONTEXT_INCONSISTENT', '交易信息被篡改');
    }
    if (t.tradeStatus === 'TRADE_CLOSED') return business('ACQ.TRADE_HAS_CLOSE', '交易已经关闭', { out_trade_no: t.outTradeNo });
    if (!same) return business('ACQ.CONTEXT_INCONSISTENT', '交易信息被篡改');
    return { inner: this.payAnswer(t, true) };
  }

  private payAnswer(t: SandboxTrade, waiting: boolean): Record<string, unknown> {
    const user = t.payer as SandboxUser;
    const inner: Record<string, unknown> = waiting
      ? { code: '10003', msg: ' order success pay inprocess' }
      : { ...SUCCESS };
    Object.assign(inner, {
      trade_no: t.tradeNo,
      out_trade_no: t.outTradeNo,
      buyer_logon_id: user.logonId,
      total_amount: yuan(t.totalFen),
      ...(this.o.idMode === 'open_id' ? { buyer_open_id: user.openId } : { buyer_user_id: user.userId }),
    });
    if (!waiting && t.paidAt !== undefined) {
      Object.assign(inner, {
        receipt_amount: yuan(t.totalFen),
        buyer_pay_amount: yuan(t.totalFen),
        point_amount: '0.00',
        invoice_amount: yuan(t.totalFen),
        gmt_payment: formatChinaTime(t.paidAt),
        fund_bill_list: [{ fund_channel: 'ALIPAYACCOUNT', amount: yuan(t.totalFen) }],
      });
    }
    return inner;
  }

  // ── what users and Alipay do (the control API) ─────────────────────────────────────────────────

  private get(agreementNo: string): SandboxAgreement {
    const a = this.agreements.get(agreementNo);
    if (!a) throw new AgreementControlError(`no agreement ${agreementNo}`);
    return a;
  }

  /** The user ends the agreement in the Alipay app: dut_user_unsign to the page's notify_url. */
  userUnsign(agreementNo: string): SandboxAgreement {
    const a = this.get(agreementNo);
    if (a.status === 'UNSIGN') throw new AgreementControlError(`agreement ${agreementNo} is already unsigned`);
    this.end(a, `unsigned by ${a.user.name} in the Alipay app`, a.notifyUrl);
    return a;
  }

  /** Alipay pauses the agreement (risk control, the user's request): STOP. */
  stop(agreementNo: string): SandboxAgreement {
    const a = this.get(agreementNo);
    if (a.status !== 'NORMAL') throw new AgreementControlError(`agreement ${agreementNo} is ${a.status}, not NORMAL`);
    a.status = 'STOP';
    this.log(a, 'paused (STOP)');
    return a;
  }

  resume(agreementNo: string): SandboxAgreement {
    const a = this.get(agreementNo);
    if (a.status !== 'STOP') throw new AgreementControlError(`agreement ${agreementNo} is ${a.status}, not STOP`);
    a.status = 'NORMAL';
    this.log(a, 'resumed (NORMAL)');
    return a;
  }

  /** A user's balance in fen (deductions above it are refused); null: enough for anything. */
  setBalance(user: SandboxUser, fen: number | null): void {
    if (fen === null) {
      this.balances.delete(user.name);
      return;
    }
    if (!Number.isSafeInteger(fen) || fen < 0) throw new AgreementControlError('balanceFen must be a non-negative integer or null');
    this.balances.set(user.name, fen);
  }

  balance(user: SandboxUser): number | null {
    return this.balances.get(user.name) ?? null;
  }

  /** The next `times` deductions answer 10003 and wait for the user (sandbox.pay completes them). */
  holdNext(times = 1): void {
    this.holds += times;
  }

  list(): SandboxAgreement[] {
    return [...this.agreements.values()];
  }

  agreement(agreementNo: string): SandboxAgreement | undefined {
    return this.agreements.get(agreementNo);
  }

  byExternalNo(externalAgreementNo: string): SandboxAgreement[] {
    return this.list().filter((a) => a.externalAgreementNo === externalAgreementNo);
  }

  // ── internals ───────────────────────────────────────────────────────────────────────────────

  /** A held deduction completed (the user confirmed): its money is taken now. */
  private completed(t: SandboxTrade): void {
    if (!this.heldDebits.delete(t.outTradeNo)) return;
    const a = this.agreements.get(this.deductionAgreement.get(t.outTradeNo) ?? '');
    if (!a) return;
    const balance = this.balances.get(a.user.name);
    if (balance !== undefined) this.balances.set(a.user.name, Math.max(0, balance - t.totalFen));
    a.deductions.push(t.outTradeNo);
    this.log(a, `deducted ${yuan(t.totalFen)} (${t.outTradeNo}, completed by the user)`);
  }

  /** A deduction refunded: the money goes back to the user's balance. */
  private refunded(t: SandboxTrade, refundFen: number): void {
    const a = this.agreements.get(this.deductionAgreement.get(t.outTradeNo) ?? '');
    if (!a) return;
    const balance = this.balances.get(a.user.name);
    if (balance !== undefined) this.balances.set(a.user.name, balance + refundFen);
    this.log(a, `refunded ${yuan(refundFen)} (${t.outTradeNo})`);
  }

  /** Business fields of dut_user_sign / dut_user_unsign (the notifier adds notify_* and signs). */
  private noticeFields(a: SandboxAgreement): Record<string, string> {
    const f: Record<string, string> = {
      agreement_no: a.agreementNo,
      personal_product_code: a.personalProductCode,
      sign_scene: a.signScene,
      status: a.status,
      alipay_logon_id: a.user.logonId,
      sign_time: formatChinaTime(a.signedAt),
      valid_time: formatChinaTime(a.validAt),
      invalid_time: formatChinaTime(a.invalidAt),
      auth_app_id: this.o.appId,
    };
    if (this.o.idMode === 'open_id') f.alipay_open_id = a.user.openId;
    else f.alipay_user_id = a.user.userId;
    if (a.externalAgreementNo) f.external_agreement_no = a.externalAgreementNo;
    if (a.externalLogonId) f.external_logon_id = a.externalLogonId;
    return f;
  }
}
