/**
 * WeChat Pay's e-invoicing (电子发票, API v3 `new-tax-control-fapiao`) for the merchant ParkPay collects for:
 *
 * - 配置开发选项        PATCH/GET /v3/new-tax-control-fapiao/merchant/development-config  → development config
 * - 创建电子发票卡券模板 POST /v3/new-tax-control-fapiao/card-template                    → createCardTemplate
 * - 获取抬头填写链接     GET  …/user-title/title-url                                       → titleUrl
 * - 获取用户填写的抬头   GET  …/user-title                                                 → userTitle
 * - 开具电子发票         POST …/fapiao-applications                                        → issue
 * - 查询电子发票         GET  …/fapiao-applications/{fapiao_apply_id}                      → query
 * - 获取发票下载信息     GET  …/fapiao-applications/{id}/fapiao-files  + the download      → file
 * - 冲红电子发票         POST …/fapiao-applications/{id}/reverse                           → reverse
 * - FAPIAO.USER_APPLIED / ISSUED / REVERSED / CARD_INSERTED / CARD_DISCARDED notifications → verifyNotification
 *
 * Every call goes through WechatPayAdapter.signedRequest (request signing, the answer's signature verified in
 * either verification mode, WechatPayError kinds and retryable flags, secret-free logging); notifications
 * through the same numbered steps as payments (notifications.ts openEnvelope), the event_type deciding what
 * the resource is (these carry no original_type). Money is integer fen; quantities are WeChat's ×10^8 and tax
 * rates its 1/100 percent (900 = 9%).
 */
import { z, type ZodType } from 'zod';
import type { WechatPayAdapter } from './client';
import { WechatPayError, isWechatPayError, verificationError } from './errors';
import type { RawAnswer } from './http';
import { type IncomingNotification, type NotificationMeta, notificationMeta, openEnvelope } from './notifications';

export type FapiaoScene = 'WITH_WECHATPAY' | 'WITHOUT_WECHATPAY';

export interface FapiaoBuyer {
  type: 'INDIVIDUAL' | 'ORGANIZATION';
  name: string;
  taxpayerId?: string;
  address?: string;
  telephone?: string;
  bankName?: string;
  bankAccount?: string;
  phone?: string;
  email?: string;
}

export interface FapiaoLineInput {
  /** 19 digits: 税收分类编码. */
  taxCode: string;
  goodsName: string;
  specification?: string;
  unit?: string;
  /** Whole units (sent ×10^8). */
  quantity: number;
  totalFen: number;
  /** 1/100 percent: 900 = 9%. */
  taxRate: number;
}

export interface FapiaoInput {
  /** Ours, 1–20 of [0-9A-Za-z_-], unique per merchant. */
  fapiaoId: string;
  totalFen: number;
  remark?: string;
  items: FapiaoLineInput[];
}

export interface IssueInput {
  scene: FapiaoScene;
  /** WITH_WECHATPAY: the payment's transaction_id; WITHOUT_WECHATPAY: the id the title URL was asked with. */
  applyId: string;
  buyer: FapiaoBuyer;
  fapiao: FapiaoInput[];
}

export type FapiaoState = 'ISSUE_ACCEPTED' | 'ISSUED' | 'REVERSE_ACCEPTED' | 'REVERSED';
export type FapiaoCardState = 'INSERT_ACCEPTED' | 'INSERTED' | 'DISCARD_ACCEPTED' | 'DISCARDED';

export interface FapiaoNumbers {
  code: string;
  number: string;
  checkCode: string;
  /** RFC 3339 as WeChat wrote it. */
  time: string;
}

export interface FapiaoView {
  fapiaoId: string;
  /** ISSUE_ACCEPTED | ISSUED | REVERSE_ACCEPTED | REVERSED (or whatever WeChat adds). */
  status: string;
  blue?: FapiaoNumbers;
  red?: FapiaoNumbers;
  card?: { appid: string; openid: string; status: string };
  totalFen: number;
  taxFen: number;
  amountFen: number;
}

