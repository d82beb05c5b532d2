/**
 * Building blocks for the Bluecard cloud-to-cloud protocol v2.6.0 schemas.
 *
 * Every message is described ONCE, by a builder `(k: Kit) => schema`, and built twice:
 *
 * - **tolerant** ("be liberal in what you accept"): what Bluecard sends us. Numbers sent as strings and
 *   strings sent as numbers are coerced to the declared type; object keys with stray spaces ("totalFee ")
 *   or another case ("plateId") are mapped onto the declared key; `getTimes` is read as `getTime`; string
 *   values are trimmed (except plates, picture names and base64, kept raw); missing optional fields get
 *   defaults ("" for strings, [] for arrays, {} for objects, "0" for informational money and minutes);
 *   unknown extra fields are kept. Only the few fields we truly need to act on are required.
 * - **exact** ("strict in what you send"): what we send Bluecard. Strict objects (no extra keys), every
 *   field of the table present, types exactly as the table says (Int → number, 字符串 → string), money as
 *   yuan strings `^\d+(\.\d{1,2})?$`, times exactly `yyyy-MM-dd HH:mm:ss` (China time).
 *
 * Both flavours parse to the same TypeScript type, so a message type is `z.output<typeof schema>` of either.
 * Schemas are plain data: no transforms to fen or Date (use yuanToFen / parseChinaTime from ../money and
 * ../time on the parsed strings). No node-only modules here: this file is bundled into the mini-program.
 */
import { z } from 'zod';
import { yuanToFen } from '../money';
import { isChinaTime } from '../time';

export type Mode = 'tolerant' | 'exact';

/** A schema whose parsed value is T, whatever it accepts. */
export type Schema<T> = z.ZodType<T>;

type Shape = Record<string, z.ZodType>;
/** The parsed value of an object with this shape (optional keys where the field is `k.opt(...)`). */
export type Out<S extends Shape> = z.output<z.ZodObject<S>>;

export interface ObjOptions<S extends Shape> {
  /**
   * Name of the array field this object's `size` counts (e.g. 'datas'). Tolerant: a missing size is filled
   * with the array's length. Exact: size must equal the array's length.
   */
  sizeOf?: keyof S & string;
  /** Extra rule checked in exact mode only (what we send): return the problems found. */
  exactCheck?: (value: Out<S>) => Problem[] | undefined | void;
}

export interface Problem {
  path: (string | number)[];
  message: string;
}

export interface ArrOptions {
  /** Exact mode only: at least this many items. */
  min?: number;
  /** Exact mode only: at most this many items. */
  max?: number;
  /** Tolerant mode only: a single object where the table says array (4.21 says "Json 对象") is wrapped. */
  acceptSingle?: boolean;
}

/**
 * The primitives a message builder uses. Read each as: what the field is, and how each mode treats it.
 */
