/**
 * The lot playground, `/demo` (demo mode only): one desktop page that shows the demo park as a lot — lanes
 * with their barriers and screens, the cars inside, free spaces, the shared demo clock, the calls between
 * the lot and ParkPay — next to the driver app in a phone frame, and lets you play it: drive cars in and
 * out, pay (in the phone, at the lane screen's QR, at the booth), move the clock, inject faults.
 *
 *   GET  /demo                 the page (static/index.html, playground.css, playground.js)
 *   GET  /demo/scan?code=…     what a phone shows after scanning a lane screen's payment QR (the WeChat Pay
 *                              or Alipay sandbox as the wallet); POST /demo/scan pays or gives up
 *   GET  /demo/api/state       the lot now, and the calls and barrier openings after the given cursors
 *   POST /demo/api/…           arrivals, unlicensed, departures, clock, faults, monthly, settings
 *
 * Everything goes to the in-process stand-ins (the Bluecard sandbox's park, the payment sandboxes); the one
 * thing that is ParkPay's (which wallet's QR the lane screens show) goes through ParkPay's operator API as
 * the demo admin, like an operator would.
 */
import { readFileSync } from 'node:fs';
import path from 'node:path';
import Router from '@koa/router';
import { bodyParser } from '@koa/bodyparser';
import type { Context, Next } from 'koa';
import QRCode from 'qrcode';
import { z } from 'zod';
import { fenToYuan } from '../../../shared/money';
import { normalizePlate } from '../../../shared/plate';
import { formatChinaDate, formatChinaTime } from '../../../shared/time';
import type { Clock } from '../../src/core/clock';
import type { AlipaySandbox } from '../alipay';
import type { BluecardSandbox } from '../bluecard';
import { Refusal } from '../bluecard/park';
import type { WechatPaySandbox } from '../wechatpay';
import { scanPage, scanResultPage, type ScanTarget } from './scan-page';

const STATIC_DIR = path.join(__dirname, 'static');
const STATIC_FILES: Record<string, string> = {
  'playground.css': 'text/css; charset=utf-8',
  'playground.js': 'text/javascript; charset=utf-8',
};

/** The fault switches' presets. */
export const SLOW_MS = 3_000;
/**
 * Two: fewer than the attempts ParkPay makes of a call it may repeat (three), so a busy lot is ridden out by
 * ParkPay's own retries — the log shows the 500s, the driver sees an answer.
 */
export const BUSY_CALLS = 2;
/** Marks the busy switch's faults (HTTP 500 answers) among others a test may have added. */
export const BUSY_MARK = '系统繁忙(playground)';

/** Where the driver app is: a fresh build, one being made, or none (the phone frame says so). */
export type DriverAppStatus = { state: 'ready' } | { state: 'building'; since: number } | { state: 'failed'; message: string } | { state: 'missing' };

export interface PlaygroundDeps {
  parkNumber: string;
  bluecard: BluecardSandbox;
  wechatPay: WechatPaySandbox;
  alipay: AlipaySandbox;
  /** The demo clock ParkPay and every stand-in read. */
  clock: Clock;
  /** ParkPay's own URL (known once it listens). */
  parkPayUrl: () => string | undefined;
  /** The demo admin, who changes the park's settings through ParkPay's operator API. */
  operator: { username: string; password: string };
  driverApp: () => DriverAppStatus;
}

class PlaygroundError extends Error {
  constructor(
    readonly status: number,
    readonly code: string,
    message: string,
    readonly details: Record<string, unknown> = {},
  ) {
    super(message);
  }
}

const parse = <T>(schema: z.ZodType<T>, value: unknown): T => {
  const r = schema.safeParse(value ?? {});
  if (!r.success) throw new PlaygroundError(400, 'bad_request', r.error.issues.map((i) => `${i.path.join('.') || '(body)'}: ${i.message}`).join('; '));
  return r.data;
};

