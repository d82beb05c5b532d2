/**
 * What a driver gets after paying, in a real browser (the H5 build on the real server in demo mode, every
 * stand-in a checking sandbox): pay (a booking, with the consent to messages asked at the tap) → the payment's
 * receipt from the history (shared as an image: the PNG kept to look at) → an invoice with a company title →
 * issued, its PDF link (the PDF rendered to look at) → the booking cancelled, the money back → the invoice
 * reversed (红冲), on the invoice page and the receipt. The payment and refund messages
 * reach the WeChat sandbox once each; the operator console lists the invoice. Screenshots: test-results/e2e/.
 */
import { execFileSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import type { Page } from 'playwright-core';
import { loadConfig } from '../../server/src/config';
import { createLogger } from '../../server/src/logger';
import { DEMO_PARK_NUMBER } from '../../server/sandbox/bluecard';
import { SANDBOX_SUBSCRIBE_TEMPLATES as WX } from '../../server/sandbox/wechat-login';
import { startServer, type RunningServer } from '../../server/src/server';
import { testDatabaseUri } from '../support/db';
import { eventually } from '../support/payment-world';
import { H5_DIR, SHOTS_DIR, checkPrerequisites, openBrowser, type Browser } from './support/browser';

jest.setTimeout(240_000);

const P = DEMO_PARK_NUMBER;
const MIN = 60_000;
let server: RunningServer;
let browser: Browser;
let page: Page;
const sb = () => server.demo!.sandboxes;

beforeAll(async () => {
  checkPrerequisites();
  server = await startServer(
    loadConfig({
      PORT: '0',
      MONGODB_URI: `${testDatabaseUri()}pp_h5_receipts_${Date.now()}`,
      PARKPAY_DEMO_BLUECARD_PORT: '0',
      PARKPAY_DEMO_WECHAT_LOGIN_PORT: '0',
      PARKPAY_DEMO_WECHATPAY_PORT: '0',
      PARKPAY_DEMO_ALIPAY_PORT: '0',
      PARKPAY_H5_DIR: H5_DIR,
    }, undefined, { demoWithConfiguredKeys: true }),
    // Refunds asked again within a second (the WeChat Pay sandbox settles them after 5 s).
    { logger: createLogger('silent'), workerPollMs: 100, orderPolicy: { refundBackoffMs: [0, 1_000] } },
  );
  await sb().bluecard.heartbeatNow(P);
  browser = await openBrowser();
  page = browser.page;
}, 180_000);

afterAll(async () => {
  await browser?.close();
  await server?.database.connection.dropDatabase().catch(() => undefined);
  await server?.stop();
  console.log(`screenshots in ${path.relative(process.cwd(), SHOTS_DIR)}/`);
});

const visible = (selector: string) => page.locator(selector).filter({ visible: true }).first();
async function see(t: string | RegExp, timeout = 20_000) {
  await page.getByText(t).filter({ visible: true }).first().waitFor({ state: 'visible', timeout });
}
async function tap(t: string | RegExp) {
  await page.getByText(t, { exact: true }).filter({ visible: true }).first().click();
}
async function typePlate(plate: string) {
  // The keyboard docks when the plate's boxes are tapped.
  if ((await page.locator('.pk-panel').filter({ visible: true }).count()) === 0) await visible('.pk-boxes').click();
  for (const ch of Array.from(plate)) await page.locator(`.pk-key[data-key="${ch}"]`).filter({ visible: true }).first().click();
}
async function open(route: string) {
  await page.goto('about:blank');
  await page.goto(`${server.url}/#${route}`);
}
async function fill(selector: string, value: string) {
  await visible(`${selector} input, ${selector} textarea`).fill(value);
}

/** Cards and buttons under `root` that reach past the screen's right edge (a string: no DOM types here). */
async function outside(root: string): Promise<string[]> {
  return (await page.evaluate(`[...document.querySelectorAll('${root} .card, ${root} taro-button-core')]
    .map((el) => ({ cls: String(el.className), r: el.getBoundingClientRect() }))
    .filter(({ r }) => r.width > 0 && (r.left < 0 || r.right > document.documentElement.clientWidth + 0.5))
    .map(({ cls, r }) => cls + ' ' + r.left.toFixed(1) + '–' + r.right.toFixed(1) + ' of ' + document.documentElement.clientWidth)`)) as string[];
}

async function offer(): Promise<void> {
  const username = `rcpt-${randomBytes(3).toString('hex')}`;
  const password = `pw-${randomBytes(12).toString('base64url')}`;
  await server.operators.createOperator('system', { username, password, role: 'operator', parks: [P] });
  const { token } = await server.operators.login(username, password);
  const letInStart = Date.now() + 180 * MIN;
  const res = await fetch(`${server.url}/api/op/parks/${P}/booking-offers`, {
    method: 'POST',
    headers: { authorization: `Bearer ${token}`, 'content-type': 'application/json' },
    body: JSON.stringify({
      title: '发票演示预约',
      areaId: 0,
      priceFen: 1800,
      start: new Date(letInStart).toISOString(),
      end: new Date(letInStart + 6 * 60 * MIN).toISOString(),
      letInStart: new Date(letInStart).toISOString(),
      letInEnd: new Date(letInStart + 60 * MIN).toISOString(),
      count: 3,
      cancelRule: { fullRefundMinutesBefore: 60, lateRefundPercent: 20 },
    }),
  });
  expect(res.status).toBe(200);
}

describe('after paying, in the browser', () => {
  it('pay → the payment in the history → an invoice with a company title → its PDF link → refund → the invoice reversed', async () => {
    const plate = '粤B88901';
    await offer();
    // The H5 demo asks who the driver is (it makes nobody up).
    await open('/pages/index/index');
    await see('演示登录：你是谁？');
    await fill('.demo-name', `rcpt-${randomBytes(3).toString('hex')}`);
    await tap('登录');
    await see(/演示模式 · 用户 rcpt-/);

    // 1. Pay: book a place and pay in the sandbox sheet (the tap also asks for message consent).
    await open(`/packages/book/offers/index?park=${P}`);
    await see('发票演示预约');
    await visible('.offer:has-text("发票演示预约") .btn-primary').click();
    await typePlate(plate);
    await tap('预约并支付');
    await see(/请在 \d{2}:\d{2} 前完成支付/);
    await tap('沙箱支付 ¥18.00');
    await see('微信支付（演示沙箱）');
    await tap('确认支付');
    await see('预约成功，车场已收到', 30_000);
    await browser.shot('r1-paid');
    // The payment message went to the driver's WeChat once (consent given at the tap).
    const paidMsgs = await eventually(async () => sb().wechatLogin.messages.sent.filter((m) => m.templateId === WX.payment.id && m.data.car_number2 === plate), (l) => l.length === 1, 15_000);
    expect(paidMsgs[0]!.data.amount3).toBe('18.00元');

    // 2. The payment's receipt, from the history; shared as an image (a PNG download in the browser).
    await open('/packages/me/history/index');
    const row = visible(`.pay-item:has-text("${plate}")`);
    await row.waitFor({ timeout: 20_000 });
    await browser.shot('r2-history');
    await row.click();
    await see('实付金额');
    await see('开具电子发票');
    const orderNo = new URL(page.url().replace('/#/', '/')).searchParams.get('ref')!;
    expect(orderNo).toMatch(/^[0-9A-Za-z]{6,32}$/);
    await see(orderNo);
    await see('¥18.00');
    await browser.shot('r2-receipt');
    // Every card and button of the receipt lies inside the screen.
    expect(await outside('.page-receipt')).toEqual([]);
    const [download] = await Promise.all([page.waitForEvent('download', { timeout: 20_000 }), tap('分享凭证图片')]);
    expect(download.suggestedFilename()).toBe(`receipt-${orderNo}.png`);
    const imageFile = path.join(SHOTS_DIR, 'r2-receipt-image.png');
    await download.saveAs(imageFile);
    expect(readFileSync(imageFile).subarray(1, 4).toString()).toBe('PNG');
    await tap('开具电子发票');

    // 3. An invoice with a company title.
    await see('开具电子发票 · ¥18.00');
    await browser.shot('r3-invoice-form');
    await fill('.invoice-name', '深圳市演示停车科技有限公司');
    await fill('.invoice-tax', '91440300MA5DEMO88X');
    await fill('.invoice-email', 'finance@example.com');
    await tap('提交开票');
    await see('已开票', 30_000);
    await see('发票号码');
    await see('已放入');

    // 4. The PDF link.
    await see('查看发票 PDF');
    const pdfUrl = (await visible('.invoice-pdf-url').innerText()).trim();
    expect(pdfUrl).toContain('/api/invoice-files/IV');
    await browser.shot('r4-invoice-issued');
    const pdf = await fetch(pdfUrl);
    expect(pdf.status).toBe(200);
    expect(pdf.headers.get('content-type')).toBe('application/pdf');
    const bytes = Buffer.from(await pdf.arrayBuffer());
    expect(bytes.subarray(0, 5).toString()).toBe('%PDF-');
    // Rendered to look at (poppler-utils).
    const pdfFile = path.join(SHOTS_DIR, 'r4-fapiao.pdf');
    writeFileSync(pdfFile, bytes);
    if (existsSync('/usr/bin/pdftoppm')) execFileSync('/usr/bin/pdftoppm', ['-png', '-r', '80', '-singlefile', pdfFile, path.join(SHOTS_DIR, 'r4-fapiao')]);
    const invoiceId = /\/api\/invoice-files\/(IV[0-9A-Z]+)/.exec(pdfUrl)![1]!;

    // 5. Refund: the driver cancels the booking (more than an hour before: all back).
    await open('/packages/book/mine/index');
    const booking = visible(`.booking:has-text("${plate}")`);
    await booking.waitFor({ timeout: 20_000 });
    await booking.locator('.booking-cancel').click();
    await see('取消后退回 ¥18.00');
    await visible('.booking-cancel-confirm').click();
    await see(/已取消|退款/, 20_000);
    await browser.shot('r5-refunded');

    // 6. The invoice reversed (红冲) once the money is back.
    await eventually(
      async () => {
        await open(`/packages/me/invoice/index?id=${invoiceId}`);
        return page
          .getByText('已红冲', { exact: true })
          .filter({ visible: true })
          .first()
          .waitFor({ timeout: 4_000 })
          .then(() => true)
          .catch(() => false);
      },
      (ok) => ok,
      60_000,
    );
    await see('红字发票号码');
    await see('原发票已冲红（退款）');
    await browser.shot('r6-invoice-reversed');
    // The receipt says both: the money back and the invoice reversed.
    await open(`/packages/me/receipt/index?ref=${orderNo}`);
    await see('退款金额');
    await visible('.receipt-invoice:has-text("已红冲")').waitFor({ timeout: 20_000 });
    await browser.shot('r6-receipt-refunded');
    const refundMsgs = await eventually(async () => sb().wechatLogin.messages.sent.filter((m) => m.templateId === WX.refund.id), (l) => l.length === 1, 15_000);
    expect(refundMsgs[0]!.data).toMatchObject({ amount2: '18.00元', thing4: '预约已取消' });

    // 我的 → 消息提醒: the kinds, with what is left of the consents.
    await open('/packages/me/messages/index');
    await see('缴费成功通知');
    await see('免费离场即将到期');
    await browser.shot('r7-messages');
  });

  it('合并开票: two more bookings on one invoice, the title filled on WeChat’s title page (the sandbox’s), issued', async () => {
    for (const plate of ['粤B88902', '粤B88903']) {
      await open(`/packages/book/offers/index?park=${P}`);
      await see('发票演示预约');
      await visible('.offer:has-text("发票演示预约") .btn-primary').click();
      await typePlate(plate);
      await tap('预约并支付');
      await tap('沙箱支付 ¥18.00');
      await see('微信支付（演示沙箱）');
      await tap('确认支付');
      await see('预约成功，车场已收到', 30_000);
    }
    await open('/packages/me/invoice/index');
    await tap('多笔支付合并开票');
    await see('合并开票');
    // The first booking is on its (reversed) invoice and refunded: only the two new ones are offered.
    await eventually(() => page.locator('.invoice-pick').filter({ visible: true }).count(), (n) => n === 2, 10_000);
    await visible('.invoice-pick:has-text("粤B88902")').click();
    await visible('.invoice-pick:has-text("粤B88903")').click();
    await see('合并开票（2 笔，¥36.00）');
    await browser.shot('r9-combine');
    await tap('合并开票（2 笔，¥36.00）');
    // WeChat's title page (the sandbox's in the H5 demo), then back to the invoice.
    await page.locator('#name').waitFor({ timeout: 20_000 });
    await page.locator('input[value="ORGANIZATION"]').check();
    await page.locator('#name').fill('深圳市合并开票测试有限公司');
    await page.locator('#taxpayer_id').fill('91440300MA5COMB01X');
    await browser.shot('r9-title-page');
    await page.locator('#submit').click();
    await page.locator('#return').click();
    await see('已开票', 30_000);
    await see('深圳市合并开票测试有限公司');
    await see('¥36.00');
    await see('查看发票 PDF');
    await browser.shot('r9-combined-issued');
  });

  it('the operator console lists the park’s invoices with their numbers and events', async () => {
    await open('/packages/op/login/index');
    await fill('.op-username', 'demo-admin');
    await fill('.op-password', 'parkpay-demo-2026');
    await tap('登录');
    await see('我的车场', 20_000);
    await open(`/packages/op/invoices/index?park=${P}`);
    await see('深圳市演示停车科技有限公司', 20_000);
    await see('深圳市合并开票测试有限公司');
    await see('已红冲');
    await visible('.op-invoice-reversed').click();
    await see('处理记录');
    await see(/已冲红/);
    expect(await outside('.op-invoices')).toEqual([]);
    // A plate is never broken across two lines of its cell: its text lies on one line (its rects share one
    // top). A string: this file is type-checked without the DOM library.
    const broken = (await page.evaluate(`Array.from(document.querySelectorAll('.op-invoices .op-tr .op-nowrap')).filter((e) => {
      const range = document.createRange();
      range.selectNodeContents(e);
      return new Set(Array.from(range.getClientRects()).map((r) => Math.round(r.top))).size > 1;
    }).map((e) => e.textContent)`)) as string[];
    expect(broken).toEqual([]);
    expect(await page.locator('.op-invoices .op-tr .op-nowrap').count()).toBeGreaterThan(0);
    await browser.shot('r8-op-invoices');
  });
});
