/**
 * How the FerretDB build is made reproducible: patches apply exactly or the build stops naming the patch,
 * and the cache folder changes with the patches and the wrapper's sources (a stale binary is never reused).
 */
import { cpSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { applyPatches, buildId, cachedBinaryPath, patchFiles, TOOL_DIR } from '../../../server/src/repository/engine/ferretdb';

const tmp = mkdtempSync(path.join(os.tmpdir(), 'parkpay-build-'));
afterAll(() => rmSync(tmp, { recursive: true, force: true }));

const PATCH = `A header: what it fixes, and why.

--- a/internal/x.go
+++ b/internal/x.go
@@ -1,3 +1,3 @@
 package x
 
-const IDColumn = "->'$._id'"
+const IDColumn = "->'_id'"
`;

function moduleTree(name: string, content: string): string {
  const dir = path.join(tmp, name);
  mkdirSync(path.join(dir, 'internal'), { recursive: true });
  writeFileSync(path.join(dir, 'internal/x.go'), content);
  return dir;
}

describe('applyPatches', () => {
  it('applies a patch with a header to the module tree', () => {
    const dir = moduleTree('ok', `package x\n\nconst IDColumn = "->'$._id'"\n`);
    writeFileSync(path.join(tmp, '0001-ok.patch'), PATCH);
    const log: string[] = [];
    applyPatches(dir, [path.join(tmp, '0001-ok.patch')], (m) => log.push(m));
    expect(readFileSync(path.join(dir, 'internal/x.go'), 'utf8')).toBe(`package x\n\nconst IDColumn = "->'_id'"\n`);
    expect(log).toEqual(['Applied 0001-ok.patch']);
  });

  it('stops, naming the patch, when the module is not what the patch was made for', () => {
    const dir = moduleTree('other', `package x\n\nconst IDColumn = "->'$.id'"\n`);
    writeFileSync(path.join(tmp, '0002-stale.patch'), PATCH);
    expect(() => applyPatches(dir, [path.join(tmp, '0002-stale.patch')])).toThrow(/FerretDB patch 0002-stale\.patch does not apply to github\.com\/FerretDB\/FerretDB@v1\.24\.2:\n.*patch failed: internal\/x\.go:1/s);
    expect(readFileSync(path.join(dir, 'internal/x.go'), 'utf8')).toContain(`"->'$.id'"`);
  });
});

describe('the build cache folder', () => {
  it('carries the patches: one folder for the patched build, another for the stock one', () => {
    expect(patchFiles().map((p) => path.basename(p))).toContain('0001-sqlite-find-by-_id-through-the-_id-index.patch');
    const cache = path.join(tmp, 'cache');
    expect(cachedBinaryPath(cache)).toBe(path.join(cache, `ferretdb-v1.24.2-${buildId()}`, 'parkpay-ferretdb'));
    expect(cachedBinaryPath(cache, { patched: false })).toBe(path.join(cache, `ferretdb-v1.24.2-stock-${buildId({ patched: false })}`, 'parkpay-ferretdb'));
    expect(buildId()).not.toBe(buildId({ patched: false }));
  });

  it('changes when a patch or a source of the wrapper changes', () => {
    const toolDir = path.join(tmp, 'tool');
    cpSync(TOOL_DIR, toolDir, { recursive: true });
    const ids = () => ({ patched: buildId({ toolDir }), stock: buildId({ toolDir, patched: false }) });
    const original = ids();
    expect(original).toEqual({ patched: buildId(), stock: buildId({ patched: false }) });

    const patch = patchFiles(toolDir)[0]!;
    writeFileSync(patch, readFileSync(patch, 'utf8').replace("->'_id'", "->'_id' "));
    const patchChanged = ids();
    expect(patchChanged.patched).not.toBe(original.patched);
    expect(patchChanged.stock).toBe(original.stock); // the stock build has no patches

    writeFileSync(path.join(toolDir, 'writelock.go'), `${readFileSync(path.join(toolDir, 'writelock.go'), 'utf8')}\n// changed\n`);
    const sourceChanged = ids();
    expect(sourceChanged.patched).not.toBe(patchChanged.patched);
    expect(sourceChanged.stock).not.toBe(patchChanged.stock);

    writeFileSync(path.join(toolDir, 'patches', '0002-more.patch'), PATCH);
    expect(ids().patched).not.toBe(sourceChanged.patched);
  });
});
