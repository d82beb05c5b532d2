/**
 * One bad record in a batch must not lose the good ones: a record the protocol cannot carry as we keep it
 * (a non-finite number like 1e309, nesting deeper than any record has, a field of the wrong kind) is
 * refused on its own, the others are stored, and the answer is a `fail` that names the refused record
 * (the lot resends the batch: the stored ones are resends then, the refused one is refused again). A
 * record digest (4.15 / 4.31 records without an id of their own) never overflows the stack.
 */
import { createHash } from 'node:crypto';
import request from 'supertest';
import { createApp } from '../../../../server/src/app';
import { ManualClock } from '../../../../server/src/core/clock';
import { LotRecordsService, digestOf } from '../../../../server/src/core/lot/lot-records';
import { bluecardSign } from '../../../../server/src/adapter/bluecard/requests';
import { createLogger } from '../../../../server/src/logger';
import { BLUECARD_PREFIX, bluecardRouter } from '../../../../server/src/port/bluecard/router';
import { MongoLotRecordsRepository } from '../../../../server/src/repository/lot-records';
import { MongoParkDirectory } from '../../../../server/src/repository/parks';
import { openTestDatabase, type TestDatabase } from '../../../support/db';

const KEY = 'bc-key-bad-records';
const P = 'p_bad_records';

let db: TestDatabase;
let repo: MongoLotRecordsRepository;
let app: ReturnType<typeof createApp>;
const clock = new ManualClock(Date.UTC(2026, 10, 28, 4, 0, 0));

beforeAll(async () => {
  db = await openTestDatabase('badrec');
  const parks = new MongoParkDirectory(db.connection, 0);
  repo = new MongoLotRecordsRepository(db.connection);
  await Promise.all([parks.init(), repo.init()]);
  await parks.upsert({ parkNumber: P, key: KEY, bluecardBaseUrl: 'http://127.0.0.1:1' });
  app = createApp({
    logger: createLogger('silent'),
    databaseReady: async () => true,
    routers: [bluecardRouter({ parks, clock, records: new LotRecordsService(repo, clock) })],
  });
});
afterAll(async () => {
  await db.dispose();
});

/** POST a raw JSON text (so 1e309 reaches the server as written). */
const postRaw = (path: string, text: string) =>
  request(app.callback()).post(`${BLUECARD_PREFIX}${path}`).set('content-type', 'application/json').set('sign', bluecardSign(KEY, P)).send(text);

const entry = (orderId: string, plate: string, extra = '') =>
  `{"plate":"${plate}","ticketCode":"","plateColor":"蓝牌","inTime":"2026-11-28 09:30:00","inChannel":"东门入口","inImage":"${orderId}.jpg","orderId":"${orderId}","carType":"临时车"${extra}}`;

const deep = (n: number) => `${'['.repeat(n)}1${']'.repeat(n)}`;

describe('4.2: a non-finite number in one record', () => {
  const batch = () =>
    `{"parkNumber":"${P}","size":3,"datas":[${entry('nf-1', '京A10001')},${entry('nf-2', '京A10002', ',"userInfo":{"score":1e309}')},${entry('nf-3', '京A10003')}]}`;

  it('refuses that record, stores the others, and answers fail naming it', async () => {
    const res = await postRaw('/in-records', batch());
    expect(res.status).toBe(200);
    expect(res.body.status).toBe('fail');
    expect(res.body.errorCode).toMatch(/^invalid_record: /);
    expect(res.body.errorCode).toContain('nf-2');
    expect(res.body.errorCode).toMatch(/not a finite number/);
    expect(await repo.findStay(P, 'nf-1')).toMatchObject({ plate: '京A10001', status: 'in' });
    expect(await repo.findStay(P, 'nf-3')).toMatchObject({ plate: '京A10003', status: 'in' });
    expect(await repo.findStay(P, 'nf-2')).toBeUndefined();
  });

  it('answers the same to the resend, and stores nothing twice', async () => {
    const res = await postRaw('/in-records', batch());
    expect(res.body.status).toBe('fail');
    expect(res.body.errorCode).toContain('nf-2');
    expect(await db.connection.db!.collection('stays').countDocuments({ parkNumber: P, orderId: { $in: ['nf-1', 'nf-3'] } })).toBe(2);
  });

  it('a record whose own field is unreadable is refused alone too', async () => {
    const res = await postRaw('/in-records', `{"parkNumber":"${P}","datas":[${entry('bf-1', '京A20001')},${entry('', '京A20002')},${entry('bf-3', '京A20003', ',"confidence":1e309')}]}`);
    expect(res.body.status).toBe('fail');
    expect(res.body.errorCode).toMatch(/^invalid_record: datas\.1\b/);
    expect(res.body.errorCode).toMatch(/datas\.2\b/);
    expect(await repo.findStay(P, 'bf-1')).toBeDefined();
    expect(await repo.findStay(P, 'bf-3')).toBeUndefined();
  });

  it('a batch of good records still answers success', async () => {
    const res = await postRaw('/in-records', `{"parkNumber":"${P}","datas":[${entry('ok-1', '京A30001')}]}`);
    expect(res.body).toEqual({ status: 'success', datas: { timeStamp: String(clock.now()) } });
  });
});