export interface Kit {
  readonly mode: Mode;
  /** A required identifier (parkNumber, orderId, outTradeNo…): non-empty string. Tolerant: trimmed, numbers accepted. */
  id(): Schema<string>;
  /** A 字符串 field. Tolerant: optional (default ""), trimmed, numbers accepted. Exact: required string. */
  str(): Schema<string>;
  /** Like str() but never trimmed: plates (echoed back as given), picture names, base64. */
  raw(): Schema<string>;
  /** Like raw() but required and not blank in both modes. */
  needRaw(): Schema<string>;
  /** An Int field. Tolerant: "98" → 98, default 0 when missing. Exact: integer number. */
  int(): Schema<number>;
  /** An Int field where 0 would be a lie when missing. Tolerant: undefined when missing. Exact: required. */
  optInt(): Schema<number | undefined>;
  /** A required Int in both modes (tolerant still accepts "1"). */
  needInt(): Schema<number>;
  /** A required money field in yuan ("12", "0.05", tolerant also "2.0 " and 12.5). */
  money(): Schema<string>;
  /** An informational money field: like money() but tolerant defaults a missing value to "0". */
  money0(): Schema<string>;
  /** A non-negative whole number carried as a string (minutes, hours, months, fen). Tolerant default "0". */
  digits(): Schema<string>;
  /** A time. Tolerant: "" or a China time in liberal spelling (kept as given, trimmed), default "". Exact: a valid `yyyy-MM-dd HH:mm:ss`. */
  time(): Schema<string>;
  /** A required time in both modes (tolerant liberal spelling). */
  needTime(): Schema<string>;
  /** A time that may legitimately be "" even in exact mode (no entry record, no time filter). */
  timeOrEmpty(): Schema<string>;
  /** A date. Tolerant: "" or date or date-time, default "". Exact: valid `yyyy-MM-dd`. */
  date(): Schema<string>;
  /** A timeStamp: milliseconds since the epoch as a digit string. Tolerant: number accepted, default "". */
  stamp(): Schema<string>;
  /** One of a few codes ("0"/"1"…). Tolerant: numbers accepted, trimmed; `fallback` used when missing. */
  code<const T extends readonly [string, ...string[]]>(values: T, fallback?: T[number]): Schema<T[number]>;
  /** The `method` field. Tolerant: case and spaces ignored, defaults to the name. Exact: the literal. */
  method<const M extends string>(name: M): Schema<M>;
  /** A JSON object. Tolerant: loose (extra keys kept), keys normalized. Exact: strict. Required. */
  obj<S extends Shape>(shape: S, options?: ObjOptions<S>): Schema<Out<S>>;
  /** Like obj() but tolerant defaults a missing object to {} (its fields then take their defaults). */
  optObj<S extends Shape>(shape: S, options?: ObjOptions<S>): Schema<Out<S>>;
  /** A JSON array. Tolerant: default []. Exact: required. */
  arr<T>(item: Schema<T>, options?: ArrOptions): Schema<T[]>;
  /** A JSON array required in both modes (may be empty). */
  needArr<T>(item: Schema<T>, options?: ArrOptions): Schema<T[]>;
  /** Optional in both modes (the key may be absent): 4.16 qrCode/agreement, 4.24 payContent/discountContent. */
  opt<T>(schema: Schema<T>): z.ZodOptional<Schema<T>>;
}

// ---------------------------------------------------------------------------------------------------------
// Exact formats

/** Money we send: a yuan string with at most two decimals. */
export const YUAN_EXACT = /^\d+(\.\d{1,2})?$/;
/** Times we send. */
export const TIME_EXACT = /^\d{4}-\d{2}-\d{2} \d{2}:\d{2}:\d{2}$/;
/** Dates we send (whitelist validity). */
export const DATE_EXACT = /^\d{4}-\d{2}-\d{2}$/;
const DIGITS = /^\d+$/;

// ---------------------------------------------------------------------------------------------------------
// Tolerant pre-processing

const isPlainObject = (v: unknown): v is Record<string, unknown> =>
  typeof v === 'object' && v !== null && !Array.isArray(v);

/** null → missing; numbers and booleans → their string. */
function scalar(v: unknown): unknown {
  if (v === null) return undefined;
  if (typeof v === 'number' && Number.isFinite(v)) return String(v);
  if (typeof v === 'bigint' || typeof v === 'boolean') return String(v);
  return v;
}

/** scalar() then trim strings. */
function trimmed(v: unknown): unknown {
  const s = scalar(v);
  return typeof s === 'string' ? s.trim() : s;
}

/** trimmed(), and "" counts as missing. */
function trimmedOrMissing(v: unknown): unknown {
  const s = trimmed(v);
  return s === '' ? undefined : s;
}

/** Integers: "98" → 98, " 98 " → 98, "98.0" → 98; "" and null → missing; anything else left for zod to reject. */
function intLike(v: unknown): unknown {
  if (v === null) return undefined;
  if (typeof v === 'string') {
    const s = v.trim();
    if (s === '') return undefined;
    if (/^[+-]?\d+(\.0*)?$/.test(s)) return Number(s);
  }
  return v;
}

