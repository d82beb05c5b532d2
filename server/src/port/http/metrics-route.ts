/**
 * /metrics, and the request metrics behind it. Metrics are not public: on the main port they take
 * `Authorization: Bearer <metrics.token>`; on metrics.port (a listener of its own, meant for the internal
 * network the scraper is on) they are served to whoever reaches the port, with the token checked too when
 * one is set. With neither configured there is no /metrics.
 */
import { timingSafeEqual } from 'node:crypto';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import Router from '@koa/router';
import type { Context, Next } from 'koa';
import type { Metrics } from '../../metrics';
import type { AppState } from './middleware';

export const METRICS_PATH = '/metrics';

/** Times every request by method, route pattern and status class; counts rate-limit refusals. */
export function httpMetrics(metrics: Metrics) {
  return async (ctx: Context, next: Next) => {
    const t0 = process.hrtime.bigint();
    try {
      await next();
    } finally {
      const matched = (ctx as { _matchedRoute?: string | RegExp })._matchedRoute;
      const route = typeof matched === 'string' ? matched : matched ? 'static' : 'unmatched';
      metrics.httpRequests.observe({ method: ctx.method, route, status: `${Math.floor(ctx.status / 100)}xx` }, Number(process.hrtime.bigint() - t0) / 1e9);
      const body = ctx.body as { error?: { code?: unknown }; status?: unknown; errorCode?: unknown } | undefined;
      // A payment notification refused (WeChat Pay: not 2xx; Alipay: anything but `success`): the provider sends it again.
      const notify = /^\/notify\/(wechatpay|alipay)(\/|$)/.exec(ctx.path);
      if (notify && ctx.method === 'POST' && (ctx.status >= 300 || (notify[1] === 'alipay' && ctx.body !== 'success'))) {
        metrics.payments.inc({ provider: notify[1] === 'wechatpay' ? 'wechat' : 'alipay', outcome: 'notification_refused' });
      }
      if ((ctx.state as AppState).protocol === 'bluecard') {
        if (body?.status === 'fail' && typeof body.errorCode === 'string' && body.errorCode.startsWith('rate_limited')) {
          metrics.rateLimited.inc({ scope: 'bluecard', code: 'rate_limited' });
        }
      } else if (ctx.status === 429) {
        metrics.rateLimited.inc({ scope: 'api', code: typeof body?.error?.code === 'string' ? body.error.code : 'unknown' });
      }
    }
  };
}

function tokenMatches(given: string, token: string): boolean {
  const a = Buffer.from(given);
  const b = Buffer.from(token);
  return a.length === b.length && timingSafeEqual(a, b);
}

/** Answers a scrape: 401 without the right token (when one is required), else the exposition. */
async function answerScrape(metrics: Metrics, token: string | undefined, authorization: string | undefined): Promise<{ status: number; type: string; body: string; headers?: Record<string, string> }> {
  if (token !== undefined) {
    const given = /^Bearer (.+)$/.exec(authorization ?? '')?.[1] ?? '';
    if (!tokenMatches(given, token)) return { status: 401, type: 'text/plain', body: 'a metrics token is required\n', headers: { 'www-authenticate': 'Bearer realm="metrics"' } };
  }
  return { status: 200, type: metrics.contentType, body: await metrics.scrape() };
}

/** /metrics on the main port, behind the token. */
export function metricsRouter(metrics: Metrics, token: string): Router {
  const router = new Router();
  router.get(METRICS_PATH, async (ctx) => {
    const a = await answerScrape(metrics, token, ctx.get('authorization'));
    ctx.status = a.status;
    for (const [k, v] of Object.entries(a.headers ?? {})) ctx.set(k, v);
    ctx.set('cache-control', 'no-store');
    ctx.type = a.type;
    ctx.body = a.body;
  });
  return router;
}

export interface MetricsServer {
  url: string;
  stop(): Promise<void>;
}

/** A listener of its own for /metrics (and nothing else). */
export async function startMetricsServer(metrics: Metrics, host: string, port: number, token?: string): Promise<MetricsServer> {
  const server = http.createServer((req, res) => {
    const path = (req.url ?? '/').split('?')[0];
    if (req.method !== 'GET' || path !== METRICS_PATH) {
      res.writeHead(404, { 'content-type': 'text/plain' }).end('not found\n');
      return;
    }
    answerScrape(metrics, token, req.headers.authorization).then(
      (a) => res.writeHead(a.status, { 'content-type': a.type, 'cache-control': 'no-store', ...(a.headers ?? {}) }).end(a.body),
      () => res.writeHead(500, { 'content-type': 'text/plain' }).end('metrics failed\n'),
    );
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(port, host, () => resolve());
  });
  const addr = server.address() as AddressInfo;
  return {
    url: `http://${host.includes(':') ? `[${host}]` : host}:${addr.port}`,
    stop: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}
