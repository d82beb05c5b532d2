/**
 * The driver's journeys in a real browser: the mini-program's H5 build, served by the real ParkPay server
 * in demo mode (the Bluecard lot, WeChat login/Pay and Alipay sandboxes all running), in headless Chromium.
 * A "scan" is opening the lane link /q/<park>/<lane>. The WeChat Pay sandbox plays the payer, as the H5
 * demo's sandbox payment sheet does. Screenshots of each journey's key screens go to test-results/e2e/.
 *
 * Needs the H5 build (npm run build:h5) and Chromium (/usr/bin/chromium). Run: scripts/e2e.sh.
 */
import path from 'node:path';
import type { Page } from 'playwright-core';
import { loadConfig } from '../../server/src/config';
import { createLogger } from '../../server/src/logger';
import { DEMO_PARK_NUMBER } from '../../server/sandbox/bluecard';
import { startServer, type RunningServer } from '../../server/src/server';
import { testDatabaseUri } from '../support/db';
import { eventually } from '../support/payment-world';
import { H5_DIR, SHOTS_DIR, checkPrerequisites, openBrowser, type Browser } from './support/browser';

jest.setTimeout(120_000);

const P = DEMO_PARK_NUMBER;
let server: RunningServer;
let browser: Browser;
let page: Page;
/** Set when the WeChat Pay sandbox does not answer CORS yet and the browser bridges it (see beforeAll). */
let corsBridged = false;

const sb = () => server.demo!.sandboxes;
const lot = () => sb().bluecard.park(P);
const carsInLot = () => (lot().dump() as { cars: { plate: string }[] }).cars.map((c) => c.plate);

beforeAll(async () => {
  checkPrerequisites();
  server = await startServer(
    loadConfig({
      PORT: '0',
      MONGODB_URI: `${testDatabaseUri()}pp_h5_e2e_${Date.now()}`,
      PARKPAY_DEMO_BLUECARD_PORT: '0',
      PARKPAY_DEMO_WECHAT_LOGIN_PORT: '0',
      PARKPAY_DEMO_WECHATPAY_PORT: '0',
      PARKPAY_DEMO_ALIPAY_PORT: '0',
      PARKPAY_H5_DIR: H5_DIR,
    }),
    { logger: createLogger('silent'), workerPollMs: 100 },
  );
  await sb().bluecard.heartbeatNow(P);
  await sb().bluecard.flushOutbox();
  browser = await openBrowser();
  page = browser.page;

  // The H5 app posts the payer's choice to the WeChat Pay sandbox's /__sandbox/request-payment, another
  // origin. If the sandbox does not allow that (CORS) yet, let the browser fetch it on the app's behalf.
  const sandbox = sb().wechatPay.url;
  const preflight = await fetch(`${sandbox}/__sandbox/request-payment`, {
    method: 'OPTIONS',
    headers: { origin: server.url, 'access-control-request-method': 'POST', 'access-control-request-headers': 'content-type' },
  });
  if (!preflight.headers.get('access-control-allow-origin')) {
    corsBridged = true;
    await browser.context.route(`${sandbox}/__sandbox/**`, async (route) => route.fulfill({ response: await route.fetch() }));
  }
}, 180_000);

afterAll(async () => {
  await browser?.close();
  await server?.database.connection.dropDatabase().catch(() => undefined);
  await server?.stop();
  console.log(
    `screenshots in ${path.relative(process.cwd(), SHOTS_DIR)}/` +
      (corsBridged ? '\nnote: the WeChat Pay sandbox sent no CORS headers; the browser bridged /__sandbox/ calls (route.fetch)' : ''),
  );
});

