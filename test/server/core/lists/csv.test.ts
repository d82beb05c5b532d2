/** List CSV rows: what an operator reads of a bad row is Chinese, with the value that is wrong. */
import { DUPLICATE, parseCsv, readListCsv } from '../../../../server/src/core/lists/csv';

const TODAY = '2026-11-28';
/** English words a row error must not show (the console shows these texts as they are). */
const ENGLISH = /[A-Za-z]{3,}\s+[a-z]{2,}|is not a|is empty|longer than|in the past/;

describe('row errors', () => {
  it('say in Chinese what is wrong with each bad whitelist row', () => {
    const csv = [
      '车牌,生效日期,失效日期,姓名,电话',
      'ABC,2026-11-28,2027-01-01,张三,1',
      ',2026-11-28,2027-01-01,李四,2',
      '京A10001,明天,2027-01-01,王五,3',
      '京A10002,2026-11-28,,赵六,4',
      '京A10003,2027-02-01,2027-01-01,孙七,5',
      '京A10004,2025-01-01,2025-12-31,周八,6',
      `京A10005,2026-11-28,2027-01-01,${'长'.repeat(65)},7`,
      '京A10006,2026-11-28,2027-01-01,吴九,8',
      '京a10006,2026-11-28,2027-01-01,重复,9',
    ].join('\n');
    const { rows, header } = readListCsv('white', csv, TODAY);
    expect(header).toBe(true);
    expect(rows.map((r) => r.error)).toEqual([
      '“ABC”不是车牌号',
      '车牌为空',
      '生效日期“明天”不是日期（例如 2026-01-31）',
      '缺少失效日期',
      '生效日期晚于失效日期',
      '失效日期 2025-12-31 已经过去',
      '姓名超过 64 个字',
      undefined,
      DUPLICATE,
    ]);
    for (const r of rows) if (r.error) expect(r.error).not.toMatch(ENGLISH);
  });

  it('a blacklist memo too long, and an unclosed quote, in Chinese', () => {
    expect(readListCsv('black', `plate,memo\n京B10001,${'x'.repeat(201)}`, TODAY).rows[0]!.error).toBe('备注超过 200 个字');
    expect(() => parseCsv('plate,memo\n京B10001,"逃费\n')).toThrow('第 2 行：引号没有闭合');
  });
});
