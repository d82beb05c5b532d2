/**
 * The e2e project's database: the same one the server tests use (test/support/global-setup.ts), started
 * only when no other project of this run has started it already.
 */
import serverSetup from '../../support/global-setup';

declare global {
  var __PARKPAY_E2E_STARTED_DB__: boolean | undefined;
}

export default async function globalSetup(): Promise<void> {
  if (process.env.PARKPAY_TEST_MONGODB_URI) return;
  await serverSetup();
  globalThis.__PARKPAY_E2E_STARTED_DB__ = true;
}
