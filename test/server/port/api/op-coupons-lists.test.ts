/**
 * Coupons and lists for operators over HTTP: real operator sessions (the operator service on the test
 * database), the contracts of shared/api/op-coupons.ts and op-lists.ts, the services on the Bluecard
 * sandbox. Park scoping, roles, audit entries, validation, and the long-running import polled to the end.
 */
import request from 'supertest';
import { buildPath, opCouponEndpoints as cp, opListEndpoints as ls } from '../../../../shared/api';
import { createApp } from '../../../../server/src/app';
import { createLogger } from '../../../../server/src/logger';
import { mountOpCouponRoutes } from '../../../../server/src/port/api/op-coupons-routes';
import { mountOpListRoutes } from '../../../../server/src/port/api/op-lists-routes';
import { DEMO_PARK_NUMBER } from '../../../../server/sandbox/bluecard';
import { eventually } from '../../../support/eventually';
import { startLaneWorld, type LaneWorld } from '../../../support/lane-world';
import { operatorWorld, type OperatorSession, type OperatorWorld } from '../../../support/operators';

jest.setTimeout(60_000);

const P = DEMO_PARK_NUMBER;
let w: LaneWorld;
let ops: OperatorWorld;
let api: ReturnType<typeof request>;
let admin: OperatorSession;
let operator: OperatorSession;
let merchant: OperatorSession;
let otherMerchant: OperatorSession;
let otherPark: OperatorSession;

beforeAll(async () => {
  w = await startLaneWorld('opcoupons');
  ops = await operatorWorld(w.db.connection, { clock: w.clock });
  const router = ops.router();
  mountOpCouponRoutes(router, w.coupons);
  mountOpListRoutes(router, w.lists);
  api = request(createApp({ logger: createLogger('silent'), databaseReady: async () => true, routers: [router] }).callback());
  admin = await ops.session({ role: 'admin' });
  operator = await ops.session({ role: 'operator', parks: [P] });
  merchant = await ops.session({ role: 'merchant', parks: [P], displayName: '一楼咖啡' });
  otherMerchant = await ops.session({ role: 'merchant', parks: [P] });
  otherPark = await ops.session({ role: 'operator', parks: ['p_other_001'] });
});
afterAll(async () => {
  await w.close();
});

const rid = () => `r-${Math.random().toString(36).slice(2, 12)}`;

