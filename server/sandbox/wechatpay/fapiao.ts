/**
 * WeChat Pay's e-invoicing (电子发票, API v3 `new-tax-control-fapiao`) inside the WeChat Pay sandbox: the
 * merchant's development configuration, the card template, the merchant's base information and tax codes, the
 * user-title flow (title URL → the user fills the title → FAPIAO.USER_APPLIED → user-title), issuing, the
 * result notifications, the file download, card-package insertion and reversal (红冲).
 *
 * Requests reach route() only after the sandbox checked their signature exactly as for pay calls, and every
 * answer is signed; faults (/__sandbox/faults with a `path` under /v3/new-tax-control-fapiao/) apply here too.
 * The file download (GET /invoicing/fapiao/fapiao-file?token=…) is not signed and takes no signature, as
 * WeChat's (下载发票文件: "该接口不支持签名和验签").
 *
 * What the docs say and the sandbox keeps (pay.weixin.qq.com 电子发票 API, merchant docs 4012286…):
 * - 配置开发选项 PATCH/GET /v3/new-tax-control-fapiao/merchant/development-config {callback_url, show_fapiao_cell}:
 *   where FAPIAO.* notifications go. Nothing is issued before a callback URL is configured.
 * - 创建电子发票卡券模板 POST …/card-template {card_appid, card_template_information{logo_url, payee_name?, custom_cell?}}
 *   → {card_appid, card_id}; a later call replaces it. Without one, issued fapiao are not put in card packages.
 * - 获取抬头填写链接 GET …/user-title/title-url?fapiao_apply_id&source&appid&openid&total_amount[&seller_name…]
 *   → {title_url, miniprogram_appid, miniprogram_path, miniprogram_user_name}, valid 30 minutes (a new link for
 *   the same application keeps its id). The user fills the title → FAPIAO.USER_APPLIED {mchid, fapiao_apply_id,
 *   apply_time}; 获取用户填写的抬头 GET …/user-title?scene&fapiao_apply_id → {type, name, taxpayer_id, …}.
 * - 开具电子发票 POST …/fapiao-applications {scene, fapiao_apply_id, buyer_information, fapiao_information[]} → 202.
 *   scene WITH_WECHATPAY: fapiao_apply_id is a WeChat Pay transaction_id of this merchant, the fapiao not more
 *   than it (net of refunds); WITHOUT_WECHATPAY: the application's title was filled through the title URL.
 *   Amounts in fen; quantity ×10^8; tax_rate in 1/100 percent (900 = 9%). Then ISSUE_ACCEPTED → ISSUED
 *   (FAPIAO.ISSUED), and into the payer's card package (INSERT_ACCEPTED → INSERTED, FAPIAO.CARD_INSERTED).
 * - 查询电子发票 GET …/fapiao-applications/{id}[?fapiao_id] → {total_count, fapiao_information[]} with blue_fapiao,
 *   red_fapiao, card_information, amounts and items as WeChat computed them.
 * - 获取发票下载信息 GET …/{id}/fapiao-files?fapiao_id → {fapiao_download_info_list[{fapiao_id, download_url,
 *   status}]}; only for ISSUED fapiao.
 * - 冲红电子发票 POST …/{id}/reverse {reverse_reason, fapiao_information[{fapiao_id, fapiao_code?, fapiao_number}]}
 *   → 202; REVERSE_ACCEPTED → REVERSED (FAPIAO.REVERSED), the card DISCARDED. 数电 fapiao take an enumerated
 *   reason (ISSUE_ERROR, SALES_RETURN, SERVICE_SUSPENSION — the docs also spell it SERVICE_SUSPENTION —,
 *   SALES_DISCOUNT); older ones any text ≤ 200.
 * - The FAPIAO.* notifications carry no original_type (their event_type says what they are).
 *
 * Where the docs are silent, the sandbox chooses (the adapter must not depend on the choice):
 * - user-title before the user filled it → 404 RESOURCE_NOT_EXISTS 用户尚未填写抬头;
 * - the same application again with the same fapiao content → 202 (nothing new); a fapiao_id reused with
 *   other content → 400 INVALID_REQUEST; a new fapiao_id on an application whose fapiao were all reversed
 *   issues again (a corrected fapiao after a partial refund);
 * - tax codes: the list getTaxCodes() answers; any other → 400 INVALID_REQUEST 税收分类编码不存在;
 * - taxpayer ids: 15, 18 or 20 of [0-9A-Z]; ORGANIZATION needs one;
 * - download URLs live 10 minutes; the PDF is made on the fly (a CJK font when installed).
 */
import crypto from 'node:crypto';
import PDFDocument from 'pdfkit';
import type { Clock } from '../../src/core/clock';
import { findCjkFont } from '../../src/adapter/posters/lane-codes';
import { randomString } from './keys';
import type { NotificationRecord } from './notifier';
import { escapeHtml, safeReturnUrl } from './parking-page';
import { type Answer, SandboxControlError, wechatError, wechatTime } from './state';
import { encryptResource, tamperCiphertext } from './wire-crypto';

export const FAPIAO_API = '/v3/new-tax-control-fapiao/';
export const FAPIAO_FILE_PATH = '/invoicing/fapiao/fapiao-file';
/** The WeChat mini-program the user fills a title in (what title-url names). */
export const TITLE_MINIPROGRAM = { appId: 'wx9db2c16d0633c2e7', userName: 'gh_4e5d6c7b8a90@app', path: 'pages/fapiao/title/index' } as const;

export type FapiaoStatus = 'ISSUE_ACCEPTED' | 'ISSUED' | 'REVERSE_ACCEPTED' | 'REVERSED';
export type CardStatus = 'INSERT_ACCEPTED' | 'INSERTED' | 'DISCARD_ACCEPTED' | 'DISCARDED';
export type BuyerType = 'INDIVIDUAL' | 'ORGANIZATION';

export interface SandboxBuyer {
  type: BuyerType;
  name: string;
  taxpayer_id?: string;
  address?: string;
  telephone?: string;
  bank_name?: string;
  bank_account?: string;
  phone?: string;
  email?: string;
}

export interface SandboxFapiaoNumbers {
  fapiao_code: string;
  fapiao_number: string;
  check_code: string;
  password: string;
  fapiao_time: string;
}

export interface SandboxFapiaoItem {
  tax_code: string;
  goods_name: string;
  goods_category?: string;
  specification?: string;
  unit?: string;
  quantity: number;
  unit_price: number;
  amount: number;
  tax_amount: number;
  total_amount: number;
  tax_rate: number;
  tax_prefer_mark: string;
  discount: boolean;
}

