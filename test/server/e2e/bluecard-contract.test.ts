/**
 * Both directions of the Bluecard protocol, end to end: ParkPay's real server (real database) and the
 * Bluecard sandbox talking to each other over HTTP. The lot's calls reach our URLs signed; our client's
 * calls reach the sandbox, which checks our sign and our bodies as exactly as Bluecard would.
 */
import { BluecardClient, BluecardError, whiteEntry } from '../../../server/src/adapter/bluecard';
import { loadConfig } from '../../../server/src/config';
import { ManualClock } from '../../../server/src/core/clock';
import type { Park } from '../../../server/src/core/parks';
import { createLogger } from '../../../server/src/logger';
import { UP_ROUTES, BLUECARD_PREFIX } from '../../../server/src/port/bluecard/router';
import { MongoLotRecordsRepository } from '../../../server/src/repository/lot-records';
import { MongoParkDirectory } from '../../../server/src/repository/parks';
import {
  DEFAULT_PARKPAY_PATHS,
  DEMO_PARK_KEY,
  DEMO_PARK_NUMBER,
  demoParks,
  startBluecardSandbox,
  type BluecardSandbox,
} from '../../../server/sandbox/bluecard';
import { startServer, type RunningServer } from '../../../server/src/server';
import { formatChinaTime } from '../../../shared/time';
import { testDatabaseUri } from '../../support/db';

const clock = new ManualClock(Date.UTC(2026, 10, 28, 1, 0, 0)); // 09:00 China time
let sandbox: BluecardSandbox;
let server: RunningServer;
let repo: MongoLotRecordsRepository;
let park: Park;
const client = new BluecardClient({ clock, backoffMs: [] });
const lot = () => sandbox.park(DEMO_PARK_NUMBER);
/** The sandbox's own problems (e.g. a body it built that does not fit the spec): none may happen. */
const sandboxErrors: unknown[] = [];
const onError = (e: unknown) => void sandboxErrors.push(e);

beforeAll(async () => {
  sandbox = await startBluecardSandbox({ parks: demoParks(), clock, heartbeatMs: 0, manglePlusInImages: true, onError });
  park = { parkNumber: DEMO_PARK_NUMBER, key: DEMO_PARK_KEY, bluecardBaseUrl: sandbox.url };
  const dbName = `pp_contract_${Date.now()}`;
  server = await startServer(
    loadConfig({ PORT: '0', MONGODB_URI: `${testDatabaseUri()}${dbName}`, PARKPAY_PARKS: JSON.stringify([park]) }, undefined, { demoWithConfiguredKeys: true }),
    { logger: createLogger('silent'), clock, demo: false },
  );
  repo = new MongoLotRecordsRepository(server.database.connection);
  await sandbox.setParkPayBaseUrl(server.url);
});
afterAll(async () => {
  expect(sandboxErrors).toEqual([]);
  await sandbox?.stop();
  await server?.database.connection.dropDatabase().catch(() => {});
  await server?.stop();
});

it('the sandbox calls exactly the URLs ParkPay serves', () => {
  const ours = new Set([...Object.keys(UP_ROUTES).map((p) => `${BLUECARD_PREFIX}${p}`), BLUECARD_PREFIX]);
  const its = Object.values(DEFAULT_PARKPAY_PATHS);
  for (const path of its) expect(ours).toContain(path);
});

