/**
 * POST /bcopenapi/out/<name>: Bluecard's door for our down calls. Checks in Bluecard's order — a JSON
 * body, a known park, the `sign` header exactly md5(key + parkNumber) in 32 lowercase hex, the body by
 * the EXACT request schema (ParkPay must send exactly what the spec says) — then answers from the park's
 * state in the spec's envelope. Our own answer is checked against the exact answer schema too: a sandbox
 * that answered off-spec would teach ParkPay wrong things, so that is an HTTP 500, loudly.
 */
import Router from '@koa/router';
import type { Context } from 'koa';
import { bluecardInterfaces, failEnvelope, successEnvelope } from '../../../shared/bluecard';
import { bluecardSign } from '../../src/adapter/bluecard/requests';
import { DOWN_HANDLERS } from './down';
import type { Fault, FaultInjector } from './faults';
import { BluecardFail, type ParkState } from './park';

export interface DownRouterDeps {
  park: (parkNumber: string) => ParkState | undefined;
  faults: FaultInjector;
  /** Called after every handled call (kick the outbox: a 4.29 arrival or a 4.5 exit made records). */
  afterCall: () => void;
  /** Hold a connection open (timeout fault) until `ms` pass or the sandbox stops. */
  hang: (ms: number) => Promise<void>;
  onBug: (e: unknown) => void;
  /** Told about every call answered (the demo's call log): ms is real time from arrival to answer. */
  onCall?: (c: { name: string; section?: string; parkNumber?: string; outcome: 'success' | 'fail' | 'fault'; errorCode?: string; httpStatus?: number; ms: number; body: unknown }) => void;
}

export async function readRawBody(ctx: Context, limit = 5 * 1024 * 1024): Promise<Buffer> {
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const chunk of ctx.req) {
    const b = chunk as Buffer;
    size += b.length;
    if (size > limit) throw Object.assign(new Error('body too large'), { status: 413 });
    chunks.push(b);
  }
  return Buffer.concat(chunks);
}

const issuesText = (issues: { path: PropertyKey[]; message: string }[]) =>
  issues
    .slice(0, 8)
    .map((i) => `${i.path.map(String).join('.') || '(body)'}: ${i.message}`)
    .join('; ');

async function applyFault(ctx: Context, fault: Fault, deps: DownRouterDeps): Promise<void> {
  switch (fault.kind) {
    case 'timeout':
      await deps.hang(fault.hangMs);
      ctx.respond = false;
      ctx.req.socket.destroy();
      return;
    case 'http500':
      ctx.status = 500;
      ctx.type = 'text/plain';
      ctx.body = 'Internal Server Error (sandbox fault)';
      return;
    case 'fail':
      ctx.status = 200;
      ctx.body = failEnvelope(fault.errorCode);
      return;
    case 'badJson':
      ctx.status = 200;
      ctx.type = 'application/json';
      ctx.body = '{"status":"success","datas":{"timeSt';
      return;
  }
}

function faultText(f: Fault): string {
  return f.kind === 'fail' ? f.errorCode : f.kind;
}

/** The request body as JSON (undefined when it is not) and the parkNumber it names. */
function parseCall(raw: Buffer): { body: unknown; parkNumber: string | undefined } {
  let body: unknown;
  try {
    body = JSON.parse(raw.toString('utf8'));
  } catch {
    body = undefined;
  }
  const parkNumber =
    typeof body === 'object' && body !== null && typeof (body as { parkNumber?: unknown }).parkNumber === 'string'
      ? (body as { parkNumber: string }).parkNumber
      : undefined;
  return { body, parkNumber };
}

type DownEntry = (typeof DOWN_HANDLERS)[string];
type Envelope = ReturnType<typeof failEnvelope> | ReturnType<typeof successEnvelope>;

