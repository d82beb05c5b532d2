/**
 * The WithholdingGateway over WeChat Pay's vehicle parking service (adapter/payments/wechat-withholding.ts),
 * through the sandbox: sign-up (mini-program parameters and the H5 page), state by plate, end, deductions
 * paid / accepted / failed (insufficient funds, paused, not signed, overdue, refused), a duplicate or retried
 * out_trade_no never deducting twice, and notifications turned into WithholdingEvents.
 */
import { ManualClock } from '../../../../server/src/core/clock';
import { GatewayFailure } from '../../../../server/src/core/gateway-failure';
import type { AgreementRef, DeductResult } from '../../../../server/src/core/agreements/gateways';
import { WechatParkingAdapter, WechatPayAdapter, WechatPayError, type WechatParkingTransaction } from '../../../../server/src/adapter/wechatpay';
import {
  WECHAT_PARKING_MINIPROGRAM,
  type WechatWithholdingGateway,
  createWechatWithholdingGateway,
  deductResultOf,
  entranceAgreementState,
  plateColorOf,
  wechatParkingConfigSchema,
} from '../../../../server/src/adapter/payments/wechat-withholding';
import { startWechatPaySandbox, type WechatPaySandbox } from '../../../../server/sandbox/wechatpay';
import { NotifyReceiver } from '../../sandbox/wechatpay/receiver';
import { waitUntil } from '../../../support/eventually';

let seq = 0;
const no = (p = 'WH') => `${p}${Date.now().toString(36)}${++seq}`;
/** `null`: a payer without an openid. */
const ref = (plate: string, openId: string | null = `o${plate}`): AgreementRef => ({ signNo: `wx:${plate}`, plate, payer: openId ? { openId } : {} });

async function caught(p: Promise<unknown>): Promise<unknown> {
  return p.then(
    () => undefined,
    (e: unknown) => e,
  );
}