const arrivalBody = z.strictObject({ lane: z.string().min(1), plate: z.string().trim().min(1).max(16) });
const unlicensedBody = z.strictObject({ lane: z.string().min(1) });
const departureBody = z.strictObject({
  orderId: z.string().min(1),
  /** Default: the exit lane of the car's area. */
  lane: z.string().min(1).optional(),
  /** How the driver pays at the booth if money is owed: a WeChat or Alipay payment code (4.24), or cash. */
  booth: z.enum(['wechat', 'alipay', 'cash']).optional(),
});
const clockBody = z.strictObject({ advanceMinutes: z.number().positive().max(60 * 24 * 31) });
const faultsBody = z.strictObject({
  offline: z.boolean().optional(),
  slow: z.boolean().optional(),
  busy: z.boolean().optional(),
  loseNotification: z.boolean().optional(),
});
const monthlyBody = z.strictObject({ plate: z.string().trim().min(1).max(16), days: z.number().int().min(1).max(366).default(30), areaId: z.number().int().optional() });
const settingsBody = z.strictObject({ laneQrProvider: z.enum(['wechat', 'alipay']) });
const scanBody = z.object({ code: z.string().min(1).max(512), action: z.enum(['pay', 'cancel']).default('pay') });

const HOUR = 3_600_000;
const A = '/demo/api';

export function playgroundRouter(d: PlaygroundDeps): Router {
  const router = new Router();
  const pg = new Playground(d);
  apiRoutes(router, pg);
  scanRoutes(router, pg);
  staticRoutes(router);
  return router;
}

/** Errors as `{error:{code,message,…}}`: the playground's own with their status, the lot's refusals 404 or 409, bad bodies 400. */
async function guard(ctx: Context, next: Next): Promise<void> {
  try {
    await next();
  } catch (e) {
    if (e instanceof PlaygroundError) {
      ctx.status = e.status;
      ctx.body = { error: { code: e.code, message: e.message, ...e.details } };
    } else if (e instanceof Refusal) {
      ctx.status = e.code === 'not_found' ? 404 : 409;
      ctx.body = { error: { code: e.code, message: e.message, ...e.details } };
    } else if ((e as { status?: number }).status === 400 || (e as { status?: number }).status === 415) {
      ctx.status = 400;
      ctx.body = { error: { code: 'bad_request', message: (e as Error).message } };
    } else {
      ctx.status = 500;
      ctx.body = { error: { code: 'playground_error', message: (e as Error).message } };
    }
  }
}

/** /demo/api: the lot's state (polled), and what the page's buttons do. */
function apiRoutes(router: Router, pg: Playground): void {
  const json = bodyParser({ enableTypes: ['json'], jsonLimit: '16kb' });
  router.get(`${A}/state`, guard, async (ctx) => {
    const n = (k: string) => {
      const v = Number(ctx.query[k]);
      return Number.isFinite(v) && v >= 0 ? v : 0;
    };
    await pg.op.readSettingsOnce();
    ctx.set('cache-control', 'no-store');
    // Polled every 700 ms by each open playground: no line per poll at info.
    (ctx.state as { quietLog?: boolean }).quietLog = true;
    ctx.body = await pg.state({ calls: n('calls'), gates: n('gates') });
  });
  router.post(`${A}/arrivals`, guard, json, async (ctx) => {
    ctx.status = 201;
    ctx.body = await pg.arrive(parse(arrivalBody, ctx.request.body));
  });
  router.post(`${A}/unlicensed`, guard, json, async (ctx) => {
    ctx.body = pg.unlicensed(parse(unlicensedBody, ctx.request.body));
  });
  router.post(`${A}/departures`, guard, json, async (ctx) => {
    ctx.body = await pg.depart(parse(departureBody, ctx.request.body));
  });
  router.post(`${A}/clock`, guard, json, async (ctx) => {
    const b = parse(clockBody, ctx.request.body);
    // The lot's timers (resends, polls) run at their instants on the way; ParkPay reads the same clock.
    await pg.d.bluecard.advanceClock(Math.round(b.advanceMinutes * 60_000));
    ctx.body = { now: pg.d.clock.now(), text: formatChinaTime(pg.d.clock.now()) };
  });
  router.post(`${A}/faults`, guard, json, async (ctx) => {
    pg.setFaults(parse(faultsBody, ctx.request.body));
    ctx.body = (await pg.state({ calls: Number.MAX_SAFE_INTEGER, gates: Number.MAX_SAFE_INTEGER })).faults;
  });
  router.post(`${A}/monthly`, guard, json, async (ctx) => {
    ctx.status = 201;
    ctx.body = await pg.monthly(parse(monthlyBody, ctx.request.body));
  });
  router.post(`${A}/settings`, guard, json, async (ctx) => {
    const b = parse(settingsBody, ctx.request.body);
    await pg.op.call('POST', `/api/op/parks/${encodeURIComponent(pg.P)}`, { settings: { laneQrProvider: b.laneQrProvider } });
    await pg.op.readSettings();
    ctx.body = { laneQrProvider: pg.op.laneQrProvider };
  });
}

