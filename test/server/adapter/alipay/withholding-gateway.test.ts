/**
 * AlipayWithholdingGateway (the agreement service's WithholdingGateway over Alipay) end to end through the
 * Alipay sandbox: sign-up in a "browser", notifications turned into WithholdingEvents, deductions that
 * never take money twice whatever fails on the way, refusals mapped to no_agreement / insufficient_funds /
 * refused, and deductions that wait for the user.
 */
import type { AgreementRef } from '../../../../server/src/core/agreements/gateways';
import { AlipayError } from '../../../../server/src/adapter/alipay';
import {
  AlipayWithholdingGateway,
  createAlipayWithholdingGateway,
  mapSignal,
  type WithholdingNotificationResult,
} from '../../../../server/src/adapter/payments/alipay-withholding';
import { ManualClock } from '../../../../server/src/core/clock';
import { startAlipaySandbox, type AlipaySandbox } from '../../../../server/sandbox/alipay';
import { startWithholdingReceiver, type WithholdingReceiver } from './withholding-receiver';

let sandbox: AlipaySandbox;
let gw: AlipayWithholdingGateway;
let rx: WithholdingReceiver<WithholdingNotificationResult>;
let seq = 0;
const signNo = () => `PPA${Date.now().toString(36).toUpperCase()}${(++seq).toString().padStart(4, '0')}`;
const tradeNo = () => `PW${Date.now().toString(36)}${(++seq).toString().padStart(4, '0')}`;
const RETURN_URL = 'https://app.example/me/agreements';

beforeAll(async () => {
  rx = await startWithholdingReceiver((body) => gw.parseNotification(body));
  sandbox = await startAlipaySandbox();
  gw = createAlipayWithholdingGateway(sandbox.app, { notifyUrl: rx.url, returnUrl: RETURN_URL, adapter: { timeoutMs: 2_000 } });
});
afterAll(async () => {
  await sandbox.stop();
  await rx.stop();
});

async function rejection(p: Promise<unknown>): Promise<AlipayError> {
  try {
    await p;
  } catch (e) {
    expect(e).toBeInstanceOf(AlipayError);
    return e as AlipayError;
  }
  throw new Error('expected an AlipayError');
}

const newRef = (plate = '粤B12345'): AgreementRef => ({ signNo: signNo(), plate, payer: {} });

/** The driver's browser: open the sign URL, press the button as `user`, follow nothing. */
async function signInBrowser(url: string, user: string): Promise<Response> {
  const page = await (await fetch(url)).text();
  const action = /action="([^"]+)"/.exec(page)?.[1];
  if (!action) throw new Error(`no sign form in the page: ${page.slice(0, 300)}`);
  return fetch(`${sandbox.url}${action}`, {
    method: 'POST',
    body: new URLSearchParams({ action: 'sign', user }),
    headers: { 'content-type': 'application/x-www-form-urlencoded' },
    redirect: 'manual',
  });
}

/** A signed-up agreement: the ref with its agreement_no. */
async function activeRef(user = 'zhang'): Promise<AgreementRef> {
  const ref = newRef();
  const start = await gw.startSignup(ref);
  if (start.provider !== 'alipay') throw new Error('alipay expected');
  sandbox.agreements.sign(start.signUrl, user);
  const view = await gw.check(ref);
  return { ...ref, agreementNo: view.agreementNo as string };
}

const deduction = (agreement: AgreementRef, outTradeNo = tradeNo(), amountFen = 1200) => ({
  outTradeNo,
  agreement,
  amountFen,
  parkNumber: 'p_demo_001',
  parkName: '示例停车场',
  enteredAt: new Date(Date.now() - 75 * 60_000),
  leftAt: new Date(),
  description: `停车费 ${agreement.plate}`,
});

const payCalls = (outTradeNo: string) =>
  sandbox.requests().filter((h) => h.method === 'alipay.trade.pay' && JSON.parse(h.params.biz_content ?? '{}').out_trade_no === outTradeNo);

const eventsFor = (pred: (r: WithholdingNotificationResult) => boolean) => rx.got.filter((d) => pred(d.verdict)).map((d) => d.verdict);

