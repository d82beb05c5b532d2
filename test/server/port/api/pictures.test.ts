/**
 * Pictures the lot uploads (4.14) are kept only when they are JPEG or PNG by their first bytes, and served
 * as what they are, with `X-Content-Type-Options: nosniff` and a CSP that lets the browser run nothing in
 * them: HTML (alone, or behind a GIF header) is neither stored nor served.
 */
import request from 'supertest';
import { createApp } from '../../../../server/src/app';
import { ManualClock } from '../../../../server/src/core/clock';
import { LotRecordsService } from '../../../../server/src/core/lot/lot-records';
import { PlateProofs } from '../../../../server/src/core/parking/proofs';
import { MongoPlateProofRepository } from '../../../../server/src/repository/plate-proofs';
import { ParkingService } from '../../../../server/src/core/parking/service';
import { bluecardSign } from '../../../../server/src/adapter/bluecard/requests';
import { createLogger } from '../../../../server/src/logger';
import { createApiRouter } from '../../../../server/src/port/api/router';
import { mountParkRoutes } from '../../../../server/src/port/api/parks-routes';
import { BLUECARD_PREFIX, bluecardRouter } from '../../../../server/src/port/bluecard/router';
import { MongoLotRecordsRepository } from '../../../../server/src/repository/lot-records';
import { MongoParkDirectory } from '../../../../server/src/repository/parks';
import { openTestDatabase, type TestDatabase } from '../../../support/db';

const KEY = 'bc-key-pictures';
const P = 'p_pictures';
const clock = new ManualClock(Date.UTC(2026, 10, 28, 4, 0, 0));

let db: TestDatabase;
let repo: MongoLotRecordsRepository;
let parking: ParkingService;
let app: ReturnType<typeof createApp>;

beforeAll(async () => {
  db = await openTestDatabase('pictures');
  const parks = new MongoParkDirectory(db.connection, 0);
  repo = new MongoLotRecordsRepository(db.connection);
  await Promise.all([parks.init(), repo.init()]);
  await parks.upsert({ parkNumber: P, key: KEY, bluecardBaseUrl: 'http://127.0.0.1:1' });
  parking = new ParkingService({
    parks,
    records: { ...repo, latestHeartbeat: (p) => repo.latestHeartbeat(p), lanes: (p) => repo.lanes(p), staysInPark: (p, k) => repo.staysInPark(p, k), findImage: (p, n) => repo.findImage(p, n), staysByPlateKeys: (k) => repo.staysByPlateKeys(k), storedImages: (p, n) => repo.storedImages(p, n) },
    visits: { add: async () => undefined, recent: async () => [] },
    orders: { listForDriver: async () => [] },
    proofs: new PlateProofs({ proofs: new MongoPlateProofRepository(db.connection), orders: { listForDriver: async () => [] }, visits: { recent: async () => [] }, records: repo, clock }),
    findCar: async () => [],
    clock,
    urlSigningKey: 'pictures-test-signing-key',
  });
  const api = createApiRouter({ authenticate: async () => undefined });
  mountParkRoutes(api, parking);
  app = createApp({
    logger: createLogger('silent'),
    databaseReady: async () => true,
    routers: [bluecardRouter({ parks, clock, records: new LotRecordsService(repo, clock) }), api],
  });
});
afterAll(async () => {
  await db.dispose();
});

const upload = (imageName: string, bytes: Buffer) =>
  request(app.callback())
    .post(`${BLUECARD_PREFIX}/images`)
    .set('content-type', 'application/json')
    .set('sign', bluecardSign(KEY, P))
    .send(JSON.stringify({ parkNumber: P, imageName, image: bytes.toString('base64') }));

const JPEG = Buffer.concat([Buffer.from([0xff, 0xd8, 0xff, 0xe0, 0x00, 0x10, 0x4a, 0x46, 0x49, 0x46, 0x00]), Buffer.alloc(64, 1), Buffer.from([0xff, 0xd9])]);
const PNG = Buffer.concat([Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]), Buffer.alloc(64, 2)]);
const HTML = Buffer.from('<html><script>fetch("/api/me/plates").then(r=>r.text()).then(alert)</script></html>');
const GIF_HTML = Buffer.concat([Buffer.from('GIF89a'), HTML]);
const WEBP_HTML = Buffer.concat([Buffer.from('RIFF'), HTML]);

describe('4.14 keeps only JPEG and PNG', () => {
  it.each([
    ['html.jpg', HTML],
    ['gif.jpg', GIF_HTML],
    ['riff.jpg', WEBP_HTML],
    ['bm.jpg', Buffer.concat([Buffer.from('BM'), HTML])],
    ['short.jpg', Buffer.from([0xff, 0xd8])],
  ])('refuses %s (not a JPEG or PNG) and stores nothing', async (name, bytes) => {
    const res = await upload(name, bytes);
    expect(res.body).toEqual({ status: 'fail', errorCode: expect.stringMatching(/^bad_image: .*JPEG or PNG/) });
    expect(await repo.findImage(P, name)).toBeUndefined();
  });

  it.each([
    ['in.jpg', 'image/jpeg', JPEG],
    ['in.png', 'image/png', PNG],
  ])('keeps %s as %s', async (name, mime, bytes) => {
    expect((await upload(name, bytes)).body.status).toBe('success');
    expect(await repo.findImage(P, name)).toMatchObject({ mime });
  });
});

describe('serving pictures', () => {
  it('sends a kept picture as its type, with nosniff and a CSP that runs nothing', async () => {
    await upload('serve.jpg', JPEG);
    const res = await request(app.callback()).get(parking.imageLink(P, 'serve.jpg'));
    expect(res.status).toBe(200);
    expect(res.headers['content-type']).toBe('image/jpeg');
    expect(res.headers['x-content-type-options']).toBe('nosniff');
    const csp = res.headers['content-security-policy'] as string;
    expect(csp).toContain("default-src 'none'");
    expect(csp).toContain('sandbox');
    expect(Buffer.from(res.body as Buffer).equals(JPEG)).toBe(true);
  });

  it('never serves something that is not a JPEG or PNG, even if it was stored before the check', async () => {
    // As an older version kept it.
    await repo.saveImage({ parkNumber: P, imageName: 'old.html', mime: 'image/gif', data: GIF_HTML, bytes: GIF_HTML.length, sha256: 'x', receivedAt: new Date(clock.now()) });
    const res = await request(app.callback()).get(parking.imageLink(P, 'old.html'));
    expect(res.status).toBe(404);
    expect(res.headers['content-type']).toMatch(/^application\/json/);
    expect(res.text).not.toContain('<script>');
  });
});
