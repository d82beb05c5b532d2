/**
 * The dashboard's reads on the real engine (repository/dashboard.ts): a China day's payments of a park from
 * orders, booth payments and lane deductions (from its first millisecond, up to but not including the
 * next day's), refunded amounts as given back; the paid orders the lot has not acknowledged; the refunds in
 * progress and their money.
 */
import { chinaDay } from '../../../server/src/core/reconciliation/daily';
import type { Order, OrderStatus } from '../../../server/src/core/orders/model';
import { MongoDashboardQueries } from '../../../server/src/repository/dashboard';
import { MongoOrderRepository } from '../../../server/src/repository/orders';
import { openTestDatabase, type TestDatabase } from '../../support/db';

let db: TestDatabase;
let orders: MongoOrderRepository;
let queries: MongoDashboardQueries;
beforeAll(async () => {
  db = await openTestDatabase('dashboard');
  orders = new MongoOrderRepository(db.connection);
  await orders.init();
  queries = new MongoDashboardQueries(db.connection);
});
afterAll(async () => {
  await db.dispose();
});

const cn = (s: string) => new Date(`${s}+08:00`);
let n = 0;
const park = () => `PD${++n}`;

async function order(parkNumber: string, status: OrderStatus, o: { paidAt?: string; fen?: number; provider?: 'wechat' | 'alipay'; refundFen?: number; kind?: Order['kind'] } = {}) {
  const i = ++n;
  const fen = o.fen ?? 500;
  const created = cn('2026-12-01T00:00:00');
  await orders.insert({
    orderNo: `PPDASH${String(i).padStart(8, '0')}`,
    driverId: 'drv',
    kind: o.kind ?? 'prepay',
    parkNumber,
    orderId: `stay-${i}`,
    plate: '京A12345',
    outTradeNo: `${parkNumber}_1_stay-${i}_100000`,
    quote: { chargeFen: fen, paidTotalFen: 0, profitChargeTotalFen: 0, payFen: fen, inTime: '', getTime: '', stopMinutes: 60, paidFreeMinutes: 0, profitMinutes: 0, imgName: '' },
    amountFen: fen,
    status,
    expiresAt: new Date(created.getTime() + 300_000),
    createdAt: created,
    updatedAt: created,
    ...(o.paidAt ? { payment: { provider: o.provider ?? 'wechat', transactionId: `tx${i}`, paidFen: fen, paidAt: cn(o.paidAt), via: 'notification' as const } } : {}),
    ...(o.refundFen !== undefined
      ? { refund: { refundNo: `R${i}`, reason: 'r', fen: o.refundFen, state: status === 'refunded' ? ('done' as const) : ('pending' as const), attempts: 0, nextAttemptAt: created } }
      : {}),
  });
}
async function booth(parkNumber: string, status: string, o: { paidAt?: string; fen?: number; refunded?: boolean } = {}) {
  const i = ++n;
  await db.connection.collection('face_payments').insertOne({
    parkNumber,
    orderId: `S${i}`,
    plate: '京B12345',
    provider: 'alipay',
    paymentNo: `FP${i}`,
    status,
    ...(o.paidAt ? { payment: { paidFen: o.fen ?? 300, paidAt: cn(o.paidAt) } } : {}),
    ...(o.refunded !== undefined ? { cancel: { refunded: o.refunded, requestedAt: cn('2026-12-05T12:00:00') } } : {}),
  });
}
async function deduction(parkNumber: string, state: string, o: { paidAt?: string; fen?: number; refund?: { state: string; amountFen?: number } } = {}) {
  const i = ++n;
  await db.connection.collection('agreement_deductions').insertOne({
    parkNumber,
    outTradeNo: `${parkNumber}_1_stay-d${i}_100000`,
    plate: '京C12345',
    amountFen: o.fen ?? 700,
    via: '4.16',
    state,
    attempt: { tradeNo: `WD${i}`, provider: 'wechat' },
    ...(o.paidAt ? { paidFen: o.fen ?? 700, paidAt: cn(o.paidAt) } : {}),
    ...(o.refund ? { refund: o.refund } : {}),
  });
}
const sorted = <T>(xs: T[]) => xs.map((x) => JSON.stringify(x)).sort();

