/**
 * White and black lists (4.6–4.11) through the real database, the Bluecard client (its pacing) and the
 * Bluecard sandbox (which refuses a synWhite sooner than 5 s after its previous answer, as 4.6 demands).
 * One manual clock: the client's pacing waits advance it, so a 500-plate import runs in real seconds and
 * every call's time is known.
 */
import { AppError } from '../../../../server/src/core/errors';
import { progressOf } from '../../../../server/src/core/lists/service';
import { ListsService } from '../../../../server/src/core/lists/service';
import { BluecardListsGateway } from '../../../../server/src/adapter/bluecard/lists-gateway';
import type { ImportJob } from '../../../../server/src/core/lists/model';
import { DEMO_PARK_NUMBER } from '../../../../server/sandbox/bluecard';
import { startLaneWorld, type LaneWorld } from '../../../support/lane-world';

const PN = DEMO_PARK_NUMBER;
// Hundreds of plates through FerretDB take real seconds (the lot's pacing does not: the clock is manual).
jest.setTimeout(60_000);
let w: LaneWorld;
beforeAll(async () => {
  w = await startLaneWorld('lists');
});
afterAll(async () => {
  await w.close();
});
afterEach(() => w.bluecard.faults.clear());

const lot = () => w.bluecard.park(PN);
const onlineWhite = () => [...lot().state.white.values()].filter((x) => x.source === '1');
const downCalls = (name: string) => lot().state.downCalls.filter((c) => c.name === name);

async function code(p: Promise<unknown>): Promise<string> {
  try {
    await p;
  } catch (e) {
    if (e instanceof AppError) return e.code;
    throw e;
  }
  throw new Error('expected an AppError');
}

const plate = (prefix: string, i: number) => `${prefix}${String(i).padStart(5, '0')}`;

