/**
 * The frame every Bluecard up call goes through (spec §2 and the §4 preamble):
 * JSON body (any content type; size-limited) → parkNumber → known park → `sign` header = md5(key+parkNumber)
 * (constant time) → the interface's tolerant schema → the handler → our answer checked against the exact
 * answer schema → `{"status":"success"|"fail"|"self", …}` with HTTP 200. Any refusal is a `fail` whose
 * errorCode says why, and nothing is stored.
 */
import { bodyParser } from '@koa/bodyparser';
import type { Context, Middleware, Next } from 'koa';
import type { z } from 'zod';
import { bluecardInterfaces, timeStampNow } from '../../../../shared/bluecard';
import { HttpError } from '../http/errors';
import type { Park, ParkDirectory } from '../../core/parks';
import { signMatches } from '../../adapter/bluecard/requests';
import type { Clock } from '../../core/clock';
import type { AppState } from '../http/middleware';
import type { LotCallGuard } from './call-guard';

export type Section = keyof typeof bluecardInterfaces;

/** What a handler answers; the frame adds nothing but checks it against the spec. */
export type UpAnswer =
  | { status: 'success'; datas?: unknown; payTypeId?: string }
  | { status: 'fail'; errorCode: string; payTypeId?: string }
  | { status: 'self'; errorCode?: string };

export interface UpCall<Req> {
  park: Park;
  request: Req;
  ctx: Context;
  /** The standard success answer: {status:'success', datas:{timeStamp}}. */
  ack(): UpAnswer;
  /**
   * Batches of records (upCall's `records` option): the records of the body's `datas` the schema refused one
   * by one — the request holds the others, so one bad record does not lose the batch.
   */
  refused: { index: number; reason: string }[];
  /** Where the request's datas[i] was in the body's datas (records refused by the schema are left out). */
  datasIndex(i: number): number;
}

export type UpHandler<Req = unknown> = (call: UpCall<Req>) => Promise<UpAnswer>;

export interface InboundDeps {
  parks: ParkDirectory;
  clock: Clock;
  /** Source allow-lists, rate limits and alerts per park (call-guard.ts); none: every source, no limit. */
  guard?: LotCallGuard;
}

/** Body limits: pictures (4.14) are base64 JPEGs of a few hundred KB; everything else is small. */
export const BODY_LIMITS = { images: '8mb', default: '256kb' } as const;

export function bluecardBody(limit: string): Middleware {
  return bodyParser({
    enableTypes: ['json'],
    // Liberal: Bluecard's clients do not always label JSON as such.
    detectJSON: () => true,
    jsonLimit: limit,
    jsonStrict: true,
    encoding: 'utf-8',
    onError(err) {
      const e = err as { status?: number; type?: string };
      if (e.status === 413 || e.type === 'entity.too.large') {
        throw new HttpError('body_too_large', `the body is larger than ${limit}`, 413);
      }
      throw new HttpError('bad_json', `the body is not JSON: ${err.message}`);
    },
  }) as unknown as Middleware;
}

/** Errors from this frame answer in Bluecard's envelope (see the error middleware). */
export async function markBluecard(ctx: Context, next: Next): Promise<void> {
  (ctx.state as AppState).protocol = 'bluecard';
  await next();
}

function describeIssues(error: z.ZodError): string {
  return error.issues
    .slice(0, 5)
    .map((i) => `${i.path.length ? i.path.join('.') : '(body)'}: ${i.message}`)
    .join('; ');
}

/** parkNumber as Bluecard may send it: a string (maybe with spaces) or a number. */
function parkNumberOf(body: unknown): string | undefined {
  if (typeof body !== 'object' || body === null || Array.isArray(body)) return undefined;
  const entry = Object.entries(body).find(([k]) => k.replace(/\s+/g, '').toLowerCase() === 'parknumber');
  const v = entry?.[1];
  if (typeof v === 'number' && Number.isFinite(v)) return String(v);
  if (typeof v === 'string' && v.trim()) return v.trim();
  return undefined;
}

/**
 * Look up the park, take the call only from the park's sources (when it has an allow-list), check the sign,
 * and (with a guard) take a token of the park's rate limit; throws HttpError with the reason.
 */
