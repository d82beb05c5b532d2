/**
 * Parks and lanes for operators over HTTP on the real database: registering and editing parks (the key
 * write-only, roles, settings merged, the park directory's cache dropped on a change), lanes from 4.21 with
 * our labels, and each lane's QR code as PNG and SVG (decoded back to the lane link the mini-program
 * parses) and as an A4 poster (rendered to an image with pdftoppm: not blank, the QR code decodes, the
 * Chinese text is there).
 */
import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { Writable } from 'node:stream';
import jsQR from 'jsqr';
import { PNG } from 'pngjs';
import request from 'supertest';
import { parseLaneLink } from '../../../../miniapp/src/services/laneLink';
import { buildPath, opParkEndpoints as ep } from '../../../../shared/api';
import { LaneCodeDrawer } from '../../../../server/src/adapter/posters/lane-codes';
import { createApp } from '../../../../server/src/app';
import { ParkAdminService } from '../../../../server/src/core/operators/parks';
import { createLogger } from '../../../../server/src/logger';
import { mountOpParkRoutes } from '../../../../server/src/port/api/op-parks-routes';
import { MongoLaneLabelRepository } from '../../../../server/src/repository/lane-labels';
import { MongoLotRecordsRepository } from '../../../../server/src/repository/lot-records';
import { MongoParkDirectory } from '../../../../server/src/repository/parks';
import { MongoOrderRepository } from '../../../../server/src/repository/orders';
import { MongoVisitRepository } from '../../../../server/src/repository/visits';
import { PlateProofs } from '../../../../server/src/core/parking/proofs';
import { MongoPlateProofRepository } from '../../../../server/src/repository/plate-proofs';
import { ParkingService } from '../../../../server/src/core/parking/service';
import { openTestDatabase, type TestDatabase } from '../../../support/db';
import { operatorWorld, type OperatorSession, type OperatorWorld } from '../../../support/operators';

const BASE = 'https://pay.example.cn';
let db: TestDatabase;
let ops: OperatorWorld;
let directory: MongoParkDirectory;
let records: MongoLotRecordsRepository;
let api: ReturnType<typeof request>;
let admin: OperatorSession;
let opA: OperatorSession;
let merchantA: OperatorSession;
const logLines: string[] = [];

function appWith(drawer: LaneCodeDrawer) {
  const service = new ParkAdminService({
    parks: directory,
    lanes: records,
    labels: new MongoLaneLabelRepository(db.connection),
    renderer: drawer,
    publicBaseUrl: `${BASE}/`,
    clock: ops.clock,
    laneQrProviders: ['wechat', 'alipay'],
  });
  const router = ops.router();
  mountOpParkRoutes(router, service);
  const logger = createLogger('trace', new Writable({ write: (c, _e, cb) => (logLines.push(c.toString()), cb()) }));
  return request(createApp({ logger, databaseReady: async () => true, routers: [router] }).callback());
}

/** Supertest keeps binary bodies as Buffers with this parser. */
const binary = (response: request.Response, cb: (err: Error | null, body: Buffer) => void) => {
  const res = response as unknown as NodeJS.ReadableStream;
  res.setEncoding('binary');
  let data = '';
  res.on('data', (c: string) => (data += c));
  res.on('end', () => cb(null, Buffer.from(data, 'binary')));
};

function decodePng(buf: Buffer): string | undefined {
  const png = PNG.sync.read(buf);
  return jsQR(new Uint8ClampedArray(png.data), png.width, png.height)?.data;
}

