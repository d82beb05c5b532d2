/**
 * The Alipay agreement adapter (alipay-sdk 4) against the Alipay sandbox over real HTTP: the page.sign URL
 * (pageExecute) the sandbox's page accepts, agreement query and unsign, alipay.trade.pay on an agreement,
 * signature failures of every answer, answers about something else than what we asked, and the
 * verification of dut_user_sign / dut_user_unsign / trade_status_sync notifications.
 */
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import {
  AlipayAgreementAdapter,
  AlipayError,
  type WithholdingNotificationVerdict,
} from '../../../../server/src/adapter/alipay';
import { ManualClock } from '../../../../server/src/core/clock';
import {
  generateRsaKeyPair,
  responseKey,
  signedResponseBody,
  signNotification,
  startAlipaySandbox,
  type AlipaySandbox,
} from '../../../../server/sandbox/alipay';
import { formatChinaTime } from '../../../../shared/time';
import { startWithholdingReceiver, type WithholdingReceiver } from './withholding-receiver';

const alipayKeys = generateRsaKeyPair();
const appKeys = generateRsaKeyPair();

let sandbox: AlipaySandbox;
let adapter: AlipayAgreementAdapter;
let rx: WithholdingReceiver<WithholdingNotificationVerdict>;
let seq = 0;
const ext = () => `PPA${Date.now().toString(36).toUpperCase()}${++seq}`;
const SCENE = 'INDUSTRY|PARKING';

beforeAll(async () => {
  rx = await startWithholdingReceiver((body) => adapter.verifyWithholdingNotification(body));
  sandbox = await startAlipaySandbox({ keys: { appPrivateKey: appKeys.privateKey, alipayPrivateKey: alipayKeys.privateKey } });
  adapter = new AlipayAgreementAdapter(sandbox.app, { timeoutMs: 2000 });
});
afterAll(async () => {
  await sandbox.stop();
  await rx.stop();
});

async function rejection(p: Promise<unknown> | (() => unknown)): Promise<AlipayError> {
  try {
    await (typeof p === 'function' ? p() : p);
  } catch (e) {
    expect(e).toBeInstanceOf(AlipayError);
    return e as AlipayError;
  }
  throw new Error('expected an AlipayError');
}

function signUrl(externalAgreementNo = ext(), extra: Partial<Parameters<AlipayAgreementAdapter['pageSignUrl']>[0]> = {}) {
  return adapter.pageSignUrl({
    externalAgreementNo,
    signScene: SCENE,
    personalProductCode: 'GENERAL_WITHHOLDING_P',
    externalLogonId: '粤B12345',
    notifyUrl: rx.url,
    returnUrl: 'https://app.example/agreements',
    ...extra,
  });
}

async function signed(user = 'zhang') {
  const externalAgreementNo = ext();
  const a = sandbox.agreements.sign(signUrl(externalAgreementNo), user);
  return { externalAgreementNo, agreementNo: a.agreementNo };
}

