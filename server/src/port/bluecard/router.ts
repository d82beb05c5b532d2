/**
 * Bluecard's up calls: the URLs lot operators register with Bluecard (README "Bluecard callback URLs").
 * Each route: the inbound frame (inbound.ts) → the lot-records service → the spec's answer.
 */
import Router from '@koa/router';
import {
  commonUpMethod,
  failEnvelope,
  selfEnvelope,
  type ChannelsRequest,
  type ChargeRecordsRequest,
  type EntryRecordsRequest,
  type ExitRecordsRequest,
  type FixedListUpRequest,
  type HeartbeatRequest,
  type ImageUploadRequest,
  type RenewalsRequest,
} from '../../../../shared/bluecard';
import { AppError } from '../../core/errors';
import type { LotRecordsService } from '../../core/lot/lot-records';
import {
  BODY_LIMITS,
  bluecardBody,
  markBluecard,
  upCall,
  type InboundDeps,
  type Section,
  type UpHandler,
} from './inbound';

export interface BluecardPortDeps extends InboundDeps {
  records: LotRecordsService;
  /**
   * Handlers for the calls that ask us to take money or decide (4.13, 4.16, 4.17, 4.24–4.28). Until the
   * lane-side payments are built they answer `fail` with the reason (4.28: `self`, the lot decides).
   */
  lanePay?: Partial<Record<'4.13' | '4.16' | '4.17' | '4.24' | '4.25' | '4.26' | '4.27' | '4.28', UpHandler>>;
}

export const BLUECARD_PREFIX = '/bluecard/v2';

/** Path → section, as documented in the README for lot operators. */
export const UP_ROUTES: Record<string, Section> = {
  '/heartbeat': '4.1',
  '/in-records': '4.2',
  '/out-records': '4.3',
  '/pre-exit-charge': '4.13',
  '/images': '4.14',
  '/charge-records': '4.15',
  '/withhold-or-qrcode': '4.16',
  '/qrcode-pay-result': '4.17',
  '/channels': '4.21',
  '/face-pay': '4.24',
  '/face-pay-query': '4.25',
  '/face-pay-cancel': '4.26',
  '/channel-pay': '4.27',
  '/opengate': '4.28',
  '/renewals': '4.31',
  '/whitelist-sync': '4.32',
};

const METHOD_SECTIONS = { opengate: '4.28', parkingspacefee: '4.31', fixedListUp: '4.32' } as const;

/** Until the lane-side payments issue: a clear refusal that leaves the lot to its own means. */
const notYet =
  (what: string): UpHandler =>
  async () =>
    failEnvelope(`not_offered: ParkPay does not offer ${what} for this park yet`);

export function bluecardRouter(deps: BluecardPortDeps): Router {
  const r = deps.records;
  const handlers: Partial<Record<Section, UpHandler>> = {
    '4.1': (async ({ park, request, ack }) => {
      await r.heartbeat({ ...request, parkNumber: park.parkNumber });
      return ack();
    }) as UpHandler<HeartbeatRequest> as UpHandler,
    '4.2': (async ({ park, request, ack }) => {
      await r.entries(park.parkNumber, request.datas);
      return ack();
    }) as UpHandler<EntryRecordsRequest> as UpHandler,
    '4.3': (async ({ park, request, ack }) => {
      await r.exits(park.parkNumber, request.datas);
      return ack();
    }) as UpHandler<ExitRecordsRequest> as UpHandler,
    '4.14': (async ({ park, request, ack }) => {
      await r.image(park.parkNumber, request.imageName, request.image);
      return ack();
    }) as UpHandler<ImageUploadRequest> as UpHandler,
    '4.15': (async ({ park, request, ack }) => {
      await r.charges(park.parkNumber, request.datas);
      return ack();
    }) as UpHandler<ChargeRecordsRequest> as UpHandler,
    '4.21': (async ({ park, request, ack }) => {
      await r.channels({ ...request, parkNumber: park.parkNumber });
      return ack();
    }) as UpHandler<ChannelsRequest> as UpHandler,
    '4.31': (async ({ park, request, ack }) => {
      await r.renewals({ ...request, parkNumber: park.parkNumber });
      return ack();
    }) as UpHandler<RenewalsRequest> as UpHandler,
    '4.32': (async ({ park, request, ack }) => {
      await r.whitelistSync({ ...request, parkNumber: park.parkNumber });
      return ack();
    }) as UpHandler<FixedListUpRequest> as UpHandler,
    '4.13': deps.lanePay?.['4.13'] ?? notYet('pre-exit pricing (4.13)'),
    '4.16': deps.lanePay?.['4.16'] ?? notYet('withholding or payment QR codes (4.16)'),
    '4.17': deps.lanePay?.['4.17'] ?? (async () => failEnvelope('trade_unknown: no ParkPay QR payment has this outTradeNo')),
    '4.24': deps.lanePay?.['4.24'] ?? notYet('face-to-face payment (4.24)'),
    '4.25': deps.lanePay?.['4.25'] ?? (async () => failEnvelope('trade_unknown: no ParkPay face-to-face payment has this outTradeNo')),
    '4.26': deps.lanePay?.['4.26'] ?? (async () => failEnvelope('trade_unknown: no ParkPay face-to-face payment has this outTradeNo')),
    '4.27': deps.lanePay?.['4.27'] ?? notYet('third-party channel payment (4.27)'),
    // Refusing (fail) would keep the barrier down for every car; with no rules yet the lot decides.
    '4.28': deps.lanePay?.['4.28'] ?? (async () => selfEnvelope('no ParkPay rule for this car')),
  };

  const mw = new Map<Section, ReturnType<typeof upCall>>();
  for (const section of Object.values(UP_ROUTES)) {
    mw.set(section, upCall(section, deps, handlers[section]!));
  }

  const router = new Router({ prefix: BLUECARD_PREFIX });
  router.use(markBluecard);
  for (const [path, section] of Object.entries(UP_ROUTES)) {
    router.post(path, bluecardBody(section === '4.14' ? BODY_LIMITS.images : BODY_LIMITS.default), mw.get(section)!);
  }
  // Since v2.5.0 the calls from 4.28 on may share one URL and say which they are in `method`.
  router.post('/', bluecardBody(BODY_LIMITS.default), async (ctx, next) => {
    const method = commonUpMethod(ctx.request.body);
    if (!method) {
      throw new AppError('unknown_method', 'method must be one of opengate, parkingspacefee, fixedListUp');
    }
    await mw.get(METHOD_SECTIONS[method])!(ctx, next);
  });
  return router;
}
