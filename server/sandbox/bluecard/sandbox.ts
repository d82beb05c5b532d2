/**
 * The Bluecard sandbox: a local HTTP server that behaves like a Bluecard cloud for one or more parks, so
 * ParkPay's tests and demo mode run against it instead of the real (unreachable) Bluecard.
 *
 *   POST /bcopenapi/out/<name>   the down interfaces (4.4–4.11, 4.18–4.20, 4.22, 4.23, 4.29, 4.30, 4.33, 4.34)
 *   GET  /images/<name>          the pictures 4.20 / 4.34 point at
 *   /sandbox/...                 the control API (control-router.ts)
 *
 * and calls ParkPay's inbound URLs like the lot: heartbeat every `heartbeatMs` (real time), entry and exit
 * records (resent on the sandbox clock, outbox.ts), and the lane interactions on demand (lot.ts).
 */
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import Koa from 'koa';
import Router from '@koa/router';
import { type Clock, ScaledClock } from '../../src/core/clock';
import { controlRouter } from './control-router';
import { type ParkDefinition, definitionProblems } from './definitions';
import { downRouter } from './down-router';
import { FaultInjector } from './faults';
import { SandboxPark } from './lot';
import { DEFAULT_RESEND, Outbox, type ResendPolicy } from './outbox';
import { ParkState } from './park';
import type { ParkEvents } from './park-model';
import { ClockScheduler, type SandboxScheduler } from './scheduler';
import { DEFAULT_PARKPAY_PATHS, ParkPayLink, UP_PATH_OF, type ParkPayPaths, type UpResult } from './uplink';
import { aboutBody, Journal, SECTION_TITLES, type GateEvent, type LotCall } from './call-log';

export interface BluecardSandboxOptions {
  parks: ParkDefinition[];
  /** ParkPay's base URL (e.g. http://127.0.0.1:8080); settable later with setParkPayBaseUrl. */
  parkPayBaseUrl?: string;
  /** ParkPay's inbound paths, when they differ from DEFAULT_PARKPAY_PATHS. */
  parkPayPaths?: Partial<ParkPayPaths>;
  /** Drives every time of the lot. Default: a ScaledClock at speed 1 from now. */
  clock?: Clock;
  /**
   * The control API only moves the clock forward (/sandbox/clock to an earlier time answers 409
   * clock_backwards): demo mode shares it with ParkPay, whose leases, expiries and retry schedules assume
   * time does not go back. In-process callers (tests placing a car's entry in the past) may still set it.
   */
  clockForwardOnly?: boolean;
  /** Timers on the sandbox clock (resends, face-to-face polls). Default: a ClockScheduler polling every 200 ms. */
  scheduler?: SandboxScheduler;
  /** Real ms between heartbeats (4.1, spec: 30 s); 0 turns them off. */
  heartbeatMs?: number;
  host?: string;
  /** 0 (default): any free port. */
  port?: number;
  /** Base URL the lot's picture links use (default: the sandbox's own URL). */
  publicUrl?: string;
  resend?: Partial<ResendPolicy>;
  /** Real ms an up call may take (default 10 s). */
  parkPayTimeoutMs?: number;
  /** First orderId (default: derived from the real time, so a restarted sandbox does not reuse ids). */
  orderIdStart?: number;
  /** A payment (4.5, lane pay) that settles a car waiting at an exit lane lets it out (default true). */
  autoExitOnPayment?: boolean;
  /**
   * A plated car owing money at an exit lane makes the lot ask ParkPay with 4.16 (agreement → paid and out;
   * else a payment QR on the lane screen, polled with 4.17), as a lot using ParkPay for lane payments does
   * (default false: the car is refused, unpaid, and a test asks 4.16 itself).
   */
  exitWithholding?: boolean;
  /** Send the lanes (4.21) at start, as a lot does when its lanes change (default true). */
  announceLanesOnStart?: boolean;
  /** 4.14: send base64 '+' as ' ' like the HTTP stack the spec describes (default false). */
  manglePlusInImages?: boolean;
  /** Where the sandbox reports its own problems (default: console.error). */
  onError?: (e: unknown) => void;
}