/** Integer-ish numbers to digit strings without exponent (1551084595996 → "1551084595996"). */
function stampLike(v: unknown): unknown {
  if (typeof v === 'number' && Number.isSafeInteger(v) && v >= 0) return v.toFixed(0);
  return trimmed(v);
}

const squash = (key: string) => key.replace(/\s+/g, '').toLowerCase();

/** Keys Bluecard is known to misspell, by the squashed (no space, lower case) spelling. */
const KEY_ALIASES: Record<string, string> = { gettimes: 'getTime' };

function define(target: Record<string, unknown>, key: string, value: unknown) {
  Object.defineProperty(target, key, { value, enumerable: true, writable: true, configurable: true });
}

/**
 * Map the keys of one JSON object onto the declared keys: "totalFee " → totalFee, "plateId" → plateID,
 * "getTimes" → getTime. A key spelled exactly as declared always wins; keys that are not declared are
 * trimmed when that collides with nothing, else kept as they came. Nothing is dropped.
 */
export function normalizeKeys(input: unknown, declared: readonly string[]): unknown {
  if (input === null) return undefined;
  if (!isPlainObject(input)) return input;
  const bySquash = new Map<string, string>();
  for (const key of declared) bySquash.set(squash(key), key);
  const has = (o: object, k: string) => Object.prototype.hasOwnProperty.call(o, k);
  const out: Record<string, unknown> = {};
  for (const [key, value] of Object.entries(input)) {
    let target = key;
    if (!declared.includes(key)) {
      const sq = squash(key);
      const alias = KEY_ALIASES[sq];
      const candidate =
        bySquash.get(sq) ?? (alias !== undefined && declared.includes(alias) ? alias : undefined) ?? key.trim();
      if (candidate !== '' && !has(input, candidate) && !has(out, candidate)) target = candidate;
    }
    define(out, has(out, target) ? key : target, value);
  }
  return out;
}

// ---------------------------------------------------------------------------------------------------------
// Messages for a wrong value (zod adds the path)

const required = (what: string) => (issue: { input?: unknown }) =>
  issue.input === undefined ? `required: ${what}` : undefined;

function moneyProblem(s: string): string | undefined {
  try {
    yuanToFen(s);
    return undefined;
  } catch (e) {
    return (e as Error).message;
  }
}

const timeProblem = (s: string) =>
  isChinaTime(s) ? undefined : `invalid China time ${JSON.stringify(s)}: expected yyyy-MM-dd HH:mm:ss`;

const isDateLike = (s: string) => isChinaTime(s); // parseChinaTime accepts a date alone or a date-time

function check<T>(schema: z.ZodType<T>, problem: (v: T) => string | undefined): z.ZodType<T> {
  return schema.superRefine((v, ctx) => {
    const message = problem(v);
    if (message !== undefined) ctx.addIssue({ code: 'custom', message, input: v });
  });
}

// ---------------------------------------------------------------------------------------------------------
// The two kits

function arrayOf<T>(item: Schema<T>) {
  return z.array(item, { error: required('array') });
}

function finishObject<S extends Shape>(
  base: z.ZodType<Out<S>>,
  options: ObjOptions<S> | undefined,
  mode: Mode,
): z.ZodType<Out<S>> {
  if (mode === 'exact') {
    const { sizeOf, exactCheck } = options ?? {};
    if (!sizeOf && !exactCheck) return base;
    return base.superRefine((value, ctx) => {
      const v = value as Record<string, unknown>;
      if (sizeOf) {
        const list = v[sizeOf];
        if (Array.isArray(list) && v.size !== list.length) {
          ctx.addIssue({ code: 'custom', path: ['size'], message: `size ${String(v.size)} ≠ ${sizeOf}.length ${list.length}` });
        }
      }
      for (const p of exactCheck?.(value) ?? []) ctx.addIssue({ code: 'custom', path: p.path, message: p.message });
    });
  }
  return base;
}

