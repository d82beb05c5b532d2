/**
 * Bluecard's up calls through the real app and a real database: every spec example is accepted at its URL,
 * every kind of bad request is refused with a `fail` that says why and stores nothing, and resends are
 * harmless.
 */
import request from 'supertest';
import { Writable } from 'node:stream';
import { bluecardInterfaces } from '../../../../shared/bluecard';
import { createApp } from '../../../../server/src/app';
import { ManualClock } from '../../../../server/src/core/clock';
import { LotRecordsService } from '../../../../server/src/core/lot/lot-records';
import { bluecardSign } from '../../../../server/src/adapter/bluecard/requests';
import { createLogger } from '../../../../server/src/logger';
import { BLUECARD_PREFIX, UP_ROUTES, bluecardRouter } from '../../../../server/src/port/bluecard/router';
import { MongoLotRecordsRepository } from '../../../../server/src/repository/lot-records';
import { MongoParkDirectory } from '../../../../server/src/repository/parks';
import { fixture } from '../../../support/bluecard-fixtures';
import { openTestDatabase, type TestDatabase } from '../../../support/db';

const KEY = 'bc-key-0001';
const PARKS = ['p180329111018', 'p180124101457', 'p17081', 'p170818090946', 'p180209161947', 'p180808080808'];

let db: TestDatabase;
let repo: MongoLotRecordsRepository;
let app: ReturnType<typeof createApp>;
const clock = new ManualClock(Date.UTC(2026, 10, 28, 4, 0, 0));
const logLines: string[] = [];

beforeAll(async () => {
  db = await openTestDatabase('inbound');
  const parks = new MongoParkDirectory(db.connection, 0);
  repo = new MongoLotRecordsRepository(db.connection);
  await Promise.all([parks.init(), repo.init()]);
  for (const parkNumber of PARKS) await parks.upsert({ parkNumber, key: KEY, bluecardBaseUrl: 'http://127.0.0.1:1' });
  const logger = createLogger('info', new Writable({ write: (c, _e, cb) => (logLines.push(String(c)), cb()) }));
  app = createApp({
    logger,
    databaseReady: async () => true,
    routers: [bluecardRouter({ parks, clock, records: new LotRecordsService(repo, clock, { maxBytes: 512 * 1024 }) })],
  });
});
afterAll(async () => {
  await db.dispose();
});

const pathOf = (section: string) => `${BLUECARD_PREFIX}${Object.entries(UP_ROUTES).find(([, s]) => s === section)![0]}`;
const sign = (parkNumber: string, key = KEY) => bluecardSign(key, parkNumber);
function post(path: string, body: unknown, signValue?: string | null) {
  const parkNumber = (body as { parkNumber?: string })?.parkNumber ?? '';
  const req = request(app.callback()).post(path).set('content-type', 'application/json');
  if (signValue !== null) req.set('sign', signValue ?? sign(String(parkNumber).trim()));
  return req.send(typeof body === 'string' ? body : JSON.stringify(body));
}
const collections = async () => {
  const out: Record<string, number> = {};
  for (const c of await db.connection.db!.listCollections().toArray()) {
    out[c.name] = await db.connection.db!.collection(c.name).countDocuments();
  }
  return out;
};

