/**
 * The typed outbound client for every down interface of the Bluecard cloud-to-cloud protocol v2.6.0
 * (we → Bluecard, `POST <bluecardBaseUrl>/bcopenapi/out/<path>`).
 *
 * Each call: build the body from business arguments (fen → yuan, instants → China time, plates as given)
 * → validate it with the interface's EXACT schema (a bug on our side throws 'invalid_request' before
 * anything goes on the wire) → POST JSON with header `sign: md5(key + parkNumber)` → parse the answer with
 * the TOLERANT schema → return `datas` on success, else throw a BluecardError (errors.ts).
 *
 * Retry and timeout policy. "auto": the client itself repeats a timeout, a network error or an HTTP
 * 5xx/429, at most twice, after 200 ms then 600 ms (injectable sleep). Never repeated by anyone: a
 * 'rejected' answer (status fail), another 4xx, a bad answer, an invalid request.
 *
 * | §    | path                  | auto retry | timeout | why                                                        |
 * |------|-----------------------|------------|---------|------------------------------------------------------------|
 * | 4.4  | getChargebf           | yes        | 5 s     | pricing has no effect but a fresh outTradeNo (last wins);  |
 * |      |                       |            |         | a driver waits: all attempts within 8 s (budget)           |
 * | 4.5  | sendPayRes            | NO         | 5 s     | opens the gate; its durable delivery job owns retries with |
 * |      |                       |            |         | a stable transactionID (error.retryable tells it when)     |
 * | 4.6  | synWhite              | yes, paced | 10 s    | upsert keyed by plate; ≤50 a call, ≥5 s after last answer  |
 * | 4.7  | delWhite              | yes        | 5 s     | delete keyed by plate                                      |
 * | 4.8  | queryWhite            | yes        | 10 s    | query                                                      |
 * | 4.9  | synBlack              | yes, paced | 10 s    | upsert keyed by plate; paced like 4.6 to be safe           |
 * | 4.10 | delBlack              | yes        | 5 s     | delete keyed by plate                                      |
 * | 4.11 | queryBlack            | yes        | 10 s    | query                                                      |
 * | 4.18 | synBookingCar         | NO         | 5 s     | issues/cancels a booking; the booking flow owns repeats    |
 * | 4.19 | queryBookingCar       | yes        | 10 s    | query                                                      |
 * | 4.20 | queryImgByName        | yes        | 5 s     | query                                                      |
 * | 4.22 | RemoteLiftRod         | NO         | 5 s     | a second lift is a second barrier opening (retryable=false)|
 * | 4.23 | coupon                | NO         | 5 s     | a second send could be a second coupon (retryable=false)   |
 * | 4.29 | unlicensedCarIn       | NO         | 5 s     | the lot opens the entry barrier on it (retryable=false)    |
 * | 4.30 | unlicensedCarOut      | NO         | 5 s     | prices the stay; the driver's rescan repeats it (budget)   |
 * | 4.33 | getAllSpaceStatus     | yes        | 10 s    | query (every space of the lot)                             |
 * | 4.34 | getSpaceStatusByPlate | yes        | 10 s    | query ("" = every unlicensed car); a driver waits (budget) |
 *
 * Budget: a call a driver's screen waits on gives up, retries included, after DRIVER_WAIT_BUDGET_MS (8 s):
 * each attempt's timeout is cut to what is left, and no retry starts with less than 1 s left. The app waits
 * 15 s (APP_GIVE_UP_MS), so the driver hears "the lot is slow" from us rather than "your network failed".
 *
 * Pacing (4.6, and 4.9 to be safe): each request waits until ≥5 s after the lot's previous answer of the
 * interface for the park (any outcome, retries included), whichever ParkPay process made it. A request takes
 * the park's slot of the interface (`slots`, core/lot/call-slots.ts: the database's in production, so every
 * process keeps one pace) once it is free, holds it while on the wire and frees it at its answer + 5 s.
 * Free times are on the injectable clock and waited with the injectable sleep; a slot held by a request of
 * another process is looked at again every SLOT_POLL_MS of real time (its answer is a real-time event). In
 * one client the calls of a park's interface also queue in order, so they do not race each other for it.
 */