beforeAll(async () => {
  db = await openTestDatabase('opparks');
  ops = await operatorWorld(db.connection);
  directory = new MongoParkDirectory(db.connection, 60_000);
  records = new MongoLotRecordsRepository(db.connection);
  const labels = new MongoLaneLabelRepository(db.connection);
  await Promise.all([directory.init(), records.init(), labels.init()]);
  await directory.upsert({ parkNumber: 'PA', key: 'key-of-park-a-0001', bluecardBaseUrl: 'http://127.0.0.1:9/a', name: '甲停车场' });
  await directory.upsert({ parkNumber: 'PB', key: 'key-of-park-b-0002', bluecardBaseUrl: 'http://127.0.0.1:9/b', name: '乙停车场' });
  const at = new Date(ops.clock.now());
  for (const [id, name, s, t] of [
    ['1', '东门入口', '0', '1'],
    ['2', '东门出口', '1', '0'],
    ['10', '内部通道', '1', '2'],
  ] as const) {
    await records.upsertLane({ parkNumber: 'PA', passagewayId: id, name, sourceAreaId: s, targetAreaId: t, updatedAt: at });
  }
  await records.upsertLane({ parkNumber: 'PB', passagewayId: '1', name: 'B入口', sourceAreaId: '0', targetAreaId: '1', updatedAt: at });
  api = appWith(new LaneCodeDrawer());
  admin = await ops.session({ role: 'admin' });
  opA = await ops.session({ role: 'operator', parks: ['PA'] });
  merchantA = await ops.session({ role: 'merchant', parks: ['PA'] });
});
afterAll(async () => {
  await db.dispose();
});

