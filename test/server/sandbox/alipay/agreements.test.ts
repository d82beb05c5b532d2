/**
 * The Alipay sandbox's withholding agreements over raw HTTP (no SDK): the page.sign URL opens a sign-up page
 * only when signed exactly like every other call, the page's buttons sign and go back to return_url,
 * dut_user_sign / dut_user_unsign are signed like trade notifications, query / unsign find agreements the
 * ways Alipay does, and alipay.trade.pay GENERAL_WITHHOLDING takes money once per out_trade_no, refusing
 * ended, paused and underfunded agreements. Plus the control API and faults.
 */
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import {
  generateRsaKeyPair,
  notificationSignContent,
  rsa2Verify,
  signRequest,
  startAlipaySandbox,
  type AlipaySandbox,
  type SandboxNotification,
} from '../../../../server/sandbox/alipay';
import { formatChinaTime } from '../../../../shared/time';

const MIN = 60_000;

/** A notify_url that answers "success" and records the form fields. */
async function receiver() {
  const got: Record<string, string>[] = [];
  const server = http.createServer((req, res) => {
    let body = '';
    req.on('data', (c) => (body += c));
    req.on('end', () => {
      got.push(Object.fromEntries(new URLSearchParams(body)));
      res.writeHead(200, { 'content-type': 'text/plain' });
      res.end('success');
    });
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', () => r()));
  return {
    url: `http://127.0.0.1:${(server.address() as AddressInfo).port}/notify`,
    got,
    stop: () => new Promise<void>((r) => server.close(() => r())),
  };
}

let sb: AlipaySandbox;
let rx: Awaited<ReturnType<typeof receiver>>;
let seq = 0;
const ext = () => `PPA${Date.now().toString(36).toUpperCase()}${++seq}`;

beforeAll(async () => {
  rx = await receiver();
  sb = await startAlipaySandbox();
});
afterAll(async () => {
  await sb.stop();
  await rx.stop();
});

function common(method: string, o: { key?: string; timestamp?: string; extra?: Record<string, string> } = {}) {
  return {
    app_id: sb.app.appId,
    method,
    charset: 'utf-8',
    version: '1.0',
    sign_type: 'RSA2',
    timestamp: o.timestamp ?? formatChinaTime(Date.now()),
    ...o.extra,
  };
}

/** A page.sign URL as pageExecute GET builds it: every parameter in the query, signed. */
function signUrl(biz: Record<string, unknown>, o: { key?: string; timestamp?: string; returnUrl?: string; notifyUrl?: string; mutate?: (p: Record<string, string>) => void } = {}) {
  const extra: Record<string, string> = {};
  if (o.returnUrl !== undefined) extra.return_url = o.returnUrl;
  extra.notify_url = o.notifyUrl ?? rx.url;
  const params = signRequest({ ...common('alipay.user.agreement.page.sign', { ...o, extra }), biz_content: JSON.stringify(biz) }, o.key ?? sb.app.privateKey);
  o.mutate?.(params);
  return `${sb.gateway}?${new URLSearchParams(params)}`;
}

const signBiz = (externalAgreementNo: string, extra: Record<string, unknown> = {}) => ({
  personal_product_code: 'GENERAL_WITHHOLDING_P',
  sign_scene: 'INDUSTRY|PARKING',
  external_agreement_no: externalAgreementNo,
  access_params: { channel: 'ALIPAYAPP' },
  ...extra,
});

/** A gateway call (common params in the query, biz_content in the form body), its signed inner answer. */
async function call(method: string, biz: Record<string, unknown>, o: { key?: string; extra?: Record<string, string> } = {}) {
  const signed = signRequest({ ...common(method, o), biz_content: JSON.stringify(biz) }, o.key ?? sb.app.privateKey);
  const { biz_content, ...query } = signed;
  const res = await fetch(`${sb.gateway}?${new URLSearchParams(query)}`, {
    method: 'POST',
    headers: { 'content-type': 'application/x-www-form-urlencoded;charset=UTF-8' },
    body: new URLSearchParams({ biz_content }).toString(),
  });
  const text = await res.text();
  const key = `${method.replace(/\./g, '_')}_response`;
  const prefix = `{"${key}":`;
  const signAt = text.lastIndexOf(',"sign":"');
  const innerText = text.slice(prefix.length, signAt);
  const sign = (JSON.parse(text) as { sign: string }).sign;
  return { inner: JSON.parse(text)[key] as Record<string, string>, verified: text.startsWith(prefix) && rsa2Verify(innerText, sign, sb.app.alipayPublicKey) };
}

/** Open the page like a browser and press a button. */
async function pressOnPage(url: string, action: 'sign' | 'cancel', user?: string) {
  const page = await (await fetch(url)).text();
  const m = /action="([^"]+)"/.exec(page);
  expect(m).not.toBeNull();
  const form = new URLSearchParams({ action, ...(user ? { user } : {}) });
  return fetch(`${sb.url}${(m as RegExpExecArray)[1]}`, { method: 'POST', body: form, headers: { 'content-type': 'application/x-www-form-urlencoded' }, redirect: 'manual' });
}

