import { rmSync } from 'node:fs';

export default async function globalTeardown(): Promise<void> {
  await globalThis.__PARKPAY_TEST_ENGINE__?.stop();
  if (globalThis.__PARKPAY_TEST_DB_DIR__) rmSync(globalThis.__PARKPAY_TEST_DB_DIR__, { recursive: true, force: true });
}
