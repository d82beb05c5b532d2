/**
 * Booth face-to-face payment (4.24–4.26) through the WeChat Pay v2 and Alipay sandboxes, on the real
 * database: charges, USERPAYING and paced provider queries, repeats that never charge twice, cancels that
 * give the money back (at once, or retried by the job), deadlines, fixed coupon codes.
 * Time is a ManualClock: the 5-minute windows pass in one step.
 */
import { AlipayFaceToFace } from '../../../../server/src/adapter/alipay/face-to-face';
import { AlipayFaceToFaceGateway, WechatFaceToFaceGateway } from '../../../../server/src/adapter/payments/face-to-face';
import { WechatMicropayClient } from '../../../../server/src/adapter/wechatpay/micropay';
import { ManualClock } from '../../../../server/src/core/clock';
import { CouponError } from '../../../../server/src/core/coupons/errors';
import { faceId, FaceToFaceService, type FacePayRequest } from '../../../../server/src/core/lanepay/face-to-face';
import type { FixedCoupon, FixedCouponCodes } from '../../../../server/src/core/lanepay/fixed-coupons';
import { MongoFacePaymentRepository } from '../../../../server/src/repository/face-payments';
import { startAlipaySandbox, type AlipaySandbox } from '../../../../server/sandbox/alipay';
import { startWechatPaySandbox, type WechatPaySandbox } from '../../../../server/sandbox/wechatpay';
import { openTestDatabase, type TestDatabase } from '../../../support/db';

const PARK = 'p_face_001';
let db: TestDatabase;
let wechat: WechatPaySandbox;
let alipay: AlipaySandbox;
let repo: MongoFacePaymentRepository;
let face: FaceToFaceService;
const clock = new ManualClock(Date.now());

/** A small FixedCouponCodes: codes "PPQ…" of ours, one hour coupon per stay. */
class TestCoupons implements FixedCouponCodes {
  readonly redeemed = new Map<string, FixedCoupon>();
  async redeem(o: { parkNumber: string; code: string; orderId: string; plate: string }): Promise<FixedCoupon | undefined> {
    if (!o.code.startsWith('PPQ')) return undefined;
    if (o.code === 'PPQEXPIRED01') throw new CouponError('coupon_expired', 'this coupon code expired on 2026-10-01');
    const key = `${o.parkNumber}|${o.code}|${o.orderId}`;
    const c = this.redeemed.get(key) ?? { couponCode: o.code, mode: 'hours' as const, amount: 60, end: new Date(clock.now() + 86_400_000), id: '7' };
    this.redeemed.set(key, c);
    return c;
  }
}
const coupons = new TestCoupons();

beforeAll(async () => {
  db = await openTestDatabase('face');
  wechat = await startWechatPaySandbox({ mode: 'publicKey' });
  alipay = await startAlipaySandbox();
  repo = new MongoFacePaymentRepository(db.connection);
  await repo.init();
  face = new FaceToFaceService({
    payments: repo,
    gateways: {
      wechat: new WechatFaceToFaceGateway(new WechatMicropayClient({ config: wechat.merchant, timeoutMs: 2_000 })),
      alipay: new AlipayFaceToFaceGateway(new AlipayFaceToFace(alipay.app, { timeoutMs: 2_000 })),
    },
    coupons,
    clock,
    policy: { cancelBackoffMs: [0, 2_000, 5_000] },
  });
});
afterAll(async () => {
  await Promise.all([wechat?.stop(), alipay?.stop()]);
  await db?.dispose();
});
afterEach(() => wechat.clearFaults());

let seq = 0;
function request(authCode: string, fen = 500): FacePayRequest {
  seq++;
  return { parkNumber: PARK, outTradeNo: `${PARK}_2_${1000 + seq}_101500`, payChargeFen: fen, plate: '粤B12345', authCode, orderId: String(1000 + seq) };
}
const record = (r: FacePayRequest) => repo.get(faceId(r.parkNumber, r.outTradeNo)).then((p) => p!);
const micropayHits = () => wechat.hits('/pay/micropay').length;
const queryHits = () => wechat.hits('/pay/orderquery').length;
const second = () => clock.advance(1_000);