import {
  type BluecardAnswer,
  type CouponAnswerDatas,
  type DelBlackAnswerDatas,
  type DelWhiteAnswerDatas,
  type GetAllSpaceStatusAnswerDatas,
  type GetChargebfAnswerDatas,
  type GetSpaceStatusByPlateAnswerDatas,
  type QueryBlackAnswerDatas,
  type QueryBookingCarAnswerDatas,
  type QueryImgByNameAnswerDatas,
  type QueryWhiteAnswerDatas,
  type RemoteLiftRodAnswerDatas,
  type SendPayResAnswerDatas,
  type SynBlackAnswerDatas,
  type SynBookingCarAnswerDatas,
  type SynWhiteAnswerDatas,
  type UnlicensedCarInAnswerDatas,
  type UnlicensedCarOutAnswerDatas,
  downUrl,
} from '../../../../shared/bluecard';
import { yuanToFen } from '../../../../shared/money';
import { randomUUID } from 'node:crypto';
import { type Clock, systemClock } from '../../core/clock';
import { type CallSlots, MemoryCallSlots } from '../../core/lot/call-slots';
import type { Park } from '../../core/parks';
import { bluecardSign } from './requests';
import { DEFAULT_BACKOFF_MS, DOWN_CALLS, type DownCall, type DownCallName, LIST_CHUNK_MAX, MIN_ATTEMPT_MS } from './calls';
import { BluecardError, type BluecardErrorKind, type SyncProgress } from './errors';
import {
  type BlacklistEntryArgs,
  type BlacklistSource,
  type BookingArgs,
  type CouponArgs,
  type GetChargebfArgs,
  type QueryBookingArgs,
  type SendPayResArgs,
  type UnlicensedArgs,
  type WhitelistEntryArgs,
  couponBody,
  getAllSpaceStatusBody,
  getChargebfBody,
  getSpaceStatusByPlateBody,
  plateBody,
  plateQueryBody,
  queryBookingCarBody,
  queryImgByNameBody,
  remoteLiftRodBody,
  sendPayResBody,
  synBlackBody,
  synBookingCarBody,
  synWhiteBody,
  unlicensedCarInBody,
  unlicensedCarOutBody,
} from './requests';
import type { Log } from '../../core/log';

// ---- the HTTP seam ----------------------------------------------------------------------------------
// Injectable like stripe-node's HTTP client: production uses the global fetch, tests pass their own (or
// wrap this one to watch the calls).

export interface TransportRequest {
  method: 'POST';
  headers: Record<string, string>;
  body: string;
  /** Aborted by the client when its timeout fires. */
  signal: AbortSignal;
}

export interface TransportResponse {
  status: number;
  text: string;
}

export type Transport = (url: string, init: TransportRequest) => Promise<TransportResponse>;

/**
 * POST with the global fetch. Redirects are NOT followed: a 3xx comes back as an 'http' error rather than
 * carrying the `sign` header to wherever the redirect points.
 */
export const fetchTransport: Transport = async (url, init) => {
  const res = await fetch(url, {
    method: init.method,
    headers: init.headers,
    body: init.body,
    signal: init.signal,
    redirect: 'manual',
  });
  return { status: res.status, text: await res.text() };
};

/** Wait `ms`; resolves early (does not reject) when `signal` aborts: callers check `signal.aborted`. */
export type Sleep = (ms: number, signal?: AbortSignal) => Promise<void>;

export const realSleep: Sleep = (ms, signal) =>
  new Promise<void>((resolve) => {
    if (signal?.aborted) return resolve();
    const done = () => {
      clearTimeout(timer);
      signal?.removeEventListener('abort', done);
      resolve();
    };
    const timer = setTimeout(done, Math.max(0, ms));
    signal?.addEventListener('abort', done, { once: true });
  });

/** The client's logger. It never logs the key, the sign or request bodies. */
export type BluecardLogger = Log;

export interface BluecardClientOptions {
  /** HTTP seam; default: the global fetch. */
  transport?: Transport;
  /** Used for pacing (4.6/4.9) and durations. Default: the system clock. */
  clock?: Clock;
  /**
   * Where the pace of 4.6/4.9 is kept per park: shared by every process that calls the lot (the database's
   * slots in production). Default: this client's own.
   */
  slots?: CallSlots;
  /**
   * Per-call timeout: a number for every interface, or overrides by interface (the rest keep the table's
   * 5 s / 10 s).
   */
  timeoutMs?: number | Partial<Record<DownCallName, number>>;
  /** Overrides of the table's budgets (the whole of a call a driver waits on), by interface. */
  budgetMs?: Partial<Record<DownCallName, number>>;
  /** Waits before the automatic retries of 'auto' interfaces; default [200, 600]; [] disables retries. */
  backoffMs?: readonly number[];
  logger?: BluecardLogger;
  /** Used for backoff and pacing waits; default: setTimeout. */
  sleep?: Sleep;
  /** Told after every request on the wire (metrics): which park and interface, how it went, how long it took (real time). */
  onAttempt?: (a: AttemptReport) => void;
}