describe('one entry', () => {
  it('adds, edits and reads back a whitelist entry; the lot has it (4.6, 4.8)', async () => {
    const e = await w.lists.upsert(w.ops.operator, PN, 'white', { plate: '京F10001', start: '2026-11-28', end: '2027-11-27', name: '李月', phone: '13800000000' });
    expect(e).toMatchObject({ plate: '京F10001', sync: { state: 'synced' }, white: { start: '2026-11-28', end: '2027-11-27', carType: '月租车', chargeType: '不收费', name: '李月' } });
    const edited = await w.lists.upsert(w.ops.admin, PN, 'white', { plate: '京 f10001', start: '2026-12-01', end: '2027-06-30', carType: '错峰', memo: '夜间' });
    expect(edited).toMatchObject({ plateKey: '京F10001', sync: { state: 'synced' }, white: { carType: '错峰', end: '2027-06-30' }, memo: '夜间' });
    const atLot = await w.lists.queryLot(w.ops.operator, PN, 'white', ['京F10001', '京F19999']);
    expect(atLot).toEqual([expect.objectContaining({ plate: '京F10001', memo: '夜间', white: expect.objectContaining({ carType: '错峰', start: '2026-12-01', end: '2027-06-30' }) })]);
    const page = await w.lists.page(w.ops.operator, PN, 'white', { plate: 'F1000' });
    expect(page.total).toBe(1);
    expect(page.entries[0]).toMatchObject({ plateKey: '京F10001', updatedBy: 'op-admin' });
  });

  it('refuses a bad entry before anything is sent; keeps the reason when the lot refuses; failed when it does not answer', async () => {
    const calls = w.calls.length;
    expect(await code(w.lists.upsert(w.ops.operator, PN, 'white', { plate: 'ABC', start: '2026-11-28', end: '2027-01-01' }))).toBe('invalid_entry');
    expect(await code(w.lists.upsert(w.ops.operator, PN, 'white', { plate: '京F10002', start: '2027-01-02', end: '2027-01-01' }))).toBe('invalid_entry');
    expect(await code(w.lists.upsert(w.ops.operator, PN, 'white', { plate: '京F10002', start: '2025-01-01', end: '2025-12-31' }))).toBe('invalid_entry');
    expect(w.calls.length).toBe(calls);

    const refused = await w.lists.upsert(w.ops.operator, PN, 'white', { plate: '京F10003', start: '2026-11-28', end: '2027-01-01', areas: [{ areaId: 7, start: '2026-11-28', end: '2027-01-01' }] });
    expect(refused.sync).toMatchObject({ state: 'refused', error: '区域不存在: 7' });
    w.bluecard.faults.add({ kind: 'http500', count: 1, name: 'synBlack' });
    const failed = await w.lists.upsert(w.ops.operator, PN, 'black', { plate: '京F10004', memo: '逃费' });
    // What the operator reads: Chinese, not the HTTP detail (that goes to the log).
    expect(failed.sync).toMatchObject({ state: 'failed', error: '车场没有明确应答，可稍后重发' });
    // Our blacklist counts for 4.28 even while the lot has not got it.
    expect(await w.openGate.decide(w.park, { plate: '京F10004', inOutType: 1 })).toMatchObject({ status: 'fail' });
  });

  it('deletes at the lot first: a lot that does not answer keeps the entry; then it goes (4.7, 4.10)', async () => {
    await w.lists.upsert(w.ops.operator, PN, 'black', { plate: '京F10005', memo: '' });
    expect(lot().state.black.has('京F10005')).toBe(true);
    w.bluecard.faults.add({ kind: 'http500', count: 1, name: 'delBlack' });
    expect(await code(w.lists.remove(w.ops.operator, PN, 'black', '京F10005'))).toBe('lot_unreachable');
    expect(await w.listsRepo.get(PN, 'black', '京F10005')).toBeDefined();
    expect(await w.lists.remove(w.ops.operator, PN, 'black', '京 F10005')).toEqual({ removed: true });
    expect(lot().state.black.has('京F10005')).toBe(false);
    expect(await w.openGate.decide(w.park, { plate: '京F10005', inOutType: 1 })).toMatchObject({ status: 'self' });
    expect(await code(w.lists.remove(w.ops.operator, PN, 'black', '京F10005'))).toBe('not_found');
  });

  it('lists are for operators: merchants and operators of other parks are refused', async () => {
    expect(await code(w.lists.upsert(w.ops.merchant, PN, 'black', { plate: '京F10006' }))).toBe('forbidden_role');
    expect(await code(w.lists.page(w.ops.stranger, PN, 'white', {}))).toBe('forbidden_park');
    expect(await code(w.lists.startImport(w.ops.merchant, PN, 'white', 'plate\n京F10007'))).toBe('forbidden_role');
  });
});

describe('delete all, with a confirmation step', () => {
  it('asks first (count, warning, a token valid 2 minutes), then clears the lot and ours with the token, once', async () => {
    for (const p of ['京F20001', '京F20002']) await w.lists.upsert(w.ops.operator, PN, 'white', { plate: p, start: '2026-11-28', end: '2027-11-27' });
    await lot().offlineWhite({ plate: '京F20009', chargeType: '', name: '', certificate: '', address: '', phone: '', plateColor: '', start: '2026-01-01', end: '2027-01-01', dept: '', carType: '月租车', memo: '', areasAndValidity: [] });
    const total = (await w.lists.page(w.ops.operator, PN, 'white', {})).total;

    const ask = await w.lists.requestClear(w.ops.operator, PN, 'white');
    expect(ask.count).toBe(total);
    expect(ask.warning).toMatch(/every online whitelist entry the lot has/);
    expect(ask.expiresAt.getTime()).toBe(w.clock.now() + 120_000);
    // Nothing happened yet.
    expect(downCalls('delWhite').filter((c) => c.status === 'success')).toHaveLength(0);
    expect(onlineWhite().length).toBeGreaterThanOrEqual(2);

    expect(await code(w.lists.confirmClear(w.ops.operator, PN, 'white', 'not-a-token'))).toBe('confirmation_invalid');
    expect(await code(w.lists.confirmClear(w.ops.admin, PN, 'white', ask.confirmation))).toBe('confirmation_invalid'); // another operator's
    const again = await w.lists.requestClear(w.ops.operator, PN, 'white');
    expect(await code(w.lists.confirmClear(w.ops.operator, PN, 'black', again.confirmation))).toBe('confirmation_invalid'); // another list
    const late = await w.lists.requestClear(w.ops.operator, PN, 'white');
    w.clock.advance(121_000);
    expect(await code(w.lists.confirmClear(w.ops.operator, PN, 'white', late.confirmation))).toBe('confirmation_expired');
    expect(onlineWhite().length).toBeGreaterThanOrEqual(2);

    const ok = await w.lists.requestClear(w.ops.operator, PN, 'white');
    expect(await w.lists.confirmClear(w.ops.operator, PN, 'white', ok.confirmation)).toEqual({ removed: total });
    expect(downCalls('delWhite').at(-1)).toMatchObject({ status: 'success' });
    expect(onlineWhite()).toEqual([]);
    expect(lot().state.white.has('京F20009')).toBe(true); // the lot's own (offline) entry stays
    expect((await w.lists.page(w.ops.operator, PN, 'white', {})).total).toBe(0);
    expect(await code(w.lists.confirmClear(w.ops.operator, PN, 'white', ok.confirmation))).toBe('confirmation_invalid'); // used
  });
});