export interface TitleLink {
  /** A web page (H5); valid 30 minutes. */
  url: string;
  /** What navigateToMiniProgram opens in WeChat. */
  miniprogram: { appId: string; path: string; userName?: string };
}

export type FapiaoNotification =
  | (NotificationMeta & { kind: 'user_applied'; applyId: string; applyTime?: string; mchid: string })
  | (NotificationMeta & { kind: 'fapiao'; applyId: string; mchid: string; fapiao: { fapiaoId: string; status: string; cardStatus?: string }[] });

const API = '/v3/new-tax-control-fapiao';
const APPLY_ID = /^[0-9A-Za-z_-]{1,64}$/;
const FAPIAO_ID = /^[0-9A-Za-z_-]{1,20}$/;
const TAX_CODE = /^\d{19}$/;

const buyerWire = z.looseObject({
  type: z.enum(['INDIVIDUAL', 'ORGANIZATION']),
  name: z.string().min(1),
  taxpayer_id: z.string().optional(),
  address: z.string().optional(),
  telephone: z.string().optional(),
  bank_name: z.string().optional(),
  bank_account: z.string().optional(),
  phone: z.string().optional(),
  email: z.string().optional(),
});
const numbersWire = z.looseObject({ fapiao_code: z.string(), fapiao_number: z.string(), check_code: z.string().optional(), fapiao_time: z.string().optional() });
const fen = z.number().int().nonnegative();
const queryAnswer = z.looseObject({
  total_count: z.number().int().optional(),
  fapiao_information: z.array(
    z.looseObject({
      fapiao_id: z.string().min(1),
      status: z.string().min(1),
      blue_fapiao: numbersWire.optional(),
      red_fapiao: numbersWire.optional(),
      card_information: z.looseObject({ card_appid: z.string(), card_openid: z.string(), card_status: z.string() }).optional(),
      total_amount: fen,
      tax_amount: fen.optional(),
      amount: fen.optional(),
    }),
  ),
});
const devConfigAnswer = z.looseObject({ callback_url: z.string().optional(), show_fapiao_cell: z.boolean().optional() });
const templateAnswer = z.looseObject({ card_appid: z.string(), card_id: z.string().min(1) });
const titleUrlAnswer = z.looseObject({ title_url: z.string().min(1), miniprogram_appid: z.string().optional(), miniprogram_path: z.string().optional(), miniprogram_user_name: z.string().optional() });
const filesAnswer = z.looseObject({
  fapiao_download_info_list: z.array(z.looseObject({ fapiao_id: z.string().optional(), download_url: z.string().min(1), status: z.string().optional() })).min(1),
});
const userAppliedResource = z.looseObject({ mchid: z.string(), fapiao_apply_id: z.string().min(1), apply_time: z.string().optional() });
const fapiaoResource = z.looseObject({
  mchid: z.string(),
  fapiao_apply_id: z.string().min(1),
  fapiao_information: z.array(z.looseObject({ fapiao_id: z.string().min(1), fapiao_status: z.string().min(1), card_status: z.string().optional() })),
});

export interface WechatFapiaoAdapterOptions {
  pay: WechatPayAdapter;
  /** Where WeChat Pay's API lives (the download URL must come from there or WeChat Pay's own hosts). */
  baseUrl: string;
  /** The file download (an unsigned GET of the download URL). Default: the global fetch. */
  fetch?: (url: string, init: RequestInit) => Promise<Response>;
  /** Per download, ms. Default 15 s. */
  downloadTimeoutMs?: number;
}

export class WechatFapiaoAdapter {
  readonly mchId: string;
  private readonly pay: WechatPayAdapter;
  private readonly apiOrigin: string;

  constructor(private readonly options: WechatFapiaoAdapterOptions) {
    this.pay = options.pay;
    this.mchId = options.pay.mchId;
    this.apiOrigin = new URL(options.baseUrl).origin;
  }

  // ---- merchant ----------------------------------------------------------------------------------

