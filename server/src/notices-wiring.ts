/**
 * Wiring of what a driver gets after paying (kept out of server.ts): e-invoices (core/invoicing, the WeChat
 * Pay provider) and messages (core/messages, WeChat and Alipay subscribe messages), their background work
 * (one PendingWorker), their driver and operator routes, the FAPIAO.* notification route, and the events the
 * rest of ParkPay tells them (paid, refunded, entered, deducted).
 *
 * At start, WeChat e-invoicing's development configuration (callback URL, show_fapiao_cell) and its card
 * template are set at WeChat Pay; a failure is logged and tried again in the background (issuing needs them).
 */
import type Router from '@koa/router';
import type { Connection } from 'mongoose';
import { AlipayMessages, type AlipayAdapterConfig } from './adapter/alipay';
import { WechatInvoicing } from './adapter/payments/wechat-invoicing';
import { WechatMessages } from './adapter/wechat-login/messages';
import { WechatFapiaoAdapter, type WechatPayAdapter } from './adapter/wechatpay';
import type { Config } from './config';
import { DEFAULT_LINE_ITEM, type InvoicingConfig, type MessagesConfig } from './config-notices';
import type { Clock } from './core/clock';
import type { DriverRepository } from './core/identity/model';
import type { PaidItemRef } from './core/invoicing/model';
import { PaymentsAsPaidItems } from './core/invoicing/paid-items';
import type { Invoicing } from './core/invoicing/provider';
import { InvoicingService } from './core/invoicing/service';
import type { LaneDeduction } from './core/lanepay/channel-pay-model';
import type { LotRecordsRepository } from './core/lot/model';
import { NoticeEvents } from './core/messages/events';
import type { MessageChannel, MessageKind, TemplateRule } from './core/messages/model';
import { MessagesService } from './core/messages/service';
import type { OrderRepository } from './core/orders/model';
import { PlateProofs } from './core/parking/proofs';
import type { ParkDirectory } from './core/parks';
import type { Logger } from './logger';
import { INVOICE_NOTIFY_PATHS, invoiceNotifyRouter, mountInvoiceRoutes } from './port/api/invoices-routes';
import { mountMessageRoutes } from './port/api/messages-routes';
import { PendingWorker } from './port/jobs/pending-worker';
import { MongoLaneDeductionRepository } from './repository/agreement-deductions';
import { MongoAgreementRepository } from './repository/agreements';
import { MongoInvoiceRepository } from './repository/invoices';
import { MongoMessageStores, driversWithPlate } from './repository/messages';
import { MongoPendingWork } from './repository/pending-work';
import { MongoPlateProofRepository } from './repository/plate-proofs';
import { MongoVisitRepository } from './repository/visits';

export interface NoticesWiringDeps {
  config: Config;
  /** Demo mode: invoicing and messages on the sandboxes when the configuration names none. */
  demo?: { invoicing: InvoicingConfig; messages: MessagesConfig };
  connection: Connection;
  clock: Clock;
  logger: Logger;
  publicUrl: string;
  urlSigningKey: string;
  wechatPay?: WechatPayAdapter;
  wechatPayBaseUrl?: string;
  /** The mini-program drivers use (title pages are opened for its openids). */
  wechatAppId?: string;
  /** The mini-program's credentials (its access token sends WeChat messages). */
  wechatMiniProgram?: { appId: string; appSecret: string; apiBaseUrl?: string };
  alipayConfig?: AlipayAdapterConfig;
  drivers: DriverRepository;
  orderRepo: OrderRepository;
  stays: LotRecordsRepository;
  parks: ParkDirectory;
  /** How often background work is looked for (real ms; default 1 s). */
  pollMs?: number;
  /** When a monthly pass ends now: a pass reminder whose end moved (a renewal) is not sent. */
  passes?: { endsAt(passId: string): Promise<Date | undefined> };
}

export interface NoticesWiring {
  invoicing: InvoicingService;
  messages: MessagesService;
  events: NoticeEvents;
  worker: PendingWorker;
  /** For the order service: a payment is recorded. */
  orderPaid(orderNo: string): void;
  /** For the order service: a refund is done. */
  orderRefunded(orderNo: string): void;
  /** For the lot's records (4.2): a car entered. */
  entered(s: { parkNumber: string; orderId: string; plate: string; inTime: Date | null }): void;
  /** For lane deductions. */
  deductionPaid(d: LaneDeduction): void;
  deductionRefunded(d: LaneDeduction): void;
  /** For monthly passes: a pass was extended at the lot; its reminders are due 7 days and 1 day before it ends. */
  passExtended(p: { passId: string; driverId: string; parkNumber: string; plate: string; endsAt: Date }): void;
  mountApi(router: Router): void;
  notify?: Router;
  start(): Promise<void>;
  stop(): Promise<void>;
}

