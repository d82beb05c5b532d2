/**
 * Refunds of vehicle-parking deductions through the WeChat Pay sandbox: WechatParkingAdapter.refund /
 * queryRefund (signed requests, verified answers, sub_mchid in service-provider mode) and the withholding
 * gateway's refund (the WithholdingGateway contract: idempotent per refundNo, PROCESSING → pending,
 * SUCCESS → refunded, CLOSED / ABNORMAL → failed, forged answers refused).
 */
import { WechatParkingAdapter, WechatPayAdapter, WechatPayError } from '../../../../server/src/adapter/wechatpay';
import { createWechatWithholdingGateway, type WechatWithholdingGateway } from '../../../../server/src/adapter/payments/wechat-withholding';
import type { AgreementRef } from '../../../../server/src/core/agreements/gateways';
import { ManualClock } from '../../../../server/src/core/clock';
import { startWechatPaySandbox } from '../../../../server/sandbox/wechatpay';

let seq = 0;
const no = (p: string) => `${p}${Date.now().toString(36).toUpperCase()}${++seq}`;
const ref = (plate: string): AgreementRef => ({ signNo: `wx:${plate}`, plate, payer: { openId: `o${plate}` } });

async function world(o: { subMchid?: string } = {}) {
  const clock = new ManualClock(Date.now());
  const sandbox = await startWechatPaySandbox({ mode: 'publicKey', clock, timeScale: 1000, refundSettleMs: null, parking: { settle: 'sync', ...(o.subMchid ? { subMchid: o.subMchid } : {}) } });
  const pay = new WechatPayAdapter({ config: sandbox.merchant, clock, timeoutMs: 2_000 });
  /** The same merchant's parking adapter, for making requests by hand. */
  const parking = new WechatParkingAdapter({ pay, config: sandbox.merchant, clock, ...(o.subMchid ? { subMchid: o.subMchid } : {}) });
  const gateway = createWechatWithholdingGateway({
    wechatPay: pay,
    wechatPayConfig: sandbox.merchant,
    parking: { notifyUrl: 'http://127.0.0.1:9/notify/wechatpay/parking', ...(o.subMchid ? { subMchid: o.subMchid } : {}) },
    clock,
  });
  /** A paid deduction of `fen` for a plate. */
  const paid = async (plate: string, fen = 500) => {
    sandbox.parking.openService({ openid: `o${plate}`, plateNumber: plate });
    const outTradeNo = no('PW');
    const r = await gateway.deduct({
      outTradeNo,
      agreement: ref(plate),
      amountFen: fen,
      parkNumber: 'p_demo_001',
      parkName: '示例停车场',
      enteredAt: new Date(clock.now() - 3600_000),
      leftAt: new Date(clock.now() - 1000),
      description: `停车费 ${plate}`,
    });
    expect(r.status).toBe('paid');
    return outTradeNo;
  };
  const refundHits = () => sandbox.hits().filter((h) => h.method === 'POST' && h.path === '/v3/refund/domestic/refunds');
  return { clock, sandbox, gateway, parking, paid, refundHits };
}

