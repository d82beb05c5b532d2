/**
 * Invoices on the real engine (repository/invoices.ts): a paid thing is on one invoice at most (the claim is
 * the insert of its claim document), and every change of an invoice (core/invoicing/changes.ts) is conditional
 * on its state and lease.
 */
import * as changes from '../../../server/src/core/invoicing/changes';
import type { Invoice, PaidItemRef } from '../../../server/src/core/invoicing/model';
import { MongoInvoiceRepository } from '../../../server/src/repository/invoices';
import { openTestDatabase, type TestDatabase } from '../../support/db';

let db: TestDatabase;
let repo: MongoInvoiceRepository;
beforeAll(async () => {
  db = await openTestDatabase('invoices');
  repo = new MongoInvoiceRepository(db.connection);
  await repo.init();
});
afterAll(async () => {
  await db.dispose();
});

const T = Date.UTC(2026, 11, 5, 2, 0, 0);
const at = (s: number) => new Date(T + s * 1000);
let n = 0;
const order = (): PaidItemRef => ({ kind: 'order', ref: `ON${++n}` });
function invoice(over: Partial<Invoice> = {}): Invoice {
  const i = ++n;
  return {
    id: `INV${i}`,
    driverId: 'd1',
    provider: 'wechat',
    applyId: `A${i}`,
    scene: 'WITH_WECHATPAY',
    items: [],
    parkNumbers: ['P1'],
    titleSource: 'typed',
    status: 'issuing',
    totalFen: 500,
    fapiao: [],
    attempts: 0,
    events: [],
    createdAt: at(0),
    updatedAt: at(0),
    ...over,
  } as Invoice;
}

describe('invoice claims', () => {
  it('a paid thing is claimed once: a second invoice is refused and told who holds it', async () => {
    const a = order();
    expect(await repo.claim('INV-A', [a])).toEqual({ ok: true });
    expect(await repo.claim('INV-B', [a])).toEqual({ ok: false, takenBy: 'INV-A', ref: a });
    expect(await repo.holderOf(a)).toBe('INV-A');
  });

  it('a refused claim of several things gives back what it took before the refusal', async () => {
    const [a, b, c] = [order(), order(), order()];
    await repo.claim('INV-C', [b]);
    expect(await repo.claim('INV-D', [a, b, c])).toMatchObject({ ok: false, takenBy: 'INV-C', ref: b });
    expect(await repo.holderOf(a)).toBeUndefined();
    expect(await repo.holderOf(c)).toBeUndefined();
    expect(await repo.claim('INV-E', [a, c])).toEqual({ ok: true });
  });

  it('two invoices racing for the same paid things: exactly one gets them all, the other none', async () => {
    const refs = [order(), order(), order()];
    const r = await Promise.all([repo.claim('INV-F', refs), repo.claim('INV-G', [...refs].reverse())]);
    const winners = r.filter((x) => x.ok);
    // Both may lose when each took one first (then both release); never may both win.
    expect(winners.length).toBeLessThanOrEqual(1);
    const holders = await Promise.all(refs.map((x) => repo.holderOf(x)));
    if (winners.length === 1) {
      const winner = r[0]!.ok ? 'INV-F' : 'INV-G';
      expect(holders).toEqual([winner, winner, winner]);
    } else {
      expect(holders).toEqual([undefined, undefined, undefined]);
    }
  });

  it('two invoices racing for the same paid things in the same order: exactly one gets them all', async () => {
    const refs = [order(), order()];
    const r = await Promise.all([repo.claim('INV-J', refs), repo.claim('INV-K', refs)]);
    expect(r.filter((x) => x.ok)).toHaveLength(1);
    const winner = r[0]!.ok ? 'INV-J' : 'INV-K';
    expect(await Promise.all(refs.map((x) => repo.holderOf(x)))).toEqual([winner, winner]);
  });

  it('a release frees only what the releasing invoice holds', async () => {
    const a = order();
    await repo.claim('INV-H', [a]);
    await repo.release('INV-I', [a]);
    expect(await repo.holderOf(a)).toBe('INV-H');
    await repo.release('INV-H', [a]);
    expect(await repo.holderOf(a)).toBeUndefined();
  });
});

