/**
 * CSV for list imports: RFC 4180 (quoted fields, "" inside quotes, CRLF or LF, a UTF-8 BOM), a header row
 * with English or Chinese column names (or none: the default column order), and each row checked into a
 * list entry or a reason. Plates are checked for plausibility here (an operator typed them); the lot has the
 * last word when they are sent.
 */
import { isPlausiblePlate, normalizePlate } from '../../../../shared/plate';
import { formatChinaDate, parseChinaTime } from '../../../../shared/time';
import type { ListKind, WhiteDetails } from './model';

/** Split CSV text into rows of fields. Throws on an unterminated quote. */
export function parseCsv(text: string): { line: number; fields: string[] }[] {
  const rows: { line: number; fields: string[] }[] = [];
  let field = '';
  let fields: string[] = [];
  let inQuotes = false;
  let line = 1;
  let rowLine = 1;
  let sawAny = false;
  const s = text.replace(/^\uFEFF/, '');
  const endRow = () => {
    fields.push(field);
    if (fields.length > 1 || fields[0]!.trim() !== '') rows.push({ line: rowLine, fields });
    fields = [];
    field = '';
    sawAny = false;
  };
  for (let i = 0; i < s.length; i++) {
    const ch = s[i]!;
    if (inQuotes) {
      if (ch === '"') {
        if (s[i + 1] === '"') {
          field += '"';
          i++;
        } else inQuotes = false;
      } else {
        if (ch === '\n') line++;
        field += ch;
      }
      continue;
    }
    if (ch === '"' && field.trim() === '') {
      field = '';
      inQuotes = true;
      sawAny = true;
    } else if (ch === ',') {
      fields.push(field);
      field = '';
      sawAny = true;
    } else if (ch === '\r' && s[i + 1] === '\n') {
      continue;
    } else if (ch === '\n' || ch === '\r') {
      endRow();
      line++;
      rowLine = line;
    } else {
      field += ch;
      sawAny = true;
    }
  }
  if (inQuotes) throw new Error(`第 ${rowLine} 行：引号没有闭合`);
  if (sawAny || field !== '' || fields.length) endRow();
  return rows;
}

type Column = 'plate' | 'start' | 'end' | 'name' | 'phone' | 'carType' | 'chargeType' | 'plateColor' | 'dept' | 'certificate' | 'address' | 'memo';

const HEADER_NAMES: Record<string, Column> = {
  plate: 'plate', 车牌: 'plate', 车牌号: 'plate', 车牌号码: 'plate',
  start: 'start', 开始: 'start', 开始日期: 'start', 生效日期: 'start', 起始日期: 'start',
  end: 'end', 结束: 'end', 结束日期: 'end', 失效日期: 'end', 截止日期: 'end',
  name: 'name', 姓名: 'name', 车主姓名: 'name', 车主: 'name',
  phone: 'phone', 电话: 'phone', 手机: 'phone', 联系电话: 'phone',
  cartype: 'carType', 车辆类型: 'carType', 类型: 'carType',
  chargetype: 'chargeType', 收费类型: 'chargeType',
  platecolor: 'plateColor', 车牌颜色: 'plateColor',
  dept: 'dept', 部门: 'dept',
  certificate: 'certificate', 身份证: 'certificate', 身份证号: 'certificate',
  address: 'address', 地址: 'address', 联系地址: 'address',
  memo: 'memo', 备注: 'memo', reason: 'memo', 原因: 'memo',
};

/** Column order when the file has no header. */
export const DEFAULT_COLUMNS: Record<ListKind, Column[]> = {
  white: ['plate', 'start', 'end', 'name', 'phone', 'carType', 'memo'],
  black: ['plate', 'memo'],
};

/** The error of a row that repeats a plate of an earlier row (its status is 'duplicate'). */
export const DUPLICATE = '与前面的行车牌重复';

/** Defaults of the 4.6 fields a row leaves empty. */
export const WHITE_DEFAULTS = { carType: '月租车', chargeType: '不收费' };

export interface CheckedRow {
  line: number;
  plate: string;
  /** Set when the row is usable. */
  entry?: { plate: string; plateKey: string; memo: string; white?: WhiteDetails };
  error?: string;
}

const MAX_TEXT = 64;
const FIELD_NAMES = { name: '姓名', phone: '电话', carType: '车辆类型', chargeType: '收费类型', plateColor: '车牌颜色', dept: '部门', certificate: '身份证号', address: '地址' } as const;
const MAX_MEMO = 200;