export async function wireNotices(d: NoticesWiringDeps): Promise<NoticesWiring> {
  const invoicingConfig = d.config.invoicing ?? d.demo?.invoicing;
  const repo = new MongoInvoiceRepository(d.connection);
  const work = new MongoPendingWork(d.connection);
  const deductions = new MongoLaneDeductionRepository(d.connection);
  await Promise.all([repo.init(), work.init(), deductions.init()]);
  const worker = new PendingWorker({ work, clock: d.clock, logger: d.logger, ...(d.pollMs ? { pollMs: d.pollMs } : {}) });
  const kick = () => worker.kick();

  const items = new PaymentsAsPaidItems({ orders: d.orderRepo, deductions, parks: d.parks });
  const providers: Invoicing[] = [];
  let wechatInvoicing: WechatInvoicing | undefined;
  let fapiao: WechatFapiaoAdapter | undefined;
  if (invoicingConfig?.wechat && d.wechatPay && d.wechatPayBaseUrl && d.wechatAppId) {
    fapiao = new WechatFapiaoAdapter({ pay: d.wechatPay, baseUrl: d.wechatPayBaseUrl });
    wechatInvoicing = new WechatInvoicing({
      fapiao,
      appId: d.wechatAppId,
      drivers: d.drivers,
      clock: d.clock,
      ...(invoicingConfig.wechat.sellerName ? { sellerName: invoicingConfig.wechat.sellerName } : {}),
      // In service-provider mode a sub-merchant took the deductions: not this merchant's to invoice.
      deductionsOfThisMerchant: !d.config.wechatParking?.subMchid,
    });
    providers.push(wechatInvoicing);
  }
  const lineItem = (parkNumber: string) => ({ ...DEFAULT_LINE_ITEM, ...invoicingConfig?.lineItem, ...invoicingConfig?.parks[parkNumber] });
  const invoicing = new InvoicingService({
    repo,
    items,
    providers,
    lineItem,
    ...(invoicingConfig?.remark ? { remark: invoicingConfig.remark } : {}),
    work,
    clock: d.clock,
    log: d.logger,
  });
  worker.handle(invoicing);

  // Messages to drivers.
  const messagesConfig = d.config.messages ?? d.demo?.messages;
  const stores = new MongoMessageStores(d.connection);
  const agreements = new MongoAgreementRepository(d.connection);
  const proofRepo = new MongoPlateProofRepository(d.connection);
  const visits = new MongoVisitRepository(d.connection);
  await Promise.all([stores.init(), agreements.init(), proofRepo.init(), visits.init()]);
  const rules = (t: NonNullable<MessagesConfig['wechat']>['templates']): Partial<Record<MessageKind, TemplateRule>> =>
    Object.fromEntries(Object.entries(t).filter(([, v]) => v !== undefined)) as Partial<Record<MessageKind, TemplateRule>>;
  const channels: MessageChannel[] = [];
  if (messagesConfig?.wechat && d.wechatMiniProgram) {
    channels.push(
      new WechatMessages({
        appId: d.wechatMiniProgram.appId,
        appSecret: d.wechatMiniProgram.appSecret,
        apiBaseUrl: d.wechatMiniProgram.apiBaseUrl ?? 'https://api.weixin.qq.com',
        store: stores.tokens,
        clock: d.clock,
        templates: rules(messagesConfig.wechat.templates),
        miniprogramState: messagesConfig.wechat.miniprogramState,
        lang: messagesConfig.wechat.lang,
      }),
    );
  }
  if (messagesConfig?.alipay && d.alipayConfig) channels.push(new AlipayMessages(d.alipayConfig, rules(messagesConfig.alipay.templates), { clock: d.clock }));
  const messages = new MessagesService({
    messages: stores.messages,
    consents: stores.consents,
    prefs: stores.prefs,
    channels,
    drivers: d.drivers,
    stays: d.stays,
    orders: d.orderRepo,
    ...(d.passes ? { passes: d.passes } : {}),
    work,
    clock: d.clock,
    log: d.logger,
    ...(messagesConfig ? { maxAttempts: messagesConfig.maxAttempts } : {}),
  });
  worker.handle(messages);
  const proofs = new PlateProofs({ proofs: proofRepo, orders: d.orderRepo, visits, records: d.stays, clock: d.clock });
  const events = new NoticeEvents({
    messages,
    orders: d.orderRepo,
    parks: d.parks,
    audience: {
      boundBy: (plateKey) => driversWithPlate(d.connection, plateKey),
      isProved: (driverId, parkNumber, plateKey) => proofs.isProved(driverId, parkNumber, plateKey),
      agreementsOf: (plateKey) => agreements.byPlate(plateKey),
    },
    freeExitLeadMinutes: messagesConfig?.freeExitLeadMinutes ?? 3,
    clock: d.clock,
    log: d.logger,
  });
  // Events arrive on hot paths (a payment notification, the lot's 4.2): told in the background, never waited on.
  const tell = (what: string, run: () => Promise<unknown>) =>
    void run()
      .then(kick)
      .catch((err: unknown) => d.logger.error({ err, what }, 'a message was not recorded for an event'));

  const refunded = (ref: PaidItemRef) =>
    void invoicing
      .onRefund(ref)
      .then(kick)
      .catch((err: unknown) => d.logger.error({ err, ref }, 'invoice not told of a refund'));

  // WeChat Pay's side of e-invoicing: where its notifications go, and the card template.
  let setupTimer: NodeJS.Timeout | undefined;
  let stopped = false;
  const setUp = async (attempt: number): Promise<void> => {
    const w = invoicingConfig?.wechat;
    if (!fapiao || !w) return;
    try {
      const callbackUrl = w.callbackUrl ?? `${d.publicUrl}${INVOICE_NOTIFY_PATHS.wechat}`;
      const current = await fapiao.developmentConfig();
      if (current.callbackUrl !== callbackUrl || current.showFapiaoCell !== w.showFapiaoCell) {
        await fapiao.setDevelopmentConfig({ callbackUrl, showFapiaoCell: w.showFapiaoCell });
        d.logger.info({ callbackUrl, showFapiaoCell: w.showFapiaoCell }, 'WeChat Pay e-invoicing: development configuration set');
      }
      if (w.cardTemplate) {
        const t = w.cardTemplate;
        const made = await fapiao.createCardTemplate({
          cardAppid: t.cardAppid,
          logoUrl: t.logoUrl,
          ...(t.payeeName ? { payeeName: t.payeeName } : {}),
          ...(t.miniprogramUserName ? { customCell: { words: '电子发票', description: '查看停车记录', miniprogramUserName: t.miniprogramUserName, ...(t.miniprogramPath ? { miniprogramPath: t.miniprogramPath } : {}) } } : {}),
        });
        d.logger.info({ cardId: made.cardId }, 'WeChat Pay e-invoicing: card template set');
      }
    } catch (err) {
      const wait = Math.min(60 * 60_000, 30_000 * 2 ** Math.min(attempt, 7));
      d.logger.warn({ err: (err as Error).message, retryInMs: wait }, 'WeChat Pay e-invoicing could not be set up; trying again');
      if (!stopped) {
        setupTimer = setTimeout(() => void setUp(attempt + 1), wait);
        setupTimer.unref();
      }
    }
  };

  const links = { publicUrl: d.publicUrl, urlSigningKey: d.urlSigningKey, clock: d.clock };
  return {
    invoicing,
    messages,
    events,
    worker,
    orderPaid: (orderNo) => tell('payment', () => events.orderPaid(orderNo)),
    orderRefunded: (orderNo) => {
      refunded({ kind: 'order', ref: orderNo });
      tell('refund', () => events.orderRefunded(orderNo));
    },
    entered: (s) => tell('entry', () => events.entered(s)),
    deductionPaid: (x) => tell('deduction', () => events.deductionPaid(x)),
    deductionRefunded: (x) => {
      if (x.attempt) refunded({ kind: 'deduction', ref: x.attempt.tradeNo });
      tell('refund', () => events.deductionRefunded(x));
    },
    passExtended: (p) => tell('pass', () => events.passExpiring(p)),
    mountApi: (router) => {
      mountInvoiceRoutes(router, invoicing, links, kick);
      mountMessageRoutes(router, messages);
    },
    ...(wechatInvoicing
      ? { notify: invoiceNotifyRouter({ verify: (input) => wechatInvoicing!.verifyNotification(input), invoicing, kick }) }
      : {}),
    start: async () => {
      worker.start();
      await setUp(0);
    },
    stop: async () => {
      stopped = true;
      clearTimeout(setupTimer);
      await worker.stop();
    },
  };
}