export const tolerantKit: Kit = {
  mode: 'tolerant',
  id: () => z.preprocess(trimmed, z.string({ error: required('string') }).min(1, 'required: must not be empty')),
  str: () => z.preprocess(trimmed, z.string().default('')),
  raw: () => z.preprocess(scalar, z.string().default('')),
  needRaw: () =>
    z.preprocess(scalar, z.string({ error: required('string') }).refine((s) => s.trim() !== '', 'required: must not be empty')),
  int: () => z.preprocess(intLike, z.number().int().default(0)),
  optInt: () => z.preprocess(intLike, z.number().int().optional()),
  needInt: () => z.preprocess(intLike, z.number({ error: required('integer') }).int()),
  money: () => z.preprocess(trimmed, check(z.string({ error: required('yuan amount') }), moneyProblem)),
  money0: () => z.preprocess(trimmedOrMissing, check(z.string(), moneyProblem).default('0')),
  digits: () =>
    z.preprocess(
      trimmedOrMissing,
      check(z.string(), (s) => (/^\d+(\.\d+)?$/.test(s) ? undefined : `expected a non-negative number, got ${JSON.stringify(s)}`)).default('0'),
    ),
  time: () => z.preprocess(trimmed, check(z.string(), (s) => (s === '' ? undefined : timeProblem(s))).default('')),
  needTime: () => z.preprocess(trimmed, check(z.string({ error: required('time') }), timeProblem)),
  timeOrEmpty: () => z.preprocess(trimmed, check(z.string(), (s) => (s === '' ? undefined : timeProblem(s))).default('')),
  date: () =>
    z.preprocess(
      trimmed,
      check(z.string(), (s) =>
        s === '' || isDateLike(s) ? undefined : `invalid date ${JSON.stringify(s)}: expected yyyy-MM-dd`,
      ).default(''),
    ),
  stamp: () =>
    z.preprocess(
      stampLike,
      check(z.string(), (s) => (s === '' || DIGITS.test(s) ? undefined : `invalid timeStamp ${JSON.stringify(s)}: expected milliseconds`)).default(''),
    ),
  code: <const T extends readonly [string, ...string[]]>(values: T, fallback?: T[number]) => {
    const e = z.enum(values as unknown as [T[number], ...T[number][]]);
    return (fallback === undefined
      ? z.preprocess(trimmedOrMissing, e)
      : z.preprocess(trimmedOrMissing, e.default(fallback as never))) as unknown as Schema<T[number]>;
  },
  method: <const M extends string>(name: M) =>
    z.preprocess(
      (v) => (typeof v === 'string' && squash(v) === name.toLowerCase() ? name : v === null ? undefined : v),
      z.literal(name).default(name as never),
    ) as unknown as Schema<M>,
  obj: <S extends Shape>(shape: S, options?: ObjOptions<S>) => {
    const keys = Object.keys(shape);
    const sizeOf = options?.sizeOf;
    return z.preprocess((input) => {
      const o = normalizeKeys(input, keys);
      if (sizeOf && isPlainObject(o) && (o.size === undefined || o.size === null || o.size === '') && Array.isArray(o[sizeOf])) {
        o.size = (o[sizeOf] as unknown[]).length;
      }
      return o;
    }, z.looseObject(shape, { error: required('object') })) as unknown as Schema<Out<S>>;
  },
  optObj: <S extends Shape>(shape: S, options?: ObjOptions<S>) =>
    z.preprocess(
      (v) => (v === null ? undefined : v),
      (tolerantKit.obj(shape, options) as z.ZodType<Out<S>, unknown>).prefault({} as never),
    ) as unknown as Schema<Out<S>>,
  arr: <T>(item: Schema<T>, options?: ArrOptions) =>
    z.preprocess(
      (v) => (v === null ? undefined : options?.acceptSingle && isPlainObject(v) ? [v] : v),
      arrayOf(item).default([]),
    ) as unknown as Schema<T[]>,
  needArr: <T>(item: Schema<T>, options?: ArrOptions) =>
    z.preprocess((v) => (v === null ? undefined : options?.acceptSingle && isPlainObject(v) ? [v] : v), arrayOf(item)),
  // null → absent, inside and out (the outer optional() makes the key optional for zod and TS).
  opt: <T>(schema: Schema<T>) =>
    z.preprocess((v) => (v === null ? undefined : v), schema.optional()).optional() as unknown as z.ZodOptional<Schema<T>>,
};