export interface SandboxFapiao {
  applyId: string;
  fapiaoId: string;
  status: FapiaoStatus;
  totalFen: number;
  taxFen: number;
  amountFen: number;
  items: SandboxFapiaoItem[];
  remark?: string;
  needList: boolean;
  blue?: SandboxFapiaoNumbers;
  red?: SandboxFapiaoNumbers;
  reverseReason?: string;
  card?: { card_appid: string; card_openid: string; card_id: string; card_code: string; card_status: CardStatus };
  /** What the request said (a repeat with other content is refused). */
  fingerprint: string;
  createdAt: number;
}

export interface SandboxApplication {
  applyId: string;
  scene: 'WITH_WECHATPAY' | 'WITHOUT_WECHATPAY';
  buyer: SandboxBuyer;
  /** Whose card package (the payer's, or the title filler's). */
  openid?: string;
  fapiao: SandboxFapiao[];
}

export interface SandboxTitleRequest {
  applyId: string;
  appid: string;
  openid: string;
  totalFen: number;
  source: string;
  sellerName?: string;
  showPhone: boolean;
  showEmail: boolean;
  token: string;
  expiresAt: number;
  title?: SandboxBuyer;
  appliedAt?: number;
}

/** A paid WeChat Pay transaction of this merchant (pay orders and parking deductions). */
export interface FapiaoTransaction {
  transactionId: string;
  totalFen: number;
  refundedFen: number;
  openid?: string;
  paid: boolean;
}

export interface FapiaoSandboxOptions {
  /** Simulated ms from acceptance to ISSUED / REVERSED; null: only settle(). Default 2000. */
  settleAfterMs?: number | null;
  /** The merchant as the tax office knows it (seller_information). */
  seller?: { name: string; taxpayer_id: string; address: string; telephone?: string; bank_name?: string; bank_account?: string };
}

export interface FapiaoHooks {
  mchId: string;
  apiV3Key: string;
  clock: Clock;
  timeScale: number;
  baseUrl(): string;
  enqueue(record: Omit<NotificationRecord, 'state' | 'attempts'>): void;
  takeTamper(): 'ciphertext' | 'aad' | 'signature' | undefined;
  transaction(transactionId: string): FapiaoTransaction | undefined;
}

/** The control side, as tests and the demo use it (`sandbox.fapiao`). */
export interface WechatFapiaoSandbox {
  /** The H5 demo's stand-in for WeChat's title mini-program: the title URL opens it. */
  readonly titlePageUrl: string;
  developmentConfig(): { callback_url?: string; show_fapiao_cell: boolean };
  cardTemplate(): { card_appid: string; card_id: string } | undefined;
  /** The user fills the title of an application (what WeChat's title page does), then FAPIAO.USER_APPLIED is sent. */
  fillTitle(applyId: string, title: SandboxBuyer): SandboxTitleRequest;
  /** Settle what was accepted now (ISSUED / REVERSED, and card insertion). */
  settle(applyId?: string): void;
  /** The user deletes the fapiao card from the card package (FAPIAO.CARD_DISCARDED). */
  discardCard(applyId: string, fapiaoId: string): SandboxFapiao;
  /** Stop (or resume) sending FAPIAO.* notifications: a lost notification the merchant must query for. */
  setNotifications(on: boolean): void;
  applications(): SandboxApplication[];
  titleRequests(): SandboxTitleRequest[];
  /** The PDF the download URL of an issued fapiao answers. */
  pdf(applyId: string, fapiaoId: string): Promise<Buffer>;
}

export interface ControlAnswer {
  status: number;
  contentType: string;
  body: string | Buffer;
}

type Obj = Record<string, unknown>;
const isObj = (v: unknown): v is Obj => typeof v === 'object' && v !== null && !Array.isArray(v);
const str = (v: unknown, min: number, max: number): v is string => typeof v === 'string' && v.length >= min && v.length <= max;
const isPositiveInt = (v: unknown): v is number => typeof v === 'number' && Number.isSafeInteger(v) && v >= 1;
const paramError = (field: string, issue: string) => wechatError(400, 'PARAM_ERROR', `参数错误: ${field} ${issue}`, { field, location: 'body' });
const digits = (n: number) => randomString(n, '0123456789');
const APPLY_ID = /^[0-9A-Za-z_-]{1,64}$/;
const FAPIAO_ID = /^[0-9A-Za-z_-]{1,20}$/;
const TAXPAYER_ID = /^(?:[0-9A-Z]{15}|[0-9A-Z]{18}|[0-9A-Z]{20})$/;
const TITLE_TTL_MS = 30 * 60_000;
const FILE_TTL_MS = 10 * 60_000;
const RATES = new Set([0, 100, 150, 300, 500, 600, 900, 1100, 1300, 1600, 1700]);
const REVERSE_REASONS = new Set(['ISSUE_ERROR', 'SALES_RETURN', 'SERVICE_SUSPENSION', 'SERVICE_SUSPENTION', 'SALES_DISCOUNT']);

/** The tax classification codes the sandbox knows (what getTaxCodes answers). */
export const SANDBOX_TAX_CODES: readonly { tax_code: string; goods_category: string; goods_name: string }[] = [
  { tax_code: '3040502020200000000', goods_category: '不动产经营租赁服务', goods_name: '车辆停放服务' },
  { tax_code: '3040502020100000000', goods_category: '不动产经营租赁服务', goods_name: '道路通行服务' },
  { tax_code: '3040203000000000000', goods_category: '现代服务', goods_name: '其他现代服务' },
];

const DEFAULT_SELLER = {
  name: '示例停车管理有限公司',
  taxpayer_id: '91440300MA5DEMO01X',
  address: '深圳市南山区示例路1号',
  telephone: '0755-88886666',
  bank_name: '示例银行深圳分行',
  bank_account: '6222020000000000',
};

export class FapiaoService implements WechatFapiaoSandbox {
  private devConfig: { callback_url?: string; show_fapiao_cell: boolean } = { show_fapiao_cell: false };
  private template?: { card_appid: string; card_id: string; info: Obj };
  private readonly apps = new Map<string, SandboxApplication>();
  private readonly titles = new Map<string, SandboxTitleRequest>();
  private readonly files = new Map<string, { applyId: string; fapiaoId: string; expiresAt: number }>();
  private readonly timers = new Set<NodeJS.Timeout>();
  private readonly settleAfterMs: number | null;
  private readonly seller: NonNullable<FapiaoSandboxOptions['seller']>;
  private notificationsOn = true;

  constructor(
    private readonly hooks: FapiaoHooks,
    options: FapiaoSandboxOptions = {},
  ) {
    this.settleAfterMs = options.settleAfterMs === undefined ? 2000 : options.settleAfterMs;
    this.seller = options.seller ?? DEFAULT_SELLER;
  }

  get titlePageUrl(): string {
    return `${this.hooks.baseUrl()}/__sandbox/fapiao/title`;
  }

  stop(): void {
    for (const t of this.timers) clearTimeout(t);
    this.timers.clear();
  }