export async function authenticate(ctx: Context, body: unknown, parks: ParkDirectory, guard?: LotCallGuard, section?: Section): Promise<Park> {
  if (typeof body !== 'object' || body === null || Array.isArray(body)) {
    throw new HttpError('bad_json', 'the body must be a JSON object');
  }
  const parkNumber = parkNumberOf(body);
  if (!parkNumber) throw new HttpError('invalid_field', 'parkNumber: required');
  const park = await parks.get(parkNumber);
  if (!park) throw new HttpError('park_unknown', `park ${parkNumber} is not registered with ParkPay`);
  guard?.checkSource(park, ctx.ip);
  if (!signMatches(ctx.get('sign') || undefined, park.key, park.parkNumber)) {
    guard?.badSign(park, ctx.ip);
    throw new HttpError('bad_sign', ctx.get('sign') ? 'sign does not match md5(key+parkNumber)' : 'sign header missing');
  }
  if (guard && section) guard.admit(park, section);
  return park;
}

/** The body's own key for `datas` (Bluecard may spell it with spaces or another case). */
function datasKeyOf(body: Record<string, unknown>): string | undefined {
  if ('datas' in body) return 'datas';
  return Object.keys(body).find((k) => k.replace(/\s+/g, '').toLowerCase() === 'datas');
}

/**
 * Parse a batch record by record: when every problem lies inside records of `datas`, those records are
 * refused (each with its reason) and the rest parsed again without them. Anything wrong outside the records
 * (parkNumber, datas itself) refuses the call as a whole.
 */
function parseBatch(
  schema: z.ZodType,
  body: Record<string, unknown>,
): { ok: true; data: unknown; refused: { index: number; reason: string }[]; kept: number[] } | { ok: false; error: z.ZodError } {
  const first = schema.safeParse(body);
  const key = datasKeyOf(body);
  const datas = key === undefined ? undefined : body[key];
  if (first.success) return { ok: true, data: first.data, refused: [], kept: Array.isArray(datas) ? datas.map((_, i) => i) : [] };
  const inRecord = (i: z.core.$ZodIssue) => i.path[0] === 'datas' && typeof i.path[1] === 'number' && i.path.length >= 2;
  if (!Array.isArray(datas) || !first.error.issues.every(inRecord)) return { ok: false, error: first.error };
  const reasons = new Map<number, string[]>();
  for (const i of first.error.issues) {
    const index = i.path[1] as number;
    const rest = i.path.slice(2).join('.');
    reasons.set(index, [...(reasons.get(index) ?? []), `${rest || '(record)'}: ${i.message}`]);
  }
  const kept = datas.map((_, i) => i).filter((i) => !reasons.has(i));
  const again = schema.safeParse({ ...body, [key!]: kept.map((i) => datas[i]) });
  if (!again.success) return { ok: false, error: again.error };
  const refused = [...reasons].sort(([a], [b]) => a - b).map(([index, r]) => ({ index, reason: r.slice(0, 3).join('; ') }));
  return { ok: true, data: again.data, refused, kept };
}

export interface UpCallOptions {
  /** A batch of records in `datas` (4.2, 4.3, 4.15, 4.21, 4.31, 4.32): a bad record is refused alone. */
  records?: boolean;
}

/** The handler for one interface, framed. */
export function upCall<Req>(section: Section, deps: InboundDeps, handler: UpHandler<Req>, opts: UpCallOptions = {}): Middleware {
  const iface = bluecardInterfaces[section];
  return async (ctx) => {
    const body = ctx.request.body;
    const park = await authenticate(ctx, body, deps.parks, deps.guard, section);
    let request: unknown;
    let refused: { index: number; reason: string }[] = [];
    let kept: number[] = [];
    if (opts.records) {
      const parsed = parseBatch(iface.request, body as Record<string, unknown>);
      if (!parsed.ok) throw new HttpError('invalid_field', describeIssues(parsed.error));
      ({ data: request, refused, kept } = parsed);
    } else {
      const parsed = iface.request.safeParse(body);
      if (!parsed.success) throw new HttpError('invalid_field', describeIssues(parsed.error));
      request = parsed.data;
    }
    const answer = await handler({
      park,
      request: request as Req,
      ctx,
      ack: () => ({ status: 'success', datas: timeStampNow(deps.clock.now()) }),
      refused,
      datasIndex: (i) => kept[i] ?? i,
    });
    // Exact in what we send: an answer that does not fit the spec is our bug, never sent as is.
    const checked = iface.answer.safeParse(answer);
    if (!checked.success) {
      (ctx.state as AppState).log.error({ section, issues: checked.error.issues }, 'our Bluecard answer does not fit the spec');
      throw new Error(`answer to ${section} does not fit the spec`);
    }
    ctx.status = 200;
    ctx.body = answer;
  };
}
