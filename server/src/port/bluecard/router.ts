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
import { HttpError } from '../http/errors';
import type { LotRecordsService } from '../../core/lot/lot-records';
import type { AppState } from '../http/middleware';
import {
  BODY_LIMITS,
  bluecardBody,
  markBluecard,
  upCall,
  type InboundDeps,
  type Section,
  type UpAnswer,
  type UpCall,
  type UpHandler,
} from './inbound';

export interface BluecardPortDeps extends InboundDeps {
  records: LotRecordsService;
  /**
   * Handlers for the calls that ask us to take money or decide (4.13, 4.16, 4.17, 4.24–4.28). A call without
   * a handler (a server wired without lane payments, as some tests are) answers `fail` with the reason
   * (4.28: `self`, the lot decides).
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

/** Calls that carry a batch of records in `datas`: a bad record is refused alone, the others are kept. */
const RECORD_BATCHES = new Set<Section>(['4.2', '4.3', '4.15', '4.21', '4.31', '4.32']);

/** How a refused record is named to the lot besides its index: the id it carries, if any. */
function recordIdOf(raw: unknown): string | undefined {
  if (typeof raw !== 'object' || raw === null) return undefined;
  for (const [k, v] of Object.entries(raw)) {
    const key = k.replace(/\s+/g, '').toLowerCase();
    if ((key === 'orderid' || key === 'passagewayid' || key === 'fixedid') && (typeof v === 'string' || typeof v === 'number') && String(v).trim()) {
      return `${k.trim()} ${String(v).trim().slice(0, 64)}`;
    }
  }
  return undefined;
}

/**
 * The answer to a batch of records. All kept: success. Some refused (by the schema, or by the records
 * service as unstorable): the others are stored already, and the answer is a fail naming each refused record
 * (its index in datas, its id, why) — the protocol has no partial success, and a fail keeps the lot resending
 * what we did not take (the stored records are then resends: nothing changes), so nothing is lost silently.
 */
function batchAnswer(section: Section, call: UpCall<{ datas: unknown[] }>, refusedByService: { index: number; reason: string }[]): UpAnswer {
  const refused = [...call.refused, ...refusedByService.map((x) => ({ index: call.datasIndex(x.index), reason: x.reason }))].sort((a, b) => a.index - b.index);
  if (!refused.length) return call.ack();
  const body = call.ctx.request.body as Record<string, unknown>;
  const rawDatas = Object.entries(body).find(([k]) => k.replace(/\s+/g, '').toLowerCase() === 'datas')?.[1];
  const total = Array.isArray(rawDatas) ? rawDatas.length : call.request.datas.length + call.refused.length;
  const named = refused.map((x) => {
    const id = Array.isArray(rawDatas) ? recordIdOf(rawDatas[x.index]) : undefined;
    return `datas.${x.index}${id ? ` (${id})` : ''}: ${x.reason}`.slice(0, 300);
  });
  const kept = total - refused.length;
  (call.ctx.state as AppState).log.warn({ section, parkNumber: call.park.parkNumber, refused: named }, 'Bluecard records refused one by one; the others are kept');
  return failEnvelope(
    `invalid_record: ${named.slice(0, 5).join('; ')}${named.length > 5 ? `; and ${named.length - 5} more` : ''}; the other ${kept} record${kept === 1 ? ' is' : 's are'} stored`,
  );
}

/** A lane call this server is not wired for: a clear refusal that leaves the lot to its own means. */
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
    '4.2': (async (call) => batchAnswer('4.2', call, (await r.entries(call.park.parkNumber, call.request.datas)).refused)) as UpHandler<EntryRecordsRequest> as UpHandler,
    '4.3': (async (call) => batchAnswer('4.3', call, (await r.exits(call.park.parkNumber, call.request.datas)).refused)) as UpHandler<ExitRecordsRequest> as UpHandler,
    '4.14': (async ({ park, request, ack }) => {
      await r.image(park.parkNumber, request.imageName, request.image);
      return ack();
    }) as UpHandler<ImageUploadRequest> as UpHandler,
    '4.15': (async (call) => batchAnswer('4.15', call, (await r.charges(call.park.parkNumber, call.request.datas)).refused)) as UpHandler<ChargeRecordsRequest> as UpHandler,
    '4.21': (async (call) => {
      await r.channels({ ...call.request, parkNumber: call.park.parkNumber });
      return batchAnswer('4.21', call, []);
    }) as UpHandler<ChannelsRequest> as UpHandler,
    '4.31': (async (call) => batchAnswer('4.31', call, (await r.renewals({ ...call.request, parkNumber: call.park.parkNumber })).refused)) as UpHandler<RenewalsRequest> as UpHandler,
    '4.32': (async (call) => batchAnswer('4.32', call, (await r.whitelistSync({ ...call.request, parkNumber: call.park.parkNumber })).refused)) as UpHandler<FixedListUpRequest> as UpHandler,
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
    mw.set(section, upCall(section, deps, handlers[section]!, { records: RECORD_BATCHES.has(section) }));
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
      throw new HttpError('unknown_method', 'method must be one of opengate, parkingspacefee, fixedListUp');
    }
    await mw.get(METHOD_SECTIONS[method])!(ctx, next);
  });
  return router;
}