/** yyyy-MM-dd (also yyyy/M/d, yyyy.M.d) → yyyy-MM-dd, or undefined. */
export function readDate(text: string): string | undefined {
  const t = text.trim().replace(/[/.]/g, '-');
  if (!/^\d{4}-\d{1,2}-\d{1,2}$/.test(t)) return undefined;
  try {
    return formatChinaDate(parseChinaTime(t));
  } catch {
    return undefined;
  }
}

/** Check one list entry's fields (a CSV row or an operator's form). Returns the entry or the reason. */
export function checkEntry(
  list: ListKind,
  v: Partial<Record<Column, string>> & { areas?: WhiteDetails['areas'] },
  today: string,
): { entry: NonNullable<CheckedRow['entry']> } | { error: string } {
  const plate = (v.plate ?? '').trim();
  if (plate === '') return { error: '车牌为空' };
  if (!isPlausiblePlate(plate)) return { error: `“${plate}”不是车牌号` };
  const memo = (v.memo ?? '').trim();
  if (memo.length > MAX_MEMO) return { error: `备注超过 ${MAX_MEMO} 个字` };
  // Sent as the plate key ("京 a12345" → "京A12345"): the spelling the lot's cameras read.
  const plateKey = normalizePlate(plate);
  if (list === 'black') return { entry: { plate: plateKey, plateKey, memo } };

  const start = readDate(v.start ?? '');
  const end = readDate(v.end ?? '');
  if (!start) return { error: v.start?.trim() ? `生效日期“${v.start.trim()}”不是日期（例如 2026-01-31）` : '缺少生效日期' };
  if (!end) return { error: v.end?.trim() ? `失效日期“${v.end.trim()}”不是日期（例如 2026-12-31）` : '缺少失效日期' };
  if (start > end) return { error: '生效日期晚于失效日期' };
  if (end < today) return { error: `失效日期 ${end} 已经过去` };
  const text = (k: Column, fallback = '') => (v[k] ?? '').trim() || fallback;
  for (const k of ['name', 'phone', 'carType', 'chargeType', 'plateColor', 'dept', 'certificate', 'address'] as const) {
    if (text(k).length > MAX_TEXT) return { error: `${FIELD_NAMES[k]}超过 ${MAX_TEXT} 个字` };
  }
  const areas = v.areas ?? [];
  for (const a of areas) {
    const as = readDate(a.start);
    const ae = readDate(a.end);
    if (!Number.isSafeInteger(a.areaId) || !as || !ae || as > ae) return { error: `区域 ${a.areaId}：区域号须为数字，开始日期不能晚于结束日期` };
  }
  return {
    entry: {
      plate: plateKey,
      plateKey,
      memo,
      white: {
        start,
        end,
        name: text('name'),
        phone: text('phone'),
        carType: text('carType', WHITE_DEFAULTS.carType),
        chargeType: text('chargeType', WHITE_DEFAULTS.chargeType),
        plateColor: text('plateColor'),
        dept: text('dept'),
        certificate: text('certificate'),
        address: text('address'),
        areas: areas.map((a) => ({ areaId: a.areaId, start: readDate(a.start)!, end: readDate(a.end)! })),
      },
    },
  };
}

/**
 * Read an import file: every data row checked. Rows repeating a plate seen earlier in the file are marked
 * (error DUPLICATE): the lot refuses a call with the same plate twice, and the first row is the one kept.
 */
export function readListCsv(list: ListKind, text: string, today: string): { rows: CheckedRow[]; header: boolean } {
  const raw = parseCsv(text);
  if (raw.length === 0) return { rows: [], header: false };
  const first = raw[0]!.fields.map((f) => HEADER_NAMES[f.trim().toLowerCase()] ?? HEADER_NAMES[f.trim()]);
  const header = first.includes('plate');
  const columns = header ? first : DEFAULT_COLUMNS[list];
  const data = header ? raw.slice(1) : raw;
  const seen = new Set<string>();
  const rows: CheckedRow[] = [];
  for (const r of data) {
    const v: Partial<Record<Column, string>> = {};
    r.fields.forEach((f, i) => {
      const c = columns[i];
      if (c && v[c] === undefined) v[c] = f;
    });
    const checked = checkEntry(list, v, today);
    const plate = (v.plate ?? '').trim();
    if ('error' in checked) {
      rows.push({ line: r.line, plate, error: checked.error });
      continue;
    }
    if (seen.has(checked.entry.plateKey)) {
      rows.push({ line: r.line, plate, error: DUPLICATE });
      continue;
    }
    seen.add(checked.entry.plateKey);
    rows.push({ line: r.line, plate, entry: checked.entry });
  }
  return { rows, header };
}
