/**
 * The HTTP API as OpenAPI 3.1, generated from what the server mounts:
 *   - the app API from its shared/api contracts (zod 4's JSON Schema output for params, query, body, the
 *     200 answer; the declared error codes; who may call it);
 *   - the Bluecard inbound URLs from the protocol registry (shared/bluecard: the request each section takes
 *     and the envelope it is answered, the spec section of each);
 *   - the payment notify URLs, the health checks and this document.
 * Served at /api/openapi.json, and rendered as a reference page at /api/docs (plain HTML, no script).
 */
import Router from '@koa/router';
import { z } from 'zod';
import * as api from '../../../../shared/api';
import * as invoiceApi from '../../../../shared/api/invoices';
import * as messageApi from '../../../../shared/api/messages';
import { COMMON_ERROR_CODES, FORBIDDEN_PARK, FORBIDDEN_ROLE, UNAUTHENTICATED, apiErrorSchema, type EndpointDef } from '../../../../shared/api/contract';
import { RECONCILIATION_CSV_PATH } from '../../../../shared/api/op-reconciliation';
import { bluecardInterfaces } from '../../../../shared/bluecard';
import { BLUECARD_PREFIX, UP_ROUTES } from '../bluecard/router';
import { INVOICE_FILE_PATH, INVOICE_NOTIFY_PATHS } from '../api/invoices-routes';
import { NOTIFY_PATHS } from '../notify/router';
import { WITHHOLDING_NOTIFY_PATHS } from '../notify/withholding';

type Json = Record<string, unknown>;

export const OPENAPI_PATH = '/api/openapi.json';
export const DOCS_PATH = '/api/docs';

/** zod → JSON Schema (draft 2020-12, OpenAPI 3.1's dialect), without the $schema line. */
function schemaOf(s: z.ZodType, io: 'input' | 'output'): Json {
  const out = z.toJSONSchema(s, { io, unrepresentable: 'any', target: 'draft-2020-12' }) as Json;
  delete out.$schema;
  return out;
}

/** The app API's contracts, grouped as shared/api exports them (`opParkEndpoints` → tag `op parks`). */
export function apiContracts(): { tag: string; name: string; endpoint: EndpointDef }[] {
  const out: { tag: string; name: string; endpoint: EndpointDef }[] = [];
  // E-invoices and messages keep their contracts out of shared/api's index (the mini-program loads them in its own packages).
  for (const [exportName, value] of Object.entries({ ...api, ...invoiceApi, ...messageApi })) {
    if (!exportName.endsWith('Endpoints') || typeof value !== 'object' || value === null) continue;
    const tag = exportName
      .replace(/Endpoints$/, '')
      .replace(/([a-z])([A-Z])/g, '$1 $2')
      .toLowerCase();
    for (const [name, endpoint] of Object.entries(value as Record<string, EndpointDef>)) {
      if (endpoint && typeof endpoint === 'object' && 'method' in endpoint && 'path' in endpoint) out.push({ tag, name, endpoint });
    }
  }
  return out;
}

/** `/api/a/:b/c` → `/api/a/{b}/c`. */
export const openApiPath = (koaPath: string) => koaPath.replace(/:([A-Za-z_]\w*)/g, '{$1}');

const BINARY: Record<string, string> = { png: 'image/png', svg: 'image/svg+xml', pdf: 'application/pdf', csv: 'text/csv' };

function parameters(where: 'path' | 'query', s: z.ZodType | undefined): Json[] {
  if (!s) return [];
  const js = schemaOf(s, 'input') as { properties?: Record<string, Json>; required?: string[] };
  return Object.entries(js.properties ?? {}).map(([name, schema]) => ({
    name,
    in: where,
    required: where === 'path' || (js.required ?? []).includes(name),
    schema,
    ...(typeof schema.description === 'string' ? { description: schema.description } : {}),
  }));
}

