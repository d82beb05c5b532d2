export default async function globalTeardown(): Promise<void> {
  await globalThis.__PARKPAY_TEST_ENGINE__?.stop();
}