  developmentConfig() {
    return { ...this.devConfig };
  }

  cardTemplate() {
    return this.template ? { card_appid: this.template.card_appid, card_id: this.template.card_id } : undefined;
  }

  applications(): SandboxApplication[] {
    return [...this.apps.values()];
  }

  titleRequests(): SandboxTitleRequest[] {
    return [...this.titles.values()];
  }

  setNotifications(on: boolean): void {
    this.notificationsOn = on;
  }

  // ---- API ----------------------------------------------------------------------------------------

  /** The answer for a /v3/new-tax-control-fapiao/ request (signature already checked). */
  route(method: string, url: URL, body: unknown): Answer {
    const p = url.pathname.slice(FAPIAO_API.length - 1);
    const q = url.searchParams;
    if (q.get('sub_mchid') !== null || (isObj(body) && body.sub_mchid !== undefined)) {
      return wechatError(400, 'PARAM_ERROR', '参数错误: 普通商户不能传入sub_mchid', { field: 'sub_mchid' });
    }
    if (p === '/merchant/development-config') {
      if (method === 'GET') return { status: 200, body: this.devConfigJson() };
      if (method === 'PATCH') return this.patchDevConfig(body);
    }
    if (method === 'GET' && p === '/merchant/base-information') {
      const { name, ...rest } = this.seller;
      return { status: 200, body: { seller_name: name, ...rest } };
    }
    if (method === 'GET' && p === '/merchant/tax-codes') return this.taxCodes(q);
    if (method === 'POST' && p === '/card-template') return this.createTemplate(body);
    if (method === 'GET' && p === '/user-title/title-url') return this.titleUrl(q);
    if (method === 'GET' && p === '/user-title') return this.userTitle(q);
    if (method === 'POST' && p === '/fapiao-applications') return this.issue(body);
    let m = /^\/fapiao-applications\/([^/]+)$/.exec(p);
    if (method === 'GET' && m) return this.query(decodeURIComponent(m[1]!), q.get('fapiao_id') ?? undefined);
    m = /^\/fapiao-applications\/([^/]+)\/fapiao-files$/.exec(p);
    if (method === 'GET' && m) return this.fileInfo(decodeURIComponent(m[1]!), q.get('fapiao_id'));
    m = /^\/fapiao-applications\/([^/]+)\/reverse$/.exec(p);
    if (method === 'POST' && m) return this.reverse(decodeURIComponent(m[1]!), body);
    return wechatError(404, 'NOT_FOUND', `sandbox: no API ${method} ${url.pathname}`);
  }

  private devConfigJson() {
    return { callback_url: this.devConfig.callback_url ?? '', show_fapiao_cell: this.devConfig.show_fapiao_cell };
  }

