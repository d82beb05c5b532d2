/**
 * The agreement day-spend ledger on the real engine (repository/agreement-spend.ts): a reservation is one
 * conditional update, so a repeat never counts twice and concurrent deductions never pass the cap together.
 */
import { MongoAgreementSpendRepository } from '../../../server/src/repository/agreement-spend';
import { openTestDatabase, type TestDatabase } from '../../support/db';

let db: TestDatabase;
let spend: MongoAgreementSpendRepository;
beforeAll(async () => {
  db = await openTestDatabase('spend');
  spend = new MongoAgreementSpendRepository(db.connection);
  await spend.init();
});
afterAll(async () => {
  await db.dispose();
});

const DAY = '2026-12-05';
let n = 0;
const agreement = () => `ag${++n}`;

describe('agreement day spend', () => {
  it('a reservation counts once: a retry of the same order number answers true and does not add again', async () => {
    const a = agreement();
    expect(await spend.reserve(a, DAY, 'T1', 300, 1000)).toBe(true);
    expect(await spend.reserve(a, DAY, 'T1', 300, 1000)).toBe(true);
    expect(await spend.total(a, DAY)).toBe(300);
  });

  it('a reservation that would pass the cap is refused and changes nothing', async () => {
    const a = agreement();
    expect(await spend.reserve(a, DAY, 'T1', 700, 1000)).toBe(true);
    expect(await spend.reserve(a, DAY, 'T2', 301, 1000)).toBe(false);
    expect(await spend.total(a, DAY)).toBe(700);
    expect(await spend.reserve(a, DAY, 'T3', 300, 1000)).toBe(true);
    expect(await spend.total(a, DAY)).toBe(1000);
    expect(await spend.reserve(a, 'another-day', 'T4', 1001, 1000)).toBe(false);
    expect(await spend.total(a, 'another-day')).toBe(0);
  });

  it('two first reservations of a day racing: both fit, both count, one document', async () => {
    const a = agreement();
    const r = await Promise.all([spend.reserve(a, DAY, 'T1', 200, 1000), spend.reserve(a, DAY, 'T2', 300, 1000)]);
    expect(r).toEqual([true, true]);
    expect(await spend.total(a, DAY)).toBe(500);
  });

  it('concurrent reservations that only fit one at a time: exactly one wins, the total never passes the cap', async () => {
    const a = agreement();
    const r = await Promise.all(Array.from({ length: 6 }, (_, i) => spend.reserve(a, DAY, `T${i}`, 600, 1000)));
    expect(r.filter(Boolean)).toHaveLength(1);
    expect(await spend.total(a, DAY)).toBe(600);
  });

  it('the same order number reserved by racing retries counts once', async () => {
    const a = agreement();
    const r = await Promise.all(Array.from({ length: 5 }, () => spend.reserve(a, DAY, 'T1', 250, 1000)));
    expect(r).toEqual([true, true, true, true, true]);
    expect(await spend.total(a, DAY)).toBe(250);
  });

  it('a release gives the amount back once: a repeated or racing release does not subtract twice', async () => {
    const a = agreement();
    await spend.reserve(a, DAY, 'T1', 400, 1000);
    await spend.reserve(a, DAY, 'T2', 100, 1000);
    await Promise.all([spend.release(a, DAY, 'T1'), spend.release(a, DAY, 'T1')]);
    await spend.release(a, DAY, 'T1');
    expect(await spend.total(a, DAY)).toBe(100);
    await spend.release(a, DAY, 'never-reserved');
    expect(await spend.total(a, DAY)).toBe(100);
    expect(await spend.reserve(a, DAY, 'T1', 400, 1000)).toBe(true);
    expect(await spend.total(a, DAY)).toBe(500);
  });

  it('an order number that is not a safe field name is refused before any write', async () => {
    const a = agreement();
    await expect(spend.reserve(a, DAY, 'T.1', 100, 1000)).rejects.toThrow(/not a provider order number/);
    await expect(spend.reserve(a, DAY, '$where', 100, 1000)).rejects.toThrow(/not a provider order number/);
    expect(await spend.total(a, DAY)).toBe(0);
  });
});