function errorResponses(e: EndpointDef): Json {
  const codes = [
    ...(e.auth !== 'none' ? [UNAUTHENTICATED] : []),
    ...(e.auth === 'operator' ? [FORBIDDEN_PARK, FORBIDDEN_ROLE] : []),
    ...(e.errors ?? []),
    ...COMMON_ERROR_CODES,
  ];
  return {
    default: {
      description: `An error: \`{error:{code,message,details?}}\` with one of the codes ${[...new Set(codes)].map((c) => `\`${c}\``).join(', ')}.`,
      content: { 'application/json': { schema: { $ref: '#/components/schemas/ApiError' } } },
      'x-error-codes': [...new Set(codes)],
    },
  };
}

function apiOperation(tag: string, name: string, e: EndpointDef): Json {
  const ext = /\.(png|svg|pdf|csv)$/.exec(e.path)?.[1];
  const ok = ext
    ? { description: `The file (${BINARY[ext]}).`, content: { [BINARY[ext]!]: { schema: { type: 'string', format: 'binary' } } } }
    : { description: 'OK', content: { 'application/json': { schema: schemaOf(e.response, 'output') } } };
  return {
    operationId: `${tag.replace(/ (\w)/g, (_m, c: string) => c.toUpperCase())}.${name}`,
    tags: [tag],
    summary: e.summary ?? `${e.method} ${e.path}`,
    ...(e.auth === 'driver' ? { security: [{ driverSession: [] }] } : e.auth === 'operator' ? { security: [{ operatorSession: [] }] } : { security: [] }),
    parameters: [...parameters('path', e.params), ...parameters('query', e.query)],
    ...(e.body ? { requestBody: { required: true, content: { 'application/json': { schema: schemaOf(e.body, 'input') } } } } : {}),
    responses: { '200': ok, ...errorResponses(e) },
  };
}

/** What the lot's URLs take and answer, section by section. */
function bluecardOperation(path: string, section: keyof typeof bluecardInterfaces): Json {
  const i = bluecardInterfaces[section];
  return {
    operationId: `bluecard.${i.name}`,
    tags: ['bluecard (lot → ParkPay)'],
    summary: `§${section} ${i.name}${i.method ? ` (method ${i.method})` : ''}`,
    description:
      `Bluecard cloud-to-cloud protocol v2.6.0, section ${section}: the lot's Bluecard cloud calls this URL ("此 url 由第三方云提供"). ` +
      'Header `sign: md5(key + parkNumber)`; the park must be registered. Always HTTP 200 with the envelope: ' +
      '`{"status":"success"|"fail"|"self", "errorCode"?, "datas"?}`; a refusal is `fail` with `<code>: <why>` and stores nothing.',
    'x-bluecard-section': section,
    security: [{ bluecardSign: [] }],
    parameters: [],
    requestBody: { required: true, content: { 'application/json': { schema: schemaOf(i.request, 'input') } } },
    responses: { '200': { description: `The answer envelope of ${section}`, content: { 'application/json': { schema: schemaOf(i.answer, 'output') } } } },
    'x-path': path,
  };
}

const text = (description: string) => ({ description, content: { 'text/plain': { schema: { type: 'string' } } } });

type AddOperation = (method: string, path: string, op: Json) => void;

/** Routes of the app API that answer files outside a contract. */
function fileRoutes(add: AddOperation): void {
  add('GET', RECONCILIATION_CSV_PATH, {
    operationId: 'opReconciliation.dailyCsv',
    tags: ['op reconciliation'],
    summary: 'The daily reconciliation as CSV (UTF-8 with BOM, yuan, China time); query date=yyyy-MM-dd.',
    security: [{ operatorSession: [] }],
    parameters: [
      { name: 'parkNumber', in: 'path', required: true, schema: { type: 'string' } },
      { name: 'date', in: 'query', required: true, schema: { type: 'string', pattern: '^\\d{4}-\\d{2}-\\d{2}$' } },
    ],
    responses: { '200': { description: 'The CSV', content: { 'text/csv': { schema: { type: 'string' } } } }, ...errorResponses({ method: 'GET', path: RECONCILIATION_CSV_PATH, auth: 'operator', response: z.unknown() }) },
  });
  add('GET', '/api/images/:token', {
    operationId: 'parks.image',
    tags: ['parks'],
    summary: 'A stay picture by its signed 15-minute link (the token is the authorisation).',
    security: [],
    parameters: [{ name: 'token', in: 'path', required: true, schema: { type: 'string' } }],
    responses: { '200': { description: 'The picture', content: { 'image/jpeg': { schema: { type: 'string', format: 'binary' } }, 'image/png': { schema: { type: 'string', format: 'binary' } } } } },
  });

  add('GET', INVOICE_FILE_PATH, {
    operationId: 'invoice.file',
    tags: ['invoice'],
    summary: "An issued invoice's PDF by its signed 10-minute link (query e, s: the expiry and the signature are the authorisation).",
    security: [],
    parameters: [
      { name: 'invoiceId', in: 'path', required: true, schema: { type: 'string' } },
      { name: 'e', in: 'query', required: true, schema: { type: 'string' } },
      { name: 's', in: 'query', required: true, schema: { type: 'string' } },
    ],
    responses: { '200': { description: 'The fapiao (PDF)', content: { 'application/pdf': { schema: { type: 'string', format: 'binary' } } } } },
  });
}

