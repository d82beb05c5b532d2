/**
 * The outer defences of the lot's URLs (port/bluecard/call-guard.ts) through the real app and database:
 * a park's source allow-list (X-Forwarded-For believed only behind a configured proxy), rate limits per
 * park (tighter for the calls that take money), one ALERT line when a park's calls look abnormal — and the
 * production start warning for a park answered from any address.
 */
import { Writable } from 'node:stream';
import request from 'supertest';
import { createApp } from '../../../../server/src/app';
import { loadConfig } from '../../../../server/src/config';
import { ManualClock } from '../../../../server/src/core/clock';
import { LotRecordsService } from '../../../../server/src/core/lot/lot-records';
import { bluecardSign } from '../../../../server/src/adapter/bluecard/requests';
import { createLogger } from '../../../../server/src/logger';
import { LotCallGuard } from '../../../../server/src/port/bluecard/call-guard';
import { BLUECARD_PREFIX, bluecardRouter } from '../../../../server/src/port/bluecard/router';
import { MongoLotRecordsRepository } from '../../../../server/src/repository/lot-records';
import { MongoParkDirectory } from '../../../../server/src/repository/parks';
import { startServer } from '../../../../server/src/server';
import { startAlipaySandbox } from '../../../../server/sandbox/alipay';
import { openTestDatabase, testDatabaseUri, type TestDatabase } from '../../../support/db';
import mongoose from 'mongoose';
import { migrate } from '../../../../server/src/repository/schema';

const OPEN = { parkNumber: 'p_guard_open', key: 'k-open', bluecardBaseUrl: 'http://127.0.0.1:1' };
const FENCED = { parkNumber: 'p_guard_fenced', key: 'k-fenced', bluecardBaseUrl: 'http://127.0.0.1:1', bluecardSources: ['10.1.2.0/24', '2001:db8::/32'] };
const LOCAL = { parkNumber: 'p_guard_local', key: 'k-local', bluecardBaseUrl: 'http://127.0.0.1:1', bluecardSources: ['127.0.0.1'] };

let db: TestDatabase;
let repo: MongoLotRecordsRepository;
const clock = new ManualClock(Date.UTC(2026, 10, 28, 4, 0, 0));
/** The guard's real-time clock, moved by hand. */
let nowMs = 1_000_000;
const lines: Record<string, unknown>[] = [];
let guard: LotCallGuard;

function appWith(trustProxyHops: number) {
  const logger = createLogger('info', new Writable({ write: (c, _e, cb) => (lines.push(JSON.parse(String(c)) as Record<string, unknown>), cb()) }));
  return createApp({
    logger,
    trustProxyHops,
    databaseReady: async () => true,
    routers: [
      bluecardRouter({
        parks,
        clock,
        guard,
        records: new LotRecordsService(repo, clock),
        lanePay: { '4.27': async () => ({ status: 'fail', errorCode: 'no_agreement: test' }) },
      }),
    ],
  });
}
let parks: MongoParkDirectory;

beforeAll(async () => {
  db = await openTestDatabase('callguard');
  parks = new MongoParkDirectory(db.connection, 0);
  repo = new MongoLotRecordsRepository(db.connection);
  await Promise.all([parks.init(), repo.init()]);
  for (const p of [OPEN, FENCED, LOCAL]) await parks.upsert(p);
  const logger = createLogger('info', new Writable({ write: (c, _e, cb) => (lines.push(JSON.parse(String(c)) as Record<string, unknown>), cb()) }));
  guard = new LotCallGuard({ limits: { moneyPerMinute: 60, moneyBurst: 3, callsPerMinute: 600, callsBurst: 20 }, log: logger, now: () => nowMs });
});
afterAll(async () => {
  await db.dispose();
});

const heartbeat = (app: ReturnType<typeof appWith>, park: { parkNumber: string; key: string }, headers: Record<string, string> = {}) =>
  request(app.callback())
    .post(`${BLUECARD_PREFIX}/heartbeat`)
    .set('content-type', 'application/json')
    .set('sign', bluecardSign(park.key, park.parkNumber))
    .set(headers)
    .send({ parkNumber: park.parkNumber, parkName: 'x', areaList: [] });
const channelPay = (app: ReturnType<typeof appWith>, park: { parkNumber: string; key: string }, n: number) =>
  request(app.callback())
    .post(`${BLUECARD_PREFIX}/channel-pay`)
    .set('content-type', 'application/json')
    .set('sign', bluecardSign(park.key, park.parkNumber))
    .send({ parkNumber: park.parkNumber, plateID: '京A00001', payCharge: '1.00', outTradeNo: `${park.parkNumber}_2_o${n}_101500` });
const alerts = (reason: string, parkNumber: string) => lines.filter((l) => l.alert === 'bluecard_calls_abnormal' && l.reason === reason && l.parkNumber === parkNumber);

