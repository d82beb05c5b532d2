import { execFileSync } from 'node:child_process';
import path from 'node:path';
import {
  TimeFormatError,
  formatChinaDate,
  formatChinaHhmmss,
  formatChinaTime,
  isChinaTime,
  parseChinaTime,
  timeStamp,
} from '../../shared/time';

// 2019-02-25 08:50:01 UTC = 2019-02-25 16:50:01 China time (the 4.4 example's getTime).
const AT = Date.UTC(2019, 1, 25, 8, 50, 1);

describe('formatChinaTime', () => {
  it('formats an instant in China time', () => {
    expect(formatChinaTime(AT)).toBe('2019-02-25 16:50:01');
    expect(formatChinaTime(new Date(AT))).toBe('2019-02-25 16:50:01');
    expect(formatChinaDate(AT)).toBe('2019-02-25');
    expect(formatChinaHhmmss(AT)).toBe('165001');
  });

  it('crosses the date line at 16:00 UTC', () => {
    expect(formatChinaTime(Date.UTC(2019, 11, 31, 16, 0, 0))).toBe('2020-01-01 00:00:00');
    expect(formatChinaTime(Date.UTC(2019, 11, 31, 15, 59, 59))).toBe('2019-12-31 23:59:59');
  });

  it('rejects an invalid instant', () => {
    expect(() => formatChinaTime(Number.NaN)).toThrow(TimeFormatError);
    expect(() => formatChinaTime(new Date('nope'))).toThrow(TimeFormatError);
  });
});

describe('parseChinaTime', () => {
  it('parses China time into the instant', () => {
    expect(parseChinaTime('2019-02-25 16:50:01').getTime()).toBe(AT);
  });

  it('round-trips', () => {
    for (const ms of [AT, 0, Date.UTC(2024, 1, 29, 23, 59, 59), Date.UTC(2030, 6, 1, 4, 5, 6)]) {
      expect(parseChinaTime(formatChinaTime(ms)).getTime()).toBe(ms);
    }
  });

  it.each([
    ['2019 - 02 - 14 12: 02: 45 ', '2019-02-14 12:02:45'],
    [' 2019-02-28 01:01:01 ', '2019-02-28 01:01:01'],
    ['2019-2-5 1:2:3', '2019-02-05 01:02:03'],
    ['2019-02-14T12:02:45', '2019-02-14 12:02:45'],
    ['2019-02-14 12:02', '2019-02-14 12:02:00'],
    ['2019-02-14', '2019-02-14 00:00:00'],
    ['2024-02-29 00:00:00', '2024-02-29 00:00:00'],
  ])('accepts liberal spelling %p', (input, normal) => {
    expect(formatChinaTime(parseChinaTime(input))).toBe(normal);
    expect(isChinaTime(input)).toBe(true);
  });

  it.each([
    '2019-02-30 10:00:00',
    '2019-02-29 10:00:00',
    '2019-04-31 00:00:00',
    '2019-13-01 00:00:00',
    '2019-00-10 00:00:00',
    '2019-02-14 24:00:00',
    '2019-02-14 12:60:00',
    '2019-02-14 12:00:60',
    '2019/02/14 12:00:00',
    '15312925080301',
    '',
    'yesterday',
  ])('rejects %p', (input) => {
    expect(() => parseChinaTime(input)).toThrow(TimeFormatError);
    expect(isChinaTime(input)).toBe(false);
  });

  it('rejects what is not a string', () => {
    expect(() => parseChinaTime(1551084601000 as unknown as string)).toThrow(TimeFormatError);
    expect(isChinaTime(null)).toBe(false);
  });

  it('keeps years below 100 as they are (Date.UTC would map them to 19xx)', () => {
    expect(formatChinaTime(parseChinaTime('0099-06-15 12:00:00'))).toBe('0099-06-15 12:00:00');
    expect(parseChinaTime('0099-06-15 12:00:00').getUTCFullYear()).toBe(99);
  });
});

describe('timeStamp', () => {
  it('is milliseconds since the epoch as a string', () => {
    expect(timeStamp(AT)).toBe('1551084601000');
    expect(timeStamp(new Date(AT))).toBe('1551084601000');
    expect(timeStamp()).toMatch(/^\d{13}$/);
  });
});

describe('independent of the process time zone', () => {
  const saved = process.env.TZ;
  afterEach(() => {
    if (saved === undefined) delete process.env.TZ;
    else process.env.TZ = saved;
  });

  it.each(['America/New_York', 'Asia/Kolkata', 'UTC', 'Pacific/Chatham'])('in %s (set in this process)', (tz) => {
    process.env.TZ = tz;
    expect(formatChinaTime(AT)).toBe('2019-02-25 16:50:01');
    expect(parseChinaTime('2019-02-25 16:50:01').getTime()).toBe(AT);
  });

  it('in a fresh process started with another TZ (no cached zone)', () => {
    const root = path.resolve(__dirname, '../..');
    const script =
      "import { formatChinaTime, parseChinaTime } from './shared/time';" +
      'const at = Date.UTC(2019, 1, 25, 8, 50, 1);' +
      "console.log(JSON.stringify([new Date(at).getTimezoneOffset(), formatChinaTime(at), parseChinaTime('2019-02-25 16:50:01').getTime() === at]));";
    const out = execFileSync(path.join(root, 'node_modules/.bin/tsx'), ['-e', script], {
      cwd: root,
      env: { ...process.env, TZ: 'America/Los_Angeles' },
      encoding: 'utf8',
    });
    expect(JSON.parse(out.trim())).toEqual([480, '2019-02-25 16:50:01', true]);
  });
});