const exactString = () => z.string({ error: required('string') });
const exactTime = () =>
  check(exactString(), (s) =>
    !TIME_EXACT.test(s)
      ? `expected yyyy-MM-dd HH:mm:ss, got ${JSON.stringify(s)}`
      : isChinaTime(s)
        ? undefined
        : `no such time ${JSON.stringify(s)}`,
  );
const exactMoney = () =>
  check(exactString(), (s) =>
    YUAN_EXACT.test(s) ? moneyProblem(s) : `expected a yuan amount like "12" or "12.00", got ${JSON.stringify(s)}`,
  );

export const exactKit: Kit = {
  mode: 'exact',
  id: () => exactString().min(1, 'required: must not be empty'),
  str: () => exactString(),
  raw: () => exactString(),
  needRaw: () => exactString().refine((s) => s.trim() !== '', 'required: must not be empty'),
  int: () => z.number({ error: required('integer') }).int(),
  optInt: () => z.number({ error: required('integer') }).int(),
  needInt: () => z.number({ error: required('integer') }).int(),
  money: exactMoney,
  money0: exactMoney,
  digits: () => exactString().regex(DIGITS, 'expected a non-negative whole number as a string'),
  time: exactTime,
  needTime: exactTime,
  timeOrEmpty: () =>
    check(exactString(), (s) =>
      s === '' || (TIME_EXACT.test(s) && isChinaTime(s)) ? undefined : `expected "" or yyyy-MM-dd HH:mm:ss, got ${JSON.stringify(s)}`,
    ),
  date: () =>
    check(exactString(), (s) =>
      !DATE_EXACT.test(s) ? `expected yyyy-MM-dd, got ${JSON.stringify(s)}` : isChinaTime(s) ? undefined : `no such date ${JSON.stringify(s)}`,
    ),
  stamp: () => exactString().regex(DIGITS, 'expected a timeStamp: milliseconds since the epoch as digits'),
  code: <const T extends readonly [string, ...string[]]>(values: T) =>
    z.enum(values as unknown as [T[number], ...T[number][]]) as unknown as Schema<T[number]>,
  method: <const M extends string>(name: M) => z.literal(name) as unknown as Schema<M>,
  obj: <S extends Shape>(shape: S, options?: ObjOptions<S>) =>
    finishObject(z.strictObject(shape, { error: required('object') }) as unknown as Schema<Out<S>>, options, 'exact'),
  optObj: <S extends Shape>(shape: S, options?: ObjOptions<S>) => exactKit.obj(shape, options),
  arr: <T>(item: Schema<T>, options?: ArrOptions) => {
    let a = arrayOf(item);
    if (options?.min !== undefined) a = a.min(options.min, `at least ${options.min} item(s)`);
    if (options?.max !== undefined) a = a.max(options.max, `at most ${options.max} items`);
    return a;
  },
  needArr: <T>(item: Schema<T>, options?: ArrOptions) => exactKit.arr(item, options),
  opt: <T>(schema: Schema<T>) => schema.optional(),
};

/** A message built in both flavours. */
export interface Both<T> {
  tolerant: Schema<T>;
  exact: Schema<T>;
}

/** Build one message description in both flavours. */
export function both<T>(build: (k: Kit) => Schema<T>): Both<T> {
  return { tolerant: build(tolerantKit), exact: build(exactKit) };
}

// ---------------------------------------------------------------------------------------------------------
// Shared pieces