describe('deep nesting', () => {
  it('the record digest does not overflow the stack', () => {
    let v: unknown = 1;
    for (let i = 0; i < 200_000; i++) v = [v];
    expect(() => digestOf(v)).not.toThrow();
    expect(digestOf(v)).toMatch(/^[0-9a-f]{64}$/);
  });

  it('the digest of an ordinary record is what it always was (resends of stored records stay duplicates)', () => {
    const canonical = (v: unknown): unknown =>
      Array.isArray(v)
        ? v.map(canonical)
        : v && typeof v === 'object'
          ? Object.fromEntries(Object.keys(v).sort().map((k) => [k, canonical((v as Record<string, unknown>)[k])]))
          : v;
    const records = [
      { plate: '京 A466BD', orderId: '5121', charge: '12.00', nested: { b: [1, 'x', null, { z: 1, a: 2 }], a: true }, '键': '值 "q"' },
      { number: 'hhh', payCharge: 50, list: [], obj: {} },
    ];
    for (const r of records) {
      expect(digestOf(r)).toBe(createHash('sha256').update(JSON.stringify(canonical(r))).digest('hex'));
    }
  });

  it('4.15: a deeply nested charge record is refused, the other stored', async () => {
    const charge = (orderId: string, extra = '') =>
      `{"plate":"京A40001","inTime":"2026-11-28 06:20:00","outTime":"2026-11-28 09:10:00","payKind":"微信","payChannel":"当面付","payNo":"","orderId":"${orderId}","charge":"12.00","realCharge":"12.00","couponCharge":"0"${extra}}`;
    const res = await postRaw('/charge-records', `{"parkNumber":"${P}","datas":[${charge('dc-1', `,"memo2":${deep(50_000)}`)},${charge('dc-2')}]}`);
    expect(res.status).toBe(200);
    expect(res.body.status).toBe('fail');
    expect(res.body.errorCode).toMatch(/^invalid_record: datas\.0\b/);
    expect(res.body.errorCode).toMatch(/nested/);
    const stored = await db.connection.db!.collection('lotcharges').find({ parkNumber: P }).toArray();
    expect(stored.map((c) => c.orderId)).toEqual(['dc-2']);
  });

  it('4.31: a deeply nested renewal is refused, the other stored', async () => {
    const renewal = (id: string, extra = '') =>
      `{"plate":"京Q1NY80","payTime":"2026-11-20 17:32:23","payCharge":"50","feeMonth":"1","end":"2026-12-31 23:59:59","placeFeeOrderRecId":"","orderNo":"","number":"${id}"${extra}}`;
    const res = await postRaw('/renewals', `{"parkNumber":"${P}","method":"parkingspacefee","datas":[${renewal('r-1')},${renewal('r-2', `,"x":${deep(50_000)}`)}]}`);
    expect(res.body.status).toBe('fail');
    expect(res.body.errorCode).toMatch(/^invalid_record: datas\.1\b/);
    expect(await db.connection.db!.collection('renewals').countDocuments({ parkNumber: P })).toBe(1);
  });
});
