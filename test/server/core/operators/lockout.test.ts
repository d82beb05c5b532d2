/**
 * The login lock-out holds against parallel requests: each attempt is counted before its password is
 * checked (the slow hash), atomically, so at most 5 attempts per window reach a check however many arrive
 * at once — and a right password sent once they are used up is refused, even while those checks run.
 */
import { ManualClock } from '../../../../server/src/core/clock';
import { OperatorService, type OperatorAccountRepository } from '../../../../server/src/core/operators/service';
import { MongoLoginThrottle, MongoOperatorAccountRepository, MongoOperatorSessionRepository } from '../../../../server/src/repository/operators';
import { AppError } from '../../../../server/src/core/errors';
import { openTestDatabase, type TestDatabase } from '../../../support/db';
import { waitUntil } from '../../../support/eventually';
import { TEST_SCRYPT_COST } from '../../../support/operators';
import { answerTo } from '../../../support/answers';

let db: TestDatabase;
/** Lets held lookups go; called at the end whatever happens, so no login is left waiting. */
let release: () => void = () => undefined;
afterAll(async () => {
  release();
  await db?.dispose();
});

it('40 wrong passwords at once reach at most 5 checks, and the right one sent meanwhile does not log in', async () => {
  db = await openTestDatabase('lockout');
  const clock = new ManualClock(Date.UTC(2026, 10, 28, 4, 0, 0));
  const accounts = new MongoOperatorAccountRepository(db.connection);
  const sessions = new MongoOperatorSessionRepository(db.connection);
  const throttle = new MongoLoginThrottle(db.connection);
  await Promise.all([accounts.init(), sessions.init(), throttle.init()]);

  // Every password check is preceded by the account's lookup: count the lookups, and hold them until released.
  let lookups = 0;
  const gate = new Promise<void>((r) => (release = r));
  const gated: OperatorAccountRepository = Object.create(accounts) as OperatorAccountRepository;
  gated.findByUsername = async (username: string) => {
    lookups++;
    await gate;
    return accounts.findByUsername(username);
  };
  const service = new OperatorService({ accounts: gated, sessions, throttle, clock, scryptCost: TEST_SCRYPT_COST });
  const creator = new OperatorService({ accounts, sessions, throttle, clock, scryptCost: TEST_SCRYPT_COST });
  await creator.createOperator('system', { username: 'target', password: 'the-right-one-1', role: 'operator', parks: ['P1'] });

  let settled = 0;
  const codes: string[] = [];
  const wrong = Array.from({ length: 40 }, (_, i) =>
    service.login('target', `wrong-${i}`).then(
      () => codes.push('ok'),
      (e: unknown) => codes.push(e instanceof AppError ? e.code : String(e)),
    ).finally(() => settled++),
  );
  // Every attempt either waits in its check or has been answered.
  await waitUntil(() => settled + lookups >= 40, 'all 40 attempts answered');
  expect(lookups).toBeLessThanOrEqual(5);
  expect(codes.every((c) => c === 'login_locked')).toBe(true);

  // The right password now, while the checks still run: the limit is used up.
  expect(await answerTo(service.login('target', 'the-right-one-1'))).toMatchObject({ code: 'login_locked', status: 429 });
  release();
  await Promise.all(wrong);
  expect(codes.filter((c) => c === 'ok')).toEqual([]);
  expect(lookups).toBeLessThanOrEqual(5);
  // Still locked afterwards; open again after the lock.
  await expect(service.login('target', 'the-right-one-1')).rejects.toMatchObject({ code: 'login_locked' });
  clock.advance(16 * 60_000);
  await expect(service.login('target', 'the-right-one-1')).resolves.toMatchObject({ operator: { username: 'target' } });
});