describe('the day’s payments', () => {
  it('a China day runs from its midnight up to the next one, whatever day UTC says', async () => {
    const P = park();
    await order(P, 'delivered', { paidAt: '2026-12-04T23:59:59.999', fen: 1 });
    await order(P, 'delivered', { paidAt: '2026-12-05T00:00:00.000', fen: 2 });
    // 07:00 in China is the evening before in UTC.
    await order(P, 'delivered', { paidAt: '2026-12-05T07:00:00', fen: 3 });
    await order(P, 'delivered', { paidAt: '2026-12-05T23:59:59.999', fen: 4 });
    await order(P, 'delivered', { paidAt: '2026-12-06T00:00:00.000', fen: 5 });
    // 02:00 in China on the 6th is still the 5th in UTC.
    await order(P, 'delivered', { paidAt: '2026-12-06T02:00:00', fen: 6 });
    const { from, to } = chinaDay('2026-12-05');
    expect((await queries.payments(P, from, to)).map((p) => p.fen).sort()).toEqual([2, 3, 4]);
  });

  it('orders, booth payments and lane deductions of the park, each with its channel, kind and money given back', async () => {
    const P = park();
    const day = (t: string) => `2026-12-05T${t}`;
    await order(P, 'delivered', { paidAt: day('09:00:00'), fen: 500 });
    await order(P, 'refunded', { paidAt: day('10:00:00'), fen: 800, provider: 'alipay', refundFen: 800, kind: 'pass' });
    await order(P, 'quoted');
    await order(park(), 'delivered', { paidAt: day('09:00:00'), fen: 999 });
    await booth(P, 'paid', { paidAt: day('11:00:00'), fen: 300 });
    await booth(P, 'cancelled', { paidAt: day('11:30:00'), fen: 310, refunded: true });
    // The reverse found nothing taken: no money of ours.
    await booth(P, 'cancelled', { paidAt: day('11:40:00'), fen: 320, refunded: false });
    await booth(P, 'awaiting', {});
    await booth(P, 'paid', { paidAt: '2026-12-04T11:00:00', fen: 330 });
    await deduction(P, 'paid', { paidAt: day('12:00:00'), fen: 700 });
    await deduction(P, 'paid', { paidAt: day('12:30:00'), fen: 710, refund: { state: 'refunding', amountFen: 400 } });
    await deduction(P, 'failed', { paidAt: day('13:00:00'), fen: 720 });
    await deduction(P, 'paid', { paidAt: '2026-12-06T00:00:00', fen: 730 });
    const { from, to } = chinaDay('2026-12-05');
    expect(sorted(await queries.payments(P, from, to))).toEqual(
      sorted([
        { channel: 'wechat', kind: 'prepay', fen: 500, refundedFen: 0 },
        { channel: 'alipay', kind: 'pass', fen: 800, refundedFen: 800 },
        { channel: 'alipay', kind: 'face_to_face', fen: 300, refundedFen: 0 },
        { channel: 'alipay', kind: 'face_to_face', fen: 310, refundedFen: 310 },
        { channel: 'wechat', kind: 'withholding', fen: 700, refundedFen: 0 },
        { channel: 'wechat', kind: 'withholding', fen: 710, refundedFen: 400 },
      ]),
    );
  });

  it('a park with nothing paid that day has no payments', async () => {
    const { from, to } = chinaDay('2026-12-05');
    expect(await queries.payments(park(), from, to)).toEqual([]);
  });
});

describe('paid orders the lot has not acknowledged', () => {
  it('counted by park, with the oldest payment; delivered ones are not', async () => {
    const P = park();
    await order(P, 'paid', { paidAt: '2026-12-05T10:00:00' });
    await order(P, 'paid', { paidAt: '2026-12-05T09:00:00' });
    await order(P, 'delivered', { paidAt: '2026-12-05T08:00:00' });
    await order(park(), 'paid', { paidAt: '2026-12-05T07:00:00' });
    expect(await queries.awaitingLot(P)).toEqual({ count: 2, oldestPaidAt: cn('2026-12-05T09:00:00') });
  });

  it('none: a count of zero and no oldest', async () => {
    expect(await queries.awaitingLot(park())).toEqual({ count: 0 });
  });
});

describe('refunds in progress', () => {
  it('orders refunding, deductions being refunded and booth payments being reversed, with their money', async () => {
    const P = park();
    await order(P, 'refunding', { paidAt: '2026-12-05T10:00:00', fen: 500, refundFen: 200 });
    await order(P, 'refunded', { paidAt: '2026-12-05T10:00:00', fen: 500, refundFen: 500 });
    await order(park(), 'refunding', { paidAt: '2026-12-05T10:00:00', fen: 500, refundFen: 500 });
    await deduction(P, 'paid', { paidAt: '2026-12-05T12:00:00', fen: 700, refund: { state: 'refunding', amountFen: 300 } });
    // No amount recorded on the refund: the whole payment goes back.
    await deduction(P, 'paid', { paidAt: '2026-12-05T12:00:00', fen: 710, refund: { state: 'refunding' } });
    await deduction(P, 'paid', { paidAt: '2026-12-05T12:00:00', fen: 720, refund: { state: 'refunded', amountFen: 720 } });
    await booth(P, 'cancelling', { paidAt: '2026-12-05T11:00:00', fen: 310 });
    // Nothing was taken yet: nothing to give back.
    await booth(P, 'cancelling', {});
    await booth(P, 'cancelled', { paidAt: '2026-12-05T11:00:00', fen: 320, refunded: true });
    expect(await queries.refundsInProgress(P)).toEqual({ count: 4, fen: 200 + 300 + 710 + 310 });
  });

  it('none: zero and zero', async () => {
    expect(await queries.refundsInProgress(park())).toEqual({ count: 0, fen: 0 });
  });
});
