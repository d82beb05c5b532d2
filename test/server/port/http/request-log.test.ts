/**
 * The request line: one per request at info, except a route marked quiet (a page's poll) that answered
 * well, which goes to debug; a quiet route that fails is still at info.
 */
import { Writable } from 'node:stream';
import Koa from 'koa';
import Router from '@koa/router';
import { createLogger } from '../../../../server/src/logger';
import { requestContext, type AppState } from '../../../../server/src/port/http/middleware';

function app(level: string) {
  const lines: { level: number; path: string; status: number }[] = [];
  const sink = new Writable({
    write(chunk: Buffer, _enc, done) {
      for (const l of String(chunk).split('\n').filter(Boolean)) lines.push(JSON.parse(l) as (typeof lines)[number]);
      done();
    },
  });
  const koa = new Koa<AppState>();
  koa.use(requestContext(createLogger(level, sink)));
  const router = new Router<AppState>();
  router.get('/loud', (ctx) => {
    ctx.body = { ok: true };
  });
  router.get('/polled', (ctx) => {
    ctx.state.quietLog = true;
    ctx.body = { ok: true };
  });
  router.get('/polled-failing', (ctx) => {
    ctx.state.quietLog = true;
    ctx.status = 500;
    ctx.body = { error: 'x' };
  });
  koa.use(router.routes());
  return { koa, lines };
}

async function get(koa: Koa<AppState>, paths: string[]): Promise<void> {
  const server = koa.listen(0, '127.0.0.1');
  await new Promise((r) => server.once('listening', r));
  try {
    const { port } = server.address() as { port: number };
    for (const p of paths) await (await fetch(`http://127.0.0.1:${port}${p}`)).text();
  } finally {
    await new Promise((r) => server.close(r));
  }
}

it('a polled route that answered well is logged at debug, everything else at info', async () => {
  const { koa, lines } = app('info');
  await get(koa, ['/loud', '/polled', '/polled-failing']);
  expect(lines.map((l) => [l.path, l.status, l.level])).toEqual([
    ['/loud', 200, 30],
    ['/polled-failing', 500, 30],
  ]);
});

it('at debug the polled route is there too', async () => {
  const { koa, lines } = app('debug');
  await get(koa, ['/polled']);
  expect(lines.map((l) => [l.path, l.level])).toEqual([['/polled', 20]]);
});