export interface BluecardSandbox {
  url: string;
  clock: Clock;
  scheduler: SandboxScheduler;
  outbox: Outbox;
  faults: FaultInjector;
  /** The in-process API of one park (throws for an unknown park). */
  park(parkNumber: string): SandboxPark;
  parks(): SandboxPark[];
  parkPayBaseUrl(): string | undefined;
  /** Point the lot at ParkPay (or nowhere) and deliver what waited. */
  setParkPayBaseUrl(url: string | undefined): Promise<void>;
  heartbeatNow(parkNumber?: string): Promise<UpResult[]>;
  /** Deliver every pending record now, due or not. */
  flushOutbox(options?: { parkNumber?: string }): Promise<void>;
  /** Calls between the lot and ParkPay, both ways (newest 500). */
  calls: Journal<LotCall>;
  /** Barrier openings (newest 200). */
  gates: Journal<GateEvent>;
  clockSettable(): boolean;
  clockForwardOnly(): boolean;
  clockSpeed(): number | undefined;
  /** Move a settable clock forward, running each timer at its due instant (the resend schedule, instantly). */
  advanceClock(ms: number): Promise<void>;
  setClock(ms: number): Promise<void>;
  setClockSpeed(factor: number): void;
  /** Every park back to its definition; outbox, faults and pollers cleared. */
  reset(): Promise<void>;
  stop(): Promise<void>;
}

type SettableClock = Clock & { set(ms: number): void };
const isSettable = (c: Clock): c is SettableClock => typeof (c as Partial<SettableClock>).set === 'function';

export async function startBluecardSandbox(options: BluecardSandboxOptions): Promise<BluecardSandbox> {
  checkDefinitions(options.parks);
  const onError = options.onError ?? ((e: unknown) => console.error('[bluecard-sandbox]', e));
  const clock = options.clock ?? new ScaledClock(Date.now(), 1);
  const scheduler = options.scheduler ?? new ClockScheduler(clock, { pollMs: 200, onError });
  let parkPayBaseUrl = options.parkPayBaseUrl;
  let url = '';

  const faults = new FaultInjector();
  const calls = new Journal<LotCall>(500);
  const gates = new Journal<GateEvent>(200);
  const link = parkPayLink(options, clock, () => parkPayBaseUrl, faults, calls);
  const lots = new Map<string, SandboxPark>();
  const outbox = new Outbox({
    clock,
    scheduler,
    link,
    park: (pn) => lots.get(pn)?.definition,
    policy: { ...DEFAULT_RESEND, ...(options.resend ?? {}) },
    onError,
  });
  const kick = () => void outbox.flush();
  addParks(lots, options, { clock, scheduler, link, outbox, gates, kick, imageBaseUrl: () => (options.publicUrl ?? url).replace(/\/+$/, '') });

  const hangs = new Hangs();
  const holder: { sandbox?: BluecardSandbox } = {};
  const app = sandboxApp({ lots, faults, calls, clock, kick, hangs, onError, sandbox: () => holder.sandbox! });
  const host = options.host ?? '127.0.0.1';
  const server = await listen(app, host, options.port ?? 0);
  url = `http://${host.includes(':') ? `[${host}]` : host}:${(server.address() as AddressInfo).port}`;

  const heartbeats = startHeartbeats(lots, options.heartbeatMs ?? 30_000, () => Boolean(parkPayBaseUrl), onError);

  let stopped: Promise<void> | undefined;
  const sandbox: BluecardSandbox = {
    url,
    clock,
    scheduler,
    outbox,
    faults,
    calls,
    gates,
    park(parkNumber) {
      const lot = lots.get(parkNumber);
      if (!lot) throw new Error(`bluecard sandbox: no park ${parkNumber}`);
      return lot;
    },
    parks: () => [...lots.values()],
    parkPayBaseUrl: () => parkPayBaseUrl,
    async setParkPayBaseUrl(u) {
      parkPayBaseUrl = u;
      if (u) await outbox.flush({ force: true });
    },
    heartbeatNow: (parkNumber) => heartbeats.now(parkNumber),
    flushOutbox: (o = {}) => outbox.flush({ force: true, parkNumber: o.parkNumber }),
    ...clockControls(clock, scheduler, options.clockForwardOnly === true),
    async reset() {
      await outbox.idle();
      outbox.clear();
      faults.clear();
      for (const lot of lots.values()) lot.reset();
    },
    stop() {
      return (stopped ??= (async () => {
        heartbeats.stop();
        scheduler.stop();
        outbox.stop();
        link.abortAll();
        hangs.releaseAll();
        await outbox.idle();
        await close(server);
      })());
    },
  };

  holder.sandbox = sandbox;
  if (options.announceLanesOnStart ?? true) {
    for (const lot of lots.values()) void lot.sendChannels(false).catch(onError);
  }
  return sandbox;
}

