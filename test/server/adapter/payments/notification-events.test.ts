/**
 * The gateways read verified notifications into PaymentEvents: refusals for what is not verified or not
 * ours (app, merchant, seller), nothing for what the order service does not need, and the payment or
 * refund otherwise — with no amount or time made up where the provider left them out. The adapters'
 * verification is stood in for (it has its own tests); what is read from its result is tested here.
 */
import type { AlipayAdapter, AlipayNotification } from '../../../../server/src/adapter/alipay';
import { AlipayPaymentGateway } from '../../../../server/src/adapter/payments/alipay-gateway';
import { type RefundNotification, type TransactionNotification, WechatNotificationReader } from '../../../../server/src/adapter/wechatpay';

const received = { headers: { 'wechatpay-serial': 'S' }, rawBody: '{}', body: {} };

function wechatWith(payment: () => Partial<TransactionNotification>, refund: () => Partial<RefundNotification> = () => ({})) {
  return new WechatNotificationReader(
    { appId: 'wxapp', mchId: '1900000001' },
    { transaction: async () => payment() as TransactionNotification, refund: async () => refund() as RefundNotification },
  );
}

const tx = (over: Record<string, unknown> = {}) => ({
  id: 'notification-1',
  eventType: 'TRANSACTION.SUCCESS',
  status: 'paid' as const,
  transaction: { appid: 'wxapp', mchid: '1900000001', out_trade_no: 'PP1', transaction_id: '4200001', trade_state: 'SUCCESS', success_time: '2026-11-28T10:00:00+08:00', amount: { total: 400 }, ...over },
});

describe('WeChat payment notifications', () => {
  it('a verification failure is refused as unverified, with its reason', async () => {
    const g = wechatWith(() => {
      throw new Error('the signature does not verify');
    });
    expect(await g.paymentNotification(received)).toEqual({ ok: false, refusal: 'unverified', reason: 'the signature does not verify' });
  });

  it('anything but a successful payment means nothing to the order service', async () => {
    expect(await wechatWith(() => ({ ...tx(), status: 'pending' as never })).paymentNotification(received)).toEqual({ ok: true });
    expect(await wechatWith(() => ({ ...tx(), eventType: 'TRANSACTION.CLOSED' })).paymentNotification(received)).toEqual({ ok: true });
  });

  it('another app or merchant is not ours; another amount is the order service’s business', async () => {
    const other = await wechatWith(() => tx({ appid: 'wxother' })).paymentNotification(received);
    expect(other).toMatchObject({ ok: false, refusal: 'not_ours', detail: { outTradeNo: 'PP1', mismatches: [{ field: 'appid', expected: 'wxapp', actual: 'wxother' }] } });
    const merchant = await wechatWith(() => tx({ mchid: '1900000002' })).paymentNotification(received);
    expect(merchant).toMatchObject({ ok: false, refusal: 'not_ours' });
    const amount = await wechatWith(() => tx({ amount: { total: 1 } })).paymentNotification(received);
    expect(amount).toEqual({ ok: true, event: { kind: 'paid', provider: 'wechat', orderNo: 'PP1', transactionId: '4200001', paidFen: 1, paidAt: new Date('2026-11-28T02:00:00Z') } });
  });

  it('what WeChat left out stays out (no amount, no time); its notification id stands in for a missing transaction id', async () => {
    const v = await wechatWith(() => tx({ amount: undefined, success_time: undefined, transaction_id: undefined })).paymentNotification(received);
    expect(v).toEqual({ ok: true, event: { kind: 'paid', provider: 'wechat', orderNo: 'PP1', transactionId: 'notification-1' } });
  });
});

