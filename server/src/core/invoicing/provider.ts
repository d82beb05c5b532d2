/**
 * The Invoicing port: what an e-invoicing provider does for ParkPay. WeChat Pay's e-invoicing
 * (adapter/payments/wechat-invoicing.ts) is the first; a provider that invoices Alipay payments, and lots
 * without WeChat e-invoicing, implements the same interface (see the README: a tax-control service provider
 * issuing 数电发票 under the lot operator's own tax identity, for any payment channel).
 *
 * A provider says which paid things it can invoice (its merchant's payments), how an application is made
 * (an id and a scene of its own), optionally runs a title page of its own (WeChat's title mini-program), and
 * issues, reports, serves the file of and reverses fapiao. Results come by notification (onEvent) and by
 * asking (status): the service trusts the provider's answer, not the notification alone.
 */
import type { FapiaoLine, FapiaoNumbersRecord, InvoiceTitle, PaidItem } from './model';

export type PaymentProvider = 'wechat' | 'alipay';

export interface Application {
  applyId: string;
  scene: string;
  /** True when the title must come from the provider's own title page. */
  titleByProvider: boolean;
}

export interface TitlePage {
  url: string;
  miniprogram: { appId: string; path: string; userName?: string };
  expiresAt: Date;
}

export interface ProviderFapiao {
  fapiaoId: string;
  /** 'accepted': being issued; 'issued'; 'reversing': reversal asked; 'reversed'; 'unknown': another word of the provider's. */
  state: 'accepted' | 'issued' | 'reversing' | 'reversed' | 'unknown';
  blue?: FapiaoNumbersRecord;
  red?: FapiaoNumbersRecord;
  taxFen?: number;
  cardStatus?: string;
}

export interface IssueRequest {
  applyId: string;
  scene: string;
  title: InvoiceTitle;
  fapiaoId: string;
  totalFen: number;
  lines: FapiaoLine[];
  remark?: string;
}

/**
 * A provider's refusal we must not repeat as it is (a bad title, an amount over the payment): the invoice
 * fails with `message` until someone acts. Anything else thrown is taken as transient (asked again later).
 */
export class InvoicingRefused extends Error {
  constructor(
    message: string,
    readonly code?: string,
  ) {
    super(message);
    this.name = 'InvoicingRefused';
  }
}

export interface Invoicing {
  /** 'wechat' (WeChat Pay e-invoicing). */
  readonly name: string;
  /** Whether it can invoice this paid thing (a payment of its merchant). */
  accepts(item: PaidItem): boolean;
  /** The application for these items (all accepted), titled by the driver (typed) or through the provider's page. */
  application(invoiceId: string, items: PaidItem[], titleSource: 'typed' | 'provider'): Application;
  /** Whether the provider runs a title page (WeChat's); without one, titles are typed in the app. */
  readonly titlePages: boolean;
  /** A fresh link to the provider's title page for an application (the driver's identity there: driverId → openid). */
  titlePage(app: Application, driverId: string, totalFen: number): Promise<TitlePage>;
  /** The title the driver filled on the provider's page; undefined while not filled. */
  filledTitle(app: Application): Promise<InvoiceTitle | undefined>;
  /** Ask for a fapiao; returns once accepted (a repeat of the same request is no second fapiao). */
  issue(req: IssueRequest): Promise<void>;
  /** The application's fapiao as the provider has them; undefined when it has no such application. */
  status(app: Application, fapiaoId: string): Promise<ProviderFapiao | undefined>;
  /** The PDF of an issued fapiao. */
  file(app: Application, fapiaoId: string): Promise<Buffer>;
  /** Ask for the reversal (红冲) of an issued fapiao; returns once accepted. */
  reverse(app: Application, fapiaoId: string, blue: FapiaoNumbersRecord, reason: string): Promise<void>;
}

/** What a provider's notification says, as the service takes it. */
export type InvoicingEvent =
  | { kind: 'title_filled'; applyId: string }
  | { kind: 'fapiao_changed'; applyId: string; fapiao: { fapiaoId: string; state: ProviderFapiao['state']; cardStatus?: string }[] };