describe('parks', () => {
  it('admins register a park; the key is stored but never answered; a second registration is 409', async () => {
    const body = { parkNumber: 'PC', key: 'secret-key-of-pc-77', bluecardBaseUrl: 'https://bluecard.example.cn/', name: '丙停车场' };
    const res = await api.post(ep.registerPark.path).set(admin.headers).send(body);
    expect(res.status).toBe(200);
    expect(res.body).toEqual({
      parkNumber: 'PC',
      name: '丙停车场',
      bluecardBaseUrl: 'https://bluecard.example.cn',
      hasKey: true,
      settings: {},
      // Nothing set: the defaults are what applies, and said to be defaults.
      effective: {
        laneQrProvider: 'wechat',
        channelPayPolicy: 'secured',
        openGate: { blacklist: true, bookings: true },
        withholding: { maxPerDeductionFen: 10_000, maxPerDayFen: 20_000 },
        defaulted: ['laneQrProvider', 'channelPayPolicy', 'openGate.blacklist', 'openGate.bookings', 'withholding.maxPerDeductionFen', 'withholding.maxPerDayFen'],
      },
    });
    expect(res.text).not.toContain('secret-key-of-pc-77');
    expect((await directory.get('PC'))?.key).toBe('secret-key-of-pc-77');
    const again = await api.post(ep.registerPark.path).set(admin.headers).send(body);
    expect([again.status, again.body.error.code]).toEqual([409, 'park_exists']);
  });

  it('refuses a bad URL or park number; operators and merchants may not register', async () => {
    const bad = await api.post(ep.registerPark.path).set(admin.headers).send({ parkNumber: 'PD', key: 'k', bluecardBaseUrl: 'ftp://x' });
    expect([bad.status, bad.body.error.code]).toEqual([400, 'invalid_url']);
    const creds = await api.post(ep.registerPark.path).set(admin.headers).send({ parkNumber: 'PD', key: 'k', bluecardBaseUrl: 'http://u:p@x' });
    expect(creds.body.error.code).toBe('invalid_url');
    const num = await api.post(ep.registerPark.path).set(admin.headers).send({ parkNumber: 'P D/1', key: 'k', bluecardBaseUrl: 'http://x' });
    expect(num.body.error.code).toBe('invalid_park_number');
    for (const s of [opA, merchantA]) {
      const r = await api.post(ep.registerPark.path).set(s.headers).send({ parkNumber: 'PE', key: 'k', bluecardBaseUrl: 'http://x' });
      expect([r.status, r.body.error.code]).toEqual([403, 'forbidden_role']);
    }
    expect(await directory.get('PE')).toBeUndefined();
  });

  it('lists: admins every park, an operator only theirs; no key in any answer', async () => {
    const all = await api.get(ep.listParks.path).set(admin.headers);
    expect(all.body.parks.map((p: { parkNumber: string }) => p.parkNumber)).toEqual(expect.arrayContaining(['PA', 'PB', 'PC']));
    const mine = await api.get(ep.listParks.path).set(opA.headers);
    expect(mine.body.parks.map((p: { parkNumber: string }) => p.parkNumber)).toEqual(['PA']);
    expect(all.text + mine.text).not.toMatch(/key-of-park|secret-key/);
    expect((await api.get(buildPath(ep.park, { parkNumber: 'PA' })).set(merchantA.headers)).status).toBe(200);
  });

  it("an operator edits their park's name and settings (merged); only admins change key and URL; the directory sees it at once", async () => {
    expect((await directory.get('PA'))?.name).toBe('甲停车场'); // cached now (ttl 60 s)
    const path = buildPath(ep.updatePark, { parkNumber: 'PA' });
    const r1 = await api.post(path).set(opA.headers).send({ name: '甲停车场（东区）', settings: { laneQrProvider: 'alipay', openGate: { blacklist: false } } });
    expect(r1.status).toBe(200);
    const r2 = await api.post(path).set(opA.headers).send({ settings: { openGate: { bookings: false } } });
    expect(r2.body.settings).toEqual({ laneQrProvider: 'alipay', openGate: { blacklist: false, bookings: false } });
    expect(r2.body.effective).toMatchObject({ laneQrProvider: 'alipay', channelPayPolicy: 'secured', openGate: { blacklist: false, bookings: false } });
    expect(r2.body.effective.defaulted).toEqual(['channelPayPolicy', 'withholding.maxPerDeductionFen', 'withholding.maxPerDayFen']);
    const p = await directory.get('PA');
    expect(p).toMatchObject({ name: '甲停车场（东区）', settings: { laneQrProvider: 'alipay', openGate: { blacklist: false, bookings: false } } });

    const key = await api.post(path).set(opA.headers).send({ key: 'stolen-key-123' });
    expect([key.status, key.body.error.code]).toEqual([403, 'forbidden_role']);
    const merchant = await api.post(path).set(merchantA.headers).send({ name: 'x' });
    expect([merchant.status, merchant.body.error.code]).toEqual([403, 'forbidden_role']);
    const other = await api.post(buildPath(ep.updatePark, { parkNumber: 'PB' })).set(opA.headers).send({ name: 'x' });
    expect([other.status, other.body.error.code]).toEqual([403, 'forbidden_park']);

    const byAdmin = await api.post(path).set(admin.headers).send({ key: 'rotated-key-a-0003', bluecardBaseUrl: 'http://127.0.0.1:9/a2/' });
    expect(byAdmin.body).toMatchObject({ hasKey: true, bluecardBaseUrl: 'http://127.0.0.1:9/a2' });
    expect(byAdmin.text).not.toContain('rotated-key');
    expect(await directory.get('PA')).toMatchObject({ key: 'rotated-key-a-0003', bluecardBaseUrl: 'http://127.0.0.1:9/a2' });
    const entries = await ops.auditEntries();
    expect(JSON.stringify(entries)).not.toContain('rotated-key');
    // What changed, never the key: only that it changed.
    expect(entries[0]).toMatchObject({ username: admin.operator.username, action: 'POST /api/op/parks/:parkNumber', parkNumber: 'PA', result: 'ok' });
    expect(entries[0]!.facts).toEqual({ keyChanged: true, bluecardBaseUrl: 'http://127.0.0.1:9/a2/' });
  });

  it('an unknown park is 404 park_unknown for an admin', async () => {
    const r = await api.get(buildPath(ep.park, { parkNumber: 'NOPE' })).set(admin.headers);
    expect([r.status, r.body.error.code]).toEqual([404, 'park_unknown']);
  });
});

