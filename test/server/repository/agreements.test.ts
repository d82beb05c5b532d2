/**
 * Agreements on the real engine (repository/agreements.ts): one record per driver + plate + provider (a
 * double tap on "sign up" is one record), and every change is conditional on the sign-up round and state, so
 * a late answer about an old round never lands on a new one.
 */
import type { AgreementRecord } from '../../../server/src/core/agreements/model';
import { MongoAgreementRepository } from '../../../server/src/repository/agreements';
import { openTestDatabase, type TestDatabase } from '../../support/db';

let db: TestDatabase;
let repo: MongoAgreementRepository;
beforeAll(async () => {
  db = await openTestDatabase('agreements');
  repo = new MongoAgreementRepository(db.connection);
  await repo.init();
});
afterAll(async () => {
  await db.dispose();
});

const T = Date.UTC(2026, 11, 5, 2, 0, 0);
const at = (s: number) => new Date(T + s * 1000);
let n = 0;
function record(over: Partial<AgreementRecord> = {}): AgreementRecord {
  const i = ++n;
  return {
    id: `agr_${i}`,
    driverId: `d${i}`,
    plate: `京A${10000 + i}`,
    plateKey: `京A${10000 + i}`,
    provider: 'alipay',
    state: 'signing',
    signNo: `S${i}`,
    payer: { userId: '2088000000000001' },
    createdAt: at(0),
    updatedAt: at(0),
    ...over,
  };
}

describe('agreements', () => {
  it('a double tap on sign up is one record: the second insert (another id, same driver, plate, provider) is refused', async () => {
    const a = record();
    expect(await repo.insert(a)).toBe(true);
    const tap2 = { ...a, id: `${a.id}-b`, signNo: `${a.signNo}-b` };
    expect(await repo.insert(tap2)).toBe(false);
    expect(await repo.insert(a)).toBe(false); // a retry of the same insert
    expect((await repo.listForDriver(a.driverId)).map((r) => r.id)).toEqual([a.id]);
    expect(await repo.bySignNo('alipay', tap2.signNo)).toBeUndefined();
    expect((await repo.bySignNo('alipay', a.signNo))!.id).toBe(a.id);
  });

  it('two racing sign-ups of one driver, plate and provider: exactly one record', async () => {
    const a = record();
    const b = { ...a, id: `${a.id}-b`, signNo: `${a.signNo}-b` };
    const r = await Promise.all([repo.insert(a), repo.insert(b)]);
    expect(r.filter(Boolean)).toHaveLength(1);
    const found = await repo.byPlate(a.plateKey);
    expect(found).toHaveLength(1);
    expect(found[0]!.id).toBe(r[0] ? a.id : b.id);
  });

  it('the same plate with another provider or driver is another record', async () => {
    const a = record();
    await repo.insert(a);
    expect(await repo.insert({ ...a, id: `${a.id}-w`, provider: 'wechat', signNo: `${a.signNo}-w` })).toBe(true);
    expect(await repo.insert({ ...a, id: `${a.id}-d`, driverId: `${a.driverId}-other`, signNo: `${a.signNo}-d` })).toBe(true);
    expect(await repo.byPlate(a.plateKey)).toHaveLength(3);
  });

  it('an answer about an old sign-up round changes nothing once a new round began', async () => {
    const a = record();
    await repo.insert(a);
    const round2 = await repo.apply(a.id, { from: ['signing'], set: { signNo: `${a.signNo}-2`, updatedAt: at(5) }, when: { signNo: a.signNo } });
    expect(round2!.signNo).toBe(`${a.signNo}-2`);
    expect(await repo.apply(a.id, { from: ['signing', 'active', 'paused', 'ended'], to: 'active', set: { agreementNo: 'AN-old', signedAt: at(6) }, when: { signNo: a.signNo } })).toBeUndefined();
    const now = (await repo.get(a.id))!;
    expect(now.state).toBe('signing');
    expect(now.agreementNo).toBeUndefined();
    expect(await repo.bySignNo('alipay', a.signNo)).toBeUndefined();
    expect((await repo.bySignNo('alipay', `${a.signNo}-2`))!.id).toBe(a.id);
  });

  it('a move only from the allowed states: an ended agreement is not made active again, a retry of the move is refused', async () => {
    const a = record();
    await repo.insert(a);
    expect((await repo.apply(a.id, { from: ['signing'], to: 'active', set: { agreementNo: 'AN1', signedAt: at(1) }, when: { signNo: a.signNo } }))!.state).toBe('active');
    expect(await repo.apply(a.id, { from: ['signing'], to: 'active', set: { signedAt: at(2) }, when: { signNo: a.signNo } })).toBeUndefined();
    expect((await repo.get(a.id))!.signedAt).toEqual(at(1));
    expect((await repo.apply(a.id, { from: ['active', 'paused'], to: 'ended', set: { endedAt: at(3), reason: 'driver' } }))!.state).toBe('ended');
    expect(await repo.apply(a.id, { from: ['signing', 'active', 'paused'], to: 'active', set: {} })).toBeUndefined();
    expect((await repo.get(a.id))!.state).toBe('ended');
  });

  it('two racing moves out of signing (signed vs ended): exactly one wins', async () => {
    const a = record();
    await repo.insert(a);
    const r = await Promise.all([
      repo.apply(a.id, { from: ['signing'], to: 'active', set: { agreementNo: 'AN', signedAt: at(1) }, when: { signNo: a.signNo } }),
      repo.apply(a.id, { from: ['signing'], to: 'ended', set: { endedAt: at(1), reason: 'timeout' }, when: { signNo: a.signNo } }),
    ]);
    expect(r.filter((x) => x !== undefined)).toHaveLength(1);
    expect((await repo.get(a.id))!.state).toBe(r.find((x) => x !== undefined)!.state);
  });
  it('two racing new sign-up rounds from one round: exactly one lands, and only its number finds the record', async () => {
    const a = record();
    await repo.insert(a);
    const r = await Promise.all(
      ['x', 'y'].map((s) => repo.apply(a.id, { from: ['signing'], set: { signNo: `${a.signNo}-${s}`, updatedAt: at(5) }, when: { signNo: a.signNo } })),
    );
    expect(r.filter((x) => x !== undefined)).toHaveLength(1);
    const won = r.find((x) => x !== undefined)!.signNo;
    const lost = won === `${a.signNo}-x` ? `${a.signNo}-y` : `${a.signNo}-x`;
    expect((await repo.bySignNo('alipay', won))!.id).toBe(a.id);
    expect(await repo.bySignNo('alipay', lost)).toBeUndefined();
  });
});