describe('every spec example reaches its URL and gets the spec answer', () => {
  const cases: [section: string, file: string, status: string][] = [
    ['4.1', '4.1-request', 'success'],
    ['4.2', '4.2-request', 'success'],
    ['4.3', '4.3-request', 'success'],
    ['4.13', '4.13-request', 'fail'],
    ['4.14', '4.14-request', 'success'],
    ['4.15', '4.15-request', 'success'],
    ['4.16', '4.16-request', 'fail'],
    ['4.17', '4.17-request', 'fail'],
    ['4.21', '4.21-request', 'success'],
    ['4.24', '4.24-request', 'fail'],
    ['4.25', '4.25-request', 'fail'],
    ['4.26', '4.26-request', 'fail'],
    ['4.27', '4.27-request', 'fail'],
    ['4.28', '4.28-request-entry', 'self'],
    ['4.28', '4.28-request-exit', 'self'],
    ['4.31', '4.31-request', 'success'],
    ['4.32', '4.32-request', 'success'],
  ];
  it.each(cases)('%s (%s) → %s', async (section, file, status) => {
    const body = fixture(file);
    const res = await post(pathOf(section), body);
    expect(res.status).toBe(200);
    expect(res.body.status).toBe(status);
    // What we answered fits the spec exactly.
    expect(bluecardInterfaces[section as keyof typeof bluecardInterfaces].answer.safeParse(res.body).success).toBe(true);
    if (status === 'success' && section !== '4.27') expect(res.body.datas.timeStamp).toBe(String(clock.now()));
    if (status === 'fail') expect(res.body.errorCode).toMatch(/^(not_offered|trade_unknown): /);
  });

  it.each([
    ['opengate', '4.28-request-entry', 'self'],
    ['parkingspacefee', '4.31-request', 'success'],
    ['fixedListUp', '4.32-request', 'success'],
  ])('the common URL dispatches method %s', async (_m, file, status) => {
    const res = await post(BLUECARD_PREFIX, fixture(file));
    expect(res.body.status).toBe(status);
  });

  it('the common URL names an unknown method', async () => {
    const res = await post(BLUECARD_PREFIX, { parkNumber: PARKS[0], method: 'liftAll' });
    expect(res.body).toEqual({ status: 'fail', errorCode: expect.stringMatching(/^unknown_method: /) });
  });
});