  private patchDevConfig(body: unknown): Answer {
    if (!isObj(body)) return wechatError(400, 'PARAM_ERROR', '参数错误: 请求体不是JSON对象');
    if (body.callback_url !== undefined) {
      if (typeof body.callback_url !== 'string' || !/^https?:\/\/[^?#\s]+$/.test(body.callback_url) || body.callback_url.length > 256) {
        return paramError('callback_url', '应为不带参数的URL');
      }
      this.devConfig.callback_url = body.callback_url;
    }
    if (body.show_fapiao_cell !== undefined) {
      if (typeof body.show_fapiao_cell !== 'boolean') return paramError('show_fapiao_cell', '应为布尔值');
      this.devConfig.show_fapiao_cell = body.show_fapiao_cell;
    }
    return { status: 200, body: this.devConfigJson() };
  }

  private taxCodes(q: URLSearchParams): Answer {
    const offset = Number(q.get('offset') ?? '0');
    const limit = Number(q.get('limit') ?? '20');
    if (!Number.isInteger(offset) || offset < 0) return wechatError(400, 'PARAM_ERROR', '参数错误: offset', { field: 'offset', location: 'query' });
    if (!Number.isInteger(limit) || limit < 1 || limit > 20) return wechatError(400, 'PARAM_ERROR', '参数错误: limit 1-20', { field: 'limit', location: 'query' });
    return { status: 200, body: { data: SANDBOX_TAX_CODES.slice(offset, offset + limit), total_count: SANDBOX_TAX_CODES.length, offset, limit } };
  }

  private createTemplate(body: unknown): Answer {
    if (!isObj(body)) return wechatError(400, 'PARAM_ERROR', '参数错误: 请求体不是JSON对象');
    if (!str(body.card_appid, 1, 32)) return paramError('card_appid', '必填');
    const info = body.card_template_information;
    if (!isObj(info)) return paramError('card_template_information', '必填');
    if (!str(info.logo_url, 1, 512) || !/^https?:\/\//.test(info.logo_url)) return paramError('card_template_information.logo_url', '必填，应为URL');
    if (info.payee_name !== undefined && !str(info.payee_name, 1, 64)) return paramError('card_template_information.payee_name', '不超过64个字符');
    if (info.custom_cell !== undefined) {
      const c = info.custom_cell;
      if (!isObj(c) || !str(c.words, 1, 6) || !str(c.description, 1, 16)) return paramError('card_template_information.custom_cell', 'words(≤6)与description(≤16)必填');
    }
    this.template = { card_appid: body.card_appid, card_id: `p${randomString(27, 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789')}`, info };
    return { status: 200, body: { card_appid: this.template.card_appid, card_id: this.template.card_id } };
  }

  private titleUrl(q: URLSearchParams): Answer {
    const need = (k: string) => wechatError(400, 'PARAM_ERROR', `参数错误: 缺少query参数${k}`, { field: k, location: 'query' });
    const applyId = q.get('fapiao_apply_id');
    if (!applyId || !APPLY_ID.test(applyId)) return need('fapiao_apply_id');
    const source = q.get('source');
    if (source !== 'WEB' && source !== 'MINIPROGRAM') return wechatError(400, 'PARAM_ERROR', '参数错误: source 应为WEB或MINIPROGRAM', { field: 'source', location: 'query' });
    const appid = q.get('appid');
    if (!appid) return need('appid');
    const openid = q.get('openid');
    if (!openid) return need('openid');
    const total = Number(q.get('total_amount'));
    if (!isPositiveInt(total)) return wechatError(400, 'PARAM_ERROR', '参数错误: total_amount 应为正整数(分)', { field: 'total_amount', location: 'query' });
    if (this.apps.has(applyId)) return wechatError(400, 'INVALID_REQUEST', '该发票申请单已开票，不能再获取抬头填写链接');
    const now = this.hooks.clock.now();
    const existing = this.titles.get(applyId);
    if (existing && existing.openid !== openid) return wechatError(400, 'INVALID_REQUEST', '发票申请单号已被其他用户使用');
    const t: SandboxTitleRequest = existing ?? {
      applyId,
      appid,
      openid,
      totalFen: total,
      source,
      showPhone: q.get('show_phone_cell') === 'true',
      showEmail: q.get('show_email_cell') === 'true',
      token: '',
      expiresAt: 0,
    };
    t.totalFen = total;
    const seller = q.get('seller_name');
    if (seller) t.sellerName = seller;
    // A new link each time (30 minutes); the application and any title already filled stay.
    t.token = crypto.randomBytes(18).toString('base64url');
    t.expiresAt = now + TITLE_TTL_MS;
    this.titles.set(applyId, t);
    return {
      status: 200,
      body: {
        title_url: `${this.titlePageUrl}?token=${t.token}`,
        miniprogram_appid: TITLE_MINIPROGRAM.appId,
        miniprogram_path: `${TITLE_MINIPROGRAM.path}?token=${t.token}`,
        miniprogram_user_name: TITLE_MINIPROGRAM.userName,
      },
    };
  }

  private userTitle(q: URLSearchParams): Answer {
    const scene = q.get('scene');
    if (scene !== 'WITH_WECHATPAY' && scene !== 'WITHOUT_WECHATPAY') return wechatError(400, 'PARAM_ERROR', '参数错误: scene', { field: 'scene', location: 'query' });
    const applyId = q.get('fapiao_apply_id') ?? '';
    const t = this.titles.get(applyId);
    if (!t?.title) return wechatError(404, 'RESOURCE_NOT_EXISTS', '用户尚未填写抬头');
    return { status: 200, body: { ...t.title } };
  }

  private buyerProblem(b: unknown, field = 'buyer_information'): Answer | undefined {
    if (!isObj(b)) return paramError(field, '必填');
    if (b.type !== 'INDIVIDUAL' && b.type !== 'ORGANIZATION') return paramError(`${field}.type`, '应为INDIVIDUAL或ORGANIZATION');
    if (!str(b.name, 1, 100)) return paramError(`${field}.name`, '必填，不超过100个字符');
    if (b.type === 'ORGANIZATION' && (typeof b.taxpayer_id !== 'string' || b.taxpayer_id === '')) return paramError(`${field}.taxpayer_id`, '购买方为单位时必填');
    if (b.taxpayer_id !== undefined && b.taxpayer_id !== '' && (typeof b.taxpayer_id !== 'string' || !TAXPAYER_ID.test(b.taxpayer_id))) {
      return paramError(`${field}.taxpayer_id`, '纳税人识别号格式错误');
    }
    if (b.email !== undefined && (typeof b.email !== 'string' || !/^[^@\s]+@[^@\s]+$/.test(b.email))) return paramError(`${field}.email`, '邮箱格式错误');
    return undefined;
  }

  private issue(body: unknown): Answer {
    if (!isObj(body)) return wechatError(400, 'PARAM_ERROR', '参数错误: 请求体不是JSON对象');
    if (!this.devConfig.callback_url) return wechatError(400, 'INVALID_REQUEST', '商户未配置开发选项(回调地址)');
    const scene = body.scene;
    if (scene !== 'WITH_WECHATPAY' && scene !== 'WITHOUT_WECHATPAY') return paramError('scene', '应为WITH_WECHATPAY或WITHOUT_WECHATPAY');
    const applyId = body.fapiao_apply_id;
    if (typeof applyId !== 'string' || !APPLY_ID.test(applyId)) return paramError('fapiao_apply_id', '必填，1-64位');
    const buyerProblem = this.buyerProblem(body.buyer_information);
    if (buyerProblem) return buyerProblem;
    const buyer = body.buyer_information as unknown as SandboxBuyer;
    const list = body.fapiao_information;
    if (!Array.isArray(list) || list.length < 1 || list.length > 5) return paramError('fapiao_information', '应为1-5张发票');
    const made: SandboxFapiao[] = [];
    for (const [i, f] of list.entries()) {
      const read = readFapiao(f, `fapiao_information[${i}]`, { applyId, scene, buyer, now: this.hooks.clock.now() });
      if ('answer' in read) return read.answer;
      made.push(read.fapiao);
    }
    const clash = this.idClash(applyId, made);
    if (clash) return clash;
    const payer = this.payerOf(scene, applyId);
    if ('answer' in payer) return payer.answer;
    const app = this.apps.get(applyId);
    if (app) {
      const repeat = repeatAnswer(app, made, scene);
      if (repeat) return repeat;
    }
    const total = made.reduce((s, f) => s + f.totalFen, 0);
    if (total > payer.limitFen) return wechatError(400, 'INVALID_REQUEST', `开票金额(${total}分)超过可开票金额(${payer.limitFen}分)`);
    const target: SandboxApplication = app ?? { applyId, scene, buyer, ...(payer.openid ? { openid: payer.openid } : {}), fapiao: [] };
    target.buyer = buyer;
    target.fapiao.push(...made);
    this.apps.set(applyId, target);
    this.later(() => this.settle(applyId));
    return { status: 202 };
  }

  /** A fapiao id twice in the request, or already used by another application. */
  private idClash(applyId: string, made: SandboxFapiao[]): Answer | undefined {
    const ids = new Set(made.map((f) => f.fapiaoId));
    if (ids.size !== made.length) return wechatError(400, 'INVALID_REQUEST', '同一申请单中商户发票单号重复');
    for (const app of this.apps.values()) {
      for (const f of app.fapiao) {
        if (ids.has(f.fapiaoId) && app.applyId !== applyId) return wechatError(400, 'INVALID_REQUEST', `商户发票单号${f.fapiaoId}已被其他申请单使用`);
      }
    }
    return undefined;
  }

  /** Who the fapiao is for and how much may be invoiced: the paid transaction (less refunds), or the title request's total. */
  private payerOf(scene: 'WITH_WECHATPAY' | 'WITHOUT_WECHATPAY', applyId: string): { openid?: string; limitFen: number } | { answer: Answer } {
    if (scene === 'WITH_WECHATPAY') {
      const tx = this.hooks.transaction(applyId);
      if (!tx || !tx.paid) return { answer: wechatError(400, 'INVALID_REQUEST', '微信支付订单不存在或未支付，无法开票') };
      return { openid: tx.openid, limitFen: tx.totalFen - tx.refundedFen };
    }
    const t = this.titles.get(applyId);
    if (!t?.title) return { answer: wechatError(400, 'INVALID_REQUEST', '用户尚未完成抬头填写，无法开票') };
    return { openid: t.openid, limitFen: t.totalFen };
  }

  private fapiaoJson(f: SandboxFapiao, app: SandboxApplication): Obj {
    return {
      fapiao_id: f.fapiaoId,
      status: f.status,
      ...(f.blue ? { blue_fapiao: { ...f.blue } } : {}),
      ...(f.red ? { red_fapiao: { ...f.red } } : {}),
      ...(f.card ? { card_information: { ...f.card } } : {}),
      total_amount: f.totalFen,
      tax_amount: f.taxFen,
      amount: f.amountFen,
      seller_information: { name: this.seller.name, taxpayer_id: this.seller.taxpayer_id, address: this.seller.address, telephone: this.seller.telephone, bank_name: this.seller.bank_name, bank_account: this.seller.bank_account },
      buyer_information: { ...app.buyer },
      extra_information: { payee: '收款员', reviewer: '复核员', drawer: '开票员' },
      items: f.items.map((it) => ({ ...it })),
      ...(f.remark !== undefined ? { remark: f.remark } : {}),
    };
  }

  private query(applyId: string, fapiaoId: string | undefined): Answer {
    const app = this.apps.get(applyId);
    if (!app) return wechatError(404, 'RESOURCE_NOT_EXISTS', '发票申请单不存在');
    const list = app.fapiao.filter((f) => fapiaoId === undefined || f.fapiaoId === fapiaoId);
    if (!list.length) return wechatError(404, 'RESOURCE_NOT_EXISTS', '发票不存在');
    return { status: 200, body: { total_count: list.length, fapiao_information: list.map((f) => this.fapiaoJson(f, app)) } };
  }

  private fileInfo(applyId: string, fapiaoId: string | null): Answer {
    if (!fapiaoId) return wechatError(400, 'PARAM_ERROR', '参数错误: 缺少query参数fapiao_id', { field: 'fapiao_id', location: 'query' });
    const f = this.apps.get(applyId)?.fapiao.find((x) => x.fapiaoId === fapiaoId);
    if (!f) return wechatError(404, 'RESOURCE_NOT_EXISTS', '发票不存在');
    if (f.status !== 'ISSUED') return wechatError(400, 'INVALID_REQUEST', `发票状态为${f.status}，仅已开具的发票可下载`);
    const token = crypto.randomBytes(24).toString('base64url');
    this.files.set(token, { applyId, fapiaoId, expiresAt: this.hooks.clock.now() + FILE_TTL_MS });
    return {
      status: 200,
      body: { fapiao_download_info_list: [{ fapiao_id: fapiaoId, download_url: `${this.hooks.baseUrl()}${FAPIAO_FILE_PATH}?token=${token}`, status: f.status }] },
    };
  }

  private reverse(applyId: string, body: unknown): Answer {
    if (!isObj(body)) return wechatError(400, 'PARAM_ERROR', '参数错误: 请求体不是JSON对象');
    if (!str(body.reverse_reason, 1, 200)) return paramError('reverse_reason', '必填，不超过200个字符');
    // 数电 fapiao take one of the enumerated reasons; the sandbox's fapiao are 数电 when the reason looks like one.
    if (/^[A-Z_]+$/.test(body.reverse_reason) && !REVERSE_REASONS.has(body.reverse_reason)) return paramError('reverse_reason', '应为ISSUE_ERROR/SALES_RETURN/SERVICE_SUSPENSION/SALES_DISCOUNT之一');
    const app = this.apps.get(applyId);
    if (!app) return wechatError(404, 'RESOURCE_NOT_EXISTS', '发票申请单不存在');
    const list = body.fapiao_information;
    if (!Array.isArray(list) || list.length < 1) return paramError('fapiao_information', '必填');
    const targets: SandboxFapiao[] = [];
    for (const [i, x] of list.entries()) {
      if (!isObj(x) || typeof x.fapiao_id !== 'string') return paramError(`fapiao_information[${i}].fapiao_id`, '必填');
      const f = app.fapiao.find((e) => e.fapiaoId === x.fapiao_id);
      if (!f) return wechatError(404, 'RESOURCE_NOT_EXISTS', `发票${x.fapiao_id}不存在`);
      if (f.status === 'REVERSE_ACCEPTED' || f.status === 'REVERSED') continue; // a repeat
      if (f.status !== 'ISSUED' || !f.blue) return wechatError(400, 'INVALID_REQUEST', `发票${f.fapiaoId}状态为${f.status}，不能冲红`);
      if ((x.fapiao_code !== undefined && x.fapiao_code !== f.blue.fapiao_code) || x.fapiao_number !== f.blue.fapiao_number) return wechatError(400, 'INVALID_REQUEST', '发票代码或发票号码与原发票不一致');
      targets.push(f);
    }
    for (const f of targets) {
      f.status = 'REVERSE_ACCEPTED';
      f.reverseReason = body.reverse_reason;
      if (f.card && f.card.card_status !== 'DISCARDED') f.card.card_status = 'DISCARD_ACCEPTED';
    }
    if (targets.length) this.later(() => this.settle(applyId));
    return { status: 202 };
  }

  // ---- time ---------------------------------------------------------------------------------------

  private later(task: () => void): void {
    if (this.settleAfterMs === null) return;
    const timer = setTimeout(() => {
      this.timers.delete(timer);
      task();
    }, this.settleAfterMs / this.hooks.timeScale);
    this.timers.add(timer);
  }

  private numbers(): SandboxFapiaoNumbers {
    return {
      fapiao_code: `0440${digits(8)}`,
      fapiao_number: digits(8),
      check_code: digits(20),
      password: `${randomString(40, '0123456789+-*/<>')}`,
      fapiao_time: wechatTime(this.hooks.clock.now()),
    };
  }

  settle(applyId?: string): void {
    for (const app of this.apps.values()) {
      if (applyId !== undefined && app.applyId !== applyId) continue;
      const issued: SandboxFapiao[] = [];
      const reversed: SandboxFapiao[] = [];
      for (const f of app.fapiao) {
        if (f.status === 'ISSUE_ACCEPTED') {
          f.status = 'ISSUED';
          f.blue = this.numbers();
          issued.push(f);
        } else if (f.status === 'REVERSE_ACCEPTED') {
          f.status = 'REVERSED';
          f.red = this.numbers();
          if (f.card) f.card.card_status = 'DISCARDED';
          reversed.push(f);
        }
      }
      if (issued.length) this.notify('FAPIAO.ISSUED', '发票开具成功', app, issued);
      if (reversed.length) this.notify('FAPIAO.REVERSED', '发票冲红成功', app, reversed);
      // Into the card package of whoever paid (or filled the title), when the merchant has a card template.
      const insert = issued.filter(() => this.template && app.openid);
      if (insert.length) {
        for (const f of insert) {
          f.card = { card_appid: this.template!.card_appid, card_openid: app.openid!, card_id: this.template!.card_id, card_code: digits(12), card_status: 'INSERTED' };
        }
        this.notify('FAPIAO.CARD_INSERTED', '发票插卡成功', app, insert);
      }
    }
  }

  discardCard(applyId: string, fapiaoId: string): SandboxFapiao {
    const app = this.apps.get(applyId);
    const f = app?.fapiao.find((x) => x.fapiaoId === fapiaoId);
    if (!app || !f?.card) throw new SandboxControlError(`no card for fapiao ${applyId}/${fapiaoId}`);
    f.card.card_status = 'DISCARDED';
    this.notify('FAPIAO.CARD_DISCARDED', '发票卡券作废', app, [f]);
    return f;
  }

  fillTitle(applyId: string, title: SandboxBuyer): SandboxTitleRequest {
    const t = this.titles.get(applyId);
    if (!t) throw new SandboxControlError(`no title URL was asked for application ${applyId}`);
    const problem = this.buyerProblem(title, 'title');
    if (problem) throw new SandboxControlError(String((problem.body as { message?: string }).message));
    const clean: SandboxBuyer = { type: title.type, name: title.name };
    for (const k of ['taxpayer_id', 'address', 'telephone', 'bank_name', 'bank_account', 'phone', 'email'] as const) if (title[k]) clean[k] = title[k];
    t.title = clean;
    t.appliedAt = this.hooks.clock.now();
    this.send('FAPIAO.USER_APPLIED', '用户发票抬头填写完成', { mchid: this.hooks.mchId, fapiao_apply_id: applyId, apply_time: wechatTime(t.appliedAt) }, applyId);
    return t;
  }

  // ---- notifications ------------------------------------------------------------------------------

  private notify(eventType: string, summary: string, app: SandboxApplication, list: SandboxFapiao[]): void {
    this.send(
      eventType,
      summary,
      { mchid: this.hooks.mchId, fapiao_apply_id: app.applyId, fapiao_information: list.map((f) => ({ fapiao_id: f.fapiaoId, fapiao_status: f.status, card_status: f.card?.card_status ?? 'INSERT_ACCEPTED' })) },
      app.applyId,
    );
  }

  private send(eventType: string, summary: string, resource: Obj, applyId: string): void {
    const url = this.devConfig.callback_url;
    if (!url || !this.notificationsOn) return;
    const tamper = this.hooks.takeTamper();
    const n = this.envelope(eventType, summary, JSON.stringify(resource), tamper === 'signature' ? undefined : tamper);
    this.hooks.enqueue({ ...n, eventType, outTradeNo: applyId, url, ...(tamper ? { tampered: tamper } : {}) });
  }

  private envelope(eventType: string, summary: string, plaintext: string, tamper?: 'ciphertext' | 'aad') {
    let resource = encryptResource(this.hooks.apiV3Key, plaintext, 'fapiao');
    if (tamper === 'ciphertext') resource = tamperCiphertext(resource, plaintext);
    if (tamper === 'aad') resource = { ...resource, associated_data: 'fapiaox' };
    const id = crypto.randomUUID();
    // No original_type: the event_type says what the resource is.
    const body = JSON.stringify({
      id,
      create_time: wechatTime(this.hooks.clock.now()),
      resource_type: 'encrypt-resource',
      event_type: eventType,
      summary,
      resource: { algorithm: resource.algorithm, ciphertext: resource.ciphertext, associated_data: resource.associated_data, nonce: resource.nonce },
    });
    return { id, body, plaintext };
  }

  /** A signed-ready notification of the application's current state, for receiver tests. */
  notification(applyId: string, eventType: string, tamper?: 'ciphertext' | 'aad'): { id: string; body: string; plaintext: string } {
    const app = this.apps.get(applyId);
    const t = this.titles.get(applyId);
    if (eventType === 'FAPIAO.USER_APPLIED') {
      if (!t?.appliedAt) throw new SandboxControlError(`no title filled for ${applyId}`);
      return this.envelope(eventType, '用户发票抬头填写完成', JSON.stringify({ mchid: this.hooks.mchId, fapiao_apply_id: applyId, apply_time: wechatTime(t.appliedAt) }), tamper);
    }
    if (!app) throw new SandboxControlError(`no application ${applyId}`);
    const resource = { mchid: this.hooks.mchId, fapiao_apply_id: applyId, fapiao_information: app.fapiao.map((f) => ({ fapiao_id: f.fapiaoId, fapiao_status: f.status, card_status: f.card?.card_status ?? 'INSERT_ACCEPTED' })) };
    return this.envelope(eventType, eventType, JSON.stringify(resource), tamper);
  }

  // ---- the file -----------------------------------------------------------------------------------

  /** GET /invoicing/fapiao/fapiao-file?token=…: unsigned, the PDF while the link lives. */
  async download(url: URL): Promise<ControlAnswer> {
    const token = url.searchParams.get('token') ?? '';
    const f = this.files.get(token);
    if (!f || f.expiresAt < this.hooks.clock.now()) {
      return { status: 404, contentType: 'application/json; charset=utf-8', body: JSON.stringify({ code: 'RESOURCE_NOT_EXISTS', message: '下载链接无效或已过期' }) };
    }
    return { status: 200, contentType: 'application/pdf', body: await this.pdf(f.applyId, f.fapiaoId) };
  }

  async pdf(applyId: string, fapiaoId: string): Promise<Buffer> {
    const app = this.apps.get(applyId);
    const f = app?.fapiao.find((x) => x.fapiaoId === fapiaoId);
    if (!app || !f?.blue) throw new SandboxControlError(`fapiao ${applyId}/${fapiaoId} is not issued`);
    const font = findCjkFont();
    const doc = new PDFDocument({ size: 'A5', layout: 'landscape', margin: 36, info: { Title: `电子发票 ${f.blue.fapiao_number}`, Author: 'WeChat Pay sandbox' } });
    const chunks: Buffer[] = [];
    const done = new Promise<Buffer>((resolve, reject) => {
      doc.on('data', (c: Buffer) => chunks.push(c));
      doc.on('end', () => resolve(Buffer.concat(chunks)));
      doc.on('error', reject);
    });
    const yuan = (fen: number) => (fen / 100).toFixed(2);
    if (font) {
      doc.registerFont('cjk', font.path, font.face);
      doc.font('cjk');
      doc.fontSize(16).text('电子发票（普通发票）（沙箱）', { align: 'center' });
      doc.moveDown(0.5).fontSize(9);
      doc.text(`发票代码：${f.blue.fapiao_code}    发票号码：${f.blue.fapiao_number}    开票日期：${f.blue.fapiao_time.slice(0, 10)}`);
      doc.text(`校验码：${f.blue.check_code}`);
      doc.moveDown(0.5).text(`购买方：${app.buyer.name}${app.buyer.taxpayer_id ? `    纳税人识别号：${app.buyer.taxpayer_id}` : ''}`);
      doc.text(`销售方：${this.seller.name}    纳税人识别号：${this.seller.taxpayer_id}`);
      doc.moveDown(0.5);
      for (const it of f.items) doc.text(`*${it.goods_category ?? ''}*${it.goods_name}   ${it.specification ?? ''}   金额 ${yuan(it.amount)}   税率 ${it.tax_rate / 100}%   税额 ${yuan(it.tax_amount)}`);
      doc.moveDown(0.5).text(`价税合计（小写）：¥${yuan(f.totalFen)}    合计金额 ¥${yuan(f.amountFen)}    合计税额 ¥${yuan(f.taxFen)}`);
      if (f.remark) doc.text(`备注：${f.remark}`);
      if (f.status === 'REVERSED') doc.moveDown(0.5).fillColor('#c0392b').text('本发票已冲红');
    } else {
      doc.fontSize(14).text('E-FAPIAO (SANDBOX)', { align: 'center' });
      doc.fontSize(10).text(`code ${f.blue.fapiao_code}  number ${f.blue.fapiao_number}  total CNY ${yuan(f.totalFen)}  tax ${yuan(f.taxFen)}`);
    }
    doc.end();
    return done;
  }

  // ---- control ------------------------------------------------------------------------------------

  /** /__sandbox/fapiao/…: the title page (HTML forms) and JSON control routes. */
  control(method: string, url: URL, rawBody: string): ControlAnswer {
    const json = (status: number, body: unknown): ControlAnswer => ({ status, contentType: 'application/json; charset=utf-8', body: JSON.stringify(body) });
    const html = (status: number, body: string): ControlAnswer => ({ status, contentType: 'text/html; charset=utf-8', body });
    const p = url.pathname.slice('/__sandbox/fapiao'.length);
    if (p === '/title' && method === 'GET') return this.titleGet(url.searchParams, html);
    if (p === '/title' && method === 'POST') return this.titlePost(new URLSearchParams(rawBody), url.searchParams, html);
    let body: Obj = {};
    if (rawBody.trim()) {
      try {
        const parsed = JSON.parse(rawBody) as unknown;
        if (!isObj(parsed)) return json(400, { error: 'body must be a JSON object' });
        body = parsed;
      } catch {
        return json(400, { error: 'body is not JSON' });
      }
    }
    try {
      if (method === 'GET' && p === '/state') {
        return json(200, { developmentConfig: this.devConfig, cardTemplate: this.cardTemplate() ?? null, applications: this.applications(), titleRequests: this.titleRequests().map(({ token: _t, ...rest }) => rest) });
      }
      const m = /^\/applications\/([^/]+)\/(title|settle)$/.exec(p);
      if (method === 'POST' && m) {
        const applyId = decodeURIComponent(m[1]!);
        if (m[2] === 'title') return json(200, this.fillTitle(applyId, body as unknown as SandboxBuyer));
        this.settle(applyId);
        return json(200, this.apps.get(applyId) ?? null);
      }
      const d = /^\/applications\/([^/]+)\/fapiao\/([^/]+)\/discard-card$/.exec(p);
      if (method === 'POST' && d) return json(200, this.discardCard(decodeURIComponent(d[1]!), decodeURIComponent(d[2]!)));
      if (method === 'POST' && p === '/notifications') {
        this.setNotifications(body.on !== false);
        return json(200, { on: this.notificationsOn });
      }
    } catch (e) {
      if (e instanceof SandboxControlError) return json(409, { error: e.message });
      throw e;
    }
    return json(404, { error: `no control route ${method} ${url.pathname}` });
  }

  private byToken(token: string | null): SandboxTitleRequest | undefined {
    if (!token) return undefined;
    return [...this.titles.values()].find((t) => t.token === token && t.expiresAt >= this.hooks.clock.now());
  }

  private titleGet(q: URLSearchParams, html: (s: number, b: string) => ControlAnswer): ControlAnswer {
    const t = this.byToken(q.get('token'));
    if (!t) return html(404, titleLayout('链接已失效', '<h1 id="outcome" data-outcome="expired">抬头填写链接已失效，请返回商户重新获取</h1>'));
    const back = safeReturnUrl(q.get('return_url') ?? undefined);
    const hidden = `<input type="hidden" name="token" value="${escapeHtml(t.token)}">${back ? `<input type="hidden" name="return_url" value="${escapeHtml(back)}">` : ''}`;
    const filled = t.title;
    const form = `<form method="post" action="${escapeHtml(this.titlePageUrl)}">${hidden}
<p><label><input type="radio" name="type" value="INDIVIDUAL"${filled?.type !== 'ORGANIZATION' ? ' checked' : ''}> 个人</label>
<label><input type="radio" name="type" value="ORGANIZATION"${filled?.type === 'ORGANIZATION' ? ' checked' : ''}> 单位</label></p>
<p><label>抬头名称<br><input id="name" name="name" value="${escapeHtml(filled?.name ?? '')}" required></label></p>
<p><label>纳税人识别号（单位必填）<br><input id="taxpayer_id" name="taxpayer_id" value="${escapeHtml(filled?.taxpayer_id ?? '')}"></label></p>
${t.showEmail ? `<p><label>邮箱<br><input id="email" name="email" value="${escapeHtml(filled?.email ?? '')}"></label></p>` : ''}
${t.showPhone ? `<p><label>手机号<br><input id="phone" name="phone" value="${escapeHtml(filled?.phone ?? '')}"></label></p>` : ''}
<button class="primary" id="submit" type="submit">提交</button></form>`;
    const seller = t.sellerName ? `<p class="note">开票方：${escapeHtml(t.sellerName)}</p>` : '';
    return html(200, titleLayout('填写发票抬头', `<h1>填写发票抬头</h1>${seller}<p>开票金额：¥${(t.totalFen / 100).toFixed(2)}</p>${form}${back ? `<p><a id="return" href="${escapeHtml(back)}">返回商户</a></p>` : ''}`));
  }

  private titlePost(form: URLSearchParams, q: URLSearchParams, html: (s: number, b: string) => ControlAnswer): ControlAnswer {
    const t = this.byToken(form.get('token') ?? q.get('token'));
    const back = safeReturnUrl(form.get('return_url') ?? undefined);
    const backLink = back ? `<p><a id="return" href="${escapeHtml(back)}">返回商户</a></p>` : '';
    if (!t) return html(404, titleLayout('链接已失效', `<h1 id="outcome" data-outcome="expired">抬头填写链接已失效，请返回商户重新获取</h1>${backLink}`));
    const title: SandboxBuyer = { type: form.get('type') === 'ORGANIZATION' ? 'ORGANIZATION' : 'INDIVIDUAL', name: (form.get('name') ?? '').trim() };
    const taxId = (form.get('taxpayer_id') ?? '').trim().toUpperCase();
    if (taxId) title.taxpayer_id = taxId;
    for (const k of ['email', 'phone'] as const) {
      const v = (form.get(k) ?? '').trim();
      if (v) title[k] = v;
    }
    try {
      this.fillTitle(t.applyId, title);
    } catch (e) {
      return html(400, titleLayout('提交失败', `<h1 id="outcome" data-outcome="refused">${escapeHtml((e as Error).message)}</h1>${backLink}`));
    }
    return html(200, titleLayout('提交成功', `<h1 id="outcome" data-outcome="applied">抬头已提交</h1><p>${escapeHtml(title.name)}</p>${backLink}`));
  }
}

/**
 * An application asked again: the same fapiao again answers 202; a new fapiao only when every earlier one was
 * reversed, in the same scene. Undefined: go on and issue.
 */
function repeatAnswer(app: SandboxApplication, made: SandboxFapiao[], scene: string): Answer | undefined {
  const known = made.filter((f) => app.fapiao.some((e) => e.fapiaoId === f.fapiaoId));
  if (known.length === made.length) {
    const same = made.every((f) => app.fapiao.find((e) => e.fapiaoId === f.fapiaoId)!.fingerprint === f.fingerprint);
    return same ? { status: 202 } : wechatError(400, 'INVALID_REQUEST', '商户发票单号已存在，且与本次请求的发票信息不一致');
  }
  if (known.length) return wechatError(400, 'INVALID_REQUEST', '商户发票单号已存在');
  if (app.fapiao.some((f) => f.status !== 'REVERSED')) return wechatError(400, 'INVALID_REQUEST', '该申请单已有未冲红的发票');
  if (app.scene !== scene) return wechatError(400, 'INVALID_REQUEST', '开票场景与原申请单不一致');
  return undefined;
}

/** One fapiao of an issue request (at `at` in the body), checked like WeChat Pay: the fapiao, or the error answer. */
function readFapiao(
  f: unknown,
  at: string,
  o: { applyId: string; scene: string; buyer: SandboxBuyer; now: number },
): { fapiao: SandboxFapiao } | { answer: Answer } {
  const fail = (answer: Answer) => ({ answer });
  if (!isObj(f)) return fail(paramError(at, '应为对象'));
  if (typeof f.fapiao_id !== 'string' || !FAPIAO_ID.test(f.fapiao_id)) return fail(paramError(`${at}.fapiao_id`, '必填，1-20位数字、字母、_-'));
  if (!isPositiveInt(f.total_amount)) return fail(paramError(`${at}.total_amount`, '应为正整数(分)'));
  if (typeof f.need_list !== 'boolean') return fail(paramError(`${at}.need_list`, '必填'));
  if (f.remark !== undefined && !str(f.remark, 0, 200)) return fail(paramError(`${at}.remark`, '不超过200个字符'));
  if (!Array.isArray(f.items) || f.items.length < 1 || f.items.length > 100) return fail(paramError(`${at}.items`, '应为1-100行'));
  const items: SandboxFapiaoItem[] = [];
  let sum = 0;
  for (const [j, it] of f.items.entries()) {
    const item = readItem(it, `${at}.items[${j}]`);
    if ('answer' in item) return item;
    items.push(item.item);
    sum += item.item.total_amount;
  }
  if (sum !== f.total_amount) return fail(wechatError(400, 'INVALID_REQUEST', `${at}: 发票行金额合计(${sum})与总价税合计(${f.total_amount})不一致`));
  const amountFen = items.reduce((s, it) => s + it.amount, 0);
  return {
    fapiao: {
      applyId: o.applyId,
      fapiaoId: f.fapiao_id,
      status: 'ISSUE_ACCEPTED',
      totalFen: f.total_amount,
      amountFen,
      taxFen: f.total_amount - amountFen,
      items,
      needList: f.need_list,
      ...(typeof f.remark === 'string' ? { remark: f.remark } : {}),
      fingerprint: JSON.stringify([o.scene, o.buyer, f]),
      createdAt: o.now,
    },
  };
}

/** One line of a fapiao (at `ia` in the body): a known tax code, the amount before tax worked out from the rate. */
function readItem(it: unknown, ia: string): { item: SandboxFapiaoItem } | { answer: Answer } {
  const fail = (answer: Answer) => ({ answer });
  if (!isObj(it)) return fail(paramError(ia, '应为对象'));
  if (typeof it.tax_code !== 'string' || !/^\d{19}$/.test(it.tax_code)) return fail(paramError(`${ia}.tax_code`, '应为19位数字'));
  const known = SANDBOX_TAX_CODES.find((c) => c.tax_code === it.tax_code);
  if (!known) return fail(wechatError(400, 'INVALID_REQUEST', `税收分类编码不存在: ${it.tax_code}`));
  if (!isPositiveInt(it.quantity)) return fail(paramError(`${ia}.quantity`, '应为正整数(10^-8)'));
  if (!isPositiveInt(it.total_amount)) return fail(paramError(`${ia}.total_amount`, '应为正整数(分)'));
  if (typeof it.discount !== 'boolean') return fail(paramError(`${ia}.discount`, '必填'));
  const rate = it.tax_rate === undefined ? 600 : it.tax_rate;
  if (typeof rate !== 'number' || !RATES.has(rate)) return fail(paramError(`${ia}.tax_rate`, '不是有效的税率'));
  if (it.goods_name !== undefined && !str(it.goods_name, 1, 60)) return fail(paramError(`${ia}.goods_name`, '不超过60个字符'));
  const amount = Math.round((it.total_amount * 10_000) / (10_000 + rate));
  return {
    item: {
      tax_code: it.tax_code,
      goods_name: typeof it.goods_name === 'string' ? it.goods_name : known.goods_name,
      goods_category: typeof it.goods_category === 'string' ? it.goods_category : known.goods_category,
      ...(typeof it.specification === 'string' ? { specification: it.specification } : {}),
      ...(typeof it.unit === 'string' ? { unit: it.unit } : {}),
      quantity: it.quantity,
      unit_price: Math.round((amount * 1e6 * 1e8) / it.quantity),
      amount,
      tax_amount: it.total_amount - amount,
      total_amount: it.total_amount,
      tax_rate: rate,
      tax_prefer_mark: typeof it.tax_prefer_mark === 'string' ? it.tax_prefer_mark : 'NO_FAVORABLE',
      discount: it.discount,
    },
  };
}


function titleLayout(title: string, body: string): string {
  return `<!doctype html>
<html lang="zh-CN"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width,initial-scale=1">
<title>${escapeHtml(title)}</title>
<style>body{font-family:system-ui,sans-serif;max-width:28rem;margin:2rem auto;padding:0 1rem;color:#222}
h1{font-size:1.25rem}.note{color:#666;font-size:.875rem}input:not([type=radio]){width:100%;font-size:1rem;padding:.4rem}
button{font-size:1rem;padding:.6rem 1.2rem;border-radius:.4rem;border:1px solid #07c160}button.primary{background:#07c160;color:#fff}a{color:#576b95}</style></head>
<body><p class="note">微信发票助手（沙箱）</p>${body}</body></html>`;
}
