/**
 * The sandbox's control API (JSON, under /sandbox): play the lot — cars arrive and leave, the clock moves,
 * faults are injected, records are flushed, ParkPay is asked things at the lane — and look at the state.
 * Not part of Bluecard's protocol; no auth (a local test double). Errors: `{error:{code,message,…}}` with
 * 400 (bad body), 404 (unknown park or stay), 409 (the lot refuses: unpaid, blacklisted, full…).
 */
import Router from '@koa/router';
import type { Context } from 'koa';
import { z } from 'zod';
import { normalizePlate } from '../../../shared/plate';
import { formatChinaDate, formatChinaTime, parseChinaTime } from '../../../shared/time';
import { readRawBody } from './down-router';
import { FAULT_KINDS } from './faults';
import type { SandboxPark } from './lot';
import { Refusal } from './park';
import type { BluecardSandbox } from './sandbox';

class ControlError extends Error {
  constructor(
    readonly status: number,
    readonly code: string,
    message: string,
    readonly details: Record<string, unknown> = {},
  ) {
    super(message);
  }
}

const flag = z.boolean().optional();
const str = z.string().optional();

const arrivalBody = z.strictObject({
  lane: z.string().min(1),
  plate: str,
  plateColor: str,
  unlicensed: flag,
  codeKind: z.enum(['1', '2', '3']).optional(),
  authId: str,
  ephemeralPlate: str,
  spaceId: str,
  confidence: z.number().int().optional(),
  force: flag,
  askParkPay: flag,
  wait: flag,
});

const departureBody = z.strictObject({
  lane: z.string().min(1),
  orderId: str,
  plate: str,
  codeKind: z.enum(['1', '2', '3']).optional(),
  authId: str,
  ticketCode: str,
  force: flag,
  settle: z.enum(['cash', 'waive']).optional(),
  openGateMode: str,
  /** The booth scans the driver's payment code (4.24) when money is owed. */
  authCode: str,
  askParkPay: flag,
  wait: flag,
});

const clockBody = z.strictObject({
  /** Epoch ms or a China time "yyyy-MM-dd HH:mm:ss". */
  set: z.union([z.number(), z.string()]).optional(),
  advanceMs: z.number().nonnegative().optional(),
  advanceMinutes: z.number().nonnegative().optional(),
  speed: z.number().positive().optional(),
});

const faultBody = z.strictObject({
  kind: z.enum(FAULT_KINDS as [string, ...string[]]),
  count: z.number().int().positive().default(1),
  name: str,
  parkNumber: str,
  phase: z.enum(['before', 'after']).optional(),
  errorCode: str,
  hangMs: z.number().int().positive().optional(),
});

const whiteBody = z.strictObject({
  entry: z.looseObject({ plate: z.string().min(1) }),
  operate: z.enum(['1', '2', '3']).optional(),
});

const atLane = z.strictObject({ lane: z.string().min(1), orderId: z.string().min(1) });
const byOutTradeNo = z.strictObject({ outTradeNo: z.string().min(1) });

async function jsonBody(ctx: Context): Promise<unknown> {
  const raw = (await readRawBody(ctx)).toString('utf8').trim();
  if (raw === '') return {};
  try {
    return JSON.parse(raw);
  } catch {
    throw new ControlError(400, 'bad_json', 'body is not JSON');
  }
}

function parse<T>(schema: z.ZodType<T>, value: unknown): T {
  const r = schema.safeParse(value);
  if (!r.success) {
    throw new ControlError(400, 'bad_request', r.error.issues.map((i) => `${i.path.join('.') || '(body)'}: ${i.message}`).join('; '));
  }
  return r.data;
}

type Sandbox = () => BluecardSandbox;

export function controlRouter(sandbox: Sandbox): Router {
  const router = new Router({ prefix: '/sandbox' });
  router.use(answerErrors);
  sandboxRoutes(router, sandbox);
  parkRoutes(router, sandbox);
  bookingRoutes(router, sandbox);
  sendRoutes(router, sandbox);
  laneRoutes(router, sandbox);
  return router;
}

/** Errors as `{error:{code,message,…}}`: the control API's own with their status, the lot's refusals 404 or 409. */
async function answerErrors(ctx: Context, next: () => Promise<unknown>): Promise<void> {
  try {
    await next();
  } catch (e) {
    if (e instanceof ControlError) {
      ctx.status = e.status;
      ctx.body = { error: { code: e.code, message: e.message, ...e.details } };
    } else if (e instanceof Refusal) {
      ctx.status = e.code === 'not_found' ? 404 : 409;
      ctx.body = { error: { code: e.code, message: e.message, ...e.details } };
    } else {
      ctx.status = 500;
      ctx.body = { error: { code: 'sandbox_error', message: (e as Error).message } };
    }
  }
}