describe('lanes', () => {
  it("lists the lot's lanes with direction from the areas, links and code URLs", async () => {
    const r = await api.get(buildPath(ep.lanes, { parkNumber: 'PA' })).set(opA.headers);
    expect(r.status).toBe(200);
    expect(r.body.lanes.map((l: { passagewayId: string; name: string; direction: string; directionFrom: string }) => [l.passagewayId, l.name, l.direction, l.directionFrom])).toEqual([
      ['1', '东门入口', 'in', 'areas'],
      ['2', '东门出口', 'out', 'areas'],
      ['10', '内部通道', null, 'unknown'],
    ]);
    expect(r.body.lanes[0]).toMatchObject({
      link: `${BASE}/q/PA/1`,
      codes: { png: '/api/op/parks/PA/lanes/1/qr.png', svg: '/api/op/parks/PA/lanes/1/qr.svg', poster: '/api/op/parks/PA/lanes/1/poster.pdf' },
    });
    // The link is one the mini-program opens.
    expect(parseLaneLink(r.body.lanes[0].link)).toEqual({ parkNumber: 'PA', passagewayId: '1' });
  });

  it('operators label a lane (name, direction, note); null clears back to the lot’s; merchants may not', async () => {
    const path = buildPath(ep.updateLane, { parkNumber: 'PA', passagewayId: '10' });
    const r = await api.post(path).set(opA.headers).send({ name: '地库坡道', direction: 'out', note: '夜间关闭' });
    expect(r.status).toBe(200);
    expect(r.body).toMatchObject({ name: '地库坡道', lotName: '内部通道', direction: 'out', directionFrom: 'label', note: '夜间关闭' });
    await records.upsertLane({ parkNumber: 'PA', passagewayId: '10', name: '内部通道2', sourceAreaId: '1', targetAreaId: '2', updatedAt: new Date() });
    const after = await api.get(buildPath(ep.lanes, { parkNumber: 'PA' })).set(admin.headers);
    expect(after.body.lanes[2]).toMatchObject({ name: '地库坡道', lotName: '内部通道2', direction: 'out' });
    const cleared = await api.post(path).set(opA.headers).send({ name: null, direction: null });
    expect(cleared.body).toMatchObject({ name: '内部通道2', direction: null, directionFrom: 'unknown', note: '夜间关闭' });

    const m = await api.post(path).set(merchantA.headers).send({ note: 'x' });
    expect([m.status, m.body.error.code]).toEqual([403, 'forbidden_role']);
    const unknown = await api.post(buildPath(ep.updateLane, { parkNumber: 'PA', passagewayId: '99' })).set(opA.headers).send({ note: 'x' });
    expect([unknown.status, unknown.body.error.code]).toEqual([404, 'lane_unknown']);
    const entries = await ops.auditEntries();
    expect(entries.find((e) => e.facts?.passagewayId === '10' && e.result === 'ok')).toMatchObject({ parkNumber: 'PA', username: opA.operator.username, facts: expect.objectContaining({ laneName: expect.any(String) }) });
  });
});

describe("drivers' view of the park", () => {
  const driversView = () =>
    new ParkingService({
      parks: directory,
      records,
      visits: new MongoVisitRepository(db.connection),
      orders: new MongoOrderRepository(db.connection),
      proofs: new PlateProofs({ proofs: new MongoPlateProofRepository(db.connection), orders: new MongoOrderRepository(db.connection), visits: new MongoVisitRepository(db.connection), records, clock: ops.clock }),
      findCar: async () => [],
      clock: ops.clock,
      urlSigningKey: 'k',
      laneLabels: new MongoLaneLabelRepository(db.connection),
    });

  it('shows the service information the operator wrote, field by field, and null for what is unsaid', async () => {
    const path = buildPath(ep.updatePark, { parkNumber: 'PB' });
    expect((await driversView().view('PB')).service).toEqual({ tariffText: null, freeMinutes: null, paidFreeMinutes: null, phone: null, address: null });
    const r1 = await api.post(path).set(admin.headers).send({ settings: { service: { tariffText: '首15分钟免费，之后每小时2元', freeMinutes: 15 } } });
    expect(r1.status).toBe(200);
    await api.post(path).set(admin.headers).send({ settings: { service: { phone: '010-12345678', address: '上海市黄浦区南京东路 1 号' } } });
    // The audit log says what the operator set, the address included.
    expect((await ops.auditEntries())[0]!.facts).toEqual({ phone: '010-12345678', address: '上海市黄浦区南京东路 1 号' });
    expect((await driversView().view('PB')).service).toEqual({
      tariffText: '首15分钟免费，之后每小时2元',
      freeMinutes: 15,
      paidFreeMinutes: null,
      phone: '010-12345678',
      address: '上海市黄浦区南京东路 1 号',
    });
    const bad = await api.post(path).set(admin.headers).send({ settings: { service: { freeMinutes: -1 } } });
    expect(bad.status).toBe(400);
  });

  it("shows our lane names and directions over the lot's", async () => {
    await api.post(buildPath(ep.updateLane, { parkNumber: 'PA', passagewayId: '1' })).set(opA.headers).send({ name: '东门（访客）入口' });
    await api.post(buildPath(ep.updateLane, { parkNumber: 'PA', passagewayId: '10' })).set(opA.headers).send({ direction: 'in' });
    const parking = new ParkingService({
      parks: directory,
      records,
      visits: new MongoVisitRepository(db.connection),
      orders: new MongoOrderRepository(db.connection),
      proofs: new PlateProofs({ proofs: new MongoPlateProofRepository(db.connection), orders: new MongoOrderRepository(db.connection), visits: new MongoVisitRepository(db.connection), records, clock: ops.clock }),
      findCar: async () => [],
      clock: ops.clock,
      urlSigningKey: 'k',
      laneLabels: new MongoLaneLabelRepository(db.connection),
    });
    const view = await parking.view('PA');
    expect(view.lanes).toEqual(
      expect.arrayContaining([
        { passagewayId: '1', name: '东门（访客）入口', direction: 'in' },
        { passagewayId: '2', name: '东门出口', direction: 'out' },
        { passagewayId: '10', name: '内部通道2', direction: 'in' },
      ]),
    );
  });
});

