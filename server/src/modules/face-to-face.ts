/**
 * Booth face-to-face payment (Bluecard 4.24–4.26): the WeChat Pay v2 micropay client (when config.wechatPay
 * has apiV2Key) and Alipay 当面付 (when config.alipay is set), the service on its repository, the lot's
 * calls it answers, and the cancel/expiry job.
 */
import type { Connection } from 'mongoose';
import { AlipayFaceToFace } from '../adapter/alipay/face-to-face';
import { AlipayFaceToFaceGateway, WechatFaceToFaceGateway } from '../adapter/payments/face-to-face';
import { WechatMicropayClient } from '../adapter/wechatpay/micropay';
import type { Config } from '../config';
import type { Clock } from '../core/clock';
import { FaceToFaceService } from '../core/lanepay/face-to-face';
import type { FaceToFacePolicy } from '../core/lanepay/face-to-face-model';
import type { FixedCouponCodes } from '../core/lanepay/fixed-coupons';
import type { Logger } from '../logger';
import type { FeatureModule } from './module';
import { faceToFaceHandlers } from '../port/bluecard/lanepay-face';
import { FaceToFaceWorker } from '../port/jobs/face-to-face-worker';
import { MongoFacePaymentRepository } from '../repository/face-payments';

export interface FaceToFaceModuleDeps {
  connection: Connection;
  clock: Clock;
  logger: Logger;
  wechatPayConfig?: Config['wechatPay'];
  alipayConfig?: Config['alipay'];
  /** Fixed coupon codes (4.24 scene 2): the coupon service, when there is one. */
  coupons?: FixedCouponCodes;
  policy?: Partial<FaceToFacePolicy>;
  /** How often the job looks for due cancels (default 1 s). */
  workerPollMs?: number;
}

export interface FaceToFaceModule extends FeatureModule {
  service: FaceToFaceService;
  worker: FaceToFaceWorker;
}

export async function createFaceToFaceModule(d: FaceToFaceModuleDeps): Promise<FaceToFaceModule> {
  const repo = new MongoFacePaymentRepository(d.connection);
  await repo.init();
  const wechat = d.wechatPayConfig?.apiV2Key
    ? new WechatFaceToFaceGateway(new WechatMicropayClient({ config: d.wechatPayConfig, clock: d.clock, logger: d.logger }))
    : undefined;
  const alipay = d.alipayConfig ? new AlipayFaceToFaceGateway(new AlipayFaceToFace(d.alipayConfig, { clock: d.clock }), () => d.clock.now()) : undefined;
  const ref: { worker?: FaceToFaceWorker } = {};
  const service = new FaceToFaceService({
    payments: repo,
    gateways: { wechat, alipay },
    coupons: d.coupons,
    clock: d.clock,
    policy: d.policy,
    onCancelPending: (id) => ref.worker?.kick(id),
    log: d.logger,
  });
  const worker = new FaceToFaceWorker(service, { logger: d.logger, pollMs: d.workerPollMs });
  ref.worker = worker;
  return { service, worker, lanePay: faceToFaceHandlers(service, d.clock), jobs: { handlers: [worker] } };
}
