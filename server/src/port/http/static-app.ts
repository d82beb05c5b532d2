/**
 * Serves the mini-program's H5 build (miniapp/dist/h5) at `/`, so a browser can walk the driver journeys
 * against this server (demo mode), and lane links (/q/<park>/<lane>) open the app. Only GET/HEAD, only
 * files inside the build folder; unknown paths that are not files get index.html (the app routes itself).
 */
import { createReadStream, existsSync, statSync } from 'node:fs';
import path from 'node:path';
import Router from '@koa/router';

const TYPES: Record<string, string> = {
  '.html': 'text/html; charset=utf-8',
  '.js': 'text/javascript; charset=utf-8',
  '.css': 'text/css; charset=utf-8',
  '.json': 'application/json; charset=utf-8',
  '.png': 'image/png',
  '.jpg': 'image/jpeg',
  '.svg': 'image/svg+xml',
  '.ico': 'image/x-icon',
  '.woff2': 'font/woff2',
  '.map': 'application/json',
};

/** Paths the API and the other ports own: never answered with the app. */
const NOT_APP = /^\/(api|bluecard|notify|healthz|readyz)(\/|$)/;

export function staticAppRouter(root: string): Router | undefined {
  const dir = path.resolve(root);
  if (!existsSync(path.join(dir, 'index.html'))) return undefined;
  const router = new Router();
  router.get(/^\/.*/, async (ctx, next) => {
    if (NOT_APP.test(ctx.path)) return next();
    let file = path.resolve(dir, `.${decodeURIComponent(ctx.path)}`);
    if (!file.startsWith(dir + path.sep) || !existsSync(file) || !statSync(file).isFile()) file = path.join(dir, 'index.html');
    const ext = path.extname(file);
    ctx.type = TYPES[ext] ?? 'application/octet-stream';
    // Hashed assets can be cached for good; index.html must always be fresh.
    ctx.set('cache-control', ext === '.html' ? 'no-cache' : 'public, max-age=31536000, immutable');
    ctx.body = createReadStream(file);
  });
  return router;
}