describe('coupons', () => {
  it('a merchant gives a coupon; it is at the lot, audited, idempotent by requestId', async () => {
    await w.arrive('京N10001', 75);
    const requestId = rid();
    const body = { requestId, plate: '京N10001', kind: 'money', fen: 200, memo: '满百减二' };
    const r = await api.post(buildPath(cp.issue, { parkNumber: P })).set(merchant.headers).send(body);
    expect(r.status).toBe(200);
    expect(cp.issue.response.safeParse(r.body).success).toBe(true);
    expect(r.body).toMatchObject({ kind: 'money', fen: 200, minutes: null, status: 'at_lot', plate: '京N10001', issuer: { role: 'merchant', displayName: '一楼咖啡' }, memo: '满百减二' });
    const again = await api.post(buildPath(cp.issue, { parkNumber: P })).set(merchant.headers).send(body);
    expect(again.body.couponCode).toBe(r.body.couponCode);
    expect(w.bluecard.park(P).state.coupons.has(r.body.couponCode)).toBe(true);

    const audit = await ops.auditEntries();
    expect(audit).toContainEqual(
      expect.objectContaining({ action: 'POST /api/op/parks/:parkNumber/coupons', parkNumber: P, username: merchant.operator.username, result: 'ok', facts: { couponCode: r.body.couponCode, plate: '京N10001', kind: 'money', fen: 200, status: 'at_lot' } }),
    );

    const hours = await api.post(buildPath(cp.issue, { parkNumber: P })).set(operator.headers).send({ requestId: rid(), plate: '京N10001', kind: 'hours', minutes: 30 });
    expect(hours.body).toMatchObject({ kind: 'hours', minutes: 30, fen: null, status: 'at_lot' });
  });

  it('refuses: no session, another park, bad bodies, no such car; answers each with its code', async () => {
    const path = buildPath(cp.issue, { parkNumber: P });
    expect((await api.post(path).send({ requestId: rid(), plate: '京N10001', kind: 'money', fen: 1 })).status).toBe(401);
    const foreign = await api.post(path).set(otherPark.headers).send({ requestId: rid(), plate: '京N10001', kind: 'money', fen: 1 });
    expect([foreign.status, foreign.body.error.code]).toEqual([403, 'forbidden_park']);
    const noAmount = await api.post(path).set(operator.headers).send({ requestId: rid(), plate: '京N10001', kind: 'money' });
    expect([noAmount.status, noAmount.body.error.code]).toEqual([400, 'validation_failed']);
    const shortId = await api.post(path).set(operator.headers).send({ requestId: 'x', plate: '京N10001', kind: 'money', fen: 1 });
    expect(shortId.body.error.code).toBe('validation_failed');
    const nobody = await api.post(path).set(operator.headers).send({ requestId: rid(), plate: '京N99999', kind: 'money', fen: 100 });
    expect([nobody.status, nobody.body.error.code]).toEqual([404, 'stay_unknown']);
    expect(await ops.auditEntries()).toContainEqual(expect.objectContaining({ username: otherPark.operator.username, result: 'error', code: 'forbidden_park' }));
  });

  it('lists (merchants: their own), reads one, revokes only an unconfirmed one, redelivers', async () => {
    await w.arrive('京N10002', 75);
    w.bluecard.faults.add({ kind: 'http500', count: 1, name: 'coupon' });
    const pending = (await api.post(buildPath(cp.issue, { parkNumber: P })).set(merchant.headers).send({ requestId: rid(), plate: '京N10002', kind: 'money', fen: 100 })).body;
    expect(pending.status).toBe('unconfirmed');
    expect(pending.nextAttemptAt).not.toBeNull();

    const mine = await api.get(buildPath(cp.list, { parkNumber: P })).query({ plate: '京N10002' }).set(merchant.headers);
    expect(mine.body.coupons.map((c: { couponCode: string }) => c.couponCode)).toEqual([pending.couponCode]);
    expect((await api.get(buildPath(cp.list, { parkNumber: P })).query({ plate: '京N10002' }).set(otherMerchant.headers)).body.coupons).toEqual([]);
    expect((await api.get(buildPath(cp.get, { parkNumber: P, couponCode: pending.couponCode })).set(otherMerchant.headers)).status).toBe(404);
    expect((await api.get(buildPath(cp.list, { parkNumber: P })).query({ status: 'unconfirmed' }).set(admin.headers)).body.coupons.length).toBeGreaterThanOrEqual(1);

    const redelivered = await api.post(buildPath(cp.redeliver, { parkNumber: P, couponCode: pending.couponCode })).set(merchant.headers);
    expect(redelivered.body).toMatchObject({ status: 'at_lot', attempts: 2, nextAttemptAt: null });
    const refused = await api.post(buildPath(cp.revoke, { parkNumber: P, couponCode: pending.couponCode })).set(operator.headers);
    expect([refused.status, refused.body.error.code]).toEqual([409, 'coupon_at_lot']);

    w.bluecard.faults.add({ kind: 'http500', count: 1, name: 'coupon' });
    const other = (await api.post(buildPath(cp.issue, { parkNumber: P })).set(merchant.headers).send({ requestId: rid(), plate: '京N10002', kind: 'hours', minutes: 60 })).body;
    const revoked = await api.post(buildPath(cp.revoke, { parkNumber: P, couponCode: other.couponCode })).set(merchant.headers);
    expect(revoked.body).toMatchObject({ status: 'revoked', revoked: { by: merchant.operator.username } });
  });

  it('fixed codes: made, listed, stopped and started again', async () => {
    const end = new Date(w.clock.now() + 86_400_000).toISOString();
    const f = await api.post(buildPath(cp.createFixed, { parkNumber: P })).set(merchant.headers).send({ kind: 'hours', minutes: 120, end, maxUses: 100, label: '影院' });
    expect(f.status).toBe(200);
    expect(f.body).toMatchObject({ kind: 'hours', minutes: 120, maxUses: 100, uses: 0, disabled: false, label: '影院' });
    expect((await api.get(buildPath(cp.listFixed, { parkNumber: P })).set(otherMerchant.headers)).body.codes).toEqual([]);
    expect((await api.get(buildPath(cp.listFixed, { parkNumber: P })).set(operator.headers)).body.codes.map((c: { code: string }) => c.code)).toContain(f.body.code);
    expect((await api.post(buildPath(cp.disableFixed, { parkNumber: P, code: f.body.code })).set(operator.headers)).body.disabled).toBe(true);
    expect((await api.post(buildPath(cp.enableFixed, { parkNumber: P, code: f.body.code })).set(merchant.headers)).body.disabled).toBe(false);
    expect((await api.post(buildPath(cp.disableFixed, { parkNumber: P, code: f.body.code })).set(otherMerchant.headers)).status).toBe(404);
  });
});

