/**
 * The lot's pace slots on the real engine (repository/lot-call-slots.ts), against the contract of
 * core/lot/call-slots.ts that the in-process MemoryCallSlots keeps too: one holder at a time, however many
 * take a key at once (its first takes included); freed at the answer + the pace; a slot whose free time no
 * forward-running clock could have set is free.
 */
import { MemoryCallSlots, type CallSlots } from '../../../server/src/core/lot/call-slots';
import { MongoLotCallSlots } from '../../../server/src/repository/lot-call-slots';
import { openTestDatabase, type TestDatabase } from '../../support/db';

let db: TestDatabase;
beforeAll(async () => {
  db = await openTestDatabase('slots');
});
afterAll(async () => {
  await db.dispose();
});

const T = Date.UTC(2026, 11, 5, 2, 0, 0);
const HOLD = 20_000;

describe.each([
  ['the database', () => new MongoLotCallSlots(db.connection)],
  ['memory', () => new MemoryCallSlots()],
])('pace slots (%s)', (_name, make: () => CallSlots) => {
  let n = 0;
  const key = () => `${_name} p_${++n} synWhite`;

  it('held until freed at the answer + the pace; then taken once by whoever comes first', async () => {
    const s = make();
    const k = key();
    expect(await s.take(k, 'a', T, T + HOLD)).toEqual({ taken: true });
    expect(await s.take(k, 'b', T + 1_000, T + 1_000 + HOLD)).toEqual({ taken: false, freeAt: T + HOLD, held: true });
    // Only the holder frees it.
    await s.release(k, 'b', T + 1_000);
    expect(await s.take(k, 'b', T + 1_500, T + 1_500 + HOLD)).toMatchObject({ taken: false, held: true });
    await s.release(k, 'a', T + 2_000 + 5_000);
    expect(await s.take(k, 'b', T + 6_999, T + 6_999 + HOLD)).toEqual({ taken: false, freeAt: T + 7_000, held: false });
    expect(await s.take(k, 'b', T + 7_000, T + 7_000 + HOLD)).toEqual({ taken: true });
    expect(await s.take(k, 'c', T + 7_000, T + 7_000 + HOLD)).toMatchObject({ taken: false, held: true });
  });

  it('a free time beyond any hold that could have been set (the clock moved back) is free', async () => {
    const s = make();
    const k = key();
    expect(await s.take(k, 'a', T, T + HOLD)).toEqual({ taken: true });
    // An hour back: the slot's free time is further ahead than a hold taken now would reach.
    expect(await s.take(k, 'b', T - 3_600_000, T - 3_600_000 + HOLD)).toEqual({ taken: true });
  });
});

it('first takes of a key from two processes at once: exactly one holds it, the others learn it is held', async () => {
  const [one, two] = [new MongoLotCallSlots(db.connection), new MongoLotCallSlots(db.connection)];
  const takes = await Promise.all(Array.from({ length: 10 }, (_, i) => (i % 2 ? one : two).take('p_race synWhite', `h${i}`, T, T + HOLD)));
  expect(takes.filter((t) => t.taken)).toHaveLength(1);
  expect(takes.filter((t) => !t.taken)).toEqual(Array(9).fill({ taken: false, freeAt: T + HOLD, held: true }));
});
