/**
 * The operator console in a real browser: the mini-program's H5 build (subpackage packages/op), served by
 * the real ParkPay server in demo mode, in headless Chromium — on a phone-sized window and on a desktop one.
 * The demo operator (server/src/demo.ts) logs in; the Bluecard sandbox is the lot that answers the lane
 * list, the barrier lift (4.22), coupons (4.23) and lists (4.6/4.9). Screenshots: test-results/e2e/op-*.png.
 *
 * Needs the H5 build (npm run build:h5) and Chromium (/usr/bin/chromium). Run: scripts/e2e.sh.
 */
import { readFileSync } from 'node:fs';
import jsQR from 'jsqr';
import type { Page } from 'playwright-core';
import { PNG } from 'pngjs';
import { loadConfig } from '../../server/src/config';
import { DEMO_OPERATOR } from '../../server/sandbox/demo';
import { createLogger } from '../../server/src/logger';
import { DEMO_PARK_NUMBER } from '../../server/sandbox/bluecard';
import { startServer, type RunningServer } from '../../server/src/server';
import { testDatabaseUri } from '../support/db';
import { eventually } from '../support/payment-world';
import { H5_DIR, checkPrerequisites, openBrowser, type Browser } from './support/browser';
import { readability, settled } from './support/readable';

jest.setTimeout(120_000);

const P = DEMO_PARK_NUMBER;
const PHONE = { width: 390, height: 844 };
const DESKTOP = { width: 1280, height: 860 };
let server: RunningServer;
let browser: Browser;
let page: Page;

const sb = () => server.demo!.sandboxes;
const lot = () => sb().bluecard.park(P);
const dump = () => lot().dump() as { cars: { plate: string; orderId: string }[]; lifts: { passagewayId: string; via: string }[] };