export interface AttemptReport {
  parkNumber: string;
  /** The tail of /bcopenapi/out/<path>, e.g. sendPayRes. */
  path: string;
  /** 'ok', or the failure's kind (timeout, network, http, rejected, bad_answer). */
  outcome: 'ok' | BluecardErrorKind;
  seconds: number;
}

/** The money of a priced stay in integer fen (the strings of the answer stay as Bluecard gave them). */
export interface StayFen {
  charge: number;
  payCharge: number;
  paidTotal: number;
  profitChargeTotal: number;
}
/** 4.4 answer datas plus its money in fen. */
export type PricedStay = GetChargebfAnswerDatas & { fen: StayFen };
/** 4.30 answer datas plus its money in fen. */
export type PricedUnlicensedStay = UnlicensedCarOutAnswerDatas & { fen: StayFen };

export interface SyncOptions {
  /** Called after each acknowledged chunk. */
  onProgress?: (progress: SyncProgress) => void;
  /**
   * Stops the sync before the next request (also while waiting for the 5 s pace or a retry backoff). A
   * request already on the wire is let finish, so its outcome is known; a chunk whose automatic retry was
   * skipped by the abort is not counted as applied.
   */
  signal?: AbortSignal;
}

/** What a sync did. On a failed chunk it throws instead: a BluecardError with `progress`. */
export interface SyncOutcome extends SyncProgress {
  /** True when the signal stopped it before all chunks were sent. */
  aborted: boolean;
  /** Plates Bluecard acknowledged, as the caller spelled them. */
  applied: string[];
}

const noopLogger: BluecardLogger = { info: () => undefined, warn: () => undefined, error: () => undefined };

/** The pacing wait was aborted before the request went on the wire. */
class AbortedBeforeSend extends Error {}

/** One client's queue of a park's paced interface. */
interface Lane {
  key: string;
  tail: Promise<void>;
}

/** How often a slot another process holds (its request on the wire) is looked at again, in real time. */
const SLOT_POLL_MS = 100;
/** A slot is held past the request's timeout and the pace by this much (a process that dies holding it). */
const SLOT_HOLD_MARGIN_MS = 5_000;

/** One attempt failed (internal: attempts() decides whether to try again, then throws `error`). */
class AttemptFailed extends Error {
  constructor(
    readonly error: BluecardError,
    /** A timeout, network error or HTTP 5xx/429: worth repeating where repeating is harmless. */
    readonly transient: boolean,
  ) {
    super(error.message);
  }
}

export class BluecardClient {
  private readonly transport: Transport;
  private readonly clock: Clock;
  private readonly timeouts: number | Partial<Record<DownCallName, number>> | undefined;
  private readonly budgets: Partial<Record<DownCallName, number>>;
  private readonly backoffMs: readonly number[];
  private readonly log: BluecardLogger;
  private readonly sleep: Sleep;
  private readonly onAttempt: ((a: AttemptReport) => void) | undefined;
  /** Pacing lanes by `<parkNumber> <path>`. */
  private readonly lanes = new Map<string, Lane>();
  private readonly slots: CallSlots;

  constructor(options: BluecardClientOptions = {}) {
    this.transport = options.transport ?? fetchTransport;
    this.clock = options.clock ?? systemClock;
    this.timeouts = options.timeoutMs;
    this.budgets = options.budgetMs ?? {};
    this.backoffMs = options.backoffMs ?? DEFAULT_BACKOFF_MS;
    this.log = options.logger ?? noopLogger;
    this.sleep = options.sleep ?? realSleep;
    this.onAttempt = options.onAttempt;
    this.slots = options.slots ?? new MemoryCallSlots();
  }

  // -------------------------------------------------------------------------------------------------------
  // 4.4, 4.5: pricing and payment

  /** 4.4: price a stay now. Returns the answer with its money also in fen. Auto-retried. */
  async getChargebf(park: Park, args: GetChargebfArgs): Promise<PricedStay> {
    return this.call(park, DOWN_CALLS.getChargebf, () => getChargebfBody(park.parkNumber, args), { map: withFen });
  }

  /**
   * 4.5: tell the lot a payment succeeded (the gate opens on it). NEVER retried here: the delivery job
   * repeats it with the same transactionID when `error.retryable`.
   */
  async sendPayRes(park: Park, args: SendPayResArgs): Promise<SendPayResAnswerDatas> {
    return this.call(park, DOWN_CALLS.sendPayRes, () => sendPayResBody(park.parkNumber, args));
  }

  // -------------------------------------------------------------------------------------------------------
  // 4.6–4.8: whitelist

