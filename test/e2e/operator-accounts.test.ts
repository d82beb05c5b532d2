/**
 * Operator accounts in a real browser: the H5 build (subpackage packages/op) on the real ParkPay server in
 * demo mode, headless Chromium. A second park is registered so that "only that park" means something.
 * The demo admin creates a park operator for one park in the accounts page; that operator logs in and sees
 * only that park (and the server refuses the other); a merchant sees only coupons; an operator changes their
 * own password (the old one no longer works, the new one does). Screenshots: test-results/e2e/opacc-*.png.
 *
 * Needs the H5 build (npm run build:h5) and Chromium. Run: PARKPAY_E2E_SKIP_BUILD=1 bash scripts/e2e.sh test/e2e/operator-accounts.test.ts
 */
import type { Page } from 'playwright-core';
import { loadConfig } from '../../server/src/config';
import { DEMO_OPERATOR } from '../../server/sandbox/demo';
import { createLogger } from '../../server/src/logger';
import { DEMO_PARK_KEY, DEMO_PARK_NUMBER } from '../../server/sandbox/bluecard';
import { startServer, type RunningServer } from '../../server/src/server';
import { testDatabaseUri } from '../support/db';
import { H5_DIR, checkPrerequisites, openBrowser, type Browser } from './support/browser';

jest.setTimeout(120_000);

const P = DEMO_PARK_NUMBER;
const OTHER = 'p_e2e_other';
const PHONE = { width: 390, height: 844 };
const DESKTOP = { width: 1280, height: 860 };
const LANE_OP = { username: 'lot-one.ops', password: 'Gate-Keeper-2026', newPassword: 'Gate-Keeper-2027!' };
const MERCHANT = { username: 'cafe-shop', password: 'Coffee-Beans-2026' };
let server: RunningServer;
let browser: Browser;
let page: Page;

async function api(method: string, path: string, token?: string, body?: unknown): Promise<{ status: number; json: Record<string, unknown> }> {
  const res = await fetch(`${server.url}${path}`, {
    method,
    headers: { 'content-type': 'application/json', ...(token ? { authorization: `Bearer ${token}` } : {}) },
    ...(body === undefined ? {} : { body: JSON.stringify(body) }),
  });
  return { status: res.status, json: (await res.json()) as Record<string, unknown> };
}
async function tokenOf(username: string, password: string): Promise<string> {
  const r = await api('POST', '/api/op/auth/login', undefined, { username, password });
  expect(r.status).toBe(200);
  return r.json.token as string;
}

