/**
 * The demo as a newcomer meets it: `npm start` (server/src/main.ts, no configuration but free ports and a
 * fresh data folder), then the printed /demo URL in a desktop browser — and the whole journey played there
 * with nothing else: cars driven in and out, paid in the phone frame (WeChat Pay sandbox), at the lane
 * screen's QR (Alipay sandbox), at the booth (payment code), free as a monthly car, withheld by a 无感支付
 * agreement signed in the phone, an unlicensed car scanning in and out, a paid car that overstays paying the
 * difference, and the lot going offline, slow or busy and a payment notification getting lost while ParkPay
 * recovers.
 *
 * The process is started in its own process group and stopped with it (also when a step fails).
 * Screenshots: test-results/e2e/playground-*.png. Needs the H5 build (scripts/e2e.sh makes it).
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import readline from 'node:readline';
import { chromium, type BrowserContext, type FrameLocator, type Page } from 'playwright-core';
import { CHROMIUM, SHOTS_DIR, checkPrerequisites } from './support/browser';

jest.setTimeout(360_000);

const REPO = path.resolve(__dirname, '../..');
const TSX = path.join(REPO, 'node_modules', '.bin', 'tsx');

let child: ChildProcess | undefined;
let exited: Promise<number | null> | undefined;
let dataDir: string;
let profile: string;
let context: BrowserContext | undefined;
let page: Page;
let phone: FrameLocator;
let demoUrl: string;
const output: string[] = [];

/** `npm start` as a newcomer runs it, on free ports and a fresh data folder; resolves the printed /demo URL. */
async function npmStart(): Promise<string> {
  dataDir = mkdtempSync(path.join(os.tmpdir(), 'parkpay-playground-'));
  const env: NodeJS.ProcessEnv = {
    ...process.env,
    PORT: '0',
    PARKPAY_DEMO_BLUECARD_PORT: '0',
    PARKPAY_DEMO_WECHAT_LOGIN_PORT: '0',
    PARKPAY_DEMO_WECHATPAY_PORT: '0',
    PARKPAY_DEMO_ALIPAY_PORT: '0',
    PARKPAY_DATA_DIR: dataDir,
    PARKPAY_CACHE_DIR: path.join(REPO, '.cache'),
    LOG_LEVEL: 'warn',
  };
  for (const k of ['MONGODB_URI', 'PARKPAY_MODE', 'PARKPAY_CONFIG', 'PARKPAY_H5_DIR', 'PARKPAY_DEMO_BUILD_H5']) delete env[k];
  // Its own process group: afterAll stops it and everything it started (the database engine).
  const c = spawn(TSX, ['server/src/main.ts'], { cwd: REPO, env, stdio: ['ignore', 'pipe', 'pipe'], detached: true });
  child = c;
  exited = new Promise((resolve) => c.once('exit', (code) => resolve(code)));
  c.stderr!.on('data', (b) => output.push(String(b)));
  return new Promise<string>((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`no /demo URL in the banner within 90 s:\n${output.join('')}`)), 90_000);
    c.once('exit', (code) => reject(new Error(`npm start exited (${code}):\n${output.join('')}`)));
    readline.createInterface({ input: c.stdout! }).on('line', (line) => {
      output.push(`${line}\n`);
      const m = /lot playground[^:]*: (http:\/\/\S+\/demo)\b/.exec(line);
      if (m) {
        clearTimeout(timer);
        resolve(m[1]!);
      }
    });
  });
}

async function stopProcess(): Promise<void> {
  if (!child?.pid || child.exitCode !== null || child.signalCode !== null) return;
  process.kill(-child.pid, 'SIGTERM');
  const code = await Promise.race([exited, new Promise<'late'>((r) => setTimeout(() => r('late'), 20_000).unref())]);
  if (code === 'late') process.kill(-child.pid, 'SIGKILL');
}

beforeAll(async () => {
  checkPrerequisites();
  demoUrl = await npmStart();
  profile = mkdtempSync(path.join(os.tmpdir(), 'parkpay-e2e-profile-'));
  context = await chromium.launchPersistentContext(profile, {
    executablePath: CHROMIUM,
    headless: true,
    args: ['--no-sandbox', '--disable-background-networking', '--disable-quic', '--disable-gpu', '--no-first-run', '--disable-component-update', '--disable-sync'],
    viewport: { width: 1440, height: 1000 },
    locale: 'zh-CN',
    timezoneId: 'Asia/Shanghai',
  });
  page = context.pages()[0] ?? (await context.newPage());
  phone = page.frameLocator('#phone');
}, 180_000);