describe('the journey: sign up → active → deduct → unsign → no agreement', () => {
  it('walks it with the events the notifications mean', async () => {
    const ref = newRef();
    const start = await gw.startSignup(ref);
    expect(start.provider).toBe('alipay');
    if (start.provider !== 'alipay') return;
    const url = new URL(start.signUrl);
    expect(url.searchParams.get('method')).toBe('alipay.user.agreement.page.sign');
    expect(url.searchParams.get('return_url')).toBe(RETURN_URL);
    expect(url.searchParams.get('notify_url')).toBe(rx.url);
    expect(JSON.parse(url.searchParams.get('biz_content') ?? '{}')).toMatchObject({
      external_agreement_no: ref.signNo,
      personal_product_code: 'GENERAL_WITHHOLDING_P',
      sign_scene: 'INDUSTRY|PARKING',
      external_logon_id: '粤B12345',
    });
    expect(await gw.check(ref)).toEqual({ state: 'none' });

    const res = await signInBrowser(start.signUrl, 'zhang');
    expect(res.status).toBe(303);
    expect(res.headers.get('location')).toBe(RETURN_URL);

    await sandbox.waitFor(() => eventsFor((v) => v.ok && v.event?.kind === 'agreement' && v.event.signNo === ref.signNo).length > 0);
    const [signedEvent] = eventsFor((v) => v.ok && v.event?.kind === 'agreement' && v.event.signNo === ref.signNo);
    expect(signedEvent).toMatchObject({
      ok: true,
      event: { kind: 'agreement', provider: 'alipay', signNo: ref.signNo, state: 'active', payer: { openId: sandbox.user('zhang').openId } },
    });
    const agreementNo = (signedEvent as { event: { agreementNo: string } }).event.agreementNo;
    expect(agreementNo).toMatch(/^\d{20}$/);

    const view = await gw.check(ref);
    expect(view).toMatchObject({ state: 'active', agreementNo });
    expect(view.signedAt).toBeInstanceOf(Date);
    const agreement = { ...ref, agreementNo };
    expect(await gw.check(agreement)).toMatchObject({ state: 'active', agreementNo });

    const d = deduction(agreement);
    const paid = await gw.deduct(d);
    expect(paid).toMatchObject({ status: 'paid', paidFen: 1200 });
    const tx = (paid as { transactionId: string }).transactionId;
    expect(tx).toMatch(/^\d{28}$/);
    expect(await gw.queryDeduction(d.outTradeNo)).toMatchObject({ status: 'paid', transactionId: tx, paidFen: 1200 });
    await sandbox.waitFor(() => eventsFor((v) => v.ok && v.event?.kind === 'deduction' && v.event.outTradeNo === d.outTradeNo).length > 0);
    expect(eventsFor((v) => v.ok && v.event?.kind === 'deduction' && v.event.outTradeNo === d.outTradeNo)[0]).toMatchObject({
      event: { kind: 'deduction', provider: 'alipay', outTradeNo: d.outTradeNo, result: { status: 'paid', transactionId: tx, paidFen: 1200 } },
    });

    await gw.end(agreement);
    expect(await gw.check(agreement)).toMatchObject({ state: 'ended' });
    await gw.end(agreement); // already ended: fine
    expect(await gw.deduct(deduction(agreement))).toMatchObject({ status: 'failed', code: 'no_agreement' });
    await sandbox.waitFor(() => eventsFor((v) => v.ok && v.event?.kind === 'agreement' && v.event.agreementNo === agreementNo && v.event.state === 'ended').length > 0);
  });

  it('a deduction before the sign-up completed is no_agreement, without asking Alipay', async () => {
    const before = sandbox.requests().length;
    expect(await gw.deduct(deduction(newRef()))).toMatchObject({ status: 'failed', code: 'no_agreement' });
    expect(sandbox.requests().length).toBe(before);
  });

  it('a driver who ends it in the Alipay app: dut_user_unsign → ended; the next deduction is no_agreement', async () => {
    const ref = await activeRef('li');
    sandbox.agreements.userUnsign(ref.agreementNo as string);
    await sandbox.waitFor(() => eventsFor((v) => v.ok && v.event?.kind === 'agreement' && v.event.signNo === ref.signNo && v.event.state === 'ended').length > 0);
    expect(await gw.deduct(deduction(ref))).toMatchObject({ status: 'failed', code: 'no_agreement' });
    expect(await gw.check(ref)).toMatchObject({ state: 'ended' });
  });

  it('a paused agreement: check says paused; deductions are no_agreement', async () => {
    const ref = await activeRef('zhang');
    sandbox.agreements.stop(ref.agreementNo as string);
    expect(await gw.check(ref)).toMatchObject({ state: 'paused', agreementNo: ref.agreementNo });
    expect(await gw.deduct(deduction(ref))).toMatchObject({ status: 'failed', code: 'no_agreement' });
    sandbox.agreements.resume(ref.agreementNo as string);
    expect(await gw.deduct(deduction(ref))).toMatchObject({ status: 'paid' });
  });
});