describe('4.24 charges', () => {
  it('a WeChat code that pays at once → paid (payContent fields), charged once', async () => {
    const req = request(wechat.micropay.issueCode({ openid: 'oBooth1' }).code, 1250);
    const a = await face.pay(req);
    expect(a.kind).toBe('paid');
    if (a.kind !== 'paid') return;
    expect(a.payment).toMatchObject({ provider: 'wechat', status: 'paid', amountFen: 1250, outTradeNo: req.outTradeNo, attempt: 1 });
    expect(a.payment.paymentNo).toMatch(/^FP\d{12}[0-9A-Z]{8}$/);
    expect(a.payment.payment).toMatchObject({ paidFen: 1250, userId: 'oBooth1' });
    expect(wechat.micropay.order(a.payment.paymentNo)).toMatchObject({ state: 'SUCCESS', totalFen: 1250 });
    // The code itself is not kept.
    expect(JSON.stringify(await record(req))).not.toContain(req.authCode);
  });

  it('an Alipay code that pays at once → paid', async () => {
    const req = request(alipay.paymentCode('booth-a').code, 800);
    const a = await face.pay(req);
    expect(a).toMatchObject({ kind: 'paid', payment: { provider: 'alipay', payment: { paidFen: 800, userId: alipay.user('booth-a').openId } } });
    if (a.kind === 'paid') expect(alipay.trade(a.payment.paymentNo)).toMatchObject({ tradeStatus: 'TRADE_SUCCESS', totalFen: 800 });
  });

  it('repeats of one outTradeNo never charge twice: the same scan again, five at once, while still waiting', async () => {
    const req = request(wechat.micropay.issueCode().code, 300);
    const before = micropayHits();
    const answers = await Promise.all([1, 2, 3, 4, 5].map(() => face.pay(req)));
    expect(micropayHits() - before).toBe(1);
    expect(answers.filter((a) => a.kind === 'paid').length + answers.filter((a) => a.kind === 'userpaying').length).toBe(5);
    expect(await face.pay(req)).toMatchObject({ kind: 'paid' });
    expect(micropayHits() - before).toBe(1);
    expect([...wechat.micropay.orders.values()].filter((o) => o.authCode === req.authCode)).toHaveLength(1);

    // Another amount on the same outTradeNo is refused.
    expect(await face.pay({ ...req, payChargeFen: 301 })).toMatchObject({ kind: 'fail', errorCode: expect.stringMatching(/^trade_conflict/) });
  });

  it('a refused code (NOTENOUGH) takes nothing; the same scan again gets the same refusal; a new code tries again', async () => {
    const req = request(wechat.micropay.issueCode({ behaviour: 'insufficient' }).code, 400);
    expect(await face.pay(req)).toEqual({ kind: 'fail', errorCode: 'pay_failed: NOTENOUGH: 余额不足' });
    const before = micropayHits();
    expect(await face.pay(req)).toEqual({ kind: 'fail', errorCode: 'pay_failed: NOTENOUGH: 余额不足' });
    expect(micropayHits()).toBe(before);
    const again = await face.pay({ ...req, authCode: wechat.micropay.issueCode().code });
    expect(again).toMatchObject({ kind: 'paid', payment: { attempt: 2 } });
    if (again.kind === 'paid') expect(wechat.micropay.order(again.payment.paymentNo).state).toBe('SUCCESS');
  });

  it('wrong codes: neither a payment code nor a coupon code → auth_code_invalid; a WeChat-shaped code WeChat does not know → pay_failed', async () => {
    expect(await face.pay(request('HELLO-123'))).toMatchObject({ kind: 'fail', errorCode: expect.stringMatching(/^auth_code_invalid: /) });
    expect(await face.pay(request('99123456789012345678'))).toMatchObject({ kind: 'fail', errorCode: expect.stringMatching(/^auth_code_invalid: /) });
    expect(await face.pay(request('134567890123456789'))).toMatchObject({ kind: 'fail', errorCode: expect.stringMatching(/^pay_failed: AUTH_CODE_INVALID/) });
    expect(await face.pay(request(alipay.paymentCode('poor', 'insufficient').code))).toMatchObject({ kind: 'fail', errorCode: expect.stringMatching(/^pay_failed: ACQ.BUYER_BALANCE_NOT_ENOUGH/) });
  });

  it('a fixed coupon code of ours → discountContent (idempotent per stay); one that gives nothing says why', async () => {
    const req = request('PPQ7KX2M9A3B1');
    const a = await face.pay(req);
    expect(a).toMatchObject({ kind: 'discount', orderId: req.orderId, plate: '粤B12345', coupon: { couponCode: 'PPQ7KX2M9A3B1', mode: 'hours', amount: 60, id: '7' } });
    expect(await face.pay(req)).toEqual(a);
    expect(await face.pay(request('PPQEXPIRED01'))).toEqual({ kind: 'fail', errorCode: 'coupon_expired: this coupon code expired on 2026-10-01' });
  });
});