describe('WeChat withholding gateway against the sandbox', () => {
  let sandbox: WechatPaySandbox;
  let receiver: NotifyReceiver;
  let gateway: WechatWithholdingGateway;
  const make = (extra: { timeoutMs?: number; fetch?: (url: string, init: RequestInit) => Promise<Response> } = {}) =>
    createWechatWithholdingGateway({
      wechatPay: new WechatPayAdapter({ config: sandbox.merchant, ...extra }),
      wechatPayConfig: sandbox.merchant,
      parking: { notifyUrl: receiver.url, freeDurationSeconds: 900, signupH5Url: sandbox.parking.signupPageUrl },
    });
  const stay = (plate: string, amountFen = 400, outTradeNo = no()) => ({
    outTradeNo,
    agreement: ref(plate),
    amountFen,
    parkNumber: 'p_demo_001',
    parkName: '示例停车场',
    enteredAt: new Date(Date.now() - 75 * 60_000),
    leftAt: new Date(Date.now() - 1000),
    description: `停车费 ${plate}`,
  });

  beforeAll(async () => {
    receiver = await new NotifyReceiver().start('/notify/wechatpay/parking');
    sandbox = await startWechatPaySandbox({ mode: 'publicKey', timeScale: 1000, parking: { settleAfterMs: null } });
    gateway = make();
  });
  afterEach(() => {
    sandbox.clearFaults();
    sandbox.parking.setSettleMode('async', null);
  });
  afterAll(async () => {
    await sandbox.stop();
    await receiver.stop();
  });

  it('startSignup: WeChat’s 车主服务 mini-program with the documented extraData, and the H5 page that opens the service', async () => {
    const plate = '京A12345';
    const s = await gateway.startSignup({ ...ref(plate, 'oSign1'), returnUrl: 'https://parkpay.example/me/agreements' });
    if (s.provider !== 'wechat') throw new Error('expected a WeChat sign-up');
    expect(s.navigate).toEqual({
      appId: WECHAT_PARKING_MINIPROGRAM.appId,
      path: 'pages/auth-creditpay/auth-creditpay',
      extraData: { mchid: sandbox.merchant.mchId, openid: 'oSign1', plate_number: '京A12345', plate_color: 'BLUE', trade_scene: 'PARKING' },
    });
    expect(s.h5Url?.startsWith(`${sandbox.parking.signupPageUrl}?`)).toBe(true);
    expect(new URL(s.h5Url!).searchParams.get('return_url')).toBe('https://parkpay.example/me/agreements');
    expect((await gateway.check(ref(plate, 'oSign1'))).state).toBe('none');
    // The driver taps 开通 on the page (the form the page carries).
    const page = await (await fetch(s.h5Url!)).text();
    expect(page).toContain('京A12345');
    const form = new URLSearchParams({ ...s.navigate.extraData, return_url: 'https://parkpay.example/me/agreements', action: 'open' });
    await fetch(sandbox.parking.signupPageUrl, { method: 'POST', headers: { 'content-type': 'application/x-www-form-urlencoded' }, body: form.toString() });
    expect(await gateway.check(ref(plate, 'oSign1'))).toMatchObject({ state: 'active', signedAt: expect.any(Date) });
    // Plates are normalized as WeChat wants them; the new-energy plate is GREEN.
    const green = await gateway.startSignup(ref('京 ad·12345', 'oSign2'));
    expect(green.provider === 'wechat' && green.navigate.extraData).toMatchObject({ plate_number: '京AD12345', plate_color: 'GREEN' });
    await expect(gateway.startSignup(ref(plate, null))).rejects.toMatchObject({ reason: 'payer_required', sent: false });
  });

  it('check by plate: none → active → paused → none after the driver removes it; another driver’s openid sees none', async () => {
    const plate = '沪A20001';
    expect(await gateway.check(ref(plate))).toMatchObject({ state: 'none', reason: expect.stringMatching(/OUT_SERVICE/) });
    sandbox.parking.openService({ openid: `o${plate}`, plateNumber: plate });
    expect((await gateway.check(ref(plate))).state).toBe('active');
    expect((await gateway.check(ref(plate, 'oSomeoneElse'))).state).toBe('none');
    sandbox.parking.pauseService({ plateNumber: plate });
    expect(await gateway.check(ref(plate))).toMatchObject({ state: 'paused', reason: expect.stringMatching(/PAUSE/) });
    sandbox.parking.endService({ plateNumber: plate });
    expect((await gateway.check(ref(plate))).state).toBe('none');
    // A yellow plate is asked with its colour.
    sandbox.parking.openService({ openid: 'oY', plateNumber: '沪A2000学', plateColor: 'YELLOW' });
    expect((await gateway.check(ref('沪A2000学', 'oY'))).state).toBe('active');
    expect((await gateway.check({ ...ref('沪A20002', 'oY2'), plateColor: 'YELLOW' } as AgreementRef)).state).toBe('none');
  });

  it('end → GatewayFailure unsupported, nothing sent (WeChat has no merchant-side unsign)', async () => {
    const e = await caught(gateway.end(ref('京A12345')));
    expect(e).toBeInstanceOf(GatewayFailure);
    expect(e).toMatchObject({ failure: 'unsupported', sent: false, retryable: false, reason: 'end_with_provider' });
  });

  it('deduct → accepted (ACCEPTED); the entry and the deduction carry the stay; queryDeduction and the notification later say paid', async () => {
    const plate = '苏A30001';
    sandbox.parking.openService({ openid: `o${plate}`, plateNumber: plate });
    const s = stay(plate, 400);
    const r = await gateway.deduct(s);
    expect(r).toEqual({ status: 'accepted', transactionId: expect.stringMatching(/^4200/) });
    const entry = sandbox.parking.parkings().find((p) => p.outParkingNo === s.outTradeNo);
    expect(entry).toMatchObject({ plateNumber: plate, plateColor: 'BLUE', parkingName: '示例停车场', freeDuration: 900, notifyUrl: receiver.url, usedBy: s.outTradeNo });
    const t = sandbox.parking.transactions().find((x) => x.outTradeNo === s.outTradeNo);
    expect(t).toMatchObject({ totalFen: 400, attach: 'p_demo_001', description: `停车费 ${plate}`, notifyUrl: receiver.url });
    expect(t?.parkingInfo).toMatchObject({ parking_id: entry?.id, charging_duration: 75 * 60 - 1 - 900, device_id: 'p_demo_001' });
    expect(await gateway.queryDeduction(s.outTradeNo)).toEqual(r);

    receiver.deliveries.length = 0;
    sandbox.parking.settleDeduction(s.outTradeNo, 'SUCCESS');
    await sandbox.notificationsSettled();
    const d = receiver.deliveries.at(-1)!;
    const event = await gateway.verifyNotification({ headers: d.headers, rawBody: d.rawBody });
    expect(event).toEqual({ kind: 'deduction', provider: 'wechat', outTradeNo: s.outTradeNo, result: { status: 'paid', transactionId: r.status === 'accepted' ? r.transactionId : '', paidFen: 400, paidAt: expect.any(Date) } });
    expect(await gateway.queryDeduction(s.outTradeNo)).toMatchObject({ status: 'paid', paidFen: 400 });
  });

  it('deduct → paid when WeChat answers SUCCESS at once (sync settlement)', async () => {
    const plate = '苏A30002';
    sandbox.parking.openService({ openid: `o${plate}`, plateNumber: plate });
    sandbox.parking.setSettleMode('sync');
    const r = await gateway.deduct(stay(plate, 1250));
    expect(r).toMatchObject({ status: 'paid', paidFen: 1250, transactionId: expect.stringMatching(/^4200/) });
    expect(r.status === 'paid' && Math.abs(r.paidAt.getTime() - Date.now())).toBeLessThan(5000);
  });

  it('insufficient funds: PAY_FAIL at once → failed insufficient_funds; ACCEPTED then TRANSACTION.FAIL → the event says so', async () => {
    const plate = '苏A30003';
    sandbox.parking.openService({ openid: `o${plate}`, plateNumber: plate });
    sandbox.parking.setFlags({ plateNumber: plate, insufficientBalance: true });
    sandbox.parking.setSettleMode('sync');
    expect(await gateway.deduct(stay(plate))).toEqual({ status: 'failed', code: 'insufficient_funds', reason: expect.stringMatching(/余额不足/) });
    sandbox.parking.setSettleMode('async', null);
    const s = stay(plate);
    expect((await gateway.deduct(s)).status).toBe('accepted');
    receiver.deliveries.length = 0;
    sandbox.parking.settleDeduction(s.outTradeNo);
    await sandbox.notificationsSettled();
    const d = receiver.deliveries.at(-1)!;
    expect(await gateway.verifyNotification({ headers: d.headers, rawBody: d.rawBody })).toEqual({
      kind: 'deduction',
      provider: 'wechat',
      outTradeNo: s.outTradeNo,
      result: { status: 'failed', code: 'insufficient_funds', reason: expect.stringMatching(/余额不足/) },
    });
    expect(await gateway.queryDeduction(s.outTradeNo)).toMatchObject({ status: 'failed', code: 'insufficient_funds' });
  });

  it('paused, never signed, no openid → failed no_agreement without an entry or a deduction; overdue → refused after a BLOCKED entry', async () => {
    const plate = '苏A30004';
    const before = sandbox.hits('/v3/vehicle/parking/parkings').length;
    expect(await gateway.deduct(stay(plate))).toEqual({ status: 'failed', code: 'no_agreement', reason: expect.stringMatching(/OUT_SERVICE/) });
    sandbox.parking.openService({ openid: `o${plate}`, plateNumber: plate });
    sandbox.parking.pauseService({ plateNumber: plate });
    expect(await gateway.deduct(stay(plate))).toEqual({ status: 'failed', code: 'no_agreement', reason: expect.stringMatching(/PAUSE/) });
    expect(await gateway.deduct({ ...stay(plate), agreement: ref(plate, null) })).toMatchObject({ status: 'failed', code: 'no_agreement' });
    expect(sandbox.hits('/v3/vehicle/parking/parkings').length).toBe(before);
    sandbox.parking.openService({ openid: `o${plate}`, plateNumber: plate });
    sandbox.parking.setFlags({ plateNumber: plate, overdue: true });
    expect(await gateway.deduct(stay(plate))).toEqual({ status: 'failed', code: 'refused', reason: expect.stringMatching(/OVERDUE/) });
    expect(sandbox.parking.transactions().some((t) => t.parkingInfo.plate_number === plate)).toBe(false);
  });

  it('a duplicate out_trade_no never deducts twice: the second call answers from WeChat’s record (and a different amount is a conflict)', async () => {
    const plate = '浙A40001';
    sandbox.parking.openService({ openid: `o${plate}`, plateNumber: plate });
    const s = stay(plate, 800);
    const first = await gateway.deduct(s);
    const posts = sandbox.hits('/v3/vehicle/transactions/parking').length;
    const again = await gateway.deduct(s);
    expect(again).toEqual(first);
    const [a, b] = await Promise.all([gateway.deduct(s), gateway.deduct(s)]);
    expect([a, b]).toEqual([first, first]);
    expect(sandbox.hits('/v3/vehicle/transactions/parking').length).toBe(posts);
    expect(sandbox.parking.transactions().filter((t) => t.outTradeNo === s.outTradeNo)).toHaveLength(1);
    await expect(gateway.deduct({ ...s, amountFen: 801 })).rejects.toMatchObject({ failure: 'conflict', reason: 'deduction_conflict', sent: false });
  });

  it('a retry after the driver paused the service still answers the deduction already made (query first), not no_agreement', async () => {
    const plate = '浙A40008';
    sandbox.parking.openService({ openid: `o${plate}`, plateNumber: plate });
    const s = stay(plate, 700);
    const first = await gateway.deduct(s);
    expect(first.status).toBe('accepted');
    sandbox.parking.pauseService({ plateNumber: plate });
    expect(await gateway.deduct(s)).toEqual(first);
  });

  it('two workers racing on a fresh out_trade_no: WeChat refuses the second, which then answers the first’s deduction', async () => {
    const plate = '浙A40002';
    sandbox.parking.openService({ openid: `o${plate}`, plateNumber: plate });
    const s = stay(plate, 500);
    const results = await Promise.all([gateway.deduct(s), gateway.deduct(s)]);
    expect(results[0]).toEqual(results[1]);
    expect(results[0].status).toBe('accepted');
    expect(sandbox.parking.transactions().filter((t) => t.outTradeNo === s.outTradeNo)).toHaveLength(1);
  });

  it('a lost answer (WeChat applied it, we timed out) → the query finds it: one deduction, the right result', async () => {
    const plate = '浙A40003';
    sandbox.parking.openService({ openid: `o${plate}`, plateNumber: plate });
    // Short enough for the held answer, long enough for the query that follows on a busy machine.
    const quick = make({ timeoutMs: 2_000 });
    const s = stay(plate, 300);
    sandbox.inject({ kind: 'timeout', applied: true, path: '/v3/vehicle/transactions/parking' });
    expect(await quick.deduct(s)).toMatchObject({ status: 'accepted', transactionId: expect.any(String) });
    expect(sandbox.parking.transactions().filter((t) => t.outTradeNo === s.outTradeNo)).toHaveLength(1);
  });

  it('an answer whose signature fails (the deduction was made) → the query finds it', async () => {
    const plate = '浙A40004';
    sandbox.parking.openService({ openid: `o${plate}`, plateNumber: plate });
    const s = stay(plate, 300);
    sandbox.inject({ kind: 'badSignature', path: '/v3/vehicle/transactions/parking' });
    expect((await gateway.deduct(s)).status).toBe('accepted');
    expect(sandbox.parking.transactions().filter((t) => t.outTradeNo === s.outTradeNo)).toHaveLength(1);
  });

  it('a 500 before WeChat did anything → one more attempt with the same number deducts once; twice 500 → the retryable error, nothing deducted', async () => {
    const plate = '浙A40005';
    sandbox.parking.openService({ openid: `o${plate}`, plateNumber: plate });
    const s = stay(plate, 300);
    sandbox.inject({ kind: 'http500', path: '/v3/vehicle/transactions/parking' });
    expect((await gateway.deduct(s)).status).toBe('accepted');
    expect(sandbox.parking.transactions().filter((t) => t.outTradeNo === s.outTradeNo)).toHaveLength(1);

    const s2 = stay(plate, 300);
    sandbox.inject({ kind: 'http500', path: '/v3/vehicle/transactions/parking', times: 2 });
    const e = await caught(gateway.deduct(s2));
    expect(e).toBeInstanceOf(WechatPayError);
    expect(e).toMatchObject({ kind: 'http', httpStatus: 500, retryable: true });
    expect(sandbox.parking.transactions().filter((t) => t.outTradeNo === s2.outTradeNo)).toHaveLength(0);
    // The caller's retry (same out_trade_no) goes through.
    expect((await gateway.deduct(s2)).status).toBe('accepted');
  });

  it('the query itself failing after a lost answer → the original retryable error; the caller’s retry (query first) finds the one deduction', async () => {
    const plate = '浙A40006';
    sandbox.parking.openService({ openid: `o${plate}`, plateNumber: plate });
    let queries = 0;
    const flaky = async (url: string, init: RequestInit) => {
      if (url.includes('/v3/vehicle/transactions/out-trade-no/') && ++queries === 2) throw new TypeError('fetch failed', { cause: { code: 'ECONNRESET' } });
      return fetch(url, init);
    };
    const g = make({ fetch: flaky });
    const s = stay(plate, 300);
    sandbox.inject({ kind: 'http500', path: '/v3/vehicle/transactions/parking', applied: true });
    const e = await caught(g.deduct(s));
    expect(e).toMatchObject({ kind: 'http', httpStatus: 500, retryable: true });
    expect(sandbox.parking.transactions().filter((t) => t.outTradeNo === s.outTradeNo)).toHaveLength(1);
    const posts = sandbox.hits('/v3/vehicle/transactions/parking').length;
    expect((await g.deduct(s)).status).toBe('accepted');
    expect(sandbox.hits('/v3/vehicle/transactions/parking').length).toBe(posts);
    expect(sandbox.parking.transactions().filter((t) => t.outTradeNo === s.outTradeNo)).toHaveLength(1);
  });

  it('a business refusal with nothing recorded → failed refused with WeChat’s code and message', async () => {
    const plate = '浙A40007';
    sandbox.parking.openService({ openid: `o${plate}`, plateNumber: plate });
    sandbox.inject({ kind: 'error', status: 403, code: 'NO_AUTH', message: '当前商户无法扣款', path: '/v3/vehicle/transactions/parking' });
    expect(await gateway.deduct(stay(plate))).toEqual({ status: 'failed', code: 'refused', reason: 'NO_AUTH: 当前商户无法扣款' });
    sandbox.inject({ kind: 'error', status: 400, code: 'RULE_LIMIT', message: '超出扣费次数限制', path: '/v3/vehicle/transactions/parking' });
    expect(await gateway.deduct(stay(plate))).toMatchObject({ status: 'failed', code: 'refused', reason: expect.stringMatching(/^RULE_LIMIT/) });
  });

  it('bad stays are refused before WeChat is asked', async () => {
    const s = stay('京A12345');
    await expect(gateway.deduct({ ...s, amountFen: 0 })).rejects.toMatchObject({ reason: 'invalid_amount', sent: false });
    const second = Math.floor((Date.now() - 60_000) / 1000) * 1000;
    // Within one second: WeChat's whole-second times would be equal, which it refuses.
    await expect(gateway.deduct({ ...s, enteredAt: new Date(second + 100), leftAt: new Date(second + 600) })).rejects.toMatchObject({ reason: 'invalid_stay', sent: false });
    await expect(gateway.deduct({ ...s, leftAt: new Date(s.enteredAt.getTime() - 60_000) })).rejects.toMatchObject({ reason: 'invalid_stay', sent: false });
    await expect(gateway.deduct({ ...s, agreement: ref('') })).rejects.toMatchObject({ reason: 'invalid_plate', sent: false });
  });

  it('queryDeduction of a number WeChat never saw → unknown', async () => {
    expect(await gateway.queryDeduction(no('NEVER'))).toEqual({ status: 'unknown' });
  });

  it('entry-state notifications → agreement events: paused, active, ended', async () => {
    const plate = '闽A50001';
    sandbox.parking.openService({ openid: `o${plate}`, plateNumber: plate });
    // A car in the lot whose deduction is not made yet: its entry is live (the gateway created it; make one directly).
    const entryNo = no('EN');
    const pay = new WechatPayAdapter({ config: sandbox.merchant });
    await new WechatParkingAdapter({ pay, config: sandbox.merchant }).createEntry({ outParkingNo: entryNo, plateNumber: plate, plateColor: 'BLUE', startTime: Date.now() - 60_000, parkingName: 'p', freeDurationSeconds: 0, notifyUrl: receiver.url });
    receiver.deliveries.length = 0;
    sandbox.parking.pauseService({ plateNumber: plate });
    sandbox.parking.openService({ openid: `o${plate}`, plateNumber: plate });
    sandbox.parking.endService({ plateNumber: plate });
    await sandbox.notificationsSettled();
    const events = [];
    for (const d of receiver.deliveries) events.push(await gateway.verifyNotification({ headers: d.headers, rawBody: d.rawBody }));
    expect(events).toEqual(['paused', 'active', 'ended'].map((state) => ({ kind: 'agreement', provider: 'wechat', plate, state })));
    const opened = await gateway.openNotification({ headers: receiver.deliveries[0].headers, rawBody: receiver.deliveries[0].rawBody });
    expect(opened).toMatchObject({ id: expect.any(String), eventType: 'VEHICLE.ENTRANCE_STATE_CHANGE' });
  });

  it('a tampered delivered notification is refused (and never becomes an event)', async () => {
    const plate = '闽A50002';
    sandbox.parking.openService({ openid: `o${plate}`, plateNumber: plate });
    const s = stay(plate);
    await gateway.deduct(s);
    sandbox.inject({ kind: 'tamperNotification', tamper: 'aad' });
    receiver.deliveries.length = 0;
    sandbox.parking.settleDeduction(s.outTradeNo, 'SUCCESS');
    await waitUntil(() => receiver.deliveries.length > 0);
    const d = receiver.deliveries[0];
    await expect(gateway.verifyNotification({ headers: d.headers, rawBody: d.rawBody })).rejects.toMatchObject({ kind: 'bad_signature', verification: 'decrypt' });
    sandbox.inject({ kind: 'tamperNotification', tamper: 'signature' });
    const s2 = stay(plate);
    await gateway.deduct(s2);
    receiver.deliveries.length = 0;
    sandbox.parking.settleDeduction(s2.outTradeNo, 'SUCCESS');
    await waitUntil(() => receiver.deliveries.length > 0);
    const d2 = receiver.deliveries[0];
    await expect(gateway.verifyNotification({ headers: d2.headers, rawBody: d2.rawBody })).rejects.toMatchObject({ kind: 'bad_signature', verification: 'signature' });
  });
});

