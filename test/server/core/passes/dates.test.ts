/** Pass validity in China days: renewals follow on from the lot's end, month ends stay month ends. */
import { addDays, extendEnd, isPassDate, renewal } from '../../../../server/src/core/passes/dates';

describe('pass dates', () => {
  test('a month later, the last day of a month staying the last day', () => {
    expect(extendEnd('2026-12-31', 1)).toBe('2027-01-31');
    expect(extendEnd('2027-01-31', 1)).toBe('2027-02-28');
    expect(extendEnd('2027-02-28', 1)).toBe('2027-03-31');
    expect(extendEnd('2028-01-30', 1)).toBe('2028-02-29');
    expect(extendEnd('2026-12-04', 3)).toBe('2027-03-04');
    expect(extendEnd('2026-11-15', 12)).toBe('2027-11-15');
  });

  test('a renewal follows on from a pass still valid today, else it starts today', () => {
    expect(renewal('2026-12-05', '2026-12-31', 1)).toEqual({ start: null, end: '2027-01-31' });
    expect(renewal('2026-12-05', '2026-12-05', 1)).toEqual({ start: null, end: '2027-01-05' });
    expect(renewal('2026-12-05', '2026-12-04', 1)).toEqual({ start: '2026-12-05', end: '2027-01-04' });
    expect(renewal('2026-12-01', null, 1)).toEqual({ start: '2026-12-01', end: '2026-12-31' });
    expect(renewal('2026-12-05', null, 3)).toEqual({ start: '2026-12-05', end: '2027-03-04' });
  });

  test('days and dates', () => {
    expect(addDays('2027-01-01', -1)).toBe('2026-12-31');
    expect(addDays('2028-02-28', 1)).toBe('2028-02-29');
    expect(isPassDate('2027-02-29')).toBe(false);
    expect(isPassDate('2028-02-29')).toBe(true);
    expect(isPassDate('2028-2-9')).toBe(false);
  });
});