describe('deductions', () => {
  it('insufficient balance → insufficient_funds; topped up, the same outTradeNo pays', async () => {
    const ref = await activeRef('li');
    sandbox.agreements.setBalance('li', 500);
    const d = deduction(ref, tradeNo(), 1200);
    expect(await gw.deduct(d)).toEqual({ status: 'failed', code: 'insufficient_funds', reason: expect.any(String) as string });
    sandbox.agreements.setBalance('li', 2000);
    expect(await gw.deduct(d)).toMatchObject({ status: 'paid', paidFen: 1200 });
    expect(sandbox.agreements.balance('li')).toBe(800);
    sandbox.agreements.setBalance('li', null);
  });

  it('a duplicate outTradeNo never deducts twice: the same process queries first, another meets ACQ.TRADE_HAS_SUCCESS', async () => {
    const ref = await activeRef('driver');
    sandbox.agreements.setBalance('driver', 5000);
    const d = deduction(ref, tradeNo(), 1200);
    const first = await gw.deduct(d);
    const again = await gw.deduct(d);
    expect(again).toEqual(first);
    expect(payCalls(d.outTradeNo)).toHaveLength(1); // the retry asked trade.query only

    // Another process (no memory of it): Alipay refuses a second payment, the query says it is paid.
    const other = createAlipayWithholdingGateway(sandbox.app, { notifyUrl: rx.url });
    expect(await other.deduct(d)).toEqual(first);
    expect(payCalls(d.outTradeNo).map((h) => h.outcome)).toEqual(['ok', 'ACQ.TRADE_HAS_SUCCESS']);
    expect(sandbox.agreements.balance('driver')).toBe(3800);
    expect(sandbox.agreements.agreement(ref.agreementNo as string)?.deductions).toEqual([d.outTradeNo]);

    // The same outTradeNo for another amount is never "paid".
    expect(await rejection(gw.deduct({ ...d, amountFen: 1300 }))).toMatchObject({ subCode: 'ACQ.CONTEXT_INCONSISTENT', retryable: false });
    const third = createAlipayWithholdingGateway(sandbox.app, { notifyUrl: rx.url });
    expect(await rejection(third.deduct({ ...d, amountFen: 1300 }))).toMatchObject({ subCode: 'ACQ.CONTEXT_INCONSISTENT', retryable: false });
    expect(sandbox.agreements.balance('driver')).toBe(3800);
    sandbox.agreements.setBalance('driver', null);
  });

  it('a timeout after Alipay took the money is settled by trade.query: paid, once', async () => {
    const ref = await activeRef('zhang');
    const d = deduction(ref);
    sandbox.inject({ type: 'timeout', method: 'alipay.trade.pay', afterProcessing: true });
    expect(await gw.deduct(d)).toMatchObject({ status: 'paid', paidFen: 1200 });
    expect(sandbox.agreements.agreement(ref.agreementNo as string)?.deductions).toEqual([d.outTradeNo]);
  });

  it('a timeout before Alipay did anything throws retryable (nothing taken); the retry pays once', async () => {
    const ref = await activeRef('zhang');
    const d = deduction(ref);
    sandbox.inject({ type: 'timeout', method: 'alipay.trade.pay' });
    expect(await rejection(gw.deduct(d))).toMatchObject({ kind: 'timeout', retryable: true });
    expect(sandbox.trade(d.outTradeNo)).toBeUndefined();
    expect(await gw.deduct(d)).toMatchObject({ status: 'paid' });
    expect(sandbox.agreements.agreement(ref.agreementNo as string)?.deductions).toEqual([d.outTradeNo]);
  });

  it('a forged answer to the payment is not believed: trade.query decides', async () => {
    const ref = await activeRef('zhang');
    const d = deduction(ref);
    sandbox.inject({ type: 'tampered_response', method: 'alipay.trade.pay' }); // the work is done, the amount in the answer altered
    const r = await gw.deduct(d);
    expect(r).toMatchObject({ status: 'paid', paidFen: 1200 });
  });

  it('ACQ.SYSTEM_ERROR with no trade behind it throws retryable; an HTTP 502 page likewise', async () => {
    const ref = await activeRef('zhang');
    const d = deduction(ref);
    sandbox.inject({ type: 'business_error', method: 'alipay.trade.pay', subCode: 'ACQ.SYSTEM_ERROR' });
    expect(await rejection(gw.deduct(d))).toMatchObject({ kind: 'business', subCode: 'ACQ.SYSTEM_ERROR', retryable: true });
    sandbox.inject({ type: 'http', status: 502, method: 'alipay.trade.pay' });
    expect(await rejection(gw.deduct(deduction(ref)))).toMatchObject({ kind: 'http', retryable: true });
    expect(sandbox.trade(d.outTradeNo)).toBeUndefined();
  });

  it('10003: accepted; the user completes it → the notification says paid, and so does the query', async () => {
    const ref = await activeRef('zhang');
    const d = deduction(ref, tradeNo(), 700);
    sandbox.agreements.holdNext();
    const r = await gw.deduct(d);
    expect(r).toMatchObject({ status: 'accepted' });
    expect(await gw.queryDeduction(d.outTradeNo)).toMatchObject({ status: 'accepted', transactionId: (r as { transactionId: string }).transactionId });
    sandbox.pay(d.outTradeNo);
    await sandbox.waitFor(() => eventsFor((v) => v.ok && v.event?.kind === 'deduction' && v.event.outTradeNo === d.outTradeNo).length > 0);
    expect(eventsFor((v) => v.ok && v.event?.kind === 'deduction' && v.event.outTradeNo === d.outTradeNo)[0]).toMatchObject({
      event: { result: { status: 'paid', paidFen: 700 } },
    });
    expect(await gw.queryDeduction(d.outTradeNo)).toMatchObject({ status: 'paid', paidFen: 700 });
  });

  it('queryDeduction of an outTradeNo Alipay never saw is unknown', async () => {
    expect(await gw.queryDeduction(tradeNo())).toEqual({ status: 'unknown' });
  });
});