const notices = (agreementNo: string): SandboxNotification[] => sb.notifications().filter((n) => n.agreementNo === agreementNo);

async function signed(user = 'zhang', extraBiz: Record<string, unknown> = {}) {
  const no = ext();
  const a = sb.agreements.sign(signUrl(signBiz(no, extraBiz)), user);
  return { externalAgreementNo: no, agreementNo: a.agreementNo, a };
}

describe('alipay.user.agreement.page.sign: the sign-up page', () => {
  it('opens a page for a URL signed like every call; the button signs, notifies dut_user_sign and goes to return_url', async () => {
    const no = ext();
    const url = signUrl(signBiz(no, { external_logon_id: 'li' }), { returnUrl: 'https://app.example/agreements?x=1' });
    const page = await (await fetch(url)).text();
    expect(page).toContain('开通免密支付');
    expect(page).toContain(no);
    expect(page).toContain('value="li"'); // the merchant's login id, a sandbox user name, is proposed
    expect(sb.agreements.byExternalNo(no)).toEqual([]); // opening is not signing

    const res = await pressOnPage(url, 'sign', 'zhang');
    expect(res.status).toBe(303);
    expect(res.headers.get('location')).toBe('https://app.example/agreements?x=1');
    const [a] = sb.agreements.byExternalNo(no);
    expect(a).toMatchObject({ status: 'NORMAL', personalProductCode: 'GENERAL_WITHHOLDING_P', signScene: 'INDUSTRY|PARKING', externalLogonId: 'li' });
    expect(a.user.name).toBe('zhang');
    expect(a.agreementNo).toMatch(/^\d{20}$/);

    await sb.waitFor(() => notices(a.agreementNo).some((n) => n.state === 'delivered'));
    const fields = rx.got.find((f) => f.agreement_no === a.agreementNo) as Record<string, string>;
    expect(fields).toMatchObject({
      notify_type: 'dut_user_sign',
      app_id: sb.app.appId,
      auth_app_id: sb.app.appId,
      agreement_no: a.agreementNo,
      external_agreement_no: no,
      personal_product_code: 'GENERAL_WITHHOLDING_P',
      sign_scene: 'INDUSTRY|PARKING',
      status: 'NORMAL',
      alipay_open_id: sb.user('zhang').openId, // an open_id-mode app
      invalid_time: '2115-02-01 00:00:00',
      sign_type: 'RSA2',
    });
    expect(fields.alipay_user_id).toBeUndefined();
    expect(fields.sign_time).toMatch(/^\d{4}-\d{2}-\d{2} \d{2}:\d{2}:\d{2}$/);
    // Signed with Alipay's key over every field but sign and sign_type.
    expect(rsa2Verify(notificationSignContent(fields), fields.sign, sb.app.alipayPublicKey)).toBe(true);
    expect(rsa2Verify(notificationSignContent({ ...fields, status: 'STOP' }), fields.sign, sb.app.alipayPublicKey)).toBe(false);
  });

  it('backing out signs nothing and still goes back; without return_url a result page', async () => {
    const no = ext();
    const res = await pressOnPage(signUrl(signBiz(no), { returnUrl: 'https://app.example/back' }), 'cancel');
    expect(res.status).toBe(303);
    expect(sb.agreements.byExternalNo(no)).toEqual([]);
    const no2 = ext();
    const done = await pressOnPage(signUrl(signBiz(no2)), 'sign', 'li');
    expect(done.status).toBe(200);
    expect(await done.text()).toContain('开通成功');
  });

  it.each([
    ['another key', { key: generateRsaKeyPair().privateKey }, 'isv.invalid-signature'],
    ['a parameter changed after signing', { mutate: (p: Record<string, string>) => (p.return_url = 'https://evil.example') }, 'isv.invalid-signature'],
    ['a timestamp 16 minutes old', { timestamp: formatChinaTime(Date.now() - 16 * MIN) }, 'isv.invalid-timestamp'],
  ])('shows Alipay’s error page, never the sign page, for %s', async (_what, o, code) => {
    const no = ext();
    const page = await (await fetch(signUrl(signBiz(no), o))).text();
    expect(page).toContain(`data-code="${code}"`);
    expect(page).not.toContain('<form');
    expect(() => sb.agreements.sign(signUrl(signBiz(no), o), 'zhang')).toThrow(code);
    expect(sb.agreements.byExternalNo(no)).toEqual([]);
  });

  it.each([
    ['no personal_product_code', { personal_product_code: undefined }, 'INVALID_PARAMETER'],
    ['a product the merchant has not signed', { personal_product_code: 'FACE_TO_FACE_P' }, 'PRODUCT_CODE_NOT_SUPPORTED_ERROR'],
    ['no access_params', { access_params: undefined }, 'INVALID_PARAMETER'],
    ['an unknown channel', { access_params: { channel: 'PC' } }, 'INVALID_PARAMETER'],
    ['an external_agreement_no with "-"', { external_agreement_no: 'PPA-1' }, 'INVALID_PARAMETER'],
    ['an external_agreement_no of 33', { external_agreement_no: 'A'.repeat(33) }, 'INVALID_PARAMETER'],
    ['DEFAULT|DEFAULT with an external_agreement_no', { sign_scene: 'DEFAULT|DEFAULT' }, 'INVALID_PARAMETER'],
    ['CYCLE_PAY_AUTH_P without period_rule_params', { personal_product_code: 'CYCLE_PAY_AUTH_P' }, 'INVALID_PARAMETER'],
    ['a sales product of another personal product', { product_code: 'CYCLE_PAY_AUTH' }, 'MERCHANT_AGREEMENT_IS_NOT_EXIST'],
  ])('refuses %s', async (_what, change, code) => {
    const biz: Record<string, unknown> = { ...signBiz(ext()), ...change };
    for (const k of Object.keys(biz)) if (biz[k] === undefined) delete biz[k];
    const page = await (await fetch(signUrl(biz))).text();
    expect(page).toContain(`data-code="${code}"`);
    expect(sb.agreements.open(signUrl(biz))).toMatchObject({ code });
  });

  it('one external_agreement_no is one agreement: signing again returns it; another user cannot take it', async () => {
    const no = ext();
    const first = sb.agreements.sign(signUrl(signBiz(no)), 'zhang');
    expect(sb.agreements.sign(signUrl(signBiz(no)), 'zhang').agreementNo).toBe(first.agreementNo);
    expect(await (await fetch(signUrl(signBiz(no)))).text()).toContain(`data-existing="${first.agreementNo}"`);
    expect(() => sb.agreements.sign(signUrl(signBiz(no)), 'li')).toThrow('another user');
    expect(sb.agreements.byExternalNo(no)).toHaveLength(1);
  });
});