describe('invoice changes', () => {
  it('an invoice id is inserted once: a second insert is refused and keeps the first', async () => {
    const inv = invoice();
    await repo.insert(inv);
    await expect(repo.insert({ ...inv, totalFen: 1 })).rejects.toMatchObject({ code: 11000 });
    expect((await repo.get(inv.id))!.totalFen).toBe(500);
  });

  it('a change from a state the invoice is not in changes nothing; a retry of a done move is refused', async () => {
    const inv = invoice({ leaseOwner: 'w1', leaseUntil: at(40) });
    await repo.insert(inv);
    expect(await repo.apply(inv.id, changes.resent('issuing', 'op', at(1)))).toBeUndefined();
    expect(await repo.apply(inv.id, changes.reversed('w1', [], 0, at(1)))).toBeUndefined();
    expect(await repo.get(inv.id)).toEqual(inv);
    const done = await repo.apply(inv.id, changes.issued('w1', [], 'N1', at(1)));
    expect(done).toMatchObject({ status: 'issued', attempts: 0, updatedAt: at(1), events: [{ at: at(1), what: '已开票，发票号码 N1' }] });
    expect(done).not.toHaveProperty('leaseOwner');
    expect(done).not.toHaveProperty('leaseUntil');
    expect(await repo.apply(inv.id, changes.issued('w1', [], 'N1', at(2)))).toBeUndefined();
    expect((await repo.get(inv.id))!.events).toHaveLength(1);
  });

  it('two workers taking a free lease at once: exactly one holds it; the other cannot write as owner', async () => {
    const inv = invoice();
    await repo.insert(inv);
    const r = await Promise.all(['w1', 'w2'].map((w) => repo.apply(inv.id, changes.leased(w, at(40), at(10)))));
    expect(r.filter((x) => x !== undefined)).toHaveLength(1);
    const owner = r.find((x) => x !== undefined)!.leaseOwner!;
    const loser = owner === 'w1' ? 'w2' : 'w1';
    expect(await repo.apply(inv.id, changes.stepFailed(loser, 'timeout', 1, at(11)))).toBeUndefined();
    expect(await repo.apply(inv.id, changes.leased(loser, at(70), at(39)))).toBeUndefined();
    expect((await repo.apply(inv.id, changes.issued(owner, [], 'N1', at(12))))!.status).toBe('issued');
    // After its lease ran out, another worker may take it.
    const inv2 = invoice();
    await repo.insert({ ...inv2, leaseOwner: 'w1', leaseUntil: at(40) });
    expect((await repo.apply(inv2.id, changes.leased('w2', at(80), at(40))))!.leaseOwner).toBe('w2');
  });

  it('a driver cancels only while nobody holds the lease; the title page goes with it', async () => {
    const titleLink = { url: 'https://t', miniprogram: { appId: 'wx1', path: 'p' }, expiresAt: at(600) };
    const inv = invoice({ status: 'awaiting_title', titleSource: 'provider', titleLink, leaseOwner: 'w1', leaseUntil: at(40) });
    await repo.insert(inv);
    expect(await repo.apply(inv.id, changes.cancelledByDriver(at(20)))).toBeUndefined();
    const done = await repo.apply(inv.id, changes.cancelledByDriver(at(40)));
    expect(done).toMatchObject({ status: 'cancelled', reason: 'cancelled_by_driver', events: [{ at: at(40), what: '司机取消了开票' }] });
    expect(done).not.toHaveProperty('titleLink');
  });

  it('a holder’s write that keeps the state applies in any state; fields once written as null read as absent', async () => {
    const inv = invoice({ status: 'reversed', leaseOwner: 'w1', leaseUntil: at(40), lastError: 'x' });
    await repo.insert({ ...inv, reason: null, titleLink: null } as unknown as Invoice);
    const done = await repo.apply(inv.id, changes.looked('w1', at(5), { attempts: 3 }));
    expect(done).toMatchObject({ status: 'reversed', attempts: 3, lastError: 'x' });
    for (const k of ['reason', 'titleLink', 'leaseOwner', 'leaseUntil']) expect(done).not.toHaveProperty(k);
  });
});