describe('lists', () => {
  it('merchants may not; operators add, edit, read, query the lot, delete one', async () => {
    const path = buildPath(ls.upsert, { parkNumber: P, list: 'black' });
    const m = await api.post(path).set(merchant.headers).send({ plate: '京P10001', memo: '逃费' });
    expect([m.status, m.body.error.code]).toEqual([403, 'forbidden_role']);
    const added = await api.post(path).set(operator.headers).send({ plate: '京p 10001', memo: '逃费' });
    expect(added.status).toBe(200);
    expect(added.body).toMatchObject({ plate: '京P10001', memo: '逃费', white: null, sync: { state: 'synced', error: null }, origin: 'manual' });
    const white = await api.post(buildPath(ls.upsert, { parkNumber: P, list: 'white' })).set(operator.headers).send({ plate: '京P20001', start: '2026-11-28', end: '2027-11-27', name: '王会' });
    expect(white.body).toMatchObject({ sync: { state: 'synced' }, white: { name: '王会', carType: '月租车' } });
    const bad = await api.post(buildPath(ls.upsert, { parkNumber: P, list: 'white' })).set(operator.headers).send({ plate: '京P20002', start: 'tomorrow', end: '2027-11-27' });
    expect([bad.status, bad.body.error.code]).toEqual([400, 'invalid_entry']);

    const page = await api.get(buildPath(ls.page, { parkNumber: P, list: 'black' })).query({ plate: 'P1' }).set(operator.headers);
    expect(page.body).toMatchObject({ total: 1, entries: [{ plate: '京P10001' }] });
    const atLot = await api.get(buildPath(ls.atLot, { parkNumber: P, list: 'black' })).query({ plates: '京P10001,京P19999' }).set(operator.headers);
    expect(atLot.body).toEqual({ entries: [{ plate: '京P10001', memo: '逃费', white: null }] });

    const del = await api.delete(buildPath(ls.remove, { parkNumber: P, list: 'black', plate: '京P10001' })).set(operator.headers);
    expect(del.body).toEqual({ removed: true });
    expect((await api.delete(buildPath(ls.remove, { parkNumber: P, list: 'black', plate: '京P10001' })).set(operator.headers)).status).toBe(404);
    expect(await ops.auditEntries()).toContainEqual(expect.objectContaining({ action: 'DELETE /api/op/parks/:parkNumber/lists/:list/:plate', facts: { list: 'black', plate: '京P10001' }, result: 'ok' }));
  });

  it('imports a CSV in the background and reports progress and rows; delete all takes a confirmation', async () => {
    const csv = ['车牌,备注', ...Array.from({ length: 120 }, (_, i) => `京Q${String(i).padStart(5, '0')},批量`), '不是车牌,x'].join('\n');
    const started = await api.post(buildPath(ls.startImport, { parkNumber: P, list: 'black' })).set(operator.headers).send({ csv });
    expect(started.status).toBe(200);
    expect(started.body).toMatchObject({ kind: 'import', chunks: 3, progress: { total: 121, invalid: 1 }, rows: [{ line: 122, plate: '不是车牌', status: 'invalid' }] });
    const job = await eventually(
      async () => (await api.get(buildPath(ls.job, { parkNumber: P, jobId: started.body.id })).query({ rows: 'problems' }).set(operator.headers)).body,
      (j) => j.status === 'done' || j.status === 'failed',
    );
    expect(job).toMatchObject({ status: 'done', chunksDone: 3, progress: { synced: 120, invalid: 1, etaSeconds: 0 }, rows: [{ line: 122, status: 'invalid' }] });
    expect((await api.get(buildPath(ls.job, { parkNumber: P, jobId: started.body.id })).set(operator.headers)).body.rows).toHaveLength(121);
    expect((await api.get(buildPath(ls.jobs, { parkNumber: P })).set(operator.headers)).body.jobs[0]).toMatchObject({ id: started.body.id });
    expect((await api.get(buildPath(ls.job, { parkNumber: P, jobId: started.body.id })).set(otherPark.headers)).status).toBe(403);

    const ask = await api.post(buildPath(ls.requestClear, { parkNumber: P, list: 'black' })).set(operator.headers);
    expect(ask.body).toMatchObject({ count: 120, warning: expect.stringContaining('every online blacklist entry') });
    const wrong = await api.post(buildPath(ls.confirmClear, { parkNumber: P, list: 'black' })).set(admin.headers).send({ confirmation: ask.body.confirmation });
    expect([wrong.status, wrong.body.error.code]).toEqual([409, 'confirmation_invalid']);
    const done = await api.post(buildPath(ls.confirmClear, { parkNumber: P, list: 'black' })).set(operator.headers).send({ confirmation: ask.body.confirmation });
    expect(done.body).toEqual({ removed: 120 });
    expect(w.bluecard.park(P).state.black.size).toBe(0);
  });

  it("shows the lot's own whitelist and renewals", async () => {
    await w.bluecard.park(P).sendRenewals([{ plate: '京R10001', payCharge: '150.00' }]);
    const r = await api.get(buildPath(ls.lotLists, { parkNumber: P })).set(operator.headers);
    expect(r.status).toBe(200);
    expect(r.body.renewals[0]).toMatchObject({ plates: ['京R10001'], payChargeFen: 15_000 });
  });
});
