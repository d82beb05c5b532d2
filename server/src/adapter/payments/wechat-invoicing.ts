/**
 * The Invoicing port (core/invoicing/provider.ts) over WeChat Pay's e-invoicing (adapter/wechatpay/fapiao.ts),
 * for the payments of the wechatPay merchant:
 *
 * - one payment with a typed title: scene WITH_WECHATPAY, the application id is the payment's transaction_id
 *   (WeChat checks the fapiao against that payment, net of refunds);
 * - otherwise (several payments, or the title chosen on WeChat's title page): scene WITHOUT_WECHATPAY with our
 *   invoice number as the application id, after the driver filled the title on WeChat's title page
 *   (WeChat's rule: that scene is issued only once the title was filled there).
 *
 * A business refusal of WeChat (a bad tax number, an amount over the payment) is InvoicingRefused; anything
 * transient (timeouts, 5xx, FREQUENCY_LIMITED) is thrown as it is and asked again later.
 */
import type { DriverRepository } from '../../core/identity/model';
import type { FapiaoNumbersRecord, InvoiceTitle, PaidItem } from '../../core/invoicing/model';
import { type Application, type Invoicing, type InvoicingEvent, InvoicingRefused, type IssueRequest, type ProviderFapiao, type TitlePage } from '../../core/invoicing/provider';
import type { Clock } from '../../core/clock';
import { isWechatPayError, type FapiaoBuyer, type FapiaoNotification, type IncomingNotification, type WechatFapiaoAdapter } from '../wechatpay';

export interface WechatInvoicingOptions {
  fapiao: WechatFapiaoAdapter;
  /** The mini-program drivers use (its appid and their openids under it). */
  appId: string;
  drivers: Pick<DriverRepository, 'findById'>;
  clock: Clock;
  sellerName?: string;
  /** Lane deductions are this merchant's (false in service-provider mode: a sub-merchant took them). */
  deductionsOfThisMerchant: boolean;
}

const TITLE_LINK_MS = 30 * 60_000;
const STATES: Record<string, ProviderFapiao['state']> = { ISSUE_ACCEPTED: 'accepted', ISSUED: 'issued', REVERSE_ACCEPTED: 'reversing', REVERSED: 'reversed' };

export function stateOf(status: string): ProviderFapiao['state'] {
  return STATES[status] ?? 'unknown';
}

function refusedOrThrow(e: unknown): never {
  if (isWechatPayError(e) && (e.kind === 'business' || e.kind === 'invalid_request') && !e.retryable) {
    throw new InvoicingRefused(e.wechatMessage ?? e.detail, e.code);
  }
  throw e;
}

export function titleOf(b: FapiaoBuyer): InvoiceTitle {
  return {
    type: b.type === 'ORGANIZATION' ? 'company' : 'personal',
    name: b.name,
    ...(b.taxpayerId ? { taxNumber: b.taxpayerId } : {}),
    ...(b.email ? { email: b.email } : {}),
    ...(b.phone ? { phone: b.phone } : {}),
  };
}

function buyerOf(t: InvoiceTitle): FapiaoBuyer {
  return {
    type: t.type === 'company' ? 'ORGANIZATION' : 'INDIVIDUAL',
    name: t.name,
    ...(t.taxNumber ? { taxpayerId: t.taxNumber } : {}),
    ...(t.email ? { email: t.email } : {}),
    ...(t.phone ? { phone: t.phone } : {}),
  };
}

export class WechatInvoicing implements Invoicing {
  readonly name = 'wechat';
  readonly titlePages = true;

  constructor(private readonly o: WechatInvoicingOptions) {}

  accepts(item: PaidItem): boolean {
    return item.provider === 'wechat' && (item.kind !== 'deduction' || this.o.deductionsOfThisMerchant);
  }

  application(invoiceId: string, items: PaidItem[], titleSource: 'typed' | 'provider'): Application {
    if (titleSource === 'typed') {
      if (items.length !== 1) throw new InvoicingRefused('several payments on one fapiao take their title from WeChat’s title page', 'title_page_required');
      return { applyId: items[0]!.transactionId, scene: 'WITH_WECHATPAY', titleByProvider: false };
    }
    return { applyId: invoiceId, scene: 'WITHOUT_WECHATPAY', titleByProvider: true };
  }

