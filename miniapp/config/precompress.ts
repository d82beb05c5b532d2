/**
 * H5 build: a brotli (`.br`, quality 11) and a gzip (`.gz`, level 9) copy next to every text asset of 1 KB
 * or more, made once at build time, so the server (server/src/port/http/static-app.ts) sends the smallest
 * one the browser takes without compressing anything per request.
 */
import { brotliCompressSync, constants, gzipSync } from 'node:zlib';
import type { Compiler } from 'webpack';

const TEXT = /\.(js|css|html|json|svg)$/;
const MIN_BYTES = 1024;

export class PrecompressPlugin {
  apply(compiler: Compiler): void {
    const { Compilation, sources } = compiler.webpack;
    compiler.hooks.thisCompilation.tap('PrecompressPlugin', (compilation) => {
      // After minifying, hashing and index.html (OPTIMIZE_INLINE): the bytes that will be served.
      compilation.hooks.processAssets.tap({ name: 'PrecompressPlugin', stage: Compilation.PROCESS_ASSETS_STAGE_OPTIMIZE_TRANSFER }, (assets) => {
        for (const [name, source] of Object.entries(assets)) {
          if (!TEXT.test(name)) continue;
          const raw = source.buffer();
          if (raw.length < MIN_BYTES) continue;
          const info = compilation.assetsInfo.get(name);
          const br = brotliCompressSync(raw, { params: { [constants.BROTLI_PARAM_QUALITY]: 11, [constants.BROTLI_PARAM_SIZE_HINT]: raw.length } });
          compilation.emitAsset(`${name}.br`, new sources.RawSource(br), { compressed: true, immutable: info?.immutable });
          compilation.emitAsset(`${name}.gz`, new sources.RawSource(gzipSync(raw, { level: 9 })), { compressed: true, immutable: info?.immutable });
        }
      });
    });
  }
}