  /** 4.6: upsert 1–50 whitelist entries (paced ≥5 s after the previous answer). More: syncWhitelist. */
  async synWhite(park: Park, entries: readonly WhitelistEntryArgs[]): Promise<SynWhiteAnswerDatas> {
    return this.call(park, DOWN_CALLS.synWhite, () => synWhiteBody(park.parkNumber, chunkOf(entries)));
  }

  /** 4.6 for any number of entries: chunks of ≤50, ≥5 s after each answer, progress, abort. */
  async syncWhitelist(park: Park, entries: readonly WhitelistEntryArgs[], options: SyncOptions = {}): Promise<SyncOutcome> {
    return this.syncList(park, DOWN_CALLS.synWhite, entries, (chunk) => synWhiteBody(park.parkNumber, chunk), options);
  }

  /** 4.7: delete one plate from the online whitelist. An empty plate is refused: see clearWhitelist. */
  async delWhite(park: Park, plate: string): Promise<DelWhiteAnswerDatas> {
    return this.call(park, DOWN_CALLS.delWhite, () => plateBody(park.parkNumber, nonEmptyPlate(plate, 'clearWhitelist')));
  }

  /** 4.7 with plate "": deletes ALL online whitelist entries of the lot. */
  async clearWhitelist(park: Park): Promise<DelWhiteAnswerDatas> {
    return this.call(park, DOWN_CALLS.delWhite, () => plateBody(park.parkNumber, ''));
  }

  /** 4.8: the whitelist entries of these plates. */
  async queryWhite(park: Park, plates: readonly string[]): Promise<QueryWhiteAnswerDatas> {
    return this.call(park, DOWN_CALLS.queryWhite, () => plateQueryBody(park.parkNumber, plates));
  }

  // -------------------------------------------------------------------------------------------------------
  // 4.9–4.11: blacklist

  /**
   * 4.9: upsert 1–50 blacklist entries, source "线上" by default. The spec sets no limit or pace for 4.9;
   * we apply 4.6's (≤50, ≥5 s) to be safe. More: syncBlacklist.
   */
  async synBlack(park: Park, entries: readonly BlacklistEntryArgs[], source: BlacklistSource = '线上'): Promise<SynBlackAnswerDatas> {
    return this.call(park, DOWN_CALLS.synBlack, () => synBlackBody(park.parkNumber, chunkOf(entries), source));
  }

  /** 4.9 for any number of entries, source "线上": chunked and paced like syncWhitelist (to be safe). */
  async syncBlacklist(park: Park, entries: readonly BlacklistEntryArgs[], options: SyncOptions = {}): Promise<SyncOutcome> {
    return this.syncList(park, DOWN_CALLS.synBlack, entries, (chunk) => synBlackBody(park.parkNumber, chunk, '线上'), options);
  }

  /** 4.10: delete one plate from the blacklist. An empty plate is refused: see clearBlacklist. */
  async delBlack(park: Park, plate: string): Promise<DelBlackAnswerDatas> {
    return this.call(park, DOWN_CALLS.delBlack, () => plateBody(park.parkNumber, nonEmptyPlate(plate, 'clearBlacklist')));
  }

  /** 4.10 with plate "": deletes ALL blacklist entries of the lot. */
  async clearBlacklist(park: Park): Promise<DelBlackAnswerDatas> {
    return this.call(park, DOWN_CALLS.delBlack, () => plateBody(park.parkNumber, ''));
  }

  /** 4.11: the blacklist entries of these plates. */
  async queryBlack(park: Park, plates: readonly string[]): Promise<QueryBlackAnswerDatas> {
    return this.call(park, DOWN_CALLS.queryBlack, () => plateQueryBody(park.parkNumber, plates));
  }

  // -------------------------------------------------------------------------------------------------------
  // 4.18, 4.19: bookings

  /** 4.18: issue ('book') or cancel bookings. Not retried: the booking flow repeats it by bookOrderId. */
  async synBookingCar(park: Park, bookings: readonly BookingArgs[]): Promise<SynBookingCarAnswerDatas> {
    return this.call(park, DOWN_CALLS.synBookingCar, () => synBookingCarBody(park.parkNumber, bookings));
  }

  /** 4.19: open bookings by plates and/or time window (none = all). */
  async queryBookingCar(park: Park, query: QueryBookingArgs = {}): Promise<QueryBookingCarAnswerDatas> {
    return this.call(park, DOWN_CALLS.queryBookingCar, () => queryBookingCarBody(park.parkNumber, query));
  }

  // -------------------------------------------------------------------------------------------------------
  // 4.20, 4.22, 4.23: images, barrier, coupons