describe('a stay walks through both directions', () => {
  it('enters (4.2) → priced (4.4) → paid (4.5) → owes 0 with paid free time → leaves (4.3), stay closed', async () => {
    await sandbox.flushOutbox();
    // 4.21 lanes arrived when the lot started.
    expect((await repo.lanes(DEMO_PARK_NUMBER)).map((l) => l.name)).toEqual(['东门入口', '东门出口', '西门入口', '西门出口']);

    const arrived = await lot().arrive({ lane: '东门入口', plate: '京A 12345', wait: true });
    const [stay] = await repo.staysInPark(DEMO_PARK_NUMBER, '京A12345');
    expect(stay).toMatchObject({ orderId: arrived.orderId, plate: '京A 12345', status: 'in' });
    expect(formatChinaTime(stay!.entry!.inTime!)).toBe(arrived.inTime);

    clock.advance(61 * 60_000);
    const priced = await client.getChargebf(park, { orderId: stay!.orderId, plate: stay!.plate });
    expect(priced.fen).toEqual({ charge: 400, payCharge: 400, paidTotal: 0, profitChargeTotal: 0 });
    expect(priced.outTradeNo).toMatch(new RegExp(`^${DEMO_PARK_NUMBER}_\\d+_${arrived.orderId}_\\d{6}$`));

    const pay = {
      orderId: stay!.orderId,
      plate: stay!.plate,
      payChargeFen: priced.fen.payCharge,
      realChargeFen: priced.fen.payCharge,
      payTime: clock.now(),
      payType: '微信',
      payChannel: '提前付' as const,
      getTime: priced.getTime,
      transactionID: 'PPT-0001',
      outTradeNo: priced.outTradeNo,
    };
    const ack = await client.sendPayRes(park, pay);
    expect(ack.transactionID).toBe('PPT-0001');
    // A resend with the same transactionID is harmless: one payment at the lot.
    await client.sendPayRes(park, pay);
    expect(lot().dump().payments).toHaveLength(1);

    const after = await client.getChargebf(park, { orderId: stay!.orderId, plate: stay!.plate });
    expect(after.fen.payCharge).toBe(0);
    expect(after.fen.paidTotal).toBe(400);
    expect(Number(after.paidfreeTime)).toBe(15);

    clock.advance(5 * 60_000);
    const left = await lot().leave({ lane: '东门出口', orderId: stay!.orderId, wait: true });
    expect(left.record.chargeList.map((c) => c.payCharge)).toEqual(['4.00']);
    const closed = await repo.findStay(DEMO_PARK_NUMBER, stay!.orderId);
    expect(closed!.status).toBe('out');
    expect(closed!.exit).toMatchObject({ chargeFen: 400, onLineChargeFen: 400 });
    expect(closed!.exit!.charges[0]).toMatchObject({ payChargeFen: 400 });
    expect(await repo.staysInPark(DEMO_PARK_NUMBER, '京A12345')).toEqual([]);
  });

  it('a car still owing cannot leave at the sandbox barrier', async () => {
    const { orderId } = await lot().arrive({ lane: '西门入口', plate: '粤B77777', wait: true });
    clock.advance(3 * 60 * 60_000);
    await expect(lot().leave({ lane: '西门出口', orderId })).rejects.toMatchObject({ code: 'unpaid' });
  });

  it('after the paid free time the lot charges again for the extra time', async () => {
    const { orderId } = await lot().arrive({ lane: '东门入口', plate: '苏E12121', wait: true });
    clock.advance(50 * 60_000);
    const p1 = await client.getChargebf(park, { orderId, plate: '苏E12121' });
    await client.sendPayRes(park, { orderId, plate: '苏E12121', payChargeFen: p1.fen.payCharge, realChargeFen: p1.fen.payCharge, payTime: clock.now(), payType: '支付宝', payChannel: '提前付', getTime: p1.getTime, transactionID: 'PPT-0002', outTradeNo: p1.outTradeNo });
    clock.advance(40 * 60_000); // beyond 15 minutes of paid free time, into the second hour
    const p2 = await client.getChargebf(park, { orderId, plate: '苏E12121' });
    expect(p2.fen.paidTotal).toBe(200);
    expect(p2.fen.payCharge).toBe(200);
  });
});