describe('parseNotification', () => {
  it('a refund of a deduction is acknowledged without an event', async () => {
    const ref = await activeRef('zhang');
    const d = deduction(ref, tradeNo(), 900);
    await gw.deduct(d);
    await gw.alipay.refund({ outTradeNo: d.outTradeNo, outRequestNo: `${d.outTradeNo}R`, refundFen: 900 });
    await sandbox.waitFor(() => rx.got.some((x) => x.fields.out_trade_no === d.outTradeNo && x.fields.out_biz_no !== undefined));
    const refund = rx.got.find((x) => x.fields.out_trade_no === d.outTradeNo && x.fields.out_biz_no !== undefined);
    expect(refund?.verdict).toEqual({ ok: true, notifyId: refund?.fields.notify_id });
    expect(refund?.answer).toBe('success');
  });

  it('forged notifications are refused (Alipay sends them again)', async () => {
    sandbox.inject({ type: 'forged_notification', how: 'wrong_key' });
    const ref = await activeRef('li');
    await sandbox.waitFor(() => rx.got.some((x) => x.fields.external_agreement_no === ref.signNo));
    const d = rx.got.find((x) => x.fields.external_agreement_no === ref.signNo);
    expect(d?.verdict).toMatchObject({ ok: false, reason: 'bad_signature' });
    expect(d?.answer).toBe('fail');
  });

  it('with a sellerId configured, a deduction notification for another seller is refused', async () => {
    const strict = createAlipayWithholdingGateway(sandbox.app, { notifyUrl: rx.url, sellerId: '2088000000000000' });
    const right = createAlipayWithholdingGateway(sandbox.app, { notifyUrl: rx.url, sellerId: sandbox.sellerId });
    const ref = await activeRef('zhang');
    const d = deduction(ref);
    await gw.deduct(d);
    await sandbox.waitFor(() => rx.got.some((x) => x.fields.out_trade_no === d.outTradeNo));
    const fields = rx.got.find((x) => x.fields.out_trade_no === d.outTradeNo)?.fields;
    expect(strict.parseNotification(fields)).toMatchObject({ ok: false, reason: 'seller_id_mismatch' });
    expect(right.parseNotification(fields)).toMatchObject({ ok: true, event: { kind: 'deduction', outTradeNo: d.outTradeNo } });
  });
});