afterAll(async () => {
  await context?.close().catch(() => undefined);
  await stopProcess();
  if (profile) rmSync(profile, { recursive: true, force: true });
  if (dataDir) rmSync(dataDir, { recursive: true, force: true });
});

const shot = (name: string) => page.screenshot({ path: path.join(SHOTS_DIR, `playground-${name}.png`), animations: 'disabled', fullPage: true });
/** Visible text in the phone (Taro keeps earlier pages of its stack in the DOM, hidden). */
const inPhone = (t: string | RegExp) => phone.getByText(t).filter({ visible: true }).first();
const tapInPhone = (t: string) => phone.getByText(t, { exact: true }).filter({ visible: true }).first().click();
const row = (plate: string) => page.locator('#cars tr', { hasText: plate });
const toast = (t: string | RegExp) => page.locator('#toast.show', { hasText: t }).waitFor({ timeout: 20_000 });

async function driveIn(lane: string, plate: string): Promise<void> {
  await page.locator(`#lane-${lane} [data-plate]`).fill(plate);
  await page.locator(`#lane-${lane} [data-act="arrive"]`).click();
  await row(plate).waitFor({ timeout: 15_000 });
}
async function advance(minutes: 5 | 15 | 60 | 1440): Promise<void> {
  const moved = page.waitForResponse((r) => r.url().endsWith('/demo/api/clock') && r.request().method() === 'POST', { timeout: 30_000 });
  await page.locator(`[data-advance="${minutes}"]`).click();
  expect((await moved).status()).toBe(200);
  // The page shows the moved clock after its next poll.
  await toast('时钟拨快');
}
async function payInPhoneWithWechat(amount: string): Promise<void> {
  await inPhone(`沙箱支付 ${amount}`).waitFor({ timeout: 30_000 });
  await tapInPhone(`沙箱支付 ${amount}`);
  await inPhone('微信支付（演示沙箱）').waitFor({ timeout: 15_000 });
  await tapInPhone('确认支付');
}
async function seeLeave(plate: string, exitLane: string): Promise<void> {
  await page.locator(`#lane-${exitLane} .barrier.up`).waitFor({ timeout: 30_000 });
  await row(plate).waitFor({ state: 'detached', timeout: 30_000 });
  await page.locator('#departed', { hasText: plate }).waitFor({ timeout: 10_000 });
}