  async titlePage(app: Application, driverId: string, totalFen: number): Promise<TitlePage> {
    const driver = await this.o.drivers.findById(driverId);
    if (!driver?.wechatOpenId) throw new InvoicingRefused('WeChat’s title page is for drivers logged in with WeChat', 'no_openid');
    const now = this.o.clock.now();
    try {
      const link = await this.o.fapiao.titleUrl({
        applyId: app.applyId,
        appid: this.o.appId,
        openid: driver.wechatOpenId,
        totalFen,
        source: 'MINIPROGRAM',
        showEmail: true,
        ...(this.o.sellerName ? { sellerName: this.o.sellerName } : {}),
      });
      return { url: link.url, miniprogram: link.miniprogram, expiresAt: new Date(now + TITLE_LINK_MS) };
    } catch (e) {
      refusedOrThrow(e);
    }
  }

  async filledTitle(app: Application): Promise<InvoiceTitle | undefined> {
    const b = await this.o.fapiao.userTitle(app.scene === 'WITH_WECHATPAY' ? 'WITH_WECHATPAY' : 'WITHOUT_WECHATPAY', app.applyId);
    return b ? titleOf(b) : undefined;
  }

  async issue(req: IssueRequest): Promise<void> {
    try {
      await this.o.fapiao.issue({
        scene: req.scene === 'WITH_WECHATPAY' ? 'WITH_WECHATPAY' : 'WITHOUT_WECHATPAY',
        applyId: req.applyId,
        buyer: buyerOf(req.title),
        fapiao: [
          {
            fapiaoId: req.fapiaoId,
            totalFen: req.totalFen,
            ...(req.remark ? { remark: req.remark } : {}),
            items: req.lines.map((l) => ({ taxCode: l.taxCode, goodsName: l.goodsName, quantity: 1, totalFen: l.fen, taxRate: l.taxRate, ...(l.unit ? { unit: l.unit } : {}) })),
          },
        ],
      });
    } catch (e) {
      refusedOrThrow(e);
    }
  }

  async status(app: Application, fapiaoId: string): Promise<ProviderFapiao | undefined> {
    let list;
    try {
      list = await this.o.fapiao.query(app.applyId, fapiaoId);
    } catch (e) {
      if (isWechatPayError(e) && e.kind === 'business' && e.httpStatus === 404) return undefined;
      throw e;
    }
    const f = list.find((x) => x.fapiaoId === fapiaoId);
    if (!f) return undefined;
    const num = (n: typeof f.blue): FapiaoNumbersRecord | undefined => (n ? { code: n.code, number: n.number, checkCode: n.checkCode, time: n.time } : undefined);
    const blue = num(f.blue);
    const red = num(f.red);
    return { fapiaoId, state: stateOf(f.status), taxFen: f.taxFen, ...(blue ? { blue } : {}), ...(red ? { red } : {}), ...(f.card ? { cardStatus: f.card.status } : {}) };
  }

  file(app: Application, fapiaoId: string): Promise<Buffer> {
    return this.o.fapiao.file(app.applyId, fapiaoId);
  }

  async reverse(app: Application, fapiaoId: string, blue: FapiaoNumbersRecord, reason: string): Promise<void> {
    try {
      await this.o.fapiao.reverse({ applyId: app.applyId, reason, fapiao: [{ fapiaoId, ...(blue.code ? { code: blue.code } : {}), number: blue.number }] });
    } catch (e) {
      refusedOrThrow(e);
    }
  }

  /** A FAPIAO.* notification, verified, as the service takes it. */
  async verifyNotification(input: IncomingNotification): Promise<InvoicingEvent> {
    const n: FapiaoNotification = await this.o.fapiao.verifyNotification(input);
    if (n.kind === 'user_applied') return { kind: 'title_filled', applyId: n.applyId };
    return {
      kind: 'fapiao_changed',
      applyId: n.applyId,
      fapiao: n.fapiao.map((f) => ({ fapiaoId: f.fapiaoId, state: stateOf(f.status), ...(f.cardStatus ? { cardStatus: f.cardStatus } : {}) })),
    };
  }
}