  /** 4.20: image URLs for picture names, passed exactly as the records had them. */
  async queryImgByName(park: Park, names: readonly string[]): Promise<QueryImgByNameAnswerDatas> {
    return this.call(park, DOWN_CALLS.queryImgByName, () => queryImgByNameBody(park.parkNumber, names));
  }

  /** 4.22: open one lane's barrier now. Never retried: a second lift is a second opening. */
  async remoteLiftRod(park: Park, passagewayId: string): Promise<RemoteLiftRodAnswerDatas> {
    return this.call(park, DOWN_CALLS.remoteLiftRod, () => remoteLiftRodBody(park.parkNumber, passagewayId));
  }

  /** 4.23: give coupons (ids numbered from 1). Hour coupons in minutes, money coupons in fen. Never retried. */
  async coupon(park: Park, coupons: readonly CouponArgs[]): Promise<CouponAnswerDatas> {
    return this.call(park, DOWN_CALLS.coupon, () => couponBody(park.parkNumber, coupons));
  }

  // -------------------------------------------------------------------------------------------------------
  // 4.29, 4.30: unlicensed cars

  /** 4.29: the driver scanned the entry lane code; returns the temporary plate. Never retried. */
  async unlicensedCarIn(park: Park, args: UnlicensedArgs): Promise<UnlicensedCarInAnswerDatas> {
    return this.call(park, DOWN_CALLS.unlicensedCarIn, () => unlicensedCarInBody(park.parkNumber, args));
  }

  /** 4.30: the driver scanned the exit lane code; returns the priced stay (money also in fen). Not retried. */
  async unlicensedCarOut(park: Park, args: UnlicensedArgs): Promise<PricedUnlicensedStay> {
    return this.call(park, DOWN_CALLS.unlicensedCarOut, () => unlicensedCarOutBody(park.parkNumber, args), { map: withFen });
  }

  // -------------------------------------------------------------------------------------------------------
  // 4.33, 4.34: parking guidance

  /** 4.33: every space of the lot. */
  async getAllSpaceStatus(park: Park): Promise<GetAllSpaceStatusAnswerDatas> {
    return this.call(park, DOWN_CALLS.getAllSpaceStatus, () => getAllSpaceStatusBody(park.parkNumber));
  }

  /** 4.34: where is a car: fuzzy plate of ≥4 characters, or "" for every unlicensed car. */
  async getSpaceStatusByPlate(park: Park, plate: string): Promise<GetSpaceStatusByPlateAnswerDatas> {
    return this.call(park, DOWN_CALLS.getSpaceStatusByPlate, () => getSpaceStatusByPlateBody(park.parkNumber, plate));
  }

  // -------------------------------------------------------------------------------------------------------
  // The machinery

  private async syncList<E extends { plate: string }, Q, D>(
    park: Park,
    spec: DownCall<Q, D>,
    entries: readonly E[],
    build: (chunk: readonly E[]) => Q,
    options: SyncOptions,
  ): Promise<SyncOutcome> {
    const total = entries.length;
    const chunkList: E[][] = [];
    for (let i = 0; i < total; i += LIST_CHUNK_MAX) chunkList.push(entries.slice(i, i + LIST_CHUNK_MAX));
    const chunks = chunkList.length;
    // Every chunk is built and validated before the first goes out: a bad entry sends nothing.
    const bodies = chunkList.map((chunk) => this.prepare(park, spec, () => build(chunk)));
    const applied: string[] = [];
    let sent = 0;
    let done = 0;
    const outcome = (aborted: boolean): SyncOutcome => ({ sent, total, chunk: done, chunks, aborted, applied: [...applied] });

    for (let i = 0; i < chunks; i++) {
      if (options.signal?.aborted) return outcome(true);
      const chunk = chunkList[i];
      try {
        await this.send(park, spec, bodies[i], { signal: options.signal });
      } catch (e) {
        if (e instanceof AbortedBeforeSend) return outcome(true);
        if (e instanceof BluecardError) {
          throw e.withProgress({ sent, total, chunk: done, chunks, applied: [...applied], failed: chunk.map((c) => c.plate) });
        }
        throw e;
      }
      sent += chunk.length;
      done = i + 1;
      applied.push(...chunk.map((c) => c.plate));
      this.log.info({ parkNumber: park.parkNumber, iface: spec.label, sent, total, chunk: done, chunks }, 'bluecard list sync progress');
      options.onProgress?.({ sent, total, chunk: done, chunks });
    }
    return outcome(false);
  }

  private async call<Q, D, R = D>(
    park: Park,
    spec: DownCall<Q, D>,
    build: () => Q,
    options: { map?: (datas: D) => R } = {},
  ): Promise<R> {
    const body = this.prepare(park, spec, build);
    return this.send(park, spec, body, options);
  }

