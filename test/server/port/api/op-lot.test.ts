/**
 * Operators and the lot, over HTTP against the Bluecard sandbox (which checks our signs and answers as the
 * lot would): the barrier lift in two steps (confirmation for this operator and lane only, 30 s, spent
 * once; the lot's lift log shows exactly one lift; audited with the reason; an unanswered lift said to be
 * unknown), space status per layer (4.33), find a car (4.34), and a stay's pictures (stored 4.14 pictures
 * as our links; the others from the lot through 4.20).
 */
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import request from 'supertest';
import { buildPath, opLotEndpoints as ep } from '../../../../shared/api';
import { BluecardClient } from '../../../../server/src/adapter/bluecard';
import { BluecardOperatorLot } from '../../../../server/src/adapter/bluecard/operator-lot';
import { createApp } from '../../../../server/src/app';
import { ManualClock } from '../../../../server/src/core/clock';
import { LotRecordsService } from '../../../../server/src/core/lot/lot-records';
import { LotOpsService } from '../../../../server/src/core/operators/lot-ops';
import { PlateProofs } from '../../../../server/src/core/parking/proofs';
import { MongoPlateProofRepository } from '../../../../server/src/repository/plate-proofs';
import { ParkingService } from '../../../../server/src/core/parking/service';
import { createLogger } from '../../../../server/src/logger';
import { mountOpLotRoutes } from '../../../../server/src/port/api/op-lot-routes';
import { mountParkRoutes } from '../../../../server/src/port/api/parks-routes';
import { bluecardRouter } from '../../../../server/src/port/bluecard/router';
import { MongoLaneLabelRepository } from '../../../../server/src/repository/lane-labels';
import { MongoLotRecordsRepository } from '../../../../server/src/repository/lot-records';
import { MongoLiftConfirmations } from '../../../../server/src/repository/operators';
import { MongoOrderRepository } from '../../../../server/src/repository/orders';
import { MongoParkDirectory } from '../../../../server/src/repository/parks';
import { MongoVisitRepository } from '../../../../server/src/repository/visits';
import { DEMO_PARK_KEY, DEMO_PARK_NUMBER, demoParks, startBluecardSandbox, type BluecardSandbox } from '../../../../server/sandbox/bluecard';
import { openTestDatabase, type TestDatabase } from '../../../support/db';
import { operatorWorld, type OperatorSession, type OperatorWorld } from '../../../support/operators';

const P = DEMO_PARK_NUMBER;
let db: TestDatabase;
let ops: OperatorWorld;
let bluecard: BluecardSandbox;
let server: http.Server;
let records: MongoLotRecordsRepository;
let api: ReturnType<typeof request>;
let admin: OperatorSession;
let op: OperatorSession;
let op2: OperatorSession;
let otherPark: OperatorSession;
let merchant: OperatorSession;
const clock = new ManualClock(Date.UTC(2026, 10, 28, 2, 0, 0));
const lifts = () => bluecard.park(P).dump().lifts as { passagewayId: string; via: string }[];

