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
import { AppError } from '../../core/errors';
import { signMatches, type Park, type ParkDirectory } from '../../core/parks';
import type { Clock } from '../../core/clock';
import type { AppState } from '../http/middleware';

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
}

export type UpHandler<Req = unknown> = (call: UpCall<Req>) => Promise<UpAnswer>;

export interface InboundDeps {
  parks: ParkDirectory;
  clock: Clock;
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
        throw new AppError('body_too_large', `the body is larger than ${limit}`, 413);
      }
      throw new AppError('bad_json', `the body is not JSON: ${err.message}`);
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

/** Look up the park and check the sign; throws AppError with the reason. */
export async function authenticate(ctx: Context, body: unknown, parks: ParkDirectory): Promise<Park> {
  if (typeof body !== 'object' || body === null || Array.isArray(body)) {
    throw new AppError('bad_json', 'the body must be a JSON object');
  }
  const parkNumber = parkNumberOf(body);
  if (!parkNumber) throw new AppError('invalid_field', 'parkNumber: required');
  const park = await parks.get(parkNumber);
  if (!park) throw new AppError('park_unknown', `park ${parkNumber} is not registered with ParkPay`);
  if (!signMatches(ctx.get('sign') || undefined, park.key, park.parkNumber)) {
    throw new AppError('bad_sign', ctx.get('sign') ? 'sign does not match md5(key+parkNumber)' : 'sign header missing');
  }
  return park;
}

/** The handler for one interface, framed. */
export function upCall<Req>(section: Section, deps: InboundDeps, handler: UpHandler<Req>): Middleware {
  const iface = bluecardInterfaces[section];
  return async (ctx) => {
    const body = ctx.request.body;
    const park = await authenticate(ctx, body, deps.parks);
    const parsed = iface.request.safeParse(body);
    if (!parsed.success) throw new AppError('invalid_field', describeIssues(parsed.error));
    const answer = await handler({
      park,
      request: parsed.data as Req,
      ctx,
      ack: () => ({ status: 'success', datas: timeStampNow(deps.clock.now()) }),
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