describe('pageSignUrl (alipay.user.agreement.page.sign via pageExecute GET)', () => {
  it('is a signed GET URL on the configured gateway that the sign page accepts', async () => {
    const no = ext();
    const url = new URL(signUrl(no));
    expect(`${url.origin}${url.pathname}`).toBe(sandbox.gateway);
    const q = Object.fromEntries(url.searchParams);
    expect(q).toMatchObject({
      method: 'alipay.user.agreement.page.sign',
      app_id: sandbox.app.appId,
      sign_type: 'RSA2',
      charset: 'utf-8',
      notify_url: rx.url,
      return_url: 'https://app.example/agreements',
    });
    expect(JSON.parse(q.biz_content)).toEqual({
      personal_product_code: 'GENERAL_WITHHOLDING_P',
      sign_scene: SCENE,
      external_agreement_no: no,
      access_params: { channel: 'ALIPAYAPP' },
      external_logon_id: '粤B12345',
    });
    const page = await (await fetch(url)).text();
    expect(page).toContain('action="/__sandbox/agreements/page/');
    // One character changed and the page refuses it.
    url.searchParams.set('biz_content', q.biz_content.replace(no, `${no}X`));
    expect(await (await fetch(url)).text()).toContain('data-code="isv.invalid-signature"');
  });

  it('timestamps in China time from the adapter’s clock', async () => {
    const clock = new ManualClock(Date.UTC(2026, 10, 28, 16, 30, 0)); // 00:30 on the 29th in China
    const timed = new AlipayAgreementAdapter(sandbox.app, { clock });
    const url = new URL(timed.pageSignUrl({ externalAgreementNo: 'T1', signScene: SCENE, personalProductCode: 'GENERAL_WITHHOLDING_P' }));
    expect(url.searchParams.get('timestamp')).toBe('2026-11-29 00:30:00');
  });

  it('an app key Alipay does not know gets Alipay’s error page', async () => {
    const stranger = new AlipayAgreementAdapter({ ...sandbox.app, privateKey: generateRsaKeyPair().privateKey });
    const url = stranger.pageSignUrl({ externalAgreementNo: ext(), signScene: SCENE, personalProductCode: 'GENERAL_WITHHOLDING_P' });
    expect(await (await fetch(url)).text()).toContain('data-code="isv.invalid-signature"');
  });

  it.each([
    ['an external number with "-"', { externalAgreementNo: 'PPA-1' }],
    ['an external number of 33', { externalAgreementNo: 'A'.repeat(33) }],
    ['DEFAULT|DEFAULT', { signScene: 'DEFAULT|DEFAULT' }],
    ['a lower-case scene', { signScene: 'industry|parking' }],
    ['a validity period that is not Nd / Nm', { signValidityPeriod: 'forever' }],
  ])('refuses %s before building anything', async (_what, change) => {
    const e = await rejection(() => signUrl(ext(), change));
    expect(e).toMatchObject({ kind: 'invalid_request', retryable: false, method: 'alipay.user.agreement.page.sign' });
  });
});

describe('queryAgreement / unsignAgreement', () => {
  it('none before signing; NORMAL after, by external number and by agreement_no; STOP when paused', async () => {
    const no = ext();
    const lookup = { externalAgreementNo: no, signScene: SCENE, personalProductCode: 'GENERAL_WITHHOLDING_P' };
    expect(await adapter.queryAgreement(lookup)).toBeUndefined();
    const a = sandbox.agreements.sign(signUrl(no), 'zhang');
    const got = await adapter.queryAgreement(lookup);
    expect(got).toMatchObject({
      agreementNo: a.agreementNo,
      status: 'NORMAL',
      externalAgreementNo: no,
      personalProductCode: 'GENERAL_WITHHOLDING_P',
      signScene: SCENE,
      principalOpenId: sandbox.user('zhang').openId,
    });
    expect(got?.signedAt).toBeInstanceOf(Date);
    expect(got?.invalidAt?.toISOString()).toBe('2115-01-31T16:00:00.000Z');
    sandbox.agreements.stop(a.agreementNo);
    expect(await adapter.queryAgreement({ agreementNo: a.agreementNo })).toMatchObject({ status: 'STOP' });
  });

  it('unsign ends it; a second unsign is not_found; query then finds none', async () => {
    const { agreementNo } = await signed('li');
    expect(await adapter.unsignAgreement({ agreementNo })).toBe('unsigned');
    expect(await adapter.unsignAgreement({ agreementNo })).toBe('not_found');
    expect(await adapter.queryAgreement({ agreementNo })).toBeUndefined();
  });

  it('checks its arguments before the wire', async () => {
    const before = sandbox.requests().length;
    expect(await rejection(adapter.queryAgreement({ agreementNo: '' }))).toMatchObject({ kind: 'invalid_request' });
    expect(await rejection(adapter.unsignAgreement({ externalAgreementNo: 'A_1', signScene: SCENE, personalProductCode: 'GENERAL_WITHHOLDING_P' }))).toMatchObject({
      kind: 'invalid_request',
    });
    expect(sandbox.requests().length).toBe(before);
  });
});