/** The URLs the lots' Bluecard clouds call: one a section, and the v2.5.0 common URL. */
function bluecardRoutes(add: AddOperation): void {
  for (const [path, section] of Object.entries(UP_ROUTES)) add('POST', `${BLUECARD_PREFIX}${path}`, bluecardOperation(`${BLUECARD_PREFIX}${path}`, section as keyof typeof bluecardInterfaces));
  add('POST', BLUECARD_PREFIX, {
    ...bluecardOperation(BLUECARD_PREFIX, '4.28'),
    operationId: 'bluecard.common',
    summary: '§4.28–4.32 the v2.5.0 common URL, dispatching on `method` (opengate, parkingspacefee, fixedListUp)',
    'x-bluecard-section': '4.28–4.32',
    requestBody: {
      required: true,
      content: { 'application/json': { schema: { oneOf: (['4.28', '4.31', '4.32'] as const).map((s) => schemaOf(bluecardInterfaces[s].request, 'input')) } } },
    },
    responses: {
      '200': { description: 'The answer envelope of the section named by `method`', content: { 'application/json': { schema: { oneOf: (['4.28', '4.31', '4.32'] as const).map((s) => schemaOf(bluecardInterfaces[s].answer, 'output')) } } } },
    },
  });
}

/** The payment providers' notify URLs. */
function notifyRoutes(add: AddOperation): void {
  const notify = (path: string, who: string, how: string, answer: string) =>
    add('POST', path, {
      operationId: `notify.${path.split('/').slice(2).join('.')}`,
      tags: ['payment notifications (provider → ParkPay)'],
      summary: `${who}: ${how}`,
      description: `Verified before anything is believed (signature, merchant or app, amount); ${answer}`,
      security: [],
      responses: { '200': text('Accepted'), '204': { description: 'Accepted (WeChat Pay)' }, '400': text('Refused: the provider sends it again on its schedule') },
    });
  notify(NOTIFY_PATHS.wechat, 'WeChat Pay (API v3)', 'payment results (TRANSACTION.SUCCESS) and refunds, AEAD-encrypted, signed', 'answered 204 when taken.');
  notify(NOTIFY_PATHS.wechatRefund, 'WeChat Pay (API v3)', 'refund results (REFUND.SUCCESS, REFUND.ABNORMAL, REFUND.CLOSED), AEAD-encrypted, signed', 'answered 204 when taken.');
  notify(NOTIFY_PATHS.alipay, 'Alipay', 'trade_status_sync, a signed form (RSA2)', 'answered `success` when taken, `fail` otherwise.');
  notify(WITHHOLDING_NOTIFY_PATHS.wechat, "WeChat Pay's vehicle parking service", 'entry states and deduction results', 'answered 204 when taken.');
  notify(INVOICE_NOTIFY_PATHS.wechat, 'WeChat Pay e-invoicing', 'FAPIAO.* events (a title applied for, issued, card inserted, reversed), AEAD-encrypted, signed', 'answered 204 when taken.');
  notify(WITHHOLDING_NOTIFY_PATHS.alipay, 'Alipay agreements', 'dut_user_sign / dut_user_unsign and agreement payments', 'answered `success` when taken.');
}

