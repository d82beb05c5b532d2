/**
 * Wiring of the withholding agreements and the lane payments that use them, kept out of
 * server.ts, which calls it in two steps:
 *  1. wireAgreements(): the withholding gateways (WeChat Pay's vehicle parking service, Alipay agreements)
 *     when configured (demo mode: always, on the sandboxes), the agreement service, lane deductions, and the
 *     lane QR's delivery for the order service (`deliveries.lane_qr`);
 *  2. connect(orders): with the order service, the 4.16/4.17/4.27 handlers for bluecardRouter's lanePay,
 *     the withholding notification routes and the driver API (mount on the app API router).
 * Plus `refundJob` (start/stop with the server): money of deductions the lot never collected given back.
 */
import type Router from '@koa/router';
import type { Connection } from 'mongoose';
import type { AlipayAdapter, AlipayAdapterConfig } from './adapter/alipay';
import { BluecardLotGateway } from './adapter/bluecard/lot-gateway';
import type { BluecardClient } from './adapter/bluecard';
import { createAlipayWithholdingGateway } from './adapter/payments/alipay-withholding';
import { AlipayLaneQrGateway, WechatLaneQrGateway } from './adapter/payments/lane-qr';
import { createWechatWithholdingGateway } from './adapter/payments/wechat-withholding';
import type { WechatPayAdapter } from './adapter/wechatpay';
import type { Config } from './config';
import type { WithholdingGateway } from './core/agreements/gateways';
import { AgreementService } from './core/agreements/service';
import type { Clock } from './core/clock';
import type { DriverRepository } from './core/identity/model';
import { ChannelPayService } from './core/lanepay/channel-pay';
import { LaneDeductionService } from './core/lanepay/lane-deductions';
import type { LaneDeduction } from './core/lanepay/channel-pay-model';
import { DeductionRefunds } from './core/lanepay/deduction-refunds';
import { DeductionGuard, type TrustAlerts } from './core/lanepay/deduction-trust';
import type { ParkDirectory } from './core/parks';
import { LaneQrDelivery, LaneQrService, type LaneQrGateway } from './core/lanepay/lane-qr';
import type { LotRecordsRepository } from './core/lot/model';
import type { OrderRepository, Provider } from './core/orders/model';
import type { OrderService } from './core/orders/orders';
import type { Demo } from '../sandbox/demo';
import type { Logger } from './logger';
import { mountAgreementRoutes } from './port/api/agreements-routes';
import { DeductionRefundJob } from './port/jobs/deduction-refund-job';
import { laneAgreementHandlers } from './port/bluecard/lanepay-agreements';
import type { UpHandler } from './port/bluecard/inbound';
import { NOTIFY_PATHS } from './port/notify/router';
import { WITHHOLDING_NOTIFY_PATHS, withholdingNotifyRouter } from './port/notify/withholding';
import { MongoLaneDeductionRepository } from './repository/agreement-deductions';
import { MongoAgreementRepository } from './repository/agreements';
import { MongoAgreementSpendRepository } from './repository/agreement-spend';

export interface AgreementWiringDeps {
  config: Config;
  demo?: Demo;
  connection: Connection;
  clock: Clock;
  logger: Logger;
  /** Our public base URL (notify URLs). */
  publicUrl: string;
  wechatPay?: WechatPayAdapter;
  wechatPayConfig?: { apiV3Key: string; notifyUrl?: string };
  alipayConfig?: AlipayAdapterConfig;
  alipay?: AlipayAdapter;
  bluecard: BluecardClient;
  drivers: DriverRepository;
  stays: LotRecordsRepository;
  /** Parks an agreement may be limited to. */
  parks: ParkDirectory;
  /** Told of lane deductions refused as looking forged (the abnormal-calls monitor). */
  alerts?: TrustAlerts;
  orderRepo: OrderRepository;
  /** Seconds a paid lane QR waits for the lot's 4.17 poll before sendPayRes (default 30). */
  laneQrGraceMs?: number;
  /** How long uncollected deduction money waits for a repeat of the lot before it is refunded (clock ms, default 10 minutes). */
  deductionRefundGraceMs?: number;
  /** How often the refund job looks for due deductions (real ms, default 30 s). */
  deductionRefundPollMs?: number;
  /** Told when a deduction is paid and when its refund is done (messages, invoices). */
  events?: { deductionPaid?(d: LaneDeduction): void; deductionRefunded?(d: LaneDeduction): void };
}

export interface AgreementWiring {
  agreements: AgreementService;
  deductions: LaneDeductionService;
  /** For OrderService `deliveries`. */
  laneQrDelivery: LaneQrDelivery;
  /** Refunds deduction money the lot never collected; start and stop it with the server. */
  refundJob: DeductionRefundJob;
  connect(orders: OrderService): {
    lanePay: Record<'4.16' | '4.17' | '4.27', UpHandler>;
    notify: Router;
    mountApi(router: Router): void;
  };
}