beforeAll(async () => {
  checkPrerequisites();
  server = await startServer(
    loadConfig({
      PORT: '0',
      MONGODB_URI: `${testDatabaseUri()}pp_opacc_e2e_${Date.now()}`,
      PARKPAY_DEMO_BLUECARD_PORT: '0',
      PARKPAY_DEMO_WECHAT_LOGIN_PORT: '0',
      PARKPAY_DEMO_WECHATPAY_PORT: '0',
      PARKPAY_DEMO_ALIPAY_PORT: '0',
      PARKPAY_H5_DIR: H5_DIR,
    }, undefined, { demoWithConfiguredKeys: true }),
    { logger: createLogger('silent'), workerPollMs: 100 },
  );
  // A second park, so that an operator of one park has another one not to see.
  const admin = await tokenOf(DEMO_OPERATOR.username, DEMO_OPERATOR.password);
  const reg = await api('POST', '/api/op/parks', admin, { parkNumber: OTHER, key: `${DEMO_PARK_KEY}-other`, bluecardBaseUrl: server.demo!.sandboxes.bluecard.url, name: '第二停车场' });
  expect(reg.status).toBe(200);
  browser = await openBrowser();
  page = browser.page;
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
const countVisible = (selector: string) => page.locator(selector).filter({ visible: true }).count();
async function fill(selector: string, value: string) {
  await visible(`${selector} input, ${selector} textarea`).fill(value);
}
async function open(hashPath: string) {
  await page.goto('about:blank');
  await page.goto(`${server.url}/#${hashPath}`);
}
async function shot(name: string, viewport = PHONE) {
  if (viewport !== PHONE) await page.setViewportSize(viewport);
  await page.waitForTimeout(150);
  await browser.shot(name);
  if (viewport !== PHONE) await page.setViewportSize(PHONE);
}
const stored = (key: string) => page.evaluate(`(() => { const v = localStorage.getItem(${JSON.stringify(key)}); return v ? JSON.parse(v).data : null; })()`) as Promise<unknown>;

/** Log in on the login page as someone (after logging out whoever was in). */
async function logInAs(username: string, password: string) {
  await page.goto('about:blank');
  await page.goto(`${server.url}/#/packages/op/login/index`);
  await page.evaluate("localStorage.removeItem('parkpay.opSession')");
  await open('/packages/op/login/index');
  await see('车场管理登录');
  await fill('.op-username', username);
  await fill('.op-password', password);
  await tap('登录');
}

describe('operator accounts in the browser (H5 demo)', () => {
  it('the admin creates a park operator for one park; that operator logs in and sees only that park', async () => {
    await logInAs(DEMO_OPERATOR.username, DEMO_OPERATOR.password);
    await see('我的车场');
    await see('第二停车场');
    await tap('账号管理');
    await see('新建账号');
    await see(DEMO_OPERATOR.username);
    await fill('.op-new-username', LANE_OP.username);
    await fill('.op-new-display-name', '东区值班');
    await visible('.op-new-role').getByText('车场管理员', { exact: true }).click();
    await visible(`.op-new-operator .op-pick-${P}`).click();
    await fill('.op-new-password-initial', LANE_OP.password);
    await shot('opacc-1-create', DESKTOP);
    await tap('创建账号');
    await see(`已创建 ${LANE_OP.username}（车场管理员）`);
    await see('东区值班', 5_000);
    // As the server has it.
    const admin = ((await stored('parkpay.opSession')) as { token: string }).token;
    const list = (await api('GET', '/api/op/operators', admin)).json.operators as { username: string; role: string; parks: string[] }[];
    expect(list.find((o) => o.username === LANE_OP.username)).toMatchObject({ role: 'operator', parks: [P] });

    await tap('退出登录');
    await see('车场管理登录');
    await logInAs(LANE_OP.username, LANE_OP.password);
    await see('我的车场');
    await see(/东区值班 · 车场管理员/);
    await visible(`#park-${P}`).waitFor();
    expect(await countVisible(`#park-${OTHER}`)).toBe(0);
    expect(await countVisible('.op-park')).toBe(1);
    await shot('opacc-2-operator-parks');
    // Not the admin's things: no account management, only their own account.
    await see('我的账号 · 修改密码');
    // The server refuses the other park to this operator (not only hidden).
    const token = ((await stored('parkpay.opSession')) as { token: string }).token;
    expect((await api('GET', `/api/op/parks/${OTHER}`, token)).status).toBe(403);
    expect((await api('GET', '/api/op/operators', token)).status).toBe(403);
    // Its park: the staff sections.
    await visible(`#park-${P}`).click();
    await see('车道与二维码');
    await see('车场设置');
  });

  it('a merchant sees only coupons', async () => {
    const admin = await tokenOf(DEMO_OPERATOR.username, DEMO_OPERATOR.password);
    const made = await api('POST', '/api/op/operators', admin, { username: MERCHANT.username, password: MERCHANT.password, role: 'merchant', parks: [P], displayName: '咖啡店' });
    expect(made.status).toBe(200);

    await logInAs(MERCHANT.username, MERCHANT.password);
    await see('我的车场');
    await see(/咖啡店 · 商户/);
    // The name comes from the session at once; the parks come from the server after: count once they are there.
    await visible(`#park-${P}`).waitFor();
    expect(await countVisible('.op-park')).toBe(1);
    expect(await countVisible('.op-audit-link')).toBe(0);
    await visible(`#park-${P}`).click();
    await see('停车券');
    expect(await countVisible('.op-section')).toBe(1);
    expect(await countVisible('.op-section-coupons')).toBe(1);
    expect(await countVisible('.op-settings')).toBe(0);
    await shot('opacc-3-merchant-park');
    await tap('停车券');
    await see('发放停车券');
    await see('固定券码（出口岗亭扫码）');
    // What is hidden is refused too.
    const token = ((await stored('parkpay.opSession')) as { token: string }).token;
    expect((await api('GET', `/api/op/parks/${P}/lists/white`, token)).status).toBe(403);
    // The account page: their own account only.
    await open('/packages/op/accounts/index');
    await see('修改我的密码');
    await see(`可管理的车场：${P}`);
    expect(await countVisible('.op-new-operator')).toBe(0);
    expect(await countVisible('.op-operators')).toBe(0);
  });

  it('an operator changes their own password: the old one stops working, the new one works', async () => {
    await logInAs(LANE_OP.username, LANE_OP.password);
    await see('我的车场');
    await tap('我的账号 · 修改密码');
    await see('修改我的密码');
    await fill('.op-current-password', 'not-my-password');
    await fill('.op-new-password', LANE_OP.newPassword);
    await fill('.op-new-password-again', LANE_OP.newPassword);
    await tap('修改密码');
    await see('当前密码不对');
    await fill('.op-current-password', LANE_OP.password);
    await tap('修改密码');
    await see('密码已修改；其他设备上的登录已退出');
    await shot('opacc-4-password');
    // This session goes on.
    const token = ((await stored('parkpay.opSession')) as { token: string }).token;
    expect((await api('GET', '/api/op/me', token)).status).toBe(200);

    await tap('退出登录');
    await see('车场管理登录');
    await logInAs(LANE_OP.username, LANE_OP.password);
    await see('用户名或密码不对');
    await logInAs(LANE_OP.username, LANE_OP.newPassword);
    await see('我的车场');
    await see(/东区值班 · 车场管理员/);
  });

  it('a locked login says when to try again, from the server', async () => {
    for (let i = 0; i < 5; i++) await api('POST', '/api/op/auth/login', undefined, { username: MERCHANT.username, password: 'wrong-password' });
    await logInAs(MERCHANT.username, MERCHANT.password);
    await see('密码错误次数太多，账号暂时锁定');
    await see(/^请 15 分钟后再试（约 \d\d:\d\d 解锁）。$/);
    await shot('opacc-5-locked');
  });
});