describe('WeChat refund notifications', () => {
  const refund = (eventType: string, over: Record<string, unknown> = {}) => () => ({
    id: 'n2',
    eventType,
    refund: { mchid: '1900000001', out_trade_no: 'PP1', out_refund_no: 'PP1R1', refund_status: 'SUCCESS', success_time: '2026-11-28T10:05:00+08:00', ...over } as never,
  });
  const g = (r: () => Partial<RefundNotification>) => wechatWith(() => tx(), r);

  it('reads the three results into the refund outcome', async () => {
    expect(await g(refund('REFUND.SUCCESS')).refundNotification(received)).toEqual({
      ok: true,
      event: { kind: 'refund', provider: 'wechat', orderNo: 'PP1', refundNo: 'PP1R1', outcome: { state: 'done', at: new Date('2026-11-28T02:05:00Z') } },
    });
    expect(await g(refund('REFUND.SUCCESS', { success_time: undefined })).refundNotification(received)).toMatchObject({ event: { outcome: { state: 'done' } } });
    expect(await g(refund('REFUND.ABNORMAL')).refundNotification(received)).toMatchObject({ event: { outcome: { state: 'abnormal' } } });
    expect(await g(refund('REFUND.CLOSED')).refundNotification(received)).toMatchObject({ event: { outcome: { state: 'closed' } } });
    expect(await g(refund('REFUND.SOMETHING_NEW')).refundNotification(received)).toEqual({ ok: true });
  });

  it('another merchant is not ours (before the event type is read); a verification failure is unverified', async () => {
    expect(await g(refund('REFUND.SOMETHING_NEW', { mchid: '1900000002' })).refundNotification(received)).toMatchObject({ ok: false, refusal: 'not_ours', detail: { outRefundNo: 'PP1R1', mchid: '1900000002' } });
    const broken = g(() => {
      throw new Error('the GCM tag does not verify');
    });
    expect(await broken.refundNotification(received)).toEqual({ ok: false, refusal: 'unverified', reason: 'the GCM tag does not verify' });
  });
});

describe('Alipay payment notifications', () => {
  const notification = (over: Partial<AlipayNotification> = {}): AlipayNotification => ({
    notifyId: 'n1',
    notifyType: 'trade_status_sync',
    appId: '2021000000000001',
    tradeNo: '2026112822001',
    outTradeNo: 'PP1',
    tradeStatus: 'TRADE_SUCCESS',
    status: 'paid',
    totalFen: 400,
    sellerId: '2088000000000001',
    gmtPayment: new Date('2026-11-28T02:00:00Z'),
    fields: {},
    ...over,
  });
  const gateway = (verdict: ReturnType<AlipayAdapter['verifyNotification']>, sellerId?: string) =>
    new AlipayPaymentGateway({ appId: '2021000000000001', sellerId, verifyNotification: () => verdict } as unknown as AlipayAdapter, 'https://example.test/notify/alipay');

  it('a refused verification is unverified, with its reason', async () => {
    expect(await gateway({ ok: false, reason: 'bad_signature', detail: 'x' }).paymentNotification(received)).toEqual({ ok: false, refusal: 'unverified', reason: 'bad_signature' });
  });

  it('a trade not paid means nothing to the order service', async () => {
    expect(await gateway({ ok: true, notification: notification({ status: 'pending', tradeStatus: 'WAIT_BUYER_PAY' }) }).paymentNotification(received)).toEqual({ ok: true });
  });

  it('another app or seller is not ours; the amount and time are read as sent', async () => {
    expect(await gateway({ ok: true, notification: notification({ appId: '2021000000000002' }) }).paymentNotification(received)).toMatchObject({ ok: false, refusal: 'not_ours' });
    expect(await gateway({ ok: true, notification: notification() }, '2088000000009999').paymentNotification(received)).toMatchObject({ ok: false, refusal: 'not_ours' });
    expect(await gateway({ ok: true, notification: notification({ totalFen: 1, gmtPayment: undefined }) }, '2088000000000001').paymentNotification(received)).toEqual({
      ok: true,
      event: { kind: 'paid', provider: 'alipay', orderNo: 'PP1', transactionId: '2026112822001', paidFen: 1 },
    });
  });
});
