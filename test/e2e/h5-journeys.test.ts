/**
 * The driver's journeys in a real browser: the mini-program's H5 build, served by the real ParkPay server
 * in demo mode (the Bluecard lot, WeChat login/Pay and Alipay sandboxes all running), in headless Chromium,
 * on the phone widths drivers have: 320, 375, 390 and 430 px. A "scan" is opening the lane link
 * /q/<park>/<lane>. The WeChat Pay sandbox plays the payer, as the H5 demo's sandbox payment sheet does.
 *
 * At every step: nothing is wider than the screen (document.documentElement.scrollWidth <= innerWidth),
 * every visible button and plate key lies fully inside the screen's width (keys at least 28 px wide), and a
 * screenshot goes to test-results/e2e/w<width>-<step>.png.
 *
 * Needs the H5 build (npm run build:h5) and Chromium (/usr/bin/chromium). Run: scripts/e2e.sh.
 */
import { randomBytes } from 'node:crypto';
import path from 'node:path';
import type { Page } from 'playwright-core';
import { loadConfig } from '../../server/src/config';
import { createLogger } from '../../server/src/logger';
import { MongoOrderRepository } from '../../server/src/repository/orders';
import { DEMO_PARK_NUMBER } from '../../server/sandbox/bluecard';
import { startServer, type RunningServer } from '../../server/src/server';
import { testDatabaseUri } from '../support/db';
import { eventually } from '../support/payment-world';
import { H5_DIR, SHOTS_DIR, checkPrerequisites, openBrowser, type Browser } from './support/browser';

jest.setTimeout(180_000);

const P = DEMO_PARK_NUMBER;
const WIDTHS = [320, 375, 390, 430] as const;
/** The height of a small phone at 320 (iPhone SE), else a modern one. */
const HEIGHT: Record<(typeof WIDTHS)[number], number> = { 320: 568, 375: 812, 390: 844, 430: 932 };
const MIN = 60_000;
let server: RunningServer;
let orderRepo: MongoOrderRepository;
/** Set when the WeChat Pay sandbox does not answer CORS yet and the browser bridges it (see bridge()). */
let corsBridged = false;
let operator: { username: string; password: string };

/**
 * The operator's token, fresh: demo mode has one clock for ParkPay and the sandboxes, and the journeys move
 * it forward by hours, past a session's end.
 */
const operatorToken = async () => (await server.operators.login(operator.username, operator.password)).token;

/** A booking offer whose let-in starts two hours from now on demo mode's clock (the journeys move it). */
async function newOffer(): Promise<string> {
  const letInStart = server.demo!.clock.now() + 120 * MIN;
  const offer = await api<{ offerId: string }>('POST', `/api/op/parks/${P}/booking-offers`, await operatorToken(), {
    title: '周末停车预约',
    areaId: 1,
    priceFen: 1500,
    start: new Date(letInStart).toISOString(),
    end: new Date(letInStart + 360 * MIN).toISOString(),
    letInStart: new Date(letInStart).toISOString(),
    letInEnd: new Date(letInStart + 60 * MIN).toISOString(),
    count: 8,
    cancelRule: { fullRefundMinutesBefore: 60, lateRefundPercent: 20 },
  });
  expect(offer.status).toBe(200);
  return offer.body.offerId;
}

const sb = () => server.demo!.sandboxes;
const lot = () => sb().bluecard.park(P);
const carsInLot = () => (lot().dump() as { cars: { plate: string; orderId: string }[] }).cars;