  async developmentConfig(): Promise<{ callbackUrl: string | null; showFapiaoCell: boolean }> {
    const a = parse('fapiaoConfig', devConfigAnswer, await this.pay.signedRequest('fapiaoConfig', 'GET', `${API}/merchant/development-config`));
    return { callbackUrl: a.callback_url || null, showFapiaoCell: a.show_fapiao_cell ?? false };
  }

  /** PATCH: where FAPIAO.* notifications go, and whether every bill shows WeChat's 开发票 entry. */
  async setDevelopmentConfig(input: { callbackUrl: string; showFapiaoCell?: boolean }): Promise<{ callbackUrl: string | null; showFapiaoCell: boolean }> {
    checkNotifyUrl('fapiaoConfig', input.callbackUrl);
    const body = { callback_url: input.callbackUrl, ...(input.showFapiaoCell !== undefined ? { show_fapiao_cell: input.showFapiaoCell } : {}) };
    const a = parse('fapiaoConfig', devConfigAnswer, await this.pay.signedRequest('fapiaoConfig', 'PATCH', `${API}/merchant/development-config`, body));
    return { callbackUrl: a.callback_url || null, showFapiaoCell: a.show_fapiao_cell ?? false };
  }

  /** The card issued fapiao are put in the payer's card package with (a later call replaces it). */
  async createCardTemplate(input: {
    cardAppid: string;
    logoUrl: string;
    payeeName?: string;
    customCell?: { words: string; description: string; jumpUrl?: string; miniprogramUserName?: string; miniprogramPath?: string };
  }): Promise<{ cardAppid: string; cardId: string }> {
    const c = input.customCell;
    const body = {
      card_appid: input.cardAppid,
      card_template_information: {
        logo_url: input.logoUrl,
        ...(input.payeeName ? { payee_name: input.payeeName } : {}),
        ...(c
          ? {
              custom_cell: {
                words: c.words,
                description: c.description,
                ...(c.jumpUrl ? { jump_url: c.jumpUrl } : {}),
                ...(c.miniprogramUserName ? { miniprogram_user_name: c.miniprogramUserName } : {}),
                ...(c.miniprogramPath ? { miniprogram_path: c.miniprogramPath } : {}),
              },
            }
          : {}),
      },
    };
    const a = parse('fapiaoCardTemplate', templateAnswer, await this.pay.signedRequest('fapiaoCardTemplate', 'POST', `${API}/card-template`, body));
    return { cardAppid: a.card_appid, cardId: a.card_id };
  }

  // ---- titles -------------------------------------------------------------------------------------

  /** The link to WeChat's title page for an application (valid 30 minutes; ask again with the same id when it lapsed). */
  async titleUrl(input: { applyId: string; appid: string; openid: string; totalFen: number; sellerName?: string; source?: 'MINIPROGRAM' | 'WEB'; showEmail?: boolean }): Promise<TitleLink> {
    const op = 'fapiaoTitleUrl';
    checkApplyId(op, input.applyId);
    checkFen(op, input.totalFen);
    const q = new URLSearchParams({
      fapiao_apply_id: input.applyId,
      source: input.source ?? 'MINIPROGRAM',
      appid: input.appid,
      openid: input.openid,
      total_amount: String(input.totalFen),
      ...(input.sellerName ? { seller_name: input.sellerName } : {}),
      ...(input.showEmail ? { show_email_cell: 'true' } : {}),
    });
    const a = parse(op, titleUrlAnswer, await this.pay.signedRequest(op, 'GET', `${API}/user-title/title-url?${q.toString()}`));
    return {
      url: a.title_url,
      miniprogram: { appId: a.miniprogram_appid ?? '', path: a.miniprogram_path ?? '', ...(a.miniprogram_user_name ? { userName: a.miniprogram_user_name } : {}) },
    };
  }