/** The park the path names. */
function lotOf(sandbox: Sandbox, ctx: Context): SandboxPark {
  const l = sandbox()
    .parks()
    .find((p) => p.parkNumber === ctx.params.parkNumber);
  if (!l) throw new ControlError(404, 'unknown_park', `no park ${String(ctx.params.parkNumber)}`);
  return l;
}

function clockView(s: BluecardSandbox) {
  const now = s.clock.now();
  return {
    now,
    nowChina: formatChinaTime(now),
    speed: s.clockSpeed(),
    settable: s.clockSettable(),
    forwardOnly: s.clockForwardOnly(),
    pendingTimers: s.scheduler.pending(),
  };
}

/** Set, advance or speed up the clock, as far as this sandbox's clock allows. */
async function moveClock(s: BluecardSandbox, b: z.infer<typeof clockBody>): Promise<void> {
  if ((b.set !== undefined || b.advanceMs !== undefined || b.advanceMinutes !== undefined) && !s.clockSettable()) {
    throw new ControlError(409, 'clock_not_settable', 'the sandbox runs on a clock that cannot be set');
  }
  if (b.speed !== undefined && s.clockSpeed() === undefined) {
    throw new ControlError(409, 'clock_has_no_speed', 'only a ScaledClock has a speed');
  }
  if (b.set !== undefined) {
    const ms = typeof b.set === 'number' ? b.set : parseChinaTime(b.set).getTime();
    if (s.clockForwardOnly() && ms < s.clock.now()) {
      throw new ControlError(409, 'clock_backwards', `the clock is shared with ParkPay and only moves forward (now ${formatChinaTime(s.clock.now())})`);
    }
    await s.setClock(ms);
  }
  const advance = (b.advanceMs ?? 0) + (b.advanceMinutes ?? 0) * 60_000;
  if (advance > 0) await s.advanceClock(advance);
  if (b.speed !== undefined) s.setClockSpeed(b.speed);
}

/** A whitelist entry as the booth makes it: what the body leaves out takes the booth's defaults (a year from now). */
function whiteEntry(entry: z.infer<typeof whiteBody>['entry'], now: number) {
  const e = entry as Record<string, unknown>;
  const s = (k: string, d: string) => (typeof e[k] === 'string' ? (e[k] as string) : d);
  return {
    plate: entry.plate,
    chargeType: s('chargeType', '不收费'),
    name: s('name', ''),
    certificate: s('certificate', ''),
    address: s('address', ''),
    phone: s('phone', ''),
    plateColor: s('plateColor', '蓝牌'),
    start: s('start', formatChinaDate(now)),
    end: s('end', formatChinaDate(now + 365 * 86_400_000)),
    dept: s('dept', ''),
    carType: s('carType', '月租车'),
    memo: s('memo', ''),
    areasAndValidity: Array.isArray(e.areasAndValidity)
      ? (e.areasAndValidity as { areaId: number; start: string; end: string }[])
      : [],
  };
}

/** The whole sandbox: its state, the clock, reset, faults, where ParkPay is, the outbox, heartbeats. */
function sandboxRoutes(router: Router, sandbox: Sandbox): void {
  router.get('/', (ctx) => {
    const s = sandbox();
    ctx.body = {
      url: s.url,
      parkPayBaseUrl: s.parkPayBaseUrl() ?? null,
      clock: clockView(s),
      parks: s.parks().map((p) => ({ parkNumber: p.parkNumber, name: p.definition.name, lanes: p.state.lanes, areas: p.state.areas })),
      faults: s.faults.list(),
    };
  });

  // Clock -------------------------------------------------------------------------------------------------
  router.get('/clock', (ctx) => {
    ctx.body = clockView(sandbox());
  });
  router.post('/clock', async (ctx) => {
    const b = parse(clockBody, await jsonBody(ctx));
    await moveClock(sandbox(), b);
    ctx.body = clockView(sandbox());
  });

  // Sandbox-wide ------------------------------------------------------------------------------------------
  router.post('/reset', async (ctx) => {
    await sandbox().reset();
    ctx.body = { reset: true, clock: clockView(sandbox()) };
  });
  router.get('/faults', (ctx) => {
    ctx.body = { faults: sandbox().faults.list() };
  });
  router.post('/faults', async (ctx) => {
    const b = parse(faultBody, await jsonBody(ctx));
    ctx.status = 201;
    ctx.body = { fault: sandbox().faults.add(b as Parameters<BluecardSandbox['faults']['add']>[0]) };
  });
  router.delete('/faults', (ctx) => {
    sandbox().faults.clear();
    ctx.body = { faults: [] };
  });
  router.post('/parkpay', async (ctx) => {
    const b = parse(z.strictObject({ baseUrl: z.url().nullable() }), await jsonBody(ctx));
    await sandbox().setParkPayBaseUrl(b.baseUrl ?? undefined);
    ctx.body = { parkPayBaseUrl: sandbox().parkPayBaseUrl() ?? null };
  });
  router.get('/outbox', (ctx) => {
    ctx.body = { outbox: sandbox().outbox.view() };
  });
  router.post('/outbox/flush', async (ctx) => {
    const b = parse(z.strictObject({ parkNumber: str }), await jsonBody(ctx));
    await sandbox().flushOutbox({ parkNumber: b.parkNumber });
    ctx.body = { outbox: sandbox().outbox.view(b.parkNumber) };
  });
  router.post('/heartbeat', async (ctx) => {
    ctx.body = { results: await sandbox().heartbeatNow() };
  });
}