describe('queries', () => {
  it("pages ours by plate and state, and shows the lot's own whitelist (4.32) and renewals (4.31) beside it", async () => {
    for (let i = 0; i < 12; i++) await w.lists.upsert(w.ops.operator, PN, 'black', { plate: plate('京G', i), memo: `r${i}` });
    w.bluecard.faults.add({ kind: 'http500', count: 1, name: 'synBlack' });
    await w.lists.upsert(w.ops.operator, PN, 'black', { plate: '京G99999', memo: 'x' });
    const p1 = await w.lists.page(w.ops.operator, PN, 'black', { plate: '京G', limit: 5, offset: 0 });
    const p3 = await w.lists.page(w.ops.operator, PN, 'black', { plate: '京G', limit: 5, offset: 10 });
    expect(p1.total).toBe(13);
    expect(p1.entries.map((e) => e.plate)).toEqual(['京G00000', '京G00001', '京G00002', '京G00003', '京G00004']);
    expect(p3.entries.map((e) => e.plate)).toEqual(['京G00010', '京G00011', '京G99999']);
    expect((await w.lists.page(w.ops.operator, PN, 'black', { plate: '京G', state: 'failed' })).entries.map((e) => e.plate)).toEqual(['京G99999']);
    expect(await w.lists.queryLot(w.ops.operator, PN, 'black', ['京G00003', '京G99999'])).toEqual([{ plate: '京G00003', memo: 'r3' }]);

    await lot().offlineWhite({ plate: '京G70001', chargeType: '', name: '王会', certificate: '', address: '', phone: '', plateColor: '蓝牌', start: '2026-01-01', end: '2027-01-01', dept: '', carType: '月租车', memo: '', areasAndValidity: [] });
    await lot().sendRenewals([{ plate: '京G70001/京G70002', payCharge: '300.00', feeMonth: '1' }]);
    const side = await w.lists.lotSide(w.ops.operator, PN);
    expect(side.whitelist.map((x) => [x.plate, x.source])).toContainEqual(['京G70001', '2']);
    expect(side.renewals[0]).toMatchObject({ plates: ['京G70001', '京G70002'], payChargeFen: 30_000, feeMonths: 1 });
  });
});