  /** The title the user filled for an application; undefined while they have not. */
  async userTitle(scene: FapiaoScene, applyId: string): Promise<FapiaoBuyer | undefined> {
    const op = 'fapiaoUserTitle';
    checkApplyId(op, applyId);
    let raw: RawAnswer;
    try {
      raw = await this.pay.signedRequest(op, 'GET', `${API}/user-title?${new URLSearchParams({ scene, fapiao_apply_id: applyId }).toString()}`);
    } catch (e) {
      if (isWechatPayError(e) && e.kind === 'business' && (e.httpStatus === 404 || e.code === 'RESOURCE_NOT_EXISTS' || e.code === 'NOT_FOUND')) return undefined;
      throw e;
    }
    const b = parse(op, buyerWire, raw);
    return buyerFromWire(b);
  }

  // ---- issue, query, file, reverse ----------------------------------------------------------------

  /** 202: accepted; the result comes by notification (or query). The same application again changes nothing. */
  async issue(input: IssueInput): Promise<void> {
    const op = 'fapiaoIssue';
    checkApplyId(op, input.applyId);
    if (!input.fapiao.length) throw invalid(op, 'at least one fapiao');
    for (const f of input.fapiao) {
      if (!FAPIAO_ID.test(f.fapiaoId)) throw invalid(op, 'fapiaoId must be 1–20 of [0-9A-Za-z_-]');
      checkFen(op, f.totalFen);
      const sum = f.items.reduce((s, it) => s + it.totalFen, 0);
      if (sum !== f.totalFen) throw invalid(op, `the lines add up to ${sum} fen, not ${f.totalFen}`);
      for (const it of f.items) {
        if (!TAX_CODE.test(it.taxCode)) throw invalid(op, 'taxCode must be 19 digits');
        if (!Number.isSafeInteger(it.quantity) || it.quantity < 1) throw invalid(op, 'quantity must be a positive whole number');
        checkFen(op, it.totalFen);
      }
    }
    if (input.buyer.type === 'ORGANIZATION' && !input.buyer.taxpayerId) throw invalid(op, 'an organization needs its taxpayer id');
    const body = {
      scene: input.scene,
      fapiao_apply_id: input.applyId,
      buyer_information: buyerToWire(input.buyer),
      fapiao_information: input.fapiao.map((f) => ({
        fapiao_id: f.fapiaoId,
        total_amount: f.totalFen,
        need_list: false,
        ...(f.remark ? { remark: f.remark } : {}),
        items: f.items.map((it) => ({
          tax_code: it.taxCode,
          goods_name: it.goodsName,
          ...(it.specification ? { specification: it.specification } : {}),
          ...(it.unit ? { unit: it.unit } : {}),
          quantity: it.quantity * 100_000_000,
          total_amount: it.totalFen,
          tax_rate: it.taxRate,
          tax_prefer_mark: 'NO_FAVORABLE',
          discount: false,
        })),
      })),
    };
    await this.pay.signedRequest(op, 'POST', `${API}/fapiao-applications`, body);
  }

  /** The application's fapiao as WeChat has them (a missing application is a 'business' error). */
  async query(applyId: string, fapiaoId?: string): Promise<FapiaoView[]> {
    const op = 'fapiaoQuery';
    checkApplyId(op, applyId);
    const q = fapiaoId ? `?${new URLSearchParams({ fapiao_id: fapiaoId }).toString()}` : '';
    const a = parse(op, queryAnswer, await this.pay.signedRequest(op, 'GET', `${API}/fapiao-applications/${encodeURIComponent(applyId)}${q}`));
    return a.fapiao_information.map((f) => {
      const v: FapiaoView = { fapiaoId: f.fapiao_id, status: f.status, totalFen: f.total_amount, taxFen: f.tax_amount ?? 0, amountFen: f.amount ?? f.total_amount };
      if (f.blue_fapiao) v.blue = numbers(f.blue_fapiao);
      if (f.red_fapiao) v.red = numbers(f.red_fapiao);
      if (f.card_information) v.card = { appid: f.card_information.card_appid, openid: f.card_information.card_openid, status: f.card_information.card_status };
      return v;
    });
  }

