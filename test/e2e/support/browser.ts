/**
 * Headless Chromium for the H5 journeys (playwright-core, the system's /usr/bin/chromium): a persistent
 * context in a fresh profile directory, screenshots with animations disabled (Taro's H5 router slides
 * pages) into test-results/e2e/.
 */
import { existsSync, mkdirSync, mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { chromium, type BrowserContext, type Page } from 'playwright-core';

export const CHROMIUM = process.env.PARKPAY_E2E_CHROMIUM ?? '/usr/bin/chromium';
export const SHOTS_DIR = path.resolve(__dirname, '../../../test-results/e2e');
export const H5_DIR = path.resolve(__dirname, '../../../miniapp/dist/h5');

/** Stop early with what to do when the browser or the H5 build is missing. */
export function checkPrerequisites(): void {
  const missing: string[] = [];
  if (!existsSync(CHROMIUM)) missing.push(`Chromium at ${CHROMIUM} (apt-get install -y chromium, or set PARKPAY_E2E_CHROMIUM)`);
  if (!existsSync(path.join(H5_DIR, 'index.html'))) missing.push(`the H5 build in ${H5_DIR} (npm run build:h5)`);
  if (missing.length) throw new Error(`browser e2e needs ${missing.join(' and ')}`);
}

export interface Browser {
  context: BrowserContext;
  page: Page;
  shot(name: string): Promise<void>;
  close(): Promise<void>;
}

/** A phone's screen in CSS px (default 390×844). */
export async function openBrowser(screen: { width: number; height: number } = { width: 390, height: 844 }): Promise<Browser> {
  const profile = mkdtempSync(path.join(os.tmpdir(), 'parkpay-e2e-profile-'));
  mkdirSync(SHOTS_DIR, { recursive: true });
  const context = await chromium.launchPersistentContext(profile, {
    executablePath: CHROMIUM,
    headless: true,
    args: ['--no-sandbox', '--disable-background-networking', '--disable-quic', '--disable-gpu', '--no-first-run', '--disable-component-update', '--disable-sync'],
    // A phone-sized window: the app is a mini-program.
    viewport: screen,
    deviceScaleFactor: 2,
    locale: 'zh-CN',
    timezoneId: 'Asia/Shanghai',
  });
  const page = context.pages()[0] ?? (await context.newPage());
  return {
    context,
    page,
    shot: async (name) => {
      await page.screenshot({ path: path.join(SHOTS_DIR, `${name}.png`), animations: 'disabled', fullPage: true });
    },
    close: async () => {
      await context.close();
      rmSync(profile, { recursive: true, force: true });
    },
  };
}
