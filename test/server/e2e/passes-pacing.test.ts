/**
 * 4.6 synWhite's pace holds across ParkPay processes: "每次请求距离上次蓝卡返回时间间隔不低于 5s". Two instances
 * (each its own connection to one database, its own Bluecard client, pass service and operators' list
 * gateway) extend passes and write the operators' whitelist of one park at the same time. The sandbox lot
 * refuses a synWhite sooner than 5 s after its previous answer; every write is accepted, and the lot's
 * recorded synWhite calls are ≥ 5 s apart on the lot's clock (the clients wait on it: no real waits).
 */
import mongoose, { type Connection } from 'mongoose';
import { BluecardClient } from '../../../server/src/adapter/bluecard';
import { BluecardListsGateway } from '../../../server/src/adapter/bluecard/lists-gateway';
import { BluecardPassLot } from '../../../server/src/adapter/bluecard/pass-lot';
import type { Operator } from '../../../server/src/core/operators/model';
import { PassService } from '../../../server/src/core/passes/service';
import { MongoListsRepository } from '../../../server/src/repository/lists';
import { MongoLotCallSlots } from '../../../server/src/repository/lot-call-slots';
import { MongoParkDirectory } from '../../../server/src/repository/parks';
import { MongoPassRepositories } from '../../../server/src/repository/passes';
import { MongoWorkQueue } from '../../../server/src/repository/work';
import { DEMO_PARK_NUMBER } from '../../../server/sandbox/bluecard';
import { SYN_WHITE_MIN_GAP_MS } from '../../../server/sandbox/bluecard/down';
import { formatChinaDate } from '../../../shared/time';
import { testDatabaseUri } from '../../support/db';
import { startPaymentWorld, type PaymentWorld } from '../../support/payment-world';

jest.setTimeout(90_000);

const P = DEMO_PARK_NUMBER;
const operator: Operator = { id: 'op-1', username: 'lotboss', role: 'operator', parks: [P] };

let w: PaymentWorld;
const connections: Connection[] = [];

interface Instance {
  passes: PassService;
  lists: BluecardListsGateway;
}

/** One ParkPay process: its own connection to the world's database and its own objects on it. */
async function instance(): Promise<Instance> {
  const conn = await mongoose.createConnection(testDatabaseUri(), { dbName: w.db.name, serverSelectionTimeoutMS: 10_000, bufferCommands: false }).asPromise();
  connections.push(conn);
  const repos = new MongoPassRepositories(conn);
  const slots = new MongoLotCallSlots(conn);
  const lists = new MongoListsRepository(conn);
  const work = new MongoWorkQueue(conn);
  await Promise.all([repos.init(), slots.init(), lists.init(), work.init()]);
  // Waits move the lot's clock (whoever waits first moves it for both: later is never too early).
  const client = new BluecardClient({ backoffMs: [], timeoutMs: 5_000, clock: w.lotClock, sleep: async (ms) => w.lotClock.advance(ms), slots });
  const passes = new PassService({
    offers: repos.offers,
    purchases: repos.purchases,
    places: repos.places,
    orders: w.orderRepo,
    orderService: w.orders,
    parks: new MongoParkDirectory(conn, 0),
    lotRecords: w.stays,
    lot: new BluecardPassLot(client),
    proofs: { isProved: async () => false },
    boothRenewals: repos.boothRenewals,
    ourList: lists,
    clock: w.lotClock,
    work,
  });
  return { passes, lists: new BluecardListsGateway(client) };
}

beforeAll(async () => {
  w = await startPaymentWorld('passpace');
  w.lotClock.set(Date.now());
  const [hb] = await w.bluecard.heartbeatNow(P);
  if (!hb?.acknowledged) throw new Error('heartbeat not acknowledged');
});

afterAll(async () => {
  for (const c of connections) await c.close();
  await w?.close();
});

test('two instances extending passes and writing the whitelist of one park at once: every synWhite ≥ 5 s after the previous answer', async () => {
  const [a, b] = [await instance(), await instance()];
  await a.passes.putOffer(operator, P, { areaIds: [1, 2], prices: [{ months: 1, priceFen: 30_000 }], newPlates: true, maxPasses: 50, text: '' });
  const plates = ['沪P00001', '沪P00002', '沪P00003', '沪P00004', '沪P00005', '沪P00006'];
  const bought = await Promise.all(plates.map((p, i) => (i % 2 ? b : a).passes.buy(`d${i}`, P, p, 1)));
  const since = w.bluecard.calls.since(0).at(-1)?.seq ?? 0;
  const today = formatChinaDate(w.lotClock.now());
  const operatorsEntry = {
    plate: '沪P00009', memo: '员工', start: today, end: '2027-12-31', chargeType: '', name: '', certificate: '',
    address: '', phone: '', plateColor: '', dept: '', carType: '月租车', areas: [],
  };

  await Promise.all([
    ...bought.map((v, i) => (i % 2 ? b : a).passes.deliver(w.park, v.order!)),
    b.lists.upsertWhite(w.park, [operatorsEntry]),
  ]);

  for (const v of bought) expect(await a.passes.view(v.purchase.driverId, v.purchase.purchaseNo)).toMatchObject({ purchase: { state: 'active' } });
  const lot = w.bluecard.park(P).state.white;
  for (const p of [...plates, operatorsEntry.plate]) expect(lot.get(p)?.source).toBe('1');
  const calls = w.bluecard.calls.since(since).filter((c) => c.direction === 'down' && c.name === 'synWhite');
  expect(calls.map((c) => c.outcome)).toEqual(Array(plates.length + 1).fill('success'));
  const gaps = calls.slice(1).map((c, i) => c.at - calls[i]!.at);
  expect(Math.min(...gaps)).toBeGreaterThanOrEqual(SYN_WHITE_MIN_GAP_MS);
});