describe('refusals: a fail that says why, HTTP 200, nothing stored', () => {
  const entry = () => ({
    parkNumber: 'p180329111018',
    size: 1,
    datas: [{ plate: '京A11111', ticketCode: '', plateColor: '蓝牌', inTime: '2026-11-28 12:00:00', inChannel: '东门入口', inImage: 'in1.jpg', orderId: 'refuse-1', carType: '临时车' }],
  });

  it.each(Object.entries(UP_ROUTES))('%s refuses a forged sign', async (path) => {
    const before = await collections();
    const res = await post(`${BLUECARD_PREFIX}${path}`, entry(), sign('p180329111018', 'wrong-key'));
    expect(res.status).toBe(200);
    expect(res.body).toEqual({ status: 'fail', errorCode: 'bad_sign: sign does not match md5(key+parkNumber)' });
    expect(await collections()).toEqual(before);
  });

  it('refuses a missing sign, a sign of another park, and a malformed one', async () => {
    expect((await post(pathOf('4.2'), entry(), null)).body.errorCode).toBe('bad_sign: sign header missing');
    expect((await post(pathOf('4.2'), entry(), sign('p17081'))).body.errorCode).toMatch(/^bad_sign/);
    expect((await post(pathOf('4.2'), entry(), 'zz' + sign('p180329111018').slice(2))).body.errorCode).toMatch(/^bad_sign/);
    expect(await repo.findStay('p180329111018', 'refuse-1')).toBeUndefined();
  });

  it('accepts an upper-case sign (liberal in what we accept)', async () => {
    const res = await post(pathOf('4.1'), { parkNumber: 'p17081', parkName: 'x', areaList: [] }, sign('p17081').toUpperCase());
    expect(res.body.status).toBe('success');
  });

  it('refuses an unknown park, a missing parkNumber, bad JSON and a non-object', async () => {
    expect((await post(pathOf('4.2'), { ...entry(), parkNumber: 'p_nobody' })).body.errorCode).toBe(
      'park_unknown: park p_nobody is not registered with ParkPay',
    );
    const { parkNumber: _p, ...noPark } = entry();
    expect((await post(pathOf('4.2'), noPark, sign('p180329111018'))).body.errorCode).toBe('invalid_field: parkNumber: required');
    expect((await post(pathOf('4.2'), '{"parkNumber": "p180329111018", ', sign('p180329111018'))).body.errorCode).toMatch(/^bad_json/);
    expect((await post(pathOf('4.2'), '[1,2]', sign('p180329111018'))).body.errorCode).toMatch(/^bad_json/);
    expect(await repo.findStay('p180329111018', 'refuse-1')).toBeUndefined();
  });

  it('names the bad record and field, and keeps the good records of the batch', async () => {
    const body = entry();
    body.datas.push({ ...body.datas[0]!, orderId: '' });
    body.size = 2;
    const res = await post(pathOf('4.2'), body);
    expect(res.body.status).toBe('fail');
    expect(res.body.errorCode).toMatch(/^invalid_record: datas\.1: orderId: required/);
    expect(await repo.findStay('p180329111018', 'refuse-1')).toMatchObject({ status: 'in' });

    const charges = fixture('4.15-request') as { datas: Record<string, unknown>[] };
    charges.datas[1]!.realCharge = 'abc';
    const bad = await post(pathOf('4.15'), charges);
    expect(bad.body.errorCode).toMatch(/^invalid_record: datas\.1 \(orderId 3895\): realCharge: /);
  });

  it('a problem outside the records refuses the whole batch', async () => {
    const before = await collections();
    const res = await post(pathOf('4.2'), { parkNumber: 'p180329111018', datas: 'not records' });
    expect(res.body.errorCode).toMatch(/^invalid_field: datas: /);
    expect(await collections()).toEqual(before);
  });

  it('refuses an oversized body with a tight limit, and allows big pictures only at /images', async () => {
    const big = { ...entry(), padding: 'x'.repeat(300 * 1024) };
    expect((await post(pathOf('4.2'), big)).body.errorCode).toMatch(/^body_too_large/);
    const jpeg = Buffer.concat([Buffer.from([0xff, 0xd8, 0xff, 0xe0]), Buffer.alloc(400 * 1024, 7)]);
    const ok = await post(pathOf('4.14'), { parkNumber: 'p180329111018', imageName: 'big.jpg', image: jpeg.toString('base64') });
    expect(ok.body.status).toBe('success');
    const huge = await post(pathOf('4.14'), { parkNumber: 'p180329111018', imageName: 'huge.jpg', image: 'A'.repeat(9 * 1024 * 1024) });
    expect(huge.body.errorCode).toMatch(/^body_too_large/);
  });

  it('parses JSON whatever the content type says', async () => {
    const res = await request(app.callback())
      .post(pathOf('4.1'))
      .set('content-type', 'text/plain')
      .set('sign', sign('p17081'))
      .send(JSON.stringify({ parkNumber: 'p17081', parkName: '中关村软件园', areaList: [] }));
    expect(res.body.status).toBe('success');
  });

  it('never logs the sign header or the key', async () => {
    await post(pathOf('4.1'), { parkNumber: 'p17081', parkName: 'x', areaList: [] });
    const logs = logLines.join('');
    expect(logs).not.toContain(sign('p17081'));
    expect(logs).not.toContain(KEY);
  });
});