describe('agreementPay (alipay.trade.pay GENERAL_WITHHOLDING)', () => {
  const pay = (outTradeNo: string, agreementNo: string, totalFen = 1200) =>
    adapter.agreementPay({ outTradeNo, agreementNo, totalFen, subject: '停车费 粤B12345', body: '示例停车场', notifyUrl: rx.url });

  it('10000: paid, with the trade, amount, time and payer', async () => {
    const { agreementNo } = await signed('zhang');
    const r = await pay('AP-1', agreementNo, 1250);
    expect(r).toMatchObject({ outcome: 'paid', outTradeNo: 'AP-1', totalFen: 1250, buyerOpenId: sandbox.user('zhang').openId });
    if (r.outcome !== 'paid') throw new Error('paid expected');
    expect(r.tradeNo).toMatch(/^\d{28}$/);
    expect(r.paidAt).toBeInstanceOf(Date);
    const hit = sandbox.requests().filter((h) => h.method === 'alipay.trade.pay').at(-1);
    expect(JSON.parse(hit?.params.biz_content ?? '{}')).toEqual({
      out_trade_no: 'AP-1',
      total_amount: '12.50',
      subject: '停车费 粤B12345',
      product_code: 'GENERAL_WITHHOLDING',
      agreement_params: { agreement_no: agreementNo },
      body: '示例停车场',
    });
    expect(hit?.params.notify_url).toBe(rx.url);
  });

  it('10003: waiting, with the trade number', async () => {
    const { agreementNo } = await signed('zhang');
    sandbox.agreements.holdNext();
    const r = await pay('AP-2', agreementNo, 300);
    expect(r).toMatchObject({ outcome: 'waiting', outTradeNo: 'AP-2' });
    expect((r as { tradeNo?: string }).tradeNo).toMatch(/^\d{28}$/);
  });

  it('every other code throws a business AlipayError with its sub_code', async () => {
    const { agreementNo } = await signed('li');
    sandbox.agreements.setBalance('li', 100);
    expect(await rejection(pay('AP-3', agreementNo))).toMatchObject({ kind: 'business', code: '40004', subCode: 'ACQ.BUYER_BALANCE_NOT_ENOUGH', retryable: false });
    sandbox.agreements.setBalance('li', null);
    expect(await rejection(pay('AP-3', '20260000000000000000'))).toMatchObject({ kind: 'business', subCode: 'ACQ.AGREEMENT_NOT_EXIST' });
    await pay('AP-3', agreementNo);
    expect(await rejection(pay('AP-3', agreementNo))).toMatchObject({ kind: 'business', subCode: 'ACQ.TRADE_HAS_SUCCESS', status: 'paid' });
  });

  it('checks its arguments before the wire', async () => {
    const before = sandbox.requests().length;
    expect(await rejection(adapter.agreementPay({ outTradeNo: 'AP 4', agreementNo: 'x', totalFen: 1, subject: 's' }))).toMatchObject({ kind: 'invalid_request' });
    expect(await rejection(adapter.agreementPay({ outTradeNo: 'AP-4', agreementNo: 'x', totalFen: 0, subject: 's' }))).toMatchObject({ kind: 'invalid_request' });
    expect(await rejection(adapter.agreementPay({ outTradeNo: 'AP-4', agreementNo: '', totalFen: 1, subject: 's' }))).toMatchObject({ kind: 'invalid_request' });
    expect(await rejection(adapter.agreementPay({ outTradeNo: 'AP-4', agreementNo: 'x', totalFen: 1.5, subject: 's' }))).toMatchObject({ kind: 'invalid_request' });
    expect(sandbox.requests().length).toBe(before);
  });
});