describe('USERPAYING, polls and pacing', () => {
  it('the payer confirms while Bluecard polls every second: answered from the record, WeChat asked at most every 3 s, then paid', async () => {
    const req = request(wechat.micropay.issueCode({ behaviour: 'password' }).code, 600);
    expect(await face.pay(req)).toEqual({ kind: 'userpaying' });
    const paymentNo = (await record(req)).paymentNo;
    const q0 = queryHits();
    for (let i = 0; i < 12; i++) {
      second();
      expect(await face.poll(PARK, req.outTradeNo)).toEqual({ kind: 'userpaying' });
    }
    // 12 polls over 12 s: queries at 3, 6, 9, 12 s.
    expect(queryHits() - q0).toBe(4);
    expect((await record(req)).queries).toBe(4);

    wechat.micropay.userPays(paymentNo);
    second();
    expect(await face.poll(PARK, req.outTradeNo)).toEqual({ kind: 'userpaying' }); // not due yet: still the record's word
    second();
    second();
    const paid = await face.poll(PARK, req.outTradeNo);
    expect(paid).toMatchObject({ kind: 'paid', payment: { payment: { paidFen: 600 } } });
    const q1 = queryHits();
    for (let i = 0; i < 5; i++) {
      second();
      expect((await face.poll(PARK, req.outTradeNo)).kind).toBe('paid');
    }
    expect(queryHits()).toBe(q1); // paid: never asked again
  });

  it('concurrent polls of one payment make one provider query', async () => {
    const req = request(wechat.micropay.issueCode({ behaviour: 'password' }).code, 600);
    await face.pay(req);
    clock.advance(3_000);
    const q0 = queryHits();
    const answers = await Promise.all(Array.from({ length: 8 }, () => face.poll(PARK, req.outTradeNo)));
    expect(answers.every((a) => a.kind === 'userpaying')).toBe(true);
    expect(queryHits() - q0).toBe(1);
  });

  it('Alipay 10003 → polls → the buyer confirms → paid', async () => {
    const req = request(alipay.paymentCode('pw', 'password').code, 700);
    expect(await face.pay(req)).toEqual({ kind: 'userpaying' });
    alipay.pay((await record(req)).paymentNo);
    clock.advance(3_000);
    expect(await face.poll(PARK, req.outTradeNo)).toMatchObject({ kind: 'paid', payment: { provider: 'alipay', payment: { paidFen: 700 } } });
  });

  it('a micropay whose answer never came (timeout) is USERPAYING to Bluecard, and the query finds it paid', async () => {
    wechat.inject({ kind: 'timeout', path: '/pay/micropay', applied: true });
    const req = request(wechat.micropay.issueCode().code, 200);
    expect(await face.pay(req)).toEqual({ kind: 'userpaying' });
    clock.advance(3_000);
    expect(await face.poll(PARK, req.outTradeNo)).toMatchObject({ kind: 'paid' });
  });

  it('an unknown outTradeNo is answered trade_unknown', async () => {
    expect(await face.poll(PARK, 'nope')).toMatchObject({ kind: 'fail', errorCode: expect.stringMatching(/^trade_unknown/) });
    expect(await face.cancel(PARK, 'nope')).toMatchObject({ kind: 'fail', errorCode: expect.stringMatching(/^trade_unknown/) });
  });
});