describe('service-provider mode through the factory', () => {
  const clock = new ManualClock(Date.now());
  let sandbox: WechatPaySandbox;
  beforeAll(async () => {
    sandbox = await startWechatPaySandbox({ mode: 'platformCertificate', clock, parking: { subMchid: '1900000109', settle: 'sync' } });
  });
  afterAll(() => sandbox.stop());

  it('sign-up names the sub-merchant; a deduction goes through as the sub-merchant’s', async () => {
    const gateway = createWechatWithholdingGateway({
      wechatPay: new WechatPayAdapter({ config: sandbox.merchant, clock }),
      wechatPayConfig: sandbox.merchant,
      parking: { notifyUrl: 'https://parkpay.example/notify/wechatpay/parking', subMchid: '1900000109' },
      clock,
      deviceId: () => 'exit-2',
    });
    const s = await gateway.startSignup(ref('粤B60001', 'oSP'));
    expect(s.provider === 'wechat' && s.navigate.extraData).toMatchObject({ mchid: sandbox.merchant.mchId, sub_mchid: '1900000109' });
    expect(s.provider === 'wechat' && s.h5Url).toBe(undefined);
    sandbox.parking.openService({ openid: 'oSP', plateNumber: '粤B60001' });
    const outTradeNo = no('SP');
    const r = await gateway.deduct({ outTradeNo, agreement: ref('粤B60001', 'oSP'), amountFen: 200, parkNumber: 'p1', parkName: '', enteredAt: new Date(clock.now() - 3600_000), leftAt: new Date(clock.now() - 1000), description: '' });
    expect(r).toMatchObject({ status: 'paid', paidFen: 200 });
    expect(sandbox.parking.transactions().find((t) => t.outTradeNo === outTradeNo)).toMatchObject({ subMchid: '1900000109', description: '停车费 p1' });
    expect(sandbox.parking.transactions().find((t) => t.outTradeNo === outTradeNo)?.parkingInfo).toMatchObject({ device_id: 'exit-2', parking_name: 'p1', charging_duration: 3599 });
  });

  it('the config schema: notifyUrl required, defaults, strict', () => {
    expect(wechatParkingConfigSchema.parse({ notifyUrl: 'https://x.example/n' })).toEqual({ notifyUrl: 'https://x.example/n', freeDurationSeconds: 0 });
    expect(() => wechatParkingConfigSchema.parse({})).toThrow();
    expect(() => wechatParkingConfigSchema.parse({ notifyUrl: 'ftp://x' })).toThrow();
    expect(() => wechatParkingConfigSchema.parse({ notifyUrl: 'https://x.example/n', extra: 1 })).toThrow();
  });
});