export async function wireAgreements(d: AgreementWiringDeps): Promise<AgreementWiring> {
  const agreementRepo = new MongoAgreementRepository(d.connection);
  const deductionRepo = new MongoLaneDeductionRepository(d.connection);
  const spendRepo = new MongoAgreementSpendRepository(d.connection);
  await Promise.all([agreementRepo.init(), deductionRepo.init(), spendRepo.init()]);

  // Demo mode offers both on the sandboxes; a deployment only what it configured.
  const wechatParking = d.config.wechatParking ?? (d.demo ? {} : undefined);
  const alipayAgreement = d.config.alipayAgreement ?? (d.demo ? {} : undefined);
  const wechat =
    d.wechatPay && d.wechatPayConfig && wechatParking
      ? createWechatWithholdingGateway({
          wechatPay: d.wechatPay,
          wechatPayConfig: d.wechatPayConfig,
          parking: {
            notifyUrl: wechatParking.notifyUrl ?? `${d.publicUrl}${WITHHOLDING_NOTIFY_PATHS.wechat}`,
            ...(wechatParking.subMchid ? { subMchid: wechatParking.subMchid } : {}),
            ...(wechatParking.subAppid ? { subAppid: wechatParking.subAppid } : {}),
            ...(wechatParking.freeDurationSeconds !== undefined ? { freeDurationSeconds: wechatParking.freeDurationSeconds } : {}),
            // The H5 demo signs up on the sandbox's page instead of WeChat's mini-program.
            ...(d.demo ? { signupH5Url: d.demo.sandboxes.wechatPay.parking.signupPageUrl } : {}),
          },
          clock: d.clock,
        })
      : undefined;
  const alipay =
    d.alipayConfig && alipayAgreement
      ? createAlipayWithholdingGateway(d.alipayConfig, {
          notifyUrl: alipayAgreement.notifyUrl ?? `${d.publicUrl}${WITHHOLDING_NOTIFY_PATHS.alipay}`,
          ...(alipayAgreement.signScene ? { signScene: alipayAgreement.signScene } : {}),
          ...(alipayAgreement.returnUrl ? { returnUrl: alipayAgreement.returnUrl } : {}),
          ...(d.alipayConfig.sellerId ? { sellerId: d.alipayConfig.sellerId } : {}),
          now: () => d.clock.now(),
          adapter: { clock: d.clock },
        })
      : undefined;
  const gateways: Partial<Record<Provider, WithholdingGateway>> = { ...(wechat ? { wechat } : {}), ...(alipay ? { alipay } : {}) };

  const agreements = new AgreementService({ agreements: agreementRepo, drivers: d.drivers, gateways, parks: d.parks, clock: d.clock, log: d.logger });
  const deductions = new LaneDeductionService({
    deductions: deductionRepo,
    agreements,
    stays: d.stays,
    // Money moves only for an open stay of the lot's own 4.2 record, within the caps and the lot's own 4.4 price.
    trust: new DeductionGuard({ stays: d.stays, lot: new BluecardLotGateway(d.bluecard), alerts: d.alerts, log: d.logger }),
    spend: spendRepo,
    clock: d.clock,
    log: d.logger,
    ...(d.deductionRefundGraceMs !== undefined ? { refundGraceMs: d.deductionRefundGraceMs } : {}),
    ...(d.events?.deductionPaid ? { onPaid: d.events.deductionPaid } : {}),
  });
  const refundJob = new DeductionRefundJob(
    new DeductionRefunds({ deductions: deductionRepo, lanes: deductions, gateways: agreements, clock: d.clock, log: d.logger, ...(d.events?.deductionRefunded ? { onRefunded: d.events.deductionRefunded } : {}) }),
    { logger: d.logger, ...(d.deductionRefundPollMs !== undefined ? { pollMs: d.deductionRefundPollMs } : {}) },
  );
  const laneQrDelivery = new LaneQrDelivery(new BluecardLotGateway(d.bluecard), d.laneQrGraceMs);

  // Lane QR codes with the payment merchants (any provider configured for payments).
  const qr: Partial<Record<Provider, LaneQrGateway>> = {};
  if (d.wechatPay) qr.wechat = new WechatLaneQrGateway(d.wechatPay, d.wechatPayConfig?.notifyUrl ?? `${d.publicUrl}${NOTIFY_PATHS.wechat}`);
  if (d.alipay) qr.alipay = new AlipayLaneQrGateway(d.alipay, d.alipayConfig?.notifyUrl ?? `${d.publicUrl}${NOTIFY_PATHS.alipay}`, () => d.clock.now());

  return {
    agreements,
    deductions,
    laneQrDelivery,
    refundJob,
    connect(orders) {
      const laneQr = new LaneQrService({ deductions, orders: d.orderRepo, orderService: orders, qr, stays: d.stays, clock: d.clock, log: d.logger });
      const channelPay = new ChannelPayService({ deductions, orders: d.orderRepo, orderService: orders });
      const notify = withholdingNotifyRouter({
        agreements,
        deductions,
        ...(wechat ? { wechat: async (input) => ({ ok: true, event: await wechat.verifyNotification(input) }) } : {}),
        ...(alipay
          ? {
              alipay: (form) => {
                const r = alipay.parseNotification(form);
                return r.ok ? (r.event ? { ok: true, event: r.event } : { ok: true }) : { ok: false, reason: `${r.reason}: ${r.detail}` };
              },
            }
          : {}),
      });
      return {
        lanePay: laneAgreementHandlers({ laneQr, channelPay, clock: d.clock }),
        notify,
        mountApi: (router) => mountAgreementRoutes(router, agreements, d.parks),
      };
    },
  };
}
