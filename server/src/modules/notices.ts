/**
 * What a driver gets after paying: e-invoices (core/invoicing, the WeChat Pay provider) and messages
 * (core/messages, WeChat and Alipay subscribe messages), their background work (one PendingWorker), their
 * driver and operator routes, the FAPIAO.* notification route, and their reactions to the other features'
 * events (a payment recorded or refunded, a car entered, a deduction paid or refunded, a pass extended).
 *
 * At start, WeChat e-invoicing's development configuration (callback URL, show_fapiao_cell) and its card
 * template are set at WeChat Pay; a failure is logged and tried again in the background (issuing needs them).
 */
import type { Connection } from 'mongoose';
import { AlipayMessages, type AlipayAdapterConfig } from '../adapter/alipay';
import { WechatInvoicing } from '../adapter/payments/wechat-invoicing';
import { WechatMessages } from '../adapter/wechat-login/messages';
import { WechatFapiaoAdapter, type WechatPayAdapter } from '../adapter/wechatpay';
import type { Config } from '../config';
import { DEFAULT_LINE_ITEM, type InvoicingConfig, type MessagesConfig } from '../config-notices';
import type { Clock } from '../core/clock';
import type { DriverRepository } from '../core/identity/model';
import type { PaidItemRef } from '../core/invoicing/model';
import { PaymentsAsPaidItems } from '../core/invoicing/paid-items';
import type { Invoicing } from '../core/invoicing/provider';
import { InvoicingService } from '../core/invoicing/service';
import type { LotRecordsRepository } from '../core/lot/model';
import { NoticeEvents } from '../core/messages/events';
import type { MessageChannel, MessageKind, TemplateRule } from '../core/messages/model';
import { MessagesService } from '../core/messages/service';
import type { OrderRepository } from '../core/orders/model';
import { PlateProofs } from '../core/parking/proofs';
import type { ParkDirectory } from '../core/parks';
import type { Logger } from '../logger';
import type { EventBus } from '../core/events';
import type { DeductionEvents } from './agreements';
import type { LotEvents } from './lot-events';
import type { FeatureModule } from './module';
import type { OrdersModule } from './orders';
import type { PassesModule } from './passes';
import { INVOICE_NOTIFY_PATHS, invoiceNotifyRouter, mountInvoiceRoutes } from '../port/api/invoices-routes';
import { mountMessageRoutes } from '../port/api/messages-routes';
import { PendingWorker } from '../port/jobs/pending-worker';
import { MongoLaneDeductionRepository } from '../repository/agreement-deductions';
import { MongoAgreementRepository } from '../repository/agreements';
import { MongoInvoiceRepository } from '../repository/invoices';
import { MongoMessageStores, driversWithPlate } from '../repository/messages';
import { MongoPendingWork } from '../repository/pending-work';
import { MongoPlateProofRepository } from '../repository/plate-proofs';
import { MongoVisitRepository } from '../repository/visits';

export interface NoticesModuleDeps {
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
  /** Payments recorded and refunds done. */
  orders?: Pick<OrdersModule, 'events'>;
  /** Lane deductions paid and refunded. */
  deductions?: EventBus<DeductionEvents>;
  /** Passes extended, and when a pass ends now (a reminder whose end moved, a renewal, is not sent). */
  passes?: Pick<PassesModule, 'events' | 'endsAt'>;
  /** Cars entered (the lot's 4.2). */
  lot?: EventBus<LotEvents>;
}

export interface NoticesModule extends FeatureModule {
  invoicing: InvoicingService;
  messages: MessagesService;
  events: NoticeEvents;
  worker: PendingWorker;
}

type InvoicingConfigured = NonNullable<NoticesModuleDeps['config']['invoicing']>;

/** E-invoicing: the WeChat Pay provider when configured, and the service on its repository. */
function createInvoicing(d: NoticesModuleDeps, config: InvoicingConfigured | undefined, parts: { repo: MongoInvoiceRepository; work: MongoPendingWork; deductions: MongoLaneDeductionRepository }) {
  const items = new PaymentsAsPaidItems({ orders: d.orderRepo, deductions: parts.deductions, parks: d.parks });
  const providers: Invoicing[] = [];
  let wechat: WechatInvoicing | undefined;
  let fapiao: WechatFapiaoAdapter | undefined;
  if (config?.wechat && d.wechatPay && d.wechatPayBaseUrl && d.wechatAppId) {
    fapiao = new WechatFapiaoAdapter({ pay: d.wechatPay, baseUrl: d.wechatPayBaseUrl });
    wechat = new WechatInvoicing({
      fapiao,
      appId: d.wechatAppId,
      drivers: d.drivers,
      clock: d.clock,
      ...(config.wechat.sellerName ? { sellerName: config.wechat.sellerName } : {}),
      // In service-provider mode a sub-merchant took the deductions: not this merchant's to invoice.
      deductionsOfThisMerchant: !d.config.wechatParking?.subMchid,
    });
    providers.push(wechat);
  }
  const lineItem = (parkNumber: string) => ({ ...DEFAULT_LINE_ITEM, ...config?.lineItem, ...config?.parks[parkNumber] });
  const invoicing = new InvoicingService({
    repo: parts.repo,
    items,
    providers,
    lineItem,
    ...(config?.remark ? { remark: config.remark } : {}),
    work: parts.work,
    clock: d.clock,
    log: d.logger,
  });
  return { invoicing, wechat, fapiao };
}