beforeAll(async () => {
  db = await openTestDatabase('oplot');
  ops = await operatorWorld(db.connection, { clock });
  bluecard = await startBluecardSandbox({ parks: demoParks(), clock: new ManualClock(clock.now()), heartbeatMs: 0, onError: (e) => console.error('bluecard sandbox', e) });
  const parks = new MongoParkDirectory(db.connection, 0);
  records = new MongoLotRecordsRepository(db.connection);
  const labels = new MongoLaneLabelRepository(db.connection);
  const confirmations = new MongoLiftConfirmations(db.connection);
  const visits = new MongoVisitRepository(db.connection);
  const orders = new MongoOrderRepository(db.connection);
  await Promise.all([parks.init(), records.init(), labels.init(), confirmations.init(), visits.init(), orders.init()]);
  await parks.upsert({ parkNumber: P, key: DEMO_PARK_KEY, bluecardBaseUrl: bluecard.url, name: '示例停车场' });
  await parks.upsert({ parkNumber: 'p_other', key: 'other-key', bluecardBaseUrl: bluecard.url, name: '别的停车场' });

  const proofs = new PlateProofs({ proofs: new MongoPlateProofRepository(db.connection), orders, visits, records, clock });
  const parking = new ParkingService({ parks, records, visits, orders, proofs, findCar: async () => [], clock, urlSigningKey: 'test-signing-key-0123456789' });
  const lotOps = new LotOpsService({
    parks,
    lanes: records,
    labels,
    lot: new BluecardOperatorLot(new BluecardClient({ backoffMs: [], timeoutMs: 3_000 })),
    confirmations,
    records,
    imageLink: (park, name) => parking.imageLink(park, name),
    clock,
  });
  const router = ops.router();
  mountOpLotRoutes(router, lotOps);
  mountParkRoutes(router, parking);
  const app = createApp({
    logger: createLogger('silent'),
    databaseReady: async () => true,
    routers: [bluecardRouter({ parks, clock, records: new LotRecordsService(records, clock) }), router],
  });
  server = http.createServer(app.callback());
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  const url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  api = request(url);
  // The lot announces its lanes (4.21) once it knows where ParkPay is.
  await bluecard.setParkPayBaseUrl(url);
  await bluecard.park(P).sendChannels(true);
  expect((await records.lanes(P)).length).toBe(4);

  admin = await ops.session({ role: 'admin' });
  op = await ops.session({ role: 'operator', parks: [P] });
  op2 = await ops.session({ role: 'operator', parks: [P] });
  otherPark = await ops.session({ role: 'operator', parks: ['p_other'] });
  merchant = await ops.session({ role: 'merchant', parks: [P] });
});
afterAll(async () => {
  await bluecard.stop();
  await new Promise<void>((r) => server.close(() => r()));
  await db.dispose();
});

const laneParams = (passagewayId: string) => ({ parkNumber: P, passagewayId });
async function requestLift(s: OperatorSession, lane: string, reason = '访客车辆，保安确认放行') {
  const r = await api.post(buildPath(ep.requestLift, laneParams(lane))).set(s.headers).send({ reason });
  expect(r.status).toBe(200);
  return r.body as { confirmationId: string; expiresAt: string; lane: { name: string; direction: string }; prompt: string };
}
const lift = (s: OperatorSession, lane: string, confirmationId: string) =>
  api.post(buildPath(ep.lift, laneParams(lane))).set(s.headers).send({ confirmationId });

