import { DEFAULT_TARIFF, chargeFen } from '../../../../server/sandbox/bluecard';
import { timeDiscountFen, tariffOf } from '../../../../server/sandbox/bluecard/tariff';

const MIN = 60_000;
const HOUR = 60 * MIN;

describe('sandbox tariff (fen)', () => {
  const t = DEFAULT_TARIFF;

  it.each([
    [0, 0],
    [10 * MIN, 0],
    [15 * MIN, 0], // the grace period includes its last minute
    [15 * MIN + 1000, 200], // …and a longer stay pays from its first minute
    [60 * MIN, 200],
    [61 * MIN, 400],
    [10 * HOUR, 2000], // capped within a day
    [24 * HOUR, 2000],
    [25 * HOUR, 2200],
    [48 * HOUR + 30 * MIN, 4200],
  ])('a stay of %i ms costs %i fen', (ms, fen) => {
    expect(chargeFen(t, ms)).toBe(fen);
  });

  it('time discounts are worth what they shorten the stay by', () => {
    expect(timeDiscountFen(t, 150 * MIN, 60)).toBe(200); // 3 h → 2 h
    expect(timeDiscountFen(t, 61 * MIN, 60)).toBe(400); // the rest falls into the grace period
    expect(timeDiscountFen(t, 150 * MIN, 0)).toBe(0);
  });

  it('is configurable and refuses nonsense', () => {
    const custom = tariffOf({ perHourFen: 500, dailyCapFen: 3000, freeMinutes: 0 });
    expect(chargeFen(custom, 1000)).toBe(500);
    expect(chargeFen(custom, 7 * HOUR)).toBe(3000);
    expect(() => tariffOf({ perHourFen: 1.5 })).toThrow(/perHourFen/);
    expect(() => tariffOf({ freeMinutes: -1 })).toThrow(/freeMinutes/);
  });
});