/** The sandbox's lots, one per definition; their states start orderIds at `orderIdStart` (or near the real time). */
function addParks(
  lots: Map<string, SandboxPark>,
  options: BluecardSandboxOptions,
  p: { clock: Clock; scheduler: SandboxScheduler; link: ParkPayLink; outbox: Outbox; gates: Journal<GateEvent>; kick: () => void; imageBaseUrl: () => string },
): void {
  const { clock, scheduler, link, outbox } = p;
  const orderIdStart = options.orderIdStart ?? Math.floor((Date.now() - Date.UTC(2020, 0, 1)) / 1000) * 10;
  const makeState = (def: ParkDefinition, start: number | undefined) =>
    new ParkState(def, {
      clock,
      orderIdStart: start ?? orderIdStart,
      autoExitOnPayment: options.autoExitOnPayment ?? true,
      imageBaseUrl: p.imageBaseUrl,
      events: parkEvents({ clock, gates: p.gates, outbox, lots, kick: p.kick }),
    });
  for (const def of options.parks) {
    lots.set(def.parkNumber, new SandboxPark(def, { clock, link, outbox, scheduler, makeState, exitWithholding: options.exitWithholding }));
  }
}

/** 4.1 from every lot every `everyMs` of real time while ParkPay is known (0: only on demand). */
function startHeartbeats(lots: Map<string, SandboxPark>, everyMs: number, active: () => boolean, onError: (e: unknown) => void) {
  const now = async (parkNumber?: string) => {
    const targets = [...lots.values()].filter((l) => parkNumber === undefined || l.parkNumber === parkNumber);
    return Promise.all(targets.map((l) => l.heartbeat()));
  };
  const timer =
    everyMs > 0
      ? setInterval(() => {
          if (active()) now().catch(onError);
        }, everyMs)
      : undefined;
  timer?.unref();
  return {
    now,
    stop: () => {
      if (timer) clearInterval(timer);
    },
  };
}

/** Parks the sandbox can run: each definition sound, park numbers unique, at least one. Throws otherwise. */
function checkDefinitions(parks: ParkDefinition[]): void {
  const problems = parks.flatMap(definitionProblems);
  const numbers = parks.map((p) => p.parkNumber);
  if (new Set(numbers).size !== numbers.length) problems.push('the same parkNumber twice');
  if (parks.length === 0) problems.push('no parks');
  if (problems.length > 0) throw new Error(`bluecard sandbox: ${problems.join('; ')}`);
}

/** The lot's calls to ParkPay, each written to the call log. */
function parkPayLink(options: BluecardSandboxOptions, clock: Clock, baseUrl: () => string | undefined, faults: FaultInjector, calls: Journal<LotCall>): ParkPayLink {
  const paths = { ...DEFAULT_PARKPAY_PATHS, ...(options.parkPayPaths ?? {}) };
  return new ParkPayLink({
    baseUrl,
    paths,
    timeoutMs: options.parkPayTimeoutMs ?? 10_000,
    clock,
    manglePlusInImages: options.manglePlusInImages,
    offline: () => faults.conditions.offline,
    onSent: (park, body, r) => {
      calls.add({
        at: r.at,
        direction: 'up',
        parkNumber: park.parkNumber,
        section: r.section,
        name: paths[UP_PATH_OF[r.section]].split('/').pop() || r.section,
        title: SECTION_TITLES[r.section] ?? r.section,
        outcome: r.status === 'success' || r.status === 'fail' || r.status === 'self' ? r.status : 'error',
        httpStatus: r.httpStatus,
        ms: r.ms,
        detail: [aboutBody(body), r.errorCode ?? (r.status === undefined ? r.error : undefined)].filter(Boolean).join(' · ') || undefined,
      });
    },
  });
}

/** What happens at a lot's gates: logged as gate events, and the records they make queued for ParkPay. */
function parkEvents(p: { clock: Clock; gates: Journal<GateEvent>; outbox: Outbox; lots: Map<string, SandboxPark>; kick: () => void }): ParkEvents {
  const { clock, gates, outbox, lots, kick } = p;
  return {
    lifted: (park, lift) => {
      gates.add({ at: lift.at, parkNumber: park.parkNumber, passagewayId: lift.passagewayId, kind: 'lift', how: lift.via });
    },
    entered: (park, car) => {
      gates.add({ at: car.inTime, parkNumber: park.parkNumber, passagewayId: car.inLaneId, kind: 'in', plate: car.plate, orderId: car.orderId, how: car.openGateMode });
      outbox.enqueue(park.parkNumber, 'entry', car.orderId, park.entryRecord(car), car.inTime);
      kick();
    },
    left: (park, car, record) => {
      gates.add({ at: car.outTime ?? clock.now(), parkNumber: park.parkNumber, passagewayId: car.outLaneId ?? '', kind: 'out', plate: car.plate, orderId: car.orderId, how: car.exitOpenGateMode });
      // 4.2: an entry record is resent "直至发送成功或者车辆已出场为止".
      outbox.drop(park.parkNumber, 'entry', car.orderId, 'car left');
      outbox.enqueue(park.parkNumber, 'exit', car.orderId, record, car.outTime);
      kick();
    },
    offlinePayment: (park, car, payment) => {
      const lot = lots.get(park.parkNumber);
      if (lot) outbox.enqueue(park.parkNumber, 'chargeRecord', car.orderId, lot.chargeRecord(car, payment), payment.receivedAt);
      kick();
    },
  };
}

