/**
 * Face-to-face payments on the real engine (repository/face-payments.ts): the insert is the claim of an
 * outTradeNo, every change is conditional on the state it leaves, and query and cancel claims are leases
 * only one poller holds at a time.
 */
import type { FacePayment } from '../../../server/src/core/lanepay/face-to-face-model';
import { MongoFacePaymentRepository } from '../../../server/src/repository/face-payments';
import { openTestDatabase, type TestDatabase } from '../../support/db';

let db: TestDatabase;
let repo: MongoFacePaymentRepository;
beforeAll(async () => {
  db = await openTestDatabase('face');
  repo = new MongoFacePaymentRepository(db.connection);
  await repo.init();
});
afterAll(async () => {
  await db.dispose();
});

const T = Date.UTC(2026, 11, 5, 2, 0, 0);
const at = (s: number) => new Date(T + s * 1000);
let n = 0;
function payment(over: Partial<FacePayment> = {}): FacePayment {
  const i = ++n;
  return {
    id: `P1|OT${i}`,
    parkNumber: 'P1',
    outTradeNo: `OT${i}`,
    orderId: `o${i}`,
    plate: '粤B12345',
    amountFen: 500,
    provider: 'wechat',
    codeHash: 'h',
    attempt: 1,
    paymentNo: `PN${i}`,
    status: 'waiting',
    deadline: at(300),
    queries: 0,
    createdAt: at(0),
    updatedAt: at(0),
    ...over,
  } as FacePayment;
}

describe('face payments', () => {
  it('the insert is the claim: the first insert of an outTradeNo wins, a retry answers false and keeps the first', async () => {
    const p = payment();
    expect(await repo.insert(p)).toBe(true);
    expect(await repo.insert({ ...p, amountFen: 999, paymentNo: `${p.paymentNo}-b` })).toBe(false);
    expect((await repo.get(p.id))!.amountFen).toBe(500);
  });

  it('two racing inserts of one outTradeNo: exactly one wins', async () => {
    const p = payment();
    const r = await Promise.all([repo.insert(p), repo.insert({ ...p, paymentNo: `${p.paymentNo}-b` })]);
    expect(r.filter(Boolean)).toHaveLength(1);
  });

  it('a paymentNo is unique across payments: a second payment with it is refused', async () => {
    const p = payment();
    await repo.insert(p);
    const other = payment({ paymentNo: p.paymentNo });
    expect(await repo.insert(other)).toBe(false);
    expect(await repo.get(other.id)).toBeUndefined();
  });

  it('a change moves only from the allowed states and attempt: from another state it changes nothing', async () => {
    const p = payment();
    await repo.insert(p);
    expect(await repo.apply(p.id, { from: ['paid'], to: 'cancelling', set: {} })).toBeUndefined();
    expect(await repo.apply(p.id, { from: ['waiting'], to: 'failed', set: {}, when: { attempt: 2 } })).toBeUndefined();
    expect((await repo.get(p.id))!.status).toBe('waiting');
    const paid = await repo.apply(p.id, { from: ['waiting', 'charging'], to: 'paid', set: { payment: { transactionId: 'tx', paidFen: 500, paidAt: at(10), userId: '' } }, when: { attempt: 1 } });
    expect(paid!.status).toBe('paid');
    // A retry of the same move finds the payment no longer in the state it leaves.
    expect(await repo.apply(p.id, { from: ['waiting', 'charging'], to: 'paid', set: {}, when: { attempt: 1 } })).toBeUndefined();
  });

  it('two racing moves out of waiting (paid vs cancelling): exactly one wins', async () => {
    const p = payment();
    await repo.insert(p);
    const r = await Promise.all([
      repo.apply(p.id, { from: ['waiting'], to: 'paid', set: { payment: { transactionId: 'tx', paidFen: 500, paidAt: at(10), userId: '' } } }),
      repo.apply(p.id, { from: ['waiting'], to: 'cancelling', set: { cancel: { reason: '4.26', requestedAt: at(10), attempts: 0, nextAttemptAt: at(10) } } }),
    ]);
    expect(r.filter((x) => x !== undefined)).toHaveLength(1);
    expect((await repo.get(p.id))!.status).toBe(r.find((x) => x !== undefined)!.status);
  });

  it('writes the cancel field by field: what it names changes, what it clears goes, the rest stays', async () => {
    const p = payment({ status: 'cancelling', cancel: { reason: '4.26', requestedAt: at(10), attempts: 1, nextAttemptAt: at(10), leaseUntil: at(40), lastError: 'timeout' } });
    await repo.insert(p);
    const done = await repo.apply(p.id, { from: ['cancelling'], to: 'cancelled', set: { cancel: { doneAt: at(20), leaseUntil: null, refunded: true, clear: ['lastError'] } } });
    expect(done!.cancel).toEqual({ reason: '4.26', requestedAt: at(10), attempts: 1, nextAttemptAt: at(10), leaseUntil: null, doneAt: at(20), refunded: true });
  });

  it('a query claim is a lease: one of two racing pollers gets it, nobody again until the lease and the pacing pass', async () => {
    const p = payment();
    await repo.insert(p);
    const r = await Promise.all([repo.claimQuery(p.id, at(1), at(11), at(6)), repo.claimQuery(p.id, at(1), at(11), at(6))]);
    expect(r.filter((x) => x !== undefined)).toHaveLength(1);
    expect(r.find((x) => x !== undefined)!.queries).toBe(1);
    expect(await repo.claimQuery(p.id, at(8), at(18), at(13))).toBeUndefined(); // pacing passed, lease not
    const again = await repo.claimQuery(p.id, at(11), at(21), at(16));
    expect(again!.queries).toBe(2);
  });

  it('a charging payment is queried only after its charge lease; a paid or failed one never', async () => {
    const charging = payment({ status: 'charging', chargeLeaseUntil: at(20) });
    await repo.insert(charging);
    expect(await repo.claimQuery(charging.id, at(19), at(30), at(25))).toBeUndefined();
    expect(await repo.claimQuery(charging.id, at(20), at(30), at(25))).toBeDefined();
    const paid = payment({ status: 'paid' });
    await repo.insert(paid);
    expect(await repo.claimQuery(paid.id, at(1000), at(1010), at(1005))).toBeUndefined();
    expect((await repo.get(paid.id))!.queries).toBe(0);
  });

  it('a cancel claim: only a cancelling payment whose attempt is due, one of two racing claimers, counted once', async () => {
    const p = payment({ status: 'cancelling', cancel: { reason: 'deadline', requestedAt: at(0), attempts: 0, nextAttemptAt: at(5) } });
    await repo.insert(p);
    expect(await repo.claimCancel(at(4), at(14), p.id)).toBeUndefined();
    const r = await Promise.all([repo.claimCancel(at(5), at(15), p.id), repo.claimCancel(at(5), at(15), p.id)]);
    expect(r.filter((x) => x !== undefined)).toHaveLength(1);
    expect((await repo.get(p.id))!.cancel!.attempts).toBe(1);
    expect(await repo.claimCancel(at(14), at(24), p.id)).toBeUndefined();
    expect((await repo.claimCancel(at(15), at(25), p.id))!.cancel!.attempts).toBe(2);
    const waiting = payment();
    await repo.insert(waiting);
    expect(await repo.claimCancel(at(1000), at(1010), waiting.id)).toBeUndefined();
  });
});