/** One park: its state, cars arriving and leaving, prices, heartbeats, its outbox, a whitelist entry made at the booth. */
function parkRoutes(router: Router, sandbox: Sandbox): void {
  const lot = (ctx: Context) => lotOf(sandbox, ctx);
  router.get('/parks/:parkNumber', (ctx) => {
    ctx.body = lot(ctx).dump();
  });
  router.post('/parks/:parkNumber/arrivals', async (ctx) => {
    const l = lot(ctx);
    const b = parse(arrivalBody, await jsonBody(ctx));
    ctx.status = 201;
    ctx.body = await l.arrive(b);
  });
  router.post('/parks/:parkNumber/departures', async (ctx) => {
    const l = lot(ctx);
    const b = parse(departureBody, await jsonBody(ctx));
    ctx.body = await l.leave(b);
  });
  router.get('/parks/:parkNumber/cars/:orderId/price', (ctx) => {
    ctx.body = lot(ctx).priceNow(ctx.params.orderId);
  });
  router.post('/parks/:parkNumber/heartbeat', async (ctx) => {
    ctx.body = { result: await lot(ctx).heartbeat() };
  });
  router.get('/parks/:parkNumber/outbox', (ctx) => {
    ctx.body = { outbox: sandbox().outbox.view(lot(ctx).parkNumber) };
  });
  router.post('/parks/:parkNumber/outbox/flush', async (ctx) => {
    const l = lot(ctx);
    await sandbox().flushOutbox({ parkNumber: l.parkNumber });
    ctx.body = { outbox: sandbox().outbox.view(l.parkNumber) };
  });
  router.post('/parks/:parkNumber/white', async (ctx) => {
    const l = lot(ctx);
    const b = parse(whiteBody, await jsonBody(ctx));
    const entry = whiteEntry(b.entry, l.state.now());
    ctx.status = 201;
    ctx.body = { item: await l.offlineWhite(entry, b.operate ?? '1') };
  });
}

/** Bookings (4.18 / 4.19): the lot's list, refusals to come, a booking the lot loses. */
function bookingRoutes(router: Router, sandbox: Sandbox): void {
  const lot = (ctx: Context) => lotOf(sandbox, ctx);
  router.get('/parks/:parkNumber/bookings', (ctx) => {
    ctx.body = { bookings: lot(ctx).dump().bookings, refusals: lot(ctx).state.bookingRefusals };
  });
  router.post('/parks/:parkNumber/bookings/refuse', async (ctx) => {
    // The next `count` new bookings (of `plate`, or any) are refused with `errorCode`.
    const l = lot(ctx);
    const b = parse(z.strictObject({ plate: str, errorCode: str, count: z.number().int().positive().default(1) }), await jsonBody(ctx));
    const refusal = { plateKey: b.plate ? normalizePlate(b.plate) : undefined, errorCode: b.errorCode ?? '车场拒绝预约(sandbox)', remaining: b.count };
    l.state.bookingRefusals.push(refusal);
    ctx.status = 201;
    ctx.body = { refusal };
  });
  router.delete('/parks/:parkNumber/bookings/:bookOrderId', (ctx) => {
    // The lot loses a booking (someone deleted it at the booth): what reconciliation must notice.
    const l = lot(ctx);
    if (!l.state.bookings.delete(ctx.params.bookOrderId)) throw new Refusal('not_found', `no booking ${ctx.params.bookOrderId}`);
    ctx.body = { deleted: ctx.params.bookOrderId };
  });
}

