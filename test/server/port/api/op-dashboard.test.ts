/**
 * A park's home dashboard over HTTP on the real database: today's takings by channel and kind (yesterday's
 * not), payments the lot has not acknowledged with the oldest one's age, refunds in progress, the lot's spaces
 * and heartbeat age (silent after 2 minutes), and who may see it.
 */
import { Writable } from 'node:stream';
import request from 'supertest';
import { buildPath, opDashboardEndpoints as ep } from '../../../../shared/api';
import { createApp } from '../../../../server/src/app';
import { ManualClock } from '../../../../server/src/core/clock';
import { DashboardService } from '../../../../server/src/core/operators/dashboard';
import type { Order, OrderKind, OrderStatus } from '../../../../server/src/core/orders/model';
import { StaticParkDirectory } from '../../../../server/src/core/parks';
import { createLogger } from '../../../../server/src/logger';
import { mountOpDashboardRoutes } from '../../../../server/src/port/api/op-dashboard-routes';
import { MongoDashboardQueries } from '../../../../server/src/repository/dashboard';
import { MongoLotRecordsRepository } from '../../../../server/src/repository/lot-records';
import { MongoOrderRepository } from '../../../../server/src/repository/orders';
import { openTestDatabase, type TestDatabase } from '../../../support/db';
import { operatorWorld, type OperatorSession } from '../../../support/operators';

// Opening the database and four operators' sessions (password hashing) takes seconds on a busy machine.
jest.setTimeout(30_000);

const P = 'PD1';
/** 2026-11-28 15:00 China time. */
const NOW = Date.parse('2026-11-28T15:00:00+08:00');
const MIN = 60_000;
const clock = new ManualClock(NOW);
let db: TestDatabase;
let api: ReturnType<typeof request>;
let boss: OperatorSession;
let other: OperatorSession;
let shop: OperatorSession;
let admin: OperatorSession;
let orders: MongoOrderRepository;
let records: MongoLotRecordsRepository;
let seq = 0;

async function order(kind: OrderKind, status: OrderStatus, provider: 'wechat' | 'alipay', fen: number, paidAt: number, refundFen?: number): Promise<void> {
  seq++;
  const orderNo = `PP261128${String(100000 + seq)}ABCD${String(1000 + seq)}`;
  const o: Order = {
    orderNo,
    driverId: 'd1',
    kind,
    parkNumber: P,
    orderId: `stay-${seq}`,
    plate: `京D${String(10000 + seq)}`,
    outTradeNo: `${P}_0_stay-${seq}_150000`,
    quote: { chargeFen: fen, paidTotalFen: 0, profitChargeTotalFen: 0, payFen: fen, inTime: '2026-11-28 10:00:00', getTime: '2026-11-28 15:00:00', stopMinutes: 300, paidFreeMinutes: 15, profitMinutes: 0, imgName: '' },
    amountFen: fen,
    status,
    provider,
    expiresAt: new Date(NOW + 15 * MIN),
    payment: { provider, transactionId: `tx-${seq}`, paidFen: fen, paidAt: new Date(paidAt), via: 'notification' },
    ...(refundFen ? { refund: { refundNo: `RF${seq}`, reason: 'test', fen: refundFen, state: status === 'refunded' ? 'done' : 'pending', attempts: 0, nextAttemptAt: new Date(NOW) } } : {}),
    createdAt: new Date(paidAt),
    updatedAt: new Date(paidAt),
  } as Order;
  expect(await orders.insert(o)).toBe(true);
}

beforeAll(async () => {
  db = await openTestDatabase('opdash');
  const ops = await operatorWorld(db.connection, { clock });
  orders = new MongoOrderRepository(db.connection);
  records = new MongoLotRecordsRepository(db.connection);
  await Promise.all([orders.init(), records.init()]);
  const router = ops.router();
  const park = { parkNumber: P, key: 'k', bluecardBaseUrl: 'http://127.0.0.1:9' };
  mountOpDashboardRoutes(router, new DashboardService({ queries: new MongoDashboardQueries(db.connection), heartbeats: records, parks: new StaticParkDirectory([park, { ...park, parkNumber: 'PD2' }]), clock }));
  api = request(createApp({ logger: createLogger('silent', new Writable({ write: (_c, _e, cb) => cb() })), databaseReady: async () => true, routers: [router] }).callback());
  boss = await ops.session({ role: 'operator', parks: [P] });
  other = await ops.session({ role: 'operator', parks: ['PD2'] });
  shop = await ops.session({ role: 'merchant', parks: [P] });
  admin = await ops.session({ role: 'admin' });

  // Today: two delivered WeChat payments, one Alipay lane QR waiting for the lot (since 14:52), one being refunded.
  await order('prepay', 'delivered', 'wechat', 400, NOW - 3 * 60 * MIN);
  await order('prepay', 'delivered', 'wechat', 600, NOW - 2 * 60 * MIN);
  await order('lane_qr', 'paid', 'alipay', 800, NOW - 8 * MIN);
  await order('prepay', 'paid', 'wechat', 200, NOW - 2 * MIN);
  await order('unlicensed_exit', 'refunding', 'wechat', 500, NOW - 60 * MIN, 500);
  // Yesterday (23:30 China time): not today's takings.
  await order('prepay', 'delivered', 'alipay', 1000, Date.parse('2026-11-27T23:30:00+08:00'));
  // A booth payment by Alipay today.
  await db.connection.collection('face_payments').insertOne({ parkNumber: P, orderId: 's-f', plate: '京D9', provider: 'alipay', paymentNo: 'FP261128140000ABCDEF01', status: 'paid', payment: { paidFen: 300, paidAt: new Date(NOW - 30 * MIN) } });
});
afterAll(async () => {
  await db?.dispose();
});