describe('time: a deduction that waits too long closes', () => {
  it('the held trade closes after 15 minutes: the query and the TRADE_CLOSED notification say failed', async () => {
    const clock = new ManualClock(Date.now());
    const sb = await startAlipaySandbox({ clock });
    let g: AlipayWithholdingGateway | undefined;
    const r = await startWithholdingReceiver((body) => (g as AlipayWithholdingGateway).parseNotification(body));
    try {
      g = createAlipayWithholdingGateway(sb.app, { notifyUrl: r.url, adapter: { clock }, now: () => clock.now() });
      const ref = newRef();
      const start = await g.startSignup(ref);
      if (start.provider !== 'alipay') throw new Error('alipay expected');
      const agreementNo = sb.agreements.sign(start.signUrl, 'zhang').agreementNo;
      sb.agreements.holdNext();
      const d = deduction({ ...ref, agreementNo }, 'HOLD-1', 500);
      expect(await g.deduct(d)).toMatchObject({ status: 'accepted' });
      clock.advance(15 * 60_000);
      await sb.runDue();
      await sb.idle();
      expect(await g.queryDeduction('HOLD-1')).toMatchObject({ status: 'failed', code: 'refused' });
      await sb.waitFor(() => r.got.some((x) => x.fields.out_trade_no === 'HOLD-1' && x.fields.trade_status === 'TRADE_CLOSED'));
      expect(r.got.find((x) => x.fields.trade_status === 'TRADE_CLOSED')?.verdict).toMatchObject({
        ok: true,
        event: { kind: 'deduction', outTradeNo: 'HOLD-1', result: { status: 'failed', code: 'refused' } },
      });
    } finally {
      await sb.stop();
      await r.stop();
    }
  });
});

describe('mapSignal: the one switch', () => {
  it.each([
    ['NORMAL', { kind: 'agreement', state: 'active' }],
    ['TEMP', { kind: 'agreement', state: 'signing' }],
    ['STOP', { kind: 'agreement', state: 'paused' }],
    ['UNSIGN', { kind: 'agreement', state: 'ended' }],
    ['USER_AGREEMENT_NOT_EXIST', { kind: 'no_agreement' }],
    ['TRADE_SUCCESS', { kind: 'deduction', status: 'paid' }],
    ['TRADE_FINISHED', { kind: 'deduction', status: 'paid' }],
    ['WAIT_BUYER_PAY', { kind: 'deduction', status: 'accepted' }],
    ['10003', { kind: 'deduction', status: 'accepted' }],
    ['TRADE_CLOSED', { kind: 'deduction', status: 'closed' }],
    ['ACQ.TRADE_HAS_SUCCESS', { kind: 'already_paid' }],
    ['ACQ.AGREEMENT_STATUS_NOT_NORMAL', { kind: 'refused', code: 'no_agreement' }],
    ['ACQ.BUYER_BANKCARD_BALANCE_NOT_ENOUGH', { kind: 'refused', code: 'insufficient_funds' }],
    ['ACQ.PAYMENT_REQUEST_HAS_RISK', { kind: 'refused', code: 'refused' }],
    ['ACQ.SYSTEM_ERROR', { kind: 'unsettled' }],
    ['ACQ.MERCHANT_AGREEMENT_NOT_EXIST', { kind: 'error' }],
    ['SOMETHING_NEW', { kind: 'error' }],
  ])('%s', (signal, verdict) => {
    expect(mapSignal(signal)).toMatchObject(verdict);
  });

  it('the factory needs a notifyUrl', () => {
    expect(() => createAlipayWithholdingGateway(sandbox.app, { notifyUrl: '' })).toThrow('notifyUrl');
  });
});