describe('the pure pieces', () => {
  const tx = (o: Partial<WechatParkingTransaction>): WechatParkingTransaction => ({ appid: 'wx', out_trade_no: 'N1', trade_state: 'ACCEPTED', amount: { total: 100 }, ...o });

  it('deductResultOf: one switch for every trade state', () => {
    const now = Date.UTC(2026, 10, 28, 2, 0, 0);
    const table: Array<[Partial<WechatParkingTransaction>, DeductResult]> = [
      [{ trade_state: 'SUCCESS', transaction_id: '4200A', success_time: '2026-11-28T10:00:05+08:00' }, { status: 'paid', transactionId: '4200A', paidFen: 100, paidAt: new Date(Date.UTC(2026, 10, 28, 2, 0, 5)) }],
      [{ trade_state: 'SUCCESS', transaction_id: '4200B', bank_type: 'BPA' }, { status: 'paid', transactionId: '4200B', paidFen: 100, paidAt: new Date(now) }],
      [{ trade_state: 'REFUND', transaction_id: '4200C', success_time: '2026-11-28T10:00:05+08:00' }, { status: 'paid', transactionId: '4200C', paidFen: 100, paidAt: new Date(Date.UTC(2026, 10, 28, 2, 0, 5)) }],
      [{ trade_state: 'ACCEPTED', transaction_id: '4200D' }, { status: 'accepted', transactionId: '4200D' }],
      [{ trade_state: 'ACCEPTED' }, { status: 'accepted' }],
      [{ trade_state: 'PAY_FAIL', trade_state_description: '用户余额不足' }, { status: 'failed', code: 'insufficient_funds', reason: '用户余额不足' }],
      [{ trade_state: 'PAY_FAIL' }, { status: 'failed', code: 'insufficient_funds', reason: 'PAY_FAIL' }],
      [{ trade_state: 'SOMETHING_NEW' }, { status: 'accepted' }],
    ];
    for (const [t, expected] of table) expect([t.trade_state, deductResultOf(tx(t), now)]).toEqual([t.trade_state, expected]);
  });

  it('entranceAgreementState', () => {
    expect(entranceAgreementState('NORMAL', undefined)).toBe('active');
    expect(entranceAgreementState('BLOCKED', 'PAUSE')).toBe('paused');
    expect(entranceAgreementState('BLOCKED', 'OVERDUE')).toBe('paused');
    expect(entranceAgreementState('BLOCKED', 'EVALUATION_FAILED')).toBe('paused');
    expect(entranceAgreementState('BLOCKED', 'REMOVE')).toBe('ended');
    expect(entranceAgreementState('BLOCKED', 'OUT_SERVICE')).toBe('ended');
    expect(entranceAgreementState('BLOCKED', undefined)).toBe('paused');
  });

  it('plateColorOf', () => {
    expect(plateColorOf('京A12345')).toBe('BLUE');
    expect(plateColorOf('京AD12345')).toBe('GREEN');
    expect(plateColorOf('粤B1234F')).toBe('BLUE');
    expect(plateColorOf('粤BD1234F')).toBe('GREEN');
    expect(plateColorOf('京A1234学')).toBe('YELLOW');
    expect(plateColorOf('京A1234挂')).toBe('YELLOW');
    expect(plateColorOf('京A1234警')).toBe('WHITE');
    expect(plateColorOf('WJ01234')).toBe('WHITE');
    expect(plateColorOf('粤Z1234港')).toBe('BLACK');
    expect(plateColorOf('使123456')).toBe('BLACK');
  });
});