  /** Build and validate the body. Anything wrong throws 'invalid_request' (nothing has been sent). */
  private prepare<Q, D>(park: Park, spec: DownCall<Q, D>, build: () => Q): string {
    const invalid = (detail: string, cause?: unknown) => {
      const error = new BluecardError({
        parkNumber: park.parkNumber,
        iface: spec.label,
        kind: 'invalid_request',
        detail: scrub(`invalid request, not sent: ${detail}`, park),
        retryable: false,
        cause,
      });
      this.log.error({ parkNumber: park.parkNumber, iface: spec.label, kind: error.kind, detail: error.detail }, 'bluecard request invalid');
      return error;
    };
    if (!park.key) throw invalid('the park has no Bluecard key');
    if (!/^https?:\/\/\S+$/i.test(park.bluecardBaseUrl ?? '')) throw invalid('the park has no valid bluecardBaseUrl');
    let built: Q;
    try {
      built = build();
    } catch (e) {
      throw invalid(messageOf(e), e);
    }
    const parsed = spec.request.safeParse(built);
    if (!parsed.success) {
      const issues = parsed.error.issues
        .slice(0, 5)
        .map((i) => `${i.path.length ? i.path.join('.') : '(body)'}: ${i.message}`)
        .join('; ');
      throw invalid(issues, parsed.error);
    }
    return JSON.stringify(parsed.data);
  }

  private async send<Q, D, R = D>(
    park: Park,
    spec: DownCall<Q, D>,
    body: string,
    options: { map?: (datas: D) => R; signal?: AbortSignal } = {},
  ): Promise<R> {
    if (spec.paceMs === undefined) return this.attempts(park, spec, body, options, undefined);
    const key = `${park.parkNumber} ${spec.path}`;
    let lane = this.lanes.get(key);
    if (!lane) {
      lane = { key, tail: Promise.resolve() };
      this.lanes.set(key, lane);
    }
    const previous = lane.tail;
    let release!: () => void;
    lane.tail = new Promise<void>((resolve) => (release = resolve));
    await previous;
    try {
      return await this.attempts(park, spec, body, options, lane);
    } finally {
      release();
    }
  }

  private async attempts<Q, D, R>(
    park: Park,
    spec: DownCall<Q, D>,
    body: string,
    options: { map?: (datas: D) => R; signal?: AbortSignal },
    lane: Lane | undefined,
  ): Promise<R> {
    const maxAttempts = spec.repeat === 'auto' ? 1 + this.backoffMs.length : 1;
    const budget = this.budgets[spec.name] ?? spec.budgetMs;
    const deadline = budget === undefined ? undefined : this.clock.now() + budget;
    /** Time for one more attempt after waiting `wait`? Always, without a budget. */
    const roomFor = (wait: number) => deadline === undefined || deadline - this.clock.now() - wait >= MIN_ATTEMPT_MS;
    for (let attempt = 1; ; attempt++) {
      if (attempt > 1) await this.sleep(this.backoffMs[attempt - 2], options.signal);
      const holder = lane && spec.paceMs !== undefined ? await this.takeSlot(lane.key, spec.paceMs + this.timeoutFor(spec) + SLOT_HOLD_MARGIN_MS, options.signal) : undefined;
      if (options.signal?.aborted) {
        // Nothing sent: the slot is free again at once (it was free when taken).
        if (holder) await this.freeSlot(lane!.key, holder, this.clock.now());
        throw new AbortedBeforeSend('aborted before sending');
      }
      const t0 = process.hrtime.bigint();
      const report = (outcome: AttemptReport['outcome']) =>
        this.onAttempt?.({ parkNumber: park.parkNumber, path: spec.path, outcome, seconds: Number(process.hrtime.bigint() - t0) / 1e9 });
      try {
        const left = deadline === undefined ? undefined : Math.max(1, deadline - this.clock.now());
        const result = await this.attempt(park, spec, body, attempt, options.map, left);
        report('ok');
        return result;
      } catch (e) {
        if (!(e instanceof AttemptFailed)) throw e;
        report(e.error.kind);
        const { error, transient } = e;
        const again = transient && attempt < maxAttempts && roomFor(this.backoffMs[attempt - 1] ?? 0);
        const fields = {
          parkNumber: park.parkNumber,
          iface: spec.label,
          attempt,
          kind: error.kind,
          httpStatus: error.httpStatus,
          errorCode: error.errorCode,
          detail: error.detail,
        };
        if (again) {
          this.log.warn(fields, 'bluecard call failed, retrying');
          continue;
        }
        this.log[error.kind === 'rejected' ? 'warn' : 'error'](fields, 'bluecard call failed');
        throw error;
      } finally {
        if (holder) await this.freeSlot(lane!.key, holder, this.clock.now() + spec.paceMs!);
      }
    }
  }