/** Health and this document. */
function operationsRoutes(add: AddOperation): void {
  add('GET', '/healthz', {
    operationId: 'health.live',
    tags: ['operations'],
    summary: 'The process is up: `{status:"ok"}`, or `degraded` while the database is down (cheap: no database round trip).',
    security: [],
    responses: { '200': { description: 'Up', content: { 'application/json': { schema: { type: 'object' } } } } },
  });
  add('GET', '/readyz', {
    operationId: 'health.ready',
    tags: ['operations'],
    summary: 'Ready for traffic: the database answers, the background work is held, the delivery queue is not behind (503 otherwise, with what is not).',
    security: [],
    responses: { '200': { description: 'Ready', content: { 'application/json': { schema: { type: 'object' } } } }, '503': { description: 'Not ready', content: { 'application/json': { schema: { type: 'object' } } } } },
  });
  add('GET', OPENAPI_PATH, { operationId: 'docs.openapi', tags: ['operations'], summary: 'This document (OpenAPI 3.1).', security: [], responses: { '200': { description: 'OpenAPI 3.1', content: { 'application/json': { schema: { type: 'object' } } } } } });
  add('GET', DOCS_PATH, { operationId: 'docs.reference', tags: ['operations'], summary: 'This document as a reference page (HTML).', security: [], responses: { '200': { description: 'HTML', content: { 'text/html': { schema: { type: 'string' } } } } } });
}

export function buildOpenApi(opts: { version: string; publicBaseUrl?: string } = { version: '0' }): Json {
  const paths: Record<string, Record<string, Json>> = {};
  const add: AddOperation = (method, path, op) => {
    (paths[openApiPath(path)] ??= {})[method.toLowerCase()] = op;
  };

  for (const { tag, name, endpoint } of apiContracts()) add(endpoint.method, endpoint.path, apiOperation(tag, name, endpoint));
  fileRoutes(add);
  bluecardRoutes(add);
  notifyRoutes(add);
  operationsRoutes(add);

  const tags = [...new Set(Object.values(paths).flatMap((ops) => Object.values(ops).flatMap((o) => (o.tags as string[]) ?? [])))];
  return {
    openapi: '3.1.0',
    info: {
      title: 'ParkPay',
      version: opts.version,
      description:
        'The driver-facing payment cloud for Bluecard parking lots: the app API of the mini-program and the operator console (contracts in shared/api), ' +
        'the URLs the lots\' Bluecard clouds call (protocol v2.6.0, the section of each), and the payment providers\' notify URLs.',
    },
    ...(opts.publicBaseUrl ? { servers: [{ url: opts.publicBaseUrl }] } : {}),
    tags: tags.map((name) => ({ name })),
    paths,
    components: {
      schemas: { ApiError: schemaOf(apiErrorSchema, 'output') },
      securitySchemes: {
        driverSession: { type: 'http', scheme: 'bearer', description: 'A driver session token (POST /api/auth/wechat, /api/auth/alipay).' },
        operatorSession: { type: 'http', scheme: 'bearer', description: 'An operator session token (POST /api/op/auth/login); 12 hours.' },
        bluecardSign: { type: 'apiKey', in: 'header', name: 'sign', description: "md5(key + parkNumber), the park's Bluecard key." },
      },
    },
  };
}

// ── the reference page ─────────────────────────────────────────────────────────────────────────────────

