import { mkdirSync, mkdtempSync, utimesSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { brotliCompressSync, gzipSync } from 'node:zlib';
import Router from '@koa/router';
import request from 'supertest';
import { createApp } from '../../../../server/src/app';
import { createLogger } from '../../../../server/src/logger';
import { COMPRESS_MIN_BYTES, staticAppRouter } from '../../../../server/src/port/http/static-app';

describe('the H5 build served at /', () => {
  const dir = mkdtempSync(path.join(os.tmpdir(), 'h5-'));
  mkdirSync(path.join(dir, 'js'));
  writeFileSync(path.join(dir, 'index.html'), '<!doctype html><div id="app"></div>');
  writeFileSync(path.join(dir, 'js', 'app.1234abcd.js'), 'console.log(1)');
  writeFileSync(path.join(os.tmpdir(), 'secret.txt'), 'not for you');
  const api = new Router();
  api.get('/api/ping', (ctx) => {
    ctx.body = { ok: true };
  });
  const app = createApp({ logger: createLogger('silent'), databaseReady: async () => true, routers: [api, staticAppRouter(dir)!] });

  it('serves files, index.html for app routes and lane links, and never shadows the API', async () => {
    const js = await request(app.callback()).get('/js/app.1234abcd.js');
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

describe('the H5 build, compressed', () => {
  const dir = mkdtempSync(path.join(os.tmpdir(), 'h5z-'));
  mkdirSync(path.join(dir, 'js'));
  mkdirSync(path.join(dir, 'css'));
  const big = (label: string) => `/* ${label} */\n` + 'function f(a){return a+1}\n'.repeat(400);
  const js = big('app.js');
  writeFileSync(path.join(dir, 'index.html'), `<!doctype html><div id="app"></div><script>${'var x=1;'.repeat(200)}</script>`);
  writeFileSync(path.join(dir, 'js', 'app.1234abcd.js'), js);
  // The build's siblings, marked so a test can tell which one was sent (a real build's decode to the file).
  writeFileSync(path.join(dir, 'js', 'app.1234abcd.js.br'), brotliCompressSync(big('app.js.br')));
  writeFileSync(path.join(dir, 'js', 'app.1234abcd.js.gz'), gzipSync(big('app.js.gz')));
  writeFileSync(path.join(dir, 'js', 'tiny.5678.js'), 'console.log(1)');
  writeFileSync(path.join(dir, 'css', 'app.css'), '.a{color:red}\n'.repeat(200));
  writeFileSync(path.join(dir, 'logo.png'), Buffer.alloc(4096, 7));
  const app = createApp({ logger: createLogger('silent'), databaseReady: async () => true, routers: [staticAppRouter(dir)!] });
  const get = (url: string, acceptEncoding?: string) => {
    const r = request(app.callback()).get(url);
    return acceptEncoding === undefined ? r : r.set('accept-encoding', acceptEncoding);
  };

  it("sends the build's brotli sibling to a browser that takes br (as Chromium asks: gzip, deflate, br, zstd)", async () => {
    const res = await get('/js/app.1234abcd.js', 'gzip, deflate, br, zstd');
    expect(res.status).toBe(200);
    expect(res.headers['content-encoding']).toBe('br');
    expect(res.headers['content-type']).toMatch(/javascript/);
    expect(res.headers.vary).toMatch(/accept-encoding/i);
    expect(res.headers['cache-control']).toMatch(/immutable/);
    expect(res.text).toBe(big('app.js.br'));
  });

  it('the gzip sibling when br is not taken', async () => {
    for (const ae of ['gzip', 'br;q=0, gzip']) {
      const res = await get('/js/app.1234abcd.js', ae);
      expect(res.headers['content-encoding']).toBe('gzip');
      expect(res.text).toBe(big('app.js.gz'));
    }
  });

  it('the file itself to a client that takes no compression', async () => {
    for (const ae of ['identity', '', 'br;q=0, gzip;q=0']) {
      const res = await get('/js/app.1234abcd.js', ae);
      expect(res.headers['content-encoding']).toBeUndefined();
      expect(res.text).toBe(js);
      expect(res.headers['content-length']).toBe(String(Buffer.byteLength(js)));
    }
  });

  it('gzips a text file without siblings here (again after a rebuild)', async () => {
    const first = await get('/css/app.css', 'gzip, br');
    expect(first.headers['content-encoding']).toBe('gzip');
    expect(first.headers['content-type']).toMatch(/css/);
    expect(first.text).toBe('.a{color:red}\n'.repeat(200));
    expect(Number(first.headers['content-length'])).toBeLessThan(200);
    // A rebuild (new content, new mtime) is picked up.
    writeFileSync(path.join(dir, 'css', 'app.css'), '.b{color:blue}\n'.repeat(200));
    utimesSync(path.join(dir, 'css', 'app.css'), new Date(), new Date(Date.now() + 5000));
    expect((await get('/css/app.css', 'gzip')).text).toBe('.b{color:blue}\n'.repeat(200));
  });

  it('index.html for lane links, gzipped and never cached', async () => {
    const res = await get('/q/p_demo_001/1', 'gzip, deflate, br');
    expect(res.headers['content-encoding']).toBe('gzip');
    expect(res.headers['cache-control']).toBe('no-cache');
    expect(res.text).toContain('id="app"');
  });

  it('caches hashed names for good; checks the others again (304 when unchanged)', async () => {
    expect((await get('/js/app.1234abcd.js')).headers['cache-control']).toBe('public, max-age=31536000, immutable');
    const css = await get('/css/app.css', 'gzip');
    expect(css.headers['cache-control']).toBe('no-cache');
    expect(css.headers.etag).toMatch(/^W\/"/);
    const again = await get('/css/app.css', 'gzip').set('if-none-match', css.headers.etag!);
    expect(again.status).toBe(304);
    expect(again.text).toBe('');
    const html = await get('/q/p_demo_001/2', 'identity');
    expect((await get('/', 'identity').set('if-none-match', html.headers.etag!)).status).toBe(304);
    writeFileSync(path.join(dir, 'css', 'app.css'), '.c{color:green}\n'.repeat(200));
    utimesSync(path.join(dir, 'css', 'app.css'), new Date(), new Date(Date.now() + 10_000));
    const changed = await get('/css/app.css', 'gzip').set('if-none-match', css.headers.etag!);
    expect(changed.status).toBe(200);
    expect(changed.text).toBe('.c{color:green}\n'.repeat(200));
  });

  it('leaves small files and pictures as they are', async () => {
    expect(Buffer.byteLength('console.log(1)')).toBeLessThan(COMPRESS_MIN_BYTES);
    const tiny = await get('/js/tiny.5678.js', 'gzip, br');
    expect(tiny.headers['content-encoding']).toBeUndefined();
    expect(tiny.text).toBe('console.log(1)');
    const png = await get('/logo.png', 'gzip, br').buffer(true);
    expect(png.headers['content-encoding']).toBeUndefined();
    expect(png.headers['content-type']).toBe('image/png');
    expect(png.headers['content-length']).toBe('4096');
  });

  it('a path that does not decode is an app route, not an error', async () => {
    const res = await get('/q/%E4%B8/1', 'identity');
    expect(res.status).toBe(200);
    expect(res.text).toContain('id="app"');
  });
});