describe('the lot resends until ParkPay acknowledges', () => {
  it('keeps entry records while the park is unknown to ParkPay, and delivers them once it is registered', async () => {
    const other = { ...park, parkNumber: 'p_late_park' };
    const late = await startBluecardSandbox({
      parks: [{ ...demoParks()[0]!, parkNumber: other.parkNumber }],
      clock,
      heartbeatMs: 0,
      parkPayBaseUrl: server.url,
      announceLanesOnStart: false,
      onError,
    });
    try {
      const { orderId } = await late.park(other.parkNumber).arrive({ lane: '东门入口', plate: '浙A55555', wait: true });
      const pending = late.outbox.view(other.parkNumber).find((i) => i.key === orderId)!;
      expect(pending.attempts).toBe(3);
      expect(pending.status).toBe('pending');
      expect(pending.lastError).toMatch(/park_unknown/);
      expect(await repo.findStay(other.parkNumber, orderId)).toBeUndefined();

      const parks = new MongoParkDirectory(server.database.connection, 0);
      await parks.upsert({ ...other, bluecardBaseUrl: late.url });
      await new Promise((r) => setTimeout(r, 5_100)); // ParkPay's park cache (5 s)
      await late.advanceClock(5 * 60_000);
      expect(await repo.findStay(other.parkNumber, orderId)).toMatchObject({ plate: '浙A55555', status: 'in' });
      const delivered = late.outbox.view(other.parkNumber).find((i) => i.key === orderId)!;
      expect(delivered).toMatchObject({ status: 'delivered', attempts: 4 });
      // Three prompt attempts, then the next one five (simulated) minutes later.
      expect(delivered.log.map((a) => a.acknowledged)).toEqual([false, false, false, true]);
    } finally {
      await late.stop();
    }
  });

  it('delivers what waited when ParkPay comes back', async () => {
    await sandbox.setParkPayBaseUrl('http://127.0.0.1:9'); // nothing listens there
    const { orderId } = await lot().arrive({ lane: '东门入口', plate: '沪D99999', wait: true });
    expect(await repo.findStay(DEMO_PARK_NUMBER, orderId)).toBeUndefined();
    await sandbox.setParkPayBaseUrl(server.url);
    await sandbox.flushOutbox();
    expect(await repo.findStay(DEMO_PARK_NUMBER, orderId)).toMatchObject({ status: 'in' });
  });
});