describe('the dashboard', () => {
  it('before any heartbeat: takings, waiting payments and refunds; the lot silent, its spaces unknown', async () => {
    const r = await api.get(buildPath(ep.dashboard, { parkNumber: P })).set(boss.headers);
    expect(r.status).toBe(200);
    expect(r.body).toMatchObject({
      parkNumber: P,
      at: new Date(NOW).toISOString(),
      today: {
        date: '2026-11-28',
        totalFen: 400 + 600 + 800 + 200 + 500 + 300,
        count: 6,
        refundedFen: 500,
        byChannel: { wechat: 400 + 600 + 200 + 500, alipay: 800 + 300 },
      },
      lot: { heartbeatAt: null, heartbeatAgeSeconds: null, silent: true, spaceCount: null, freeSpaceCount: null, carsIn: null, areas: [] },
      waitingForLot: { count: 2, oldestPaidAt: new Date(NOW - 8 * MIN).toISOString(), oldestAgeSeconds: 8 * 60 },
      refundsInProgress: { count: 1, fen: 500 },
    });
    expect(r.body.today.byKind).toEqual([
      { kind: 'prepay', fen: 1200, count: 3 },
      { kind: 'lane_qr', fen: 800, count: 1 },
      { kind: 'unlicensed_exit', fen: 500, count: 1 },
      { kind: 'face_to_face', fen: 300, count: 1 },
    ]);
  });

  it('the lot’s spaces from its heartbeat; silent once it is more than 2 minutes old', async () => {
    await records.saveHeartbeat({
      parkNumber: P,
      parkName: '丁停车场',
      spaceCount: 200,
      freeSpaceCount: 57,
      bookSpaceCount: 10,
      bookInParkCount: 0,
      areas: [{ areaId: 1, areaName: '地面停车场', spaceCount: 120, freeSpaceCount: 40, bookSpaceCount: 5, bookInParkCount: 0 }],
      receivedAt: new Date(NOW - 30_000),
    });
    const fresh = await api.get(buildPath(ep.dashboard, { parkNumber: P })).set(boss.headers);
    expect(fresh.body.lot).toEqual({
      heartbeatAt: new Date(NOW - 30_000).toISOString(),
      heartbeatAgeSeconds: 30,
      silent: false,
      spaceCount: 200,
      freeSpaceCount: 57,
      carsIn: 143,
      areas: [{ areaId: 1, name: '地面停车场', spaceCount: 120, freeSpaceCount: 40 }],
    });
    clock.advance(2 * MIN);
    const later = await api.get(buildPath(ep.dashboard, { parkNumber: P })).set(boss.headers);
    expect(later.body.lot).toMatchObject({ heartbeatAgeSeconds: 150, silent: true });
    expect(later.body.waitingForLot.oldestAgeSeconds).toBe(10 * 60);
  });

  it('another park’s operator and merchants may not see it; an unknown park is 404', async () => {
    const o = await api.get(buildPath(ep.dashboard, { parkNumber: P })).set(other.headers);
    expect([o.status, o.body.error.code]).toEqual([403, 'forbidden_park']);
    const m = await api.get(buildPath(ep.dashboard, { parkNumber: P })).set(shop.headers);
    expect([m.status, m.body.error.code]).toEqual([403, 'forbidden_role']);
    expect((await api.get(buildPath(ep.dashboard, { parkNumber: 'PD2' })).set(other.headers)).status).toBe(200);
    const unknown = await api.get(buildPath(ep.dashboard, { parkNumber: 'NOPE' })).set(admin.headers);
    expect([unknown.status, unknown.body.error.code]).toEqual([404, 'park_unknown']);
  });
});