  /** Take the park's slot of a paced interface once it is free: the holder's name (undefined: aborted first). */
  private async takeSlot(key: string, holdMs: number, signal: AbortSignal | undefined): Promise<string | undefined> {
    const holder = randomUUID();
    while (!signal?.aborted) {
      const now = this.clock.now();
      const t = await this.slots.take(key, holder, now, now + holdMs);
      if (t.taken) return holder;
      // Free at a known time: waited on the clock. Held by a request on the wire: looked at again soon.
      if (t.held) await realSleep(SLOT_POLL_MS, signal);
      else await this.sleep(Math.max(1, t.freeAt - now), signal);
    }
    return undefined;
  }

  /** The slot is free at `freeAt`. A failed write leaves it held until its hold ends: logged, not thrown. */
  private async freeSlot(key: string, holder: string, freeAt: number): Promise<void> {
    await this.slots.release(key, holder, freeAt).catch((e: unknown) => this.log.warn({ slot: key, err: messageOf(e) }, 'bluecard pace slot not freed; it frees itself when its hold ends'));
  }

  /** One request on the wire. Throws an AttemptFailed on failure. */
  private async attempt<Q, D, R>(
    park: Park,
    spec: DownCall<Q, D>,
    body: string,
    attempt: number,
    map: ((datas: D) => R) | undefined,
    /** What is left of the call's budget, when it has one: the attempt's timeout is cut to it. */
    left?: number,
  ): Promise<R> {
    const timeoutMs = left === undefined ? this.timeoutFor(spec) : Math.min(this.timeoutFor(spec), left);
    const fail = attemptFailure(park, spec, attempt);
    const started = this.clock.now();
    const { status, text } = await this.post(park, spec.path, body, timeoutMs, fail);
    const result = readAnswer(spec, status, text, map, fail);
    this.log.info({ parkNumber: park.parkNumber, iface: spec.label, attempt, ms: this.clock.now() - started }, 'bluecard call succeeded');
    return result;
  }

  /** POST the signed body to the park's interface; no answer within `timeoutMs` is a timeout. */
  private async post(park: Park, path: string, body: string, timeoutMs: number, fail: Fail): Promise<{ status: number; text: string }> {
    const url = downUrl(park.bluecardBaseUrl, path);
    const headers = {
      sign: bluecardSign(park.key, park.parkNumber),
      'content-type': 'application/json;charset=utf-8',
      accept: 'application/json',
    };
    const controller = new AbortController();
    let timedOut = false;
    let timer: ReturnType<typeof setTimeout> | undefined;
    try {
      const request = Promise.resolve().then(() => this.transport(url, { method: 'POST', headers, body, signal: controller.signal }));
      request.catch(() => undefined); // it may reject after the timeout won the race
      const timeout = new Promise<never>((_, reject) => {
        timer = setTimeout(() => {
          timedOut = true;
          controller.abort();
          reject(new Error('timeout'));
        }, timeoutMs);
      });
      return await Promise.race([request, timeout]);
    } catch (e) {
      if (timedOut) throw fail('timeout', `no answer within ${timeoutMs} ms`, { transient: true });
      throw fail('network', `network error: ${describeNetworkError(e)}`, { transient: true, cause: e });
    } finally {
      clearTimeout(timer);
    }
  }

  private timeoutFor(spec: DownCall<unknown, unknown>): number {
    const t = this.timeouts;
    if (typeof t === 'number') return t;
    return t?.[spec.name] ?? spec.timeoutMs;
  }
}

// ---------------------------------------------------------------------------------------------------------

/** Makes the failure of one attempt: its BluecardError, scrubbed of the park's key and sign. */
type Fail = (
  kind: BluecardErrorKind,
  detail: string,
  extra?: { transient?: boolean; errorCode?: string; httpStatus?: number; cause?: unknown },
) => AttemptFailed;

function attemptFailure(park: Park, spec: DownCall<unknown, unknown>, attempt: number): Fail {
  return (kind, detail, extra = {}) => {
    const transient = extra.transient ?? false;
    return new AttemptFailed(
      new BluecardError({
        parkNumber: park.parkNumber,
        iface: spec.label,
        kind,
        detail: scrub(detail, park),
        retryable: transient && spec.repeat !== 'never',
        errorCode: extra.errorCode === undefined ? undefined : scrub(extra.errorCode, park),
        httpStatus: extra.httpStatus,
        attempts: attempt,
        cause: extra.cause,
      }),
      transient,
    );
  };
}