describe('answers that cannot be believed', () => {
  const calls: [string, (agreementNo: string) => Promise<unknown>][] = [
    ['alipay.user.agreement.query', (no) => adapter.queryAgreement({ agreementNo: no })],
    ['alipay.user.agreement.unsign', (no) => adapter.unsignAgreement({ agreementNo: no })],
    ['alipay.trade.pay', (no) => adapter.agreementPay({ outTradeNo: `BS${++seq}`, agreementNo: no, totalFen: 100, subject: 's' })],
  ];
  it.each(calls.flatMap(([method, run]) => (['bad_signature', 'tampered_response', 'unsigned_response'] as const).map((type) => [method, type, run] as const)))(
    '%s: %s → bad_signature',
    async (method, type, run) => {
      const { agreementNo } = await signed('zhang');
      sandbox.inject({ type, method });
      const e = await rejection(run(agreementNo));
      expect(e).toMatchObject({ kind: 'bad_signature', method, retryable: true });
      expect(e.message).not.toContain('sign=');
    },
  );

  it.each(calls)('%s: Alipay unavailable (20000) is a retryable business error', async (method, run) => {
    const { agreementNo } = await signed('zhang');
    sandbox.inject({ type: 'business_error', method, code: '20000', subCode: 'isp.unknow-error' });
    expect(await rejection(run(agreementNo))).toMatchObject({ kind: 'business', code: '20000', retryable: true });
  });

  it('a genuinely signed answer about another agreement or trade is refused (bad_response)', async () => {
    // A gateway with Alipay's key that answers about something else (a replayed genuine answer).
    const answers: Record<string, Record<string, unknown>> = {
      'alipay.user.agreement.query': { code: '10000', msg: 'Success', agreement_no: '20260000000000000002', status: 'NORMAL' },
      'alipay.trade.pay': { code: '10000', msg: 'Success', out_trade_no: 'OTHER', trade_no: '2026112922001100000000000001', total_amount: '12.00' },
    };
    let amount = '12.00';
    const server = http.createServer((req, res) => {
      const method = new URL(req.url ?? '/', 'http://x').searchParams.get('method') ?? '';
      const inner = { ...answers[method] };
      if (method === 'alipay.trade.pay' && amount !== '12.00') Object.assign(inner, { out_trade_no: 'R-1', total_amount: amount });
      const { body } = signedResponseBody(responseKey(method), inner, alipayKeys.privateKey);
      res.writeHead(200, { 'content-type': 'text/html;charset=utf-8' });
      res.end(body);
    });
    await new Promise<void>((r) => server.listen(0, '127.0.0.1', () => r()));
    try {
      const fake = new AlipayAgreementAdapter({ ...sandbox.app, gateway: `http://127.0.0.1:${(server.address() as AddressInfo).port}/gateway.do` });
      expect(await rejection(fake.queryAgreement({ agreementNo: '20260000000000000001' }))).toMatchObject({ kind: 'bad_response' });
      expect(await rejection(fake.agreementPay({ outTradeNo: 'R-1', agreementNo: 'a', totalFen: 1200, subject: 's' }))).toMatchObject({ kind: 'bad_response' });
      amount = '0.01';
      const e = await rejection(fake.agreementPay({ outTradeNo: 'R-1', agreementNo: 'a', totalFen: 1200, subject: 's' }));
      expect(e).toMatchObject({ kind: 'bad_response' });
      expect(e.detail).toContain('1 fen');
    } finally {
      await new Promise<void>((r) => server.close(() => r()));
    }
  });
});