describe('alipay.user.agreement.query / unsign', () => {
  it('finds an agreement by agreement_no, by product + scene + external_agreement_no, by product + user; signed answers', async () => {
    const { agreementNo, externalAgreementNo } = await signed('zhang');
    const expected = {
      code: '10000',
      agreement_no: agreementNo,
      external_agreement_no: externalAgreementNo,
      status: 'NORMAL',
      principal_open_id: sb.user('zhang').openId,
      personal_product_code: 'GENERAL_WITHHOLDING_P',
      sign_scene: 'INDUSTRY|PARKING',
    };
    const byNo = await call('alipay.user.agreement.query', { agreement_no: agreementNo });
    expect(byNo.verified).toBe(true);
    expect(byNo.inner).toMatchObject(expected);
    expect(byNo.inner.sign_time).toMatch(/^\d{4}-\d{2}-\d{2} \d{2}:\d{2}:\d{2}$/);
    const byExt = await call('alipay.user.agreement.query', { personal_product_code: 'GENERAL_WITHHOLDING_P', sign_scene: 'INDUSTRY|PARKING', external_agreement_no: externalAgreementNo });
    expect(byExt.inner).toMatchObject(expected);
    const byUser = await call('alipay.user.agreement.query', { personal_product_code: 'GENERAL_WITHHOLDING_P', alipay_open_id: sb.user('zhang').openId });
    expect(byUser.inner).toMatchObject({ code: '10000', principal_open_id: sb.user('zhang').openId });
  });

  it('none is a signed 40004 USER_AGREEMENT_NOT_EXIST; missing arguments are INVALID_PARAMETER', async () => {
    const none = await call('alipay.user.agreement.query', { agreement_no: '20260000000000000000' });
    expect(none.verified).toBe(true);
    expect(none.inner).toMatchObject({ code: '40004', sub_code: 'USER_AGREEMENT_NOT_EXIST' });
    expect((await call('alipay.user.agreement.query', { sign_scene: 'INDUSTRY|PARKING' })).inner).toMatchObject({ sub_code: 'INVALID_PARAMETER' });
    expect((await call('alipay.user.agreement.query', { personal_product_code: 'GENERAL_WITHHOLDING_P', external_agreement_no: 'X1' })).inner).toMatchObject({
      sub_code: 'INVALID_PARAMETER',
    });
  });

  it('unsign ends it (dut_user_unsign to the request’s notify_url); a second unsign finds none', async () => {
    const { agreementNo } = await signed('li');
    const r = await call('alipay.user.agreement.unsign', { agreement_no: agreementNo }, { extra: { notify_url: rx.url } });
    expect(r.verified).toBe(true);
    expect(r.inner).toMatchObject({ code: '10000', msg: 'Success' });
    expect((await call('alipay.user.agreement.query', { agreement_no: agreementNo })).inner).toMatchObject({ sub_code: 'USER_AGREEMENT_NOT_EXIST' });
    expect((await call('alipay.user.agreement.unsign', { agreement_no: agreementNo })).inner).toMatchObject({ sub_code: 'USER_AGREEMENT_NOT_EXIST' });
    await sb.waitFor(() => notices(agreementNo).some((n) => n.notifyType === 'dut_user_unsign' && n.state === 'delivered'));
    const f = rx.got.find((x) => x.agreement_no === agreementNo && x.notify_type === 'dut_user_unsign') as Record<string, string>;
    expect(f).toMatchObject({ status: 'UNSIGN', alipay_open_id: sb.user('li').openId });
    expect(f.unsign_time).toMatch(/^\d{4}-\d{2}-\d{2} \d{2}:\d{2}:\d{2}$/);
    expect(rsa2Verify(notificationSignContent(f), f.sign, sb.app.alipayPublicKey)).toBe(true);
  });

  it('a user_id-mode app sees principal_id, not principal_open_id', async () => {
    const other = await startAlipaySandbox({ idMode: 'user_id' });
    try {
      const params = signRequest(
        { app_id: other.app.appId, method: 'alipay.user.agreement.page.sign', charset: 'utf-8', version: '1.0', sign_type: 'RSA2', timestamp: formatChinaTime(Date.now()), biz_content: JSON.stringify(signBiz('U1')) },
        other.app.privateKey,
      );
      const a = other.agreements.sign(`${other.gateway}?${new URLSearchParams(params)}`, 'zhang');
      const q = signRequest(
        { app_id: other.app.appId, method: 'alipay.user.agreement.query', charset: 'utf-8', version: '1.0', sign_type: 'RSA2', timestamp: formatChinaTime(Date.now()), biz_content: JSON.stringify({ agreement_no: a.agreementNo }) },
        other.app.privateKey,
      );
      const text = await (await fetch(`${other.gateway}?${new URLSearchParams(q)}`, { method: 'POST' })).text();
      const inner = (JSON.parse(text) as Record<string, Record<string, string>>).alipay_user_agreement_query_response;
      expect(inner).toMatchObject({ principal_id: sb.user('zhang').userId });
      expect(inner.principal_open_id).toBeUndefined();
    } finally {
      await other.stop();
    }
  });
});

