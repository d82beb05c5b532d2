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
import { WechatInvoicing } from './adapter/payments/wechat-invoicing';
import { WechatFapiaoAdapter, type WechatPayAdapter } from './adapter/wechatpay';
import type { Config } from './config';
import { DEFAULT_LINE_ITEM, type InvoicingConfig } from './config-notices';
import type { Clock } from './core/clock';
import type { DriverRepository } from './core/identity/model';
import type { PaidItemRef } from './core/invoicing/model';
import { PaymentsAsPaidItems } from './core/invoicing/paid-items';
import type { Invoicing } from './core/invoicing/provider';
import { InvoicingService } from './core/invoicing/service';
import type { LaneDeduction } from './core/lanepay/channel-pay-model';
import type { OrderRepository } from './core/orders/model';
import type { ParkDirectory } from './core/parks';
import type { Logger } from './logger';
import { INVOICE_NOTIFY_PATHS, invoiceNotifyRouter, mountInvoiceRoutes } from './port/api/invoices-routes';
import { PendingWorker } from './port/jobs/pending-worker';
import { MongoLaneDeductionRepository } from './repository/agreement-deductions';
import { MongoInvoiceRepository } from './repository/invoices';
import { MongoPendingWork } from './repository/pending-work';

export interface NoticesWiringDeps {
  config: Config;
  /** Demo mode: invoicing and messages on the sandboxes when the configuration names none. */
  demo?: { invoicing: InvoicingConfig };
  connection: Connection;
  clock: Clock;
  logger: Logger;
  publicUrl: string;
  urlSigningKey: string;
  wechatPay?: WechatPayAdapter;
  wechatPayBaseUrl?: string;
  /** The mini-program drivers use (title pages are opened for its openids). */
  wechatAppId?: string;
  drivers: DriverRepository;
  orderRepo: OrderRepository;
  parks: ParkDirectory;
  /** How often background work is looked for (real ms; default 1 s). */
  pollMs?: number;
}

export interface NoticesWiring {
  invoicing: InvoicingService;
  worker: PendingWorker;
  /** For the order service: a refund is done. */
  orderRefunded(orderNo: string): void;
  /** For lane deductions. */
  deductionPaid(d: LaneDeduction): void;
  deductionRefunded(d: LaneDeduction): void;
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
    worker,
    orderRefunded: (orderNo) => refunded({ kind: 'order', ref: orderNo }),
    deductionPaid: () => undefined,
    deductionRefunded: (x) => {
      if (x.attempt) refunded({ kind: 'deduction', ref: x.attempt.tradeNo });
    },
    mountApi: (router) => mountInvoiceRoutes(router, invoicing, links, kick),
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
