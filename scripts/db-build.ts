/**
 * `npm run db:build`: make sure the embedded engine (our FerretDB v1.24.2 build) is in the cache folder,
 * building it with Go when missing. Prints where it is and how long it took.
 */
import path from 'node:path';
import { buildFerretDb, findFerretDb, goAvailable, FERRETDB_VERSION } from '../server/src/repository/engine/ferretdb';

const cacheDir = path.resolve(process.env.PARKPAY_CACHE_DIR ?? '.cache');
const force = process.argv.includes('--force');
const found = force ? undefined : findFerretDb(cacheDir);
if (found) {
  console.log(`FerretDB ${FERRETDB_VERSION}: ${found.path} (cached)`);
} else if (!goAvailable()) {
  console.error('FerretDB is not built and Go is not installed: install Go 1.24+ (apt-get install golang, or https://go.dev/dl/) or set MONGODB_URI.');
  process.exit(1);
} else {
  const bin = buildFerretDb(cacheDir, (m) => console.log(m));
  console.log(`FerretDB ${FERRETDB_VERSION}: ${bin.path}`);
}
