/**
 * A short run of the money simulation (scripts/simulate-money.ts): ParkPay as its own process, killed with
 * SIGKILL mid-flow and restarted, against the sandboxes with random faults. Every fen taken is delivered,
 * refunded or still in flight, and no driver is charged wrongly. A short run (150 stays: about a minute alone,
 * several on a busy machine, the server's restart included); the full run (10,000 stays) is the script's.
 */
import { describeResult, simulateMoney } from '../../scripts/simulate-money';
import { testDatabaseUri } from '../support/db';

jest.setTimeout(400_000);

it('a short money simulation balances to the fen, with no driver charged wrongly', async () => {
  const r = await simulateMoney({ stays: 150, parks: 3, concurrency: 16, seed: 7, kills: 1, mongodbUri: testDatabaseUri(), log: () => undefined });
  const summary = describeResult(r).join('\n');
  expect({ balanced: r.balanced, wronglyCharged: r.wronglyCharged, summary }).toEqual({ balanced: true, wronglyCharged: 0, summary });
  expect(r.kills).toBeGreaterThanOrEqual(1);
  expect(r.payments).toBeGreaterThan(100);
  expect(r.takenFen).toBe(r.deliveredFen + r.refundedFen + r.inFlightFen);
});
