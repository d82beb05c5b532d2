/**
 * Plate confirmations are counted before they are checked, atomically: parallel attempts each get their own
 * number and never more than the limit per window reach the check.
 */
import { MongoPlateProofRepository } from '../../../server/src/repository/plate-proofs';
import { openTestDatabase, type TestDatabase } from '../../support/db';

let db: TestDatabase;
let repo: MongoPlateProofRepository;
beforeAll(async () => {
  db = await openTestDatabase('plateproofs');
  repo = new MongoPlateProofRepository(db.connection);
  await repo.init();
});
afterAll(async () => {
  await db.dispose();
});

const DAY = 24 * 3600_000;
const at = (ms: number) => new Date(Date.UTC(2026, 10, 28, 2, 0, 0) + ms);
const attempt = (now: Date, driver = 'drv_1') => repo.attempt(driver, 'P1', '京A12345', now, { windowStart: new Date(now.getTime() - DAY), max: 3, windowMs: DAY });

it('12 attempts at once: numbers 1, 2, 3 and nine refusals until the window ends', async () => {
  const now = at(0);
  const out = await Promise.all(Array.from({ length: 12 }, () => attempt(now)));
  const numbers = out.flatMap((o) => ('attempt' in o ? [o.attempt] : [])).sort();
  expect(numbers).toEqual([1, 2, 3]);
  expect(out.filter((o) => 'lockedUntil' in o)).toEqual(Array(9).fill({ lockedUntil: at(DAY) }));
  // Another driver, another count.
  expect(await attempt(now, 'drv_2')).toEqual({ attempt: 1 });
  // After the window, a new one.
  expect(await attempt(at(DAY + 1))).toEqual({ attempt: 1 });
});

it('a confirmed plate is listed, and its attempts start afresh', async () => {
  await attempt(at(0), 'drv_3');
  await repo.prove('drv_3', 'P1', '京A12345', at(1000), 'order-9');
  expect(await repo.confirmed('drv_3', at(0))).toEqual([{ parkNumber: 'P1', plateKey: '京A12345', provedAt: at(1000) }]);
  expect(await repo.confirmed('drv_3', at(2000))).toEqual([]);
  expect(await attempt(at(2000), 'drv_3')).toEqual({ attempt: 1 });
});
