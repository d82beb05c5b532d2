/**
 * `npm run db:build`: make sure the embedded engine (our FerretDB v1.24.2 build, patched) is in the cache
 * folder, building it with Go when missing. Prints where it is and how long it took.
 *   --force  build even when the cache has it
 *   --stock  the same wrapper on the unpatched module (for comparisons: scripts/bench-db-lookups.ts)
 * A patch in tools/ferretdb/patches that does not apply stops the build with its file name (exit 1).
 */
import path from 'node:path';
import { buildFerretDb, cachedBinaryPath, findFerretDb, goAvailable, FERRETDB_VERSION, PATCHED_VERSION } from '../server/src/repository/engine/ferretdb';

const cacheDir = path.resolve(process.env.PARKPAY_CACHE_DIR ?? '.cache');
const force = process.argv.includes('--force');
const patched = !process.argv.includes('--stock');
const label = patched ? PATCHED_VERSION : `${FERRETDB_VERSION} (stock)`;
// The cache only: $PARKPAY_FERRETDB_BIN or one on PATH is not what this builds.
const cached = cachedBinaryPath(cacheDir, { patched });
const found = force ? undefined : findFerretDb(cacheDir, { patched });
if (found && found.path === cached) {
  console.log(`FerretDB ${label}: ${found.path} (cached)`);
} else if (!goAvailable()) {
  console.error('FerretDB is not built and Go is not installed: install Go 1.24+ (apt-get install golang, or https://go.dev/dl/) or set MONGODB_URI.');
  process.exit(1);
} else {
  try {
    const bin = buildFerretDb(cacheDir, (m) => console.log(m), { patched });
    console.log(`FerretDB ${label}: ${bin.path}`);
  } catch (e) {
    console.error(`db:build failed: ${(e as Error).message}`);
    process.exit(1);
  }
}