describe('direct merchant', () => {
  let w: Awaited<ReturnType<typeof world>>;
  let gateway: WechatWithholdingGateway;
  beforeAll(async () => {
    w = await world();
    gateway = w.gateway;
  });
  afterEach(() => w.sandbox.clearFaults());
  afterAll(() => w.sandbox.stop());

  it('PROCESSING → pending; asked again with the same refundNo: no second request, refunded once WeChat is done, the deduction REFUND', async () => {
    const outTradeNo = await w.paid('苏A70001');
    const refundNo = no('RF');
    const before = w.refundHits().length;
    expect(await gateway.refund({ outTradeNo, refundNo, refundFen: 500, totalFen: 500, reason: '停车场未收到扣款结果，已退回' })).toMatchObject({ status: 'pending', refundId: expect.any(String) });
    expect(await gateway.refund({ outTradeNo, refundNo, refundFen: 500, totalFen: 500, reason: '停车场未收到扣款结果，已退回' })).toMatchObject({ status: 'pending' });
    expect(w.refundHits().length - before).toBe(1);
    w.sandbox.settleRefund(refundNo, 'SUCCESS');
    expect(await gateway.refund({ outTradeNo, refundNo, refundFen: 500, totalFen: 500, reason: 'x' })).toMatchObject({ status: 'refunded', refundedAt: expect.any(Date) });
    expect(w.sandbox.refunds().filter((r) => r.outTradeNo === outTradeNo)).toEqual([expect.objectContaining({ outRefundNo: refundNo, refundFen: 500, reason: '停车场未收到扣款结果，已退回' })]);
    expect(w.sandbox.parking.transactions().find((t) => t.outTradeNo === outTradeNo)).toMatchObject({ state: 'REFUND', refundedFen: 500 });
    // The refunded deduction still reads as paid (the money was taken; the refund is tracked apart).
    expect((await gateway.queryDeduction(outTradeNo)).status).toBe('paid');
  });

  it('CLOSED and ABNORMAL are failed with the reason; an unpaid deduction is refused (thrown: nothing to give back)', async () => {
    const a = await w.paid('苏A70002');
    const ra = no('RF');
    await gateway.refund({ outTradeNo: a, refundNo: ra, refundFen: 500, totalFen: 500, reason: 'r' });
    w.sandbox.settleRefund(ra, 'CLOSED');
    expect(await gateway.refund({ outTradeNo: a, refundNo: ra, refundFen: 500, totalFen: 500, reason: 'r' })).toMatchObject({ status: 'failed', reason: expect.stringMatching(/^CLOSED/) });
    const rb = no('RF');
    await gateway.refund({ outTradeNo: a, refundNo: rb, refundFen: 500, totalFen: 500, reason: 'r' });
    w.sandbox.settleRefund(rb, 'ABNORMAL');
    expect(await gateway.refund({ outTradeNo: a, refundNo: rb, refundFen: 500, totalFen: 500, reason: 'r' })).toMatchObject({ status: 'failed', reason: expect.stringMatching(/^ABNORMAL/) });

    w.sandbox.parking.setSettleMode('async', null);
    try {
      w.sandbox.parking.openService({ openid: 'o苏A70003', plateNumber: '苏A70003' });
      const accepted = no('PW');
      const r = await gateway.deduct({ outTradeNo: accepted, agreement: ref('苏A70003'), amountFen: 300, parkNumber: 'p', parkName: 'p', enteredAt: new Date(w.clock.now() - 60_000), leftAt: new Date(w.clock.now() - 1000), description: 'd' });
      expect(r.status).toBe('accepted');
      await expect(gateway.refund({ outTradeNo: accepted, refundNo: no('RF'), refundFen: 300, totalFen: 300, reason: 'r' })).rejects.toMatchObject({ kind: 'business', code: 'INVALID_REQUEST' });
    } finally {
      w.sandbox.parking.setSettleMode('sync');
    }
  });

  it('a lost answer (timeout after WeChat did the work) → the retry finds the refund and asks for nothing more; a forged answer is refused', async () => {
    const outTradeNo = await w.paid('苏A70004');
    const refundNo = no('RF');
    w.sandbox.inject({ kind: 'timeout', path: '/v3/refund/domestic/refunds', applied: true, times: 1 });
    const lost = w.parking.refund({ outTradeNo, outRefundNo: refundNo, refundFen: 500, totalFen: 500, reason: 'r' });
    await expect(lost).rejects.toMatchObject({ kind: 'timeout' });
    const before = w.refundHits().length;
    expect((await gateway.refund({ outTradeNo, refundNo, refundFen: 500, totalFen: 500, reason: 'r' })).status).toBe('pending');
    expect(w.refundHits().length).toBe(before);
    expect(w.sandbox.refunds().filter((r) => r.outTradeNo === outTradeNo)).toHaveLength(1);

    const other = await w.paid('苏A70005');
    w.sandbox.inject({ kind: 'badSignature', path: '/v3/refund/domestic/refunds', times: 2 });
    await expect(gateway.refund({ outTradeNo: other, refundNo: no('RF'), refundFen: 500, totalFen: 500, reason: 'r' })).rejects.toMatchObject({ kind: 'bad_signature' });
  });

  it('the adapter: the same out_refund_no again is answered with the same refund; another amount under it is refused', async () => {
    const outTradeNo = await w.paid('苏A70007', 800);
    const refundNo = no('RF');
    const first = await w.parking.refund({ outTradeNo, outRefundNo: refundNo, refundFen: 300, totalFen: 800 });
    expect(first).toMatchObject({ refundStatus: 'PROCESSING', outRefundNo: refundNo, outTradeNo, refundFen: 300, alreadyExisted: false });
    expect((await w.parking.refund({ outTradeNo, outRefundNo: refundNo, refundFen: 300, totalFen: 800 })).refundId).toBe(first.refundId);
    await expect(w.parking.refund({ outTradeNo, outRefundNo: refundNo, refundFen: 400, totalFen: 800 })).rejects.toBeInstanceOf(WechatPayError);
    await expect(w.parking.refund({ outTradeNo, outRefundNo: 'bad no!', refundFen: 1, totalFen: 800 })).rejects.toMatchObject({ kind: 'invalid_request' });
    await expect(w.parking.queryRefund(no('RF'))).rejects.toMatchObject({ kind: 'business', httpStatus: 404 });
  });

  it('the reason is cut to WeChat’s 80 bytes on whole characters', async () => {
    const outTradeNo = await w.paid('苏A70006');
    const refundNo = no('RF');
    await gateway.refund({ outTradeNo, refundNo, refundFen: 500, totalFen: 500, reason: '退'.repeat(40) });
    expect(w.sandbox.refunds().find((r) => r.outRefundNo === refundNo)!.reason).toBe('退'.repeat(26));
  });
});

describe('service provider (sub_mchid)', () => {
  it('the adapter names the sub-merchant in the refund and its query', async () => {
    const w = await world({ subMchid: '1900000109' });
    try {
      const outTradeNo = await w.paid('粤B70001');
      const refundNo = no('RF');
      expect((await w.gateway.refund({ outTradeNo, refundNo, refundFen: 500, totalFen: 500, reason: 'r' })).status).toBe('pending');
      w.sandbox.settleRefund(refundNo, 'SUCCESS');
      expect((await w.gateway.refund({ outTradeNo, refundNo, refundFen: 500, totalFen: 500, reason: 'r' })).status).toBe('refunded');
      expect(w.sandbox.hits().some((h) => h.path === `/v3/refund/domestic/refunds/${refundNo}?sub_mchid=1900000109` && h.status === 200)).toBe(true);
    } finally {
      await w.sandbox.stop();
    }
  });
});
