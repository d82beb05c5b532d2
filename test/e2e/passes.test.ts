/**
 * Monthly passes in a real browser: the mini-program's H5 build served by the real ParkPay server in demo
 * mode (the Bluecard lot, WeChat login/Pay sandboxes), in headless Chromium. The demo operator puts a pass
 * on sale in the console; a driver renews a plate for 3 months and pays in the sandbox sheet; the page says
 * "已续费至 …" once the lot accepted; the lot's whitelist has the new date; the car comes and goes without
 * paying. Screenshots: test-results/e2e/pass-*.png.
 *
 * Needs the H5 build (npm run build:h5) and Chromium (/usr/bin/chromium). Run: scripts/e2e.sh test/e2e/passes.test.ts.
 */
import type { Page } from 'playwright-core';
import { loadConfig } from '../../server/src/config';
import { addDays, extendEnd } from '../../server/src/core/passes/dates';
import { createLogger } from '../../server/src/logger';
import { DEMO_OPERATOR } from '../../server/sandbox/demo';
import { DEMO_PARK_NUMBER } from '../../server/sandbox/bluecard';
import { startServer, type RunningServer } from '../../server/src/server';
import { formatChinaDate } from '../../shared/time';
import { testDatabaseUri } from '../support/db';
import { eventually } from '../support/payment-world';
import { H5_DIR, checkPrerequisites, openBrowser, type Browser } from './support/browser';

jest.setTimeout(180_000);

const P = DEMO_PARK_NUMBER;
let server: RunningServer;
let browser: Browser;
let page: Page;

const sb = () => server.demo!.sandboxes;
const lot = () => sb().bluecard.park(P);

beforeAll(async () => {
  checkPrerequisites();
  server = await startServer(
    loadConfig({
      PORT: '0',
      MONGODB_URI: `${testDatabaseUri()}pp_pass_e2e_${Date.now()}`,
      PARKPAY_DEMO_BLUECARD_PORT: '0',
      PARKPAY_DEMO_WECHAT_LOGIN_PORT: '0',
      PARKPAY_DEMO_WECHATPAY_PORT: '0',
      PARKPAY_DEMO_ALIPAY_PORT: '0',
      PARKPAY_H5_DIR: H5_DIR,
    }, undefined, { demoWithConfiguredKeys: true }),
    { logger: createLogger('silent'), workerPollMs: 100 },
  );
  await sb().bluecard.heartbeatNow(P);
  await sb().bluecard.flushOutbox();
  browser = await openBrowser();
  page = browser.page;
  // The WeChat Pay sandbox's payment sheet is another origin; let the browser reach it whatever its CORS.
  const sandbox = sb().wechatPay.url;
  await browser.context.route(`${sandbox}/__sandbox/**`, async (route) => route.fulfill({ response: await route.fetch() }));
}, 180_000);

afterAll(async () => {
  await browser?.close();
  await server?.database.connection.dropDatabase().catch(() => undefined);
  await server?.stop();
});

// Taro's H5 router keeps earlier pages of the stack in the DOM, hidden: look at visible elements only.
const text = (t: string | RegExp) => page.getByText(t).filter({ visible: true }).first();
async function see(t: string | RegExp, timeout = 15_000) {
  try {
    await text(t).waitFor({ state: 'visible', timeout });
  } catch (e) {
    await browser.shot(`pass-FAILED-${String(t).replace(/[^\w\u4e00-\u9fa5]+/g, '_').slice(0, 40)}`);
    throw e;
  }
}
async function tap(t: string | RegExp) {
  await page.getByText(t, { exact: true }).filter({ visible: true }).first().click();
}
const visible = (selector: string) => page.locator(selector).filter({ visible: true }).first();
async function fill(selector: string, value: string) {
  await visible(`${selector} input, ${selector} textarea`).fill(value);
}
async function open(hashPath: string) {
  await page.goto('about:blank');
  await page.goto(`${server.url}/#${hashPath}`);
}