describe('lane codes', () => {
  it('PNG: image/png that decodes to the lane link', async () => {
    const r = await api.get(buildPath(ep.laneQrPng, { parkNumber: 'PA', passagewayId: '2' })).query({ size: 300 }).set(opA.headers).buffer(true).parse(binary);
    expect(r.status).toBe(200);
    expect(r.headers['content-type']).toBe('image/png');
    expect(r.headers['content-disposition']).toContain('lane-PA-2.png');
    const png = PNG.sync.read(r.body as Buffer);
    expect(png.width).toBe(300);
    expect(decodePng(r.body as Buffer)).toBe(`${BASE}/q/PA/2`);
  });

  it('SVG: image/svg+xml with the code drawn as a path', async () => {
    const r = await api.get(buildPath(ep.laneQrSvg, { parkNumber: 'PA', passagewayId: '2' })).set(opA.headers).buffer(true).parse(binary);
    expect(r.status).toBe(200);
    expect(r.headers['content-type']).toBe('image/svg+xml');
    const svg = (r.body as Buffer).toString('utf8');
    expect(svg).toMatch(/^<svg[^>]*viewBox="0 0 \d+ \d+"/);
    expect(svg).toMatch(/<path[^>]* d="M[^"]{200,}"/);
  });

  it('poster: an A4 PDF that renders with the QR code decodable and the Chinese text in it', async () => {
    const r = await api.get(buildPath(ep.lanePoster, { parkNumber: 'PA', passagewayId: '2' })).set(opA.headers).buffer(true).parse(binary);
    expect(r.status).toBe(200);
    expect(r.headers['content-type']).toBe('application/pdf');
    expect(r.headers['content-disposition']).toContain(`filename*=UTF-8''PA-${encodeURIComponent('东门出口')}.pdf`);
    const pdf = r.body as Buffer;
    expect(pdf.subarray(0, 5).toString()).toBe('%PDF-');

    const dir = mkdtempSync(path.join(os.tmpdir(), 'poster-'));
    try {
      writeFileSync(path.join(dir, 'p.pdf'), pdf);
      const info = execFileSync('pdfinfo', [path.join(dir, 'p.pdf')]).toString();
      expect(info).toMatch(/Pages:\s+1/);
      expect(info).toMatch(/Page size:\s+595\.28 x 841\.89 pts \(A4\)/);
      execFileSync('pdftoppm', ['-r', '100', '-png', '-singlefile', path.join(dir, 'p.pdf'), path.join(dir, 'page')]);
      const page = readFileSync(path.join(dir, 'page.png'));
      const img = PNG.sync.read(page);
      expect(img.width).toBe(827);
      expect(Math.abs(img.height - 1169)).toBeLessThanOrEqual(1);
      let dark = 0;
      for (let i = 0; i < img.data.length; i += 4) if (img.data[i]! + img.data[i + 1]! + img.data[i + 2]! < 384) dark++;
      const share = dark / (img.width * img.height);
      expect(share).toBeGreaterThan(0.05); // not blank
      expect(share).toBeLessThan(0.6); // not a black page
      expect(decodePng(page)).toBe(`${BASE}/q/PA/2`);
      const text = execFileSync('pdftotext', ['-layout', path.join(dir, 'p.pdf'), '-']).toString();
      for (const t of ['甲停车场', '出口', '东门出口', '支付成功后道闸自动抬起', `${BASE}/q/PA/2`]) expect(text).toContain(t);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it('poster: the park’s tariff and service information under the instructions, the QR code still decodable', async () => {
    const tariff = '小型车首小时 5 元，之后每小时 2 元，每日最高 30 元。';
    const set = await api
      .post(buildPath(ep.updatePark, { parkNumber: 'PA' }))
      .set(opA.headers)
      .send({ settings: { service: { tariffText: tariff, freeMinutes: 15, paidFreeMinutes: 20, phone: '010-88886666' } } });
    expect(set.status).toBe(200);
    const r = await api.get(buildPath(ep.lanePoster, { parkNumber: 'PA', passagewayId: '2' })).set(opA.headers).buffer(true).parse(binary);
    const dir = mkdtempSync(path.join(os.tmpdir(), 'poster-'));
    try {
      writeFileSync(path.join(dir, 'p.pdf'), r.body as Buffer);
      expect(execFileSync('pdfinfo', [path.join(dir, 'p.pdf')]).toString()).toMatch(/Pages:\s+1/);
      const text = execFileSync('pdftotext', [path.join(dir, 'p.pdf'), '-']).toString().replace(/\s+/g, '');
      for (const t of ['收费标准', tariff, '入场15分钟内免费', '缴费后请在20分钟内离场', '服务电话：010-88886666', '支付成功后道闸自动抬起']) expect(text).toContain(t.replace(/\s+/g, ''));
      execFileSync('pdftoppm', ['-r', '100', '-png', '-singlefile', path.join(dir, 'p.pdf'), path.join(dir, 'page')]);
      expect(decodePng(readFileSync(path.join(dir, 'page.png')))).toBe(`${BASE}/q/PA/2`);
    } finally {
      rmSync(dir, { recursive: true, force: true });
      await api.post(buildPath(ep.updatePark, { parkNumber: 'PA' })).set(opA.headers).send({ settings: { service: { tariffText: '', freeMinutes: null, paidFreeMinutes: null, phone: '' } } });
    }
  });

  it('an entry lane gets the entry instructions; an unknown lane 404; another park 403', async () => {
    const r = await api.get(buildPath(ep.lanePoster, { parkNumber: 'PA', passagewayId: '1' })).set(admin.headers).buffer(true).parse(binary);
    const dir = mkdtempSync(path.join(os.tmpdir(), 'poster-'));
    try {
      writeFileSync(path.join(dir, 'p.pdf'), r.body as Buffer);
      const text = execFileSync('pdftotext', [path.join(dir, 'p.pdf'), '-']).toString();
      expect(text).toContain('入口');
      expect(text).toContain('获取临时车牌');
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
    const unknown = await api.get(buildPath(ep.lanePoster, { parkNumber: 'PA', passagewayId: '99' })).set(admin.headers);
    expect([unknown.status, unknown.body.error.code]).toEqual([404, 'lane_unknown']);
    const other = await api.get(buildPath(ep.laneQrPng, { parkNumber: 'PB', passagewayId: '1' })).set(opA.headers);
    expect([other.status, other.body.error.code]).toEqual([403, 'forbidden_park']);
  });

  it('without a CJK font the poster is refused plainly (503 poster_font_missing), the PNG still works', async () => {
    const noFont = appWith(new LaneCodeDrawer({ path: '/nonexistent/font.ttc' }));
    const r = await noFont.get(buildPath(ep.lanePoster, { parkNumber: 'PA', passagewayId: '1' })).set(admin.headers);
    expect(r.status).toBe(503);
    expect(r.body.error).toMatchObject({ code: 'poster_font_missing', message: expect.stringContaining('fonts-wqy-zenhei') });
    expect((await noFont.get(buildPath(ep.laneQrPng, { parkNumber: 'PA', passagewayId: '1' })).set(admin.headers)).status).toBe(200);
  });
});