// Taro's H5 router keeps earlier pages of the stack in the DOM, hidden: look at visible elements only.
const text = (t: string | RegExp) => page.getByText(t).filter({ visible: true }).first();
async function see(t: string | RegExp, timeout = 15_000) {
  await text(t).waitFor({ state: 'visible', timeout });
}
/** Tap the visible element whose whole text is `t` (a button, a key). */
async function tap(t: string | RegExp) {
  await page.getByText(t, { exact: true }).filter({ visible: true }).first().click();
}
/** Type a plate on the app's plate keyboard. */
async function typePlate(plate: string) {
  for (const ch of Array.from(plate)) await page.locator(`.pk-key[data-key="${ch}"]`).filter({ visible: true }).first().click();
}
async function carIn(plate: string, minutes: number) {
  await lot().arrive({ lane: '东门入口', plate, wait: true });
  await sb().bluecard.advanceClock(minutes * 60_000);
}
/** Pay in the sandbox sheet and wait for the lot to have it. */
async function payInSandbox(amount: string) {
  await tap(`沙箱支付 ${amount}`);
  await see('微信支付（演示沙箱）');
  await tap('确认支付');
}

describe('a driver in the browser (H5 demo)', () => {
  // Every journey opens the app afresh, as a scan does.
  beforeEach(async () => {
    await page.goto('about:blank');
  });

  it('unlicensed entry: scan the entry lane → one tap → temporary plate and entry time', async () => {
    // The scan: the lane link opens the app; first screen = the park and lane shown.
    const t0 = Date.now();
    await page.goto(`${server.url}/q/${P}/1`);
    await see('东门入口 · 入口');
    const wall = Date.now() - t0;
    const inPage = await page.evaluate(() => Math.round(performance.now()));
    console.log(
      `first screen after a scan (cold profile, navigation → lane page content visible): ${wall} ms (in-page performance.now ${inPage} ms)` +
        '\n(medians over runs, and on an emulated 4G phone: npx tsx scripts/bench-first-screen.ts)',
    );
    await see('示例停车场');
    await browser.shot('1-unlicensed-entry-lane');

    await tap('我没有车牌，无牌车入场');
    await see('入场成功，道闸正在抬起');
    const plate = (await page.locator('.entry-done .row-strong .row-value').filter({ visible: true }).first().innerText()).trim();
    expect(plate).toMatch(/^临/);
    await see('入场时间');
    await browser.shot('1-unlicensed-entry-done');
    expect(carsInLot()).toContain(plate);

    // Remembered in "my parking", with its live fee.
    await tap('我的停车');
    await page.locator('.page-parking .stay', { hasText: plate }).filter({ visible: true }).first().waitFor({ timeout: 15_000 });
    await see('当前费用');
    await browser.shot('1-my-parking');
  });

  it('unlicensed exit: scan the exit lane → fee → sandbox payment → the barrier opens', async () => {
    const plate = carsInLot().find((p) => p.startsWith('临'))!;
    await sb().bluecard.advanceClock(50 * 60_000);
    const t0 = Date.now();
    await page.goto(`${server.url}/q/${P}/2`);
    await see('东门出口 · 出口');
    console.log(`first screen after a second scan (assets cached): ${Date.now() - t0} ms`);
    await browser.shot('2-unlicensed-exit-lane');
    await tap('我没有车牌，无牌车出场缴费');
    await see('无牌车出场缴费');
    await see(plate);
    await see('¥2.00');
    await browser.shot('2-unlicensed-exit-fee');
    await tap('沙箱支付 ¥2.00');
    await see('微信支付（演示沙箱）');
    await browser.shot('2-unlicensed-exit-sandbox-sheet');
    await tap('确认支付');
    await see('道闸正在抬起，请驶出');
    await see(/请在 \d{2}:\d{2} 前离场/);
    await browser.shot('2-unlicensed-exit-barrier');
    // The car waiting at the exit lane went out.
    await eventually(async () => carsInLot(), (cars) => !cars.includes(plate), 10_000);
  });

  it('pre-pay: a plate typed on the plate keyboard → fee with its parts → pay → time left to leave', async () => {
    await carIn('京A12345', 75);
    await page.goto(`${server.url}/#/packages/park/prepay/index?park=${P}`);
    await see('示例停车场 · 提前缴费');
    await typePlate('京A12345');
    await see('车牌 京A12345');
    await browser.shot('3-prepay-plate-keyboard');
    await tap('查询费用');
    await see('停车费');
    for (const part of ['入场时间', '停车时长', '1小时15分钟', '待支付', '¥4.00']) await see(part);
    await browser.shot('3-prepay-fee');
    await payInSandbox('¥4.00');
    await see('缴费成功，车场已收到');
    await see(/剩余离场时间 \d{2}:\d{2}/);
    await browser.shot('3-prepay-paid-countdown');
    // The exit barrier lets the car out.
    await expect(lot().leave({ lane: '东门出口', plate: '京A12345', wait: true })).resolves.toBeDefined();
  });

  it('a payment cancelled in the wallet, then retried', async () => {
    await carIn('浙D88005', 70);
    // Bind the plate first, then pick it with one tap.
    await page.goto(`${server.url}/#/packages/me/plates/index`);
    await see('绑定新车牌');
    await typePlate('浙D88005');
    await tap('绑定');
    await see('绑定于');
    await browser.shot('4-my-plates');
    await page.goto(`${server.url}/#/packages/park/prepay/index?park=${P}`);
    await page.locator('.chip', { hasText: '浙D88005' }).filter({ visible: true }).first().click();
    await see('¥4.00');
    await tap('沙箱支付 ¥4.00');
    await see('微信支付（演示沙箱）');
    await tap('取消支付');
    await see('支付已取消');
    await browser.shot('4-cancelled');
    await tap('重新支付');
    await see('微信支付（演示沙箱）');
    await tap('确认支付');
    await see('缴费成功，车场已收到');
    await browser.shot('4-retried-paid');
    // History shows it delivered.
    await page.goto(`${server.url}/#/packages/me/history/index`);
    await see('缴费记录');
    await see('浙D88005');
    await see('已缴费');
    await browser.shot('4-history');
  });

  it('the lot unreachable: a clear screen, and a retry once it answers again', async () => {
    await carIn('粤C88004', 60);
    sb().bluecard.faults.add({ kind: 'http500', count: 3, name: 'getChargebf' });
    await page.goto(`${server.url}/#/pages/pay/index?kind=prepay&park=${P}&plate=${encodeURIComponent('粤C88004')}`);
    await see('车场系统暂时连不上');
    await browser.shot('5-lot-unreachable');
    // The lot answers again (the fault is spent after a few calls): retrying gets the fee.
    for (let i = 0; i < 5 && !(await text('待支付').isVisible()); i++) {
      await tap('重试');
      await text('正在向车场查询费用…').waitFor({ state: 'hidden', timeout: 15_000 });
      await page.waitForTimeout(200);
    }
    await see('待支付');
    await see(/^沙箱支付 ¥\d+\.\d{2}$/);
    await browser.shot('5-lot-back');
  });

  it('nothing to pay: drive out', async () => {
    await carIn('粤C88003', 8);
    await page.goto(`${server.url}/#/pages/pay/index?kind=prepay&park=${P}&plate=${encodeURIComponent('粤C88003')}`);
    await see('无需缴费，请直接驶出');
    await browser.shot('6-nothing-to-pay');
    expect(await text(/沙箱支付/).count()).toBe(0);
  });

  it("my parking: a bound plate's car, proved by its entry lane and time, with its entry picture and live fee → pay from there", async () => {
    await page.goto(`${server.url}/#/packages/me/plates/index`);
    await see('绑定新车牌');
    await typePlate('苏F77001');
    await tap('绑定');
    await see('苏F77001');
    await carIn('苏F77001', 100);
    const car = (lot().dump() as { cars: { plate: string; orderId: string; inTime: string }[] }).cars.find((c) => c.plate === '苏F77001')!;
    await lot().sendImages({ orderId: car.orderId }, true);
    await page.goto(`${server.url}/#/packages/me/parking/index`);
    const stay = page.locator('.page-parking .stay', { hasText: '苏F77001' }).filter({ visible: true }).first();
    await stay.waitFor({ timeout: 15_000 });
    await stay.getByText('¥4.00').waitFor({ timeout: 15_000 });
    // A bound plate proves nothing: only that the car is here, until the driver confirms its entry.
    await stay.getByText(/这辆车在场内/).waitFor({ timeout: 15_000 });
    await browser.shot('8-my-parking-not-proved');
    await stay.getByText('确认是我的车').click();
    await stay.getByText('东门入口').click();
    await stay.locator('.confirm-plate input').first().fill(car.inTime.slice(0, 16));
    await stay.getByText('确认', { exact: true }).click();
    await stay.locator('img').first().waitFor({ timeout: 15_000 });
    // The entry picture really loaded (a string: this file is type-checked without the DOM library).
    await page.waitForFunction("Array.from(document.querySelectorAll('.stay img')).some((i) => i.naturalWidth > 0)", undefined, { timeout: 10_000 });
    await browser.shot('8-my-parking-picture-fee');
    await stay.getByText('去缴费', { exact: true }).click();
    await see('停车缴费');
    await payInSandbox('¥4.00');
    await see('缴费成功，车场已收到');
    // Back in my parking: paid, leave before HH:mm.
    await page.goto('about:blank');
    await page.goto(`${server.url}/#/packages/me/parking/index`);
    await page.locator('.page-parking .stay', { hasText: '苏F77001' }).getByText(/请在 \d{2}:\d{2} 前离场/).waitFor({ timeout: 15_000 });
    await browser.shot('8-my-parking-paid');
  });

  it('free spaces and find my car (once the plate is proved there)', async () => {
    const { spaceId, orderId } = (await lot().arrive({ lane: '西门入口', plate: '京G66001', wait: true })) as { spaceId: string; orderId: string };
    await sb().bluecard.heartbeatNow(P);
    await sb().bluecard.flushOutbox();
    const find = async () => {
      await page.goto('about:blank');
      await page.goto(`${server.url}/#/packages/park/park/index?park=${P}`);
      await see('空余车位');
      await see('地下停车场');
      await page.locator('.input input').filter({ visible: true }).first().fill('京G66001');
      await tap('查找');
    };
    await find();
    await see(/这辆车在停车场内/);
    await browser.shot('9-park-find-car-not-proved');
    // The driver binds the plate and confirms the car's entry in my parking.
    await page.goto(`${server.url}/#/packages/me/plates/index`);
    await see('绑定新车牌');
    await typePlate('京G66001');
    await tap('绑定');
    await page.goto(`${server.url}/#/packages/me/parking/index`);
    const stay = page.locator('.page-parking .stay', { hasText: '京G66001' }).filter({ visible: true }).first();
    await stay.getByText('确认是我的车').click();
    await stay.getByText('西门入口').click();
    const inTime = (lot().dump() as { cars: { orderId: string; inTime: string }[] }).cars.find((c) => c.orderId === orderId)!.inTime;
    await stay.locator('.confirm-plate input').first().fill(inTime.slice(0, 16));
    await stay.getByText('确认', { exact: true }).click();
    // Proved: the stay shows its entry (the row label, exactly).
    await stay.getByText('入场时间', { exact: true }).waitFor({ timeout: 15_000 });
    await find();
    await see(`京G66001 · 地下一层 ${spaceId} 号车位`);
    await browser.shot('9-park-find-car');
  });

  it('a damaged lane code: a clear screen', async () => {
    await page.goto(`${server.url}/q/${P}`);
    await see('无法识别这个二维码');
    await browser.shot('7-damaged-code');
  });
});