/** The lot's answer to a down call: the checks in the lot's order (content type, charset, JSON, park, sign, schema), then the handler. */
function answerCall(ctx: Context, deps: DownRouterDeps, entry: DownEntry, body: unknown, parkNumber: string | undefined): Envelope {
  if (!ctx.is('application/json')) return failEnvelope('参数错误: Content-Type 必须为 application/json');
  const charset = ctx.request.charset;
  if (charset && charset.toLowerCase().replace('-', '') !== 'utf8') return failEnvelope('参数错误: 编码必须为 UTF-8');
  if (body === undefined) return failEnvelope('参数错误: 请求体不是合法的 JSON');
  if (parkNumber === undefined || parkNumber === '') return failEnvelope('参数错误: 缺少 parkNumber');
  const park = deps.park(parkNumber);
  if (!park) return failEnvelope('场库不存在');
  // Exactly as issued: 32 lowercase hex digits (spec §2: "密文采用 32 位小写格式").
  if (ctx.get('sign') !== bluecardSign(park.key, park.parkNumber)) return failEnvelope('签名错误');
  const iface = bluecardInterfaces[entry.section as keyof typeof bluecardInterfaces];
  const parsed = iface.request.safeParse(body);
  if (!parsed.success) return failEnvelope(`参数错误: ${issuesText(parsed.error.issues)}`);
  try {
    return successEnvelope(entry.handle(park, parsed.data as never));
  } catch (e) {
    if (e instanceof BluecardFail) return failEnvelope(e.message);
    throw e;
  }
}

/** The park's log of down calls (the last 500). */
function recordDownCall(park: ParkState, name: string, answer: Envelope): void {
  park.downCalls.push({
    at: park.now(),
    name,
    status: answer.status,
    errorCode: answer.status === 'fail' ? answer.errorCode : undefined,
  });
  if (park.downCalls.length > 500) park.downCalls.splice(0, park.downCalls.length - 500);
}

export function downRouter(deps: DownRouterDeps): Router {
  const router = new Router();
  router.post('/bcopenapi/out/:name', async (ctx) => {
    const started = Date.now();
    const name = ctx.params.name;
    const entry = DOWN_HANDLERS[name];
    const { offline, slowMs } = deps.faults.conditions;
    if (offline) {
      // Nobody answers: the caller sees the connection dropped.
      deps.onCall?.({ name, section: entry?.section, outcome: 'fault', errorCode: 'offline', ms: 0, body: undefined });
      ctx.respond = false;
      ctx.req.socket.destroy();
      return;
    }
    if (slowMs > 0) await deps.hang(slowMs);
    if (!entry) {
      ctx.status = name === 'alterCarType' ? 200 : 404;
      ctx.body = failEnvelope(name === 'alterCarType' ? '接口已废弃' : `接口不存在: ${name}`);
      return;
    }
    const { body, parkNumber } = parseCall(await readRawBody(ctx));

    const before = deps.faults.take(name, parkNumber, 'before');
    if (before) {
      const faulted = deps.park(parkNumber ?? '');
      faulted?.downCalls.push({ at: faulted.now(), name, status: 'fault', errorCode: before.kind });
      await applyFault(ctx, before, deps);
      deps.onCall?.({ name, section: entry.section, parkNumber, outcome: 'fault', errorCode: faultText(before), httpStatus: ctx.respond === false ? undefined : ctx.status, ms: Date.now() - started, body });
      return;
    }

    const answer = answerCall(ctx, deps, entry, body, parkNumber);

    const park = deps.park(parkNumber ?? '');
    if (park) recordDownCall(park, name, answer);
    deps.afterCall();

    const iface = bluecardInterfaces[entry.section as keyof typeof bluecardInterfaces];
    const own = iface.mirror.answer.safeParse(answer);
    if (!own.success) {
      const message = `sandbox answer to ${name} fails the exact answer schema: ${issuesText(own.error.issues)}`;
      deps.onBug(new Error(message));
      ctx.status = 500;
      ctx.type = 'text/plain';
      ctx.body = message;
      return;
    }

    const after = deps.faults.take(name, parkNumber, 'after');
    if (after) {
      await applyFault(ctx, after, deps);
      deps.onCall?.({ name, section: entry.section, parkNumber, outcome: 'fault', errorCode: `${faultText(after)} (处理后)`, httpStatus: ctx.respond === false ? undefined : ctx.status, ms: Date.now() - started, body });
      return;
    }
    ctx.status = 200;
    ctx.body = answer;
    deps.onCall?.({
      name,
      section: entry.section,
      parkNumber,
      outcome: answer.status === 'success' ? 'success' : 'fail',
      errorCode: answer.status === 'fail' ? answer.errorCode : undefined,
      httpStatus: 200,
      ms: Date.now() - started,
      body,
    });
  });
  return router;
}