describe('every up interface from the lot reaches ParkPay', () => {
  it('4.1 heartbeat', async () => {
    await sandbox.heartbeatNow(DEMO_PARK_NUMBER);
    const hb = await repo.latestHeartbeat(DEMO_PARK_NUMBER);
    expect(hb).toMatchObject({ parkName: '示例停车场' });
    expect(hb!.areas.map((a) => a.areaName)).toEqual(['地面停车场', '地下停车场']);
  });

  it('4.14 pictures, with + sent as spaces like the spec describes', async () => {
    const { orderId, inImage } = await lot().arrive({ lane: '东门入口', plate: '京C00001', wait: true });
    await lot().sendImages({ orderId }, true);
    const img = await repo.findImage(DEMO_PARK_NUMBER, inImage);
    expect(img!.mime).toBe('image/jpeg');
    expect(img!.data.equals(lot().state.images.get(inImage)!)).toBe(true);
  });

  it('4.15 charge records, 4.31 renewals, 4.32 whitelist sync', async () => {
    await lot().sendRenewals([{ plate: '京Q1NY80/京N830S1', payCharge: '300.00' }], true);
    await lot().offlineWhite(whiteEntry({ plate: '京W88888', start: '2026-01-01', end: '2026-12-31' }), '1', true);
    expect((await repo.lotWhitelist(DEMO_PARK_NUMBER)).map((e) => e.plateKey)).toContain('京W88888');
    const renewals = await server.database.connection.db!.collection('renewals').find({ parkNumber: DEMO_PARK_NUMBER }).toArray();
    expect(renewals[0]!.plateKeys).toEqual(['京Q1NY80', '京N830S1']);
    const { orderId } = await lot().arrive({ lane: '东门入口', plate: '京C00002', wait: true });
    clock.advance(2 * 60 * 60_000);
    await lot().leave({ lane: '东门出口', orderId, force: true, settle: 'cash', wait: true });
    await lot().sendChargeRecords(orderId, true);
    const charges = await server.database.connection.db!.collection('lotcharges').find({ parkNumber: DEMO_PARK_NUMBER, orderId }).toArray();
    expect(charges.length).toBeGreaterThan(0);
    expect(charges[0]!.realChargeFen).toBe(400);
  });

  // A car of its own for each test (random plates could meet, and a car cannot come in twice).
  let plates = 10_000;
  const nextPlate = (prefix: string) => `${prefix}${++plates}`;

  it('4.28 opengate: ParkPay answers self, the lot decides', async () => {
    const r = await lot().arrive({ lane: '西门入口', plate: '京C00003', askParkPay: true, wait: true });
    expect(r.openGate).toMatchObject({ httpStatus: 200, status: 'self' });
  });

  it("4.13 pre-exit pricing: without a ParkPay credit for the stay, ParkPay answers the lot's own figures", async () => {
    const { orderId } = await lot().arrive({ lane: '东门入口', plate: nextPlate('京E'), wait: true });
    clock.advance(90 * 60_000);
    const r = await lot().preExitPricing({ lane: '东门出口', orderId });
    expect(r.result).toMatchObject({ httpStatus: 200, status: 'success' });
    expect((r.result.answer as { datas: unknown }).datas).toMatchObject({ payCharge: '4.00', realCharge: '0.00', chargeList: [] });
    expect(r.owed).toBe('4.00');
  });

  it.each([
    ['4.16', (orderId: string) => lot().withholdOrQr({ lane: '东门出口', orderId })],
    ['4.24', (orderId: string) => lot().faceToFacePay({ lane: '东门出口', orderId, authCode: '134567890123456789', poll: false })],
    ['4.27', (orderId: string) => lot().channelPay({ lane: '东门出口', orderId })],
  ])('%s reaches ParkPay and gets a clear refusal until lane-side payments exist', async (_s, call) => {
    const { orderId } = await lot().arrive({ lane: '东门入口', plate: nextPlate('京E'), wait: true });
    clock.advance(90 * 60_000);
    const r = await call(orderId);
    expect(r.result).toMatchObject({ status: 'fail', errorCode: expect.stringMatching(/^not_offered: /) });
  });

  it.each([
    ['4.17', (outTradeNo: string) => lot().qrPayResult({ outTradeNo })],
    ['4.25', (outTradeNo: string) => lot().faceToFacePoll({ outTradeNo })],
    ['4.26', (outTradeNo: string) => lot().faceToFaceCancel({ outTradeNo })],
  ])('%s for a trade ParkPay never made is refused with trade_unknown', async (_s, call) => {
    const plate = nextPlate('京F');
    const { orderId } = await lot().arrive({ lane: '东门入口', plate, wait: true });
    clock.advance(90 * 60_000);
    const { outTradeNo } = await client.getChargebf(park, { orderId, plate }); // a quote the lot knows
    const r = await call(outTradeNo);
    expect(r.result).toMatchObject({ status: 'fail', errorCode: expect.stringMatching(/^trade_unknown: /) });
  });
});