async function api<T = unknown>(method: string, url: string, token?: string, body?: unknown): Promise<{ status: number; body: T }> {
  const res = await fetch(`${server.url}${url}`, {
    method,
    headers: { ...(token ? { authorization: `Bearer ${token}` } : {}), ...(body !== undefined ? { 'content-type': 'application/json' } : {}) },
    body: body !== undefined ? JSON.stringify(body) : undefined,
  });
  return { status: res.status, body: (await res.json()) as T };
}

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
    }, undefined, { demoWithConfiguredKeys: true }),
    { logger: createLogger('silent'), workerPollMs: 100 },
  );
  orderRepo = new MongoOrderRepository(server.database.connection);
  await sb().bluecard.heartbeatNow(P);
  await sb().bluecard.flushOutbox();
  // An operator of the demo park: booking offers and coupons for the journeys below.
  const username = `e2e-op-${randomBytes(3).toString('hex')}`;
  const password = `pw-${randomBytes(12).toString('base64url')}`;
  await server.operators.createOperator('system', { username, password, role: 'operator', parks: [P] });
  operator = { username, password };
}, 180_000);

afterAll(async () => {
  await server?.database.connection.dropDatabase().catch(() => undefined);
  await server?.stop();
  console.log(
    `screenshots in ${path.relative(process.cwd(), SHOTS_DIR)}/w<width>-*.png` +
      (corsBridged ? '\nnote: the WeChat Pay sandbox sent no CORS headers; the browser bridged /__sandbox/ calls (route.fetch)' : ''),
  );
});

/** The H5 app posts the payer's choice to the WeChat Pay sandbox (another origin): bridge it if it sends no CORS. */
async function bridge(browser: Browser): Promise<void> {
  const sandbox = sb().wechatPay.url;
  const preflight = await fetch(`${sandbox}/__sandbox/request-payment`, {
    method: 'OPTIONS',
    headers: { origin: server.url, 'access-control-request-method': 'POST', 'access-control-request-headers': 'content-type' },
  });
  if (!preflight.headers.get('access-control-allow-origin')) {
    corsBridged = true;
    await browser.context.route(`${sandbox}/__sandbox/**`, async (route) => route.fulfill({ response: await route.fetch() }));
  }
}

/** What breaks a phone layout: anything wider than the screen, a button or key reaching past its edges, a key too small. */
interface LayoutReport {
  innerWidth: number;
  scrollWidth: number;
  outside: string[];
  smallKeys: string[];
}
// A string: this file is type-checked without the DOM library.
const MEASURE = `(() => {
  const iw = window.innerWidth;
  const outside = [];
  const smallKeys = [];
  const visible = (el) => { const r = el.getBoundingClientRect(); return r.width > 0 && r.height > 0 && (!el.checkVisibility || el.checkVisibility({ visibilityProperty: true })); };
  for (const el of document.querySelectorAll('taro-button-core, button, .btn, .pk-key')) {
    if (!visible(el)) continue;
    const r = el.getBoundingClientRect();
    const what = (el.className || el.tagName) + ' "' + (el.textContent || '').trim().slice(0, 20) + '"';
    if (r.left < -0.5 || r.right > iw + 0.5) outside.push(what + ' ' + Math.round(r.left) + '…' + Math.round(r.right));
    if (String(el.className).includes('pk-key') && r.width < 28) smallKeys.push(what + ' ' + r.width.toFixed(1) + ' px');
  }
  return { innerWidth: iw, scrollWidth: document.documentElement.scrollWidth, outside, smallKeys };
})()`;

/**
 * The router's slide is over: every page shown stands at the screen's left edge (a page slides in from the
 * right, and may not have started moving yet), and no finite animation runs (spinners turn for ever).
 */
const SETTLED = `Array.from(document.querySelectorAll('.taro_page')).every((p) => { const r = p.getBoundingClientRect(); return r.width === 0 || Math.abs(r.left) < 1; })
  && document.getAnimations().every((a) => a.playState !== 'running' || !a.effect || a.effect.getTiming().iterations === Infinity)`;

