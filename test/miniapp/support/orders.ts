import type { OrderView, PayParamsView } from '../../../shared/api/orders';

export function order(status: OrderView['status'], over: Partial<OrderView> = {}): OrderView {
  const now = new Date('2026-11-28T10:00:00Z');
  return {
    orderNo: 'PP2611281000001',
    kind: 'prepay',
    parkNumber: 'p_demo_001',
    plate: '京A12345',
    status,
    amountFen: 400,
    fee: { inTime: '2026-11-28 16:45:00', stopMinutes: 75, chargeFen: 400, paidFen: 0, discountFen: 0, paidFreeMinutes: 15 },
    wallet: status === 'quoted' ? null : 'wechat',
    createdAt: now.toISOString(),
    expiresAt: new Date(now.getTime() + 600_000).toISOString(),
    paidAt: ['paid', 'delivered'].includes(status) ? now.toISOString() : null,
    deliveredAt: status === 'delivered' ? now.toISOString() : null,
    leaveBy: status === 'delivered' ? new Date(now.getTime() + 15 * 60_000).toISOString() : null,
    refund: null,
    closedReason: null,
    ...over,
  };
}

export const wechatPay: Extract<PayParamsView, { wallet: 'wechat' }> = {
  wallet: 'wechat',
  requestPayment: { appId: 'wxsandbox', timeStamp: '1764324000', nonceStr: 'n1', package: 'prepay_id=wx1', signType: 'RSA', paySign: 'sig' },
};