/** The phone's scan of a lane screen's QR: the wallet's page, then pay or give up. */
function scanRoutes(router: Router, pg: Playground): void {
  const { d } = pg;
  router.get('/demo/scan', (ctx) => {
    const code = typeof ctx.query.code === 'string' ? ctx.query.code : '';
    ctx.type = 'text/html; charset=utf-8';
    ctx.set('cache-control', 'no-store');
    ctx.body = scanPage(code, pg.scanTarget(code), pg.lot().state.name);
  });
  router.post('/demo/scan', bodyParser({ enableTypes: ['form', 'json'], formLimit: '8kb' }), (ctx) => {
    const b = parse(scanBody, ctx.request.body);
    const t = pg.scanTarget(b.code);
    ctx.type = 'text/html; charset=utf-8';
    if (!t || t.state !== 'open') {
      ctx.status = t ? 409 : 404;
      ctx.body = scanResultPage(t, t ? '这个二维码已失效' : '无法识别的二维码');
      return;
    }
    try {
      if (b.action === 'cancel') {
        if (t.wallet === 'wechat') d.wechatPay.cancel(t.outTradeNo);
        else d.alipay.cancel(t.outTradeNo, 'demo-driver');
        ctx.body = scanResultPage(t, '已取消支付');
        return;
      }
      if (t.wallet === 'wechat') d.wechatPay.pay(t.outTradeNo);
      else d.alipay.pay(t.outTradeNo, 'demo-driver');
      ctx.body = scanResultPage({ ...t, state: 'paid' }, '支付成功');
    } catch (e) {
      ctx.status = 409;
      ctx.body = scanResultPage(t, `支付失败: ${(e as Error).message}`);
    }
  });
}

/** The page and its assets. */
function staticRoutes(router: Router): void {
  router.get('/demo/', (ctx) => {
    ctx.type = 'text/html; charset=utf-8';
    ctx.set('cache-control', 'no-cache');
    ctx.body = readFileSync(path.join(STATIC_DIR, 'index.html'));
  });
  router.get('/demo/assets/:file', (ctx) => {
    const type = STATIC_FILES[ctx.params.file];
    if (!type) {
      ctx.status = 404;
      ctx.body = { error: { code: 'not_found', message: 'no such file' } };
      return;
    }
    ctx.type = type;
    ctx.set('cache-control', 'no-cache');
    ctx.body = readFileSync(path.join(STATIC_DIR, ctx.params.file));
  });
  router.get('/demo', (ctx) => ctx.redirect('/demo/'));
}

/** ParkPay's operator API, as the demo admin (logged in on first use, again when the session ends). */
class OperatorApi {
  /** The lane screens' wallet as ParkPay's park settings say (undefined: not read yet). */
  laneQrProvider: 'wechat' | 'alipay' | undefined;
  private token: string | undefined;
  private settingsRead = false;