describe('what the records store', () => {
  const P = 'p180329111018';
  const inRec = (orderId: string, plate: string, extra: Record<string, unknown> = {}) => ({
    parkNumber: P,
    size: 1,
    datas: [{ plate, ticketCode: '', plateColor: '蓝牌', inTime: '2026-11-28 09:30:00', inChannel: '东门入口', inImage: `${orderId}.jpg`, orderId, carType: '临时车', confidence: '97', ...extra }],
  });
  const outRec = (orderId: string, plate: string) => ({
    parkNumber: P,
    size: 1,
    datas: [
      {
        orderId,
        carInfo: { plate, plateColor: '蓝牌', ticketCode: '', carType: '临时车', confidence: 98 },
        passInfo: { inTime: '2026-11-28 09:30:00', outTime: '2026-11-28 11:45:10', inImage: '', outImage: 'o.jpg', inChannel: '东门入口', outChannel: '西门出口', openGateMode: '自动抬杆', matchMode: '全字匹配' },
        chargeStatistics: { charge: '6.00', onLineCharge: '4', offLineCharge: '1.5', profitChargeTotal: '0.50' },
        chargeList: [{ payNo: 'pp-1', getTime: '2026-11-28 11:40:00', payCharge: '4', payKind: '微信', payChannel: '提前付', memo: '' }],
        profitList: [],
        placeInfo: [],
      },
    ],
  });

  it('keeps one stay per park+orderId; a resend (even altered) changes nothing', async () => {
    expect((await post(pathOf('4.2'), inRec('e-1', '京 A12399'))).body.status).toBe('success');
    expect((await post(pathOf('4.2'), inRec('e-1', '京 A12399'))).body.status).toBe('success');
    expect((await post(pathOf('4.2'), inRec('e-1', '京 B99999', { inChannel: '改了' }))).body.status).toBe('success');
    const stays = await db.connection.db!.collection('stays').find({ parkNumber: P, orderId: 'e-1' }).toArray();
    expect(stays).toHaveLength(1);
    const stay = await repo.findStay(P, 'e-1');
    expect(stay).toMatchObject({ plate: '京 A12399', plateKey: '京A12399', status: 'in' });
    expect(stay!.entry!.inTime!.toISOString()).toBe('2026-11-28T01:30:00.000Z'); // China time
    expect(stay!.entry!.inChannel).toBe('东门入口');
    expect((await repo.staysInPark(P, '京A12399')).map((s) => s.orderId)).toEqual(['e-1']);
  });

  it('closes the stay on exit, in fen; a resent exit changes nothing', async () => {
    await post(pathOf('4.2'), inRec('e-2', '粤B00002'));
    expect((await post(pathOf('4.3'), outRec('e-2', '粤B00002'))).body.status).toBe('success');
    const stay = await repo.findStay(P, 'e-2');
    expect(stay!.status).toBe('out');
    expect(stay!.exit).toMatchObject({ chargeFen: 600, onLineChargeFen: 400, offLineChargeFen: 150, profitChargeTotalFen: 50, outChannel: '西门出口' });
    expect(stay!.exit!.charges).toEqual([expect.objectContaining({ payNo: 'pp-1', payChargeFen: 400, payChannel: '提前付' })]);
    const firstReceived = stay!.exit!.receivedAt;
    clock.advance(60_000);
    await post(pathOf('4.3'), outRec('e-2', '粤B00002'));
    expect((await repo.findStay(P, 'e-2'))!.exit!.receivedAt).toEqual(firstReceived);
    expect(await repo.staysInPark(P, '粤B00002')).toEqual([]);
  });

  it('takes an exit whose entry never came, and the entry arriving late fills in', async () => {
    await post(pathOf('4.3'), outRec('e-3', '沪C33333'));
    expect(await repo.findStay(P, 'e-3')).toMatchObject({ status: 'out', plate: '沪C33333' });
    await post(pathOf('4.2'), inRec('e-3', '沪C33333'));
    const stay = await repo.findStay(P, 'e-3');
    expect(stay!.status).toBe('out');
    expect(stay!.entry!.inImage).toBe('e-3.jpg');
  });

  it('repairs a picture whose + arrived as spaces, and keeps it by name', async () => {
    const bytes = Buffer.from([0xff, 0xd8, 0xff, 0xe1, 0xfb, 0xef, 0xbe, 0xfa, 0x3e, 0xff]);
    const b64 = bytes.toString('base64');
    expect(b64).toContain('+');
    const res = await post(pathOf('4.14'), { parkNumber: P, imageName: 'cam1_20261128^17.jpg', image: b64.replace(/\+/g, ' ') });
    expect(res.body.status).toBe('success');
    const img = await repo.findImage(P, 'cam1_20261128^17.jpg');
    expect(img!.data.equals(bytes)).toBe(true);
    expect(img!.mime).toBe('image/jpeg');
  });

  it('refuses a picture over the size cap and one that is not base64', async () => {
    const big = Buffer.concat([Buffer.from([0xff, 0xd8, 0xff, 0xe0]), Buffer.alloc(600 * 1024, 1)]).toString('base64');
    expect((await post(pathOf('4.14'), { parkNumber: P, imageName: 'big2.jpg', image: big })).body.errorCode).toMatch(/^image_too_large/);
    expect((await post(pathOf('4.14'), { parkNumber: P, imageName: 'bad.jpg', image: '@@not*base64' })).body.errorCode).toMatch(/^bad_image/);
    expect(await repo.findImage(P, 'big2.jpg')).toBeUndefined();
  });

  it('stores charge records once, with or without payNo', async () => {
    const body = fixture('4.15-request');
    await post(pathOf('4.15'), body);
    await post(pathOf('4.15'), body);
    const stored = await db.connection.db!.collection('lotcharges').find({ parkNumber: P }).toArray();
    expect(stored).toHaveLength(2);
    expect(stored.map((c) => c.realChargeFen)).toEqual([1200, 1200]);
  });

  it('upserts lanes by passagewayId', async () => {
    await post(pathOf('4.21'), fixture('4.21-request'));
    await post(pathOf('4.21'), { parkNumber: 'p180124101457', size: 1, datas: [{ passagewayId: '2', passagewayName: '西门出口(新)', sourceAreaId: '1', targetAreaId: '0' }] });
    const lanes = await repo.lanes('p180124101457');
    expect(lanes.map((l) => [l.passagewayId, l.name])).toEqual([
      ['1', '东门入口'],
      ['2', '西门出口(新)'],
    ]);
  });

  it('keeps the latest heartbeat per park with its areas', async () => {
    await post(pathOf('4.1'), fixture('4.1-request'));
    clock.advance(30_000);
    await post(pathOf('4.1'), { ...fixture<Record<string, unknown>>('4.1-request'), freeSpaceCount: '1499' });
    const hb = await repo.latestHeartbeat('p170818090946');
    expect(hb!.freeSpaceCount).toBe(1499);
    expect(hb!.areas.length).toBeGreaterThan(0);
    expect(hb!.receivedAt.getTime()).toBe(clock.now());
    expect(await db.connection.db!.collection('heartbeathistories').countDocuments({ parkNumber: 'p170818090946' })).toBeGreaterThanOrEqual(2);
  });

  it('splits renewal plates and stores a renewal once', async () => {
    const body = fixture('4.31-request');
    await post(pathOf('4.31'), body);
    await post(BLUECARD_PREFIX, body);
    const renewals = await db.connection.db!.collection('renewals').find({ parkNumber: 'p170818090946' }).toArray();
    expect(renewals).toHaveLength(1);
    expect(renewals[0]!.plateKeys).toEqual(['京Q1NY80', '京N830S1', '京Q60K22', '京0AC677']);
    expect(renewals[0]!.payChargeFen).toBe(5000);
  });

  it('applies whitelist sync in timeStamp order: add, change, delete; a stale resend is ignored', async () => {
    const item = (operate: string, ts: number, plate = '京A466BC') => ({
      parkNumber: P, method: 'fixedListUp', size: 1,
      datas: [{ plate, fixedId: 7, chargeType: '不收费', start: '2026-01-01', end: '2026-12-31', carType: '月租车', timeStamp: String(ts), source: '2', operate, areasAndValidity: [] }],
    });
    await post(BLUECARD_PREFIX, item('1', 1000));
    expect((await repo.lotWhitelist(P)).map((e) => e.plate)).toContain('京A466BC');
    await post(BLUECARD_PREFIX, item('2', 2000, '京A466BD'));
    expect((await repo.lotWhitelist(P)).filter((e) => e.fixedId === 7).map((e) => e.plate)).toEqual(['京A466BD']);
    await post(BLUECARD_PREFIX, item('3', 3000, '京A466BD'));
    expect((await repo.lotWhitelist(P)).filter((e) => e.fixedId === 7)).toEqual([]);
    await post(BLUECARD_PREFIX, item('1', 1000)); // a late resend of the first add
    expect((await repo.lotWhitelist(P)).filter((e) => e.fixedId === 7)).toEqual([]);
  });
});