  /** The PDF of an issued fapiao: its download URL asked for (signed), then fetched (unsigned, as WeChat serves it). */
  async file(applyId: string, fapiaoId: string): Promise<Buffer> {
    const op = 'fapiaoFile';
    checkApplyId(op, applyId);
    const q = new URLSearchParams({ fapiao_id: fapiaoId });
    const a = parse(op, filesAnswer, await this.pay.signedRequest(op, 'GET', `${API}/fapiao-applications/${encodeURIComponent(applyId)}/fapiao-files?${q.toString()}`));
    const url = a.fapiao_download_info_list.find((x) => x.fapiao_id === undefined || x.fapiao_id === fapiaoId)?.download_url;
    if (!url || !this.trustedDownload(url)) throw new WechatPayError({ operation: op, kind: 'http', detail: 'the download URL is not on a WeChat Pay host', retryable: false });
    const controller = new AbortController();
    const timer = setTimeout(() => controller.abort(), this.options.downloadTimeoutMs ?? 15_000);
    try {
      const res = await (this.options.fetch ?? fetch)(url, { method: 'GET', signal: controller.signal, redirect: 'manual' });
      const bytes = Buffer.from(await res.arrayBuffer());
      if (res.status !== 200) throw new WechatPayError({ operation: op, kind: 'http', detail: `download HTTP ${res.status}`, retryable: res.status >= 500, httpStatus: res.status });
      if (bytes.subarray(0, 5).toString('latin1') !== '%PDF-') throw new WechatPayError({ operation: op, kind: 'http', detail: 'the download is not a PDF', retryable: false });
      return bytes;
    } catch (e) {
      if (isWechatPayError(e)) throw e;
      throw new WechatPayError({ operation: op, kind: controller.signal.aborted ? 'timeout' : 'network', detail: 'the download failed', retryable: true, cause: e });
    } finally {
      clearTimeout(timer);
    }
  }

  /**
   * 红冲: 202 accepted; FAPIAO.REVERSED (or a query) tells the end. `reason`: for 数电 fapiao one of WeChat's
   * ISSUE_ERROR, SALES_RETURN, SERVICE_SUSPENSION, SALES_DISCOUNT (older fapiao take any text ≤ 200); the
   * code is sent when the fapiao has one (数电 fapiao have none).
   */
  async reverse(input: { applyId: string; reason: string; fapiao: { fapiaoId: string; code?: string; number: string }[] }): Promise<void> {
    const op = 'fapiaoReverse';
    checkApplyId(op, input.applyId);
    if (!input.reason || input.reason.length > 200) throw invalid(op, 'reason must be 1–200 characters');
    const body = {
      reverse_reason: input.reason,
      fapiao_information: input.fapiao.map((f) => ({ fapiao_id: f.fapiaoId, ...(f.code ? { fapiao_code: f.code } : {}), fapiao_number: f.number })),
    };
    await this.pay.signedRequest(op, 'POST', `${API}/fapiao-applications/${encodeURIComponent(input.applyId)}/reverse`, body);
  }

  // ---- notifications ------------------------------------------------------------------------------

  /**
   * FAPIAO.*: steps 1–6 of notifications.ts (headers, timestamp, serial, signature over the raw body, the
   * envelope, AES-GCM with tag and associated data), then step 7: the resource of its event_type, for this
   * merchant.
   */
  async verifyNotification(input: IncomingNotification): Promise<FapiaoNotification> {
    const { envelope, plaintext } = await openEnvelope(this.pay.notificationDeps(), input, (e) =>
      e.event_type.startsWith('FAPIAO.') ? undefined : `event_type ${e.event_type} is not an e-invoicing notification`,
    );
    const meta = notificationMeta(envelope);
    let resource: unknown;
    try {
      resource = JSON.parse(plaintext);
    } catch (e) {
      throw verificationError('notification', 'malformed', 'the decrypted resource is not JSON', false, e);
    }
    const mine = (mchid: string) => {
      if (mchid !== this.mchId) throw verificationError('notification', 'malformed', `the notification is for merchant ${mchid}, not ${this.mchId}`, false);
    };
    if (envelope.event_type === 'FAPIAO.USER_APPLIED') {
      const r = userAppliedResource.safeParse(resource);
      if (!r.success) throw verificationError('notification', 'malformed', 'the decrypted resource is not a title notification', false, r.error);
      mine(r.data.mchid);
      return { ...meta, kind: 'user_applied', applyId: r.data.fapiao_apply_id, mchid: r.data.mchid, ...(r.data.apply_time ? { applyTime: r.data.apply_time } : {}) };
    }
    const r = fapiaoResource.safeParse(resource);
    if (!r.success) throw verificationError('notification', 'malformed', 'the decrypted resource is not a fapiao notification', false, r.error);
    mine(r.data.mchid);
    return {
      ...meta,
      kind: 'fapiao',
      applyId: r.data.fapiao_apply_id,
      mchid: r.data.mchid,
      fapiao: r.data.fapiao_information.map((f) => ({ fapiaoId: f.fapiao_id, status: f.fapiao_status, ...(f.card_status ? { cardStatus: f.card_status } : {}) })),
    };
  }