describe('4.26 and the job: no money stays taken', () => {
  it('WeChat: USERPAYING → Bluecard gives up after 5 minutes → 4.26 → the payment the user made meanwhile is reversed (refunded)', async () => {
    const req = request(wechat.micropay.issueCode({ behaviour: 'password' }).code, 900);
    await face.pay(req);
    const paymentNo = (await record(req)).paymentNo;
    clock.advance(5 * 60_000);
    wechat.micropay.userPays(paymentNo); // money taken, and Bluecard never heard of it
    expect(await face.cancel(PARK, req.outTradeNo)).toEqual({ kind: 'cancelled' });
    expect(wechat.micropay.order(paymentNo)).toMatchObject({ state: 'REVOKED', refundedByReverse: true });
    expect(await record(req)).toMatchObject({ status: 'cancelled', cancel: { reason: '4.26', refunded: true } });
    // Afterwards: polls and repeats say cancelled, a second 4.26 is fine.
    expect(await face.poll(PARK, req.outTradeNo)).toMatchObject({ kind: 'fail', errorCode: expect.stringMatching(/^cancelled/) });
    expect(await face.pay(req)).toMatchObject({ kind: 'fail', errorCode: expect.stringMatching(/^cancelled/) });
    expect(await face.cancel(PARK, req.outTradeNo)).toEqual({ kind: 'cancelled' });
  });

  it('Alipay: 10003 → 4.26 → the waiting trade is closed; a paid one is refunded in full', async () => {
    const waiting = request(alipay.paymentCode('w1', 'password').code, 300);
    await face.pay(waiting);
    expect(await face.cancel(PARK, waiting.outTradeNo)).toEqual({ kind: 'cancelled' });
    const w1 = await record(waiting);
    expect(w1).toMatchObject({ status: 'cancelled', cancel: { refunded: false } });
    expect(alipay.trade(w1.paymentNo)).toMatchObject({ tradeStatus: 'TRADE_CLOSED', refundedFen: 0 });

    const paid = request(alipay.paymentCode('w2', 'password').code, 450);
    await face.pay(paid);
    alipay.pay((await record(paid)).paymentNo);
    expect(await face.cancel(PARK, paid.outTradeNo)).toEqual({ kind: 'cancelled' });
    const p2 = await record(paid);
    expect(p2).toMatchObject({ status: 'cancelled', cancel: { refunded: true } });
    expect(alipay.trade(p2.paymentNo)).toMatchObject({ tradeStatus: 'TRADE_CLOSED', refundedFen: 450 });
  });

  it('reverse answering recall=Y is called again at once', async () => {
    const req = request(wechat.micropay.issueCode({ behaviour: 'password' }).code, 100);
    await face.pay(req);
    wechat.inject({ kind: 'error', status: 200, code: 'SYSTEMERROR', path: '/secapi/pay/reverse', times: 2 });
    const before = wechat.hits('/secapi/pay/reverse').length;
    expect(await face.cancel(PARK, req.outTradeNo)).toEqual({ kind: 'cancelled' });
    expect(wechat.hits('/secapi/pay/reverse').length - before).toBe(3);
    expect(await record(req)).toMatchObject({ status: 'cancelled' });
  });

  it('a cancel WeChat cannot do now is answered success and finished by the job with backoff', async () => {
    const req = request(wechat.micropay.issueCode({ behaviour: 'password' }).code, 100);
    await face.pay(req);
    const paymentNo = (await record(req)).paymentNo;
    wechat.inject({ kind: 'http500', path: '/secapi/pay/reverse', times: 2 });
    expect(await face.cancel(PARK, req.outTradeNo)).toEqual({ kind: 'cancelled' });
    expect(await record(req)).toMatchObject({ status: 'cancelling', cancel: { attempts: 1, lastError: expect.stringContaining('HTTP 500') } });
    expect(wechat.micropay.order(paymentNo).state).toBe('USERPAYING');
    await face.sweep(); // not due yet (2 s backoff after the first failure)
    expect((await record(req)).cancel!.attempts).toBe(1);
    clock.advance(2_000);
    await face.sweep(); // second failure
    expect(await record(req)).toMatchObject({ status: 'cancelling', cancel: { attempts: 2 } });
    clock.advance(5_000);
    await face.sweep();
    expect(await record(req)).toMatchObject({ status: 'cancelled', cancel: { attempts: 3 } });
    expect(wechat.micropay.order(paymentNo).state).toBe('REVOKED');
  });

  it('nobody polls or cancels: after the deadline the job reverses the USERPAYING payment', async () => {
    const req = request(wechat.micropay.issueCode({ behaviour: 'password' }).code, 100);
    await face.pay(req);
    const paymentNo = (await record(req)).paymentNo;
    clock.advance(5 * 60_000);
    await face.sweep();
    expect((await record(req)).status).toBe('waiting'); // Bluecard may still send 4.26 during the grace
    clock.advance(face.policy.graceMs);
    await face.sweep();
    expect(await record(req)).toMatchObject({ status: 'cancelled', cancel: { reason: 'deadline', refunded: false } });
    expect(wechat.micropay.order(paymentNo).state).toBe('REVOKED');
  });

  it('a payment Bluecard was never told of is given back after the deadline; a reported one is kept', async () => {
    const unreported = request(alipay.paymentCode('u1').code, 250);
    await face.pay(unreported); // paid, but the answer never reached Bluecard (no markReported)
    const reported = request(alipay.paymentCode('u2').code, 250);
    const a = await face.pay(reported);
    if (a.kind === 'paid') await face.markReported(a.payment);
    clock.advance(face.policy.pollWindowMs + face.policy.graceMs);
    await face.sweep();
    const u = await record(unreported);
    expect(u).toMatchObject({ status: 'cancelled', cancel: { reason: 'unreported', refunded: true } });
    expect(alipay.trade(u.paymentNo)).toMatchObject({ refundedFen: 250 });
    const r = await record(reported);
    expect(r.status).toBe('paid');
    expect(alipay.trade(r.paymentNo)).toMatchObject({ tradeStatus: 'TRADE_SUCCESS', refundedFen: 0 });
  });
});