/** `{ timeStamp }`: the datas of most answers. Tolerant: a missing datas is {} and timeStamp "". */
export const timeStampDatasOf = (k: Kit) => k.optObj({ timeStamp: k.stamp() });
const timeStampDatasBoth = both(timeStampDatasOf);
/** What we answer to most up calls: `{ timeStamp }` (exact). */
export const timeStampDatas = timeStampDatasBoth.exact;
/** Bluecard's `{ timeStamp }` datas (tolerant). */
export const timeStampDatasTolerant = timeStampDatasBoth.tolerant;
export type TimeStampDatas = z.output<typeof timeStampDatas>;

/** The `{ timeStamp }` datas we answer now (or at a given instant). */
export function timeStampNow(at: Date | number = Date.now()): TimeStampDatas {
  return { timeStamp: String(typeof at === 'number' ? at : at.getTime()) };
}

// ---------------------------------------------------------------------------------------------------------
// Envelopes

export type Status = 'success' | 'fail';

/** Our success answer: `{status:'success', datas}`; without datas (4.27) just `{status:'success'}`. */
export function successEnvelope(): { status: 'success' };
export function successEnvelope<D>(datas: D): { status: 'success'; datas: D };
export function successEnvelope<D>(datas?: D) {
  return datas === undefined ? { status: 'success' as const } : { status: 'success' as const, datas };
}

/** Our fail answer: `{status:'fail', errorCode}` where errorCode is the reason text (4.24: "USERPAYING"). */
export function failEnvelope(errorCode: string): { status: 'fail'; errorCode: string } {
  return { status: 'fail', errorCode };
}

/** 4.28 only: "the lot decides" answer `{status:'self', errorCode?}`. */
export function selfEnvelope(errorCode?: string): { status: 'self'; errorCode?: string } {
  return errorCode === undefined ? { status: 'self' } : { status: 'self', errorCode };
}

/** 4.24 pay method id Bluecard expects beside datas. */
export const FACE_TO_FACE_PAY_TYPE_ID = '31';
/** 4.24 errorCode meaning "received, driver still paying": Bluecard then polls 4.25. */
export const USERPAYING = 'USERPAYING';

/** 4.24 success: `{status:'success', datas, payTypeId:'31'}`. */
export function faceToFaceSuccessEnvelope<D>(datas: D): { status: 'success'; datas: D; payTypeId: string } {
  return { status: 'success', datas, payTypeId: FACE_TO_FACE_PAY_TYPE_ID };
}

const exactErrorCode = () => z.string({ error: required('errorCode') }).min(1, 'required: the reason text');

/** Our exact answer to an up call: success with datas, or fail with errorCode. */
export function exactAnswer<D>(datas: Schema<D>) {
  return z.discriminatedUnion('status', [
    z.strictObject({ status: z.literal('success'), datas }),
    z.strictObject({ status: z.literal('fail'), errorCode: exactErrorCode() }),
  ]);
}

/** Our exact answer without datas (4.27): `{status:'success'}` or fail. */
export function exactBareAnswer() {
  return z.discriminatedUnion('status', [
    z.strictObject({ status: z.literal('success') }),
    z.strictObject({ status: z.literal('fail'), errorCode: exactErrorCode() }),
  ]);
}

function normalizeEnvelope(input: unknown, statuses: readonly string[]): unknown {
  const o = normalizeKeys(input, ['status', 'errorCode', 'datas']);
  if (!isPlainObject(o)) return o;
  let status = typeof o.status === 'string' ? o.status.trim().toLowerCase() : o.status;
  if (status === undefined || status === null || status === '') {
    // The 4.13 example answers {"status": "", "datas": {...}}: read a blank status from what came with it.
    const hasError = typeof o.errorCode === 'string' && o.errorCode.trim() !== '';
    status = o.datas !== undefined && o.datas !== null && !hasError ? 'success' : 'fail';
  }
  if (typeof status === 'string' && !statuses.includes(status)) return { ...o, status };
  const errorCode = o.errorCode === null || o.errorCode === undefined ? '' : typeof o.errorCode === 'string' ? o.errorCode.trim() : o.errorCode;
  return { ...o, status, errorCode };
}

const tolerantErrorCode = () => z.preprocess(trimmed, z.string().default(''));