const pay = (outTradeNo: string, agreementNo: string, amount = '12.00', extra: Record<string, unknown> = {}) =>
  call(
    'alipay.trade.pay',
    { out_trade_no: outTradeNo, total_amount: amount, subject: '停车费 粤B12345', product_code: 'GENERAL_WITHHOLDING', agreement_params: { agreement_no: agreementNo }, ...extra },
    { extra: { notify_url: rx.url } },
  );

describe('alipay.trade.pay, product GENERAL_WITHHOLDING', () => {

  it('takes the money at once: 10000, a TRADE_SUCCESS trade for trade.query, trade_status_sync', async () => {
    const { agreementNo } = await signed('zhang');
    const r = await pay('W-1', agreementNo);
    expect(r.verified).toBe(true);
    expect(r.inner).toMatchObject({
      code: '10000',
      out_trade_no: 'W-1',
      total_amount: '12.00',
      receipt_amount: '12.00',
      buyer_open_id: sb.user('zhang').openId,
    });
    expect(r.inner.trade_no).toMatch(/^\d{28}$/);
    expect(r.inner.gmt_payment).toMatch(/^\d{4}-\d{2}-\d{2} \d{2}:\d{2}:\d{2}$/);
    expect((await call('alipay.trade.query', { out_trade_no: 'W-1' })).inner).toMatchObject({ trade_status: 'TRADE_SUCCESS', total_amount: '12.00', trade_no: r.inner.trade_no });
    await sb.waitFor(() => rx.got.some((f) => f.out_trade_no === 'W-1'));
    expect(rx.got.find((f) => f.out_trade_no === 'W-1')).toMatchObject({ notify_type: 'trade_status_sync', trade_status: 'TRADE_SUCCESS', total_amount: '12.00' });
    expect(sb.agreements.agreement(agreementNo)?.deductions).toEqual(['W-1']);
    // A deduction is a trade like any other: it can be refunded.
    expect((await call('alipay.trade.refund', { out_trade_no: 'W-1', refund_amount: '12.00', out_request_no: 'R1' })).inner).toMatchObject({ code: '10000', fund_change: 'Y' });
  });

  it('never takes money twice for one out_trade_no: ACQ.TRADE_HAS_SUCCESS; another amount is ACQ.CONTEXT_INCONSISTENT', async () => {
    const { agreementNo } = await signed('li');
    sb.agreements.setBalance('li', 3000);
    expect((await pay('W-2', agreementNo, '10.00')).inner).toMatchObject({ code: '10000' });
    const again = await pay('W-2', agreementNo, '10.00');
    expect(again.verified).toBe(true);
    expect(again.inner).toMatchObject({ code: '40004', sub_code: 'ACQ.TRADE_HAS_SUCCESS', out_trade_no: 'W-2' });
    expect((await pay('W-2', agreementNo, '11.00')).inner).toMatchObject({ sub_code: 'ACQ.CONTEXT_INCONSISTENT' });
    expect(sb.agreements.balance('li')).toBe(2000);
    expect(sb.agreements.agreement(agreementNo)?.deductions).toEqual(['W-2']);
    sb.agreements.setBalance('li', null);
  });

  it('refuses an unknown or ended agreement, a paused one, a short balance (keeping nothing), other products', async () => {
    const { agreementNo } = await signed('driver');
    expect((await pay('W-3', '20260000000000000000')).inner).toMatchObject({ sub_code: 'ACQ.AGREEMENT_NOT_EXIST' });
    sb.agreements.stop(agreementNo);
    expect((await pay('W-3', agreementNo)).inner).toMatchObject({ sub_code: 'ACQ.AGREEMENT_STATUS_NOT_NORMAL' });
    sb.agreements.resume(agreementNo);
    sb.agreements.setBalance('driver', 1199);
    expect((await pay('W-3', agreementNo, '12.00')).inner).toMatchObject({ code: '40004', sub_code: 'ACQ.BUYER_BALANCE_NOT_ENOUGH' });
    expect((await call('alipay.trade.query', { out_trade_no: 'W-3' })).inner).toMatchObject({ sub_code: 'ACQ.TRADE_NOT_EXIST' });
    sb.agreements.setBalance('driver', 1200);
    expect((await pay('W-3', agreementNo, '12.00')).inner).toMatchObject({ code: '10000' }); // the same out_trade_no, topped up
    expect(sb.agreements.balance('driver')).toBe(0);
    sb.agreements.setBalance('driver', null);

    expect((await pay('W-4', agreementNo, '1.00', { product_code: 'FACE_TO_FACE_PAYMENT' })).inner).toMatchObject({ sub_code: 'ACQ.ACCESS_FORBIDDEN' });
    expect((await pay('W-4', agreementNo, '1.00', { agreement_params: {} })).inner).toMatchObject({ sub_code: 'ACQ.INVALID_PARAMETER' });
    expect((await pay('W-4', agreementNo, '1.001')).inner).toMatchObject({ sub_code: 'ACQ.INVALID_PARAMETER' });

    sb.agreements.userUnsign(agreementNo);
    expect((await pay('W-5', agreementNo)).inner).toMatchObject({ sub_code: 'ACQ.AGREEMENT_NOT_EXIST' });
    // The user's unsign in the app goes to the sign-up's notify_url.
    await sb.waitFor(() => rx.got.some((f) => f.agreement_no === agreementNo && f.notify_type === 'dut_user_unsign'));
  });

  it('hold: 10003 and WAIT_BUYER_PAY until the user completes it (sandbox.pay)', async () => {
    const { agreementNo } = await signed('zhang');
    sb.agreements.holdNext();
    const r = await pay('W-6', agreementNo, '5.00');
    expect(r.verified).toBe(true);
    expect(r.inner).toMatchObject({ code: '10003', out_trade_no: 'W-6' });
    expect((await call('alipay.trade.query', { out_trade_no: 'W-6' })).inner).toMatchObject({ trade_status: 'WAIT_BUYER_PAY' });
    expect((await pay('W-6', agreementNo, '5.00')).inner).toMatchObject({ code: '10003' }); // asked again: still waiting
    sb.pay('W-6');
    expect((await call('alipay.trade.query', { out_trade_no: 'W-6' })).inner).toMatchObject({ trade_status: 'TRADE_SUCCESS' });
    expect((await pay('W-7', agreementNo, '5.00')).inner).toMatchObject({ code: '10000' }); // only the next one was held
  });

  it('balances follow the money: a held deduction takes it when the user completes it; a refund of a deduction gives it back, once per out_request_no', async () => {
    const { agreementNo } = await signed('li');
    sb.agreements.setBalance('li', 2000);
    try {
      sb.agreements.holdNext();
      expect((await pay('W-R8', agreementNo, '5.00')).inner).toMatchObject({ code: '10003' });
      expect(sb.agreements.balance('li')).toBe(2000); // nothing taken while waiting
      sb.pay('W-R8');
      expect(sb.agreements.balance('li')).toBe(1500);
      expect(sb.agreements.agreement(agreementNo)?.deductions).toContain('W-R8');

      const r = await call('alipay.trade.refund', { out_trade_no: 'W-R8', refund_amount: '5.00', out_request_no: 'W-R8-R1', refund_reason: '停车场未收到扣款结果' });
      expect(r.inner).toMatchObject({ code: '10000', fund_change: 'Y', refund_fee: '5.00' });
      expect(sb.agreements.balance('li')).toBe(2000);
      // The same refund again: no money moves.
      expect((await call('alipay.trade.refund', { out_trade_no: 'W-R8', refund_amount: '5.00', out_request_no: 'W-R8-R1' })).inner).toMatchObject({ code: '10000', fund_change: 'N' });
      expect(sb.agreements.balance('li')).toBe(2000);
      expect((await call('alipay.trade.query', { out_trade_no: 'W-R8' })).inner).toMatchObject({ trade_status: 'TRADE_CLOSED' });
    } finally {
      sb.agreements.setBalance('li', null);
    }
  });

  it('faults reach the agreement calls like any other method', async () => {
    const { agreementNo } = await signed('zhang');
    sb.inject({ type: 'bad_signature', method: 'alipay.trade.pay' });
    expect((await pay('W-8', agreementNo)).verified).toBe(false);
    expect(sb.trade('W-8')?.tradeStatus).toBe('TRADE_SUCCESS'); // the work was done, the answer is forged
    sb.inject({ type: 'business_error', method: 'alipay.user.agreement.query', subCode: 'SYSTEM_ERROR', code: '20000' });
    expect((await call('alipay.user.agreement.query', { agreement_no: agreementNo })).inner).toMatchObject({ code: '20000', sub_code: 'SYSTEM_ERROR' });
    expect((await call('alipay.user.agreement.query', { agreement_no: agreementNo })).inner).toMatchObject({ code: '10000' });
  });
});