describe('verifyWithholdingNotification', () => {
  const deliveredFor = (agreementNo: string, type: string) =>
    sandbox.waitFor(() => rx.got.some((d) => d.fields.agreement_no === agreementNo && d.fields.notify_type === type));

  it('accepts dut_user_sign and dut_user_unsign from Alipay, answering "success"', async () => {
    const { agreementNo, externalAgreementNo } = await signed('zhang');
    await deliveredFor(agreementNo, 'dut_user_sign');
    const d = rx.got.find((x) => x.fields.agreement_no === agreementNo);
    expect(d?.answer).toBe('success');
    expect(d?.verdict).toMatchObject({
      ok: true,
      kind: 'agreement',
      notification: { notifyType: 'dut_user_sign', agreementNo, externalAgreementNo, status: 'NORMAL', alipayOpenId: sandbox.user('zhang').openId, personalProductCode: 'GENERAL_WITHHOLDING_P' },
    });
    sandbox.agreements.userUnsign(agreementNo);
    await deliveredFor(agreementNo, 'dut_user_unsign');
    const u = rx.got.find((x) => x.fields.agreement_no === agreementNo && x.fields.notify_type === 'dut_user_unsign');
    expect(u?.verdict).toMatchObject({ ok: true, kind: 'agreement', notification: { notifyType: 'dut_user_unsign', status: 'UNSIGN' } });
    expect((u?.verdict as { notification: { unsignedAt?: Date } }).notification.unsignedAt).toBeInstanceOf(Date);
  });

  it('a deduction’s trade_status_sync is a trade notification', async () => {
    const { agreementNo } = await signed('zhang');
    await adapter.agreementPay({ outTradeNo: 'VN-1', agreementNo, totalFen: 800, subject: 's', notifyUrl: rx.url });
    await sandbox.waitFor(() => rx.got.some((d) => d.fields.out_trade_no === 'VN-1'));
    expect(rx.got.find((d) => d.fields.out_trade_no === 'VN-1')?.verdict).toMatchObject({
      ok: true,
      kind: 'trade',
      notification: { outTradeNo: 'VN-1', tradeStatus: 'TRADE_SUCCESS', status: 'paid', totalFen: 800 },
    });
  });

  it.each(['wrong_key', 'tampered'] as const)('refuses a forged dut_user_sign (%s) and answers "fail"', async (how) => {
    sandbox.inject({ type: 'forged_notification', how });
    const { agreementNo } = await signed('li');
    await deliveredFor(agreementNo, 'dut_user_sign');
    const first = rx.got.find((x) => x.fields.agreement_no === agreementNo);
    expect(first?.verdict).toMatchObject({ ok: false, reason: 'bad_signature' });
    expect(first?.answer).toBe('fail');
  });

  /** Fields of a dut_user_sign as Alipay signs them, changed by `change` before signing. */
  const crafted = (change: Record<string, string | undefined> = {}, key = alipayKeys.privateKey) => {
    const f: Record<string, string> = {
      notify_id: 'n1',
      notify_time: formatChinaTime(Date.now()),
      notify_type: 'dut_user_sign',
      app_id: sandbox.app.appId,
      charset: 'utf-8',
      version: '1.0',
      sign_type: 'RSA2',
      agreement_no: '20260000000000000009',
      external_agreement_no: 'PPA1',
      status: 'NORMAL',
      alipay_user_id: '2088000000000009',
    };
    for (const [k, v] of Object.entries(change)) {
      if (v === undefined) delete f[k];
      else f[k] = v;
    }
    return signNotification(f, key);
  };

  it('accepts a well-signed crafted one (control), with alipay_user_id as the payer', () => {
    expect(adapter.verifyWithholdingNotification(crafted())).toMatchObject({ ok: true, kind: 'agreement', notification: { alipayUserId: '2088000000000009' } });
  });

  it.each([
    ['another key', () => crafted({}, generateRsaKeyPair().privateKey), 'bad_signature'],
    ['a field changed after signing', () => ({ ...crafted(), status: 'STOP' }), 'bad_signature'],
    ['no sign', () => ({ ...crafted(), sign: undefined }), 'bad_signature'],
    ['sign_type RSA', () => ({ ...crafted(), sign_type: 'RSA' }), 'bad_signature'],
    ['another app_id', () => crafted({ app_id: '2021000000000000' }), 'app_id_mismatch'],
    ['an unknown notify_type', () => crafted({ notify_type: 'dut_user_change' }), 'wrong_notify_type'],
    ['no agreement_no', () => crafted({ agreement_no: undefined }), 'malformed'],
    ['an external number that is not ours', () => crafted({ external_agreement_no: 'PPA-1' }), 'malformed'],
    ['a repeated field', () => ({ ...crafted(), status: ['NORMAL', 'STOP'] }), 'malformed'],
  ])('refuses %s', (_what, body, reason) => {
    const b = body() as Record<string, unknown>;
    for (const k of Object.keys(b)) if (b[k] === undefined) delete b[k];
    expect(adapter.verifyWithholdingNotification(b)).toMatchObject({ ok: false, reason });
  });
});