describe('source allow-list', () => {
  it('a park with one answers only its sources: anyone else is refused before the sign is looked at, nothing stored, an alert', async () => {
    const app = appWith(0);
    const res = await heartbeat(app, FENCED);
    expect(res.body).toEqual({ status: 'fail', errorCode: `source_not_allowed: calls for park ${FENCED.parkNumber} are taken only from its Bluecard cloud` });
    expect(await repo.latestHeartbeat(FENCED.parkNumber)).toBeUndefined();
    expect(alerts('source_not_allowed', FENCED.parkNumber)).toHaveLength(1);
    expect(alerts('source_not_allowed', FENCED.parkNumber)[0]!.msg).toMatch(/^ALERT: park p_guard_fenced: 1 calls from an address outside its Bluecard allow-list/);
    // 127.0.0.1 is this park's source (the peer address; IPv4-mapped IPv6 is the same address).
    expect((await heartbeat(app, LOCAL)).body.status).toBe('success');
    // A park without one: any address.
    expect((await heartbeat(app, OPEN)).body.status).toBe('success');
  });

  it('X-Forwarded-For is believed only behind a configured proxy (else anyone could write an allowed address into it)', async () => {
    const direct = appWith(0);
    expect((await heartbeat(direct, FENCED, { 'x-forwarded-for': '10.1.2.3' })).body.errorCode).toMatch(/^source_not_allowed/);
    const proxied = appWith(1);
    expect((await heartbeat(proxied, FENCED, { 'x-forwarded-for': '10.1.2.3' })).body.status).toBe('success');
    expect((await heartbeat(proxied, FENCED, { 'x-forwarded-for': '2001:db8::7' })).body.status).toBe('success');
    // The proxy appends the address it saw: what a client wrote before it is not taken.
    expect((await heartbeat(proxied, FENCED, { 'x-forwarded-for': '10.1.2.3, 198.51.100.9' })).body.errorCode).toMatch(/^source_not_allowed/);
  });
});

describe('rate limits per park', () => {
  it('money calls beyond their bucket are refused rate_limited (other calls go on), refilled with time; one alert', async () => {
    const app = appWith(0);
    const answers = [];
    for (let i = 0; i < 5; i++) answers.push((await channelPay(app, OPEN, i)).body);
    expect(answers.slice(0, 3)).toEqual(Array(3).fill({ status: 'fail', errorCode: 'no_agreement: test' }));
    expect(answers.slice(3)).toEqual(Array(2).fill({ status: 'fail', errorCode: `rate_limited: too many calls for park ${OPEN.parkNumber} that take money; ask again shortly` }));
    expect((await heartbeat(app, OPEN)).body.status).toBe('success');
    // Another park has its own buckets.
    expect((await channelPay(app, LOCAL, 1)).body.errorCode).toBe('no_agreement: test');
    expect(alerts('rate_limited', OPEN.parkNumber)).toHaveLength(1);
    nowMs += 1_000; // 60 a minute: one more token
    expect((await channelPay(app, OPEN, 9)).body.errorCode).toBe('no_agreement: test');
    expect((await channelPay(app, OPEN, 10)).body.errorCode).toMatch(/^rate_limited/);
    expect(alerts('rate_limited', OPEN.parkNumber)).toHaveLength(1); // once per minute per park
    nowMs += 61_000;
    for (let i = 0; i < 4; i++) await channelPay(app, OPEN, 20 + i);
    expect(alerts('rate_limited', OPEN.parkNumber)).toHaveLength(2);
  });

  it('all calls of a park have a bucket too', async () => {
    const app = appWith(0);
    nowMs += 3_600_000;
    const statuses = [];
    for (let i = 0; i < 22; i++) statuses.push((await heartbeat(app, LOCAL)).body.errorCode ?? 'ok');
    expect(statuses.filter((s) => s === 'ok')).toHaveLength(20);
    expect(statuses.slice(20)).toEqual(Array(2).fill(expect.stringMatching(/^rate_limited: too many calls for park p_guard_local; ask again/)));
  });
});

describe('alerts', () => {
  it('repeated wrong signs for a park, and lane deductions refused as forged, make one alert each', async () => {
    const app = appWith(0);
    nowMs += 3_600_000;
    for (let i = 0; i < 5; i++) await heartbeat(app, { parkNumber: OPEN.parkNumber, key: 'guessed-key' });
    expect(alerts('bad_sign', OPEN.parkNumber)).toHaveLength(1);
    expect(alerts('bad_sign', OPEN.parkNumber)[0]).toMatchObject({ level: 40, count: 5, windowSeconds: 60 });
    for (let i = 0; i < 3; i++) guard.suspicious(OPEN.parkNumber, 'deduction_no_stay', { via: '4.27', outTradeNo: `x${i}` });
    expect(alerts('deduction_no_stay', OPEN.parkNumber)).toHaveLength(1);
    guard.suspicious(OPEN.parkNumber, 'deduction_amount_exceeds_fee', { via: '4.27' });
    expect(alerts('deduction_amount_exceeds_fee', OPEN.parkNumber)[0]!.msg).toMatch(/more than the lot's own price/);
  });
});

describe('production start', () => {
  it('warns of every park answered from any address', async () => {
    const alipay = await startAlipaySandbox({});
    const logs: Record<string, unknown>[] = [];
    const logger = createLogger('info', new Writable({ write: (c, _e, cb) => (logs.push(JSON.parse(String(c)) as Record<string, unknown>), cb()) }));
    const config = loadConfig({
      PARKPAY_MODE: 'production',
      PORT: '0',
      MONGODB_URI: `${testDatabaseUri()}pp_guard_prod_${Date.now()}`,
      PARKPAY_PUBLIC_BASE_URL: 'https://parkpay.example.com',
      PARKPAY_PARKS: JSON.stringify([OPEN, FENCED]),
      PARKPAY_ALIPAY: JSON.stringify(alipay.app),
    });
    // A production start needs the database migrated first.
    const conn = await mongoose.createConnection(config.mongodbUri!, { bufferCommands: false }).asPromise();
    await migrate(conn, { engine: 'FerretDB', heartbeatDays: 7, by: 'test' });
    await conn.close();
    const running = await startServer(config, { logger, demo: false });
    try {
      const warnings = logs.filter((l) => l.level === 40 && typeof l.msg === 'string' && (l.msg as string).includes('has no bluecardSources'));
      expect(warnings.map((w) => w.parkNumber)).toEqual([OPEN.parkNumber]);
    } finally {
      await running.database.connection.dropDatabase().catch(() => undefined);
      await running.stop();
      await alipay.stop();
    }
  }, 60_000);
});