describe('CSV import (paced, in the background, a result per row)', () => {
  async function finished(job: ImportJob, lists = w.lists): Promise<{ job: ImportJob; seen: number[] }> {
    const seen: number[] = [];
    for (;;) {
      const j = (await w.listsRepo.getJob(job.id))!;
      seen.push(progressOf(j).synced);
      if (j.status === 'done' || j.status === 'failed') {
        await lists.idle();
        return { job: j, seen };
      }
      await new Promise((r) => setTimeout(r, 5));
    }
  }

  it('500 plates: 10 calls of 50, each ≥5 s after the previous answer, all acknowledged; bad and repeated rows reported', async () => {
    const lines = ['车牌,生效日期,失效日期,姓名,电话,车辆类型,备注'];
    for (let i = 0; i < 500; i++) lines.push(`${plate('京H', i)},2026-11-28,2027/11/27,车主${i},1380000${String(i).padStart(4, '0')},月租车,"批量, 导入"`);
    lines.push('京H00007,2026-11-28,2027-11-27,,,,'); // repeated
    lines.push('BADPLATE,2026-11-28,2027-11-27,,,,');
    lines.push('京H99999,2026-13-01,2027-11-27,,,,');
    const callsBefore = w.calls.length;
    const startedAt = w.clock.now();
    const job = await w.lists.startImport(w.ops.operator, PN, 'white', `\uFEFF${lines.join('\r\n')}\r\n`);
    expect(job).toMatchObject({ status: 'queued', chunks: 10, chunksDone: 0 });
    expect(progressOf(job)).toMatchObject({ total: 503, queued: 500, invalid: 2, duplicate: 1, etaSeconds: 50 });

    const { job: done, seen } = await finished(job);
    expect(done.status).toBe('done');
    expect(progressOf(done)).toMatchObject({ total: 503, synced: 500, queued: 0, failed: 0, refused: 0, invalid: 2, duplicate: 1, etaSeconds: 0 });
    expect(done.rows.find((r) => r.line === 503)).toEqual({ line: 503, plate: 'BADPLATE', status: 'invalid', error: '“BADPLATE”不是车牌号' });
    expect(done.rows.find((r) => r.line === 504)).toMatchObject({ plate: '京H99999', status: 'invalid', error: expect.stringMatching(/^(生效日期|失效日期|缺少)/) });
    expect(done.rows.find((r) => r.line === 502)).toMatchObject({ plate: '京H00007', status: 'duplicate' });
    // Progress was visible while it ran, and only grew.
    expect(seen.some((s) => s > 0 && s < 500)).toBe(true);
    expect([...seen].sort((a, b) => a - b)).toEqual(seen);

    // The pacing, on the world's clock: 10 synWhite calls of 50, each sent ≥5 s after the previous answer.
    const syn = w.calls.slice(callsBefore).filter((c) => c.name === 'synWhite');
    expect(syn.map((c) => (c.body as { size: number }).size)).toEqual(Array(10).fill(50));
    for (let i = 1; i < syn.length; i++) expect(syn[i]!.sentAt - syn[i - 1]!.answeredAt).toBeGreaterThanOrEqual(5_000);
    expect(w.clock.now() - startedAt).toBeGreaterThanOrEqual(9 * 5_000);
    // The lot refused nothing (it refuses a synWhite sooner than 5 s after its previous answer) and has all 500.
    expect(downCalls('synWhite').slice(-10).map((c) => c.status)).toEqual(Array(10).fill('success'));
    expect(onlineWhite().filter((x) => x.entry.plate.startsWith('京H')).length).toBe(500);
    const page = await w.lists.page(w.ops.operator, PN, 'white', { plate: '京H', limit: 1 });
    expect(page.total).toBe(500);
    expect(page.entries[0]).toMatchObject({ origin: 'import', importId: job.id, memo: '批量, 导入', sync: { state: 'synced' }, white: { end: '2027-11-27' } });
    expect((await w.lists.jobs(w.ops.operator, PN)).map((j) => j.id)).toContain(job.id);
  });

  it('a refusal that names a plate refuses that row and sends the rest of the chunk again', async () => {
    const csv = ['plate,memo', ...Array.from({ length: 60 }, (_, i) => `${plate('京J', i)},逃费`)].join('\n');
    w.bluecard.faults.add({ kind: 'fail', count: 1, name: 'synBlack', errorCode: '车牌格式错误: 京J00007' });
    const { job } = await finished(await w.lists.startImport(w.ops.operator, PN, 'black', csv));
    expect(progressOf(job)).toMatchObject({ synced: 59, refused: 1 });
    expect(job.rows[7]).toEqual({ line: 9, plate: '京J00007', status: 'refused', error: '车牌格式错误: 京J00007' });
    expect(lot().state.black.size).toBeGreaterThanOrEqual(59);
    expect(lot().state.black.has('京J00007')).toBe(false);
    // The whole blacklist feeds 4.28 at once.
    expect(await w.openGate.decide(w.park, { plate: '京J00059', inOutType: 1 })).toMatchObject({ status: 'fail', errorCode: '黑名单车辆: 逃费,禁止开闸!' });
  });

  it('a chunk without an answer fails its rows, the job goes on; a resend job takes them later; a lot that stays down stops the job', async () => {
    const csv = Array.from({ length: 120 }, (_, i) => `${plate('京K', i)},2026-11-28,2027-11-27`).join('\n'); // no header: default columns
    w.bluecard.faults.add({ kind: 'http500', count: 1, name: 'synWhite' });
    const { job } = await finished(await w.lists.startImport(w.ops.operator, PN, 'white', csv));
    expect(job.status).toBe('done');
    expect(progressOf(job)).toMatchObject({ synced: 70, failed: 50 });
    expect(job.rows[0]).toMatchObject({ status: 'failed', error: '车场没有明确应答，可稍后重发' });

    const { job: resent } = await finished(await w.lists.startResync(w.ops.operator, PN, 'white'));
    expect(resent).toMatchObject({ kind: 'resync', status: 'done' });
    expect(progressOf(resent)).toMatchObject({ total: 50, synced: 50 });
    expect((await w.lists.page(w.ops.operator, PN, 'white', { plate: '京K', state: 'synced' })).total).toBe(120);
    expect(await code(w.lists.startResync(w.ops.operator, PN, 'white'))).toBe('nothing_to_send');

    const csv2 = Array.from({ length: 250 }, (_, i) => `${plate('京L', i)},2026-11-28,2027-11-27`).join('\n');
    w.bluecard.faults.add({ kind: 'http500', count: 3, name: 'synWhite' });
    const { job: down } = await finished(await w.lists.startImport(w.ops.operator, PN, 'white', csv2));
    expect(down).toMatchObject({ status: 'failed', error: '车场连续 3 批没有应答，已中止；车场恢复后可“重发未确认的”' });
    expect(progressOf(down)).toMatchObject({ failed: 250, synced: 0 });
    expect(down.rows[249]).toMatchObject({ status: 'failed', error: '未发送：车场前几批都没有应答' });
  });

  it('refuses a file it cannot read; a job left by a stopped process is resumed by the next', async () => {
    expect(await code(w.lists.startImport(w.ops.operator, PN, 'white', ''))).toBe('bad_csv');
    expect(await code(w.lists.startImport(w.ops.operator, PN, 'white', 'plate\n"京M00001'))).toBe('bad_csv');

    // A process that stops before its job sends anything (its lease stays, then runs out).
    const dying = new ListsService({ lists: w.listsRepo, lot: new BluecardListsGateway(w.client), lotRecords: w.listsRepo, parks: w.parks, clock: w.clock, owner: 'dying' });
    dying.stop();
    const job = await dying.startImport(w.ops.operator, PN, 'black', ['plate', ...Array.from({ length: 70 }, (_, i) => plate('京M', i))].join('\n'));
    await dying.idle();
    expect((await w.listsRepo.getJob(job.id))!).toMatchObject({ status: 'running', leaseOwner: 'dying', next: 0 });
    const next = new ListsService({ lists: w.listsRepo, lot: new BluecardListsGateway(w.client), lotRecords: w.listsRepo, parks: w.parks, clock: w.clock, owner: 'next' });
    await next.resume();
    await next.idle();
    expect((await w.listsRepo.getJob(job.id))!.status).toBe('running'); // the lease has not run out yet
    w.clock.advance(301_000);
    expect(await next.resume()).toBeGreaterThanOrEqual(1);
    const { job: done } = await finished(job, next);
    expect(done).toMatchObject({ status: 'done', leaseOwner: 'next' });
    expect(progressOf(done).synced).toBe(70);
  });
});