  /** A download URL we fetch: WeChat Pay's own hosts over https, or the configured API origin (a sandbox, a proxy). */
  private trustedDownload(raw: string): boolean {
    let u: URL;
    try {
      u = new URL(raw);
    } catch {
      return false;
    }
    if (u.origin === this.apiOrigin) return true;
    return u.protocol === 'https:' && /(^|\.)(wechatpay\.cn|weixin\.qq\.com|tenpay\.com)$/.test(u.hostname);
  }
}

function numbers(n: z.infer<typeof numbersWire>): FapiaoNumbers {
  return { code: n.fapiao_code, number: n.fapiao_number, checkCode: n.check_code ?? '', time: n.fapiao_time ?? '' };
}

function buyerToWire(b: FapiaoBuyer): Record<string, string> {
  const w: Record<string, string> = { type: b.type, name: b.name };
  if (b.taxpayerId) w.taxpayer_id = b.taxpayerId;
  if (b.address) w.address = b.address;
  if (b.telephone) w.telephone = b.telephone;
  if (b.bankName) w.bank_name = b.bankName;
  if (b.bankAccount) w.bank_account = b.bankAccount;
  if (b.phone) w.phone = b.phone;
  if (b.email) w.email = b.email;
  return w;
}

function buyerFromWire(b: z.infer<typeof buyerWire>): FapiaoBuyer {
  const out: FapiaoBuyer = { type: b.type, name: b.name };
  if (b.taxpayer_id) out.taxpayerId = b.taxpayer_id;
  if (b.address) out.address = b.address;
  if (b.telephone) out.telephone = b.telephone;
  if (b.bank_name) out.bankName = b.bank_name;
  if (b.bank_account) out.bankAccount = b.bank_account;
  if (b.phone) out.phone = b.phone;
  if (b.email) out.email = b.email;
  return out;
}

function invalid(operation: string, detail: string): WechatPayError {
  return new WechatPayError({ operation, kind: 'invalid_request', detail, retryable: false });
}

function checkApplyId(op: string, v: string): void {
  if (typeof v !== 'string' || !APPLY_ID.test(v)) throw invalid(op, 'applyId must be 1–64 of [0-9A-Za-z_-]');
}

function checkFen(op: string, v: number): void {
  if (!Number.isSafeInteger(v) || v < 1) throw invalid(op, 'amounts must be positive integer fen');
}

function checkNotifyUrl(op: string, url: string): void {
  let u: URL;
  try {
    u = new URL(url);
  } catch {
    throw invalid(op, 'callbackUrl is not a URL');
  }
  if (u.protocol !== 'https:' && u.protocol !== 'http:') throw invalid(op, 'callbackUrl must be http(s)');
  if (u.search || u.hash) throw invalid(op, 'callbackUrl must not carry a query string');
}

function parse<T>(operation: string, schema: ZodType<T>, raw: RawAnswer): T {
  try {
    return schema.parse(JSON.parse(raw.text));
  } catch (e) {
    throw new WechatPayError({ operation, kind: 'http', detail: `HTTP ${raw.status}: the answer is not the expected JSON`, retryable: false, httpStatus: raw.status, requestId: raw.requestId, cause: e });
  }
}