  constructor(
    private readonly d: PlaygroundDeps,
    private readonly base: () => string,
  ) {}

  async call(method: string, p: string, body?: unknown, retry = true): Promise<unknown> {
    if (!this.token) this.token = await this.login();
    const r = await fetch(`${this.base()}${p}`, {
      method,
      headers: { authorization: `Bearer ${this.token}`, ...(body ? { 'content-type': 'application/json' } : {}) },
      body: body ? JSON.stringify(body) : undefined,
    });
    if (r.status === 401 && retry) {
      this.token = undefined;
      return this.call(method, p, body, false);
    }
    const j = (await r.json()) as { error?: { message?: string } };
    if (!r.ok) throw new PlaygroundError(502, 'parkpay_refused', `ParkPay: ${j.error?.message ?? r.status}`);
    return j;
  }

  private async login(): Promise<string> {
    const r = await fetch(`${this.base()}/api/op/auth/login`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify(this.d.operator),
    });
    const j = (await r.json()) as { token?: string; error?: { message?: string } };
    if (!r.ok || !j.token) throw new PlaygroundError(502, 'operator_login_failed', `the demo admin could not log in: ${j.error?.message ?? r.status}`);
    return j.token;
  }

  async readSettings(): Promise<void> {
    const park = (await this.call('GET', `/api/op/parks/${encodeURIComponent(this.d.parkNumber)}`)) as { settings?: { laneQrProvider?: 'wechat' | 'alipay' } };
    this.laneQrProvider = park.settings?.laneQrProvider ?? 'wechat';
  }

  /** Read once (a wrong demo-admin password must not be tried again on every poll: it locks the account). */
  async readSettingsOnce(): Promise<void> {
    if (this.settingsRead) return;
    this.settingsRead = true;
    await this.readSettings().catch(() => undefined);
  }
}

/** The playground's own state (cars waiting without a plate, the lost-notification switch) and what the page does to the lot. */
class Playground {
  readonly P: string;
  readonly op: OperatorApi;
  /** Entry lanes where a car without a plate waits for its driver to scan (since, sandbox ms). */
  private readonly unlicensedWaiting = new Map<string, number>();
  /** Lost-notification switch: how many lost notifications there were when it was armed. */
  private lostArmedAt: number | undefined;
  private readonly qrSvgs = new Map<string, Promise<string>>();

  constructor(readonly d: PlaygroundDeps) {
    this.P = d.parkNumber;
    this.op = new OperatorApi(d, () => this.base());
  }

  lot() {
    return this.d.bluecard.park(this.P);
  }

  private base(): string {
    return this.d.parkPayUrl() ?? '';
  }

  private laneLink(id: string): string {
    return `${this.base()}/q/${encodeURIComponent(this.P)}/${encodeURIComponent(id)}`;
  }

  private qrSvg(text: string): Promise<string> {
    let svg = this.qrSvgs.get(text);
    if (!svg) {
      svg = QRCode.toString(text, { type: 'svg', margin: 1, errorCorrectionLevel: 'M' });
      if (this.qrSvgs.size > 200) this.qrSvgs.clear();
      this.qrSvgs.set(text, svg);
    }
    return svg;
  }

  private lostCount(): number {
    return this.d.wechatPay.notifications().filter((n) => n.state === 'lost').length + this.d.alipay.notifications().filter((n) => n.state === 'lost').length;
  }

