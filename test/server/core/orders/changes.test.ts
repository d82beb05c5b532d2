/** The order's table of states and moves, read as data, and every change core builds checked against it. */
import * as changes from '../../../../server/src/core/orders/changes';
import { ORDER_MOVES } from '../../../../server/src/core/orders/changes';
import { FINISHED_ORDER, orderDue, type Order, type OrderStatus } from '../../../../server/src/core/orders/model';
import { canMove, change, finalStates, IllegalMove } from '../../../../server/src/core/state';

const now = new Date(Date.UTC(2026, 11, 1, 2, 0, 0));
const statuses = Object.keys(ORDER_MOVES) as OrderStatus[];
const payment = { provider: 'wechat' as const, transactionId: 'tx', paidFen: 400, paidAt: now, via: 'notification' as const };
const delivery = { transactionID: 'PP1', state: 'pending' as const, attempts: 0, refusals: 0, nextAttemptAt: now };
const refund = { refundNo: 'PP1R1', reason: 'lot_refused: x', fen: 400, state: 'pending' as const, attempts: 0, nextAttemptAt: now };

/** An order in `status`, as far as orderDue reads one. */
const inStatus = (status: OrderStatus) =>
  ({ status, expiresAt: now, delivery: { ...delivery, state: status === 'paid' ? 'pending' : 'done' }, refund: { ...refund, state: status === 'refunding' ? 'pending' : 'done' } }) as unknown as Order;

describe('the order table', () => {
  it('names every status, and every move leads to one of them', () => {
    expect(statuses.sort()).toEqual(['closed', 'delivered', 'paid', 'pending', 'quoted', 'refunded', 'refunding']);
    for (const s of statuses) for (const t of ORDER_MOVES[s]) expect(statuses).toContain(t);
  });

  it('the states the job stops looking at are the finished ones; no move leaves refunded', () => {
    expect(statuses.filter((s) => orderDue(inStatus(s), now) === undefined).sort()).toEqual([...FINISHED_ORDER].sort());
    expect(finalStates(ORDER_MOVES)).toEqual(['refunded']);
  });

  it('a finished order moves again only on news from outside (a late payment, a refund of a delivered payment)', () => {
    const reopening = FINISHED_ORDER.flatMap((s) => ORDER_MOVES[s].map((t) => `${s}→${t}`));
    expect(reopening.sort()).toEqual(['closed→paid', 'closed→refunding', 'delivered→refunding']);
  });

  it('money only leaves through refunding, and only a paid order reaches the lot', () => {
    const into = (t: OrderStatus) => statuses.filter((s) => s !== t && canMove(ORDER_MOVES, s, t)).sort();
    expect(into('refunded')).toEqual(['refunding']);
    expect(into('delivered')).toEqual(['paid']);
  });

  it('refuses a move the table does not allow', () => {
    expect(() => change('order', ORDER_MOVES, { from: ['refunded'], to: 'paid', set: {} })).toThrow(IllegalMove);
    expect(() => change('order', ORDER_MOVES, { from: ['delivered'], to: 'closed', set: {} })).toThrow("order: no move from 'delivered' to 'closed'");
  });
});

describe('the changes core makes', () => {
  it('are all allowed by the table (each is checked when it is built)', () => {
    const built = [
      changes.closeOrder(['quoted', 'pending'], 'cancelled', now),
      changes.closeOrder(['pending'], 'being_paid: order PP2', now, { gatewayAbsent: true }),
      changes.startPayment('wechat', now, now),
      changes.providerOrder({ prepayId: 'wx1' }, now),
      changes.asked(now),
      changes.recordPayment(['quoted', 'pending', 'closed'], payment, delivery, now),
      changes.refundUnmatched(payment, refund, now),
      changes.refundDelivered(refund, now),
      changes.collectedByLot(now),
      changes.refundDone({ owner: 'w' }, now, now),
      changes.refundDone({ refundNo: 'PP1R1' }, now, now),
      changes.refundNotified('PP1R1', { lastError: 'processing at the provider' }),
    ];
    for (const c of built) for (const f of c.from) if (c.to) expect(canMove(ORDER_MOVES, f, c.to)).toBe(true);
    const releases = [
      changes.delivered('w', now),
      changes.retryDelivery('w', now, 'timeout', { refusals: 1 }),
      changes.abandonDelivery('w', refund, now),
      changes.refundLearned('w', { attempts: 0 }),
    ];
    expect(releases.map((r) => [r.which, r.to ?? null])).toEqual([
      ['delivery', 'delivered'],
      ['delivery', null],
      ['delivery', 'refunding'],
      ['refund', null],
    ]);
  });

  it('say their conditions as data, not as storage queries', () => {
    expect(changes.recordPayment(['quoted', 'pending'], payment, delivery, now).when).toEqual({ amountFen: 400 });
    expect(changes.collectedByLot(now).when).toEqual({ deliveryFreeAt: now });
    expect(changes.refundDone({ owner: 'w' }, now, now).when).toEqual({ lease: { which: 'refund', owner: 'w' } });
    expect(changes.refundDone({ refundNo: 'PP1R2' }, now, now).when).toEqual({ refundNo: 'PP1R2' });
  });
});