beforeAll(async () => {
  checkPrerequisites();
  server = await startServer(
    loadConfig({
      PORT: '0',
      MONGODB_URI: `${testDatabaseUri()}pp_op_e2e_${Date.now()}`,
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
  // The WeChat Pay sandbox page of the driver's journey is another origin; let the browser reach it whatever its CORS.
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
  await text(t).waitFor({ state: 'visible', timeout });
}
async function tap(t: string | RegExp) {
  await page.getByText(t, { exact: true }).filter({ visible: true }).first().click();
}
const visible = (selector: string) => page.locator(selector).filter({ visible: true }).first();
/** Type into a Taro <Input>/<Textarea> (its inner element). */
async function fill(selector: string, value: string) {
  await visible(`${selector} input, ${selector} textarea`).fill(value);
}
/** Type a plate on the app's plate keyboard (its keys come up from the plate boxes when they are down). */
async function typePlate(plate: string) {
  if ((await page.locator('.pk-panel').filter({ visible: true }).count()) === 0) await visible('.pk-boxes').click();
  for (const ch of Array.from(plate)) await page.locator(`.pk-key[data-key="${ch}"]`).filter({ visible: true }).first().click();
}
/** Pay in the H5 demo's sandbox sheet (the WeChat Pay sandbox plays the payer). */
async function payInSandbox(amount: string) {
  await tap(`沙箱支付 ${amount}`);
  await see('微信支付（演示沙箱）');
  await tap('确认支付');
}
async function open(hashPath: string) {
  await page.goto('about:blank');
  await page.goto(`${server.url}/#${hashPath}`);
}
async function shot(name: string, viewport = PHONE) {
  if (viewport !== PHONE) await page.setViewportSize(viewport);
  await settled(page);
  await browser.shot(name);
  if (viewport !== PHONE) await page.setViewportSize(PHONE);
}
/** The demo park's number: data that looks like a code. */
const DATA = [P, 'p_demo_002'];

/**
 * The page as an operator reads it, on a phone and on a desktop: no machine text, nothing wider than the
 * window; a screenshot of each (test-results/e2e/<name>-phone.png, -desktop.png).
 */
async function expectReadable(name: string) {
  for (const [size, viewport] of [['phone', PHONE], ['desktop', DESKTOP]] as const) {
    await page.setViewportSize(viewport);
    await settled(page);
    const r = await readability(page, DATA);
    await browser.shot(`${name}-${size}`);
    expect({ page: `${name} (${size})`, ...r }).toEqual({ page: `${name} (${size})`, machineText: [], overflowPx: 0, sticking: [] });
  }
  await page.setViewportSize(PHONE);
}

/** Taro H5 keeps storage in localStorage as {data: …}. */
const stored = (key: string) => page.evaluate(`(() => { const v = localStorage.getItem(${JSON.stringify(key)}); return v ? JSON.parse(v).data : null; })()`) as Promise<unknown>;

/** Logged in as the demo operator (the login page goes straight on to the parks when a session is kept). */
async function loggedIn() {
  await open('/packages/op/login/index');
  if (!(await stored('parkpay.opSession'))) {
    await fill('.op-username', DEMO_OPERATOR.username);
    await fill('.op-password', DEMO_OPERATOR.password);
    await tap('登录');
  }
  await see('我的车场');
}

describe('an operator in the browser (H5 demo)', () => {
  it('logs in as the demo operator (session kept apart from a driver’s), sees the parks, logs out', async () => {
    await open('/packages/op/login/index');
    await see('车场管理登录');
    await fill('.op-username', DEMO_OPERATOR.username);
    await fill('.op-password', 'not-the-password');
    await tap('登录');
    await see('用户名或密码不对');
    await fill('.op-password', DEMO_OPERATOR.password);
    await shot('op-1-login', DESKTOP);
    await tap('登录');
    await see('我的车场');
    await see('示例停车场');
    await see(/演示管理员 · 平台管理员/);
    expect(await stored('parkpay.opSession')).toMatchObject({ operator: { username: DEMO_OPERATOR.username, role: 'admin' } });
    expect(await stored('parkpay.session')).toBeNull(); // the driver's session is another thing
    await shot('op-1-parks');
    await shot('op-1-parks-desktop', DESKTOP);

    await tap('退出登录');
    await see('车场管理登录');
    expect(await stored('parkpay.opSession')).toBeNull();
    // The old page cannot be used without logging in again.
    await open('/packages/op/parks/index');
    await see('请重新登录');
  });

  it('a park’s home: its dashboard, updating itself while open, and its sections', async () => {
    await loggedIn();
    await sb().bluecard.heartbeatNow(P);
    await open(`/packages/op/park/index?park=${P}`);
    await see('车道与二维码');
    await see('今日收款（经 ParkPay）');
    await see('车场在线');
    const cars = visible('.op-stat-cars .op-stat-value');
    const before = await cars.innerText();
    expect(before).toMatch(/^\d+ \/ \d+$/);
    await shot('op-2-park-home');
    await shot('op-2-park-home-desktop', DESKTOP);
    // A car comes in and the lot's next heartbeat says so: the open page shows it without a reload.
    await lot().arrive({ lane: '东门入口', plate: '京H80001', wait: true });
    await sb().bluecard.heartbeatNow(P);
    await page.waitForFunction(
      `Array.from(document.querySelectorAll('.op-stat-cars .op-stat-value')).some((e) => e.offsetParent !== null && e.textContent !== ${JSON.stringify(before)})`,
      undefined,
      { timeout: 25_000 },
    );
    expect(await cars.innerText()).not.toBe(before);
  });

  it('settings: the values in effect with what each changes, the tariff and service information saved', async () => {
    await loggedIn();
    await open(`/packages/op/settings/index?park=${P}`);
    await see('车道屏付款码');
    // Nothing set yet: the defaults are shown selected, and marked as defaults.
    expect(await visible('.op-lane-qr .op-choice-on').innerText()).toBe('微信支付');
    expect(await visible('.op-channel-policy .op-choice-on').innerText()).toBe('钱到账才抬杆');
    await see('车主没有开通无感支付时，出口车道屏上显示哪家的付款码。');
    // What the park has set is shown as set (the demo park's address).
    expect(await visible('.op-address input').inputValue()).toBe('北京市朝阳区示例路 1 号');
    await fill('.op-park-name', '示例停车场（东区）');
    await visible('.op-gate-blacklist').getByText('关闭', { exact: true }).click();
    await fill('.op-tariff', '小型车首小时 5 元，之后每小时 2 元，每日最高 20 元。');
    await fill('.op-free-minutes', '15');
    await fill('.op-paid-free-minutes', '15');
    await fill('.op-phone', '010-88886666');
    await fill('.op-address', '北京市朝阳区示例路 1 号（东门）');
    await tap('保存设置');
    await see('已保存');
    // As the server has it now (drivers read the service information from it).
    const { token } = (await stored('parkpay.opSession')) as { token: string };
    const park = (await (await fetch(`${server.url}/api/op/parks/${P}`, { headers: { authorization: `Bearer ${token}` } })).json()) as {
      name: string;
      settings: { openGate?: { blacklist?: boolean }; service?: Record<string, unknown> };
    };
    expect(park.name).toBe('示例停车场（东区）');
    expect(park.settings.openGate?.blacklist).toBe(false);
    expect(park.settings.service).toEqual({
      tariffText: '小型车首小时 5 元，之后每小时 2 元，每日最高 20 元。',
      freeMinutes: 15,
      paidFreeMinutes: 15,
      phone: '010-88886666',
      address: '北京市朝阳区示例路 1 号（东门）',
    });
    await shot('op-2-settings');
    await shot('op-2-settings-desktop', DESKTOP);
    // Put the name and the rule back for the other journeys (the service information stays: the poster shows it).
    await fill('.op-park-name', '示例停车场');
    await visible('.op-gate-blacklist').getByText('开启', { exact: true }).click();
    await tap('保存设置');
    await see('已保存');
  });

  it('lanes with their QR codes (the lane link inside) and a poster PDF', async () => {
    await loggedIn();
    await open(`/packages/op/lanes/index?park=${P}`);
    for (const name of ['东门入口', '东门出口', '西门入口', '西门出口']) await see(name);
    const qr = visible('#lane-1 img');
    await qr.waitFor({ timeout: 15_000 });
    // The QR is fetched with the operator's token after the list shows: wait for lane 1's own picture to be drawn.
    await page.waitForFunction(
      "Array.from(document.querySelectorAll('#lane-1 img')).some((i) => i.naturalWidth > 0 && i.getAttribute('src').startsWith('data:image/png'))",
      undefined,
      { timeout: 30_000 },
    );
    // The image is the server's PNG: decode it and find the lane link.
    const src = (await qr.getAttribute('src'))!;
    expect(src).toMatch(/^data:image\/png;base64,/);
    const png = PNG.sync.read(Buffer.from(src.split(',')[1]!, 'base64'));
    const decoded = jsQR(new Uint8ClampedArray(png.data), png.width, png.height);
    expect(decoded?.data).toMatch(new RegExp(`/q/${P}/1$`));
    await see(decoded!.data);
    await shot('op-3-lanes');
    await shot('op-3-lanes-desktop', DESKTOP);

    const download = page.waitForEvent('download', { timeout: 30_000 });
    await visible('#lane-1 .op-poster').click();
    const file = await download;
    expect(file.suggestedFilename()).toMatch(/\.pdf$/);
    const bytes = readFileSync((await file.path())!);
    expect(bytes.subarray(0, 5).toString('latin1')).toBe('%PDF-');
  });

  it('a barrier lift: a reason, the confirmation, then the lot opens the barrier; it is in the audit log', async () => {
    await loggedIn();
    await open(`/packages/op/lanes/index?park=${P}`);
    await see('东门出口');
    const liftsBefore = dump().lifts.length;
    await visible('#lane-2 .op-lift-start').click();
    await fill('#lane-2 .op-lift-reason', '道闸测试，现场已确认安全');
    await visible('#lane-2 .op-lift-next').click();
    await see(/确认立即抬起「出口 东门出口」的道闸/);
    await see(/秒内有效/);
    expect(dump().lifts.length).toBe(liftsBefore); // nothing opens before the confirmation
    await shot('op-4-lift-confirm');
    await tap('确认抬杆');
    await see(/道闸已抬起（\d{2}:\d{2}:\d{2}）/);
    await shot('op-4-lift-done');
    expect(dump().lifts.slice(liftsBefore)).toEqual([expect.objectContaining({ passagewayId: '2', via: '4.22' })]);

    await open(`/packages/op/audit/index?park=${P}`);
    await see('演示管理员 远程抬起了「东门出口」的道闸（原因：道闸测试，现场已确认安全）');
    await see('演示管理员 申请远程抬起「东门出口」的道闸（原因：道闸测试，现场已确认安全）');
    await see(/演示管理员 修改了车场设置：车场名称改为「示例停车场（东区）」，黑名单车辆禁止入场关闭/);
    await shot('op-4-audit');
    await shot('op-4-audit-desktop', DESKTOP);
    // The machine fields are there for whoever needs them: in the entry's detail view.
    await visible('.op-audit-entry:has-text("远程抬起了") .op-audit-toggle').click();
    await see('POST /api/op/parks/:parkNumber/lanes/:passagewayId/lift');
    await shot('op-4-audit-detail');
  });

  it('spaces by layer and find a car with its stays', async () => {
    await loggedIn();
    const { spaceId } = (await lot().arrive({ lane: '西门入口', plate: '京G66002', wait: true })) as { spaceId: string };
    await open(`/packages/op/spaces/index?park=${P}`);
    await see(/^空 \d+/);
    await see('地下一层', 15_000);
    await shot('op-5-spaces');
    await open(`/packages/op/cars/index?park=${P}`);
    await fill('.op-plate', 'G66002');
    await tap('查询');
    await see(`京G66002 · 地下一层 ${spaceId} 号车位`);
    await shot('op-5-find-car');
  });
});

/** The H5 demo's driver says who they are on the home page (the demo asks; it makes nobody up). */
async function demoDriver(name: string) {
  await open('/pages/index/index');
  await see('演示登录：你是谁？');
  await fill('.demo-name', name);
  await tap('登录');
  await see(`演示模式 · 用户 ${name}`);
}

describe('operator and driver', () => {
  it('a coupon given to a car lowers the driver’s fee', async () => {
    await demoDriver('op-e2e-driver');
    await loggedIn();
    const plate = '沪E20001';
    await lot().arrive({ lane: '东门入口', plate, wait: true });
    await sb().bluecard.advanceClock(75 * 60_000);
    // The driver sees ¥4.00 to pay.
    await open(`/pages/pay/index?kind=prepay&park=${P}&plate=${encodeURIComponent(plate)}`);
    await see('待支付');
    await see('¥4.00');
    // The operator gives a 30-minute coupon.
    await open(`/packages/op/coupons/index?park=${P}`);
    await see('发放停车券');
    await fill('.op-coupon-plate', plate);
    await visible('.op-coupon-presets').getByText('30分钟', { exact: true }).click();
    await visible('.op-coupon-give').click();
    await see(`已发放给 ${plate}：30分钟停车券 · 车场已接收`);
    await shot('op-6-coupon-given', DESKTOP);
    // The driver asks again: 45 minutes are charged now.
    await open(`/pages/pay/index?kind=prepay&park=${P}&plate=${encodeURIComponent(plate)}`);
    await see('待支付');
    await see('优惠');
    await see(/^沙箱支付 ¥2\.00$/);
    await browser.shot('op-6-driver-fee-after-coupon');
    // Pays the rest and drives out: a payment the reconciliation below matches with the lot's exit record.
    await payInSandbox('¥2.00');
    await see('缴费成功，车场已收到');
    await lot().leave({ lane: '东门出口', plate, wait: true });
    await sb().bluecard.flushOutbox();
  });

  it('imports a small blacklist CSV chosen in the browser, with its progress, and the lot has the plates', async () => {
    await loggedIn();
    await open(`/packages/op/lists/index?park=${P}&list=black`);
    await see(/黑名单共 \d+ 条/);
    const csv = 'plate,memo\n京B90001,欠费未缴\n京B90002,欠费未缴\nnot-a-plate,x\n京B90003,逃费\n';
    const chooser = page.waitForEvent('filechooser');
    await tap('选择 CSV 文件');
    await (await chooser).setFiles({ name: 'blacklist.csv', mimeType: 'text/csv', buffer: Buffer.from(csv) });
    await see('blacklist.csv');
    await tap('开始导入（5 行，含表头）');
    await see(/^导入(排队中|进行中|完成)：\d+ \/ 4/);
    await shot('op-7-import-progress');
    await see('导入完成：4 / 4', 60_000);
    await see(/已同步 3 · 车场拒绝 0 · 未确认 0 · 格式错误 1 · 重复 0/);
    // The bad row says why in Chinese.
    await see('“not-a-plate”不是车牌号');
    await see('黑名单共 3 条');
    await expectReadable('op-7-import-done');
    await shot('op-7-import-done');
    await shot('op-7-import-done-desktop', DESKTOP);
    await eventually(
      async () => JSON.stringify(lot().dump()),
      (s) => ['京B90001', '京B90002', '京B90003'].every((p) => s.includes(p)),
      10_000,
    );
  });

  it('an operator puts a booking offer on sale; a driver books and pays it; the lot has it; the operator sees it', async () => {
    await loggedIn();
    const plate = '浙A30001';
    await open(`/packages/op/bookings/index?park=${P}`);
    await see('新的预约产品');
    await fill('.op-offer-title', '演示预约');
    await fill('.op-offer-yuan', '8');
    // The lot's areas by name; what the lot can take beside the count.
    await visible('.op-offer-area').getByText('地下停车场', { exact: true }).click();
    await fill('.op-offer-count', '3');
    await see(/^地下停车场现在可预约 \d+ 个/);
    // Times are picked: a date from the picker (the first day it offers, confirmed).
    await visible('.op-offer-letInStart .op-datetime-date').click();
    await tap('确定');
    // What the driver will see, before it is on sale.
    await see('车主看到的样子');
    await see(/价格为预约费/);
    await visible('.op-offer-preview').scrollIntoViewIfNeeded();
    await shot('op-8-offer-form');
    await shot('op-8-offer-form-desktop', DESKTOP);
    await visible('.op-offer-create').click();
    await see('已上架：演示预约');
    await see('已约 0 / 3');
    await shot('op-8-offer', DESKTOP);

    await open(`/packages/book/offers/index?park=${P}`);
    await see('演示预约');
    await visible('.offer:has-text("演示预约") .btn-primary').click();
    await typePlate(plate);
    await tap('预约并支付');
    await see(/车位已为你保留，请在 \d{2}:\d{2} 前完成支付/);
    await browser.shot('op-8-driver-booking-held');
    await payInSandbox('¥8.00');
    await see('预约成功，车场已收到');
    await browser.shot('op-8-driver-booked');
    await open('/packages/book/mine/index');
    await visible(`.booking:has-text("${plate}")`).getByText('预约成功', { exact: true }).waitFor({ timeout: 15_000 });
    await browser.shot('op-8-driver-my-bookings');
    await eventually(async () => JSON.stringify(lot().dump()), (d) => d.includes(plate), 10_000);

    await open(`/packages/op/bookings/index?park=${P}`);
    await visible(`.op-booking:has-text("${plate}")`).getByText('预约成功', { exact: true }).waitFor({ timeout: 15_000 });
    await see('已约 1 / 3');
    await tap('立即对账');
    await see(/车场有效 \d+ · 本系统有效 \d+ · 一致 \d+/);
    await shot('op-8-bookings-reconciled', DESKTOP);
  });

  it('the day’s reconciliation: the payments of the journeys above, the chart of takings, the CSV', async () => {
    await loggedIn();
    await open(`/packages/op/reconcile/index?park=${P}`);
    await see(/笔有差异|没有差异/);
    await visible('.op-recon-filter').getByText(/^全部 \d+ 笔$/).click();
    await visible('.op-recon-row:has-text("沪E20001")').waitFor({ timeout: 15_000 });
    await see('预约（不经车场）');
    // Today's bar in the chart has takings.
    const today = visible('.op-chart-row:last-child .op-chart-total');
    await eventually(() => today.innerText(), (t) => /^¥(?!0\.00)\d+\.\d{2}$/.test(t));
    await shot('op-9-reconciliation');
    await shot('op-9-reconciliation-desktop', DESKTOP);

    const download = page.waitForEvent('download', { timeout: 30_000 });
    await tap('导出 CSV');
    const file = await download;
    expect(file.suggestedFilename()).toMatch(/\.csv$/);
    const csv = readFileSync((await file.path())!, 'utf8');
    expect(csv.charCodeAt(0)).toBe(0xfeff);
    expect(csv).toContain('沪E20001');
    // In Chinese: headers and results.
    expect(csv.split('\r\n')[0]).toMatch(/^\uFEFF?日期,对账结果,渠道,车牌,/);
    expect(csv).toMatch(/,一致,微信,沪E20001,/);
    expect(csv).not.toMatch(/matched|missing_at_lot|not_for_lot/);
  });
});

describe('the console speaks the operator’s language', () => {
  it('every page, on a phone and on a desktop: no machine text, nothing wider than the window', async () => {
    await loggedIn();
    // A whitelist with long names and a bad row, so its table (and the import's rows) have something to show.
    const { token } = (await stored('parkpay.opSession')) as { token: string };
    const csv = ['车牌,生效日期,失效日期,姓名,电话,车辆类型', '京W10001,2026-01-01,2030-12-31,员工10,13800000010,月租车', '京W10002,2026-01-01,2030-12-31,物业管理处维修班员工11,13800000011,内部车', 'ABC,2026-01-01,2030-12-31,员工12,1,月租车'].join('\n');
    const imported = await fetch(`${server.url}/api/op/parks/${P}/lists/white/imports`, { method: 'POST', headers: { authorization: `Bearer ${token}`, 'content-type': 'application/json' }, body: JSON.stringify({ csv }) });
    expect(imported.status).toBe(200);
    const pages: [string, string, string | RegExp][] = [
      ['op-10-parks', '/packages/op/parks/index', '我的车场'],
      ['op-10-park-home', `/packages/op/park/index?park=${P}`, '今日收款（经 ParkPay）'],
      ['op-10-settings', `/packages/op/settings/index?park=${P}`, '车道屏付款码'],
      ['op-10-lanes', `/packages/op/lanes/index?park=${P}`, '东门出口'],
      ['op-10-spaces', `/packages/op/spaces/index?park=${P}`, '地下一层'],
      ['op-10-coupons', `/packages/op/coupons/index?park=${P}`, '已发放的券'],
      ['op-10-whitelist', `/packages/op/lists/index?park=${P}&list=white`, /白名单共 \d+ 条/],
      ['op-10-blacklist', `/packages/op/lists/index?park=${P}&list=black`, /黑名单共 \d+ 条/],
      ['op-10-bookings', `/packages/op/bookings/index?park=${P}`, '预约记录'],
      ['op-10-reconcile', `/packages/op/reconcile/index?park=${P}`, /笔有差异|没有差异/],
      ['op-10-audit', '/packages/op/audit/index', '操作日志'],
      ['op-10-accounts', '/packages/op/accounts/index', '全部账号'],
    ];
    for (const [name, path, ready] of pages) {
      await open(path);
      await see(ready);
      await expectReadable(name);
    }
    // Find a car (its stays), and the lot's own lists opened.
    await open(`/packages/op/cars/index?park=${P}`);
    await fill('.op-plate', 'G66002');
    await tap('查询');
    await see('停车记录');
    await expectReadable('op-10-cars');
    await open(`/packages/op/lists/index?park=${P}&list=white`);
    await tap('查看车场名单');
    await see(/车场白名单：\d+ 辆/);
    await expectReadable('op-10-lot-lists');
    // The reconciliation with every row shown.
    await open(`/packages/op/reconcile/index?park=${P}`);
    await visible('.op-recon-filter').getByText(/^全部 \d+ 笔$/).click();
    await expectReadable('op-10-reconcile-all');
    // The login page, logged out.
    await tap('退出登录');
    await see('车场管理登录');
    await expectReadable('op-10-login');
  });
});