/** Connections a timeout fault holds; stop() lets them go. */
class Hangs {
  private readonly held = new Set<() => void>();

  hang(ms: number): Promise<void> {
    return new Promise<void>((resolve) => {
      const done = () => {
        clearTimeout(timer);
        this.held.delete(done);
        resolve();
      };
      const timer = setTimeout(done, ms);
      this.held.add(done);
    });
  }

  releaseAll(): void {
    for (const done of [...this.held]) done();
  }
}

/** The HTTP side: the down interfaces, the pictures, the control API. */
function sandboxApp(p: {
  lots: Map<string, SandboxPark>;
  faults: FaultInjector;
  calls: Journal<LotCall>;
  clock: Clock;
  kick: () => void;
  hangs: Hangs;
  onError: (e: unknown) => void;
  sandbox: () => BluecardSandbox;
}): Koa {
  const { lots, calls, clock } = p;
  const app = new Koa();
  app.silent = true;
  app.on('error', (e: unknown) => p.onError(e));
  const down = downRouter({
    park: (pn) => lots.get(pn)?.state,
    faults: p.faults,
    afterCall: p.kick,
    hang: (ms) => p.hangs.hang(ms),
    onBug: p.onError,
    onCall: (c) => {
      calls.add({
        at: clock.now(),
        direction: 'down',
        parkNumber: c.parkNumber,
        section: c.section ?? '',
        name: c.name,
        title: (c.section && SECTION_TITLES[c.section]) || c.name,
        outcome: c.outcome,
        httpStatus: c.httpStatus,
        ms: c.ms,
        detail: [aboutBody(c.body), c.errorCode].filter(Boolean).join(' · ') || undefined,
      });
    },
  });
  for (const r of [down, imagesRouter(lots), controlRouter(p.sandbox)]) {
    app.use(r.routes());
    app.use(r.allowedMethods());
  }
  return app;
}

/** GET /images/<name>: the pictures 4.20 / 4.34 point at, from whichever lot has it. */
function imagesRouter(lots: Map<string, SandboxPark>): Router {
  const images = new Router();
  images.get('/images/:name', (ctx) => {
    const name = ctx.params.name;
    for (const lot of lots.values()) {
      const bytes = lot.state.images.get(name);
      if (bytes) {
        ctx.type = 'image/jpeg';
        ctx.body = bytes;
        return;
      }
    }
    ctx.status = 404;
    ctx.body = { error: { code: 'not_found', message: `no picture ${name}` } };
  });
  return images;
}

async function listen(app: Koa, host: string, port: number): Promise<http.Server> {
  const server = http.createServer(app.callback());
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(port, host, () => resolve());
  });
  return server;
}

async function close(server: http.Server): Promise<void> {
  const closed = new Promise<void>((resolve) => server.close(() => resolve()));
  server.closeAllConnections();
  await closed;
}

/** The clock as the control API moves it: set and advanced (timers run on the way) when settable, sped up when scaled. */
function clockControls(
  clock: Clock,
  scheduler: SandboxScheduler,
  forwardOnly: boolean,
): Pick<BluecardSandbox, 'clockSettable' | 'clockForwardOnly' | 'clockSpeed' | 'advanceClock' | 'setClock' | 'setClockSpeed'> {
  return {
    clockSettable: () => isSettable(clock),
    clockForwardOnly: () => forwardOnly,
    clockSpeed: () => (clock instanceof ScaledClock ? clock.speed : undefined),
    async advanceClock(ms) {
      if (!isSettable(clock)) throw new Error('the sandbox clock cannot be set');
      await scheduler.runUntil(clock.now() + ms, (t) => clock.set(t));
    },
    async setClock(ms) {
      if (!isSettable(clock)) throw new Error('the sandbox clock cannot be set');
      // Forward: run the timers on the way; backward: just set.
      if (ms >= clock.now()) await scheduler.runUntil(ms, (t) => clock.set(t));
      else clock.set(ms);
    },
    setClockSpeed(factor) {
      if (!(clock instanceof ScaledClock)) throw new Error('only a ScaledClock has a speed');
      clock.setFactor(factor);
    },
  };
}
