/**
 * OrderService.onPaymentEvent: what a gateway read from a notification becomes a payment (or a refund's
 * result) on the order service's own terms — the time of a payment the provider did not date is the
 * service's clock, an amount the provider did not state is no amount of the order. The repository is a
 * stand-in that records the write it is asked for (the writes themselves are tested on the engine in
 * orders.test.ts).
 */
import { ManualClock } from '../../../../server/src/core/clock';
import type { OrderChange } from '../../../../server/src/core/orders/changes';
import type { PaymentGateway } from '../../../../server/src/core/orders/gateways';
import type { Order, OrderRepository } from '../../../../server/src/core/orders/model';
import { OrderService } from '../../../../server/src/core/orders/orders';

function service(order: Partial<Order> | undefined) {
  const clock = new ManualClock(Date.UTC(2026, 10, 28, 2, 0, 0));
  const writes: { orderNo: string; change: OrderChange }[] = [];
  const queries: string[] = [];
  const orders = {
    applyPayment: async (orderNo: string, change: OrderChange) => {
      writes.push({ orderNo, change });
      return order && order.amountFen === change.when?.amountFen ? ({ ...order, ...change.set, status: change.to } as Order) : undefined;
    },
    get: async () => (order ? ({ ...order } as Order) : undefined),
  } as unknown as OrderRepository;
  const gateway = {
    provider: 'wechat',
    query: async (no: string) => {
      queries.push(no);
      return { status: 'pending' };
    },
  } as unknown as PaymentGateway;
  const s = new OrderService({ orders, parks: {} as never, stays: {} as never, lot: {} as never, gateways: { wechat: gateway }, clock });
  return { s, clock, writes, queries };
}

const ORDER: Partial<Order> = { orderNo: 'PP1', parkNumber: 'P1', status: 'pending', amountFen: 400 };

it('a payment the provider did not date is dated by the service’s clock', async () => {
  const { s, clock, writes } = service(ORDER);
  clock.advance(90_000);
  expect(await s.onPaymentEvent({ kind: 'paid', provider: 'wechat', orderNo: 'PP1', transactionId: 'T1', paidFen: 400 })).toBe('applied');
  expect(writes).toHaveLength(1);
  expect(writes[0]!.change.set.payment).toEqual({ provider: 'wechat', transactionId: 'T1', paidFen: 400, paidAt: new Date(clock.now()), via: 'notification', recordedAt: new Date(clock.now()) });
});

it('a dated payment keeps the provider’s time', async () => {
  const { s, writes } = service(ORDER);
  const paidAt = new Date(Date.UTC(2026, 10, 28, 1, 59, 0));
  expect(await s.onPaymentEvent({ kind: 'paid', provider: 'wechat', orderNo: 'PP1', transactionId: 'T1', paidFen: 400, paidAt })).toBe('applied');
  expect(writes[0]!.change.set.payment!.paidAt).toEqual(paidAt);
});

it('a payment without an amount is not the order’s amount: the provider is asked, nothing is recorded from the notification', async () => {
  const { s, writes, queries } = service(ORDER);
  expect(await s.onPaymentEvent({ kind: 'paid', provider: 'wechat', orderNo: 'PP1', transactionId: 'T1' })).toBe('duplicate');
  expect(writes.map((w) => w.change.when?.amountFen)).toEqual([0]);
  expect(queries).toEqual(['PP1']);
});

it('an order we do not know is unknown, for payments and refunds', async () => {
  const { s } = service(undefined);
  expect(await s.onPaymentEvent({ kind: 'paid', provider: 'wechat', orderNo: 'PPX', transactionId: 'T1', paidFen: 400 })).toBe('unknown');
  expect(await s.onPaymentEvent({ kind: 'refund', provider: 'wechat', orderNo: 'PPX', refundNo: 'PPXR1', outcome: { state: 'done' } })).toBe('unknown');
});