function journeyAt(width: (typeof WIDTHS)[number]) {
  let browser: Browser;
  let page: Page;
  let n = 0;
  /** The width's own plates (京A<d>…): no two widths share a car. */
  const d = String(WIDTHS.indexOf(width) + 1);
  const plate = (prefix: string, tail: string) => `${prefix}${d}${tail}`;
  const driverName = `driver${width}`;
  /** The temporary plate the unlicensed entry got. */
  let tempPlate = '';

  // Taro's H5 router keeps earlier pages of the stack in the DOM, hidden: look at visible elements only.
  const text = (t: string | RegExp) => page.getByText(t).filter({ visible: true }).first();
  const see = async (t: string | RegExp, timeout = 15_000) => {
    try {
      await text(t).waitFor({ state: 'visible', timeout });
    } catch (e) {
      await browser.shot(`w${width}-FAILED-waiting-for-${String(t).replace(/[^\w\u4e00-\u9fa5]+/g, '_').slice(0, 40)}`);
      throw e;
    }
  };
  const gone = async (t: string | RegExp) => expect(await page.getByText(t).filter({ visible: true }).count()).toBe(0);
  /** Tap the visible element whose whole text is `t` (a button, a key). */
  const tap = async (t: string | RegExp) => page.getByText(t, { exact: true }).filter({ visible: true }).first().click();
  /** Layout checks of this screen, then its screenshot. */
  async function step(name: string) {
    // Let the router's slide into the page end first (a page mid-slide stands partly off screen).
    await page.waitForFunction(SETTLED, undefined, { timeout: 5_000 });
    const r = (await page.evaluate(MEASURE)) as LayoutReport;
    expect({ step: name, ...r }).toEqual({ step: name, innerWidth: width, scrollWidth: r.innerWidth, outside: [], smallKeys: [] });
    expect(r.scrollWidth).toBeLessThanOrEqual(r.innerWidth);
    await browser.shot(`w${width}-${String(++n).padStart(2, '0')}-${name}`);
  }
  /** Type a plate on the app's plate keyboard (opening it from the boxes if it is closed). */
  async function typePlate(p: string) {
    if ((await page.locator('.pk-panel').filter({ visible: true }).count()) === 0) await page.locator('.pk-boxes').filter({ visible: true }).first().click();
    for (const ch of Array.from(p)) await page.locator(`.pk-key[data-key="${ch}"]`).filter({ visible: true }).first().click();
  }
  async function open(hashPath: string) {
    await page.goto('about:blank');
    await page.goto(`${server.url}/#${hashPath}`);
  }
  async function carIn(p: string, minutes: number, lane = '东门入口') {
    await lot().arrive({ lane, plate: p, wait: true });
    await sb().bluecard.advanceClock(minutes * MIN);
  }
  /** Pay in the sandbox sheet. */
  async function payInSandbox(amount: string) {
    await tap(`沙箱支付 ${amount}`);
    await see('微信支付（演示沙箱）');
    await tap('确认支付');
  }
  const token = async () => (await page.evaluate("JSON.parse(localStorage.getItem('parkpay.session')).data.token")) as string;

  describe(`${width} px wide`, () => {
    beforeAll(async () => {
      browser = await openBrowser({ width, height: HEIGHT[width] });
      page = browser.page;
      await bridge(browser);
    });
    afterAll(async () => {
      await browser?.close();
    });

    it('the demo asks who the driver is and lets them switch to another (no made-up driver)', async () => {
      await open('/pages/index/index');
      await see('演示登录：你是谁？');
      await step('home-login');
      await page.locator('.demo-name input').filter({ visible: true }).fill(`${driverName}b`);
      await tap('登录');
      await see(`演示模式 · 用户 ${driverName}b`);
      await tap('换一个用户');
      await see('演示登录：你是谁？');
      await page.locator('.demo-name input').filter({ visible: true }).fill(driverName);
      await tap('登录');
      await see(`演示模式 · 用户 ${driverName}`);
      await step('home');
    });

    it('unlicensed entry: scan the entry lane → the tariff → one tap → temporary plate; my parking shows how long, and says there is no photo', async () => {
      const t0 = Date.now();
      await page.goto('about:blank');
      await page.goto(`${server.url}/q/${P}/1`);
      await see('东门入口 · 入口');
      if (width === 390) console.log(`first screen after a scan (cold, navigation → lane visible): ${Date.now() - t0} ms (medians: npx tsx scripts/bench-first-screen.ts)`);
      await see('收费标准');
      await see(/停车 15 分钟内免费/);
      await step('entry-lane');
      await tap('我没有车牌，无牌车入场');
      await see('入场成功，道闸正在抬起');
      const temp = (await page.locator('.entry-done .row-strong .row-value').filter({ visible: true }).first().innerText()).trim();
      expect(temp).toMatch(/^临/);
      tempPlate = temp;
      await step('entry-done');
      expect(carsInLot().map((c) => c.plate)).toContain(temp);
      await tap('我的停车');
      const stay = page.locator('.page-parking .stay', { hasText: temp }).filter({ visible: true }).first();
      await stay.waitFor({ timeout: 15_000 });
      await stay.getByText('已停', { exact: true }).waitFor();
      await stay.getByText('车场未提供入场照片').waitFor();
      expect(await stay.locator('img').count()).toBe(0);
      await stay.getByText('当前费用').waitFor({ timeout: 15_000 });
      await step('my-parking-unlicensed');
    });

    it('unlicensed exit: scan the exit lane → fee → pay → the barrier opens; once the car is out the countdown stops', async () => {
      const temp = tempPlate;
      await sb().bluecard.advanceClock(50 * MIN);
      await page.goto('about:blank');
      await page.goto(`${server.url}/q/${P}/2`);
      await see('东门出口 · 出口');
      await step('exit-lane');
      await tap('我没有车牌，无牌车出场缴费');
      await see('无牌车出场缴费');
      await see(temp);
      await see(/此价格 \d{2}:\d{2} 前有效/);
      await step('unlicensed-fee');
      await tap('沙箱支付 ¥2.00');
      await see('微信支付（演示沙箱）');
      await step('sandbox-sheet');
      await tap('确认支付');
      // The barrier opens; the car at the lane may be out already by the time the page hears it was paid.
      await see(/道闸正在抬起，请驶出|缴费成功，车辆已离场/);
      // Paid: the fee reads as paid, never "to pay" beside the success.
      await gone('待支付');
      await see('本次已付');
      await step('unlicensed-paid');
      // The car at the exit lane goes out; its exit record reaches ParkPay; the page stops counting.
      await eventually(async () => carsInLot().map((c) => c.plate), (cars) => !cars.includes(temp), 10_000);
      await sb().bluecard.flushOutbox();
      await see(/车辆已于 \d{2}:\d{2} 离场/, 30_000);
      await see('缴费成功，车辆已离场');
      await gone(/剩余离场时间|请驶出/);
      await step('unlicensed-left');
    });

    it('pre-pay on the plate keyboard (every key on screen) → fee → pay → no stale "to pay"; later an overstay is explained', async () => {
      const p = plate('京A', '2345');
      await carIn(p, 75);
      await open(`/packages/park/prepay/index?park=${P}`);
      await see('示例停车场 · 提前缴费');
      await see('收费标准');
      await page.locator('.pk-panel').filter({ visible: true }).waitFor();
      await step('prepay-province-keys');
      await typePlate(p.slice(0, 1));
      await step('prepay-letter-keys');
      await typePlate(p.slice(1));
      await see(`车牌 ${p}`);
      await step('prepay-plate-typed');
      await tap('查询费用');
      await see('停车费');
      for (const part of ['入场时间', '停车时长', '1小时15分钟', '待支付', '¥4.00', '缴费后 15 分钟内免费离场，出口道闸自动抬起']) await see(part);
      await see(/此价格 \d{2}:\d{2} 前有效（还剩 0\d:\d{2}）/);
      await step('prepay-fee');
      await payInSandbox('¥4.00');
      await see('缴费成功，车场已收到');
      await see(/剩余离场时间 \d{2}:\d{2}/);
      await see('缴费后免费离场时间 15 分钟');
      await gone('待支付');
      await step('prepay-paid-countdown');

      // 50 minutes on at the lot, still in the park: the free exit time is over — 超时补缴, explained.
      await sb().bluecard.advanceClock(50 * MIN);
      await open(`/pages/pay/index?kind=prepay&park=${P}&plate=${encodeURIComponent(p)}`);
      await see('超时补缴 ¥2.00');
      await see(/已于 \d{2}:\d{2} 缴费 ¥4\.00，缴费后的免费离场时间到 \d{2}:\d{2} 截止/);
      await see('待补缴');
      await step('overstay-explained');
      await payInSandbox('¥2.00');
      await see('缴费成功，车场已收到');
      await expect(lot().leave({ lane: '东门出口', plate: p, wait: true })).resolves.toBeDefined();
    });

    it('a price that ran out: asked again in place with one tap (never a dead end)', async () => {
      const p = plate('粤B', '7001');
      await carIn(p, 70);
      await open(`/pages/pay/index?kind=prepay&park=${P}&plate=${encodeURIComponent(p)}`);
      await see('待支付');
      // Five minutes pass before the driver taps pay: the server's price has run out.
      const quoted = await server.database.connection.collection('orders').findOne({ plate: p, status: 'quoted' });
      await orderRepo.apply(String(quoted!._id), { from: ['quoted'], set: { expiresAt: new Date(Date.now() - 1000) } });
      await tap('沙箱支付 ¥4.00');
      // The server refuses it (quote_expired), or its expiry job closed it first: either way said, with the way on.
      await see(/支付失败：费用已过期|订单已关闭：报价已过期/);
      await see('重新查询费用');
      await step('quote-expired');
      await tap('重新查询费用');
      await see(/此价格 \d{2}:\d{2} 前有效/);
      await see('沙箱支付 ¥4.00');
      await step('quote-again');
      // Opened from an order whose price ran out on the phone's clock: the same, before any tap.
      await open(`/pages/pay/index?orderNo=${String(quoted!._id)}`);
      await see(/价格已过期|订单已关闭/);
      await see('重新查询费用');
      await step('quote-expired-order');
      await tap('重新查询费用');
      await see(/此价格 \d{2}:\d{2} 前有效/);
    });

    it('dead ends offer a way on: a damaged code, an unknown plate', async () => {
      await page.goto('about:blank');
      await page.goto(`${server.url}/q/${P}`);
      await see('无法识别这个二维码');
      await see('输入车牌查询');
      await see('返回首页');
      await step('damaged-code');
      await open(`/pages/pay/index?kind=prepay&park=${P}&plate=${encodeURIComponent(plate('京Z', '9999'))}`);
      await see('没有找到这辆车的在场记录');
      await see('返回首页');
      await step('unknown-plate');
      await tap('输入车牌查询');
      await see('示例停车场 · 提前缴费');
      await step('unknown-plate-way-on');
    });

    it('the lot too slow to answer: a spinner, then "车场系统响应慢" (not the phone\'s network) and a retry that works', async () => {
      const p = plate('粤C', '8004');
      await carIn(p, 60);
      sb().bluecard.faults.add({ kind: 'timeout', count: 2, name: 'getChargebf', hangMs: 9_000 });
      await open(`/pages/pay/index?kind=prepay&park=${P}&plate=${encodeURIComponent(p)}`);
      await see('正在向车场查询费用…');
      expect(await page.locator('.spinner').filter({ visible: true }).count()).toBeGreaterThan(0);
      await see('车场响应较慢，请稍候…', 10_000);
      await step('lot-slow-waiting');
      await see('车场系统响应慢', 14_000);
      await gone('网络已断开');
      await step('lot-slow');
      sb().bluecard.faults.clear();
      await tap('重试');
      await see('待支付');
      await step('lot-back');
    });

    it('my plates and 无感支付 at phone width: states on one line, 解绑 beside the date, never over it', async () => {
      const p = plate('沪B', '7002');
      await open('/packages/me/plates/index');
      await see('绑定新车牌');
      await typePlate(p);
      await tap('绑定');
      await see('绑定于');
      await step('my-plates');
      const item = page.locator('.plate-item').filter({ visible: true }).first();
      const [button, date] = [await item.locator('.btn').boundingBox(), await item.getByText(/^绑定于/).boundingBox()];
      expect(button!.x >= date!.x + date!.width || button!.y >= date!.y + date!.height).toBe(true);
      await tap('无感支付：出场自动扣费');
      await see('无感支付');
      await page.locator('.agreement').filter({ visible: true }).first().waitFor();
      for (const chip of await page.locator('.agreement .chip').filter({ visible: true }).all()) {
        const box = (await chip.boundingBox())!;
        expect(box.height).toBeLessThan(30); // one line: 已开通 / 未开通 never one character per line
      }
      for (const name of await page.locator('.agreement-name').filter({ visible: true }).all()) expect((await name.boundingBox())!.height).toBeLessThan(26);
      await step('agreements');
    });

    it('history: every payment (a stay, a 无感支付 deduction, a booking marked 预约), each with its receipt; a fee only looked at is not one', async () => {
      // A deduction under an Alipay agreement of the plate bound above, at the exit lane (4.16).
      const p = plate('沪B', '7002');
      const tok = await token();
      const s = await api<{ agreement: { id: string }; signup: { signUrl: string } }>('POST', '/api/me/agreements', tok, { plateKey: p, provider: 'alipay', returnUrl: `${server.url}/` });
      expect(s.status).toBe(200);
      sb().alipay.agreements.sign(s.body.signup.signUrl, `${driverName}-alipay`);
      await api('POST', `/api/me/agreements/${s.body.agreement.id}/confirm`, tok, {});
      await carIn(p, 95);
      const orderId = carsInLot().find((c) => c.plate === p)!.orderId;
      const deducted = await lot().withholdOrQr({ lane: '东门出口', orderId });
      expect(deducted.result.status).toBe('success');
      // A booking, paid.
      const offerId = await newOffer();
      await open(`/packages/book/offers/index?park=${P}`);
      await page.locator(`#offer-${offerId}`).getByText('预约', { exact: true }).click();
      await typePlate(plate('粤D', '7003'));
      await tap('预约并支付');
      await see(/请在 \d{2}:\d{2} 前完成支付/);
      await step('booking-hold');
      await payInSandbox('¥15.00');
      await see('预约成功，车场已收到');
      await gone(/前完成支付/);
      await step('booking-done');

      await open('/packages/me/history/index');
      await see('缴费记录');
      const items = page.locator('.pay-item').filter({ visible: true });
      await items.first().waitFor();
      // This driver paid: the unlicensed exit, the pre-pay and its 超时补缴, the deduction, the booking — and
      // looked at prices (my parking, the expired one) that are no payment.
      await eventually(() => items.count(), (c) => c === 5, 10_000);
      await see('无感支付');
      await see('预约');
      await step('history');
      await items.filter({ hasText: '无感支付' }).first().click();
      await see('交易单号');
      for (const t of ['停车场', '示例停车场', '入场时间', '出场时间', '实付金额', '¥4.00', '支付宝（无感支付）', '订单号', '交易单号']) await see(t);
      await step('receipt-deduction');
      await open('/packages/me/history/index');
      await page.locator('.pay-item').filter({ visible: true, hasText: '预约' }).first().click();
      await see('周末停车预约');
      await see('入场时间段');
      await step('receipt-booking');
    });

    it('a coupon a merchant gave the car shows on the fee as applied', async () => {
      const p = plate('苏E', '7004');
      await carIn(p, 130);
      const c = await api('POST', `/api/op/parks/${P}/coupons`, await operatorToken(), { requestId: `e2e-${width}-${randomBytes(4).toString('hex')}`, plate: p, kind: 'hours', minutes: 60, end: new Date(server.demo!.clock.now() + 3 * 24 * 60 * MIN).toISOString() });
      expect(c.status).toBe(200);
      await open(`/pages/pay/index?kind=prepay&park=${P}&plate=${encodeURIComponent(p)}`);
      await see(/1小时停车券（已抵扣）/);
      await see('优惠');
      await step('fee-coupon');
    });

    it("my parking: a bound plate's car, proved by its entry — how long, the entry photo when the lot sent one — then find my car from there", async () => {
      const p = plate('苏F', '7701');
      await open('/packages/me/plates/index');
      await see('绑定新车牌');
      await typePlate(p);
      await tap('绑定');
      await see(p);
      await carIn(p, 100, '西门入口');
      const car = (lot().dump() as { cars: { plate: string; orderId: string; inTime: string }[] }).cars.find((x) => x.plate === p)!;
      await lot().sendImages({ orderId: car.orderId }, true);
      await open('/packages/me/parking/index');
      const stay = page.locator('.page-parking .stay', { hasText: p }).filter({ visible: true }).first();
      await stay.waitFor({ timeout: 15_000 });
      // A bound plate proves nothing: only that the car is here, until the driver confirms its entry.
      await stay.getByText(/这辆车在场内/).waitFor({ timeout: 15_000 });
      await stay.getByText('确认是我的车').click();
      await stay.locator('.confirm-plate input').first().waitFor();
      await step('my-parking-confirm');
      await stay.getByText('西门入口').click();
      await stay.locator('.confirm-plate input').first().fill(car.inTime.slice(0, 16));
      await stay.getByText('确认', { exact: true }).click();
      await stay.getByText('入场时间', { exact: true }).waitFor({ timeout: 15_000 });
      expect(await stay.locator('.row', { hasText: '已停' }).innerText()).toMatch(/已停\s*1小时4\d分钟/);
      await stay.getByText('¥4.00').waitFor({ timeout: 15_000 });
      await page.waitForFunction("Array.from(document.querySelectorAll('.stay img')).some((i) => i.naturalWidth > 0)", undefined, { timeout: 10_000 });
      await step('my-parking-plate');
      await stay.getByText('找车', { exact: true }).click();
      await see(`${p} · 地下一层`);
      expect(await page.locator('.layer-map-pin').filter({ visible: true }).count()).toBe(1);
      await step('find-my-car');
      // Out again (cash at the booth): the lot's few guidance spaces are there for the next width's car.
      await lot().leave({ lane: '西门出口', plate: p, force: true, wait: true });
    });

    it('paying without scanning: no park yet → the park list, found by its address → pre-pay there; free spaces', async () => {
      await page.evaluate("localStorage.removeItem('parkpay.lastPark')");
      await open('/pages/index/index');
      await tap('停车缴费');
      await see('选择停车场');
      await see('最近去过');
      await step('park-list');
      await page.locator('.park-search input').filter({ visible: true }).fill('朝阳');
      await see('“朝阳”的搜索结果');
      await step('park-search');
      await page.locator('.park-item[data-park="p_demo_001"]').filter({ visible: true }).last().click();
      await see('示例停车场 · 提前缴费');
      await step('prepay-chosen');
      await open(`/packages/park/park/index?park=${P}`);
      await see('空余车位');
      await see('地下停车场');
      await step('free-spaces');
    });
  });
}

describe('a driver in the browser (H5 demo)', () => {
  for (const width of WIDTHS) journeyAt(width);
});
