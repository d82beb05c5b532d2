import { mkdirSync, mkdtempSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import Router from '@koa/router';
import request from 'supertest';
import { createApp } from '../../../../server/src/app';
import { createLogger } from '../../../../server/src/logger';
import { staticAppRouter } from '../../../../server/src/port/http/static-app';

describe('the H5 build served at /', () => {
  const dir = mkdtempSync(path.join(os.tmpdir(), 'h5-'));
  mkdirSync(path.join(dir, 'js'));
  writeFileSync(path.join(dir, 'index.html'), '<!doctype html><div id="app"></div>');
  writeFileSync(path.join(dir, 'js', 'app.1234.js'), 'console.log(1)');
  writeFileSync(path.join(os.tmpdir(), 'secret.txt'), 'not for you');
  const api = new Router();
  api.get('/api/ping', (ctx) => {
    ctx.body = { ok: true };
  });
  const app = createApp({ logger: createLogger('silent'), databaseReady: async () => true, routers: [api, staticAppRouter(dir)!] });

  it('serves files, index.html for app routes and lane links, and never shadows the API', async () => {
    const js = await request(app.callback()).get('/js/app.1234.js');
    expect(js.status).toBe(200);
    expect(js.headers['content-type']).toMatch(/javascript/);
    expect(js.headers['cache-control']).toMatch(/immutable/);
    const lane = await request(app.callback()).get('/q/p_demo_001/1');
    expect(lane.text).toContain('id="app"');
    expect(lane.headers['cache-control']).toBe('no-cache');
    expect((await request(app.callback()).get('/api/ping')).body).toEqual({ ok: true });
    expect((await request(app.callback()).get('/api/nothing')).status).toBe(404);
  });

  it('never serves a file outside the build folder', async () => {
    const res = await request(app.callback()).get('/..%2fsecret.txt');
    expect(res.text).not.toContain('not for you');
  });

  it('is absent when there is no build', () => {
    expect(staticAppRouter(path.join(dir, 'nope'))).toBeUndefined();
  });
});