describe('the lot playground, from npm start', () => {
  it('prints the playground, the driver app, the console and the sandboxes in its banner', () => {
    const banner = output.join('');
    expect(demoUrl).toMatch(/^http:\/\/127\.0\.0\.1:\d+\/demo$/);
    expect(banner).toMatch(/driver app[^\n]*http:\/\/127\.0\.0\.1:\d+\/q\/p_demo_001\/1/);
    expect(banner).toMatch(/operator console: http:\/\/127\.0\.0\.1:\d+\/#\/packages\/op\/login\/index +\(demo admin: demo-admin \/ parkpay-demo-2026\)/);
    for (const s of ['Bluecard sandbox', 'WeChat Pay sandbox', 'Alipay sandbox', 'WeChat login sandbox']) expect(banner).toMatch(new RegExp(`${s}: http://127\\.0\\.0\\.1:\\d+`));
  });

  it("every link the banner gives to open (not a POST's) answers", async () => {
    const links = [...output.join('').matchAll(/(POST )?(http:\/\/[^\s)]+)/g)].filter((m) => !m[1]).map((m) => m[2]!);
    expect(links.length).toBeGreaterThanOrEqual(9);
    const answers = await Promise.all(links.map(async (u) => `${(await fetch(u)).status} ${u}`));
    expect(answers.filter((a) => !a.startsWith('200 '))).toEqual([]);
  });

  it('opens on the demo park: four lanes, free spaces, the shared clock, the driver app in the phone', async () => {
    await page.goto(demoUrl);
    await page.locator('#lane-4').waitFor();
    for (const name of ['东门入口', '东门出口', '西门入口', '西门出口']) await page.locator('.lane-head', { hasText: name }).waitFor();
    await page.locator('#areas', { hasText: '地面停车场' }).waitFor();
    await inPhone('停车缴费').waitFor({ timeout: 60_000 });
    // The phone's driver has a demo name already: following a car never stops at the app's login form.
    await page.locator('#driver', { hasText: '司机 演示司机' }).waitFor();
    await page.locator('#log tr', { hasText: '4.21' }).first().waitFor({ timeout: 15_000 });
    await shot('1-start');
  });

  it('drive in, pay in the phone with the WeChat Pay sandbox, drive out: the barrier lifts', async () => {
    await driveIn('1', '京A12345');
    await page.locator('#lane-1 .barrier.up').waitFor({ timeout: 10_000 });
    await page.locator('#log tr', { hasText: '入场记录' }).first().waitFor({ timeout: 15_000 });
    await advance(60);
    await advance(15);
    await row('京A12345').getByText('¥4.00').waitFor({ timeout: 10_000 });
    await row('京A12345').click();
    await payInPhoneWithWechat('¥4.00');
    await inPhone('缴费成功，车场已收到').waitFor({ timeout: 30_000 });
    // The phone's countdown runs on the lot's clock: 15 minutes to leave, not 15 plus the time moved.
    await inPhone(/剩余离场时间 1[45]:\d{2}/).waitFor({ timeout: 10_000 });
    await page.locator('#log tr', { hasText: '下发支付结果' }).first().waitFor({ timeout: 15_000 });
    await row('京A12345').getByText(/已付 · \d{2}:\d{2} 前离场/).waitFor({ timeout: 10_000 });
    await shot('2-paid-in-phone');
    await row('京A12345').getByText('驶出', { exact: true }).click();
    await seeLeave('京A12345', '2');
    await shot('3-driven-out');
  });

  it("a car owing money at the exit: the lane screen shows ParkPay's QR (Alipay), paid by scanning it in the phone", async () => {
    await page.locator('[data-provider="alipay"]').click();
    await page.locator('[data-provider="alipay"].active').waitFor({ timeout: 15_000 });
    await driveIn('3', '沪B66666');
    await advance(60);
    await row('沪B66666').getByText('驶出', { exact: true }).click();
    await page.locator('#lane-4 [data-qr].pay-qr', { hasText: '支付宝' }).waitFor({ timeout: 20_000 });
    await page.locator('#lane-4 [data-led]', { hasText: '请扫码缴费' }).waitFor();
    await page.locator('#log tr', { hasText: '代扣或支付二维码' }).first().waitFor();
    await shot('4-lane-qr');
    await page.locator('#lane-4 [data-act="scan"]').click();
    await inPhone('支付宝').waitFor({ timeout: 15_000 });
    await inPhone('¥4.00').waitFor();
    await tapInPhone('确认支付');
    await inPhone('支付成功').waitFor({ timeout: 15_000 });
    // The lot polls 4.17 and lets the car out.
    await seeLeave('沪B66666', '4');
    await page.locator('#log tr', { hasText: '二维码支付结果' }).filter({ hasText: 'success' }).first().waitFor();
    await shot('5-lane-qr-paid');
  });

  it('at the booth: a WeChat payment code (4.24) pays and the barrier lifts', async () => {
    await driveIn('1', '粤C20001');
    await advance(60);
    await row('粤C20001').getByText('驶出', { exact: true }).click();
    await page.locator('#lane-2 [data-pay-actions]:not([hidden])').waitFor({ timeout: 20_000 });
    await page.locator('#lane-2 [data-act="booth-wechat"]').click();
    await seeLeave('粤C20001', '2');
    await page.locator('#log tr', { hasText: '当面付' }).first().waitFor();
  });

  it('a paid car that overstays owes the difference: 超时补缴 in the phone, then out', async () => {
    await driveIn('3', '皖F70001');
    await advance(60);
    await row('皖F70001').click();
    await payInPhoneWithWechat('¥4.00');
    await inPhone('缴费成功，车场已收到').waitFor({ timeout: 30_000 });
    await row('皖F70001').getByText(/已付 · \d{2}:\d{2} 前离场/).waitFor({ timeout: 10_000 });
    // Past the 15 free minutes after paying: the lot prices the extra hour.
    await advance(60);
    await row('皖F70001').locator('b.owe', { hasText: '¥2.00' }).waitFor({ timeout: 10_000 });
    await row('皖F70001').click();
    await inPhone('超时补缴 ¥2.00').waitFor({ timeout: 30_000 });
    await shot('5b-overstay');
    await payInPhoneWithWechat('¥2.00');
    await inPhone('缴费成功，车场已收到').waitFor({ timeout: 30_000 });
    await row('皖F70001').getByText('驶出', { exact: true }).click();
    await seeLeave('皖F70001', '4');
    await page.locator('#departed li', { hasText: '皖F70001' }).filter({ hasText: '付 ¥6.00' }).waitFor();
  });

  it('a monthly car (whitelist) leaves free', async () => {
    await driveIn('1', '京M88888');
    await row('京M88888').getByText('月租', { exact: true }).click();
    await row('京M88888').getByText(/月租 至/).waitFor({ timeout: 15_000 });
    await advance(60);
    await advance(60);
    await row('京M88888').locator('b', { hasText: '¥0.00' }).waitFor({ timeout: 10_000 });
    await shot('6-monthly');
    await row('京M88888').getByText('驶出', { exact: true }).click();
    await seeLeave('京M88888', '2');
  });

  it('an unlicensed car: scan the entry lane in the phone, then the exit lane, pay, and out', async () => {
    await page.locator('#lane-1 [data-act="unlicensed"]').click();
    await page.locator('#lane-1 [data-led]', { hasText: '无牌车' }).waitFor({ timeout: 10_000 });
    await inPhone('东门入口 · 入口').waitFor({ timeout: 30_000 });
    await tapInPhone('我没有车牌，无牌车入场');
    await inPhone('入场成功，道闸正在抬起').waitFor({ timeout: 20_000 });
    const car = page.locator('#cars tr', { hasText: '无牌' });
    await car.waitFor({ timeout: 15_000 });
    const plate = (await car.locator('.plate').innerText()).trim();
    expect(plate).toMatch(/^临/);
    await shot('7-unlicensed-in');
    await advance(60);
    await car.click();
    await inPhone('东门出口 · 出口').waitFor({ timeout: 30_000 });
    await tapInPhone('我没有车牌，无牌车出场缴费');
    await payInPhoneWithWechat('¥4.00');
    // The lot lets the car out as soon as it has the payment; the app may already know it left.
    await inPhone(/道闸正在抬起，请驶出|缴费成功，车辆已离场/).waitFor({ timeout: 30_000 });
    await seeLeave(plate, '2');
  });

  it('无感支付: sign an agreement in the phone; at the exit the lot asks ParkPay (4.16), which deducts, and the barrier lifts', async () => {
    // Bind the plate, then open WeChat's parking service from the agreements page (the sandbox's page).
    await page.locator('[data-phone="plates"]').click();
    await inPhone('绑定新车牌').waitFor({ timeout: 30_000 });
    for (const ch of Array.from('浙E12345')) await phone.locator(`.pk-key[data-key="${ch}"]`).filter({ visible: true }).first().click();
    await tapInPhone('绑定');
    await inPhone('绑定于').waitFor({ timeout: 15_000 });
    await page.locator('[data-phone="agreements"]').click();
    const wechat = phone.locator('.agreement', { hasText: '微信支付' }).filter({ visible: true }).first();
    // For this park only when the app knows the park (the last one used), else for all parks.
    await wechat.getByText(/^(仅在示例停车场开通|开通（所有停车场）)$/).first().click();
    await phone.getByText('同意并开通').click({ timeout: 30_000 });
    await phone.locator('#outcome[data-outcome="opened"]').waitFor({ timeout: 15_000 });
    await phone.locator('#return').click();
    await phone.locator('.agreement', { hasText: '微信支付' }).filter({ visible: true }).first().getByText('已开通').waitFor({ timeout: 30_000 });
    await shot('8-agreement-signed');
    await driveIn('1', '浙E12345');
    await advance(60);
    await row('浙E12345').getByText('驶出', { exact: true }).click();
    await seeLeave('浙E12345', '2');
    await page.locator('#log tr', { hasText: '代扣或支付二维码' }).filter({ hasText: '浙E12345' }).first().waitFor();
    await page.locator('#departed li', { hasText: '浙E12345' }).filter({ hasText: '付 ¥4.00' }).waitFor();
    await shot('9-agreement-withheld');
  });

  it('faults: a lost payment notification, a lot that goes offline, slow or busy — ParkPay recovers', async () => {
    // A lost notification: the app's poll makes ParkPay ask WeChat Pay, which says paid.
    await driveIn('1', '苏D30001');
    await advance(60);
    await page.locator('[data-fault="loseNotification"] .knob').click();
    await page.locator('[data-fault="loseNotification"].on').waitFor({ timeout: 10_000 });
    await row('苏D30001').click();
    await payInPhoneWithWechat('¥4.00');
    await inPhone('缴费成功，车场已收到').waitFor({ timeout: 60_000 });
    await page.locator('[data-fault="loseNotification"]:not(.on)').waitFor({ timeout: 10_000 });
    await row('苏D30001').getByText('驶出', { exact: true }).click();
    await seeLeave('苏D30001', '2');

    // Offline: the entry record waits at the lot; back online it is delivered and ParkPay prices the stay.
    await page.locator('[data-fault="offline"] .knob').click();
    await page.locator('[data-fault="offline"].on').waitFor({ timeout: 10_000 });
    await driveIn('1', '苏D30002');
    await page.locator('#log tr', { hasText: '入场记录' }).filter({ hasText: '无应答' }).filter({ hasText: '苏D30002' }).first().waitFor({ timeout: 15_000 });
    await shot('10-offline');
    await page.locator('[data-fault="offline"] .knob').click();
    await page.locator('[data-fault="offline"]:not(.on)').waitFor({ timeout: 10_000 });
    await page.locator('#log tr', { hasText: '入场记录' }).filter({ hasText: 'success' }).filter({ hasText: '苏D30002' }).first().waitFor({ timeout: 30_000 });
    await advance(60);
    await row('苏D30002').click();
    await payInPhoneWithWechat('¥4.00');
    await inPhone('缴费成功，车场已收到').waitFor({ timeout: 60_000 });
    await row('苏D30002').getByText('驶出', { exact: true }).click();
    await seeLeave('苏D30002', '2');
    await shot('11-recovered');

    // Slow: every answer of the lot takes 3 s; the phone waits and pays all the same.
    await driveIn('1', '苏D30003');
    await advance(60);
    await page.locator('[data-fault="slow"] .knob').click();
    await page.locator('[data-fault="slow"].on').waitFor({ timeout: 10_000 });
    await row('苏D30003').click();
    await payInPhoneWithWechat('¥4.00');
    await inPhone('缴费成功，车场已收到').waitFor({ timeout: 60_000 });
    const slowFee = page.locator('#log tr', { hasText: '查询停车费' }).filter({ hasText: '苏D30003' }).first();
    expect(Number(/(\d+) ms/.exec(await slowFee.innerText())?.[1])).toBeGreaterThanOrEqual(3000);
    await page.locator('[data-fault="slow"] .knob').click();
    await page.locator('[data-fault="slow"]:not(.on)').waitFor({ timeout: 10_000 });
    await row('苏D30003').getByText('驶出', { exact: true }).click();
    await seeLeave('苏D30003', '2');

    // Busy: the lot's next answers are HTTP 500; ParkPay tries again by itself and the phone gets the fee.
    await driveIn('1', '苏D30004');
    await advance(60);
    await page.locator('[data-fault="busy"] .knob').click();
    await page.locator('[data-fault="busy"].on').waitFor({ timeout: 10_000 });
    await row('苏D30004').click();
    await payInPhoneWithWechat('¥4.00');
    await inPhone('缴费成功，车场已收到').waitFor({ timeout: 60_000 });
    const feeCalls = page.locator('#log tr', { hasText: '查询停车费' }).filter({ hasText: '苏D30004' });
    await feeCalls.filter({ hasText: '注入故障 500' }).nth(1).waitFor({ timeout: 10_000 });
    await feeCalls.filter({ hasText: 'success' }).first().waitFor({ timeout: 10_000 });
    await page.locator('[data-fault="busy"]:not(.on)').waitFor({ timeout: 10_000 });
    await shot('12-busy-ridden-out');
    await row('苏D30004').getByText('驶出', { exact: true }).click();
    await seeLeave('苏D30004', '2');
  });
});