  /** The lot as the page shows it, with the calls and barrier openings after the cursors. */
  async state(cursor: { calls: number; gates: number }) {
    const { d, P } = this;
    const st = this.lot().state;
    const now = d.clock.now();
    this.forgetUnlicensed(now);
    const lanes = await this.lanesView();
    const counts = st.counts();
    this.spendLostSwitch();
    return {
      park: { parkNumber: P, name: st.name, tariff: st.tariff },
      clock: { now, text: formatChinaTime(now), offsetMs: now - Date.now() },
      lanes,
      areas: counts.areaList.map((a) => ({ id: a.areaId, name: a.areaName, spaces: a.spaceCount, free: a.lastSpaceCount })),
      free: counts.freeSpaceCount,
      spaces: counts.spaceCount,
      cars: this.carsView(now),
      departed: this.departedView(),
      calls: d.bluecard.calls.since(cursor.calls).slice(-200),
      gates: d.bluecard.gates.since(cursor.gates).slice(-50),
      cursor: { calls: d.bluecard.calls.last(), gates: d.bluecard.gates.last() },
      faults: this.faultsView(),
      settings: { laneQrProvider: this.op.laneQrProvider ?? null },
      driverApp: d.driverApp(),
      sandboxes: { bluecard: d.bluecard.url, wechatPay: d.wechatPay.url, alipay: d.alipay.url },
    };
  }

  /** A car without a plate stops waiting when the driver scanned and the lot let it in (4.29), or nobody came. */
  private forgetUnlicensed(now: number): void {
    const inPark = this.lot().state.inPark();
    for (const [lane, since] of this.unlicensedWaiting) {
      if (inPark.some((c) => c.inLaneId === lane && c.unlicensed && c.inTime >= since) || now - since > HOUR) this.unlicensedWaiting.delete(lane);
    }
  }

  /** One notification was lost (of either wallet): the switch is spent for both. */
  private spendLostSwitch(): void {
    if (this.lostArmedAt !== undefined && this.lostCount() > this.lostArmedAt) this.disarmLost();
  }

  private disarmLost(): void {
    this.lostArmedAt = undefined;
    this.d.wechatPay.clearFaults('loseNotification');
    this.d.alipay.clearFaults('lost_notification');
  }

  private async lanesView() {
    const l = this.lot();
    const st = l.state;
    const inPark = st.inPark();
    const screens = l.screens();
    return Promise.all(
      st.lanes.map(async (lane) => {
        const areaId = Number(lane.direction === 'in' ? lane.targetAreaId : lane.sourceAreaId);
        const waiting = lane.direction === 'out' ? inPark.find((c) => c.waitingAt === lane.passagewayId) : undefined;
        const screen = screens.find((s) => s.passagewayId === lane.passagewayId);
        return {
          passagewayId: lane.passagewayId,
          name: lane.name,
          direction: lane.direction,
          areaId,
          areaName: st.area(areaId)?.name ?? '',
          link: this.laneLink(lane.passagewayId),
          linkQr: await this.qrSvg(this.laneLink(lane.passagewayId)),
          unlicensedWaiting: this.unlicensedWaiting.has(lane.passagewayId),
          waiting: waiting ? { orderId: waiting.orderId, plate: waiting.plate, owed: fenToYuan(st.price(waiting).payChargeFen) } : null,
          screen: screen
            ? {
                message: screen.message,
                plate: screen.plate,
                qrCode: screen.qrCode ?? null,
                qrSvg: screen.qrCode ? await this.qrSvg(screen.qrCode) : null,
                wallet: screen.qrCode ? (screen.qrCode.startsWith('weixin://') ? 'wechat' : 'alipay') : null,
              }
            : null,
        };
      }),
    );
  }