export interface BluecardAnswerOptions {
  /** Extra top-level fields beside status/errorCode/datas (4.24 payTypeId). */
  extra?: Shape;
}

/** The parsed value of a tolerant answer envelope. */
export type BluecardAnswer<D> =
  | { status: 'success'; errorCode: string; datas: D; [k: string]: unknown }
  | { status: 'fail'; errorCode: string; datas?: unknown; [k: string]: unknown };

/** The parsed value of a tolerant 4.28 answer (success, fail or self). */
export type BluecardSelfAnswer =
  | { status: 'success' | 'fail' | 'self'; errorCode: string; datas?: unknown; [k: string]: unknown };

function tolerantEnvelope(datas: z.ZodType | undefined, statuses: readonly string[], extra: Shape) {
  const option = (status: string, d: z.ZodType) =>
    z.looseObject({ status: z.literal(status), errorCode: tolerantErrorCode(), datas: d, ...extra });
  const options = statuses.map((s) => option(s, s === 'success' && datas ? datas : z.unknown().optional()));
  const union = z.discriminatedUnion('status', options as [ReturnType<typeof option>, ...ReturnType<typeof option>[]], {
    error: `status must be ${statuses.join(', ')}`,
  });
  return z.preprocess((v) => normalizeEnvelope(v, statuses), union);
}

/**
 * A tolerant answer envelope: status success/Success/SUCCESS/fail/FAIL (trimmed, any case; a blank status
 * is read as success when datas came without an errorCode, else as fail), errorCode string, null or
 * missing (→ ""), keys with stray spaces. On success `datas` is parsed with the given schema (pass a
 * `k.optObj` / `k.arr` schema to let it be missing); on fail `datas` is kept as it came, if at all.
 * Used for Bluecard's answers to our down calls, and to read our own up answers liberally (fixtures).
 */
export function bluecardAnswer<D = unknown>(datas?: Schema<D>, options: BluecardAnswerOptions = {}): Schema<BluecardAnswer<D>> {
  return tolerantEnvelope(datas, ['success', 'fail'], options.extra ?? {}) as unknown as Schema<BluecardAnswer<D>>;
}

/** Tolerant 4.28 answer: success / fail / self, errorCode optional. */
export function bluecardSelfAnswer(): Schema<BluecardSelfAnswer> {
  return tolerantEnvelope(undefined, ['success', 'fail', 'self'], {}) as unknown as Schema<BluecardSelfAnswer>;
}

// ---------------------------------------------------------------------------------------------------------
// One message = request + answer, each in both flavours, named by who sends it.

/**
 * An up interface (Bluecard calls us). `request` is tolerant (Bluecard sends it), `answerDatas` and
 * `answer` are exact (we send them); the `…Exact` / `…Tolerant` twins are the other flavour (e.g. for a
 * fake Bluecard in tests, or to read the spec's examples of our answers).
 */
export function upMessage<Q, D>(request: (k: Kit) => Schema<Q>, datas: (k: Kit) => Schema<D>) {
  const q = both(request);
  const d = both(datas);
  return {
    request: q.tolerant,
    requestExact: q.exact,
    answerDatas: d.exact,
    answerDatasTolerant: d.tolerant,
    answer: exactAnswer(d.exact),
    answerTolerant: bluecardAnswer(d.tolerant),
  };
}

/**
 * A down interface (we call Bluecard at /bcopenapi/out/<path>). `request` is exact (we send it),
 * `answerDatas` and `answer` are tolerant (Bluecard sends them); the twins are the other flavour.
 */
export function downMessage<Q, D>(request: (k: Kit) => Schema<Q>, datas: (k: Kit) => Schema<D>) {
  const q = both(request);
  const d = both(datas);
  return {
    request: q.exact,
    requestTolerant: q.tolerant,
    answerDatas: d.tolerant,
    answerDatasExact: d.exact,
    answer: bluecardAnswer(d.tolerant),
    answerExact: exactAnswer(d.exact),
  };
}