describe('every down interface from ParkPay reaches the lot', () => {
  it('lists: synWhite (paced), queryWhite, delWhite, synBlack, queryBlack, delBlack', async () => {
    const fast = new BluecardClient({ clock, backoffMs: [], sleep: async () => {} });
    const out = await fast.syncWhitelist(park, [
      { plate: '京M10001', start: '2026-11-01', end: '2026-12-31', areasAndValidity: [{ areaId: 1, start: '2026-11-01', end: '2026-12-31' }] },
      { plate: '京M10002', start: '2026-11-01', end: '2026-12-31' },
    ]);
    expect(out).toMatchObject({ sent: 2, total: 2, aborted: false });
    expect((await fast.queryWhite(park, ['京M10001', '京M10002'])).map((w) => w.plate).sort()).toEqual(['京M10001', '京M10002']);
    await fast.delWhite(park, '京M10001');
    expect((await fast.queryWhite(park, ['京M10001', '京M10002'])).map((w) => w.plate)).toEqual(['京M10002']);
    await fast.synBlack(park, [{ plate: '京X66666', memo: 'fraud' }]);
    expect(await fast.queryBlack(park, ['京X66666'])).toEqual([{ plate: '京X66666', memo: 'fraud' }]);
    await fast.delBlack(park, '京X66666');
    expect(await fast.queryBlack(park, ['京X66666'])).toEqual([]);
  });

  it('bookings: synBookingCar book and cancel, queryBookingCar', async () => {
    const at = (h: number) => clock.now() + h * 3_600_000;
    const b = { plate: '京B20001', start: at(1), end: at(3), chargeFen: 500, bookOrderId: 'BK-1', bookOrderTime: clock.now(), letInStartTime: at(1), letInEndTime: at(1.5) };
    await client.synBookingCar(park, [{ ...b, action: 'book' }]);
    const open = await client.queryBookingCar(park, { plates: ['京B20001'] });
    expect(open.bookList.map((x) => x.bookOrderId)).toEqual(['BK-1']);
    await client.synBookingCar(park, [{ ...b, action: 'cancel' }]);
    expect((await client.queryBookingCar(park, { plates: ['京B20001'] })).bookList).toEqual([]);
  });

  it('coupons, pictures, barrier, unlicensed in/out, spaces', async () => {
    const { orderId, inImage } = await lot().arrive({ lane: '东门入口', plate: '京H30003', wait: true });
    clock.advance(2 * 60 * 60_000);
    await client.coupon(park, [{ kind: 'time', minutes: 60, couponCode: 'PP-C-1', orderId, plate: '京H30003', end: clock.now() + 86_400_000 }]);
    expect((await client.getChargebf(park, { orderId, plate: '京H30003' })).fen.payCharge).toBe(200);
    await expect(client.coupon(park, [{ kind: 'money', fen: 100, couponCode: 'PP-C-1', orderId, plate: '京H30003', end: clock.now() + 86_400_000 }])).rejects.toBeInstanceOf(BluecardError);

    const imgs = await client.queryImgByName(park, [inImage]);
    const url = imgs.imageList[0]!.imageURL;
    expect((await fetch(url)).headers.get('content-type')).toMatch(/image\/jpeg/);

    await client.remoteLiftRod(park, '2');
    expect(lot().dump().lifts.map((l: { passagewayId: string }) => l.passagewayId)).toContain('2');
    await expect(client.remoteLiftRod(park, '99')).rejects.toMatchObject({ kind: 'rejected' });

    const inCar = await client.unlicensedCarIn(park, { codeKind: '1', authId: 'oWX-openid-1', passagewayId: '1' });
    expect(inCar.plate).toMatch(/^临/);
    clock.advance(30 * 60_000);
    const outCar = await client.unlicensedCarOut(park, { codeKind: '1', authId: 'oWX-openid-1', passagewayId: '2' });
    expect(outCar.plate).toBe(inCar.plate);
    expect(outCar.fen.payCharge).toBe(200);

    const spaces = await client.getAllSpaceStatus(park);
    expect(spaces.length).toBeGreaterThan(0);
    expect(Array.isArray(await client.getSpaceStatusByPlate(park, ''))).toBe(true);
  });

  it('a request with the wrong key is refused by the lot', async () => {
    await expect(client.getChargebf({ ...park, key: 'not-the-key' }, { orderId: '1', plate: 'x' })).rejects.toMatchObject({ kind: 'rejected' });
  });
});
