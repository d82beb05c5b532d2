/**
 * Withholding agreements (无感支付): what the agreement service needs of a provider, as one small
 * interface. adapter/payments implements it for WeChat Pay's vehicle parking service (v3 车主服务:
 * service state by plate, parking entry, deduction) and for Alipay's agreement signing and agreement payment
 * (alipay.user.agreement.page.sign / query / unsign, alipay.trade.pay with agreement_params).
 */
import type { Payer } from '../orders/gateways';
import type { Provider } from '../orders/model';

/** ParkPay's view of an agreement, whatever the provider calls it. */
export type AgreementState = 'signing' | 'active' | 'paused' | 'ended';

/** What the app opens to sign up. */
export type SignupStart =
  /** WeChat: navigate to WeChat's parking-service mini-program with these extraData (H5 demo: the sandbox's page `h5Url`). */
  | { provider: 'wechat'; navigate: { appId: string; path: string; extraData: Record<string, string> }; h5Url?: string }
  /** Alipay: the page-sign URL (opened with my.ap.navigateToAlipayPage / a web view; H5 demo: the sandbox page). */
  | { provider: 'alipay'; signUrl: string };

/** The provider's answer about one plate's agreement. */
export interface ProviderAgreement {
  state: AgreementState | 'none';
  /** Alipay agreement_no; WeChat has none (the service is per openid + plate). */
  agreementNo?: string;
  signedAt?: Date;
  endedAt?: Date;
  /** Why it is paused or ended, when the provider says. */
  reason?: string;
}

export type DeductResult =
  /** The money is taken. */
  | { status: 'paid'; transactionId: string; paidFen: number; paidAt: Date }
  /**
   * Accepted by the provider, money not yet taken: WeChat's parking service answers ACCEPTED and debits
   * later (it advances the money to the merchant for a signed user). `transactionId` when known.
   */
  | { status: 'accepted'; transactionId?: string }
  | { status: 'failed'; code: 'no_agreement' | 'insufficient_funds' | 'refused'; reason: string };

/** What a refund of a deduction came to. */
export type WithholdingRefundResult =
  /** The money is back with the driver. */
  | { status: 'refunded'; refundedAt: Date; refundId?: string }
  /** Accepted, not done yet (WeChat PROCESSING): ask again with the same refundNo. */
  | { status: 'pending'; refundId?: string }
  /** The provider will not give it back this way (WeChat CLOSED / ABNORMAL, Alipay refusals): a person must. */
  | { status: 'failed'; reason: string };

export interface AgreementRef {
  /** Our sign-up number (external_agreement_no for Alipay; the plate service key for WeChat). */
  signNo: string;
  plate: string;
  payer: Payer;
  agreementNo?: string;
}

export interface WithholdingGateway {
  readonly provider: Provider;
  /** Begin sign-up for a plate. `notifyUrl`: where the provider tells us the agreement changed. */
  startSignup(o: AgreementRef & { returnUrl?: string }): Promise<SignupStart>;
  /** Ask the provider how the agreement stands now. */
  check(o: AgreementRef): Promise<ProviderAgreement>;
  /** End it (Alipay unsign). WeChat cannot end a user's service from the merchant side: throws AppError 'end_with_provider'. */
  end(o: AgreementRef): Promise<void>;
  /**
   * Deduct for a stay; idempotent per outTradeNo (the same outTradeNo and amount never deducts twice: the
   * provider's own duplicate-order rule, and a query first when a retry is suspected).
   */
  deduct(o: {
    outTradeNo: string;
    agreement: AgreementRef;
    amountFen: number;
    parkNumber: string;
    parkName: string;
    enteredAt: Date;
    leftAt: Date;
    description: string;
  }): Promise<DeductResult>;
  /** The state of a deduction made before (WeChat: ACCEPTED → SUCCESS / PAY_FAIL). */
  queryDeduction(outTradeNo: string): Promise<DeductResult | { status: 'unknown' }>;
  /**
   * Give a paid deduction's money back (WeChat 申请退款 /v3/refund/domestic/refunds, Alipay
   * alipay.trade.refund). Idempotent per refundNo (WeChat out_refund_no, Alipay out_request_no): asking again
   * with the same number never refunds twice and answers how that refund stands — that is how a caller
   * follows a pending refund and retries after a lost answer. `reason` is shown to the driver.
   */
  refund(o: { outTradeNo: string; refundNo: string; refundFen: number; totalFen: number; reason: string }): Promise<WithholdingRefundResult>;
}

/** What a verified provider notification about agreements or deductions says. */
export type WithholdingEvent =
  | { kind: 'agreement'; provider: Provider; signNo?: string; plate?: string; payer?: Payer; agreementNo?: string; state: AgreementState }
  | { kind: 'deduction'; provider: Provider; outTradeNo: string; result: DeductResult };