  private carsView(now: number) {
    const st = this.lot().state;
    return st
      .inPark()
      .sort((a, b) => b.inTime - a.inTime)
      .map((c) => {
        const p = st.price(c);
        const pass = c.plate !== '' ? st.passCover(c.plate, c.areaId, now, now + 1) : [];
        const white = c.plate !== '' ? st.white.get(normalizePlate(c.plate)) : undefined;
        return {
          orderId: c.orderId,
          plate: c.plate,
          unlicensed: c.unlicensed,
          carType: c.carType,
          areaId: c.areaId,
          areaName: st.area(c.areaId)?.name ?? '',
          inTime: formatChinaTime(c.inTime),
          minutes: Math.max(0, Math.floor((now - c.inTime) / 60_000)),
          charge: fenToYuan(p.chargeFen),
          paid: fenToYuan(p.paidFen),
          owed: fenToYuan(p.payChargeFen),
          inPaidFreeTime: p.inPaidFreeTime,
          paidFreeUntil: c.paidFreeUntil !== undefined && p.inPaidFreeTime ? formatChinaTime(c.paidFreeUntil) : null,
          monthlyUntil: pass.length > 0 && white ? (white.entry.areasAndValidity.find((a) => a.areaId === c.areaId)?.end ?? white.entry.end) : null,
          waitingAt: c.waitingAt ?? null,
          exitLane: st.lanes.find((x) => x.direction === 'out' && Number(x.sourceAreaId) === c.areaId)?.passagewayId ?? st.lanes.find((x) => x.direction === 'out')?.passagewayId,
        };
      });
  }

  private departedView() {
    return [...this.lot().state.cars.values()]
      .filter((c) => c.outTime !== undefined)
      .sort((a, b) => b.outTime! - a.outTime!)
      .slice(0, 6)
      .map((c) => ({
        plate: c.plate,
        outTime: formatChinaTime(c.outTime!),
        outChannel: c.outChannel ?? '',
        how: c.exitOpenGateMode ?? '',
        paid: fenToYuan(c.payments.reduce((s, p) => s + p.fen, 0)),
      }));
  }

  private faultsView() {
    const f = this.d.bluecard.faults;
    const busyLeft = f
      .list()
      .filter((x) => x.kind === 'http500' && x.errorCode === BUSY_MARK)
      .reduce((s, x) => s + x.remaining, 0);
    return {
      offline: f.conditions.offline,
      slow: f.conditions.slowMs > 0,
      slowMs: f.conditions.slowMs,
      busy: busyLeft > 0,
      busyLeft,
      loseNotification: this.lostArmedAt !== undefined,
    };
  }

  private entryLane(id: string) {
    const lane = this.lot().state.lane(id);
    if (!lane || lane.direction !== 'in') throw new PlaygroundError(400, 'not_an_entry_lane', `lane ${id} is not an entry lane`);
    return lane;
  }

  async arrive(b: z.infer<typeof arrivalBody>) {
    const lane = this.entryLane(b.lane);
    // Like a lot that asks ParkPay at every barrier (4.28 opengate): ParkPay refuses a blacklisted car.
    const r = await this.lot().arrive({ lane: lane.passagewayId, plate: b.plate, askParkPay: true, wait: false });
    return { orderId: r.orderId, plate: r.plate, carType: r.carType, inTime: r.inTime };
  }

  unlicensed(b: z.infer<typeof unlicensedBody>) {
    const lane = this.entryLane(b.lane);
    this.unlicensedWaiting.set(lane.passagewayId, this.d.clock.now());
    return { lane: lane.passagewayId, link: this.laneLink(lane.passagewayId) };
  }

  async depart(b: z.infer<typeof departureBody>) {
    const { d } = this;
    const l = this.lot();
    const car = l.state.cars.get(b.orderId);
    if (!car || car.outTime !== undefined) throw new PlaygroundError(404, 'not_in_park', `no car ${b.orderId} in the park`);
    const laneId = b.lane ?? l.state.lanes.find((x) => x.direction === 'out' && Number(x.sourceAreaId) === car.areaId)?.passagewayId ?? '';
    const lane = l.state.lane(laneId);
    if (!lane || lane.direction !== 'out') throw new PlaygroundError(400, 'not_an_exit_lane', `lane ${laneId} is not an exit lane`);
    let authCode: string | undefined;
    if (b.booth === 'wechat') authCode = d.wechatPay.micropay.issueCode({ behaviour: 'pay' }).code;
    if (b.booth === 'alipay') authCode = d.alipay.paymentCode('demo-driver', 'pay').code;
    const r = await l.leave({
      lane: lane.passagewayId,
      orderId: car.orderId,
      authCode,
      askParkPay: true,
      wait: false,
      ...(b.booth === 'cash' ? { force: true, settle: 'cash' as const } : {}),
    });
    return { left: true, orderId: r.orderId, lane: lane.passagewayId, how: r.record.passInfo.openGateMode, lanePayment: r.lanePayment ?? null };
  }

