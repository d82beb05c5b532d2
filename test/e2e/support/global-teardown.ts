import serverTeardown from '../../support/global-teardown';

export default async function globalTeardown(): Promise<void> {
  if (globalThis.__PARKPAY_E2E_STARTED_DB__) await serverTeardown();
}