describe('the agreements control API over HTTP (for the demo)', () => {
  const post = async (path: string, body: unknown) => {
    const r = await fetch(`${sb.url}/__sandbox/agreements/${path}`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify(body) });
    return { status: r.status, cors: r.headers.get('access-control-allow-origin'), json: (await r.json()) as Record<string, unknown> };
  };

  it('signs from a URL, stops, resumes, unsigns, sets balances, holds; lists; answers CORS', async () => {
    const no = ext();
    const s = await post('sign', { url: signUrl(signBiz(no)), user: 'li' });
    expect(s).toMatchObject({ status: 200, cors: '*', json: { status: 'NORMAL', externalAgreementNo: no } });
    const agreementNo = String(s.json.agreementNo);
    expect(await post('stop', { agreementNo })).toMatchObject({ status: 200, json: { status: 'STOP' } });
    expect(await post('stop', { agreementNo })).toMatchObject({ status: 409 });
    expect(await post('resume', { agreementNo })).toMatchObject({ status: 200, json: { status: 'NORMAL' } });
    expect(await post('balance', { user: 'li', balanceFen: 0 })).toMatchObject({ status: 200, json: { balanceFen: 0 } });
    expect(await post('balance', { user: 'li' })).toMatchObject({ status: 400 });
    expect(await post('balance', { user: 'li', balanceFen: null })).toMatchObject({ status: 200, json: { balanceFen: null } });
    expect(await post('hold', { times: 1 })).toMatchObject({ status: 200 });
    expect((await pay('W-C1', agreementNo, '1.00')).inner).toMatchObject({ code: '10003' });
    expect(await post('unsign', { agreementNo })).toMatchObject({ status: 200, json: { status: 'UNSIGN' } });
    expect(await post('unsign', { agreementNo })).toMatchObject({ status: 409 });
    expect(await post('sign', { url: 'not a url' })).toMatchObject({ status: 409 });
    const one = await fetch(`${sb.url}/__sandbox/agreements/${agreementNo}`);
    expect(((await one.json()) as { status: string }).status).toBe('UNSIGN');
    const all = (await (await fetch(`${sb.url}/__sandbox/agreements`)).json()) as { agreementNo: string }[];
    expect(all.some((a) => a.agreementNo === agreementNo)).toBe(true);
    const pre = await fetch(`${sb.url}/__sandbox/agreements/sign`, { method: 'OPTIONS' });
    expect(pre.status).toBe(204);
    expect(pre.headers.get('access-control-allow-methods')).toContain('POST');
  });
});