describe('a monthly pass online', () => {
  it('the operator puts a pass on sale; a driver renews a plate for 3 months; the lot has the new date; the car comes and goes for free', async () => {
    const plate = '沪P30001';
    // The operator: the pass offer in the console.
    await open('/packages/op/login/index');
    await fill('.op-username', DEMO_OPERATOR.username);
    await fill('.op-password', DEMO_OPERATOR.password);
    await tap('登录');
    await see('我的车场');
    await open(`/packages/op/passes/index?park=${P}`);
    await see('线上月卡');
    await see('地下停车场');
    await fill('.op-pass-price-1', '300');
    await fill('.op-pass-price-3', '850');
    await fill('.op-pass-text', '地面及地下停车场通用');
    // The drivers' text is as wide as the price inputs beside it.
    const [textBox, priceBox] = [await visible('.op-pass-text').boundingBox(), await visible('.op-pass-price-1').boundingBox()];
    expect(textBox?.width).toBeGreaterThan(0);
    expect(Math.abs(textBox!.width - priceBox!.width)).toBeLessThanOrEqual(1);
    expect(textBox!.x).toBeCloseTo(priceBox!.x, 0);
    await browser.shot('pass-1-offer-form');
    await visible('.op-pass-save').click();
    await see('已保存');

    // The driver: who they are (the demo asks), then the plate's pass.
    await open('/pages/index/index');
    await see('演示登录：你是谁？');
    await fill('.demo-name', 'pass-driver');
    await tap('登录');
    await see('演示模式 · 用户 pass-driver');
    await open(`/packages/park/pass/index?park=${P}&plate=${encodeURIComponent(plate)}`);
    // Not a plate this driver has proved theirs here: its pass is not shown, it may still be renewed.
    await see('在此车场缴过费、或车在场内时在“我的停车”中确认入场信息后，可查看月卡有效期');
    await see('地面及地下停车场通用');
    await browser.shot('pass-2-driver-plate');
    await tap('3 个月 · ¥850.00');
    await tap('沙箱支付 ¥850.00');
    await see('微信支付（演示沙箱）');
    await tap('确认支付');
    const today = formatChinaDate(server.demo!.clock.now());
    // A new pass: from today, three months.
    const end = extendEnd(addDays(today, -1), 3);
    await see(`已续费至 ${end}`, 30_000);
    await see(`有效至 ${end}`);
    await browser.shot('pass-3-renewed');

    // The lot's whitelist has the new date in both areas.
    const entry = await eventually(
      async () => lot().state.white.get(plate)?.entry,
      (e) => e?.end === end,
      10_000,
    );
    expect(entry?.areasAndValidity.map((a) => [a.areaId, a.end])).toEqual([
      [1, end],
      [2, end],
    ]);

    // The reminders are recorded: 7 days and 1 day before the end of the last valid day.
    const endsAt = Date.parse(`${end}T23:59:59+08:00`);
    const reminders = await eventually(
      () => server.database.connection.collection('messages').find({ kind: 'pass_expiring', 'values.plate': plate }).toArray(),
      (list) => list.length === 2,
      10_000,
    );
    expect(reminders.map((m) => new Date(m.due as Date).getTime()).sort()).toEqual([endsAt - 7 * 86_400_000, endsAt - 86_400_000]);
    expect(reminders.every((m) => m.status === 'pending' && (m.guard as { kind?: string } | undefined)?.kind === 'pass_ends')).toBe(true);

    // The car comes in and goes out three hours later: a monthly car, nothing to pay.
    const { carType } = await lot().arrive({ lane: '东门入口', plate, wait: true });
    expect(carType).toBe('固定车');
    await sb().bluecard.advanceClock(3 * 60 * 60_000);
    const left = await lot().leave({ lane: '东门出口', plate, wait: true });
    expect(Number(left.record.chargeStatistics?.charge ?? 'missing')).toBe(0);

    // The operator sees the purchase.
    await open(`/packages/op/passes/index?park=${P}`);
    await visible(`.op-pass-purchase:has-text("${plate}")`).getByText(`已续费至 ${end}`).waitFor({ timeout: 15_000 });
    await browser.shot('pass-4-operator-purchases');
  });
});