/** What the lot sends by itself (through the outbox). */
function sendRoutes(router: Router, sandbox: Sandbox): void {
  const lot = (ctx: Context) => lotOf(sandbox, ctx);
  router.post('/parks/:parkNumber/send/channels', async (ctx) => {
    ctx.body = { item: await lot(ctx).sendChannels() };
  });
  router.post('/parks/:parkNumber/send/images', async (ctx) => {
    const l = lot(ctx);
    const b = parse(z.strictObject({ orderId: str, names: z.array(z.string()).optional() }), await jsonBody(ctx));
    ctx.body = { items: await l.sendImages(b) };
  });
  router.post('/parks/:parkNumber/send/charge-records', async (ctx) => {
    const l = lot(ctx);
    const b = parse(z.strictObject({ orderId: z.string().min(1) }), await jsonBody(ctx));
    ctx.body = { items: await l.sendChargeRecords(b.orderId) };
  });
  router.post('/parks/:parkNumber/send/renewals', async (ctx) => {
    const l = lot(ctx);
    const b = parse(z.strictObject({ datas: z.array(z.looseObject({ plate: z.string().min(1) })).min(1) }), await jsonBody(ctx));
    ctx.body = { item: await l.sendRenewals(b.datas as Parameters<SandboxPark['sendRenewals']>[0]) };
  });
  router.post('/parks/:parkNumber/renew-at-booth', async (ctx) => {
    const l = lot(ctx);
    const b = parse(
      z.strictObject({ plate: z.string().min(1), months: z.number().int().min(1).max(36), payChargeFen: z.number().int().min(0), payType: z.string().optional() }),
      await jsonBody(ctx),
    );
    ctx.body = await l.renewAtBooth(b);
  });
  router.post('/parks/:parkNumber/send/fixed-list', async (ctx) => {
    const l = lot(ctx);
    const b = parse(z.strictObject({ plates: z.array(z.string()).optional(), operate: z.enum(['1', '2', '3']).optional() }), await jsonBody(ctx));
    ctx.body = { item: await l.sendFixedList(b) };
  });
}

/** Lane interactions: ParkPay's answer comes back to the caller. */
function laneRoutes(router: Router, sandbox: Sandbox): void {
  const lot = (ctx: Context) => lotOf(sandbox, ctx);
  router.post('/parks/:parkNumber/send/opengate', async (ctx) => {
    const l = lot(ctx);
    const b = parse(
      z.strictObject({ lane: z.string().min(1), orderId: str, plate: str, plateColor: str, carType: str, confidence: z.number().int().optional() }),
      await jsonBody(ctx),
    );
    const lane = l.state.lane(b.lane);
    if (!lane) throw new Refusal('unknown_lane', `no lane ${b.lane}`);
    const car = b.orderId ? l.state.cars.get(b.orderId) : undefined;
    if (b.orderId && !car) throw new Refusal('not_found', `no stay ${b.orderId}`);
    const areaId = car?.areaId ?? Number(lane.direction === 'in' ? lane.targetAreaId : lane.sourceAreaId);
    const plate = b.plate ?? car?.plate ?? '';
    ctx.body = {
      result: await l.openGate({
        plate,
        plateColor: b.plateColor ?? car?.plateColor ?? (plate === '' ? '' : '蓝牌'),
        carType: b.carType ?? car?.carType ?? l.state.carTypeFor(plate, areaId),
        confidence: b.confidence ?? car?.confidence ?? (plate === '' ? 0 : 98),
        passageway: lane.name,
        inOutType: lane.direction === 'in' ? 1 : 2,
        area: l.state.area(areaId)?.name ?? '',
      }),
    };
  });
  router.post('/parks/:parkNumber/send/pre-exit-pricing', async (ctx) => {
    const l = lot(ctx);
    ctx.body = await l.preExitPricing(parse(atLane, await jsonBody(ctx)));
  });
  router.post('/parks/:parkNumber/send/withhold-or-qr', async (ctx) => {
    const l = lot(ctx);
    ctx.body = await l.withholdOrQr(parse(atLane, await jsonBody(ctx)));
  });
  router.post('/parks/:parkNumber/send/qr-pay-result', async (ctx) => {
    const l = lot(ctx);
    ctx.body = await l.qrPayResult(parse(byOutTradeNo, await jsonBody(ctx)));
  });
  router.post('/parks/:parkNumber/send/face-to-face-pay', async (ctx) => {
    const l = lot(ctx);
    const b = parse(atLane.extend({ authCode: z.string().min(1), poll: flag }), await jsonBody(ctx));
    ctx.body = await l.faceToFacePay(b);
  });
  router.post('/parks/:parkNumber/send/face-to-face-poll', async (ctx) => {
    const l = lot(ctx);
    ctx.body = await l.faceToFacePoll(parse(byOutTradeNo, await jsonBody(ctx)));
  });
  router.post('/parks/:parkNumber/send/face-to-face-cancel', async (ctx) => {
    const l = lot(ctx);
    ctx.body = await l.faceToFaceCancel(parse(byOutTradeNo, await jsonBody(ctx)));
  });
  router.post('/parks/:parkNumber/send/channel-pay', async (ctx) => {
    const l = lot(ctx);
    ctx.body = await l.channelPay(parse(atLane, await jsonBody(ctx)));
  });
}