const esc = (s: unknown) => String(s).replace(/[&<>"']/g, (c) => ({ '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' })[c]!);
/** `code` spans of the summaries as <code>. */
const md = (s: unknown) => esc(s).replace(/`([^`]+)`/g, '<code>$1</code>');

export function renderReference(doc: Json): string {
  const paths = doc.paths as Record<string, Record<string, Json>>;
  const byTag = new Map<string, { method: string; path: string; op: Json }[]>();
  for (const [path, ops] of Object.entries(paths)) {
    for (const [method, op] of Object.entries(ops)) {
      const tag = ((op.tags as string[]) ?? ['other'])[0]!;
      if (!byTag.has(tag)) byTag.set(tag, []);
      byTag.get(tag)!.push({ method: method.toUpperCase(), path, op });
    }
  }
  const anchor = (s: string) => s.replace(/[^\w]+/g, '-');
  const schemaBlock = (label: string, schema: unknown) =>
    `<details><summary>${esc(label)}</summary><pre>${esc(JSON.stringify(schema, null, 2))}</pre></details>`;
  const sections = [...byTag.entries()].map(([tag, ops]) => {
    const items = ops.map(({ method, path, op }) => {
      const security = (op.security as Json[] | undefined)?.flatMap((s) => Object.keys(s)) ?? [];
      const params = (op.parameters as Json[] | undefined) ?? [];
      const body = (op.requestBody as { content?: Record<string, { schema?: unknown }> } | undefined)?.content;
      const responses = op.responses as Record<string, { description?: string; content?: Record<string, { schema?: unknown }> }>;
      return `<section class="op" id="${anchor(`${method} ${path}`)}">
<h3><span class="m ${method.toLowerCase()}">${method}</span> <code>${esc(path)}</code>${op['x-bluecard-section'] ? ` <span class="sec">§${esc(op['x-bluecard-section'])}</span>` : ''}</h3>
<p>${md(op.summary)}</p>${op.description ? `<p class="d">${md(op.description)}</p>` : ''}
<p class="auth">${security.length ? `auth: ${security.map(esc).join(', ')}` : 'no authentication'}</p>
${params.length ? `<table><tr><th>parameter</th><th>in</th><th>required</th><th>schema</th></tr>${params.map((p) => `<tr><td><code>${esc(p.name)}</code></td><td>${esc(p.in)}</td><td>${p.required ? 'yes' : 'no'}</td><td><code>${esc(JSON.stringify(p.schema))}</code></td></tr>`).join('')}</table>` : ''}
${body ? Object.entries(body).map(([type, c]) => schemaBlock(`request body (${type})`, c.schema)).join('') : ''}
${Object.entries(responses)
  .map(([status, r]) => (r.content ? Object.entries(r.content).map(([type, c]) => schemaBlock(`${status} ${r.description ?? ''} (${type})`, c.schema)).join('') : `<p class="r">${esc(status)}: ${md(r.description)}</p>`))
  .join('')}
</section>`;
    });
    return `<h2 id="${anchor(tag)}">${esc(tag)}</h2>\n${items.join('\n')}`;
  });
  const info = doc.info as { title: string; version: string; description: string };
  return `<!doctype html>
<html lang="en"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width, initial-scale=1">
<title>${esc(info.title)} API reference</title>
<style>
body{font:14px/1.5 system-ui,sans-serif;margin:0 auto;max-width:1100px;padding:1rem 2rem;color:#222}
nav{columns:3;font-size:13px}nav a{display:block}code,pre{font:12px ui-monospace,monospace}pre{background:#f6f8fa;padding:.5rem;overflow:auto;max-height:30rem}
.op{border-top:1px solid #ddd;padding:.5rem 0}.op h3{margin:.3rem 0;font-size:15px}.m{display:inline-block;min-width:4rem;color:#fff;border-radius:3px;padding:0 .4rem;text-align:center}
.get{background:#1f7a3a}.post{background:#1c5fb8}.delete{background:#b3261e}.sec{color:#8a4b00}.auth,.d,.r{color:#555;margin:.2rem 0}table{border-collapse:collapse;margin:.3rem 0}td,th{border:1px solid #ddd;padding:2px 6px;text-align:left}
</style></head><body>
<h1>${esc(info.title)} API reference <small>${esc(info.version)}</small></h1>
<p>${md(info.description)} The machine-readable document: <a href="${OPENAPI_PATH}"><code>${OPENAPI_PATH}</code></a> (OpenAPI ${esc(doc.openapi)}).</p>
<nav>${[...byTag.keys()].map((t) => `<a href="#${anchor(t)}">${esc(t)}</a>`).join('')}</nav>
${sections.join('\n')}
</body></html>
`;
}

/** GET /api/openapi.json and /api/docs; both built once, on first request. */
export function openApiRouter(opts: { version: string; publicBaseUrl?: string }): Router {
  let doc: Json | undefined;
  let html: string | undefined;
  const router = new Router();
  router.get(OPENAPI_PATH, (ctx) => {
    ctx.set('cache-control', 'public, max-age=300');
    ctx.body = (doc ??= buildOpenApi(opts));
  });
  router.get(DOCS_PATH, (ctx) => {
    ctx.set('cache-control', 'public, max-age=300');
    ctx.set('content-security-policy', "default-src 'none'; style-src 'unsafe-inline'");
    ctx.type = 'text/html';
    ctx.body = (html ??= renderReference((doc ??= buildOpenApi(opts))));
  });
  return router;
}

/** Mounted routes the document does not name (method and path): what the reference would be missing. */
export function undocumentedRoutes(routes: { method: string; path: string }[], doc: Json): string[] {
  const paths = doc.paths as Record<string, Record<string, unknown>>;
  return routes.filter((r) => !paths[openApiPath(r.path)]?.[r.method.toLowerCase()]).map((r) => `${r.method} ${r.path}`);
}