  /** The fault switches: the lot offline, slow or busy; the next payment notification lost. */
  setFaults(b: z.infer<typeof faultsBody>): void {
    const { d } = this;
    const f = d.bluecard.faults;
    if (b.offline !== undefined) {
      const wasOffline = f.conditions.offline;
      f.conditions.offline = b.offline;
      // Back online: the lot sends what waited (its records) at once, and its heartbeat.
      if (wasOffline && !b.offline) {
        void d.bluecard.flushOutbox();
        void d.bluecard.heartbeatNow(this.P);
      }
    }
    if (b.slow !== undefined) f.conditions.slowMs = b.slow ? SLOW_MS : 0;
    // A busy lot answers HTTP 500 (not a refusal): ParkPay tries again.
    if (b.busy === true) f.add({ kind: 'http500', count: BUSY_CALLS, errorCode: BUSY_MARK });
    // Only the busy answers go; other faults (a test's) stay.
    if (b.busy === false) f.remove((x) => x.kind === 'http500' && x.errorCode === BUSY_MARK);
    if (b.loseNotification === false && this.lostArmedAt !== undefined) this.disarmLost();
    if (b.loseNotification === true && this.lostArmedAt === undefined) {
      this.lostArmedAt = this.lostCount();
      // The next payment notification of either wallet vanishes (whichever the driver pays with).
      d.wechatPay.inject({ kind: 'loseNotification', times: 1 });
      d.alipay.inject({ type: 'lost_notification' });
    }
  }

  /** A monthly pass entered at the lot's booth (offline whitelist); the lot tells ParkPay (4.32). */
  async monthly(b: z.infer<typeof monthlyBody>) {
    const now = this.d.clock.now();
    const until = formatChinaDate(now + (b.days - 1) * 24 * HOUR);
    const item = await this.lot().offlineWhite(
      {
        plate: b.plate,
        chargeType: '不收费',
        name: '',
        certificate: '',
        address: '',
        phone: '',
        plateColor: '蓝牌',
        start: formatChinaDate(now),
        end: until,
        dept: '',
        carType: '月租车',
        memo: '演示月租',
        areasAndValidity: b.areaId !== undefined ? [{ areaId: b.areaId, start: formatChinaDate(now), end: until }] : [],
      },
      '1',
      false,
    );
    return { plate: b.plate, until, sync: item.status };
  }

  /** The wallet's trade a lane screen's QR stands for. */
  scanTarget(code: string): ScanTarget | undefined {
    const w = this.d.wechatPay.orders().find((o) => o.codeUrl === code);
    if (w) return { wallet: 'wechat', outTradeNo: w.outTradeNo, description: w.description, amount: fenToYuan(w.totalFen), state: w.tradeState === 'SUCCESS' ? 'paid' : w.tradeState === 'NOTPAY' ? 'open' : 'closed' };
    const a = this.d.alipay.trades().find((t) => t.qrCode === code);
    if (a) {
      const state = a.tradeStatus === 'TRADE_SUCCESS' || a.tradeStatus === 'TRADE_FINISHED' ? 'paid' : a.tradeStatus === 'TRADE_CLOSED' ? 'closed' : 'open';
      return { wallet: 'alipay', outTradeNo: a.outTradeNo, description: a.subject, amount: fenToYuan(a.totalFen), state };
    }
    return undefined;
  }
}