describe('barrier lift (4.22)', () => {
  it('request → confirmation (30 s, names the lane) → lift: the lot lifts exactly once; audited with the reason', async () => {
    const before = lifts().length;
    const req = await requestLift(op, '2');
    expect(req).toEqual({
      confirmationId: expect.stringMatching(/^[A-Za-z0-9_-]{24}$/),
      expiresAt: new Date(clock.now() + 30_000).toISOString(),
      lane: { passagewayId: '2', name: '东门出口', direction: 'out' },
      prompt: '确认立即抬起「出口 东门出口」的道闸？请确认现场安全。',
    });
    expect(lifts().length).toBe(before); // nothing yet

    const r = await lift(op, '2', req.confirmationId);
    expect(r.status).toBe(200);
    expect(r.body).toEqual({ lifted: true, at: new Date(clock.now()).toISOString(), lane: { passagewayId: '2', name: '东门出口', direction: 'out' } });
    expect(lifts().slice(before)).toEqual([expect.objectContaining({ passagewayId: '2', via: '4.22' })]);

    // The same confirmation again (a double click, a retried request): refused, no second lift.
    const again = await lift(op, '2', req.confirmationId);
    expect([again.status, again.body.error.code]).toEqual([409, 'confirmation_used']);
    expect(lifts().length).toBe(before + 1);

    const entries = (await ops.auditEntries()).filter((e) => e.operatorId === op.operator.id && e.parkNumber === P);
    expect(entries.slice(0, 3).map((e) => [e.action, e.facts, e.result, e.code])).toEqual([
      ['POST /api/op/parks/:parkNumber/lanes/:passagewayId/lift', { passagewayId: '2' }, 'error', 'confirmation_used'],
      ['POST /api/op/parks/:parkNumber/lanes/:passagewayId/lift', { passagewayId: '2', laneName: '东门出口', reason: '访客车辆，保安确认放行' }, 'ok', undefined],
      ['POST /api/op/parks/:parkNumber/lanes/:passagewayId/lift-requests', { passagewayId: '2', laneName: '东门出口', reason: '访客车辆，保安确认放行' }, 'ok', undefined],
    ]);
  });

  it('a confirmation is good for 30 s, for its operator and lane only', async () => {
    const before = lifts().length;
    const req = await requestLift(op, '1');
    const otherOp = await lift(op2, '1', req.confirmationId);
    expect([otherOp.status, otherOp.body.error.code]).toEqual([404, 'confirmation_unknown']);
    const otherLane = await lift(op, '3', req.confirmationId);
    expect([otherLane.status, otherLane.body.error.code]).toEqual([404, 'confirmation_unknown']);
    const made = await lift(op, '1', 'x'.repeat(24));
    expect(made.body.error.code).toBe('confirmation_unknown');
    clock.advance(30_001);
    const late = await lift(op, '1', req.confirmationId);
    expect([late.status, late.body.error.code]).toEqual([410, 'confirmation_expired']);
    expect(lifts().length).toBe(before);

    const fresh = await requestLift(op, '1');
    clock.advance(29_000);
    expect((await lift(op, '1', fresh.confirmationId)).status).toBe(200);
    expect(lifts().length).toBe(before + 1);
  });

  it('two lifts racing on one confirmation: exactly one opens the barrier', async () => {
    const before = lifts().length;
    const req = await requestLift(op, '4');
    const answers = await Promise.all([1, 2, 3, 4].map(() => lift(op, '4', req.confirmationId)));
    expect(answers.map((a) => a.status).sort()).toEqual([200, 409, 409, 409]);
    expect(lifts().length).toBe(before + 1);
  });

  it('an unknown lane, another park, a merchant, no session: refused before anything reaches the lot', async () => {
    const before = lifts().length;
    const unknown = await api.post(buildPath(ep.requestLift, laneParams('99'))).set(op.headers).send({ reason: '测试一下' });
    expect([unknown.status, unknown.body.error.code]).toEqual([404, 'lane_unknown']);
    const other = await api.post(buildPath(ep.requestLift, laneParams('2'))).set(otherPark.headers).send({ reason: '测试一下' });
    expect([other.status, other.body.error.code]).toEqual([403, 'forbidden_park']);
    const m = await api.post(buildPath(ep.requestLift, laneParams('2'))).set(merchant.headers).send({ reason: '测试一下' });
    expect([m.status, m.body.error.code]).toEqual([403, 'forbidden_role']);
    expect((await api.post(buildPath(ep.requestLift, laneParams('2'))).send({ reason: '测试一下' })).status).toBe(401);
    const noReason = await api.post(buildPath(ep.requestLift, laneParams('2'))).set(op.headers).send({ reason: '' });
    expect(noReason.body.error.code).toBe('validation_failed');
    expect(lifts().length).toBe(before);
  });

  it("the lot's refusal and silence are told plainly (silence: the barrier may have opened); the confirmation is spent either way", async () => {
    bluecard.faults.add({ kind: 'fail', count: 1, name: 'RemoteLiftRod', errorCode: '通道离线' });
    const a = await requestLift(op, '2');
    const refused = await lift(op, '2', a.confirmationId);
    expect([refused.status, refused.body.error.code]).toEqual([502, 'lot_refused']);
    expect(refused.body.error.message).toContain('通道离线');

    bluecard.faults.add({ kind: 'timeout', count: 1, name: 'RemoteLiftRod', phase: 'after', hangMs: 5_000 });
    const before = lifts().length;
    const b = await requestLift(op, '2');
    const silent = await lift(op, '2', b.confirmationId);
    expect([silent.status, silent.body.error.code]).toEqual([504, 'lot_unreachable']);
    expect(silent.body.error.message).toMatch(/may or may not have opened/);
    expect(lifts().length).toBe(before + 1); // it did open: the answer was lost
    expect((await lift(op, '2', b.confirmationId)).body.error.code).toBe('confirmation_used');
    const audit = (await ops.auditEntries()).find((e) => e.action.endsWith('/lift') && e.code === 'lot_unreachable');
    expect(audit).toMatchObject({ operatorId: op.operator.id, result: 'error' });
  });
});