/** Messages to drivers: the channels configured and the service. */
function createMessages(d: NoticesModuleDeps, stores: MongoMessageStores, work: MongoPendingWork): { messages: MessagesService; config: MessagesConfig | undefined } {
  const config = d.config.messages ?? d.demo?.messages;
  const rules = (t: NonNullable<MessagesConfig['wechat']>['templates']): Partial<Record<MessageKind, TemplateRule>> =>
    Object.fromEntries(Object.entries(t).filter(([, v]) => v !== undefined)) as Partial<Record<MessageKind, TemplateRule>>;
  const channels: MessageChannel[] = [];
  if (config?.wechat && d.wechatMiniProgram) {
    channels.push(
      new WechatMessages({
        appId: d.wechatMiniProgram.appId,
        appSecret: d.wechatMiniProgram.appSecret,
        apiBaseUrl: d.wechatMiniProgram.apiBaseUrl ?? 'https://api.weixin.qq.com',
        store: stores.tokens,
        clock: d.clock,
        templates: rules(config.wechat.templates),
        miniprogramState: config.wechat.miniprogramState,
        lang: config.wechat.lang,
      }),
    );
  }
  if (config?.alipay && d.alipayConfig) channels.push(new AlipayMessages(d.alipayConfig, rules(config.alipay.templates), { clock: d.clock }));
  const messages = new MessagesService({
    messages: stores.messages,
    consents: stores.consents,
    prefs: stores.prefs,
    channels,
    drivers: d.drivers,
    stays: d.stays,
    orders: d.orderRepo,
    ...(d.passes ? { passes: { endsAt: (passId: string) => d.passes!.endsAt(passId) } } : {}),
    work,
    clock: d.clock,
    log: d.logger,
    ...(config ? { maxAttempts: config.maxAttempts } : {}),
  });
  return { messages, config };
}

/**
 * WeChat Pay's side of e-invoicing (where its notifications go, and the card template), set at start; a
 * failure is logged and tried again in the background with a growing wait.
 */
function wechatInvoicingSetup(d: NoticesModuleDeps, fapiao: WechatFapiaoAdapter | undefined, w: InvoicingConfigured['wechat'] | undefined) {
  let timer: NodeJS.Timeout | undefined;
  let stopped = false;
  const setUp = async (attempt: number): Promise<void> => {
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
        timer = setTimeout(() => void setUp(attempt + 1), wait);
        timer.unref();
      }
    }
  };
  return {
    start: () => setUp(0),
    stop: () => {
      stopped = true;
      clearTimeout(timer);
    },
  };
}

/** The reactions to the other features' events. They arrive on hot paths (a payment notification, the lot's 4.2): told in the background, never waited on. */
function listen(d: NoticesModuleDeps, events: NoticeEvents, invoicing: InvoicingService, kick: () => void): void {
  const tell = (what: string, run: () => Promise<unknown>) =>
    void run()
      .then(kick)
      .catch((err: unknown) => d.logger.error({ err, what }, 'a message was not recorded for an event'));
  const refunded = (ref: PaidItemRef) =>
    void invoicing
      .onRefund(ref)
      .then(kick)
      .catch((err: unknown) => d.logger.error({ err, ref }, 'invoice not told of a refund'));
  d.orders?.events.on('paymentRecorded', ({ order, outcome }) => {
    if (outcome === 'paid') tell('payment', () => events.orderPaid(order.orderNo));
  });
  d.orders?.events.on('refunded', ({ order }) => {
    refunded({ kind: 'order', ref: order.orderNo });
    tell('refund', () => events.orderRefunded(order.orderNo));
  });
  d.lot?.on('entered', (s) => tell('entry', () => events.entered(s)));
  d.deductions?.on('paid', (x) => tell('deduction', () => events.deductionPaid(x)));
  d.deductions?.on('refunded', (x) => {
    if (x.attempt) refunded({ kind: 'deduction', ref: x.attempt.tradeNo });
    tell('refund', () => events.deductionRefunded(x));
  });
  d.passes?.events.on('extended', (p) => tell('pass', () => events.passExpiring(p)));
}

export async function createNoticesModule(d: NoticesModuleDeps): Promise<NoticesModule> {
  const invoicingConfig = d.config.invoicing ?? d.demo?.invoicing;
  const repo = new MongoInvoiceRepository(d.connection);
  const work = new MongoPendingWork(d.connection);
  const deductions = new MongoLaneDeductionRepository(d.connection);
  const stores = new MongoMessageStores(d.connection);
  const agreements = new MongoAgreementRepository(d.connection);
  const proofRepo = new MongoPlateProofRepository(d.connection);
  const visits = new MongoVisitRepository(d.connection);
  await Promise.all([repo.init(), work.init(), deductions.init(), stores.init(), agreements.init(), proofRepo.init(), visits.init()]);
  const worker = new PendingWorker({ work, clock: d.clock, logger: d.logger, ...(d.pollMs ? { pollMs: d.pollMs } : {}) });
  const kick = () => worker.kick();
  const { invoicing, wechat, fapiao } = createInvoicing(d, invoicingConfig, { repo, work, deductions });
  const { messages, config: messagesConfig } = createMessages(d, stores, work);
  worker.handle(invoicing).handle(messages);
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
  listen(d, events, invoicing, kick);
  const setup = wechatInvoicingSetup(d, fapiao, invoicingConfig?.wechat);
  const links = { publicUrl: d.publicUrl, urlSigningKey: d.urlSigningKey, clock: d.clock };
  return {
    invoicing,
    messages,
    events,
    worker,
    mountApi: (router) => {
      mountInvoiceRoutes(router, invoicing, links, kick);
      mountMessageRoutes(router, messages);
    },
    ...(wechat ? { routers: [invoiceNotifyRouter({ verify: (input) => wechat.verifyNotification(input), invoicing, kick })] } : {}),
    jobs: { loops: [worker] },
    start: () => setup.start(),
    close: async () => setup.stop(),
  };
}
