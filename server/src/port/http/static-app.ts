/**
 * Serves the mini-program's H5 build (miniapp/dist/h5) at `/`, so a browser can walk the driver journeys
 * against this server (demo mode), and lane links (/q/<park>/<lane>) open the app. Only GET/HEAD, only
 * files inside the build folder; unknown paths that are not files get index.html (the app routes itself).
 *
 * Compressed when the browser takes it: the build's precompressed siblings (`<file>.br`, `<file>.gz`, made
 * by miniapp/config/precompress.ts) first, brotli before gzip; otherwise text files of 1 KB or more are
 * gzipped here once and kept in memory (by path, size and mtime, so a rebuild is picked up). Files named
 * with their content hash are cached by the browser for good; index.html and the rest are checked again
 * every time (304 when unchanged).
 */
import { createReadStream, existsSync, statSync, type Stats } from 'node:fs';
import { readFile } from 'node:fs/promises';
import path from 'node:path';
import { promisify } from 'node:util';
import { gzip as gzipCb } from 'node:zlib';
import Router from '@koa/router';

const gzip = promisify(gzipCb);

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
  '.txt': 'text/plain; charset=utf-8',
};

/** Worth compressing: text. (Pictures and woff2 are compressed already.) */
const COMPRESSIBLE = new Set(['.html', '.js', '.css', '.json', '.svg', '.map', '.txt']);
/** Below this a compressed answer saves less than it costs. */
export const COMPRESS_MIN_BYTES = 1024;
/** Files gzipped here and kept (a build has a few dozen; this bounds a folder that is not a build). */
const CACHE_MAX_ENTRIES = 200;

/** A build file named with its content hash (`app.6ed50a95.js`, the H5 build's [hash:8]/[chunkhash:8]). */
const HASHED = /\.[0-9a-f]{8,}\.[a-z0-9]+$/i;

/** Paths the API and the other ports own (demo: demo mode's playground): never answered with the app. */
const NOT_APP = /^\/(api|bluecard|notify|healthz|readyz|demo)(\/|$)/;

type Encoding = 'br' | 'gzip';
const SUFFIX: Record<Encoding, string> = { br: '.br', gzip: '.gz' };

function statFile(file: string): Stats | undefined {
  try {
    const s = statSync(file);
    return s.isFile() ? s : undefined;
  } catch {
    return undefined;
  }
}

/** A request path decoded; one that does not decode is no file (the app gets it). */
function safeDecode(p: string): string {
  try {
    return decodeURIComponent(p);
  } catch {
    return '/';
  }
}

/**
 * The router, or undefined when there is no build. `appearsLater`: a router even without a build (demo
 * mode builds it in the background), serving it once it is there.
 */
export function staticAppRouter(root: string, opts: { appearsLater?: boolean } = {}): Router | undefined {
  const dir = path.resolve(root);
  if (!opts.appearsLater && !existsSync(path.join(dir, 'index.html'))) return undefined;
  const gzipped = new Map<string, { key: string; body: Promise<Buffer> }>();

  /** `file` gzipped, made once per version of the file. */
  const gzippedOf = (file: string, stat: Stats): Promise<Buffer> => {
    const key = `${stat.size}:${stat.mtimeMs}`;
    const hit = gzipped.get(file);
    if (hit && hit.key === key) return hit.body;
    if (gzipped.size >= CACHE_MAX_ENTRIES) gzipped.delete(gzipped.keys().next().value!);
    const body = readFile(file).then((b) => gzip(b, { level: 9 }));
    body.catch(() => gzipped.delete(file));
    gzipped.set(file, { key, body });
    return body;
  };

  const router = new Router();
  router.get(/^\/.*/, async (ctx, next) => {
    if (NOT_APP.test(ctx.path)) return next();
    let file = path.resolve(dir, `.${safeDecode(ctx.path)}`);
    let stat = file.startsWith(dir + path.sep) ? statFile(file) : undefined;
    if (!stat) {
      file = path.join(dir, 'index.html');
      stat = statFile(file);
      if (!stat) return next(); // no build (yet), or it was removed while running
    }
    const ext = path.extname(file);
    ctx.type = TYPES[ext] ?? 'application/octet-stream';
    // A file with its content's hash in its name can be cached for good; anything else (index.html, a
    // file without a hash) is checked again every time: its ETag makes that a 304 when it is unchanged.
    if (HASHED.test(path.basename(file))) {
      ctx.set('cache-control', 'public, max-age=31536000, immutable');
    } else {
      ctx.set('cache-control', 'no-cache');
      ctx.etag = `W/"${stat.size.toString(16)}-${Math.floor(stat.mtimeMs).toString(16)}"`;
      ctx.status = 200;
      if (ctx.fresh) {
        ctx.status = 304;
        return;
      }
    }

    if (COMPRESSIBLE.has(ext) && stat.size >= COMPRESS_MIN_BYTES) {
      ctx.vary('accept-encoding');
      const accepted = ctx.acceptsEncodings() as string[];
      const wanted = (['br', 'gzip'] as const).filter((e) => accepted.includes(e));
      for (const enc of wanted) {
        const sibling = statFile(file + SUFFIX[enc]);
        if (!sibling) continue;
        ctx.body = createReadStream(file + SUFFIX[enc]);
        ctx.length = sibling.size;
        ctx.set('content-encoding', enc);
        return;
      }
      if (wanted.includes('gzip')) {
        ctx.body = await gzippedOf(file, stat);
        ctx.set('content-encoding', 'gzip');
        return;
      }
    }
    ctx.body = createReadStream(file);
    ctx.length = stat.size;
  });
  return router;
}