/**
 * The result of a lot's answer: HTTP 2xx, JSON, the interface's schema, status success, then `map`. Each step
 * that fails throws its own kind of failure (only HTTP 5xx and 429 are transient).
 */
function readAnswer<Q, D, R>(spec: DownCall<Q, D>, status: number, text: string, map: ((datas: D) => R) | undefined, fail: Fail): R {
  if (status < 200 || status > 299) {
    throw fail('http', `HTTP ${status}${snippet(text)}`, {
      transient: status >= 500 || status === 429,
      httpStatus: status,
      errorCode: errorCodeIn(text),
    });
  }
  let json: unknown;
  try {
    json = JSON.parse(text.replace(/^\uFEFF/, ''));
  } catch (e) {
    throw fail('bad_answer', `answer is not JSON${snippet(text)}`, { httpStatus: status, cause: e });
  }
  const parsed = spec.answer.safeParse(json);
  if (!parsed.success) {
    const issues = parsed.error.issues
      .slice(0, 5)
      .map((i) => `${i.path.length ? i.path.join('.') : '(answer)'}: ${i.message}`)
      .join('; ');
    throw fail('bad_answer', `answer does not match the schema: ${issues}`, { httpStatus: status, cause: parsed.error });
  }
  const answer: BluecardAnswer<D> = parsed.data;
  if (answer.status !== 'success') {
    const reason = answer.errorCode;
    throw fail('rejected', `rejected: ${reason === '' ? '(no reason given)' : reason}`, { errorCode: reason, httpStatus: status });
  }
  try {
    return map ? map(answer.datas) : (answer.datas as unknown as R);
  } catch (e) {
    throw fail('bad_answer', `answer unusable: ${messageOf(e)}`, { httpStatus: status, cause: e });
  }
}

function withFen<T extends { charge: string; payCharge: string; paidTotal: string; profitChargeTotal: string }>(d: T): T & { fen: StayFen } {
  return {
    ...d,
    fen: {
      charge: yuanToFen(d.charge),
      payCharge: yuanToFen(d.payCharge),
      paidTotal: yuanToFen(d.paidTotal),
      profitChargeTotal: yuanToFen(d.profitChargeTotal),
    },
  };
}

/** 4.6: 1–50 entries a call (the schema says so too; this message is clearer). */
function chunkOf<E>(entries: readonly E[]): readonly E[] {
  if (entries.length > LIST_CHUNK_MAX) {
    throw new Error(`${entries.length} entries: at most ${LIST_CHUNK_MAX} a call (use syncWhitelist / syncBlacklist)`);
  }
  return entries;
}

/** 4.7 / 4.10: plate "" deletes EVERY entry; that must be asked for by name. */
function nonEmptyPlate(plate: string, instead: string): string {
  if (plate.trim() === '') throw new Error(`an empty plate deletes the whole list: call ${instead}() to mean that`);
  return plate;
}

/** Never let the key or the sign reach a message. */
function scrub(text: string, park: Park): string {
  let out = text;
  const sign = bluecardSign(park.key, park.parkNumber);
  out = out.split(sign).join('[redacted]');
  if (park.key && park.key.length >= 4) out = out.split(park.key).join('[redacted]');
  return out;
}

function snippet(text: string): string {
  const t = text.replace(/\s+/g, ' ').trim();
  if (t === '') return ' (empty body)';
  return `: ${t.length > 200 ? `${t.slice(0, 200)}…` : t}`;
}

function errorCodeIn(text: string): string | undefined {
  try {
    const j: unknown = JSON.parse(text);
    if (typeof j === 'object' && j !== null && typeof (j as { errorCode?: unknown }).errorCode === 'string') {
      return (j as { errorCode: string }).errorCode;
    }
  } catch {
    // not JSON: no reason to report
  }
  return undefined;
}

function messageOf(e: unknown): string {
  const m = typeof e === 'object' && e !== null ? (e as { message?: unknown }).message : undefined;
  return typeof m === 'string' ? m : String(e);
}

function describeNetworkError(e: unknown): string {
  // Duck-typed: fetch's errors may come from another realm (jest's vm), where instanceof Error fails.
  const o = (typeof e === 'object' && e !== null ? e : {}) as { message?: unknown; cause?: unknown; code?: unknown };
  const cause = (typeof o.cause === 'object' && o.cause !== null ? o.cause : {}) as { code?: unknown; message?: unknown };
  const code = typeof cause.code === 'string' ? cause.code : typeof o.code === 'string' ? o.code : undefined;
  const message = typeof o.message === 'string' ? o.message : String(e);
  return code ? `${code} (${message})` : message;
}