describe('spaces (4.33) and find a car (4.34)', () => {
  let orderId: string;
  beforeAll(async () => {
    const a = await bluecard.park(P).arrive({ lane: '1', plate: '京A12345', spaceId: 'A002', wait: true });
    orderId = a.orderId;
    await bluecard.park(P).arrive({ lane: '3', unlicensed: true, spaceId: 'B003', wait: true });
  });

  it('every space by layer, with counts', async () => {
    const r = await api.get(buildPath(ep.spaces, { parkNumber: P })).set(op.headers);
    expect(r.status).toBe(200);
    expect(r.body).toMatchObject({ total: 7, occupied: 2, free: 5 });
    expect(r.body.layers.map((l: { layerId: string; layerName: string; total: number; occupied: number; free: number }) => [l.layerId, l.layerName, l.total, l.occupied, l.free])).toEqual([
      ['001', '地面一层', 4, 1, 3],
      ['002', '地下一层', 3, 1, 2],
    ]);
    expect(r.body.layers[0].spaces[1]).toEqual({ spaceId: 'A002', occupied: true, plate: '京A12345', carType: expect.any(String) });
    expect(r.body.layers[0].spaces[0]).toEqual({ spaceId: 'A001', occupied: false, plate: '', carType: '' });
  });

  it('finds a car by part of its plate; no plate: the unlicensed cars; fewer than 4 characters refused', async () => {
    const r = await api.get(buildPath(ep.findCar, { parkNumber: P })).query({ plate: 'A123' }).set(op.headers);
    expect(r.status).toBe(200);
    expect(r.body.cars).toEqual([
      { layerId: '001', layerName: '地面一层', spaceId: 'A002', plate: '京A12345', carType: expect.any(String), imageUrl: expect.stringMatching(/^http/), x: 0.156, y: 0.158 },
    ]);
    const unl = await api.get(buildPath(ep.findCar, { parkNumber: P })).set(op.headers);
    expect(unl.body.cars.map((c: { spaceId: string; plate: string }) => [c.spaceId, c.plate])).toEqual([['B003', '无牌车']]);
    const short = await api.get(buildPath(ep.findCar, { parkNumber: P })).query({ plate: 'A12' }).set(op.headers);
    expect([short.status, short.body.error.code]).toEqual([400, 'plate_too_short']);
    const other = await api.get(buildPath(ep.findCar, { parkNumber: P })).query({ plate: 'A123' }).set(otherPark.headers);
    expect(other.status).toBe(403);
  });

  it('a lot that does not answer: 504 lot_unreachable', async () => {
    bluecard.faults.add({ kind: 'http500', count: 1, name: 'getAllSpaceStatus' });
    const r = await api.get(buildPath(ep.spaces, { parkNumber: P })).set(admin.headers);
    expect([r.status, r.body.error.code]).toEqual([504, 'lot_unreachable']);
  });

  it("a stay's pictures: the entry picture stored (our link, which serves it); the exit picture from the lot (4.20)", async () => {
    await bluecard.park(P).sendImages({ orderId }, true);
    clock.advance(60 * 60_000);
    await bluecard.park(P).leave({ lane: '2', orderId, force: true, wait: true });

    const stays = await api.get(buildPath(ep.stays, { parkNumber: P })).query({ plate: '京a12345' }).set(op.headers);
    expect(stays.status).toBe(200);
    expect(stays.body.stays).toEqual([expect.objectContaining({ orderId, plate: '京A12345', status: 'out', inImage: expect.any(String), outImage: expect.any(String) })]);
    const stay = stays.body.stays[0];

    const r = await api.get(buildPath(ep.stayPictures, { parkNumber: P, orderId })).set(op.headers);
    expect(r.status).toBe(200);
    expect(r.body.lotError).toBeNull();
    const [entry, exit] = r.body.pictures;
    expect(entry).toEqual({ kind: 'entry', imageName: stay.inImage, url: expect.stringMatching(/^\/api\/images\//), source: 'stored' });
    expect(exit).toEqual({ kind: 'exit', imageName: stay.outImage, url: expect.stringMatching(/^http:\/\/127\.0\.0\.1:\d+\//), source: 'lot' });
    const img = await api.get(entry.url);
    expect(img.status).toBe(200);
    expect(img.headers['content-type']).toMatch(/^image\//);
    expect((img.body as Buffer).length).toBeGreaterThan(100);

    const nope = await api.get(buildPath(ep.stayPictures, { parkNumber: P, orderId: 'nope' })).set(op.headers);
    expect([nope.status, nope.body.error.code]).toEqual([404, 'stay_unknown']);
    const other = await api.get(buildPath(ep.stayPictures, { parkNumber: P, orderId })).set(otherPark.headers);
    expect(other.status).toBe(403);
  });
});
